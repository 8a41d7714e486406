/*
 * test_daemon_store.c - the daemon's torrent set on disk (daemon_store.c):
 * it comes back after a restart with the same ids; a kill -9 in the middle
 * of a write, a half-written tmp, a truncated, edited, renamed or symlinked
 * record and hostile lengths never give a wrong torrent; a removed id is
 * never handed out again; a second daemon cannot share the state dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon_store.h"

struct seen {
	int n;
	uint32_t ids[16];
	size_t lens[16];
	uint8_t first_byte[16];
	char dirs[16][64];
	char labels0[16][MK_DSTORE_LABEL_MAX + 1];
	int skipped;
	char skip_why[256];
};

static void on_rec(void *ctx, struct mk_dstore_rec *rec)
{
	struct seen *s = ctx;
	if (s->n >= 16)
		return;
	s->ids[s->n] = rec->id;
	s->lens[s->n] = rec->source_len;
	s->first_byte[s->n] = rec->source[0];
	snprintf(s->dirs[s->n], sizeof s->dirs[0], "%.63s", rec->download_dir);
	snprintf(s->labels0[s->n], sizeof s->labels0[0], "%s", rec->n_labels ? rec->labels[0] : "");
	s->n++;
}

static void on_skip(void *ctx, const char *name, const char *why)
{
	struct seen *s = ctx;
	s->skipped++;
	snprintf(s->skip_why, sizeof s->skip_why, "%s: %s", name, why);
}

static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(PATH_MAX);
	snprintf(p, PATH_MAX, "%s/mk-dstore.XXXXXX", base && base[0] == '/' ? base : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void rec_init(struct mk_dstore_rec *r, const char *src, const char *dir, const char *label)
{
	memset(r, 0, sizeof *r);
	r->kind = strncmp(src, "magnet:", 7) == 0 ? MK_DSTORE_MAGNET : MK_DSTORE_METAINFO;
	r->source = (uint8_t *)(uintptr_t)src;
	r->source_len = strlen(src);
	snprintf(r->download_dir, sizeof r->download_dir, "%s", dir);
	if (label) {
		snprintf(r->labels[0], sizeof r->labels[0], "%s", label);
		r->n_labels = 1;
	}
	r->added_date = 1700000000;
	r->queue_position = 3;
}

static void open_store(struct mk_dstore *s, const char *dir)
{
	char err[256];
	int r = mk_dstore_open(s, dir, err, sizeof err);
	if (r != 0)
		fail_msg("%s", err);
}

static void add(struct mk_dstore *s, const char *src, const char *dir, const char *label, uint32_t want_id)
{
	struct mk_dstore_rec r;
	char err[256];
	rec_init(&r, src, dir, label);
	assert_int_equal(mk_dstore_add(s, &r, err, sizeof err), 0);
	assert_int_equal(r.id, want_id);
}

static struct seen reload(struct mk_dstore *s, const char *dir)
{
	struct seen seen = { 0 };
	mk_dstore_close(s);
	open_store(s, dir);
	int good = mk_dstore_load(s, on_rec, on_skip, &seen);
	assert_int_equal(good, seen.n);
	return seen;
}

static void torrents_come_back_after_restart_with_the_same_ids(void **st)
{
	(void)st;
	char *dir = make_tmpdir();
	struct mk_dstore s;
	open_store(&s, dir);
	add(&s, "d4:infod4:name1:aee", "/srv/dl/a", "tv", 1);
	add(&s, "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", "/srv/dl/b", NULL, 2);
	add(&s, "d4:infod4:name1:cee", "/srv/dl/c", "movies", 3);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.skipped, 0);
	assert_int_equal(seen.ids[0], 1);
	assert_int_equal(seen.ids[1], 2);
	assert_int_equal(seen.ids[2], 3);
	assert_string_equal(seen.dirs[1], "/srv/dl/b");
	assert_string_equal(seen.labels0[2], "movies");
	assert_int_equal(seen.lens[1], strlen("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"));
	struct stat sb;
	assert_int_equal(fstat(s.dir_fd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

static void removed_id_is_never_handed_out_again_after_restart(void **st)
{
	(void)st;
	char *dir = make_tmpdir();
	struct mk_dstore s;
	open_store(&s, dir);
	add(&s, "A", "/d", NULL, 1);
	add(&s, "B", "/d", NULL, 2);
	assert_int_equal(mk_dstore_remove(&s, 2), 0);
	assert_int_equal(mk_dstore_remove(&s, 2), -1);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 1);
	/* an RPC client holding id 2 must not reach a new torrent with it */
	add(&s, "C", "/d", NULL, 3);
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

