/*
 * progress_line.c - a progress line fitted to the terminal, the smoothed ETA
 * (see progress_line.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "progress_line.h"

#define NAME_MIN 12 /* columns a name keeps before fields go */
#define NAME_MAX 40
#define BAR_MIN 12  /* columns, brackets included */
#define BAR_MAX 32
#define SEP 2       /* two spaces between parts */

/* When a line is too wide, fields go in this order (first row first); the
 * percentage and the note always stay. */
static const struct {
	enum mk_line_field field;
	const char *why;
} drop_order[] = {
	{ MK_F_UP, "the upload rate matters least to a download" },
	{ MK_F_ELAPSED, "the user can tell how long it has run" },
	{ MK_F_PEERS, "peer counts explain a rate, they are not the progress" },
	{ MK_F_BYTES, "the bar and the percentage say the same, shorter" },
	{ MK_F_DOWN, "the ETA already says how fast it goes" },
	{ MK_F_ETA, "after the percentage, what a user waits for most" },
	{ MK_F_STATE, "last: checking, paused, seeding or complete must show" },
};

void mk_eta_feed(struct mk_eta *e, uint64_t rate, int64_t now_ms)
{
	if (!e->primed || e->rate < 1.0) {
		e->rate = (double)rate;
		e->primed = rate > 0;
		e->samples = 1;
	} else {
		double dt = (double)(now_ms - e->last_ms);
		/* dt / (tau + dt): the weight of a sample dt ms long (no libm);
		 * the plain mean while fewer samples than that weight implies,
		 * so the first (low, ramping up) rates do not hold the ETA high
		 * for a whole time constant */
		double a = dt > 0 ? dt / (MK_ETA_TAU_MS + dt) : 0.0;
		double mean = 1.0 / (double)++e->samples;
		e->rate += (a > mean ? a : mean) * ((double)rate - e->rate);
	}
	e->last_ms = now_ms;
}

uint64_t mk_eta_rate(const struct mk_eta *e)
{
	return e->rate >= 1.0 ? (uint64_t)e->rate : 0;
}

static void hms(uint64_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
}

void mk_eta_format(uint64_t remaining, uint64_t rate, char *buf, size_t len)
{
	if (remaining == 0)
		snprintf(buf, len, "done");
	else if (rate == 0)
		snprintf(buf, len, "--:--");
	else if (remaining / rate >= 100 * 3600)
		snprintf(buf, len, ">99h");
	else
		hms(remaining / rate, buf, len);
}

void mk_duration_format(int64_t ms, char *buf, size_t len)
{
	hms(ms > 0 ? (uint64_t)ms / 1000 : 0, buf, len);
}

void mk_size_format(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* One UTF-8 sequence at s: its length in bytes (1 for an invalid byte) and
 * its code point in *cp (U+FFFD for an invalid byte). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0) {
		*cp = 0xfffd;
		return 1;
	}
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/* Columns a code point takes: East Asian wide and emoji blocks 2, combining
 * marks and zero-width characters 0, everything else 1. */
static int cp_width(uint32_t c)
{
	static const struct { uint32_t lo, hi; int w; } ranges[] = {
		{ 0x0300, 0x036f, 0 }, { 0x1ab0, 0x1aff, 0 }, { 0x1dc0, 0x1dff, 0 },
		{ 0x200b, 0x200f, 0 }, { 0x20d0, 0x20ff, 0 }, { 0xfe00, 0xfe0f, 0 },
		{ 0xfe20, 0xfe2f, 0 }, { 0x1100, 0x115f, 2 }, { 0x2e80, 0x303e, 2 },
		{ 0x3041, 0x33ff, 2 }, { 0x3400, 0x4dbf, 2 }, { 0x4e00, 0x9fff, 2 },
		{ 0xa000, 0xa4cf, 2 }, { 0xac00, 0xd7a3, 2 }, { 0xf900, 0xfaff, 2 },
		{ 0xfe30, 0xfe4f, 2 }, { 0xff00, 0xff60, 2 }, { 0xffe0, 0xffe6, 2 },
		{ 0x1f300, 0x1f64f, 2 }, { 0x1f680, 0x1f6ff, 2 }, { 0x1f900, 0x1f9ff, 2 },
		{ 0x20000, 0x3fffd, 2 },
	};
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i].lo && c <= ranges[i].hi)
			return ranges[i].w;
	return 1;
}

/* Bytes of s that fit in max columns (whole characters); *w gets their width. */
static size_t cut_to(const char *s, size_t max, size_t *w)
{
	size_t i = 0, cols = 0;
	while (s[i]) {
		uint32_t cp;
		size_t n = utf8_next((const unsigned char *)s + i, &cp);
		int cw = cp_width(cp);
		if (cols + (size_t)cw > max)
			break;
		cols += (size_t)cw;
		i += n;
	}
	*w = cols;
	return i;
}

