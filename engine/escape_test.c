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
 *                  engine itself may be visible (own PID namespace)
 *   identity       hostname, cwd, the --write-dir argument: none may name
 *                  the machine or the user (own UTS namespace; /data)
 *   terminal       blocked: no fd 0..2 is a terminal (checked with fstat:
 *                  isatty's ioctl is not on the allowlist). Also writes a
 *                  title, a cursor query and a fake green "meerko-secure:
 *                  done" line to fd 2, which must reach the user only
 *                  sanitised and prefixed "meerko-engine: ".
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <unistd.h>

#include "engine.h"
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
		if (pid == getpid() || stat(path, &st) != 0)
			continue;
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
		snprintf(out, outlen, "escape processes: blocked (only itself and its threads, pid %d)",
			 (int)getpid());
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
	else if (strcmp(name, "host-view") == 0)
		try_host_view(label, arg, out, outlen);
	else if (strcmp(name, "processes") == 0)
		try_processes(out, outlen);
	else if (strcmp(name, "identity") == 0)
		try_identity(out, outlen);
	else if (strcmp(name, "terminal") == 0)
		try_terminal(out, outlen);
	else if (strcmp(name, "sanitizer") == 0)
		try_sanitizer(out, outlen);
	else if (strcmp(name, "ipc-bomb") == 0)
		try_ipc_bomb(arg, out, outlen);
	else if (strcmp(name, "resume-poison") == 0)
		try_resume_poison(arg, out, outlen);
	else
		snprintf(out, outlen, "escape %s: unknown attempt", label);
}
