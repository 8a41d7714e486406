/*
 * seccomp_allowlist.c - THE system-call allowlist of meerko-engine.
 *
 * Contract: mk_seccomp_install() loads a filter whose default action kills
 * the whole process (SCMP_ACT_KILL_PROCESS, also for a foreign syscall ABI
 * such as 32-bit int 0x80 calls). Only the rows of `rules` below let a call
 * through, or make it fail with an errno instead of killing.
 *
 * How to read a row:
 *   ALLOW(name, why)                 always allowed
 *   ALLOW_IF(name, cond, why)        allowed when cond holds
 *   ALLOW_IF2(name, c1, c2, why)     allowed when both hold
 *   ALLOW_IF3(name, c1, c2, c3, why) allowed when all three hold
 *   ERRNO(name, e, why)              fails with e (the kernel never runs it)
 *   ERRNO_IF(name, e, cond, why)     fails with e when cond holds
 * Every condition is one test: (argN & MASK) == VALUE. ARG_EQ compares
 * the low 32 bits (the kernel reads int arguments that way); ARG_SOCK_TYPE
 * too, but ignores SOCK_NONBLOCK and SOCK_CLOEXEC. Several rows
 * for one call are alternatives; a call matching none is killed.
 *
 * When a row returns an errno instead of killing, it is because glibc or
 * libtorrent try that call on normal paths and cope with a failure:
 * clone3 (glibc falls back to clone), socket(AF_UNIX) (glibc probes it for
 * nscd and interface lookups), socket(AF_NETLINK) (libtorrent's interface
 * enumeration), symlink (torrent content may ask for one: refused, not
 * fatal). Everything else that is not allowed is an attack, and kills.
 *
 * Never allowed (killed), on purpose, though someone may one day ask:
 *   execve, execveat, fork/vfork, clone without CLONE_THREAD or with any
 *     CLONE_NEW* flag, unshare, setns       - no new programs, no namespaces
 *   ptrace, process_vm_readv/writev, process_madvise, pidfd_*, kill,
 *     tgkill to another process             - no touching other processes
 *   mount, umount2, pivot_root, chroot, fsopen, fsmount, open_tree,
 *     move_mount, mknod                     - no changing the file system view
 *   bpf, perf_event_open, userfaultfd, io_uring_*, keyctl, add_key,
 *     request_key, kexec_*, init_module, finit_module, delete_module,
 *     personality, modify_ldt, iopl, ioperm - classic kernel attack surface
 *   chmod, fchmod*, chown*, utime*, truncate(path), open_by_handle_at,
 *     openat2                               - Landlock cannot police these
 *   prctl (except thread names), seccomp, landlock_*, setuid & co,
 *     capset, setrlimit                     - the confinement is final
 *   socketpair, memfd_create, mmap/mprotect with PROT_EXEC
 *                                           - no new code, no new channels
 *   socket() of any type but SOCK_STREAM/SOCK_DGRAM (SOCK_RAW, SOCK_PACKET,
 *     SOCK_SEQPACKET, ...), or a protocol other than the type's own
 *                                           - raw packets, module autoload
 *   mmap(MAP_SHARED|MAP_ANONYMOUS)          - memory RLIMIT_DATA does not count
 * Filters are installed before the engine has threads; TSYNC would still
 * apply this one to every thread if it had.
 *
 * ASan+UBSan test builds (MEERKO_SANITIZE, never shipped) add the few rows
 * of seccomp_sanitizer.c after this table; every other build adds none.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp_allowlist.h"
#include "seccomp_rows.h"

/* A thread shares memory, signal handlers and thread group, and enters no
 * new namespace. glibc's pthread_create passes exactly such flags. */
#define THREAD_FLAGS (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
		  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* futex command without the PRIVATE / CLOCK_REALTIME modifier bits. */
#define FUTEX_CMD(c) ARG_BITS(1, (uint32_t)FUTEX_CMD_MASK, (c))

