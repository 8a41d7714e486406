/*
 * test_seccomp_pfc.c - the engine's seccomp filter as reviewed: the filter
 * built from policy/seccomp_allowlist.c (plus the sanitizer rows in an
 * ASan+UBSan build) must be, byte for byte, the pseudo-code committed in
 * policy/seccomp_allowlist.pfc (policy/seccomp_allowlist.sanitize.pfc), so a
 * policy change cannot land without its readable diff.
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

static const char *committed_path(void)
{
	size_t nsan = 0;
	mk_seccomp_sanitizer_rules(&nsan);
	return nsan ? MEERKO_SOURCE_DIR "/policy/seccomp_allowlist.sanitize.pfc"
		    : MEERKO_SOURCE_DIR "/policy/seccomp_allowlist.pfc";
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

static char *exported(size_t *len)
{
	char why[256];
	int fd = memfd_create("pfc", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mk_seccomp_export_pfc(fd, why, sizeof why), 0);
	char *text = slurp_fd(fd, len);
	close(fd);
	return text;
}

static char *committed(size_t *len)
{
	FILE *f = fopen(committed_path(), "rb");
	if (!f)
		fail_msg("%s is missing: write it with MEERKO_WRITE_PFC=1 (see this file's header)", committed_path());
	char *text = slurp_fd(fileno(f), len);
	fclose(f);
	return text;
}

static void write_committed(const char *text, size_t len)
{
	FILE *f = fopen(committed_path(), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	fprintf(stderr, "wrote %s\n", committed_path());
}

/* The same table gives the same text: nothing run-dependent (the pid
 * rows print MK_SC_PFC_SELF_PID). */
static void export_is_stable(void **st)
{
	(void)st;
	size_t a_len, b_len;
	char *a = exported(&a_len), *b = exported(&b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	assert_non_null(strstr(a, "tgkill"));
	free(a);
	free(b);
}

/* A table edited without its .pfc fails here, with the file to update. */
static void filter_matches_the_committed_pfc(void **st)
{
	(void)st;
	size_t got_len, want_len;
	char *got = exported(&got_len);
	if (getenv("MEERKO_WRITE_PFC"))
		write_committed(got, got_len);
	char *want = committed(&want_len);
	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		fail_msg("the seccomp filter differs from %s: review the change, then write the file "
			 "anew (MEERKO_WRITE_PFC=1 %s)", committed_path(), "test_seccomp_pfc");
	free(got);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(export_is_stable),
		cmocka_unit_test(filter_matches_the_committed_pfc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
