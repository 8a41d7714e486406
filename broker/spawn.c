/*
 * spawn.c - fork + exec of meerko-engine.
 *
 * Why the child is safe: between fork and execve it only calls
 * async-signal-safe functions (dup2, open, close_range, execve, _exit), it
 * passes an empty environment (nothing of the user's leaks into the engine,
 * and no LD_PRELOAD-style surprises), and close_range leaves it exactly
 * fds 0, 1 (/dev/null), 2 (a pipe to the broker) and MK_ENGINE_FD. No fd
 * of the engine is a terminal: what it writes to stderr reaches the user
 * only through engine_stderr.c (sanitised, prefixed, rate-limited).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "secret.h"
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

static void child(const char *path, int fd, int err_fd, const struct mk_sandbox *sb, int setup_fd)
{
	char *const argv_free[] = { (char *)"meerko-engine", (char *)"--unconfined", NULL };
	char *const argv_sandbox[] = { (char *)"meerko-engine", (char *)"--write-dir",
				       (char *)(sb ? sb->save_dir : ""), NULL };
	char *const envp[] = { NULL };
	mk_secret_wipe_all(); /* the engine must never see the proxy password */
	if (sb && mk_sandbox_enter(sb, setup_fd) != 0)
		_exit(127);
	if (setup_fd >= 0)
		close(setup_fd);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	if (dup2(fd, MK_ENGINE_FD) < 0) /* dup2 clears CLOEXEC on the copy */
		_exit(127);
	syscall(SYS_close_range, MK_ENGINE_FD + 1, ~0U, 0);
	execve(path, sb ? argv_sandbox : argv_free, envp);
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

int mk_engine_spawn(const char *path, const struct mk_sandbox *sb, struct mk_engine_proc *p,
		    char *err, size_t errlen)
{
	int sv[2], setup[2] = { -1, -1 }, errp[2];
	if (sb && !sb->enabled)
		sb = NULL;
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
	pid_t pid = fork();
	if (pid == 0)
		child(path, sv[1], errp[1], sb, setup[1]);
	close(sv[1]);
	close(errp[1]);
	if (setup[1] >= 0)
		close(setup[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(errp[0]);
		if (setup[0] >= 0)
			close(setup[0]);
		return -1;
	}
	p->pid = pid;
	p->fd = sv[0];
	p->stderr_fd = errp[0];
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

void mk_describe_exit(int ws, char *out, size_t outlen)
{
	if (WIFEXITED(ws)) {
		snprintf(out, outlen, "exited with status %d", WEXITSTATUS(ws));
	} else if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);
		snprintf(out, outlen, "was killed by signal %d (%s)%s", sig, strsignal(sig),
			 sig == SIGSYS ? ": confinement violation (a forbidden system call)" : "");
	} else {
		snprintf(out, outlen, "ended with wait status 0x%x", (unsigned)ws);
	}
}
