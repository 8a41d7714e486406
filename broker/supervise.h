/*
 * supervise.h - the broker's main loop around a running engine.
 *
 * Contract: mk_supervise() configures the engine, adds every torrent that
 * has not failed yet (ids = index + 1), renders progress (or --json lines),
 * and shuts the engine down when every torrent is done (downloaded, seeding
 * goal reached), listed (--list) or failed, on a
 * run-wide error, or on SIGINT/SIGTERM. A torrent that fails (rejected,
 * file error, no metadata in time) gets one stderr line and is paused; the
 * others go on. It never blocks forever: every wait on the engine has a
 * deadline, after which the engine is killed. It returns the process exit
 * code (exitcodes.h): a run-wide error's, else the first torrent failure's,
 * else 0.
 */
#ifndef MEERKO_BROKER_SUPERVISE_H
#define MEERKO_BROKER_SUPERVISE_H

#include <stdbool.h>

#include "config.h"
#include "disk_check.h"
#include "exit_guard.h"
#include "input.h"
#include "proxy.h"
#include "spawn.h"
#include "state.h"
#include "torrent.h"

struct mk_job {
	const struct mk_config *cfg;
	struct mk_torrent *torrents;    /* index = id - 1 (torrent.h) */
	size_t n_torrents;              /* 1..MK_MAX_TORRENTS */
	int first_failure;              /* in/out: exit code of the first torrent that failed */
	int json;                       /* --json: JSON lines on stdout, no human progress */
	int64_t start_ms;               /* run start (CLOCK_MONOTONIC ms), for --json times */
	const char *save_path;          /* absolute, as the broker sees it */
	const char *engine_save_path;   /* the same dir as the engine sees it (/data when sandboxed) */
	bool sandboxed;                 /* the engine must report namespaces of its own */
	bool userns;                    /* ... a user namespace among them */
	bool offline;                   /* --list of .torrent files only: no session, no relay, no proxy */
	struct mk_proxy engine_proxy;   /* what the engine dials: the relay, without
	                                 * credentials (sandboxed), or the proxy (proxy.h) */
	int sigfd;                      /* signalfd for SIGINT/SIGTERM */
	int relay_status_fd;            /* relay's "UP"/"DOWN why"/"TOOMANY cap" lines, or -1 */
	int relay_conn_cap;             /* the relay's connection cap (relay.h), 0 = no relay */
	int clean_stop;                 /* out: ShutdownDone received, resume data flushed */
	int64_t outage_start_ms;        /* in/out: proxy down since (0 = up), kept across restarts */
	int outages;                    /* in/out: "proxy down" seen this run (said at the end) */
	int64_t outage_ms;              /* in/out: ... and their total length */
	int crashed;                    /* out: the engine died or broke the rules (restartable) */
	int relay_died;                 /* out: the relay's status pipe closed while the engine ran
	                                 * (the engine was stopped; restartable, see main.c) */
	struct mk_exit_guard exit_guard; /* in/out: the exit the swarm sees, kept across restarts */
};

int mk_supervise(struct mk_job *job, struct mk_engine_proc *eng);

#endif
