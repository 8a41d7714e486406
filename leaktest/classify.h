/*
 * classify.h - the flow classifier: is this captured packet a leak?
 *
 * Contract: lt_classify() is a pure function of the policy and one decoded
 * packet. A packet is "from the host" when the link layer says it was
 * outgoing, or it was captured on a loopback device (both ends are the
 * host; libpcap's "any" shows such packets as incoming only), or (no
 * direction in the capture) its source MAC is the host's, or its source
 * address is one of the host's.
 *   - ARP, IPv6 neighbour discovery (ICMPv6 133-137) and MLD (130-132, 143),
 *     and any other (complete) non-IP frame are link-layer noise, not flows,
 *     in either direction.
 * For a packet from the host:
 *   - a DNS query (UDP or TCP to port 53, 853, mDNS 5353, LLMNR 5355) is a
 *     DNS leak whatever its destination, even on loopback or to the proxy;
 *   - any packet to an allowed address (the proxy) is allowed;
 *   - on a loopback device, anything else is local (it does not leave);
 *   - everything else (TCP, UDP, ICMP, IGMP, IPv4 or IPv6, unicast or
 *     multicast) is a leak.
 * Packets not from the host are inbound, never leaks by themselves (the
 * host's answer to them is judged on its own).
 */
#ifndef MEERKO_LEAKTEST_CLASSIFY_H
#define MEERKO_LEAKTEST_CLASSIFY_H

#include "decode.h"

enum lt_class {
	LT_C_ALLOWED = 0, /* from the host to an allowed address */
	LT_C_INBOUND,     /* to the host */
	LT_C_LOCAL,       /* from the host, on a loopback device */
	LT_C_LINK_NOISE,  /* ARP, ND, MLD, other non-IP frames */
	LT_C_UNDECODED,   /* from the host, but not decodable (reported) */
	LT_C_DNS,         /* a name query leaving the host */
	LT_C_LEAK,        /* from the host to a non-allowed address */
};

#define LT_POLICY_MAX 16

struct lt_policy {
	struct lt_addr allowed[LT_POLICY_MAX]; /* the proxy's address(es) */
	size_t n_allowed;
	struct lt_addr own[LT_POLICY_MAX]; /* the host's own addresses */
	size_t n_own;
	int have_mac;
	uint8_t own_mac[6];
	int loopback_iface; /* the capture device is a loopback (Ethernet-framed) */
};

/* Decide one packet; *why (may be NULL) gets a static explanation. */
enum lt_class lt_classify(const struct lt_policy *pol, const struct lt_pkt *p, const char **why);

/* 1 if the packet counts as sent by the host (see above). */
int lt_is_outbound(const struct lt_policy *pol, const struct lt_pkt *p);

/* 1 if (proto, destination port) is a name-resolution service. */
int lt_is_dns_port(uint8_t proto, uint16_t port);

/* Classes that fail the run (an undecodable packet from the host cannot be
 * shown not to be a leak). */
static inline int lt_class_fails(enum lt_class c)
{
	return c == LT_C_DNS || c == LT_C_LEAK || c == LT_C_UNDECODED;
}

const char *lt_class_name(enum lt_class c);

#endif
