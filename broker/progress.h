/*
 * progress.h - the progress display.
 *
 * Contract: on a TTY one line redrawn in place (percent, down/up rate,
 * peers/seeds, ETA, name); otherwise one plain line every interval seconds.
 * With several torrents: one such line each ("[id] ...") plus a total line,
 * redrawn together in place on a TTY (cursor up, erase line: our own
 * escapes only), printed as a block every interval otherwise.
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
	int lines;                      /* lines of the open TTY block */
	int cols;                       /* terminal width, 0 = unknown */
	char status_note[64];           /* e.g. "proxy down — paused 12s" */
};

void mk_progress_init(struct mk_progress *p, mk_progress_mode mode, int interval_s, FILE *out);
void mk_progress_update(struct mk_progress *p, const struct mk_torrent_view *t, int64_t now_ms);
/* Ends a redrawn line so the next message starts on a clean line. */
void mk_progress_break(struct mk_progress *p);
/* Formats into buf (exposed for tests). */
void mk_progress_format(const struct mk_torrent_view *t, const char *note, char *buf, size_t len);
void mk_format_rate(uint64_t bytes_per_s, char *buf, size_t len);
const char *mk_progress_state_word(Meerko__TorrentState s);

/* Sums over the torrents that have a status. progress_ppm is bytes done over
 * bytes wanted (0 while no size is known). */
struct mk_progress_total {
	uint64_t done, wanted, down_rate, up_rate;
	uint32_t peers, progress_ppm;
	size_t complete, failed, seeding, n;
};
void mk_progress_total(const struct mk_torrent_set *set, struct mk_progress_total *t);
/* "total  42.0%  down ...  up ...  peers N  1/3 complete[, 1 seeding][, 1 failed]" (exposed for tests). */
void mk_progress_format_total(const struct mk_torrent_set *set, const char *note, char *buf, size_t len);
/* The whole set: mk_progress_update's line for one torrent, else the block. */
void mk_progress_update_set(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms);

#endif
