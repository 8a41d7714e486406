/*
 * engine_stderr.c - lines of the engine's stderr, capped, rate-limited and
 * sanitised before they reach the user's terminal (see engine_stderr.h).
 *
 * Why this is safe: nothing the engine wrote is printed but through
 * mk_sanitize() (so no escape sequence, no carriage return, no title or
 * cursor query), always behind the "meerko-engine: " prefix (so a line can
 * never pass for the broker's own "meerko-secure: ..."), and never more
 * than the budget (so the engine cannot flood the terminal to push the
 * broker's messages out of sight).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine_stderr.h"
#include "sanitize.h"

#define MILLI 1000
#define MAX_READS 64 /* of 4 KiB per call: more than a pipe holds (64 KiB) */

void mk_estderr_init(struct mk_estderr *e, mk_estderr_emit_fn *emit, void *ctx, int64_t now_ms)
{
	memset(e, 0, sizeof *e);
	e->emit = emit;
	e->ctx = ctx;
	e->milli_tokens = (int64_t)MK_ESTDERR_BURST * MILLI;
	e->refilled_ms = now_ms;
}

static void refill(struct mk_estderr *e, int64_t now_ms)
{
	if (now_ms <= e->refilled_ms)
		return;
	e->milli_tokens += (now_ms - e->refilled_ms) * MK_ESTDERR_PER_S;
	if (e->milli_tokens > (int64_t)MK_ESTDERR_BURST * MILLI)
		e->milli_tokens = (int64_t)MK_ESTDERR_BURST * MILLI;
	e->refilled_ms = now_ms;
}

/* Shows the current line if the budget allows, else counts it. */
static void end_line(struct mk_estderr *e, int64_t now_ms)
{
	refill(e, now_ms);
	if (e->shown >= MK_ESTDERR_MAX_LINES || e->milli_tokens < MILLI) {
		e->suppressed++;
	} else {
		char out[sizeof MK_ESTDERR_PREFIX + MK_ESTDERR_LINE_MAX + 4];
		size_t p = strlen(MK_ESTDERR_PREFIX);
		memcpy(out, MK_ESTDERR_PREFIX, p);
		p += mk_sanitize(e->line, e->len, out + p, sizeof out - p - 3);
		if (e->cut)
			memcpy(out + p, "...", 4);
		e->milli_tokens -= MILLI;
		e->shown++;
		e->emit(e->ctx, out);
	}
	e->len = 0;
	e->cut = false;
}

void mk_estderr_feed(struct mk_estderr *e, const char *buf, size_t n, int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			end_line(e, now_ms);
		else if (e->len < sizeof e->line)
			e->line[e->len++] = buf[i];
		else
			e->cut = true;
	}
}

int mk_estderr_read(struct mk_estderr *e, int fd, int64_t now_ms)
{
	char buf[4096];
	for (int i = 0; i < MAX_READS; i++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			mk_estderr_feed(e, buf, (size_t)n, now_ms);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : 1;
	}
	return 0;
}

void mk_estderr_finish(struct mk_estderr *e, int64_t now_ms)
{
	if (e->len > 0 || e->cut)
		end_line(e, now_ms);
	if (e->suppressed == 0)
		return;
	char note[80];
	snprintf(note, sizeof note, MK_ESTDERR_PREFIX "%u further lines suppressed", e->suppressed);
	e->suppressed = 0;
	e->emit(e->ctx, note);
}
