/*
 * test_seccomp_pfc.c - the seccomp filters as reviewed: the engine's, built
 * from policy/seccomp_allowlist.c, and the relay's, from
 * policy/seccomp_relay.c (each plus its sanitizer rows in an ASan+UBSan
 * build), must be, byte for byte, the pseudo-code committed in
 * policy/seccomp_allowlist.pfc and policy/seccomp_relay.pfc (*.sanitize.pfc
 * in sanitizer builds), so a policy change cannot land without its readable
 * diff.
 *
 * After a deliberate change of the table, write the files anew:
 *   MEERKO_WRITE_PFC=1 build/tests/unit/test_seccomp_pfc   (and the ASan build's)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_allowlist.h"
#include "seccomp_relay.h"

/* One reviewed filter: how to export it, where its text is committed. */
struct filter {
	int (*export_pfc)(int fd, char *why, size_t whylen);
	const struct mk_sc_rule *(*sanitizer_rules)(size_t *n);
	const char *release_pfc, *sanitize_pfc;
};

static const struct filter engine = { mk_seccomp_export_pfc, mk_seccomp_sanitizer_rules,
				      MEERKO_SOURCE_DIR "/policy/seccomp_allowlist.pfc",
				      MEERKO_SOURCE_DIR "/policy/seccomp_allowlist.sanitize.pfc" };
static const struct filter relay = { mk_seccomp_relay_export_pfc, mk_seccomp_relay_sanitizer_rules,
				     MEERKO_SOURCE_DIR "/policy/seccomp_relay.pfc",
				     MEERKO_SOURCE_DIR "/policy/seccomp_relay.sanitize.pfc" };

static const char *committed_path(const struct filter *f)
{
	size_t nsan = 0;
	f->sanitizer_rules(&nsan);
	return nsan ? f->sanitize_pfc : f->release_pfc;
}

/* The whole of what fd holds from its start (malloc'd, NUL-terminated). */
static char *slurp_fd(int fd, size_t *len)
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

static char *exported(const struct filter *flt, size_t *len)
{
	char why[256];
	int fd = memfd_create("pfc", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flt->export_pfc(fd, why, sizeof why), 0);
	char *text = slurp_fd(fd, len);
	close(fd);
	return text;
}

static char *committed(const struct filter *flt, size_t *len)
{
	FILE *f = fopen(committed_path(flt), "rb");
	if (!f)
		fail_msg("%s is missing: write it with MEERKO_WRITE_PFC=1 (see this file's header)",
			 committed_path(flt));
	char *text = slurp_fd(fileno(f), len);
	fclose(f);
	return text;
}

static void write_committed(const struct filter *flt, const char *text, size_t len)
{
	FILE *f = fopen(committed_path(flt), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	fprintf(stderr, "wrote %s\n", committed_path(flt));
}

/* The same table gives the same text: nothing run-dependent (the pid
 * rows print MK_SC_PFC_SELF_PID). */
static void check_stable(const struct filter *flt)
{
	size_t a_len, b_len;
	char *a = exported(flt, &a_len), *b = exported(flt, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	assert_non_null(strstr(a, "tgkill"));
	free(a);
	free(b);
}

/* A table edited without its .pfc fails here, with the file to update. */
static void check_committed(const struct filter *flt)
{
	size_t got_len, want_len;
	char *got = exported(flt, &got_len);
	if (getenv("MEERKO_WRITE_PFC"))
		write_committed(flt, got, got_len);
	char *want = committed(flt, &want_len);
	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		fail_msg("the seccomp filter differs from %s: review the change, then write the file "
			 "anew (MEERKO_WRITE_PFC=1 %s)", committed_path(flt), "test_seccomp_pfc");
	free(got);
	free(want);
}

static void engine_export_is_stable(void **st)
{
	(void)st;
	check_stable(&engine);
}

static void engine_filter_matches_the_committed_pfc(void **st)
{
	(void)st;
	check_committed(&engine);
}

static void relay_export_is_stable(void **st)
{
	(void)st;
	check_stable(&relay);
}

static void relay_filter_matches_the_committed_pfc(void **st)
{
	(void)st;
	check_committed(&relay);
}

/* The relay's table is not the engine's: it allows no file at all. */
static void relay_filter_opens_no_file(void **st)
{
	(void)st;
	size_t len;
	char *text = exported(&relay, &len);
	assert_null(strstr(text, "openat"));
	assert_null(strstr(text, "execve"));
	assert_null(strstr(text, "ptrace"));
	assert_non_null(strstr(text, "splice"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_export_is_stable),
		cmocka_unit_test(engine_filter_matches_the_committed_pfc),
		cmocka_unit_test(relay_export_is_stable),
		cmocka_unit_test(relay_filter_matches_the_committed_pfc),
		cmocka_unit_test(relay_filter_opens_no_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
