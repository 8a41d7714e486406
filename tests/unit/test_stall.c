/*
 * test_stall.c - a torrent that gets no data: when Meerko says so, how
 * often, when it gives up, and what the one line says - from counts a
 * hostile engine sends (validated and sanitised first, engine_msg.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine_msg.h"
#include "stall.h"

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

static struct mk_torrent_view downloading(void)
{
	struct mk_torrent_view v;
	memset(&v, 0, sizeof v);
	v.id = 1;
	v.have_status = true;
	v.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	v.wanted = 1000;
	return v;
}

static const struct mk_stall_cfg notice60 = { 60, 0 };

static void says_nothing_before_the_notice_time_then_once(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 1000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 60999), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 61000), MK_STALL_NOTICE);
	assert_int_equal(mk_stall_seconds(&s, 61000), 60);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 62000), MK_STALL_MOVING);
}

static void repeats_only_every_five_minutes_even_when_it_moves_between(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	mk_stall_tick(&s, &v, true, &notice60, 0);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 60000), MK_STALL_NOTICE);
	for (int64_t t = 61000; t < 360000; t += 1000)
		assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, t), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 360000), MK_STALL_NOTICE);
	/* one byte, then silent again: the clock restarts, the notice waits for
	 * both 60 s of silence and 5 minutes since the last one */
	v.downloaded = 1;
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 361000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 421000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &notice60, 660000), MK_STALL_NOTICE);
}

static void any_movement_restarts_the_clock(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	const struct mk_stall_cfg cfg = { 0, 10 };
	mk_stall_tick(&s, &v, true, &cfg, 0);
	v.done = 16384; /* a piece verified (e.g. found on disk) */
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 9000), MK_STALL_MOVING);
	v.wanted = 2000; /* --files applied, metadata arrived */
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 18000), MK_STALL_MOVING);
	v.downloaded = 5;
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 27000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 36999), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 37000), MK_STALL_TIMEOUT);
}

static void an_outage_or_a_finished_torrent_stops_the_clock(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	const struct mk_stall_cfg cfg = { 5, 10 };
	mk_stall_tick(&s, &v, true, &cfg, 0);
	/* the proxy is down for a minute: not watching */
	assert_int_equal(mk_stall_tick(&s, &v, false, &cfg, 4000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, false, &cfg, 64000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 65000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 69000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 70000), MK_STALL_NOTICE);

	v.complete = true;
	assert_false(mk_stall_applies(&v));
	v = downloading();
	v.seeding = true;
	assert_false(mk_stall_applies(&v));
	v = downloading();
	v.state = MEERKO__TORRENT_STATE__STATE_CHECKING; /* hashing a big file sends no data */
	assert_false(mk_stall_applies(&v));
	v.state = MEERKO__TORRENT_STATE__STATE_METADATA;
	assert_true(mk_stall_applies(&v));
}

static void a_magnet_without_metadata_is_explained_but_left_to_metadata_timeout(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	const struct mk_stall_cfg cfg = { 5, 5 };
	v.state = MEERKO__TORRENT_STATE__STATE_METADATA;
	v.wanted = 0;
	mk_stall_tick(&s, &v, true, &cfg, 0);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 5000), MK_STALL_NOTICE);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 600000), MK_STALL_NOTICE);
	v.wanted = 1000; /* the metadata came: a new clock for the timeout */
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 601000), MK_STALL_MOVING);
	assert_int_equal(mk_stall_tick(&s, &v, true, &cfg, 606000), MK_STALL_TIMEOUT);
}

static void zero_means_never(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	struct mk_stall s = { 0 };
	const struct mk_stall_cfg off = { 0, 0 };
	mk_stall_tick(&s, &v, true, &off, 0);
	assert_int_equal(mk_stall_tick(&s, &v, true, &off, 86400000), MK_STALL_MOVING);
}

static void line_names_zero_peers_from_trackers(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	char buf[MK_STALL_TEXT];
	v.tracker_replies = 2;
	mk_stall_describe(&v, 60, buf, sizeof buf);
	assert_string_equal(buf, "no data for 60 s - 0 peers from trackers (2 replies); connections: 0 refused, "
			    "0 failed, 0 closed after connecting; 0 peers connected - the trackers know no other peer");
}

