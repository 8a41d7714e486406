/*
 * proto.c - protocol parsers and identity checks of the payload scanner
 * (contract in scan.h): HTTP announces, BitTorrent and extension
 * handshakes, SOCKS5 request headers, peer ids, User-Agents, aria2c logs.
 */
#include "bencode.h"
#include "scan.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int isalnum_(uint8_t c) { return c < 128 && isalnum(c); }
static int isdigit_(uint8_t c) { return c >= '0' && c <= '9'; }

int lt_peer_id_identifying(const uint8_t *id, size_t len, char *why, size_t whylen)
{
	char shown[96];
	if (len < 8)
		return 0;
	lt_printable(id, len < 20 ? len : 20, shown, sizeof(shown));
	if (id[0] == '-' && id[1] == 'L' && id[2] == 'T') {
		snprintf(why, whylen, "\"%s\": libtorrent's -LT prefix", shown);
		return 1;
	}
	if (id[0] == '-' && id[7] == '-' && isalnum_(id[1]) && isalnum_(id[2]) && isalnum_(id[3]) &&
	    isalnum_(id[4]) && isalnum_(id[5]) && isalnum_(id[6])) {
		snprintf(why, whylen, "\"%s\": Azureus-style client prefix -%c%c%c%c%c%c-", shown,
			 id[1], id[2], id[3], id[4], id[5], id[6]);
		return 1;
	}
	/* Mainline/aria2 style: letter [alnum] '-' digits '-' digits '-' ("M7-4-3--", "A2-1-36-0-") */
	if (len >= 10 && isalpha(id[0]) && id[0] < 128) {
		size_t i = 1;
		if (isalnum_(id[1]))
			i = 2;
		if (id[i] == '-') {
			size_t j = i + 1, groups = 0;
			while (j < 12 && j < len && groups < 2) {
				size_t k = j;
				while (k < len && isdigit_(id[k]))
					k++;
				if (k == j || k >= len || id[k] != '-')
					break;
				groups++;
				j = k + 1;
			}
			if (groups == 2) {
				snprintf(why, whylen, "\"%s\": Mainline-style client prefix", shown);
				return 1;
			}
		}
	}
	return 0;
}

int lt_user_agent_identifying(const char *ua, size_t len)
{
	static const char *const names[] = {
		"libtorrent", "rasterbar", "meerko", "aria2", "transmission", "qbittorrent",
		"deluge", "utorrent", "bittorrent", "azureus", "vuze", "biglybt", "rtorrent",
		"tixati", "ktorrent", "frostwire", "tribler",
	};
	char low[512];
	size_t n = len < sizeof(low) - 1 ? len : sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)ua[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(low, names[i]))
			return 1;
	return 0;
}

size_t lt_socks5_request_len(const uint8_t *d, size_t len)
{
	/* greeting: VER=5 NMETHODS METHODS... */
	if (len < 3 || d[0] != 5 || d[1] == 0 || (size_t)d[1] + 2 > len)
		return 0;
	size_t off = 2 + (size_t)d[1];
	int offers_pw = memchr(d + 2, 2, d[1]) != NULL;
	/* RFC 1929 username/password: VER=1 ULEN UNAME PLEN PASSWD */
	if (offers_pw && off + 2 <= len && d[off] == 1) {
		size_t ul = d[off + 1];
		if (off + 2 + ul + 1 > len)
			return len;
		size_t pl = d[off + 2 + ul];
		off += 3 + ul + pl;
		if (off > len)
			return len;
	}
	/* request: VER=5 CMD RSV=0 ATYP ADDR PORT */
	if (off + 4 > len || d[off] != 5 || d[off + 2] != 0)
		return off <= len ? off : len;
	size_t alen = d[off + 3] == 1 ? 4 : d[off + 3] == 4 ? 16 : 0;
	if (d[off + 3] == 3) {
		if (off + 5 > len)
			return len;
		alen = 1 + (size_t)d[off + 4];
	}
	off += 4 + alen + 2;
	return off <= len ? off : len;
}

