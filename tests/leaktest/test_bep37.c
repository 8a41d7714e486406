/*
 * test_bep37.c - meerko-leaktest's BEP 37 hygiene checks on crafted frames
 * and byte streams (cmocka). Each fingerprint is tried from the attacker's
 * side (a tracker or peer that wants to recognise the client or link its
 * runs) with the bytes a real client sent: libtorrent 2.0.8 as Meerko ran it
 * before the fix (announce redundant=, extension handshake with
 * complete_ago, lt_donthave, share_mode, ut_holepunch, reqq=2000) and
 * aria2c (port in 6881-6999, p, v) must fail; the neutral forms must pass; the same
 * peer id, tracker key or DHT node id in two runs must fail, new ones not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "decode.h"
#include "frames.h"
#include "scan.h"

static size_t count_kind(const struct lt_scan *s, enum lt_fkind k, int fails)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nf; i++)
		n += s->f[i].kind == k && s->f[i].fails == fails;
	return n;
}

static int has_finding(const struct lt_scan *s, enum lt_fkind k, const char *text)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].kind == k && strstr(s->f[i].what, text))
			return 1;
	return 0;
}

/* What Meerko's engine (libtorrent 2.0.8, anonymous mode) sent before the fix. */
static const char LT_ANNOUNCE[] =
	"GET /announce?info_hash=PE%02%af%9b%27%c8m%3eA0%db%22%0c%c9z%bb%dd%02%7b"
	"&peer_id=)BC(Lq_pr~kMJCRgMfSk&port=1&uploaded=0&downloaded=0&left=8388608&corrupt=0"
	"&key=005D8F85&event=started&numwant=200&compact=1&no_peer_id=1&supportcrypto=1"
	"&redundant=0 HTTP/1.1\r\nHost: 10.213.0.4:6969\r\nUser-Agent: curl/7.81.0\r\n"
	"Accept-Encoding: gzip\r\nConnection: close\r\n\r\n";

static void tracker_learns_libtorrent_from_redundant(void **state)
{
	(void)state;
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "tcp P -> S:6969", (const uint8_t *)LT_ANNOUNCE, strlen(LT_ANNOUNCE));
	assert_int_equal(count_kind(&s, LT_F_FINGERPRINT, 1), 1);
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "redundant= is sent only by libtorrent"));
	/* port 1 (no listen port) is a note, and no identity value */
	assert_true(has_finding(&s, LT_F_NOTE, "announced port 1"));
	assert_int_equal(lt_ident_count(&s, LT_ID_PORT), 0);
	assert_int_equal(lt_ident_count(&s, LT_ID_PEER_ID), 1);
	assert_int_equal(lt_ident_count(&s, LT_ID_TRACKER_KEY), 1);
	assert_int_equal(lt_scan_failures(&s), 1);
	lt_scan_free(&s);
	/* --no-identity: seen, not failed */
	lt_scan_init(&s, 0, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)LT_ANNOUNCE, strlen(LT_ANNOUNCE));
	assert_int_equal(count_kind(&s, LT_F_FINGERPRINT, 0), 1);
	assert_int_equal(lt_scan_failures(&s), 0);
	lt_scan_free(&s);
}

static void neutral_announce_passes(void **state)
{
	(void)state;
	const char *req = "GET /announce?info_hash=%12%34&peer_id=abcdefghij0123456789&port=40123"
			  "&uploaded=0&downloaded=0&left=1&key=0A0B0C0D&event=started&numwant=200"
			  "&compact=1&no_peer_id=1&supportcrypto=1 HTTP/1.1\r\n"
			  "User-Agent: curl/7.81.0\r\n\r\n";
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)req, strlen(req));
	assert_int_equal(s.http_requests, 1);
	assert_int_equal(lt_scan_failures(&s), 0);
	assert_int_equal(lt_ident_count(&s, LT_ID_PORT), 1);
	lt_scan_free(&s);
}

