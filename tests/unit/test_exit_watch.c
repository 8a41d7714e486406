/*
 * test_exit_watch.c - the exit the swarm sees, judged: what a user may write
 * in [killswitch] expected_exit, and what peers (strangers, relayed by a
 * hostile engine) can and cannot make Meerko believe about its exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "engine_msg.h"
#include "exit_watch.h"

/* ---- helpers ---- */

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

static struct mk_exit_watch w;

static void watch(const char *expected)
{
	struct mk_cidr rules[MK_EXIT_MAX_RULES];
	size_t n = 0;
	char err[160];
	assert_int_equal(mk_exit_parse_expected(expected, rules, MK_EXIT_MAX_RULES, &n, err, sizeof err), 0);
	mk_exit_watch_init(&w, rules, n);
}

/* peer `id` says the swarm sees us at `ip` (a literal; sent as 4 or 16 bytes) */
static int says(uint64_t id, const char *ip)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, ip, b) == 1)
		return mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, id, b, 4);
	assert_int_equal(inet_pton(AF_INET6, ip, b), 1);
	return mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, id, b, 16);
}

static enum mk_exit_verdict verdict(char *seen, size_t len)
{
	struct mk_exit_view v;
	enum mk_exit_verdict r = mk_exit_judge(&w, &v);
	if (seen)
		mk_exit_view_str(&v, seen, len);
	return r;
}

static bool matches(const char *rule, const char *ip)
{
	struct mk_cidr c;
	struct mk_ip a;
	size_t n;
	char err[160];
	assert_int_equal(mk_exit_parse_expected(rule, &c, 1, &n, err, sizeof err), 0);
	assert_int_equal(mk_ip_parse(ip, &a), 0);
	return mk_cidr_match(&c, &a);
}

/* ---- expected_exit as a user writes it ---- */

static void expected_exit_takes_addresses_and_ranges_of_both_families(void **st)
{
	(void)st;
	struct mk_cidr r[MK_EXIT_MAX_RULES];
	size_t n;
	char err[160];
	assert_int_equal(mk_exit_parse_expected("203.0.113.7, 198.51.100.0/24,2001:db8::/32 ,::ffff:10.0.0.0/104",
						r, MK_EXIT_MAX_RULES, &n, err, sizeof err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].prefix, 32);
	assert_int_equal(r[1].prefix, 24);
	assert_int_equal(r[2].ip.fam, 6);
	assert_int_equal(r[3].ip.fam, 4); /* a v4-mapped range is an IPv4 range */
	assert_int_equal(r[3].prefix, 8);
	assert_int_equal(mk_exit_parse_expected("", r, MK_EXIT_MAX_RULES, &n, err, sizeof err), 0);
	assert_int_equal(n, 0);
}