static size_t url_decode(const uint8_t *s, size_t len, uint8_t *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o < outlen; i++) {
		if (s[i] == '%' && i + 2 < len && isxdigit(s[i + 1]) && isxdigit(s[i + 2])) {
			char hx[3] = { (char)s[i + 1], (char)s[i + 2], 0 };
			out[o++] = (uint8_t)strtoul(hx, NULL, 16);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

static void announce_port(struct lt_scan *s, const char *where, const uint8_t *v, size_t vl)
{
	unsigned port = 0;
	size_t i = 0;
	for (; i < vl && i < 6 && isdigit_(v[i]); i++)
		port = port * 10 + (unsigned)(v[i] - '0');
	if (i > 0 && i == vl && port <= 65535)
		lt_bep37_port(s, where, port);
}

/* BEP 7 key: 8 hex digits over HTTP are the 4 bytes a UDP announce sends
 * (libtorrent uses the same key for both), so both are kept as bytes. */
static void tracker_key(struct lt_scan *s, const uint8_t *v, size_t vl)
{
	uint8_t b[4];
	char hx[3] = { 0, 0, 0 };
	if (vl != 8) {
		lt_scan_ident(s, LT_ID_TRACKER_KEY, v, vl);
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		if (!isxdigit(v[2 * i]) || !isxdigit(v[2 * i + 1])) {
			lt_scan_ident(s, LT_ID_TRACKER_KEY, v, vl);
			return;
		}
		hx[0] = (char)v[2 * i];
		hx[1] = (char)v[2 * i + 1];
		b[i] = (uint8_t)strtoul(hx, NULL, 16);
	}
	lt_scan_ident(s, LT_ID_TRACKER_KEY, b, 4);
}

static void scan_query(struct lt_scan *s, const char *where, const uint8_t *q, size_t len)
{
	size_t off = 0;
	while (off < len) {
		const uint8_t *amp = memchr(q + off, '&', len - off);
		size_t plen = amp ? (size_t)(amp - (q + off)) : len - off;
		const uint8_t *p = q + off;
		const uint8_t *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		const uint8_t *val = eq ? eq + 1 : p + plen;
		size_t vlen = eq ? plen - klen - 1 : 0;
		uint8_t dec[512];
		size_t dl = url_decode(val, vlen, dec, sizeof(dec));
		char shown[600];
		static const char *const addr_keys[] = { "ip", "ipv4", "ipv6", "localip" };
		for (size_t i = 0; i < 4; i++) {
			if (klen == strlen(addr_keys[i]) && memcmp(p, addr_keys[i], klen) == 0)
				lt_scan_report(s, LT_F_ADDR_PARAM, 1, where,
					       "tracker announce carries %s=%s", addr_keys[i],
					       lt_printable(dec, dl, shown, sizeof(shown)));
		}
		lt_bep37_query_key(s, where, p, klen);
		if (klen == 4 && memcmp(p, "port", 4) == 0)
			announce_port(s, where, dec, dl);
		if (klen == 3 && memcmp(p, "key", 3) == 0)
			tracker_key(s, dec, dl);
		if (klen == 7 && memcmp(p, "peer_id", 7) == 0) {
			char why[160];
			lt_scan_ident(s, LT_ID_PEER_ID, dec, dl);
			if (lt_peer_id_identifying(dec, dl, why, sizeof(why)))
				lt_scan_report(s, LT_F_PEER_ID, s->anonymous, where,
					       "tracker announce peer_id %s", why);
		}
		off += plen + 1;
	}
}

static void scan_request(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	const uint8_t *eol = memmem(d, len, "\r\n", 2);
	size_t ll = eol ? (size_t)(eol - d) : len;
	const uint8_t *sp1 = memchr(d, ' ', ll);
	if (!sp1)
		return;
	s->http_requests++;
	const uint8_t *tgt = sp1 + 1;
	const uint8_t *sp2 = memchr(tgt, ' ', ll - (size_t)(tgt - d));
	size_t tlen = sp2 ? (size_t)(sp2 - tgt) : ll - (size_t)(tgt - d);
	const uint8_t *qm = memchr(tgt, '?', tlen);
	if (qm)
		scan_query(s, where, qm + 1, tlen - (size_t)(qm + 1 - tgt));
	if (memchr(tgt, '%', tlen)) {
		uint8_t dec[4096];
		size_t dl = url_decode(tgt, tlen, dec, sizeof(dec));
		char w[160];
		snprintf(w, sizeof(w), "%s (URL-decoded request)", where);
		lt_scan_needles_except(s, w, dec, dl, tgt, tlen);
	}
	/* headers */
	size_t off = eol ? ll + 2 : len;
	while (off < len) {
		const uint8_t *e = memmem(d + off, len - off, "\r\n", 2);
		size_t hl = e ? (size_t)(e - (d + off)) : len - off;
		if (hl == 0)
			break;
		if (hl > 11 && strncasecmp((const char *)d + off, "User-Agent:", 11) == 0) {
			const char *v = (const char *)d + off + 11;
			size_t vl = hl - 11;
			while (vl && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			char shown[300];
			lt_printable((const uint8_t *)v, vl, shown, sizeof(shown));
			if (lt_user_agent_identifying(v, vl))
				lt_scan_report(s, LT_F_USER_AGENT, s->anonymous, where,
					       "User-Agent names a client: \"%s\"", shown);
			else
				lt_scan_report(s, LT_F_NOTE, 0, where, "User-Agent: \"%s\"", shown);
		}
		off += hl + 2;
	}
}

void lt_scan_http(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	size_t off = 0;
	for (int guard = 0; off < len && guard < 256; guard++) {
		const uint8_t *end = memmem(d + off, len - off, "\r\n\r\n", 4);
		size_t hlen = end ? (size_t)(end - (d + off)) + 4 : len - off;
		scan_request(s, where, d + off, hlen);
		off += hlen;
		if (!end || off >= len || !isupper(d[off]))
			break; /* a body or something else follows: stop */
	}
}

static void addr_text(const uint8_t *v, size_t vl, char *out, size_t outlen)
{
	if (vl == 4)
		inet_ntop(AF_INET, v, out, (socklen_t)outlen);
	else if (vl == 16)
		inet_ntop(AF_INET6, v, out, (socklen_t)outlen);
	else
		lt_printable(v, vl, out, outlen);
}

void lt_scan_ext_handshake(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	const uint8_t *v;
	size_t vl;
	char shown[300];
	s->ext_handshakes++;
	if (lt_bdict_get(d, len, "v", &v, &vl) == 1)
		lt_scan_report(s, LT_F_CLIENT_VERSION, s->anonymous, where,
			       "extension handshake names the client: v=\"%s\"",
			       lt_printable(v, vl, shown, sizeof(shown)));
	static const char *const own[] = { "ipv4", "ipv6" };
	for (size_t i = 0; i < 2; i++) {
		if (lt_bdict_get(d, len, own[i], &v, &vl) == 1) {
			addr_text(v, vl, shown, sizeof(shown));
			lt_scan_report(s, LT_F_ADDR_PARAM, 1, where,
				       "extension handshake reports the sender's own address %s=%s",
				       own[i], shown);
		}
	}
	if (lt_bdict_get(d, len, "yourip", &v, &vl) == 1) {
		addr_text(v, vl, shown, sizeof(shown));
		lt_scan_report(s, LT_F_NOTE, 0, where, "extension handshake yourip=%s", shown);
	}
	lt_bep37_ext_handshake(s, where, d, len);
}

int lt_scan_bittorrent(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	static const uint8_t hs[20] = "\x13"
				      "BitTorrent protocol";
	const uint8_t *h = memmem(d, len, hs, sizeof(hs));
	if (!h)
		return 0;
	size_t off = (size_t)(h - d);
	s->bt_handshakes++;
	if (off + 68 > len) {
		lt_scan_report(s, LT_F_NOTE, 0, where, "BitTorrent handshake cut short (no peer id)");
		return 1;
	}
	char why[160];
	lt_scan_ident(s, LT_ID_PEER_ID, d + off + 48, 20);
	if (lt_peer_id_identifying(d + off + 48, 20, why, sizeof(why)))
		lt_scan_report(s, LT_F_PEER_ID, s->anonymous, where, "handshake peer id %s", why);
	off += 68;
	for (int i = 0; i < 4096 && off + 4 <= len; i++) {
		uint32_t l = (uint32_t)d[off] << 24 | (uint32_t)d[off + 1] << 16 |
			     (uint32_t)d[off + 2] << 8 | d[off + 3];
		if (l > (1u << 20))
			break; /* not a BitTorrent message stream (or lost sync) */
		if (l >= 2 && off + 6 <= len && d[off + 4] == 20 && d[off + 5] == 0) {
			size_t avail = len - (off + 6);
			lt_scan_ext_handshake(s, where, d + off + 6, l - 2 < avail ? l - 2 : avail);
		}
		off += 4 + (size_t)l;
	}
	return 1;
}

int lt_scan_aria2_log(struct lt_scan *s, const char *path, long from, const char *allowed_ip,
		      const char *own_ip)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (from > 0 && fseek(f, from, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *from = strstr(line, "From: ");
		char *hsk = from ? strstr(from, " handshake peerId=") : NULL;
		if (!hsk)
			continue;
		n++;
		char ip[64];
		size_t il = (size_t)(hsk - (from + 6));
		if (il >= sizeof(ip))
			continue;
		memcpy(ip, from + 6, il);
		ip[il] = '\0';
		char *colon = strrchr(ip, ':');
		if (colon)
			*colon = '\0';
		char *ipp = ip;
		if (*ipp == '[') {
			ipp++;
			char *rb = strchr(ipp, ']');
			if (rb)
				*rb = '\0';
		}
		const char *pid = hsk + strlen(" handshake peerId=");
		size_t pl = strcspn(pid, " ,\r\n");
		uint8_t dec[64];
		size_t dl = url_decode((const uint8_t *)pid, pl, dec, sizeof(dec));
		char why[160];
		if (lt_peer_id_identifying(dec, dl, why, sizeof(why)))
			lt_scan_report(s, LT_F_PEER_ID, s->anonymous, "seeder's log (decrypted view)",
				       "handshake from %s, peer id %s", ipp, why);
		if (allowed_ip && strcmp(ipp, allowed_ip) != 0 && (!own_ip || strcmp(ipp, own_ip) != 0))
			lt_scan_report(s, LT_F_SOURCE, 1, "seeder's log (decrypted view)",
				       "a peer handshake came from %s, not from the proxy %s", ipp,
				       allowed_ip);
	}
	fclose(f);
	return n;
}
