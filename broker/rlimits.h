/*
 * rlimits.h - the confined engine's resource limits, decided by the broker.
 *
 * Contract: mk_limits_plan() fills one struct mk_engine_limits per engine
 * start from the table in rlimits.c (one row per limit, each with its value
 * and why). The engine applies them to itself with setrlimit() after exec,
 * before seccomp forbids setrlimit (engine_confine.c, arguments --max-tasks,
 * --max-data, --max-fsize). Only RLIMIT_FSIZE changes later:
 * mk_limits_raise_fsize() lifts its soft limit with prlimit(2) on the
 * engine's pid once the broker knows the largest file the engine must write
 * (from its validated FileList), before the engine may write a byte of it.
 * The engine cannot raise any limit itself (no capability; seccomp lets
 * prlimit64 only read).
 */
#ifndef MEERKO_BROKER_LIMITS_H
#define MEERKO_BROKER_LIMITS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"
#include "sandbox.h"
#include "spawn.h"

#define MK_ENGINE_MAX_TASKS 64          /* engine threads (its own user namespace) */
#define MK_ENGINE_MEMORY_MB_DEFAULT 1024 /* [sandbox] engine_memory_mb */
/* Bytes, until a FileList says more. Not 0: RLIMIT_FSIZE also applies to the
 * engine's stderr when that is a file (2>log: a sanitizer report, a fatal
 * line); libtorrent writes nothing before the FileList anyway. */
#define MK_ENGINE_FSIZE_START (16ull << 20)
#define MK_PARTFILE_SLACK (256ull << 20) /* part file beyond the torrent's size */

/* struct mk_engine_limits: launch/spawn.h (the launch code passes them). */

/* relay_threads: the most threads the relay can run (root mode only: the
 * relay then runs as the engine's uid and shares its count). */
void mk_limits_plan(struct mk_engine_limits *l, const struct mk_sandbox *sb, int memory_mb,
		    int relay_threads);

/* Tasks (threads) whose real uid is uid, machine-wide (/proc). */
uint64_t mk_limits_count_tasks(uid_t uid);

/* The RLIMIT_FSIZE one torrent needs: its largest wanted file, or, when
 * want leaves files out, its whole size plus MK_PARTFILE_SLACK (libtorrent
 * keeps the unwanted parts of shared pieces in one part file). want NULL =
 * every file. Saturates instead of overflowing. */
uint64_t mk_limits_fsize_for(const Meerko__FileList *fl, const bool *want);

/* Sets the engine's soft RLIMIT_FSIZE to bytes (never lowers it). As root
 * the broker may lack CAP_SYS_RESOURCE (containers), which prlimit(2) of
 * another uid's process needs: a forked child that takes the engine's
 * uid/gid does it then (same ids need no capability), and exits. 0, or -1
 * with err. */
int mk_limits_raise_fsize(const struct mk_engine_proc *eng, uint64_t bytes, char *err, size_t errlen);

#endif
