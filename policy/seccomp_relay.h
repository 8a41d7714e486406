/*
 * seccomp_relay.h - the proxy relay's system-call allowlist (seccomp-bpf).
 *
 * The policy is one table in seccomp_relay.c, in the row format of
 * seccomp_allowlist.c (seccomp_filter.h). Anything not in the table kills
 * the whole relay (SCMP_ACT_KILL_PROCESS); the broker sees the SIGSYS and
 * stops the run: "the proxy relay violated its confinement" (exit 7).
 */
#ifndef MEERKO_POLICY_SECCOMP_RELAY_H
#define MEERKO_POLICY_SECCOMP_RELAY_H

#include <stddef.h>

#include "seccomp_filter.h"

/* The table, for tests and reviews. */
const struct mk_sc_rule *mk_seccomp_relay_rules(size_t *n);

/* The rows an ASan+UBSan build adds for the sanitizer runtimes in the relay
 * (seccomp_sanitizer.c); *n = 0 and NULL in every other build. */
const struct mk_sc_rule *mk_seccomp_relay_sanitizer_rules(size_t *n);

/* Loads the relay's filter for every thread of the process. no_new_privs
 * must be set. Returns 0, or -1 with a one-line reason in why. */
int mk_seccomp_relay_install(char *why, size_t whylen);

/* The filter as PFC text on fd (policy/seccomp_relay*.pfc; unit_seccomp_pfc
 * compares it). Returns 0 or -1 with why. */
int mk_seccomp_relay_export_pfc(int fd, char *why, size_t whylen);

#endif
