/*
 * test_seccomp_control.c - meerko-control's seccomp filter
 * (policy/seccomp_control.c) as reviewed and as it acts:
 *  - byte for byte the pseudo-code committed in policy/seccomp_control.pfc
 *    (policy/seccomp_control.sanitize.pfc in an ASan+UBSan build), so a
 *    policy change cannot land without its readable diff;
 *  - every row has a reason, and no row allows a call of the never-list;
 *  - loaded in a child: what an attacker in meerko-control would try next
 *    (a new socket, a connect, execve, a thread/fork, ptrace) kills it with
 *    SIGSYS; opening a file fails with EACCES and it lives on.
 * After a deliberate change of the table, write the files anew:
 *   MEERKO_WRITE_PFC=1 build/tests/unit/test_seccomp_control   (and the ASan build's)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_control.h"

static const char *committed_path(void)
{
	size_t nsan = 0;
	mk_seccomp_sanitizer_rules(&nsan);
	return nsan ? MEERKO_SOURCE_DIR "/policy/seccomp_control.sanitize.pfc"
		    : MEERKO_SOURCE_DIR "/policy/seccomp_control.pfc";
}

static char *slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	assert_true(end >= 0);
	char *buf = malloc((size_t)end + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
	buf[end] = '\0';
	*len = (size_t)end;
	return buf;
}

static void filter_matches_the_committed_pfc(void **st)
{
	(void)st;
	char why[256];
	size_t got_len, want_len;
	int fd = memfd_create("pfc", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mk_seccomp_control_export_pfc(fd, why, sizeof why), 0);
	char *got = slurp(fd, &got_len);
	close(fd);
	if (getenv("MEERKO_WRITE_PFC")) {
		FILE *f = fopen(committed_path(), "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, got_len, f), got_len);
		fclose(f);
		fprintf(stderr, "wrote %s\n", committed_path());
	}
	int cfd = open(committed_path(), O_RDONLY | O_CLOEXEC);
	if (cfd < 0)
		fail_msg("%s is missing: MEERKO_WRITE_PFC=1 test_seccomp_control", committed_path());
	char *want = slurp(cfd, &want_len);
	close(cfd);
	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		fail_msg("the filter differs from %s: review, then MEERKO_WRITE_PFC=1 test_seccomp_control",
			 committed_path());
	free(got);
	free(want);
}

static const char *const never[] = {
	"open", "creat", "socket", "socketpair", "bind", "listen", "connect", "execve", "execveat",
	"fork", "vfork", "clone", "clone3", "ptrace", "process_vm_readv", "process_vm_writev", "kill",
	"prctl", "seccomp", "landlock_create_ruleset", "landlock_restrict_self", "setrlimit",
	"prlimit64", "capset", "setuid", "memfd_create", "bpf", "perf_event_open", "userfaultfd",
	"io_uring_setup", "keyctl", "mount", "unshare", "setns", "chmod", "unlink", "rename",
};

static void rows_have_reasons_and_skip_the_never_list(void **st)
{
	(void)st;
	size_t n;
	const struct mk_sc_rule *r = mk_seccomp_control_rules(&n);
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].why && strlen(r[i].why) > 10);
		for (size_t k = 0; k < sizeof never / sizeof never[0]; k++)
			if (r[i].action == MK_SC_ALLOW && strcmp(r[i].name, never[k]) == 0)
				fail_msg("the never-listed %s is allowed", never[k]);
	}
}

/* Runs attempt() in a child under the filter; returns its wait status. */
static int confined(void (*attempt)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char why[256];
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    mk_seccomp_control_install(why, sizeof why) != 0)
			_exit(100);
		attempt();
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void new_socket(void) { syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }
static void new_unix_socket(void) { syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }
static void connect_out(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	syscall(SYS_connect, 4, &a, sizeof a);
}
static void run_a_program(void)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };
	syscall(SYS_execve, "/bin/true", argv, envp);
}
static void fork_a_child(void) { syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); }
static void trace_the_broker(void) { syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0); }
static void change_limits(void) { syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL); }
static void executable_memory(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void attacker_calls_are_killed(void **st)
{
	(void)st;
	void (*const attempts[])(void) = { new_socket, new_unix_socket, connect_out, run_a_program,
					   fork_a_child, trace_the_broker, change_limits,
					   executable_memory };
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		int status = confined(attempts[i]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
			fail_msg("attempt %zu was not killed by SIGSYS (status 0x%x)", i, status);
	}
}

static void open_a_file(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	_exit(fd < 0 && errno == EACCES ? 0 : 1);
}

static void opening_a_file_fails_and_it_lives_on(void **st)
{
	(void)st;
	int status = confined(open_a_file);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("opening a file under the filter: status 0x%x (signal %d)", status,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter_matches_the_committed_pfc),
		cmocka_unit_test(rows_have_reasons_and_skip_the_never_list),
		cmocka_unit_test(attacker_calls_are_killed),
		cmocka_unit_test(opening_a_file_fails_and_it_lives_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
