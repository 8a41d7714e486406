/*
 * seccomp_relay.c - THE system-call allowlist of the proxy relay process
 * (relay/relay.c), applied where it starts, before it reads a byte.
 *
 * Contract: mk_seccomp_relay_install() loads a filter (seccomp_filter.c)
 * whose default action kills the whole relay (SCMP_ACT_KILL_PROCESS, also
 * for a foreign syscall ABI); only the rows below let a call through. Rows
 * read as in seccomp_allowlist.c (seccomp_rows.h's macros). The relay calls
 * it last in its start-up - after closing every other descriptor, raising
 * RLIMIT_NOFILE, dropping to its uid, PR_SET_PDEATHSIG, no_new_privs and
 * PR_SET_DUMPABLE 0 - and before its threads exist; they inherit it.
 *
 * What the relay does after that, and so all it may do: accept the engine's
 * connections on the listener it was given, parse SOCKS5 from them, open
 * TCP (and for UDP ASSOCIATE, UDP) sockets to the user's proxy, and move
 * bytes with poll and splice, one thread per connection; write one-line
 * status to the broker's pipe and notes to stderr. The set was found with
 * strace -f of sandboxed downloads (tests/integration: download through
 * dante and microsocks, udp_utp and udp_udptracker for the UDP thread).
 *
 * Never allowed (killed), on purpose:
 *   execve, execveat, fork/vfork, clone without CLONE_THREAD or with any
 *     CLONE_NEW* flag, unshare, setns       - no new programs, no namespaces
 *   open, openat, openat2, creat, every path call (stat, unlink, rename,
 *     mkdir, ...)                           - the relay needs no file at all
 *                                             (it runs in the C locale: the
 *                                             broker never calls setlocale, so
 *                                             strerror reads no catalog)
 *   ptrace, process_vm_readv/writev, kill, tgkill to another process,
 *     pidfd_*                               - it holds the proxy password; it
 *                                             touches no other process
 *   socket() of any family but AF_INET/AF_INET6, of any type but
 *     SOCK_STREAM/SOCK_DGRAM, or a protocol other than the default
 *     (AF_UNIX, AF_NETLINK, AF_PACKET, SOCK_RAW, ...)
 *                                           - only ever the proxy, by IP
 *   listen, socketpair, memfd_create, mmap/mprotect with PROT_EXEC, file maps
 *                                           - no new channels, no new code
 *   prctl, seccomp, setuid & co, capset, setrlimit/prlimit64
 *                                           - the confinement is final
 *   bpf, perf_event_open, userfaultfd, io_uring_*, keyctl, add_key,
 *     mount & co, kexec_*, *_module, ioctl  - classic kernel attack surface
 * connect() is allowed to any address: the filter cannot read a sockaddr,
 * and the relay's code only ever connects to the proxy's IP literal
 * (broker/socks5.c) - the engine's destinations travel inside SOCKS5.
 *
 * ASan+UBSan test builds add the sanitizer runtimes' rows
 * (mk_seccomp_relay_sanitizer_rules, seccomp_sanitizer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "seccomp_relay.h"
#include "seccomp_rows.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
		  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define FUTEX_CMD(c) ARG_BITS(1, (uint32_t)FUTEX_CMD_MASK, (c))
#define PRIVATE_ANON ARG_BITS(3, MAP_ANONYMOUS | MAP_TYPE, MAP_ANONYMOUS | MAP_PRIVATE)

static const struct mk_sc_rule rules[] = {
	/* --- memory --- */
	ALLOW(brk, "glibc malloc"),
	ALLOW_IF2(mmap, ARG_BITS(2, PROT_EXEC, 0), PRIVATE_ANON,
		  "thread stacks and malloc arenas: private anonymous memory, never executable "
		  "(the relay maps no file)"),
	ALLOW_IF(mprotect, ARG_BITS(2, PROT_EXEC, 0), "stack guard pages, malloc arenas; never executable"),
	ALLOW(munmap, "counterpart of mmap (thread stacks freed)"),
	ALLOW(madvise, "glibc gives an exiting thread's stack back (MADV_DONTNEED)"),

	/* --- threads: one per connection, the health probe, the UDP thread --- */
	ALLOW_IF(clone, ARG_BITS(0, THREAD_FLAGS | NS_FLAGS, THREAD_FLAGS),
		 "pthread_create: threads only, no new namespace"),
	ERRNO(clone3, ENOSYS, "flags live in memory, out of the filter's reach: "
			      "glibc then falls back to clone(), checked above"),
	ALLOW(set_robust_list, "every new glibc thread"),
	ALLOW(rseq, "every new glibc thread (restartable sequences)"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAIT), "glibc locks (malloc arenas, stdio)"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAKE), "glibc locks (malloc arenas, stdio)"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAIT_BITSET), "glibc locks with a deadline"),
	ALLOW_IF(futex, FUTEX_CMD(FUTEX_WAKE_BITSET), "as FUTEX_WAIT_BITSET"),
	ALLOW(gettid, "abort()/raise(): glibc asks for the calling thread's id"),
	ALLOW(getpid, "abort()/raise()"),
	ALLOW_IF(tgkill, ARG_SELF_PID(0), "abort()/raise(): to our own threads only"),
	ALLOW(exit, "a connection's thread ends"),
	ALLOW(exit_group, "the relay's _exit after a fatal error"),
	ALLOW(restart_syscall, "the kernel resumes an interrupted sleep or poll with it"),

	/* --- signals (SIGPIPE is ignored; nothing else is handled) --- */
	ALLOW(rt_sigaction, "glibc's first pthread_create sets up its internal signals"),
	ALLOW(rt_sigprocmask, "glibc blocks signals around thread creation"),
	ALLOW(rt_sigreturn, "return from a signal handler (glibc's)"),

	/* --- time --- */
	ALLOW(clock_gettime, "the vDSO answers, but some clock sources fall back here"),
	ALLOW(clock_nanosleep, "the health probe's period, the accept loop's back-off"),

	/* --- descriptors: only those it holds or makes below --- */
	ALLOW(read, "the UDP thread's eventfd"),
	ALLOW(write, "status lines to the broker, notes on stderr, the UDP thread's eventfd"),
	ALLOW(close, "every descriptor"),
	ALLOW(pipe2, "the splice pipes of a relayed connection"),
	ALLOW(splice, "the byte pump: engine <-> pipe <-> proxy, without copying"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFL), "status flags before O_NONBLOCK is set or cleared"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_SETFL), "O_NONBLOCK on the pump's sockets and the proxy connect"),
	ALLOW_IF(fcntl, ARG_EQ(1, F_SETPIPE_SZ), "1 MiB splice pipes"),
	ALLOW(poll, "the pump, the connect timeout, the UDP thread"),

	/* --- network: IPv4/IPv6 sockets to the proxy, the listener given --- */
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, 0),
		  "a TCP connection to an IPv4 proxy"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_STREAM), ARG_EQ(2, 0),
		  "a TCP connection to an IPv6 proxy"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, 0),
		  "UDP ASSOCIATE: the datagram socket towards an IPv4 proxy"),
	ALLOW_IF3(socket, ARG_EQ(0, AF_INET6), ARG_SOCK_TYPE(1, SOCK_DGRAM), ARG_EQ(2, 0),
		  "UDP ASSOCIATE: the datagram socket towards an IPv6 proxy"),
	ALLOW(connect, "to the proxy's IP literal only (broker/socks5.c, relay_udp.c)"),
	ALLOW(bind, "the UDP socket towards the proxy, on the address the association names"),
	ALLOW(accept4, "the engine's connections on the listener inside its namespace"),
	ALLOW(shutdown, "a half-close passed on; a refused connection ends"),
	ALLOW(getsockname, "the UDP association's local address"),
	ALLOW(getpeername, "the proxy's address, for messages and UDP's unspecified BND"),
	ALLOW_IF2(getsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_ERROR), "the result of a timed connect"),
	ALLOW_IF2(setsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_RCVTIMEO),
		  "the handshake deadline on the engine's socket"),
	ALLOW_IF2(setsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_SNDTIMEO),
		  "the handshake deadline on the engine's socket"),
	ALLOW(sendto, "send() of SOCKS5 messages; UDP datagrams"),
	ALLOW(recvfrom, "recv() of SOCKS5 messages; UDP datagrams"),
	ALLOW(recvmsg, "the UDP thread reads datagrams with their source address"),
};

const struct mk_sc_rule *mk_seccomp_relay_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

static struct mk_sc_table relay_table(void)
{
	struct mk_sc_table t = { .name = "relay", .rows = rules, .n = sizeof rules / sizeof rules[0] };
	t.extra = mk_seccomp_relay_sanitizer_rules(&t.n_extra);
	return t;
}

int mk_seccomp_relay_install(char *why, size_t whylen)
{
	struct mk_sc_table t = relay_table();
	return mk_sc_filter_install(&t, why, whylen);
}

int mk_seccomp_relay_export_pfc(int fd, char *why, size_t whylen)
{
	struct mk_sc_table t = relay_table();
	return mk_sc_filter_export_pfc(&t, fd, why, whylen);
}
