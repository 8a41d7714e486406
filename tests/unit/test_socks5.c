/*
 * test_socks5.c - relay/socks5_server.c + broker/socks5.c: server-side parsers, the client handshake
 * against scripted replies (socketpair), and probes against real microsocks.
 *
 * Real-server tests start two microsocks on 127.0.0.1 (one open, one with
 * -u/-P) on random free ports and kill them at the end. If microsocks is
 * missing they skip with a reason, but FAIL when $CI is set so CI cannot
 * silently lose coverage. $MK_MICROSOCKS overrides the binary path.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "socks5_server.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- greeting parser ---- */

static void test_greeting(void **state)
{
	(void)state;
	size_t used = 99;
	bool noauth = false;
	static const uint8_t two[] = { 5, 2, 0x02, 0x00, 0xAA /* next message */ };
	assert_int_equal(mk_socks5_parse_greeting(two, sizeof two, &used, &noauth),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(used, 4);
	assert_true(noauth);

	static const uint8_t pw_only[] = { 5, 1, 0x02 };
	assert_int_equal(mk_socks5_parse_greeting(pw_only, 3, &used, &noauth),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(used, 3);
	assert_false(noauth);

	/* Every strict prefix needs more. */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mk_socks5_parse_greeting(two, i, &used, &noauth),
				 MK_SOCKS5_PARSE_NEED_MORE);

	static const uint8_t v4[] = { 4, 1, 0 };
	assert_int_equal(mk_socks5_parse_greeting(v4, 3, &used, &noauth),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_greeting(v4, 1, &used, &noauth),
			 MK_SOCKS5_PARSE_BAD); /* bad as soon as seen */
	static const uint8_t zero[] = { 5, 0 };
	assert_int_equal(mk_socks5_parse_greeting(zero, 2, &used, &noauth),
			 MK_SOCKS5_PARSE_BAD);
}

/* ---- request parser ---- */

static void check_all_prefixes_need_more(const uint8_t *b, size_t n)
{
	struct mk_socks5_request rq;
	size_t used;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mk_socks5_parse_request(b, i, &used, &rq),
				 MK_SOCKS5_PARSE_NEED_MORE);
}

