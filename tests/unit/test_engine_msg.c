/*
 * test_engine_msg.c - the broker's wall against a hostile engine:
 * validation of every engine message, the engine->broker table's phase and
 * once rules (engine_surface.c), and terminal-safe text.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine_msg.h"
#include "engine_surface.h"
#include "progress.h"
#include "sanitize.h"

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

static void sanitize_keeps_plain_and_utf8(void **st)
{
	(void)st;
	char out[64];
	const char *in = "Ubuntu 24.04 \xc3\xa9t\xc3\xa9 \xe2\x9c\x93";
	mk_sanitize(in, strlen(in), out, sizeof out);
	assert_string_equal(out, in);
}

static void sanitize_strips_escapes(void **st)
{
	(void)st;
	char out[64];
	const char *in = "a\x1b]0;pwned\x07\x1b[2Jb\r\nc\x7f";
	mk_sanitize(in, strlen(in), out, sizeof out);
	assert_null(strchr(out, 0x1b));
	assert_null(strchr(out, '\n'));
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, 0x07));
	assert_null(strchr(out, 0x7f));
	assert_string_equal(out, "a?]0;pwned??[2Jb??c?");
}

static void sanitize_rejects_c1_overlong_surrogates(void **st)
{
	(void)st;
	char out[64];
	/* C1 CSI (U+009B), overlong '/', surrogate U+D800, > U+10FFFF, lone continuation */
	const char in[] = "\xc2\x9b" "\xc0\xaf" "\xed\xa0\x80" "\xf4\x90\x80\x80" "\x80";
	mk_sanitize(in, sizeof in - 1, out, sizeof out);
	for (const char *p = out; *p; p++)
		assert_true(*p == '?');
}

static void sanitize_never_splits_a_character(void **st)
{
	(void)st;
	char out[4]; /* room for 3 bytes: "ab" + half of é must not appear */
	mk_sanitize("ab\xc3\xa9", 4, out, sizeof out);
	assert_string_equal(out, "ab");
}

static struct mk_torrent_set one_torrent(void)
{
	struct mk_torrent_set s;
	back_set(&s);
	s.t[0]->id = 1;
	s.n = 1;
	return s;
}

static Meerko__TorrentStatus good_status(void)
{
	Meerko__TorrentStatus t = MEERKO__TORRENT_STATUS__INIT;
	t.id = 1;
	t.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	t.progress_ppm = 500000;
	t.total_done = 50;
	t.total_wanted = 100;
	t.name = (char *)"linux\x1b[31m.iso";
	return t;
}

static int check_status(struct mk_torrent_set *s, Meerko__TorrentStatus *t)
{
	Meerko__TorrentStatus *ptr[1] = { t };
	Meerko__Status st = MEERKO__STATUS__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	st.n_torrents = 1;
	st.torrents = ptr;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &st;
	char why[128];
	return mk_engine_msg_check(s, &m, why, sizeof why);
}

static void status_good_is_applied_and_sanitised(void **st)
{
	(void)st;
	struct mk_torrent_set s = one_torrent();
	Meerko__TorrentStatus t = good_status();
	assert_int_equal(check_status(&s, &t), 0);
	assert_true(s.t[0]->have_status);
	assert_int_equal(s.t[0]->progress_ppm, 500000);
	assert_string_equal(s.t[0]->name, "linux?[31m.iso");
}

static void status_violations_rejected(void **st)
{
	(void)st;
	struct mk_torrent_set s = one_torrent();
	Meerko__TorrentStatus t = good_status();
	t.id = 7;
	assert_int_equal(check_status(&s, &t), -1);
	t = good_status();
	t.progress_ppm = 1000001;
	assert_int_equal(check_status(&s, &t), -1);
	t = good_status();
	t.state = (Meerko__TorrentState)99;
	assert_int_equal(check_status(&s, &t), -1);
	t = good_status();
	t.total_done = 101;
	assert_int_equal(check_status(&s, &t), -1);
	t = good_status();
	t.download_rate = MK_MAX_RATE + 1;
	assert_int_equal(check_status(&s, &t), -1);
	assert_false(s.t[0]->have_status); /* nothing applied from a bad message */
}

