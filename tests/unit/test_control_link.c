/*
 * test_control_link.c - the broker's end of meerko-control
 * (control_link.c, control_prescan.c) without spawning it: a hostile
 * meerko-control sends millions of packed list entries, repeats a member,
 * malformed wire format, or closes; the RPC UNIX socket is private and
 * never replaces a file planted at its path; restarts are rate-limited.
 * (The real process: tests/integration/test_control_link.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "control_link.h"
#include "control_prescan.h"

/* A ControlRequest with n ids, packed by protobuf-c (it packs repeated
 * scalars only when [packed=true]; so built by hand as packed here). */
static size_t packed_ids(uint8_t *buf, size_t n, int members)
{
	size_t o = 0;
	buf[o++] = 0x08, buf[o++] = 7;            /* id = 7 */
	buf[o++] = 0x10, buf[o++] = 8;            /* method = TORRENT_STOP */
	for (int m = 0; m < members; m++) {
		size_t inner = n + 2 + (n >= 128) + (n >= 16384) + (n >= 2097152);
		buf[o++] = 0x1a;                  /* field 3 (ids), LEN */
		for (size_t v = inner; ; v >>= 7) { buf[o++] = (uint8_t)((v & 0x7f) | (v >= 128 ? 0x80 : 0)); if (v < 128) break; }
		buf[o++] = 0x12;                  /* Ids.numbers, packed */
		for (size_t v = n; ; v >>= 7) { buf[o++] = (uint8_t)((v & 0x7f) | (v >= 128 ? 0x80 : 0)); if (v < 128) break; }
		memset(buf + o, 1, n);            /* n one-byte varints */
		o += n;
	}
	return o;
}

static void packed_lists_past_the_limit_are_refused_before_unpacking(void **st)
{
	(void)st;
	uint8_t *buf = malloc(4 << 20);
	size_t len = packed_ids(buf, MK_CTL_PRESCAN_MAX, 1);
	assert_null(mk_ctl_prescan(buf, len));
	Meerko__Control__ControlRequest *rq = meerko__control__control_request__unpack(NULL, len, buf);
	assert_non_null(rq); /* the hand-made encoding is what protobuf-c reads */
	assert_int_equal(rq->ids->n_numbers, MK_CTL_PRESCAN_MAX);
	meerko__control__control_request__free_unpacked(rq, NULL);
	len = packed_ids(buf, MK_CTL_PRESCAN_MAX + 1, 1);
	assert_non_null(mk_ctl_prescan(buf, len));
	/* the same member twice: protobuf merges, so the counts add up */
	len = packed_ids(buf, MK_CTL_PRESCAN_MAX / 2 + 1, 2);
	assert_non_null(mk_ctl_prescan(buf, len));
	/* 3 MiB of one-byte ids: an 8x allocation if unchecked */
	len = packed_ids(buf, 3 << 20, 1);
	assert_string_equal(mk_ctl_prescan(buf, len), "too many list entries in one request");
	free(buf);
}

static void malformed_wire_format_is_refused(void **st)
{
	(void)st;
	const uint8_t truncated_len[] = { 0x08, 1, 0x1a, 50, 0x12 };
	const uint8_t group[] = { 0x0b, 0x0c };
	const uint8_t field0[] = { 0x00, 1 };
	const uint8_t long_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	assert_non_null(mk_ctl_prescan(truncated_len, sizeof truncated_len));
	assert_non_null(mk_ctl_prescan(group, sizeof group));
	assert_non_null(mk_ctl_prescan(field0, sizeof field0));
	assert_non_null(mk_ctl_prescan(long_varint, sizeof long_varint));
	const uint8_t inner_bad[] = { 0x1a, 2, 0x12, 5 };  /* packed body shorter than declared */
	assert_non_null(mk_ctl_prescan(inner_bad, sizeof inner_bad));
}

static void frame(int fd, const uint8_t *p, size_t n)
{
	assert_int_equal(mk_frame_write(fd, p, n), MK_FRAME_OK);
}

