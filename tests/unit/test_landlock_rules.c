/*
 * test_landlock_rules.c - the engine's Landlock table (policy/
 * landlock_rules.c): no read-only row grants more than reading, every row
 * says why, and none reaches a path on the never-list ($HOME, /etc/meerko,
 * the resolver files, /proc/self, /sys/class/net, ...): a new row that
 * would let a compromised engine read the proxy password or the host's
 * addresses fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "landlock_rules.h"

/* below: path is dir itself or inside it */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || dir[n - 1] == '/');
}

static void read_only_rows_only_read(void **st)
{
	(void)st;
	size_t n;
	const struct mk_ll_rule *r = mk_landlock_read_only(&n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].access & ~(uint64_t)MK_LL_FS_READ, 0);
		assert_true(r[i].path[0] == '/' && r[i].why && strlen(r[i].why) > 8);
	}
}

static void no_row_reaches_the_never_list(void **st)
{
	(void)st;
	size_t n, m;
	const struct mk_ll_rule *r = mk_landlock_read_only(&n);
	const struct mk_ll_never *nv = mk_landlock_never(&m);
	assert_true(m > 0);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < m; k++)
			if (below(nv[k].path, r[i].path) || below(r[i].path, nv[k].path))
				fail_msg("landlock row %s reaches %s (%s)", r[i].path, nv[k].path, nv[k].why);
}

static void the_write_set_cannot_execute_or_link(void **st)
{
	(void)st;
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_EXECUTE, 0);
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_MAKE_SYM, 0);
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_MAKE_SOCK, 0);
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_MAKE_FIFO, 0);
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_MAKE_CHAR, 0);
	assert_int_equal(MK_LL_FS_WRITE & LANDLOCK_ACCESS_FS_MAKE_BLOCK, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_only_rows_only_read),
		cmocka_unit_test(no_row_reaches_the_never_list),
		cmocka_unit_test(the_write_set_cannot_execute_or_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
