/*
 * test_scan.c - meerko-leaktest's payload scanner on crafted packets and
 * byte streams (cmocka): tracker announces with ip=A and a -LT peer_id,
 * BitTorrent handshakes (also after an MSE prelude), extension handshakes
 * with yourip = A's 4 bytes and a v key, needles split over two TCP
 * segments, SOCKS5 headers, DHT and UDP-tracker datagrams, peer-id and
 * User-Agent rules, the bencode walker, the aria2c log reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bencode.h"
#include "decode.h"
#include "frames.h"
#include "scan.h"

static const uint8_t A_BIN[4] = { 10, 213, 0, 2 };

static void setup_scan(struct lt_scan *s, int anonymous, int socks)
{
	lt_scan_init(s, anonymous, socks, 64 * 1024);
	struct lt_addr a;
	lt_addr_parse("10.213.0.2", &a);
	lt_scan_add_addr_needles(s, "client address", &a);
	lt_scan_add_needle(s, "client hostname", "mkleak-client-abc", 17, 1);
	lt_scan_add_needle(s, "user name", "alice", 5, 0);
}

static size_t count_kind(const struct lt_scan *s, enum lt_fkind k, int fails)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nf; i++)
		n += s->f[i].kind == k && s->f[i].fails == fails;
	return n;
}

static const struct lt_finding *find_kind(const struct lt_scan *s, enum lt_fkind k)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].kind == k)
			return &s->f[i];
	return NULL;
}

static const char ANNOUNCE_IP[] =
	"GET /announce?info_hash=%12%34&peer_id=%c2%a3xxxxxxxxxxxxxxxxxx&port=1&uploaded=0"
	"&downloaded=0&left=100&ip=10.213.0.2&event=started HTTP/1.1\r\n"
	"Host: 10.213.0.4:6969\r\nUser-Agent: curl/7.81.0\r\nConnection: close\r\n\r\n";

static void announce_with_ip_param(void **state)
{
	(void)state;
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	lt_scan_stream_bytes(&s, "tcp P -> S:6969", (const uint8_t *)ANNOUNCE_IP, strlen(ANNOUNCE_IP));
	assert_int_equal(s.http_requests, 1);
	const struct lt_finding *f = find_kind(&s, LT_F_ADDR_PARAM);
	assert_non_null(f);
	assert_true(f->fails);
	assert_non_null(strstr(f->what, "ip=10.213.0.2"));
	/* the text needle fires too */
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1);
	/* curl's generic User-Agent is a note, not a failure */
	assert_int_equal(count_kind(&s, LT_F_USER_AGENT, 1), 0);
	assert_int_equal(count_kind(&s, LT_F_NOTE, 0), 2); /* the User-Agent, port=1 */
	assert_int_equal(lt_scan_failures(&s), 2);
	lt_scan_free(&s);
}

static void announce_url_encoded_ipv6_and_lt_peer_id(void **state)
{
	(void)state;
	const char *req = "GET /announce?peer_id=-LT2080-%01%02%03%04%05%06%07%08%09%0a%0b%0c"
			  "&ipv6=fd13%3A213%3A%3A2&port=1 HTTP/1.1\r\n"
			  "User-Agent: libtorrent/2.0.8.0\r\n\r\n";
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	struct lt_addr a6;
	lt_addr_parse("fd13:213::2", &a6);
	lt_scan_add_addr_needles(&s, "client address", &a6);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)req, strlen(req));
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	assert_non_null(strstr(find_kind(&s, LT_F_PEER_ID)->what, "-LT"));
	assert_int_equal(count_kind(&s, LT_F_USER_AGENT, 1), 1);
	assert_non_null(strstr(find_kind(&s, LT_F_ADDR_PARAM)->what, "ipv6=fd13:213::2"));
	/* found in the URL-decoded request only */
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1);
	lt_scan_free(&s);
	/* without anonymous mode the identity findings do not fail */
	setup_scan(&s, 0, 0);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)req, strlen(req));
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 0), 1);
	assert_int_equal(count_kind(&s, LT_F_USER_AGENT, 0), 1);
	lt_scan_free(&s);
}

static size_t handshake(uint8_t *b, const char *peer_id)
{
	b[0] = 19;
	memcpy(b + 1, "BitTorrent protocol", 19);
	memset(b + 20, 0, 8);
	b[25] = 0x10; /* extension protocol */
	memset(b + 28, 0xab, 20);
	memcpy(b + 48, peer_id, 20);
	return 68;
}

