/*
 * frame.c - length framing for the broker <-> engine socketpair.
 *
 * Contract (see frame.h): a frame is a 4-byte big-endian length then that
 * many payload bytes; 0 and > MK_FRAME_MAX are rejected before any
 * allocation, so a peer can make us allocate at most MK_FRAME_MAX bytes.
 * Readers read exactly the bytes of the current frame and never past it,
 * so back-to-back frames stay in sync. Writers use send(MSG_NOSIGNAL) so a
 * dead peer yields EPIPE instead of killing us with SIGPIPE.
 *
 * Timeouts (both report MK_FRAME_IO with errno == ETIMEDOUT):
 *  - mk_frame_read_blocking: the whole frame must arrive within timeout_ms;
 *    partially read bytes are discarded, so the stream is dead afterwards.
 *  - mk_frame_write on a non-blocking fd: if the peer makes no progress
 *    (socket stays full) for MK_FRAME_WRITE_STALL_MS we give up, so a
 *    hostile engine that stops reading cannot hang the broker forever.
 */
#include "clock.h"
#include "frame.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MK_FRAME_WRITE_STALL_MS 10000

/* Internal result of one read() step: progress made but frame incomplete. */
#define STEP_PROGRESS 100
/* Internal result of one read() step: nothing available (EAGAIN). */
#define STEP_AGAIN 101

const char *mk_frame_strerror(mk_frame_status st)
{
	switch (st) {
	case MK_FRAME_OK: return "ok";
	case MK_FRAME_NEED_MORE: return "incomplete frame";
	case MK_FRAME_EOF: return "peer closed the connection";
	case MK_FRAME_TOO_BIG: return "frame length exceeds the maximum";
	case MK_FRAME_EMPTY: return "frame length is zero";
	case MK_FRAME_TRUNCATED: return "peer closed the connection mid-frame";
	case MK_FRAME_IO: return "I/O error";
	case MK_FRAME_BAD_MSG: return "malformed message";
	}
	return "unknown frame status";
}

static uint32_t get_be32(const uint8_t b[MK_FRAME_HDR])
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

static void put_be32(uint8_t b[MK_FRAME_HDR], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* The one place a declared length is judged. */
static mk_frame_status check_len(size_t n)
{
	if (n == 0)
		return MK_FRAME_EMPTY;
	if (n > MK_FRAME_MAX)
		return MK_FRAME_TOO_BIG;
	return MK_FRAME_OK;
}

mk_frame_status mk_frame_parse(const uint8_t *buf, size_t len,
			       const uint8_t **payload, size_t *payload_len,
			       size_t *consumed)
{
	if (buf == NULL || len < MK_FRAME_HDR)
		return MK_FRAME_NEED_MORE;
	size_t n = get_be32(buf);
	mk_frame_status st = check_len(n);
	if (st != MK_FRAME_OK)
		return st;
	/* n <= MK_FRAME_MAX, so the comparison cannot overflow. */
	if (len - MK_FRAME_HDR < n)
		return MK_FRAME_NEED_MORE;
	*payload = buf + MK_FRAME_HDR;
	*payload_len = n;
	*consumed = MK_FRAME_HDR + n;
	return MK_FRAME_OK;
}

/* ---- time helpers ---- */

/* Milliseconds left until deadline (-1 deadline = infinite), clamped >= 0. */
static int ms_left(long long deadline)
{
	if (deadline < 0)
		return -1;
	long long left = deadline - mk_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll() one fd for ev; 1 = ready, 0 = timed out, -1 = error (errno). */
static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue; /* callers re-check their deadline */
		if (r > 0 && (p.revents & POLLNVAL)) {
			errno = EBADF;
			return -1;
		}
		return r;
	}
}

/* ---- writing ---- */

/* One send() attempt; falls back to write() for non-sockets (pipes). */
static ssize_t send_some(int fd, const uint8_t *p, size_t n)
{
	ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
	if (w < 0 && errno == ENOTSOCK)
		w = write(fd, p, n);
	return w;
}

static mk_frame_status write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send_some(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(fd, POLLOUT, MK_FRAME_WRITE_STALL_MS);
			if (r == 0)
				errno = ETIMEDOUT;
			if (r <= 0)
				return MK_FRAME_IO;
			continue;
		}
		if (w == 0)
			errno = EIO; /* write() of n > 0 bytes returned 0 */
		return MK_FRAME_IO;
	}
	return MK_FRAME_OK;
}

mk_frame_status mk_frame_write(int fd, const uint8_t *payload, size_t len)
{
	mk_frame_status st = check_len(len);
	if (st != MK_FRAME_OK)
		return st;
	if (payload == NULL)
		return MK_FRAME_BAD_MSG;
	uint8_t hdr[MK_FRAME_HDR];
	put_be32(hdr, (uint32_t)len); /* safe: len <= MK_FRAME_MAX < 2^32 */
	st = write_all(fd, hdr, sizeof hdr);
	if (st != MK_FRAME_OK)
		return st;
	return write_all(fd, payload, len);
}