static void tracker_sees_a_fixed_default_port(void **state)
{
	(void)state;
	const char *req = "GET /announce?info_hash=%12&peer_id=abcdefghij0123456789&port=6881"
			  "&left=1 HTTP/1.1\r\n\r\n";
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)req, strlen(req));
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "listen port 6881 is a client's default"));
	assert_int_equal(lt_scan_failures(&s), 1);
	lt_scan_free(&s);
	/* 6999 is in the range, 7000 is not, a malformed port is ignored */
	const char *edge = "GET /a?port=6999 HTTP/1.1\r\n\r\nGET /a?port=7000 HTTP/1.1\r\n\r\n"
			   "GET /a?port=68x1 HTTP/1.1\r\n\r\n";
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)edge, strlen(edge));
	assert_int_equal(s.http_requests, 3);
	assert_int_equal(lt_scan_failures(&s), 1);
	assert_int_equal(lt_ident_count(&s, LT_ID_PORT), 2);
	lt_scan_free(&s);
}

/* A BEP 15 announce inside a SOCKS5 UDP datagram, as a crafted frame. */
static void feed_udp_announce(struct lt_scan *s, unsigned port, const char *peer_id,
			      const uint8_t key[4])
{
	uint8_t dg[10 + 98];
	memset(dg, 0, sizeof(dg));
	dg[3] = 1; /* SOCKS5 UDP header: RSV RSV FRAG ATYP=1 ADDR(4) PORT(2) */
	static const uint8_t to[6] = { 10, 213, 0, 4, 0x1b, 0x39 }; /* S:6969 */
	memcpy(dg + 4, to, sizeof(to));
	uint8_t *a = dg + 10;
	a[11] = 1; /* action announce */
	memcpy(a + 36, peer_id, 20);
	memcpy(a + 88, key, 4);
	a[96] = (uint8_t)(port >> 8);
	a[97] = (uint8_t)port;
	uint8_t buf[512];
	struct frame_spec f = { .src = "10.213.0.2", .dst = "10.213.0.3", .proto = IPPROTO_UDP,
				.sport = 50901, .dport = 35082, .payload = dg, .plen = sizeof(dg) };
	size_t n = build_frame(&f, buf);
	struct lt_pkt p;
	assert_int_equal(lt_decode(DLT_EN10MB, buf, n, n, &p), 0);
	lt_scan_packet(s, &p);
}

static void udp_tracker_sees_port_and_key(void **state)
{
	(void)state;
	static const uint8_t key[4] = { 0x00, 0x5d, 0x8f, 0x85 };
	struct lt_scan s;
	lt_scan_init(&s, 1, 1, 64 * 1024);
	feed_udp_announce(&s, 51413, "abcdefghij0123456789", key);
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "51413 is a client's default (Transmission"));
	assert_int_equal(lt_scan_failures(&s), 1);
	feed_udp_announce(&s, 1, "abcdefghij0123456789", key);
	assert_true(has_finding(&s, LT_F_NOTE, "announced port 1"));
	assert_int_equal(lt_scan_failures(&s), 1);
	assert_int_equal(lt_ident_count(&s, LT_ID_PEER_ID), 1);
	assert_int_equal(lt_ident_count(&s, LT_ID_TRACKER_KEY), 1);
	/* the HTTP form of the same key is the same identity value */
	const char *req = "GET /a?key=005D8F85 HTTP/1.1\r\n\r\n";
	lt_scan_stream_bytes(&s, "w", (const uint8_t *)req, strlen(req));
	assert_int_equal(lt_ident_count(&s, LT_ID_TRACKER_KEY), 1);
	lt_scan_free(&s);
}

/* The extension handshake libtorrent 2.0.8 sent for Meerko before the fix. */
static const char LT_EXT[] = "d12:complete_agoi-1e1:md11:lt_donthavei7e10:share_modei8e11:upload_only"
			     "i3e12:ut_holepunchi4e11:ut_metadatai2ee13:metadata_sizei826e4:reqq"
			     "i2000e6:yourip4:\x0a\xd5\x00\x04"
			     "e";

