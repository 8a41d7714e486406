/*
 * state.c - atomic, private storage of resume data (see state.h). Resume
 * data is filtered by resume_check.c when stored and when loaded.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkdir_p.h"
#include "resume_check.h"
#include "small_file.h"
#include "state.h"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int default_dir(char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		return snprintf(out, outlen, "%s/meerko", xdg) < (int)outlen ? 0 : -1;
	if (home && home[0] == '/')
		return snprintf(out, outlen, "%s/.local/state/meerko", home) < (int)outlen ? 0 : -1;
	return -1;
}

int mk_state_dir(const char *configured, char *out, size_t outlen)
{
	if (configured && configured[0])
		return snprintf(out, outlen, "%s", configured) < (int)outlen ? 0 : -1;
	return default_dir(out, outlen);
}

int mk_state_open(struct mk_state *st, const char *configured, const void *key1, size_t len1,
		  const char *key2, char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	st->lock_fd = -1;
	if (mk_state_dir(configured, st->dir, sizeof st->dir) != 0) {
		snprintf(err, errlen, "no state dir: set [state] dir, or $HOME / $XDG_STATE_HOME");
		return -1;
	}
	if (mk_mkdir_p(st->dir, 0700) != 0) {
		snprintf(err, errlen, "state dir %s: %s", st->dir, strerror(errno));
		return -1;
	}
	uint64_t h = fnv1a(0xcbf29ce484222325ull, key1, len1);
	h = fnv1a(h, "", 1);
	h = fnv1a(h, key2, strlen(key2));
	if (snprintf(st->file, sizeof st->file, "%s/%016llx.resume", st->dir,
		     (unsigned long long)h) >= (int)sizeof st->file) {
		snprintf(err, errlen, "state dir path too long");
		return -1;
	}
	return 0;
}

uint8_t *mk_state_load(const struct mk_state *st, size_t max, size_t *len)
{
	return mk_small_file_read(AT_FDCWD, st->file, max, len);
}

int mk_state_save(const struct mk_state *st, const uint8_t *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", st->file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	int err = 0; /* the first failure's errno, kept for the caller */
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)n;
	}
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, st->file) != 0)
		err = errno;
	if (err) {
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

static long read_holder(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
	return pid > 0 ? pid : 0;
}

static void lock_path(const struct mk_state *st, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s.lock", (int)(strlen(st->file) - strlen(".resume")), st->file);
}

/* The locked fd still names the file at path (not one unlinked meanwhile). */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* One try: 0 held (fd in *out), 1 the file went away (try again), -1/-2. */
static int lock_once(const char *path, int *out, long *holder)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		*holder = read_holder(fd);
		close(fd);
		errno = err;
		return err == EWOULDBLOCK ? -1 : -2;
	}
	if (!still_linked(fd, path)) {
		close(fd);
		return 1;
	}
	*out = fd;
	return 0;
}

int mk_state_lock(struct mk_state *st, long *holder)
{
	char path[PATH_MAX + 8], pid[24];
	int r = 1, fd = -1;
	*holder = 0;
	st->lock_fd = -1;
	lock_path(st, path, sizeof path);
	for (int i = 0; i < 5 && r == 1; i++)
		r = lock_once(path, &fd, holder);
	if (r == 1) {
		errno = EAGAIN;
		return -2;
	}
	if (r != 0)
		return r;
	st->lock_fd = fd;
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	bool named = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) == n;
	(void)named; /* held all the same: unnamed, only the other run's message lacks the pid */
	return 0;
}

void mk_state_unlock(struct mk_state *st)
{
	char path[PATH_MAX + 8];
	if (st->lock_fd < 0)
		return;
	lock_path(st, path, sizeof path);
	unlink(path); /* first, while held: a waiter then sees it unlinked (still_linked) */
	close(st->lock_fd);
	st->lock_fd = -1;
}

int mk_state_save_resume(const struct mk_state *st, const uint8_t *data, size_t len,
			 char *why, size_t whylen)
{
	struct mk_resume_clean c;
	if (mk_resume_clean(data, len, 0, &c, why, whylen) != 0)
		return -1;
	int r = mk_state_save(st, c.data, c.len);
	int err = errno;
	free(c.data);
	if (r != 0)
		snprintf(why, whylen, "cannot save resume data (%s)", strerror(err));
	return r == 0 ? 0 : -2;
}

/* Loads and filters with flags; NULL if there is none or it is refused. */
static uint8_t *load_clean(const struct mk_state *st, unsigned flags, size_t *len)
{
	size_t raw_len = 0;
	uint8_t *raw = mk_state_load(st, MK_RESUME_MAX_BYTES, &raw_len);
	struct mk_resume_clean c;
	char why[128];
	int r = raw ? mk_resume_clean(raw, raw_len, flags, &c, why, sizeof why) : -1;
	free(raw);
	if (r != 0)
		return NULL;
	*len = c.len;
	return c.data;
}

uint8_t *mk_state_load_resume(const struct mk_state *st, size_t *len)
{
	return load_clean(st, 0, len);
}

void mk_state_forget_pieces(const struct mk_state *st)
{
	size_t len = 0;
	uint8_t *kept = load_clean(st, MK_RESUME_DROP_PIECES, &len);
	if (kept == NULL || mk_state_save(st, kept, len) != 0)
		unlink(st->file); /* unusable, or not rewritable: nothing to believe */
	free(kept);
}

static void marker_path(const struct mk_state *st, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s.running", st->file);
}

int mk_state_was_clean(const struct mk_state *st)
{
	char m[PATH_MAX + 16];
	marker_path(st, m, sizeof m);
	return access(m, F_OK) != 0;
}

void mk_state_mark_running(const struct mk_state *st)
{
	char m[PATH_MAX + 16];
	marker_path(st, m, sizeof m);
	int fd = open(m, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
}

void mk_state_end_clean(const struct mk_state *st)
{
	char m[PATH_MAX + 16];
	marker_path(st, m, sizeof m);
	unlink(m);
}
