/*
 * supervise.h - the broker's main loop around a running engine.
 *
 * Contract: mk_supervise() configures the engine, adds the torrent, renders
 * progress, and shuts the engine down when the download is complete, on an
 * error, or on SIGINT/SIGTERM. It never blocks forever: every wait on the
 * engine has a deadline, after which the engine is killed. It returns the
 * process exit code (exitcodes.h) and has printed at most one error line.
 */
#ifndef MEERKO_BROKER_SUPERVISE_H
#define MEERKO_BROKER_SUPERVISE_H

#include "config.h"
#include "input.h"
#include "spawn.h"
#include "state.h"

struct mk_job {
	const struct mk_config *cfg;
	const struct mk_input *input;
	const char *save_path;          /* absolute */
	const char *engine_proxy_host;  /* what the engine dials (proxy or relay) */
	uint16_t engine_proxy_port;
	int proxy_type;                 /* Meerko__ProxyType */
	const char *engine_proxy_user;
	const char *engine_proxy_password;
	int sigfd;                      /* signalfd for SIGINT/SIGTERM */
	int relay_status_fd;            /* relay's "UP"/"DOWN why" lines, or -1 */
	const struct mk_state *state;   /* where resume data is saved, or NULL */
	int trust_resume;               /* load saved resume data (last stop was clean) */
	int clean_stop;                 /* out: ShutdownDone received, resume data flushed */
	int64_t outage_start_ms;        /* in/out: proxy down since (0 = up), kept across restarts */
	int crashed;                    /* out: the engine died or broke the rules (restartable) */
	uint64_t downloaded;            /* out: payload bytes the engine fetched this run */
};

int mk_supervise(struct mk_job *job, struct mk_engine_proc *eng);

#endif
