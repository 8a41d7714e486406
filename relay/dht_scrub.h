/*
 * dht_scrub.h - take the client version out of the engine's DHT messages,
 * and drop DHT messages that are not canonical bencode.
 *
 * Contract: mk_dht_scrub() looks at one UDP payload from the engine and
 * says what the relay does with it:
 *  - MK_DHT_CLEAN: the whole payload is exactly one canonical bencoded
 *    dictionary (mk_dht_canonical); its top-level "v" key and value, if
 *    any, were removed in place and *len is the new length. Forward.
 *  - MK_DHT_OTHER: not a DHT message - it does not start with 'd' (uTP,
 *    a UDP tracker connect), or it has the shape of a UDP tracker announce
 *    or scrape request (BEP 15: the action in bytes 8..11, whose first 8
 *    bytes are the tracker's connection id and may well start with 'd').
 *    Untouched. Forward.
 *  - MK_DHT_DROP: starts with 'd' but is not canonical: a leading zero in
 *    a length or an integer, "-0", keys not strictly sorted (so no key
 *    twice), bytes after the dictionary, a second dictionary, truncation,
 *    nesting deeper than MK_DHT_SCRUB_DEPTH. A lenient DHT node could read
 *    a "v" in it that the scrubber did not see, so it never leaves.
 * Pure, bounded, allocation-free: a fuzz target.
 *
 * Why: libtorrent 2.0.8 adds v = "LT" + its version to every DHT message
 * (dht_tracker::send_packet), anonymous_mode or not, which tells every DHT
 * node which client and version this is. A dictionary without "v" is a
 * valid KRPC message (BEP 5: "v" is optional). libtorrent encodes canonical
 * bencode (its dictionaries are sorted maps), so only a compromised engine
 * sends what is dropped. Such an engine can still name itself inside any
 * other field, or in a datagram shaped like a tracker request: the scrubber
 * takes out libtorrent's own self-identification, it is no boundary.
 */
#ifndef MEERKO_RELAY_DHT_SCRUB_H
#define MEERKO_RELAY_DHT_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_DHT_SCRUB_DEPTH 16

enum mk_dht_verdict {
	MK_DHT_CLEAN, /* a canonical DHT message, now without "v": forward *len bytes */
	MK_DHT_OTHER, /* not a DHT message: forward unchanged */
	MK_DHT_DROP,  /* a DHT message that is not canonical bencode: drop */
};

enum mk_dht_verdict mk_dht_scrub(uint8_t *buf, size_t *len);

/* True if b[0..len) is exactly one canonical bencoded dictionary, nested
 * at most MK_DHT_SCRUB_DEPTH deep. */
bool mk_dht_canonical(const uint8_t *b, size_t len);

#endif
