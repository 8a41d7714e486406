/*
 * filespec.h - the --files SPEC: which files of a torrent to download.
 *
 * SPEC is a comma-separated list of items. An item made only of digits is a
 * file index ("3"); DIGITS-DIGITS is an inclusive range ("2-4"); anything
 * else is a glob ("*.iso", "*sub*"), matched with fnmatch(3)
 * without flags against the file's in-torrent path as --list prints it, so
 * '*' also matches '/'. A glob cannot contain ',' (use '?' for it).
 * Pure functions: no I/O, no allocation.
 */
#ifndef MEERKO_BROKER_FILESPEC_H
#define MEERKO_BROKER_FILESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_FILESPEC_MAX 1024      /* longest SPEC, bytes including the NUL */
#define MK_FILESPEC_ITEMS 64      /* most items in one SPEC */
#define MK_FILESPEC_MAX_INDEX 999999999u

struct mk_filespec_item {
	bool glob;
	uint32_t lo, hi;              /* index range (lo == hi for one index) */
	const char *pattern;          /* glob: points into mk_filespec.buf */
};

struct mk_filespec {
	char buf[MK_FILESPEC_MAX];    /* the SPEC, commas replaced by NULs */
	struct mk_filespec_item item[MK_FILESPEC_ITEMS];
	size_t n;
};

/* Parses spec into fs. Returns 0, or -1 with one line in err. */
int mk_filespec_parse(struct mk_filespec *fs, const char *spec, char *err, size_t errlen);

/* Marks want[i] for every file i (of n) the spec selects; pad files (pad[i],
 * pad may be NULL) are never selected. Returns 0, or -1 with one line in err
 * when an index is out of range, an index or range names only pad files
 * (which --list does not show), or a glob matches no file. */
int mk_filespec_select(const struct mk_filespec *fs, const char *const *paths, const bool *pad,
		       size_t n, bool *want, char *err, size_t errlen);

#endif
