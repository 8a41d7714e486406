/*
 * socks5_server.h - the relay's SOCKS5 server side: parsers of the engine's
 * bytes (RFC 1928).
 *
 * Contract: pure parsers over byte buffers. The engine is hostile, so these
 * never read outside buf[0..len), never allocate, and are fuzz targets
 * (tests/fuzz: fuzz_socks5, fuzz_udp). They report NEED_MORE until a whole
 * message is present, and BAD as soon as any byte seen is invalid. The
 * protocol's numbers are shared with the client (broker/socks5.h).
 */
#ifndef MEERKO_RELAY_SOCKS5_SERVER_H
#define MEERKO_RELAY_SOCKS5_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socks5.h"

/* Outcome of a server-side parser. */
typedef enum {
	MK_SOCKS5_PARSE_OK = 0,
	MK_SOCKS5_PARSE_NEED_MORE = 1,
	MK_SOCKS5_PARSE_BAD = -1,
} mk_socks5_parse_status;

struct mk_socks5_request {
	uint8_t cmd;       /* raw CMD byte, whatever it is */
	bool cmd_known;    /* cmd is CONNECT, BIND or UDP: else reply 0x07 */
	uint8_t atyp;      /* MK_SOCKS5_ATYP_* */
	uint8_t ip[16];    /* IPV4: ip[0..4), IPV6: ip[0..16); network order */
	char host[256];    /* DOMAIN: the name, NUL-terminated, no embedded NUL */
	size_t host_len;   /* DOMAIN: 1..255 */
	uint16_t port;     /* host byte order */
};

/* Header of a UDP datagram (RFC 1928 section 7): RSV=0x0000, FRAG=0,
 * ATYP 1/3/4, DST.ADDR, DST.PORT, then the payload. Datagrams come whole,
 * so there is no NEED_MORE: OK with *hdr_len (the payload starts there), or
 * BAD. FRAG != 0 is BAD (fragments are dropped, never reassembled), as is
 * a domain of length 0 or with a NUL, and DST.PORT 0. */
mk_socks5_parse_status mk_socks5_parse_udp_header(const uint8_t *buf, size_t len,
						  size_t *hdr_len);

/* Greeting: VER=5, NMETHODS >= 1, METHODS. *offers_noauth says whether
 * method 0x00 is among them. On OK, *consumed = 2 + NMETHODS. */
mk_socks5_parse_status mk_socks5_parse_greeting(const uint8_t *buf,
						size_t len, size_t *consumed,
						bool *offers_noauth);

/* Request: VER=5, CMD, RSV=0, ATYP 1/3/4, address, port. An unknown CMD
 * still parses (cmd_known = false) so the relay can answer 0x07. A domain
 * of length 0 or containing a NUL byte is BAD. On OK, *consumed is the
 * request size and *out is filled. */
mk_socks5_parse_status mk_socks5_parse_request(const uint8_t *buf, size_t len,
					       size_t *consumed,
					       struct mk_socks5_request *out);

/* Reply VER=5, REP=rep, RSV=0, ATYP=IPv4, 0.0.0.0:0. Returns 10. */
size_t mk_socks5_build_reply(uint8_t rep, uint8_t out[MK_SOCKS5_REPLY_LEN]);

#endif
