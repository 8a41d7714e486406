/*
 * test_frame.c - framing (ipc/frame.c) and typed messages (ipc/ipc.c).
 *
 * Uses real AF_UNIX socketpairs, like the broker <-> engine link. A blocking
 * read that times out returns MK_FRAME_IO with errno == ETIMEDOUT (never
 * MK_FRAME_NEED_MORE): partial bytes are dropped, so the stream is dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "ipc.h"

/* ---- helpers ---- */

static void make_pair(int sv[2], int nonblock_reader)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (nonblock_reader)
		assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
}

static void close_pair(int sv[2])
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

static void put_hdr(uint8_t *b, uint32_t n)
{
	b[0] = (uint8_t)(n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
}

static void write_raw(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- framing ---- */

static void test_good_frame(void **state)
{
	(void)state;
	int sv[2];
	make_pair(sv, 1);
	assert_int_equal(mk_frame_write(sv[1], (const uint8_t *)"hello", 5),
			 MK_FRAME_OK);
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "hello", 5);
	free(p);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_NEED_MORE);
	mk_frame_reader_free(&r);
	close_pair(sv);
}

static void test_two_frames_one_buffer(void **state)
{
	(void)state;
	uint8_t buf[4 + 3 + 4 + 2];
	put_hdr(buf, 3);
	memcpy(buf + 4, "abc", 3);
	put_hdr(buf + 7, 2);
	memcpy(buf + 11, "de", 2);

	/* Pure parser. */
	const uint8_t *pl;
	size_t pn, used;
	assert_int_equal(mk_frame_parse(buf, sizeof buf, &pl, &pn, &used), MK_FRAME_OK);
	assert_int_equal(pn, 3);
	assert_int_equal(used, 7);
	assert_memory_equal(pl, "abc", 3);
	assert_int_equal(mk_frame_parse(buf + used, sizeof buf - used, &pl, &pn, &used),
			 MK_FRAME_OK);
	assert_int_equal(pn, 2);
	assert_memory_equal(pl, "de", 2);

	/* Stream reader: one write() holding both frames. */
	int sv[2];
	make_pair(sv, 1);
	write_raw(sv[1], buf, sizeof buf);
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	free(p);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "de", 2);
	free(p);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_NEED_MORE);
	mk_frame_reader_free(&r);
	close_pair(sv);
}

static void test_split_byte_by_byte(void **state)
{
	(void)state;
	uint8_t buf[4 + 6];
	put_hdr(buf, 6);
	memcpy(buf + 4, "splitx", 6);
	int sv[2];
	make_pair(sv, 1);
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	for (size_t i = 0; i < sizeof buf - 1; i++) {
		write_raw(sv[1], buf + i, 1);
		assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_NEED_MORE);
	}
	write_raw(sv[1], buf + sizeof buf - 1, 1);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(p, "splitx", 6);
	free(p);
	mk_frame_reader_free(&r);
	close_pair(sv);

	/* Parser: every strict prefix needs more. */
	const uint8_t *pl;
	size_t pn, used;
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(mk_frame_parse(buf, i, &pl, &pn, &used),
				 MK_FRAME_NEED_MORE);
}

/* A blocking fd fed slowly by a child: read_blocking must assemble it. */
static void test_blocking_slow_writer(void **state)
{
	(void)state;
	uint8_t buf[4 + 4];
	put_hdr(buf, 4);
	memcpy(buf + 4, "slow", 4);
	int sv[2];
	make_pair(sv, 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		for (size_t i = 0; i < sizeof buf; i++) {
			if (write(sv[1], buf + i, 1) != 1)
				_exit(1);
			usleep(20 * 1000);
		}
		_exit(0);
	}
	close(sv[1]);
	sv[1] = -1;
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read_blocking(sv[0], 5000, &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "slow", 4);
	free(p);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close_pair(sv);
}

