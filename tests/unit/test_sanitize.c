/*
 * test_sanitize.c - broker/sanitize.c: what a hostile name, path or tracker
 * message may put on the user's terminal. Each format or bidi control of
 * issue 12 item 9 becomes '?', its neighbours on either side of every range
 * pass unchanged, and invalid or overlong encodings are still refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"

/* UTF-8 of cp (< U+10000 here) into buf; returns its length. */
static size_t utf8(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	buf[0] = (char)(0xe0 | cp >> 12);
	buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
	buf[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* "a<cp>b" sanitised: "a?b" when replaced, itself when it passes. */
static void check_cp(uint32_t cp, int replaced)
{
	char in[8], out[16];
	size_t n = 0;
	in[n++] = 'a';
	n += utf8(cp, in + n);
	in[n++] = 'b';
	size_t r = mk_sanitize(in, n, out, sizeof out);
	if (replaced) {
		if (strcmp(out, "a?b") != 0)
			fail_msg("U+%04X should be replaced, got \"%s\"", (unsigned)cp, out);
	} else if (r != n || memcmp(out, in, n) != 0) {
		fail_msg("U+%04X should pass unchanged", (unsigned)cp);
	}
	assert_int_equal(mk_is_format_control(cp), replaced);
}

static void check_range(uint32_t first, uint32_t last)
{
	check_cp(first - 1, 0);
	for (uint32_t cp = first; cp <= last; cp++)
		check_cp(cp, 1);
	check_cp(last + 1, 0);
}

static void format_and_bidi_controls_replaced_neighbours_pass(void **st)
{
	(void)st;
	check_range(0x061c, 0x061c); /* ARABIC LETTER MARK; U+061B, U+061D pass */
	check_range(0x200b, 0x200f); /* U+200A passes, U+2010 passes */
	check_range(0x2028, 0x202e); /* U+2027 passes, U+202F passes */
	check_range(0x2060, 0x2069); /* U+205F passes, U+206A passes */
	check_range(0xfeff, 0xfeff); /* U+FEFE, U+FF00 pass */
}

/* The reviewer's tracker error: RLO makes "gpj.exe" read "exe.jpg". */
static void rlo_cannot_disguise_an_extension(void **st)
{
	(void)st;
	char out[64];
	static const char name[] = "invoice\xe2\x80\xaegpj.exe";
	mk_sanitize(name, sizeof name - 1, out, sizeof out);
	assert_string_equal(out, "invoice?gpj.exe");
	assert_null(strstr(out, "\xe2\x80\xae"));
	/* LRI ... PDI around a name, a BOM in front, ZWSP inside */
	static const char iso[] = "\xef\xbb\xbf\xe2\x81\xa6x\xe2\x80\x8by\xe2\x81\xa9";
	mk_sanitize(iso, sizeof iso - 1, out, sizeof out);
	assert_string_equal(out, "??x?y?");
}

/* A replaced character takes one output byte; a buffer too small for the
 * next one still ends on a whole character. */
static void replaced_controls_and_truncation(void **st)
{
	(void)st;
	char out[4];
	static const char in[] = "ab\xe2\x80\xae\xc3\xa9";
	assert_int_equal(mk_sanitize(in, sizeof in - 1, out, sizeof out), 3);
	assert_string_equal(out, "ab?");
	char big[8];
	assert_int_equal(mk_sanitize(in, sizeof in - 1, big, sizeof big), 5);
	assert_string_equal(big, "ab?\xc3\xa9");
}

/* As before: every byte of an invalid sequence becomes '?'. */
static void invalid_and_overlong_still_refused(void **st)
{
	(void)st;
	char out[32];
	/* U+202E overlong in 4 bytes; '/' overlong in 2; a surrogate; > U+10FFFF;
	 * a cut U+202E; CSI as C1; ESC */
	static const struct { const char *in; size_t n; const char *want; } cases[] = {
		{ "\xf0\x82\x80\xae", 4, "????" },
		{ "\xc0\xaf", 2, "??" },
		{ "\xed\xa0\x80", 3, "???" },
		{ "\xf4\x90\x80\x80", 4, "????" },
		{ "x\xe2\x80", 3, "x??" },
		{ "\xc2\x9b" "2J", 4, "??2J" },
		{ "\x1b[31m", 5, "?[31m" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mk_sanitize(cases[i].in, cases[i].n, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
}

static void ordinary_text_unchanged(void **st)
{
	(void)st;
	char out[64];
	static const char in[] = "Ubuntu 24.04 \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a "
				 "\xf0\x9f\x98\x80";
	assert_int_equal(mk_sanitize(in, sizeof in - 1, out, sizeof out), sizeof in - 1);
	assert_string_equal(out, in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_and_bidi_controls_replaced_neighbours_pass),
		cmocka_unit_test(rlo_cannot_disguise_an_extension),
		cmocka_unit_test(replaced_controls_and_truncation),
		cmocka_unit_test(invalid_and_overlong_still_refused),
		cmocka_unit_test(ordinary_text_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
