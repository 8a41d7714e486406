/*
 * stream.h - keep the first bytes of each one-way TCP stream, in sequence
 * order, so protocol parsers see an announce or a handshake even when it
 * was split over several segments.
 *
 * Contract: a stream is one direction of one TCP connection (source and
 * destination address and port). Its first `limit` bytes are stored at
 * their sequence offset (from the SYN when seen, else from the first
 * segment); retransmissions overwrite identical bytes; holes stay zero and
 * are counted. lt_stream_add() returns 1 when the whole payload was stored,
 * 0 when some of it lay beyond the limit (the caller then scans that packet
 * on its own), -1 when out of memory. Everything is freed by lt_streams_free().
 */
#ifndef MEERKO_LEAKTEST_STREAM_H
#define MEERKO_LEAKTEST_STREAM_H

#include "decode.h"

#include <stddef.h>
#include <stdint.h>

struct lt_stream {
	struct lt_addr src, dst;
	uint16_t sport, dport;
	uint32_t base;
	int have_base;
	uint8_t *buf;
	size_t len;    /* highest stored offset + 1 */
	size_t stored; /* bytes written (retransmissions included) */
	int beyond;    /* some bytes lay beyond the limit */
};

struct lt_streams {
	struct lt_stream *v;
	size_t n, cap;
	size_t limit; /* bytes kept per stream */
};

void lt_streams_init(struct lt_streams *s, size_t limit);
int lt_stream_add(struct lt_streams *s, const struct lt_pkt *p);
void lt_streams_free(struct lt_streams *s);

#endif
