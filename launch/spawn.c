/*
 * spawn.c - starting meerko-engine (see spawn.h), and reaping it.
 *
 * Sandbox off (bench/debug only): fork, then exec the engine --unconfined.
 * Sandbox on: one clone() with every namespace of mk_sandbox_clone_flags();
 * the child wipes the broker's secrets (secret.h), sets itself up
 * (sandbox.c, sandbox_fs.c: its report and the relay's sockets go back
 * over setup_fd), forks the engine (pid 2, which execs the binary bound
 * inside its new root, with its limits as arguments) and stays as the
 * namespace's init (pid 1, see stay_as_init): when it is killed, anything
 * the engine started dies with it.
 *
 * Why the child is safe: the broker is single-threaded when it spawns (the
 * relay is a process of its own), so the child is an exact copy of one
 * thread; everything it needs that may allocate (the engine's arguments,
 * paths) is prepared before the fork, and it passes an empty environment
 * (nothing of the user's leaks into the engine, and no LD_PRELOAD-style
 * surprises). dup2 and close_range leave the engine exactly fds 0, 1
 * (/dev/null), 2 (a pipe to the broker) and MK_ENGINE_FD (ipc/contract.h).
 * No fd of the engine is a terminal: what it writes to stderr reaches the
 * user only through broker/engine_stderr.c (sanitised, prefixed,
 * rate-limited). Reaping (mk_reap_bounded, mk_describe_exit) is bounded:
 * a child that does not die in time is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contract.h"
#include "secret.h"
#include "sandbox_fs.h"
#include "spawn.h"

#ifndef MEERKO_LIBEXECDIR
#define MEERKO_LIBEXECDIR "/usr/local/libexec/meerko"
#endif

int mk_engine_path(char *out, size_t outlen, char *err, size_t errlen)
{
	/* Beside meerko-secure (a build tree), then PREFIX/libexec/meerko relative
	 * to it (a relocated install), then the configured libexec dir. All are
	 * as writable as meerko-secure itself, so none is weaker than the binary. */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		snprintf(out, outlen, "%s/meerko-engine", dir);
		if (access(out, X_OK) == 0)
			return 0;
		snprintf(out, outlen, "%s/../libexec/meerko/meerko-engine", dir);
		if (access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, outlen, "%s/meerko-engine", MEERKO_LIBEXECDIR);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(err, errlen, "cannot find meerko-engine (looked beside meerko-secure and in %s)",
		 MEERKO_LIBEXECDIR);
	return -1;
}

/* fork(), or with the sandbox a fork-like clone() into new namespaces. */
static pid_t new_child(const struct mk_sandbox *sb)
{
	if (!sb)
		return fork();
	return (pid_t)syscall(SYS_clone, (unsigned long)mk_sandbox_clone_flags(sb) | SIGCHLD,
			      NULL, NULL, NULL, NULL);
}

/* Sandbox on, the cloned child is pid 1 of the engine's PID namespace. A
 * namespace's init ignores every signal it sends itself, so an engine that
 * was pid 1 could not die of its own abort(). It stays behind as the
 * namespace's init instead (as bubblewrap's pid 1 does): it holds no
 * descriptor (so the broker sees EOF the moment the engine dies), reaps,
 * and ends with the engine's status: its exit code, or 128 + the signal
 * that killed it (mk_engine_status() turns that back). SIGKILL from the
 * broker kills it and, with it, everything in the namespace. */
static void stay_as_init(void)
{
	pid_t engine = fork();
	if (engine == 0)
		return; /* the engine, pid 2: goes on to exec */
	if (engine < 0)
		_exit(127);
	prctl(PR_SET_NAME, "meerko-init", 0, 0, 0);
	syscall(SYS_close_range, 0, ~0U, 0);
	for (;;) {
		int ws;
		pid_t got = waitpid(-1, &ws, 0);
		if (got == engine)
			_exit(WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws));
		if (got < 0 && errno != EINTR)
			_exit(127);
	}
}

pid_t mk_engine_pid(const struct mk_engine_proc *p)
{
	if (!p->via_init || p->pid <= 0)
		return p->pid;
	char path[64], text[32] = "";
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)p->pid, (int)p->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int engine = -1;
	if (fgets(text, sizeof text, f))
		engine = atoi(text); /* the init has exactly one child: the engine */
	fclose(f);
	return engine > 0 ? engine : -1;
}

int mk_engine_status(const struct mk_engine_proc *p, int ws)
{
	if (!p->via_init || !WIFEXITED(ws) || WEXITSTATUS(ws) <= 128 || WEXITSTATUS(ws) >= 128 + 65)
		return ws;
	return WEXITSTATUS(ws) - 128; /* the wait status of "killed by that signal" */
}

/* The limits as engine arguments, formatted before fork (the child may only
 * call async-signal-safe functions). */
struct limit_args {
	char tasks[24], data[24], fsize[24];
};

static void format_limits(struct limit_args *a, const struct mk_engine_limits *l)
{
	snprintf(a->tasks, sizeof a->tasks, "%llu", (unsigned long long)l->tasks);
	snprintf(a->data, sizeof a->data, "%llu", (unsigned long long)l->data_bytes);
	snprintf(a->fsize, sizeof a->fsize, "%llu", (unsigned long long)l->fsize);
}

/* A parent (setarch -R, a debugger) may have turned off address-space
 * randomisation for its children. libtorrent derives each tracker's `key`
 * (sent in every announce) from its own heap addresses: without ASLR the
 * key repeats across runs and links them (BEP 37 audit, leaktest). The
 * engine always gets a randomised layout; a failure leaves the flag as it
 * was (the kernel's own randomize_va_space = 0 cannot be overridden). */
