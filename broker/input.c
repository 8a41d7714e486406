/*
 * input.c - reading the .torrent / magnet argument and preparing the save dir.
 *
 * Why this is safe: the file is opened once, checked with fstat (regular,
 * non-empty, <= MK_MAX_TORRENT_FILE) and read through the same descriptor, so
 * a swap between check and read cannot make us read a device or a huge file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "mkdir_p.h"
#include "sanitize.h"

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t have = 0;
	while (have < len) {
		ssize_t n = read(fd, buf + have, len - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return 0;
}

/* The argument as it may be printed: a file name is often chosen by whoever
 * offered the download, and must not put a newline or an escape on stderr. */
static const char *shown_arg(const char *arg, char *buf, size_t len)
{
	mk_sanitize(arg, strlen(arg), buf, len);
	return buf;
}

int mk_input_load(struct mk_input *in, const char *arg, char *err, size_t errlen)
{
	char shown[512];
	memset(in, 0, sizeof *in);
	in->arg = arg;
	if (strncmp(arg, "magnet:", 7) == 0) {
		if (strncmp(arg, "magnet:?", 8) != 0 || !strstr(arg, "xt=urn:")) {
			snprintf(err, errlen, "not a valid magnet link (expected magnet:?xt=urn:btih:...)");
			return -1;
		}
		in->magnet = arg;
		return 0;
	}
	int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", shown_arg(arg, shown, sizeof shown), strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "is a directory, not a .torrent file";
	else if (!S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (st.st_size == 0)
		why = "is empty, not a .torrent file";
	else if ((uint64_t)st.st_size > MK_MAX_TORRENT_FILE)
		why = "is larger than 8 MiB, too big for a .torrent file";
	if (!why) {
		in->len = (size_t)st.st_size;
		in->bytes = malloc(in->len);
		if (!in->bytes || read_all(fd, in->bytes, in->len) != 0)
			why = "could not be read";
	}
	close(fd);
	if (why) {
		snprintf(err, errlen, "%s: %s", shown_arg(arg, shown, sizeof shown), why);
		mk_input_free(in);
		return -1;
	}
	return 0;
}

void mk_input_free(struct mk_input *in)
{
	free(in->bytes);
	in->bytes = NULL;
	in->len = 0;
}

/* 0..31 for a base32 digit (RFC 4648, either case), else -1. */
static int b32(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	return c >= '2' && c <= '7' ? c - '2' + 26 : -1;
}

static int from_base32(const char *v, char hex[41])
{
	uint8_t raw[20];
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < 32; i++) {
		int d = b32(v[i]);
		if (d < 0)
			return -1;
		acc = (acc << 5) | (uint32_t)d;
		bits += 5;
		if (bits >= 8) {
			raw[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	for (size_t i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return 1;
}

int mk_magnet_btih(const char *magnet, char hex[41])
{
	const char *p = magnet;
	while ((p = strstr(p, "xt=urn:btih:")) != NULL && (p == magnet || (p[-1] != '?' && p[-1] != '&')))
		p++;
	if (!p)
		return 0;
	const char *v = p + strlen("xt=urn:btih:");
	size_t n = strcspn(v, "&");
	if (n == 32)
		return from_base32(v, hex);
	if (n != 40)
		return -1;
	for (size_t i = 0; i < 40; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return -1;
		hex[i] = (char)tolower((unsigned char)v[i]);
	}
	hex[40] = '\0';
	return 1;
}

static int same_torrent(const struct mk_input *a, const struct mk_input *b)
{
	char ha[41], hb[41];
	if (a->bytes && b->bytes)
		return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
	if (a->magnet && b->magnet)
		return strcmp(a->magnet, b->magnet) == 0 ||
		       (mk_magnet_btih(a->magnet, ha) == 1 && mk_magnet_btih(b->magnet, hb) == 1 &&
			strcmp(ha, hb) == 0);
	return 0; /* a .torrent and a magnet: only the engine can tell (it refuses the second) */
}

int mk_inputs_check(const struct mk_input *in, size_t n, char *err, size_t errlen)
{
	char a[256], b[256], hex[41];
	for (size_t i = 0; i < n; i++) {
		if (in[i].magnet && mk_magnet_btih(in[i].magnet, hex) < 0) {
			snprintf(err, errlen, "%s: not a valid magnet link (the btih info-hash must be "
				 "40 hex or 32 base32 characters)", shown_arg(in[i].arg, a, sizeof a));
			return -1;
		}
		for (size_t k = 0; k < i; k++) {
			if (!same_torrent(&in[k], &in[i]))
				continue;
			snprintf(err, errlen, "%s: the same torrent as %s: give each torrent once",
				 shown_arg(in[i].arg, a, sizeof a), shown_arg(in[k].arg, b, sizeof b));
			return -1;
		}
	}
	return 0;
}

int mk_savedir_prepare(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp || mk_mkdir_p(tmp, 0755) != 0) {
		snprintf(err, errlen, "save dir %s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	char *abs = realpath(dir, NULL);
	if (!abs) {
		snprintf(err, errlen, "save dir %s: %s", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (stat(abs, &st) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (access(abs, W_OK | X_OK) != 0)
		why = errno == EACCES ? "not writable (permission denied)" : strerror(errno);
	else if (strlen(abs) >= outlen)
		why = "path too long";
	if (why) {
		snprintf(err, errlen, "save dir %s: %s", abs, why);
		free(abs);
		return -1;
	}
	strcpy(out, abs);
	free(abs);
	return 0;
}
