/*
 * supervise_int.h - state of one engine run, shared by supervise.c (loop,
 * signals, relay, deadlines), engine_surface.c (the engine's messages),
 * engine_ctl.c (what is sent to the engine), torrents.c (what happens to
 * each torrent) and exit_guard.c. Internal to those files.
 */
#ifndef MEERKO_BROKER_SUPERVISE_INT_H
#define MEERKO_BROKER_SUPERVISE_INT_H

#include <stdint.h>
#include "engine_ctl.h"
#include "engine_msg.h"
#include "engine_stderr.h"
#include "engine_surface.h"
#include "ipc.h"
#include "progress.h"
#include "stall.h"
#include "supervise.h"

struct sup {
	struct mk_job *job;
	struct mk_engine_proc *eng;
	struct mk_torrent_set set;
	struct mk_progress prog;
	struct mk_estderr estderr;  /* the engine's stderr lines (engine_stderr.h) */
	int estderr_eof;            /* its pipe is at end of file */
	enum mk_phase phase;
	struct mk_engine_seen seen; /* once-only messages this engine has sent */
	int exit_code;              /* decided when stopping starts */
	char error[512];            /* printed once at the end, if set */
	int64_t phase_start_ms, last_msg_ms;
	int warnings;
	int got_shutdown_done;
	int sigints;
	int relay_gone;             /* its status pipe closed: not polled any more */
	int relay_died;             /* ... while the run was still going (restart) */
	int user_stop;              /* stopping because of a signal */
	int64_t next_resume_ms;
	int64_t outage_start_ms;    /* 0 = proxy up */
	int paused_for_outage;
	int final_drawn;            /* the last progress block was forced out */
	int toomany_said;           /* the relay's "TOOMANY" was reported */
	uint64_t fsize_limit;       /* the engine's RLIMIT_FSIZE as the broker last set it */
	/* per job torrent (index = id - 1) */
	int resume_sent[MK_MAX_TORRENTS];   /* AddTorrent carried saved resume data: 1, none: 0, refused: -1 */
	int64_t meta_wait_ms[MK_MAX_TORRENTS]; /* magnet waiting for metadata since, 0 = has it */
	struct mk_stall stall[MK_MAX_TORRENTS]; /* no data since (stall.h) */
};

/* torrents.c */
void mk_tor_add_all(struct sup *s);                     /* on Ready */
void mk_tor_on_event(struct sup *s, const Meerko__Event *ev);
void mk_tor_on_file_list(struct sup *s, const Meerko__FileList *fl); /* --list / --files */
void mk_tor_after_status(struct sup *s);                /* verdicts; stop when all are settled */
void mk_tor_check_deadlines(struct sup *s, int64_t now); /* metadata timeouts */
void mk_tor_check_stalls(struct sup *s, int64_t now);   /* stall notices and stall_timeout */
void mk_tor_proxy_back(struct sup *s, int64_t now);     /* restart metadata clocks */
void mk_tor_finish(struct sup *s);                      /* copy results into the job */

/* exit_guard.c (exit_guard.h) */
void mk_exitg_on_report(struct sup *s, const Meerko__ExitReport *r);
void mk_exitg_tick(struct sup *s, int64_t now);         /* probes while paused for the exit */
bool mk_exitg_holds(struct sup *s);                     /* torrents must stay paused */
void mk_exitg_engine_started(struct sup *s);            /* on Ready, after the adds */
void mk_exitg_note(struct sup *s, char *buf, size_t len); /* "exit 203.0.113.7 (2 peers)" */

#endif