static void address_layout_random(void)
{
	int persona = personality(0xffffffff);
	if (persona != -1 && (persona & ADDR_NO_RANDOMIZE))
		(void)personality((unsigned long)(persona & ~ADDR_NO_RANDOMIZE));
}

static void child(const char *path, int fd, int err_fd, const struct mk_sandbox *sb,
		  struct limit_args *la, int setup_fd)
{
	char *const argv_free[] = { (char *)"meerko-engine", (char *)"--unconfined", NULL };
	char *const argv_sandbox[] = { (char *)"meerko-engine", (char *)"--write-dir",
				       (char *)MK_SANDBOX_DATA_DIR, (char *)"--max-tasks", la->tasks,
				       (char *)"--max-data", la->data, (char *)"--max-fsize", la->fsize,
				       NULL };
	char *const envp[] = { NULL };
	mk_secret_wipe_all(); /* the engine must never see the proxy password */
	if (sb && mk_sandbox_enter(sb, path, setup_fd) != 0)
		_exit(127);
	if (setup_fd >= 0)
		close(setup_fd);
	if (sb)
		stay_as_init();
	int devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	if (dup2(fd, MK_ENGINE_FD) < 0) /* dup2 clears CLOEXEC on the copy */
		_exit(127);
	syscall(SYS_close_range, MK_ENGINE_FD + 1, ~0U, 0);
	address_layout_random();
	if (sb)
		execve(MK_SANDBOX_ENGINE_PATH, argv_sandbox, envp); /* bound there by sandbox_fs.c */
	else
		execve(path, argv_free, envp);
	_exit(127);
}

/* The engine's stderr: both ends CLOEXEC (the child's copy, made by dup2,
 * is not), the broker's read end non-blocking. */
static int open_stderr_pipe(int errp[2], char *err, size_t errlen)
{
	if (pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	int fl = fcntl(errp[0], F_GETFL);
	if (fl < 0 || fcntl(errp[0], F_SETFL, fl | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "fcntl(O_NONBLOCK): %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	return 0;
}

int mk_engine_spawn(const char *path, const struct mk_sandbox *sb, const struct mk_engine_limits *lim,
		    struct mk_engine_proc *p, char *err, size_t errlen)
{
	int sv[2], setup[2] = { -1, -1 }, errp[2];
	struct limit_args la = { "", "", "" };
	if (sb && !sb->enabled)
		sb = NULL;
	if (sb && !lim) {
		snprintf(err, errlen, "internal error: a sandboxed engine needs its resource limits");
		return -1;
	}
	if (sb)
		format_limits(&la, lim);
	p->pid = -1;
	p->fd = p->stderr_fd = p->relay_listen_fd = p->relay_udp_fd = -1;
	if (open_stderr_pipe(errp, err, errlen) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	if (sb && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, setup) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	pid_t pid = new_child(sb);
	if (pid == 0)
		child(path, sv[1], errp[1], sb, &la, setup[1]);
	close(sv[1]);
	close(errp[1]);
	if (setup[1] >= 0)
		close(setup[1]);
	if (pid < 0) {
		if (sb)
			snprintf(err, errlen, "sandbox: cannot create the engine's namespaces (%s): %s%s",
				 sb->userns ? "user, network, mount, PID, UTS, IPC"
					    : "network, mount, PID, UTS, IPC",
				 strerror(errno),
				 errno == ENOSPC ? " (a namespace limit is 0 or used up: "
						   "/proc/sys/user/max_*_namespaces)" : "");
		else
			snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(errp[0]);
		if (setup[0] >= 0)
			close(setup[0]);
		return -1;
	}
	p->pid = pid;
	p->via_init = sb != NULL;
	p->fd = sv[0];
	p->stderr_fd = errp[0];
	p->uid = sb ? sb->uid : geteuid();
	p->gid = sb ? sb->gid : getegid();
	if (!sb)
		return 0;
	int r = mk_sandbox_wait(setup[0], 5000, &p->relay_listen_fd, &p->relay_udp_fd, err, errlen);
	close(setup[0]);
	if (r != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p->fd);
		close(p->stderr_fd);
		p->pid = -1;
		p->fd = p->stderr_fd = -1;
	}
	return r;
}

pid_t mk_reap_bounded(pid_t pid, int wait_ms, int *ws)
{
	pid_t got = 0;
	*ws = 0;
	for (int waited = 0; got == 0 && waited < wait_ms; waited += 50) {
		got = waitpid(pid, ws, WNOHANG);
		if (got == 0)
			usleep(50 * 1000);
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		got = waitpid(pid, ws, 0);
	}
	return got;
}

void mk_describe_exit(int ws, char *out, size_t outlen)
{
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == MK_ENGINE_EXIT_NOMEM) {
		snprintf(out, outlen, "ran out of memory (exit status %d)", MK_ENGINE_EXIT_NOMEM);
	} else if (WIFEXITED(ws)) {
		snprintf(out, outlen, "exited with status %d", WEXITSTATUS(ws));
	} else if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);
		snprintf(out, outlen, "was killed by signal %d (%s)%s", sig, strsignal(sig),
			 sig == SIGSYS ? ": confinement violation (a forbidden system call)"
			 : sig == SIGXFSZ ? ": it wrote past its file size limit (the largest file of its torrents)"
			 : "");
	} else {
		snprintf(out, outlen, "ended with wait status 0x%x", (unsigned)ws);
	}
}