/* ---- reading ---- */

void mk_frame_reader_init(mk_frame_reader *r)
{
	memset(r, 0, sizeof *r);
}

void mk_frame_reader_free(mk_frame_reader *r)
{
	free(r->body);
	mk_frame_reader_init(r);
}

/* One read() of at most n bytes into p; *got is set on STEP_PROGRESS. */
static int read_step(int fd, uint8_t *p, size_t n, bool mid_frame,
		     size_t *got)
{
	ssize_t r;
	do {
		r = read(fd, p, n);
	} while (r < 0 && errno == EINTR);
	if (r > 0) {
		*got = (size_t)r;
		return STEP_PROGRESS;
	}
	if (r == 0)
		return mid_frame ? MK_FRAME_TRUNCATED : MK_FRAME_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return STEP_AGAIN;
	return MK_FRAME_IO;
}

/* Header complete: validate the length, then allocate exactly that much. */
static mk_frame_status start_body(mk_frame_reader *r)
{
	size_t n = get_be32(r->hdr);
	mk_frame_status st = check_len(n);
	if (st != MK_FRAME_OK)
		return st; /* rejected before malloc: no attacker-sized allocation */
	r->body = malloc(n);
	if (r->body == NULL)
		return MK_FRAME_IO; /* errno = ENOMEM from malloc */
	r->body_len = n;
	r->body_have = 0;
	return MK_FRAME_OK;
}

/* One header read; once complete the length is validated at once. */
static int read_header(mk_frame_reader *r, int fd)
{
	size_t got = 0;
	int st = read_step(fd, r->hdr + r->hdr_have, MK_FRAME_HDR - r->hdr_have,
			   r->hdr_have > 0, &got);
	if (st != STEP_PROGRESS)
		return st;
	r->hdr_have += got;
	if (r->hdr_have < MK_FRAME_HDR)
		return STEP_PROGRESS;
	st = start_body(r);
	return st == MK_FRAME_OK ? STEP_PROGRESS : st;
}

/* One body read, never past the end of the current frame. */
static int read_body(mk_frame_reader *r, int fd)
{
	size_t got = 0;
	int st = read_step(fd, r->body + r->body_have,
			   r->body_len - r->body_have, true, &got);
	if (st != STEP_PROGRESS)
		return st;
	r->body_have += got;
	return r->body_have == r->body_len ? MK_FRAME_OK : STEP_PROGRESS;
}

/*
 * Exactly one read() (so a blocking fd never blocks after poll said it is
 * readable). Returns MK_FRAME_OK (frame done), STEP_PROGRESS, STEP_AGAIN,
 * or a final error.
 */
static int reader_step(mk_frame_reader *r, int fd)
{
	if (r->hdr_have < MK_FRAME_HDR)
		return read_header(r, fd);
	if (r->body == NULL) {
		/* Only after start_body failed: a bad length fails again. */
		mk_frame_status st = start_body(r);
		if (st != MK_FRAME_OK)
			return st;
	}
	return read_body(r, fd);
}

/* Hand the finished body to the caller and reset for the next frame. */
static void take_frame(mk_frame_reader *r, uint8_t **payload,
		       size_t *payload_len)
{
	*payload = r->body;
	*payload_len = r->body_len;
	r->body = NULL; /* ownership moved: reader must not free it */
	mk_frame_reader_init(r);
}

mk_frame_status mk_frame_read(mk_frame_reader *r, int fd,
			      uint8_t **payload, size_t *payload_len)
{
	for (;;) {
		int st = reader_step(r, fd);
		if (st == STEP_PROGRESS)
			continue; /* bounded: at most one frame's worth of bytes */
		if (st == STEP_AGAIN)
			return MK_FRAME_NEED_MORE;
		if (st == MK_FRAME_OK)
			take_frame(r, payload, payload_len);
		return (mk_frame_status)st;
	}
}

mk_frame_status mk_frame_read_blocking(int fd, int timeout_ms,
				       uint8_t **payload, size_t *payload_len)
{
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	long long deadline = timeout_ms < 0 ? -1 : mk_now_ms() + timeout_ms;
	int st = STEP_AGAIN;
	while (st == STEP_PROGRESS || st == STEP_AGAIN) {
		int w = wait_fd(fd, POLLIN, ms_left(deadline));
		if (w == 0)
			errno = ETIMEDOUT;
		st = w > 0 ? reader_step(&r, fd) : MK_FRAME_IO;
	}
	if (st == MK_FRAME_OK)
		take_frame(&r, payload, payload_len);
	int saved = errno;
	mk_frame_reader_free(&r); /* drops any partial frame */
	errno = saved;            /* keep MK_FRAME_IO's errno for the caller */
	return (mk_frame_status)st;
}