static void rewrite_keeps_the_id_and_replaces_the_values(void **st)
{
	(void)st;
	char *dir = make_tmpdir();
	struct mk_dstore s;
	struct mk_dstore_rec r;
	char err[256];
	open_store(&s, dir);
	rec_init(&r, "A", "/d", "old");
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), 0);
	snprintf(r.labels[0], sizeof r.labels[0], "new");
	r.paused = true;
	assert_int_equal(mk_dstore_put(&s, &r, err, sizeof err), 0);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], 1);
	assert_string_equal(seen.labels0[0], "new");
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* The state a crash after write and before rename leaves: a new ID.mkd.tmp
 * (here half of it) beside the old ID.mkd. The old one must load, the tmp
 * must be ignored and removed. */
static void crash_between_write_and_rename_keeps_the_old_record(void **st)
{
	(void)st;
	char *dir = make_tmpdir(), path[PATH_MAX];
	struct mk_dstore s;
	struct mk_dstore_rec r;
	size_t len = 0;
	open_store(&s, dir);
	add(&s, "OLD-BYTES", "/d", NULL, 1);
	rec_init(&r, "NEW-BYTES-LONGER", "/d", NULL);
	r.id = 1;
	uint8_t *enc = mk_dstore_encode(&r, &len);
	snprintf(path, sizeof path, "%s/daemon/1.mkd.tmp", dir);
	write_file(path, enc, len / 2);
	free(enc);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.lens[0], strlen("OLD-BYTES"));
	assert_int_equal(seen.skipped, 0);
	assert_int_equal(access(path, F_OK), -1); /* removed at open */
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

/* A child rewrites one record (1 MiB, alternating A/B content) as fast as
 * it can and is killed with SIGKILL at a random moment: each time, the
 * record loads whole, all A or all B. */
static void kill9_during_rewrites_never_leaves_a_torn_record(void **st)
{
	(void)st;
	char *dir = make_tmpdir();
	size_t big = 1u << 20;
	uint8_t *src = malloc(big);
	srand((unsigned)time(NULL));
	for (int round = 0; round < 5; round++) {
		struct mk_dstore s;
		open_store(&s, dir);
		if (round == 0)
			add(&s, "x", "/d", NULL, 1);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct mk_dstore_rec r;
			char err[256];
			for (unsigned i = 0; i < 100000; i++) {
				memset(src, (i & 1) ? 'B' : 'A', big);
				rec_init(&r, "x", "/d", NULL);
				r.source = src;
				r.source_len = big;
				r.id = 1;
				if (mk_dstore_put(&s, &r, err, sizeof err) != 0)
					_exit(3);
			}
			_exit(0);
		}
		usleep(20000 + (useconds_t)(rand() % 200000));
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		struct seen seen = reload(&s, dir);
		assert_int_equal(seen.skipped, 0);
		assert_int_equal(seen.n, 1);
		if (seen.lens[0] == 1) { /* killed before the first rename */
			assert_int_equal(seen.first_byte[0], 'x');
		} else {
			assert_int_equal(seen.lens[0], big);
			assert_true(seen.first_byte[0] == 'A' || seen.first_byte[0] == 'B');
		}
		mk_dstore_close(&s);
	}
	free(src);
	rm_tree(dir);
	free(dir);
}

static void mangle(const char *dir, const char *name, void (*how)(uint8_t *, size_t *))
{
	char path[PATH_MAX];
	uint8_t buf[4096];
	snprintf(path, sizeof path, "%s/daemon/%s", dir, name);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof buf);
	assert_true(n > 0);
	size_t len = (size_t)n;
	how(buf, &len);
	close(fd);
	write_file(path, buf, len);
}

static void flip_byte(uint8_t *b, size_t *len) { b[*len / 2] ^= 0x20; }
static void truncate_half(uint8_t *b, size_t *len) { (void)b; *len /= 2; }

static void edited_truncated_or_renamed_records_are_skipped_with_a_reason(void **st)
{
	(void)st;
	char *dir = make_tmpdir(), a[PATH_MAX], b[PATH_MAX];
	struct mk_dstore s;
	open_store(&s, dir);
	add(&s, "d4:infod4:name5:firstee", "/d", NULL, 1);
	add(&s, "d4:infod4:name6:secondee", "/d", NULL, 2);
	add(&s, "d4:infod4:name5:thirdee", "/d", NULL, 3);
	add(&s, "d4:infod4:name6:fourthee", "/d", NULL, 4);
	mangle(dir, "1.mkd", flip_byte);
	mangle(dir, "2.mkd", truncate_half);
	/* a record copied under another id must not become that torrent */
	snprintf(a, sizeof a, "%s/daemon/3.mkd", dir);
	snprintf(b, sizeof b, "%s/daemon/7.mkd", dir);
	assert_int_equal(rename(a, b), 0);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], 4);
	assert_int_equal(seen.skipped, 3);
	assert_non_null(strstr(seen.skip_why, "7.mkd: its id says 3"));
	/* ids of broken records are not handed out either */
	add(&s, "E", "/d", NULL, 8);
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

