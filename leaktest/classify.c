/*
 * classify.c - per-packet leak decision (contract in classify.h).
 */
#include "classify.h"

#include <netinet/in.h>
#include <string.h>

static int is_own_addr(const struct lt_policy *pol, const struct lt_addr *a)
{
	for (size_t i = 0; i < pol->n_own; i++)
		if (lt_addr_eq(&pol->own[i], a))
			return 1;
	return 0;
}

static int is_allowed(const struct lt_policy *pol, const struct lt_addr *a)
{
	for (size_t i = 0; i < pol->n_allowed; i++)
		if (lt_addr_eq(&pol->allowed[i], a))
			return 1;
	return 0;
}

int lt_is_outbound(const struct lt_policy *pol, const struct lt_pkt *p)
{
	/* Whatever travels a loopback device was sent by this host; libpcap's
	 * "any" drops the outgoing copy of loopback packets and keeps the
	 * incoming one, so the direction would call all of it inbound. */
	if (p->loopback)
		return 1;
	if (p->dir != LT_DIR_UNKNOWN)
		return p->dir == LT_DIR_OUT;
	if (pol->have_mac && p->has_mac)
		return memcmp(p->src_mac, pol->own_mac, 6) == 0;
	if (p->l3 == LT_L3_IPV4 || p->l3 == LT_L3_IPV6)
		return is_own_addr(pol, &p->src);
	return 0;
}

int lt_is_dns_port(uint8_t proto, uint16_t port)
{
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	return port == 53 || port == 853 || port == 5353 || port == 5355;
}

static int icmp6_link_noise(const struct lt_pkt *p, const char **why)
{
	if (p->proto != IPPROTO_ICMPV6 || p->truncated)
		return 0;
	unsigned t = p->icmp_type;
	if (t >= 133 && t <= 137) {
		*why = "IPv6 neighbour discovery";
		return 1;
	}
	if (t == 130 || t == 131 || t == 132 || t == 143) {
		*why = "IPv6 multicast listener report (MLD)";
		return 1;
	}
	return 0;
}

enum lt_class lt_classify(const struct lt_policy *pol, const struct lt_pkt *p, const char **why)
{
	const char *w_ = NULL;
	const char **w = why ? why : &w_;
	*w = "";
	/* link-layer housekeeping, whichever way it goes */
	if (p->l3 == LT_L3_ARP) {
		*w = "ARP";
		return LT_C_LINK_NOISE;
	}
	if ((p->l3 == LT_L3_OTHER || p->l3 == LT_L3_NONE) && !p->truncated) {
		*w = "non-IP frame";
		return LT_C_LINK_NOISE;
	}
	if (icmp6_link_noise(p, w))
		return LT_C_LINK_NOISE;
	if (!lt_is_outbound(pol, p)) {
		*w = "to the host";
		return LT_C_INBOUND;
	}
	if (p->l3 == LT_L3_OTHER || p->l3 == LT_L3_NONE) {
		*w = "truncated frame";
		return LT_C_UNDECODED;
	}
	if (!p->fragment && lt_is_dns_port(p->proto, p->dport)) {
		switch (p->dport) {
		case 5353: *w = "mDNS query"; break;
		case 5355: *w = "LLMNR query"; break;
		case 853: *w = "DNS-over-TLS"; break;
		default: *w = "DNS query"; break;
		}
		return LT_C_DNS;
	}
	if (is_allowed(pol, &p->dst)) {
		*w = "to the proxy";
		return LT_C_ALLOWED;
	}
	if (p->loopback || pol->loopback_iface || lt_addr_is_loopback(&p->dst)) {
		*w = "loopback (stays on the host)";
		return LT_C_LOCAL;
	}
	if (p->truncated && p->src.family == 0) {
		*w = "truncated IP header";
		return LT_C_UNDECODED;
	}
	if (lt_addr_is_multicast(&p->dst))
		*w = p->proto == IPPROTO_IGMP ? "IGMP (joins a multicast group)" : "multicast/broadcast, not the proxy";
	else
		*w = "not the proxy";
	return LT_C_LEAK;
}

const char *lt_class_name(enum lt_class c)
{
	switch (c) {
	case LT_C_ALLOWED: return "allowed";
	case LT_C_INBOUND: return "inbound";
	case LT_C_LOCAL: return "local";
	case LT_C_LINK_NOISE: return "link-noise";
	case LT_C_UNDECODED: return "undecoded";
	case LT_C_DNS: return "DNS-LEAK";
	case LT_C_LEAK: return "LEAK";
	}
	return "?";
}
