/*
 * escape_test.c - TEST-ONLY: escape attempts run from inside the confined
 * engine (see escape_test.h). Built only into meerko-engine-escape
 * (MEERKO_ESCAPE_TEST), which is never installed.
 *
 * Contract: mk_escape_attempt("NAME[:ARG]...") performs one attempt and
 * writes "escape NAME[:ARG]: blocked (why)" or "escape NAME[:ARG]:
 * SUCCEEDED (what)".
 * Attempts the policy answers with SIGSYS do not return: the engine dies
 * and the broker reports a confinement violation. Expected outcomes:
 *   execve         killed (seccomp); if it ever ran, /bin/sh prints
 *                  "escape execve: SUCCEEDED" on stderr
 *   connect        blocked: EACCES (Landlock ABI >= 4) or ECONNREFUSED /
 *                  ENETUNREACH (namespace: nothing listens on 127.0.0.4)
 *   write-outside  blocked: EACCES (Landlock). Only meaningful when the
 *                  write dir is not /tmp itself.
 *   ptrace         killed (seccomp)
 *   packet         killed (seccomp: AF_PACKET is never asked for)
 *   raw-socket     killed (seccomp: socket(AF_INET, SOCK_RAW, IPPROTO_UDP):
 *                  only SOCK_STREAM and SOCK_DGRAM types pass)
 *   raw-socket6    killed (seccomp: socket(AF_INET6, SOCK_RAW, IPPROTO_TCP))
 *   packet-socket-inet  killed (seccomp: socket(AF_INET, SOCK_PACKET, 0),
 *                  the obsolete raw link-layer socket of the inet family)
 *   read-secret[:PATH]  every path blocked: EACCES (Landlock) or ENOENT
 *                  (not in the engine's mount namespace; the test passes
 *                  a PATH that exists on the host). Also every other
 *                  process's /proc/PID/environ the engine can find. PATH
 *                  may be percent-encoded.
 *   unix           blocked: EAFNOSUPPORT (no named UNIX sockets: they would
 *                  bypass the namespace, e.g. to a local DNS resolver)
 *   fork           killed (seccomp: clone without CLONE_THREAD)
 *   exec-memory    killed (seccomp: mmap with PROT_EXEC)
 *   dumpable       killed (seccomp: prctl(PR_SET_DUMPABLE, 1))
 *   host-view[:PATH]  stat/readlink of host paths the engine has no use for
 *                  (/home, /root, /etc/machine-id, /etc/localtime, /run,
 *                  PATH): every one must be ENOENT (own mount namespace:
 *                  Landlock alone does not stop stat or readlink)
 *   processes      probe /proc/1..65535 with stat: no process but the
 *                  engine itself and its parent (the sandbox's init, pid 1,
 *                  which holds no descriptor and no secret) may be visible
 *                  (own PID namespace)
 *   identity       hostname, cwd, the --write-dir argument: none may name
 *                  the machine or the user (own UTS namespace; /data)
 *   terminal       blocked: no fd 0..2 is a terminal (checked with fstat:
 *                  isatty's ioctl is not on the allowlist). Also writes a
 *                  title, a cursor query and a fake green "meerko-secure:
 *                  done" line to fd 2, which must reach the user only
 *                  sanitised and prefixed "meerko-engine: ".
 *   relay-connect:IP:PORT, relay-connect-name:NAME:PORT
 *                  a SOCKS5 CONNECT through the broker's relay (127.0.0.1:
 *                  relay port) to a destination behind the proxy (its
 *                  loopback, its LAN); sends "hello" and reads the answer.
 *                  blocked: relay reply 0x02 (dest_policy.h). The result
 *                  names the reply's BND (the relay zeroes it).
 *   relay-udp:IP:PORT, relay-udp-name:NAME:PORT
 *                  UDP ASSOCIATE through the relay, then one datagram (a
 *                  NAT-PMP "public address?" request) to the destination;
 *                  waits 3 s for an answer. blocked: no answer (the relay
 *                  drops it; the test's listeners prove nothing arrived).
 *   relay-udp-flood:N  not an escape: N UDP ASSOCIATE requests through the
 *                  relay, all held open, then closed; "done (A associated,
 *                  R refused)". The test counts the proxy's logins: a full
 *                  association table must cost the proxy none.
 *   threads        blocked: EAGAIN from pthread_create at the engine's
 *                  RLIMIT_NPROC (or RLIMIT_DATA: thread stacks), far below
 *                  the user's own quota. While it holds its threads it
 *                  creates SAVE/escape-threads-holding and waits (<= 30 s)
 *                  for SAVE/escape-threads-release, so a test can fork as
 *                  the same user meanwhile.
 *   memory         blocked: ENOMEM before 3 GiB are allocated and touched
 *                  (RLIMIT_DATA).
 *   memory-shared  killed (seccomp): 3 GiB of MAP_SHARED|MAP_ANONYMOUS
 *                  memory, which RLIMIT_DATA would not count.
 *   bigfile        blocked: EFBIG writing SAVE/escape-bigfile past
 *                  RLIMIT_FSIZE (SIGXFSZ is ignored: an error, not a death).
 *   relay-fds      blocked: of up to 1100 CONNECTs held open through the
 *                  relay, those past its cap get a SOCKS5 failure; the
 *                  broker must say "too many connections", not "proxy down".
 *   setuid-file    killed (seccomp: openat with S_ISUID|S_ISGID in its
 *                  mode): a setuid file of the engine's uid in the save dir
 *                  would run as that uid (as root, possibly the save dir's
 *                  owner) for anyone who reaches the folder. SUCCEEDED when
 *                  the file exists with the bit.
 *   signal:PID     killed (seccomp: kill): SIGKILL to a host process (of the
 *                  same uid, as the test arranges); its PID names nothing in
 *                  the engine's PID namespace anyway.
 *   ipc-bomb[:files]  not an escape: one 16 MiB frame of ~8 million empty
 *                  TorrentStatus (or, with "files", FileEntry) entries to
 *                  the broker. The broker must refuse it before unpacking
 *                  (ipc/unpack_guard.c) and stop the engine; its memory
 *                  stays small. If the engine is still alive 10 s later it
 *                  reports SUCCEEDED.
 *   resume-poison:PATH  not an escape: sends the bytes of PATH (the test
 *                  writes it into the save dir, /data here: resume data with a payload
 *                  key, peer lists, its own tracker and every piece marked
 *                  verified) as ResumeData of torrent 1, then crashes
 *                  (abort). The broker must store only what resume_check.c
 *                  keeps and, after the crash, no piece claims.
 *   out-of-turn:KIND  not an escape: a message the engine->broker table
 *                  (broker/engine_surface.c) does not permit now: KIND
 *                  "ready" (a second Ready), "shutdown-done" (ShutdownDone
 *                  before any Shutdown), "file-list-twice" (two FileLists
 *                  for torrent 1, run with --files). The broker must stop
 *                  the engine with "unpermitted"; alive 10 s later it
 *                  reports SUCCEEDED.
 *   (marker)       a file .meerko-escape-resume-before-ready in the save dir
 *                  makes the engine send ResumeData of torrent 1 before its
 *                  Ready (mk_escape_before_ready): the broker must stop it.
 *   sanitizer      not an escape: a use after free in the confined engine,
 *                  to prove a sanitizer build reports it (symbolized) and
 *                  dies by SIGABRT rather than by a forbidden call made by
 *                  the sanitizer runtime. Sanitizer builds only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "engine_confine.h"
#include "contract.h"
#include "escape_test.h"
#include "ipc.h"

#define ARG_MAX_LEN 256

/* getppid() is not on the allowlist (the engine has no use for it), so the
 * broker's pid is taken before confinement. */
