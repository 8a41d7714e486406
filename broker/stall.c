/*
 * stall.c - the stall clock and its one-line diagnosis (see stall.h).
 *
 * Why this is safe: it reads only validated view fields; every count is
 * printed as a number and the only text, the last tracker error, was
 * sanitised when it was stored (engine_msg.c) and is cut to fit here.
 * "Movement" is any change of the payload bytes, the verified bytes or the
 * wanted size, so a new engine (counters from 0), the metadata arriving or
 * a --files selection taking effect restart the clock rather than fake a
 * stall.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stall.h"

bool mk_stall_applies(const struct mk_torrent_view *v)
{
	if (!v->have_status || v->complete || v->seeding || v->failed || v->listed)
		return false;
	switch (v->state) {
	case MEERKO__TORRENT_STATE__STATE_METADATA:
	case MEERKO__TORRENT_STATE__STATE_DOWNLOADING:
	case MEERKO__TORRENT_STATE__STATE_UNKNOWN:
		return true;
	default:
		return false; /* checking, finished, seeding, paused, error */
	}
}

static bool moved(struct mk_stall *st, const struct mk_torrent_view *v)
{
	bool m = v->downloaded != st->downloaded || v->done != st->done || v->wanted != st->wanted;
	st->downloaded = v->downloaded;
	st->done = v->done;
	st->wanted = v->wanted;
	return m;
}

static int64_t repeat_ms(const struct mk_stall_cfg *cfg)
{
	int s = cfg->notice_s > MK_STALL_REPEAT_S ? cfg->notice_s : MK_STALL_REPEAT_S;
	return (int64_t)s * 1000;
}

enum mk_stall_verdict mk_stall_tick(struct mk_stall *st, const struct mk_torrent_view *v, bool watching,
				    const struct mk_stall_cfg *cfg, int64_t now_ms)
{
	bool m = moved(st, v);
	if (!watching) {
		st->watching = false;
		return MK_STALL_MOVING;
	}
	if (!st->watching || m) {
		st->watching = true;
		st->since_ms = now_ms;
		return MK_STALL_MOVING;
	}
	int64_t idle = now_ms - st->since_ms;
	if (cfg->timeout_s > 0 && v->wanted > 0 && idle >= (int64_t)cfg->timeout_s * 1000)
		return MK_STALL_TIMEOUT;
	if (cfg->notice_s > 0 && idle >= (int64_t)cfg->notice_s * 1000 &&
	    (!st->noticed || now_ms - st->last_notice_ms >= repeat_ms(cfg))) {
		st->noticed = true;
		st->last_notice_ms = now_ms;
		return MK_STALL_NOTICE;
	}
	return MK_STALL_MOVING;
}

int64_t mk_stall_seconds(const struct mk_stall *st, int64_t now_ms)
{
	return st->watching && now_ms > st->since_ms ? (now_ms - st->since_ms) / 1000 : 0;
}

/* Appends to buf[len] at *at; never past the end, always terminated. */
__attribute__((format(printf, 4, 5)))
static void add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	if (*at + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

static const char *plural(uint32_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* What the trackers said. */
static void trackers(const struct mk_torrent_view *v, char *buf, size_t len, size_t *at)
{
	if (v->tracker_replies == 0 && v->tracker_errors == 0)
		add(buf, len, at, "no tracker answered yet");
	if (v->tracker_replies > 0)
		add(buf, len, at, "%u %s from trackers (%u %s)", v->tracker_peers,
		    plural(v->tracker_peers, "peer", "peers"), v->tracker_replies,
		    plural(v->tracker_replies, "reply", "replies"));
	if (v->tracker_errors > 0)
		add(buf, len, at, "%s%u tracker %s (last: %s)", v->tracker_replies ? ", " : "",
		    v->tracker_errors, plural(v->tracker_errors, "error", "errors"),
		    v->tracker_error[0] ? v->tracker_error : "no reason given");
}

/* The likeliest reason, from the counts: one short clause. */
static const char *hint(const struct mk_torrent_view *v)
{
	uint32_t unreachable = v->conn_refused + v->conn_failed;
	if (unreachable < v->conn_refused)
		unreachable = UINT32_MAX; /* saturated counts */
	if (v->peers > 0 && v->conn_closed > 0)
		return "the peers close the connections or send nothing";
	if (v->peers > 0)
		return "the connected peers send nothing (they may lack the wanted pieces, or choke)";
	if (v->conn_closed > 0 && v->conn_closed >= unreachable)
		return "the peers close the connections";
	if (unreachable > 0)
		return "the peers cannot be reached through the proxy";
	if (v->tracker_replies > 0 && v->tracker_peers == 0)
		return "the trackers know no other peer";
	if (v->tracker_replies == 0 && v->tracker_errors > 0)
		return "no tracker can be reached through the proxy";
	if (v->tracker_replies == 0)
		return "no peer source has answered";
	return "still connecting to the peers";
}

size_t mk_stall_describe(const struct mk_torrent_view *v, int64_t stalled_s, char *buf, size_t len)
{
	size_t at = 0;
	if (len == 0)
		return 0;
	buf[0] = '\0';
	add(buf, len, &at, "no data for %lld s - ", (long long)stalled_s);
	trackers(v, buf, len, &at);
	add(buf, len, &at, "; connections: %u refused, %u failed, %u closed after connecting; "
	    "%u %s connected - %s", v->conn_refused, v->conn_failed, v->conn_closed, v->peers,
	    plural(v->peers, "peer", "peers"), hint(v));
	return at;
}
