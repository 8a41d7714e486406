/*
 * spawn.c - fork + exec of meerko-engine.
 *
 * Why the child is safe: between fork and execve it only calls
 * async-signal-safe functions (dup2, open, close_range, execve, _exit), it
 * passes an empty environment (nothing of the user's leaks into the engine,
 * and no LD_PRELOAD-style surprises), and close_range leaves it exactly
 * fds 0, 1 (/dev/null), 2 and MK_ENGINE_FD.
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
#include "rlimits.h"
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

static void child(const char *path, int fd, const struct mk_sandbox *sb, struct limit_args *la,
		  int setup_fd)
{
	char *const argv_free[] = { (char *)"meerko-engine", (char *)"--unconfined", NULL };
	/* --write-dir first: tests find the engine by "meerko-engine --write-dir DIR". */
	char *const argv_sandbox[] = { (char *)"meerko-engine", (char *)"--write-dir",
				       (char *)(sb ? sb->save_dir : ""), (char *)"--max-tasks", la->tasks,
				       (char *)"--max-data", la->data, (char *)"--max-fsize", la->fsize,
				       NULL };
	char *const envp[] = { NULL };
	mk_secret_wipe_all(); /* the engine must never see the proxy password */
	if (sb && mk_sandbox_enter(sb, setup_fd) != 0)
		_exit(127);
	if (setup_fd >= 0)
		close(setup_fd);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(127);
	if (dup2(fd, MK_ENGINE_FD) < 0) /* dup2 clears CLOEXEC on the copy */
		_exit(127);
	syscall(SYS_close_range, MK_ENGINE_FD + 1, ~0U, 0);
	execve(path, sb ? argv_sandbox : argv_free, envp);
	_exit(127);
}

int mk_engine_spawn(const char *path, const struct mk_sandbox *sb, const struct mk_engine_limits *lim,
		    struct mk_engine_proc *p, char *err, size_t errlen)
{
	int sv[2], setup[2] = { -1, -1 };
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
	p->fd = p->relay_listen_fd = p->relay_udp_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (sb && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, setup) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		child(path, sv[1], sb, &la, setup[1]);
	close(sv[1]);
	if (setup[1] >= 0)
		close(setup[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		if (setup[0] >= 0)
			close(setup[0]);
		return -1;
	}
	p->pid = pid;
	p->fd = sv[0];
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
		p->pid = -1;
		p->fd = -1;
	}
	return r;
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
