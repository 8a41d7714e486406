/*
 * decode.c - frame decoding for meerko-leaktest (contract in decode.h).
 */
#include "decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_ARP_ 0x0806
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ARPHRD_LOOPBACK_ 772

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void decode_l4(const uint8_t *p, size_t len, struct lt_pkt *o)
{
	if (o->fragment)
		return;
	switch (o->proto) {
	case IPPROTO_TCP: {
		if (len < 20) {
			o->truncated = 1;
			return;
		}
		size_t hl = (size_t)(p[12] >> 4) * 4;
		o->sport = be16(p);
		o->dport = be16(p + 2);
		o->tcp_seq = be32(p + 4);
		o->tcp_flags = p[13];
		if (hl < 20 || hl > len) {
			o->truncated = 1;
			return;
		}
		o->payload = p + hl;
		o->payload_len = len - hl;
		return;
	}
	case IPPROTO_UDP:
		if (len < 8) {
			o->truncated = 1;
			return;
		}
		o->sport = be16(p);
		o->dport = be16(p + 2);
		o->payload = p + 8;
		o->payload_len = len - 8;
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 4) {
			o->truncated = 1;
			return;
		}
		o->icmp_type = p[0];
		o->icmp_code = p[1];
		if (len >= 8) {
			o->payload = p + 8;
			o->payload_len = len - 8;
		}
		return;
	default:
		o->payload = p;
		o->payload_len = len;
		return;
	}
}

static void decode_ipv4(const uint8_t *p, size_t len, struct lt_pkt *o)
{
	o->l3 = LT_L3_IPV4;
	if (len < 20 || (p[0] >> 4) != 4) {
		o->truncated = 1;
		return;
	}
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	size_t total = be16(p + 2);
	o->proto = p[9];
	o->src.family = o->dst.family = 4;
	memcpy(o->src.b, p + 12, 4);
	memcpy(o->dst.b, p + 16, 4);
	o->fragment = (be16(p + 6) & 0x1fff) != 0;
	if (hl < 20 || hl > len) {
		o->truncated = 1;
		return;
	}
	if (total >= hl && total < len)
		len = total; /* Ethernet padding is not payload */
	decode_l4(p + hl, len - hl, o);
}

static void decode_ipv6(const uint8_t *p, size_t len, struct lt_pkt *o)
{
	o->l3 = LT_L3_IPV6;
	if (len < 40 || (p[0] >> 4) != 6) {
		o->truncated = 1;
		return;
	}
	size_t plen = be16(p + 4);
	o->src.family = o->dst.family = 6;
	memcpy(o->src.b, p + 8, 16);
	memcpy(o->dst.b, p + 24, 16);
	if (40 + plen < len)
		len = 40 + plen;
	uint8_t nh = p[6];
	size_t off = 40;
	for (int i = 0; i < 8; i++) { /* bounded walk over extension headers */
		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 8 > len) {
				o->proto = nh;
				o->truncated = 1;
				return;
			}
			uint8_t next = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			nh = next;
		} else if (nh == 44) {
			if (off + 8 > len) {
				o->proto = nh;
				o->truncated = 1;
				return;
			}
			o->fragment = (be16(p + off + 2) & 0xfff8) != 0;
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	o->proto = nh;
	if (off > len) {
		o->truncated = 1;
		return;
	}
	decode_l4(p + off, len - off, o);
}

static void decode_l3(uint16_t type, const uint8_t *p, size_t len, struct lt_pkt *o)
{
	o->ethertype = type;
	if (type == ETH_P_IPV4)
		decode_ipv4(p, len, o);
	else if (type == ETH_P_IPV6)
		decode_ipv6(p, len, o);
	else if (type == ETH_P_ARP_)
		o->l3 = LT_L3_ARP;
	else
		o->l3 = LT_L3_OTHER;
}

static enum lt_dir sll_dir(unsigned pkttype)
{
	return pkttype == 4 ? LT_DIR_OUT : LT_DIR_IN; /* 4 = PACKET_OUTGOING */
}

int lt_decode(int linktype, const uint8_t *d, size_t caplen, size_t wire_len, struct lt_pkt *o)
{
	memset(o, 0, sizeof(*o));
	o->wire_len = wire_len;
	switch (linktype) {
	case DLT_EN10MB: {
		if (caplen < 14) {
			o->truncated = 1;
			return 0;
		}
		o->has_mac = 1;
		memcpy(o->dst_mac, d, 6);
		memcpy(o->src_mac, d + 6, 6);
		size_t off = 12;
		uint16_t type = be16(d + off);
		if (type == ETH_P_VLAN && caplen >= 18) {
			off += 4;
			type = be16(d + off);
		}
		off += 2;
		decode_l3(type, d + off, caplen - off, o);
		return 0;
	}
	case DLT_LINUX_SLL:
		if (caplen < 16) {
			o->truncated = 1;
			return 0;
		}
		o->dir = sll_dir(be16(d));
		o->loopback = be16(d + 2) == ARPHRD_LOOPBACK_;
		decode_l3(be16(d + 14), d + 16, caplen - 16, o);
		return 0;
	case DLT_LINUX_SLL2:
		if (caplen < 20) {
			o->truncated = 1;
			return 0;
		}
		o->dir = sll_dir(d[10]);
		o->loopback = be16(d + 8) == ARPHRD_LOOPBACK_;
		decode_l3(be16(d), d + 20, caplen - 20, o);
		return 0;
	case DLT_RAW:
	case LT_LINKTYPE_RAW:
	case LT_LINKTYPE_IPV4:
	case LT_LINKTYPE_IPV6:
		if (caplen < 1) {
			o->truncated = 1;
			return 0;
		}
		decode_l3((d[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IPV4, d, caplen, o);
		return 0;
	default:
		return -1;
	}
}

const char *lt_addr_str(const struct lt_addr *a, char *buf, size_t len)
{
	if (a->family == 4)
		inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
	return buf;
}

int lt_addr_parse(const char *s, struct lt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = 6;
		return 0;
	}
	return -1;
}

int lt_addr_eq(const struct lt_addr *a, const struct lt_addr *b)
{
	if (a->family != b->family)
		return 0;
	return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

int lt_addr_is_multicast(const struct lt_addr *a)
{
	if (a->family == 4)
		return (a->b[0] & 0xf0) == 0xe0 || (a->b[0] == 255 && a->b[1] == 255 &&
						    a->b[2] == 255 && a->b[3] == 255);
	return a->family == 6 && a->b[0] == 0xff;
}

int lt_addr_is_loopback(const struct lt_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	if (a->family == 4)
		return a->b[0] == 127;
	return a->family == 6 && memcmp(a->b, v6lo, 16) == 0;
}