static pid_t parent_pid;

__attribute__((constructor)) static void remember_parent(void)
{
	parent_pid = getppid();
}

static void blocked(char *out, size_t outlen, const char *name, int err)
{
	snprintf(out, outlen, "escape %s: blocked (%s %s)", name, strerrorname_np(err),
		 strerror(err));
}

static void try_execve(char *out, size_t outlen)
{
	char *const argv[] = { (char *)"sh", (char *)"-c",
			       (char *)"echo 'escape execve: SUCCEEDED' >&2", NULL };
	char *const envp[] = { NULL };
	execve("/bin/sh", argv, envp);
	blocked(out, outlen, "execve", errno);
}

/* Straight to the seeder's address, around the relay. */
static void try_connect(char *out, size_t outlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(6881) };
	inet_pton(AF_INET, "127.0.0.4", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		blocked(out, outlen, "connect", errno);
		return;
	}
	int err = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		err = errno;
		if (err == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t len = sizeof err;
			if (poll(&p, 1, 2000) != 1)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
		}
	}
	close(fd);
	if (err != 0)
		blocked(out, outlen, "connect", err);
	else
		snprintf(out, outlen, "escape connect: SUCCEEDED (connected to 127.0.0.4:6881)");
}

static void try_write_outside(char *out, size_t outlen)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/meerko-escape-%d", (int)getpid());
	int fd = open(path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		blocked(out, outlen, "write-outside", errno);
		return;
	}
	close(fd);
	unlink(path);
	snprintf(out, outlen, "escape write-outside: SUCCEEDED (created %s)", path);
}

static void try_ptrace(char *out, size_t outlen)
{
	if (ptrace(PTRACE_ATTACH, parent_pid, NULL, NULL) != 0) {
		blocked(out, outlen, "ptrace", errno);
		return;
	}
	ptrace(PTRACE_DETACH, parent_pid, NULL, NULL);
	snprintf(out, outlen, "escape ptrace: SUCCEEDED (attached to %d)", (int)parent_pid);
}

static void try_socket(char *out, size_t outlen, const char *name, int domain, int type,
		       int proto)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		blocked(out, outlen, name, errno);
		return;
	}
	close(fd);
	snprintf(out, outlen, "escape %s: SUCCEEDED (socket created)", name);
}

/* Returns 1 if path opens for reading; else writes "PATH: ERRNAME text" to res. */
static int try_read(const char *path, char *res, size_t reslen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	snprintf(res, reslen, "%s: %s %s", path, strerrorname_np(errno), strerror(errno));
	return 0;
}

