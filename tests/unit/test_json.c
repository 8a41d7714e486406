/*
 * test_json.c - the --json writer (hostile strings must never break a line
 * or the syntax), the progress total line, and the command-line input
 * checks (magnet info-hashes, duplicates).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "input.h"
#include "json.h"
#include "progress.h"

/* mk_json_string(s[0..n)) as a malloc'd C string */
/* The broker keeps each view in its torrent's record (torrent.h); here a
 * set gets views of its own, zeroed. */
static void back_set(struct mk_torrent_set *s)
{
	static struct mk_torrent_view views[MK_MAX_TORRENTS];
	memset(s, 0, sizeof *s);
	memset(views, 0, sizeof views);
	for (size_t i = 0; i < MK_MAX_TORRENTS; i++)
		s->t[i] = &views[i];
}

static char *escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	mk_json_string(f, s, n);
	fclose(f);
	return buf;
}

static void check_escape(const char *in, size_t n, const char *want)
{
	char *got = escaped(in, n);
	assert_string_equal(got, want);
	free(got);
}

static void json_plain_and_utf8_pass(void **st)
{
	(void)st;
	check_escape("Ubuntu 24.04", 12, "\"Ubuntu 24.04\"");
	check_escape("\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14, "\"\xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
}

static void json_quotes_backslash_controls(void **st)
{
	(void)st;
	check_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_escape("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	check_escape("\x1b[2J\x07\x7f", 6, "\"\\u001b[2J\\u0007\\u007f\"");
	/* an embedded NUL is data, not the end */
	check_escape("a\0b", 3, "\"a\\u0000b\"");
}

static void json_invalid_utf8_replaced(void **st)
{
	(void)st;
	/* lone continuation, overlong '/', surrogate, > U+10FFFF, truncated sequence */
	check_escape("\x80", 1, "\"\\ufffd\"");
	check_escape("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	check_escape("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
	check_escape("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	check_escape("ok\xe2\x9c", 4, "\"ok\\ufffd\\ufffd\"");
	/* C1 controls and the JS line separators are escaped, not raw */
	check_escape("\xc2\x9b", 2, "\"\\u009b\"");
	check_escape("\xe2\x80\xa8", 3, "\"\\u2028\"");
}

/* RLO in a name must not reorder a --json line shown in a terminal: the
 * format and bidi controls are escaped (the reader still gets them), their
 * neighbours pass raw. */
static void json_format_and_bidi_controls_escaped(void **st)
{
	(void)st;
	check_escape("a\xe2\x80\xaegpj.exe", 11, "\"a\\u202egpj.exe\"");
	check_escape("\xd8\x9c\xe2\x80\x8b\xe2\x80\x8f\xe2\x81\xa0\xe2\x81\xa9\xef\xbb\xbf", 17,
		     "\"\\u061c\\u200b\\u200f\\u2060\\u2069\\ufeff\"");
	check_escape("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f\xe2\x81\xaa", 15,
		     "\"\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f\xe2\x81\xaa\"");
}

/* Every byte value, in every position: the output is one line, quoted, with
 * only printable ASCII or valid UTF-8 inside. */
static void json_any_bytes_one_line(void **st)
{
	(void)st;
	char in[512];
	for (int i = 0; i < 512; i++)
		in[i] = (char)(i * 7 + 3);
	char *got = escaped(in, sizeof in);
	size_t n = strlen(got);
	assert_true(n >= 2 && got[0] == '"' && got[n - 1] == '"');
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)got[i] >= 0x20 && got[i] != 0x7f);
	free(got);
}

static void json_object_line(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mk_json j;
	mk_json_begin(&j, f);
	mk_json_str(&j, "type", "status");
	mk_json_u64(&j, "n", 18446744073709551615ull);
	mk_json_i64(&j, "neg", -5);
	mk_json_arr_open(&j, "list");
	mk_json_obj_open(&j, NULL);
	mk_json_bool(&j, "ok", true);
	mk_json_null(&j, "x");
	mk_json_obj_close(&j);
	mk_json_obj_open(&j, NULL);
	mk_json_obj_close(&j);
	mk_json_arr_close(&j);
	mk_json_str(&j, "name", "evil\"\n{");
	mk_json_end(&j);
	fclose(f);
	assert_string_equal(buf, "{\"type\":\"status\",\"n\":18446744073709551615,\"neg\":-5,"
				 "\"list\":[{\"ok\":true,\"x\":null},{}],\"name\":\"evil\\\"\\n{\"}\n");
	free(buf);
}

/* A caller that forgets to close still gets one valid line. */
static void json_unclosed_levels_closed(void **st)
{
	(void)st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct mk_json j;
	mk_json_begin(&j, f);
	mk_json_arr_open(&j, "a");
	mk_json_obj_open(&j, NULL);
	mk_json_end(&j);
	fclose(f);
	assert_string_equal(buf, "{\"a\":[{}]}\n");
	free(buf);
}

static struct mk_torrent_set two(void)
{
	struct mk_torrent_set s;
	back_set(&s);
	s.n = 2;
	for (int i = 0; i < 2; i++) {
		s.t[i]->id = (uint32_t)i + 1;
		s.t[i]->have_status = true;
		s.t[i]->state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
		s.t[i]->peers = 2;
		s.t[i]->down_rate = 1024 * 1024;
	}
	s.t[0]->done = 1000;
	s.t[0]->wanted = 1000;
	s.t[0]->complete = true;
	s.t[1]->done = 0;
	s.t[1]->wanted = 3000;
	return s;
}

static void progress_total_sums(void **st)
{
	(void)st;
	struct mk_torrent_set s = two();
	struct mk_progress_total t;
	mk_progress_total(&s, &t);
	assert_int_equal(t.done, 1000);
	assert_int_equal(t.wanted, 4000);
	assert_int_equal(t.progress_ppm, 250000);
	assert_int_equal(t.down_rate, 2 * 1024 * 1024);
	assert_int_equal(t.peers, 4);
	assert_int_equal(t.complete, 1);
	assert_int_equal(t.failed, 0);
}

static void progress_total_line(void **st)
{
	(void)st;
	struct mk_torrent_set s = two();
	char buf[256];
	s.t[1]->failed = true;
	mk_progress_format_total(&s, "proxy down - paused 3s", buf, sizeof buf);
	assert_string_equal(buf, "total  25.0%  down 2.0 MiB/s  up 0 B/s  peers 4  1/2 complete, 1 failed"
				 "  proxy down - paused 3s");
	/* nothing known yet: 0%, no division by zero */
	back_set(&s);
	s.n = 1;
	mk_progress_format_total(&s, NULL, buf, sizeof buf);
	assert_string_equal(buf, "total   0.0%  down 0 B/s  up 0 B/s  peers 0  0/1 complete");
}

static void magnet_btih_forms(void **st)
{
	(void)st;
	char hex[41];
	assert_int_equal(mk_magnet_btih("magnet:?xt=urn:btih:0123456789ABCDEF0123456789abcdef01234567&dn=x", hex), 1);
	assert_string_equal(hex, "0123456789abcdef0123456789abcdef01234567");
	/* base32 of the same 20 bytes */
	assert_int_equal(mk_magnet_btih("magnet:?dn=x&xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH", hex), 1);
	assert_string_equal(hex, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(mk_magnet_btih("magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e", hex), 0);
	assert_int_equal(mk_magnet_btih("magnet:?xt=urn:btih:0123456789abcdef", hex), -1);
	assert_int_equal(mk_magnet_btih("magnet:?xt=urn:btih:!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", hex), -1);
	assert_int_equal(mk_magnet_btih("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef0123456g", hex), -1);
	/* "xt=urn:btih:" inside another parameter's value is not the xt */
	assert_int_equal(mk_magnet_btih("magnet:?dn=axt=urn:btih:1", hex), 0);
}

static void inputs_duplicates_refused(void **st)
{
	(void)st;
	char err[512];
	uint8_t a[] = "d4:infod4:name1:aee", b[] = "d4:infod4:name1:bee";
	struct mk_input in[3];
	memset(in, 0, sizeof in);
	in[0] = (struct mk_input){ .arg = "a.torrent", .bytes = a, .len = sizeof a };
	in[1] = (struct mk_input){ .arg = "b.torrent", .bytes = b, .len = sizeof b };
	in[2] = (struct mk_input){ .arg = "copy-of-a.torrent", .bytes = a, .len = sizeof a };
	assert_int_equal(mk_inputs_check(in, 2, err, sizeof err), 0);
	assert_int_equal(mk_inputs_check(in, 3, err, sizeof err), -1);
	assert_string_equal(err, "copy-of-a.torrent: the same torrent as a.torrent: give each torrent once");
	/* the same info-hash as hex and as base32 */
	const char *m1 = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567";
	const char *m2 = "magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH&dn=other";
	in[1] = (struct mk_input){ .arg = m1, .magnet = m1 };
	in[2] = (struct mk_input){ .arg = m2, .magnet = m2 };
	assert_int_equal(mk_inputs_check(in, 3, err, sizeof err), -1);
	assert_non_null(strstr(err, "the same torrent as magnet:?xt=urn:btih:0123"));
	/* a malformed btih anywhere: refused before anything starts */
	const char *bad = "magnet:?xt=urn:btih:0123\n\x1b[0m";
	in[2] = (struct mk_input){ .arg = bad, .magnet = bad };
	assert_int_equal(mk_inputs_check(in, 3, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a valid magnet link"));
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, 0x1b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_plain_and_utf8_pass),
		cmocka_unit_test(json_quotes_backslash_controls),
		cmocka_unit_test(json_invalid_utf8_replaced),
		cmocka_unit_test(json_format_and_bidi_controls_escaped),
		cmocka_unit_test(json_any_bytes_one_line),
		cmocka_unit_test(json_object_line),
		cmocka_unit_test(json_unclosed_levels_closed),
		cmocka_unit_test(progress_total_sums),
		cmocka_unit_test(progress_total_line),
		cmocka_unit_test(magnet_btih_forms),
		cmocka_unit_test(inputs_duplicates_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
