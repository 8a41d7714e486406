/*
 * test_ipc_bomb.c - a hostile engine sends one maximal frame (16 MiB) made
 * of empty repeated sub-messages (or unknown fields), which protobuf-c would
 * turn into millions of heap blocks; the broker's unpack must refuse it
 * while its memory stays small.
 *
 * Each attack runs in a child process that does exactly what the broker
 * does with a frame (mk_ipc_unpack_e2b); the parent reads the child's peak
 * RSS (wait4's ru_maxrss), so the measure is the kernel's, not ours, and
 * the test uses only the API the broker always had. Before the unpack
 * guard (ipc/unpack_guard.c) the Status frame peaked at 1.39 GB and the
 * FileList frame at 870 MB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc.h"

/* A child that only unpacks (16 MiB frame + what unpacking costs) stays
 * far below this; an unguarded unpack of these frames goes far above. */
#define MAX_CHILD_RSS_KB (256L * 1024)

/* One frame of MK_FRAME_MAX bytes or a few less: the EngineToBroker field
 * `outer` (tag bytes) holding copies of the 2-byte element `elem`. With
 * outer_len 0 the elements sit at the top level. Caller frees. */
static uint8_t *build_bomb(const uint8_t *outer, size_t outer_len, const uint8_t elem[2],
			   size_t *len)
{
	uint8_t *buf = malloc(MK_FRAME_MAX);
	assert_non_null(buf);
	size_t head = outer_len ? outer_len + 4 : 0; /* tag + 4-byte varint length */
	size_t body = (MK_FRAME_MAX - head) & ~(size_t)1;
	if (outer_len)
		memcpy(buf, outer, outer_len);
	for (size_t i = 0; i < 4 && outer_len; i++) /* 4-byte varint of body */
		buf[outer_len + i] = (uint8_t)(((body >> (7 * i)) & 0x7f) | (i < 3 ? 0x80 : 0));
	for (size_t i = 0; i < body; i += 2)
		memcpy(buf + head + i, elem, 2);
	*len = head + body;
	return buf;
}

/* Runs the broker's unpack of the bomb in a child; returns its peak RSS
 * in KiB and asserts the frame was refused. */
static long unpack_in_child(const uint8_t *outer, size_t outer_len, const uint8_t elem[2])
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t len;
		uint8_t *buf = build_bomb(outer, outer_len, elem, &len);
		Meerko__EngineToBroker *m = mk_ipc_unpack_e2b(buf, len);
		int refused = m == NULL;
		mk_ipc_free_e2b(m);
		free(buf);
		_exit(refused ? 0 : 3);
	}
	int status = 0;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	print_message("      child peak RSS %ld KiB (limit %ld)\n", ru.ru_maxrss, MAX_CHILD_RSS_KB);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0); /* refused, not crashed */
	return ru.ru_maxrss;
}

/* Status (field 2) of ~8 million empty TorrentStatus (0a 00). */
static void test_status_of_empty_entries_refused_small_rss(void **state)
{
	(void)state;
	static const uint8_t outer[] = { 0x12 }, elem[] = { 0x0a, 0x00 };
	assert_true(unpack_in_child(outer, sizeof outer, elem) < MAX_CHILD_RSS_KB);
}

/* FileList (field 20) of ~8 million empty FileEntry (12 00). */
static void test_file_list_of_empty_entries_refused_small_rss(void **state)
{
	(void)state;
	static const uint8_t outer[] = { 0xa2, 0x01 }, elem[] = { 0x12, 0x00 };
	assert_true(unpack_in_child(outer, sizeof outer, elem) < MAX_CHILD_RSS_KB);
}

/* ~8 million unknown varint fields (field 15 = 0, "78 00") at the top level:
 * not counted by any cap, stopped by the unpack budget. */
static void test_unknown_fields_refused_small_rss(void **state)
{
	(void)state;
	static const uint8_t elem[] = { 0x78, 0x00 };
	assert_true(unpack_in_child(NULL, 0, elem) < MAX_CHILD_RSS_KB);
}

/* The same inside the Status: unknown fields of one TorrentStatus-less Status. */
static void test_unknown_fields_in_status_refused_small_rss(void **state)
{
	(void)state;
	static const uint8_t outer[] = { 0x12 }, elem[] = { 0x78, 0x00 };
	assert_true(unpack_in_child(outer, sizeof outer, elem) < MAX_CHILD_RSS_KB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_of_empty_entries_refused_small_rss),
		cmocka_unit_test(test_file_list_of_empty_entries_refused_small_rss),
		cmocka_unit_test(test_unknown_fields_refused_small_rss),
		cmocka_unit_test(test_unknown_fields_in_status_refused_small_rss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
