/*
 * userns_diag.h - why an ordinary user cannot get the sandbox's user
 * namespace, named as the one setting that blocks it and how to change it.
 *
 * Contract: mk_userns_diagnose() is pure: it takes the values of the three
 * settings that can forbid unprivileged user namespaces (-1 = the file does
 * not exist on this kernel), whether Meerko's AppArmor profile confines this
 * process, and the errno of the failed step (0 = unknown), and writes one
 * line naming the blocking setting, or returns 0 when none of them explains
 * the failure. mk_userns_read() fills the inputs from /proc (the same values
 * in the broker as in its forked sandbox child).
 */
#ifndef MEERKO_BROKER_USERNS_DIAG_H
#define MEERKO_BROKER_USERNS_DIAG_H

#include <stdbool.h>
#include <stddef.h>

struct mk_userns_settings {
	long apparmor_restrict;   /* /proc/sys/kernel/apparmor_restrict_unprivileged_userns */
	long userns_clone;        /* /proc/sys/kernel/unprivileged_userns_clone (Debian kernels) */
	long max_user_namespaces; /* /proc/sys/user/max_user_namespaces */
	bool profile_active;      /* this process runs under the meerko-secure AppArmor profile */
};

/* Reads the settings of this machine (and user namespace) from /proc. */
void mk_userns_read(struct mk_userns_settings *s);

/* Returns 1 with the line in out, or 0 (out = "") when no setting explains it. */
int mk_userns_diagnose(const struct mk_userns_settings *s, int err, char *out, size_t outlen);

/* Appends "; " + the diagnosis of this machine's settings to the one-line
 * message in msg (when a setting explains it). */
void mk_userns_explain(char *msg, size_t msglen);

#endif
