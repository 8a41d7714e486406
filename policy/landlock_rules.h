/*
 * landlock_rules.h - the engine's Landlock policy as data (the engine
 * applies it: engine/engine_confine.c, step d), beside the seccomp table.
 *
 * Contract: the engine may read below each mk_landlock_read_only() row and
 * write (create, remove, truncate, rename within) below each of its write
 * dirs only; nothing else on the filesystem opens. Access bits a kernel does
 * not know are masked off by the engine (ABI 1..6). mk_landlock_never()
 * lists what is left out on purpose, with the reason; a unit test checks that
 * no read-only row reaches any of them.
 */
#ifndef MEERKO_POLICY_LANDLOCK_RULES_H
#define MEERKO_POLICY_LANDLOCK_RULES_H

#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>

/* Landlock ABI 3-6 names; Debian 12's headers (6.1) stop at ABI 2. The
 * values are kernel ABI and never change. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#define MK_LANDLOCK_RULE_NET_PORT 2 /* enum landlock_rule_type, ABI 4 */

#define MK_LL_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* The write dirs: no EXECUTE (the engine runs no program), no MAKE_SYM (a
 * torrent's symlink could point anywhere), no sockets, FIFOs or device
 * nodes. */
#define MK_LL_FS_WRITE (MK_LL_FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
			LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                 \
			LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER |                       \
			LANDLOCK_ACCESS_FS_TRUNCATE)

/* One row: below path, access (a path that does not exist is skipped). */
struct mk_ll_rule {
	const char *path;
	uint64_t access;
	const char *why;
};

/* A path no rule may reach, and why. */
struct mk_ll_never {
	const char *path;
	const char *why;
};

const struct mk_ll_rule *mk_landlock_read_only(size_t *n);
const struct mk_ll_never *mk_landlock_never(size_t *n);

#endif
