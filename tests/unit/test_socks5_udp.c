/*
 * test_socks5_udp.c - relay/socks5_server.c + broker/socks5.c, UDP parts: the datagram header
 * validation the relay applies to every datagram from the engine
 * (mk_socks5_parse_udp_header), and the UDP ASSOCIATE client against
 * scripted proxy replies (socketpair, and a loopback TCP pair for the
 * "BND.ADDR 0.0.0.0 means the proxy's address" rule).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "socks5_server.h"

static mk_socks5_parse_status parse(const void *b, size_t n, size_t *hdr)
{
	return mk_socks5_parse_udp_header(b, n, hdr);
}

/* ---- datagram header ---- */

static void test_header_ipv4(void **state)
{
	(void)state;
	static const uint8_t d[] = { 0, 0, 0, 1, 127, 0, 0, 1, 0x1b, 0x39, 'h', 'i' };
	size_t hdr = 0;
	assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_OK);
	assert_int_equal(hdr, 10);
	/* No payload at all is still a well-formed datagram. */
	assert_int_equal(parse(d, 10, &hdr), MK_SOCKS5_PARSE_OK);
	assert_int_equal(hdr, 10);
}

static void test_header_ipv6(void **state)
{
	(void)state;
	uint8_t d[4 + 16 + 2 + 3] = { 0, 0, 0, 4 };
	d[4 + 15] = 1;     /* ::1 */
	d[20] = 0x1a;      /* port 6881 */
	d[21] = 0xe1;
	size_t hdr = 0;
	assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_OK);
	assert_int_equal(hdr, 22);
}

static void test_header_domain(void **state)
{
	(void)state;
	static const uint8_t d[] = { 0, 0, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
				     0x1b, 0x39, 'x' };
	size_t hdr = 0;
	assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_OK);
	assert_int_equal(hdr, 16);
}

static void test_header_bad(void **state)
{
	(void)state;
	size_t hdr = 77;
	uint8_t ok[] = { 0, 0, 0, 1, 10, 0, 0, 1, 0, 80, 'p' };
	uint8_t d[sizeof ok];
	/* RSV must be 0x0000, FRAG 0 (fragments are dropped): any other byte. */
	for (size_t i = 0; i < 3; i++) {
		for (unsigned v = 1; v < 256; v += 37) {
			memcpy(d, ok, sizeof ok);
			d[i] = (uint8_t)v;
			assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_BAD);
		}
	}
	/* Unknown address types. */
	static const uint8_t atyps[] = { 0, 2, 5, 0xff };
	for (size_t i = 0; i < sizeof atyps; i++) {
		memcpy(d, ok, sizeof ok);
		d[3] = atyps[i];
		assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_BAD);
	}
	/* Port 0. */
	memcpy(d, ok, sizeof ok);
	d[8] = d[9] = 0;
	assert_int_equal(parse(d, sizeof d, &hdr), MK_SOCKS5_PARSE_BAD);
	/* Every cut before the end of the header. */
	for (size_t n = 0; n < 10; n++)
		assert_int_equal(parse(ok, n, &hdr), MK_SOCKS5_PARSE_BAD);
	assert_int_equal(hdr, 77); /* never written on BAD */
}

static void test_header_bad_domain(void **state)
{
	(void)state;
	size_t hdr = 77;
	static const uint8_t empty[] = { 0, 0, 0, 3, 0, 0, 80 };
	assert_int_equal(parse(empty, sizeof empty, &hdr), MK_SOCKS5_PARSE_BAD);
	static const uint8_t nul[] = { 0, 0, 0, 3, 3, 'a', 0, 'b', 0, 80 };
	assert_int_equal(parse(nul, sizeof nul, &hdr), MK_SOCKS5_PARSE_BAD);
	/* A length that runs past the datagram. */
	static const uint8_t longer[] = { 0, 0, 0, 3, 200, 'a', 'b', 0, 80 };
	assert_int_equal(parse(longer, sizeof longer, &hdr), MK_SOCKS5_PARSE_BAD);
	static const uint8_t no_len[] = { 0, 0, 0, 3 };
	assert_int_equal(parse(no_len, sizeof no_len, &hdr), MK_SOCKS5_PARSE_BAD);
	assert_int_equal(hdr, 77);
}

/* Random bytes (biased towards valid prefixes): an OK never claims more
 * header than there is; under ASan any over-read would abort. */
static void test_header_random(void **state)
{
	(void)state;
	srand(8);
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)(rand() % 40);
		uint8_t *b = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rand();
		if (n > 3 && rand() % 2) {
			b[0] = b[1] = b[2] = 0;
			b[3] = (uint8_t)(1 + rand() % 4);
		}
		size_t hdr = 0;
		if (parse(b, n, &hdr) == MK_SOCKS5_PARSE_OK) {
			assert_true(hdr >= 8 && hdr <= n); /* shortest: a 1-byte name */
			assert_true(b[0] == 0 && b[1] == 0 && b[2] == 0);
		}
		free(b);
	}
}

