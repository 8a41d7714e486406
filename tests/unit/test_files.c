/*
 * test_files.c - --files SPEC parsing and selection (filespec.c), the
 * "done" decision with seeding goals (done.c), FileList validation
 * (engine_msg.c) and the [seed] ratio / --files flags (config.c, cli.c);
 * with several torrents: --files refused, the --list table and its --json
 * line, priorities, seeding in the progress lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "config.h"
#include "done.h"
#include "engine_msg.h"
#include "engine_surface.h"
#include "files.h"
#include "filespec.h"
#include "jsonout.h"
#include "progress.h"

/* The broker keeps each view in its torrent's record (torrent.h); here a
 * set gets views of its own, zeroed. */
static void back_set(struct mk_torrent_set *s)
{
	static struct mk_torrent_view views[MK_MAX_TORRENTS];
	memset(s, 0, sizeof *s);
	memset(views, 0, sizeof views);
	for (size_t i = 0; i < MK_MAX_TORRENTS; i++)
		s->t[i] = &views[i];
}

static const char *const PATHS[] = { "t/a.iso", "t/b.txt", "t/sub/c.iso", "t/pad", "t/d.txt" };
static const bool PAD[] = { false, false, false, true, false };
#define NP (sizeof PATHS / sizeof PATHS[0])

static int sel(const char *spec, bool *want, char *err)
{
	struct mk_filespec fs;
	if (mk_filespec_parse(&fs, spec, err, 256) != 0)
		return -2;
	return mk_filespec_select(&fs, PATHS, PAD, NP, want, err, 256);
}

static void spec_indexes_and_ranges(void **st)
{
	(void)st;
	bool w[NP];
	char err[256];
	assert_int_equal(sel("0,2-4", w, err), 0);
	assert_true(w[0] && !w[1] && w[2] && !w[3] && w[4]); /* pad never selected */
	assert_int_equal(sel("1", w, err), 0);
	assert_true(!w[0] && w[1] && !w[2] && !w[4]);
	assert_int_equal(sel("4-4,0-0", w, err), 0);
	assert_true(w[0] && w[4] && !w[1]);
}

static void spec_globs(void **st)
{
	(void)st;
	bool w[NP];
	char err[256];
	assert_int_equal(sel("*.iso", w, err), 0); /* '*' crosses '/' */
	assert_true(w[0] && !w[1] && w[2] && !w[4]);
	assert_int_equal(sel("t/sub/*,1", w, err), 0);
	assert_true(!w[0] && w[1] && w[2]);
	assert_int_equal(sel("*pad", w, err), -1); /* only a pad file: matches nothing */
	assert_int_equal(sel("t/?.txt", w, err), 0);
	assert_true(w[1] && w[4] && !w[0]);
}

static void spec_errors(void **st)
{
	(void)st;
	bool w[NP];
	char err[256];
	assert_int_equal(sel("5", w, err), -1);
	assert_non_null(strstr(err, "index 5 is out of range: the torrent has 5 files (0-4)"));
	assert_int_equal(sel("1-9", w, err), -1);
	assert_int_equal(sel("*.mkv", w, err), -1);
	assert_non_null(strstr(err, "'*.mkv' matches no file"));
	/* 3 is a pad file: --list does not show it, so --files refuses it */
	assert_int_equal(sel("3", w, err), -1);
	assert_non_null(strstr(err, "index 3 is not a file of the torrent but padding (BEP 47)"));
	assert_int_equal(sel("0,3-3", w, err), -1);
	assert_non_null(strstr(err, "index 3 is not a file"));
	assert_int_equal(sel("2-4", w, err), 0); /* a range across a pad: the files in it */
	const char *bad[] = { "", ",", "1,", ",1", "1,,2", "3-1", "-1", "1-", "1-2-3", "1234567890",
			      "a\x1b[0m", "x\ny" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(sel(bad[i], w, err), -2);
		assert_true(strncmp(err, "--files: ", 9) == 0);
		assert_null(strchr(err, 0x1b));
	}
	char longspec[1100];
	memset(longspec, '1', sizeof longspec - 1);
	longspec[sizeof longspec - 1] = '\0';
	assert_int_equal(sel(longspec, w, err), -2);
	char many[400] = "0";
	for (int i = 0; i < 70; i++)
		strcat(many, ",0");
	assert_int_equal(sel(many, w, err), -2);
	assert_non_null(strstr(err, "more than 64 items"));
}

