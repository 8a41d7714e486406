/*
 * fuzz_frame_reader.c - the incremental frame reader the broker runs on the
 * engine's socket (mk_frame_read on a non-blocking fd).
 *
 * Input: data[0..2) seeds the chunk sizes (1..512 bytes, fuzzer-chosen but
 * deterministic), the rest is the byte stream. Each chunk is written into
 * one end of a non-blocking socketpair, then mk_frame_read is called until
 * it wants more; at the end the writer closes its end.
 *
 * Oracle (differential): the frames the reader hands out, and how it ends
 * (EOF between frames, TRUNCATED mid-frame, TOO_BIG/EMPTY on a bad length),
 * must be exactly what mk_frame_parse finds in the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

#define MAX_FRAMES 4096

/* What mk_frame_parse says about the whole stream. */
struct expect {
	size_t n;                /* frames */
	size_t off[MAX_FRAMES];  /* payload offset of each */
	size_t len[MAX_FRAMES];
	mk_frame_status end;     /* MK_FRAME_EOF / TRUNCATED / TOO_BIG / EMPTY */
};

static struct expect ex;

static void parse_all(const uint8_t *s, size_t size)
{
	size_t off = 0;
	ex.n = 0;
	for (;;) {
		if (off == size) {
			ex.end = MK_FRAME_EOF;
			return;
		}
		const uint8_t *p;
		size_t plen, used;
		mk_frame_status st = mk_frame_parse(s + off, size - off, &p, &plen, &used);
		if (st == MK_FRAME_NEED_MORE) {
			ex.end = MK_FRAME_TRUNCATED;
			return;
		}
		if (st != MK_FRAME_OK) {
			ex.end = st;
			return;
		}
		if (ex.n == MAX_FRAMES) {
			ex.end = MK_FRAME_OK; /* too many to compare: stop here */
			return;
		}
		ex.off[ex.n] = (size_t)(p - s);
		ex.len[ex.n] = plen;
		ex.n++;
		off += used;
	}
}

static uint32_t rng;

static size_t next_chunk(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return 1 + rng % 512;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			abort(); /* a chunk is far below the socket buffer */
		p += w;
		n -= (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	rng = 0x9e3779b9u ^ ((uint32_t)data[0] << 8 | data[1]);
	if (rng == 0)
		rng = 1;
	const uint8_t *s = data + 2;
	size_t n = size - 2;
	parse_all(s, n);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);

	mk_frame_reader r;
	mk_frame_reader_init(&r);
	size_t got = 0, off = 0;
	mk_frame_status st = MK_FRAME_NEED_MORE;
	bool closed = false;
	while (st == MK_FRAME_NEED_MORE || st == MK_FRAME_OK) {
		if (st == MK_FRAME_NEED_MORE) {
			if (off < n) {
				size_t c = next_chunk();
				if (c > n - off)
					c = n - off;
				write_all(sv[1], s + off, c);
				off += c;
			} else if (!closed) {
				close(sv[1]);
				closed = true;
			} else {
				abort(); /* closed and drained, yet the reader wants more */
			}
		}
		uint8_t *payload = NULL;
		size_t plen = 0;
		st = mk_frame_read(&r, sv[0], &payload, &plen);
		if (st == MK_FRAME_OK) {
			if (ex.end == MK_FRAME_OK && got == ex.n) {
				free(payload);
				break; /* beyond what we compare */
			}
			if (got >= ex.n || plen != ex.len[got] || memcmp(payload, s + ex.off[got], plen) != 0)
				abort(); /* reader and parser disagree on a frame */
			free(payload);
			got++;
		}
	}
	if (ex.end != MK_FRAME_OK) {
		if (got != ex.n || st != ex.end)
			abort(); /* reader and parser disagree on how the stream ends */
	}
	mk_frame_reader_free(&r);
	close(sv[0]);
	if (!closed)
		close(sv[1]);
	return 0;
}
