/*
 * torrents.c - what happens to each torrent of a run (torrents.h; its record:
 * torrent.h).
 *
 * Contract: ids are job index + 1, and only torrents that have not failed
 * (nor been listed) are added, so the engine can name nothing else
 * (engine_msg.c checks). A torrent is settled when it is done (torrent_done,
 * the one place that decides: downloaded with its file selection applied and
 * its [seed] goal reached, done.c), listed (--list) or failed; the run stops
 * when every torrent is settled, with the first failure's exit code, else 0.
 * A failure prints one line naming the input (sanitised) and pauses that
 * torrent; the others go on. File lists are per torrent id: --list prints
 * each (under a header when there are several), --files (one input only,
 * cli.c) answers with its priorities. A torrent that gets no data is
 * explained, and given up on after [download] stall_timeout (stall.h).
 * Engine text reaches stdout/stderr only through mk_sanitize, and --json
 * lines only through the JSON escaper.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "done.h"
#include "exitcodes.h"
#include "files.h"
#include "jsonout.h"
#include "rlimits.h"
#include "sanitize.h"
#include "clock.h"
#include "supervise_int.h"
#include "torrents.h"

#define MK_MAX_JSON_TRACKER_EVENTS 100
#define MK_MAX_RECHECKS 2 /* forced rechecks of one torrent before it fails */
/* libtorrent calls a piece done once it is hashed, which may be before its
 * disk thread wrote the last blocks (seen: "has holes", 12 KiB short, on the
 * status that first said complete): a failed disk check gets this long to
 * come right before every piece is hashed again. */
#define MK_DISK_SETTLE_MS 3000

static struct mk_torrent *jt_of(struct sup *s, uint32_t id)
{
	return id >= 1 && id <= s->job->n_torrents ? &s->job->torrents[id - 1] : NULL;
}

/* The one definition of "this torrent is done": every wanted byte verified
 * (the --files selection applied) and the seeding goal reached. Called on
 * every status until it is true: done.c notes when seeding began. */
static int torrent_done(const struct sup *s, struct mk_torrent_view *t)
{
	const struct mk_config *c = s->job->cfg;
	const struct mk_seed_goal goal = { c->seed_ratio_milli, c->seed_time_min };
	return mk_torrent_done(t, &goal, mk_now_ms());
}

static void shown_input(const struct mk_torrent *jt, char *buf, size_t len)
{
	mk_sanitize(jt->kept.input->arg, strlen(jt->kept.input->arg), buf, len);
}

static void json_event(struct sup *s, const char *event, uint32_t id, const char *msg, int code)
{
	if (!s->job->json)
		return;
	struct mk_torrent *jt = jt_of(s, id);
	struct mk_torrent_view *v = mk_torrent_find(&s->set, id);
	mk_jsonout_event(stdout, mk_now_ms() - s->job->start_ms, event, id, jt ? jt->kept.input->arg : NULL,
			 v && v->name[0] ? v->name : NULL, msg, code);
}