static size_t ext_handshake(uint8_t *b, const char *dict, size_t dlen)
{
	uint32_t l = (uint32_t)(dlen + 2);
	b[0] = (uint8_t)(l >> 24);
	b[1] = (uint8_t)(l >> 16);
	b[2] = (uint8_t)(l >> 8);
	b[3] = (uint8_t)l;
	b[4] = 20;
	b[5] = 0;
	memcpy(b + 6, dict, dlen);
	return 6 + dlen;
}

static void handshake_with_lt_peer_id(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = handshake(b, "-LT2080-abcdefghijkl");
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	lt_scan_stream_bytes(&s, "tcp P -> S:6881", b, n);
	assert_int_equal(s.bt_handshakes, 1);
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	lt_scan_free(&s);
	/* an all-random peer id is fine */
	n = handshake(b, "\x8f\x12\x00\x33\xfe\x71\x02\x9c\xaa\x10\x55\x66\x77\x88\x99\x01\x02\x03\x04\x05");
	setup_scan(&s, 1, 0);
	lt_scan_stream_bytes(&s, "w", b, n);
	assert_int_equal(s.bt_handshakes, 1);
	assert_int_equal(lt_scan_failures(&s), 0);
	lt_scan_free(&s);
}

static void ext_handshake_with_yourip_and_v(void **state)
{
	(void)state;
	uint8_t b[512];
	size_t n = handshake(b, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14");
	/* yourip = A's 4 bytes (binary), v = client name */
	static const char pre_s[] = "d1:md11:ut_metadatai2ee1:v16:libtorrent 2.0.86:yourip4:";
	char full[128];
	size_t pre = sizeof(pre_s) - 1;
	memcpy(full, pre_s, pre);
	memcpy(full + pre, A_BIN, 4);
	full[pre + 4] = 'e';
	n += ext_handshake(b + n, full, pre + 5);
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	lt_scan_stream_bytes(&s, "tcp P -> S:6881", b, n);
	assert_int_equal(s.ext_handshakes, 1);
	assert_int_equal(count_kind(&s, LT_F_CLIENT_VERSION, 1), 1);
	const struct lt_finding *nd = find_kind(&s, LT_F_NEEDLE);
	assert_non_null(nd);
	assert_non_null(strstr(nd->what, "10.213.0.2 (binary)"));
	/* yourip is shown as a note with its value */
	int noted = 0;
	for (size_t i = 0; i < s.nf; i++)
		noted |= s.f[i].kind == LT_F_NOTE && strstr(s.f[i].what, "yourip=10.213.0.2") != NULL;
	assert_true(noted);
	lt_scan_free(&s);
}

static void ext_handshake_self_address(void **state)
{
	(void)state;
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	static const char d[] = "d4:ipv44:\xc0\x00\x02\x01"
				"1:pi6881ee";
	lt_scan_ext_handshake(&s, "w", (const uint8_t *)d, sizeof(d) - 1);
	assert_non_null(strstr(find_kind(&s, LT_F_ADDR_PARAM)->what, "ipv4=192.0.2.1"));
	lt_scan_free(&s);
}

static void handshake_after_mse_prelude(void **state)
{
	(void)state;
	uint8_t b[1024];
	for (int i = 0; i < 200; i++)
		b[i] = (uint8_t)(i * 37 + 11); /* DH key + padding stand-in */
	size_t n = 200 + handshake(b + 200, "-qB4520-abcdefghijkl");
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	lt_scan_stream_bytes(&s, "w", b, n);
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	assert_non_null(strstr(find_kind(&s, LT_F_PEER_ID)->what, "Azureus-style"));
	lt_scan_free(&s);
}

static void feed_tcp(struct lt_scan *s, uint32_t seq, const void *data, size_t len, uint8_t flags)
{
	uint8_t buf[2048];
	struct frame_spec f = { .src = "10.213.0.3", .dst = "10.213.0.4", .proto = IPPROTO_TCP,
				.sport = 41000, .dport = 6969, .seq = seq, .tcp_flags = flags,
				.payload = data, .plen = len };
	size_t n = build_frame(&f, buf);
	struct lt_pkt p;
	assert_int_equal(lt_decode(DLT_EN10MB, buf, n, n, &p), 0);
	lt_scan_packet(s, &p);
}

static void needle_split_over_two_segments(void **state)
{
	(void)state;
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	const char *a = "GET /announce?x=1&ip=10.21", *b = "3.0.2 HTTP/1.1\r\n\r\n";
	feed_tcp(&s, 1000, NULL, 0, LT_TCP_SYN);
	/* out of order, and the first segment retransmitted */
	feed_tcp(&s, 1001 + (uint32_t)strlen(a), b, strlen(b), 0x18);
	feed_tcp(&s, 1001, a, strlen(a), 0x18);
	feed_tcp(&s, 1001, a, strlen(a), 0x18);
	assert_int_equal(lt_scan_failures(&s), 0); /* nothing until the streams are parsed */
	lt_scan_finish(&s);
	assert_int_equal(s.http_requests, 1);
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1);
	assert_int_equal(count_kind(&s, LT_F_ADDR_PARAM, 1), 1);
	assert_non_null(strstr(find_kind(&s, LT_F_NEEDLE)->where, "10.213.0.3:41000 -> 10.213.0.4:6969"));
	lt_scan_free(&s);
}

