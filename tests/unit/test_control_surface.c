/*
 * test_control_surface.c - what a hostile meerko-control (or the RPC client
 * behind it) may get the broker to do (broker/control_surface.c): download
 * dirs outside the root, through "..", through a symlink or a file; file
 * paths instead of magnets; file indexes past a torrent's files; limits out
 * of range, NaN ratios; session-set of ports, versions and privacy switches;
 * methods in a daemon state that forbids them. And the real handlers that
 * need no torrent: port-test, session-get's versions, free-space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "control_surface.h"

#define M(x) MEERKO__CONTROL__METHOD__##x

static const struct mk_ctl_torrent torrents[] = {
	{ 1, "0123456789abcdef0123456789abcdef01234567", 3 },
	{ 2, "", 0 },  /* a magnet still waiting for its metadata */
	{ 3, "89abcdef0123456789abcdef0123456789abcdef", 10 },
};
static const struct mk_daemon_view lexical = { "/srv/dl", -1, 3, torrents };

static char why[512];

static bool ok(const mk_ctl_request *rq, enum mk_daemon_state st, const struct mk_daemon_view *v)
{
	why[0] = '\0';
	const struct mk_ctl_row *row = mk_ctl_check(rq, st, v, why, sizeof why);
	if (row == NULL && (why[0] == '\0' || strchr(why, '\n')))
		fail_msg("refused without one line");
	return row != NULL;
}

static mk_ctl_request req(Meerko__Control__Method m)
{
	mk_ctl_request rq = MEERKO__CONTROL__CONTROL_REQUEST__INIT;
	rq.id = 7;
	rq.method = m;
	return rq;
}

static bool add_dir_ok(const struct mk_daemon_view *v, const char *dir)
{
	mk_ctl_request rq = req(M(TORRENT_ADD));
	Meerko__Control__TorrentAddArgs a = MEERKO__CONTROL__TORRENT_ADD_ARGS__INIT;
	a.filename = (char *)"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567";
	a.download_dir = (char *)dir;
	rq.torrent_add = &a;
	return ok(&rq, MK_DAEMON_RUNNING, v);
}

static void download_dir_outside_the_root_is_refused_naming_the_root(void **st)
{
	(void)st;
	const char *bad[] = { "/etc", "/srv/dl/../../etc", "/srv/dl/tv/..", "/srv/dlx", "srv/dl/x",
			      "/srv/dl//x", "/srv/dl/./x", "/srv", "", "/srv/dl/a\nb" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (add_dir_ok(&lexical, bad[i]))
			fail_msg("download-dir '%s' accepted", bad[i]);
		assert_non_null(strstr(why, "/srv/dl"));
	}
	const char *good[] = { "/srv/dl", "/srv/dl/", "/srv/dl/tv/show", "/srv/dl/..hidden" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!add_dir_ok(&lexical, good[i]))
			fail_msg("download-dir '%s' refused: %s", good[i], why);
}

