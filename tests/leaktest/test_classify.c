/*
 * test_classify.c - meerko-leaktest's frame decoder, flow classifier and
 * flow table on crafted frames (cmocka).
 *
 * Host under test: MAC 02:6d:6b:00:00:02, 10.213.0.2 / fd13:213::2;
 * proxy: 10.213.0.3. Every packet kind the lab can produce is covered:
 * TCP/UDP/ICMP/IGMP over IPv4 and IPv6, DNS in its four forms, ARP,
 * neighbour discovery, MLD behind a hop-by-hop header, 802.1Q, Linux
 * cooked captures (direction and loopback from the link header), raw IP
 * (direction from the host's addresses), fragments and truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/dlt.h>

#include "classify.h"
#include "decode.h"
#include "flows.h"
#include "frames.h"

static struct lt_policy policy(void)
{
	struct lt_policy p;
	memset(&p, 0, sizeof(p));
	lt_addr_parse("10.213.0.3", &p.allowed[p.n_allowed++]);
	lt_addr_parse("10.213.0.2", &p.own[p.n_own++]);
	lt_addr_parse("fd13:213::2", &p.own[p.n_own++]);
	p.have_mac = 1;
	memcpy(p.own_mac, MAC_HOST, 6);
	return p;
}

static enum lt_class classify_spec(const struct frame_spec *s, struct lt_pkt *pkt)
{
	static uint8_t buf[4096];
	size_t n = build_frame(s, buf);
	struct lt_policy pol = policy();
	assert_int_equal(lt_decode(s->sll2 ? DLT_LINUX_SLL2 : DLT_EN10MB, buf, n, n, pkt), 0);
	return lt_classify(&pol, pkt, NULL);
}

static void tcp_to_proxy_is_allowed(void **state)
{
	(void)state;
	struct frame_spec s = { .src = "10.213.0.2", .dst = "10.213.0.3", .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 1080, .payload = "\x05\x01\x00", .plen = 3 };
	struct lt_pkt p;
	assert_int_equal(classify_spec(&s, &p), LT_C_ALLOWED);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 1080);
	assert_int_equal(p.payload_len, 3);
	assert_memory_equal(p.payload, "\x05\x01\x00", 3);
}

static void tcp_elsewhere_is_leak(void **state)
{
	(void)state;
	struct frame_spec s = { .src = "10.213.0.2", .dst = "10.213.0.4", .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 6881, .tcp_flags = LT_TCP_SYN };
	struct lt_pkt p;
	assert_int_equal(classify_spec(&s, &p), LT_C_LEAK);
	assert_true(lt_class_fails(LT_C_LEAK));
}

static void udp_icmp_igmp_elsewhere_are_leaks(void **state)
{
	(void)state;
	struct lt_pkt p;
	struct frame_spec u = { .src = "10.213.0.2", .dst = "10.213.0.4", .proto = IPPROTO_UDP,
				.sport = 6881, .dport = 6881, .payload = "d1:ad2:id20:", .plen = 12 };
	assert_int_equal(classify_spec(&u, &p), LT_C_LEAK);
	struct frame_spec i = { .src = "10.213.0.2", .dst = "8.8.8.8", .proto = IPPROTO_ICMP,
				.sport = 8 };
	assert_int_equal(classify_spec(&i, &p), LT_C_LEAK);
	assert_int_equal(p.icmp_type, 8);
	struct frame_spec g = { .src = "10.213.0.2", .dst = "224.0.0.22", .proto = IPPROTO_IGMP,
				.sport = 0x22 };
	assert_int_equal(classify_spec(&g, &p), LT_C_LEAK);
	/* LSD: multicast UDP is a leak too */
	struct frame_spec l = { .src = "10.213.0.2", .dst = "239.192.152.143", .proto = IPPROTO_UDP,
				.sport = 6771, .dport = 6771, .payload = "BT-SEARCH", .plen = 9 };
	assert_int_equal(classify_spec(&l, &p), LT_C_LEAK);
}

