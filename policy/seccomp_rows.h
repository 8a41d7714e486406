/*
 * seccomp_rows.h - the row and condition macros of the seccomp tables
 * (seccomp_allowlist.c, seccomp_relay.c, seccomp_sanitizer.c). Private to policy/.
 * How to read a row: see the comment at the top of seccomp_allowlist.c.
 */
#ifndef MEERKO_POLICY_SECCOMP_ROWS_H
#define MEERKO_POLICY_SECCOMP_ROWS_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "seccomp_filter.h"

#define LOW32 0xffffffffULL
#define NO_ARG { -1, 0, 0, false }
#define ARG_EQ(n, v) { (n), LOW32, (uint64_t)(v), false }
#define ARG_BITS(n, m, v) { (n), (uint64_t)(m), (uint64_t)(v), false }
#define ARG_SELF_PID(n) { (n), LOW32, 0, true }
/* socket()'s type argument without the two flags it may carry. */
#define ARG_SOCK_TYPE(n, t) ARG_BITS((n), LOW32 & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), (t))

/* Written out one by one: forwarding a braced condition through another
 * macro would split it at its commas. */
#define ALLOW(sc, why) { #sc, SCMP_SYS(sc), MK_SC_ALLOW, 0, { NO_ARG, NO_ARG, NO_ARG }, why }
#define ALLOW_IF(sc, c1, why) { #sc, SCMP_SYS(sc), MK_SC_ALLOW, 0, { c1, NO_ARG, NO_ARG }, why }
#define ALLOW_IF2(sc, c1, c2, why) { #sc, SCMP_SYS(sc), MK_SC_ALLOW, 0, { c1, c2, NO_ARG }, why }
#define ALLOW_IF3(sc, c1, c2, c3, why) { #sc, SCMP_SYS(sc), MK_SC_ALLOW, 0, { c1, c2, c3 }, why }
#define ERRNO(sc, e, why) { #sc, SCMP_SYS(sc), MK_SC_ERRNO, e, { NO_ARG, NO_ARG, NO_ARG }, why }
#define ERRNO_IF(sc, e, c1, why) { #sc, SCMP_SYS(sc), MK_SC_ERRNO, e, { c1, NO_ARG, NO_ARG }, why }

#endif
