/*
 * seccomp_control.c - THE system-call allowlist of meerko-control, the
 * confined process that parses the Transmission RPC's HTTP and JSON.
 *
 * Contract: mk_seccomp_control_install() loads a filter whose default
 * action kills the whole process (also for a foreign syscall ABI). Rows are
 * read as in seccomp_allowlist.c (seccomp_rows.h). The set is what
 * libmicrohttpd (external epoll polling, one thread), json-c, protobuf-c
 * and glibc call while serving, found with strace -f of transmission-remote's
 * whole flow and the curl tests (tests/integration/test_control.sh); the
 * epoll descriptor MHD makes at start exists before the filter. Rows for
 * calls that trace did not show are marked "not seen": glibc's fallbacks
 * (clock, abort(), malloc under RLIMIT_DATA), kept so such a path ends in a
 * clean error or abort, not a SIGSYS.
 *
 * Never allowed (killed), on purpose:
 *   open, creat, any path-taking call          - it has no business with
 *                                                files (Landlock denies too;
 *                                                openat fails with EACCES)
 *   socket, socketpair, bind, listen, connect  - its only sockets are the
 *                                                two the broker gave it and
 *                                                the connections accepted
 *   execve, execveat, fork, vfork, clone, clone3 - no programs, no threads
 *   ptrace, process_vm_*, kill, tgkill to others, pidfd_*
 *   mmap/mprotect with PROT_EXEC, memfd_create - no new code
 *   prctl, seccomp, landlock_*, setrlimit, prlimit64, capset, setuid & co
 *                                              - the confinement is final
 *   bpf, perf_event_open, userfaultfd, io_uring_*, keyctl, mount & co
 *
 * At merge: the builder below is a small copy of seccomp_allowlist.c's; it
 * should use the shared builder (policy/seccomp_filter.c) once that exists.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seccomp_control.h"
#include "seccomp_rows.h"

static const struct mk_sc_rule rules[] = {
	/* --- memory --- */
	ALLOW(brk, "glibc malloc"),
	ALLOW_IF2(mmap, ARG_BITS(2, PROT_EXEC, 0),
		  ARG_BITS(3, MAP_ANONYMOUS | MAP_TYPE, MAP_ANONYMOUS | MAP_PRIVATE),
		  "malloc of large blocks (request bodies, json-c): private anonymous, never "
		  "executable, counted by RLIMIT_DATA"),
	ALLOW_IF(mprotect, ARG_BITS(2, PROT_EXEC, 0),
		 "not seen: glibc malloc arenas; never executable"),
	ALLOW(munmap, "counterpart of mmap"),
	ALLOW(mremap, "realloc of large blocks (a growing request body)"),
	ALLOW(madvise, "not seen: malloc trimming of our own memory"),

	/* --- descriptors: the broker socket, the listening socket, accepted
	 * connections, MHD's epoll and eventfd --- */
	ALLOW(read, "the broker socket (frames)"),
	ALLOW(write, "the broker socket (frames), stderr (log lines)"),
	ALLOW(close, "finished connections"),
	ALLOW(accept4, "MHD accepts on the listening socket the broker gave"),
	ALLOW(recvfrom, "MHD reads requests (recv)"),
	ALLOW(sendto, "MHD writes responses (send, MSG_NOSIGNAL)"),
	ALLOW(sendmsg, "MHD writes header and body together (MSG_NOSIGNAL)"),
	ALLOW(shutdown, "MHD closes a connection's write side"),
	ALLOW(setsockopt, "MHD sets TCP_NODELAY on accepted connections"),

	ERRNO(openat, EACCES, "glibc's time zone lookup (MHD's Date header) opens /etc/localtime: "
			      "refused as Landlock would, glibc then uses UTC. No other file is opened"),

	/* --- the event loop --- */
	ALLOW(epoll_wait, "MHD's epoll (made before the filter)"),
	ALLOW(epoll_pwait, "as epoll_wait (arm64 form)"),
	ALLOW(epoll_ctl, "MHD adds and removes connections"),
	ALLOW(poll, "the main loop, the wait for the broker's reply"),
	ALLOW(ppoll, "as poll (arm64 form)"),

	/* --- time, signals, exit --- */
	ALLOW(clock_gettime, "not seen: the vDSO answers MHD's timeouts, some clock sources fall back here"),
	ALLOW(gettimeofday, "vDSO fallback, as clock_gettime"),
	ALLOW(rt_sigprocmask, "not seen: glibc blocks signals in abort()"),
	ALLOW(getpid, "not seen: abort()/raise()"),
	ALLOW(gettid, "not seen: abort()/raise()"),
	ALLOW_IF(tgkill, ARG_SELF_PID(0), "abort()/raise(): to ourselves only"),
	ALLOW(getrandom, "json-c seeds its hash tables (4 bytes per parse); randomness reaches nothing"),
	ALLOW(exit_group, "process exit"),
	ALLOW(restart_syscall, "the kernel resumes an interrupted poll with it"),
};

