/*
 * frames.h - build raw frames in memory for meerko-leaktest's unit tests:
 * Ethernet (optionally 802.1Q), Linux cooked v2, IPv4/IPv6 (with an
 * optional hop-by-hop header), TCP/UDP/ICMP/ICMPv6/IGMP, ARP.
 * Checksums are left zero: the decoder does not look at them.
 */
#ifndef MEERKO_LEAKTEST_TEST_FRAMES_H
#define MEERKO_LEAKTEST_TEST_FRAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const uint8_t MAC_HOST[6] = { 0x02, 0x6d, 0x6b, 0, 0, 2 };
static const uint8_t MAC_GW[6] = { 0x02, 0x6d, 0x6b, 0, 0, 1 };

struct frame_spec {
	int vlan;            /* add an 802.1Q tag */
	int sll2;            /* Linux cooked v2 instead of Ethernet */
	int sll2_pkttype;    /* 0 host, 4 outgoing */
	int sll2_loopback;   /* hatype 772 */
	const uint8_t *src_mac, *dst_mac;
	const char *src, *dst; /* IPv4 or IPv6 literals */
	uint8_t proto;
	int hop_by_hop;      /* IPv6: put a hop-by-hop header first (as MLD does) */
	uint16_t sport, dport; /* ICMP: type, code */
	uint32_t seq;
	uint8_t tcp_flags;
	const void *payload;
	size_t plen;
};

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline size_t build_l4(const struct frame_spec *s, uint8_t *b)
{
	size_t h;
	switch (s->proto) {
	case IPPROTO_TCP:
		memset(b, 0, 20);
		put16(b, s->sport);
		put16(b + 2, s->dport);
		put32(b + 4, s->seq);
		b[12] = 5 << 4;
		b[13] = s->tcp_flags ? s->tcp_flags : 0x18;
		h = 20;
		break;
	case IPPROTO_UDP:
		memset(b, 0, 8);
		put16(b, s->sport);
		put16(b + 2, s->dport);
		put16(b + 4, (uint16_t)(8 + s->plen));
		h = 8;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
	case IPPROTO_IGMP:
		memset(b, 0, 8);
		b[0] = (uint8_t)s->sport;
		b[1] = (uint8_t)s->dport;
		h = 8;
		break;
	default:
		h = 0;
	}
	if (s->plen)
		memcpy(b + h, s->payload, s->plen);
	return h + s->plen;
}

/* Returns the frame length written to out (at least 2048 bytes). */
static inline size_t build_frame(const struct frame_spec *s, uint8_t *out)
{
	size_t off;
	int v6 = strchr(s->src, ':') != NULL;
	uint16_t type = v6 ? 0x86dd : 0x0800;
	if (s->sll2) {
		memset(out, 0, 20);
		put16(out, type);
		put32(out + 4, 1);
		put16(out + 8, s->sll2_loopback ? 772 : 1);
		out[10] = (uint8_t)s->sll2_pkttype;
		out[11] = 6;
		off = 20;
	} else {
		memcpy(out, s->dst_mac ? s->dst_mac : MAC_GW, 6);
		memcpy(out + 6, s->src_mac ? s->src_mac : MAC_HOST, 6);
		off = 12;
		if (s->vlan) {
			put16(out + off, 0x8100);
			put16(out + off + 2, 7);
			off += 4;
		}
		put16(out + off, type);
		off += 2;
	}
	uint8_t *ip = out + off;
	if (!v6) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		size_t l4 = build_l4(s, ip + 20);
		put16(ip + 2, (uint16_t)(20 + l4));
		return off + 20 + l4;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	inet_pton(AF_INET6, s->src, ip + 8);
	inet_pton(AF_INET6, s->dst, ip + 24);
	size_t ext = 0;
	if (s->hop_by_hop) {
		ip[6] = 0; /* hop-by-hop */
		memset(ip + 40, 0, 8);
		ip[40] = s->proto;
		ip[41] = 0; /* 8 bytes */
		ip[42] = 5; /* router alert */
		ip[43] = 2;
		ext = 8;
	} else {
		ip[6] = s->proto;
	}
	size_t l4 = build_l4(s, ip + 40 + ext);
	put16(ip + 4, (uint16_t)(ext + l4));
	return off + 40 + ext + l4;
}

static inline size_t build_arp(uint8_t *out, const uint8_t *src_mac)
{
	memset(out, 0xff, 6);
	memcpy(out + 6, src_mac, 6);
	put16(out + 12, 0x0806);
	memset(out + 14, 0, 28);
	put16(out + 14, 1);
	put16(out + 16, 0x0800);
	out[18] = 6;
	out[19] = 4;
	put16(out + 20, 1);
	return 42;
}

#endif
