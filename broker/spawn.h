/*
 * spawn.h - starting meerko-engine.
 *
 * Contract: mk_engine_spawn() creates a socketpair, forks, and execs the
 * engine binary with its end of the pair as fd MK_ENGINE_FD, /dev/null as
 * stdin, the broker's stderr, no other descriptor and an empty environment.
 * The parent gets the pid and its end (CLOEXEC). Errors: -1 and one line.
 * With a sandbox, the child first enters it (sandbox.h) and the parent
 * waits for its report: a sandbox that cannot be built is an error, never a
 * reason to run without it.
 */
#ifndef MEERKO_BROKER_SPAWN_H
#define MEERKO_BROKER_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

struct mk_engine_proc {
	pid_t pid;
	int fd;
	int relay_listen_fd;     /* sandbox on: the listener inside the engine's netns */
	int relay_udp_fd;        /* sandbox on: the relay's UDP socket in there */
	uid_t uid;               /* who the engine runs as (sandbox on; else ours) */
	gid_t gid;
};

/* Finds meerko-engine: beside this executable (build tree, relocatable
 * installs), else the configured libexec directory. */
int mk_engine_path(char *out, size_t outlen, char *err, size_t errlen);

/* sb == NULL or !sb->enabled: no namespace, engine started --unconfined
 * (bench/debug only), lim unused. Otherwise the child enters the sandbox
 * before exec and the engine is told which dir it may write (--write-dir)
 * and its resource limits (lim, rlimits.h: --max-tasks, --max-data,
 * --max-fsize). */
struct mk_engine_limits;
int mk_engine_spawn(const char *path, const struct mk_sandbox *sb, const struct mk_engine_limits *lim,
		    struct mk_engine_proc *p, char *err, size_t errlen);

/* Describes how a child ended ("exited with status 2", "killed by SIGSYS
 * (bad system call: confinement violation)"). */
void mk_describe_exit(int wstatus, char *out, size_t outlen);

#endif