/* One stderr line, the torrent paused, the run goes on without it. */
static void fail_torrent(struct sup *s, uint32_t id, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_torrent(struct sup *s, uint32_t id, int code, const char *fmt, ...)
{
	struct mk_torrent *jt = jt_of(s, id);
	char what[768], arg[256];
	if (!jt || jt->kept.failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	jt->kept.failed = code;
	if (!s->job->first_failure)
		s->job->first_failure = code;
	if (s->phase == PH_STOPPING && s->exit_code == 0 && !s->error[0])
		s->exit_code = code; /* failed while the rest was being saved: not a success */
	struct mk_torrent_view *v = mk_torrent_find(&s->set, id);
	if (v)
		v->failed = true;
	shown_input(jt, arg, sizeof arg);
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: %s: %s\n", arg, what);
	json_event(s, "error", id, what, code);
	if (v && s->phase == PH_RUNNING)
		mk_sup_send_ref(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE, id);
}

/* What progress calls a torrent before the engine knows its name (a
 * magnet without dn=): its v1 info-hash, else "magnet (no name yet)". */
static void progress_label(const struct mk_input *in, char *label, size_t len)
{
	char hex[41];
	label[0] = '\0';
	if (!in->magnet)
		return;
	if (mk_magnet_btih(in->magnet, hex) == 1)
		snprintf(label, len, "%s", hex);
	else
		snprintf(label, len, "magnet (no name yet)");
}

static void send_add(struct sup *s, uint32_t id)
{
	struct mk_torrent *jt = jt_of(s, id);
	const struct mk_input *in = jt->kept.input;
	Meerko__AddTorrent a = MEERKO__ADD_TORRENT__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	int *sent = &jt->timers.resume_sent;
	a.id = id;
	if (in->magnet)
		a.magnet_uri = (char *)in->magnet;
	a.torrent_data.data = in->bytes;
	a.torrent_data.len = in->bytes ? in->len : 0;
	a.save_path = (char *)s->job->engine_save_path;
	size_t rlen = 0;
	uint8_t *resume = *sent < 0 || !jt->kept.state || !jt->kept.trust_resume ? NULL
			  : mk_state_load_resume(jt->kept.state, &rlen);
	a.resume_data.data = resume;
	a.resume_data.len = resume ? rlen : 0;
	*sent = resume != NULL;
	struct mk_torrent_view *v = mk_torrent_find(&s->set, id);
	if (!v) { /* added to this engine: what it says about it is now heard */
		v = &jt->said;
		s->set.t[s->set.n++] = v;
	}
	progress_label(in, v->label, sizeof v->label);
	mk_files_prepare_add(&a, s->job->cfg, v); /* list_only, select_files, sequential, max_connections */
	jt->timers.meta_wait_ms = in->magnet ? mk_now_ms() : 0;
	jt->timers.recheck_pending = false; /* a new engine: a recheck asked of the last one is gone */
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_ADD;
	m.add = &a;
	mk_sup_send(s, &m);
	free(resume);
}

void mk_tor_add_all(struct sup *s)
{
	for (size_t i = 0; i < s->job->n_torrents && i < MK_MAX_TORRENTS; i++)
		if (!s->job->torrents[i].kept.failed && !s->job->torrents[i].kept.listed)
			send_add(s, (uint32_t)(i + 1)); /* listed before an engine restart: not again */
	mk_tor_after_status(s); /* nothing left to add: settled already */
}

static void on_add_failed(struct sup *s, uint32_t id, const char *clean)
{
	struct mk_torrent *jt = jt_of(s, id);
	if (jt && jt->timers.resume_sent == 1) {
		/* Saved state unusable (other torrent, corrupt): start afresh;
		 * libtorrent still rechecks what is on disk. */
		mk_sup_warn(s, "saved resume data not usable, checking files instead", clean);
		jt->timers.resume_sent = -1;
		send_add(s, id);
		return;
	}
	if (strstr(clean, "already") && strstr(clean, "exists"))
		fail_torrent(s, id, MK_EXIT_INPUT, "the same torrent is given twice (%s)", clean);
	else
		fail_torrent(s, id, MK_EXIT_INPUT, "%s", clean);
}

/* An error the engine could not tie to a torrent stops the whole run. */
static int run_wide_error(struct sup *s, const Meerko__Event *ev, const char *clean)
{
	int code = ev->type == MEERKO__EVENT_TYPE__EVENT_ADD_FAILED ? MK_EXIT_INPUT : MK_EXIT_DISK;
	if (ev->torrent_id != 0 || (ev->type != MEERKO__EVENT_TYPE__EVENT_ADD_FAILED &&
				    ev->type != MEERKO__EVENT_TYPE__EVENT_FILE_ERROR &&
				    ev->type != MEERKO__EVENT_TYPE__EVENT_TORRENT_ERROR))
		return 0;
	mk_sup_set_error(s, code, "%s", clean);
	mk_sup_start_stopping(s, code);
	return 1;
}

/* Behind a file error the engine cannot see: its save dir deleted (in the
 * sandbox that reads "Permission denied", the bind mount's dir is gone). */
static bool save_dir_gone(const struct sup *s)
{
	struct stat st;
	return stat(s->job->save_path, &st) != 0 && errno == ENOENT;
}

/* Behind a file error the engine may word otherwise: a full filesystem
 * (libtorrent's mapped writes into a full tmpfs fail as SIGBUS, reported
 * as "Bad address"). */
static bool save_dir_full(const struct sup *s)
{
	struct statvfs vf;
	/* less than a MiB left: a failing write of a few 16 KiB blocks */
	return statvfs(s->job->save_path, &vf) == 0 && (uint64_t)vf.f_bavail * vf.f_frsize < 1024 * 1024;
}

void mk_tor_on_event(struct sup *s, const Meerko__Event *ev)
{
	char clean[MK_MAX_TEXT];
	uint32_t id = ev->torrent_id;
	mk_sanitize(ev->message, strlen(ev->message), clean, sizeof clean);
	if (run_wide_error(s, ev, clean))
		return;
	switch (ev->type) {
	case MEERKO__EVENT_TYPE__EVENT_ADD_FAILED:
		on_add_failed(s, id, clean);
		break;
	case MEERKO__EVENT_TYPE__EVENT_FILE_ERROR:
	case MEERKO__EVENT_TYPE__EVENT_TORRENT_ERROR:
		if (save_dir_gone(s))
			fail_torrent(s, id, MK_EXIT_DISK, "cannot write the download: the save dir %s was deleted",
				     s->job->save_path);
		else if (save_dir_full(s))
			fail_torrent(s, id, MK_EXIT_DISK, "cannot write the download: No space left on device "
				     "(the save dir's filesystem is full; what was verified is kept)");
		else
			fail_torrent(s, id, MK_EXIT_DISK, "cannot write the download: %s (what was verified is kept)",
				     clean);
		break;
	case MEERKO__EVENT_TYPE__EVENT_TRACKER_ERROR:
		if (jt_of(s, id) && jt_of(s, id)->kept.failed)
			break; /* its one line is said; the engine's late words add nothing */
		if (s->warnings < MK_MAX_JSON_TRACKER_EVENTS)
			json_event(s, "tracker_error", id, ev->message, 0);
		mk_sup_warn(s, "tracker", clean);
		break;
	case MEERKO__EVENT_TYPE__EVENT_ADDED:
		json_event(s, "added", id, NULL, 0);
		break;
	case MEERKO__EVENT_TYPE__EVENT_METADATA_RECEIVED:
		if (jt_of(s, id))
			jt_of(s, id)->timers.meta_wait_ms = 0;
		json_event(s, "metadata", id, NULL, 0);
		break;
	default:
		break;
	}
	mk_tor_after_status(s); /* a failure may have settled the last torrent */
}

/* Complete, says the engine: are the wanted files on disk, whole? If not,
 * every piece is hashed again (bounded: then the torrent fails with 5),
 * never "done" (disk_check.h). */
static bool files_on_disk(struct sup *s, struct mk_torrent_view *v)
{
	struct mk_torrent *jt = jt_of(s, v->id);
	int64_t now = mk_now_ms();
	char why[700];
	if (jt->timers.recheck_pending && now - jt->timers.recheck_sent_ms < 60000)
		return false; /* until the engine shows the recheck began (or a minute passed) */
	jt->timers.recheck_pending = false;
	/* holes after a full recheck: the hashes said the data is right */
	if (mk_disk_files_check(&jt->kept.disk, s->job->save_path, jt->kept.rechecks > 0, why, sizeof why) == 0) {
		jt->timers.disk_bad_since_ms = 0;
		return true;
	}
	if (save_dir_gone(s)) {
		fail_torrent(s, v->id, MK_EXIT_DISK, "the save dir %s was deleted", s->job->save_path);
		return false;
	}
	if (!jt->timers.disk_bad_since_ms)
		jt->timers.disk_bad_since_ms = now;
	if (now - jt->timers.disk_bad_since_ms < MK_DISK_SETTLE_MS)
		return false; /* asked again on the next status */
	jt->timers.disk_bad_since_ms = 0;
	if (jt->kept.rechecks >= MK_MAX_RECHECKS) {
		fail_torrent(s, v->id, MK_EXIT_DISK, "%s, still after %d rechecks", why, jt->kept.rechecks);
		return false;
	}
	jt->kept.rechecks++;
	jt->timers.recheck_pending = true;
	jt->timers.recheck_sent_ms = now;
	mk_sup_warn(s, why, "hashing every piece again");
	json_event(s, "recheck", v->id, why, 0);
	mk_sup_send_ref(s, MEERKO__BROKER_TO_ENGINE__MSG_FORCE_RECHECK, v->id);
	return false;
}

void mk_tor_after_status(struct sup *s)
{
	size_t settled = 0;
	for (size_t i = 0; i < s->set.n; i++) {
		struct mk_torrent_view *v = s->set.t[i];
		struct mk_torrent *jt = jt_of(s, v->id);
		if (v->wanted > 0)
			jt->timers.meta_wait_ms = 0; /* sizes known: it has metadata */
		if (jt->timers.recheck_pending && (v->state == MEERKO__TORRENT_STATE__STATE_CHECKING || !mk_torrent_complete(v)))
			jt->timers.recheck_pending = false; /* the recheck began */
		/* checked on disk once, when it first looks complete: not again on
		 * every status while it seeds towards its goal */
		bool whole = !v->complete && !v->failed && mk_torrent_complete(v) && (v->seeding || files_on_disk(s, v));
		if (whole && torrent_done(s, v)) {
			v->complete = true;
			v->seeding = false;
			json_event(s, "finished", v->id, NULL, 0);
		} else if (whole && !v->seeding) {
			v->seeding = true; /* downloaded; the [seed] goal keeps it going */
			json_event(s, "seeding", v->id, NULL, 0);
		}
		jt->kept.complete = v->complete;
	}
	for (size_t i = 0; i < s->job->n_torrents; i++) {
		const struct mk_torrent_kept *k = &s->job->torrents[i].kept;
		settled += k->failed || k->complete || k->listed;
	}
	if (s->phase == PH_RUNNING && settled == s->job->n_torrents)
		mk_sup_start_stopping(s, s->job->first_failure ? s->job->first_failure : MK_EXIT_OK);
}

/* --list: the table on stdout (under "[id] INPUT" when the run has several
 * torrents), or one "files" line with --json. */
static void print_files(struct sup *s, uint32_t id, const Meerko__FileList *fl, const bool *want)
{
	struct mk_torrent *jt = jt_of(s, id);
	struct mk_torrent_view *v = mk_torrent_find(&s->set, id);
	size_t before = 0;
	if (s->job->json) {
		mk_jsonout_files(stdout, mk_now_ms() - s->job->start_ms, id, jt->kept.input->arg,
				 v && v->name[0] ? v->name : NULL, fl, want);
		return;
	}
	mk_progress_break(&s->prog);
	for (size_t i = 0; i < s->job->n_torrents; i++)
		before += s->job->torrents[i].kept.listed != 0;
	if (s->job->n_torrents > 1) {
		char arg[512];
		shown_input(jt, arg, sizeof arg);
		printf("%s[%" PRIu32 "] %s\n", before ? "\n" : "", id, arg);
	}
	mk_files_print(fl, want, stdout);
}

/* Before the engine may write a byte of this torrent: its RLIMIT_FSIZE must
 * hold the largest file it will write (a lie raises only its own cap). */
static int allow_file_sizes(struct sup *s, const Meerko__FileList *fl, const bool *want, char *err,
			    size_t errlen)
{
	uint64_t need = mk_limits_fsize_for(fl, want);
	if (need <= s->fsize_limit)
		return 0;
	if (mk_limits_raise_fsize(s->eng, need, err, errlen) != 0)
		return -1;
	s->fsize_limit = need;
	return 0;
}

void mk_tor_on_file_list(struct sup *s, const Meerko__FileList *fl)
{
	uint32_t id = fl->torrent_id; /* one we asked a list for (engine_msg.c) */
	struct mk_torrent *jt = jt_of(s, id);
	struct mk_torrent_view *v = mk_torrent_find(&s->set, id);
	const struct mk_config *c = s->job->cfg;
	Meerko__SetFilePriorities sp;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	char err[512];
	bool *want = NULL;
	if (!jt || !v || v->failed)
		return;
	jt->timers.meta_wait_ms = 0; /* a file list means the metadata is there */
	if (mk_files_select(c, fl, &want, err, sizeof err) != 0) {
		fail_torrent(s, id, MK_EXIT_USAGE, "%s", err);
	} else if (c->list_only) {
		print_files(s, id, fl, want);
		v->listed = true;
		jt->kept.listed = 1;
		/* Listed: it has nothing more to say to anyone while the others
		 * are still being fetched (and stays paused: mk_sup_send_all). */
		mk_sup_send_ref(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE, id);
	} else if (allow_file_sizes(s, fl, want, err, sizeof err) != 0 ||
		   mk_files_priorities(fl, want, &sp, err, sizeof err) != 0) {
		fail_torrent(s, id, MK_EXIT_INTERNAL, "%s", err);
	} else if (mk_disk_files_keep(&jt->kept.disk, fl, want) != 0) {
		mk_files_free_reply(&sp);
		fail_torrent(s, id, MK_EXIT_INTERNAL, "out of memory");
	} else {
		m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_SET_FILES;
		m.set_files = &sp;
		mk_sup_send(s, &m);
		mk_files_free_reply(&sp);
	}
	free(want);
	mk_tor_after_status(s); /* the last one listed, or failed: stop */
}

/* "NAME (HASH)", or whichever of the two is known. name is sanitised. */
static void magnet_label(const struct mk_torrent *jt, const char *name, char *buf, size_t len)
{
	char hex[41];
	int has_hash = mk_magnet_btih(jt->kept.input->magnet, hex) == 1;
	if (name[0] && has_hash && strcmp(name, hex) != 0)
		snprintf(buf, len, "%s (%s)", name, hex);
	else
		snprintf(buf, len, "%s", has_hash ? hex : name[0] ? name : "the magnet");
}

void mk_tor_check_deadlines(struct sup *s, int64_t now)
{
	int limit = s->job->cfg->metadata_timeout_s;
	if (limit <= 0 || s->outage_start_ms || s->phase != PH_RUNNING)
		return; /* 0 = wait forever; an outage is not the swarm's silence */
	for (size_t i = 0; i < s->set.n; i++) {
		struct mk_torrent_view *v = s->set.t[i];
		struct mk_torrent *jt = jt_of(s, v->id);
		if (jt->timers.meta_wait_ms && !v->failed && now - jt->timers.meta_wait_ms > limit * 1000LL) {
			char who[320];
			uint32_t id = v->id;
			jt->timers.meta_wait_ms = 0;
			magnet_label(jt, v->name, who, sizeof who);
			fail_torrent(s, id, MK_EXIT_METADATA, "no metadata for %s after %d s: no peer or tracker "
				     "answered through the proxy", who, limit);
		}
	}
	mk_tor_after_status(s);
}

/* One torrent's stall verdict: the diagnosis line (and --json event), or
 * giving up on it (exit 11) with the diagnosis in the failure line. */
static void on_stall(struct sup *s, struct mk_torrent_view *v, enum mk_stall_verdict verdict, int64_t now)
{
	char text[MK_STALL_TEXT], arg[256];
	int64_t secs = mk_stall_seconds(&jt_of(s, v->id)->timers.stall, now);
	bool giving_up = verdict == MK_STALL_TIMEOUT;
	mk_stall_describe(v, secs, text, sizeof text);
	if (s->job->json)
		mk_jsonout_stall(stdout, now - s->job->start_ms, s->job, v, secs, giving_up, text);
	if (giving_up) {
		fail_torrent(s, v->id, MK_EXIT_STALLED, "stalled, gave up ([download] stall_timeout = %d s): %s",
			     s->job->cfg->stall_timeout_s, text);
		return;
	}
	shown_input(jt_of(s, v->id), arg, sizeof arg);
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: %s: stalled, %s\n", arg, text);
}

void mk_tor_check_stalls(struct sup *s, int64_t now)
{
	const struct mk_config *c = s->job->cfg;
	const struct mk_stall_cfg cfg = { c->stall_notice_s, c->stall_timeout_s };
	if (s->phase != PH_RUNNING)
		return;
	bool gave_up = false;
	for (size_t i = 0; i < s->set.n; i++) {
		struct mk_torrent_view *v = s->set.t[i];
		bool watching = !s->outage_start_ms && mk_stall_applies(v); /* an outage is not the swarm's silence */
		enum mk_stall_verdict verdict = mk_stall_tick(&jt_of(s, v->id)->timers.stall, v, watching, &cfg, now);
		if (verdict != MK_STALL_MOVING)
			on_stall(s, v, verdict, now);
		gave_up |= verdict == MK_STALL_TIMEOUT;
	}
	if (gave_up)
		mk_tor_after_status(s); /* the last one gave up: stop */
}

void mk_tor_proxy_back(struct sup *s, int64_t now)
{
	for (size_t i = 0; i < s->set.n; i++) {
		struct mk_torrent_timers *tm = &jt_of(s, s->set.t[i]->id)->timers;
		if (tm->meta_wait_ms)
			tm->meta_wait_ms = now;
	}
}

void mk_tor_engine_started(struct sup *s)
{
	for (size_t i = 0; i < s->job->n_torrents && i < MK_MAX_TORRENTS; i++) {
		struct mk_torrent *t = &s->job->torrents[i];
		memset(&t->said, 0, sizeof t->said);
		memset(&t->timers, 0, sizeof t->timers);
		t->said.id = (uint32_t)(i + 1);
	}
}

void mk_tor_finish(struct sup *s)
{
	for (size_t i = 0; i < s->set.n; i++) {
		struct mk_torrent_view *v = s->set.t[i];
		struct mk_torrent *jt = jt_of(s, v->id);
		jt->kept.downloaded += v->downloaded;
		if (v->name[0])
			snprintf(jt->kept.name, sizeof jt->kept.name, "%s", v->name);
	}
}
