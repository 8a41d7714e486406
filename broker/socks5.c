/*
 * socks5.c - SOCKS5 client handshake (RFC 1928/1929).
 *
 * Contract (see socks5.h):
 *  - Client: only IP literals are accepted (inet_pton; no resolver is ever
 *    called, so no DNS leak). Every wait is bounded by the caller's timeout;
 *    sends use MSG_NOSIGNAL so a dead proxy gives EPIPE, not SIGPIPE. The
 *    credentials buffer is wiped after sending. Errors are one line naming
 *    the proxy.
 */
#include "clock.h"
#include "socks5.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* "[ffff:...:ffff]:65535" plus NUL fits comfortably. */
#define ENDPOINT_LEN (INET6_ADDRSTRLEN + 8)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap); /* truncates, always NUL-terminates */
	va_end(ap);
}

/* ---- time / I/O helpers, all bounded by an absolute deadline ---- */

static long long deadline_in(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : mk_now_ms() + timeout_ms;
}

enum io_res { IO_OK, IO_TIMEOUT, IO_EOF, IO_ERR };

/* Wait for ev on fd until deadline (-1 = forever). errno is set on IO_ERR. */
static enum io_res wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	for (;;) {
		int ms = -1;
		if (deadline >= 0) {
			long long left = deadline - mk_now_ms();
			ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue; /* the deadline is absolute, so no drift */
		if (r < 0)
			return IO_ERR;
		if (r == 0)
			return IO_TIMEOUT;
		if (p.revents & POLLNVAL) {
			errno = EBADF;
			return IO_ERR;
		}
		return IO_OK; /* POLLHUP/POLLERR: the next send/recv reports it */
	}
}

static enum io_res send_all(int fd, const uint8_t *p, size_t n,
			    long long deadline)
{
	while (n > 0) {
		enum io_res w = wait_fd(fd, POLLOUT, deadline);
		if (w != IO_OK)
			return w;
		ssize_t s = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (s < 0 && (errno == EINTR || errno == EAGAIN ||
			      errno == EWOULDBLOCK))
			continue;
		if (s <= 0)
			return IO_ERR;
		p += s;
		n -= (size_t)s;
	}
	return IO_OK;
}

static enum io_res recv_exact(int fd, uint8_t *p, size_t n, long long deadline)
{
	while (n > 0) {
		enum io_res w = wait_fd(fd, POLLIN, deadline);
		if (w != IO_OK)
			return w;
		ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN ||
			      errno == EWOULDBLOCK))
			continue;
		if (r < 0)
			return IO_ERR;
		if (r == 0)
			return IO_EOF;
		p += r;
		n -= (size_t)r;
	}
	return IO_OK;
}

/* ---- addresses ---- */

/* "1.2.3.4:1080" or "[::1]:1080". */
static void fmt_endpoint(char out[ENDPOINT_LEN], const char *ip, uint16_t port)
{
	const char *fmt = strchr(ip, ':') ? "[%s]:%u" : "%s:%u";
	snprintf(out, ENDPOINT_LEN, fmt, ip, (unsigned)port);
}

/* The proxy's address for messages; "<unknown>" if not an inet socket. */
static void peer_name(int fd, char out[ENDPOINT_LEN])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN];
	snprintf(out, ENDPOINT_LEN, "<unknown>");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip))
			fmt_endpoint(out, ip, ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip))
			fmt_endpoint(out, ip, ntohs(a->sin6_port));
	}
}

/* IP literal -> sockaddr. inet_pton never resolves names. */
static int parse_ip(const char *ip, uint16_t port, struct sockaddr_storage *ss,
		    socklen_t *sl)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*sl = sizeof *a4;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*sl = sizeof *a6;
		return 0;
	}
	return -1;
}

