/*
 * engine_confine.c - self-confinement of meerko-engine after exec.
 *
 * Contract: mk_engine_confine() returns 0 only with every layer below in
 * place, Landlock excepted on kernels without it (reported through
 * mk_confine_report(), not fatal: the network namespace and seccomp still
 * hold). On any error it returns -1 and the engine exits: it never runs
 * half-confined. It must run before the engine has a second thread.
 *
 * Layers, in this order, and why this order:
 *   a. close_range(4, ~0)    libtorrent 2.0.8 does not open O_CLOEXEC, and no
 *                            inherited descriptor may outlive the layers below
 *                            (an fd opened before Landlock escapes Landlock).
 *                            Then no fd 0..MK_ENGINE_FD may be a terminal
 *                            (isatty: ioctl, forbidden by seccomp later): on
 *                            a tty the engine could read keystrokes and
 *                            write escapes. The broker gives it /dev/null and
 *                            a pipe (launch/spawn.c); anything else is a
 *                            regression, and we refuse to run.
 *   b. capabilities          clear effective/permitted/inheritable/ambient (the
 *                            broker already did), then verify every set and
 *                            the bounding set are empty. Emptying the bounding
 *                            set needs CAP_SETPCAP, which only the broker had
 *                            before exec: if it is not empty we refuse to run.
 *   c. no_new_privs, dumpable 0, RLIMIT_CORE 0
 *                            no_new_privs lets an unprivileged process install
 *                            Landlock and seccomp and stops setuid binaries;
 *                            memory may hold a proxy password, so no core
 *                            dumps and no same-uid ptrace or /proc/PID/mem.
 *   c2. resource limits      RLIMIT_NPROC and RLIMIT_DATA (soft = hard: final),
 *                            RLIMIT_FSIZE soft only (the broker raises it with
 *                            prlimit once it knows the largest file; seccomp
 *                            keeps the engine from raising it itself). Values
 *                            and reasons: broker/rlimits.c. Sanitizer builds
 *                            skip RLIMIT_DATA (the shadow memory exceeds it).
 *   d. Landlock              read-write below each --write-dir only; read-only
 *                            system libraries, CA certificates, CPU info; no
 *                            $HOME, /etc/meerko, /proc/PID. ABI >= 4: TCP connect
 *                            only to --relay-port. ABI >= 6: no signals or
 *                            abstract UNIX sockets beyond the engine. Uses the
 *                            landlock_* calls, so it comes before seccomp.
 *   e. seccomp               last: its allowlist (policy/) forbids prctl,
 *                            landlock_*, setrlimit and capset used above.
 *
 * --unconfined (sandbox off, benchmarks/debugging): a and c's no_new_privs
 * and dumpable 0 only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cap-ng.h>

#include "contract.h"
#include "engine_confine.h"
#include "engine_sanitizer.h"
#include "landlock_rules.h"
#include "seccomp_allowlist.h"

/* struct landlock_ruleset_attr as of ABI 6. Older kernels accept the whole
 * struct as long as the fields they do not know are zero. */
struct mk_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct mk_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

static struct mk_confine_report report;

static int fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(errno));
	return -1;
}

static int fail_path(char *why, size_t whylen, const char *what, const char *path)
{
	snprintf(why, whylen, "%s(%s): %s", what, path, strerror(errno));
	return -1;
}

