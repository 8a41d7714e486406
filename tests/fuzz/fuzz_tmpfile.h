/*
 * fuzz_tmpfile.h - one private (0600) temp file per fuzz process, rewritten
 * with each input, for targets whose code under test reads a path.
 * Header-only: each fuzz target is its own executable.
 */
#ifndef MEERKO_FUZZ_TMPFILE_H
#define MEERKO_FUZZ_TMPFILE_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_tmp_path[PATH_MAX];
static int fuzz_tmp_fd = -1;

static void fuzz_tmp_cleanup(void)
{
	if (fuzz_tmp_path[0])
		unlink(fuzz_tmp_path);
}

/* Creates $TMPDIR/meerko-fuzz-NAME.XXXXXX (or /tmp); aborts on failure. */
static void fuzz_tmp_create(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/meerko-fuzz-%s.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp", name);
	fuzz_tmp_fd = mkstemp(fuzz_tmp_path);
	if (fuzz_tmp_fd < 0 || fchmod(fuzz_tmp_fd, 0600) != 0) {
		perror("fuzz: temp file");
		abort();
	}
	atexit(fuzz_tmp_cleanup);
}

/* Replaces the file's contents with data[0..size). */
static void fuzz_tmp_write(const uint8_t *data, size_t size)
{
	if (ftruncate(fuzz_tmp_fd, 0) != 0 ||
	    (size && pwrite(fuzz_tmp_fd, data, size, 0) != (ssize_t)size))
		abort();
}

#endif
