/*
 * rpc_config.h - the daemon's `[rpc]` settings, parsed and resolved (issue
 * 16; docs/control.md). Pure functions: no socket is made here
 * (control_link.c binds what mk_rpc_listen_parse describes).
 *
 * Contract:
 *  - `[rpc] listen` is "IPv4:PORT", "[IPv6]:PORT" or an absolute UNIX socket
 *    path. IP literals only, like [proxy] host: a name would be resolved by
 *    this machine's resolver. A loopback address (127.0.0.0/8, ::1) or a
 *    UNIX path is local; anything else needs `[rpc] allow_remote = true`.
 *  - `[rpc] host_allowlist` is a comma-separated list of Host names (no
 *    port, IPv6 without brackets), at most MK_RPC_MAX_HOSTS; empty = the
 *    listen address and "localhost" (for a UNIX socket: "localhost", what
 *    curl and transmission-remote send). A wildcard listen address
 *    (0.0.0.0, ::) has no name of its own, so it needs an explicit list.
 *  - mk_rpc_resolve is what the daemon calls at start: it fails (one line,
 *    exit code MK_EXIT_USAGE) unless a username and a password are set:
 *    the RPC always asks for them, also on loopback (any local process and
 *    any web page can reach a loopback port).
 */
#ifndef MEERKO_BROKER_RPC_CONFIG_H
#define MEERKO_BROKER_RPC_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"

#define MK_RPC_MAX_HOSTS 16
#define MK_RPC_HOST_MAX 253               /* a DNS name's longest text form */
#define MK_RPC_DEFAULT_LISTEN "127.0.0.1:9091"
#define MK_RPC_PATH "/transmission/rpc"

struct mk_rpc_listen {
	bool is_unix;
	bool loopback;                    /* 127/8, ::1, or a UNIX socket */
	bool wildcard;                    /* 0.0.0.0 or :: */
	struct sockaddr_storage addr;     /* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t addr_len;
	char host[64];                    /* the address as text (no brackets); "" for UNIX */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* UNIX only */
};

struct mk_rpc_settings {
	struct mk_rpc_listen listen;
	size_t n_hosts;
	char hosts[MK_RPC_MAX_HOSTS][MK_RPC_HOST_MAX + 1];
	uint32_t max_body;                /* bytes */
	const char *username, *password;  /* point into the config (not copied: one secret copy) */
};

/* Parses a listen value. 0, or -1 with one line in err. */
int mk_rpc_listen_parse(const char *s, struct mk_rpc_listen *out, char *err, size_t errlen);
/* Parses a host allowlist into hosts[]; *n of them. 0, or -1 with err. */
int mk_rpc_hosts_parse(const char *s, char hosts[][MK_RPC_HOST_MAX + 1], size_t max, size_t *n,
		       char *err, size_t errlen);
/* The `[rpc]` checks that hold in every mode (mk_config_validate calls it):
 * listen parses, and is local unless allow_remote. 0 or -1 with err. */
int mk_rpc_config_check(const struct mk_config *c, char *err, size_t errlen);
/* Everything the daemon needs to serve, from a loaded and validated config,
 * after mk_config_read_password_file (which reads [rpc] password_file too). */
int mk_rpc_resolve(const struct mk_config *c, struct mk_rpc_settings *out, char *err, size_t errlen);

#endif
