/*
 * test_dht_scrub.c - broker/dht_scrub.c: the relay takes the client
 * version ("v") out of the engine's DHT messages and leaves everything
 * else byte for byte as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dht_scrub.h"

/* Scrubs a copy of in; returns it NUL-terminated in out. */
static size_t scrub(const char *in, size_t n, char *out)
{
	memcpy(out, in, n);
	size_t r = mk_dht_scrub((uint8_t *)out, n);
	out[r] = '\0';
	return r;
}

#define S(lit) lit, sizeof(lit) - 1

static void test_removes_v(void **state)
{
	(void)state;
	char out[256];
	/* a libtorrent 2.0.8 ping, as the leak test saw it */
	scrub(S("d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:xy1:v4:LT\x02\x08" "1:y1:qe"), out);
	assert_string_equal(out, "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:xy1:y1:qe");
	/* first key, last key, any value type */
	scrub(S("d1:vi42e1:y1:re"), out);
	assert_string_equal(out, "d1:y1:re");
	scrub(S("d1:y1:r1:vl1:a1:bee"), out);
	assert_string_equal(out, "d1:y1:re");
	scrub(S("d1:vd1:vi1eee"), out);
	assert_string_equal(out, "de");
	scrub(S("d1:v1:a1:x1:b1:v1:ce"), out); /* repeated key (malformed): all go */
	assert_string_equal(out, "d1:x1:be");
}

static void test_leaves_the_rest(void **state)
{
	(void)state;
	char out[256];
	static const char *const same[] = {
		"d1:y1:qe",                    /* no v */
		"d1:rd1:v4:LT12e1:y1:re",      /* v nested, not top level */
		"d2:vv1:xe",                   /* a longer key starting with v */
		"d1:v4:LT12",                  /* cut */
		"d1:v4:LT12e1",                /* trailing byte */
		"d1:v5:LT12e",                 /* string longer than what is left */
		"d1:vi12",                     /* int not closed */
		"d1:vie",                      /* empty int */
		"di1e1:ve",                    /* key not a string */
		"l1:v4:LT12e",                 /* a list, not a dict */
		"\x41\x00\x12\x34",            /* uTP-like */
		"d99999999999999999999:v4:LT12e", /* length overflow */
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		size_t n = strlen(same[i]);
		assert_int_equal(scrub(same[i], n, out), n);
		assert_memory_equal(out, same[i], n);
	}
	/* nesting deeper than the limit: left alone */
	char deep[64], in[64];
	size_t n = 0;
	in[n++] = 'd';
	memcpy(in + n, "1:v4:LT12", 9);
	n += 9;
	memcpy(in + n, "1:x", 3);
	n += 3;
	for (int i = 0; i < MK_DHT_SCRUB_DEPTH + 2; i++)
		in[n++] = 'l';
	for (int i = 0; i < MK_DHT_SCRUB_DEPTH + 2; i++)
		in[n++] = 'e';
	in[n++] = 'e';
	assert_int_equal(scrub(in, n, deep), n);
	assert_memory_equal(deep, in, n);
}

/* Random near-bencode: never grows, never reads or writes out of bounds
 * (exact-size heap copies, so ASan sees it), and a second pass finds no
 * "v" left to remove. */
static void test_random(void **state)
{
	(void)state;
	static const char alphabet[] = "dleiv0123456789:-xy";
	srand(11);
	for (int round = 0; round < 100000; round++) {
		size_t n = 1 + (size_t)(rand() % 48);
		uint8_t *b = malloc(n);
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)alphabet[rand() % (sizeof alphabet - 1)];
		b[0] = 'd';
		size_t r = mk_dht_scrub(b, n);
		assert_true(r <= n);
		assert_int_equal(mk_dht_scrub(b, r), r); /* no top-level "v" is left */
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removes_v),
		cmocka_unit_test(test_leaves_the_rest),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
