/*
 * config_load.c - reading meerko.ini (libinih) and finding it; the keys
 * themselves are set by config.c (mk_config_set_key). Implements
 * mk_config_load_file(), mk_config_find() and mk_config_where_looked() of config.h.
 *
 * Contract:
 *  - mk_config_load_file() parses with libinih into a scratch copy and
 *    commits it only if the whole file is valid; it stops at the first error.
 *    It opens the file once and fstat()s that descriptor (no TOCTOU): it
 *    refuses non-regular files, world-writable files (anyone could turn the
 *    proxy off) and files that set a proxy password while accessible by
 *    group/others (like ssh does for private keys). The scratch copy, which
 *    holds the password, is wiped before it is freed.
 *  - Errors are one line, "PATH:LINE: message"; values are echoed only by
 *    config.c's shown() (printable ASCII), never the password.
 *
 * libinih (Debian 12, r55) behaviour this file relies on or works around:
 *  - The handler has no line number (built without INI_HANDLER_LINENO), so
 *    we feed inih through our own line reader (read_line) which counts lines
 *    and can stop the parse (return NULL) after the first error.
 *  - Lines are limited to 200 bytes; inih would silently split a longer
 *    line into two. read_line rejects such lines instead.
 *  - An indented line after a key is a "continuation" that calls the handler
 *    again with the same key; read_line rejects indented lines instead.
 *  - " ;" starts an inline comment, '#' only at the start of a line; quotes
 *    are not special; surrounding whitespace is stripped.
 *  - inih's run-time option globals are process-wide: we never modify them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"

#ifndef MK_CONFIG_SYSTEM_PATH
#define MK_CONFIG_SYSTEM_PATH "/etc/meerko/meerko.ini"
#endif

/* ------------------------------------------------------------------ */
/* Loading a file                                                      */
/* ------------------------------------------------------------------ */

struct load_ctx {
	FILE *fp;
	struct mk_config cfg;  /* scratch copy, committed only on success */
	int lineno;            /* lines handed to inih so far */
	bool failed;           /* first error seen: stop reading */
	int err_line;
	char msg[MK_CONFIG_MSG_MAX];     /* body of the first error */
	bool sets_password;    /* a non-empty [proxy] or [rpc] password line was seen */
	const char *password_what; /* the first one's kind, for the message: "a proxy" / "an RPC" */
};

static char *reader_fail(struct load_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *reader_fail(struct load_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof x->msg, fmt, ap);
	va_end(ap);
	x->failed = true;
	x->err_line = x->lineno + 1;
	return NULL; /* inih treats NULL as end of file: the parse stops */
}

/* An indented line that is not blank or a comment would be taken by inih as
 * a continuation of the previous key's value (silently replacing it). */
static bool is_indented_setting(const char *line)
{
	size_t i = 0;

	if (line[0] != ' ' && line[0] != '\t')
		return false;
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	return line[i] != '\0' && strchr("\r\n;#", line[i]) == NULL;
}

/* fgets-style reader for ini_parse_stream: one whole line per call, counted,
 * or NULL (end) after the first error so that parsing stops there. */