static void line_names_refused_closed_and_connected_peers(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	char buf[MK_STALL_TEXT];
	v.tracker_replies = 1;
	v.tracker_peers = 1;
	v.conn_refused = 7;
	mk_stall_describe(&v, 300, buf, sizeof buf);
	assert_non_null(strstr(buf, "1 peer from trackers (1 reply); connections: 7 refused,"));
	assert_non_null(strstr(buf, "- the peers cannot be reached through the proxy"));
	v.conn_closed = 9;
	mk_stall_describe(&v, 300, buf, sizeof buf);
	assert_non_null(strstr(buf, "9 closed after connecting"));
	assert_non_null(strstr(buf, "- the peers close the connections"));
	v.peers = 2; /* connected now, or about to be closed again */
	mk_stall_describe(&v, 300, buf, sizeof buf);
	assert_non_null(strstr(buf, "2 peers connected - the peers close the connections or send nothing"));
	v.conn_closed = 0;
	mk_stall_describe(&v, 300, buf, sizeof buf);
	assert_non_null(strstr(buf, "2 peers connected - the connected peers send nothing"));
	v.conn_refused = v.conn_failed = UINT32_MAX; /* saturated counters do not wrap */
	v.peers = 0;
	mk_stall_describe(&v, 300, buf, sizeof buf);
	assert_non_null(strstr(buf, "- the peers cannot be reached through the proxy"));
}

static void line_names_no_tracker_or_the_last_tracker_error(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	char buf[MK_STALL_TEXT];
	mk_stall_describe(&v, 60, buf, sizeof buf);
	assert_non_null(strstr(buf, "- no tracker answered yet;"));
	assert_non_null(strstr(buf, "- no peer source has answered"));
	v.tracker_errors = 3;
	strcpy(v.tracker_error, "Connection refused");
	mk_stall_describe(&v, 60, buf, sizeof buf);
	assert_non_null(strstr(buf, "- 3 tracker errors (last: Connection refused);"));
	assert_non_null(strstr(buf, "- no tracker can be reached through the proxy"));
}

static int status(struct mk_torrent_set *s, Meerko__TorrentStatus *t)
{
	Meerko__TorrentStatus *ptr[1] = { t };
	Meerko__Status st = MEERKO__STATUS__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	char why[128];
	st.n_torrents = 1;
	st.torrents = ptr;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &st;
	return mk_engine_msg_check(s, &m, why, sizeof why);
}

static void hostile_tracker_error_text_is_sanitised_and_bounded(void **st)
{
	(void)st;
	struct mk_torrent_set s;
	Meerko__TorrentStatus t = MEERKO__TORRENT_STATUS__INIT;
	char big[MK_MAX_TRACKER_ERROR + 2], buf[MK_STALL_TEXT];
	back_set(&s);
	s.t[0]->id = 1;
	s.n = 1;
	t.id = 1;
	t.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	t.tracker_errors = 1;
	t.tracker_error = (char *)"no\x1b]0;owned\x07 \xe2\x80\xae" "exe.gpj\nfake line";
	t.conn_refused = 4;
	assert_int_equal(status(&s, &t), 0);
	assert_string_equal(s.t[0]->tracker_error, "no?]0;owned? ?exe.gpj?fake line");
	assert_int_equal(s.t[0]->conn_refused, 4);
	mk_stall_describe(s.t[0], 60, buf, sizeof buf);
	assert_null(strchr(buf, '\n'));
	assert_null(strchr(buf, 0x1b));

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0'; /* one byte over */
	t.tracker_error = big;
	assert_int_equal(status(&s, &t), -1);
	big[sizeof big - 2] = '\0'; /* the longest allowed: the line still fits */
	assert_int_equal(status(&s, &t), 0);
	size_t n = mk_stall_describe(s.t[0], 60, buf, sizeof buf);
	assert_true(n < sizeof buf - 1); /* nothing cut: the hint is still at the end */
	assert_string_equal(buf + n - strlen("- the peers cannot be reached through the proxy"),
			    "- the peers cannot be reached through the proxy");

	t.tracker_error = NULL;
	t.tracker_peers = MK_MAX_TRACKER_PEERS + 1;
	assert_int_equal(status(&s, &t), -1);
}

static void small_buffer_is_cut_never_overrun(void **st)
{
	(void)st;
	struct mk_torrent_view v = downloading();
	char buf[24];
	memset(buf, 'Z', sizeof buf);
	size_t n = mk_stall_describe(&v, 123456789, buf, 16);
	assert_int_equal(n, 15);
	assert_int_equal(buf[15], '\0');
	assert_int_equal(buf[16], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(says_nothing_before_the_notice_time_then_once),
		cmocka_unit_test(repeats_only_every_five_minutes_even_when_it_moves_between),
		cmocka_unit_test(any_movement_restarts_the_clock),
		cmocka_unit_test(an_outage_or_a_finished_torrent_stops_the_clock),
		cmocka_unit_test(a_magnet_without_metadata_is_explained_but_left_to_metadata_timeout),
		cmocka_unit_test(zero_means_never),
		cmocka_unit_test(line_names_zero_peers_from_trackers),
		cmocka_unit_test(line_names_refused_closed_and_connected_peers),
		cmocka_unit_test(line_names_no_tracker_or_the_last_tracker_error),
		cmocka_unit_test(hostile_tracker_error_text_is_sanitised_and_bounded),
		cmocka_unit_test(small_buffer_is_cut_never_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
