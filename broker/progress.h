/*
 * progress.h - the progress display.
 *
 * Contract: on a TTY, per torrent one line redrawn in place: name, a bar,
 * percent, bytes done / wanted, down/up rate, peers/seeds, elapsed time,
 * a smoothed ETA and the state when it is not "downloading", fitted to the
 * terminal's width (progress_line.c: fields drop out, the name is cut, no
 * line ever wraps) and redrawn at the new width on SIGWINCH
 * (mk_progress_resize). With several torrents one such line each ("[id]
 * ...") plus a total line, redrawn together in place (cursor up, erase:
 * our own escapes only). Otherwise (piped) one plain line every interval
 * seconds, in a stable format tests and scripts parse (mk_progress_format).
 * A torrent that is complete and not seeding towards a [seed] goal says
 * "complete", never "seeding"; one without a name yet (a magnet without
 * dn=) shows its label (the info-hash). Everything printed comes from
 * validated, sanitised mk_torrent_view fields. Rendering is a few snprintf
 * calls per tick: it costs nothing measurable.
 */
#ifndef MEERKO_BROKER_PROGRESS_H
#define MEERKO_BROKER_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "engine_msg.h"
#include "progress_line.h"

/* What the display keeps for one line of its block. */
struct mk_progress_row {
	struct mk_eta eta;              /* the smoothed rate behind the ETA */
	int width;                      /* columns of the line last drawn */
	const char *word;               /* state word last printed (plain) */
};

struct mk_progress {
	FILE *out;
	bool tty;
	bool off;
	int interval_s;
	int64_t last_plain_ms;
	int64_t start_ms;               /* first update: "elapsed" counts from here (-1 before) */
	bool line_open;                 /* a TTY block is drawn and not ended */
	int lines;                      /* lines of the open TTY block */
	int up_rows;                    /* rows from its last line back to its first */
	int cols;                       /* terminal width, 0 = unknown */
	char status_note[64];           /* e.g. "proxy down — paused 12s" */
	/* one per torrent, in the set's order, then the total line */
	struct mk_progress_row row[MK_MAX_TORRENTS + 1];
};

void mk_progress_init(struct mk_progress *p, mk_progress_mode mode, int interval_s, FILE *out);
/* SIGWINCH: reads the new width and redraws the open block at it (rows a
 * narrower terminal re-wrapped the old lines into are erased first). */
void mk_progress_resize(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms);
/* The TTY line of one torrent (exposed for tests): prefix "[id] " or "";
 * elapsed_ms < 0 leaves the elapsed field out (the total line has it). */
int mk_progress_tty_line(const struct mk_torrent_view *t, const char *prefix, const char *note,
			 uint64_t eta_rate, int64_t elapsed_ms, int cols, char *buf, size_t len);
/* The word for a torrent's state as the broker judges it: "failed",
 * "complete", "seeding" (towards a goal), else the engine's state. */
const char *mk_progress_view_word(const struct mk_torrent_view *t);
/* The name to show: the engine's, else the broker's label (info-hash). */
const char *mk_progress_name(const struct mk_torrent_view *t);
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
/* The whole set: one torrent's line, or the block of several + total. */
void mk_progress_update_set(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms);

#endif
