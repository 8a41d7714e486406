/*
 * progress.h - the progress display.
 *
 * Contract: on a TTY one line redrawn in place (percent, down/up rate,
 * peers/seeds, ETA, name); otherwise one plain line every interval seconds.
 * Everything printed comes from validated, sanitised mk_torrent_view fields.
 * Rendering is a few snprintf calls per tick: it costs nothing measurable.
 */
#ifndef MEERKO_BROKER_PROGRESS_H
#define MEERKO_BROKER_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "engine_msg.h"

struct mk_progress {
	FILE *out;
	bool tty;
	bool off;
	int interval_s;
	int64_t last_plain_ms;
	bool line_open;                 /* a TTY line is drawn and not ended */
	char status_note[64];           /* e.g. "proxy down — paused 12s" */
};

void mk_progress_init(struct mk_progress *p, mk_progress_mode mode, int interval_s, FILE *out);
void mk_progress_update(struct mk_progress *p, const struct mk_torrent_view *t, int64_t now_ms);
/* Ends a redrawn line so the next message starts on a clean line. */
void mk_progress_break(struct mk_progress *p);
/* Formats into buf (exposed for tests). */
void mk_progress_format(const struct mk_torrent_view *t, const char *note, char *buf, size_t len);
void mk_format_rate(uint64_t bytes_per_s, char *buf, size_t len);

#endif
