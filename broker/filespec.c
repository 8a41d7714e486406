/*
 * filespec.c - parsing and applying --files SPEC (see filespec.h).
 *
 * Why this is safe: the SPEC is copied into a fixed buffer after a length
 * check; numbers are parsed digit by digit with an explicit ceiling (no
 * overflow); globs go only to fnmatch(3), which reads the pattern and the
 * path and nothing else. Text echoed in messages is limited to printable
 * ASCII (shown()), so a SPEC cannot put an escape on the terminal. Paths
 * are matched raw (they were length-checked by engine_msg.c) and never
 * printed from here.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "filespec.h"

/* Printable-ASCII copy of s for messages, cut at 40 bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s && n + 1 < len && n < 40; s++)
		buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	buf[n] = '\0';
	return buf;
}

/* All digits, at most 9 of them: sets *v. */
static bool parse_index(const char *s, size_t len, uint32_t *v)
{
	uint32_t n = 0;
	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (uint32_t)(s[i] - '0');
	}
	*v = n;
	return true;
}

static int parse_item(struct mk_filespec_item *it, char *s, char *err, size_t errlen)
{
	char sv[48];
	if (strspn(s, "0123456789-") != strlen(s)) {
		for (const char *p = s; *p; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(err, errlen, "--files: a glob contains a control character");
				return -1;
			}
		}
		it->glob = true;
		it->pattern = s;
		return 0;
	}
	const char *dash = strchr(s, '-');
	size_t len = strlen(s);
	bool ok = dash ? parse_index(s, (size_t)(dash - s), &it->lo) &&
			 parse_index(dash + 1, len - (size_t)(dash - s) - 1, &it->hi) && it->lo <= it->hi
		       : parse_index(s, len, &it->lo);
	if (!dash)
		it->hi = it->lo;
	if (!ok) {
		snprintf(err, errlen, "--files: '%s' is not an index, a range A-B with A <= B, or a glob",
			 shown(s, sv, sizeof sv));
		return -1;
	}
	return 0;
}

int mk_filespec_parse(struct mk_filespec *fs, const char *spec, char *err, size_t errlen)
{
	memset(fs, 0, sizeof *fs);
	size_t len = strnlen(spec, MK_FILESPEC_MAX);
	if (len == 0 || len >= MK_FILESPEC_MAX) {
		snprintf(err, errlen, "--files: %s", len ? "longer than 1023 bytes" : "empty");
		return -1;
	}
	memcpy(fs->buf, spec, len + 1);
	char *p = fs->buf;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p == '\0') {
			snprintf(err, errlen, "--files: empty item (two commas, or a comma at an end)");
			return -1;
		}
		if (fs->n == MK_FILESPEC_ITEMS) {
			snprintf(err, errlen, "--files: more than %d items", MK_FILESPEC_ITEMS);
			return -1;
		}
		if (parse_item(&fs->item[fs->n++], p, err, errlen) != 0)
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* Marks the files one glob matches; returns how many. */
static size_t select_glob(const char *pattern, const char *const *paths, const bool *pad,
			  size_t n, bool *want)
{
	size_t hits = 0;
	for (size_t i = 0; i < n; i++) {
		if ((pad && pad[i]) || fnmatch(pattern, paths[i], 0) != 0)
			continue;
		want[i] = true;
		hits++;
	}
	return hits;
}

/* Marks the listed files of an index or range; returns how many (pad
 * files, which --list does not show, are never selected). */
static size_t select_range(const struct mk_filespec_item *it, const bool *pad, bool *want)
{
	size_t hits = 0;
	for (uint32_t i = it->lo; i <= it->hi; i++) {
		want[i] = !(pad && pad[i]);
		hits += want[i];
	}
	return hits;
}

/* An index --list does not show is refused like one out of range. */
static void pad_only_error(const struct mk_filespec_item *it, char *err, size_t errlen)
{
	if (it->lo == it->hi)
		snprintf(err, errlen, "--files: index %u is not a file of the torrent but padding "
			 "(BEP 47), which --list does not show", it->lo);
	else
		snprintf(err, errlen, "--files: %u-%u holds only padding (BEP 47), no file --list shows",
			 it->lo, it->hi);
}

int mk_filespec_select(const struct mk_filespec *fs, const char *const *paths, const bool *pad,
		       size_t n, bool *want, char *err, size_t errlen)
{
	char sv[48];
	for (size_t i = 0; i < n; i++)
		want[i] = false;
	for (size_t k = 0; k < fs->n; k++) {
		const struct mk_filespec_item *it = &fs->item[k];
		if (it->glob) {
			if (select_glob(it->pattern, paths, pad, n, want) == 0) {
				snprintf(err, errlen, "--files: '%s' matches no file in the torrent (see --list)",
					 shown(it->pattern, sv, sizeof sv));
				return -1;
			}
			continue;
		}
		if ((size_t)it->hi >= n) {
			snprintf(err, errlen, "--files: index %u is out of range: the torrent has %zu file%s (0-%zu)",
				 it->hi, n, n == 1 ? "" : "s", n ? n - 1 : 0);
			return -1;
		}
		if (select_range(it, pad, want) == 0) {
			pad_only_error(it, err, errlen);
			return -1;
		}
	}
	return 0;
}
