/*
 * seccomp_filter.c - the one seccomp filter builder, for every table
 * (seccomp_allowlist.c: the engine; seccomp_relay.c: the relay).
 *
 * Contract (seccomp_filter.h): a table's rows, then its sanitizer rows,
 * become a libseccomp filter whose default action kills the whole process
 * (SCMP_ACT_KILL_PROCESS), also for a foreign syscall ABI. A
 * MEERKO_SECCOMP_AUDIT build (development only, never shipped) traps
 * instead: the process says which call its table lacks, by name, on
 * stderr ("seccomp audit: TABLE: NAME (nr N) is not in the table") and
 * exits 159 (128 + SIGSYS) - what the release build would have killed,
 * named. Before anything is built the table is
 * checked: a call has one plain row or only conditional rows (libseccomp
 * lets a plain rule swallow conditional ones), and an allowing socket() row
 * tests family, type and protocol. The same build gives the loaded filter
 * and the PFC text reviewers read (policy/NAME.pfc), so they cannot differ.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_filter.h"

bool mk_seccomp_enforcing(void)
{
#ifdef MEERKO_SECCOMP_AUDIT
	return false;
#else
	return true;
#endif
}

#ifdef MEERKO_SECCOMP_AUDIT
/* The audit build's SIGSYS report. Names are resolved before the filter
 * is loaded (libseccomp allocates): the handler only copies bytes and
 * calls write and _exit, both async-signal-safe and in every table. */
#define AUDIT_MAX_NR 512
static char g_audit_names[AUDIT_MAX_NR][32];
static char g_audit_table[32];

static size_t put(char *buf, size_t at, size_t cap, const char *text)
{
	while (*text && at < cap)
		buf[at++] = *text++;
	return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, unsigned n)
{
	char digits[12];
	size_t k = 0;
	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) && k < sizeof digits);
	while (k && at < cap)
		buf[at++] = digits[--k];
	return at;
}

static void audit_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[160];
	unsigned nr = (unsigned)si->si_syscall;
	const char *name = nr < AUDIT_MAX_NR && g_audit_names[nr][0] ? g_audit_names[nr] : "?";
	size_t n = put(line, 0, sizeof line, "seccomp audit: ");
	n = put(line, n, sizeof line, g_audit_table);
	n = put(line, n, sizeof line, ": ");
	n = put(line, n, sizeof line, name);
	n = put(line, n, sizeof line, " (nr ");
	n = put_num(line, n, sizeof line, nr);
	n = put(line, n, sizeof line, ") is not in the table\n");
	ssize_t w = write(2, line, n);
	(void)w;
	_exit(128 + SIGSYS);
}

static int audit_prepare(const struct mk_sc_table *t, char *why, size_t whylen)
{
	snprintf(g_audit_table, sizeof g_audit_table, "%s", t->name);
	for (int nr = 0; nr < AUDIT_MAX_NR; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		snprintf(g_audit_names[nr], sizeof g_audit_names[nr], "%s", name ? name : "");
		free(name);
	}
	struct sigaction sa = { .sa_sigaction = audit_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		snprintf(why, whylen, "seccomp audit: SIGSYS handler: %s", strerror(errno));
		return -1;
	}
	return 0;
}
#define MK_SC_DEFAULT_ACTION SCMP_ACT_TRAP
#else
#define MK_SC_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
#endif

static bool has_cond(const struct mk_sc_rule *r)
{
	for (size_t k = 0; k < MK_SC_MAX_COND; k++)
		if (r->cond[k].arg >= 0)
			return true;
	return false;
}

/* Row i of the filter: the release table, then the sanitizer rows (none
 * outside sanitizer builds: seccomp_sanitizer.c). */
static const struct mk_sc_rule *row(const struct mk_sc_table *t, size_t i)
{
	return i < t->n ? &t->rows[i] : i < t->n + t->n_extra ? &t->extra[i - t->n] : NULL;
}

static bool tests_arg(const struct mk_sc_rule *r, int arg)
{
	for (size_t k = 0; k < MK_SC_MAX_COND; k++)
		if (r->cond[k].arg == arg)
			return true;
	return false;
}

/* An allowed socket() names its family, type and protocol. */
static bool socket_row_ok(const struct mk_sc_rule *r)
{
	return strcmp(r->name, "socket") != 0 || r->action != MK_SC_ALLOW ||
	       (tests_arg(r, 0) && tests_arg(r, 1) && tests_arg(r, 2));
}

/* libseccomp lets an unconditional rule silently swallow conditional rules
 * for the same call, so a call has either one plain row or only
 * conditional rows (across both tables). And no socket() row allows a
 * type or protocol it does not test. */