static void socks5_header_is_not_the_swarm(void **state)
{
	(void)state;
	/* greeting (no auth, user/pass), RFC 1929 auth as "alice", CONNECT 10.213.0.4:6881 */
	uint8_t b[256];
	size_t n = 0;
	const uint8_t greet[] = { 5, 2, 0, 2 };
	memcpy(b, greet, 4);
	n = 4;
	b[n++] = 1;
	b[n++] = 5;
	memcpy(b + n, "alice", 5);
	n += 5;
	b[n++] = 3;
	memcpy(b + n, "pwd", 3);
	n += 3;
	const uint8_t conn[] = { 5, 1, 0, 1, 10, 213, 0, 4, 0x1a, 0xe1 };
	memcpy(b + n, conn, sizeof(conn));
	n += sizeof(conn);
	assert_int_equal(lt_socks5_request_len(b, n), n);
	size_t hs = handshake(b + n, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14");
	struct lt_scan s;
	setup_scan(&s, 1, 1);
	lt_scan_stream_bytes(&s, "w", b, n + hs);
	assert_int_equal(s.bt_handshakes, 1);
	assert_int_equal(lt_scan_failures(&s), 0); /* "alice" was for the proxy only */
	lt_scan_free(&s);
	/* after the header, the user name is a leak */
	memcpy(b + n + 48, "alice", 5);
	setup_scan(&s, 1, 1);
	lt_scan_stream_bytes(&s, "w", b, n + hs);
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1);
	lt_scan_free(&s);
	/* not SOCKS: nothing skipped */
	assert_int_equal(lt_socks5_request_len((const uint8_t *)"GET / HTTP/1.0", 14), 0);
}

static void datagrams_dht_and_udp_tracker(void **state)
{
	(void)state;
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	static const char dht[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:v4:LT\x02\x00"
				  "1:y1:qe";
	lt_scan_datagram(&s, "udp", (const uint8_t *)dht, sizeof(dht) - 1);
	assert_int_equal(s.dht_msgs, 1);
	assert_int_equal(count_kind(&s, LT_F_CLIENT_VERSION, 1), 1);
	/* BEP 15 announce naming the client's address */
	uint8_t u[98];
	memset(u, 0, sizeof(u));
	u[11] = 1;
	memcpy(u + 36, "-LT2080-000000000000", 20);
	memcpy(u + 84, A_BIN, 4);
	lt_scan_datagram(&s, "udp", u, sizeof(u));
	assert_int_equal(count_kind(&s, LT_F_ADDR_PARAM, 1), 1);
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1); /* A in binary */
	lt_scan_free(&s);
}

