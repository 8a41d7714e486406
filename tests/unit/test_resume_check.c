/*
 * test_resume_check.c - a compromised engine's resume data is not stored as
 * it came (broker/resume_check.c, broker/state.c).
 *
 * data/lt-2.0.8.resume is real: python3-libtorrent 2.0.8's
 * write_resume_data_buf() for a finished 300000-byte single-file torrent
 * (mktorrent -l 15), saved with save_info_dict. The attacks add to it what a
 * compromised engine would: a payload key, peer lists, its own tracker, the
 * seed_mode flag (skip all checks), renamed files; or break the encoding.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "resume_check.h"
#include "state.h"

static uint8_t *real_resume(size_t *len)
{
	FILE *f = fopen(MEERKO_SOURCE_DIR "/tests/unit/data/lt-2.0.8.resume", "rb");
	assert_non_null(f);
	static uint8_t buf[4096];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(*len > 100 && *len < sizeof buf);
	return buf;
}

static bool has(const struct mk_resume_clean *c, const char *s)
{
	return memmem(c->data, c->len, s, strlen(s)) != NULL;
}

/* Inserts `entry` (bencoded key + value) into the real data's top-level
 * dict at its sorted place, before the first key that sorts after `key`. */
static uint8_t *with_entry(const char *before_key, const char *entry, size_t *len)
{
	size_t rlen;
	const uint8_t *r = real_resume(&rlen);
	const uint8_t *at = memmem(r, rlen, before_key, strlen(before_key));
	assert_non_null(at);
	size_t off = (size_t)(at - r), n = strlen(entry);
	uint8_t *out = malloc(rlen + n);
	assert_non_null(out);
	memcpy(out, r, off);
	memcpy(out + off, entry, n);
	memcpy(out + off + n, r + off, rlen - off);
	*len = rlen + n;
	return out;
}

static void clean_ok(const uint8_t *in, size_t len, unsigned flags, struct mk_resume_clean *c)
{
	char why[128] = "";
	int r = mk_resume_clean(in, len, flags, c, why, sizeof why);
	if (r != 0)
		print_message("refused: %s\n", why);
	assert_int_equal(r, 0);
}

static void test_real_libtorrent_resume_keeps_what_the_next_run_needs(void **state)
{
	(void)state;
	size_t len;
	const uint8_t *in = real_resume(&len);
	struct mk_resume_clean c;
	clean_ok(in, len, 0, &c);
	const char *kept[] = { "11:file-format22:libtorrent resume file", "12:file-versioni1e",
			       "9:info-hash20:", "10:info-hash232:", "4:infod5:files", "6:pieces10:",
			       "14:total_uploadedi0e", "10:added_time" };
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		assert_true(has(&c, kept[i]));
	const char *dropped[] = { "8:trackers", "8:url-list", "9:httpseeds", "9:save_path",
				  "9:seed_mode", "10:created by", "6:paused", "15:max_connections" };
	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		assert_false(has(&c, dropped[i]));
	/* the info dict is byte for byte the engine's (its hash is the torrent's) */
	const uint8_t *info = memmem(in, len, "4:infod", 7);
	assert_non_null(memmem(c.data, c.len, info, 7 + 60));
	/* what is stored is itself clean: filtering again changes nothing */
	struct mk_resume_clean again;
	clean_ok(c.data, c.len, 0, &again);
	assert_int_equal(again.len, c.len);
	assert_memory_equal(again.data, c.data, c.len);
	assert_int_equal(again.dropped, 0);
	free(again.data);
	free(c.data);
}

