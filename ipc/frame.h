/*
 * frame.h - length framing for the broker <-> engine socketpair.
 *
 * Contract: a frame is a 4-byte big-endian payload length followed by the
 * payload. A length of 0 or above MK_FRAME_MAX is a protocol violation.
 * Readers never allocate more than MK_FRAME_MAX for one frame, whatever the
 * peer claims, and never crash on truncated or garbage input: every
 * function returns an mk_frame_status.
 */
#ifndef MEERKO_IPC_FRAME_H
#define MEERKO_IPC_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* 16 MiB: larger than any resume data or .torrent we accept (8 MiB). */
#define MK_FRAME_MAX (16u * 1024u * 1024u)
#define MK_FRAME_HDR 4u

typedef enum {
	MK_FRAME_OK = 0,
	MK_FRAME_NEED_MORE = 1, /* incomplete: read more bytes */
	MK_FRAME_EOF = 2,       /* peer closed cleanly between frames */
	MK_FRAME_TOO_BIG = -1,  /* declared length > MK_FRAME_MAX */
	MK_FRAME_EMPTY = -2,    /* declared length == 0 */
	MK_FRAME_TRUNCATED = -3,/* peer closed in the middle of a frame */
	MK_FRAME_IO = -4,       /* read/write error, errno is set */
	MK_FRAME_BAD_MSG = -5,  /* payload is not a valid protobuf message */
} mk_frame_status;

const char *mk_frame_strerror(mk_frame_status st);

/* Pure parser, for buffers and fuzzing: looks at buf[0..len). On MK_FRAME_OK
 * *payload / *payload_len describe the payload and *consumed is the full
 * frame size. */
mk_frame_status mk_frame_parse(const uint8_t *buf, size_t len,
			       const uint8_t **payload, size_t *payload_len,
			       size_t *consumed);

/* Write one frame (header + payload) fully; retries on EINTR/short writes. */
mk_frame_status mk_frame_write(int fd, const uint8_t *payload, size_t len);

/* Incremental reader for non-blocking fds. */
typedef struct {
	uint8_t hdr[MK_FRAME_HDR];
	size_t hdr_have;
	uint8_t *body;        /* malloc'd once the length is known and valid */
	size_t body_len;
	size_t body_have;
} mk_frame_reader;

void mk_frame_reader_init(mk_frame_reader *r);
void mk_frame_reader_free(mk_frame_reader *r);
/* Reads what is available on fd. MK_FRAME_OK: a whole frame is ready; the
 * caller takes ownership of *payload (free()) and the reader is reset.
 * MK_FRAME_NEED_MORE: nothing complete yet (EAGAIN). Errors are final. */
mk_frame_status mk_frame_read(mk_frame_reader *r, int fd,
			      uint8_t **payload, size_t *payload_len);

/* Blocking read of one whole frame with a timeout in ms (-1 = none). */
mk_frame_status mk_frame_read_blocking(int fd, int timeout_ms,
				       uint8_t **payload, size_t *payload_len);

#endif
