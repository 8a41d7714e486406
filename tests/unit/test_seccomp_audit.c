/*
 * test_seccomp_audit.c - the audit build of the seccomp tables
 * (MEERKO_SECCOMP_AUDIT, development only) names what the release build
 * would kill: a child under the engine's or the relay's filter makes a
 * call its table lacks (ptrace, on both never-lists) and must say
 * "seccomp audit: TABLE: ptrace (nr N) is not in the table" on stderr and
 * exit 159 (128 + SIGSYS); an allowed call before it still works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_allowlist.h"
#include "seccomp_relay.h"

/* In a child: confine with install, make an allowed call, then ptrace. */
static void child(int (*install)(char *, size_t), int errfd)
{
	char why[256];
	if (dup2(errfd, 2) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(90);
	if (install(why, sizeof why) != 0) {
		dprintf(2, "install: %s\n", why);
		_exit(91);
	}
	if (syscall(SYS_getpid) <= 0)
		_exit(92); /* allowed: must still work */
	syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
	_exit(93); /* not reached: the audit handler exits */
}

/* Runs child() and returns its stderr in out; *status its wait status. */
static void run(int (*install)(char *, size_t), char *out, size_t outlen, int *status)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(install, p[1]);
	}
	close(p[1]);
	size_t have = 0;
	ssize_t n;
	while (have + 1 < outlen && (n = read(p[0], out + have, outlen - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
}

static void expect_named(int (*install)(char *, size_t), const char *table)
{
	char err[512], want[128];
	int status;
	run(install, err, sizeof err, &status);
	snprintf(want, sizeof want, "seccomp audit: %s: ptrace (nr %d) is not in the table", table, SYS_ptrace);
	if (!strstr(err, want))
		fail_msg("stderr was \"%s\", wanted \"%s\"", err, want);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 159);
}

static void engine_ptrace_is_named_then_the_engine_exits(void **st)
{
	(void)st;
	expect_named(mk_seccomp_install, "engine");
}

static void relay_ptrace_is_named_then_the_relay_exits(void **st)
{
	(void)st;
	expect_named(mk_seccomp_relay_install, "relay");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_ptrace_is_named_then_the_engine_exits),
		cmocka_unit_test(relay_ptrace_is_named_then_the_relay_exits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