/* The places a proxy password or the user's environment could be. */
/* Appends PATH to `opened` when it can be read, else the reason to `failed`. */
static void note_read(const char *path, char *opened, char *failed, size_t len)
{
	char res[300];
	if (try_read(path, res, sizeof res))
		snprintf(opened + strlen(opened), len - strlen(opened), "%s%s", opened[0] ? ", " : "",
			 path);
	else
		snprintf(failed + strlen(failed), len - strlen(failed), "%s%s", failed[0] ? "; " : "",
			 res);
}

/* Every other process's environment the engine can name through /proc. */
static void read_other_environs(char *opened, char *failed, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int self = getpid();
	while (d && (de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name);
		char path[64];
		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof path, "/proc/%d/environ", pid);
		note_read(path, opened, failed, len);
	}
	if (d)
		closedir(d);
}

static void try_read_secret(const char *label, const char *extra, char *out, size_t outlen)
{
	char environ_path[64], mem_path[64], opened[512] = "", failed[1024] = "";
	snprintf(environ_path, sizeof environ_path, "/proc/%d/environ", (int)parent_pid);
	snprintf(mem_path, sizeof mem_path, "/proc/%d/mem", (int)parent_pid);
	const char *paths[] = { environ_path, mem_path, "/etc/meerko/meerko.ini",
				"/root/.config/meerko/meerko.ini", extra };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (paths[i] && paths[i][0])
			note_read(paths[i], opened, failed, sizeof opened);
	read_other_environs(opened, failed, sizeof opened);
	if (opened[0])
		snprintf(out, outlen, "escape %s: SUCCEEDED (opened %s)", label, opened);
	else
		snprintf(out, outlen, "escape %s: blocked (%s)", label, failed);
}

/* Host paths a compromised engine would like to see: their existence,
 * size, mtime or link target describe the user and the machine. */
static void try_host_view(const char *label, const char *extra, char *out, size_t outlen)
{
	const char *paths[] = { "/home", "/root", "/etc/machine-id", "/etc/localtime", "/run",
				"/etc/passwd", "/var", extra };
	char seen[512] = "";
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct stat st;
		if (!paths[i] || !paths[i][0] || lstat(paths[i], &st) != 0)
			continue;
		snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s (%lld bytes)",
			 seen[0] ? ", " : "", paths[i], (long long)st.st_size);
	}
	if (seen[0])
		snprintf(out, outlen, "escape %s: SUCCEEDED (stat saw %s)", label, seen);
	else
		snprintf(out, outlen, "escape %s: blocked (every host path ENOENT)", label);
}

/* stat needs no read access, so Landlock does not stop this probe. */
static void try_processes(char *out, size_t outlen)
{
	int others = 0, first = 0;
	for (int pid = 1; pid < 65536; pid++) {
		char path[32];
		struct stat st;
		snprintf(path, sizeof path, "/proc/%d", pid);
		if (pid == getpid() || pid == parent_pid || stat(path, &st) != 0)
			continue; /* itself, and the sandbox's init (pid 1, holds nothing) */
		snprintf(path, sizeof path, "/proc/self/task/%d", pid);
		if (stat(path, &st) == 0)
			continue; /* one of the engine's own threads */
		if (!first)
			first = pid;
		others++;
	}
	if (others)
		snprintf(out, outlen, "escape processes: SUCCEEDED (%d other processes visible, "
			 "first pid %d)", others, first);
	else
		snprintf(out, outlen, "escape processes: blocked (only itself and its threads, pid %d, "
			 "and its parent, pid %d)", (int)getpid(), (int)parent_pid);
}

/* The first line of a small /proc file, or "(unreadable: ERRNO)". */
static bool read_proc_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "(unreadable: %s)", strerrorname_np(errno));
		return false;
	}
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		buf[i] = buf[i] == '\n' ? '\0' : buf[i] ? buf[i] : ' ';
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

/* What names the machine or the user from inside: the host name (uname()
 * is not on the allowlist; /proc/sys/kernel/hostname is the other way),
 * cwd, argv. Each must be neutral or unreadable. */
static void try_identity(char *out, size_t outlen)
{
	char host[128], cwd[256] = "?", cmd[256];
	bool host_known = read_proc_text("/proc/sys/kernel/hostname", host, sizeof host);
	bool cmd_known = read_proc_text("/proc/self/cmdline", cmd, sizeof cmd);
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "(%s)", strerror(errno));
	bool neutral = (!host_known || strcmp(host, "meerko") == 0) && strcmp(cwd, "/") == 0 &&
		       (!cmd_known || strstr(cmd, "--write-dir /data") != NULL);
	snprintf(out, outlen, "escape identity: %s (hostname '%s', cwd '%s', argv '%s')",
		 neutral ? "blocked" : "SUCCEEDED", host, cwd, cmd);
}

static void try_fork(char *out, size_t outlen)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		blocked(out, outlen, "fork", errno);
		return;
	}
	snprintf(out, outlen, "escape fork: SUCCEEDED (child %d)", (int)pid);
}

