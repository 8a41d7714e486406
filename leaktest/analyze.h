/*
 * analyze.h - read a capture file back and feed the classifier and the
 * scanner.
 *
 * Contract: lt_analyze_host() judges every packet of the capture taken on
 * the host under test (the lab's client host, or this machine in audit
 * mode) with lt_classify() and adds it to flows; what the host sent into
 * the proxy (TCP to proxy_port, UDP to the proxy's address) also goes to
 * into_proxy (a SOCKS-mode scanner; may be NULL). lt_analyze_observer()
 * takes a capture from an observer host (the lab's swarm host): every IP
 * packet it received (to one of its own addresses, or multicast/broadcast)
 * is scanned, and packets from a source that is neither allowed (the proxy)
 * nor the observer itself become LT_F_SOURCE findings (ARP, ND and MLD are
 * ignored). Both return 0, or -1 with err set when the file is unreadable
 * or of an unknown link type.
 */
#ifndef MEERKO_LEAKTEST_ANALYZE_H
#define MEERKO_LEAKTEST_ANALYZE_H

#include "classify.h"
#include "flows.h"
#include "scan.h"

#include <stdint.h>

int lt_analyze_host(const char *pcap_path, const struct lt_policy *pol, uint16_t proxy_port,
		    struct lt_flows *flows, struct lt_scan *into_proxy, char *err, size_t errlen);

int lt_analyze_observer(const char *pcap_path, const struct lt_addr *own, size_t n_own,
			const struct lt_addr *allowed, size_t n_allowed, struct lt_scan *scan,
			uint64_t *received, char *err, size_t errlen);

#endif
