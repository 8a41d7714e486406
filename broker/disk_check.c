/*
 * disk_check.c - the wanted files on disk, whole, before "done" (see
 * disk_check.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "disk_check.h"
#include "sanitize.h"

void mk_disk_files_free(struct mk_disk_files *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->file[i].path);
	free(d->file);
	memset(d, 0, sizeof *d);
}

static bool checked(const Meerko__FileEntry *f, const bool *want, size_t i)
{
	return f && f->path && !f->pad && f->size > 0 && (!want || want[i]);
}

int mk_disk_files_keep(struct mk_disk_files *d, const Meerko__FileList *fl, const bool *want)
{
	mk_disk_files_free(d);
	size_t n = 0;
	for (size_t i = 0; i < fl->n_files; i++)
		n += checked(fl->files[i], want, i);
	d->file = calloc(n ? n : 1, sizeof *d->file);
	if (!d->file)
		return -1;
	for (size_t i = 0; i < fl->n_files; i++) {
		if (!checked(fl->files[i], want, i))
			continue;
		struct mk_disk_file *f = &d->file[d->n];
		f->path = strdup(fl->files[i]->path);
		f->size = fl->files[i]->size;
		if (!f->path) {
			mk_disk_files_free(d);
			return -1;
		}
		d->n++;
	}
	d->known = true;
	return 0;
}

/* path under dirfd, never outside it and never through a symlink. */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Fewer bytes on disk than the file's size (beyond a page of slack): holes
 * where data should be. libtorrent extends a file to its full size when it
 * opens it, so a file truncated or deleted behind its back comes back at
 * the right size, sparse. (A compressing filesystem looks sparse too: the
 * caller trusts a full recheck over this guess.) */
static bool has_holes(const struct stat *st)
{
	return (uint64_t)st->st_blocks * 512u + 4096u < (uint64_t)st->st_size;
}

/* 0 when f is a regular file of its size (without holes unless
 * holes_ok); else -1 with why. */
static int check_one(int dirfd, const struct mk_disk_file *f, bool holes_ok, char *why, size_t whylen)
{
	char shown[512];
	struct stat st;
	int fd = open_beneath(dirfd, f->path);
	int err = errno;
	int ok = fd >= 0 && fstat(fd, &st) == 0;
	if (fd >= 0)
		close(fd);
	bool right_size = ok && S_ISREG(st.st_mode) && (uint64_t)st.st_size == f->size;
	if (right_size && (holes_ok || !has_holes(&st)))
		return 0;
	mk_sanitize(f->path, strlen(f->path), shown, sizeof shown);
	if (fd < 0 && err == ENOENT)
		snprintf(why, whylen, "%s is missing", shown);
	else if (fd < 0)
		snprintf(why, whylen, "%s cannot be checked: %s", shown, strerror(err));
	else if (!ok || !S_ISREG(st.st_mode))
		snprintf(why, whylen, "%s is not a regular file", shown);
	else if (right_size)
		snprintf(why, whylen, "%s has holes (%" PRIu64 " of %" PRIu64 " bytes on disk)", shown,
			 (uint64_t)st.st_blocks * 512u, f->size);
	else
		snprintf(why, whylen, "%s has %" PRIu64 " of %" PRIu64 " bytes", shown, (uint64_t)st.st_size,
			 f->size);
	return -1;
}

int mk_disk_files_check(const struct mk_disk_files *d, const char *save_dir, bool holes_ok, char *why,
			size_t whylen)
{
	if (!d->known || d->n == 0)
		return 0;
	int dirfd = open(save_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(why, whylen, "the save dir cannot be opened: %s", strerror(errno));
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < d->n && r == 0; i++)
		r = check_one(dirfd, &d->file[i], holes_ok, why, whylen);
	close(dirfd);
	return r;
}
