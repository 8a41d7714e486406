/*
 * relay_udp.c - SOCKS5 UDP ASSOCIATE through the relay (see relay_udp.h).
 *
 * Why this is safe:
 *  - The engine's datagrams are parsed only by mk_socks5_parse_udp_header
 *    (bounded, allocation-free); anything else is dropped, never answered.
 *  - Every datagram's DST (the header's, the second hop) must pass
 *    dest_policy.h, or it is dropped: nothing private or local, no local
 *    or disguised name, not the proxy itself.
 *  - The relay only ever sends outside to the proxy's UDP relay address,
 *    which the proxy told us on our own authenticated control connection;
 *    the outside socket is connect()ed to it, so the kernel also drops
 *    datagrams from anyone else.
 *  - Inside, datagrams go only to the engine address the association
 *    learned; the inside socket lives in the engine's namespace, which
 *    holds nothing but the engine.
 *  - The one payload it rewrites: a datagram that is exactly one canonical
 *    bencoded dictionary (a DHT message) loses its top-level "v" key
 *    (dht_scrub.c), because libtorrent 2.0.8 names itself there even in
 *    anonymous mode; one that starts like a DHT message but is not
 *    canonical bencode is dropped (and counted), so no lenient DHT node
 *    reads a "v" the scrubber did not see. The rewrite only ever shortens,
 *    and is bounded and allocation-free.
 *  - One thread, one poll() over a fixed table; one datagram buffer.
 *    Connection threads only add to a mutex-protected pending list and
 *    wake the thread through an eventfd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dht_scrub.h"
#include "refusal.h"
#include "relay_udp.h"

#define ASSOC_TIMEOUT_MS 10000
#define DGRAM_MAX 65536

struct assoc {
	int efd, pfd, ofd;        /* engine control, proxy control, outside UDP */
	struct sockaddr_storage relay;  /* the proxy's UDP relay address */
	uint32_t want_ip;         /* engine source the request named; 0 = any */
	uint16_t want_port;       /* network order; 0 = any */
	struct sockaddr_in peer;  /* the engine's source, once learned */
	bool learned;
	uint64_t gen;             /* newer association wins an ambiguous first datagram */
};

static int g_inside = -1, g_wake = -1;
static const struct mk_dest_policy *g_policy;
static struct sockaddr_in g_inside_addr;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct assoc g_pending[MK_RELAY_UDP_MAX_ASSOC];
static int g_npending, g_nlive; /* under g_lock; g_nlive: reserved + pending + live */
static struct assoc g_live[MK_RELAY_UDP_MAX_ASSOC]; /* the UDP thread's own */
static int g_nlive_local;
static uint64_t g_gen;

int mk_relay_udp_init(int inside_fd, const struct mk_dest_policy *policy)
{
	g_policy = policy;
	socklen_t sl = sizeof g_inside_addr;
	g_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g_wake < 0)
		return -1;
	if (getsockname(inside_fd, (struct sockaddr *)&g_inside_addr, &sl) != 0 ||
	    g_inside_addr.sin_family != AF_INET) {
		errno = EINVAL;
		return -1;
	}
	g_inside = inside_fd;
	return 0;
}

/* ------------------------------------------------ association set-up */