size_t mk_text_width(const char *s)
{
	size_t w;
	cut_to(s, SIZE_MAX, &w);
	return w;
}

/* The layout being decided: which fields stay, how wide name and bar are. */
struct layout {
	bool keep[MK_F_COUNT];
	bool bar;
	size_t name_w, bar_w;
};

static size_t fixed_width(const struct mk_line *l, const struct layout *lo)
{
	size_t w = mk_text_width(l->prefix ? l->prefix : "");
	for (int f = 0; f < MK_F_COUNT; f++)
		if (lo->keep[f])
			w += mk_text_width(l->field[f]) + SEP;
	return w;
}

static void plan(const struct mk_line *l, size_t max, struct layout *lo)
{
	size_t name_full = l->name ? mk_text_width(l->name) : 0;
	size_t name_min = name_full < NAME_MIN ? name_full : NAME_MIN;
	for (int f = 0; f < MK_F_COUNT; f++)
		lo->keep[f] = l->field[f][0] != '\0';
	lo->bar = l->bar;
	size_t drop = 0;
	for (;;) {
		size_t need = fixed_width(l, lo) + (lo->bar ? BAR_MIN + SEP : 0) + (l->name ? name_min + SEP : 0);
		if (need <= max)
			break;
		while (drop < sizeof drop_order / sizeof drop_order[0] && !lo->keep[drop_order[drop].field])
			drop++;
		if (drop < sizeof drop_order / sizeof drop_order[0])
			lo->keep[drop_order[drop++].field] = false;
		else if (lo->bar)
			lo->bar = false;
		else
			break;
	}
	size_t used = fixed_width(l, lo) + (lo->bar ? BAR_MIN + SEP : 0) + (l->name ? SEP : 0);
	size_t left = max > used ? max - used : 0;
	lo->name_w = name_full < NAME_MAX ? name_full : NAME_MAX;
	if (lo->name_w > left)
		lo->name_w = left;
	left -= lo->name_w;
	lo->bar_w = lo->bar ? BAR_MIN + (left < BAR_MAX - BAR_MIN ? left : BAR_MAX - BAR_MIN) : 0;
}

/* Appends to buf (bounded); the caller sized buf for the whole line. */
struct out {
	char *buf;
	size_t len, at;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->at + n >= o->len)
		n = o->at < o->len - 1 ? o->len - 1 - o->at : 0;
	memcpy(o->buf + o->at, s, n);
	o->at += n;
	o->buf[o->at] = '\0';
}

static void put_name(struct out *o, const char *name, size_t cols)
{
	size_t w, full = mk_text_width(name);
	if (full <= cols) {
		put(o, name, strlen(name));
		return;
	}
	if (cols == 0)
		return;
	size_t n = cut_to(name, cols - 1, &w); /* room for the '~' */
	put(o, name, n);
	put(o, "~", 1);
}

static void put_bar(struct out *o, uint32_t ppm, size_t cols)
{
	char bar[BAR_MAX + 1];
	size_t inner = cols - 2, fill = (size_t)((uint64_t)(ppm > 1000000 ? 1000000 : ppm) * inner / 1000000);
	bar[0] = '[';
	for (size_t i = 0; i < inner; i++)
		bar[1 + i] = i < fill ? '=' : (i == fill ? '>' : ' ');
	bar[cols - 1] = ']';
	put(o, bar, cols);
}

int mk_line_fit(const struct mk_line *l, int cols, char *buf, size_t len)
{
	size_t max = cols > 1 ? (size_t)cols - 1 : SIZE_MAX / 2;
	struct layout lo;
	struct out o = { buf, len, 0 };
	buf[0] = '\0';
	plan(l, max, &lo);
	if (l->prefix)
		put(&o, l->prefix, strlen(l->prefix));
	bool first = true;
	if (l->name && lo.name_w > 0) {
		put_name(&o, l->name, lo.name_w);
		first = false;
	}
	if (lo.bar) {
		if (!first)
			put(&o, "  ", SEP);
		put_bar(&o, l->ppm, lo.bar_w);
		first = false;
	}
	for (int f = 0; f < MK_F_COUNT; f++) {
		if (!lo.keep[f])
			continue;
		if (!first)
			put(&o, "  ", SEP);
		put(&o, l->field[f], strlen(l->field[f]));
		first = false;
	}
	/* the never-dropped fields alone can exceed a very narrow terminal */
	size_t w, n = cut_to(buf, max, &w);
	buf[n] = '\0';
	return (int)w;
}