/* Non-blocking connect bounded by timeout_ms; 0 or -1 with errno. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t sl,
			   int timeout_ms)
{
	if (connect(fd, sa, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	enum io_res w = wait_fd(fd, POLLOUT, deadline_in(timeout_ms));
	if (w == IO_TIMEOUT)
		errno = ETIMEDOUT;
	if (w != IO_OK)
		return -1;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

int mk_socks5_connect_proxy(const char *ip, uint16_t port, int timeout_ms,
			    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (ip == NULL || parse_ip(ip, port, &ss, &sl) != 0) {
		set_err(err, errlen, "proxy address '%s' is not an IPv4 or IPv6 "
			"address literal", ip ? ip : "(null)");
		return -1;
	}
	char ep[ENDPOINT_LEN];
	fmt_endpoint(ep, ip, port);
	if (port == 0) {
		set_err(err, errlen, "proxy %s: port 0 is not valid", ep);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect_timeout(fd, (struct sockaddr *)&ss, sl,
				      timeout_ms) != 0 || set_blocking(fd) != 0) {
		int e = errno;
		set_err(err, errlen, "cannot connect to proxy %s: %s", ep,
			strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- client handshake ---- */

/* One line for a failed read/write during the handshake. */
static mk_socks_result io_fail(enum io_res r, const char *ep, int timeout_ms,
			       char *err, size_t errlen)
{
	if (r == IO_TIMEOUT)
		set_err(err, errlen, "proxy %s did not complete the SOCKS5 "
			"handshake within %d ms", ep, timeout_ms);
	else if (r == IO_EOF)
		set_err(err, errlen, "proxy %s closed the connection during the "
			"SOCKS5 handshake", ep);
	else
		set_err(err, errlen, "SOCKS5 handshake with proxy %s failed: %s",
			ep, strerror(errno));
	return MK_SOCKS_PROTOCOL;
}

/* Judge the 2-byte method-selection reply against what we offered. */
static mk_socks_result check_method(const uint8_t rep[2], uint8_t offered,
				    const char *ep, char *err, size_t errlen)
{
	if (rep[0] != MK_SOCKS5_VER) {
		set_err(err, errlen, "proxy %s is not a SOCKS5 server (reply "
			"version 0x%02x)", ep, rep[0]);
		return MK_SOCKS_PROTOCOL;
	}
	if (rep[1] == MK_SOCKS5_METHOD_NONE) {
		if (offered == MK_SOCKS5_METHOD_NOAUTH)
			set_err(err, errlen, "proxy %s requires authentication "
				"but no username is configured", ep);
		else
			set_err(err, errlen, "proxy %s does not accept "
				"username/password authentication", ep);
		return MK_SOCKS_AUTH_REQUIRED;
	}
	if (rep[1] != offered) {
		set_err(err, errlen, "proxy %s chose authentication method "
			"0x%02x, which was not offered", ep, rep[1]);
		return MK_SOCKS_PROTOCOL;
	}
	return MK_SOCKS_OK;
}

/* RFC 1929: VER=1 ULEN UNAME PLEN PASSWD, reply VER=1 STATUS (0 = ok). */
static mk_socks_result userpass(int fd, const char *user, const char *pass,
				const char *ep, long long deadline,
				int timeout_ms, char *err, size_t errlen)
{
	size_t ul = strlen(user), pl = strlen(pass);
	if (ul > 255 || pl > 255) {
		set_err(err, errlen, "proxy username or password is longer than "
			"255 bytes (RFC 1929 limit)");
		return MK_SOCKS_PROTOCOL;
	}
	uint8_t msg[3 + 255 + 255]; /* lengths checked above: fits */
	msg[0] = MK_SOCKS5_AUTH_VER;
	msg[1] = (uint8_t)ul;
	memcpy(msg + 2, user, ul);
	msg[2 + ul] = (uint8_t)pl;
	memcpy(msg + 3 + ul, pass, pl);
	enum io_res r = send_all(fd, msg, 3 + ul + pl, deadline);
	explicit_bzero(msg, sizeof msg); /* no password copy left on the stack */
	uint8_t rep[2];
	if (r == IO_OK)
		r = recv_exact(fd, rep, sizeof rep, deadline);
	if (r != IO_OK)
		return io_fail(r, ep, timeout_ms, err, errlen);
	if (rep[0] != MK_SOCKS5_AUTH_VER) {
		set_err(err, errlen, "proxy %s sent a malformed username/password "
			"reply (version 0x%02x)", ep, rep[0]);
		return MK_SOCKS_PROTOCOL;
	}
	if (rep[1] != 0 && pl == 0) {
		/* Not "wrong password": there was none to be wrong. */
		set_err(err, errlen, "proxy %s refused the username with an empty password: no "
			"password was given (set [proxy] password, [proxy] password_file or "
			"$MEERKO_PROXY_PASSWORD)", ep);
		return MK_SOCKS_AUTH_FAILED;
	}
	if (rep[1] != 0) {
		set_err(err, errlen, "proxy %s rejected the username/password", ep);
		return MK_SOCKS_AUTH_FAILED;
	}
	return MK_SOCKS_OK;
}