static void ipv6_leak_and_noise(void **state)
{
	(void)state;
	struct lt_pkt p;
	struct frame_spec t = { .src = "fd13:213::2", .dst = "2001:db8::1", .proto = IPPROTO_TCP,
				.sport = 50000, .dport = 443, .tcp_flags = LT_TCP_SYN };
	assert_int_equal(classify_spec(&t, &p), LT_C_LEAK);
	assert_int_equal(p.l3, LT_L3_IPV6);
	struct frame_spec ns = { .src = "fe80::2", .dst = "ff02::1:ff00:3", .proto = IPPROTO_ICMPV6,
				 .sport = 135 };
	assert_int_equal(classify_spec(&ns, &p), LT_C_LINK_NOISE);
	struct frame_spec rs = { .src = "fe80::2", .dst = "ff02::2", .proto = IPPROTO_ICMPV6,
				 .sport = 133 };
	assert_int_equal(classify_spec(&rs, &p), LT_C_LINK_NOISE);
	struct frame_spec mld = { .src = "fe80::2", .dst = "ff02::16", .proto = IPPROTO_ICMPV6,
				  .hop_by_hop = 1, .sport = 143 };
	assert_int_equal(classify_spec(&mld, &p), LT_C_LINK_NOISE);
	assert_int_equal(p.proto, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 143);
	/* an ICMPv6 echo is not noise */
	struct frame_spec echo = { .src = "fd13:213::2", .dst = "fd13:213::4",
				   .proto = IPPROTO_ICMPV6, .sport = 128 };
	assert_int_equal(classify_spec(&echo, &p), LT_C_LEAK);
}

static void dns_in_every_form_is_dns_leak(void **state)
{
	(void)state;
	struct lt_pkt p;
	static const uint8_t q[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a',
				     'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	struct frame_spec d = { .src = "10.213.0.2", .dst = "10.213.0.1", .proto = IPPROTO_UDP,
				.sport = 33333, .dport = 53, .payload = q, .plen = sizeof(q) };
	assert_int_equal(classify_spec(&d, &p), LT_C_DNS);
	/* even to the proxy's address: a DNS query is outside the SOCKS tunnel */
	d.dst = "10.213.0.3";
	assert_int_equal(classify_spec(&d, &p), LT_C_DNS);
	struct frame_spec t = { .src = "10.213.0.2", .dst = "9.9.9.9", .proto = IPPROTO_TCP,
				.sport = 33334, .dport = 853, .tcp_flags = LT_TCP_SYN };
	assert_int_equal(classify_spec(&t, &p), LT_C_DNS);
	struct frame_spec m = { .src = "10.213.0.2", .dst = "224.0.0.251", .proto = IPPROTO_UDP,
				.sport = 5353, .dport = 5353, .payload = q, .plen = sizeof(q) };
	assert_int_equal(classify_spec(&m, &p), LT_C_DNS);
	struct frame_spec l = { .src = "fe80::2", .dst = "ff02::1:3", .proto = IPPROTO_UDP,
				.sport = 40000, .dport = 5355, .payload = q, .plen = sizeof(q) };
	assert_int_equal(classify_spec(&l, &p), LT_C_DNS);
	assert_true(lt_is_dns_port(IPPROTO_TCP, 53));
	assert_false(lt_is_dns_port(IPPROTO_ICMP, 53));
	assert_false(lt_is_dns_port(IPPROTO_UDP, 54));
}

static void arp_is_noise_and_inbound_is_not_a_leak(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t n = build_arp(buf, MAC_HOST);
	struct lt_pkt p;
	struct lt_policy pol = policy();
	assert_int_equal(lt_decode(DLT_EN10MB, buf, n, n, &p), 0);
	assert_int_equal(p.l3, LT_L3_ARP);
	assert_int_equal(lt_classify(&pol, &p, NULL), LT_C_LINK_NOISE);
	/* the seeder's SYN to us: inbound, not ours */
	struct frame_spec s = { .src_mac = MAC_GW, .dst_mac = MAC_HOST, .src = "10.213.0.4",
				.dst = "10.213.0.2", .proto = IPPROTO_TCP, .sport = 6881,
				.dport = 51413, .tcp_flags = LT_TCP_SYN };
	assert_int_equal(classify_spec(&s, &p), LT_C_INBOUND);
	assert_false(lt_class_fails(LT_C_INBOUND));
	/* our RST in answer is a leak (it shows the host exists) */
	struct frame_spec r = { .src = "10.213.0.2", .dst = "10.213.0.4", .proto = IPPROTO_TCP,
				.sport = 51413, .dport = 6881, .tcp_flags = LT_TCP_RST };
	assert_int_equal(classify_spec(&r, &p), LT_C_LEAK);
}