/* ---------------------------------------------------------------- options */

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* "--max-tasks N" and its two siblings; returns 1 when argv[i] was one. */
static int parse_limit(struct mk_confine_opts *o, int argc, char **argv, int *i, unsigned *seen)
{
	static const char *const names[] = { "--max-tasks", "--max-data", "--max-fsize" };
	uint64_t *const dest[] = { &o->max_tasks, &o->max_data, &o->max_fsize };
	for (unsigned k = 0; k < 3; k++) {
		if (strcmp(argv[*i], names[k]) != 0)
			continue;
		if (*i + 1 >= argc || parse_u64(argv[*i + 1], dest[k]) != 0)
			return -1;
		*seen |= 1u << k;
		(*i)++;
		return 1;
	}
	return 0;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int mk_confine_parse_args(struct mk_confine_opts *o, int argc, char **argv, char *why, size_t whylen)
{
	unsigned seen = 0;
	memset(o, 0, sizeof *o);
	o->relay_port = MK_RELAY_INSIDE_PORT;
	for (int i = 1; i < argc; i++) {
		int lim = parse_limit(o, argc, argv, &i, &seen);
		if (lim == 1)
			continue;
		if (lim < 0) {
			snprintf(why, whylen, "bad value for '%s'", argv[i]);
			return -1;
		}
		if (strcmp(argv[i], "--unconfined") == 0) {
			o->unconfined = true;
		} else if (strcmp(argv[i], "--write-dir") == 0 && i + 1 < argc &&
			   o->n_write_dirs < MK_MAX_WRITE_DIRS && argv[i + 1][0] == '/') {
			o->write_dirs[o->n_write_dirs++] = argv[++i];
		} else if (strcmp(argv[i], "--relay-port") == 0 && i + 1 < argc &&
			   parse_port(argv[i + 1], &o->relay_port) == 0) {
			i++;
		} else {
			snprintf(why, whylen, "bad argument '%s'", argv[i]);
			return -1;
		}
	}
	o->has_limits = seen == 7;
	return 0;
}

/* ------------------------------------------------------- b. capabilities */

static int read_cap_last_cap(int *last, char *why, size_t whylen)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (!f)
		return fail(why, whylen, "open(/proc/sys/kernel/cap_last_cap)");
	int ok = fscanf(f, "%d", last) == 1 && *last >= 0 && *last < 64;
	fclose(f);
	if (!ok) {
		snprintf(why, whylen, "/proc/sys/kernel/cap_last_cap: unexpected content");
		return -1;
	}
	return 0;
}

static int check_bounding_and_ambient(char *why, size_t whylen)
{
	int last;
	if (read_cap_last_cap(&last, why, whylen) != 0)
		return -1;
	for (int cap = 0; cap <= last; cap++) {
		int b = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (b < 0)
			return fail(why, whylen, "prctl(PR_CAPBSET_READ)");
		if (b == 1) {
			snprintf(why, whylen, "capability bounding set still holds %s: the broker must "
				 "empty it before exec", capng_capability_to_name((unsigned)cap));
			return -1;
		}
		int a = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
		if (a == 1) {
			snprintf(why, whylen, "ambient capability %s is still set",
				 capng_capability_to_name((unsigned)cap));
			return -1;
		}
	}
	return 0;
}

static int drop_capabilities(char *why, size_t whylen)
{
	/* CAPS only: the bounding set needs CAP_SETPCAP, and libcap-ng would
	 * try to syslog about it; it is verified below instead. */
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		snprintf(why, whylen, "capng_apply: cannot clear the capability sets");
		return -1;
	}
	/* EINVAL: kernel older than 4.3, which has no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(why, whylen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	/* Verify with a fresh read of the kernel's view. */
	if (capng_get_caps_process() != 0) {
		snprintf(why, whylen, "capng_get_caps_process: cannot read our capabilities");
		return -1;
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		snprintf(why, whylen, "a capability is still effective, permitted or inheritable");
		return -1;
	}
	return check_bounding_and_ambient(why, whylen);
}

/* ------------------------------------------------- c. privileges, dumps */

static int lock_privileges(char *why, size_t whylen)
{
	const struct rlimit none = { 0, 0 };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return fail(why, whylen, "setrlimit(RLIMIT_CORE)");
	return 0;
}

/* c2. Lowering a limit needs no privilege; raising one back needs
 * CAP_SYS_RESOURCE, which the engine does not have. */
static int set_limit(int resource, const char *name, rlim_t soft, bool keep_hard, char *why,
		     size_t whylen)
{
	struct rlimit r;
	if (getrlimit(resource, &r) != 0)
		return fail_path(why, whylen, "getrlimit", name);
	if (soft > r.rlim_max)
		soft = r.rlim_max; /* already lower: keep that */
	r.rlim_cur = soft;
	if (!keep_hard)
		r.rlim_max = soft;
	if (setrlimit(resource, &r) != 0)
		return fail_path(why, whylen, "setrlimit", name);
	return 0;
}