static void try_exec_memory(char *out, size_t outlen)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED) {
		blocked(out, outlen, "exec-memory", errno);
		return;
	}
	munmap(p, 4096);
	snprintf(out, outlen, "escape exec-memory: SUCCEEDED (writable+executable page)");
}

static void try_dumpable(char *out, size_t outlen)
{
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
		blocked(out, outlen, "dumpable", errno);
		return;
	}
	snprintf(out, outlen, "escape dumpable: SUCCEEDED (same-uid ptrace possible again)");
}

/* A tty or pty device: majors 4 (virtual consoles, serial), 5 (/dev/tty,
 * /dev/console, /dev/ptmx), 136-143 (/dev/pts/N). */
static int fd_is_terminal(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))
		return 0;
	unsigned maj = major(st.st_rdev);
	return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143);
}

/* What a compromised engine does with the user's terminal: set the window
 * title, ask for the cursor position (the answer arrives as keystrokes),
 * and print a fake success line of the broker's, in green. */
static void try_terminal(char *out, size_t outlen)
{
	static const char fake[] = "\033]0;meerko-owned\007\033[6n\r\033[32mmeerko-secure: done\033[0m\n";
	int tty = -1;
	for (int fd = 0; fd <= 2 && tty < 0; fd++)
		if (fd_is_terminal(fd))
			tty = fd;
	ssize_t w = write(2, fake, sizeof fake - 1);
	if (tty >= 0)
		snprintf(out, outlen, "escape terminal: SUCCEEDED (fd %d is a tty)", tty);
	else
		snprintf(out, outlen, "escape terminal: blocked (no fd of 0..2 is a tty; fd 2 took %zd "
			 "bytes of escapes, for the broker to sanitise)", w);
}

/* ------------------------------------------------- resource limits (#6) */

static const char *save_path = ".";

void mk_escape_set_save_path(const char *path)
{
	save_path = path && path[0] ? path : ".";
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int hold_release;

static void *hold_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold_lock);
	while (!hold_release)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
	return NULL;
}

/* Tells the test the threads are held, waits (bounded) for its go-ahead. */
static void hold_for_test(void)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/escape-threads-holding", save_path);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof path, "%s/escape-threads-release", save_path);
	struct stat st;
	for (int i = 0; i < 300 && stat(path, &st) != 0; i++)
		sleep_ms(100);
}

#define THREADS_MAX 4096

static void try_threads(char *out, size_t outlen)
{
	static pthread_t t[THREADS_MAX];
	int n = 0, err = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024); /* the limit, not memory, must stop it */
	while (n < THREADS_MAX && (err = pthread_create(&t[n], &attr, hold_thread, NULL)) == 0)
		n++;
	pthread_attr_destroy(&attr);
	hold_for_test();
	pthread_mutex_lock(&hold_lock);
	hold_release = 1;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (err)
		snprintf(out, outlen, "escape threads: blocked (%s %s after %d threads)",
			 strerrorname_np(err), strerror(err), n);
	else
		snprintf(out, outlen, "escape threads: SUCCEEDED (%d threads)", n);
}

#define MEMORY_GOAL_MB 3072
#define MEMORY_CHUNK_MB 64

static void try_memory(char *out, size_t outlen)
{
	static char *chunk[MEMORY_GOAL_MB / MEMORY_CHUNK_MB];
	int n = 0, err = 0;
	for (; n < MEMORY_GOAL_MB / MEMORY_CHUNK_MB; n++) {
		chunk[n] = malloc((size_t)MEMORY_CHUNK_MB << 20);
		if (!chunk[n]) {
			err = errno;
			break;
		}
		memset(chunk[n], 0xa5, (size_t)MEMORY_CHUNK_MB << 20); /* touched: really used */
	}
	for (int i = 0; i < n; i++)
		free(chunk[i]);
	if (err)
		snprintf(out, outlen, "escape memory: blocked (%s %s after %d MiB)", strerrorname_np(err),
			 strerror(err), n * MEMORY_CHUNK_MB);
	else
		snprintf(out, outlen, "escape memory: SUCCEEDED (allocated and touched %d MiB)",
			 MEMORY_GOAL_MB);
}

static void try_memory_shared(char *out, size_t outlen)
{
	size_t len = (size_t)MEMORY_GOAL_MB << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		blocked(out, outlen, "memory-shared", errno);
		return;
	}
	memset(p, 0xa5, len);
	munmap(p, len);
	snprintf(out, outlen, "escape memory-shared: SUCCEEDED (touched %d MiB of shared memory)",
		 MEMORY_GOAL_MB);
}

#define BIGFILE_NOLIMIT_BYTES (64ull << 20)

static void try_setuid_file(char *out, size_t outlen)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/escape-setuid", save_path);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 04755);
	if (fd < 0) {
		blocked(out, outlen, "setuid-file", errno);
		return;
	}
	bool setuid = fstat(fd, &st) == 0 && (st.st_mode & S_ISUID);
	close(fd);
	if (setuid)
		snprintf(out, outlen, "escape setuid-file: SUCCEEDED (created %s mode %o)", path,
			 (unsigned)(st.st_mode & 07777));
	else
		snprintf(out, outlen, "escape setuid-file: blocked (created without the setuid bit)");
}