static void expected_exit_refuses_names_bad_prefixes_and_stray_commas(void **st)
{
	(void)st;
	static const char *const bad[] = {
		"vpn.example.com", "203.0.113.7/33", "2001:db8::/129", "203.0.113.7/", "203.0.113.7/-1",
		"203.0.113.7,", "203.0.113.7,,198.51.100.1", "203.0.113", "203.0.113.7/24x", "::ffff:0:0/90",
		"1.2.3.4 5.6.7.8",
	};
	struct mk_cidr r[MK_EXIT_MAX_RULES];
	size_t n;
	char err[160];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (mk_exit_parse_expected(bad[i], r, MK_EXIT_MAX_RULES, &n, err, sizeof err) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	char many[512] = "";
	for (int i = 0; i <= MK_EXIT_MAX_RULES; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
	assert_int_equal(mk_exit_parse_expected(many, r, MK_EXIT_MAX_RULES, &n, err, sizeof err), -1);
}

static void ranges_match_their_family_only(void **st)
{
	(void)st;
	assert_true(matches("198.51.100.0/24", "198.51.100.255"));
	assert_false(matches("198.51.100.0/24", "198.51.101.0"));
	assert_true(matches("198.51.100.77/24", "198.51.100.1")); /* host bits in the rule ignored */
	assert_true(matches("0.0.0.0/0", "8.8.8.8"));
	assert_false(matches("0.0.0.0/0", "2001:db8::1"));
	assert_true(matches("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(matches("2001:db8::/32", "2001:db9::1"));
	assert_false(matches("::/0", "203.0.113.7"));
	assert_true(matches("203.0.113.7", "::ffff:203.0.113.7")); /* mapped = IPv4 */
}

/* ---- what the swarm says ---- */

static void one_peer_alone_cannot_trigger_however_often_it_says_so(void **st)
{
	(void)st;
	watch("203.0.113.7");
	for (int i = 0; i < 10; i++)
		assert_int_equal(says(1, "192.0.2.66"), 0);
	assert_int_equal(verdict(NULL, 0), MK_EXITV_UNKNOWN);
	assert_int_equal(says(2, "192.0.2.66"), 0);
	char seen[96];
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_WRONG);
	assert_string_equal(seen, "192.0.2.66 (2 peers)");
}

static void a_single_lying_peer_among_honest_ones_is_ignored(void **st)
{
	(void)st;
	char seen[96];
	watch("203.0.113.0/24");
	says(1, "203.0.113.7");
	says(2, "203.0.113.7");
	says(3, "198.51.100.9"); /* the liar */
	says(4, "203.0.113.7");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_RIGHT);
	assert_string_equal(seen, "203.0.113.7 (3 peers)");
}

static void one_peer_cannot_clear_a_wrong_exit_after_the_swarm_is_forgotten(void **st)
{
	(void)st;
	watch("203.0.113.7");
	says(1, "192.0.2.66");
	says(2, "192.0.2.66");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_WRONG);
	mk_exit_watch_forget(&w); /* a probe: only new words count */
	says(3, "203.0.113.7");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_UNKNOWN); /* not RIGHT: no resume */
	says(4, "203.0.113.7");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
}

static void each_peer_counts_with_its_latest_word_only(void **st)
{
	(void)st;
	watch("203.0.113.7");
	says(1, "192.0.2.66");
	says(2, "192.0.2.66");
	says(1, "203.0.113.7");
	says(2, "203.0.113.7"); /* both changed their minds */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
}

static void ipv4_mapped_ipv6_is_the_same_exit_as_ipv4(void **st)
{
	(void)st;
	char seen[96];
	watch("203.0.113.7");
	says(1, "203.0.113.7");
	says(2, "::ffff:203.0.113.7");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_RIGHT);
	assert_string_equal(seen, "203.0.113.7 (2 peers)");
}

static void this_machines_own_address_is_always_wrong(void **st)
{
	(void)st;
	struct mk_ip own[3];
	char seen[96];
	mk_ip_parse("127.0.0.1", &own[0]);
	mk_ip_parse("192.0.2.5", &own[1]);
	mk_ip_parse("2001:db8:1::5", &own[2]);
	watch(""); /* no expected exit at all */
	mk_exit_watch_set_own(&w, own, 3);
	assert_int_equal(w.n_own, 2); /* loopback means nothing as an exit */
	says(1, "2001:db8:1::5");
	says(2, "2001:db8:1::5");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_OWN);
	assert_string_equal(seen, "2001:db8:1::5 (2 peers)");
	/* also when it is inside expected_exit, and when others see the proxy */
	watch("192.0.2.0/24");
	mk_exit_watch_set_own(&w, own, 3);
	says(1, "192.0.2.9");
	says(2, "192.0.2.9");
	says(3, "192.0.2.5");
	says(4, "::ffff:192.0.2.5");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_OWN);
	assert_string_equal(seen, "192.0.2.5 (2 peers)");
}

static void without_expected_exit_a_change_from_the_first_is_reported(void **st)
{
	(void)st;
	char seen[96];
	watch("");
	says(1, "203.0.113.7");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_UNKNOWN);
	says(2, "203.0.113.7");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_RIGHT); /* the first exit of the run */
	says(3, "198.51.100.9");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT); /* one new peer: no change */
	says(4, "198.51.100.9");
	struct mk_exit_view v;
	assert_int_equal(mk_exit_judge(&w, &v), MK_EXITV_CHANGED);
	mk_exit_view_str(&v, seen, sizeof seen);
	assert_string_equal(seen, "198.51.100.9 (2 peers)");
	mk_exit_watch_accept(&w, &v); /* warn: the new one is the reference */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
	says(5, "203.0.113.7"); /* one peer alone cannot flip it back */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
	says(6, "203.0.113.7"); /* two new words: the old view is confirmed again, last */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_CHANGED);
}

