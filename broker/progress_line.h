/*
 * progress_line.h - one progress line fitted to a terminal's width, and the
 * smoothed rate behind its ETA.
 *
 * Contract: pure functions of their arguments (unit tested in
 * tests/unit/test_progress.c). Text in is already sanitised (no control
 * bytes); widths are display columns (a CJK character or an emoji counts
 * 2, a combining mark 0), so a line mk_line_fit produced never takes more
 * than cols - 1 columns and never wraps. Nothing here writes to a terminal.
 */
#ifndef MEERKO_BROKER_PROGRESS_LINE_H
#define MEERKO_BROKER_PROGRESS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rate behind the ETA: an exponential moving average of the engine's
 * download rate (time constant MK_ETA_TAU_MS), so one slow or fast tick
 * does not make the ETA jump; its first samples are averaged plainly.
 * Zero-initialise it. */
#define MK_ETA_TAU_MS 10000
struct mk_eta {
	double rate;     /* bytes/s, smoothed */
	int64_t last_ms; /* time of the last sample */
	bool primed;     /* has a non-zero sample */
	uint32_t samples; /* since primed (the mean until the average takes over) */
};
/* Feeds one sample taken at now_ms. The first non-zero sample (also the
 * first after the average fell to ~0: a stall, a pause, a recheck) is taken
 * as it is, so a resumed download does not start from a near-zero rate. */
void mk_eta_feed(struct mk_eta *e, uint64_t rate, int64_t now_ms);
/* The smoothed rate, bytes/s (0 when no sample yet). */
uint64_t mk_eta_rate(const struct mk_eta *e);
/* "done" (nothing left), "--:--" (no rate), "M:SS", "H:MM:SS", ">99h". */
void mk_eta_format(uint64_t remaining, uint64_t rate, char *buf, size_t len);
/* "M:SS" or "H:MM:SS" of a duration in ms. */
void mk_duration_format(int64_t ms, char *buf, size_t len);
/* "512 B", "12.3 MiB", "1.4 GiB". */
void mk_size_format(uint64_t bytes, char *buf, size_t len);

/* The parts of a line, in the order they are shown. When the line does not
 * fit, fields go in the order of progress_line.c's drop table, then the
 * bar; the name is cut (ending in '~') to what is left. */
enum mk_line_field {
	MK_F_PCT,     /* " 42.3%" (never dropped) */
	MK_F_BYTES,   /* "12.3 MiB / 1.4 GiB" */
	MK_F_DOWN,    /* "down 2.1 MiB/s" */
	MK_F_UP,      /* "up 0 B/s" */
	MK_F_PEERS,   /* "peers 3 (seeds 2)" */
	MK_F_ELAPSED, /* "elapsed 0:42" */
	MK_F_ETA,     /* "ETA 1:23" */
	MK_F_STATE,   /* "checking", "seeding ratio 0.50", "1/3 complete" */
	MK_F_NOTE,    /* "proxy down - paused 12s" (never dropped) */
	MK_F_COUNT
};
#define MK_LINE_FIELD_MAX 96
struct mk_line {
	const char *prefix;                          /* "[2] ", "total  " or "" */
	const char *name;                            /* NULL: no name (the total line) */
	bool bar;                                    /* draw a bar of ppm */
	uint32_t ppm;                                /* 0..1000000 */
	char field[MK_F_COUNT][MK_LINE_FIELD_MAX];   /* "" = absent */
};

/* Display columns of the UTF-8 text s (invalid bytes count 1). */
size_t mk_text_width(const char *s);
/* Writes l into buf (len >= 64), fitted to cols - 1 columns (cols <= 0:
 * unknown width, nothing dropped). Returns the line's width in columns. */
int mk_line_fit(const struct mk_line *l, int cols, char *buf, size_t len);

#endif
