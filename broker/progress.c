/*
 * progress.c - rendering torrent progress for a person (see progress.h).
 *
 * Two formats: the TTY block (progress_line.c fits each line to the width)
 * and the plain lines for a pipe (mk_progress_format, kept stable: tests
 * and scripts read "42.0%", "ETA", "peers"). Both take the ETA from the
 * smoothed rate each torrent's row keeps (fed on every status, drawn or not).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "done.h"
#include "progress.h"

#define LINE_MAX_BYTES 1024

static int terminal_cols(FILE *out)
{
	struct winsize ws;
	return ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

void mk_progress_init(struct mk_progress *p, mk_progress_mode mode, int interval_s, FILE *out)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->interval_s = interval_s > 0 ? interval_s : 5;
	p->last_plain_ms = -1;
	p->start_ms = -1;
	switch (mode) {
	case MK_PROGRESS_TTY: p->tty = true; break;
	case MK_PROGRESS_PLAIN: p->tty = false; break;
	case MK_PROGRESS_NONE: p->off = true; break;
	default: p->tty = isatty(fileno(out)) == 1; break;
	}
	if (p->tty)
		p->cols = terminal_cols(out);
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

static void format_eta(const struct mk_torrent_view *t, uint64_t rate, char *buf, size_t len)
{
	if (t->wanted == 0) {
		snprintf(buf, len, "--:--");
		return;
	}
	mk_eta_format(t->done >= t->wanted ? 0 : t->wanted - t->done, rate, buf, len);
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

/* Until the engine applied the file priorities every file is held, and
 * libtorrent counts that as 100 % of nothing: not progress. */
static bool files_held(const struct mk_torrent_view *t)
{
	return t->want_files && !t->files_selected;
}

static double shown_percent(const struct mk_torrent_view *t)
{
	return files_held(t) ? 0.0 : (double)t->progress_ppm / 10000.0;
}

/* libtorrent says "seeding" as soon as every wanted piece is there; only a
 * torrent the broker keeps going for a [seed] goal is seeding to the user. */
const char *mk_progress_view_word(const struct mk_torrent_view *t)
{
	if (files_held(t))
		return "starting";
	if (t->failed)
		return "failed";
	if (t->complete)
		return "complete";
	if (t->seeding)
		return "seeding";
	if (t->state == MEERKO__TORRENT_STATE__STATE_SEEDING)
		return "finished";
	return mk_progress_state_word(t->state);
}

const char *mk_progress_name(const struct mk_torrent_view *t)
{
	return t->name[0] ? t->name : t->label;
}

/* " ratio 0.68" while seeding towards a goal, else "". */
static void seed_ratio(const struct mk_torrent_view *t, char *buf, size_t len)
{
	buf[0] = '\0';
	uint64_t r = t->seeding ? mk_ratio_milli(t) : UINT64_MAX;
	if (r != UINT64_MAX)
		snprintf(buf, len, " ratio %" PRIu64 ".%02" PRIu64, r / 1000, r % 1000 / 10);
}

static void plain_line(const struct mk_torrent_view *t, uint64_t eta_rate, const char *note, char *buf,
		       size_t len)
{
	char down[32], up[32], eta[32], ratio[40];
	mk_format_rate(t->down_rate, down, sizeof down);
	mk_format_rate(t->up_rate, up, sizeof up);
	format_eta(t, eta_rate, eta, sizeof eta);
	seed_ratio(t, ratio, sizeof ratio);
	snprintf(buf, len, "%5.1f%%  down %s  up %s  peers %" PRIu32 " (seeds %" PRIu32 ")  ETA %s  %s%s  %.60s%s%s",
		 shown_percent(t), down, up, t->peers, t->seeds, eta,
		 mk_progress_view_word(t), ratio, mk_progress_name(t), note && *note ? "  " : "",
		 note ? note : "");
}

void mk_progress_format(const struct mk_torrent_view *t, const char *note, char *buf, size_t len)
{
	plain_line(t, t->down_rate, note, buf, len);
}

/* The fields both TTY lines share: bytes, rates, peers, elapsed, ETA. */
static void common_fields(struct mk_line *l, uint64_t done, uint64_t wanted, uint64_t down_rate,
			  uint64_t up_rate, int64_t elapsed_ms, const char *eta)
{
	char a[32], b[32];
	mk_size_format(done, a, sizeof a);
	mk_size_format(wanted, b, sizeof b);
	if (wanted > 0)
		snprintf(l->field[MK_F_BYTES], MK_LINE_FIELD_MAX, "%s / %s", a, b);
	mk_format_rate(down_rate, a, sizeof a);
	snprintf(l->field[MK_F_DOWN], MK_LINE_FIELD_MAX, "down %s", a);
	mk_format_rate(up_rate, a, sizeof a);
	snprintf(l->field[MK_F_UP], MK_LINE_FIELD_MAX, "up %s", a);
	if (elapsed_ms >= 0) {
		mk_duration_format(elapsed_ms, a, sizeof a);
		snprintf(l->field[MK_F_ELAPSED], MK_LINE_FIELD_MAX, "elapsed %s", a);
	}
	snprintf(l->field[MK_F_ETA], MK_LINE_FIELD_MAX, "ETA %s", eta);
}

