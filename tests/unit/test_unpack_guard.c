/*
 * test_unpack_guard.c - the two bounds on unpacking engine bytes
 * (ipc/unpack_guard.c): the caps counted before unpacking and the
 * allocation budget, and that legitimate maximal messages still fit.
 *
 * Peak allocation is read from the budget allocator itself
 * (mk_ipc_unpack_e2b_info); test_ipc_bomb.c measures the same attacks with
 * the kernel's RSS instead. The measured peaks are printed: they are the
 * numbers behind MK_UNPACK_BUDGET's comment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc.h"

/* Packs m into a malloc'd buffer (caller frees). */
static uint8_t *pack(const Meerko__EngineToBroker *m, size_t *len)
{
	*len = meerko__engine_to_broker__get_packed_size(m);
	uint8_t *buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(meerko__engine_to_broker__pack(m, buf), *len);
	return buf;
}

/* A Status of n empty entries (n < 8192: a 2-byte varint length). */
static uint8_t *empty_status(size_t n, size_t *len)
{
	uint8_t *buf = malloc(3 + 2 * n);
	assert_non_null(buf);
	assert_true(2 * n < (1u << 14));
	buf[0] = 0x12;
	buf[1] = (uint8_t)((2 * n) & 0x7f) | 0x80;
	buf[2] = (uint8_t)((2 * n) >> 7);
	for (size_t i = 0; i < n; i++) {
		buf[3 + 2 * i] = 0x0a;
		buf[4 + 2 * i] = 0x00;
	}
	*len = 3 + 2 * n;
	return buf;
}

static void test_status_at_the_cap_unpacks(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = empty_status(MK_MAX_TORRENTS, &len);
	Meerko__EngineToBroker *m = mk_ipc_unpack_e2b(buf, len);
	assert_non_null(m);
	assert_int_equal(m->status->n_torrents, MK_MAX_TORRENTS);
	mk_ipc_free_e2b(m);
	free(buf);
}

static void test_status_one_above_the_cap_refused_before_unpack(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = empty_status(MK_MAX_TORRENTS + 1, &len);
	struct mk_ipc_unpack_info info;
	assert_null(mk_ipc_unpack_e2b_info(buf, len, &info));
	assert_non_null(strstr(info.refused, "more torrents"));
	assert_int_equal(info.peak_bytes, 0); /* nothing was allocated */
	free(buf);
}

/* protobuf merges repeated occurrences of a message field: 40 + 40 entries
 * in two Status fields are 80 entries, and counted so. */
static void test_status_split_over_two_fields_counted_together(void **state)
{
	(void)state;
	size_t l1, l2;
	uint8_t *a = empty_status(40, &l1), *b = empty_status(40, &l2);
	uint8_t *both = malloc(l1 + l2);
	assert_non_null(both);
	memcpy(both, a, l1);
	memcpy(both + l1, b, l2);
	struct mk_ipc_unpack_info info;
	assert_null(mk_ipc_unpack_e2b_info(both, l1 + l2, &info));
	assert_non_null(strstr(info.refused, "more torrents"));
	free(a);
	free(b);
	free(both);
}

/* Groups (wire types 3/4) and a varint running off the end are refused. */
static void test_malformed_wire_refused_by_prescan(void **state)
{
	(void)state;
	static const uint8_t group[] = { 0x13, 0x14 };
	static const uint8_t runaway[] = { 0x12, 0x02, 0x08, 0x80 };
	assert_non_null(mk_e2b_prescan(group, sizeof group));
	assert_non_null(mk_e2b_prescan(runaway, sizeof runaway));
	static const uint8_t ok[] = { 0x12, 0x02, 0x0a, 0x00 };
	assert_null(mk_e2b_prescan(ok, sizeof ok));
}

/* Without the prescan, the budget alone still stops the Status bomb: the
 * allocator refuses past the limit, protobuf-c frees what it had. */
static void test_budget_alone_stops_a_status_bomb(void **state)
{
	(void)state;
	size_t body = (MK_FRAME_MAX - 5) & ~(size_t)1;
	uint8_t *buf = malloc(5 + body);
	assert_non_null(buf);
	buf[0] = 0x12;
	for (size_t i = 0; i < 4; i++)
		buf[1 + i] = (uint8_t)(((body >> (7 * i)) & 0x7f) | (i < 3 ? 0x80 : 0));
	for (size_t i = 0; i < body; i += 2) {
		buf[5 + i] = 0x0a;
		buf[6 + i] = 0x00;
	}
	struct mk_unpack_budget b;
	mk_unpack_budget_init(&b, MK_UNPACK_BUDGET);
	assert_null(meerko__engine_to_broker__unpack(&b.alloc, 5 + body, buf));
	print_message("      status bomb, budget only: peak %zu bytes\n", b.peak);
	assert_true(b.exhausted);
	assert_true(b.peak <= MK_UNPACK_BUDGET);
	assert_int_equal(b.live, 0); /* everything was given back */
	free(buf);
}

