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
 * Built by the one filter builder (seccomp_filter.c), with the sanitizer
 * runtimes' rows of ASan builds (seccomp_sanitizer.c) after this table.
 */
#include <errno.h>
#include <sys/mman.h>

#include "seccomp_control.h"
#include "seccomp_filter.h"
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

const struct mk_sc_rule *mk_seccomp_control_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

static struct mk_sc_table control_table(void)
{
	struct mk_sc_table t = { .name = "meerko-control", .rows = rules, .n = sizeof rules / sizeof rules[0] };
	t.extra = mk_seccomp_control_sanitizer_rules(&t.n_extra);
	return t;
}

int mk_seccomp_control_install(char *why, size_t whylen)
{
	struct mk_sc_table t = control_table();
	return mk_sc_filter_install(&t, why, whylen);
}

int mk_seccomp_control_export_pfc(int fd, char *why, size_t whylen)
{
	struct mk_sc_table t = control_table();
	return mk_sc_filter_export_pfc(&t, fd, why, whylen);
}
