/*
 * test_dest_policy.c - relay/dest_policy.c: where a hostile engine may ask
 * the relay to go. Every refused range is tried just inside (first and last
 * address) and just outside (the addresses before and after), as IPv4 and,
 * for IPv4 rows, as IPv4-mapped and NAT64 IPv6; hand-picked global
 * addresses pass; the proxy's own address never passes; names that are IP
 * literals in disguise or local-only are refused, tracker-like names pass;
 * allow_private_destinations lifts the ranges but not the proxy row.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dest_policy.h"

static struct mk_dest_policy strict, lax;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(mk_dest_policy_init(&strict, "203.0.113.9", false), 0);
	assert_int_equal(mk_dest_policy_init(&lax, "203.0.113.9", true), 0);
	return 0;
}

static const char *v4(const struct mk_dest_policy *p, const char *s)
{
	uint8_t b[4];
	assert_int_equal(inet_pton(AF_INET, s, b), 1);
	return mk_dest_check_ip(p, b, false);
}

static const char *v6(const struct mk_dest_policy *p, const char *s)
{
	uint8_t b[16];
	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return mk_dest_check_ip(p, b, true);
}

/* ip += delta (+1 or -1) over len bytes, big-endian; false on wrap-around. */
static bool step(uint8_t *ip, size_t len, int delta)
{
	for (size_t i = len; i-- > 0;) {
		int v = ip[i] + delta;
		ip[i] = (uint8_t)v;
		if (v >= 0 && v <= 255)
			return true;
	}
	return false;
}