mk_socks_result mk_socks5_client_auth(int fd, const char *user,
				      const char *pass, int timeout_ms,
				      char *err, size_t errlen)
{
	char ep[ENDPOINT_LEN];
	peer_name(fd, ep);
	bool use_pw = user != NULL && user[0] != '\0';
	uint8_t method = use_pw ? MK_SOCKS5_METHOD_USERPASS
				: MK_SOCKS5_METHOD_NOAUTH;
	/* Exactly one method offered: the proxy cannot downgrade us. */
	const uint8_t greeting[3] = { MK_SOCKS5_VER, 1, method };
	long long deadline = deadline_in(timeout_ms);
	uint8_t rep[2];
	enum io_res r = send_all(fd, greeting, sizeof greeting, deadline);
	if (r == IO_OK)
		r = recv_exact(fd, rep, sizeof rep, deadline);
	if (r != IO_OK)
		return io_fail(r, ep, timeout_ms, err, errlen);
	mk_socks_result res = check_method(rep, method, ep, err, errlen);
	if (res != MK_SOCKS_OK || !use_pw)
		return res;
	return userpass(fd, user, pass ? pass : "", ep, deadline, timeout_ms,
			err, errlen);
}

mk_socks_result mk_socks5_probe(const char *ip, uint16_t port,
				const char *user, const char *pass,
				int timeout_ms, char *err, size_t errlen)
{
	int fd = mk_socks5_connect_proxy(ip, port, timeout_ms, err, errlen);
	if (fd < 0)
		return MK_SOCKS_UNREACHABLE;
	mk_socks_result res =
		mk_socks5_client_auth(fd, user, pass, timeout_ms, err, errlen);
	close(fd);
	return res;
}

/* ---- UDP ASSOCIATE (client side) ---- */

/* ATYP + ADDR + PORT of an inet sockaddr; returns the bytes written (7 or
 * 19), 0 for another family. out has room for 19. */
static size_t put_addr(const struct sockaddr_storage *ss, uint8_t *out)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		out[0] = MK_SOCKS5_ATYP_IPV4;
		memcpy(out + 1, &a->sin_addr, 4);
		memcpy(out + 5, &a->sin_port, 2); /* both in network order */
		return 7;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		out[0] = MK_SOCKS5_ATYP_IPV6;
		memcpy(out + 1, &a->sin6_addr, 16);
		memcpy(out + 17, &a->sin6_port, 2);
		return 19;
	}
	return 0;
}

/* Reads the rest of a reply after VER REP RSV ATYP: the bound address. */
static enum io_res read_bound(int fd, uint8_t atyp, struct sockaddr_storage *out,
			      long long deadline)
{
	uint8_t b[18];
	size_t alen = atyp == MK_SOCKS5_ATYP_IPV4 ? 4 : 16;
	enum io_res r = recv_exact(fd, b, alen + 2, deadline);
	if (r != IO_OK)
		return r;
	memset(out, 0, sizeof *out);
	if (atyp == MK_SOCKS5_ATYP_IPV4) {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, b, 4);
		memcpy(&a->sin_port, b + 4, 2);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, b, 16);
		memcpy(&a->sin6_port, b + 16, 2);
	}
	return IO_OK;
}

/* BND.ADDR 0.0.0.0 / :: means "the address you reached me at". */
static void fill_unspecified(int fd, struct sockaddr_storage *relay)
{
	struct sockaddr_storage peer;
	socklen_t sl = sizeof peer;
	static const uint8_t zero[16];
	bool unspec = relay->ss_family == AF_INET
		? ((struct sockaddr_in *)relay)->sin_addr.s_addr == 0
		: memcmp(&((struct sockaddr_in6 *)relay)->sin6_addr, zero, 16) == 0;
	if (!unspec || getpeername(fd, (struct sockaddr *)&peer, &sl) != 0 ||
	    peer.ss_family != relay->ss_family)
		return;
	if (peer.ss_family == AF_INET)
		((struct sockaddr_in *)relay)->sin_addr = ((struct sockaddr_in *)&peer)->sin_addr;
	else
		((struct sockaddr_in6 *)relay)->sin6_addr = ((struct sockaddr_in6 *)&peer)->sin6_addr;
}

