/*
 * progress.c - rendering torrent progress for a person (see progress.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "done.h"
#include "progress.h"

void mk_progress_init(struct mk_progress *p, mk_progress_mode mode, int interval_s, FILE *out)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->interval_s = interval_s > 0 ? interval_s : 5;
	p->last_plain_ms = -1;
	switch (mode) {
	case MK_PROGRESS_TTY: p->tty = true; break;
	case MK_PROGRESS_PLAIN: p->tty = false; break;
	case MK_PROGRESS_NONE: p->off = true; break;
	default: p->tty = isatty(fileno(out)) == 1; break;
	}
}

void mk_format_rate(uint64_t b, char *buf, size_t len)
{
	if (b >= 1024ull * 1024ull)
		snprintf(buf, len, "%.1f MiB/s", (double)b / (1024.0 * 1024.0));
	else if (b >= 1024)
		snprintf(buf, len, "%.1f KiB/s", (double)b / 1024.0);
	else
		snprintf(buf, len, "%" PRIu64 " B/s", b);
}

static void format_eta(const struct mk_torrent_view *t, char *buf, size_t len)
{
	if (t->done >= t->wanted && t->wanted > 0) {
		snprintf(buf, len, "done");
		return;
	}
	if (t->down_rate == 0 || t->wanted == 0) {
		snprintf(buf, len, "--:--");
		return;
	}
	uint64_t s = (t->wanted - t->done) / t->down_rate;
	if (s >= 100 * 3600)
		snprintf(buf, len, ">99h");
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
}

static const char *state_word(Meerko__TorrentState s)
{
	switch (s) {
	case MEERKO__TORRENT_STATE__STATE_CHECKING: return "checking";
	case MEERKO__TORRENT_STATE__STATE_METADATA: return "metadata";
	case MEERKO__TORRENT_STATE__STATE_DOWNLOADING: return "downloading";
	case MEERKO__TORRENT_STATE__STATE_FINISHED: return "finished";
	case MEERKO__TORRENT_STATE__STATE_SEEDING: return "seeding";
	case MEERKO__TORRENT_STATE__STATE_PAUSED: return "paused";
	case MEERKO__TORRENT_STATE__STATE_ERROR: return "error";
	default: return "starting";
	}
}

void mk_progress_format(const struct mk_torrent_view *t, const char *note, char *buf, size_t len)
{
	char down[32], up[32], eta[32];
	mk_format_rate(t->down_rate, down, sizeof down);
	mk_format_rate(t->up_rate, up, sizeof up);
	format_eta(t, eta, sizeof eta);
	char ratio[40] = "";
	if (mk_torrent_complete(t)) { /* seeding: how far towards a ratio goal */
		uint64_t r = mk_ratio_milli(t);
		if (r != UINT64_MAX)
			snprintf(ratio, sizeof ratio, " ratio %" PRIu64 ".%02" PRIu64, r / 1000, r % 1000 / 10);
	}
	snprintf(buf, len, "%5.1f%%  down %s  up %s  peers %" PRIu32 " (seeds %" PRIu32 ")  ETA %s  %s%s  %.60s%s%s",
		 (double)t->progress_ppm / 10000.0, down, up, t->peers, t->seeds, eta,
		 state_word(t->state), ratio, t->name, note && *note ? "  " : "", note ? note : "");
}

void mk_progress_update(struct mk_progress *p, const struct mk_torrent_view *t, int64_t now_ms)
{
	char line[512];
	if (p->off || !t->have_status)
		return;
	if (!p->tty && p->last_plain_ms >= 0 && now_ms - p->last_plain_ms < p->interval_s * 1000LL)
		return;
	mk_progress_format(t, p->status_note, line, sizeof line);
	if (p->tty) {
		/* \r + erase-line: redraw in place; the text itself has no escapes. */
		fprintf(p->out, "\r\033[K%s", line);
		p->line_open = true;
	} else {
		fprintf(p->out, "%s\n", line);
		p->last_plain_ms = now_ms;
	}
	fflush(p->out);
}

void mk_progress_break(struct mk_progress *p)
{
	if (p->line_open) {
		fputc('\n', p->out);
		fflush(p->out);
		p->line_open = false;
	}
}
