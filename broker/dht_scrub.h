/*
 * dht_scrub.h - take the client version out of the engine's DHT messages.
 *
 * Contract: mk_dht_scrub() looks at one UDP payload from the engine. If,
 * and only if, the whole payload is exactly one well-formed bencoded
 * dictionary (nothing after it, nesting at most MK_DHT_SCRUB_DEPTH, every
 * length inside the buffer) with top-level keys "v", each of them and its
 * value is removed in place and the new length is returned. Anything
 * else (uTP, UDP tracker packets, garbage) is left untouched and len is
 * returned. Pure, bounded, allocation-free: a fuzz target.
 *
 * Why: libtorrent 2.0.8 adds v = "LT" + its version to every DHT message
 * (dht_tracker::send_packet), anonymous_mode or not, which tells every DHT
 * node which client and version this is. A dictionary without "v" is a
 * valid KRPC message (BEP 5: "v" is optional).
 */
#ifndef MEERKO_BROKER_DHT_SCRUB_H
#define MEERKO_BROKER_DHT_SCRUB_H

#include <stddef.h>
#include <stdint.h>

#define MK_DHT_SCRUB_DEPTH 16

size_t mk_dht_scrub(uint8_t *buf, size_t len);

#endif