static void event_and_resume_checks(void **st)
{
	(void)st;
	struct mk_torrent_set s = one_torrent();
	char why[128], big[MK_MAX_TEXT + 10];
	Meerko__Event ev = MEERKO__EVENT__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_EVENT;
	m.event = &ev;
	ev.torrent_id = 1;
	ev.type = MEERKO__EVENT_TYPE__EVENT_FINISHED;
	ev.message = (char *)"ok";
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), 0);
	ev.type = (Meerko__EventType)1234;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), -1);
	ev.type = MEERKO__EVENT_TYPE__EVENT_INFO;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ev.message = big;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), -1);

	uint8_t data[4] = { 'd', 'e', 0, 0 };
	Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
	m.resume = &rd;
	rd.torrent_id = 1;
	rd.data.data = data;
	rd.data.len = sizeof data;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), 0);
	rd.data.len = MK_MAX_RESUME + 1;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), -1);
	rd.data.len = sizeof data;
	rd.torrent_id = 2;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), -1);
}

/* ---- The engine->broker table (engine_surface.c). */

static const int every_message[] = {
	MEERKO__ENGINE_TO_BROKER__MSG_READY, MEERKO__ENGINE_TO_BROKER__MSG_STATUS,
	MEERKO__ENGINE_TO_BROKER__MSG_EVENT, MEERKO__ENGINE_TO_BROKER__MSG_RESUME,
	MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE, MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST,
	MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT,
};

/* Every message of meerko.proto has exactly one full row, whose check is
 * the one the fuzzer and the sandbox check use (mk_engine_check_of). */
static void table_has_one_full_row_per_message(void **st)
{
	(void)st;
	size_t n = sizeof every_message / sizeof every_message[0];
	assert_int_equal(mk_engine_surface_rows, n);
	for (size_t i = 0; i < n; i++) {
		const struct mk_engine_rule *r = mk_engine_rule_of(every_message[i]);
		assert_non_null(r);
		assert_non_null(r->name);
		assert_non_null(r->handle);
		assert_true(r->why_safe && strlen(r->why_safe) > 20);
		assert_true(r->phases != 0);
		assert_ptr_equal(r->check, mk_engine_check_of(every_message[i]));
		assert_true(r->once != MK_ONCE_PER_TORRENT || r->torrent != NULL);
	}
	assert_null(mk_engine_rule_of(MEERKO__ENGINE_TO_BROKER__MSG__NOT_SET));
	assert_null(mk_engine_rule_of(6)); /* a field number the schema does not have */
}

static int permit(int msg, enum mk_phase ph, struct mk_engine_seen *seen, const Meerko__EngineToBroker *m,
		  char *why, size_t len)
{
	return mk_engine_permit(mk_engine_rule_of(msg), ph, seen, m, why, len);
}

/* ResumeData (the only message that leads to a file write) is refused
 * before Ready, even for an id the set knows and with data its check takes. */
static void resume_data_before_ready_is_unpermitted(void **st)
{
	(void)st;
	struct mk_torrent_set s = one_torrent();
	struct mk_engine_seen seen;
	memset(&seen, 0, sizeof seen);
	uint8_t data[2] = { 'd', 'e' };
	Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	char why[160];
	rd.torrent_id = 1;
	rd.data.data = data;
	rd.data.len = sizeof data;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
	m.resume = &rd;
	assert_int_equal(mk_engine_msg_check(&s, &m, why, sizeof why), 0); /* the check alone takes it */
	assert_int_equal(permit(m.msg_case, PH_STARTING, &seen, &m, why, sizeof why), -1);
	assert_string_equal(why, "sent ResumeData, unpermitted while starting");
	assert_int_equal(permit(m.msg_case, PH_RUNNING, &seen, &m, why, sizeof why), 0);
	assert_int_equal(permit(m.msg_case, PH_STOPPING, &seen, &m, why, sizeof why), 0);
}

/* ShutdownDone marks the stop clean: only after Shutdown, and once. */
static void shutdown_done_only_when_asked_and_once(void **st)
{
	(void)st;
	struct mk_engine_seen seen;
	memset(&seen, 0, sizeof seen);
	Meerko__ShutdownDone d = MEERKO__SHUTDOWN_DONE__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	const struct mk_engine_rule *r = mk_engine_rule_of(MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE);
	char why[160];
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
	m.shutdown_done = &d;
	assert_int_equal(mk_engine_permit(r, PH_STARTING, &seen, &m, why, sizeof why), -1);
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), -1);
	assert_string_equal(why, "sent ShutdownDone, unpermitted while running");
	assert_int_equal(mk_engine_permit(r, PH_STOPPING, &seen, &m, why, sizeof why), 0);
	mk_engine_seen_note(r, &seen, &m);
	assert_int_equal(mk_engine_permit(r, PH_STOPPING, &seen, &m, why, sizeof why), -1);
	assert_string_equal(why, "sent a second ShutdownDone, unpermitted (once per engine run)");
}