static void vlan_tag_is_skipped(void **state)
{
	(void)state;
	struct frame_spec s = { .vlan = 1, .src = "10.213.0.2", .dst = "10.213.0.9",
				.proto = IPPROTO_UDP, .sport = 1, .dport = 2, .payload = "x", .plen = 1 };
	struct lt_pkt p;
	assert_int_equal(classify_spec(&s, &p), LT_C_LEAK);
	assert_int_equal(p.dport, 2);
}

static void cooked_capture_direction_and_loopback(void **state)
{
	(void)state;
	struct lt_pkt p;
	/* audit on "any": an outgoing packet on eth0 to a non-proxy address */
	struct frame_spec o = { .sll2 = 1, .sll2_pkttype = 4, .src = "192.0.2.10", .dst = "198.51.100.7",
				.proto = IPPROTO_TCP, .sport = 1, .dport = 80 };
	assert_int_equal(classify_spec(&o, &p), LT_C_LEAK);
	assert_int_equal(p.dir, LT_DIR_OUT);
	/* the same packet seen as received is inbound */
	o.sll2_pkttype = 0;
	assert_int_equal(classify_spec(&o, &p), LT_C_INBOUND);
	/* loopback traffic to a local service stays on the host ... */
	struct frame_spec lo = { .sll2 = 1, .sll2_pkttype = 4, .sll2_loopback = 1, .src = "127.0.0.1",
				 .dst = "127.0.0.1", .proto = IPPROTO_TCP, .sport = 5, .dport = 8080 };
	assert_int_equal(classify_spec(&lo, &p), LT_C_LOCAL);
	assert_true(p.loopback);
	/* libpcap's "any" keeps only the incoming copy of a loopback packet:
	 * still sent by this host (a peer on 127.0.0.4 is not judged, not inbound) */
	lo.sll2_pkttype = 0;
	assert_int_equal(classify_spec(&lo, &p), LT_C_LOCAL);
	/* ... but a query to a local resolver is a DNS leak */
	lo.dst = "127.0.0.53";
	lo.proto = IPPROTO_UDP;
	lo.dport = 53;
	assert_int_equal(classify_spec(&lo, &p), LT_C_DNS);
	lo.sll2_pkttype = 4; /* either copy */
	assert_int_equal(classify_spec(&lo, &p), LT_C_DNS);
}

static void raw_ip_direction_from_own_addresses(void **state)
{
	(void)state;
	struct frame_spec s = { .src = "10.213.0.2", .dst = "10.213.0.4", .proto = IPPROTO_UDP,
				.sport = 1, .dport = 2 };
	uint8_t buf[256];
	size_t n = build_frame(&s, buf);
	struct lt_pkt p;
	struct lt_policy pol = policy();
	pol.have_mac = 0;
	assert_int_equal(lt_decode(DLT_RAW, buf + 14, n - 14, n - 14, &p), 0);
	assert_int_equal(lt_classify(&pol, &p, NULL), LT_C_LEAK);
	s.src = "10.213.0.4";
	s.dst = "10.213.0.2";
	n = build_frame(&s, buf);
	assert_int_equal(lt_decode(DLT_RAW, buf + 14, n - 14, n - 14, &p), 0);
	assert_int_equal(lt_classify(&pol, &p, NULL), LT_C_INBOUND);
}