static void test_truncated(void **state)
{
	(void)state;
	/* Body cut short. */
	uint8_t buf[4 + 3];
	put_hdr(buf, 10);
	memcpy(buf + 4, "abc", 3);
	int sv[2];
	make_pair(sv, 1);
	write_raw(sv[1], buf, sizeof buf);
	close(sv[1]);
	sv[1] = -1;
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_TRUNCATED);
	mk_frame_reader_free(&r);
	close_pair(sv);

	/* Header cut short. */
	make_pair(sv, 1);
	write_raw(sv[1], buf, 2);
	close(sv[1]);
	sv[1] = -1;
	mk_frame_reader_init(&r);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_TRUNCATED);
	mk_frame_reader_free(&r);
	close_pair(sv);
}

static void test_eof_between_frames(void **state)
{
	(void)state;
	int sv[2];
	make_pair(sv, 1);
	assert_int_equal(mk_frame_write(sv[1], (const uint8_t *)"x", 1), MK_FRAME_OK);
	close(sv[1]);
	sv[1] = -1;
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_OK);
	free(p);
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), MK_FRAME_EOF);
	mk_frame_reader_free(&r);
	assert_int_equal(mk_frame_read_blocking(sv[0], 1000, &p, &n), MK_FRAME_EOF);
	close_pair(sv);
}

static void check_bad_len(uint32_t declared, mk_frame_status want)
{
	uint8_t hdr[4];
	put_hdr(hdr, declared);
	const uint8_t *pl;
	size_t pn, used;
	assert_int_equal(mk_frame_parse(hdr, 4, &pl, &pn, &used), want);

	int sv[2];
	make_pair(sv, 1);
	write_raw(sv[1], hdr, 4);
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), want);
	/* Rejected before allocation: the reader holds no body. */
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	/* Errors are final: asking again gives the same answer. */
	assert_int_equal(mk_frame_read(&r, sv[0], &p, &n), want);
	assert_null(r.body);
	mk_frame_reader_free(&r);
	close_pair(sv);

	/* Blocking reader answers at once, without waiting for a body. */
	make_pair(sv, 0);
	write_raw(sv[1], hdr, 4);
	long long t0 = now_ms();
	assert_int_equal(mk_frame_read_blocking(sv[0], 3000, &p, &n), want);
	assert_true(now_ms() - t0 < 1000);
	close_pair(sv);
}

static void test_too_big(void **state)
{
	(void)state;
	check_bad_len(MK_FRAME_MAX + 1, MK_FRAME_TOO_BIG);
	check_bad_len(0xFFFFFFFFu, MK_FRAME_TOO_BIG);
	/* Exactly MK_FRAME_MAX is legal: the parser just wants the body. */
	uint8_t hdr[4];
	put_hdr(hdr, MK_FRAME_MAX);
	const uint8_t *pl;
	size_t pn, used;
	assert_int_equal(mk_frame_parse(hdr, 4, &pl, &pn, &used), MK_FRAME_NEED_MORE);
	/* Writers refuse too. */
	assert_int_equal(mk_frame_write(-1, hdr, (size_t)MK_FRAME_MAX + 1),
			 MK_FRAME_TOO_BIG);
}

static void test_zero_length(void **state)
{
	(void)state;
	check_bad_len(0, MK_FRAME_EMPTY);
	assert_int_equal(mk_frame_write(-1, (const uint8_t *)"", 0), MK_FRAME_EMPTY);
}

static void test_blocking_timeout(void **state)
{
	(void)state;
	int sv[2];
	make_pair(sv, 0);
	uint8_t *p = NULL;
	size_t n = 0;
	/* Nothing at all. */
	long long t0 = now_ms();
	errno = 0;
	assert_int_equal(mk_frame_read_blocking(sv[0], 200, &p, &n), MK_FRAME_IO);
	assert_int_equal(errno, ETIMEDOUT);
	long long dt = now_ms() - t0;
	assert_true(dt >= 190 && dt < 1500);
	/* Half a frame, then silence. */
	uint8_t hdr[4];
	put_hdr(hdr, 100);
	write_raw(sv[1], hdr, 4);
	write_raw(sv[1], "abc", 3);
	t0 = now_ms();
	errno = 0;
	assert_int_equal(mk_frame_read_blocking(sv[0], 200, &p, &n), MK_FRAME_IO);
	assert_int_equal(errno, ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 190 && dt < 1500);
	close_pair(sv);
}