static void test_request_ipv4(void **state)
{
	(void)state;
	static const uint8_t b[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90, 0xEE };
	struct mk_socks5_request rq;
	size_t used;
	assert_int_equal(mk_socks5_parse_request(b, sizeof b, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(used, 10);
	assert_int_equal(rq.cmd, MK_SOCKS5_CMD_CONNECT);
	assert_true(rq.cmd_known);
	assert_int_equal(rq.atyp, MK_SOCKS5_ATYP_IPV4);
	assert_memory_equal(rq.ip, "\x7f\0\0\x01", 4);
	assert_int_equal(rq.port, 8080);
	check_all_prefixes_need_more(b, 10);
}

static void test_request_ipv6(void **state)
{
	(void)state;
	uint8_t b[4 + 16 + 2] = { 5, 3, 0, 4 };
	b[4 + 15] = 1; /* ::1 */
	b[20] = 0x1a;
	b[21] = 0xe1; /* 6881 */
	struct mk_socks5_request rq;
	size_t used;
	assert_int_equal(mk_socks5_parse_request(b, sizeof b, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(used, sizeof b);
	assert_int_equal(rq.cmd, MK_SOCKS5_CMD_UDP);
	assert_true(rq.cmd_known);
	assert_int_equal(rq.atyp, MK_SOCKS5_ATYP_IPV6);
	assert_int_equal(rq.ip[15], 1);
	assert_int_equal(rq.port, 6881);
	check_all_prefixes_need_more(b, sizeof b);
}

static void test_request_domain(void **state)
{
	(void)state;
	static const uint8_t b[] = { 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l',
				     'e', '.', 'c', 'o', 'm', 0, 80 };
	struct mk_socks5_request rq;
	size_t used;
	assert_int_equal(mk_socks5_parse_request(b, sizeof b, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(used, sizeof b);
	assert_int_equal(rq.atyp, MK_SOCKS5_ATYP_DOMAIN);
	assert_string_equal(rq.host, "example.com");
	assert_int_equal(rq.host_len, 11);
	assert_int_equal(rq.port, 80);
	check_all_prefixes_need_more(b, sizeof b);

	/* Longest legal name: 255 bytes, host[] still NUL-terminated. */
	uint8_t big[5 + 255 + 2] = { 5, 1, 0, 3, 255 };
	memset(big + 5, 'a', 255);
	assert_int_equal(mk_socks5_parse_request(big, sizeof big, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(rq.host_len, 255);
	assert_int_equal(strlen(rq.host), 255);
}

static void test_request_bad(void **state)
{
	(void)state;
	struct mk_socks5_request rq;
	size_t used;
	static const uint8_t ver[] = { 4, 1, 0, 1, 1, 2, 3, 4, 0, 80 };
	static const uint8_t rsv[] = { 5, 1, 1, 1, 1, 2, 3, 4, 0, 80 };
	static const uint8_t atyp[] = { 5, 1, 0, 2, 1, 2, 3, 4, 0, 80 };
	static const uint8_t dlen0[] = { 5, 1, 0, 3, 0, 0, 80 };
	static const uint8_t dnul[] = { 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80 };
	assert_int_equal(mk_socks5_parse_request(ver, sizeof ver, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(ver, 1, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(rsv, sizeof rsv, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(atyp, sizeof atyp, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(atyp, 4, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(dlen0, sizeof dlen0, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(dlen0, 5, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(dnul, sizeof dnul, &used, &rq),
			 MK_SOCKS5_PARSE_BAD);
	assert_int_equal(mk_socks5_parse_request(dnul, 7, &used, &rq),
			 MK_SOCKS5_PARSE_BAD); /* NUL seen before the end */
}

static void test_request_unknown_cmd(void **state)
{
	(void)state;
	static const uint8_t b[] = { 5, 9, 0, 1, 10, 0, 0, 1, 0, 22 };
	struct mk_socks5_request rq;
	size_t used;
	assert_int_equal(mk_socks5_parse_request(b, sizeof b, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_int_equal(rq.cmd, 9);
	assert_false(rq.cmd_known);
	assert_int_equal(rq.port, 22);
	static const uint8_t bind[] = { 5, 2, 0, 1, 10, 0, 0, 1, 0, 22 };
	assert_int_equal(mk_socks5_parse_request(bind, sizeof bind, &used, &rq),
			 MK_SOCKS5_PARSE_OK);
	assert_true(rq.cmd_known);
}

/* Seeded random input: never crashes, OK implies consumed <= len. */
static void test_parsers_random(void **state)
{
	(void)state;
	uint8_t buf[300];
	struct mk_socks5_request rq;
	srand(42);
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)rand() % sizeof buf;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand();
		if (n > 0 && (i & 1))
			buf[0] = 5; /* get past the version byte often */
		if (n > 3 && (i & 2)) {
			buf[2] = 0;
			buf[3] = (uint8_t)(1 + (rand() % 4));
		}
		size_t used = 0;
		bool na;
		if (mk_socks5_parse_request(buf, n, &used, &rq) == MK_SOCKS5_PARSE_OK)
			assert_true(used <= n);
		if (mk_socks5_parse_greeting(buf, n, &used, &na) == MK_SOCKS5_PARSE_OK)
			assert_true(used <= n);
	}
}

static void test_build_reply(void **state)
{
	(void)state;
	uint8_t out[MK_SOCKS5_REPLY_LEN];
	assert_int_equal(mk_socks5_build_reply(MK_SOCKS5_REP_CMD_UNSUPPORTED, out), 10);
	static const uint8_t want[] = { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(out, want, 10);
}

/* ---- client handshake against scripted replies ---- */

/* Run client_auth on one end of a socketpair whose peer already queued
 * reply[]; returns the result and what the client sent in sent[]. */
static mk_socks_result scripted(const void *reply, size_t rlen,
				const char *user, const char *pass,
				int timeout_ms, uint8_t *sent, size_t *sent_len,
				char *err, size_t errlen)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (rlen > 0)
		assert_int_equal(write(sv[1], reply, rlen), (ssize_t)rlen);
	mk_socks_result r = mk_socks5_client_auth(sv[0], user, pass, timeout_ms,
						  err, errlen);
	close(sv[0]); /* lets the read below see EOF */
	ssize_t n = read(sv[1], sent, 600);
	*sent_len = n > 0 ? (size_t)n : 0;
	close(sv[1]);
	return r;
}

static void test_client_noauth_ok(void **state)
{
	(void)state;
	uint8_t sent[600];
	size_t sl;
	char err[256] = "";
	assert_int_equal(scripted("\x05\x00", 2, NULL, NULL, 1000, sent, &sl,
				  err, sizeof err), MK_SOCKS_OK);
	assert_int_equal(sl, 3);
	assert_memory_equal(sent, "\x05\x01\x00", 3); /* only no-auth offered */
}

static void test_client_userpass(void **state)
{
	(void)state;
	uint8_t sent[600];
	size_t sl;
	char err[256] = "";
	assert_int_equal(scripted("\x05\x02\x01\x00", 4, "user", "pass", 1000,
				  sent, &sl, err, sizeof err), MK_SOCKS_OK);
	static const uint8_t want[] = { 5, 1, 2, 1, 4, 'u', 's', 'e', 'r',
					4, 'p', 'a', 's', 's' };
	assert_int_equal(sl, sizeof want);
	assert_memory_equal(sent, want, sizeof want); /* only user/pass offered */

	assert_int_equal(scripted("\x05\x02\x01\x01", 4, "user", "bad", 1000,
				  sent, &sl, err, sizeof err), MK_SOCKS_AUTH_FAILED);
	assert_non_null(strstr(err, "rejected the username/password"));
	assert_null(strchr(err, '\n'));
}

static void test_client_errors(void **state)
{
	(void)state;
	uint8_t sent[600];
	size_t sl;
	char err[256] = "";
	assert_int_equal(scripted("\x05\xff", 2, NULL, NULL, 1000, sent, &sl,
				  err, sizeof err), MK_SOCKS_AUTH_REQUIRED);
	assert_non_null(strstr(err, "requires authentication"));
	assert_int_equal(scripted("\x05\xff", 2, "u", "p", 1000, sent, &sl,
				  err, sizeof err), MK_SOCKS_AUTH_REQUIRED);
	assert_int_equal(scripted("HTTP/1.0 400", 12, NULL, NULL, 1000, sent,
				  &sl, err, sizeof err), MK_SOCKS_PROTOCOL);
	assert_non_null(strstr(err, "not a SOCKS5 server"));
	/* Proxy picks a method we did not offer: no downgrade. */
	assert_int_equal(scripted("\x05\x00", 2, "u", "p", 1000, sent, &sl,
				  err, sizeof err), MK_SOCKS_PROTOCOL);
	assert_int_equal(scripted("\x05\x02", 2, NULL, NULL, 1000, sent, &sl,
				  err, sizeof err), MK_SOCKS_PROTOCOL);
	/* Bad sub-negotiation version. */
	assert_int_equal(scripted("\x05\x02\x05\x00", 4, "u", "p", 1000, sent,
				  &sl, err, sizeof err), MK_SOCKS_PROTOCOL);
	/* Username over the RFC 1929 limit: refused before sending it. */
	char longuser[300];
	memset(longuser, 'u', sizeof longuser - 1);
	longuser[sizeof longuser - 1] = '\0';
	assert_int_equal(scripted("\x05\x02", 2, longuser, "p", 1000, sent,
				  &sl, err, sizeof err), MK_SOCKS_PROTOCOL);
	assert_int_equal(sl, 3); /* just the greeting */
}

/* Timeouts and closes are PROTOCOL errors, bounded by the timeout. */
static void test_client_timeout_eof(void **state)
{
	(void)state;
	uint8_t sent[600];
	size_t sl;
	char err[256] = "";
	long long t0 = now_ms();
	assert_int_equal(scripted("", 0, NULL, NULL, 200, sent, &sl, err,
				  sizeof err), MK_SOCKS_PROTOCOL);
	long long dt = now_ms() - t0;
	assert_true(dt >= 190 && dt < 1500);
	assert_non_null(strstr(err, "within 200 ms"));
	/* Half a reply, then silence. */
	assert_int_equal(scripted("\x05", 1, NULL, NULL, 200, sent, &sl, err,
				  sizeof err), MK_SOCKS_PROTOCOL);
	/* Proxy reads the greeting but closes without answering. */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(mk_socks5_client_auth(sv[0], NULL, NULL, 1000, err,
					       sizeof err), MK_SOCKS_PROTOCOL);
	assert_non_null(strstr(err, "closed the connection"));
	close(sv[0]);
	close(sv[1]);
}

/* The proxy's CONNECT reply is read whole, whatever its BND (IPv4, IPv6, a
 * name), and no further: the next byte is payload. BND is not returned. */
static void test_read_reply_swallows_bnd(void **state)
{
	(void)state;
	static const uint8_t replies[][40] = {
		{ 5, 0, 0, 1, 192, 168, 1, 2, 0x1f, 0x90, 'D' },
		{ 5, 0, 0, 4, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80, 'D' },
		{ 5, 5, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0, 80, 'D' },
	};
	static const size_t lens[] = { 11, 23, 17 };
	static const uint8_t want_rep[] = { 0, 0, 5 };
	for (size_t i = 0; i < 3; i++) {
		int sv[2];
		uint8_t rep = 0xee, next = 0;
		char err[256];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(write(sv[1], replies[i], lens[i]), (ssize_t)lens[i]);
		assert_int_equal(mk_socks5_read_reply(sv[0], &rep, 1000, err, sizeof err), MK_SOCKS_OK);
		assert_int_equal(rep, want_rep[i]);
		assert_int_equal(read(sv[0], &next, 1), 1);
		assert_int_equal(next, 'D');
		close(sv[0]);
		close(sv[1]);
	}
	static const uint8_t bad[][6] = { { 4, 0, 0, 1 }, { 5, 0, 0, 9 } };
	for (size_t i = 0; i < 2; i++) {
		int sv[2];
		uint8_t rep;
		char err[256];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(write(sv[1], bad[i], 6), 6);
		assert_int_equal(mk_socks5_read_reply(sv[0], &rep, 1000, err, sizeof err),
				 MK_SOCKS_PROTOCOL);
		close(sv[0]);
		close(sv[1]);
	}
	int sv[2];
	uint8_t rep;
	char err[256];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[1], "\x05\x00\x00\x01\x01", 5), 5); /* cut, then silence */
	assert_int_equal(mk_socks5_read_reply(sv[0], &rep, 100, err, sizeof err), MK_SOCKS_PROTOCOL);
	close(sv[0]);
	close(sv[1]);
}

static void test_connect_bad_address(void **state)
{
	(void)state;
	char err[256] = "";
	/* Names are refused outright: the broker never resolves. */
	assert_int_equal(mk_socks5_connect_proxy("localhost", 1080, 1000, err,
						 sizeof err), -1);
	assert_non_null(strstr(err, "not an IPv4 or IPv6"));
	assert_int_equal(mk_socks5_probe("127.0.0.1", 0, NULL, NULL, 1000, err,
					 sizeof err), MK_SOCKS_UNREACHABLE);
	assert_int_equal(mk_socks5_probe(NULL, 1080, NULL, NULL, 1000, err,
					 sizeof err), MK_SOCKS_UNREACHABLE);
}

/* ---- real microsocks ---- */

struct msocks {
	pid_t pid;
	uint16_t port;
};

static struct {
	const char *bin;      /* NULL: microsocks not found */
	struct msocks open;   /* no authentication */
	struct msocks authd;  /* -u mkuser -P mkpass */
} g;

static const char *find_microsocks(void)
{
	static char path[4096];
	const char *env = getenv("MK_MICROSOCKS");
	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	const char *p = getenv("PATH");
	if (p == NULL)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(path, sizeof path, "%.*s/microsocks", (int)n, p);
		if (n > 0 && access(path, X_OK) == 0)
			return path;
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* A port that was free a moment ago (the kernel picks it). */
static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_listening(uint16_t port)
{
	char err[128];
	int fd = mk_socks5_connect_proxy("127.0.0.1", port, 200, err, sizeof err);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void stop_msocks(struct msocks *m)
{
	if (m->pid <= 0)
		return;
	kill(m->pid, SIGTERM);
	int i = 0; /* up to 2 s, then SIGKILL */
	while (waitpid(m->pid, NULL, WNOHANG) != m->pid && i++ < 100)
		usleep(20 * 1000);
	if (i > 100 && kill(m->pid, SIGKILL) == 0)
		waitpid(m->pid, NULL, 0);
	m->pid = 0;
}

static pid_t spawn_msocks(uint16_t port, bool auth)
{
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	if (auth)
		execl(g.bin, "microsocks", "-i", "127.0.0.1", "-p", portstr,
		      "-u", "mkuser", "-P", "mkpass", (char *)NULL);
	else
		execl(g.bin, "microsocks", "-i", "127.0.0.1", "-p", portstr,
		      (char *)NULL);
	_exit(127);
}

/* Start one server; retries on a port race; waits at most 5 s overall. */
static int start_msocks(struct msocks *m, bool auth)
{
	long long deadline = now_ms() + 5000;
	while (now_ms() < deadline) {
		m->port = free_port();
		m->pid = m->port ? spawn_msocks(m->port, auth) : -1;
		if (m->pid < 0)
			return -1;
		while (now_ms() < deadline) {
			if (waitpid(m->pid, NULL, WNOHANG) == m->pid) {
				m->pid = 0; /* died (port taken?): try again */
				break;
			}
			if (port_listening(m->port))
				return 0;
			usleep(20 * 1000);
		}
	}
	stop_msocks(m);
	return -1;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN); /* belt and braces; send() uses MSG_NOSIGNAL */
	g.bin = find_microsocks();
	if (g.bin == NULL) {
		printf("# microsocks not found in PATH: real-server tests %s\n",
		       getenv("CI") ? "FAIL (CI is set)" : "are skipped");
		return 0;
	}
	if (start_msocks(&g.open, false) != 0 || start_msocks(&g.authd, true) != 0) {
		fprintf(stderr, "could not start microsocks within 5 s\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	stop_msocks(&g.open);
	stop_msocks(&g.authd);
	return 0;
}

/* Skip locally without microsocks; fail under CI. */
#define NEED_MICROSOCKS()                                                   \
	do {                                                                \
		if (g.bin == NULL) {                                        \
			if (getenv("CI"))                                   \
				fail_msg("microsocks is required when CI is set"); \
			printf("# skipped: microsocks not installed\n");    \
			skip();                                             \
		}                                                           \
	} while (0)

static void test_real_noauth(void **state)
{
	(void)state;
	NEED_MICROSOCKS();
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.open.port, NULL, NULL,
					 2000, err, sizeof err), MK_SOCKS_OK);
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.open.port, "", "",
					 2000, err, sizeof err), MK_SOCKS_OK);
}

static void test_real_auth_ok(void **state)
{
	(void)state;
	NEED_MICROSOCKS();
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.authd.port, "mkuser",
					 "mkpass", 2000, err, sizeof err),
			 MK_SOCKS_OK);
}

static void test_real_auth_wrong(void **state)
{
	(void)state;
	NEED_MICROSOCKS();
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.authd.port, "mkuser",
					 "wrong", 2000, err, sizeof err),
			 MK_SOCKS_AUTH_FAILED);
	char want[128];
	snprintf(want, sizeof want,
		 "proxy 127.0.0.1:%u rejected the username/password",
		 (unsigned)g.authd.port);
	assert_string_equal(err, want);
}

static void test_real_auth_missing(void **state)
{
	(void)state;
	NEED_MICROSOCKS();
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.authd.port, NULL, NULL,
					 2000, err, sizeof err),
			 MK_SOCKS_AUTH_REQUIRED);
	printf("# %s\n", err);
}

/* Credentials set but the proxy wants none: we offer only user/pass, so
 * the proxy answers 0xFF. Reported, not silently downgraded. */
static void test_real_creds_to_open(void **state)
{
	(void)state;
	NEED_MICROSOCKS();
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", g.open.port, "mkuser",
					 "mkpass", 2000, err, sizeof err),
			 MK_SOCKS_AUTH_REQUIRED);
	assert_non_null(strstr(err, "does not accept username/password"));
}

static void test_real_closed_port(void **state)
{
	(void)state;
	/* Needs no microsocks: a port nobody listens on. */
	uint16_t port = free_port();
	assert_true(port != 0);
	char err[256] = "";
	assert_int_equal(mk_socks5_probe("127.0.0.1", port, NULL, NULL, 2000,
					 err, sizeof err), MK_SOCKS_UNREACHABLE);
	assert_non_null(strstr(err, "Connection refused"));
	printf("# %s\n", err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_read_reply_swallows_bnd),
		cmocka_unit_test(test_request_ipv4),
		cmocka_unit_test(test_request_ipv6),
		cmocka_unit_test(test_request_domain),
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_request_unknown_cmd),
		cmocka_unit_test(test_parsers_random),
		cmocka_unit_test(test_build_reply),
		cmocka_unit_test(test_client_noauth_ok),
		cmocka_unit_test(test_client_userpass),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_client_timeout_eof),
		cmocka_unit_test(test_connect_bad_address),
		cmocka_unit_test(test_real_noauth),
		cmocka_unit_test(test_real_auth_ok),
		cmocka_unit_test(test_real_auth_wrong),
		cmocka_unit_test(test_real_auth_missing),
		cmocka_unit_test(test_real_creds_to_open),
		cmocka_unit_test(test_real_closed_port),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
