/*
 * input.h - what the user asked to download, and where to.
 *
 * Contract: the broker never parses torrent bytes (that is the confined
 * engine's job). It only reads the file, bounded in size, and recognises a
 * magnet link by its scheme. Errors are one line for the user.
 */
#ifndef MEERKO_BROKER_INPUT_H
#define MEERKO_BROKER_INPUT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define MK_MAX_TORRENT_FILE (8u << 20) /* 8 MiB: larger .torrent files are refused */

struct mk_input {
	const char *arg;       /* as given on the command line */
	uint8_t *bytes;        /* .torrent contents (malloc'd), or NULL for a magnet */
	size_t len;
	const char *magnet;    /* points into arg, or NULL */
};

/* Returns 0, or -1 with err. */
int mk_input_load(struct mk_input *in, const char *arg, char *err, size_t errlen);
void mk_input_free(struct mk_input *in);

/* The v1 info-hash named by a magnet's xt=urn:btih: (40 hex or 32 base32
 * characters), as 40 lowercase hex digits in hex. Returns 1 when found, 0
 * when the link has no btih (e.g. v2-only urn:btmh), -1 when it is malformed. */
int mk_magnet_btih(const char *magnet, char hex[41]);

/* The checks a whole command line needs before anything starts: every
 * magnet's btih well-formed, and no torrent given twice (same .torrent
 * bytes, or magnets naming the same info-hash). Returns 0 or -1 with err. */
int mk_inputs_check(const struct mk_input *in, size_t n, char *err, size_t errlen);

/* Creates the save dir if missing (with parents), checks it is a writable
 * directory, and returns its absolute path in out. Returns 0 or -1 + err. */
int mk_savedir_prepare(const char *dir, char *out, size_t outlen, char *err, size_t errlen);

#endif
