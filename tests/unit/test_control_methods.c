/*
 * test_control_methods.c - meerko-control's method table
 * (control/control_methods.c): what each Transmission RPC request becomes
 * as a typed ControlRequest, and what each ControlReply renders to. The
 * HTTP side and real clients are in tests/integration/test_control.sh; the
 * robustness against any bytes in tests/fuzz/fuzz_control_request.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "control_methods.h"

static void parse(const char *json, struct mk_ctl_parsed *p)
{
	mk_ctl_parse(json, strlen(json), 42, p);
}

/* Rendered response of p with reply r, parsed back. */
static json_object *rendered(const struct mk_ctl_parsed *p, const Meerko__Control__ControlReply *r)
{
	size_t len;
	char *out = mk_ctl_render(p, r, "sid48", &len);
	assert_non_null(out);
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	free(out);
	return o;
}

static const char *at(json_object *o, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	return o ? json_object_get_string(o) : NULL;
}

static void every_row_parses_to_its_method(void **st)
{
	(void)st;
	const char *why;
	for (size_t i = 0; mk_ctl_method_name(i, &why); i++) {
		char json[128];
		struct mk_ctl_parsed p;
		snprintf(json, sizeof json, "{\"method\":\"%s\"}", mk_ctl_method_name(i, &why));
		parse(json, &p);
		assert_null(p.error);
		assert_non_null(p.req);
		assert_int_equal(p.req->id, 42);
		assert_int_equal(p.req->method, (int)i + 1); /* table order = enum order */
		assert_true(strlen(why) > 10);
		mk_ctl_parsed_free(&p);
	}
}

static void torrent_add_arguments_are_typed(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	parse("{\"method\":\"torrent-add\",\"arguments\":{\"metainfo\":\"ZDQ6aW5mb2Rl\\nZQ==\","
	      "\"download-dir\":\"/srv/a\",\"download_dir\":\"/srv/b\",\"paused\":1,\"labels\":[\"x\",\"y\"],"
	      "\"cookies\":\"ignored\"}}", &p);
	assert_null(p.error);
	const Meerko__Control__TorrentAddArgs *a = p.req->torrent_add;
	assert_true(a->has_metainfo);
	assert_int_equal(a->metainfo.len, 10);
	assert_memory_equal(a->metainfo.data, "d4:infodee", 10);
	assert_non_null(a->download_dir); /* one of the two aliases, the other freed */
	assert_true(a->has_paused && a->paused);
	assert_int_equal(a->n_labels, 2);
	assert_string_equal(a->labels[1], "y");
	assert_null(a->filename);
	mk_ctl_parsed_free(&p);
}

static void torrent_set_arguments_are_typed(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	parse("{\"method\":\"torrent-set\",\"arguments\":{\"ids\":[2,\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\"],"
	      "\"files-wanted\":[0,1],\"priority-high\":[2],\"downloadLimit\":100.0,"
	      "\"downloadLimited\":true,\"seedRatioLimit\":1,\"queuePosition\":3}}", &p);
	assert_null(p.error);
	const Meerko__Control__TorrentSetArgs *s = p.req->torrent_set;
	assert_int_equal(p.req->ids->n_numbers, 1);
	assert_int_equal(p.req->ids->numbers[0], 2);
	assert_string_equal(p.req->ids->hashes[0], "abcdef0123456789abcdef0123456789abcdef01");
	assert_int_equal(s->n_files_wanted, 2);
	assert_int_equal(s->files_wanted[1], 1);
	assert_int_equal(s->n_priority_high, 1);
	assert_true(s->has_downloadlimit && s->downloadlimit == 100);
	assert_true(s->has_downloadlimited && s->downloadlimited);
	assert_true(s->has_seedratiolimit && s->seedratiolimit == 1.0);
	assert_true(s->has_queueposition && s->queueposition == 3);
	mk_ctl_parsed_free(&p);
}

