/*
 * seccomp_filter.h - the row format of every seccomp table, and the one
 * builder that turns a table into a filter (seccomp_filter.c).
 *
 * Contract: a table is rows (struct mk_sc_rule: a call, allow / allow if /
 * fail with an errno, and why; written with seccomp_rows.h's macros) plus
 * the extra rows of a sanitizer build. Anything no row lets through kills
 * the whole process. Tables: seccomp_allowlist.c (meerko-engine, after
 * exec) and seccomp_relay.c (the proxy relay, where it starts).
 */
#ifndef MEERKO_POLICY_SECCOMP_FILTER_H
#define MEERKO_POLICY_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mk_sc_action {
	MK_SC_ALLOW, /* the call goes through */
	MK_SC_ERRNO, /* the call fails with `err`; the kernel never sees it */
};

/* One argument test: (args[arg] & mask) == value. arg < 0: no test.
 * self_pid: value is the engine's own pid, filled in at install time. */
struct mk_sc_arg {
	int arg;
	uint64_t mask;
	uint64_t value;
	bool self_pid;
};

#define MK_SC_MAX_COND 3

struct mk_sc_rule {
	const char *name;          /* as in the kernel's syscall table */
	int nr;                    /* SCMP_SYS(name): < 0 if the arch lacks it */
	enum mk_sc_action action;
	int err;                   /* MK_SC_ERRNO only */
	struct mk_sc_arg cond[MK_SC_MAX_COND]; /* all must hold */
	const char *why;
};

/* One process's filter: its rows, then the sanitizer runtimes' rows
 * (none outside MEERKO_SANITIZE builds). name says whose, in messages. */
struct mk_sc_table {
	const char *name;
	const struct mk_sc_rule *rows;
	size_t n;
	const struct mk_sc_rule *extra;
	size_t n_extra;
};

/* True unless built with MEERKO_SECCOMP_AUDIT (a violation is named on
 * stderr, then the process exits 159: a development aid, never shipped). */
bool mk_seccomp_enforcing(void);

/* Checks the table, builds the filter and loads it for every thread of the
 * process (TSYNC; no_new_privs must be set). Returns 0, or -1 with a
 * one-line reason in why. */
int mk_sc_filter_install(const struct mk_sc_table *t, char *why, size_t whylen);

/* The same filter as libseccomp's readable pseudo-code (PFC) on fd, not
 * loaded; rows naming the process's own pid show MK_SC_PFC_SELF_PID, so the
 * text is the same every time. Returns 0 or -1 with why. */
#define MK_SC_PFC_SELF_PID 0u /* no process has pid 0 */
int mk_sc_filter_export_pfc(const struct mk_sc_table *t, int fd, char *why, size_t whylen);

#endif
