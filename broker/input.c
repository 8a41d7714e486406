/*
 * input.c - reading the .torrent / magnet argument and preparing the save dir.
 *
 * Why this is safe: the file is opened once, checked with fstat (regular,
 * non-empty, <= MK_MAX_TORRENT_FILE) and read through the same descriptor, so
 * a swap between check and read cannot make us read a device or a huge file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
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

static int mkdir_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int mk_savedir_prepare(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp || mkdir_parents(tmp) != 0) {
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

/* 1 if path is dir itself or below it (both absolute, canonical). */
static int is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int mk_savedir_check_private(const char *save_abs, const char *config_path, char *err, size_t errlen)
{
	char *cfg = config_path && config_path[0] ? realpath(config_path, NULL) : NULL;
	const char *home_env = getenv("HOME");
	char *home = home_env && home_env[0] == '/' ? realpath(home_env, NULL) : NULL;
	int bad = 0;
	if (cfg && is_within(cfg, save_abs)) {
		snprintf(err, errlen, "save dir %s contains your config file %s: the download engine "
			 "could read the proxy password there; use a dedicated folder", save_abs, cfg);
		bad = 1;
	} else if (home && is_within(home, save_abs)) {
		snprintf(err, errlen, "save dir %s contains your home directory: the download engine "
			 "could read and change everything in it; use a dedicated folder such as ~/Downloads",
			 save_abs);
		bad = 1;
	}
	free(cfg);
	free(home);
	return bad ? -1 : 0;
}
