/*
 * progress.c - rendering torrent progress for a person (see progress.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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
	struct winsize ws;
	if (p->tty && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0)
		p->cols = ws.ws_col;
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

const char *mk_progress_state_word(Meerko__TorrentState s)
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
	/* Until the engine applied the file priorities every file is held, and
	 * libtorrent counts that as 100 % of nothing: not progress. */
	bool held = t->want_files && !t->files_selected;
	snprintf(buf, len, "%5.1f%%  down %s  up %s  peers %" PRIu32 " (seeds %" PRIu32 ")  ETA %s  %s%s  %.60s%s%s",
		 held ? 0.0 : (double)t->progress_ppm / 10000.0, down, up, t->peers, t->seeds, eta,
		 held ? "starting" : mk_progress_state_word(t->state), ratio, t->name,
		 note && *note ? "  " : "", note ? note : "");
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
		p->lines = 1;
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
	p->lines = 0;
}

void mk_progress_total(const struct mk_torrent_set *set, struct mk_progress_total *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < set->n; i++) {
		const struct mk_torrent_view *v = &set->t[i];
		t->complete += v->complete;
		t->failed += v->failed;
		t->seeding += v->seeding;
		if (!v->have_status)
			continue;
		t->n++;
		t->done += v->done;
		t->wanted += v->wanted;
		t->down_rate += v->down_rate;
		t->up_rate += v->up_rate;
		t->peers += v->peers;
	}
	/* done <= wanted per torrent (engine_msg.c), so this is <= 1000000 */
	t->progress_ppm = t->wanted ? (uint32_t)((double)t->done * 1000000.0 / (double)t->wanted) : 0;
}

void mk_progress_format_total(const struct mk_torrent_set *set, const char *note, char *buf, size_t len)
{
	struct mk_progress_total t;
	char down[32], up[32], failed[32] = "", seeding[32] = "";
	mk_progress_total(set, &t);
	mk_format_rate(t.down_rate, down, sizeof down);
	mk_format_rate(t.up_rate, up, sizeof up);
	if (t.failed)
		snprintf(failed, sizeof failed, ", %zu failed", t.failed);
	if (t.seeding)
		snprintf(seeding, sizeof seeding, ", %zu seeding", t.seeding);
	snprintf(buf, len, "total %5.1f%%  down %s  up %s  peers %" PRIu32 "  %zu/%zu complete%s%s%s%s",
		 (double)t.progress_ppm / 10000.0, down, up, t.peers, t.complete, set->n, seeding, failed,
		 note && *note ? "  " : "", note ? note : "");
}

/* Cuts a line to the terminal width, never inside a UTF-8 sequence, so the
 * redraw's line count stays true (no wrapped rows). */
static void fit(const struct mk_progress *p, char *line)
{
	size_t n = strlen(line), max = p->cols > 1 ? (size_t)p->cols - 1 : n;
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)line[max] & 0xc0) == 0x80)
		max--;
	line[max] = '\0';
}

static void draw_block(struct mk_progress *p, const struct mk_torrent_set *set)
{
	char line[512];
	if (p->tty && p->line_open && p->lines > 1)
		fprintf(p->out, "\033[%dA", p->lines - 1); /* back to the block's first line */
	for (size_t i = 0; i <= set->n; i++) {
		if (i < set->n) {
			int k = snprintf(line, sizeof line, "[%" PRIu32 "] ", set->t[i].id);
			mk_progress_format(&set->t[i], set->t[i].failed ? "failed" : "", line + k, sizeof line - (size_t)k);
		} else {
			mk_progress_format_total(set, p->status_note, line, sizeof line);
		}
		if (p->tty) {
			fit(p, line);
			fprintf(p->out, "\r\033[K%s%s", line, i < set->n ? "\n" : "");
		} else {
			fprintf(p->out, "%s\n", line);
		}
	}
	p->line_open = p->tty;
	p->lines = p->tty ? (int)set->n + 1 : 0;
}

void mk_progress_update_set(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	if (set->n == 1) {
		mk_progress_update(p, &set->t[0], now_ms);
		return;
	}
	if (p->off || set->n == 0)
		return;
	if (!p->tty && p->last_plain_ms >= 0 && now_ms - p->last_plain_ms < p->interval_s * 1000LL)
		return;
	draw_block(p, set);
	if (!p->tty)
		p->last_plain_ms = now_ms;
	fflush(p->out);
}
