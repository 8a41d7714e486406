/*
 * resume_check.h - the broker's filter on resume data from the engine.
 *
 * The engine is assumed compromised, and resume data is the one thing it
 * writes that outlives it: stored in the state dir and handed to the next
 * engine. So nothing is stored that the broker did not understand:
 * mk_resume_clean() parses strict, canonical bencode (bounded in size and
 * depth), keeps only the top-level keys of libtorrent 2.0 resume data that
 * the next run needs, each checked against its row of a table (type and
 * bounds), and drops everything else: peer lists, trackers and web seeds
 * (the user's input names those), flags and limits (the broker sets those),
 * renamed files, claims about partial pieces and merkle trees, and any key
 * it does not know. What is kept is written out canonically, so the stored
 * bytes are exactly the parsed and checked ones.
 *
 * The one value kept as it came is "info" (the torrent's info dictionary,
 * metadata for a magnet): it must be well-formed bencode but may be in any
 * key order, because its bytes are what its info-hash is computed over,
 * and the engine's shim refuses resume data whose info-hash is not the
 * torrent's the user gave, so its content cannot be the engine's choice.
 */
#ifndef MEERKO_BROKER_RESUME_CHECK_H
#define MEERKO_BROKER_RESUME_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define MK_RESUME_MAX_BYTES (8u << 20)  /* = MK_MAX_RESUME (engine_msg.h) */
#define MK_RESUME_MAX_DEPTH 100         /* libtorrent's own bdecode limit */

/* Also drop "pieces": the claims of which pieces are verified. Used when
 * the engine that wrote the data did not stop cleanly, so the next engine
 * checks the files on disk instead of believing them. */
#define MK_RESUME_DROP_PIECES 1u

struct mk_resume_clean {
	uint8_t *data;      /* malloc'd canonical bencode (caller frees) */
	size_t len;
	size_t kept;        /* top-level keys kept */
	size_t dropped;     /* top-level keys dropped (unknown, unwanted, bad value) */
};

/* 0 and *out filled, or -1 with a one-line reason (nothing allocated):
 * not canonical bencode, not a dict, too large or deep, or a required key
 * (file-format, file-version, info-hash) missing or wrong. */
int mk_resume_clean(const uint8_t *in, size_t len, unsigned flags, struct mk_resume_clean *out,
		    char *why, size_t whylen);

#endif