/* A dead peer must give EPIPE, not a SIGPIPE that kills the process. */
static void test_write_dead_peer(void **state)
{
	(void)state;
	int sv[2];
	make_pair(sv, 0);
	close(sv[0]);
	sv[0] = -1;
	errno = 0;
	assert_int_equal(mk_frame_write(sv[1], (const uint8_t *)"x", 1), MK_FRAME_IO);
	assert_int_equal(errno, EPIPE);
	close_pair(sv);
}

/* Non-sockets fall back to write(). */
static void test_write_pipe(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(mk_frame_write(pfd[1], (const uint8_t *)"pipe", 4), MK_FRAME_OK);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read_blocking(pfd[0], 1000, &p, &n), MK_FRAME_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "pipe", 4);
	free(p);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_non_null(mk_frame_strerror(MK_FRAME_TOO_BIG));
	assert_non_null(mk_frame_strerror((mk_frame_status)42));
}

/* ---- typed messages ---- */

static void test_garbage_payload(void **state)
{
	(void)state;
	static const uint8_t g1[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t g2[] = { 0x12, 0x80 };             /* field 2, bad varint length */
	static const uint8_t g3[] = { 0x12, 0x7f, 0x01 };       /* length 127, 1 byte present */
	assert_null(mk_ipc_unpack_e2b(g1, sizeof g1));
	assert_null(mk_ipc_unpack_e2b(g2, sizeof g2));
	assert_null(mk_ipc_unpack_e2b(g3, sizeof g3));
	assert_null(mk_ipc_unpack_b2e(g1, sizeof g1));
	assert_null(mk_ipc_unpack_e2b(NULL, 4));
	assert_null(mk_ipc_unpack_e2b(g1, 0));

	/* Seeded random bytes: must never crash (ASan/UBSan run). */
	uint8_t buf[64];
	srand(1234);
	for (int i = 0; i < 20000; i++) {
		size_t n = 1 + (size_t)rand() % sizeof buf;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand();
		mk_ipc_free_e2b(mk_ipc_unpack_e2b(buf, n));
		mk_ipc_free_b2e(mk_ipc_unpack_b2e(buf, n));
	}
}

/* Read one frame from fd and unpack it as EngineToBroker. */
static Meerko__EngineToBroker *recv_e2b(int fd)
{
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read_blocking(fd, 2000, &p, &n), MK_FRAME_OK);
	Meerko__EngineToBroker *m = mk_ipc_unpack_e2b(p, n);
	free(p);
	assert_non_null(m);
	return m;
}

static void test_status_roundtrip(void **state)
{
	(void)state;
	Meerko__TorrentStatus t1 = MEERKO__TORRENT_STATUS__INIT;
	Meerko__TorrentStatus t2 = MEERKO__TORRENT_STATUS__INIT;
	t1.id = 1;
	t1.state = MEERKO__TORRENT_STATE__STATE_DOWNLOADING;
	t1.progress_ppm = 500000;
	t1.total_wanted = 1ull << 40;
	t1.name = "first";
	t2.id = 2;
	t2.state = MEERKO__TORRENT_STATE__STATE_SEEDING;
	t2.num_peers = 7;
	t2.name = "second";
	Meerko__TorrentStatus *list[2] = { &t1, &t2 };
	Meerko__Status st = MEERKO__STATUS__INIT;
	st.n_torrents = 2;
	st.torrents = list;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &st;

	int sv[2];
	make_pair(sv, 0);
	assert_int_equal(mk_ipc_send_e2b(sv[1], &m), MK_FRAME_OK);
	Meerko__EngineToBroker *got = recv_e2b(sv[0]);
	assert_int_equal(got->msg_case, MEERKO__ENGINE_TO_BROKER__MSG_STATUS);
	assert_int_equal(got->status->n_torrents, 2);
	Meerko__TorrentStatus *g1 = got->status->torrents[0];
	Meerko__TorrentStatus *g2 = got->status->torrents[1];
	assert_int_equal(g1->id, 1);
	assert_int_equal(g1->state, MEERKO__TORRENT_STATE__STATE_DOWNLOADING);
	assert_int_equal(g1->progress_ppm, 500000);
	assert_true(g1->total_wanted == (1ull << 40));
	assert_string_equal(g1->name, "first");
	assert_int_equal(g2->id, 2);
	assert_int_equal(g2->num_peers, 7);
	assert_string_equal(g2->name, "second");
	mk_ipc_free_e2b(got);
	close_pair(sv);
}

