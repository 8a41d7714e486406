/*
 * socks5.h - the SOCKS5 client (RFC 1928 + RFC 1929) and the protocol's
 * numbers.
 *
 * Contract: the client side (-> the user's real proxy), shared by the
 * broker's start-up probe and the relay's upstream connections (relay/):
 * connect to an IP literal (never DNS), negotiate no-auth or
 * username/password, UDP ASSOCIATE, read a reply, and one-shot probes used
 * at start-up to fail early with one clear line. The server side (engine ->
 * relay: parsers of hostile bytes) lives with the relay, in
 * relay/socks5_server.h; both use the constants below.
 */
#ifndef MEERKO_BROKER_SOCKS5_H
#define MEERKO_BROKER_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of talking to a real proxy (client side). */
typedef enum {
	MK_SOCKS_OK = 0,
	MK_SOCKS_UNREACHABLE = 1,   /* connect failed or bad address */
	MK_SOCKS_AUTH_REQUIRED = 2, /* proxy accepts none of our methods (0xFF) */
	MK_SOCKS_AUTH_FAILED = 3,   /* proxy rejected the username/password */
	MK_SOCKS_PROTOCOL = 4,      /* not SOCKS5, garbage, closed, or timeout */
	MK_SOCKS_REFUSED = 5,       /* the proxy answered a request with REP != 0 */
} mk_socks_result;

#define MK_SOCKS5_VER 0x05
#define MK_SOCKS5_AUTH_VER 0x01 /* RFC 1929 sub-negotiation version */

#define MK_SOCKS5_METHOD_NOAUTH 0x00
#define MK_SOCKS5_METHOD_USERPASS 0x02
#define MK_SOCKS5_METHOD_NONE 0xFF

#define MK_SOCKS5_CMD_CONNECT 0x01
#define MK_SOCKS5_CMD_BIND 0x02
#define MK_SOCKS5_CMD_UDP 0x03

#define MK_SOCKS5_ATYP_IPV4 0x01
#define MK_SOCKS5_ATYP_DOMAIN 0x03
#define MK_SOCKS5_ATYP_IPV6 0x04

/* Reply codes (RFC 1928 section 6) for mk_socks5_build_reply. */
#define MK_SOCKS5_REP_OK 0x00
#define MK_SOCKS5_REP_FAILURE 0x01
#define MK_SOCKS5_REP_NOT_ALLOWED 0x02
#define MK_SOCKS5_REP_NET_UNREACH 0x03
#define MK_SOCKS5_REP_HOST_UNREACH 0x04
#define MK_SOCKS5_REP_REFUSED 0x05
#define MK_SOCKS5_REP_TTL 0x06
#define MK_SOCKS5_REP_CMD_UNSUPPORTED 0x07
#define MK_SOCKS5_REP_ATYP_UNSUPPORTED 0x08

#define MK_SOCKS5_REPLY_LEN 10


/*
 * TCP connect to ip:port (IPv4 or IPv6 literal only) within timeout_ms.
 * Returns a blocking, close-on-exec fd, or -1 with one line in err.
 */
int mk_socks5_connect_proxy(const char *ip, uint16_t port, int timeout_ms,
			    char *err, size_t errlen);

/*
 * Method negotiation on a connected fd: offers only no-auth when user is
 * NULL/empty, only username/password otherwise (then RFC 1929). The whole
 * exchange must finish within timeout_ms. Returns an mk_socks_result;
 * on failure err holds one line naming the proxy.
 */
mk_socks_result mk_socks5_client_auth(int fd, const char *user,
				      const char *pass, int timeout_ms,
				      char *err, size_t errlen);

/* connect + auth + close. timeout_ms applies to each of the two steps. */
mk_socks_result mk_socks5_probe(const char *ip, uint16_t port,
				const char *user, const char *pass,
				int timeout_ms, char *err, size_t errlen);

/*
 * UDP ASSOCIATE (RFC 1928 section 4, CMD 3) on an fd that passed
 * mk_socks5_client_auth. client is the address our datagrams will come from
 * (IPv4/IPv6; 0.0.0.0:0 when not known yet). On OK, *relay is where to send
 * datagrams: the reply's BND.ADDR/PORT, with an all-zeros BND.ADDR replaced
 * by the proxy's own address (the fd's peer). A reply with REP != 0 gives
 * MK_SOCKS_REFUSED and *rep = REP (0x07: command not supported). A domain
 * BND.ADDR is refused (MK_SOCKS_PROTOCOL): resolving it would need DNS. The
 * fd must stay open for as long as the association is used.
 */
struct sockaddr_storage;
mk_socks_result mk_socks5_udp_associate(int fd, const struct sockaddr_storage *client,
					struct sockaddr_storage *relay, uint8_t *rep,
					int timeout_ms, char *err, size_t errlen);

/* Reads one reply to a request (VER REP RSV ATYP BND.ADDR BND.PORT, any
 * ATYP, a domain BND included) within timeout_ms. MK_SOCKS_OK with *rep =
 * REP (whatever it is); the bound address is read and discarded, so it
 * never reaches the engine. Else MK_SOCKS_PROTOCOL with one line in err. */
mk_socks_result mk_socks5_read_reply(int fd, uint8_t *rep, int timeout_ms, char *err,
				     size_t errlen);

/* connect + auth + UDP ASSOCIATE(0.0.0.0:0) + close: does the proxy relay
 * UDP? MK_SOCKS_OK yes, MK_SOCKS_REFUSED no (*rep says why), else the proxy
 * could not be used at all (as mk_socks5_probe). */
mk_socks_result mk_socks5_probe_udp(const char *ip, uint16_t port, const char *user,
				    const char *pass, int timeout_ms, uint8_t *rep,
				    char *err, size_t errlen);

#endif
