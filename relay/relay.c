/*
 * relay.c - SOCKS5 relay between the engine's namespace and the real proxy.
 *
 * Why this is safe: the engine is hostile, so everything it sends before the
 * byte pump is parsed by socks5.c's bounded, allocation-free parsers, under
 * a deadline (SO_RCVTIMEO), one thread per connection with a cap on how many
 * exist. Only CONNECT is relayed, and only to a destination that passes
 * dest_policy.h (global unicast, not the proxy itself, no local-only name):
 * the proxy is only the first hop, and behind it may be its own loopback
 * or LAN. A refused CONNECT gets reply 0x02 and costs the proxy nothing.
 * Destinations are reached *through the user's proxy*, never directly:
 * the relay itself only ever connects to the proxy's address. The relay
 * reads the proxy's reply itself and gives the engine only REP, with
 * BND.ADDR/PORT zeroed (dante puts its egress address there). After the
 * handshake the relay never interprets payload; it splices bytes. UDP
 * ASSOCIATE (only when the broker's probe found the proxy supports it) is
 * handed to relay_udp.c, which has its own thread and contract.
 *
 * The relay runs in its own process (forked from the broker before any
 * thread exists), so the broker's main loop stays single-threaded and
 * fork-safe, and the relay's CPU shows up on its own in the benchmark.
 * It confines itself where it starts (relay_main: uid drop, no_new_privs,
 * not dumpable, its own seccomp table policy/seccomp_relay.c), before any
 * byte of the engine is read and before its threads exist. It never exits
 * silently: every fatal path writes "FATAL why" to the status pipe first.
 *
 * Descriptors: a relayed connection holds MK_RELAY_FDS_PER_CONN of them,
 * so the relay accepts at most mk_relay_conn_cap() connections at once,
 * below its RLIMIT_NOFILE (raised to its hard limit, up to what
 * MK_RELAY_MAX_CONNS needs) minus a reserve for the health probe and UDP.
 * Past the cap a connection gets a SOCKS5 general failure and is closed, and
 * the broker hears "TOOMANY cap" (at most every MK_RELAY_TOOMANY_S): an
 * engine that opens too many connections is its own fault, not an outage of
 * the proxy, so it must never read as "proxy down".
 */
#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dest_policy.h"
#include "refusal.h"
#include "relay.h"
#include "relay_escape_test.h"
#include "relay_udp.h"
#include "sanitize.h"
#include "seccomp_relay.h"
#include "socks5_server.h"

#define HANDSHAKE_TIMEOUT_MS 10000
/* The proxy's answer to a CONNECT: as long as Tor's SocksTimeout (a circuit
 * may take that long); before, the reply flowed through the pump unbounded. */
#define CONNECT_REPLY_TIMEOUT_MS 120000
#define PROBE_TIMEOUT_MS 2000
#define PIPE_BYTES (1 << 20)
#define SPLICE_CHUNK (1 << 20)

static const struct mk_relay_upstream *g_up;
static int g_status_fd = -1;
static atomic_int g_conns;
static atomic_int g_up_state = -1; /* -1 unknown, 0 down, 1 up */
static struct mk_dest_policy g_policy; /* set once, before any thread */


static int g_conn_cap = MK_RELAY_MAX_CONNS;
static atomic_llong g_toomany_said; /* CLOCK_MONOTONIC s of the last TOOMANY */

/* The descriptor limit the relay runs with: its soft limit, raised to the
 * hard one as far as MK_RELAY_MAX_CONNS connections need. */
static rlim_t nofile_wanted(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return 1024;
	rlim_t want = (rlim_t)MK_RELAY_MAX_CONNS * MK_RELAY_FDS_PER_CONN + MK_RELAY_FD_RESERVE;
	if (r.rlim_cur >= want)
		return r.rlim_cur;
	return r.rlim_max < want ? r.rlim_max : want;
}

int mk_relay_conn_cap(void)
{
	rlim_t n = nofile_wanted();
	if (n <= MK_RELAY_FD_RESERVE + MK_RELAY_FDS_PER_CONN)
		return 1;
	rlim_t cap = (n - MK_RELAY_FD_RESERVE) / MK_RELAY_FDS_PER_CONN;
	return cap < MK_RELAY_MAX_CONNS ? (int)cap : MK_RELAY_MAX_CONNS;
}

static void raise_nofile(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return;
	r.rlim_cur = nofile_wanted();
	(void)setrlimit(RLIMIT_NOFILE, &r);
}