static void ids_forms(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	parse("{\"method\":\"torrent-stop\",\"arguments\":{\"ids\":7}}", &p);
	assert_int_equal(p.req->ids->numbers[0], 7);
	mk_ctl_parsed_free(&p);
	parse("{\"method\":\"torrent-stop\",\"arguments\":{\"ids\":\"recently-active\"}}", &p);
	assert_true(p.req->ids->recently_active);
	mk_ctl_parsed_free(&p);
	parse("{\"method\":\"torrent-stop\"}", &p);
	assert_null(p.req->ids); /* all */
	mk_ctl_parsed_free(&p);
	const char *bad[] = { "0", "-3", "1.5", "\"abc\"", "[1,{}]", "{}", "true",
			      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" /* 41 */ };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char json[160];
		snprintf(json, sizeof json, "{\"method\":\"torrent-stop\",\"arguments\":{\"ids\":%s}}", bad[i]);
		parse(json, &p);
		assert_string_equal(p.error, "invalid ids");
		assert_null(p.req);
	}
}

static void fields_become_the_torrent_field_enum(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	parse("{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"id\",\"nope\",\"hashString\",\"labels\"]}}", &p);
	assert_null(p.error);
	const Meerko__Control__TorrentGetArgs *g = p.req->torrent_get;
	assert_int_equal(g->n_fields, 3);
	assert_int_equal(g->fields[0], MEERKO__CONTROL__TORRENT_FIELD__TF_ID);
	assert_int_equal(g->fields[1], MEERKO__CONTROL__TORRENT_FIELD__TF_HASH_STRING);
	assert_int_equal(g->fields[2], MEERKO__CONTROL__TORRENT_FIELD__TF_LABELS);
	mk_ctl_parsed_free(&p);
}

static void torrent_records_show_only_requested_fields(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__TorrentGetReply g = MEERKO__CONTROL__TORRENT_GET_REPLY__INIT;
	Meerko__Control__TorrentRecord rec = MEERKO__CONTROL__TORRENT_RECORD__INIT, *recs[] = { &rec };
	Meerko__Control__TorrentFile f = MEERKO__CONTROL__TORRENT_FILE__INIT, *files[] = { &f };
	rec.has_id = 1, rec.id = 5, rec.name = "n", rec.downloaddir = "/secret/elsewhere";
	f.name = "a/b.bin", f.has_length = 1, f.length = 10;
	rec.files = files, rec.n_files = 1;
	g.torrents = recs, g.n_torrents = 1;
	r.id = 42, r.torrent_get = &g;
	parse("{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"id\",\"files\"]},\"tag\":9}", &p);
	json_object *o = rendered(&p, &r), *t, *list;
	assert_string_equal(at(o, "result"), "success");
	assert_string_equal(at(o, "tag"), "9");
	assert_true(json_object_object_get_ex(json_object_object_get(o, "arguments"), "torrents", &list));
	t = json_object_array_get_idx(list, 0);
	assert_string_equal(at(t, "id"), "5");
	assert_null(at(t, "name"));        /* set by the broker, not asked for */
	assert_null(at(t, "downloadDir"));
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(t, "files"), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    "[{\"name\":\"a/b.bin\",\"length\":10}]");
	json_object_put(o);
	mk_ctl_parsed_free(&p);
}

static void table_format_has_a_header_row_and_nulls(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__TorrentGetReply g = MEERKO__CONTROL__TORRENT_GET_REPLY__INIT;
	Meerko__Control__TorrentRecord rec = MEERKO__CONTROL__TORRENT_RECORD__INIT, *recs[] = { &rec };
	rec.has_id = 1, rec.id = 5, rec.name = "n", rec.has_peer_limit = 1, rec.peer_limit = 9;
	g.torrents = recs, g.n_torrents = 1;
	r.id = 42, r.torrent_get = &g;
	parse("{\"method\":\"torrent-get\",\"arguments\":{\"format\":\"table\","
	      "\"fields\":[\"name\",\"peer-limit\",\"eta\",\"id\"]}}", &p);
	assert_null(p.error);
	json_object *o = rendered(&p, &r);
	json_object *list = json_object_object_get(json_object_object_get(o, "arguments"), "torrents");
	assert_string_equal(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN),
			    "[[\"name\",\"peer-limit\",\"eta\",\"id\"],[\"n\",9,null,5]]");
	json_object_put(o);
	mk_ctl_parsed_free(&p);
}

