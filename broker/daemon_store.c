/*
 * daemon_store.c - the daemon's persistent torrent set (see daemon_store.h):
 * record encoding and decoding, atomic durable writes, loading at start.
 *
 * Record: "MKD1" | u32 id | u8 kind | u8 paused | i64 added | i32 queue |
 * u32 dirlen dir | u32 nlabels {u32 len label} | u32 srclen src | u64 fnv1a
 * of everything before it. All integers little-endian.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_store.h"
#include "mkdir_p.h"
#include "small_file.h"

#define MAGIC "MKD1"
#define HEADER_LEN (4 + 4 + 1 + 1 + 8 + 4)
#define MAX_ENCODED (HEADER_LEN + 4 + PATH_MAX + 4 + \
	MK_DSTORE_MAX_LABELS * (4 + MK_DSTORE_LABEL_MAX) + 4 + MK_DSTORE_MAX_SOURCE + 8)

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Bounds                                                              */
/* ------------------------------------------------------------------ */

bool mk_dstore_label_ok(const char *label)
{
	size_t n = strnlen(label, MK_DSTORE_LABEL_MAX + 1);
	if (n == 0 || n > MK_DSTORE_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)label[i];
		if (c < 0x20 || c == 0x7f || c == ',')
			return false;
	}
	return true;
}