/* What a compromised engine adds is gone, the rest is kept. */
static void test_engine_payload_peers_trackers_and_seed_mode_dropped(void **state)
{
	(void)state;
	struct { const char *before, *entry, *marker; } adds[] = {
		{ "6:pieces10:", "7:payload15:EVIL-PERSISTENT", "EVIL-PERSISTENT" },
		{ "6:pieces10:", "5:peers6:\x0a\x01\x01\x01\x1a\xe1", "5:peers" },
		{ "6:pieces10:", "6:peers618:aaaaaaaaaaaaaaaaaa", "6:peers6" },
		{ "14:completed_time", "12:banned_peers6:abcdef", "banned_peers" },
		{ "15:max_connections", "12:mapped_filesl11:../../.bashe", ".bash" },
	};
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
		size_t len;
		uint8_t *in = with_entry(adds[i].before, adds[i].entry, &len);
		struct mk_resume_clean c;
		clean_ok(in, len, 0, &c);
		assert_false(has(&c, adds[i].marker));
		assert_true(has(&c, "4:infod"));
		assert_true(has(&c, "6:pieces10:"));
		free(c.data);
		free(in);
	}
	/* the engine's own tracker (where it would report what we download) and
	 * seed_mode (every piece taken as verified, nothing checked) */
	const char *evil = "d11:file-format22:libtorrent resume file12:file-versioni1e"
			   "9:info-hash20:aaaaaaaaaaaaaaaaaaaa9:seed_modei1e"
			   "8:trackersll28:http://evil.example/announceee8:url-listl3:x:ye" "e";
	struct mk_resume_clean c;
	clean_ok((const uint8_t *)evil, strlen(evil), 0, &c);
	assert_false(has(&c, "seed_mode"));
	assert_false(has(&c, "evil.example"));
	assert_false(has(&c, "url-list"));
	assert_int_equal(c.kept, 3);
	free(c.data);
}

static void expect_refused(const char *in, const char *why_part)
{
	struct mk_resume_clean c;
	char why[128] = "";
	assert_int_equal(mk_resume_clean((const uint8_t *)in, strlen(in), 0, &c, why, sizeof why), -1);
	assert_null(c.data);
	if (strstr(why, why_part) == NULL)
		print_message("'%s': %s\n", in, why);
	assert_non_null(strstr(why, why_part));
}

#define FF "11:file-format22:libtorrent resume file12:file-versioni1e"
#define IH "9:info-hash20:aaaaaaaaaaaaaaaaaaaa"

static void test_non_canonical_or_broken_bencode_refused(void **state)
{
	(void)state;
	expect_refused("d" IH FF "e", "canonical");                     /* unsorted keys */
	expect_refused("d" FF FF IH "e", "canonical");                  /* duplicate key */
	expect_refused("d" FF IH "6:piecesi03ee", "canonical");         /* leading zero */
	expect_refused("d" FF IH "6:piecesi-0ee", "canonical");         /* minus zero */
	expect_refused("d" FF IH "06:pieces0:e", "canonical");          /* length with a zero */
	expect_refused("d" FF IH "6:pieces5:abe", "canonical");         /* runs past the end */
	expect_refused("d" FF IH "6:piecesi99999999999999999999ee", "canonical"); /* > int64 */
	expect_refused("d" FF IH "e" "x", "after");                     /* trailing bytes */
	expect_refused("d" FF IH, "truncated");
	expect_refused("l" FF "e", "dictionary");
	expect_refused("", "empty");
}

static void test_required_keys_must_be_right(void **state)
{
	(void)state;
	expect_refused("d" IH "e", "missing");
	expect_refused("d11:file-format3:abc12:file-versioni1e" IH "e", "required");
	expect_refused("d11:file-format22:libtorrent resume file12:file-versioni2e" IH "e", "required");
	expect_refused("d" FF "9:info-hash19:aaaaaaaaaaaaaaaaaaae", "required");
	struct mk_resume_clean c;
	char why[128];
	const char *ok = "d" FF IH "e";
	assert_int_equal(mk_resume_clean((const uint8_t *)ok, strlen(ok), 0, &c, why, sizeof why), 0);
	assert_int_equal(c.len, strlen(ok));
	free(c.data);
}

