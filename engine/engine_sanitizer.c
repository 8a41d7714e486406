/*
 * engine_sanitizer.c - sanitizer runtime options of meerko-engine.
 * Compiled only into ASan+UBSan builds (MEERKO_SANITIZE); never shipped.
 *
 * Contract: the broker starts the engine with an empty environment on
 * purpose, so ASAN_OPTIONS / UBSAN_OPTIONS can never reach it. The runtimes
 * instead ask the hooks below for their defaults, once, while they start
 * (before main). Every finding must fail loudly: the first report ends the
 * engine with SIGABRT (halt_on_error, abort_on_error), which the broker
 * reports as a crash and the test harness finds in the engine's stderr.
 *
 * LeakSanitizer needs, at exit, a tracer process (clone without
 * CLONE_THREAD), ptrace and prctl(PR_SET_DUMPABLE): all things the confined
 * engine's seccomp policy forbids, rightly. So the confined engine runs
 * with detect_leaks=0; the unconfined one (--unconfined, sandbox off) keeps
 * leak checking, and so do the broker and its relay, which are never
 * confined (they take their options from the environment).
 *
 * Why reading /proc/self/cmdline here is safe: the hook runs during the
 * runtime's own start-up, before shadow memory and interceptors exist, so
 * it is not instrumented and uses only raw system calls and a static
 * buffer. If the file cannot be read, the engine counts as confined (the
 * choice that never calls what seccomp forbids).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "engine_sanitizer.h"

#define MK_NOSAN __attribute__((no_sanitize_address, no_sanitize_undefined))

/* Shared by both runtimes: stop at the first finding, with a signal the
 * broker names, and say where. */
#define MK_COMMON_OPTS "halt_on_error=1:abort_on_error=1:print_summary=1:color=never"

static char cmdline[4096];

/* True if s (NUL-terminated) equals the n bytes at p followed by NUL. */
static MK_NOSAN bool word_is(const char *p, const char *end, const char *s)
{
	while (p < end && *s && *p == *s) {
		p++;
		s++;
	}
	return *s == '\0' && p < end && *p == '\0';
}

/* The broker passes --unconfined exactly when the sandbox is off. */
static MK_NOSAN bool started_unconfined(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	long n = syscall(SYS_read, fd, cmdline, sizeof cmdline - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return false;
	const char *end = cmdline + n;
	cmdline[n] = '\0';
	for (const char *p = cmdline; p < end; p++) {
		if (word_is(p, end, "--unconfined"))
			return true;
		while (p < end && *p)
			p++; /* to the NUL that ends this argument */
	}
	return false;
}

MK_NOSAN const char *__asan_default_options(void);
MK_NOSAN const char *__ubsan_default_options(void);

MK_NOSAN const char *__asan_default_options(void)
{
	return started_unconfined() ? MK_COMMON_OPTS ":detect_leaks=1"
				    : MK_COMMON_OPTS ":detect_leaks=0";
}

MK_NOSAN const char *__ubsan_default_options(void)
{
	return MK_COMMON_OPTS ":print_stacktrace=1";
}

void mk_sanitizer_prepare_sandbox(void)
{
	/* Caches /proc/self/maps (Landlock hides /proc/self later) and
	 * initialises the symbolizer while files can still be opened. */
	__sanitizer_sandbox_on_notify(NULL);
}
