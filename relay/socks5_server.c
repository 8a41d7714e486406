/*
 * socks5_server.c - the relay's parsers of the engine's SOCKS5 bytes (see
 * socks5_server.h).
 *
 * Contract: pure functions of (buf, len). Every index is checked against
 * len before it is read; no allocation; outputs are written only on OK.
 */
#include "socks5_server.h"

#include <string.h>

mk_socks5_parse_status mk_socks5_parse_greeting(const uint8_t *buf,
						size_t len, size_t *consumed,
						bool *offers_noauth)
{
	if (len < 1)
		return MK_SOCKS5_PARSE_NEED_MORE;
	if (buf[0] != MK_SOCKS5_VER)
		return MK_SOCKS5_PARSE_BAD;
	if (len < 2)
		return MK_SOCKS5_PARSE_NEED_MORE;
	size_t n = buf[1];
	if (n == 0)
		return MK_SOCKS5_PARSE_BAD; /* no method at all: nothing to pick */
	if (len < 2 + n)
		return MK_SOCKS5_PARSE_NEED_MORE;
	/* buf[2..2+n) is inside buf: checked just above. */
	*offers_noauth = memchr(buf + 2, MK_SOCKS5_METHOD_NOAUTH, n) != NULL;
	*consumed = 2 + n;
	return MK_SOCKS5_PARSE_OK;
}

/* Offset and length of the address for ATYP at buf[3]; needs len >= 5 for
 * a domain. Returns NEED_MORE/BAD/OK. */
static mk_socks5_parse_status addr_span(const uint8_t *buf, size_t len,
					size_t *off, size_t *alen)
{
	switch (buf[3]) {
	case MK_SOCKS5_ATYP_IPV4: *off = 4; *alen = 4; return MK_SOCKS5_PARSE_OK;
	case MK_SOCKS5_ATYP_IPV6: *off = 4; *alen = 16; return MK_SOCKS5_PARSE_OK;
	case MK_SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return MK_SOCKS5_PARSE_NEED_MORE;
		*off = 5;
		*alen = buf[4]; /* <= 255, so host[256] always fits it + NUL */
		return *alen == 0 ? MK_SOCKS5_PARSE_BAD : MK_SOCKS5_PARSE_OK;
	default:
		return MK_SOCKS5_PARSE_BAD;
	}
}

/* Copy the checked request fields out. buf has at least off+alen+2 bytes. */
static void fill_request(const uint8_t *buf, size_t off, size_t alen,
			 struct mk_socks5_request *out)
{
	memset(out, 0, sizeof *out);
	out->cmd = buf[1];
	out->cmd_known = buf[1] >= MK_SOCKS5_CMD_CONNECT &&
			 buf[1] <= MK_SOCKS5_CMD_UDP;
	out->atyp = buf[3];
	if (out->atyp == MK_SOCKS5_ATYP_DOMAIN) {
		memcpy(out->host, buf + off, alen); /* alen <= 255 < sizeof host */
		out->host_len = alen;
	} else {
		memcpy(out->ip, buf + off, alen); /* alen is 4 or 16 */
	}
	out->port = (uint16_t)((buf[off + alen] << 8) | buf[off + alen + 1]);
}

mk_socks5_parse_status mk_socks5_parse_request(const uint8_t *buf, size_t len,
					       size_t *consumed,
					       struct mk_socks5_request *out)
{
	/* Reject on the first bad byte we have, even if the rest is missing. */
	if (len >= 1 && buf[0] != MK_SOCKS5_VER)
		return MK_SOCKS5_PARSE_BAD;
	if (len >= 3 && buf[2] != 0)
		return MK_SOCKS5_PARSE_BAD;
	if (len < 4)
		return MK_SOCKS5_PARSE_NEED_MORE;
	size_t off = 0, alen = 0;
	mk_socks5_parse_status st = addr_span(buf, len, &off, &alen);
	if (st != MK_SOCKS5_PARSE_OK)
		return st;
	/* A NUL inside a name would truncate host[] and change its meaning. */
	size_t seen = len > off ? len - off : 0;
	if (buf[3] == MK_SOCKS5_ATYP_DOMAIN &&
	    memchr(buf + off, 0, seen < alen ? seen : alen) != NULL)
		return MK_SOCKS5_PARSE_BAD;
	if (len < off + alen + 2)
		return MK_SOCKS5_PARSE_NEED_MORE;
	fill_request(buf, off, alen, out);
	*consumed = off + alen + 2;
	return MK_SOCKS5_PARSE_OK;
}

size_t mk_socks5_build_reply(uint8_t rep, uint8_t out[MK_SOCKS5_REPLY_LEN])
{
	/* VER REP RSV ATYP=IPv4 BND.ADDR=0.0.0.0 BND.PORT=0 */
	memset(out, 0, MK_SOCKS5_REPLY_LEN);
	out[0] = MK_SOCKS5_VER;
	out[1] = rep;
	out[3] = MK_SOCKS5_ATYP_IPV4;
	return MK_SOCKS5_REPLY_LEN;
}

mk_socks5_parse_status mk_socks5_parse_udp_header(const uint8_t *buf, size_t len,
						  size_t *hdr_len)
{
	/* RSV RSV FRAG ATYP: a fragment (FRAG != 0) is never reassembled. */
	if (len < 4 || buf[0] != 0 || buf[1] != 0 || buf[2] != 0)
		return MK_SOCKS5_PARSE_BAD;
	size_t off = 0, alen = 0;
	if (addr_span(buf, len, &off, &alen) != MK_SOCKS5_PARSE_OK)
		return MK_SOCKS5_PARSE_BAD; /* unknown ATYP, empty name, or cut */
	if (len < off + alen + 2)
		return MK_SOCKS5_PARSE_BAD;
	/* off + alen <= len - 2, checked just above */
	if (buf[3] == MK_SOCKS5_ATYP_DOMAIN && memchr(buf + off, 0, alen) != NULL)
		return MK_SOCKS5_PARSE_BAD;
	if (buf[off + alen] == 0 && buf[off + alen + 1] == 0)
		return MK_SOCKS5_PARSE_BAD; /* port 0 */
	*hdr_len = off + alen + 2;
	return MK_SOCKS5_PARSE_OK;
}