static void malformed_words_are_refused_and_the_table_stays_bounded(void **st)
{
	(void)st;
	uint8_t b[17] = { 203, 0, 113, 7 };
	watch("203.0.113.7");
	assert_int_equal(mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, 1, b, 5), -1);
	assert_int_equal(mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, 1, b, 0), -1);
	assert_int_equal(mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, 1, b, 17), -1);
	assert_int_equal(mk_exit_watch_note(&w, 9, 1, b, 4), -1);
	assert_int_equal(w.n_src, 0);
	for (uint64_t id = 0; id < 3 * MK_EXIT_MAX_SOURCES; id++)
		assert_int_equal(says(id, "192.0.2.66"), 0);
	assert_int_equal(w.n_src, MK_EXIT_MAX_SOURCES);
	/* past the cap the oldest words go: memory stays bounded */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_WRONG);
}

static void a_tracker_and_a_peer_are_two_sources(void **st)
{
	(void)st;
	uint8_t b[4] = { 203, 0, 113, 7 };
	char seen[96];
	watch("203.0.113.7");
	assert_int_equal(mk_exit_watch_note(&w, MK_EXIT_SRC_TRACKER, 1, b, 4), 0);
	assert_int_equal(mk_exit_watch_note(&w, MK_EXIT_SRC_PEER, 1, b, 4), 0); /* same id, other kind */
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_RIGHT);
	assert_string_equal(seen, "203.0.113.7 (tracker + 1 peer)");
}

static void addresses_that_mean_nothing_as_an_exit(void **st)
{
	(void)st;
	static const char *const nothing[] = { "127.0.0.3", "0.0.0.0", "169.254.1.1", "224.0.0.1", "::1", "::",
					       "fe80::1", "ff02::1", "::ffff:127.0.0.1" };
	static const char *const something[] = { "10.0.0.1", "192.168.1.5", "203.0.113.7", "2001:db8::1", "fd00::1" };
	struct mk_ip a;
	for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
		assert_int_equal(mk_ip_parse(nothing[i], &a), 0);
		if (!mk_ip_meaningless(&a))
			fail_msg("%s taken as an exit", nothing[i]);
	}
	for (size_t i = 0; i < sizeof something / sizeof something[0]; i++) {
		assert_int_equal(mk_ip_parse(something[i], &a), 0);
		if (mk_ip_meaningless(&a))
			fail_msg("%s ignored", something[i]);
	}
}

static void an_exit_in_any_of_several_ranges_is_right_and_one_outside_is_named(void **st)
{
	(void)st;
	char seen[96];
	watch("203.0.113.7, 198.51.100.0/24, 2001:db8::/32");
	says(1, "198.51.100.20"); /* the second range */
	says(2, "::ffff:198.51.100.20");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_RIGHT);
	assert_string_equal(seen, "198.51.100.20 (2 peers)");
	says(3, "2001:db8:5::1"); /* the third, IPv6 */
	says(4, "2001:db8:5::1");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
	says(5, "2001:db9::1"); /* outside every range, while others see a right one */
	says(6, "2001:db9::1");
	assert_int_equal(verdict(seen, sizeof seen), MK_EXITV_WRONG);
	assert_string_equal(seen, "2001:db9::1 (2 peers)");
}