static void peer_learns_libtorrent_from_the_extension_handshake(void **state)
{
	(void)state;
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_ext_handshake(&s, "w", (const uint8_t *)LT_EXT, sizeof(LT_EXT) - 1);
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "key \"complete_ago\""));
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "offers \"lt_donthave\" in m"));
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "offers \"share_mode\" in m"));
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "offers \"ut_holepunch\" in m"));
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "reqq=2000:"));
	assert_int_equal(lt_scan_failures(&s), 5);
	lt_scan_free(&s);
}

static void neutral_extension_handshake_passes(void **state)
{
	(void)state;
	static const char d[] = "d1:md11:upload_onlyi3e11:ut_metadatai2e6:ut_pexi1ee13:metadata_size"
				"i826e4:reqqi250e11:upload_onlyi1e6:yourip4:\x0a\xd5\x00\x04"
				"e";
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_ext_handshake(&s, "w", (const uint8_t *)d, sizeof(d) - 1);
	assert_int_equal(s.ext_handshakes, 1);
	assert_int_equal(lt_scan_failures(&s), 0);
	lt_scan_free(&s);
}

static size_t handshake_then_ext(uint8_t *b, const char *peer_id, const char *dict, size_t dlen)
{
	b[0] = 19;
	memcpy(b + 1, "BitTorrent protocol", 19);
	memset(b + 20, 0, 8);
	b[25] = 0x10;
	memset(b + 28, 0xab, 20);
	memcpy(b + 48, peer_id, 20);
	put32(b + 68, (uint32_t)(dlen + 2));
	b[72] = 20;
	b[73] = 0;
	memcpy(b + 74, dict, dlen);
	return 74 + dlen;
}

/* The negative control's client: aria2c says its port and its name. */
static void peer_learns_aria2c_port_and_name(void **state)
{
	(void)state;
	static const char d[] = "d1:md11:ut_metadatai9ee13:metadata_sizei826e1:pi6881e1:v12:aria2/1.36.0e";
	uint8_t b[256];
	size_t n = handshake_then_ext(b, "A2-1-36-0-\x22q\xde\x97|+@\x07\xaa\x1d", d, sizeof(d) - 1);
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 64 * 1024);
	lt_scan_stream_bytes(&s, "tcp S:6881 -> P", b, n);
	assert_int_equal(s.ext_handshakes, 1);
	assert_true(has_finding(&s, LT_F_FINGERPRINT, "listen port p=6881"));
	assert_int_equal(count_kind(&s, LT_F_CLIENT_VERSION, 1), 1);
	assert_int_equal(count_kind(&s, LT_F_PEER_ID, 1), 1);
	assert_int_equal(lt_scan_failures(&s), 3);
	assert_int_equal(lt_ident_count(&s, LT_ID_PEER_ID), 1);
	lt_scan_free(&s);
}

static void dht_node_id(struct lt_scan *s, const char id[21], char y)
{
	char msg[128];
	int n = y == 'q' ? snprintf(msg, sizeof(msg), "d1:ad2:id20:%se1:q4:ping1:t2:aa1:y1:qe", id)
			 : snprintf(msg, sizeof(msg), "d1:rd2:id20:%se1:t2:aa1:y1:re", id);
	lt_scan_datagram(s, "udp", (const uint8_t *)msg, (size_t)n);
}

