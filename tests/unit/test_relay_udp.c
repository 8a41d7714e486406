/*
 * test_relay_udp.c - relay/relay_udp.c end to end on loopback, with a
 * scripted proxy: an association is set up (BND.ADDR 0.0.0.0 = the proxy's
 * address), valid datagrams flow both ways unchanged (DHT "v" excepted),
 * fragments, malformed headers and non-canonical DHT messages are dropped, so are datagrams to a
 * refused destination (loopback, the LAN, multicast, the proxy itself, a
 * local or disguised name: dest_policy.h), a second engine address is
 * refused once the first is learned, the outside socket takes datagrams
 * only from the proxy's relay address, and the association ends (the
 * proxy's control connection closes) when the engine's control closes. A
 * full association table is refused before the proxy is contacted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "relay_udp.h"

static int udp_on_loopback(struct sockaddr_in *a)
{
	socklen_t sl = sizeof *a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof *a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &sl), 0);
	return fd;
}

/* Waits up to ms for one datagram; returns its length or -1. */
static ssize_t recv_within(int fd, void *buf, size_t cap, int ms, struct sockaddr_in *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t sl = sizeof *from;
	if (poll(&p, 1, ms) != 1)
		return -1;
	return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &sl);
}

static int g_pfd = -1, g_opened;

static int open_scripted(void *ctx)
{
	(void)ctx;
	g_opened++;
	return g_pfd;
}

/* A TCP pair to a "proxy" that already queued its answers: method no-auth,
 * then UDP ASSOCIATE OK with BND 0.0.0.0:relay_port. */
static void scripted_proxy(uint16_t relay_port, int *pfd, int *sfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &sl), 0);
	*pfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*pfd, (struct sockaddr *)&a, sizeof a), 0);
	*sfd = accept(l, NULL, NULL);
	close(l);
	uint8_t answers[12] = { 5, 0, 5, 0, 0, 1, 0, 0, 0, 0, (uint8_t)(relay_port >> 8),
				(uint8_t)relay_port };
	assert_int_equal(write(*sfd, answers, sizeof answers), (ssize_t)sizeof answers);
	char err[256];
	assert_int_equal(mk_socks5_client_auth(*pfd, NULL, NULL, 1000, err, sizeof err), MK_SOCKS_OK);
}