static void test_add_torrent_roundtrip(void **state)
{
	(void)state;
	/* Larger than the 4 KiB stack buffer: exercises the malloc path. */
	size_t len = 20000;
	uint8_t *data = malloc(len);
	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 31);
	Meerko__AddTorrent add = MEERKO__ADD_TORRENT__INIT;
	add.id = 42;
	add.torrent_data.data = data;
	add.torrent_data.len = len;
	add.save_path = "/tmp/dl";
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_ADD;
	m.add = &add;

	int sv[2];
	make_pair(sv, 0);
	assert_int_equal(mk_ipc_send_b2e(sv[1], &m), MK_FRAME_OK);
	uint8_t *p = NULL;
	size_t n = 0;
	assert_int_equal(mk_frame_read_blocking(sv[0], 2000, &p, &n), MK_FRAME_OK);
	Meerko__BrokerToEngine *got = mk_ipc_unpack_b2e(p, n);
	free(p);
	assert_non_null(got);
	assert_int_equal(got->msg_case, MEERKO__BROKER_TO_ENGINE__MSG_ADD);
	assert_int_equal(got->add->id, 42);
	assert_int_equal(got->add->torrent_data.len, len);
	assert_memory_equal(got->add->torrent_data.data, data, len);
	assert_string_equal(got->add->save_path, "/tmp/dl");
	assert_string_equal(got->add->magnet_uri, "");
	mk_ipc_free_b2e(got);
	free(data);
	close_pair(sv);
}

static void test_oneof_unset(void **state)
{
	(void)state;
	/* Valid protobuf holding only an unknown field (10, varint 1). */
	static const uint8_t unknown_only[] = { 0x50, 0x01 };
	assert_null(mk_ipc_unpack_b2e(unknown_only, sizeof unknown_only));
	assert_null(mk_ipc_unpack_e2b(unknown_only, sizeof unknown_only));

	/* Sending a message with nothing set is refused; nothing is written. */
	int sv[2];
	make_pair(sv, 1);
	Meerko__BrokerToEngine b = MEERKO__BROKER_TO_ENGINE__INIT;
	Meerko__EngineToBroker e = MEERKO__ENGINE_TO_BROKER__INIT;
	assert_int_equal(mk_ipc_send_b2e(sv[1], &b), MK_FRAME_BAD_MSG);
	assert_int_equal(mk_ipc_send_e2b(sv[1], &e), MK_FRAME_BAD_MSG);
	/* Case set but member NULL: also refused. */
	b.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_PAUSE;
	assert_int_equal(mk_ipc_send_b2e(sv[1], &b), MK_FRAME_BAD_MSG);
	uint8_t c;
	assert_int_equal(read(sv[0], &c, 1), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close_pair(sv);
}

/* An empty sub-message (ShutdownDone has no fields) still round-trips. */
static void test_empty_submessage(void **state)
{
	(void)state;
	Meerko__ShutdownDone sd = MEERKO__SHUTDOWN_DONE__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
	m.shutdown_done = &sd;
	int sv[2];
	make_pair(sv, 0);
	assert_int_equal(mk_ipc_send_e2b(sv[1], &m), MK_FRAME_OK);
	Meerko__EngineToBroker *got = recv_e2b(sv[0]);
	assert_int_equal(got->msg_case, MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE);
	mk_ipc_free_e2b(got);
	close_pair(sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_frame),
		cmocka_unit_test(test_two_frames_one_buffer),
		cmocka_unit_test(test_split_byte_by_byte),
		cmocka_unit_test(test_blocking_slow_writer),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_eof_between_frames),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_blocking_timeout),
		cmocka_unit_test(test_write_dead_peer),
		cmocka_unit_test(test_write_pipe),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_garbage_payload),
		cmocka_unit_test(test_status_roundtrip),
		cmocka_unit_test(test_add_torrent_roundtrip),
		cmocka_unit_test(test_oneof_unset),
		cmocka_unit_test(test_empty_submessage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