static const struct mk_sc_rule rules[] = {
	/* --- memory --- */
	ALLOW(brk, "glibc malloc"),
	ALLOW_IF2(mmap, ARG_BITS(2, PROT_EXEC, 0), ARG_BITS(3, MAP_ANONYMOUS, 0),
		  "libtorrent's mapped files (MAP_SHARED of a file it opened); never executable"),
	ALLOW_IF2(mmap, ARG_BITS(2, PROT_EXEC, 0),
		  ARG_BITS(3, MAP_ANONYMOUS | MAP_TYPE, MAP_ANONYMOUS | MAP_PRIVATE),
		  "malloc, thread stacks: private, so RLIMIT_DATA counts them. Shared anonymous "
		  "memory is not counted: it would get around the memory limit"),
	ALLOW_IF(mprotect, ARG_BITS(2, PROT_EXEC, 0),
		 "thread stack guard pages, malloc arenas; never executable"),
	ALLOW(munmap, "counterpart of mmap"),
	ALLOW(mremap, "realloc of large blocks"),
	ALLOW(madvise, "advice on our own memory: malloc trimming, MADV_DONTDUMP on file maps"),
	ALLOW(msync, "libtorrent flushes its mapped files"),

	/* --- threads and synchronisation --- */
	ALLOW_IF(clone, ARG_BITS(0, THREAD_FLAGS | NS_FLAGS, THREAD_FLAGS),
		 "threads only (libtorrent's network, disk and hashing threads)"),
	ERRNO(clone3, ENOSYS, "flags live in memory, out of the filter's reach: "
			      "glibc then falls back to clone(), checked above"),
	ALLOW(set_robust_list, "every new glibc thread"),
	ALLOW(rseq, "every new glibc thread (restartable sequences)"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAIT), "mutexes and condition variables"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAKE), "mutexes and condition variables"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_REQUEUE), "condition variables"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_CMP_REQUEUE), "condition variables"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAKE_OP), "condition variables"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAIT_BITSET), "timed waits (pthread_cond_clockwait)"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAKE_BITSET), "timed waits"),
	/* no *_PI futex ops: priority inheritance is unused, and the PI requeue
	 * code is where CVE-2014-3153 (towelroot) lived. */
	ALLOW(sched_getaffinity, "glibc's CPU count when /sys/devices/system/cpu is missing"),
	ALLOW(gettid, "abort()/raise(): glibc asks for the calling thread's id"),
	ALLOW(getpid, "OpenSSL fork detection; abort()/raise()"),
	ALLOW_IF(tgkill, ARG_SELF_PID(0), "abort()/raise(): to our own threads only"),
	ALLOW(exit, "thread exit"),
	ALLOW(exit_group, "process exit"),
	ALLOW(restart_syscall, "the kernel resumes an interrupted sleep or poll with it"),

	/* --- signals --- */
	ALLOW(rt_sigaction, "SIGPIPE ignored; libtorrent's SIGBUS/SIGSEGV handlers "
			    "turn an I/O error on a mapped file (disk full) into an error"),
	ALLOW(rt_sigprocmask, "glibc and asio block signals around thread creation"),
	ALLOW(rt_sigreturn, "return from those handlers"),
	ALLOW(sigaltstack, "longjmp out of the SIGBUS handler checks the signal stack"),

	/* --- time --- */
	ALLOW(clock_gettime, "the vDSO answers, but some clock sources fall back here"),
	ALLOW(gettimeofday, "libtorrent; vDSO fallback, as clock_gettime"),
	ALLOW(time, "libtorrent; vDSO fallback, as clock_gettime"),
	ALLOW(clock_nanosleep, "sleep_for (shutdown waits)"),

	/* --- file descriptors and files (Landlock decides which paths) --- */
	ALLOW(read, "broker socket, eventfds, files in the save dir, certificates"),
	ALLOW(write, "broker socket, eventfds, stderr, files in the save dir"),
	ALLOW(pread64, "libtorrent disk I/O"),
	ALLOW(pwrite64, "libtorrent disk I/O"),
	ALLOW_IF2(openat, ARG_BITS(2, O_PATH, 0), ARG_BITS(3, S_ISUID | S_ISGID, 0),
		  "Landlock checks the path; O_PATH opens skip that check, so they are refused; "
		  "a mode with setuid/setgid would make a file that runs as the engine's uid "
		  "(as root: possibly the save dir's owner), so it is refused too (glibc passes "
		  "mode 0 without O_CREAT)"),
	ALLOW(close, "every descriptor"),
	ALLOW(lseek, "stdio on certificate files"),
	ALLOW(newfstatat, "glibc's stat/fstat/lstat: save dir files, certificates"),
	ALLOW(statfs, "libtorrent checks the save dir's file system type"),
	ALLOW(getdents64, "readdir: certificate directory, save dir"),
	ALLOW(ftruncate, "sizes files it opened for writing (Landlock agreed at open); "
			 "truncate(path) stays forbidden: Landlock ABI < 3 cannot police it"),
	ALLOW(fallocate, "posix_fallocate of downloaded files"),
	ALLOW(fadvise64, "libtorrent's access-pattern hints"),
	ALLOW(copy_file_range, "libtorrent copies files within the save dir"),
	/* "ARM64 form": the architecture has only the *at / p* variant. */
	ALLOW(mkdir, "torrent sub-folders, below the write dirs only (Landlock)"),
	ALLOW(mkdirat, "as mkdir (arm64 form)"),
	ALLOW(unlink, "libtorrent's remove(): below the write dirs (Landlock)"),
	ALLOW(unlinkat, "as unlink and rmdir (arm64 form)"),
	ALLOW(rmdir, "as unlink"),
	ALLOW(rename, "libtorrent renames files within the write dirs (Landlock)"),
	ALLOW(renameat, "as rename (arm64 form)"),
	ALLOW(renameat2, "as rename (arm64 form)"),
	ALLOW(link, "libtorrent's file moves, within the write dirs (Landlock)"),
	ALLOW(linkat, "as link (arm64 form)"),
	ALLOW(readlink, "libtorrent reads symlinks inside torrent content"),
	ALLOW(readlinkat, "as readlink (arm64 form)"),
	ERRNO(symlink, EPERM, "torrent content may ask for symlinks (BEP 47): refused, not fatal"),
	ERRNO(symlinkat, EPERM, "as symlink (arm64 form)"),
	ALLOW(getcwd, "libtorrent completes relative paths"),
	ALLOW(pipe, "imported by libtorrent; an anonymous pipe reaches nothing"),
	ALLOW(pipe2, "as pipe (arm64 form)"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFD), "descriptor flags"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_SETFD), "close-on-exec"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFL), "status flags"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_SETFL), "O_NONBLOCK on the broker socket"),
	ALLOW_IF(ioctl, ARG_EQ(1, FIONBIO), "asio makes sockets non-blocking"),
	ALLOW_IF(ioctl, ARG_EQ(1, FIONREAD), "asio asks how much is readable"),
	ALLOW_IF(ioctl, ARG_EQ(1, SIOCGIFINDEX), "if_nametoindex (IPv6 scope ids)"),
	ALLOW_IF(ioctl, ARG_EQ(1, SIOCGIFNAME), "if_indextoname"),
	ALLOW_IF(ioctl, ARG_EQ(1, SIOCGIFMTU), "libtorrent asks an interface's MTU"),

	/* --- event loops --- */
	ALLOW(epoll_create, "boost.asio reactor (libtorrent calls the old API)"),
	ALLOW(epoll_create1, "boost.asio reactor"),
	ALLOW(epoll_ctl, "boost.asio reactor"),
	ALLOW(epoll_wait, "boost.asio reactor"),
	ALLOW(epoll_pwait, "as epoll_wait (arm64 form)"),
	ALLOW(eventfd2, "asio wake-ups, the shim's alert notification"),
	ALLOW(timerfd_create, "asio timers"),
	ALLOW(timerfd_settime, "asio timers"),
	ALLOW(poll, "engine loop, IPC, libtorrent's connect checks"),
	ALLOW(ppoll, "as poll (arm64 form)"),

	/* --- network: only IPv4/IPv6 TCP or UDP sockets can exist; the network
	 * namespace holds only lo, where only the broker's relay listens (TCP)
	 * and takes SOCKS5 UDP datagrams (its UDP socket, same port) --- */
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, 0),
		  "IPv4 TCP, default protocol"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, IPPROTO_TCP),
		  "IPv4 TCP (asio)"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, 0),
		  "IPv4 UDP, default protocol (glibc, interface ioctls)"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, IPPROTO_UDP),
		  "IPv4 UDP (asio)"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, 0),
		  "IPv6 TCP, default protocol"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, IPPROTO_TCP),
		  "IPv6 TCP (asio)"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, 0),
		  "IPv6 UDP, default protocol"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, IPPROTO_UDP),
		  "IPv6 UDP (asio)"),
	/* Only these two types, each with its own protocol: SOCK_RAW and
	 * SOCK_PACKET would read and forge packets below the relay's view (only
	 * CAP_NET_RAW stands in their way, and this filter does not count on its
	 * absence); other types or protocols (SOCK_SEQPACKET, SCTP, DCCP, ...)
	 * would make the kernel load modules. check_table() refuses an allowing
	 * socket row that does not test all three arguments. */
	ERRNO_IF(socket, EAFNOSUPPORT, ARG_EQ(0, AF_UNIX),
		 "named UNIX sockets bypass the network namespace and Landlock "
		 "(resolved, nscd, D-Bus); glibc only probes them"),
	ERRNO_IF(socket, EAFNOSUPPORT, ARG_EQ(0, AF_NETLINK),
		 "libtorrent's interface enumeration probes it and copes"),
	ALLOW(connect, "to the relay (Landlock ABI >= 4: that port only)"),
	ALLOW(bind, "libtorrent binds outgoing sockets to port 0"),
	ALLOW(listen, "libtorrent's listen socket, when it opens one (never behind a proxy)"),
	ALLOW(accept, "as listen"),
	ALLOW(getsockname, "asio endpoints"),
	ALLOW(getpeername, "asio endpoints"),
	ALLOW(getsockopt, "SO_ERROR after connect"),
	ALLOW(setsockopt, "keepalive, TOS, buffer sizes"),
	ALLOW(sendto, "send() on sockets and the broker socket; UDP datagrams to the relay"),
	ALLOW(recvfrom, "recv() on sockets; asio's UDP receive_from (uTP, DHT, UDP trackers)"),
	ALLOW(sendmsg, "asio scatter-gather writes"),

	/* --- information about ourselves --- */
	ALLOW(getrandom, "OpenSSL, libtorrent peer ids and keys"),
	ALLOW(sysinfo, "libtorrent sizes its caches by RAM"),
	ALLOW_IF2(prlimit64, ARG_EQ(0, 0), ARG_BITS(2, ~0ULL, 0),
		  "getrlimit() of ourselves only: read, never set"),
	ALLOW_IF(prctl, ARG_EQ(0, PR_SET_NAME), "thread names"),
	ALLOW_IF(prctl, ARG_EQ(0, PR_GET_NAME), "thread names"),
};

const struct mk_sc_rule *mk_seccomp_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

static struct mk_sc_table engine_table(void)
{
	struct mk_sc_table t = { .name = "engine", .rows = rules, .n = sizeof rules / sizeof rules[0] };
	t.extra = mk_seccomp_sanitizer_rules(&t.n_extra);
	return t;
}

int mk_seccomp_install(char *why, size_t whylen)
{
	struct mk_sc_table t = engine_table();
	return mk_sc_filter_install(&t, why, whylen);
}

int mk_seccomp_export_pfc(int fd, char *why, size_t whylen)
{
	struct mk_sc_table t = engine_table();
	return mk_sc_filter_export_pfc(&t, fd, why, whylen);
}
