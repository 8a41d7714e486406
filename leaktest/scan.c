/*
 * scan.c - packet dispatch (contract in scan.h): which decoder sees which
 * bytes. The protocol parsers live in proto.c and bep37.c, the needles
 * and findings they report through in scan_core.c.
 */
#include "scan.h"

#include "bencode.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_scan_stream_bytes(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	if (s->socks) {
		size_t skip = lt_socks5_request_len(d, len);
		d += skip;
		len -= skip;
	}
	if (len == 0)
		return;
	lt_scan_needles(s, where, d, len);
	static const char *const methods[] = { "GET ", "POST ", "HEAD ", "PUT ", "CONNECT " };
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t ml = strlen(methods[i]);
		if (len >= ml && memcmp(d, methods[i], ml) == 0) {
			lt_scan_http(s, where, d, len);
			return;
		}
	}
	if (!lt_scan_bittorrent(s, where, d, len)) {
		s->unparsed_streams++;
		char pre[64];
		lt_printable(d, len < 12 ? len : 12, pre, sizeof(pre));
		lt_scan_report(s, LT_F_NOTE, 0, where,
			       "stream not recognised as HTTP or BitTorrent (%zu bytes, starts \"%s\"): "
			       "needles checked, protocol fields not",
			       len, pre);
	}
}

void lt_scan_datagram(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	if (s->socks && len >= 10 && d[0] == 0 && d[1] == 0 && d[2] == 0) {
		/* SOCKS5 UDP request header: RSV RSV FRAG ATYP ADDR PORT */
		size_t h = d[3] == 1 ? 10 : d[3] == 4 ? 22 : d[3] == 3 ? 7u + d[4] : len;
		if (h <= len) {
			d += h;
			len -= h;
		}
	}
	lt_scan_needles(s, where, d, len);
	if (len > 2 && d[0] == 'd') {
		const uint8_t *v;
		size_t vl;
		if (lt_bdict_get(d, len, "y", &v, &vl) == 1 && vl == 1 &&
		    (v[0] == 'q' || v[0] == 'r' || v[0] == 'e')) {
			s->dht_msgs++;
			lt_bep37_dht(s, d, len);
			if (lt_bdict_get(d, len, "v", &v, &vl) == 1) {
				char pv[64];
				lt_printable(v, vl, pv, sizeof(pv));
				lt_scan_report(s, LT_F_CLIENT_VERSION, s->anonymous, where,
					       "DHT message carries client version v=\"%s\"", pv);
			}
		}
	}
	/* BEP 15 announce: connection_id(8) action(4)=1 ... peer_id at 36, IP at 84,
	 * key at 88, port at 96 */
	if (len >= 98 && d[8] == 0 && d[9] == 0 && d[10] == 0 && d[11] == 1) {
		char why[96];
		lt_scan_ident(s, LT_ID_PEER_ID, d + 36, 20);
		lt_scan_ident(s, LT_ID_TRACKER_KEY, d + 88, 4);
		lt_bep37_port(s, where, (unsigned)d[96] << 8 | d[97]);
		if (lt_peer_id_identifying(d + 36, 20, why, sizeof(why)))
			lt_scan_report(s, LT_F_PEER_ID, s->anonymous, where,
				       "UDP tracker announce peer id: %s", why);
		if (d[84] | d[85] | d[86] | d[87])
			lt_scan_report(s, LT_F_ADDR_PARAM, 1, where,
				       "UDP tracker announce names an IP address: %u.%u.%u.%u", d[84],
				       d[85], d[86], d[87]);
	}
}

static void where_of(const struct lt_pkt *p, char *buf, size_t len)
{
	char a[48], b[48];
	lt_addr_str(&p->src, a, sizeof(a));
	lt_addr_str(&p->dst, b, sizeof(b));
	const char *pn = p->proto == IPPROTO_TCP ? "tcp" : p->proto == IPPROTO_UDP ? "udp" : "ip";
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		snprintf(buf, len, "%s%s %s:%u -> %s:%u", pn, p->src.family == 6 ? "6" : "", a,
			 p->sport, b, p->dport);
	else
		snprintf(buf, len, "proto %u %s -> %s", p->proto, a, b);
}

void lt_scan_packet(struct lt_scan *s, const struct lt_pkt *p)
{
	if (p->l3 != LT_L3_IPV4 && p->l3 != LT_L3_IPV6)
		return;
	s->pkts++;
	s->payload_bytes += p->payload_len;
	char where[160];
	where_of(p, where, sizeof(where));
	if (p->proto == IPPROTO_TCP && !p->fragment) {
		int r = lt_stream_add(&s->streams, p); /* also for a SYN: it sets the base */
		if (r != 1 && p->payload_len) /* beyond the kept prefix (or no memory) */
			lt_scan_needles(s, where, p->payload, p->payload_len);
	} else if (p->payload_len == 0) {
		return;
	} else if (p->proto == IPPROTO_UDP && !p->fragment) {
		lt_scan_datagram(s, where, p->payload, p->payload_len);
	} else {
		lt_scan_needles(s, where, p->payload, p->payload_len);
	}
}

void lt_scan_finish(struct lt_scan *s)
{
	for (size_t i = 0; i < s->streams.n; i++) {
		const struct lt_stream *st = &s->streams.v[i];
		if (!st->buf || st->len == 0)
			continue;
		char a[48], b[48], where[160];
		lt_addr_str(&st->src, a, sizeof(a));
		lt_addr_str(&st->dst, b, sizeof(b));
		snprintf(where, sizeof(where), "tcp%s %s:%u -> %s:%u", st->src.family == 6 ? "6" : "",
			 a, st->sport, b, st->dport);
		lt_scan_stream_bytes(s, where, st->buf, st->len);
	}
}
