/*
 * control_confine.c - self-confinement of meerko-control after exec.
 *
 * Contract: mk_ctl_confine_early() returns 0 only with layers a-d in place
 * (Landlock excepted on a kernel without it: reported, not fatal, seccomp
 * still holds); mk_ctl_confine_seccomp() adds e. On any error the process
 * exits: it never serves half-confined. Both run single-threaded (MHD runs
 * in this thread, external polling: no thread is ever made).
 *   a. close_range(MK_CONTROL_LISTEN_FD + 1, ~0): no inherited descriptor
 *      beyond the two it is given (main does it first, before reading).
 *   b. capabilities: the effective, permitted and inheritable sets and the
 *      ambient set are cleared (the broker spawns it without any; the
 *      bounding set is the broker's to empty, and no_new_privs + seccomp
 *      leave no way to use it: no execve).
 *   c. no_new_privs, dumpable 0 (its memory holds the RPC password: no
 *      ptrace, no /proc/PID/mem for the same uid), RLIMIT_CORE 0,
 *      RLIMIT_DATA 256 MiB (json-c builds one object per JSON value: a
 *      10 MiB body of "[1,1,...]" must fail an allocation, not eat the
 *      machine; sanitizer builds skip it: their shadow memory exceeds it),
 *      RLIMIT_NOFILE = the connection limit + 16 (stdio, the two given
 *      descriptors, epoll, MHD's own).
 *   d. Landlock: every filesystem access right the kernel knows is handled
 *      and no rule grants any: no file can be opened, made or removed. ABI
 *      >= 4: no TCP bind or connect either; ABI >= 6: no signals to and no
 *      abstract UNIX sockets of processes outside the domain.
 *   e. seccomp: policy/seccomp_control.c, default kill, loaded last (it
 *      forbids prctl, landlock_* and setrlimit used above).
 */
#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>

#include "control_confine.h"
#include "landlock_rules.h"
#include "seccomp_control.h"

#define CONTROL_MAX_DATA (256ull << 20)
/* Descriptors beyond the connections: stdio, the two given, epoll, and
 * what libmicrohttpd keeps for itself. */
#define CONTROL_SPARE_FILES 16

static char landlock_state[96] = "landlock: not tried";

const char *mk_ctl_landlock_state(void)
{
	return landlock_state;
}

static int fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(errno));
	return -1;
}

static int drop_capabilities(char *why, size_t whylen)
{
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		snprintf(why, whylen, "capng_apply: cannot clear the capability sets");
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(why, whylen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	if (capng_get_caps_process() != 0 || capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		snprintf(why, whylen, "a capability is still effective, permitted or inheritable");
		return -1;
	}
	return 0;
}

static int limit(int resource, rlim_t v, const char *name, char *why, size_t whylen)
{
	struct rlimit r = { v, v };
	if (setrlimit(resource, &r) != 0)
		return fail(why, whylen, name);
	return 0;
}

static int lock_privileges(unsigned max_connections, char *why, size_t whylen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_DUMPABLE)");
	if (limit(RLIMIT_CORE, 0, "setrlimit(RLIMIT_CORE)", why, whylen) != 0 ||
	    limit(RLIMIT_NOFILE, max_connections + CONTROL_SPARE_FILES, "setrlimit(RLIMIT_NOFILE)",
		  why, whylen) != 0)
		return -1;
#ifndef MEERKO_SANITIZE
	if (limit(RLIMIT_DATA, CONTROL_MAX_DATA, "setrlimit(RLIMIT_DATA)", why, whylen) != 0)
		return -1;
#endif
	return 0;
}

/* struct landlock_ruleset_attr as of ABI 6 (older kernels accept it while
 * the fields they do not know are zero). */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static struct ruleset_attr deny_all(int abi)
{
	struct ruleset_attr a = { (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1, 0, 0 }; /* ABI 1 */
	if (abi >= 2)
		a.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		a.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		a.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi >= 4)
		a.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 6)
		a.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	return a;
}

static size_t attr_size(int abi)
{
	return abi >= 6 ? sizeof(struct ruleset_attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
}

/* A ruleset without a single rule: everything it handles is denied. */
static int apply_landlock(char *why, size_t whylen)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		snprintf(landlock_state, sizeof landlock_state, "landlock: not available (%s)",
			 strerror(errno));
		return 0;
	}
	struct ruleset_attr a = deny_all((int)abi);
	long fd = syscall(SYS_landlock_create_ruleset, &a, attr_size((int)abi), 0);
	if (fd < 0)
		return fail(why, whylen, "landlock_create_ruleset");
	long rc = syscall(SYS_landlock_restrict_self, (int)fd, 0);
	close((int)fd);
	if (rc != 0)
		return fail(why, whylen, "landlock_restrict_self");
	snprintf(landlock_state, sizeof landlock_state, "landlock: ABI %ld, no file access", abi);
	return 0;
}

int mk_ctl_confine_early(unsigned max_connections, char *why, size_t whylen)
{
	if (drop_capabilities(why, whylen) != 0 || lock_privileges(max_connections, why, whylen) != 0)
		return -1;
	return apply_landlock(why, whylen);
}

int mk_ctl_confine_seccomp(char *why, size_t whylen)
{
	return mk_seccomp_control_install(why, whylen);
}
