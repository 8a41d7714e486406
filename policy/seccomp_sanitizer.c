/*
 * seccomp_sanitizer.c - the extra seccomp rows of ASan+UBSan builds.
 *
 * Contract: in a build with MEERKO_SANITIZE (cmake -DMEERKO_SANITIZE=ON,
 * test builds only, never shipped) mk_seccomp_sanitizer_rules() returns the
 * rows below, which mk_seccomp_install() adds after the release table (and
 * mk_seccomp_relay_sanitizer_rules() the relay's, after seccomp_relay.c's,
 * and mk_seccomp_control_sanitizer_rules() meerko-control's);
 * in every other build they return none, so the release filters are
 * exactly the tables. Rows are read as there (seccomp_rows.h).
 *
 * Each row is a call the sanitizer runtimes (libasan, libubsan) make while
 * the confined engine runs, found from the kernel's SIGSYS reports and
 * strace -f of a confined download, an engine crash and a sanitizer report.
 * Not here, on purpose: LeakSanitizer's needs at exit (ptrace, a tracer
 * made with clone() without CLONE_THREAD, prctl(PR_SET_DUMPABLE)): the
 * confined engine runs with detect_leaks=0 instead (engine_sanitizer.c),
 * and the escape test still proves ptrace, execve and fork are killed.
 */
#include <fcntl.h>
#include <stddef.h>

#include "seccomp_allowlist.h"
#include "seccomp_control.h"
#include "seccomp_relay.h"
#include "seccomp_rows.h"

#ifdef MEERKO_SANITIZE

static const struct mk_sc_rule rules[] = {
	ALLOW(sched_yield, "the runtimes' spin locks back off with it (allocator, reports)"),
	ALLOW_IF(open, ARG_BITS(1, O_PATH, 0),
		 "the runtimes call open(), not openat(), for /proc/self/maps and to read the "
		 "binary's debug info for a report; as openat: Landlock checks the path, no O_PATH"),
};

const struct mk_sc_rule *mk_seccomp_sanitizer_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

/* The relay (a fork of the sanitized broker, detect_leaks on: it never
 * exits through LeakSanitizer, only by _exit or a kill). */
static const struct mk_sc_rule relay_rules[] = {
	ALLOW(sched_yield, "the runtimes' spin locks back off with it (allocator, reports)"),
	ALLOW(sched_getaffinity, "ASan's thread start reads its stack: pthread_getattr_np asks it"),
	ALLOW(sigaltstack, "ASan gives every thread an alternate signal stack, and takes it back"),
};

const struct mk_sc_rule *mk_seccomp_relay_sanitizer_rules(size_t *n)
{
	*n = sizeof relay_rules / sizeof relay_rules[0];
	return relay_rules;
}

/* meerko-control (execs its own sanitized binary, as the engine does). */
static const struct mk_sc_rule control_rules[] = {
	ALLOW(sched_yield, "the runtimes' spin locks back off with it (allocator, reports)"),
	ALLOW_IF(open, ARG_BITS(1, O_PATH, 0),
		 "the runtimes call open(), not openat(), for /proc/self/maps and to read the "
		 "binary's debug info for a report; Landlock (no file rights) still refuses it"),
	ALLOW(sigaltstack, "ASan's _exit() path takes down its alternate signal stack"),
};

const struct mk_sc_rule *mk_seccomp_control_sanitizer_rules(size_t *n)
{
	*n = sizeof control_rules / sizeof control_rules[0];
	return control_rules;
}

#else

const struct mk_sc_rule *mk_seccomp_sanitizer_rules(size_t *n)
{
	*n = 0;
	return NULL;
}

const struct mk_sc_rule *mk_seccomp_relay_sanitizer_rules(size_t *n)
{
	*n = 0;
	return NULL;
}

const struct mk_sc_rule *mk_seccomp_control_sanitizer_rules(size_t *n)
{
	*n = 0;
	return NULL;
}

#endif