static int check_table(const struct mk_sc_table *t, char *why, size_t whylen)
{
	for (size_t i = 0; row(t, i); i++) {
		if (!socket_row_ok(row(t, i))) {
			snprintf(why, whylen, "seccomp table %s: an allowing socket row that does "
				 "not test family, type and protocol (\"%s\")", t->name, row(t, i)->why);
			return -1;
		}
		for (size_t j = i + 1; row(t, j); j++) {
			if (strcmp(row(t, i)->name, row(t, j)->name) != 0)
				continue;
			if (!has_cond(row(t, i)) || !has_cond(row(t, j))) {
				snprintf(why, whylen, "seccomp table %s: '%s' has a plain row and "
					 "another row", t->name, row(t, i)->name);
				return -1;
			}
		}
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct mk_sc_rule *r, uint64_t self_pid, char *why,
		    size_t whylen)
{
	struct scmp_arg_cmp cmp[MK_SC_MAX_COND];
	unsigned int ncmp = 0;
	if (r->nr < 0)
		return 0; /* not a system call on this architecture: nothing to allow */
	for (size_t k = 0; k < MK_SC_MAX_COND; k++) {
		const struct mk_sc_arg *c = &r->cond[k];
		if (c->arg < 0)
			continue;
		uint64_t value = c->self_pid ? self_pid : c->value;
		cmp[ncmp++] = (struct scmp_arg_cmp){ (unsigned int)c->arg, SCMP_CMP_MASKED_EQ,
						      c->mask, value };
	}
	uint32_t act = r->action == MK_SC_ALLOW ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO((uint32_t)r->err);
	int rc = seccomp_rule_add_exact_array(ctx, act, r->nr, ncmp, cmp);
	if (rc != 0) {
		snprintf(why, whylen, "seccomp rule for %s: %s", r->name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr a, uint32_t v, const char *name,
		    char *why, size_t whylen)
{
	int rc = seccomp_attr_set(ctx, a, v);
	if (rc != 0) {
		snprintf(why, whylen, "seccomp attribute %s: %s", name, strerror(-rc));
		return -1;
	}
	return 0;
}

static int set_attrs(scmp_filter_ctx ctx, char *why, size_t whylen)
{
	/* A syscall of another ABI (int 0x80, x32) kills too. */
	if (set_attr(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "BADARCH", why, whylen) ||
	    /* Required to load a filter without CAP_SYS_ADMIN; already set. */
	    set_attr(ctx, SCMP_FLTATR_CTL_NNP, 1, "NNP", why, whylen) ||
	    /* Single-threaded now; TSYNC makes that not matter. */
	    set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "TSYNC", why, whylen) ||
	    /* Errors carry the kernel's errno, for a readable message. */
	    set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "SYSRAWRC", why, whylen) ||
	    /* Binary search: hot calls (futex, recvfrom, pwrite64) pay log(n). */
	    set_attr(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2, "OPTIMIZE", why, whylen))
		return -1;
	return 0;
}

/* Returns a filter ready to load, or NULL with why; self_pid fills the
 * rows that name our own pid. */
static scmp_filter_ctx build(const struct mk_sc_table *t, uint64_t self_pid, char *why, size_t whylen)
{
	if (check_table(t, why, whylen) != 0)
		return NULL;
	scmp_filter_ctx ctx = seccomp_init(MK_SC_DEFAULT_ACTION);
	if (!ctx) {
		snprintf(why, whylen, "seccomp_init failed (libseccomp too old?)");
		return NULL;
	}
	int rc = set_attrs(ctx, why, whylen);
	for (size_t i = 0; rc == 0 && row(t, i); i++)
		rc = add_rule(ctx, row(t, i), self_pid, why, whylen);
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int mk_sc_filter_install(const struct mk_sc_table *t, char *why, size_t whylen)
{
	scmp_filter_ctx ctx = build(t, (uint64_t)getpid(), why, whylen);
	if (!ctx)
		return -1;
#ifdef MEERKO_SECCOMP_AUDIT
	if (audit_prepare(t, why, whylen) != 0) {
		seccomp_release(ctx);
		return -1;
	}
#endif
	int rc = seccomp_load(ctx);
	if (rc != 0)
		snprintf(why, whylen, "seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

int mk_sc_filter_export_pfc(const struct mk_sc_table *t, int fd, char *why, size_t whylen)
{
	scmp_filter_ctx ctx = build(t, MK_SC_PFC_SELF_PID, why, whylen);
	if (!ctx)
		return -1;
	int rc = seccomp_export_pfc(ctx, fd);
	if (rc != 0)
		snprintf(why, whylen, "seccomp_export_pfc: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
