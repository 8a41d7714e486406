/*
 * test_savedir_owner.c - as root, the engine may run as the save dir's owner
 * only when that owner is an ordinary user (savedir_owner.c): root, system
 * users and nobody never are; /etc/login.defs' UID_MIN/UID_MAX move the range,
 * and a hostile or broken login.defs cannot make root ordinary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "savedir_owner.h"

static void root_system_users_and_nobody_are_not_ordinary(void **st)
{
	(void)st;
	assert_false(mk_uid_is_ordinary(0, 1000, 60000));
	assert_false(mk_uid_is_ordinary(0, 0, 60000));
	assert_false(mk_uid_is_ordinary(999, 1000, 60000));
	assert_false(mk_uid_is_ordinary(65534, 1000, 60000));
	assert_true(mk_uid_is_ordinary(1000, 1000, 60000));
	assert_true(mk_uid_is_ordinary(60000, 1000, 60000));
}

/* login.defs with TEXT in a temporary file; the range it gives. */
static void range_of(const char *text, uid_t *lo, uid_t *hi)
{
	char path[] = "/tmp/mk-login-defs.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	mk_login_defs_uid_range(path, lo, hi);
	unlink(path);
}

static void login_defs_moves_the_range(void **st)
{
	(void)st;
	uid_t lo, hi;
	range_of("# comment\nUID_MIN\t\t 500\nUID_MAX 30000 # trailing\nGID_MIN 100\n", &lo, &hi);
	assert_int_equal(lo, 500);
	assert_int_equal(hi, 30000);
	range_of("UID_MIN 2000\nUID_MIN 3000\n", &lo, &hi); /* the last one wins */
	assert_int_equal(lo, 3000);
	assert_int_equal(hi, MK_UID_MAX_DEFAULT);
}

static void missing_or_garbled_login_defs_keeps_the_defaults(void **st)
{
	(void)st;
	uid_t lo, hi;
	mk_login_defs_uid_range("/nonexistent/login.defs", &lo, &hi);
	assert_int_equal(lo, MK_UID_MIN_DEFAULT);
	assert_int_equal(hi, MK_UID_MAX_DEFAULT);
	range_of("UID_MIN -1\nUID_MAX 12abc\nUID_MINX 5\n#UID_MIN 7\n", &lo, &hi);
	assert_int_equal(lo, MK_UID_MIN_DEFAULT);
	assert_int_equal(hi, MK_UID_MAX_DEFAULT);
}

static void login_defs_saying_uid_min_0_still_excludes_root(void **st)
{
	(void)st;
	uid_t lo, hi;
	range_of("UID_MIN 0\n", &lo, &hi);
	assert_int_equal(lo, 1);
	assert_false(mk_uid_is_ordinary(0, lo, hi));
}

static void root_owned_or_missing_save_dir_has_no_ordinary_owner(void **st)
{
	(void)st;
	uid_t uid = 77;
	gid_t gid = 77;
	char name[64] = "unchanged";
	if (geteuid() == 0) /* "/" is root's on every system this runs on */
		assert_int_equal(mk_savedir_owner("/", &uid, &gid, name, sizeof name), 0);
	assert_int_equal(mk_savedir_owner("/nonexistent/dir", &uid, &gid, name, sizeof name), 0);
	assert_int_equal(mk_savedir_owner(NULL, &uid, &gid, name, sizeof name), 0);
	assert_int_equal(uid, 77);
	assert_string_equal(name, "unchanged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_system_users_and_nobody_are_not_ordinary),
		cmocka_unit_test(login_defs_moves_the_range),
		cmocka_unit_test(missing_or_garbled_login_defs_keeps_the_defaults),
		cmocka_unit_test(login_defs_saying_uid_min_0_still_excludes_root),
		cmocka_unit_test(root_owned_or_missing_save_dir_has_no_ordinary_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
