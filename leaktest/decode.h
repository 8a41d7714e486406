/*
 * decode.h - turn one captured frame into the fields the classifier and the
 * scanner need: link layer, direction hint, addresses, transport, payload.
 *
 * Contract: lt_decode() never reads past caplen, never allocates, and never
 * fails on garbage: whatever it cannot understand is reported as such
 * (l3 = LT_L3_OTHER / truncated = 1) so the caller can still count it.
 * Link types: Ethernet (DLT_EN10MB, one 802.1Q tag), Linux cooked v1/v2
 * (DLT_LINUX_SLL, DLT_LINUX_SLL2: these carry the direction and whether the
 * device is a loopback), raw IP (DLT_RAW / LINKTYPE_RAW / IPV4 / IPV6).
 * IPv6 extension headers (hop-by-hop, routing, destination, fragment) are
 * skipped to reach ICMPv6/TCP/UDP. Pointers in struct lt_pkt point into the
 * caller's buffer.
 */
#ifndef MEERKO_LEAKTEST_DECODE_H
#define MEERKO_LEAKTEST_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum lt_l3 { LT_L3_NONE = 0, LT_L3_IPV4, LT_L3_IPV6, LT_L3_ARP, LT_L3_OTHER };
enum lt_dir { LT_DIR_UNKNOWN = 0, LT_DIR_OUT, LT_DIR_IN };

struct lt_addr {
	uint8_t family; /* 0 (none), 4 or 6 */
	uint8_t b[16];  /* IPv4 in b[0..3] */
};

struct lt_pkt {
	size_t wire_len;
	enum lt_l3 l3;
	uint16_t ethertype;
	int has_mac;
	uint8_t src_mac[6], dst_mac[6];
	enum lt_dir dir; /* from the link header (cooked captures); else unknown */
	int loopback;    /* captured on a loopback device */
	struct lt_addr src, dst;
	uint8_t proto;   /* IPPROTO_* after IPv6 extension headers */
	int fragment;    /* a non-first fragment: no transport header */
	int truncated;   /* the headers did not fit in the captured bytes */
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	const uint8_t *payload; /* TCP/UDP payload, or ICMP message body */
	size_t payload_len;     /* bytes of payload actually captured */
};

#define LT_TCP_FIN 0x01
#define LT_TCP_SYN 0x02
#define LT_TCP_RST 0x04
#define LT_TCP_ACK 0x10

/* LINKTYPE_ values as stored in pcap files, where they differ from DLT_. */
#define LT_LINKTYPE_RAW 101
#define LT_LINKTYPE_IPV4 228
#define LT_LINKTYPE_IPV6 229

int lt_decode(int linktype, const uint8_t *data, size_t caplen, size_t wire_len,
	      struct lt_pkt *out);

/* "10.0.0.1" / "fd00::1" / "-" into buf (at least 46 bytes); returns buf. */
const char *lt_addr_str(const struct lt_addr *a, char *buf, size_t len);
/* Parse an IPv4 or IPv6 literal; 0 on success. */
int lt_addr_parse(const char *s, struct lt_addr *out);
int lt_addr_eq(const struct lt_addr *a, const struct lt_addr *b);
/* Multicast or broadcast destination (224/4, 255.255.255.255, ff00::/8). */
int lt_addr_is_multicast(const struct lt_addr *a);
int lt_addr_is_loopback(const struct lt_addr *a);

#endif