static void after_a_probe_forgets_the_same_peers_saying_the_old_exit_again_is_right(void **st)
{
	(void)st;
	struct mk_ip own;
	mk_ip_parse("10.77.1.1", &own);
	watch("10.77.2.1");
	mk_exit_watch_set_own(&w, &own, 1);
	says(1, "10.77.2.1");
	says(2, "10.77.2.1");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
	says(1, "10.77.1.1"); /* the VPN dropped: they reconnect and see this machine */
	says(2, "10.77.1.1");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_OWN);
	mk_exit_watch_forget(&w); /* the probe */
	says(1, "10.77.2.1"); /* the VPN is back: the same two peers, what they said first */
	assert_int_equal(verdict(NULL, 0), MK_EXITV_UNKNOWN);
	says(2, "10.77.2.1");
	assert_int_equal(verdict(NULL, 0), MK_EXITV_RIGHT);
}

/* ---- the engine's ExitReport, checked before anything uses it ---- */

static int check_report(uint32_t id, Meerko__ExitSource src, size_t len, size_t count)
{
	static struct mk_torrent_set set;
	static uint8_t addr[32];
	Meerko__ExitSeen es[MK_MAX_EXIT_SEEN + 1];
	Meerko__ExitSeen *p[MK_MAX_EXIT_SEEN + 1];
	Meerko__ExitReport r = MEERKO__EXIT_REPORT__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	char why[256];
	back_set(&set);
	set.n = 1;
	set.t[0]->id = 1;
	for (size_t i = 0; i < count; i++) {
		meerko__exit_seen__init(&es[i]);
		es[i].torrent_id = id;
		es[i].source = src;
		es[i].address.data = addr;
		es[i].address.len = len;
		p[i] = &es[i];
	}
	r.n_seen = count;
	r.seen = p;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT;
	m.exit_report = &r;
	return mk_engine_msg_check(&set, &m, why, sizeof why);
}

static void a_hostile_engine_cannot_send_malformed_exit_reports(void **st)
{
	(void)st;
	const Meerko__ExitSource peer = MEERKO__EXIT_SOURCE__EXIT_SOURCE_PEER;
	assert_int_equal(check_report(1, peer, 4, 1), 0);
	assert_int_equal(check_report(1, peer, 16, MK_MAX_EXIT_SEEN), 0);
	assert_int_equal(check_report(1, MEERKO__EXIT_SOURCE__EXIT_SOURCE_TRACKER, 4, 1), 0);
	assert_int_equal(check_report(2, peer, 4, 1), -1);  /* a torrent never added */
	assert_int_equal(check_report(1, peer, 5, 1), -1);  /* not an address */
	assert_int_equal(check_report(1, peer, 0, 1), -1);
	assert_int_equal(check_report(1, MEERKO__EXIT_SOURCE__EXIT_SOURCE_UNKNOWN, 4, 1), -1);
	assert_int_equal(check_report(1, (Meerko__ExitSource)7, 4, 1), -1);
	assert_int_equal(check_report(1, peer, 4, MK_MAX_EXIT_SEEN + 1), -1); /* a flood */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(expected_exit_takes_addresses_and_ranges_of_both_families),
		cmocka_unit_test(expected_exit_refuses_names_bad_prefixes_and_stray_commas),
		cmocka_unit_test(ranges_match_their_family_only),
		cmocka_unit_test(one_peer_alone_cannot_trigger_however_often_it_says_so),
		cmocka_unit_test(a_single_lying_peer_among_honest_ones_is_ignored),
		cmocka_unit_test(one_peer_cannot_clear_a_wrong_exit_after_the_swarm_is_forgotten),
		cmocka_unit_test(each_peer_counts_with_its_latest_word_only),
		cmocka_unit_test(ipv4_mapped_ipv6_is_the_same_exit_as_ipv4),
		cmocka_unit_test(this_machines_own_address_is_always_wrong),
		cmocka_unit_test(without_expected_exit_a_change_from_the_first_is_reported),
		cmocka_unit_test(malformed_words_are_refused_and_the_table_stays_bounded),
		cmocka_unit_test(a_tracker_and_a_peer_are_two_sources),
		cmocka_unit_test(addresses_that_mean_nothing_as_an_exit),
		cmocka_unit_test(an_exit_in_any_of_several_ranges_is_right_and_one_outside_is_named),
		cmocka_unit_test(after_a_probe_forgets_the_same_peers_saying_the_old_exit_again_is_right),
		cmocka_unit_test(a_hostile_engine_cannot_send_malformed_exit_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