static int apply_limits(const struct mk_confine_opts *o, char *why, size_t whylen)
{
	if (!o->has_limits) {
		snprintf(why, whylen, "confined engine started without --max-tasks, --max-data and --max-fsize");
		return -1;
	}
	/* A write past RLIMIT_FSIZE then fails with EFBIG, which libtorrent
	 * reports as a file error, instead of killing the engine silently. */
	signal(SIGXFSZ, SIG_IGN);
	if (set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", o->max_tasks, false, why, whylen) != 0)
		return -1;
#ifndef MEERKO_SANITIZE
	if (set_limit(RLIMIT_DATA, "RLIMIT_DATA", o->max_data, false, why, whylen) != 0)
		return -1;
#endif
	return set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", o->max_fsize, true, why, whylen);
}

/* Landlock binds only this thread and its future children: a thread that
 * already existed would stay unconfined. */
static int check_single_threaded(char *why, size_t whylen)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return fail(why, whylen, "opendir(/proc/self/task)");
	int n = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	int err = errno;
	closedir(d);
	if (err != 0) {
		errno = err;
		return fail(why, whylen, "readdir(/proc/self/task)");
	}
	if (n != 1) {
		snprintf(why, whylen, "%d threads exist before confinement (expected 1)", n);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ d. Landlock */

static uint64_t fs_handled(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

/* required: the path must exist and, for write dirs, be a directory. */
static int add_path_rule(int rfd, const char *path, uint64_t access, bool required,
			 char *why, size_t whylen)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (!required && errno == ENOENT)
			return 0;
		return fail_path(why, whylen, "open", path);
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return fail_path(why, whylen, "fstat", path);
	}
	if (required && !S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "write dir %s is not a directory", path);
		return -1;
	}
	struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };
	long rc = syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(fd);
	errno = e;
	return rc == 0 ? 0 : fail_path(why, whylen, "landlock_add_rule", path);
}

static int add_fs_rules(int rfd, const struct mk_confine_opts *o, uint64_t handled,
			char *why, size_t whylen)
{
	for (size_t i = 0; i < o->n_write_dirs; i++)
		if (add_path_rule(rfd, o->write_dirs[i], MK_LL_FS_WRITE & handled, true, why, whylen) != 0)
			return -1;
	size_t n;
	const struct mk_ll_rule *read_only = mk_landlock_read_only(&n); /* policy/landlock_rules.c */
	for (size_t i = 0; i < n; i++)
		if (add_path_rule(rfd, read_only[i].path, read_only[i].access & handled, false, why,
				  whylen) != 0)
			return -1;
#ifdef MEERKO_SANITIZE
	/* Sanitizer builds only: the runtime names the frames of a report from
	 * the engine binary's debug info. The binary holds no secret. */
	if (add_path_rule(rfd, "/proc/self/exe", LANDLOCK_ACCESS_FS_READ_FILE & handled, false, why,
			  whylen) != 0)
		return -1;
#endif
	return 0;
}

static int add_port_rule(int rfd, uint64_t access, uint16_t port, char *why, size_t whylen)
{
	struct mk_net_port_attr np = { .allowed_access = access, .port = port };
	if (syscall(SYS_landlock_add_rule, rfd, MK_LANDLOCK_RULE_NET_PORT, &np, 0) != 0) {
		snprintf(why, whylen, "landlock_add_rule(TCP port %u): %s", port, strerror(errno));
		return -1;
	}
	return 0;
}

/* TCP: connect only to the relay; bind only to port 0, as libtorrent does
 * for outgoing sockets (an ephemeral port needs a port-0 rule). Landlock
 * has no UDP rules: the namespace holds UDP in. */
static int add_net_rules(int rfd, uint16_t relay_port, char *why, size_t whylen)
{
	if (add_port_rule(rfd, LANDLOCK_ACCESS_NET_CONNECT_TCP, relay_port, why, whylen) != 0)
		return -1;
	return add_port_rule(rfd, LANDLOCK_ACCESS_NET_BIND_TCP, 0, why, whylen);
}

static void note_abi(int abi)
{
	const char *lacks = abi >= 6 ? ""
			  : abi >= 4 ? "no signal/abstract-socket scoping (ABI 6)"
			  : abi == 3 ? "no TCP port rules (ABI 4), no scoping (ABI 6)"
			  : abi == 2 ? "no truncate rule (ABI 3; seccomp forbids truncate()), "
				       "no TCP port rules (ABI 4), no scoping (ABI 6)"
				     : "no cross-folder rename (ABI 2), no truncate rule (ABI 3), "
				       "no TCP port rules (ABI 4), no scoping (ABI 6)";
	snprintf(report.landlock_why, sizeof report.landlock_why, "%s", lacks);
}

static void note_unavailable(int err)
{
	const char *why = err == ENOSYS       ? "kernel built without Landlock"
			: err == EOPNOTSUPP ? "Landlock disabled at boot (lsm= kernel parameter)"
					    : strerror(err);
	snprintf(report.landlock_why, sizeof report.landlock_why, "%s", why);
}

