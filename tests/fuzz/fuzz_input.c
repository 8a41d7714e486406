/*
 * fuzz_input.c - the broker's only look at the torrent argument before the
 * engine gets it: mk_input_load on a file holding the input, and on the
 * input itself as an argument string when it starts with "magnet:".
 *
 * One temp file (0600, in $TMPDIR or /tmp) is created once and rewritten
 * for every input; it is unlinked at exit.
 *
 * Oracle, beyond ASan/UBSan (input.h's contract):
 *  - a file loads iff it is non-empty and at most MK_MAX_TORRENT_FILE bytes,
 *    and then holds exactly the file's bytes (the broker never parses them);
 *  - a "magnet:" argument is accepted iff it starts with "magnet:?" and
 *    contains "xt=urn:", and is passed on as is (no copy, no bytes);
 *  - every refusal comes with a non-empty message.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "fuzz_tmpfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tmp_create("input");
	return 0;
}

static void from_file(const uint8_t *data, size_t size)
{
	fuzz_tmp_write(data, size);
	struct mk_input in;
	char err[1024] = "";
	int rc = mk_input_load(&in, fuzz_tmp_path, err, sizeof err);
	bool should = size > 0 && size <= MK_MAX_TORRENT_FILE;
	if (rc == 0) {
		if (!should || in.magnet || in.len != size || !in.bytes || memcmp(in.bytes, data, size) != 0)
			abort();
		mk_input_free(&in);
		if (in.bytes || in.len)
			abort();
	} else if (should || err[0] == '\0' || in.bytes) {
		abort();
	}
}

static void as_magnet(const uint8_t *data, size_t size)
{
	if (size < 7 || memcmp(data, "magnet:", 7) != 0)
		return;
	char *arg = malloc(size + 1); /* an argv string ends at its first NUL */
	if (!arg)
		abort();
	memcpy(arg, data, size);
	arg[size] = '\0';
	struct mk_input in;
	char err[1024] = "";
	int rc = mk_input_load(&in, arg, err, sizeof err);
	bool should = strncmp(arg, "magnet:?", 8) == 0 && strstr(arg, "xt=urn:") != NULL;
	if (rc == 0) {
		if (!should || in.magnet != arg || in.bytes || in.len)
			abort();
	} else if (should || err[0] == '\0') {
		abort();
	}
	mk_input_free(&in);
	free(arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	from_file(data, size);
	as_magnet(data, size);
	return 0;
}
