/*
 * test_savedir.c - the save-dir guard (savedir_guard.c): which save dirs an
 * attacker-chosen -o (or a careless one) must not hand to the engine. The
 * rule is pure (mk_savedir_judge); mk_path_resolve is checked on a real
 * temporary tree with a symlink into a dot-directory.
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

#include "savedir_guard.h"

static const struct mk_guarded_dir DIRS[] = {
	{ MK_GUARD_HOME, "/home/alice" },
	{ MK_GUARD_HOME, "/root" },
	{ MK_GUARD_CONFIG_DIR, "/etc/meerko" },
	{ MK_GUARD_STATE_DIR, "/var/lib/meerko-state" },
};
#define ND (sizeof DIRS / sizeof DIRS[0])

/* The guarded dir that refuses save, or NULL when it is accepted. */
static const char *refused_by(const char *save)
{
	struct mk_savedir_verdict v = mk_savedir_judge(save, DIRS, ND);
	if (v.dir) {
		assert_non_null(v.where);
		assert_non_null(v.why);
	}
	return v.dir ? v.dir->path : NULL;
}

static void home_itself_and_every_ancestor_refused(void **st)
{
	(void)st;
	assert_string_equal(refused_by("/home/alice"), "/home/alice");
	assert_string_equal(refused_by("/home"), "/home/alice");
	assert_string_equal(refused_by("/"), "/home/alice");
	assert_string_equal(refused_by("/root"), "/root");
}

static void dot_directories_of_the_home_refused(void **st)
{
	(void)st;
	assert_string_equal(refused_by("/home/alice/.ssh"), "/home/alice");
	assert_string_equal(refused_by("/home/alice/.config"), "/home/alice");
	assert_string_equal(refused_by("/home/alice/.local/bin"), "/home/alice");
	assert_string_equal(refused_by("/home/alice/.mozilla/x/y"), "/home/alice");
	assert_string_equal(refused_by("/root/.bashrc.d"), "/root");
}

static void ordinary_folders_in_the_home_accepted(void **st)
{
	(void)st;
	assert_null(refused_by("/home/alice/Downloads"));
	assert_null(refused_by("/home/alice/Downloads/.hidden")); /* a dot-dir deeper down is data */
	assert_null(refused_by("/home/alicex"));                  /* a sibling, not the home */
	assert_null(refused_by("/home/alice.ssh"));
	assert_null(refused_by("/srv/torrents"));
}

static void config_dir_and_above_refused(void **st)
{
	(void)st;
	assert_string_equal(refused_by("/etc/meerko"), "/etc/meerko");
	assert_string_equal(refused_by("/etc"), "/etc/meerko");
	/* below it the engine cannot reach the file itself */
	assert_null(refused_by("/etc/meerko-downloads"));
}

static void state_dir_inside_or_above_refused(void **st)
{
	(void)st;
	assert_string_equal(refused_by("/var/lib/meerko-state"), "/var/lib/meerko-state");
	assert_string_equal(refused_by("/var/lib/meerko-state/x"), "/var/lib/meerko-state");
	assert_string_equal(refused_by("/var/lib"), "/var/lib/meerko-state");
	assert_null(refused_by("/var/lib/meerko-statex"));
}

static void empty_and_root_homes(void **st)
{
	(void)st;
	const struct mk_guarded_dir unknown[] = { { MK_GUARD_HOME, "" }, { MK_GUARD_STATE_DIR, NULL } };
	assert_null(mk_savedir_judge("/", unknown, 2).dir);
	const struct mk_guarded_dir slash[] = { { MK_GUARD_HOME, "/" } };
	assert_non_null(mk_savedir_judge("/", slash, 1).dir);
	assert_non_null(mk_savedir_judge("/.ssh", slash, 1).dir);
	assert_null(mk_savedir_judge("/srv", slash, 1).dir);
}

/* A symlink in the home pointing into ~/.ssh, and a path not created yet:
 * both must come out canonical so the rule sees where they really lead. */
static void resolve_follows_symlinks_and_missing_parts(void **st)
{
	(void)st;
	char tmpl[] = "/tmp/mk-savedir-XXXXXX", p[4096], out[4096], want[4096];
	char *base = mkdtemp(tmpl);
	assert_non_null(base);
	snprintf(p, sizeof p, "%s/.ssh", base);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/innocent", base);
	assert_int_equal(symlink(".ssh", p), 0);
	char *real = realpath(base, NULL);
	assert_non_null(real);

	snprintf(p, sizeof p, "%s/innocent/new/dir", base);
	assert_int_equal(mk_path_resolve(p, out, sizeof out), 0);
	snprintf(want, sizeof want, "%s/.ssh/new/dir", real);
	assert_string_equal(out, want);

	snprintf(p, sizeof p, "%s/missing/../.config/./x/", base);
	assert_int_equal(mk_path_resolve(p, out, sizeof out), 0);
	snprintf(want, sizeof want, "%s/.config/x", real);
	assert_string_equal(out, want);

	const struct mk_guarded_dir home[] = { { MK_GUARD_HOME, real } };
	snprintf(p, sizeof p, "%s/innocent", base);
	assert_int_equal(mk_path_resolve(p, out, sizeof out), 0);
	assert_non_null(mk_savedir_judge(out, home, 1).dir);

	snprintf(p, sizeof p, "%s/innocent", base);
	unlink(p);
	snprintf(p, sizeof p, "%s/.ssh", base);
	rmdir(p);
	rmdir(base);
	free(real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(home_itself_and_every_ancestor_refused),
		cmocka_unit_test(dot_directories_of_the_home_refused),
		cmocka_unit_test(ordinary_folders_in_the_home_accepted),
		cmocka_unit_test(config_dir_and_above_refused),
		cmocka_unit_test(state_dir_inside_or_above_refused),
		cmocka_unit_test(empty_and_root_homes),
		cmocka_unit_test(resolve_follows_symlinks_and_missing_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