/* first/last address of a row's range */
static void bounds(const struct mk_dest_range *r, uint8_t first[16], uint8_t last[16])
{
	size_t len = r->is_v6 ? 16 : 4;
	memcpy(first, r->prefix, 16);
	memcpy(last, r->prefix, 16);
	for (size_t bit = r->len; bit < len * 8; bit++) {
		first[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		last[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	}
}

/* as seen through the IPv6 forms that reach an IPv4 address */
static const char *as_v6_forms(const uint8_t v4addr[4], int form)
{
	uint8_t b[16] = { 0 };
	if (form == 0) {
		b[10] = b[11] = 0xff; /* ::ffff:a.b.c.d */
	} else {
		b[1] = 0x64; /* 64:ff9b::a.b.c.d */
		b[2] = 0xff;
		b[3] = 0x9b;
	}
	memcpy(b + 12, v4addr, 4);
	return mk_dest_check_ip(&strict, b, true);
}

static void check_inside(const struct mk_dest_range *r, const uint8_t *ip)
{
	const char *why = mk_dest_check_ip(&strict, ip, r->is_v6);
	assert_non_null(why);
	assert_null(mk_dest_check_ip(&lax, ip, r->is_v6)); /* lifted */
	if (!r->is_v6) {
		assert_non_null(as_v6_forms(ip, 0));
		assert_non_null(as_v6_forms(ip, 1));
	}
}

/* Just outside a row: not refused for that row's reason. */
static void check_outside(const struct mk_dest_range *r, const uint8_t *ip)
{
	const char *why = mk_dest_check_ip(&strict, ip, r->is_v6);
	assert_true(why == NULL || why != r->why);
	if (why == NULL && !r->is_v6) {
		assert_null(as_v6_forms(ip, 0));
		assert_null(as_v6_forms(ip, 1));
	}
}

static void test_every_range_row_inside_and_just_outside(void **state)
{
	(void)state;
	assert_true(mk_dest_range_count() >= 18);
	for (size_t i = 0; i < mk_dest_range_count(); i++) {
		const struct mk_dest_range *r = mk_dest_range_at(i);
		size_t len = r->is_v6 ? 16 : 4;
		uint8_t first[16], last[16];
		bounds(r, first, last);
		/* the row is reachable: a narrower earlier row may own one end (::) */
		const char *a = mk_dest_check_ip(&strict, first, r->is_v6);
		const char *b = mk_dest_check_ip(&strict, last, r->is_v6);
		assert_true((a && strcmp(a, r->why) == 0) || (b && strcmp(b, r->why) == 0));
		check_inside(r, first);
		check_inside(r, last);
		if (step(first, len, -1))
			check_outside(r, first);
		if (step(last, len, +1))
			check_outside(r, last);
	}
	assert_null(mk_dest_range_at(mk_dest_range_count()));
}

/* The neighbours of each range, written out by hand (not from the table). */
static void test_hand_written_edges(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0",
		"100.127.255.255", "127.0.0.1", "127.255.255.255", "169.254.0.0", "169.254.255.255",
		"172.16.0.0", "172.31.255.255", "192.0.0.0", "192.0.0.255", "192.168.0.0",
		"192.168.255.255", "198.18.0.0", "198.19.255.255", "224.0.0.0", "239.255.255.250",
		"240.0.0.0", "255.255.255.254", "255.255.255.255",
	};
	static const char *const allowed[] = {
		"1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255",
		"172.32.0.0", "191.255.255.255", "192.0.1.0", "192.167.255.255", "192.169.0.0",
		"198.17.255.255", "198.20.0.0", "223.255.255.255", "198.51.100.7", "8.8.8.8",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_non_null(v4(&strict, refused[i]));
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		assert_null(v4(&strict, allowed[i]));
	static const char *const refused6[] = {
		"::", "::1", "::127.0.0.1", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fe80::1", "febf:ffff::1", "ff02::c", "ffff::", "::ffff:127.0.0.53", "::ffff:192.168.1.1",
		"64:ff9b::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b:1::1",
	};
	static const char *const allowed6[] = {
		"2001:4860:4860::8888", "fbff:ffff::1", "fe00::", "fec0::", "feff::",
		"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2a00:1450::1", "1::",
	};
	for (size_t i = 0; i < sizeof refused6 / sizeof refused6[0]; i++)
		assert_non_null(v6(&strict, refused6[i]));
	for (size_t i = 0; i < sizeof allowed6 / sizeof allowed6[0]; i++)
		assert_null(v6(&strict, allowed6[i]));
}

static void test_the_proxy_itself_is_never_a_destination(void **state)
{
	(void)state;
	assert_string_equal(v4(&strict, "203.0.113.9"), "the proxy's own address");
	assert_string_equal(v4(&lax, "203.0.113.9"), "the proxy's own address");
	assert_non_null(v6(&lax, "::ffff:203.0.113.9"));
	assert_non_null(v6(&lax, "64:ff9b::203.0.113.9"));
	assert_null(v4(&strict, "203.0.113.10"));
	struct mk_dest_policy p6;
	assert_int_equal(mk_dest_policy_init(&p6, "2001:db8::5", true), 0);
	assert_non_null(v6(&p6, "2001:db8::5"));
	assert_null(v6(&p6, "2001:db8::6"));
	assert_int_equal(mk_dest_policy_init(&p6, "proxy.example", false), -1);
	assert_int_equal(mk_dest_policy_init(&p6, NULL, false), 0);
	assert_null(v4(&p6, "203.0.113.9"));
}

static void test_names_that_are_addresses_in_disguise(void **state)
{
	(void)state;
	static const char *const disguised[] = {
		"127.1", "0x7f.1", "0x7f000001", "2130706433", "017700000001", "0177.0.0.1",
		"127.0.0.1.", "1.2.3.4.5", "example.123", "[::1]", "::1", "[::ffff:127.0.0.1]",
		"[fe80::1%eth0]", "a:b", "LOCALHOST", "Localhost.", "10.1.2.3", "192.168.1.1",
		"0.0.0.0", "203.0.113.9", "8.8.8.08",
	};
	for (size_t i = 0; i < sizeof disguised / sizeof disguised[0]; i++) {
		const char *why = mk_dest_check_name(&strict, disguised[i]);
		if (why == NULL)
			fail_msg("name '%s' passed", disguised[i]);
	}
	/* literal forms of allowed addresses pass as such */
	assert_null(mk_dest_check_name(&strict, "8.8.8.8"));
	assert_null(mk_dest_check_name(&strict, "[2001:4860::8888]"));
	/* disguise stays refused even when private destinations are allowed */
	assert_non_null(mk_dest_check_name(&lax, "127.1"));
	assert_non_null(mk_dest_check_name(&lax, "2130706433"));
	assert_non_null(mk_dest_check_name(&lax, "203.0.113.9"));
	assert_null(mk_dest_check_name(&lax, "127.0.0.1"));
}

static void test_local_only_names(void **state)
{
	(void)state;
	static const char *const local[] = {
		"localhost", "foo.localhost", "printer.local", "router.lan", "nas.internal",
		"box.home.arpa", "nas.home", "wiki.corp", "git.intranet", "x.private", "router",
		"localhost.localdomain", "1.0.0.127.in-addr.arpa", "fritz.box.lan",
	};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
		if (mk_dest_check_name(&strict, local[i]) == NULL)
			fail_msg("local name '%s' passed", local[i]);
		assert_null(mk_dest_check_name(&lax, local[i])); /* lifted */
	}
	static const char *const bad[] = { "a..b", ".a.b", "a b.com", "a\x1b.com", "a/b.com", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_non_null(mk_dest_check_name(&lax, bad[i]));
}

static void test_tracker_names_still_work(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"tracker.opentrackr.org", "open.demonii.com", "TRACKER.Example.COM",
		"tracker.example.com.", "udp-tracker_1.example.net", "xyz.onion", "localhost.example.com",
		"a.local.example.org", "1.2.3.example", "0x7f.example.com",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		const char *why = mk_dest_check_name(&strict, ok[i]);
		if (why != NULL)
			fail_msg("name '%s' refused: %s", ok[i], why);
	}
}

static void test_one_predicate_for_ips_and_names(void **state)
{
	(void)state;
	uint8_t lan[4] = { 192, 168, 1, 1 }, pub[4] = { 8, 8, 4, 4 };
	assert_non_null(mk_dest_check(&strict, 1, lan, NULL));
	assert_null(mk_dest_check(&strict, 1, pub, NULL));
	assert_non_null(mk_dest_check(&strict, 4, (const uint8_t *)"\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\1",
				      NULL));
	assert_non_null(mk_dest_check(&strict, 3, NULL, "localhost"));
	assert_non_null(mk_dest_check(&strict, 3, NULL, "192.168.1.1")); /* how libtorrent sends udp://IP */
	assert_null(mk_dest_check(&strict, 3, NULL, "tracker.example.org"));
	assert_null(mk_dest_check(&lax, 3, NULL, "localhost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_range_row_inside_and_just_outside),
		cmocka_unit_test(test_hand_written_edges),
		cmocka_unit_test(test_the_proxy_itself_is_never_a_destination),
		cmocka_unit_test(test_names_that_are_addresses_in_disguise),
		cmocka_unit_test(test_local_only_names),
		cmocka_unit_test(test_tracker_names_still_work),
		cmocka_unit_test(test_one_predicate_for_ips_and_names),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
