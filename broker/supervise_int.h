/*
 * supervise_int.h - state of one engine run, shared by supervise.c (loop,
 * signals, relay, deadlines), engine_surface.c (the engine's messages),
 * engine_ctl.c (what is sent to the engine), torrents.c (what happens to
 * each torrent) and exit_guard.c. Internal to those files. Only state: the
 * functions are declared by the file that has them (engine_ctl.h,
 * engine_surface.h, torrents.h, exit_guard.h); none calls a file above it,
 * so no two of these call each other in a circle. Each torrent's own state
 * is in its record (torrent.h), job->torrents[id - 1]; `set` lists the
 * views (their `said` parts) of the torrents added to this engine.
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
	struct mk_torrent_set set;  /* torrents added to this engine (their `said`) */
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
};

#endif