/* ID.mkd a symlink to a file of the user's (e.g. planted to make the
 * daemon read and hand a file to the engine): not followed. */
static void symlinked_record_is_not_followed(void **st)
{
	(void)st;
	char *dir = make_tmpdir(), a[PATH_MAX], b[PATH_MAX];
	struct mk_dstore s;
	open_store(&s, dir);
	add(&s, "A", "/d", NULL, 1);
	snprintf(a, sizeof a, "%s/daemon/1.mkd", dir);
	snprintf(b, sizeof b, "%s/daemon/2.mkd", dir);
	assert_int_equal(symlink(a, b), 0);
	struct seen seen = reload(&s, dir);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.skipped, 1);
	assert_non_null(strstr(seen.skip_why, "2.mkd: unreadable"));
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len - 8; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 8; i++)
		buf[len - 8 + i] = (uint8_t)(h >> (8 * i));
}

/* Lengths that lie, with a valid checksum (so only the bounds stop them). */
static void decoder_refuses_lying_lengths_even_with_a_good_checksum(void **st)
{
	(void)st;
	struct mk_dstore_rec r, out;
	char why[128];
	size_t len = 0;
	rec_init(&r, "SRC", "/d", "x");
	r.id = 9;
	uint8_t *enc = mk_dstore_encode(&r, &len);
	assert_int_equal(mk_dstore_decode(enc, len, &out, why, sizeof why), 0);
	assert_memory_equal(out.source, "SRC", 3);
	mk_dstore_rec_free(&out);
	/* dir length (at 22), label count (after "/d"), first label's length */
	const size_t at[] = { 22, 22 + 4 + 2, 22 + 4 + 2 + 4 };
	const uint32_t lies[] = { 0xffffffffu, 1000, MK_DSTORE_LABEL_MAX + 1 };
	uint8_t *bad = malloc(len);
	for (size_t i = 0; i < 3; i++) {
		memcpy(bad, enc, len);
		put_u32(bad + at[i], lies[i]);
		reseal(bad, len);
		assert_int_equal(mk_dstore_decode(bad, len, &out, why, sizeof why), -1);
		assert_null(out.source);
	}
	memcpy(bad, enc, len);
	put_u32(bad + 4, 0); /* id 0 */
	reseal(bad, len);
	assert_int_equal(mk_dstore_decode(bad, len, &out, why, sizeof why), -1);
	free(bad);
	free(enc);
}

static void add_refuses_records_out_of_bounds(void **st)
{
	(void)st;
	char *dir = make_tmpdir(), err[256];
	struct mk_dstore s;
	struct mk_dstore_rec r;
	open_store(&s, dir);
	rec_init(&r, "A", "relative/dir", NULL);
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), -1);
	rec_init(&r, "A", "/d", "a,b"); /* Transmission splits labels at commas */
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), -1);
	rec_init(&r, "A", "/d", "tab\there");
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), -1);
	rec_init(&r, "", "/d", NULL);
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), -1);
	rec_init(&r, "A", "/d", NULL);
	r.source_len = MK_DSTORE_MAX_SOURCE + 1;
	assert_int_equal(mk_dstore_add(&s, &r, err, sizeof err), -1);
	assert_int_equal(s.next_id, 1); /* refused before an id was taken */
	assert_true(mk_dstore_label_ok("séries 2024"));
	mk_dstore_close(&s);
	rm_tree(dir);
	free(dir);
}

static void second_daemon_on_the_same_state_dir_is_refused(void **st)
{
	(void)st;
	char *dir = make_tmpdir(), err[256];
	struct mk_dstore a, b;
	open_store(&a, dir);
	assert_int_equal(mk_dstore_open(&b, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "another meerko daemon"));
	mk_dstore_close(&a);
	open_store(&b, dir);
	mk_dstore_close(&b);
	rm_tree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(torrents_come_back_after_restart_with_the_same_ids),
		cmocka_unit_test(removed_id_is_never_handed_out_again_after_restart),
		cmocka_unit_test(rewrite_keeps_the_id_and_replaces_the_values),
		cmocka_unit_test(crash_between_write_and_rename_keeps_the_old_record),
		cmocka_unit_test(kill9_during_rewrites_never_leaves_a_torn_record),
		cmocka_unit_test(edited_truncated_or_renamed_records_are_skipped_with_a_reason),
		cmocka_unit_test(symlinked_record_is_not_followed),
		cmocka_unit_test(decoder_refuses_lying_lengths_even_with_a_good_checksum),
		cmocka_unit_test(add_refuses_records_out_of_bounds),
		cmocka_unit_test(second_daemon_on_the_same_state_dir_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