#ifdef MEERKO_ESCAPE_TEST
/* TEST-ONLY (escape engine, never installed): a marker file in the write
 * dir forces the path of a kernel without Landlock, so the escape test can
 * show what the other layers hold on their own. */
static bool escape_test_forces_no_landlock(const struct mk_confine_opts *o)
{
	char marker[4200];
	snprintf(marker, sizeof marker, "%s/.meerko-escape-no-landlock", o->write_dirs[0]);
	return access(marker, F_OK) == 0;
}
#else
static bool escape_test_forces_no_landlock(const struct mk_confine_opts *o)
{
	(void)o;
	return false;
}
#endif

static int apply_landlock(const struct mk_confine_opts *o, char *why, size_t whylen)
{
	if (escape_test_forces_no_landlock(o)) {
		note_unavailable(ENOSYS);
		return 0;
	}
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		note_unavailable(abi < 0 ? errno : EOPNOTSUPP);
		return 0; /* reported; namespace and seccomp still hold */
	}
	report.landlock_abi = (int)abi;
	struct mk_ruleset_attr attr = { .handled_access_fs = fs_handled((int)abi) };
	if (abi >= 4)
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rfd < 0)
		return fail(why, whylen, "landlock_create_ruleset");
	int rc = add_fs_rules(rfd, o, attr.handled_access_fs, why, whylen);
	if (rc == 0 && abi >= 4)
		rc = add_net_rules(rfd, o->relay_port, why, whylen);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, rfd, 0) != 0)
		rc = fail(why, whylen, "landlock_restrict_self");
	close(rfd);
	if (rc != 0)
		return -1;
	report.landlock = 1;
	note_abi((int)abi);
	return 0;
}

/* ------------------------------------------------------ namespace ids */

static uint64_t ns_inode(const char *name)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Read before Landlock (which hides /proc/self): the broker checks them. */
static void note_namespaces(void)
{
	report.ns.net = ns_inode("net");
	report.ns.mnt = ns_inode("mnt");
	report.ns.pid = ns_inode("pid");
	report.ns.uts = ns_inode("uts");
	report.ns.ipc = ns_inode("ipc");
	report.ns.user = ns_inode("user");
	report.own_pid = (int)getpid();
}

/* ----------------------------------------------------------------- main */

/* a. libtorrent 2.0.8 does not open O_CLOEXEC; nothing inherited beyond
 * our socket may be reachable by a compromised engine. */
static int close_inherited(char *why, size_t whylen)
{
	if (syscall(SYS_close_range, MK_ENGINE_FD + 1, ~0U, 0) != 0)
		return fail(why, whylen, "close_range");
	return 0;
}

static int refuse_terminals(char *why, size_t whylen)
{
	for (int fd = 0; fd <= MK_ENGINE_FD; fd++)
		if (isatty(fd)) {
			snprintf(why, whylen, "fd %d is a terminal: the engine must never hold one "
				 "(the broker gives it /dev/null and a pipe)", fd);
			return -1;
		}
	return 0;
}

static int confine_minimal(char *why, size_t whylen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return fail(why, whylen, "prctl(PR_SET_DUMPABLE)");
	report.nnp = 1;
	snprintf(report.landlock_why, sizeof report.landlock_why, "sandbox off (--unconfined)");
	return 0;
}

int mk_engine_confine(const struct mk_confine_opts *o, char *why, size_t whylen)
{
	memset(&report, 0, sizeof report);
	if (close_inherited(why, whylen) != 0 || refuse_terminals(why, whylen) != 0)
		return -1;
	mk_sanitizer_prepare_sandbox(); /* nothing outside sanitizer builds */
	if (o->unconfined)
		return confine_minimal(why, whylen);
	report.confined = 1;
	if (o->n_write_dirs == 0) {
		snprintf(why, whylen, "confined engine started without --write-dir");
		return -1;
	}
	if (drop_capabilities(why, whylen) != 0)
		return -1;
	report.caps = 1;
	if (lock_privileges(why, whylen) != 0)
		return -1;
	report.nnp = 1;
	note_namespaces();
	if (apply_limits(o, why, whylen) != 0)
		return -1;
	if (check_single_threaded(why, whylen) != 0 || apply_landlock(o, why, whylen) != 0)
		return -1;
	if (mk_seccomp_install(why, whylen) != 0)
		return -1;
	report.seccomp = mk_seccomp_enforcing() ? 1 : 0;
	return 0;
}

void mk_confine_report(struct mk_confine_report *out)
{
	*out = report;
}