/* n files, each path `path_len` bytes: the legitimate FileList shapes. */
static uint8_t *file_list(size_t n, size_t path_len, size_t *len)
{
	Meerko__FileEntry *e = calloc(n, sizeof *e);
	Meerko__FileEntry **ptrs = calloc(n, sizeof *ptrs);
	char *path = malloc(path_len + 1);
	assert_true(e && ptrs && path);
	memset(path, 'p', path_len);
	path[path_len] = '\0';
	for (size_t i = 0; i < n; i++) {
		meerko__file_entry__init(&e[i]);
		e[i].path = path;
		e[i].size = (1ull << 40) + i;
		ptrs[i] = &e[i];
	}
	Meerko__FileList fl = MEERKO__FILE_LIST__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	fl.torrent_id = 1;
	fl.n_files = n;
	fl.files = ptrs;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST;
	m.file_list = &fl;
	uint8_t *buf = pack(&m, len);
	free(e);
	free(ptrs);
	free(path);
	return buf;
}

static void expect_file_list_fits(size_t n, size_t path_len)
{
	size_t len;
	uint8_t *buf = file_list(n, path_len, &len);
	assert_true(len <= MK_FRAME_MAX);
	struct mk_ipc_unpack_info info;
	Meerko__EngineToBroker *m = mk_ipc_unpack_e2b_info(buf, len, &info);
	print_message("      %zu files, %zu-byte paths, frame %zu bytes: peak %zu bytes (budget %u)\n",
		      n, path_len, len, info.peak_bytes, MK_UNPACK_BUDGET);
	assert_non_null(m);
	assert_null(info.refused);
	assert_int_equal(m->file_list->n_files, n);
	assert_true(info.peak_bytes / 2 * 3 < MK_UNPACK_BUDGET); /* 1.5x to spare */
	mk_ipc_free_e2b(m);
	free(buf);
}

static void test_largest_file_lists_still_unpack(void **state)
{
	(void)state;
	expect_file_list_fits(MK_MAX_FILES, 1);   /* most blocks per frame byte */
	expect_file_list_fits(MK_MAX_FILES, 150); /* as large as a frame allows */
	expect_file_list_fits(4000, 4096);        /* longest paths */
}

static void test_file_list_one_above_the_cap_refused_before_unpack(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = file_list(MK_MAX_FILES + 1, 1, &len);
	struct mk_ipc_unpack_info info;
	assert_null(mk_ipc_unpack_e2b_info(buf, len, &info));
	assert_non_null(strstr(info.refused, "file limit"));
	assert_int_equal(info.peak_bytes, 0);
	free(buf);
}

/* MK_MAX_TORRENTS rows with every field set and 4 KiB names. */
static void test_full_status_still_unpacks(void **state)
{
	(void)state;
	Meerko__TorrentStatus ts[MK_MAX_TORRENTS], *ptrs[MK_MAX_TORRENTS];
	static char name[4097];
	memset(name, 'n', 4096);
	for (size_t i = 0; i < MK_MAX_TORRENTS; i++) {
		meerko__torrent_status__init(&ts[i]);
		ts[i].id = (uint32_t)i + 1;
		ts[i].total_wanted = ts[i].total_done = 1ull << 40;
		ts[i].name = name;
		ptrs[i] = &ts[i];
	}
	Meerko__Status st = MEERKO__STATUS__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	st.n_torrents = MK_MAX_TORRENTS;
	st.torrents = ptrs;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &st;
	size_t len;
	uint8_t *buf = pack(&m, &len);
	struct mk_ipc_unpack_info info;
	Meerko__EngineToBroker *got = mk_ipc_unpack_e2b_info(buf, len, &info);
	print_message("      %d full status rows: peak %zu bytes\n", MK_MAX_TORRENTS, info.peak_bytes);
	assert_non_null(got);
	assert_int_equal(got->status->n_torrents, MK_MAX_TORRENTS);
	mk_ipc_free_e2b(got);
	free(buf);
}

/* The budget's own edges: a block larger than the limit, exact fit. */
static void test_budget_edges(void **state)
{
	(void)state;
	struct mk_unpack_budget b;
	mk_unpack_budget_init(&b, 1000);
	assert_null(b.alloc.alloc(b.alloc.allocator_data, SIZE_MAX));
	assert_true(b.exhausted);
	mk_unpack_budget_init(&b, 1000);
	void *p = b.alloc.alloc(b.alloc.allocator_data, 100);
	assert_non_null(p);
	assert_true(b.live > 100 && b.live < 200);
	assert_null(b.alloc.alloc(b.alloc.allocator_data, 1000 - b.live));
	b.alloc.free(b.alloc.allocator_data, p);
	assert_int_equal(b.live, 0);
	assert_true(b.peak > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_at_the_cap_unpacks),
		cmocka_unit_test(test_status_one_above_the_cap_refused_before_unpack),
		cmocka_unit_test(test_status_split_over_two_fields_counted_together),
		cmocka_unit_test(test_malformed_wire_refused_by_prescan),
		cmocka_unit_test(test_budget_alone_stops_a_status_bomb),
		cmocka_unit_test(test_largest_file_lists_still_unpack),
		cmocka_unit_test(test_file_list_one_above_the_cap_refused_before_unpack),
		cmocka_unit_test(test_full_status_still_unpacks),
		cmocka_unit_test(test_budget_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