static void session_get_names_kebab_case_and_filters(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__SessionValues v = MEERKO__CONTROL__SESSION_VALUES__INIT;
	v.has_rpc_version = v.has_rpc_version_minimum = 1;
	v.rpc_version = 17, v.rpc_version_minimum = 14, v.download_dir = "/srv";
	r.id = 42, r.session = &v;
	parse("{\"method\":\"session-get\"}", &p);
	json_object *o = rendered(&p, &r);
	assert_string_equal(at(o, "arguments.rpc-version"), "17");
	assert_string_equal(at(o, "arguments.rpc-version-minimum"), "14");
	assert_string_equal(at(o, "arguments.download-dir"), "/srv");
	assert_string_equal(at(o, "arguments.session-id"), "sid48");
	json_object_put(o);
	mk_ctl_parsed_free(&p);
	parse("{\"method\":\"session-get\",\"arguments\":{\"fields\":[\"rpc-version\"]}}", &p);
	o = rendered(&p, &r);
	assert_string_equal(at(o, "arguments.rpc-version"), "17");
	assert_null(at(o, "arguments.download-dir"));
	json_object_put(o);
	mk_ctl_parsed_free(&p);
}

static void add_duplicate_stats_free_space_and_errors(void **st)
{
	(void)st;
	struct mk_ctl_parsed p;
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__TorrentAddReply a = MEERKO__CONTROL__TORRENT_ADD_REPLY__INIT;
	Meerko__Control__TorrentRecord rec = MEERKO__CONTROL__TORRENT_RECORD__INIT;
	Meerko__Control__SessionStats s = MEERKO__CONTROL__SESSION_STATS__INIT;
	Meerko__Control__SessionStats__Totals tot = MEERKO__CONTROL__SESSION_STATS__TOTALS__INIT;
	Meerko__Control__FreeSpaceReply fs = MEERKO__CONTROL__FREE_SPACE_REPLY__INIT;
	rec.has_id = 1, rec.id = 3, rec.name = "x";
	a.torrent = &rec, a.has_duplicate = a.duplicate = 1;
	tot.has_filesadded = 1, tot.filesadded = 4;
	s.cumulative_stats = &tot, s.has_torrentcount = 1, s.torrentcount = 2;
	fs.path = "/srv", fs.has_size_bytes = 1, fs.size_bytes = 1000;
	r.id = 42, r.torrent_add = &a, r.session_stats = &s, r.free_space = &fs;
	parse("{\"method\":\"torrent-add\",\"arguments\":{\"filename\":\"magnet:?xt=x\"}}", &p);
	json_object *o = rendered(&p, &r);
	assert_string_equal(at(o, "arguments.torrent-duplicate.id"), "3");
	json_object_put(o);
	mk_ctl_parsed_free(&p);
	parse("{\"method\":\"session-stats\"}", &p);
	o = rendered(&p, &r);
	assert_string_equal(at(o, "arguments.cumulative-stats.filesAdded"), "4");
	assert_string_equal(at(o, "arguments.torrentCount"), "2");
	json_object_put(o);
	mk_ctl_parsed_free(&p);
	parse("{\"method\":\"free-space\",\"arguments\":{\"path\":\"/srv\"}}", &p);
	o = rendered(&p, &r);
	assert_string_equal(at(o, "arguments.size-bytes"), "1000");
	json_object_put(o);
	r.result = "download-dir must be under /srv";
	o = rendered(&p, &r);
	assert_string_equal(at(o, "result"), "download-dir must be under /srv");
	assert_null(at(o, "arguments.size-bytes"));
	json_object_put(o);
	mk_ctl_parsed_free(&p);
}

static void base64_is_strict(void **st)
{
	(void)st;
	uint8_t *out;
	size_t n;
	assert_int_equal(mk_ctl_base64_decode("TWFu", 4, &out, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Man", 3);
	free(out);
	assert_int_equal(mk_ctl_base64_decode("TW E=\r\n", 7, &out, &n), 0);
	assert_int_equal(n, 2);
	free(out);
	const char *bad[] = { "T", "TWFu=a", "TW===", "TW-_", "TWFu%" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(mk_ctl_base64_decode(bad[i], strlen(bad[i]), &out, &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_parses_to_its_method),
		cmocka_unit_test(torrent_add_arguments_are_typed),
		cmocka_unit_test(torrent_set_arguments_are_typed),
		cmocka_unit_test(ids_forms),
		cmocka_unit_test(fields_become_the_torrent_field_enum),
		cmocka_unit_test(torrent_records_show_only_requested_fields),
		cmocka_unit_test(table_format_has_a_header_row_and_nulls),
		cmocka_unit_test(session_get_names_kebab_case_and_filters),
		cmocka_unit_test(add_duplicate_stats_free_space_and_errors),
		cmocka_unit_test(base64_is_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
