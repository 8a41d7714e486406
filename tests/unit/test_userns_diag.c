/*
 * test_userns_diag.c - the exit-6 line of an ordinary user whose kernel
 * forbids unprivileged user namespaces names the one setting that does it
 * (userns_diag.c), for each of the three settings, and nothing when none
 * of them explains the failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "userns_diag.h"

/* A kernel that allows them: no AppArmor/Debian knob, a normal limit. */
static const struct mk_userns_settings OPEN = { -1, -1, 63229, false };

static int diag(struct mk_userns_settings s, int err, char *out)
{
	return mk_userns_diagnose(&s, err, out, 512);
}

static void max_user_namespaces_zero_named(void **st)
{
	(void)st;
	char out[512];
	struct mk_userns_settings s = OPEN;
	s.max_user_namespaces = 0;
	assert_int_equal(diag(s, ENOSPC, out), 1);
	assert_non_null(strstr(out, "user.max_user_namespaces = 0 "));
	assert_non_null(strstr(out, "sysctl -w user.max_user_namespaces="));
}

static void debian_unprivileged_userns_clone_named(void **st)
{
	(void)st;
	char out[512];
	struct mk_userns_settings s = OPEN;
	s.userns_clone = 0;
	assert_int_equal(diag(s, EPERM, out), 1);
	assert_non_null(strstr(out, "kernel.unprivileged_userns_clone = 0 "));
	assert_non_null(strstr(out, "sysctl -w kernel.unprivileged_userns_clone=1"));
	s.userns_clone = 1; /* allowed: not the cause */
	assert_int_equal(diag(s, EPERM, out), 0);
	assert_string_equal(out, "");
}

static void ubuntu_apparmor_restriction_names_the_profile(void **st)
{
	(void)st;
	char out[512];
	struct mk_userns_settings s = OPEN;
	s.apparmor_restrict = 1;
	assert_int_equal(diag(s, EACCES, out), 1); /* fails at uid_map, after unshare */
	assert_non_null(strstr(out, "kernel.apparmor_restrict_unprivileged_userns = 1 "));
	assert_non_null(strstr(out, "apparmor_parser -r "));
	assert_non_null(strstr(out, "apparmor.d/meerko-secure"));
	/* the profile is loaded and confines us: AppArmor is not the cause */
	s.profile_active = true;
	assert_int_equal(diag(s, EACCES, out), 0);
}

static void first_blocking_setting_wins(void **st)
{
	(void)st;
	char out[512];
	struct mk_userns_settings s = { 1, 0, 0, false };
	assert_int_equal(diag(s, EPERM, out), 1);
	assert_non_null(strstr(out, "user.max_user_namespaces = 0"));
}

static void limit_used_up_only_with_enospc(void **st)
{
	(void)st;
	char out[512];
	assert_int_equal(diag(OPEN, ENOSPC, out), 1);
	assert_non_null(strstr(out, "user.max_user_namespaces = 63229 is used up"));
	assert_int_equal(diag(OPEN, EPERM, out), 0);
	assert_int_equal(diag(OPEN, 0, out), 0);
}

static void explain_appends_to_the_line(void **st)
{
	(void)st;
	char msg[1024] = "sandbox: something else failed";
	mk_userns_explain(msg, sizeof msg); /* this machine: whatever it says, one line */
	assert_null(strchr(msg, '\n'));
	assert_int_equal(strncmp(msg, "sandbox: something else failed", 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_user_namespaces_zero_named),
		cmocka_unit_test(debian_unprivileged_userns_clone_named),
		cmocka_unit_test(ubuntu_apparmor_restriction_names_the_profile),
		cmocka_unit_test(first_blocking_setting_wins),
		cmocka_unit_test(limit_used_up_only_with_enospc),
		cmocka_unit_test(explain_appends_to_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