static void try_signal(const char *arg, char *out, size_t outlen)
{
	pid_t pid = arg ? (pid_t)atoi(arg) : 0;
	if (pid <= 1) {
		snprintf(out, outlen, "escape signal: needs a PID");
		return;
	}
	if (kill(pid, SIGKILL) != 0) {
		blocked(out, outlen, "signal", errno);
		return;
	}
	snprintf(out, outlen, "escape signal: SUCCEEDED (SIGKILL sent to %d)", (int)pid);
}

static void try_bigfile(char *out, size_t outlen)
{
	static char buf[1 << 20];
	char path[4200];
	struct rlimit r;
	getrlimit(RLIMIT_FSIZE, &r);
	uint64_t goal = r.rlim_cur == RLIM_INFINITY ? BIGFILE_NOLIMIT_BYTES : r.rlim_cur + sizeof buf;
	snprintf(path, sizeof path, "%s/escape-bigfile", save_path);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		blocked(out, outlen, "bigfile", errno);
		return;
	}
	uint64_t done = 0;
	int err = 0;
	while (done < goal && !err) {
		ssize_t w = write(fd, buf, sizeof buf);
		if (w > 0)
			done += (uint64_t)w;
		else
			err = w < 0 ? errno : EIO;
	}
	close(fd);
	unlink(path);
	if (err)
		snprintf(out, outlen, "escape bigfile: blocked (%s %s after %llu bytes)",
			 strerrorname_np(err), strerror(err), (unsigned long long)done);
	else
		snprintf(out, outlen, "escape bigfile: SUCCEEDED (wrote %llu bytes)",
			 (unsigned long long)done);
}

#define RELAY_CONNS 1100

/* One non-blocking connection to the relay with a greeting and a CONNECT
 * to the seeder (127.0.0.4:6881) already queued. */
static int relay_open(void)
{
	static const uint8_t req[] = { 5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 4, 0x1a, 0xe1 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(1080) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    send(fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1: CONNECT succeeded, 0: refused or closed. Waits at most ms. */
static int relay_answer(int fd, int ms)
{
	uint8_t r[12];
	size_t have = 0;
	while (have < sizeof r) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, ms) != 1)
			return 0;
		ssize_t n = recv(fd, r + have, sizeof r - have, 0);
		if (n <= 0)
			return 0;
		have += (size_t)n;
	}
	return r[1] == 0 && r[3] == 0; /* method no-auth, reply succeeded */
}

static void try_relay_fds(char *out, size_t outlen)
{
	static int fd[RELAY_CONNS];
	int n = 0, ok = 0, err = 0;
	for (; n < RELAY_CONNS; n++)
		if ((fd[n] = relay_open()) < 0) {
			err = errno;
			break;
		}
	for (int i = 0; i < n; i++)
		ok += relay_answer(fd[i], 3000);
	sleep_ms(5000); /* held open across the relay's health probes */
	for (int i = 0; i < n; i++)
		close(fd[i]);
	if (ok < n)
		snprintf(out, outlen, "escape relay-fds: blocked (%d of %d connections refused%s%s)", n - ok,
			 n, err ? "; stopped opening at " : "", err ? strerrorname_np(err) : "");
	else
		snprintf(out, outlen, "escape relay-fds: SUCCEEDED (all %d connections relayed)", n);
}

#ifdef MEERKO_SANITIZE
/* Reads a heap block after free(): AddressSanitizer aborts the engine
 * here and never returns. volatile: the read must not be optimised out. */
static void try_sanitizer(char *out, size_t outlen)
{
	char *volatile p = calloc(16, 1);
	free(p);
	int c = p ? p[0] : 0;
	snprintf(out, outlen, "escape sanitizer: SUCCEEDED (use after free not reported, read %d)", c);
}
#else
static void try_sanitizer(char *out, size_t outlen)
{
	snprintf(out, outlen, "escape sanitizer: not a sanitizer build");
}
#endif

/* ---- the second hop: through the relay and the proxy (test_relay_dest.sh) ---- */

#define RELAY_ANSWER_MS 3000

struct relay_dest {
	uint8_t atyp;        /* 1 IPv4, 3 name, 4 IPv6 */
	uint8_t addr[256];   /* name: length byte first */
	size_t alen;
	uint16_t port;
};

/* "IP:PORT" (the last ':' splits, so IPv6 goes without brackets) or NAME:PORT. */
static int parse_dest(const char *arg, int by_name, struct relay_dest *d)
{
	const char *colon = arg ? strrchr(arg, ':') : NULL;
	char host[256];
	size_t n = colon ? (size_t)(colon - arg) : 0;
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (n == 0 || n >= sizeof host || port <= 0 || port > 65535)
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	d->port = (uint16_t)port;
	if (by_name) {
		d->atyp = 3;
		d->addr[0] = (uint8_t)n;
		memcpy(d->addr + 1, host, n);
		d->alen = n + 1;
		return 0;
	}
	d->atyp = inet_pton(AF_INET, host, d->addr) == 1 ? 1 : inet_pton(AF_INET6, host, d->addr) == 1 ? 4 : 0;
	d->alen = d->atyp == 1 ? 4 : 16;
	return d->atyp ? 0 : -1;
}