/* ASan+UBSan builds only (never shipped), after the shared sanitizer rows
 * of seccomp_sanitizer.c: calls the runtimes make in this process that the
 * engine's table already allows and so are not among the shared rows. */
#ifdef MEERKO_SANITIZE
static const struct mk_sc_rule sanitizer_rules[] = {
	ALLOW(sigaltstack, "ASan's _exit() path takes down its alternate signal stack"),
};
#define N_SANITIZER_RULES (sizeof sanitizer_rules / sizeof sanitizer_rules[0])
#else
static const struct mk_sc_rule *const sanitizer_rules = NULL;
#define N_SANITIZER_RULES 0u
#endif

const struct mk_sc_rule *mk_seccomp_control_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

/* As mk_seccomp_enforcing() (seccomp_allowlist.c, not linked here). */
static bool enforcing(void)
{
#ifdef MEERKO_SECCOMP_AUDIT
	return false;
#else
	return true;
#endif
}

/* Row i: this table, then the shared sanitizer rows and our own (none
 * outside ASan builds). */
static const struct mk_sc_rule *row(size_t i)
{
	size_t n = sizeof rules / sizeof rules[0], nsan;
	const struct mk_sc_rule *san = mk_seccomp_sanitizer_rules(&nsan);
	if (i < n)
		return &rules[i];
	if (i < n + nsan)
		return &san[i - n];
	return i < n + nsan + N_SANITIZER_RULES ? &sanitizer_rules[i - n - nsan] : NULL;
}

static bool has_cond(const struct mk_sc_rule *r)
{
	for (size_t k = 0; k < MK_SC_MAX_COND; k++)
		if (r->cond[k].arg >= 0)
			return true;
	return false;
}

/* libseccomp lets a plain row swallow conditional rows for the same call:
 * a call has one plain row or only conditional ones. */
static int check_table(char *why, size_t whylen)
{
	for (size_t i = 0; row(i); i++)
		for (size_t j = i + 1; row(j); j++)
			if (strcmp(row(i)->name, row(j)->name) == 0 &&
			    (!has_cond(row(i)) || !has_cond(row(j)))) {
				snprintf(why, whylen, "seccomp_control: '%s' has a plain row and "
					 "another row", row(i)->name);
				return -1;
			}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct mk_sc_rule *r, uint64_t self_pid)
{
	struct scmp_arg_cmp cmp[MK_SC_MAX_COND];
	unsigned int ncmp = 0;
	if (r->nr < 0)
		return 0; /* not a system call on this architecture */
	for (size_t k = 0; k < MK_SC_MAX_COND; k++) {
		const struct mk_sc_arg *c = &r->cond[k];
		if (c->arg >= 0)
			cmp[ncmp++] = (struct scmp_arg_cmp){ (unsigned int)c->arg, SCMP_CMP_MASKED_EQ,
							      c->mask, c->self_pid ? self_pid : c->value };
	}
	uint32_t act = r->action == MK_SC_ALLOW ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO((uint32_t)r->err);
	return seccomp_rule_add_exact_array(ctx, act, r->nr, ncmp, cmp);
}

static scmp_filter_ctx build(uint64_t self_pid, char *why, size_t whylen)
{
	if (check_table(why, whylen) != 0)
		return NULL;
	scmp_filter_ctx ctx = seccomp_init(enforcing() ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
	int rc = ctx ? 0 : -ENOMEM;
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; rc == 0 && row(i); i++)
		if ((rc = add_rule(ctx, row(i), self_pid)) != 0)
			snprintf(why, whylen, "seccomp_control rule for %s: %s", row(i)->name, strerror(-rc));
	if (rc != 0 && ctx)
		seccomp_release(ctx);
	if (rc != 0 && why[0] == '\0')
		snprintf(why, whylen, "seccomp_control: %s", strerror(-rc));
	return rc == 0 ? ctx : NULL;
}

int mk_seccomp_control_install(char *why, size_t whylen)
{
	why[0] = '\0';
	scmp_filter_ctx ctx = build((uint64_t)getpid(), why, whylen);
	if (!ctx)
		return -1;
	int rc = seccomp_load(ctx);
	if (rc != 0)
		snprintf(why, whylen, "seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

int mk_seccomp_control_export_pfc(int fd, char *why, size_t whylen)
{
	why[0] = '\0';
	scmp_filter_ctx ctx = build(MK_SC_PFC_SELF_PID, why, whylen);
	if (!ctx)
		return -1;
	int rc = seccomp_export_pfc(ctx, fd);
	if (rc != 0)
		snprintf(why, whylen, "seccomp_export_pfc: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
