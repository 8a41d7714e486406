/*
 * analyze.c - pcap file -> classifier/flows and scanner (contract in
 * analyze.h).
 */
#include "analyze.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static pcap_t *open_file(const char *path, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, eb);
	if (!p)
		snprintf(err, errlen, "cannot read capture %s: %s", path, eb);
	return p;
}

static double secs(const struct pcap_pkthdr *h, const struct pcap_pkthdr *first)
{
	return (double)(h->ts.tv_sec - first->ts.tv_sec) +
	       (double)(h->ts.tv_usec - first->ts.tv_usec) / 1e6;
}

int lt_analyze_host(const char *pcap_path, const struct lt_policy *pol, uint16_t proxy_port,
		    struct lt_flows *flows, struct lt_scan *into_proxy, char *err, size_t errlen)
{
	pcap_t *pc = open_file(pcap_path, err, errlen);
	if (!pc)
		return -1;
	int lt = pcap_datalink(pc);
	struct pcap_pkthdr *h, first;
	const u_char *d;
	int r, have_first = 0, rc = 0;
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		if (!have_first) {
			first = *h;
			have_first = 1;
		}
		struct lt_pkt p;
		if (lt_decode(lt, d, h->caplen, h->len, &p) != 0) {
			snprintf(err, errlen, "capture %s: unsupported link type %d", pcap_path, lt);
			rc = -1;
			break;
		}
		const char *why;
		enum lt_class c = lt_classify(pol, &p, &why);
		int out = lt_is_outbound(pol, &p);
		if (!lt_flows_add(flows, &p, c, why, out, secs(h, &first))) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		if (into_proxy && out && c == LT_C_ALLOWED &&
		    ((p.proto == IPPROTO_TCP && p.dport == proxy_port) || p.proto == IPPROTO_UDP))
			lt_scan_packet(into_proxy, &p);
	}
	if (r == PCAP_ERROR) {
		snprintf(err, errlen, "reading %s: %s", pcap_path, pcap_geterr(pc));
		rc = -1;
	}
	pcap_close(pc);
	if (into_proxy)
		lt_scan_finish(into_proxy);
	lt_flows_sort(flows);
	return rc;
}

static int in_set(const struct lt_addr *a, const struct lt_addr *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lt_addr_eq(a, &set[i]))
			return 1;
	return 0;
}

int lt_analyze_observer(const char *pcap_path, const struct lt_addr *own, size_t n_own,
			const struct lt_addr *allowed, size_t n_allowed, struct lt_scan *scan,
			uint64_t *received, char *err, size_t errlen)
{
	pcap_t *pc = open_file(pcap_path, err, errlen);
	if (!pc)
		return -1;
	int lt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	int r, rc = 0;
	*received = 0;
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		struct lt_pkt p;
		if (lt_decode(lt, d, h->caplen, h->len, &p) != 0) {
			snprintf(err, errlen, "capture %s: unsupported link type %d", pcap_path, lt);
			rc = -1;
			break;
		}
		if (p.l3 != LT_L3_IPV4 && p.l3 != LT_L3_IPV6)
			continue;
		if (in_set(&p.src, own, n_own))
			continue; /* sent by the observer */
		if (!in_set(&p.dst, own, n_own) && !lt_addr_is_multicast(&p.dst))
			continue; /* not for the observer */
		if (p.proto == IPPROTO_ICMPV6 && ((p.icmp_type >= 133 && p.icmp_type <= 137) ||
						  p.icmp_type == 130 || p.icmp_type == 131 ||
						  p.icmp_type == 132 || p.icmp_type == 143))
			continue; /* neighbour discovery, MLD */
		(*received)++;
		if (!in_set(&p.src, allowed, n_allowed)) {
			char a[48], where[96];
			lt_addr_str(&p.src, a, sizeof(a));
			if (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP)
				snprintf(where, sizeof(where), "%s to port %u",
					 p.proto == IPPROTO_TCP ? "tcp" : "udp", p.dport);
			else
				snprintf(where, sizeof(where), "ip protocol %u", p.proto);
			lt_scan_report(scan, LT_F_SOURCE, 1, where,
				       "received packets from %s, which is not the proxy", a);
		}
		lt_scan_packet(scan, &p);
	}
	if (r == PCAP_ERROR) {
		snprintf(err, errlen, "reading %s: %s", pcap_path, pcap_geterr(pc));
		rc = -1;
	}
	pcap_close(pc);
	lt_scan_finish(scan);
	return rc;
}