static void fragments_truncation_and_garbage(void **state)
{
	(void)state;
	struct frame_spec s = { .src = "10.213.0.2", .dst = "10.213.0.3", .proto = IPPROTO_UDP,
				.sport = 1, .dport = 53, .payload = "abcdefgh", .plen = 8 };
	uint8_t buf[256];
	size_t n = build_frame(&s, buf);
	buf[14 + 6] = 0x00;
	buf[14 + 7] = 0x10; /* fragment offset 16*8: no UDP header here */
	struct lt_pkt p;
	struct lt_policy pol = policy();
	assert_int_equal(lt_decode(DLT_EN10MB, buf, n, n, &p), 0);
	assert_true(p.fragment);
	assert_int_equal(p.dport, 0);
	assert_int_equal(lt_classify(&pol, &p, NULL), LT_C_ALLOWED); /* to the proxy */
	/* an IP header cut short: undecodable, and that fails the run */
	assert_int_equal(lt_decode(DLT_EN10MB, buf, 14 + 10, 100, &p), 0);
	assert_true(p.truncated);
	assert_int_equal(lt_classify(&pol, &p, NULL), LT_C_UNDECODED);
	assert_true(lt_class_fails(LT_C_UNDECODED));
	/* never reads past caplen, whatever the bytes say */
	for (size_t len = 0; len < n; len++)
		(void)lt_decode(DLT_EN10MB, buf, len, n, &p);
	assert_int_equal(lt_decode(12345, buf, n, n, &p), -1);
}

static void flows_aggregate_both_directions(void **state)
{
	(void)state;
	struct lt_flows f;
	memset(&f, 0, sizeof(f));
	struct lt_policy pol = policy();
	uint8_t buf[256];
	struct lt_pkt p;
	struct frame_spec out = { .src = "10.213.0.2", .dst = "10.213.0.4", .proto = IPPROTO_TCP,
				  .sport = 40000, .dport = 6969 };
	struct frame_spec in = { .src_mac = MAC_GW, .dst_mac = MAC_HOST, .src = "10.213.0.4",
				 .dst = "10.213.0.2", .proto = IPPROTO_TCP, .sport = 6969,
				 .dport = 40000 };
	struct frame_spec prox = { .src = "10.213.0.2", .dst = "10.213.0.3", .proto = IPPROTO_TCP,
				   .sport = 40001, .dport = 1080 };
	const struct frame_spec *seq[] = { &in, &out, &out, &prox };
	for (int i = 0; i < 4; i++) {
		size_t n = build_frame(seq[i], buf);
		lt_decode(DLT_EN10MB, buf, n, n, &p);
		const char *why;
		enum lt_class c = lt_classify(&pol, &p, &why);
		assert_non_null(lt_flows_add(&f, &p, c, why, lt_is_outbound(&pol, &p), i));
	}
	size_t arp_n = build_arp(buf, MAC_HOST);
	lt_decode(DLT_EN10MB, buf, arp_n, arp_n, &p);
	lt_flows_add(&f, &p, lt_classify(&pol, &p, NULL), "ARP", 1, 5);
	lt_flows_sort(&f);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.pkts_total, 5);
	assert_int_equal(f.v[0].cls, LT_C_LEAK); /* failing flows first */
	assert_int_equal(f.v[0].pkts_out, 2);
	assert_int_equal(f.v[0].pkts_in, 1);
	assert_int_equal(f.v[0].rport, 6969);
	char s[200];
	assert_string_equal(lt_flow_str(&f.v[0], s, sizeof(s)), "tcp 10.213.0.2:40000 -> 10.213.0.4:6969");
	assert_int_equal(lt_flows_count_class(&f, LT_C_ALLOWED), 1);
	assert_int_equal(lt_flows_count_class(&f, LT_C_LINK_NOISE), 1);
	assert_int_equal(f.by_class[LT_C_LINK_NOISE], 1);
	lt_flows_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_to_proxy_is_allowed),
		cmocka_unit_test(tcp_elsewhere_is_leak),
		cmocka_unit_test(udp_icmp_igmp_elsewhere_are_leaks),
		cmocka_unit_test(ipv6_leak_and_noise),
		cmocka_unit_test(dns_in_every_form_is_dns_leak),
		cmocka_unit_test(arp_is_noise_and_inbound_is_not_a_leak),
		cmocka_unit_test(vlan_tag_is_skipped),
		cmocka_unit_test(cooked_capture_direction_and_loopback),
		cmocka_unit_test(raw_ip_direction_from_own_addresses),
		cmocka_unit_test(fragments_truncation_and_garbage),
		cmocka_unit_test(flows_aggregate_both_directions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