/* Two runs: what the second shows must all be new. */
static void second_run_is_linked_by_a_repeated_identity(void **state)
{
	(void)state;
	struct lt_scan r1, r2;
	lt_scan_init(&r1, 1, 0, 1024);
	lt_scan_init(&r2, 1, 0, 1024);
	dht_node_id(&r1, "NODEID-run-1-aaaaaaa", 'q');
	dht_node_id(&r2, "NODEID-run-1-aaaaaaa", 'r'); /* kept across runs */
	const char *a1 = "GET /a?peer_id=abcdefghij0123456789&key=0A0B0C0D&port=40123 HTTP/1.1\r\n\r\n";
	const char *a2 = "GET /a?peer_id=abcdefghij0123456789&key=1A1B1C1D&port=40999 HTTP/1.1\r\n\r\n";
	lt_scan_stream_bytes(&r1, "w", (const uint8_t *)a1, strlen(a1));
	lt_scan_stream_bytes(&r2, "w", (const uint8_t *)a2, strlen(a2));
	assert_int_equal(r2.dht_msgs, 1);
	assert_int_equal(lt_ident_count(&r2, LT_ID_DHT_NODE), 1);
	assert_int_equal(lt_ident_compare(&r2, &r1, "plain"), 2);
	assert_true(has_finding(&r2, LT_F_REPEATED, "DHT node id 4e4f4445"));
	assert_true(has_finding(&r2, LT_F_REPEATED, "peer id 6162"));
	assert_true(has_finding(&r2, LT_F_REPEATED, "earlier run \"plain\""));
	assert_int_equal(lt_scan_failures(&r2), 2);
	lt_scan_free(&r2);
	/* a run with all-new values is not linked */
	lt_scan_init(&r2, 1, 0, 1024);
	dht_node_id(&r2, "NODEID-run-2-bbbbbbb", 'q');
	const char *a3 = "GET /a?peer_id=zzzzzzzzzz0123456789&key=2A2B2C2D&port=41000 HTTP/1.1\r\n\r\n";
	lt_scan_stream_bytes(&r2, "w", (const uint8_t *)a3, strlen(a3));
	assert_int_equal(lt_ident_compare(&r2, &r1, "plain"), 0);
	assert_int_equal(lt_scan_failures(&r2), 0);
	lt_scan_free(&r1);
	lt_scan_free(&r2);
}

static void identity_table_is_bounded(void **state)
{
	(void)state;
	struct lt_scan s;
	lt_scan_init(&s, 1, 0, 1024);
	for (unsigned i = 0; i < LT_IDENT_MAX + 5; i++) {
		uint8_t v[2] = { (uint8_t)(i >> 8), (uint8_t)i };
		lt_scan_ident(&s, LT_ID_PORT, v, 2);
		lt_scan_ident(&s, LT_ID_PORT, v, 2); /* merged */
	}
	assert_int_equal(s.n_ids, LT_IDENT_MAX);
	assert_int_equal(s.ids_dropped, 10); /* each try counted: the table is full */
	lt_scan_free(&s);
}

struct keys {
	char seen[8][16];
	int n;
};

static void collect(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *c)
{
	(void)v;
	(void)vl;
	struct keys *ks = c;
	if (ks->n < 8 && kl < 16) {
		memcpy(ks->seen[ks->n], k, kl);
		ks->seen[ks->n++][kl] = '\0';
	}
}

static void bencode_each_and_int_on_hostile_input(void **state)
{
	(void)state;
	struct keys ks = { .n = 0 };
	static const char ok[] = "d1:ai1e2:bbli2ei3ee1:cd1:xi0eee";
	assert_int_equal(lt_bdict_each((const uint8_t *)ok, sizeof(ok) - 1, collect, &ks), 3);
	assert_string_equal(ks.seen[1], "bb");
	static const char *const bad[] = { "d1:ai1e", "d9:ai1ee", "l1:ae", "d1:ai1x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lt_bdict_each((const uint8_t *)bad[i], strlen(bad[i]), collect, &ks), -1);
	long long v = 0;
	assert_true(lt_bint((const uint8_t *)"i-12e", 5, &v));
	assert_true(v == -12);
	assert_false(lt_bint((const uint8_t *)"ie", 2, &v));
	assert_false(lt_bint((const uint8_t *)"i12", 3, &v));
	assert_false(lt_bint((const uint8_t *)"4:abcd", 6, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tracker_learns_libtorrent_from_redundant),
		cmocka_unit_test(neutral_announce_passes),
		cmocka_unit_test(tracker_sees_a_fixed_default_port),
		cmocka_unit_test(udp_tracker_sees_port_and_key),
		cmocka_unit_test(peer_learns_libtorrent_from_the_extension_handshake),
		cmocka_unit_test(neutral_extension_handshake_passes),
		cmocka_unit_test(peer_learns_aria2c_port_and_name),
		cmocka_unit_test(second_run_is_linked_by_a_repeated_identity),
		cmocka_unit_test(identity_table_is_bounded),
		cmocka_unit_test(bencode_each_and_int_on_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
