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
 *   read-secret[:PATH]  every path blocked (Landlock EACCES; ENOENT means
 *                  the file does not exist, so proves nothing). PATH may be
 *                  percent-encoded.
 *   unix           blocked: EAFNOSUPPORT (no named UNIX sockets: they would
 *                  bypass the namespace, e.g. to a local DNS resolver)
 *   fork           killed (seccomp: clone without CLONE_THREAD)
 *   exec-memory    killed (seccomp: mmap with PROT_EXEC)
 *   dumpable       killed (seccomp: prctl(PR_SET_DUMPABLE, 1))
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
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "escape_test.h"

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
static void try_read_secret(const char *label, const char *extra, char *out, size_t outlen)
{
	char environ_path[64], mem_path[64], opened[512] = "", failed[512] = "";
	snprintf(environ_path, sizeof environ_path, "/proc/%d/environ", (int)parent_pid);
	snprintf(mem_path, sizeof mem_path, "/proc/%d/mem", (int)parent_pid);
	const char *paths[] = { environ_path, mem_path, "/etc/meerko/meerko.ini",
				"/root/.config/meerko/meerko.ini", extra };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (!paths[i] || !paths[i][0])
			continue;
		char res[300];
		if (try_read(paths[i], res, sizeof res))
			snprintf(opened + strlen(opened), sizeof opened - strlen(opened), "%s%s",
				 opened[0] ? ", " : "", paths[i]);
		else
			snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s%s",
				 failed[0] ? "; " : "", res);
	}
	if (opened[0])
		snprintf(out, outlen, "escape %s: SUCCEEDED (opened %s)", label, opened);
	else
		snprintf(out, outlen, "escape %s: blocked (%s)", label, failed);
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
	else if (strcmp(name, "relay-fds") == 0)
		try_relay_fds(out, outlen);
	else
		snprintf(out, outlen, "escape %s: unknown attempt", label);
}