mk_socks_result mk_socks5_udp_associate(int fd, const struct sockaddr_storage *client,
					struct sockaddr_storage *relay, uint8_t *rep,
					int timeout_ms, char *err, size_t errlen)
{
	char ep[ENDPOINT_LEN];
	peer_name(fd, ep);
	uint8_t req[3 + 19] = { MK_SOCKS5_VER, MK_SOCKS5_CMD_UDP, 0 };
	size_t n = put_addr(client, req + 3);
	if (n == 0) {
		set_err(err, errlen, "UDP ASSOCIATE: client address is not IPv4/IPv6");
		return MK_SOCKS_PROTOCOL;
	}
	long long deadline = deadline_in(timeout_ms);
	uint8_t head[4];
	enum io_res r = send_all(fd, req, 3 + n, deadline);
	if (r == IO_OK)
		r = recv_exact(fd, head, sizeof head, deadline);
	if (r != IO_OK)
		return io_fail(r, ep, timeout_ms, err, errlen);
	*rep = head[1];
	if (head[0] != MK_SOCKS5_VER) {
		set_err(err, errlen, "proxy %s sent a malformed UDP ASSOCIATE reply", ep);
		return MK_SOCKS_PROTOCOL;
	}
	if (head[1] != MK_SOCKS5_REP_OK) {
		set_err(err, errlen, "proxy %s refused UDP ASSOCIATE (reply 0x%02x)", ep, head[1]);
		return MK_SOCKS_REFUSED;
	}
	if (head[3] != MK_SOCKS5_ATYP_IPV4 && head[3] != MK_SOCKS5_ATYP_IPV6) {
		set_err(err, errlen, "proxy %s gave its UDP relay as a name or unknown type "
			"(ATYP 0x%02x)", ep, head[3]);
		return MK_SOCKS_PROTOCOL;
	}
	r = read_bound(fd, head[3], relay, deadline);
	if (r != IO_OK)
		return io_fail(r, ep, timeout_ms, err, errlen);
	fill_unspecified(fd, relay);
	return MK_SOCKS_OK;
}

mk_socks_result mk_socks5_read_reply(int fd, uint8_t *rep, int timeout_ms, char *err,
				     size_t errlen)
{
	char ep[ENDPOINT_LEN];
	peer_name(fd, ep);
	long long deadline = deadline_in(timeout_ms);
	uint8_t head[5] = { 0 }, rest[255 + 2];
	enum io_res r = recv_exact(fd, head, 4, deadline);
	size_t n = head[3] == MK_SOCKS5_ATYP_IPV4 ? 4 + 2 : head[3] == MK_SOCKS5_ATYP_IPV6 ? 16 + 2 : 0;
	if (r == IO_OK && head[3] == MK_SOCKS5_ATYP_DOMAIN) {
		r = recv_exact(fd, head + 4, 1, deadline);
		n = (size_t)head[4] + 2;
	}
	if (r == IO_OK && (head[0] != MK_SOCKS5_VER || n == 0)) {
		set_err(err, errlen, "proxy %s sent a malformed reply", ep);
		return MK_SOCKS_PROTOCOL;
	}
	if (r == IO_OK)
		r = recv_exact(fd, rest, n, deadline); /* BND: read and forgotten */
	if (r != IO_OK)
		return io_fail(r, ep, timeout_ms, err, errlen);
	*rep = head[1];
	return MK_SOCKS_OK;
}

mk_socks_result mk_socks5_probe_udp(const char *ip, uint16_t port, const char *user,
				    const char *pass, int timeout_ms, uint8_t *rep,
				    char *err, size_t errlen)
{
	struct sockaddr_storage any, relay;
	memset(&any, 0, sizeof any);
	any.ss_family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	*rep = 0;
	int fd = mk_socks5_connect_proxy(ip, port, timeout_ms, err, errlen);
	if (fd < 0)
		return MK_SOCKS_UNREACHABLE;
	mk_socks_result res = mk_socks5_client_auth(fd, user, pass, timeout_ms, err, errlen);
	if (res == MK_SOCKS_OK)
		res = mk_socks5_udp_associate(fd, &any, &relay, rep, timeout_ms, err, errlen);
	close(fd);
	return res;
}
