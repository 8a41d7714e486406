/*
 * test_engine_stderr.c - what a (compromised) engine writes to its stderr
 * reaches the user's terminal only as capped, rate-limited, sanitised
 * lines behind "meerko-engine: " (broker/engine_stderr.c).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_stderr.h"

#define MAX_SEEN 1200

struct seen {
	char lines[MAX_SEEN][sizeof MK_ESTDERR_PREFIX + MK_ESTDERR_LINE_MAX + 8];
	size_t n;
};

static void collect(void *ctx, const char *line)
{
	struct seen *s = ctx;
	assert_true(strlen(line) < sizeof s->lines[0]);
	if (s->n < MAX_SEEN)
		snprintf(s->lines[s->n++], sizeof s->lines[0], "%s", line);
}

static struct seen *fresh(struct mk_estderr *e)
{
	struct seen *s = calloc(1, sizeof *s);
	assert_non_null(s);
	mk_estderr_init(e, collect, s, 0);
	return s;
}

static void feed_str(struct mk_estderr *e, const char *text, int64_t now_ms)
{
	mk_estderr_feed(e, text, strlen(text), now_ms);
}

static void test_lines_split_across_writes_and_prefixed(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	feed_str(&e, "first li", 0);
	feed_str(&e, "ne\nsecond\nunterminated", 0);
	assert_int_equal(s->n, 2);
	mk_estderr_finish(&e, 0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->lines[0], "meerko-engine: first line");
	assert_string_equal(s->lines[1], "meerko-engine: second");
	assert_string_equal(s->lines[2], "meerko-engine: unterminated");
	free(s);
}

static void test_escapes_and_carriage_returns_neutralised(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	feed_str(&e, "\033]0;owned\007\033[6n\r\033[32mmeerko-secure: done\033[0m\n", 0);
	mk_estderr_finish(&e, 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->lines[0], "meerko-engine: ?]0;owned??[6n??[32mmeerko-secure: done?[0m");
	free(s);
}

static void test_long_line_cut_rest_dropped(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	char big[3 * MK_ESTDERR_LINE_MAX + 2];
	memset(big, 'x', sizeof big - 2);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = '\0';
	feed_str(&e, big, 0);
	feed_str(&e, "next\n", 0);
	assert_int_equal(s->n, 2);
	assert_int_equal(strlen(s->lines[0]), strlen(MK_ESTDERR_PREFIX) + MK_ESTDERR_LINE_MAX + 3);
	assert_string_equal(s->lines[0] + strlen(s->lines[0]) - 4, "x...");
	assert_string_equal(s->lines[1], "meerko-engine: next");
	free(s);
}

static void feed_lines(struct mk_estderr *e, int n, int64_t now_ms)
{
	for (int i = 0; i < n; i++) {
		char line[32];
		snprintf(line, sizeof line, "line %d\n", i);
		feed_str(e, line, now_ms);
	}
}

static void test_flood_stops_at_burst_then_counted_once(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	feed_lines(&e, MK_ESTDERR_BURST + 100, 0);
	assert_int_equal(s->n, MK_ESTDERR_BURST);
	mk_estderr_finish(&e, 0);
	assert_int_equal(s->n, MK_ESTDERR_BURST + 1);
	assert_string_equal(s->lines[MK_ESTDERR_BURST], "meerko-engine: 100 further lines suppressed");
	mk_estderr_finish(&e, 0); /* said once */
	assert_int_equal(s->n, MK_ESTDERR_BURST + 1);
	free(s);
}

static void test_budget_refills_at_rate(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	feed_lines(&e, MK_ESTDERR_BURST, 0);
	feed_lines(&e, 50, 1000); /* one second later: PER_S more */
	assert_int_equal(s->n, MK_ESTDERR_BURST + MK_ESTDERR_PER_S);
	free(s);
}

static void test_run_cap_holds_over_time(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	/* A slow, steady engine within the rate: still no more than the cap. */
	for (int64_t t = 0; t < 3600 * 1000; t += 1000)
		feed_lines(&e, MK_ESTDERR_PER_S, t);
	assert_int_equal(s->n, MK_ESTDERR_MAX_LINES);
	free(s);
}

static void test_crash_report_after_quiet_run_passes_whole(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	feed_lines(&e, 20, 0);
	feed_str(&e, "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n", 600000);
	feed_lines(&e, 120, 600000); /* the frames, at once */
	mk_estderr_finish(&e, 600001);
	assert_int_equal(s->n, 20 + 1 + 120);
	assert_string_equal(s->lines[20], "meerko-engine: ==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x1");
	free(s);
}

static void test_read_pipe_until_eof(void **state)
{
	(void)state;
	struct mk_estderr e;
	struct seen *s = fresh(&e);
	int p[2];
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(mk_estderr_read(&e, p[0], 0), 0); /* empty: would block */
	assert_int_equal(write(p[1], "a\nb", 3), 3);
	assert_int_equal(mk_estderr_read(&e, p[0], 0), 0);
	assert_int_equal(s->n, 1);
	close(p[1]);
	assert_int_equal(mk_estderr_read(&e, p[0], 0), 1); /* writer gone */
	mk_estderr_finish(&e, 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->lines[1], "meerko-engine: b");
	close(p[0]);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_split_across_writes_and_prefixed),
		cmocka_unit_test(test_escapes_and_carriage_returns_neutralised),
		cmocka_unit_test(test_long_line_cut_rest_dropped),
		cmocka_unit_test(test_flood_stops_at_burst_then_counted_once),
		cmocka_unit_test(test_budget_refills_at_rate),
		cmocka_unit_test(test_run_cap_holds_over_time),
		cmocka_unit_test(test_crash_report_after_quiet_run_passes_whole),
		cmocka_unit_test(test_read_pipe_until_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
