/*
 * test_rlimits.c - the engine's resource limits as the broker plans them
 * (broker/rlimits.c) and the relay's connection cap (relay.c): the file
 * size limit a FileList earns (largest wanted file; whole torrent + part
 * file allowance when files are left out; no overflow from hostile sizes),
 * the thread cap in both sandbox modes, and a relay cap that always leaves
 * its descriptor reserve free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "relay.h"
#include "rlimits.h"

#define MAXF 4

struct list {
	Meerko__FileEntry e[MAXF];
	Meerko__FileEntry *p[MAXF];
	Meerko__FileList fl;
};

static void make(struct list *l, const uint64_t *sizes, size_t n)
{
	meerko__file_list__init(&l->fl);
	for (size_t i = 0; i < n; i++) {
		meerko__file_entry__init(&l->e[i]);
		l->e[i].path = (char *)"f";
		l->e[i].size = sizes[i];
		l->p[i] = &l->e[i];
	}
	l->fl.n_files = n;
	l->fl.files = l->p;
}

static void fsize_is_the_largest_file_when_all_are_wanted(void **st)
{
	(void)st;
	struct list l;
	make(&l, (const uint64_t[]){ 10, 3000, 7 }, 3);
	assert_int_equal(mk_limits_fsize_for(&l.fl, NULL), 3000);
	const bool all[] = { true, true, true };
	assert_int_equal(mk_limits_fsize_for(&l.fl, all), 3000);
}

static void fsize_covers_the_part_file_when_files_are_left_out(void **st)
{
	(void)st;
	struct list l;
	make(&l, (const uint64_t[]){ 10, 3000, 7 }, 3);
	const bool some[] = { true, false, true };
	assert_int_equal(mk_limits_fsize_for(&l.fl, some), 3017 + MK_PARTFILE_SLACK);
}

static void fsize_of_lying_sizes_saturates_instead_of_wrapping(void **st)
{
	(void)st;
	struct list l;
	make(&l, (const uint64_t[]){ UINT64_MAX - 5, UINT64_MAX - 5, 1 }, 3);
	const bool some[] = { true, true, false };
	assert_true(mk_limits_fsize_for(&l.fl, some) == UINT64_MAX);
	make(&l, (const uint64_t[]){ 0 }, 0);
	assert_int_equal(mk_limits_fsize_for(&l.fl, NULL), 0);
}

static void tasks_are_64_in_the_engines_user_namespace(void **st)
{
	(void)st;
	struct mk_sandbox sb = { .enabled = true, .userns = true, .uid = getuid() };
	struct mk_engine_limits l;
	mk_limits_plan(&l, &sb, 1024, 515);
	assert_int_equal(l.tasks, MK_ENGINE_MAX_TASKS);
	assert_int_equal(l.data_bytes, 1024ull << 20);
	assert_int_equal(l.fsize, MK_ENGINE_FSIZE_START);
}

static void tasks_as_root_add_headroom_to_the_uids_count(void **st)
{
	(void)st;
	struct mk_sandbox sb = { .enabled = true, .userns = false, .uid = getuid() };
	struct mk_engine_limits l;
	uint64_t before = mk_limits_count_tasks(getuid());
	assert_true(before >= 1); /* this test itself */
	mk_limits_plan(&l, &sb, 256, 100);
	/* other root processes may start or end between the two counts */
	assert_true(l.tasks + 64 >= before + MK_ENGINE_MAX_TASKS + 100);
	assert_true(l.tasks <= before + MK_ENGINE_MAX_TASKS + 100 + 64);
}

static void relay_cap_keeps_its_reserve_below_the_descriptor_limit(void **st)
{
	(void)st;
	struct rlimit saved, low = { 1024, 1024 };
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max < 1024)
		skip();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int cap = mk_relay_conn_cap();
	assert_int_equal(cap, (1024 - MK_RELAY_FD_RESERVE) / MK_RELAY_FDS_PER_CONN);
	assert_true(cap * MK_RELAY_FDS_PER_CONN + MK_RELAY_FD_RESERVE <= 1024);
	(void)setrlimit(RLIMIT_NOFILE, &saved); /* lowering the hard limit is for good, unless root */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fsize_is_the_largest_file_when_all_are_wanted),
		cmocka_unit_test(fsize_covers_the_part_file_when_files_are_left_out),
		cmocka_unit_test(fsize_of_lying_sizes_saturates_instead_of_wrapping),
		cmocka_unit_test(tasks_are_64_in_the_engines_user_namespace),
		cmocka_unit_test(tasks_as_root_add_headroom_to_the_uids_count),
		cmocka_unit_test(relay_cap_keeps_its_reserve_below_the_descriptor_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