static void peer_id_rules(void **state)
{
	(void)state;
	char why[160];
	assert_true(lt_peer_id_identifying((const uint8_t *)"-LT2080-abcdefghijkl", 20, why, sizeof(why)));
	assert_true(lt_peer_id_identifying((const uint8_t *)"-qB4520-abcdefghijkl", 20, why, sizeof(why)));
	assert_true(lt_peer_id_identifying((const uint8_t *)"-TR300Z-abcdefghijkl", 20, why, sizeof(why)));
	assert_true(lt_peer_id_identifying((const uint8_t *)"A2-1-36-0-abcdefghij", 20, why, sizeof(why)));
	assert_true(lt_peer_id_identifying((const uint8_t *)"M7-4-3--abcdefghijkl", 20, why, sizeof(why)));
	assert_false(lt_peer_id_identifying((const uint8_t *)"\x93\x11-abcd-efg\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 20, why, sizeof(why)));
	assert_false(lt_peer_id_identifying((const uint8_t *)"-LT", 3, why, sizeof(why)));
	assert_false(lt_peer_id_identifying((const uint8_t *)"Xabcdefghijklmnopqrs", 20, why, sizeof(why)));
	assert_true(lt_user_agent_identifying("libtorrent/2.0.8.0", 18));
	assert_true(lt_user_agent_identifying("Meerko/0.1", 10));
	assert_true(lt_user_agent_identifying("aria2/1.36.0", 12));
	assert_false(lt_user_agent_identifying("curl/7.81.0", 11));
}

static void hostname_any_case_username_exact(void **state)
{
	(void)state;
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	const char *t = "xx MKLEAK-CLIENT-ABC yy ALICE";
	lt_scan_needles(&s, "w", (const uint8_t *)t, strlen(t));
	assert_int_equal(count_kind(&s, LT_F_NEEDLE, 1), 1);
	assert_non_null(strstr(s.f[0].what, "hostname"));
	lt_scan_free(&s);
}

static void bencode_walker(void **state)
{
	(void)state;
	const uint8_t *v;
	size_t vl;
	static const char d[] = "d1:ad1:bi1ee2:xxl1:ai-5ee1:v3:abce";
	assert_int_equal(lt_bskip((const uint8_t *)d, sizeof(d) - 1), sizeof(d) - 1);
	assert_int_equal(lt_bdict_get((const uint8_t *)d, sizeof(d) - 1, "v", &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "abc", 3);
	assert_int_equal(lt_bdict_get((const uint8_t *)d, sizeof(d) - 1, "xx", &v, &vl), 1);
	assert_int_equal(vl, 9); /* a non-string value: its encoding */
	assert_int_equal(lt_bdict_get((const uint8_t *)d, sizeof(d) - 1, "zz", &v, &vl), 0);
	assert_int_equal(lt_bdict_get((const uint8_t *)"d3:abc", 6, "v", &v, &vl), -1);
	assert_int_equal(lt_bdict_get((const uint8_t *)"l1:ae", 5, "v", &v, &vl), -1);
	assert_int_equal(lt_bskip((const uint8_t *)"99999999999:x", 13), 0);
	char deep[200];
	memset(deep, 'l', 100);
	memset(deep + 100, 'e', 100);
	assert_int_equal(lt_bskip((const uint8_t *)deep, 200), 0); /* too deep: refused */
}

static void aria2_log_reader(void **state)
{
	(void)state;
	char path[] = "/tmp/mkleak-test-aria2-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *log =
		"2025-01-01 00:00:00.000 [INFO] [x.cc:1] CUID#7 - From: 10.213.0.3:40123 handshake peerId=%8F%12%00%33%FE%71%02%9C%AA%10%55%66%77%88%99%01%02%03%04%05\n"
		"2025-01-01 00:00:01.000 [INFO] [x.cc:1] CUID#8 - From: 10.213.0.2:51413 handshake peerId=A2-1-36-0-%01%02%03%04%05%06%07%08%09%0a\n";
	assert_int_equal(write(fd, log, strlen(log)), (ssize_t)strlen(log));
	close(fd);
	struct lt_scan s;
	setup_scan(&s, 1, 0);
	assert_int_equal(lt_scan_aria2_log(&s, path, 0, "10.213.0.3", "10.213.0.4"), 2);
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	assert_int_equal(count_kind(&s, LT_F_SOURCE, 1), 1);
	assert_non_null(strstr(find_kind(&s, LT_F_SOURCE)->what, "10.213.0.2"));
	lt_scan_free(&s);
	/* from an offset: only what came later */
	setup_scan(&s, 1, 0);
	assert_int_equal(lt_scan_aria2_log(&s, path, (long)(strchr(log, '\n') - log + 1), "10.213.0.3", NULL), 1);
	lt_scan_free(&s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announce_with_ip_param),
		cmocka_unit_test(announce_url_encoded_ipv6_and_lt_peer_id),
		cmocka_unit_test(handshake_with_lt_peer_id),
		cmocka_unit_test(ext_handshake_with_yourip_and_v),
		cmocka_unit_test(ext_handshake_self_address),
		cmocka_unit_test(handshake_after_mse_prelude),
		cmocka_unit_test(needle_split_over_two_segments),
		cmocka_unit_test(socks5_header_is_not_the_swarm),
		cmocka_unit_test(datagrams_dht_and_udp_tracker),
		cmocka_unit_test(peer_id_rules),
		cmocka_unit_test(hostname_any_case_username_exact),
		cmocka_unit_test(bencode_walker),
		cmocka_unit_test(aria2_log_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
