/*
 * dest_policy.h - where the engine may ask the relay to go.
 *
 * Contract: one predicate, shared by the relay's CONNECT (relay.c) and its
 * UDP datagrams (relay_udp.c). The proxy is only the first hop; this decides
 * the second. Only global unicast passes: every refused range is one row of
 * the table in dest_policy.c (IPv4 and IPv6; IPv4-mapped ::ffff:0:0/96 and
 * NAT64 64:ff9b::/96 are checked as the IPv4 address inside), and the
 * proxy's own address is refused too. [proxy] allow_private_destinations =
 * true lifts the range table (LAN swarms, test labs), never the proxy row.
 *
 * Names: the proxy resolves them, so a name can land anywhere. Tracker
 * names travel as names (libtorrent's proxy_hostnames), in CONNECT and in
 * UDP tracker datagrams alike - libtorrent 2.0.8 even sends an IP-literal
 * udp:// tracker host as a name - so refusing names in datagrams would end
 * every UDP tracker; DHT and uTP datagrams carry IP literals. Both paths get
 * the same check: mk_dest_check_name refuses IP literals in disguise (anything
 * inet_aton accepts that is not plain dotted-quad, a numeric last label, a
 * ':' anywhere) after applying the predicate to plain literals, local-only
 * names (localhost, *.localhost, *.local, *.lan, *.internal, *.home.arpa,
 * ..., names without a dot) and anything that is not a host name (letters,
 * digits, '-', '_', '.'). What remains: a public DNS name whose answer is
 * a private address, resolved at the proxy; no table here can see that.
 *
 * All functions are pure (no I/O, no allocation) and thread-safe. A verdict
 * is NULL (allowed) or a static string saying why not.
 *
 * Why it lives in relay/: the relay is the only process that enforces it -
 * every CONNECT and datagram of the engine passes here, in the process that
 * parses them - and a policy belongs beside the one code path that applies
 * it, under that process's seccomp table. The broker only hands it the
 * configuration (the proxy's address, allow_private_destinations) through
 * struct mk_relay_upstream; should the broker ever judge a destination
 * itself (say, a config check), it links mk_relay and calls this same pure
 * predicate rather than a copy, so there is still one policy.
 */
#ifndef MEERKO_RELAY_DEST_POLICY_H
#define MEERKO_RELAY_DEST_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mk_dest_policy {
	bool allow_private;      /* [proxy] allow_private_destinations */
	bool have_proxy;         /* proxy_ip is set */
	uint8_t proxy_ip[16];    /* the proxy's own address, IPv6 or IPv4-mapped */
};

/* proxy_ip: the proxy as configured (an IP literal; NULL or unparsable =
 * no proxy row). Returns 0, or -1 when proxy_ip is given but not an IP. */
int mk_dest_policy_init(struct mk_dest_policy *p, const char *proxy_ip, bool allow_private);

/* The verdict for the proxy's own address (compare pointers). */
extern const char mk_dest_why_proxy[];

/* ip: 4 bytes (is_v6 false) or 16 bytes, network order. */
const char *mk_dest_check_ip(const struct mk_dest_policy *p, const uint8_t *ip, bool is_v6);

/* A CONNECT to a name (NUL-terminated, as the engine sent it). */
const char *mk_dest_check_name(const struct mk_dest_policy *p, const char *name);

/* THE predicate, for a CONNECT and a datagram alike: a SOCKS5 destination
 * as parsed, atyp 1 (ip[4]), 4 (ip[16]) or 3 (name, NUL-terminated). */
const char *mk_dest_check(const struct mk_dest_policy *p, uint8_t atyp, const uint8_t *ip,
			  const char *name);

/* The refused ranges, for tests and docs: row i < count. */
struct mk_dest_range {
	bool is_v6;
	uint8_t prefix[16];  /* 4 bytes used for IPv4 */
	unsigned len;        /* prefix length in bits */
	const char *why;
};
size_t mk_dest_range_count(void);
const struct mk_dest_range *mk_dest_range_at(size_t i);

#endif
