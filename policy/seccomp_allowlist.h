/*
 * seccomp_allowlist.h - the engine's system-call allowlist (seccomp-bpf).
 *
 * The policy is one table in seccomp_allowlist.c: each row names a system
 * call, what happens (allow, allow if its arguments match, or fail with an
 * errno) and why. Anything not in the table kills the whole engine
 * (SCMP_ACT_KILL_PROCESS); the broker reports that as a confinement
 * violation.
 */
#ifndef MEERKO_POLICY_SECCOMP_ALLOWLIST_H
#define MEERKO_POLICY_SECCOMP_ALLOWLIST_H

#include <stddef.h>

#include "seccomp_filter.h"

/* The table, for tests and reviews. */
const struct mk_sc_rule *mk_seccomp_rules(size_t *n);

/* The extra rows an ASan+UBSan build adds for the sanitizer runtimes
 * (seccomp_sanitizer.c); *n = 0 and NULL in every other build. */
const struct mk_sc_rule *mk_seccomp_sanitizer_rules(size_t *n);

/* Builds the filter from the table and loads it for every thread of the
 * process (TSYNC). Call last: the filter forbids prctl, landlock_*,
 * seccomp itself. Returns 0, or -1 with a one-line reason in why. */
int mk_seccomp_install(char *why, size_t whylen);

/* Writes the filter as libseccomp's readable pseudo-code (PFC) to fd,
 * without loading it: for reviews and tests. Rows that name the engine's own
 * pid show MK_SC_PFC_SELF_PID instead, so the text is the same every time:
 * policy/seccomp_allowlist*.pfc hold it, and unit_seccomp_pfc fails when the
 * table changes without them (a policy change shows in review). Returns 0
 * or -1 with why. */
int mk_seccomp_export_pfc(int fd, char *why, size_t whylen);

#endif
