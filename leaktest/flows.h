/*
 * flows.h - aggregate classified packets into flows for the report.
 *
 * Contract: a flow is (IP version, protocol, host-side address and port,
 * remote address and port); ICMP flows use type/code in place of ports;
 * link-layer noise is grouped by its explanation. Both directions of a
 * connection land in one flow (the host side is the source of outbound
 * packets, the destination of inbound ones). A flow's class is the worst
 * class of its outbound packets (LEAK > DNS > ... > ALLOWED), or INBOUND if
 * the host never sent anything in it. The table grows as needed; all
 * memory is released by lt_flows_free().
 */
#ifndef MEERKO_LEAKTEST_FLOWS_H
#define MEERKO_LEAKTEST_FLOWS_H

#include "classify.h"

#include <stdint.h>

struct lt_flow {
	uint8_t family, proto;
	struct lt_addr local, remote;
	uint16_t lport, rport;
	enum lt_class cls;
	const char *why; /* static */
	uint64_t pkts_out, bytes_out, pkts_in, bytes_in;
	double first, last; /* seconds since the capture started */
	int sent; /* the host sent at least one packet */
};

struct lt_flows {
	struct lt_flow *v;
	size_t n, cap;
	uint64_t pkts_total, pkts_out, pkts_in, bytes_total;
	uint64_t by_class[LT_C_LEAK + 1];
};

/* Account one packet; returns the flow it went to, or NULL when out of memory. */
struct lt_flow *lt_flows_add(struct lt_flows *f, const struct lt_pkt *p, enum lt_class cls,
			     const char *why, int outbound, double t);
size_t lt_flows_count_class(const struct lt_flows *f, enum lt_class c);
/* Flows at the IP layer (link-layer noise groups not counted). */
size_t lt_flows_ip_count(const struct lt_flows *f);
/* Sort: failing flows first, then by class, then by first packet time. */
void lt_flows_sort(struct lt_flows *f);
void lt_flows_free(struct lt_flows *f);

/* "tcp 10.0.0.2:40000 -> 10.0.0.3:1080" (or "ARP", "icmp6 type 135") */
const char *lt_flow_str(const struct lt_flow *fl, char *buf, size_t len);
const char *lt_proto_name(uint8_t family, uint8_t proto);

#endif
