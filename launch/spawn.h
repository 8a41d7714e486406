/*
 * spawn.h - starting meerko-engine.
 *
 * Contract: mk_engine_spawn() creates a socketpair, forks, and execs the
 * engine binary with its end of the pair as fd MK_ENGINE_FD, /dev/null as
 * stdin and stdout, a pipe as stderr, no other descriptor and an empty
 * environment: the engine never holds a terminal. The parent gets the pid,
 * its end of the pair (CLOEXEC) and the pipe's read end (CLOEXEC,
 * non-blocking; read it with engine_stderr.h). Errors: -1 and one line.
 * With a sandbox, the child first enters it (sandbox.h) and the parent
 * waits for its report: a sandbox that cannot be built is an error, never a
 * reason to run without it.
 */
#ifndef MEERKO_LAUNCH_SPAWN_H
#define MEERKO_LAUNCH_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* The engine's resource limits, decided by broker/rlimits.c and passed on
 * its command line (--max-tasks, --max-data, --max-fsize). */
struct mk_engine_limits {
	uint64_t tasks;      /* RLIMIT_NPROC, soft = hard */
	uint64_t data_bytes; /* RLIMIT_DATA, soft = hard */
	uint64_t fsize;      /* RLIMIT_FSIZE soft; the hard limit stays (broker/rlimits.h) */
};

struct mk_engine_proc {
	pid_t pid;               /* the engine, or with the sandbox its namespace's init */
	int via_init;            /* pid is the init: its exit status wraps the engine's */
	int fd;
	int stderr_fd;           /* read end of the engine's stderr (engine_stderr.h) */
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

/* The engine's pid in the broker's namespace: p->pid, or with the sandbox
 * the init's one child (read from /proc; -1 when it is not there). For
 * prlimit(2) and anything else that must reach the engine itself. */
pid_t mk_engine_pid(const struct mk_engine_proc *p);

/* The engine's own wait status from what waitpid(p->pid) returned. */
int mk_engine_status(const struct mk_engine_proc *p, int wstatus);

/* Waits up to wait_ms for child pid to end, then SIGKILLs it and waits for
 * good: the one bounded reap of the broker's children (engine, relay,
 * sandbox check). Returns waitpid's result (pid, or -1), *ws its status. */
pid_t mk_reap_bounded(pid_t pid, int wait_ms, int *ws);

/* Describes how a child ended ("exited with status 2", "killed by SIGSYS
 * (bad system call: confinement violation)"). */
void mk_describe_exit(int wstatus, char *out, size_t outlen);

#endif