int mk_dstore_check(const struct mk_dstore_rec *rec, char *err, size_t errlen)
{
	const char *why = NULL;
	if (rec->kind != MK_DSTORE_METAINFO && rec->kind != MK_DSTORE_MAGNET)
		why = "unknown kind";
	else if (rec->source == NULL || rec->source_len == 0 || rec->source_len > MK_DSTORE_MAX_SOURCE)
		why = "source empty or larger than 8 MiB";
	else if (rec->download_dir[0] != '/' || strnlen(rec->download_dir, PATH_MAX) >= PATH_MAX)
		why = "download dir not absolute";
	else if (rec->n_labels > MK_DSTORE_MAX_LABELS)
		why = "too many labels";
	for (size_t i = 0; why == NULL && i < rec->n_labels; i++)
		if (!mk_dstore_label_ok(rec->labels[i]))
			why = "bad label";
	if (why != NULL)
		snprintf(err, errlen, "torrent record: %s", why);
	return why ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

struct wbuf {
	uint8_t *p;
	size_t n;
};

static void put_le(struct wbuf *w, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		w->p[w->n++] = (uint8_t)(v >> (8 * i));
}

static void put_blob(struct wbuf *w, const void *p, size_t n)
{
	put_le(w, n, 4);
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

uint8_t *mk_dstore_encode(const struct mk_dstore_rec *rec, size_t *len)
{
	size_t dl = strlen(rec->download_dir), cap = HEADER_LEN + 4 + dl + 4 + 4 + rec->source_len + 8;
	for (size_t i = 0; i < rec->n_labels; i++)
		cap += 4 + strlen(rec->labels[i]);
	struct wbuf w = { malloc(cap), 0 };
	if (w.p == NULL)
		return NULL;
	memcpy(w.p, MAGIC, 4);
	w.n = 4;
	put_le(&w, rec->id, 4);
	put_le(&w, (uint64_t)rec->kind, 1);
	put_le(&w, rec->paused ? 1 : 0, 1);
	put_le(&w, (uint64_t)rec->added_date, 8);
	put_le(&w, (uint64_t)(uint32_t)rec->queue_position, 4);
	put_blob(&w, rec->download_dir, dl);
	put_le(&w, rec->n_labels, 4);
	for (size_t i = 0; i < rec->n_labels; i++)
		put_blob(&w, rec->labels[i], strlen(rec->labels[i]));
	put_blob(&w, rec->source, rec->source_len);
	put_le(&w, fnv1a(w.p, w.n), 8);
	*len = w.n;
	return w.p;
}

/* ------------------------------------------------------------------ */
/* Decoding: every read is bounds-checked against what is left.        */
/* ------------------------------------------------------------------ */

struct rbuf {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint64_t get_le(struct rbuf *r, size_t bytes)
{
	uint64_t v = 0;
	if (r->bad || r->left < bytes) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= bytes;
	return v;
}

/* A string of at most max bytes, no NUL inside, copied NUL-terminated. */
static void get_str(struct rbuf *r, char *out, size_t max)
{
	uint64_t n = get_le(r, 4);
	if (r->bad || n > max || n > r->left || memchr(r->p, '\0', n) != NULL) {
		r->bad = true;
		out[0] = '\0';
		return;
	}
	memcpy(out, r->p, n);
	out[n] = '\0';
	r->p += n;
	r->left -= n;
}

static void get_header(struct rbuf *r, struct mk_dstore_rec *rec)
{
	rec->id = (uint32_t)get_le(r, 4);
	rec->kind = (enum mk_dstore_kind)get_le(r, 1);
	uint64_t paused = get_le(r, 1);
	rec->paused = paused == 1;
	rec->added_date = (int64_t)get_le(r, 8);
	rec->queue_position = (int32_t)(uint32_t)get_le(r, 4);
	if (paused > 1 || rec->id == 0 || rec->id > MK_DSTORE_MAX_ID)
		r->bad = true;
}

static void get_source(struct rbuf *r, struct mk_dstore_rec *rec)
{
	uint64_t n = get_le(r, 4);
	if (r->bad || n == 0 || n > MK_DSTORE_MAX_SOURCE || n > r->left || (rec->source = malloc(n)) == NULL) {
		r->bad = true;
		return;
	}
	memcpy(rec->source, r->p, n);
	rec->source_len = n;
	r->p += n;
	r->left -= n;
}

static void get_body(struct rbuf *r, struct mk_dstore_rec *rec)
{
	get_header(r, rec);
	get_str(r, rec->download_dir, PATH_MAX - 1);
	uint64_t nl = get_le(r, 4);
	if (nl > MK_DSTORE_MAX_LABELS)
		r->bad = true;
	for (uint64_t i = 0; !r->bad && i < nl; i++)
		get_str(r, rec->labels[i], MK_DSTORE_LABEL_MAX);
	rec->n_labels = r->bad ? 0 : (size_t)nl;
	get_source(r, rec);
}

int mk_dstore_decode(const uint8_t *buf, size_t len, struct mk_dstore_rec *rec, char *why, size_t whylen)
{
	char err[96];
	memset(rec, 0, sizeof *rec);
	if (len < 4 + 8 || len > MAX_ENCODED || memcmp(buf, MAGIC, 4) != 0) {
		snprintf(why, whylen, "not a Meerko torrent record (size or magic)");
		return -1;
	}
	struct rbuf sum = { buf + len - 8, 8, false };
	if (get_le(&sum, 8) != fnv1a(buf, len - 8)) {
		snprintf(why, whylen, "checksum mismatch (truncated or edited)");
		return -1;
	}
	struct rbuf r = { buf + 4, len - 4 - 8, false };
	get_body(&r, rec);
	if (r.bad || r.left != 0 || mk_dstore_check(rec, err, sizeof err) != 0) {
		snprintf(why, whylen, "%s", r.bad || r.left ? "malformed record" : err);
		mk_dstore_rec_free(rec);
		return -1;
	}
	return 0;
}

void mk_dstore_rec_free(struct mk_dstore_rec *rec)
{
	free(rec->source);
	rec->source = NULL;
	rec->source_len = 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* NAME.tmp written and fsync'd, renamed to NAME, the dir fsync'd. */
static int write_atomic(const struct mk_dstore *s, const char *name, const uint8_t *p, size_t n)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = openat(s->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	int r = write_all(fd, p, n) == 0 && fsync(fd) == 0 ? 0 : -1, err = errno;
	if (close(fd) != 0 && r == 0) {
		r = -1;
		err = errno;
	}
	if (r == 0 && renameat(s->dir_fd, tmp, s->dir_fd, name) != 0) {
		r = -1;
		err = errno;
	}
	if (r != 0) {
		unlinkat(s->dir_fd, tmp, 0);
		errno = err;
		return -1;
	}
	return fsync(s->dir_fd);
}

/* "ID.mkd" with ID 1..MK_DSTORE_MAX_ID, no leading zero: the id, else 0. */
static uint32_t record_name_id(const char *name)
{
	uint64_t id = 0;
	size_t i = 0;
	for (; name[i] >= '0' && name[i] <= '9' && i < 9; i++)
		id = id * 10 + (uint64_t)(name[i] - '0');
	if (i == 0 || name[0] == '0' || strcmp(name + i, ".mkd") != 0)
		return 0;
	return (uint32_t)id;
}

static int write_next_id(struct mk_dstore *s, uint32_t next)
{
	char buf[16];
	int n = snprintf(buf, sizeof buf, "%u\n", next);
	return write_atomic(s, "next-id", (const uint8_t *)buf, (size_t)n);
}

static uint32_t read_next_id(const struct mk_dstore *s)
{
	size_t len = 0;
	uint8_t *b = mk_small_file_read(s->dir_fd, "next-id", 15, &len);
	char txt[16] = "";
	if (b != NULL)
		memcpy(txt, b, len);
	free(b);
	char *end;
	unsigned long v = strtoul(txt, &end, 10);
	return (end != txt && *end == '\n' && v >= 1 && v <= MK_DSTORE_MAX_ID) ? (uint32_t)v : 1;
}

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

static int take_lock(struct mk_dstore *s, char *err, size_t errlen)
{
	s->lock_fd = openat(s->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, errno == EWOULDBLOCK ? "%s: another meerko daemon uses this state dir"
			 : "%s: cannot lock (%s)", s->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_stale_tmp(struct mk_dstore *s)
{
	int fd = dup(s->dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d); /* the dup shares dir_fd's offset */
	for (int n = 0; n < 4 * MK_DSTORE_MAX_TORRENTS && (e = readdir(d)) != NULL; n++) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".tmp") == 0)
			unlinkat(s->dir_fd, e->d_name, 0);
	}
	closedir(d);
}

int mk_dstore_open(struct mk_dstore *s, const char *state_dir, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->dir_fd = s->lock_fd = -1;
	if (snprintf(s->dir, sizeof s->dir, "%s/daemon", state_dir) >= (int)sizeof s->dir || s->dir[0] != '/') {
		snprintf(err, errlen, "state dir must be an absolute path shorter than PATH_MAX");
		return -1;
	}
	if (mk_mkdir_p(s->dir, 0700) != 0 ||
	    (s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		return -1;
	}
	if (take_lock(s, err, errlen) != 0) {
		mk_dstore_close(s);
		return -1;
	}
	remove_stale_tmp(s);
	s->next_id = read_next_id(s);
	return 0;
}

void mk_dstore_close(struct mk_dstore *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	s->lock_fd = s->dir_fd = -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The ids of every ID.mkd, sorted; *n of them (at most MK_DSTORE_MAX_TORRENTS,
 * the rest reported as skipped). NULL on error. */
static uint32_t *list_ids(struct mk_dstore *s, size_t *n, mk_dstore_skip_fn on_skip, void *ctx)
{
	int fd = dup(s->dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	uint32_t *ids = malloc(MK_DSTORE_MAX_TORRENTS * sizeof *ids);
	struct dirent *e;
	*n = 0;
	if (d == NULL || ids == NULL) {
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		free(ids);
		return NULL;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		uint32_t id = record_name_id(e->d_name);
		if (id != 0 && *n < MK_DSTORE_MAX_TORRENTS)
			ids[(*n)++] = id;
		else if (id != 0 && on_skip)
			on_skip(ctx, e->d_name, "more than 10000 torrents stored");
		if (id >= s->next_id)
			s->next_id = id + 1;
	}
	closedir(d);
	qsort(ids, *n, sizeof *ids, cmp_u32);
	return ids;
}

static bool load_one(struct mk_dstore *s, uint32_t id, struct mk_dstore_rec *rec,
		     mk_dstore_skip_fn on_skip, void *ctx)
{
	char name[32], why[128];
	size_t len = 0;
	snprintf(name, sizeof name, "%u.mkd", id);
	uint8_t *buf = mk_small_file_read(s->dir_fd, name, MAX_ENCODED, &len);
	int r = buf ? mk_dstore_decode(buf, len, rec, why, sizeof why) : -1;
	free(buf);
	if (buf == NULL)
		snprintf(why, sizeof why, "unreadable, empty or too large");
	else if (r == 0 && rec->id != id) {
		snprintf(why, sizeof why, "its id says %u", rec->id);
		mk_dstore_rec_free(rec);
		r = -1;
	}
	if (r != 0 && on_skip)
		on_skip(ctx, name, why);
	return r == 0;
}

int mk_dstore_load(struct mk_dstore *s, mk_dstore_rec_fn on_rec, mk_dstore_skip_fn on_skip, void *ctx)
{
	size_t n = 0;
	int good = 0;
	uint32_t *ids = list_ids(s, &n, on_skip, ctx);
	if (ids == NULL)
		return -1;
	struct mk_dstore_rec *rec = malloc(sizeof *rec);
	for (size_t i = 0; rec != NULL && i < n; i++) {
		if (!load_one(s, ids[i], rec, on_skip, ctx))
			continue;
		good++;
		on_rec(ctx, rec);
		mk_dstore_rec_free(rec);
	}
	free(ids);
	free(rec);
	return rec == NULL && n > 0 ? -1 : good;
}

int mk_dstore_put(struct mk_dstore *s, const struct mk_dstore_rec *rec, char *err, size_t errlen)
{
	char name[32];
	size_t len = 0;
	if (mk_dstore_check(rec, err, errlen) != 0)
		return -1;
	if (rec->id == 0 || rec->id > MK_DSTORE_MAX_ID) {
		snprintf(err, errlen, "torrent record: no id");
		return -1;
	}
	uint8_t *buf = mk_dstore_encode(rec, &len);
	snprintf(name, sizeof name, "%u.mkd", rec->id);
	int r = buf ? write_atomic(s, name, buf, len) : -1, e = errno;
	free(buf);
	if (r != 0)
		snprintf(err, errlen, "%s/%s: cannot write (%s)", s->dir, name, strerror(e));
	errno = e;
	return r;
}

int mk_dstore_add(struct mk_dstore *s, struct mk_dstore_rec *rec, char *err, size_t errlen)
{
	if (mk_dstore_check(rec, err, errlen) != 0)
		return -1;
	if (s->next_id > MK_DSTORE_MAX_ID) {
		snprintf(err, errlen, "torrent ids used up");
		return -1;
	}
	uint32_t id = s->next_id;
	if (write_next_id(s, id + 1) != 0) { /* first: a crash then wastes an id, never reuses one */
		snprintf(err, errlen, "%s/next-id: cannot write (%s)", s->dir, strerror(errno));
		return -1;
	}
	s->next_id = id + 1;
	rec->id = id;
	if (mk_dstore_put(s, rec, err, errlen) != 0) {
		rec->id = 0;
		return -1;
	}
	return 0;
}

int mk_dstore_remove(struct mk_dstore *s, uint32_t id)
{
	char name[32];
	snprintf(name, sizeof name, "%u.mkd", id);
	if (unlinkat(s->dir_fd, name, 0) != 0)
		return -1;
	return fsync(s->dir_fd);
}