/* ---- UDP ASSOCIATE client, scripted ---- */

/* UDP ASSOCIATE on one end of a socketpair whose peer queued reply[]. */
static mk_socks_result scripted(const void *reply, size_t rlen, struct sockaddr_storage *relay,
				uint8_t *rep, uint8_t *sent, size_t *sent_len)
{
	int sv[2];
	char err[256];
	struct sockaddr_storage client;
	struct sockaddr_in *c = (struct sockaddr_in *)&client;
	memset(&client, 0, sizeof client);
	c->sin_family = AF_INET;
	c->sin_port = htons(4242);
	inet_pton(AF_INET, "127.0.0.1", &c->sin_addr);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (rlen > 0)
		assert_int_equal(write(sv[1], reply, rlen), (ssize_t)rlen);
	mk_socks_result r = mk_socks5_udp_associate(sv[0], &client, relay, rep, 500, err, sizeof err);
	close(sv[0]);
	ssize_t n = read(sv[1], sent, 64);
	*sent_len = n > 0 ? (size_t)n : 0;
	close(sv[1]);
	return r;
}

static void test_associate_ok(void **state)
{
	(void)state;
	struct sockaddr_storage relay;
	uint8_t rep = 99, sent[64];
	size_t sl;
	static const uint8_t reply[] = { 5, 0, 0, 1, 127, 0, 0, 3, 0xb8, 0x22 };
	assert_int_equal(scripted(reply, sizeof reply, &relay, &rep, sent, &sl), MK_SOCKS_OK);
	assert_int_equal(rep, 0);
	/* VER CMD=3 RSV ATYP=1 127.0.0.1:4242 */
	static const uint8_t want[] = { 5, 3, 0, 1, 127, 0, 0, 1, 0x10, 0x92 };
	assert_int_equal(sl, sizeof want);
	assert_memory_equal(sent, want, sizeof want);
	const struct sockaddr_in *a = (const struct sockaddr_in *)&relay;
	assert_int_equal(a->sin_family, AF_INET);
	assert_int_equal(ntohs(a->sin_port), 47138);
	assert_int_equal(ntohl(a->sin_addr.s_addr), 0x7f000003);
}

static void test_associate_refused(void **state)
{
	(void)state;
	struct sockaddr_storage relay;
	uint8_t rep = 0, sent[64];
	size_t sl;
	/* microsocks: "command not supported" */
	static const uint8_t seven[] = { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(scripted(seven, sizeof seven, &relay, &rep, sent, &sl), MK_SOCKS_REFUSED);
	assert_int_equal(rep, 7);
	/* not SOCKS5, a name as relay address, closed early */
	static const uint8_t v4[] = { 4, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(scripted(v4, sizeof v4, &relay, &rep, sent, &sl), MK_SOCKS_PROTOCOL);
	static const uint8_t name[] = { 5, 0, 0, 3, 1, 'x', 0, 80 };
	assert_int_equal(scripted(name, sizeof name, &relay, &rep, sent, &sl), MK_SOCKS_PROTOCOL);
	static const uint8_t cut[] = { 5, 0, 0, 1, 127, 0 };
	assert_int_equal(scripted(cut, sizeof cut, &relay, &rep, sent, &sl), MK_SOCKS_PROTOCOL);
	assert_int_equal(scripted(NULL, 0, &relay, &rep, sent, &sl), MK_SOCKS_PROTOCOL); /* timeout */
}

/* BND.ADDR 0.0.0.0: the relay is at the address we reached the proxy at. */
static void test_associate_unspecified(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
	int s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	static const uint8_t reply[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0x04, 0x38 };
	assert_int_equal(write(s, reply, sizeof reply), (ssize_t)sizeof reply);
	struct sockaddr_storage any, relay;
	memset(&any, 0, sizeof any);
	any.ss_family = AF_INET;
	uint8_t rep;
	char err[256];
	assert_int_equal(mk_socks5_udp_associate(c, &any, &relay, &rep, 500, err, sizeof err),
			 MK_SOCKS_OK);
	const struct sockaddr_in *r = (const struct sockaddr_in *)&relay;
	assert_int_equal(ntohl(r->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(ntohs(r->sin_port), 1080);
	close(c);
	close(s);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_ipv4),
		cmocka_unit_test(test_header_ipv6),
		cmocka_unit_test(test_header_domain),
		cmocka_unit_test(test_header_bad),
		cmocka_unit_test(test_header_bad_domain),
		cmocka_unit_test(test_header_random),
		cmocka_unit_test(test_associate_ok),
		cmocka_unit_test(test_associate_refused),
		cmocka_unit_test(test_associate_unspecified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
