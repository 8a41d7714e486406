/*
 * test_disk_check.c - the check before "done" (broker/disk_check.c): a
 * wanted file missing, short, sparse or not a regular file is a mismatch;
 * a path from a lying engine that climbs out of the save dir ("../"), is
 * absolute, or goes through a symlink is never followed (a mismatch, not a
 * look at the file outside); pad files, unwanted and empty files are not
 * checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "disk_check.h"

struct fixture {
	char dir[64];     /* the save dir */
	char outside[96]; /* a file beside it, which no path may reach */
};

static void write_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
}

static int setup(void **st)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char path[160];
	snprintf(fx->dir, sizeof fx->dir, "/tmp/meerko-test-disk-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->outside, sizeof fx->outside, "%s.outside", fx->dir);
	write_file(fx->outside, 4096);
	snprintf(path, sizeof path, "%s/t", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/t/a.bin", fx->dir);
	write_file(path, 8192);
	snprintf(path, sizeof path, "%s/t/link.bin", fx->dir);
	assert_int_equal(symlink(fx->outside, path), 0);
	snprintf(path, sizeof path, "%s/t/sparse.bin", fx->dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	assert_int_equal(truncate(path, 1 << 20), 0);
	*st = fx;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *fx = *st;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", fx->dir, fx->outside);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

/* One file entry of a FileList, checked against the fixture. */
static int check(struct fixture *fx, const char *path, uint64_t size, bool pad, bool holes_ok, char *why,
		 size_t whylen)
{
	Meerko__FileEntry e = MEERKO__FILE_ENTRY__INIT, *pe = &e;
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	struct mk_disk_files d = { 0 };
	e.path = (char *)path;
	e.size = size;
	e.pad = pad;
	fl.n_files = 1;
	fl.files = &pe;
	assert_int_equal(mk_disk_files_keep(&d, &fl, NULL), 0);
	why[0] = '\0';
	int r = mk_disk_files_check(&d, fx->dir, holes_ok, why, whylen);
	mk_disk_files_free(&d);
	return r;
}

static void whole_file_passes(void **st)
{
	char why[256];
	assert_int_equal(check(*st, "t/a.bin", 8192, false, false, why, sizeof why), 0);
}

static void missing_short_and_sparse_files_fail(void **st)
{
	char why[256];
	assert_int_equal(check(*st, "t/gone.bin", 10, false, false, why, sizeof why), -1);
	assert_string_equal(why, "t/gone.bin is missing");
	assert_int_equal(check(*st, "t/a.bin", 10000, false, false, why, sizeof why), -1);
	assert_string_equal(why, "t/a.bin has 8192 of 10000 bytes");
	assert_int_equal(check(*st, "t/sparse.bin", 1 << 20, false, false, why, sizeof why), -1);
	assert_non_null(strstr(why, "t/sparse.bin has holes"));
	/* after a full recheck the hashes decide (a compressing filesystem) */
	assert_int_equal(check(*st, "t/sparse.bin", 1 << 20, false, true, why, sizeof why), 0);
	assert_int_equal(check(*st, "t", 4096, false, false, why, sizeof why), -1);
	assert_string_equal(why, "t is not a regular file");
}

/* The engine names the file: it must not make the broker look outside. */
static void engine_paths_out_of_the_save_dir_are_not_followed(void **st)
{
	struct fixture *fx = *st;
	char why[256], up[128];
	snprintf(up, sizeof up, "../%s", strrchr(fx->outside, '/') + 1);
	assert_int_equal(check(fx, up, 4096, false, false, why, sizeof why), -1);
	assert_int_equal(check(fx, fx->outside, 4096, false, false, why, sizeof why), -1);
	assert_int_equal(check(fx, "t/link.bin", 4096, false, false, why, sizeof why), -1);
	assert_null(strstr(why, "is missing")); /* refused, not looked up */
}

static void pad_and_empty_files_are_not_checked(void **st)
{
	char why[256];
	assert_int_equal(check(*st, "t/.pad/16384", 16384, true, false, why, sizeof why), 0);
	assert_int_equal(check(*st, "t/empty-never-created", 0, false, false, why, sizeof why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(whole_file_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_short_and_sparse_files_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(engine_paths_out_of_the_save_dir_are_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(pad_and_empty_files_are_not_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
