/*
 * bencode.h - just enough bencode to look inside BitTorrent dictionaries
 * (extension handshakes, DHT messages) that arrive from strangers.
 *
 * Contract: never reads past len, never allocates, nesting bounded
 * (LT_BENC_MAX_DEPTH); malformed input gives 0 / -1, never a crash.
 */
#ifndef MEERKO_LEAKTEST_BENCODE_H
#define MEERKO_LEAKTEST_BENCODE_H

#include <stddef.h>
#include <stdint.h>

#define LT_BENC_MAX_DEPTH 32

/* Length of the one bencoded value at d, or 0 if malformed/truncated. */
size_t lt_bskip(const uint8_t *d, size_t len);

/* In the dictionary at d, find key; for a string value, val and vlen are its
 * bytes, otherwise the whole encoded value. Returns 1 found, 0 not found,
 * -1 not a well-formed dictionary. */
int lt_bdict_get(const uint8_t *d, size_t len, const char *key, const uint8_t **val,
		 size_t *vlen);

/* Call fn(key, klen, val, vlen, ctx) for each entry of the dictionary at d,
 * in order (val/vlen: the whole encoded value). Returns the number of
 * entries, -1 if d is not a well-formed dictionary (fn may have been
 * called for the entries before the damage). */
typedef void (*lt_bdict_fn)(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			    void *ctx);
int lt_bdict_each(const uint8_t *d, size_t len, lt_bdict_fn fn, void *ctx);

/* The integer at d ("i-12e"): 1 and *out, or 0 when d is not an integer. */
int lt_bint(const uint8_t *d, size_t len, long long *out);

#endif
