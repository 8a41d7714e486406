/*
 * relay.h - the engine's only way out: a SOCKS5 relay the broker owns.
 *
 * Contract: mk_relay_start() forks the relay process. It accepts on a
 * listener that lives inside the engine's network namespace and, for each
 * connection, speaks SOCKS5 to the engine (no-auth only), allows CONNECT
 * and, when up->udp, UDP ASSOCIATE (relay_udp.h; BIND, and UDP without
 * up->udp, get reply 0x07), then connects to the real
 * proxy from the host namespace, authenticates with the user's credentials
 * itself (the engine never sees the password), forwards the engine's
 * request, and copies bytes both ways with splice(). Every destination
 * (CONNECT and datagram) must pass dest_policy.h first: a refused CONNECT
 * gets reply 0x02 and never reaches the proxy; the proxy's BND.ADDR/PORT
 * never reach the engine (replies carry 0.0.0.0:0). State changes of the
 * upstream proxy (seen on connect/auth failures and by a periodic SOCKS5
 * probe) are written to status_fd as lines "UP\n" / "DOWN reason\n";
 * "TOOMANY cap\n" says the engine had more than cap connections open at once
 * (the rest were refused), which is not an outage of the proxy; "FATAL
 * why\n" is the relay's last line before it exits (the broker says it).
 *
 * Confinement: where it starts, before it reads a byte of the engine, the
 * relay drops to drop_uid/gid (as root), sets PR_SET_PDEATHSIG,
 * no_new_privs and PR_SET_DUMPABLE 0, and loads its own seccomp table
 * (policy/seccomp_relay.c); a call outside it kills the relay with SIGSYS,
 * which the broker reports as a confinement violation (exit 7, no restart).
 */
#ifndef MEERKO_RELAY_RELAY_H
#define MEERKO_RELAY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MK_RELAY_MAX_CONNS 512     /* connections at once, at most (see mk_relay_conn_cap) */
#define MK_RELAY_FDS_PER_CONN 6    /* engine socket, proxy socket, two splice pipes */
#define MK_RELAY_FD_RESERVE 64     /* stdio, listener, status, UDP (3 per association), probe */
#define MK_RELAY_THREADS_FIXED 3   /* accept loop, health probe, UDP */
#define MK_RELAY_TOOMANY_S 10      /* at most one TOOMANY line per this many seconds */
#define MK_RELAY_PROBE_UP_S 3     /* health probe period while the proxy answers */
#define MK_RELAY_PROBE_DOWN_S 1   /* ... and while it does not */

struct mk_relay_upstream {
	const char *ip;        /* the real proxy, an IP literal */
	uint16_t port;
	const char *user;      /* empty = no authentication */
	const char *password;
	uid_t drop_uid;        /* when started as root: who the relay runs as */
	gid_t drop_gid;
	bool udp;              /* the proxy supports UDP ASSOCIATE: relay it */
	bool allow_private;    /* [proxy] allow_private_destinations */
};

/* The relay's sockets inside the engine's namespace (sandbox.h). */
struct mk_relay_fds {
	int listen_fd;         /* TCP listener */
	int udp_fd;            /* UDP socket for UDP ASSOCIATE */
};

/* How many connections the relay serves at once: MK_RELAY_MAX_CONNS, or
 * fewer when RLIMIT_NOFILE (raised to its hard limit) cannot hold them. The
 * same in the broker and in the relay it forks. */
int mk_relay_conn_cap(void);

/* Returns the relay's pid, or -1 with err. The fds and status_fd are
 * owned by the relay afterwards (the parent should close its copies). */
pid_t mk_relay_start(const struct mk_relay_fds *fds, const struct mk_relay_upstream *up,
		     int status_fd, char *err, size_t errlen);

#endif
