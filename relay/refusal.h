/*
 * refusal.h - a destination the relay's policy refused, said once.
 *
 * Contract: mk_relay_refused() counts each refusal by kind and writes one
 * sanitised stderr line (the broker's stderr: the relay is its fork) for
 * the first of each kind in a run. The proxy's own address is counted
 * only: trackers report this client at the proxy's egress, so libtorrent
 * tries to reach itself there. Thread-safe (atomics). Used by relay.c
 * (CONNECT) and relay_udp.c (datagrams), which call nothing of each other
 * for it.
 */
#ifndef MEERKO_RELAY_REFUSAL_H
#define MEERKO_RELAY_REFUSAL_H

#include <stdint.h>

enum mk_relay_refusal { MK_RELAY_REFUSED_CONNECT = 0, MK_RELAY_REFUSED_DATAGRAM = 1 };
void mk_relay_refused(enum mk_relay_refusal kind, uint8_t atyp, const uint8_t *ip,
		      const char *name, uint16_t port, const char *why);

#endif
