/*
 * engine_msg.c - validation of engine -> broker messages.
 *
 * Contract: one check per message kind (mk_engine_check_of), the "check"
 * column of the engine->broker table (engine_surface.c, which adds when each
 * message is allowed at all). A check looks at every field the broker will
 * use: ids must name a torrent the broker added to this engine, enums must
 * be in range, numbers within physical bounds, text bounded in length.
 * Nothing is stored unless the whole message passes. Text is sanitised
 * before it is stored, so what the progress line prints can never carry a
 * terminal escape.
 */
#include <stdio.h>
#include <string.h>

#include "engine_msg.h"
#include "sanitize.h"

struct mk_torrent_view *mk_torrent_find(struct mk_torrent_set *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i]->id == id)
			return s->t[i];
	return NULL;
}

static int bad(char *why, size_t whylen, const char *what, unsigned long long v)
{
	snprintf(why, whylen, "protocol violation: %s (%llu)", what, v);
	return -1;
}

static int check_text(const char *t, size_t max, const char *what, char *why, size_t whylen)
{
	size_t n = t ? strnlen(t, max + 1) : 0;
	return n > max ? bad(why, whylen, what, (unsigned long long)n) : 0;
}

static int check_one(struct mk_torrent_set *s, const Meerko__TorrentStatus *t,
		     char *why, size_t whylen)
{
	if (!t || !mk_torrent_find(s, t->id))
		return bad(why, whylen, "status for an unknown torrent", t ? t->id : 0);
	if (t->state < MEERKO__TORRENT_STATE__STATE_UNKNOWN || t->state > MEERKO__TORRENT_STATE__STATE_ERROR)
		return bad(why, whylen, "torrent state out of range", (unsigned long long)t->state);
	if (t->progress_ppm > 1000000)
		return bad(why, whylen, "progress above 100%", t->progress_ppm);
	if (t->download_rate > MK_MAX_RATE || t->upload_rate > MK_MAX_RATE)
		return bad(why, whylen, "impossible transfer rate", t->download_rate);
	if (t->total_done > t->total_wanted)
		return bad(why, whylen, "more bytes done than wanted", t->total_done);
	if (t->tracker_peers > MK_MAX_TRACKER_PEERS)
		return bad(why, whylen, "impossible peer count from a tracker", t->tracker_peers);
	if (check_text(t->tracker_error, MK_MAX_TRACKER_ERROR, "tracker error text too long", why, whylen))
		return -1;
	return check_text(t->name, 4096, "torrent name too long", why, whylen);
}

/* The stall diagnosis' inputs (stall.c): counts taken as they are (any
 * uint32 is a possible count), the text sanitised. */
static void apply_stall(struct mk_torrent_view *v, const Meerko__TorrentStatus *t)
{
	const char *te = t->tracker_error ? t->tracker_error : "";
	v->tracker_replies = t->tracker_replies;
	v->tracker_peers = t->tracker_peers;
	v->tracker_errors = t->tracker_errors;
	v->conn_refused = t->conn_refused;
	v->conn_failed = t->conn_failed;
	v->conn_closed = t->conn_closed;
	mk_sanitize(te, strlen(te), v->tracker_error, sizeof v->tracker_error);
}

static void apply_one(struct mk_torrent_set *s, const Meerko__TorrentStatus *t)
{
	struct mk_torrent_view *v = mk_torrent_find(s, t->id);
	v->have_status = true;
	v->state = t->state;
	v->progress_ppm = t->progress_ppm;
	v->down_rate = t->download_rate;
	v->up_rate = t->upload_rate;
	v->peers = t->num_peers;
	v->seeds = t->num_seeds;
	v->done = t->total_done;
	v->wanted = t->total_wanted;
	v->downloaded = t->total_download;
	v->uploaded = t->total_upload;
	v->files_selected = v->want_files && t->files_selected;
	mk_sanitize(t->name ? t->name : "", strlen(t->name ? t->name : ""), v->name, sizeof v->name);
	apply_stall(v, t);
}

static int check_status(struct mk_torrent_set *s, const Meerko__Status *st, char *why, size_t whylen)
{
	if (st->n_torrents > s->n)
		return bad(why, whylen, "status for more torrents than added", st->n_torrents);
	for (size_t i = 0; i < st->n_torrents; i++)
		if (check_one(s, st->torrents[i], why, whylen) != 0)
			return -1;
	for (size_t i = 0; i < st->n_torrents; i++)
		apply_one(s, st->torrents[i]);
	return 0;
}

static int check_event(struct mk_torrent_set *s, const Meerko__Event *ev, char *why, size_t whylen)
{
	if (ev->type <= MEERKO__EVENT_TYPE__EVENT_UNKNOWN || ev->type > MEERKO__EVENT_TYPE__EVENT_INFO)
		return bad(why, whylen, "unknown event type", (unsigned long long)ev->type);
	if (ev->torrent_id != 0 && !mk_torrent_find(s, ev->torrent_id))
		return bad(why, whylen, "event for an unknown torrent", ev->torrent_id);
	return check_text(ev->message, MK_MAX_TEXT, "event text too long", why, whylen);
}