static size_t put_dest(const struct relay_dest *d, uint8_t *out)
{
	out[0] = d->atyp;
	memcpy(out + 1, d->addr, d->alen);
	out[1 + d->alen] = (uint8_t)(d->port >> 8);
	out[2 + d->alen] = (uint8_t)d->port;
	return 3 + d->alen;
}

/* flags MSG_WAITALL: exactly cap bytes (a reply, not what follows it). */
static ssize_t recv_within(int fd, void *buf, size_t cap, int ms, int flags)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(fd, buf, cap, flags);
}

/* Greeting + one request to the relay; the 10-byte reply in r[].
 * Returns the connected fd, or -1 with errno. */
static int relay_request(uint8_t cmd, const struct relay_dest *d, uint8_t r[10])
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(MK_RELAY_INSIDE_PORT) };
	uint8_t q[3 + 259] = { 5, 1, 0 };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || send(fd, q, 3, MSG_NOSIGNAL) != 3 ||
	    recv_within(fd, r, 2, 5000, MSG_WAITALL) != 2)
		goto fail;
	q[1] = cmd;
	size_t n = 3 + put_dest(d, q + 3);
	errno = EPROTO;
	if (send(fd, q, n, MSG_NOSIGNAL) != (ssize_t)n || recv_within(fd, r, 10, 15000, MSG_WAITALL) != 10)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static void bnd_text(const uint8_t r[10], char *out, size_t outlen)
{
	char ip[INET_ADDRSTRLEN] = "?";
	if (r[3] == 1)
		inet_ntop(AF_INET, r + 4, ip, sizeof ip);
	snprintf(out, outlen, "BND %s:%u", ip, r[3] == 1 ? (unsigned)(r[8] << 8 | r[9]) : 0u);
}

/* Printable bytes as they are, others as \xNN; at most 48 bytes. */
static void show_bytes(const uint8_t *b, size_t n, char *out, size_t outlen)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && i < 48 && k + 5 < outlen; i++)
		k += (size_t)snprintf(out + k, outlen - k, b[i] >= 0x21 && b[i] < 0x7f && b[i] != '\\'
					    ? "%c" : "\\x%02x", b[i]);
}

static void try_relay_connect(char *out, size_t outlen, const char *label, const char *arg,
			      int by_name)
{
	struct relay_dest d;
	uint8_t r[10], ans[64];
	char bnd[40], shown[200];
	if (parse_dest(arg, by_name, &d) != 0) {
		snprintf(out, outlen, "escape %s: bad argument (IP:PORT or NAME:PORT)", label);
		return;
	}
	int fd = relay_request(1, &d, r);
	if (fd < 0) {
		blocked(out, outlen, label, errno);
		return;
	}
	bnd_text(r, bnd, sizeof bnd);
	if (r[1] != 0) {
		snprintf(out, outlen, "escape %s: blocked (relay reply 0x%02x, %s)", label, r[1], bnd);
		close(fd);
		return;
	}
	(void)send(fd, "hello\n", 6, MSG_NOSIGNAL);
	ssize_t n = recv_within(fd, ans, sizeof ans, RELAY_ANSWER_MS, 0);
	close(fd);
	show_bytes(ans, n > 0 ? (size_t)n : 0, shown, sizeof shown);
	snprintf(out, outlen, "escape %s: SUCCEEDED (connected, %s, answer '%s')", label, bnd, shown);
}

static void try_relay_udp(char *out, size_t outlen, const char *label, const char *arg, int by_name)
{
	struct relay_dest d, any = { .atyp = 1, .alen = 4 }; /* from 0.0.0.0:0 */
	uint8_t r[10], dg[3 + 259 + 2] = { 0 }, back[600];
	char bnd[40], shown[200];
	if (parse_dest(arg, by_name, &d) != 0) {
		snprintf(out, outlen, "escape %s: bad argument (IP:PORT or NAME:PORT)", label);
		return;
	}
	int cfd = relay_request(3, &any, r);
	if (cfd < 0) {
		blocked(out, outlen, label, errno);
		return;
	}
	bnd_text(r, bnd, sizeof bnd);
	struct sockaddr_in to = { .sin_family = AF_INET };
	memcpy(&to.sin_addr, r + 4, 4);
	memcpy(&to.sin_port, r + 8, 2);
	int u = r[1] == 0 && r[3] == 1 ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	size_t n = 3 + put_dest(&d, dg + 3) + 2; /* payload: NAT-PMP version 0, opcode 0 */
	ssize_t k = -1;
	if (u >= 0 && sendto(u, dg, n, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)n)
		k = recv_within(u, back, sizeof back, RELAY_ANSWER_MS, 0);
	if (u >= 0)
		close(u);
	close(cfd);
	if (k <= 10) {
		snprintf(out, outlen, "escape %s: blocked (no answer; relay reply 0x%02x, %s)", label, r[1], bnd);
		return;
	}
	show_bytes(back + 10, (size_t)k - 10, shown, sizeof shown);
	snprintf(out, outlen, "escape %s: SUCCEEDED (%zd bytes back, %s, answer '%s')", label, k, bnd, shown);
}

