/*
 * torrent.h - one record per torrent of the run (struct mk_torrent).
 *
 * Contract: the job holds an array of these, index = torrent id - 1. Each
 * has three parts:
 *   kept    what survives an engine restart: the input, its state file, the
 *           broker's verdicts (failed, complete, listed), bytes fetched,
 *           the disk check's files and rechecks, the last name;
 *   said    what the engine running now last said about it, validated and
 *           sanitised (engine_msg.c), reset when that engine starts;
 *   timers  this engine run's clocks and one-shot state: the magnet's
 *           metadata wait, the stall watch, a pending recheck, whether its
 *           AddTorrent carried saved resume data; reset with `said`.
 * The engine can write only `said`, and only through engine_msg.c.
 */
#ifndef MEERKO_BROKER_TORRENT_H
#define MEERKO_BROKER_TORRENT_H

#include <stdbool.h>
#include <stdint.h>

#include "disk_check.h"
#include "engine_msg.h"
#include "input.h"
#include "stall.h"
#include "state.h"

struct mk_torrent_kept {
	const struct mk_input *input;
	const struct mk_state *state;   /* where its resume data is saved, or NULL */
	int trust_resume;               /* load saved resume data (its last stop was clean) */
	int failed;                     /* exit code of its failure, 0 = none */
	int complete;                   /* downloaded and verified, seeding goal reached */
	int listed;                     /* --list printed its files (it is not added again) */
	uint64_t downloaded;            /* payload bytes fetched this run */
	struct mk_disk_files disk;      /* its wanted files, checked before done (disk_check.h) */
	int rechecks;                   /* forced rechecks after a failed disk check (bounded) */
	int resume_unsaved;             /* its last resume data could not be written: its
	                                 * stop is not clean (the marker stays, a rerun verifies) */
	char name[256];                 /* last name the engine gave (sanitised) */
};

struct mk_torrent_timers {
	int resume_sent;                /* AddTorrent carried saved resume data: 1, none: 0, refused: -1 */
	int64_t meta_wait_ms;           /* magnet waiting for metadata since, 0 = has it */
	struct mk_stall stall;          /* no data since (stall.h) */
	bool recheck_pending;           /* one was asked for; the engine has not begun it yet */
	int64_t recheck_sent_ms;
	int64_t disk_bad_since_ms;      /* the disk check first failed at, 0 = it did not */
};

struct mk_torrent {
	struct mk_torrent_kept kept;
	struct mk_torrent_view said;
	struct mk_torrent_timers timers;
};

#endif
