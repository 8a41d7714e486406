/*
 * disk_check.h - before a torrent is called done: are its wanted files on
 * disk, whole?
 *
 * Contract: the broker keeps each torrent's wanted files (path, size) from
 * the engine's FileList and, when the engine says the torrent is complete,
 * checks each one under the save dir: a regular file of exactly its size.
 * A file deleted or truncated behind libtorrent's back (while it runs, or
 * between runs with resume data that says "complete"; or come back sparse,
 * extended by libtorrent to its size with holes) fails the check; the
 * caller then has the engine hash every piece again (force_recheck) rather
 * than report success. What the check cannot see: a same-size overwrite
 * (garbage written into a finished file) - `--verify` hashes every piece.
 *
 * Why it is safe: paths come from the engine (hostile). Each is resolved
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * under the save dir, O_PATH (nothing is read or written), so no path can
 * name anything outside it; a path that does not resolve is a mismatch. The
 * engine learns nothing but "recheck".
 */
#ifndef MEERKO_BROKER_DISK_CHECK_H
#define MEERKO_BROKER_DISK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

struct mk_disk_file {
	char *path;       /* in-torrent path (malloc'd), relative to the save dir */
	uint64_t size;
};

struct mk_disk_files {
	struct mk_disk_file *file;
	size_t n;
	bool known;       /* a FileList was kept (else there is nothing to check) */
};

/* Keeps fl's wanted files (want NULL = every file; pad files and empty
 * files are never checked), replacing what d held. 0, or -1 out of memory
 * (d is then empty and not known). */
int mk_disk_files_keep(struct mk_disk_files *d, const Meerko__FileList *fl, const bool *want);
void mk_disk_files_free(struct mk_disk_files *d);

/* 0 when every kept file is a regular file of its size under save_dir,
 * without holes unless holes_ok (or nothing is known); else -1 with the
 * first mismatch in why, the path sanitised ("PATH is missing", "PATH has
 * 1048576 of 4194304 bytes", "PATH has holes (...)"). libtorrent extends a
 * file it opens to full size, so a truncated or deleted file often comes
 * back sparse; a compressing filesystem looks sparse too, so after one full
 * recheck the caller passes holes_ok (the hashes decide). */
int mk_disk_files_check(const struct mk_disk_files *d, const char *save_dir, bool holes_ok, char *why,
			size_t whylen);

#endif
