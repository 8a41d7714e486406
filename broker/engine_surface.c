/*
 * engine_surface.c - the engine->broker table: what a compromised engine
 * can make the trusted broker do, one row per message (see
 * engine_surface.h; the whole privileged surface, relay commands included,
 * is listed in docs/ipc.md).
 *
 * Reading a row: the message, the phases it may arrive in, whether only
 * one copy is accepted, its check (engine_msg.c: every field bounded, ids
 * naming torrents added to this engine), its handler below, and why the
 * handler is safe to run on what passed the check. A message whose row
 * does not allow it, or that has no row, kills the engine.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "engine_ctl.h"
#include "engine_surface.h"
#include "exitcodes.h"
#include "jsonout.h"
#include "progress.h"
#include "sandbox_verify.h"
#include "state.h"
#include "supervise_int.h"
#include "torrents.h"

/* ---- Handlers: each runs only on a message its row permitted and its
 * check passed. */

/* Sandbox on: refuses (exit 6) an engine that is not in every namespace of
 * its own (sandbox_verify.c), before it is given a single torrent. */
static int namespaces_missing(struct sup *s, const Meerko__Ready *r)
{
	char why[160];
	if (mk_sandbox_verify_required(r, s->job->userns, why, sizeof why) == 0)
		return 0;
	mk_sup_set_error(s, MK_EXIT_SANDBOX, "%s", why);
	mk_sup_kill_engine(s);
	return 1;
}

static void on_ready(struct sup *s, const Meerko__EngineToBroker *m)
{
	if (s->phase != PH_STARTING)
		return; /* stopping before it was ready: nothing is added */
	if (s->job->sandboxed && namespaces_missing(s, m->ready))
		return;
	s->phase = PH_RUNNING;
	mk_tor_add_all(s);
	mk_exitg_engine_started(s); /* paused for a wrong exit: stays paused */
	if (s->outage_start_ms) { /* restarted during an outage: stay paused */
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE);
		s->paused_for_outage = 1;
	}
}

static void on_status(struct sup *s, const Meerko__EngineToBroker *m)
{
	(void)m; /* applied to s->set by its check */
	if (s->outage_start_ms)
		snprintf(s->prog.status_note, sizeof s->prog.status_note, "proxy down - paused %llds",
			 (long long)((mk_now_ms() - s->outage_start_ms) / 1000));
	else
		mk_exitg_note(s, s->prog.status_note, sizeof s->prog.status_note);
	mk_tor_after_status(s);
	if (s->phase == PH_STOPPING && !s->final_drawn++)
		s->prog.last_plain_ms = -1; /* piped output also shows how it ended */
	if (s->job->json)
		mk_jsonout_status(stdout, s->job, &s->set, mk_now_ms() - s->job->start_ms, s->prog.status_note);
	else
		mk_progress_update_set(&s->prog, &s->set, mk_now_ms());
}

static void on_event(struct sup *s, const Meerko__EngineToBroker *m)
{
	mk_tor_on_event(s, m->event);
}

/* The only message that leads to a file write: resume_check.c keeps only
 * the keys it knows, re-encoded, in the torrent's own state file. */
static void on_resume(struct sup *s, const Meerko__EngineToBroker *m)
{
	/* the id names a torrent we added (the check), so index id - 1 exists */
	struct mk_torrent_kept *jt = &s->job->torrents[m->resume->torrent_id - 1].kept;
	char why[128];
	int r = jt->state ? mk_state_save_resume(jt->state, m->resume->data.data, m->resume->data.len,
						 why, sizeof why) : 0;
	if (r != 0)
		mk_sup_warn(s, why, jt->state->file); /* refused (resume_check.c) or not written */
	jt->resume_unsaved = r == -2;
}

static void on_shutdown_done(struct sup *s, const Meerko__EngineToBroker *m)
{
	(void)m;
	s->got_shutdown_done = 1;
}

static void on_file_list(struct sup *s, const Meerko__EngineToBroker *m)
{
	if (s->phase == PH_RUNNING)
		mk_tor_on_file_list(s, m->file_list); /* stopping: nothing more is asked of it */
}

static void on_exit_report(struct sup *s, const Meerko__EngineToBroker *m)
{
	mk_exitg_on_report(s, m->exit_report);
}

static uint32_t file_list_torrent(const Meerko__EngineToBroker *m)
{
	return m->file_list->torrent_id;
}

/* ---- The table. */

#define AFTER_READY (MK_IN(PH_RUNNING) | MK_IN(PH_STOPPING))