static struct mk_torrent_view complete_view(void)
{
	struct mk_torrent_view v;
	memset(&v, 0, sizeof v);
	v.have_status = true;
	v.state = MEERKO__TORRENT_STATE__STATE_SEEDING;
	v.progress_ppm = 1000000;
	v.wanted = v.done = 1000;
	return v;
}

static void done_default_is_complete(void **st)
{
	(void)st;
	struct mk_seed_goal g = { 0, 0 };
	struct mk_torrent_view v = complete_view();
	assert_true(mk_torrent_done(&v, &g, 5));
	v.progress_ppm = 999999;
	assert_false(mk_torrent_done(&v, &g, 5));
	v = complete_view();
	v.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	assert_false(mk_torrent_done(&v, &g, 5));
	v = complete_view();
	v.state = MEERKO__TORRENT_STATE__STATE_FINISHED; /* partial selection done */
	assert_true(mk_torrent_done(&v, &g, 5));
	v.have_status = false;
	assert_false(mk_torrent_done(&v, &g, 5));
}

static void done_waits_for_selection(void **st)
{
	(void)st;
	struct mk_seed_goal g = { 0, 0 };
	struct mk_torrent_view v = complete_view();
	v.want_files = true; /* held at priority 0: looks complete, is not */
	assert_false(mk_torrent_done(&v, &g, 1));
	v.files_selected = true;
	assert_true(mk_torrent_done(&v, &g, 1));
}

static void done_ratio_goal(void **st)
{
	(void)st;
	struct mk_seed_goal g = { 1500, 0 };
	struct mk_torrent_view v = complete_view();
	v.uploaded = 1499;
	assert_false(mk_torrent_done(&v, &g, 1));
	assert_int_equal(mk_ratio_milli(&v), 1499);
	v.uploaded = 1500;
	assert_true(mk_torrent_done(&v, &g, 1));
	v.uploaded = UINT64_MAX; /* no overflow */
	assert_true(mk_torrent_done(&v, &g, 1));
	v.wanted = v.done = 0;
	v.uploaded = 0;
	assert_int_equal(mk_ratio_milli(&v), UINT64_MAX);
	assert_true(mk_torrent_done(&v, &g, 1));
}

static void done_time_goal_counts_from_completion(void **st)
{
	(void)st;
	struct mk_seed_goal g = { 0, 2 };
	struct mk_torrent_view v = complete_view();
	v.progress_ppm = 10;
	assert_false(mk_torrent_done(&v, &g, 1000)); /* not complete: clock not started */
	v.progress_ppm = 1000000;
	assert_false(mk_torrent_done(&v, &g, 50000));
	assert_false(mk_torrent_done(&v, &g, 50000 + 119999));
	assert_true(mk_torrent_done(&v, &g, 50000 + 120000));
	/* both goals: whichever first */
	struct mk_seed_goal both = { 1000, 60 };
	v = complete_view();
	assert_false(mk_torrent_done(&v, &both, 0));
	v.uploaded = 1000;
	assert_true(mk_torrent_done(&v, &both, 1));
}

static void file_list_validation(void **st)
{
	(void)st;
	struct mk_torrent_set set;
	back_set(&set);
	set.n = 1;
	set.t[0]->id = 1;
	Meerko__FileEntry f = MEERKO__FILE_ENTRY__INIT, *fp = &f;
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	char why[128];
	f.path = (char *)"t/a";
	f.size = 10;
	fl.torrent_id = 1;
	fl.n_files = 1;
	fl.files = &fp;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST;
	m.file_list = &fl;
	assert_int_equal(mk_engine_msg_check(&set, &m, why, sizeof why), -1); /* not asked for */
	set.t[0]->want_files = true;
	f.size = (1ull << 50) + 1;
	assert_int_equal(mk_engine_msg_check(&set, &m, why, sizeof why), -1);
	f.size = 10;
	f.path = (char *)"";
	assert_int_equal(mk_engine_msg_check(&set, &m, why, sizeof why), -1);
	f.path = (char *)"t/a";
	fl.torrent_id = 2;
	assert_int_equal(mk_engine_msg_check(&set, &m, why, sizeof why), -1);
	fl.torrent_id = 1;
	assert_int_equal(mk_engine_msg_check(&set, &m, why, sizeof why), 0);
	/* only once per torrent: the table's rule (engine_surface.c), not the check's */
	const struct mk_engine_rule *r = mk_engine_rule_of(MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST);
	struct mk_engine_seen seen;
	memset(&seen, 0, sizeof seen);
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), 0);
	mk_engine_seen_note(r, &seen, &m);
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), -1);
}