/* A value outside its row's bounds is dropped, the rest kept. */
static void test_bad_values_dropped_not_trusted(void **state)
{
	(void)state;
	const char *in = "d11:active_timei-5e" FF "13:file_priorityli1ei8ee" IH
			 "14:piece_priority2:\x01\x09" "6:pieces3:\x01\x03\x04" "e";
	struct mk_resume_clean c;
	clean_ok((const uint8_t *)in, strlen(in), 0, &c);
	assert_int_equal(c.kept, 3);
	assert_int_equal(c.dropped, 4);
	const char *want = "d" FF IH "e";
	assert_int_equal(c.len, strlen(want));
	assert_memory_equal(c.data, want, c.len);
	free(c.data);
}

/* Inside "info" any key order is kept (its bytes are its hash); depth is
 * bounded everywhere. */
static void test_info_kept_verbatim_depth_bounded(void **state)
{
	(void)state;
	const char *in = "d" FF "4:infod4:zzzzi1e4:aaaai2ee" IH "e";
	struct mk_resume_clean c;
	clean_ok((const uint8_t *)in, strlen(in), 0, &c);
	assert_true(has(&c, "4:infod4:zzzzi1e4:aaaai2ee"));
	free(c.data);
	char deep[512];
	size_t n = (size_t)snprintf(deep, sizeof deep, "d" FF "4:info");
	for (int i = 0; i < MK_RESUME_MAX_DEPTH; i++)
		deep[n++] = i == 0 ? 'd' : 'l';
	for (int i = 0; i < MK_RESUME_MAX_DEPTH; i++)
		deep[n++] = 'e';
	snprintf(deep + n, sizeof deep - n, IH "e");
	expect_refused(deep, "canonical");
}

static void test_unclean_stop_drops_piece_claims(void **state)
{
	(void)state;
	size_t len;
	const uint8_t *in = real_resume(&len);
	struct mk_resume_clean c;
	clean_ok(in, len, MK_RESUME_DROP_PIECES, &c);
	assert_false(has(&c, "6:pieces10:"));
	assert_true(has(&c, "4:infod"));
	free(c.data);
}

/* The state dir: what is stored is filtered, a crash forgets the pieces. */
static void test_state_stores_only_clean_data(void **state)
{
	(void)state;
	char dir[] = "/tmp/meerko-test-resume-XXXXXX", err[256], why[128];
	assert_non_null(mkdtemp(dir));
	struct mk_state st;
	assert_int_equal(mk_state_open(&st, dir, "k", 1, "/save", err, sizeof err), 0);
	size_t len, got = 0;
	uint8_t *in = with_entry("6:pieces10:", "7:payload15:EVIL-PERSISTENT", &len);
	assert_int_equal(mk_state_save_resume(&st, in, len, why, sizeof why), 0);
	uint8_t *raw = mk_state_load(&st, MK_RESUME_MAX_BYTES, &got);
	assert_non_null(raw);
	assert_null(memmem(raw, got, "EVIL", 4));
	assert_non_null(memmem(raw, got, "6:pieces10:", 11));
	free(raw);
	assert_int_equal(mk_state_save_resume(&st, (const uint8_t *)"garbage", 7, why, sizeof why), -1);
	mk_state_forget_pieces(&st);
	raw = mk_state_load_resume(&st, &got);
	assert_non_null(raw);
	assert_null(memmem(raw, got, "6:pieces10:", 11));
	assert_non_null(memmem(raw, got, "4:infod", 7));
	free(raw);
	free(in);
	unlink(st.file);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_libtorrent_resume_keeps_what_the_next_run_needs),
		cmocka_unit_test(test_engine_payload_peers_trackers_and_seed_mode_dropped),
		cmocka_unit_test(test_non_canonical_or_broken_bencode_refused),
		cmocka_unit_test(test_required_keys_must_be_right),
		cmocka_unit_test(test_bad_values_dropped_not_trusted),
		cmocka_unit_test(test_info_kept_verbatim_depth_bounded),
		cmocka_unit_test(test_unclean_stop_drops_piece_claims),
		cmocka_unit_test(test_state_stores_only_clean_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