int mk_progress_tty_line(const struct mk_torrent_view *t, const char *prefix, const char *note,
			 uint64_t eta_rate, int64_t elapsed_ms, int cols, char *buf, size_t len)
{
	struct mk_line l;
	char eta[32], ratio[40];
	memset(&l, 0, sizeof l);
	l.prefix = prefix;
	l.name = mk_progress_name(t);
	l.bar = true;
	l.ppm = files_held(t) ? 0 : t->progress_ppm;
	snprintf(l.field[MK_F_PCT], MK_LINE_FIELD_MAX, "%5.1f%%", shown_percent(t));
	format_eta(t, eta_rate, eta, sizeof eta);
	common_fields(&l, t->done, t->wanted, t->down_rate, t->up_rate, elapsed_ms, eta);
	snprintf(l.field[MK_F_PEERS], MK_LINE_FIELD_MAX, "peers %" PRIu32 " (seeds %" PRIu32 ")", t->peers,
		 t->seeds);
	const char *word = mk_progress_view_word(t);
	seed_ratio(t, ratio, sizeof ratio);
	if (strcmp(word, "downloading") != 0) /* the bar says that already */
		snprintf(l.field[MK_F_STATE], MK_LINE_FIELD_MAX, "%s%s", word, ratio);
	snprintf(l.field[MK_F_NOTE], MK_LINE_FIELD_MAX, "%s", note ? note : "");
	return mk_line_fit(&l, cols, buf, len);
}

void mk_progress_break(struct mk_progress *p)
{
	if (p->line_open) {
		fputc('\n', p->out);
		fflush(p->out);
		p->line_open = false;
	}
	p->lines = 0;
	p->up_rows = 0;
}