#define FLOOD_MAX 64

static void try_relay_udp_flood(char *out, size_t outlen, const char *label, const char *arg)
{
	struct relay_dest any = { .atyp = 1, .alen = 4 };
	int n = arg ? atoi(arg) : 0, fds[FLOOD_MAX], nfd = 0, ok = 0, refused = 0;
	if (n < 1 || n > FLOOD_MAX) {
		snprintf(out, outlen, "escape %s: bad argument (1..%d)", label, FLOOD_MAX);
		return;
	}
	for (int i = 0; i < n; i++) {
		uint8_t r[10];
		int fd = relay_request(3, &any, r);
		if (fd >= 0 && r[1] == 0)
			ok++;
		else
			refused++;
		if (fd >= 0)
			fds[nfd++] = fd;
	}
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	snprintf(out, outlen, "escape %s: done (%d associated, %d refused)", label, ok, refused);
}

/* Field numbers of meerko.proto: EngineToBroker.status = 2 holding
 * Status.torrents = 1; EngineToBroker.file_list = 20 holding FileList.files = 2. */
static void try_ipc_bomb(const char *arg, char *out, size_t outlen)
{
	int files = arg && strcmp(arg, "files") == 0;
	const uint8_t outer_status[] = { 0x12 }, outer_files[] = { 0xa2, 0x01 };
	const uint8_t *outer = files ? outer_files : outer_status;
	size_t olen = files ? sizeof outer_files : sizeof outer_status;
	size_t body = (MK_FRAME_MAX - olen - 4) & ~(size_t)1;
	uint8_t *buf = malloc(MK_FRAME_MAX);
	if (buf == NULL) {
		blocked(out, outlen, "ipc-bomb", ENOMEM);
		return;
	}
	memcpy(buf, outer, olen);
	for (size_t i = 0; i < 4; i++) /* a 4-byte varint of the body length */
		buf[olen + i] = (uint8_t)(((body >> (7 * i)) & 0x7f) | (i < 3 ? 0x80 : 0));
	for (size_t i = 0; i < body; i += 2) {
		buf[olen + 4 + i] = files ? 0x12 : 0x0a; /* an empty entry */
		buf[olen + 5 + i] = 0x00;
	}
	mk_frame_status st = mk_frame_write(MK_ENGINE_FD, buf, olen + 4 + body);
	free(buf);
	fprintf(stderr, "escape ipc-bomb: sent a %zu-byte frame (%s)\n", olen + 4 + body, mk_frame_strerror(st));
	struct pollfd p = { .fd = MK_ENGINE_FD, .events = 0 };
	poll(&p, 1, 10000); /* the broker kills us here */
	snprintf(out, outlen, "escape ipc-bomb: SUCCEEDED (the broker took the frame and kept the engine)");
}

static void try_resume_poison(const char *path, char *out, size_t outlen)
{
	static uint8_t data[1 << 20];
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, data, sizeof data) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		blocked(out, outlen, "resume-poison", n < 0 ? errno : ENODATA);
		return;
	}
	Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	rd.torrent_id = 1; /* the broker numbers its torrents from 1 */
	rd.data.data = data;
	rd.data.len = (size_t)n;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
	m.resume = &rd;
	mk_frame_status st = mk_ipc_send_e2b(MK_ENGINE_FD, &m);
	fprintf(stderr, "escape resume-poison: sent %zd bytes of resume data (%s), crashing\n", n,
		mk_frame_strerror(st));
	struct pollfd p = { .fd = MK_ENGINE_FD, .events = 0 };
	poll(&p, 1, 500); /* let the broker read it first */
	abort();
}

static void send_or_say(Meerko__EngineToBroker *m, const char *what)
{
	mk_frame_status st = mk_ipc_send_e2b(MK_ENGINE_FD, m);
	fprintf(stderr, "escape out-of-turn: sent %s (%s)\n", what, mk_frame_strerror(st));
}

static void send_file_list(uint32_t id)
{
	Meerko__FileEntry f = MEERKO__FILE_ENTRY__INIT, *fp[1] = { &f };
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	f.path = (char *)"escape/escape.bin";
	f.size = 1;
	fl.torrent_id = id;
	fl.n_files = 1;
	fl.files = fp;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST;
	m.file_list = &fl;
	send_or_say(&m, "a FileList");
}

static void try_out_of_turn(const char *label, const char *kind, char *out, size_t outlen)
{
	Meerko__Ready r = MEERKO__READY__INIT;
	Meerko__ShutdownDone d = MEERKO__SHUTDOWN_DONE__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	if (kind && strcmp(kind, "ready") == 0) {
		r.libtorrent_version = (char *)"escape";
		m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_READY;
		m.ready = &r;
		send_or_say(&m, "a second Ready");
	} else if (kind && strcmp(kind, "shutdown-done") == 0) {
		m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
		m.shutdown_done = &d;
		send_or_say(&m, "ShutdownDone, unasked");
	} else if (kind && strcmp(kind, "file-list-twice") == 0) {
		send_file_list(1);
		send_file_list(1);
	} else {
		snprintf(out, outlen, "escape %s: unknown kind", label);
		return;
	}
	struct pollfd p = { .fd = MK_ENGINE_FD, .events = 0 };
	poll(&p, 1, 10000); /* the broker kills us here */
	snprintf(out, outlen, "escape %s: SUCCEEDED (the broker took it and kept the engine)", label);
}