static char *mk_root(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(PATH_MAX);
	snprintf(p, PATH_MAX, "%s/mk-ctl-root.XXXXXX", base && base[0] == '/' ? base : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Inside the root, a symlink to / (planted by anyone who can write there,
 * e.g. the engine's own downloads) or a file: the lexical rule passes,
 * openat2 beneath the root's fd must stop it. */
static void symlink_or_file_inside_the_root_is_refused(void **st)
{
	(void)st;
	char *root = mk_root(), p[PATH_MAX], q[PATH_MAX];
	snprintf(p, sizeof p, "%s/out", root);
	assert_int_equal(symlink("/", p), 0);
	snprintf(p, sizeof p, "%s/sub", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(q, sizeof q, "%s/sub/alias", root);
	assert_int_equal(symlink(p, q), 0); /* a symlink that stays inside: refused too */
	snprintf(p, sizeof p, "%s/file", root);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct mk_daemon_view v = { root, open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), 3, torrents };
	assert_true(v.root_fd >= 0);
	const char *bad[] = { "out", "out/etc", "out/etc/cron.d", "sub/alias", "sub/alias/x", "file", "file/x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", root, bad[i]);
		if (add_dir_ok(&v, p))
			fail_msg("download-dir %s accepted", bad[i]);
		assert_non_null(strstr(why, root));
		assert_int_equal(mk_ctl_open_beneath(&v, p), -1);
	}
	const char *good[] = { "", "sub", "sub/new/deeper", "new" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", root, good[i]);
		if (!add_dir_ok(&v, p))
			fail_msg("download-dir '%s' refused: %s", good[i], why);
	}
	snprintf(p, sizeof p, "%s/sub", root);
	fd = mk_ctl_open_beneath(&v, p);
	assert_true(fd >= 0);
	close(fd);
	close(v.root_fd);
	rm_tree(root);
	free(root);
}

static bool add_ok(const char *filename, const uint8_t *meta, size_t metalen)
{
	mk_ctl_request rq = req(M(TORRENT_ADD));
	Meerko__Control__TorrentAddArgs a = MEERKO__CONTROL__TORRENT_ADD_ARGS__INIT;
	a.filename = (char *)filename;
	a.has_metainfo = meta != NULL;
	a.metainfo.data = (uint8_t *)meta;
	a.metainfo.len = metalen;
	rq.torrent_add = &a;
	return ok(&rq, MK_DAEMON_RUNNING, &lexical);
}

/* torrent-add filename=/home/u/.ssh/id_ed25519: the broker would read it
 * for any local process and hand it to the engine. Only magnets. */
static void torrent_add_with_a_file_path_is_refused_only_magnets_or_bytes(void **st)
{
	(void)st;
	const char *bad[] = { "/etc/shadow", "file:///etc/shadow", "../x.torrent", "magnet:", "magnet:?xt= x",
			      "http://tracker/x.torrent" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (add_ok(bad[i], NULL, 0))
			fail_msg("filename '%s' accepted", bad[i]);
	assert_true(add_ok("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x", NULL, 0));
	assert_true(add_ok(NULL, (const uint8_t *)"d4:infodee", 10));
	assert_false(add_ok(NULL, (const uint8_t *)"<html>", 6));
	assert_false(add_ok(NULL, NULL, 0));                       /* neither */
	assert_false(add_ok("magnet:?xt=urn:btih:00", (const uint8_t *)"de", 2)); /* both */
	char *huge = malloc(MK_CTL_MAX_MAGNET + 16);
	memcpy(huge, "magnet:?", 8);
	memset(huge + 8, 'a', MK_CTL_MAX_MAGNET);
	huge[MK_CTL_MAX_MAGNET + 8] = '\0';
	assert_false(add_ok(huge, NULL, 0));
	free(huge);
}

static bool set_files_ok(const Meerko__Control__Ids *ids, int64_t *idx, size_t n)
{
	mk_ctl_request rq = req(M(TORRENT_SET));
	Meerko__Control__TorrentSetArgs a = MEERKO__CONTROL__TORRENT_SET_ARGS__INIT;
	a.files_unwanted = idx;
	a.n_files_unwanted = n;
	rq.ids = (Meerko__Control__Ids *)ids;
	rq.torrent_set = &a;
	return ok(&rq, MK_DAEMON_RUNNING, &lexical);
}

static void file_indexes_past_any_named_torrents_files_are_refused(void **st)
{
	(void)st;
	Meerko__Control__Ids ids = MEERKO__CONTROL__IDS__INIT;
	int64_t one[] = { 1 }, three[] = { 3 }, unknown[] = { 99 };
	int64_t idx5[] = { 5 }, idx2[] = { 0, 2 }, neg[] = { -1 };
	char *hash1[] = { (char *)torrents[0].hash };
	ids.numbers = three, ids.n_numbers = 1;
	assert_true(set_files_ok(&ids, idx5, 1));              /* torrent 3 has 10 files */
	ids.numbers = one;
	assert_false(set_files_ok(&ids, idx5, 1));             /* torrent 1 has 3 */
	assert_non_null(strstr(why, "torrent 1 (3 files)"));
	assert_true(set_files_ok(&ids, idx2, 2));
	assert_false(set_files_ok(&ids, neg, 1));
	ids.n_numbers = 0, ids.hashes = hash1, ids.n_hashes = 1;
	assert_false(set_files_ok(&ids, idx5, 1));             /* by hash: the same torrent */
	assert_false(set_files_ok(NULL, idx2, 2));             /* all: torrent 2 has no metadata yet */
	ids.n_hashes = 0, ids.numbers = unknown, ids.n_numbers = 1;
	assert_true(set_files_ok(&ids, idx5, 1));              /* names no torrent: nothing to do */
}

static void bad_ids_are_refused(void **st)
{
	(void)st;
	mk_ctl_request rq = req(M(TORRENT_STOP));
	Meerko__Control__Ids ids = MEERKO__CONTROL__IDS__INIT;
	int64_t bad[] = { 0, -5, 1000000000 };
	char *bad_hash[] = { (char *)"0123456789ABCDEF0123456789ABCDEF01234567" };
	rq.ids = &ids;
	for (size_t i = 0; i < 3; i++) {
		ids.numbers = &bad[i], ids.n_numbers = 1;
		assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	}
	ids.n_numbers = 0, ids.hashes = bad_hash, ids.n_hashes = 1;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	int64_t *many = calloc(MK_CTL_MAX_IDS + 1, sizeof *many);
	for (size_t i = 0; i <= MK_CTL_MAX_IDS; i++)
		many[i] = 1;
	ids.n_hashes = 0, ids.numbers = many, ids.n_numbers = MK_CTL_MAX_IDS + 1;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	ids.n_numbers = MK_CTL_MAX_IDS;
	assert_true(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	free(many);
}

static void torrent_set_limits_out_of_range_are_refused(void **st)
{
	(void)st;
	mk_ctl_request rq = req(M(TORRENT_SET));
	Meerko__Control__TorrentSetArgs a;
	rq.torrent_set = &a;
	const double ratios[] = { NAN, INFINITY, -1, 1001 };
	for (size_t i = 0; i < 4; i++) {
		meerko__control__torrent_set_args__init(&a);
		a.has_seedratiolimit = true, a.seedratiolimit = ratios[i];
		assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	}
	const int64_t rates[] = { -1, MK_CTL_MAX_RATE_KIB + 1, INT64_MIN };
	for (size_t i = 0; i < 3; i++) {
		meerko__control__torrent_set_args__init(&a);
		a.has_downloadlimit = true, a.downloadlimit = rates[i];
		assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	}
	meerko__control__torrent_set_args__init(&a);
	a.has_bandwidthpriority = true, a.bandwidthpriority = 2;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	char *labels[] = { (char *)"a,b" };
	meerko__control__torrent_set_args__init(&a);
	a.labels = labels, a.n_labels = 1;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	meerko__control__torrent_set_args__init(&a);
	a.has_downloadlimit = true, a.downloadlimit = 500;
	a.has_seedratiolimit = true, a.seedratiolimit = 2.5;
	assert_true(ok(&rq, MK_DAEMON_RUNNING, &lexical));
}

/* A web page that got past the HTTP checks, or a local process, turns DHT
 * on (it would announce this machine outside the proxy), opens a port or
 * fakes the version: each refused; limits are allowed. */
static void session_set_cannot_touch_privacy_ports_or_versions(void **st)
{
	(void)st;
	mk_ctl_request rq = req(M(SESSION_SET));
	Meerko__Control__SessionValues s;
	rq.session_set = &s;
	for (int i = 0; i < 12; i++) {
		meerko__control__session_values__init(&s);
		switch (i) {
		case 0: s.has_dht_enabled = true, s.dht_enabled = true; break;
		case 1: s.has_pex_enabled = true, s.pex_enabled = true; break;
		case 2: s.has_lpd_enabled = true; break;
		case 3: s.has_utp_enabled = true; break;
		case 4: s.encryption = (char *)"tolerated"; break;
		case 5: s.has_peer_port = true, s.peer_port = 51413; break;
		case 6: s.has_port_forwarding_enabled = true, s.port_forwarding_enabled = true; break;
		case 7: s.version = (char *)"9"; break;
		case 8: s.session_id = (char *)"x"; break;
		case 9: s.config_dir = (char *)"/etc"; break;
		case 10: s.incomplete_dir = (char *)"/tmp"; break;
		case 11: s.download_dir = (char *)"/etc"; break;
		}
		if (ok(&rq, MK_DAEMON_RUNNING, &lexical))
			fail_msg("session-set case %d accepted", i);
	}
	meerko__control__session_values__init(&s);
	s.has_speed_limit_down = true, s.speed_limit_down = 800;
	s.has_speed_limit_down_enabled = true, s.speed_limit_down_enabled = true;
	s.download_dir = (char *)"/srv/dl/tv";
	assert_true(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	s.speed_limit_down = -1;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
}

static void methods_follow_the_daemon_state(void **st)
{
	(void)st;
	mk_ctl_request rq = req(M(TORRENT_REANNOUNCE));
	assert_true(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	assert_false(ok(&rq, MK_DAEMON_PROXY_DOWN, &lexical)); /* no traffic during a kill-switch pause */
	assert_non_null(strstr(why, "paused (proxy down)"));
	rq.method = M(TORRENT_REMOVE);
	assert_false(ok(&rq, MK_DAEMON_STOPPING, &lexical));
	assert_false(ok(&rq, MK_DAEMON_STARTING, &lexical));
	rq.method = M(TORRENT_STOP);
	assert_true(ok(&rq, MK_DAEMON_STOPPING, &lexical));
	rq.method = M(METHOD_UNKNOWN);
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
	assert_string_equal(why, "method name not recognized");
	rq.method = (Meerko__Control__Method)999;
	assert_false(ok(&rq, MK_DAEMON_RUNNING, &lexical));
}

/* One row per Method, each with a validator, states and a reason; the
 * torrent rows' handlers are the daemon's (NULL here). */
static void every_method_has_exactly_one_complete_row(void **st)
{
	(void)st;
	size_t n;
	const struct mk_ctl_row *rows = mk_ctl_rows(&n);
	for (int m = M(SESSION_GET); m <= M(PORT_TEST); m++) {
		int found = 0;
		for (size_t i = 0; i < n; i++) {
			if ((int)rows[i].method != m)
				continue;
			found++;
			assert_non_null(rows[i].validate);
			assert_true(rows[i].states != 0);
			assert_true(strlen(rows[i].why_safe) > 8);
		}
		assert_int_equal(found, 1);
	}
	assert_int_equal(n, 18);
}

static int handle(Meerko__Control__Method m, mk_ctl_request *rq, const struct mk_daemon_view *v,
		  struct mk_ctl_reply *out)
{
	rq->method = m;
	const struct mk_ctl_row *row = mk_ctl_check(rq, MK_DAEMON_RUNNING, v, why, sizeof why);
	assert_non_null(row);
	assert_non_null(row->handle);
	mk_ctl_reply_init(out, rq->id);
	return row->handle(NULL, v, rq, out, why, sizeof why);
}

static void pure_handlers_answer_versions_port_test_and_the_roots_free_space(void **st)
{
	(void)st;
	struct mk_ctl_reply out;
	mk_ctl_request rq = req(M(PORT_TEST));
	assert_int_equal(handle(M(PORT_TEST), &rq, &lexical, &out), 0);
	assert_non_null(out.msg.port_test);
	assert_true(out.msg.port_test->has_port_is_open);
	assert_false(out.msg.port_test->port_is_open);
	assert_int_equal(out.msg.id, 7);
	assert_int_equal(handle(M(SESSION_GET), &rq, &lexical, &out), 0);
	assert_string_equal(out.msg.session->version, "4.0.6 (meerko)");
	assert_int_equal(out.msg.session->rpc_version, 17);
	assert_int_equal(out.msg.session->rpc_version_minimum, 14);
	assert_string_equal(out.msg.session->download_dir, "/srv/dl");
	/* packs: what the wiring sends */
	size_t len = meerko__control__control_reply__get_packed_size(&out.msg);
	assert_true(len > 10);

	char *root = mk_root(), p[PATH_MAX];
	struct mk_daemon_view v = { root, open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), 0, NULL };
	Meerko__Control__FreeSpaceArgs fs = MEERKO__CONTROL__FREE_SPACE_ARGS__INIT;
	rq.free_space = &fs;
	fs.path = (char *)"/";
	rq.method = M(FREE_SPACE);
	assert_null(mk_ctl_check(&rq, MK_DAEMON_RUNNING, &v, why, sizeof why)); /* not the root */
	assert_non_null(strstr(why, root));
	snprintf(p, sizeof p, "%s/sub", root);
	fs.path = p;
	assert_int_equal(handle(M(FREE_SPACE), &rq, &v, &out), 0);
	struct statvfs sv;
	assert_int_equal(statvfs(root, &sv), 0);
	int64_t want = (int64_t)((uint64_t)sv.f_bavail * sv.f_frsize);
	assert_true(llabs(out.msg.free_space->size_bytes - want) < (64 << 20)); /* others write meanwhile */
	assert_string_equal(out.msg.free_space->path, p);
	close(v.root_fd);
	rm_tree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(download_dir_outside_the_root_is_refused_naming_the_root),
		cmocka_unit_test(symlink_or_file_inside_the_root_is_refused),
		cmocka_unit_test(torrent_add_with_a_file_path_is_refused_only_magnets_or_bytes),
		cmocka_unit_test(file_indexes_past_any_named_torrents_files_are_refused),
		cmocka_unit_test(bad_ids_are_refused),
		cmocka_unit_test(torrent_set_limits_out_of_range_are_refused),
		cmocka_unit_test(session_set_cannot_touch_privacy_ports_or_versions),
		cmocka_unit_test(methods_follow_the_daemon_state),
		cmocka_unit_test(every_method_has_exactly_one_complete_row),
		cmocka_unit_test(pure_handlers_answer_versions_port_test_and_the_roots_free_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
