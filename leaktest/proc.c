/*
 * proc.c - child processes (contract in proc.h).
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

long long lt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

pid_t lt_spawn(const char *netns, const char *log_path, char *const argv[], char *const env[])
{
	return lt_spawn_host(netns, NULL, log_path, argv, env);
}

pid_t lt_spawn_host(const char *netns, const char *hostname, const char *log_path,
		    char *const argv[], char *const env[])
{
	char *full[64];
	size_t n = 0;
	if (netns) {
		full[n++] = (char *)"ip";
		full[n++] = (char *)"netns";
		full[n++] = (char *)"exec";
		full[n++] = (char *)netns;
	}
	for (size_t i = 0; argv[i] && n < 63; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		setpgid(pid, pid); /* also in the child: no race either way */
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (hostname && (unshare(CLONE_NEWUTS) != 0 || sethostname(hostname, strlen(hostname)) != 0)) {
		dprintf(2, "meerko-leaktest: cannot set hostname %s: %s\n", hostname, strerror(errno));
		_exit(127);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int in = open("/dev/null", O_RDONLY);
	int out = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
			   : open("/dev/null", O_WRONLY);
	if (in < 0 || out < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	closefrom(3); /* no capture socket or pcap file of ours in the child */
	execvpe(full[0], full, env ? env : environ);
	dprintf(2, "meerko-leaktest: cannot run %s: %s\n", full[0], strerror(errno));
	_exit(127);
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

int lt_wait(pid_t pid, int timeout_ms, int *status)
{
	long long deadline = lt_now_ms() + timeout_ms;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (status)
				*status = decode_status(st);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (lt_now_ms() >= deadline)
			return 1;
		lt_sleep_ms(20);
	}
}

void lt_stop(pid_t pid, int grace_ms)
{
	if (pid <= 0)
		return;
	if (kill(-pid, SIGTERM) != 0 && errno == ESRCH && kill(pid, 0) != 0) {
		waitpid(pid, NULL, WNOHANG);
		return;
	}
	if (lt_wait(pid, grace_ms, NULL) == 0) {
		kill(-pid, SIGKILL); /* stragglers of the group */
		return;
	}
	kill(-pid, SIGKILL);
	lt_wait(pid, 5000, NULL);
}

void lt_kill_now(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	lt_wait(pid, 5000, NULL);
}

int lt_run(const char *netns, const char *log_path, char *const argv[], int timeout_ms)
{
	pid_t pid = lt_spawn(netns, log_path, argv, NULL);
	if (pid < 0)
		return -1;
	int st = 0;
	int r = lt_wait(pid, timeout_ms, &st);
	if (r == 1) {
		lt_stop(pid, 2000);
		return 124;
	}
	return r < 0 ? -1 : st;
}
