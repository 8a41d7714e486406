/*
 * control_confine.h - meerko-control confines itself (control_confine.c).
 */
#ifndef MEERKO_CONTROL_CONFINE_H
#define MEERKO_CONTROL_CONFINE_H

#include <stddef.h>

/* Steps a-d of control_confine.c: fds, capabilities, no_new_privs,
 * non-dumpable, limits (RLIMIT_NOFILE from max_connections), Landlock.
 * 0, or -1 with why. */
int mk_ctl_confine_early(unsigned max_connections, char *why, size_t whylen);

/* Step e: the seccomp table (policy/seccomp_control.c). Last. */
int mk_ctl_confine_seccomp(char *why, size_t whylen);

/* "landlock: ABI N" or why it is not in place; set by confine_early. */
const char *mk_ctl_landlock_state(void);

#endif
