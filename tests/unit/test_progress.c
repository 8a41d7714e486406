/*
 * test_progress.c - the TTY progress line (broker/progress_line.c,
 * broker/progress.c): fitted to every terminal width without wrapping
 * (CJK and emoji names counted 2 columns), fields dropped in order, the
 * name cut, the ETA smoothed so one odd tick cannot make it jump, a run
 * not asked to seed never called "seeding", a magnet without dn= shown by
 * its info-hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "progress.h"
#include "progress_line.h"

#define MIB (1024ull * 1024ull)

static struct mk_torrent_view downloading(const char *name)
{
	struct mk_torrent_view v;
	memset(&v, 0, sizeof v);
	v.id = 1;
	v.have_status = true;
	v.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	v.progress_ppm = 423000;
	v.wanted = 1500 * MIB;
	v.done = v.wanted * 423 / 1000;
	v.down_rate = 2 * MIB;
	v.up_rate = 3000;
	v.peers = 7;
	v.seeds = 3;
	snprintf(v.name, sizeof v.name, "%s", name);
	return v;
}

static void text_width_counts_columns(void **st)
{
	(void)st;
	assert_int_equal(mk_text_width("abc"), 3);
	assert_int_equal(mk_text_width("na\xc3\xafve caf\xc3\xa9"), 10);  /* naïve café */
	assert_int_equal(mk_text_width("e\xcc\x81"), 1);                  /* e + combining acute */
	assert_int_equal(mk_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);   /* 日本 */
	assert_int_equal(mk_text_width("\xf0\x9f\x8e\xb5"), 2);           /* 🎵 */
	assert_int_equal(mk_text_width("\xff" "a"), 2);                   /* invalid byte: 1 */
}

/* At every width from 10 to 250 columns: never more than cols - 1 columns
 * (the line never wraps), and the width returned is the width written. */
static void fits_every_width(void **st)
{
	(void)st;
	const char *names[] = { "ubuntu-24.04.1-desktop-amd64.iso",
				"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x95\xe3\x82\xa1"
				"\xe3\x82\xa4\xe3\x83\xab\xe5\x90\x8d\xe5\x89\x8d\xe3\x81\xa7\xe3\x81\x99"
				"\xe3\x81\xad.bin", /* 日本語のファイル名前ですね.bin */
				"\xf0\x9f\x8e\xb5\xf0\x9f\x8e\xb5\xf0\x9f\x8e\xb5 music \xf0\x9f\x8e\xb5 x" };
	char buf[1024];
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		struct mk_torrent_view v = downloading(names[k]);
		for (int cols = 10; cols <= 250; cols++) {
			int w = mk_progress_tty_line(&v, "[12] ", "proxy down - paused 3s", v.down_rate, 42000,
						     cols, buf, sizeof buf);
			assert_true(w <= cols - 1);
			assert_int_equal((size_t)w, mk_text_width(buf));
			assert_null(strchr(buf, '\n'));
		}
	}
}

static void wide_line_has_everything(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading("debian-12.iso");
	char buf[1024];
	mk_progress_tty_line(&v, "", "", v.down_rate, 42000, 200, buf, sizeof buf);
	assert_non_null(strstr(buf, "debian-12.iso  ["));
	assert_non_null(strstr(buf, "=>"));
	assert_non_null(strstr(buf, " 42.3%"));
	assert_non_null(strstr(buf, "634.5 MiB / 1.5 GiB"));
	assert_non_null(strstr(buf, "down 2.0 MiB/s"));
	assert_non_null(strstr(buf, "up 2.9 KiB/s"));
	assert_non_null(strstr(buf, "peers 7 (seeds 3)"));
	assert_non_null(strstr(buf, "elapsed 0:42"));
	assert_non_null(strstr(buf, "ETA 7:12"));
	assert_null(strstr(buf, "downloading")); /* the bar says so */
	/* a row of several: the elapsed time is on the total line only */
	mk_progress_tty_line(&v, "[1] ", "", v.down_rate, -1, 200, buf, sizeof buf);
	assert_null(strstr(buf, "elapsed"));
}

/* Narrow: the least useful fields go first, the percentage and ETA stay,
 * the name is cut and marked with '~'. */
static void narrow_line_drops_in_order(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading("a-rather-long-torrent-name-that-will-not-fit.iso");
	char buf[1024];
	mk_progress_tty_line(&v, "", "", v.down_rate, 42000, 60, buf, sizeof buf);
	assert_non_null(strstr(buf, "42.3%"));
	assert_non_null(strstr(buf, "ETA 7:12"));
	assert_null(strstr(buf, "up "));
	assert_null(strstr(buf, "elapsed"));
	assert_non_null(strstr(buf, "~"));
	assert_true(strncmp(buf, "a-rather-", 9) == 0);
	mk_progress_tty_line(&v, "", "", v.down_rate, 42000, 120, buf, sizeof buf);
	assert_non_null(strstr(buf, "peers 7"));
	assert_non_null(strstr(buf, "down 2.0 MiB/s"));
	assert_non_null(strstr(buf, "["));
	/* a very narrow terminal: still one line, cut */
	assert_true(mk_progress_tty_line(&v, "", "", v.down_rate, 42000, 12, buf, sizeof buf) <= 11);
}

static void bar_fill_follows_progress(void **st)
{
	(void)st;
	struct mk_line l;
	char buf[256];
	memset(&l, 0, sizeof l);
	l.bar = true;
	l.ppm = 500000;
	snprintf(l.field[MK_F_PCT], MK_LINE_FIELD_MAX, " 50.0%%");
	mk_line_fit(&l, 200, buf, sizeof buf); /* bar at its widest: 32 columns, 30 inside */
	assert_string_equal(buf, "[===============>              ]   50.0%");
	l.ppm = 1000000;
	mk_line_fit(&l, 200, buf, sizeof buf);
	assert_string_equal(buf, "[==============================]   50.0%");
}