/* A FileList for a torrent that asked for one (once: the table's rule);
 * every path a non-empty, bounded string (printed only through mk_sanitize),
 * sizes bounded so their sum cannot overflow. */
static int check_file_list(struct mk_torrent_set *s, const Meerko__FileList *fl,
			   char *why, size_t whylen)
{
	struct mk_torrent_view *v = mk_torrent_find(s, fl->torrent_id);
	if (!v || !v->want_files)
		return bad(why, whylen, "file list nobody asked for", fl->torrent_id);
	if (fl->n_files > MK_MAX_FILES)
		return bad(why, whylen, "too many files", fl->n_files);
	for (size_t i = 0; i < fl->n_files; i++) {
		const Meerko__FileEntry *f = fl->files[i];
		size_t len = f && f->path ? strnlen(f->path, MK_MAX_PATH + 1) : 0;
		if (len == 0 || len > MK_MAX_PATH)
			return bad(why, whylen, "file path empty or too long", len);
		if (f->size > MK_MAX_FILE_SIZE)
			return bad(why, whylen, "impossible file size", f->size);
	}
	return 0;
}

/* What peers say our address is: for torrents we added, a known source
 * kind, 4 or 16 bytes. Judged by exit_watch.c, never trusted alone. */
static int check_exit_report(struct mk_torrent_set *s, const Meerko__ExitReport *r,
			     char *why, size_t whylen)
{
	if (r->n_seen > MK_MAX_EXIT_SEEN)
		return bad(why, whylen, "too many exit observations", r->n_seen);
	for (size_t i = 0; i < r->n_seen; i++) {
		const Meerko__ExitSeen *e = r->seen[i];
		if (!e || !mk_torrent_find(s, e->torrent_id))
			return bad(why, whylen, "exit observation for an unknown torrent", e ? e->torrent_id : 0);
		if (e->source != MEERKO__EXIT_SOURCE__EXIT_SOURCE_PEER &&
		    e->source != MEERKO__EXIT_SOURCE__EXIT_SOURCE_TRACKER)
			return bad(why, whylen, "unknown exit observation source", (unsigned long long)e->source);
		if (e->address.len != 4 && e->address.len != 16)
			return bad(why, whylen, "exit address length", e->address.len);
	}
	return 0;
}

/* The checks with the common signature (the table's "check" column). */
int mk_engine_check_ready(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	(void)s;
	return check_text(m->ready->libtorrent_version, 64, "version text too long", why, whylen);
}

int mk_engine_check_status(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	return check_status(s, m->status, why, whylen);
}

int mk_engine_check_event(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	return check_event(s, m->event, why, whylen);
}

/* Resume data of a torrent added to this engine (the set holds only those),
 * bounded in size; its content is judged by resume_check.c before it is
 * written. */
int mk_engine_check_resume(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	if (!mk_torrent_find(s, m->resume->torrent_id))
		return bad(why, whylen, "resume data for an unknown torrent", m->resume->torrent_id);
	if (m->resume->data.len == 0 || m->resume->data.len > MK_MAX_RESUME)
		return bad(why, whylen, "resume data size", m->resume->data.len);
	return 0;
}

int mk_engine_check_shutdown_done(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why,
				   size_t whylen)
{
	(void)s, (void)m, (void)why, (void)whylen;
	return 0; /* no field is read */
}

int mk_engine_check_file_list(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	return check_file_list(s, m->file_list, why, whylen);
}

int mk_engine_check_exit_report(struct mk_torrent_set *s, const Meerko__EngineToBroker *m, char *why,
				 size_t whylen)
{
	return check_exit_report(s, m->exit_report, why, whylen);
}

static const struct {
	Meerko__EngineToBroker__MsgCase msg;
	mk_engine_check *check;
} checks[] = {
	{ MEERKO__ENGINE_TO_BROKER__MSG_READY, mk_engine_check_ready },
	{ MEERKO__ENGINE_TO_BROKER__MSG_STATUS, mk_engine_check_status },
	{ MEERKO__ENGINE_TO_BROKER__MSG_EVENT, mk_engine_check_event },
	{ MEERKO__ENGINE_TO_BROKER__MSG_RESUME, mk_engine_check_resume },
	{ MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE, mk_engine_check_shutdown_done },
	{ MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST, mk_engine_check_file_list },
	{ MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT, mk_engine_check_exit_report },
};

mk_engine_check *mk_engine_check_of(int msg_case)
{
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		if ((int)checks[i].msg == msg_case)
			return checks[i].check;
	return NULL;
}

int mk_engine_msg_check(struct mk_torrent_set *s, const Meerko__EngineToBroker *m,
			char *why, size_t whylen)
{
	mk_engine_check *check = mk_engine_check_of(m->msg_case);
	if (!check)
		return bad(why, whylen, "unknown message", (unsigned long long)m->msg_case);
	return check(s, m, why, whylen);
}