void mk_progress_total(const struct mk_torrent_set *set, struct mk_progress_total *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < set->n; i++) {
		const struct mk_torrent_view *v = set->t[i];
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

static void total_counts(const struct mk_torrent_set *set, const struct mk_progress_total *t, char *buf,
			 size_t len)
{
	char failed[32] = "", seeding[32] = "";
	if (t->failed)
		snprintf(failed, sizeof failed, ", %zu failed", t->failed);
	if (t->seeding)
		snprintf(seeding, sizeof seeding, ", %zu seeding", t->seeding);
	snprintf(buf, len, "%zu/%zu complete%s%s", t->complete, set->n, seeding, failed);
}

void mk_progress_format_total(const struct mk_torrent_set *set, const char *note, char *buf, size_t len)
{
	struct mk_progress_total t;
	char down[32], up[32], counts[96];
	mk_progress_total(set, &t);
	mk_format_rate(t.down_rate, down, sizeof down);
	mk_format_rate(t.up_rate, up, sizeof up);
	total_counts(set, &t, counts, sizeof counts);
	snprintf(buf, len, "total %5.1f%%  down %s  up %s  peers %" PRIu32 "  %s%s%s",
		 (double)t.progress_ppm / 10000.0, down, up, t.peers, counts, note && *note ? "  " : "",
		 note ? note : "");
}

static int total_tty_line(const struct mk_torrent_set *set, const char *note, uint64_t eta_rate,
			  int64_t elapsed_ms, int cols, char *buf, size_t len)
{
	struct mk_progress_total t;
	struct mk_line l;
	char eta[32];
	mk_progress_total(set, &t);
	memset(&l, 0, sizeof l);
	l.prefix = "total  ";
	l.bar = true;
	l.ppm = t.progress_ppm;
	snprintf(l.field[MK_F_PCT], MK_LINE_FIELD_MAX, "%5.1f%%", (double)t.progress_ppm / 10000.0);
	if (t.wanted == 0)
		snprintf(eta, sizeof eta, "--:--");
	else
		mk_eta_format(t.wanted - t.done, eta_rate, eta, sizeof eta);
	common_fields(&l, t.done, t.wanted, t.down_rate, t.up_rate, elapsed_ms, eta);
	snprintf(l.field[MK_F_PEERS], MK_LINE_FIELD_MAX, "peers %" PRIu32, t.peers);
	total_counts(set, &t, l.field[MK_F_STATE], MK_LINE_FIELD_MAX);
	snprintf(l.field[MK_F_NOTE], MK_LINE_FIELD_MAX, "%s", note ? note : "");
	return mk_line_fit(&l, cols, buf, len);
}

/* Every torrent's smoothed rate, and the total's, on every status. */
static void feed_rates(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	struct mk_progress_total t;
	for (size_t i = 0; i < set->n && i < MK_MAX_TORRENTS; i++)
		if (set->t[i]->have_status)
			mk_eta_feed(&p->row[i].eta, set->t[i]->down_rate, now_ms);
	mk_progress_total(set, &t);
	mk_eta_feed(&p->row[MK_MAX_TORRENTS].eta, t.down_rate, now_ms);
}

/* A pipe gets a block every interval, and at once when a torrent's state
 * word changes: a seeding phase shorter than the interval still shows. */
static bool plain_word_changed(struct mk_progress *p, const struct mk_torrent_set *set)
{
	bool changed = false;
	for (size_t i = 0; i < set->n && i < MK_MAX_TORRENTS; i++) {
		const char *w = set->t[i]->have_status ? mk_progress_view_word(set->t[i]) : NULL;
		const char *old = p->row[i].word;
		changed |= (w == NULL) != (old == NULL) || (w && strcmp(w, old) != 0);
		p->row[i].word = w;
	}
	return changed;
}

static bool plain_due(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	bool changed = plain_word_changed(p, set);
	return changed || p->last_plain_ms < 0 || now_ms - p->last_plain_ms >= p->interval_s * 1000LL;
}

static void plain_block(struct mk_progress *p, const struct mk_torrent_set *set)
{
	char line[LINE_MAX_BYTES];
	for (size_t i = 0; i < set->n; i++) {
		const struct mk_torrent_view *v = set->t[i];
		int k = set->n > 1 ? snprintf(line, sizeof line, "[%" PRIu32 "] ", v->id) : 0;
		const char *note = set->n > 1 ? (v->failed ? "failed" : "") : p->status_note;
		plain_line(v, mk_eta_rate(&p->row[i].eta), note, line + k, sizeof line - (size_t)k);
		fprintf(p->out, "%s\n", line);
	}
	if (set->n > 1) {
		mk_progress_format_total(set, p->status_note, line, sizeof line);
		fprintf(p->out, "%s\n", line);
	}
}

/* The block at the current width: back to its first row, erase to the end
 * of the screen, draw; the cursor stays at the end of the last line. */
static void tty_block(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	char line[LINE_MAX_BYTES], prefix[24];
	int64_t elapsed = now_ms - p->start_ms;
	if (p->line_open && p->up_rows > 0)
		fprintf(p->out, "\033[%dA", p->up_rows);
	fputs("\r\033[J", p->out);
	size_t n = set->n > MK_MAX_TORRENTS ? MK_MAX_TORRENTS : set->n;
	for (size_t i = 0; i < n; i++) {
		const struct mk_torrent_view *v = set->t[i];
		prefix[0] = '\0';
		if (n > 1)
			snprintf(prefix, sizeof prefix, "[%" PRIu32 "] ", v->id);
		const char *note = n > 1 ? (v->failed ? "failed" : "") : p->status_note;
		/* several torrents: the elapsed time (the same for all) is on the total */
		p->row[i].width = mk_progress_tty_line(v, prefix, note, mk_eta_rate(&p->row[i].eta),
						       n > 1 ? -1 : elapsed, p->cols, line, sizeof line);
		fprintf(p->out, "%s%s", line, i + 1 < n || n > 1 ? "\n" : "");
	}
	if (n > 1) {
		p->row[MK_MAX_TORRENTS].width = total_tty_line(set, p->status_note,
							       mk_eta_rate(&p->row[MK_MAX_TORRENTS].eta),
							       elapsed, p->cols, line, sizeof line);
		fputs(line, p->out);
	}
	p->line_open = true;
	p->lines = (int)n + (n > 1);
	p->up_rows = p->lines - 1;
}

void mk_progress_update_set(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	if (p->off || set->n == 0)
		return;
	if (p->start_ms < 0)
		p->start_ms = now_ms;
	feed_rates(p, set, now_ms);
	if (set->n == 1 && !set->t[0]->have_status)
		return;
	if (!p->tty && !plain_due(p, set, now_ms))
		return;
	if (p->tty) {
		tty_block(p, set, now_ms);
	} else {
		plain_block(p, set);
		p->last_plain_ms = now_ms;
	}
	fflush(p->out);
}

/* Rows the drawn lines take at `cols` columns, if the terminal re-wrapped
 * them (tmux, VTE, kitty... reflow; xterm cuts instead, and then one line
 * above the block may be erased: a cosmetic loss, never a wrong line). */
static int rows_at(const struct mk_progress *p, int cols)
{
	int rows = 0;
	for (int i = 0; i < p->lines; i++) {
		int w = p->row[i + 1 == p->lines && p->lines > 1 ? MK_MAX_TORRENTS : i].width;
		rows += cols > 0 && w > cols ? (w + cols - 1) / cols : 1;
	}
	return rows;
}

void mk_progress_resize(struct mk_progress *p, const struct mk_torrent_set *set, int64_t now_ms)
{
	if (p->off || !p->tty)
		return;
	int cols = terminal_cols(p->out);
	if (cols <= 0 || cols == p->cols)
		return;
	if (p->line_open)
		p->up_rows = rows_at(p, cols) - 1;
	p->cols = cols;
	if (p->line_open && set->n > 0)
		tty_block(p, set, now_ms);
	fflush(p->out);
}
