/*
 * engine_confine.h - confinement the engine applies to itself right after
 * exec, before it reads a single byte that came from the network.
 *
 * Contract: the broker's launch code (launch/spawn.c, launch/sandbox.c)
 * already put the engine in its namespaces and root, as an unprivileged
 * uid, with an empty environment and only fds 0-2 and MK_ENGINE_FD
 * (ipc/contract.h). mk_engine_confine() adds what only the process itself
 * can: its resource limits, no capabilities, no_new_privs, Landlock, and
 * last the seccomp allowlist (policy/seccomp_allowlist.c); the Ready
 * message reports each layer (mk_confine_report).
 */
#ifndef MEERKO_ENGINE_CONFINE_H
#define MEERKO_ENGINE_CONFINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h" /* MK_RELAY_INSIDE_PORT: the relay's port unless --relay-port */

#define MK_MAX_WRITE_DIRS 4

/* What the broker put on the engine's command line (trusted). */
struct mk_confine_opts {
	bool unconfined;                       /* --unconfined: sandbox off (bench/debug) */
	const char *write_dirs[MK_MAX_WRITE_DIRS]; /* --write-dir DIR (save dir, state dir) */
	size_t n_write_dirs;
	uint16_t relay_port;                   /* --relay-port N: the only TCP port the
						* engine may connect to (Landlock ABI >= 4) */
	/* Resource limits (broker/rlimits.c decides them; required when confined). */
	uint64_t max_tasks;                    /* --max-tasks N: RLIMIT_NPROC */
	uint64_t max_data;                     /* --max-data BYTES: RLIMIT_DATA */
	uint64_t max_fsize;                    /* --max-fsize BYTES: RLIMIT_FSIZE (soft) */
	bool has_limits;                       /* all three were given */
};

/* What mk_engine_confine() turned on; 1 = active, 0 = not. Maps 1:1 onto
 * the Ready message (ipc/meerko.proto). */
struct mk_confine_report {
	int confined;          /* 0 only with --unconfined */
	int caps;              /* no capability in any set, bounding set empty */
	int nnp;               /* PR_SET_NO_NEW_PRIVS */
	int landlock;          /* a Landlock domain is enforced */
	int landlock_abi;      /* kernel's Landlock ABI, 0 = none */
	int seccomp;           /* the allowlist is loaded and kills (not audit mode) */
	char landlock_why[128]; /* why Landlock is off, or what this ABI lacks */
	struct mk_ns_ids {      /* inode of /proc/self/ns/NAME, 0 = unreadable */
		uint64_t net, mnt, pid, uts, ipc, user;
	} ns;
	int own_pid;           /* getpid(): 2 in its own PID namespace, under the sandbox's init */
};

/* Parses argv. Returns 0 or -1 with why. */
int mk_confine_parse_args(struct mk_confine_opts *o, int argc, char **argv, char *why, size_t whylen);

/* Applies every layer the options ask for. Returns 0, or -1 with a one-line
 * reason in why (the engine then exits: never run half-confined). A kernel
 * without Landlock is not an error: the report says so. */
int mk_engine_confine(const struct mk_confine_opts *o, char *why, size_t whylen);

/* What the last mk_engine_confine() achieved (all zero before it ran). */
void mk_confine_report(struct mk_confine_report *out);

#endif
