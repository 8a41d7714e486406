/*
 * capture.h - capture every packet on one interface, in any network
 * namespace, into a pcap file, with libpcap.
 *
 * Contract: lt_capture_start() starts a thread that enters the given
 * network namespace (setns on /run/netns/NAME; NULL = stay in the caller's),
 * opens the interface with libpcap (full snap length, immediate mode, all
 * protocols, no filter, both directions), and writes each packet to
 * pcap_path as it arrives. It returns only once the capture is active (so
 * nothing the caller starts afterwards can be missed) or has failed (err
 * says why). While it runs, lt_capture_bytes_from() counts payload bytes
 * of IPv4 TCP packets whose source is count_from (for "kill the proxy at a
 * third of the download"). lt_capture_stop() drains what the kernel still
 * holds, closes the file and reports libpcap's counters; a capture with
 * kernel drops is incomplete, and callers must treat it as such.
 */
#ifndef MEERKO_LEAKTEST_CAPTURE_H
#define MEERKO_LEAKTEST_CAPTURE_H

#include "decode.h"

#include <stdint.h>

struct lt_capture;

struct lt_capture_opts {
	const char *netns;     /* name under /run/netns, or NULL */
	const char *iface;     /* "any" for all interfaces */
	const char *pcap_path; /* written (created 0600) */
	struct lt_addr count_from; /* family 0: no counting */
};

struct lt_capture_stats {
	uint64_t written;  /* packets written to the file */
	uint64_t received; /* pcap_stats ps_recv */
	uint64_t dropped;  /* ps_drop + ps_ifdrop */
	int linktype;
};

int lt_capture_start(const struct lt_capture_opts *o, struct lt_capture **out, char *err,
		     size_t errlen);
uint64_t lt_capture_bytes_from(struct lt_capture *c);
int lt_capture_stop(struct lt_capture *c, struct lt_capture_stats *st, char *err, size_t errlen);

#endif