static int set_ratio(const char *v, int *out)
{
	struct mk_config c;
	char err[256];
	mk_config_defaults(&c);
	int r = mk_config_set(&c, "seed", "ratio", v, "--seed-ratio", err, sizeof err);
	*out = c.seed_ratio_milli;
	return r;
}

static void seed_ratio_parsing(void **st)
{
	(void)st;
	int m;
	assert_int_equal(set_ratio("1", &m), 0);
	assert_int_equal(m, 1000);
	assert_int_equal(set_ratio("0.5", &m), 0);
	assert_int_equal(m, 500);
	assert_int_equal(set_ratio("2.125", &m), 0);
	assert_int_equal(m, 2125);
	assert_int_equal(set_ratio("1000", &m), 0);
	assert_int_equal(m, 1000000);
	const char *bad[] = { "", "-1", "1.", ".5", "1.2345", "abc", "1e3", "1001", "1,5", " 1", "0x1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(set_ratio(bad[i], &m), -1);
}

static void cli_files_flags(void **st)
{
	(void)st;
	struct mk_cli cli;
	struct mk_config c;
	char err[256];
	char *argv[] = { "meerko-secure", "--list", "--files", "0,*.iso", "--sequential", "--seed-ratio",
			 "1.5", "--seed-time", "30", "--max-connections", "50",
			 "--max-connections-per-torrent", "20", "x.torrent", NULL };
	assert_int_equal(mk_cli_parse(&cli, 14, argv, err, sizeof err), 0);
	mk_config_defaults(&c);
	assert_int_equal(mk_cli_apply(&cli, &c, err, sizeof err), 0);
	assert_true(c.list_only && c.sequential);
	assert_string_equal(c.files_spec, "0,*.iso");
	assert_int_equal(c.seed_ratio_milli, 1500);
	assert_int_equal(c.seed_time_min, 30);
	assert_int_equal(c.max_connections, 50);
	assert_int_equal(c.max_connections_torrent, 20);
	char *bad[] = { "meerko-secure", "--files", "2-1", "x.torrent", NULL };
	assert_int_equal(mk_cli_parse(&cli, 4, bad, err, sizeof err), 0);
	mk_config_defaults(&c);
	assert_int_equal(mk_cli_apply(&cli, &c, err, sizeof err), -1);
	assert_non_null(strstr(err, "--files: '2-1' is not an index"));
}


/* Indexes and globs name one torrent's files: refused with several inputs. */
static void cli_files_one_input_only(void **st)
{
	(void)st;
	struct mk_cli cli;
	char err[256];
	char *two[] = { "meerko-secure", "--files", "0", "a.torrent", "b.torrent", NULL };
	assert_int_equal(mk_cli_parse(&cli, 5, two, err, sizeof err), -1);
	assert_string_equal(err, "--files selects the files of one torrent: give one input (got 2)");
	char *list[] = { "meerko-secure", "--list", "a.torrent", "b.torrent", NULL };
	assert_int_equal(mk_cli_parse(&cli, 4, list, err, sizeof err), 0);
	assert_int_equal(cli.n_inputs, 2);
}

/* A FileList of 3 files (the middle one padding, one path hostile). */
static Meerko__FileEntry fe[3];
static Meerko__FileEntry *fep[3] = { &fe[0], &fe[1], &fe[2] };
static Meerko__FileList three_files(void)
{
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	for (int i = 0; i < 3; i++)
		meerko__file_entry__init(&fe[i]);
	fe[0].path = (char *)"t/a.iso";
	fe[0].size = 1000;
	fe[1].path = (char *)"t/.pad/24";
	fe[1].size = 24;
	fe[1].pad = true;
	fe[2].path = (char *)"t/b\"\n\033[31m.txt";
	fe[2].size = 2048;
	fl.torrent_id = 3;
	fl.n_files = 3;
	fl.files = fep;
	return fl;
}

static char *capture(void (*fn)(FILE *, const Meerko__FileList *, const bool *),
		     const Meerko__FileList *fl, const bool *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, fl, want);
	fclose(f);
	return buf;
}
static void print_table(FILE *f, const Meerko__FileList *fl, const bool *want) { mk_files_print(fl, want, f); }
static void print_json(FILE *f, const Meerko__FileList *fl, const bool *want)
{
	mk_jsonout_files(f, 5, fl->torrent_id, "x.torrent", "t", fl, want);
}

