/*
 * engine_stderr.h - the engine's stderr, made safe to show the user.
 *
 * Contract: the engine never holds a terminal. Its fd 2 is the write end of
 * a pipe (spawn.c); the broker reads the other end and feeds the bytes here.
 * They are cut into lines at '\n'. A line longer than MK_ESTDERR_LINE_MAX
 * bytes is cut there (marked "...") and the rest of it, up to its newline,
 * dropped. Each line is sanitised like event text (mk_sanitize: no ESC, no
 * control character, valid UTF-8 only), prefixed "meerko-engine: " and
 * handed to emit(), which prints it (breaking the progress line first).
 *
 * Budget, per engine process: a burst of MK_ESTDERR_BURST lines, refilled at
 * MK_ESTDERR_PER_S lines a second, and never more than MK_ESTDERR_MAX_LINES
 * lines in all. The burst is large enough for a sanitizer report (tens of
 * lines) of an engine that was quiet before it crashed. Lines over budget
 * are counted, not shown; mk_estderr_finish() shows an unterminated last
 * line and then, once, "meerko-engine: N further lines suppressed".
 */
#ifndef MEERKO_BROKER_ENGINE_STDERR_H
#define MEERKO_BROKER_ENGINE_STDERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_ESTDERR_PREFIX "meerko-engine: "
#define MK_ESTDERR_LINE_MAX 200     /* bytes of engine text per line */
#define MK_ESTDERR_BURST 200        /* lines shown at once */
#define MK_ESTDERR_PER_S 5          /* lines a second after the burst */
#define MK_ESTDERR_MAX_LINES 1000   /* lines per engine process */

typedef void mk_estderr_emit_fn(void *ctx, const char *line); /* line: no '\n' */

struct mk_estderr {
	char line[MK_ESTDERR_LINE_MAX]; /* the current line's raw bytes */
	size_t len;
	bool cut;                       /* current line too long: drop until '\n' */
	int64_t milli_tokens;           /* 1000 per line that may be shown now */
	int64_t refilled_ms;            /* last refill */
	unsigned shown;
	unsigned suppressed;
	mk_estderr_emit_fn *emit;
	void *ctx;
};

void mk_estderr_init(struct mk_estderr *e, mk_estderr_emit_fn *emit, void *ctx, int64_t now_ms);
/* Splits, caps, sanitises and emits what fits the budget. */
void mk_estderr_feed(struct mk_estderr *e, const char *buf, size_t n, int64_t now_ms);
/* Reads the non-blocking fd until it would block (or a bounded number of
 * reads) and feeds it. Returns 1 at end of file or on a read error (stop
 * polling it), else 0. */
int mk_estderr_read(struct mk_estderr *e, int fd, int64_t now_ms);
/* At the engine's end: the last unterminated line, then the count of
 * suppressed lines (once). */
void mk_estderr_finish(struct mk_estderr *e, int64_t now_ms);

#endif