static void test_relay_udp(void **state)
{
	(void)state;
	struct sockaddr_in inside, relay, eng_a, eng_b, stranger_a, from;
	int inside_fd = udp_on_loopback(&inside);
	int relay_fd = udp_on_loopback(&relay);   /* the proxy's UDP relay */
	int eng = udp_on_loopback(&eng_a);        /* libtorrent's UDP socket */
	int eng2 = udp_on_loopback(&eng_b);       /* another source inside */
	int stranger = udp_on_loopback(&stranger_a);
	struct mk_dest_policy policy;
	assert_int_equal(mk_dest_policy_init(&policy, "198.51.100.99", false), 0);
	assert_int_equal(mk_relay_udp_init(inside_fd, &policy), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, mk_relay_udp_thread, NULL), 0);
	pthread_detach(t);

	int pfd, sfd, ctl[2];
	scripted_proxy(ntohs(relay.sin_port), &pfd, &sfd);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl), 0);
	struct mk_socks5_request req = { .cmd = MK_SOCKS5_CMD_UDP, .cmd_known = true,
					 .atyp = MK_SOCKS5_ATYP_IPV4 }; /* 0.0.0.0:0 */
	g_pfd = pfd;
	assert_int_equal(mk_relay_udp_associate(ctl[0], &req, open_scripted, NULL), 1);

	/* The engine's reply: OK, BND = the inside socket. */
	uint8_t r[10];
	assert_int_equal(read(ctl[1], r, sizeof r), 10);
	assert_int_equal(r[1], 0);
	assert_memory_equal(r + 4, &inside.sin_addr, 4);
	assert_memory_equal(r + 8, &inside.sin_port, 2);
	/* What the relay asked the proxy: greeting, then UDP ASSOCIATE from 127.0.0.1. */
	uint8_t q[13];
	assert_int_equal(read(sfd, q, sizeof q), 13);
	assert_int_equal(q[4], MK_SOCKS5_CMD_UDP);
	assert_int_equal(q[6], MK_SOCKS5_ATYP_IPV4);

	uint8_t buf[2048];
	static const uint8_t good[] = { 0, 0, 0, 1, 198, 51, 100, 4, 0x1a, 0xe1, 'u', 't', 'p' };
	/* engine -> proxy: unchanged, from the relay's outside socket */
	sendto(eng, good, sizeof good, 0, (struct sockaddr *)&inside, sizeof inside);
	assert_int_equal(recv_within(relay_fd, buf, sizeof buf, 2000, &from), (ssize_t)sizeof good);
	assert_memory_equal(buf, good, sizeof good);
	struct sockaddr_in outside = from;
	/* DHT: the client version is taken out */
	static const char dht[] = "\0\0\0\x01\xc6\x33\x64\x04\x1a\xe1" "d1:q4:ping1:t2:xy1:v4:LT\x02\x08" "1:y1:qe";
	static const char dht_out[] = "\0\0\0\x01\xc6\x33\x64\x04\x1a\xe1" "d1:q4:ping1:t2:xy1:y1:qe";
	sendto(eng, dht, sizeof dht - 1, 0, (struct sockaddr *)&inside, sizeof inside);
	assert_int_equal(recv_within(relay_fd, buf, sizeof buf, 2000, &from), (ssize_t)sizeof dht_out - 1);
	assert_memory_equal(buf, dht_out, sizeof dht_out - 1);
	/* dropped: a fragment, a bad header, another engine address */
	uint8_t frag[sizeof good];
	memcpy(frag, good, sizeof good);
	frag[2] = 1;
	sendto(eng, frag, sizeof frag, 0, (struct sockaddr *)&inside, sizeof inside);
	sendto(eng, "\0\0\0\x09xxxxxx", 10, 0, (struct sockaddr *)&inside, sizeof inside);
	sendto(eng2, good, sizeof good, 0, (struct sockaddr *)&inside, sizeof inside);
	/* ... and a DHT message that is not canonical bencode (a "v" behind a
	 * leading-zero length), counted */
	static const char noncanon[] = "\0\0\0\x01\xc6\x33\x64\x04\x1a\xe1" "d01:v4:LT121:y1:qe";
	uint64_t dropped = mk_relay_udp_dht_dropped();
	sendto(eng, noncanon, sizeof noncanon - 1, 0, (struct sockaddr *)&inside, sizeof inside);
	assert_int_equal(recv_within(relay_fd, buf, sizeof buf, 300, &from), -1);
	assert_int_equal(mk_relay_udp_dht_dropped(), dropped + 1);
	/* dropped: refused destinations (the header's DST, the second hop) */
	static const uint8_t refused[][26] = {
		{ 0, 0, 0, 1, 127, 0, 0, 53, 0, 53, 'x' },             /* stub resolver */
		{ 0, 0, 0, 1, 192, 168, 1, 1, 0x14, 0xe7, 'x' },       /* NAT-PMP at the router */
		{ 0, 0, 0, 1, 239, 255, 255, 250, 0x07, 0x6c, 'x' },   /* SSDP multicast */
		{ 0, 0, 0, 1, 198, 51, 100, 99, 0x04, 0x38, 'x' },     /* the proxy itself */
		{ 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1, 0, 53, 'x' },
		{ 0, 0, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0, 53, 'x' },
		{ 0, 0, 0, 3, 10, 'r', 'o', 'u', 't', 'e', 'r', '.', 'l', 'a', 'n', 0x14, 0xe7, 'x' },
		{ 0, 0, 0, 3, 5, '1', '2', '7', '.', '1', 0, 53, 'x' },
	};
	static const size_t refused_len[] = { 11, 11, 11, 11, 23, 17, 18, 13 };
	for (size_t k = 0; k < sizeof refused_len / sizeof refused_len[0]; k++)
		sendto(eng, refused[k], refused_len[k], 0, (struct sockaddr *)&inside, sizeof inside);
	assert_int_equal(recv_within(relay_fd, buf, sizeof buf, 300, &from), -1);

	/* proxy -> engine, to the learned address; a stranger is not let in */
	sendto(relay_fd, good, sizeof good, 0, (struct sockaddr *)&outside, sizeof outside);
	assert_int_equal(recv_within(eng, buf, sizeof buf, 2000, &from), (ssize_t)sizeof good);
	assert_memory_equal(buf, good, sizeof good);
	assert_int_equal(from.sin_port, inside.sin_port);
	sendto(stranger, good, sizeof good, 0, (struct sockaddr *)&outside, sizeof outside);
	assert_int_equal(recv_within(eng, buf, sizeof buf, 300, &from), -1);
	assert_int_equal(recv_within(eng2, buf, sizeof buf, 10, &from), -1);

	/* The engine closes its control connection: the proxy's closes too. */
	close(ctl[1]);
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(sfd, buf, sizeof buf), 0);
	/* and nothing is forwarded any more */
	sendto(eng, good, sizeof good, 0, (struct sockaddr *)&inside, sizeof inside);
	assert_int_equal(recv_within(relay_fd, buf, sizeof buf, 300, &from), -1);
	close(sfd);
}

/* A full table: the engine is refused, and the proxy is never contacted
 * (no connection, no login that could count against a rate limit). */
static void test_full_table_costs_the_proxy_nothing(void **state)
{
	(void)state;
	int held[MK_RELAY_UDP_MAX_ASSOC][2];
	struct mk_socks5_request req = { .cmd = MK_SOCKS5_CMD_UDP, .cmd_known = true,
					 .atyp = MK_SOCKS5_ATYP_IPV4 };
	struct sockaddr_in relay;
	int relay_fd = udp_on_loopback(&relay);
	for (int k = 0; k < MK_RELAY_UDP_MAX_ASSOC; k++) {
		int pfd, sfd;
		scripted_proxy(ntohs(relay.sin_port), &pfd, &sfd);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, held[k]), 0);
		g_pfd = pfd;
		assert_int_equal(mk_relay_udp_associate(held[k][0], &req, open_scripted, NULL), 1);
		uint8_t r[10];
		assert_int_equal(read(held[k][1], r, sizeof r), 10);
		assert_int_equal(r[1], 0);
	}
	g_opened = 0;
	g_pfd = -1;
	for (int k = 0; k < 40; k++) {
		int ctl[2];
		uint8_t r[10];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl), 0);
		assert_int_equal(mk_relay_udp_associate(ctl[0], &req, open_scripted, NULL), 0);
		assert_int_equal(read(ctl[1], r, sizeof r), 10);
		assert_int_equal(r[1], MK_SOCKS5_REP_FAILURE);
		close(ctl[0]);
		close(ctl[1]);
	}
	assert_int_equal(g_opened, 0);
	for (int k = 0; k < MK_RELAY_UDP_MAX_ASSOC; k++)
		close(held[k][1]);
	close(relay_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_udp),
		cmocka_unit_test(test_full_table_costs_the_proxy_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