static void list_table_json_and_priorities(void **st)
{
	(void)st;
	struct mk_config c;
	Meerko__FileList fl = three_files();
	Meerko__SetFilePriorities sp;
	char err[256];
	bool *want = NULL;
	mk_config_defaults(&c);
	assert_int_equal(mk_files_select(&c, &fl, &want, err, sizeof err), 0);
	assert_null(want); /* no SPEC: every file */
	char *t = capture(print_table, &fl, NULL);
	assert_non_null(strstr(t, "total: 2 files, 3048 bytes"));
	assert_null(strstr(t, ".pad"));
	assert_null(strchr(t, '\033')); /* the path is sanitised for the terminal */
	free(t);
	char *j = capture(print_json, &fl, NULL);
	assert_string_equal(j, "{\"type\":\"files\",\"elapsed_ms\":5,\"id\":3,\"input\":\"x.torrent\",\"name\":\"t\","
			       "\"files\":[{\"index\":0,\"path\":\"t/a.iso\",\"size\":1000},"
			       "{\"index\":2,\"path\":\"t/b\\\"\\n\\u001b[31m.txt\",\"size\":2048}],"
			       "\"total_bytes\":3048}\n");
	free(j);
	snprintf(c.files_spec, sizeof c.files_spec, "*.iso");
	assert_int_equal(mk_files_select(&c, &fl, &want, err, sizeof err), 0);
	assert_true(want[0] && !want[1] && !want[2]);
	j = capture(print_json, &fl, want);
	assert_non_null(strstr(j, "\"size\":1000,\"selected\":true}"));
	assert_non_null(strstr(j, "\"size\":2048,\"selected\":false}"));
	free(j);
	assert_int_equal(mk_files_priorities(&fl, want, &sp, err, sizeof err), 0);
	assert_int_equal(sp.id, 3);
	assert_int_equal(sp.n_priorities, 3);
	assert_true(sp.priorities[0] == 4 && sp.priorities[1] == 0 && sp.priorities[2] == 0);
	mk_files_free_reply(&sp);
	free(want);
	snprintf(c.files_spec, sizeof c.files_spec, "5");
	assert_int_equal(mk_files_select(&c, &fl, &want, err, sizeof err), -1);
	assert_null(want);
	assert_non_null(strstr(err, "out of range"));
}

/* Seeding shows in each torrent's line and in the total line. */
static void progress_shows_seeding(void **st)
{
	(void)st;
	struct mk_torrent_set set;
	char buf[512];
	back_set(&set);
	set.n = 2;
	for (int i = 0; i < 2; i++) {
		struct mk_torrent_view *v = set.t[i];
		v->id = (uint32_t)i + 1;
		v->have_status = true;
		v->progress_ppm = 1000000;
		v->done = v->wanted = 2000;
		v->state = MEERKO__TORRENT_STATE__STATE_SEEDING;
	}
	set.t[0]->uploaded = 1000;
	set.t[0]->seeding = true;
	set.t[1]->complete = true;
	mk_progress_format(set.t[0], "", buf, sizeof buf);
	assert_non_null(strstr(buf, "seeding ratio 0.50"));
	mk_progress_format_total(&set, NULL, buf, sizeof buf);
	assert_non_null(strstr(buf, "1/2 complete, 1 seeding"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_indexes_and_ranges),
		cmocka_unit_test(spec_globs),
		cmocka_unit_test(spec_errors),
		cmocka_unit_test(done_default_is_complete),
		cmocka_unit_test(done_waits_for_selection),
		cmocka_unit_test(done_ratio_goal),
		cmocka_unit_test(done_time_goal_counts_from_completion),
		cmocka_unit_test(file_list_validation),
		cmocka_unit_test(seed_ratio_parsing),
		cmocka_unit_test(cli_files_flags),
		cmocka_unit_test(cli_files_one_input_only),
		cmocka_unit_test(list_table_json_and_priorities),
		cmocka_unit_test(progress_shows_seeding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