void mk_escape_before_ready(const char *write_dir)
{
	char marker[4096];
	uint8_t data[] = "de";
	struct stat st; /* stat, not access: faccessat is not on the allowlist */
	snprintf(marker, sizeof marker, "%s/.meerko-escape-resume-before-ready", write_dir ? write_dir : "");
	if (!write_dir || stat(marker, &st) != 0)
		return;
	Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	rd.torrent_id = 1;
	rd.data.data = data;
	rd.data.len = 2;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
	m.resume = &rd;
	send_or_say(&m, "ResumeData of torrent 1 before Ready");
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	     : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Copies s up to '&' or end into out, decoding %XX. */
static void copy_field(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	while (*s && *s != '&' && n + 1 < outlen) {
		if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			out[n++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

void mk_escape_attempt(const char *spec, char *out, size_t outlen)
{
	char label[ARG_MAX_LEN], name[ARG_MAX_LEN];
	copy_field(spec, label, sizeof label); /* "NAME[:ARG]", echoed in the result */
	memcpy(name, label, sizeof name);
	char *arg = strchr(name, ':');
	if (arg)
		*arg++ = '\0';

	if (strcmp(name, "execve") == 0)
		try_execve(out, outlen);
	else if (strcmp(name, "connect") == 0)
		try_connect(out, outlen);
	else if (strcmp(name, "write-outside") == 0)
		try_write_outside(out, outlen);
	else if (strcmp(name, "ptrace") == 0)
		try_ptrace(out, outlen);
	else if (strcmp(name, "packet") == 0)
		try_socket(out, outlen, "packet", AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	else if (strcmp(name, "raw-socket") == 0)
		try_socket(out, outlen, "raw-socket", AF_INET, SOCK_RAW, IPPROTO_UDP);
	else if (strcmp(name, "raw-socket6") == 0)
		try_socket(out, outlen, "raw-socket6", AF_INET6, SOCK_RAW, IPPROTO_TCP);
	else if (strcmp(name, "packet-socket-inet") == 0)
		try_socket(out, outlen, "packet-socket-inet", AF_INET, SOCK_PACKET, 0);
	else if (strcmp(name, "read-secret") == 0)
		try_read_secret(label, arg, out, outlen);
	else if (strcmp(name, "unix") == 0)
		try_socket(out, outlen, "unix", AF_UNIX, SOCK_STREAM, 0);
	else if (strcmp(name, "fork") == 0)
		try_fork(out, outlen);
	else if (strcmp(name, "exec-memory") == 0)
		try_exec_memory(out, outlen);
	else if (strcmp(name, "dumpable") == 0)
		try_dumpable(out, outlen);
	else if (strcmp(name, "host-view") == 0)
		try_host_view(label, arg, out, outlen);
	else if (strcmp(name, "processes") == 0)
		try_processes(out, outlen);
	else if (strcmp(name, "identity") == 0)
		try_identity(out, outlen);
	else if (strcmp(name, "terminal") == 0)
		try_terminal(out, outlen);
	else if (strcmp(name, "relay-connect") == 0)
		try_relay_connect(out, outlen, label, arg, 0);
	else if (strcmp(name, "relay-connect-name") == 0)
		try_relay_connect(out, outlen, label, arg, 1);
	else if (strcmp(name, "relay-udp") == 0)
		try_relay_udp(out, outlen, label, arg, 0);
	else if (strcmp(name, "relay-udp-name") == 0)
		try_relay_udp(out, outlen, label, arg, 1);
	else if (strcmp(name, "relay-udp-flood") == 0)
		try_relay_udp_flood(out, outlen, label, arg);
	else if (strcmp(name, "sanitizer") == 0)
		try_sanitizer(out, outlen);
	else if (strcmp(name, "threads") == 0)
		try_threads(out, outlen);
	else if (strcmp(name, "memory") == 0)
		try_memory(out, outlen);
	else if (strcmp(name, "memory-shared") == 0)
		try_memory_shared(out, outlen);
	else if (strcmp(name, "bigfile") == 0)
		try_bigfile(out, outlen);
	else if (strcmp(name, "setuid-file") == 0)
		try_setuid_file(out, outlen);
	else if (strcmp(name, "signal") == 0)
		try_signal(arg, out, outlen);
	else if (strcmp(name, "relay-fds") == 0)
		try_relay_fds(out, outlen);
	else if (strcmp(name, "ipc-bomb") == 0)
		try_ipc_bomb(arg, out, outlen);
	else if (strcmp(name, "resume-poison") == 0)
		try_resume_poison(arg, out, outlen);
	else if (strcmp(name, "out-of-turn") == 0)
		try_out_of_turn(label, arg, out, outlen);
	else
		snprintf(out, outlen, "escape %s: unknown attempt", label);
}
