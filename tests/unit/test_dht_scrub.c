/*
 * test_dht_scrub.c - relay/dht_scrub.c: the relay takes the client
 * version ("v") out of the engine's DHT messages, drops DHT messages that
 * are not canonical bencode (where a lenient DHT node could still read a
 * "v" the scrubber did not see), and leaves everything else (uTP, UDP
 * tracker packets) byte for byte as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dht_scrub.h"

/* Scrubs a copy of in into out (NUL-terminated); returns the verdict and
 * the new length in *n. */
static enum mk_dht_verdict scrub(const char *in, size_t len, char *out, size_t *n)
{
	memcpy(out, in, len);
	*n = len;
	enum mk_dht_verdict v = mk_dht_scrub((uint8_t *)out, n);
	out[*n] = '\0';
	return v;
}

#define S(lit) lit, sizeof(lit) - 1

static void check_clean(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n;
	assert_int_equal(scrub(in, len, out, &n), MK_DHT_CLEAN);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void test_removes_v(void **state)
{
	(void)state;
	/* a libtorrent 2.0.8 ping, as the leak test saw it */
	check_clean(S("d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:xy1:v4:LT\x02\x08" "1:y1:qe"),
		    "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:xy1:y1:qe");
	/* first key, last key, any value type */
	check_clean(S("d1:vi42e1:y1:re"), "d1:y1:re");
	check_clean(S("d1:r1:y1:vl1:a1:bee"), "d1:r1:ye");
	check_clean(S("d1:vd1:vi1eee"), "de");
	check_clean(S("d1:vi-7e1:y1:re"), "d1:y1:re");
}

static void test_canonical_without_v_unchanged(void **state)
{
	(void)state;
	static const char *const same[] = {
		"d1:y1:qe",                    /* no v */
		"d1:rd1:v4:LT12e1:y1:re",      /* v nested, not top level */
		"d2:vv1:xe",                   /* a longer key starting with v */
		"d1:a0:1:bi0e1:ci-1e1:dlee",   /* empty string, 0, -1, empty list */
		"de",
		"d1:ai1e2:aai2ee",             /* a prefix sorts first */
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
		check_clean(same[i], strlen(same[i]), same[i]);
}

/* "d" + "1:v4:LT12" + "1:x" + depth lists: a v next to too deep a nesting. */
static size_t too_deep(char *in)
{
	size_t n = 0;
	in[n++] = 'd';
	memcpy(in + n, "1:v4:LT12", 9);
	n += 9;
	memcpy(in + n, "1:x", 3);
	n += 3;
	for (int i = 0; i < MK_DHT_SCRUB_DEPTH + 1; i++)
		in[n++] = 'l';
	for (int i = 0; i < MK_DHT_SCRUB_DEPTH + 1; i++)
		in[n++] = 'e';
	in[n++] = 'e';
	return n;
}

/* Non-canonical bencode with a "v" a lenient DHT node would read. The
 * shapes issue 12 (item 12) named - a leading-zero length, trailing bytes,
 * two dictionaries, truncation, and (below) nesting deeper than 16 - and
 * the malformed ones after them went out with that "v" on main (checked
 * against main's dht_scrub.c); the other forms had it removed there, but
 * are not canonical either. */
static void test_noncanonical_dht_with_v_is_dropped(void **state)
{
	(void)state;
	static const struct { const char *in; const char *why; } bad[] = {
		{ "d01:v4:LT121:y1:qe", "leading zero in a key's length" },
		{ "d1:v4:LT121:y1:qex", "a byte after the dictionary" },
		{ "d1:v4:LT121:y1:qed1:y1:qe", "two dictionaries" },
		{ "d1:y1:qed1:v4:LT12e", "two dictionaries, v in the second" },
		{ "d1:v4:LT121:y1:q", "truncated: no end" },
		{ "d1:v4:LT121:y1:", "truncated inside a value" },
		{ "d1:v5:LT12e", "string longer than what is left" },
		{ "d1:vi-e1:y1:qe", "no digits" },
		{ "d1:vie", "empty integer" },
		{ "d1:vi12", "integer not closed" },
		{ "di1e1:ve", "key not a string" },
		{ "d99999999999999999999:v4:LT12e", "length overflow" },
		{ "d1:v4:LT121:xxe", "garbage value" },
		/* removed on main too, but not canonical */
		{ "d1:v04:LT121:y1:qe", "leading zero in a value's length" },
		{ "d1:vi012e1:y1:qe", "leading zero in an integer" },
		{ "d1:vi-0e1:y1:qe", "minus zero" },
		{ "d1:y1:q1:v4:LT12e", "keys not sorted" },
		{ "d1:v4:LT121:v4:LT12e", "key repeated" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[256];
		size_t n;
		if (scrub(bad[i].in, strlen(bad[i].in), out, &n) != MK_DHT_DROP)
			fail_msg("not dropped: %s (\"%s\")", bad[i].why, bad[i].in);
	}
	char in[128], out[128];
	size_t n, len = too_deep(in);
	assert_int_equal(scrub(in, len, out, &n), MK_DHT_DROP); /* nesting deeper than 16 */
}

/* One level less than too deep is still canonical: cleaned. */
static void test_deepest_allowed_nesting_cleaned(void **state)
{
	(void)state;
	char in[128], out[128], want[128];
	size_t len = too_deep(in), n;
	memmove(in + 13, in + 14, len - 14); /* one 'l' less ... */
	len--;
	memmove(in + len - 2, in + len - 1, 1); /* ... and one 'e' less */
	len--;
	assert_int_equal(scrub(in, len, out, &n), MK_DHT_CLEAN);
	want[0] = 'd';
	memcpy(want + 1, in + 10, len - 10);
	assert_int_equal(n, len - 9);
	assert_memory_equal(out, want, n);
}

/* uTP, UDP tracker connect, announce and scrape - even with a connection
 * id that starts with 'd' - are not DHT messages: untouched. */
static void test_other_udp_untouched(void **state)
{
	(void)state;
	uint8_t announce[98] = { 'd', '1', ':', 'v', 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1 };
	uint8_t scrape[36] = { 'd', 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	uint8_t connect[16] = { 0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0 };
	uint8_t utp[20] = { 0x41, 0x00, 0x12, 0x34 };
	static const char list[] = "l1:v4:LT12e";
	struct { uint8_t *b; size_t n; } other[] = {
		{ announce, sizeof announce }, { scrape, sizeof scrape }, { connect, sizeof connect },
		{ utp, sizeof utp }, { (uint8_t *)list, sizeof list - 1 },
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		uint8_t copy[128];
		size_t n = other[i].n;
		memcpy(copy, other[i].b, n);
		assert_int_equal(mk_dht_scrub(copy, &n), MK_DHT_OTHER);
		assert_int_equal(n, other[i].n);
		assert_memory_equal(copy, other[i].b, n);
	}
	/* an announce cut short is no tracker request: dropped */
	size_t n = 97;
	assert_int_equal(mk_dht_scrub(announce, &n), MK_DHT_DROP);
}

/* Random near-bencode: never grows, never reads or writes out of bounds
 * (exact-size heap copies, so ASan sees it); what is forwarded after
 * cleaning is canonical, and a second pass finds no "v" left to remove. */
static void test_random(void **state)
{
	(void)state;
	static const char alphabet[] = "dleiv0123456789:-xy";
	srand(11);
	int clean = 0;
	for (int round = 0; round < 200000; round++) {
		size_t n = 1 + (size_t)(rand() % 48), r = n;
		uint8_t *b = malloc(n);
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)alphabet[rand() % (sizeof alphabet - 1)];
		b[0] = 'd';
		enum mk_dht_verdict v = mk_dht_scrub(b, &r);
		assert_true(r <= n);
		if (v == MK_DHT_CLEAN) {
			clean++;
			size_t again = r;
			assert_true(mk_dht_canonical(b, r));
			assert_int_equal(mk_dht_scrub(b, &again), MK_DHT_CLEAN);
			assert_int_equal(again, r); /* no top-level "v" is left */
		} else {
			assert_int_equal(v, MK_DHT_DROP);
			assert_int_equal(r, n);
		}
		free(b);
	}
	assert_true(clean > 0); /* the generator does reach the cleaning path */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removes_v),
		cmocka_unit_test(test_canonical_without_v_unchanged),
		cmocka_unit_test(test_noncanonical_dht_with_v_is_dropped),
		cmocka_unit_test(test_deepest_allowed_nesting_cleaned),
		cmocka_unit_test(test_other_udp_untouched),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