/* "TOOMANY cap": the engine, not the proxy, ran out of room. Rate-limited. */
static void report_toomany(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long last = atomic_load(&g_toomany_said);
	if (last && ts.tv_sec - last < MK_RELAY_TOOMANY_S)
		return;
	if (!atomic_compare_exchange_strong(&g_toomany_said, &last, (long long)ts.tv_sec))
		return;
	char line[64];
	int n = snprintf(line, sizeof line, "TOOMANY %d\n", g_conn_cap);
	if (g_status_fd >= 0 && n > 0)
		(void)write(g_status_fd, line, (size_t)n);
}

static void report_state(int up, const char *why)
{
	int prev = atomic_exchange(&g_up_state, up);
	if (prev == up)
		return;
	char line[300];
	int n = up ? snprintf(line, sizeof line, "UP\n")
		   : snprintf(line, sizeof line, "DOWN %.280s\n", why);
	/* One write under PIPE_BUF is atomic: lines never interleave. */
	if (g_status_fd >= 0 && n > 0)
		(void)write(g_status_fd, line, (size_t)n);
}

/* The relay cannot go on: one "FATAL why" line to the broker (which says
 * it on stderr, then handles the relay's death), and out. */
static void relay_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void relay_fatal(const char *fmt, ...)
{
	char line[256] = "FATAL ";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + 6, sizeof line - 7, fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	line[n] = '\n';
	if (g_status_fd >= 0)
		(void)write(g_status_fd, line, n + 1);
	_exit(1);
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until parse() stops asking for more; buf is bounded by cap. */
static int read_msg(int fd, uint8_t *buf, size_t cap, size_t *have,
		    int (*parse)(const uint8_t *, size_t, size_t *, void *), void *out,
		    size_t *consumed)
{
	for (;;) {
		int st = parse(buf, *have, consumed, out);
		if (st != MK_SOCKS5_PARSE_NEED_MORE)
			return st == MK_SOCKS5_PARSE_OK ? 0 : -1;
		if (*have == cap)
			return -1;
		ssize_t n = recv(fd, buf + *have, cap - *have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

static int parse_greeting(const uint8_t *b, size_t n, size_t *c, void *out)
{
	return mk_socks5_parse_greeting(b, n, c, (bool *)out);
}

static int parse_request(const uint8_t *b, size_t n, size_t *c, void *out)
{
	return mk_socks5_parse_request(b, n, c, (struct mk_socks5_request *)out);
}

static void reply(int fd, uint8_t rep)
{
	uint8_t r[MK_SOCKS5_REPLY_LEN];
	size_t n = mk_socks5_build_reply(rep, r);
	(void)write_all(fd, r, n);
}

/* Connects and authenticates to the real proxy within auth_ms; reports
 * health changes. */
static int upstream_open_within(int auth_ms)
{
	char err[256];
	int fd = mk_socks5_connect_proxy(g_up->ip, g_up->port, PROBE_TIMEOUT_MS, err, sizeof err);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		report_toomany(); /* our descriptors ran out: not the proxy's fault */
		return -1;
	}
	if (fd < 0) {
		report_state(0, err);
		return -1;
	}
	if (mk_socks5_client_auth(fd, g_up->user, g_up->password, auth_ms, err, sizeof err) != MK_SOCKS_OK) {
		close(fd);
		report_state(0, err);
		return -1;
	}
	report_state(1, NULL);
	return fd;
}

/* For the engine's connections: a slow proxy gets the full handshake time. */
static int upstream_open(void)
{
	return upstream_open_within(HANDSHAKE_TIMEOUT_MS);
}

struct dir {
	int in, out, pipe[2];
	size_t queued;
	int eof;
};

/* One direction's step: move what is ready. Returns -1 on a fatal error. */
static int pump_step(struct dir *d, short in_ev, short out_ev)
{
	if (!d->eof && (in_ev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = splice(d->in, NULL, d->pipe[1], NULL, SPLICE_CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			d->queued += (size_t)n;
		else if (n == 0)
			d->eof = 1;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (d->queued > 0 && (out_ev & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t n = splice(d->pipe[0], NULL, d->out, NULL, d->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			d->queued -= (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (d->eof == 1 && d->queued == 0) {
		shutdown(d->out, SHUT_WR); /* pass the half-close on */
		d->eof = 2;
	}
	return 0;
}

static void pump(int a, int b)
{
	struct dir d[2] = { { .in = a, .out = b }, { .in = b, .out = a } };
	if (pipe2(d[0].pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return;
	if (pipe2(d[1].pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		goto out0;
	fcntl(d[0].pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
	fcntl(d[1].pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	while (d[0].eof < 2 || d[1].eof < 2) {
		struct pollfd p[2] = { { .fd = a }, { .fd = b } };
		/* p[0] is a (engine), p[1] is b (proxy). */
		if (!d[0].eof && d[0].queued < PIPE_BYTES) p[0].events |= POLLIN;
		if (!d[1].eof && d[1].queued < PIPE_BYTES) p[1].events |= POLLIN;
		if (d[0].queued) p[1].events |= POLLOUT;
		if (d[1].queued) p[0].events |= POLLOUT;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (pump_step(&d[0], p[0].revents, p[1].revents) != 0 ||
		    pump_step(&d[1], p[1].revents, p[0].revents) != 0)
			break;
	}
	close(d[1].pipe[0]);
	close(d[1].pipe[1]);
out0:
	close(d[0].pipe[0]);
	close(d[0].pipe[1]);
}

static int upstream_open_cb(void *ctx)
{
	(void)ctx;
	return upstream_open();
}

/* Sends the engine's request (req_len bytes of buf) upstream and answers
 * the engine with the proxy's REP and a zero BND. 0 when the proxy said OK. */
static int connect_upstream(int efd, int pfd, const uint8_t *buf, size_t req_len)
{
	char err[256];
	uint8_t rep = MK_SOCKS5_REP_FAILURE;
	if (write_all(pfd, buf, req_len) != 0 ||
	    mk_socks5_read_reply(pfd, &rep, CONNECT_REPLY_TIMEOUT_MS, err, sizeof err) != MK_SOCKS_OK)
		rep = MK_SOCKS5_REP_FAILURE;
	reply(efd, rep);
	return rep == MK_SOCKS5_REP_OK ? 0 : -1;
}

/* A CONNECT: the policy first, then the proxy. */
static void serve_connect(int efd, const struct mk_socks5_request *req, const uint8_t *buf,
			  size_t used, size_t have)
{
	const char *why = mk_dest_check(&g_policy, req->atyp, req->ip, req->host);
	if (why) {
		mk_relay_refused(MK_RELAY_REFUSED_CONNECT, req->atyp, req->ip, req->host, req->port, why);
		reply(efd, MK_SOCKS5_REP_NOT_ALLOWED);
		return;
	}
	int pfd = upstream_open();
	if (pfd < 0) {
		reply(efd, MK_SOCKS5_REP_FAILURE);
		return;
	}
	/* Then anything the engine pipelined after its request. */
	if (connect_upstream(efd, pfd, buf, used) == 0 && write_all(pfd, buf + used, have - used) == 0) {
		set_timeouts(efd, 0);
		pump(efd, pfd);
	}
	close(pfd);
}

/* Returns 1 when efd was handed to the UDP thread (do not close it). */
static int serve(int efd)
{
	uint8_t buf[600];
	size_t have = 0, used = 0;
	bool noauth = false;
	struct mk_socks5_request req;
	set_timeouts(efd, HANDSHAKE_TIMEOUT_MS);
	if (read_msg(efd, buf, sizeof buf, &have, parse_greeting, &noauth, &used) != 0)
		return 0;
	if (!noauth) {
		(void)write_all(efd, (const uint8_t[]){ MK_SOCKS5_VER, MK_SOCKS5_METHOD_NONE }, 2);
		return 0;
	}
	if (write_all(efd, (const uint8_t[]){ MK_SOCKS5_VER, MK_SOCKS5_METHOD_NOAUTH }, 2) != 0)
		return 0;
	memmove(buf, buf + used, have - used);
	have -= used;
	if (read_msg(efd, buf, sizeof buf, &have, parse_request, &req, &used) != 0)
		return 0;
	mk_relay_escape_try(&req, g_status_fd); /* test builds only: relay_escape_test.h */
	bool udp = req.cmd == MK_SOCKS5_CMD_UDP && g_up->udp;
	if (req.cmd != MK_SOCKS5_CMD_CONNECT && !udp) {
		reply(efd, MK_SOCKS5_REP_CMD_UNSUPPORTED); /* no BIND; UDP only if the proxy can */
		return 0;
	}
	if (udp && have != used)
		return 0; /* nothing may follow a UDP ASSOCIATE request */
	if (udp) /* it reserves a table slot before it opens anything upstream */
		return mk_relay_udp_associate(efd, &req, upstream_open_cb, NULL);
	serve_connect(efd, &req, buf, used, have);
	return 0;
}

/* Periodic SOCKS5 greeting (and auth) to the real proxy, so an outage is
 * noticed even when the engine opens no new connection. Every probe goes to
 * the proxy's address only. A proxy that accepts but does not answer the
 * greeting within PROBE_TIMEOUT_MS is down (the greeting is local to any
 * proxy, tor included: only CONNECT may take long), so a stalled proxy is
 * seen within MK_RELAY_PROBE_UP_S + PROBE_TIMEOUT_MS. */
static void *health_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = upstream_open_within(PROBE_TIMEOUT_MS);
		if (fd >= 0)
			close(fd);
		sleep(atomic_load(&g_up_state) == 1 ? MK_RELAY_PROBE_UP_S : MK_RELAY_PROBE_DOWN_S);
	}
	return NULL;
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	if (!serve(fd))
		close(fd);
	atomic_fetch_sub(&g_conns, 1);
	return NULL;
}

/* Over the cap: a SOCKS5 "no auth" choice and a general failure reply,
 * sent without reading (both fit any socket buffer), then close. */
static void refuse(int fd)
{
	uint8_t r[2 + MK_SOCKS5_REPLY_LEN] = { MK_SOCKS5_VER, MK_SOCKS5_METHOD_NOAUTH };
	size_t n = mk_socks5_build_reply(MK_SOCKS5_REP_FAILURE, r + 2);
	(void)send(fd, r, 2 + n, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	close(fd);
	report_toomany();
}

static void accept_loop(int lfd)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_t health, udp;
	if (pthread_create(&health, &attr, health_thread, NULL) != 0)
		relay_fatal("cannot start the health probe thread");
	if (g_up->udp && pthread_create(&udp, &attr, mk_relay_udp_thread, NULL) != 0)
		relay_fatal("cannot start the UDP thread");
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				report_toomany();
				usleep(10 * 1000); /* the connection waits in the backlog: no spin */
			}
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
				continue;
			relay_fatal("accept on the engine's listener: %s", strerror(errno));
		}
		pthread_t t;
		if (atomic_fetch_add(&g_conns, 1) >= g_conn_cap) {
			atomic_fetch_sub(&g_conns, 1);
			refuse(fd);
		} else if (pthread_create(&t, &attr, conn_thread, (void *)(intptr_t)fd) != 0) {
			atomic_fetch_sub(&g_conns, 1);
			refuse(fd);
		}
	}
}

/* Keeps only stdio and the given descriptors: the relay must not hold the
 * engine socket or anything else the broker had open. */
static void close_others(const int *keep, int n)
{
	int lo = 3;
	for (int k = 0; k < n; k++) {
		int next = -1; /* the smallest kept fd >= lo */
		for (int i = 0; i < n; i++)
			if (keep[i] >= lo && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			break;
		if (next > lo)
			syscall(SYS_close_range, lo, next - 1, 0);
		lo = next + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

/* As root: no capabilities, and the relay's own uid/gid. */
static void drop_root(const struct mk_relay_upstream *up)
{
	if (geteuid() != 0)
		return;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_change_id((int)up->drop_uid, (int)up->drop_gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0)
		relay_fatal("cannot drop to uid %u", (unsigned)up->drop_uid);
}

/* The relay's pledge, where it starts and before it reads a byte of the
 * engine: no new privileges, not dumpable (it holds the proxy password),
 * and its own seccomp table (policy/seccomp_relay.c), inherited by every
 * thread it makes afterwards. */
static void confine(void)
{
	char why[256];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		relay_fatal("no_new_privs: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		relay_fatal("PR_SET_DUMPABLE: %s", strerror(errno));
	if (mk_relay_escape_unconfined())
		return; /* test twin's negative control only (relay_escape_test.h) */
	if (mk_seccomp_relay_install(why, sizeof why) != 0)
		relay_fatal("cannot confine itself: %s", why);
}

static void relay_main(const struct mk_relay_fds *fds, const struct mk_relay_upstream *up,
		       int status_fd)
{
	int keep[3] = { fds->listen_fd, status_fd, up->udp ? fds->udp_fd : -1 };
	close_others(keep, 3); /* without UDP, the UDP socket is closed here too */
	g_status_fd = status_fd;
	prctl(PR_SET_NAME, "meerko-relay", 0, 0, 0); /* for ps, and for the tests */
	g_up = up;
	if (mk_dest_policy_init(&g_policy, up->ip, up->allow_private) != 0)
		relay_fatal("the proxy address %.64s is not an IP literal", up->ip);
	raise_nofile();
	g_conn_cap = mk_relay_conn_cap();
	if (up->udp && mk_relay_udp_init(fds->udp_fd, &g_policy) != 0)
		relay_fatal("cannot set up UDP relaying: %s", strerror(errno));
	pid_t broker = getppid();
	signal(SIGPIPE, SIG_IGN);
	drop_root(up);
	/* The relay dies with the broker: it must never outlive it. Set after
	 * the uid change, which clears the parent-death signal; then check the
	 * broker did not already die in between. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != broker)
		relay_fatal("the broker is gone");
	confine();
	accept_loop(fds->listen_fd);
}

pid_t mk_relay_start(const struct mk_relay_fds *fds, const struct mk_relay_upstream *up,
		     int status_fd, char *err, size_t errlen)
{
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start the relay: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		relay_main(fds, up, status_fd);
		relay_fatal("its accept loop ended");
	}
	return pid;
}
