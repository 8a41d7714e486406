/*
 * flows.c - flow table (contract in flows.h).
 */
#include "flows.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
	uint8_t family, proto;
	struct lt_addr local, remote;
	uint16_t lport, rport;
	const char *noise; /* link-layer noise kind, else NULL */
};

static void make_key(const struct lt_pkt *p, enum lt_class cls, const char *why, int out,
		     struct key *k)
{
	memset(k, 0, sizeof(*k));
	if (cls == LT_C_LINK_NOISE || p->l3 == LT_L3_ARP || p->l3 == LT_L3_OTHER ||
	    p->l3 == LT_L3_NONE) {
		k->noise = why;
		return;
	}
	k->family = p->l3 == LT_L3_IPV4 ? 4 : 6;
	k->proto = p->proto;
	k->local = out ? p->src : p->dst;
	k->remote = out ? p->dst : p->src;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		k->lport = p->icmp_type;
		k->rport = p->icmp_code;
	} else if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		k->lport = out ? p->sport : p->dport;
		k->rport = out ? p->dport : p->sport;
	}
}

static int key_eq(const struct key *k, const struct lt_flow *f)
{
	if (k->noise || f->family == 0)
		return k->noise && f->family == 0 && (k->noise == f->why || strcmp(k->noise, f->why) == 0);
	return k->family == f->family && k->proto == f->proto && k->lport == f->lport &&
	       k->rport == f->rport && lt_addr_eq(&k->local, &f->local) &&
	       lt_addr_eq(&k->remote, &f->remote);
}

struct lt_flow *lt_flows_add(struct lt_flows *f, const struct lt_pkt *p, enum lt_class cls,
			     const char *why, int outbound, double t)
{
	struct key k;
	make_key(p, cls, why, outbound, &k);
	f->pkts_total++;
	f->bytes_total += p->wire_len;
	if (outbound)
		f->pkts_out++;
	else
		f->pkts_in++;
	f->by_class[cls]++;

	struct lt_flow *fl = NULL;
	/* newest flows are the likeliest: search backwards */
	for (size_t i = f->n; i-- > 0;) {
		if (key_eq(&k, &f->v[i])) {
			fl = &f->v[i];
			break;
		}
	}
	if (!fl) {
		if (f->n == f->cap) {
			size_t nc = f->cap ? f->cap * 2 : 64;
			struct lt_flow *nv = realloc(f->v, nc * sizeof(*nv));
			if (!nv)
				return NULL;
			f->v = nv;
			f->cap = nc;
		}
		fl = &f->v[f->n++];
		memset(fl, 0, sizeof(*fl));
		fl->family = k.family;
		fl->proto = k.proto;
		fl->local = k.local;
		fl->remote = k.remote;
		fl->lport = k.lport;
		fl->rport = k.rport;
		fl->cls = LT_C_INBOUND;
		fl->why = k.noise ? k.noise : why;
		fl->first = t;
	}
	fl->last = t;
	if (outbound) {
		fl->pkts_out++;
		fl->bytes_out += p->wire_len;
		if (!fl->sent || cls > fl->cls) {
			fl->cls = cls;
			fl->why = why;
		}
		fl->sent = 1;
	} else {
		fl->pkts_in++;
		fl->bytes_in += p->wire_len;
	}
	return fl;
}

size_t lt_flows_count_class(const struct lt_flows *f, enum lt_class c)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].cls == c;
	return n;
}

size_t lt_flows_ip_count(const struct lt_flows *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].family != 0;
	return n;
}

static int cmp_flow(const void *a, const void *b)
{
	const struct lt_flow *x = a, *y = b;
	int fx = lt_class_fails(x->cls), fy = lt_class_fails(y->cls);
	if (fx != fy)
		return fy - fx;
	if (x->cls != y->cls)
		return (int)y->cls - (int)x->cls;
	return x->first < y->first ? -1 : x->first > y->first;
}

void lt_flows_sort(struct lt_flows *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_flow);
}

void lt_flows_free(struct lt_flows *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const char *lt_proto_name(uint8_t family, uint8_t proto)
{
	static char buf[16];
	switch (proto) {
	case IPPROTO_TCP: return family == 6 ? "tcp6" : "tcp";
	case IPPROTO_UDP: return family == 6 ? "udp6" : "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmp6";
	case IPPROTO_IGMP: return "igmp";
	default:
		snprintf(buf, sizeof(buf), "ip%s-proto-%u", family == 6 ? "6" : "", proto);
		return buf;
	}
}

const char *lt_flow_str(const struct lt_flow *fl, char *buf, size_t len)
{
	char l[48], r[48];
	if (fl->family == 0) {
		snprintf(buf, len, "%s", fl->why ? fl->why : "link layer");
		return buf;
	}
	lt_addr_str(&fl->local, l, sizeof(l));
	lt_addr_str(&fl->remote, r, sizeof(r));
	const char *pn = lt_proto_name(fl->family, fl->proto);
	const char *lb = fl->family == 6 ? "[" : "", *rb = fl->family == 6 ? "]" : "";
	if (fl->proto == IPPROTO_TCP || fl->proto == IPPROTO_UDP)
		snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u", pn, lb, l, rb, fl->lport, lb, r, rb,
			 fl->rport);
	else if (fl->proto == IPPROTO_ICMP || fl->proto == IPPROTO_ICMPV6)
		snprintf(buf, len, "%s %s -> %s type %u code %u", pn, l, r, fl->lport, fl->rport);
	else
		snprintf(buf, len, "%s %s -> %s", pn, l, r);
	return buf;
}
