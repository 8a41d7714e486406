/*
 * proxy.h - the proxy as one record, from meerko.ini to the engine's
 * Configure message.
 *
 * Contract: struct mk_proxy says where a process dials and how it
 * authenticates; its type is the wire's own enum (ipc/meerko.proto's
 * ProxyType), so the record goes onto the Configure message unchanged and
 * no number stands for a type anywhere.
 * mk_proxy_from_config() is the proxy as configured (what the start-up
 * probes, the relay and an unsandboxed engine dial). mk_proxy_for_engine()
 * is what the engine is told: behind the relay (sandboxed) the relay's
 * inside address and no credentials at all - the relay authenticates
 * upstream, so the engine never receives the username or the password.
 * mk_proxy_to_configure() is the one place that writes the Configure
 * message's proxy fields.
 * Names are always resolved by the proxy (the engine sets libtorrent's
 * proxy_hostnames unconditionally): that is no setting, so not a field.
 * Strings point into the config or are static; nothing is copied or freed.
 */
#ifndef MEERKO_BROKER_PROXY_H
#define MEERKO_BROKER_PROXY_H

#include <stdint.h>

#include "config.h"
#include "meerko.pb-c.h"

struct mk_proxy {
	Meerko__ProxyType type; /* PROXY_NONE ([proxy] type = none: direct), PROXY_SOCKS5,
	                         * or PROXY_SOCKS5_PW (username/password, RFC 1929) */
	const char *host;       /* an IP literal, never a name ("" when direct) */
	uint16_t port;          /* 0 when direct */
	const char *user;       /* "" unless PROXY_SOCKS5_PW */
	const char *password;   /* "" unless PROXY_SOCKS5_PW (may be "" then too) */
};

/* The proxy as configured: the user name decides whether it authenticates. */
void mk_proxy_from_config(struct mk_proxy *p, const struct mk_config *c);

/* What the engine dials: relay_ip:relay_port without credentials when it
 * runs behind the relay (relay_ip non-NULL; c is not read then and may be
 * NULL), else the configured proxy. */
void mk_proxy_for_engine(struct mk_proxy *p, const struct mk_config *c, const char *relay_ip,
			 uint16_t relay_port);

/* Fills cf's proxy_type, proxy_host, proxy_port, proxy_user and
 * proxy_password from p (cf keeps pointers into p's strings). */
void mk_proxy_to_configure(const struct mk_proxy *p, Meerko__Configure *cf);

#endif