const struct mk_engine_rule mk_engine_surface[] = {
	{ MEERKO__ENGINE_TO_BROKER__MSG_READY, "Ready", MK_IN(PH_STARTING) | MK_IN(PH_STOPPING),
	  MK_ONCE_PER_ENGINE, NULL, mk_engine_check_ready, on_ready,
	  "only opens the run: its namespace report is verified before any torrent is added; "
	  "a stop asked before it came adds nothing" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_STATUS, "Status", AFTER_READY, MK_MANY, NULL, mk_engine_check_status,
	  on_status, "numbers bounded, text sanitised, stored in the torrent's view; the broker alone "
	  "decides done (disk check) or failed" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_EVENT, "Event", AFTER_READY, MK_MANY, NULL, mk_engine_check_event,
	  on_event, "can fail or stop only its own torrents (or, id 0, the run: the engine can always "
	  "stop the run by dying); text sanitised; the next add is the broker's own" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_RESUME, "ResumeData", AFTER_READY, MK_MANY, NULL,
	  mk_engine_check_resume, on_resume,
	  "the only file write: for a torrent added to this engine, at most 8 MiB, only the keys "
	  "resume_check.c knows, into that torrent's own state file" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE, "ShutdownDone", MK_IN(PH_STOPPING), MK_ONCE_PER_ENGINE,
	  NULL, mk_engine_check_shutdown_done, on_shutdown_done,
	  "marks the stop clean (resume data trusted next run): only as the answer to Shutdown" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST, "FileList", AFTER_READY, MK_ONCE_PER_TORRENT,
	  file_list_torrent, mk_engine_check_file_list, on_file_list,
	  "only for a torrent that asked for one; raises the engine's file size cap to the largest "
	  "wanted file (its own cap: a lie costs only disk it could fill anyway)" },
	{ MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT, "ExitReport", AFTER_READY, MK_MANY, NULL,
	  mk_engine_check_exit_report, on_exit_report,
	  "can only pause torrents or stop the run (exit_watch.c needs two independent sources to "
	  "call the exit right)" },
};
const size_t mk_engine_surface_rows = sizeof mk_engine_surface / sizeof mk_engine_surface[0];

/* ---- The dispatcher. */

const struct mk_engine_rule *mk_engine_rule_of(int msg_case)
{
	for (size_t i = 0; i < mk_engine_surface_rows; i++)
		if ((int)mk_engine_surface[i].msg == msg_case)
			return &mk_engine_surface[i];
	return NULL;
}

const char *mk_phase_name(enum mk_phase ph)
{
	static const char *const names[] = { "starting", "running", "stopping" };
	return (unsigned)ph < sizeof names / sizeof names[0] ? names[ph] : "?";
}

static uint32_t bit_of(const struct mk_engine_rule *r)
{
	return 1u << ((unsigned)r->msg & 31u);
}

/* The once-per-torrent slot of m, or NULL when its id names no torrent slot
 * (the check then refuses it). */
static const uint32_t *torrent_slot(const struct mk_engine_rule *r, const struct mk_engine_seen *seen,
				    const Meerko__EngineToBroker *m)
{
	uint32_t id = r->torrent(m);
	return id >= 1 && id <= MK_MAX_TORRENTS ? &seen->torrent[id - 1] : NULL;
}

int mk_engine_permit(const struct mk_engine_rule *r, enum mk_phase ph, const struct mk_engine_seen *seen,
		     const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	if (!(r->phases & MK_IN(ph))) {
		snprintf(why, whylen, "sent %s, unpermitted while %s", r->name, mk_phase_name(ph));
		return -1;
	}
	if (r->once == MK_ONCE_PER_ENGINE && (seen->engine & bit_of(r))) {
		snprintf(why, whylen, "sent a second %s, unpermitted (once per engine run)", r->name);
		return -1;
	}
	const uint32_t *slot = r->once == MK_ONCE_PER_TORRENT ? torrent_slot(r, seen, m) : NULL;
	if (slot && (*slot & bit_of(r))) {
		snprintf(why, whylen, "sent a second %s for torrent %u, unpermitted (once per torrent)", r->name,
			 (unsigned)r->torrent(m));
		return -1;
	}
	return 0;
}

void mk_engine_seen_note(const struct mk_engine_rule *r, struct mk_engine_seen *seen,
			 const Meerko__EngineToBroker *m)
{
	if (r->once == MK_ONCE_PER_ENGINE)
		seen->engine |= bit_of(r);
	uint32_t *slot = r->once == MK_ONCE_PER_TORRENT ? (uint32_t *)torrent_slot(r, seen, m) : NULL;
	if (slot)
		*slot |= bit_of(r);
}

int mk_engine_dispatch(struct sup *s, const Meerko__EngineToBroker *m, char *why, size_t whylen)
{
	const struct mk_engine_rule *r = mk_engine_rule_of(m->msg_case);
	if (!r) {
		snprintf(why, whylen, "protocol violation: unknown message (%d)", (int)m->msg_case);
		return -1;
	}
	if (mk_engine_permit(r, s->phase, &s->seen, m, why, whylen) != 0 ||
	    r->check(&s->set, m, why, whylen) != 0)
		return -1;
	mk_engine_seen_note(r, &s->seen, m);
	r->handle(s, m);
	return 0;
}