static int reply(int efd, uint8_t rep, const struct sockaddr_in *bnd)
{
	uint8_t r[MK_SOCKS5_REPLY_LEN];
	mk_socks5_build_reply(rep, r);
	if (bnd) {
		memcpy(r + 4, &bnd->sin_addr, 4); /* network order, as on the wire */
		memcpy(r + 8, &bnd->sin_port, 2);
	}
	/* 10 bytes on a connection that carried only the handshake: never blocks */
	return send(efd, r, sizeof r, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof r ? 0 : -1;
}

/* What the engine said it will send from: IPv4, or IPv6 all-zeros ("not
 * known yet", port kept). A name is refused: it would mean a lookup. */
static int engine_wants(const struct mk_socks5_request *req, struct assoc *a)
{
	static const uint8_t zero[16];
	a->want_port = htons(req->port);
	if (req->atyp == MK_SOCKS5_ATYP_IPV4) {
		memcpy(&a->want_ip, req->ip, 4);
		return 0;
	}
	a->want_ip = 0;
	return req->atyp == MK_SOCKS5_ATYP_IPV6 && memcmp(req->ip, zero, 16) == 0 ? 0 : -1;
}

/* Outside UDP socket on the control connection's local address (so the
 * proxy can check our datagrams' source), port chosen by the kernel. */
static int outside_socket(int pfd, struct sockaddr_storage *local)
{
	socklen_t sl = sizeof *local;
	if (getsockname(pfd, (struct sockaddr *)local, &sl) != 0)
		return -1;
	if (local->ss_family == AF_INET)
		((struct sockaddr_in *)local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)local)->sin6_port = 0;
	int fd = socket(local->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	sl = local->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (fd < 0 || bind(fd, (struct sockaddr *)local, sl) != 0 ||
	    getsockname(fd, (struct sockaddr *)local, &sl) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* UDP ASSOCIATE upstream; the outside socket is then connected to the
 * proxy's relay address. Returns the REP to give the engine. */
static uint8_t associate_upstream(struct assoc *a)
{
	struct sockaddr_storage local;
	char err[256];
	uint8_t rep = MK_SOCKS5_REP_FAILURE;
	a->ofd = outside_socket(a->pfd, &local);
	if (a->ofd < 0)
		return MK_SOCKS5_REP_FAILURE;
	mk_socks_result r = mk_socks5_udp_associate(a->pfd, &local, &a->relay, &rep,
						    ASSOC_TIMEOUT_MS, err, sizeof err);
	if (r == MK_SOCKS_OK) {
		socklen_t sl = a->relay.ss_family == AF_INET ? sizeof(struct sockaddr_in)
							     : sizeof(struct sockaddr_in6);
		if (a->relay.ss_family == local.ss_family &&
		    connect(a->ofd, (struct sockaddr *)&a->relay, sl) == 0)
			return MK_SOCKS5_REP_OK;
		rep = MK_SOCKS5_REP_FAILURE;
	} else if (r != MK_SOCKS_REFUSED || rep == MK_SOCKS5_REP_OK) {
		rep = MK_SOCKS5_REP_FAILURE;
	}
	close(a->ofd);
	a->ofd = -1;
	return rep;
}

/* A slot in the table, taken before anything is opened upstream, so a full
 * table costs the proxy nothing and the engine gets one clean failure. */
static int reserve(void)
{
	int ok = 0;
	pthread_mutex_lock(&g_lock);
	if (g_nlive < MK_RELAY_UDP_MAX_ASSOC) {
		g_nlive++;
		ok = 1;
	}
	pthread_mutex_unlock(&g_lock);
	return ok;
}

static void release(void)
{
	pthread_mutex_lock(&g_lock);
	g_nlive--;
	pthread_mutex_unlock(&g_lock);
}

/* Into the pending list (room is guaranteed by reserve()); wakes the thread. */
static void hand_over(const struct assoc *a)
{
	uint64_t one = 1;
	pthread_mutex_lock(&g_lock);
	g_pending[g_npending] = *a;
	g_pending[g_npending].gen = ++g_gen;
	g_npending++;
	pthread_mutex_unlock(&g_lock);
	(void)write(g_wake, &one, sizeof one);
}

int mk_relay_udp_associate(int efd, const struct mk_socks5_request *req,
			   int (*open_upstream)(void *ctx), void *ctx)
{
	struct assoc a = { .efd = efd, .pfd = -1, .ofd = -1 };
	if (g_inside < 0) {
		reply(efd, MK_SOCKS5_REP_CMD_UNSUPPORTED, NULL);
		return 0;
	}
	if (engine_wants(req, &a) != 0) {
		reply(efd, MK_SOCKS5_REP_ATYP_UNSUPPORTED, NULL);
		return 0;
	}
	if (!reserve()) {
		reply(efd, MK_SOCKS5_REP_FAILURE, NULL);
		return 0;
	}
	a.pfd = open_upstream(ctx);
	uint8_t rep = a.pfd < 0 ? MK_SOCKS5_REP_FAILURE : associate_upstream(&a);
	if (rep != MK_SOCKS5_REP_OK) {
		reply(efd, rep, NULL);
		if (a.pfd >= 0)
			close(a.pfd);
		release();
		return 0;
	}
	hand_over(&a); /* the UDP thread answers the engine (take_pending) */
	return 1;
}

/* ------------------------------------------------------ the UDP thread */

static void end_assoc(int i)
{
	close(g_live[i].efd);
	close(g_live[i].pfd);
	close(g_live[i].ofd);
	g_live[i] = g_live[--g_nlive_local];
	release();
}

/* New associations go live, and only then is the engine told it may send:
 * its first datagram can never arrive before its association exists. */
static void take_pending(void)
{
	uint64_t n;
	int first = g_nlive_local;
	(void)read(g_wake, &n, sizeof n);
	pthread_mutex_lock(&g_lock);
	/* live + pending <= MK_RELAY_UDP_MAX_ASSOC (reserve()): all fit */
	for (int i = 0; i < g_npending; i++)
		g_live[g_nlive_local++] = g_pending[i];
	g_npending = 0;
	pthread_mutex_unlock(&g_lock);
	for (int i = g_nlive_local - 1; i >= first; i--)
		if (reply(g_live[i].efd, MK_SOCKS5_REP_OK, &g_inside_addr) != 0)
			end_assoc(i);
}

static bool wants(const struct assoc *a, const struct sockaddr_in *from)
{
	return (a->want_ip == 0 || a->want_ip == from->sin_addr.s_addr) &&
	       (a->want_port == 0 || a->want_port == from->sin_port);
}

/* The association a datagram from `from` belongs to: the one that learned
 * this source, else the newest one still waiting for it; -1: drop. */
static int owner(const struct sockaddr_in *from)
{
	int best = -1;
	for (int i = 0; i < g_nlive_local; i++) {
		const struct assoc *a = &g_live[i];
		if (a->learned && a->peer.sin_addr.s_addr == from->sin_addr.s_addr &&
		    a->peer.sin_port == from->sin_port)
			return i;
		if (!a->learned && wants(a, from) && (best < 0 || a->gen > g_live[best].gen))
			best = i;
	}
	if (best >= 0) {
		g_live[best].peer = *from;
		g_live[best].learned = true;
	}
	return best;
}

static uint8_t g_buf[DGRAM_MAX];
static _Atomic uint64_t g_dht_dropped; /* non-canonical DHT messages dropped */

uint64_t mk_relay_udp_dht_dropped(void)
{
	return atomic_load_explicit(&g_dht_dropped, memory_order_relaxed);
}

/* One datagram: whole (not truncated) and with a valid header, or -1. */
static ssize_t recv_dgram(int fd, struct sockaddr_storage *from)
{
	struct iovec iov = { .iov_base = g_buf, .iov_len = sizeof g_buf };
	struct msghdr m = { .msg_name = from, .msg_namelen = sizeof *from, .msg_iov = &iov,
			    .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
	size_t hdr;
	if (n <= 0 || (m.msg_flags & MSG_TRUNC))
		return -1;
	if (mk_socks5_parse_udp_header(g_buf, (size_t)n, &hdr) != MK_SOCKS5_PARSE_OK)
		return -1;
	return n;
}

/* The header's DST (parsed by recv_dgram, hdr its length) may be reached? */
static bool dest_allowed(size_t hdr)
{
	uint8_t atyp = g_buf[3];
	char name[256] = "";
	if (atyp == MK_SOCKS5_ATYP_DOMAIN) {
		memcpy(name, g_buf + 5, g_buf[4]); /* <= 255, no NUL (parser) */
		name[g_buf[4]] = '\0';
	}
	const char *why = mk_dest_check(g_policy, atyp, g_buf + 4, name);
	if (why == NULL)
		return true;
	uint16_t port = (uint16_t)(g_buf[hdr - 2] << 8 | g_buf[hdr - 1]);
	mk_relay_refused(MK_RELAY_REFUSED_DATAGRAM, atyp, g_buf + 4, name, port, why);
	return false;
}

static void from_engine(void)
{
	struct sockaddr_storage from;
	ssize_t n = recv_dgram(g_inside, &from);
	if (n < 0 || from.ss_family != AF_INET)
		return;
	int i = owner((struct sockaddr_in *)&from);
	if (i < 0)
		return;
	size_t hdr = 0;
	(void)mk_socks5_parse_udp_header(g_buf, (size_t)n, &hdr); /* OK: recv_dgram checked */
	if (!dest_allowed(hdr))
		return;
	size_t payload = (size_t)n - hdr;
	if (mk_dht_scrub(g_buf + hdr, &payload) == MK_DHT_DROP) { /* no client version */
		atomic_fetch_add_explicit(&g_dht_dropped, 1, memory_order_relaxed);
		return;
	}
	(void)send(g_live[i].ofd, g_buf, hdr + payload, MSG_DONTWAIT); /* UDP: a drop is fine */
}

static bool same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && x->sin6_port == y->sin6_port;
}

static void from_proxy(struct assoc *a)
{
	struct sockaddr_storage from;
	ssize_t n = recv_dgram(a->ofd, &from);
	if (n < 0 || !a->learned || !same_endpoint(&from, &a->relay))
		return;
	(void)sendto(g_inside, g_buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&a->peer,
		     sizeof a->peer);
}

/* Control connections carry nothing after the reply: EOF, an error or any
 * byte ends the association (RFC 1928: it lives as long as the TCP one). */
static bool control_event(short rev)
{
	return (rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void *mk_relay_udp_thread(void *arg)
{
	(void)arg;
	struct pollfd p[2 + 3 * MK_RELAY_UDP_MAX_ASSOC];
	for (;;) {
		int n = g_nlive_local;
		p[0] = (struct pollfd){ .fd = g_wake, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = g_inside, .events = POLLIN };
		for (int i = 0; i < n; i++) {
			p[2 + 3 * i] = (struct pollfd){ .fd = g_live[i].efd, .events = POLLIN };
			p[3 + 3 * i] = (struct pollfd){ .fd = g_live[i].pfd, .events = POLLIN };
			p[4 + 3 * i] = (struct pollfd){ .fd = g_live[i].ofd, .events = POLLIN };
		}
		if (poll(p, (nfds_t)(2 + 3 * n), -1) < 0)
			continue; /* EINTR; nothing else can fail with a valid array */
		if (p[1].revents & (POLLIN | POLLERR)) /* recvmsg also clears an error */
			from_engine();
		/* backwards: end_assoc moves the last entry, which is then done */
		for (int i = n - 1; i >= 0; i--) {
			if (p[4 + 3 * i].revents & (POLLIN | POLLERR))
				from_proxy(&g_live[i]);
			if (control_event(p[2 + 3 * i].revents) || control_event(p[3 + 3 * i].revents))
				end_assoc(i);
		}
		if (p[0].revents & POLLIN) /* after the loop: new entries have no revents */
			take_pending();
	}
	return NULL;
}