/* One tick ten times faster moves the smoothed rate a little, not tenfold;
 * a steady new rate is reached within a minute; after a stall the first
 * rate is taken as it is. */
static void eta_is_smoothed(void **st)
{
	(void)st;
	struct mk_eta e;
	memset(&e, 0, sizeof e);
	int64_t t = 0;
	assert_int_equal(mk_eta_rate(&e), 0);
	for (int i = 0; i < 20; i++, t += 500)
		mk_eta_feed(&e, 1 * MIB, t);
	assert_int_equal(mk_eta_rate(&e), 1 * MIB);
	mk_eta_feed(&e, 10 * MIB, t);
	t += 500;
	assert_true(mk_eta_rate(&e) < 2 * MIB);
	char a[32], b[32];
	mk_eta_format(600 * MIB, 1 * MIB, a, sizeof a);
	mk_eta_format(600 * MIB, mk_eta_rate(&e), b, sizeof b);
	assert_string_equal(a, "10:00");
	assert_true(b[0] == '6' || b[0] == '7'); /* about 7 minutes, not 1:00 */
	assert_int_equal(strlen(b), 4);
	for (int i = 0; i < 120; i++, t += 500)
		mk_eta_feed(&e, 10 * MIB, t);
	assert_true(mk_eta_rate(&e) > 9 * MIB);
	for (int i = 0; i < 400; i++, t += 500) /* a long stall */
		mk_eta_feed(&e, 0, t);
	assert_int_equal(mk_eta_rate(&e), 0);
	mk_eta_feed(&e, 3 * MIB, t); /* it moves again: no slow ramp from zero */
	assert_int_equal(mk_eta_rate(&e), 3 * MIB);
	/* a start that ramps up (100 KiB/s, then 2 MiB/s): after 5 s the ETA
	 * follows the real rate, not the first slow tick */
	memset(&e, 0, sizeof e);
	mk_eta_feed(&e, 100 * 1024, 0);
	for (int64_t ms = 500; ms <= 5000; ms += 500)
		mk_eta_feed(&e, 2 * MIB, ms);
	assert_true(mk_eta_rate(&e) > 1.7 * MIB);
	mk_eta_format(0, 0, a, sizeof a);
	assert_string_equal(a, "done");
	mk_eta_format(5, 0, a, sizeof a);
	assert_string_equal(a, "--:--");
	mk_eta_format(UINT64_MAX / 2, 1, a, sizeof a);
	assert_string_equal(a, ">99h");
	mk_eta_format(7200, 1, a, sizeof a);
	assert_string_equal(a, "2:00:00");
}

/* Not asked to seed: complete, never "seeding" nor a ratio; towards a goal: seeding. */
static void complete_is_not_seeding(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading("x");
	char buf[1024];
	v.state = MEERKO__TORRENT_STATE__STATE_SEEDING;
	v.progress_ppm = 1000000;
	v.done = v.wanted;
	v.complete = true;
	assert_string_equal(mk_progress_view_word(&v), "complete");
	mk_progress_format(&v, "", buf, sizeof buf);
	assert_null(strstr(buf, "seeding"));
	assert_null(strstr(buf, "ratio"));
	assert_non_null(strstr(buf, "complete"));
	mk_progress_tty_line(&v, "", "", 0, 1000, 120, buf, sizeof buf);
	assert_null(strstr(buf, "seeding"));
	assert_non_null(strstr(buf, "complete"));
	assert_non_null(strstr(buf, "ETA done"));
	v.complete = false; /* libtorrent's "seeding" before the broker's verdict */
	assert_string_equal(mk_progress_view_word(&v), "finished");
	v.seeding = true;
	v.uploaded = v.wanted / 2;
	mk_progress_tty_line(&v, "", "", 0, 1000, 120, buf, sizeof buf);
	assert_non_null(strstr(buf, "seeding ratio 0.50"));
	v.failed = true;
	assert_string_equal(mk_progress_view_word(&v), "failed");
}

static void magnet_without_name_shows_hash(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading("");
	char buf[1024];
	v.state = MEERKO__TORRENT_STATE__STATE_METADATA;
	snprintf(v.label, sizeof v.label, "0123456789abcdef0123456789abcdef01234567");
	mk_progress_format(&v, "", buf, sizeof buf);
	assert_non_null(strstr(buf, "0123456789abcdef0123456789abcdef01234567"));
	mk_progress_tty_line(&v, "", "", 0, 1000, 200, buf, sizeof buf);
	assert_non_null(strstr(buf, "0123456789abcdef0123456789abcdef01234567"));
	assert_non_null(strstr(buf, "metadata"));
	strcpy(v.name, "named.iso"); /* the metadata came: its name wins */
	mk_progress_format(&v, "", buf, sizeof buf);
	assert_non_null(strstr(buf, "named.iso"));
	assert_null(strstr(buf, "0123456789abcdef"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_width_counts_columns),
		cmocka_unit_test(fits_every_width),
		cmocka_unit_test(wide_line_has_everything),
		cmocka_unit_test(narrow_line_drops_in_order),
		cmocka_unit_test(bar_fill_follows_progress),
		cmocka_unit_test(eta_is_smoothed),
		cmocka_unit_test(complete_is_not_seeding),
		cmocka_unit_test(magnet_without_name_shows_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