static void link_reads_one_request_and_refuses_a_hostile_one(void **st)
{
	(void)st;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct mk_control_link c;
	mk_control_link_init(&c, "/nonexistent", -1, NULL);
	c.sock = sv[0];
	fcntl(c.sock, F_SETFL, O_NONBLOCK);
	Meerko__Control__ControlRequest *rq;
	char why[256];
	assert_int_equal(mk_control_link_read(&c, &rq, why, sizeof why), 0); /* nothing yet */
	Meerko__Control__ControlRequest good = MEERKO__CONTROL__CONTROL_REQUEST__INIT;
	good.id = 42;
	good.method = MEERKO__CONTROL__METHOD__PORT_TEST;
	uint8_t buf[64];
	size_t n = meerko__control__control_request__pack(&good, buf);
	frame(sv[1], buf, n);
	assert_int_equal(mk_control_link_read(&c, &rq, why, sizeof why), 1);
	assert_int_equal(rq->id, 42);
	assert_int_equal(rq->method, MEERKO__CONTROL__METHOD__PORT_TEST);
	mk_control_request_free(rq);
	uint8_t *big = malloc(1 << 20);
	n = packed_ids(big, (1 << 20) - 64, 1);
	pid_t writer = fork(); /* 1 MiB does not fit the socket buffer: written while we read */
	assert_true(writer >= 0);
	if (writer == 0) {
		close(sv[0]);
		_exit(mk_frame_write(sv[1], big, n) == MK_FRAME_OK ? 0 : 1);
	}
	for (int i = 0; i < 2000; i++) { /* the frame arrives in pieces */
		int r = mk_control_link_read(&c, &rq, why, sizeof why);
		if (r != 0) {
			assert_int_equal(r, -1);
			break;
		}
		usleep(1000);
	}
	assert_null(rq);
	assert_non_null(strstr(why, "too many list entries"));
	int status;
	assert_int_equal(waitpid(writer, &status, 0), writer);
	free(big);
	close(sv[1]);
	assert_int_equal(mk_control_link_read(&c, &rq, why, sizeof why), -1);
	assert_non_null(strstr(why, "closed its socket"));
	close(sv[0]);
	mk_frame_reader_free(&c.reader);
}

static void restarts_are_rate_limited(void **st)
{
	(void)st;
	struct mk_control_link c;
	mk_control_link_init(&c, "/nonexistent", -1, NULL);
	for (int i = 0; i <= MK_CONTROL_MAX_RESTARTS; i++)
		c.starts[c.n_starts++ % (MK_CONTROL_MAX_RESTARTS + 1)] = 1000 + i;
	assert_false(mk_control_link_may_restart(&c, 1000 + MK_CONTROL_MAX_RESTARTS));
	/* once the first start is out of the window, one more is allowed */
	assert_true(mk_control_link_may_restart(&c, 1000 + MK_CONTROL_RESTART_WINDOW_S));
	mk_control_link_init(&c, "/nonexistent", -1, NULL);
	c.starts[c.n_starts++] = 5;
	assert_true(mk_control_link_may_restart(&c, 6));
	mk_frame_reader_free(&c.reader);
}

/* [rpc] listen = PATH: created 0600; a file someone planted at the path
 * (to have the daemon delete it, or to sit in its place) is left alone. */
static void unix_socket_is_private_and_never_replaces_a_file(void **st)
{
	(void)st;
	const char *base = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 16], err[256];
	snprintf(dir, sizeof dir, "%s/mk-ctl-sock.XXXXXX", base && base[0] == '/' ? base : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/rpc.sock", dir);
	struct mk_rpc_listen l;
	assert_int_equal(mk_rpc_listen_parse(path, &l, err, sizeof err), 0);
	int fd = mk_control_listen(&l, err, sizeof err);
	assert_true(fd >= 0);
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	close(fd);
	fd = mk_control_listen(&l, err, sizeof err); /* a stale socket: replaced */
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	int f = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(f >= 0);
	assert_int_equal(write(f, "keep", 4), 4);
	close(f);
	assert_int_equal(mk_control_listen(&l, err, sizeof err), -1);
	assert_non_null(strstr(err, "[rpc] listen"));
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 4);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(packed_lists_past_the_limit_are_refused_before_unpacking),
		cmocka_unit_test(malformed_wire_format_is_refused),
		cmocka_unit_test(link_reads_one_request_and_refuses_a_hostile_one),
		cmocka_unit_test(restarts_are_rate_limited),
		cmocka_unit_test(unix_socket_is_private_and_never_replaces_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
