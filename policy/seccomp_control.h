/*
 * seccomp_control.h - meerko-control's system-call allowlist (seccomp-bpf).
 *
 * One table in seccomp_control.c, in the row format of seccomp_allowlist.c
 * (seccomp_rows.h). Anything not in it kills meerko-control
 * (SCMP_ACT_KILL_PROCESS).
 */
#ifndef MEERKO_POLICY_SECCOMP_CONTROL_H
#define MEERKO_POLICY_SECCOMP_CONTROL_H

#include <stddef.h>

#include "seccomp_allowlist.h"

/* The table, for tests and reviews (sanitizer rows not included). */
const struct mk_sc_rule *mk_seccomp_control_rules(size_t *n);

/* The extra rows of ASan builds (seccomp_sanitizer.c); none otherwise. */
const struct mk_sc_rule *mk_seccomp_control_sanitizer_rules(size_t *n);

/* Builds and loads the filter (TSYNC). 0, or -1 with why. */
int mk_seccomp_control_install(char *why, size_t whylen);

/* The filter as PFC text on fd, the own-pid rows as MK_SC_PFC_SELF_PID. */
int mk_seccomp_control_export_pfc(int fd, char *why, size_t whylen);

#endif