/* Ready opens the run once: not while running, not twice while stopping. */
static void ready_once_and_never_while_running(void **st)
{
	(void)st;
	struct mk_engine_seen seen;
	memset(&seen, 0, sizeof seen);
	Meerko__Ready rdy = MEERKO__READY__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	const struct mk_engine_rule *r = mk_engine_rule_of(MEERKO__ENGINE_TO_BROKER__MSG_READY);
	char why[160];
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_READY;
	m.ready = &rdy;
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), -1);
	assert_int_equal(mk_engine_permit(r, PH_STARTING, &seen, &m, why, sizeof why), 0);
	mk_engine_seen_note(r, &seen, &m);
	assert_int_equal(mk_engine_permit(r, PH_STOPPING, &seen, &m, why, sizeof why), -1);
	memset(&seen, 0, sizeof seen); /* a stop asked before it came: its Ready is still taken */
	assert_int_equal(mk_engine_permit(r, PH_STOPPING, &seen, &m, why, sizeof why), 0);
}

/* A FileList once per torrent: a second for torrent 1 is refused, the
 * first of torrent 2 is not; an id past every slot is left to the check. */
static void file_list_once_per_torrent(void **st)
{
	(void)st;
	struct mk_engine_seen seen;
	memset(&seen, 0, sizeof seen);
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	const struct mk_engine_rule *r = mk_engine_rule_of(MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST);
	char why[160];
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST;
	m.file_list = &fl;
	fl.torrent_id = 1;
	assert_int_equal(mk_engine_permit(r, PH_STARTING, &seen, &m, why, sizeof why), -1);
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), 0);
	mk_engine_seen_note(r, &seen, &m);
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), -1);
	assert_string_equal(why, "sent a second FileList for torrent 1, unpermitted (once per torrent)");
	assert_int_equal(mk_engine_permit(r, PH_STOPPING, &seen, &m, why, sizeof why), -1);
	fl.torrent_id = 2;
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), 0);
	fl.torrent_id = MK_MAX_TORRENTS + 1;
	mk_engine_seen_note(r, &seen, &m); /* no slot: nothing written */
	assert_int_equal(mk_engine_permit(r, PH_RUNNING, &seen, &m, why, sizeof why), 0);
}

/* Nothing but Ready before Ready: no torrent is added yet. */
static void only_ready_while_starting(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof every_message / sizeof every_message[0]; i++) {
		const struct mk_engine_rule *r = mk_engine_rule_of(every_message[i]);
		bool allowed = (r->phases & MK_IN(PH_STARTING)) != 0;
		assert_int_equal(allowed, every_message[i] == MEERKO__ENGINE_TO_BROKER__MSG_READY);
	}
}

static void progress_line_has_every_field(void **st)
{
	(void)st;
	struct mk_torrent_view v;
	memset(&v, 0, sizeof v);
	v.have_status = true;
	v.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	v.progress_ppm = 425000;
	v.down_rate = 3 * 1024 * 1024;
	v.up_rate = 2048;
	v.peers = 4;
	v.seeds = 1;
	v.wanted = 100ull << 20;
	v.done = 40ull << 20;
	strcpy(v.name, "demo");
	char buf[256];
	mk_progress_format(&v, "", buf, sizeof buf);
	assert_non_null(strstr(buf, "42.5%"));
	assert_non_null(strstr(buf, "down 3.0 MiB/s"));
	assert_non_null(strstr(buf, "up 2.0 KiB/s"));
	assert_non_null(strstr(buf, "peers 4 (seeds 1)"));
	assert_non_null(strstr(buf, "ETA 0:20"));
	assert_non_null(strstr(buf, "demo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sanitize_keeps_plain_and_utf8),
		cmocka_unit_test(sanitize_strips_escapes),
		cmocka_unit_test(sanitize_rejects_c1_overlong_surrogates),
		cmocka_unit_test(sanitize_never_splits_a_character),
		cmocka_unit_test(status_good_is_applied_and_sanitised),
		cmocka_unit_test(status_violations_rejected),
		cmocka_unit_test(event_and_resume_checks),
		cmocka_unit_test(table_has_one_full_row_per_message),
		cmocka_unit_test(resume_data_before_ready_is_unpermitted),
		cmocka_unit_test(shutdown_done_only_when_asked_and_once),
		cmocka_unit_test(ready_once_and_never_while_running),
		cmocka_unit_test(file_list_once_per_torrent),
		cmocka_unit_test(only_ready_while_starting),
		cmocka_unit_test(progress_line_has_every_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