static char *read_line(char *buf, int num, void *stream)
{
	struct load_ctx *x = stream;
	size_t n = 0;
	int ch;

	if (x->failed || num < 3)
		return NULL;
	while ((ch = getc(x->fp)) != EOF) {
		if (ch == '\0')
			return reader_fail(x, "line contains a NUL byte");
		/* keep room for '\n' and the terminating NUL */
		if (ch != '\n' && n >= (size_t)num - 2)
			return reader_fail(x, "line is too long (max %d characters)", num - 2);
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (ferror(x->fp))
		return reader_fail(x, "read error: %s", strerror(errno));
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	if (is_indented_setting(buf))
		return reader_fail(x, "indented line: remove the leading whitespace "
				   "(continuation lines are not supported)");
	x->lineno++;
	return buf;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *x = user;

	if (x->failed)
		return 0;
	if (mk_config_set_key(&x->cfg, section, name, value, x->msg, sizeof x->msg) != 0) {
		x->failed = true;
		x->err_line = x->lineno;
		return 0;
	}
	if ((strcmp(section, "proxy") == 0 || strcmp(section, "rpc") == 0) &&
	    strcmp(name, "password") == 0 && value[0] != '\0' && !x->sets_password) {
		x->sets_password = true;
		x->password_what = section[0] == 'p' ? "a proxy" : "an RPC";
	}
	return 1;
}

/* Opens once and checks that descriptor, so the file checked is the file
 * read. O_NONBLOCK: opening a FIFO must not hang (we then refuse it); it has
 * no effect on reads from a regular file. */
static FILE *open_checked(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	FILE *fp;

	if (fd < 0 || fstat(fd, st) != 0) {
		mk_config_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st->st_mode)) {
		mk_config_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	/* Anyone could rewrite it to turn the proxy off. */
	if (st->st_mode & S_IWOTH) {
		mk_config_err(err, errlen, "%s: is writable by anyone (mode %04o), so any local user "
			"could change the proxy settings; run: chmod o-w %s",
			path, (unsigned)(st->st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		mk_config_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

/* Turns the parse outcome into 0 or one error line. inih returns the line of
 * the first error it saw: a syntax error on an earlier line than our first
 * handler/reader error is the first error of the file. */
static int parse_result(const struct load_ctx *x, int ret, const char *path,
			char *err, size_t errlen)
{
	if (ret > 0 && (!x->failed || ret < x->err_line)) {
		mk_config_err(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
			path, ret);
		return -1;
	}
	if (x->failed) {
		mk_config_err(err, errlen, "%s:%d: %s", path, x->err_line, x->msg);
		return -1;
	}
	if (ret != 0) {
		mk_config_err(err, errlen, "cannot parse %s (inih error %d)", path, ret);
		return -1;
	}
	return 0;
}

int mk_config_load_file(struct mk_config *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx *x;
	struct stat st;
	int ret, rc = -1;

	/* heap: the scratch config is ~9 KiB and holds the password */
	x = calloc(1, sizeof *x);
	if (x == NULL) {
		mk_config_err(err, errlen, "cannot read %s: out of memory", path);
		return -1;
	}
	x->fp = open_checked(path, &st, err, errlen);
	if (x->fp == NULL)
		goto out;
	x->cfg = *c;
	ret = ini_parse_stream(read_line, x, on_key, x);
	fclose(x->fp);
	if (parse_result(x, ret, path, err, errlen) != 0)
		goto out;
	if (x->sets_password && (st.st_mode & 077)) {
		mk_config_err(err, errlen, "%s: contains %s password but is readable by others "
			"(mode %04o); run: chmod 600 %s",
			path, x->password_what, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	snprintf(x->cfg.source, sizeof x->cfg.source, "%s", path);
	*c = x->cfg;
	rc = 0;
out:
	explicit_bzero(x, sizeof *x);
	free(x);
	return rc;
}

/* ------------------------------------------------------------------ */
/* [proxy] password_file                                               */
/* ------------------------------------------------------------------ */

/* Why the file (fstat'ed as st) may not hold the password, or NULL. */
static const char *password_file_unsafe(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return "owned by another user, who could change the password meerko-secure sends";
	if (st->st_mode & 077)
		return "readable or writable by group/others";
	return NULL;
}

/* The first line of fd into buf (at most len - 1 bytes, '\n' stripped).
 * Returns its length, or -1 when the line does not fit. */
static ssize_t read_first_line(int fd, char *buf, size_t len)
{
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		char *nl = memchr(buf, '\n', have);
		if (nl) {
			*nl = '\0';
			return nl - buf;
		}
		if (n == 0)
			return (ssize_t)have;
		if (have == len - 1)
			return -1;
	}
}

/* One password_file: section's password (field, as set so far) must be
 * empty; the file's first line becomes the password through the key's own
 * parser. */
static int read_one_password_file(struct mk_config *c, const char *section, const char *path,
				  const char *field, const char *env_hint, char *err, size_t errlen)
{
	char line[MK_CFG_STR + 2];
	struct stat st;
	const char *why = NULL;
	ssize_t n = -1;

	if (path[0] == '\0')
		return 0;
	if (field[0] != '\0') {
		mk_config_err(err, errlen, "[%s] password_file and a password ([%s] password%s) are both "
			"set: give the password one way only", section, section, env_hint);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0)
		why = strerror(errno);
	else if ((why = password_file_unsafe(&st)) == NULL) {
		n = read_first_line(fd, line, sizeof line);
		why = n < 0 ? "the first line is longer than 255 characters or cannot be read"
		      : n == 0 ? "the first line is empty" : NULL;
	}
	if (fd >= 0)
		close(fd);
	if (why == NULL && mk_config_set(c, section, "password", line, path, err, errlen) != 0)
		n = -1;
	else if (why != NULL)
		mk_config_err(err, errlen, "[%s] password_file %s: %s%s%s", section, path, why,
			strstr(why, "group/others") ? "; run: chmod 600 " : "",
			strstr(why, "group/others") ? path : "");
	explicit_bzero(line, sizeof line);
	return why == NULL && n > 0 ? 0 : -1;
}

int mk_config_read_password_file(struct mk_config *c, char *err, size_t errlen)
{
	if (read_one_password_file(c, "proxy", c->proxy_password_file, c->proxy_password,
				   " or $MEERKO_PROXY_PASSWORD", err, errlen) != 0)
		return -1;
	return read_one_password_file(c, "rpc", c->rpc_password_file, c->rpc_password, "", err, errlen);
}

/* ------------------------------------------------------------------ */
/* Finding the file                                                    */
/* ------------------------------------------------------------------ */

/* "Present" unless it plainly does not exist. A file we cannot stat (e.g.
 * EACCES) counts as present, so loading it reports the problem instead of
 * silently falling back to another file with other proxy settings. */
static bool present(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

static int copy_out(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s", path);

	if (n < 0 || (size_t)n >= outlen) {
		mk_config_err(err, errlen, "config file path is too long");
		return -1;
	}
	return 1;
}

/* $XDG_CONFIG_HOME/meerko/meerko.ini, or ~/.config/... when XDG_CONFIG_HOME
 * is unset or relative (the XDG spec says to ignore relative values).
 * Returns false if there is no usable base directory. */
static bool user_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/meerko/meerko.ini", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.config/meerko/meerko.ini", home);
	else
		return false;
	return n > 0 && (size_t)n < len;
}

int mk_config_find(const char *explicit_path, char *out, size_t outlen, char *err, size_t errlen)
{
	char cand[PATH_MAX];
	struct stat st;

	if (explicit_path != NULL) {
		if (stat(explicit_path, &st) != 0) {
			mk_config_err(err, errlen, "config file %s: %s", explicit_path, strerror(errno));
			return -1;
		}
		return copy_out(explicit_path, out, outlen, err, errlen);
	}
	if (user_path(cand, sizeof cand) && present(cand))
		return copy_out(cand, out, outlen, err, errlen);
	if (present(MK_CONFIG_SYSTEM_PATH))
		return copy_out(MK_CONFIG_SYSTEM_PATH, out, outlen, err, errlen);
	return 0;
}

void mk_config_where_looked(char *out, size_t outlen)
{
	char user[PATH_MAX];

	if (user_path(user, sizeof user))
		snprintf(out, outlen, "%s and %s", user, MK_CONFIG_SYSTEM_PATH);
	else
		snprintf(out, outlen, "%s ($HOME and $XDG_CONFIG_HOME unset or relative)",
			 MK_CONFIG_SYSTEM_PATH);
}
