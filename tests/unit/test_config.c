/*
 * test_config.c - unit tests for broker/config.c (cmocka).
 *
 * Contract: every test works on real files in its own mkdtemp() directory,
 * removed afterwards, and restores HOME / XDG_CONFIG_HOME. Covers: the
 * privacy-safe defaults, every key from a file, every key's bad values (with
 * message and line number), INI corner cases of Debian's libinih, file
 * permission rules, mk_config_find(), mk_config_validate(), and that
 * meerko.ini.example (MEERKO_SOURCE_DIR) loads and documents every key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "rpc_config.h"

#ifndef MEERKO_SOURCE_DIR
#error "compile with -DMEERKO_SOURCE_DIR=\"/path/to/meerko\""
#endif

#define ERRLEN 1024
#define DIRLEN 64     /* "/tmp/mk_test_config.XXXXXX": short, so that */
#define PLEN 256      /* paths and messages built from it always fit */

struct fixture {
	char dir[DIRLEN];
	char path[PLEN];          /* last file written by write_cfg() */
	char err[ERRLEN];
	struct mk_config c;
	char *saved_home;         /* NULL = was unset */
	char *saved_xdg;
};

/* ---------------------------------------------------------------- */
/* Fixture and helpers                                              */
/* ---------------------------------------------------------------- */

static char *dup_env(const char *name)
{
	const char *v = getenv(name);

	return v ? strdup(v) : NULL;
}

static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/mk_test_config.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->saved_home = dup_env("HOME");
	f->saved_xdg = dup_env("XDG_CONFIG_HOME");
	mk_config_defaults(&f->c);
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	restore_env("HOME", f->saved_home);
	restore_env("XDG_CONFIG_HOME", f->saved_xdg);
	free(f);
	return rc;
}

/* Writes text (len bytes, may contain NUL) to a new mkstemp() file in the
 * fixture dir with exactly `mode` (fchmod: umask does not apply). */
static void write_cfg_n(struct fixture *f, const char *text, size_t len, mode_t mode)
{
	int fd;

	snprintf(f->path, sizeof f->path, "%s/cfgXXXXXX", f->dir);
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void write_cfg(struct fixture *f, const char *text, mode_t mode)
{
	write_cfg_n(f, text, strlen(text), mode);
}

static int load(struct fixture *f, const char *text, mode_t mode)
{
	write_cfg(f, text, mode);
	f->err[0] = '\0';
	return mk_config_load_file(&f->c, f->path, f->err, sizeof f->err);
}

/* Expects the load to fail with exactly "PATH:LINE: body". */
static void expect_load_error(struct fixture *f, const char *text, int line, const char *body)
{
	char want[ERRLEN];

	assert_int_equal(load(f, text, 0600), -1);
	snprintf(want, sizeof want, "%s:%d: %s", f->path, line, body);
	assert_string_equal(f->err, want);
}

static void expect_substr(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* Field by field: struct copies need not preserve padding bytes. */
static void assert_same_config(const struct mk_config *a, const struct mk_config *b)
{
	assert_int_equal(a->proxy_type, b->proxy_type);
	assert_string_equal(a->proxy_host, b->proxy_host);
	assert_int_equal(a->proxy_port, b->proxy_port);
	assert_string_equal(a->proxy_user, b->proxy_user);
	assert_string_equal(a->proxy_password, b->proxy_password);
	assert_int_equal(a->proxy_required, b->proxy_required);
	assert_int_equal(a->anonymous_mode, b->anonymous_mode);
	assert_int_equal(a->dht, b->dht);
	assert_int_equal(a->lsd, b->lsd);
	assert_int_equal(a->upnp, b->upnp);
	assert_int_equal(a->natpmp, b->natpmp);
	assert_int_equal(a->pex, b->pex);
	assert_int_equal(a->utp, b->utp);
	assert_string_equal(a->save_dir, b->save_dir);
	assert_int_equal(a->max_down_kib, b->max_down_kib);
	assert_int_equal(a->max_up_kib, b->max_up_kib);
	assert_int_equal(a->progress, b->progress);
	assert_int_equal(a->plain_interval_s, b->plain_interval_s);
	assert_int_equal(a->sandbox, b->sandbox);
	assert_string_equal(a->source, b->source);
}

/* ---------------------------------------------------------------- */
/* Defaults and setting every key                                   */
/* ---------------------------------------------------------------- */

static void test_defaults_are_privacy_safe(void **state)
{
	struct fixture *f = *state;
	const struct mk_config *c = &f->c;

	assert_int_equal(c->proxy_type, MK_CFG_PROXY_SOCKS5);
	assert_string_equal(c->proxy_host, "127.0.0.1");
	assert_int_equal(c->proxy_port, 1080);
	assert_string_equal(c->proxy_user, "");
	assert_string_equal(c->proxy_password, "");
	assert_true(c->proxy_required);
	assert_true(c->anonymous_mode);
	assert_false(c->dht);
	assert_false(c->lsd);
	assert_false(c->upnp);
	assert_false(c->natpmp);
	assert_false(c->pex);
	assert_false(c->utp);
	assert_string_equal(c->dht_bootstrap, ""); /* never libtorrent's router.* names */
	assert_string_equal(c->save_dir, ".");
	assert_int_equal(c->max_down_kib, 0);
	assert_int_equal(c->max_up_kib, 0);
	assert_int_equal(c->progress, MK_PROGRESS_AUTO);
	assert_int_equal(c->plain_interval_s, 5);
	assert_int_equal(c->sandbox, MK_SANDBOX_REQUIRED);
	assert_string_equal(c->source, "");
	assert_int_equal(mk_config_validate(c, f->err, sizeof f->err), 0);
}

static void test_every_key_from_file(void **state)
{
	struct fixture *f = *state;
	const char *text =
		"; full example\n"
		"[proxy]\n"
		"type = socks5\n"
		"host = ::1\n"
		"port = 9050\n"
		"username = alice\n"
		"password = s3cret pass\n"
		"required = no\n"
		"[privacy]\n"
		"anonymous_mode = off\n"
		"dht = on\n"
		"lsd = yes\n"
		"upnp = 1\n"
		"natpmp = TRUE\n"
		"pex = True\n"
		"utp = true\n"
		"[download]\n"
		"save_dir = /srv/torrents\n"
		"max_down = 10000000\n"
		"max_up = 25\n"
		"[ui]\n"
		"progress = Plain\n"
		"plain_interval = 3600\n"
		"[sandbox]\n"
		"mode = off\n";

	assert_int_equal(load(f, text, 0600), 0);
	assert_int_equal(f->c.proxy_type, MK_CFG_PROXY_SOCKS5);
	assert_string_equal(f->c.proxy_host, "::1");
	assert_int_equal(f->c.proxy_port, 9050);
	assert_string_equal(f->c.proxy_user, "alice");
	assert_string_equal(f->c.proxy_password, "s3cret pass");
	assert_false(f->c.proxy_required);
	assert_false(f->c.anonymous_mode);
	assert_true(f->c.dht);
	assert_true(f->c.lsd);
	assert_true(f->c.upnp);
	assert_true(f->c.natpmp);
	assert_true(f->c.pex);
	assert_true(f->c.utp);
	assert_string_equal(f->c.save_dir, "/srv/torrents");
	assert_int_equal(f->c.max_down_kib, 10000000);
	assert_int_equal(f->c.max_up_kib, 25);
	assert_int_equal(f->c.progress, MK_PROGRESS_PLAIN);
	assert_int_equal(f->c.plain_interval_s, 3600);
	assert_int_equal(f->c.sandbox, MK_SANDBOX_OFF);
	assert_string_equal(f->c.source, f->path);

	/* the other enum values */
	assert_int_equal(load(f, "[proxy]\ntype = none\n[ui]\nprogress = tty\n", 0600), 0);
	assert_int_equal(f->c.proxy_type, MK_CFG_PROXY_NONE);
	assert_int_equal(f->c.progress, MK_PROGRESS_TTY);
	assert_int_equal(load(f, "[ui]\nprogress = none\n", 0600), 0);
	assert_int_equal(f->c.progress, MK_PROGRESS_NONE);
	assert_int_equal(load(f, "[ui]\nprogress = auto\n[sandbox]\nmode = REQUIRED\n", 0600), 0);
	assert_int_equal(f->c.progress, MK_PROGRESS_AUTO);
	assert_int_equal(f->c.sandbox, MK_SANDBOX_REQUIRED);
}

static void test_bool_spellings(void **state)
{
	struct fixture *f = *state;
	const char *yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "oN" };
	const char *no[] = { "false", "no", "off", "0", "FALSE", "No", "OFF" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		f->c.dht = false;
		assert_int_equal(mk_config_set(&f->c, "privacy", "dht", yes[i], "t", f->err, ERRLEN), 0);
		assert_true(f->c.dht);
		assert_int_equal(mk_config_set(&f->c, "privacy", "dht", no[i], "t", f->err, ERRLEN), 0);
		assert_false(f->c.dht);
	}
}

static void test_last_duplicate_wins(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[proxy]\nport = 1\n[privacy]\n[proxy]\nport = 2\n", 0600), 0);
	assert_int_equal(f->c.proxy_port, 2);
}

/* ---------------------------------------------------------------- */
/* Bad values                                                       */
/* ---------------------------------------------------------------- */

struct bad_case {
	const char *section, *key, *value, *msg;
};

static const struct bad_case bad_cases[] = {
	{ "proxy", "type", "socks4", "'socks4' is not one of: none, socks5" },
	{ "proxy", "type", "", "'' is not one of: none, socks5" },
	{ "proxy", "host", "localhost", "'localhost' is not an IP address: the proxy must be given as an IP address" },
	{ "proxy", "host", "proxy.example.com", "so that no DNS lookup leaves the machine" },
	{ "proxy", "host", "127.1", "'127.1' is not an IP address" },
	{ "proxy", "host", "[::1]", "'[::1]' is not an IP address" },
	{ "proxy", "host", "1.2.3.4:1080", "is not an IP address" },
	{ "proxy", "host", "", "'' is not an IP address" },
	{ "proxy", "port", "abc", "'abc' is not a port number (1-65535)" },
	{ "proxy", "port", "0", "'0' is not a port number (1-65535)" },
	{ "proxy", "port", "65536", "'65536' is not a port number (1-65535)" },
	{ "proxy", "port", "-1", "'-1' is not a port number" },
	{ "proxy", "port", "+80", "'+80' is not a port number" },
	{ "proxy", "port", "80x", "'80x' is not a port number" },
	{ "proxy", "port", "0x50", "'0x50' is not a port number" },
	{ "proxy", "port", "1e3", "'1e3' is not a port number" },
	{ "proxy", "port", "", "'' is not a port number" },
	{ "proxy", "port", "99999999999999999999999", "is not a port number" },
	{ "proxy", "required", "maybe", "'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)" },
	{ "proxy", "required", "", "'' is not a boolean" },
	{ "proxy", "required", "2", "'2' is not a boolean" },
	{ "privacy", "anonymous_mode", "enabled", "'enabled' is not a boolean" },
	{ "privacy", "dht", "false # no", "'false # no' is not a boolean" },
	{ "privacy", "lsd", "n", "'n' is not a boolean" },
	{ "privacy", "upnp", "t", "'t' is not a boolean" },
	{ "privacy", "natpmp", "nope", "'nope' is not a boolean" },
	{ "privacy", "pex", "-", "'-' is not a boolean" },
	{ "privacy", "utp", "tcp", "'tcp' is not a boolean" },
	{ "download", "save_dir", "", "must not be empty" },
	{ "download", "save_dir", "~bob/x", "only '~/' is expanded, not '~user'" },
	{ "download", "max_down", "-5", "'-5' is not a rate in KiB/s (0-10000000)" },
	{ "download", "max_down", "10000001", "'10000001' is not a rate in KiB/s (0-10000000)" },
	{ "download", "max_up", "1.5", "'1.5' is not a rate in KiB/s (0-10000000)" },
	{ "download", "max_up", "9223372036854775808", "is not a rate in KiB/s" },
	{ "ui", "progress", "fancy", "'fancy' is not one of: auto, tty, plain, none" },
	{ "ui", "plain_interval", "0", "'0' is not a number of seconds (1-3600)" },
	{ "ui", "plain_interval", "3601", "'3601' is not a number of seconds (1-3600)" },
	{ "sandbox", "mode", "on", "'on' is not one of: required, off" },
	{ "sandbox", "mode", "disabled", "'disabled' is not one of: required, off" },
};

/* Each bad value, from a file at line 3, fails with "PATH:3: [sec] key: msg"
 * and leaves the whole config untouched (the file is all-or-nothing). */
static void test_bad_values_in_file(void **state)
{
	struct fixture *f = *state;
	char text[512], want[ERRLEN];
	struct mk_config before;
	size_t i;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];

		mk_config_defaults(&f->c);
		before = f->c;
		snprintf(text, sizeof text, "[%s]\n; comment\n%s = %s\n", b->section, b->key, b->value);
		assert_int_equal(load(f, text, 0600), -1);
		snprintf(want, sizeof want, "%s:3: [%s] %s: ", f->path, b->section, b->key);
		if (strncmp(f->err, want, strlen(want)) != 0)
			fail_msg("case %zu: '%s' does not start with '%s'", i, f->err, want);
		expect_substr(f->err + strlen(want), b->msg);
		assert_same_config(&before, &f->c);
	}
}

static void test_bad_values_via_set(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *b = &bad_cases[i];

		assert_int_equal(mk_config_set(&f->c, b->section, b->key, b->value, "--x",
					       f->err, ERRLEN), -1);
		expect_substr(f->err, b->msg);
	}
}

static void test_cli_prefix(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mk_config_set(&f->c, "proxy", "port", "99999", "--proxy", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "--proxy: [proxy] port: '99999' is not a port number (1-65535)");
	assert_int_equal(f->c.proxy_port, 1080);
	/* no prefix when where is NULL or empty */
	assert_int_equal(mk_config_set(&f->c, "proxy", "port", "x", NULL, f->err, ERRLEN), -1);
	assert_string_equal(f->err, "[proxy] port: 'x' is not a port number (1-65535)");
	assert_int_equal(mk_config_set(&f->c, "proxy", "port", "x", "", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "[proxy] port: 'x' is not a port number (1-65535)");
	/* a small err buffer is truncated, never overflowed */
	{
		char small[8];

		assert_int_equal(mk_config_set(&f->c, "proxy", "port", "x", "--p", small, sizeof small), -1);
		assert_string_equal(small, "--p: [p");
		assert_int_equal(mk_config_set(&f->c, "proxy", "port", "x", "--p", NULL, 0), -1);
	}
	assert_int_equal(mk_config_set(&f->c, "proxy", "port", "65535", "--proxy", f->err, ERRLEN), 0);
	assert_int_equal(f->c.proxy_port, 65535);
}

/* --proxy VALUE applied over the defaults: 0 or -1 with f->err. */
static int apply_proxy_flag(struct fixture *f, const char *value)
{
	char *argv[] = { "meerko-secure", "--proxy", (char *)value, "x.torrent", NULL };
	struct mk_cli cli;

	assert_int_equal(mk_cli_parse(&cli, 4, argv, f->err, ERRLEN), 0);
	mk_config_defaults(&f->c);
	return mk_cli_apply(&cli, &f->c, f->err, ERRLEN);
}

/* socks5h:// ("the proxy resolves names", as curl spells it) is what Meerko
 * always does: a synonym of socks5://, never a different mode. */
static void test_proxy_flag_socks5h_is_socks5(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(apply_proxy_flag(f, "socks5h://192.0.2.7:9050"), 0);
	assert_int_equal(f->c.proxy_type, MK_CFG_PROXY_SOCKS5);
	assert_string_equal(f->c.proxy_host, "192.0.2.7");
	assert_int_equal(f->c.proxy_port, 9050);
	assert_int_equal(apply_proxy_flag(f, "socks5h://[::1]:1084"), 0);
	assert_string_equal(f->c.proxy_host, "::1");
	assert_int_equal(f->c.proxy_port, 1084);
	assert_int_equal(apply_proxy_flag(f, "socks5://[::1]:1085"), 0);
	assert_int_equal(f->c.proxy_port, 1085);
	assert_int_equal(apply_proxy_flag(f, "socks4://192.0.2.7:1080"), -1);
	expect_substr(f->err, "only socks5:// (or socks5h://) proxies are supported");
}

/* "::1:1084" could be [::1]:1084 or the address ::1:1084 with no port: never
 * guess where the traffic goes. */
static void test_proxy_flag_unbracketed_ipv6_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(apply_proxy_flag(f, "::1:1084"), -1);
	assert_string_equal(f->err, "--proxy: '::1:1084': an IPv6 address with a port needs brackets, "
				    "e.g. [::1]:1080");
	assert_int_equal(f->c.proxy_port, 1080); /* nothing applied */
	assert_int_equal(apply_proxy_flag(f, "socks5h://fe80::1:1080"), -1);
	expect_substr(f->err, "needs brackets");
}

/* The flag's refusal of a name speaks the flag's syntax (brackets), not the
 * ini's "IPv6 without brackets". */
static void test_proxy_flag_hostname_message_fits_the_flag(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(apply_proxy_flag(f, "localhost:1080"), -1);
	assert_string_equal(f->err, "--proxy: 'localhost:1080' is not an IP address and port: give the "
				    "proxy as IP:PORT (e.g. 127.0.0.1:1080 or [::1]:1080) so that no DNS "
				    "lookup leaves the machine");
	assert_null(strstr(f->err, "without brackets"));
	assert_null(strstr(f->err, "[proxy]"));
	assert_int_equal(apply_proxy_flag(f, "[localhost]:1080"), -1);
	expect_substr(f->err, "is not an IP address and port");
}

static void test_message_canonical_form(void **state)
{
	struct fixture *f = *state;

	expect_load_error(f, "[proxy]\nhost = 127.0.0.1\n\n\n\n\n\n\n\n\n\nport = abc\n", 12,
			  "[proxy] port: 'abc' is not a port number (1-65535)");
}

static void test_hostname_rejected_ips_accepted(void **state)
{
	struct fixture *f = *state;
	const char *good[] = { "10.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "fe80::1",
			       "2001:db8::8:800:200c:417a", "::ffff:192.0.2.1" };
	size_t i;

	expect_load_error(f, "[proxy]\nhost = tor.local\n", 2,
			  "[proxy] host: 'tor.local' is not an IP address: the proxy must be given as "
			  "an IP address (IPv4, or IPv6 without brackets) so that no DNS lookup leaves "
			  "the machine");
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(mk_config_set(&f->c, "proxy", "host", good[i], "t", f->err, ERRLEN), 0);
		assert_string_equal(f->c.proxy_host, good[i]);
	}
}

static void test_dht_bootstrap(void **state)
{
	struct fixture *f = *state;
	const char *good[] = { "", "127.0.1.4:6881", "192.0.2.1:1,198.51.100.7:65535",
			       "10.0.0.1:6881,10.0.0.2:6882,10.0.0.3:6883" };
	const char *bad[] = { "router.bittorrent.com:6881", "127.0.0.1", "127.0.0.1:", ":6881",
			      "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:123456", "127.0.0.1:-1",
			      "127.0.0.1:6881,", ",127.0.0.1:6881", "127.0.0.1:6881,,10.0.0.1:1",
			      "127.0.0.1:6881 ,10.0.0.1:1", "[::1]:6881", "::1:6881",
			      "127.0.0.1:68x1", "1.2.3:6881", "127.0.0.1:6881,dht.example:6881" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(mk_config_set(&f->c, "privacy", "dht_bootstrap", good[i], "t", f->err,
					       ERRLEN), 0);
		assert_string_equal(f->c.dht_bootstrap, good[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(f->c.dht_bootstrap, "1.1.1.1:1");
		assert_int_equal(mk_config_set(&f->c, "privacy", "dht_bootstrap", bad[i], "t", f->err,
					       ERRLEN), -1);
		assert_non_null(strstr(f->err, "t: [privacy] dht_bootstrap: "));
		assert_string_equal(f->c.dht_bootstrap, "1.1.1.1:1"); /* unchanged */
	}
	expect_load_error(f, "[privacy]\ndht_bootstrap = router.utorrent.com:6881\n", 2,
			  "[privacy] dht_bootstrap: 'router.utorrent.com:6881' is not a list of "
			  "IPv4:PORT (e.g. 192.0.2.1:6881,192.0.2.2:6881): host names are refused, "
			  "they would be resolved outside the proxy");
}

static void test_control_char_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mk_config_set(&f->c, "proxy", "username", "al\x1b[31mice", "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: [proxy] username: value contains a control character");
	assert_string_equal(f->c.proxy_user, "");
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "/tmp/a\nb", "t", f->err, ERRLEN), -1);
	expect_substr(f->err, "control character");
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "/tmp/\x7f", "t", f->err, ERRLEN), -1);
	expect_substr(f->err, "control character");
	/* a tab inside a value, from a file */
	expect_load_error(f, "[proxy]\nusername = a\tb\n", 2,
			  "[proxy] username: value contains a control character");
	/* UTF-8 is fine in text values */
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "/home/é/Téléchargements", "t",
				       f->err, ERRLEN), 0);
}

/* Echoed values cannot carry terminal escapes into the message. */
static void test_echo_is_sanitized(void **state)
{
	struct fixture *f = *state;
	char longv[300];

	assert_int_equal(mk_config_set(&f->c, "proxy", "port", "1\x1b]0;pwned\x07", "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: [proxy] port: '1?]0;pwned?' is not a port number (1-65535)");
	assert_int_equal(mk_config_set(&f->c, "zz\x1b", "k", "v", "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: unknown section [zz?]");
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	assert_int_equal(mk_config_set(&f->c, "proxy", "port", longv, "t", f->err, ERRLEN), -1);
	expect_substr(f->err, "aaa...' is not a port number");
	assert_true(strlen(f->err) < 150);
}

static void test_overlong_values_rejected(void **state)
{
	struct fixture *f = *state;
	char v[PATH_MAX + 10];

	memset(v, 'u', MK_CFG_STR);
	v[MK_CFG_STR] = '\0'; /* 256 bytes: one too many */
	assert_int_equal(mk_config_set(&f->c, "proxy", "username", v, "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: [proxy] username: value is too long (max 255 bytes)");
	v[MK_CFG_STR - 1] = '\0'; /* 255: fits */
	assert_int_equal(mk_config_set(&f->c, "proxy", "username", v, "t", f->err, ERRLEN), 0);
	assert_int_equal(strlen(f->c.proxy_user), 255);

	memset(v, 'p', MK_CFG_STR);
	v[MK_CFG_STR] = '\0';
	assert_int_equal(mk_config_set(&f->c, "proxy", "password", v, "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: [proxy] password: value is too long (max 255 bytes)");

	v[0] = '/';
	memset(v + 1, 'd', PATH_MAX - 1);
	v[PATH_MAX] = '\0';
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", v, "t", f->err, ERRLEN), -1);
	expect_substr(f->err, "value is too long (max 4095 bytes)");
	v[PATH_MAX - 1] = '\0';
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", v, "t", f->err, ERRLEN), 0);
}

/* The password never appears in any message. */
static void test_password_never_echoed(void **state)
{
	struct fixture *f = *state;
	char v[400];

	assert_int_equal(mk_config_set(&f->c, "proxy", "password", "hunter2\x01", "t", f->err, ERRLEN), -1);
	assert_null(strstr(f->err, "hunter2"));
	memset(v, 'Z', sizeof v - 1);
	v[sizeof v - 1] = '\0';
	memcpy(v, "hunter2", 7);
	assert_int_equal(mk_config_set(&f->c, "proxy", "password", v, "t", f->err, ERRLEN), -1);
	assert_null(strstr(f->err, "hunter2"));
	assert_int_equal(load(f, "[proxy]\nusername = u\npassword = hunter2\n", 0644), -1);
	assert_null(strstr(f->err, "hunter2"));
}

static void test_tilde_expansion(void **state)
{
	struct fixture *f = *state;
	char want[PLEN];

	setenv("HOME", f->dir, 1);
	assert_int_equal(load(f, "[download]\nsave_dir = ~/Downloads/x\n", 0600), 0);
	snprintf(want, sizeof want, "%s/Downloads/x", f->dir);
	assert_string_equal(f->c.save_dir, want);
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "~", "t", f->err, ERRLEN), 0);
	assert_string_equal(f->c.save_dir, f->dir);
	/* only a leading ~ is special */
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "a/~/b", "t", f->err, ERRLEN), 0);
	assert_string_equal(f->c.save_dir, "a/~/b");

	unsetenv("HOME");
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "~/x", "t", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "t: [download] save_dir: cannot expand '~': $HOME is not an absolute path");
	setenv("HOME", "relative", 1);
	assert_int_equal(mk_config_set(&f->c, "download", "save_dir", "~/x", "t", f->err, ERRLEN), -1);
	assert_string_equal(f->c.save_dir, "a/~/b");
}

/* ---------------------------------------------------------------- */
/* Structure errors and libinih corner cases                        */
/* ---------------------------------------------------------------- */

static void test_unknown_section_and_key(void **state)
{
	struct fixture *f = *state;

	expect_load_error(f, "[privcy]\ndht = false\n", 2, "unknown section [privcy]");
	expect_load_error(f, "[privacy]\ndht = false\nDHT = false\n", 3, "unknown key 'DHT' in [privacy]");
	expect_load_error(f, "[proxy]\nhots = 1.2.3.4\n", 2, "unknown key 'hots' in [proxy]");
	expect_load_error(f, "dht = false\n", 1, "key 'dht' is not inside a [section]");
	expect_load_error(f, "[killswatch]\nmax_outage = 30\n", 2, "unknown section [killswatch]");
	assert_int_equal(mk_config_set(&f->c, "proxy", "nope", "1", "--x", f->err, ERRLEN), -1);
	assert_string_equal(f->err, "--x: unknown key 'nope' in [proxy]");
}

static void test_syntax_errors(void **state)
{
	struct fixture *f = *state;
	char want[ERRLEN];

	expect_load_error(f, "[proxy]\nport = 1080\nthis is not ini\n", 3,
			  "syntax error (expected [section] or key = value)");
	expect_load_error(f, "[proxy\nport = 1080\n", 1,
			  "syntax error (expected [section] or key = value)");
	/* the first error wins, whichever kind it is */
	expect_load_error(f, "[proxy]\nport = 0\nrubbish\n", 2,
			  "[proxy] port: '0' is not a port number (1-65535)");
	expect_load_error(f, "[proxy]\nrubbish\nport = 0\n", 2,
			  "syntax error (expected [section] or key = value)");
	/* the message is a single line */
	assert_int_equal(load(f, "[proxy]\nport = 0\nport = abc\n", 0600), -1);
	assert_null(strchr(f->err, '\n'));
	snprintf(want, sizeof want, "%s:2:", f->path);
	assert_int_equal(strncmp(f->err, want, strlen(want)), 0);
}

static void test_inline_comments_and_whitespace(void **state)
{
	struct fixture *f = *state;

	/* " ;" starts an inline comment; '#' only at the start of a line */
	assert_int_equal(load(f, "# hash comment\n  ; indented comment\n\n   \n"
			      "[proxy]   ; section comment\n"
			      "port   =   9050 ; tor\n"
			      "username=ab;cd\n"
			      "password = p@ss ;word\n"
			      "[ui]\nprogress : plain\n", 0600), 0);
	assert_int_equal(f->c.proxy_port, 9050);
	assert_string_equal(f->c.proxy_user, "ab;cd");
	assert_string_equal(f->c.proxy_password, "p@ss");
	assert_int_equal(f->c.progress, MK_PROGRESS_PLAIN);
	/* quotes are literal */
	assert_int_equal(load(f, "[download]\nsave_dir = \"x y\"\n", 0600), 0);
	assert_string_equal(f->c.save_dir, "\"x y\"");
	/* CRLF line endings and a UTF-8 BOM */
	assert_int_equal(load(f, "\xef\xbb\xbf[proxy]\r\nport = 1234\r\n", 0600), 0);
	assert_int_equal(f->c.proxy_port, 1234);
	/* last line without newline */
	assert_int_equal(load(f, "[proxy]\nport = 4321", 0600), 0);
	assert_int_equal(f->c.proxy_port, 4321);
	/* empty file */
	assert_int_equal(load(f, "", 0600), 0);
}

/* inih would take an indented line as a continuation of the previous value. */
static void test_indented_line_rejected(void **state)
{
	struct fixture *f = *state;

	expect_load_error(f, "[proxy]\nusername = alice\n  password = x\n", 3,
			  "indented line: remove the leading whitespace (continuation lines are not supported)");
	expect_load_error(f, "[privacy]\n\tdht = true\n", 2,
			  "indented line: remove the leading whitespace (continuation lines are not supported)");
	assert_string_equal(f->c.proxy_user, "");
}

/* inih would silently split a line longer than its 200-byte buffer. */
static void test_long_line_rejected(void **state)
{
	struct fixture *f = *state;
	char text[600];
	int n;

	n = snprintf(text, sizeof text, "[download]\nsave_dir = /");
	memset(text + n, 'd', 186); /* "save_dir = /" + 186 = 198 characters */
	strcpy(text + n + 186, "\n");
	assert_int_equal(load(f, text, 0600), 0);
	assert_int_equal(strlen(f->c.save_dir), 187);

	mk_config_defaults(&f->c);
	n = snprintf(text, sizeof text, "[download]\nsave_dir = /");
	memset(text + n, 'd', 187); /* 199 characters */
	strcpy(text + n + 187, "\n[proxy]\nport = 1\n");
	expect_load_error(f, text, 2, "line is too long (max 198 characters)");
	assert_string_equal(f->c.save_dir, ".");

	n = snprintf(text, sizeof text, "[download]\n; ");
	memset(text + n, 'c', 400); /* long comments are no exception */
	strcpy(text + n + 400, "\n");
	expect_load_error(f, text, 2, "line is too long (max 198 characters)");
}

static void test_nul_byte_rejected(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "[proxy]\npassword = abc\0def\n";
	char want[ERRLEN];

	write_cfg_n(f, text, sizeof text - 1, 0600);
	assert_int_equal(mk_config_load_file(&f->c, f->path, f->err, ERRLEN), -1);
	snprintf(want, sizeof want, "%s:2: line contains a NUL byte", f->path);
	assert_string_equal(f->err, want);
}

/* ---------------------------------------------------------------- */
/* File access and permissions                                      */
/* ---------------------------------------------------------------- */

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	char path[PLEN], want[ERRLEN];

	snprintf(path, sizeof path, "%s/absent.ini", f->dir);
	assert_int_equal(mk_config_load_file(&f->c, path, f->err, ERRLEN), -1);
	snprintf(want, sizeof want, "cannot read %s: No such file or directory", path);
	assert_string_equal(f->err, want);
}

static void test_not_regular_file(void **state)
{
	struct fixture *f = *state;
	char path[PLEN], want[ERRLEN];

	assert_int_equal(mk_config_load_file(&f->c, f->dir, f->err, ERRLEN), -1);
	snprintf(want, sizeof want, "%s: not a regular file", f->dir);
	assert_string_equal(f->err, want);
	/* a FIFO must be refused, not block waiting for a writer */
	snprintf(path, sizeof path, "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(mk_config_load_file(&f->c, path, f->err, ERRLEN), -1);
	snprintf(want, sizeof want, "%s: not a regular file", path);
	assert_string_equal(f->err, want);
}

static void test_password_file_permissions(void **state)
{
	struct fixture *f = *state;
	const char *text = "[proxy]\nusername = u\npassword = pw\n";
	char want[ERRLEN];

	assert_int_equal(load(f, text, 0644), -1);
	snprintf(want, sizeof want, "%s: contains a proxy password but is readable by others "
		 "(mode 0644); run: chmod 600 %s", f->path, f->path);
	assert_string_equal(f->err, want);
	assert_string_equal(f->c.proxy_password, "");

	assert_int_equal(load(f, text, 0640), -1);
	expect_substr(f->err, "(mode 0640)");
	assert_int_equal(load(f, text, 0604), -1);
	assert_int_equal(load(f, text, 0620), -1);

	assert_int_equal(load(f, text, 0600), 0);
	assert_string_equal(f->c.proxy_password, "pw");
	assert_int_equal(load(f, text, 0400), 0);

	/* no password (or an empty one): 0644 is fine */
	mk_config_defaults(&f->c);
	assert_int_equal(load(f, "[proxy]\nusername = u\n", 0644), 0);
	assert_int_equal(load(f, "[proxy]\npassword =\n", 0644), 0);
	assert_int_equal(load(f, "; password = x\n[proxy]\nport = 9050\n", 0644), 0);
}

static void test_world_writable_refused(void **state)
{
	struct fixture *f = *state;
	char want[ERRLEN];

	assert_int_equal(load(f, "[proxy]\nport = 9050\n", 0666), -1);
	snprintf(want, sizeof want, "%s: is writable by anyone (mode 0666), so any local user "
		 "could change the proxy settings; run: chmod o-w %s", f->path, f->path);
	assert_string_equal(f->err, want);
	assert_int_equal(f->c.proxy_port, 1080);
	/* group-writable is accepted (user-private groups, umask 002) */
	assert_int_equal(load(f, "[proxy]\nport = 9050\n", 0664), 0);
}

/* ---------------------------------------------------------------- */
/* mk_config_find                                                   */
/* ---------------------------------------------------------------- */

static void make_dir(const char *base, const char *sub)
{
	char p[PLEN];

	snprintf(p, sizeof p, "%s/%s", base, sub);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void touch(const char *base, const char *sub, char *out, size_t outlen)
{
	FILE *fp;

	snprintf(out, outlen, "%s/%s", base, sub);
	fp = fopen(out, "w");
	assert_non_null(fp);
	fclose(fp);
}

/* With no user file, the result is the system file if this machine has one. */
static void expect_no_user_file(struct fixture *f)
{
	char out[PLEN];
	struct stat st;
	int rc = mk_config_find(NULL, out, sizeof out, f->err, ERRLEN);

	if (stat("/etc/meerko/meerko.ini", &st) == 0) {
		assert_int_equal(rc, 1);
		assert_string_equal(out, "/etc/meerko/meerko.ini");
	} else {
		assert_int_equal(rc, 0);
	}
}

static void test_find_xdg(void **state)
{
	struct fixture *f = *state;
	char out[PLEN], want[PLEN];

	setenv("HOME", "/nonexistent-home", 1);
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	expect_no_user_file(f);
	make_dir(f->dir, "meerko");
	touch(f->dir, "meerko/meerko.ini", want, sizeof want);
	assert_int_equal(mk_config_find(NULL, out, sizeof out, f->err, ERRLEN), 1);
	assert_string_equal(out, want);
	/* a caller buffer too small is an error, not a truncated path */
	assert_int_equal(mk_config_find(NULL, out, 8, f->err, ERRLEN), -1);
}

static void test_find_home_fallback(void **state)
{
	struct fixture *f = *state;
	char out[PLEN], want[PLEN];

	setenv("HOME", f->dir, 1);
	make_dir(f->dir, ".config");
	make_dir(f->dir, ".config/meerko");
	touch(f->dir, ".config/meerko/meerko.ini", want, sizeof want);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(mk_config_find(NULL, out, sizeof out, f->err, ERRLEN), 1);
	assert_string_equal(out, want);
	/* a relative XDG_CONFIG_HOME is ignored (XDG spec) */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	assert_int_equal(mk_config_find(NULL, out, sizeof out, f->err, ERRLEN), 1);
	assert_string_equal(out, want);
	/* an absolute XDG_CONFIG_HOME replaces ~/.config entirely */
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	expect_no_user_file(f);
	/* neither usable */
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	expect_no_user_file(f);
}

static void test_find_explicit(void **state)
{
	struct fixture *f = *state;
	char out[PLEN], path[PLEN], want[ERRLEN];

	snprintf(path, sizeof path, "%s/missing.ini", f->dir);
	assert_int_equal(mk_config_find(path, out, sizeof out, f->err, ERRLEN), -1);
	snprintf(want, sizeof want, "config file %s: No such file or directory", path);
	assert_string_equal(f->err, want);

	/* explicit wins over XDG, even when XDG has a file */
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	make_dir(f->dir, "meerko");
	touch(f->dir, "meerko/meerko.ini", out, sizeof out);
	touch(f->dir, "mine.ini", path, sizeof path);
	assert_int_equal(mk_config_find(path, out, sizeof out, f->err, ERRLEN), 1);
	assert_string_equal(out, path);
}

/* ---------------------------------------------------------------- */
/* mk_config_validate                                               */
/* ---------------------------------------------------------------- */

static void test_validate(void **state)
{
	struct fixture *f = *state;
	struct mk_config *c = &f->c;

	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), 0);

	c->proxy_type = MK_CFG_PROXY_NONE;
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "no proxy configured and [proxy] required = true");
	expect_substr(f->err, "--proxy");
	c->proxy_required = false;
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), 0);

	/* credentials are pointless (and suspicious) without a proxy */
	strcpy(c->proxy_user, "u");
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "[proxy] username is set but type = none");

	c->proxy_type = MK_CFG_PROXY_SOCKS5;
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), 0);
	strcpy(c->proxy_password, "secretpw");
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), 0);
	c->proxy_user[0] = '\0';
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "[proxy] password is set but username is empty");
	assert_null(strstr(f->err, "secretpw"));
	c->proxy_password[0] = '\0';

	/* written around the setters: still an IP literal, still a port */
	strcpy(c->proxy_host, "proxy.example.com");
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "[proxy] host is not an IP address");
	strcpy(c->proxy_host, "::1");
	c->proxy_port = 0;
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "[proxy] port is not set");
	c->proxy_port = 1;
	memset(c->proxy_user, 'x', sizeof c->proxy_user);
	assert_int_equal(mk_config_validate(c, f->err, ERRLEN), -1);
	expect_substr(f->err, "unterminated");
}

/* A file full of errors leaves the config exactly as it was. */
static void test_load_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct mk_config before = f->c;

	assert_int_equal(load(f, "[proxy]\nport = 9050\nusername = u\n[privacy]\ndht = perhaps\n", 0600), -1);
	assert_same_config(&before, &f->c);
	/* values from an earlier source survive keys the file does not set */
	f->c.max_up_kib = 77;
	assert_int_equal(load(f, "[proxy]\nport = 9050\n", 0600), 0);
	assert_int_equal(f->c.max_up_kib, 77);
	assert_int_equal(f->c.proxy_port, 9050);
}

/* ---------------------------------------------------------------- */
/* meerko.ini.example stays in step with the key table             */
/* ---------------------------------------------------------------- */

#define EXAMPLE MEERKO_SOURCE_DIR "/meerko.ini.example"
#define MAX_SEEN 64

struct seen {
	char key[MAX_SEEN][96];
	size_t n;
	struct mk_config cfg;
	char err[ERRLEN];
	int bad;
};

static int record_key(void *user, const char *section, const char *name, const char *value)
{
	struct seen *s = user;

	if (s->n < MAX_SEEN)
		snprintf(s->key[s->n++], sizeof s->key[0], "%s.%s", section, name);
	if (mk_config_set(&s->cfg, section, name, value, "example", s->err, sizeof s->err) != 0)
		s->bad++;
	return 1;
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

/* Commented-out settings are written ";key = value" (no space after ';'),
 * prose comments "; text": activate only the former. */
static void uncomment_settings(char *text)
{
	char *line = text;

	while (line != NULL) {
		/* shift left, not blank out: libinih would take an indented
		 * line as a continuation of the previous key */
		if (line[0] == ';' && line[1] >= 'a' && line[1] <= 'z')
			memmove(line, line + 1, strlen(line));
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

/* Active lines must load and be exactly the defaults. */

/* ---------------------------------------------------------------- */
/* [rpc]: the daemon's Transmission RPC                             */
/* ---------------------------------------------------------------- */

static void rpc_defaults_listen_on_loopback_9091_with_a_12_mib_body(void **state)
{
	struct fixture *f = *state;
	struct mk_rpc_settings r;

	assert_string_equal(f->c.rpc_listen, "127.0.0.1:9091");
	assert_false(f->c.rpc_allow_remote);
	assert_int_equal(f->c.rpc_max_body_mib, 12);
	assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), 0);
	/* no credentials: a daemon refuses to serve (no localhost bypass) */
	assert_int_equal(mk_rpc_resolve(&f->c, &r, f->err, sizeof f->err), -1);
	expect_substr(f->err, "needs [rpc] username and [rpc] password");
	assert_int_equal(load(f, "[rpc]\nusername = u\npassword = p\n", 0600), 0);
	assert_int_equal(mk_rpc_resolve(&f->c, &r, f->err, sizeof f->err), 0);
	assert_false(r.listen.is_unix);
	assert_true(r.listen.loopback);
	assert_int_equal(r.listen.addr.ss_family, AF_INET);
	assert_int_equal(r.max_body, 12u << 20);
	assert_int_equal(r.n_hosts, 2);
	assert_string_equal(r.hosts[0], "127.0.0.1");
	assert_string_equal(r.hosts[1], "localhost");
	assert_string_equal(r.username, "u");
}

/* A listen address reachable from the network, without saying so: refused
 * by validation (one line, exit 2 in main.c), in every mode. */
static void rpc_non_loopback_listen_is_refused_without_allow_remote(void **state)
{
	struct fixture *f = *state;
	const char *remote[] = { "192.0.2.7:9091", "[2001:db8::1]:9091", "[::ffff:10.0.0.1]:9091" };

	for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++) {
		mk_config_defaults(&f->c);
		assert_int_equal(mk_config_set(&f->c, "rpc", "listen", remote[i], "t", f->err, sizeof f->err), 0);
		assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), -1);
		expect_substr(f->err, "is not a loopback address");
		expect_substr(f->err, "allow_remote = true");
		assert_null(strchr(f->err, '\n'));
		assert_int_equal(mk_config_set(&f->c, "rpc", "allow_remote", "true", "t", f->err, sizeof f->err), 0);
		assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), 0);
	}
	/* 127.0.0.0/8, ::1 and v4-mapped loopback need nothing */
	const char *local[] = { "127.0.0.2:1", "[::1]:9091", "[::ffff:127.0.0.1]:9091" };
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
		mk_config_defaults(&f->c);
		assert_int_equal(mk_config_set(&f->c, "rpc", "listen", local[i], "t", f->err, sizeof f->err), 0);
		assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), 0);
	}
}

/* 0.0.0.0 has no name a browser would send: the default allowlist would
 * be useless, so an explicit one is required. */
static void rpc_wildcard_listen_needs_an_explicit_host_allowlist(void **state)
{
	struct fixture *f = *state;
	struct mk_rpc_settings r;

	assert_int_equal(load(f, "[rpc]\nlisten = 0.0.0.0:9091\nallow_remote = true\n"
			      "username = u\npassword = p\n", 0600), 0);
	assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), -1);
	expect_substr(f->err, "set [rpc] host_allowlist");
	assert_int_equal(mk_config_set(&f->c, "rpc", "host_allowlist", "seedbox.lan,192.0.2.7", "t",
				       f->err, sizeof f->err), 0);
	assert_int_equal(mk_rpc_resolve(&f->c, &r, f->err, sizeof f->err), 0);
	assert_int_equal(r.n_hosts, 2);
	assert_string_equal(r.hosts[0], "seedbox.lan");
	assert_string_equal(r.hosts[1], "192.0.2.7");
}

static void rpc_unix_socket_path_allows_localhost_only(void **state)
{
	struct fixture *f = *state;
	struct mk_rpc_settings r;

	assert_int_equal(load(f, "[rpc]\nlisten = /run/meerko/rpc.sock\nusername = u\npassword = p\n", 0600), 0);
	assert_int_equal(mk_rpc_resolve(&f->c, &r, f->err, sizeof f->err), 0);
	assert_true(r.listen.is_unix);
	assert_string_equal(r.listen.path, "/run/meerko/rpc.sock");
	assert_int_equal(r.n_hosts, 1);
	assert_string_equal(r.hosts[0], "localhost");
}

static void rpc_bad_listen_and_allowlist_values_name_the_key(void **state)
{
	struct fixture *f = *state;
	const char *bad_listen[] = { "localhost:9091", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
				     "127.0.0.1:09", "::1:9091", "[127.0.0.1]:9091", "relative/sock",
				     "/dir/", "[::1]9091", "" };
	for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
		assert_int_equal(mk_config_set(&f->c, "rpc", "listen", bad_listen[i], "t", f->err, sizeof f->err), -1);
		expect_substr(f->err, "t: [rpc] listen: ");
	}
	char longpath[200];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	assert_int_equal(mk_config_set(&f->c, "rpc", "listen", longpath, "t", f->err, sizeof f->err), -1);
	const char *bad_hosts[] = { "a,,b", "a,", "host:9091x y", "evil.com/x", "[::1]",
				    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17" };
	for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
		assert_int_equal(mk_config_set(&f->c, "rpc", "host_allowlist", bad_hosts[i], "t",
					       f->err, sizeof f->err), -1);
		expect_substr(f->err, "t: [rpc] host_allowlist: ");
	}
	assert_int_equal(mk_config_set(&f->c, "rpc", "max_body", "65", "t", f->err, sizeof f->err), -1);
	assert_int_equal(mk_config_set(&f->c, "rpc", "max_body", "0", "t", f->err, sizeof f->err), -1);
	assert_int_equal(mk_config_set(&f->c, "rpc", "max_body", "64", "t", f->err, sizeof f->err), 0);
	assert_string_equal(f->c.rpc_listen, "127.0.0.1:9091"); /* unchanged by the failures */
}

/* An RPC password in a file others can read: refused like a proxy one. */
static void rpc_password_in_a_readable_file_is_refused(void **state)
{
	struct fixture *f = *state;
	char want[ERRLEN];

	assert_int_equal(load(f, "[rpc]\nusername = u\npassword = pw\n", 0644), -1);
	snprintf(want, sizeof want, "%s: contains an RPC password but is readable by others "
		 "(mode 0644); run: chmod 600 %s", f->path, f->path);
	assert_string_equal(f->err, want);
	assert_string_equal(f->c.rpc_password, "");
	assert_int_equal(load(f, "[rpc]\nusername = u\npassword = pw\n", 0600), 0);
	assert_string_equal(f->c.rpc_password, "pw");
	mk_config_defaults(&f->c);
	assert_int_equal(mk_config_set(&f->c, "rpc", "password", "pw", "t", f->err, sizeof f->err), 0);
	assert_int_equal(mk_config_validate(&f->c, f->err, sizeof f->err), -1);
	expect_substr(f->err, "[rpc] password is set but username is empty");
}

static void rpc_password_file_follows_the_proxy_rules(void **state)
{
	struct fixture *f = *state;
	char cfg[ERRLEN], pwpath[PLEN];

	write_cfg(f, "s3cret\nignored\n", 0644);
	snprintf(pwpath, sizeof pwpath, "%s", f->path);
	snprintf(cfg, sizeof cfg, "[rpc]\nusername = u\npassword_file = %s\n", pwpath);
	assert_int_equal(load(f, cfg, 0644), 0); /* the config itself holds no password */
	assert_int_equal(mk_config_read_password_file(&f->c, f->err, sizeof f->err), -1);
	expect_substr(f->err, "[rpc] password_file ");
	expect_substr(f->err, "group/others; run: chmod 600 ");
	assert_int_equal(chmod(pwpath, 0600), 0);
	assert_int_equal(mk_config_read_password_file(&f->c, f->err, sizeof f->err), 0);
	assert_string_equal(f->c.rpc_password, "s3cret");
	assert_string_equal(f->c.proxy_password, "");
	/* both ways at once: refused */
	assert_int_equal(mk_config_read_password_file(&f->c, f->err, sizeof f->err), -1);
	expect_substr(f->err, "[rpc] password_file and a password ([rpc] password) are both set");
}

static void test_example_loads_as_defaults(void **state)
{
	struct fixture *f = *state;
	struct mk_config d;

	assert_int_equal(mk_config_load_file(&f->c, EXAMPLE, f->err, ERRLEN), 0);
	mk_config_defaults(&d);
	snprintf(d.source, sizeof d.source, "%s", EXAMPLE);
	assert_same_config(&d, &f->c);
}

/* Every key in the table is documented (active or ";key = value"), every
 * documented key is a real key with a valid example value. */
static void test_example_documents_every_key(void **state)
{
	struct seen *s = calloc(1, sizeof *s);
	char *text = read_all(EXAMPLE);
	const char *sec, *name;
	char want[96];
	size_t i, j;

	(void)state;
	assert_non_null(s);
	mk_config_defaults(&s->cfg);
	uncomment_settings(text);
	assert_int_equal(ini_parse_string(text, record_key, s), 0);
	if (s->bad)
		fail_msg("example has %d bad setting(s), last: %s", s->bad, s->err);
	assert_true(s->n < MAX_SEEN);
	for (i = 0; i < mk_config_key_count(); i++) {
		bool found = false;

		assert_int_equal(mk_config_key_at(i, &sec, &name), 0);
		snprintf(want, sizeof want, "%s.%s", sec, name);
		for (j = 0; j < s->n && !found; j++)
			found = strcmp(s->key[j], want) == 0;
		if (!found)
			fail_msg("meerko.ini.example does not document [%s] %s", sec, name);
	}
	assert_int_equal(mk_config_key_at(mk_config_key_count(), &sec, &name), -1);
	/* username and password are documented but commented out */
	assert_string_equal(s->cfg.proxy_user, "meerko");
	assert_true(s->cfg.proxy_password[0] != '\0');
	free(text);
	free(s);
}

/* In the man page, is `name` a key (a word on the line after a .TP) inside
 * the ".SS [section]" block? */
static bool manpage_has_key(const char *text, const char *section, const char *name)
{
	char head[80];
	snprintf(head, sizeof head, "\n.SS [%s]\n", section);
	const char *p = strstr(text, head);
	if (!p)
		return false;
	p += strlen(head);
	const char *end = strstr(p, "\n.S"); /* next .SS or .SH */
	size_t nlen = strlen(name);
	while ((p = strstr(p, ".TP\n")) && (!end || p < end)) {
		p += 4;
		const char *eol = strchr(p, '\n');
		if (!eol || strncmp(p, ".B", 2) != 0)
			continue;
		for (const char *q = p + 2; q + nlen <= eol; q++)
			if (strncmp(q, name, nlen) == 0 && (q[-1] == ' ' || q[-1] == '"') &&
			    (q[nlen] == ' ' || q[nlen] == '\n' || q[nlen] == '"'))
				return true;
	}
	return false;
}

/* docs/meerko.ini.5 documents every key, in the right section. */
static void test_manpage_documents_every_key(void **state)
{
	char *text = read_all(MEERKO_SOURCE_DIR "/docs/meerko.ini.5");
	const char *sec, *name;

	(void)state;
	for (size_t i = 0; i < mk_config_key_count(); i++) {
		assert_int_equal(mk_config_key_at(i, &sec, &name), 0);
		if (!manpage_has_key(text, sec, name))
			fail_msg("docs/meerko.ini.5 does not document [%s] %s", sec, name);
	}
	assert_false(manpage_has_key(text, "proxy", "no_such_key"));
	free(text);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults_are_privacy_safe),
		T(test_every_key_from_file),
		T(test_bool_spellings),
		T(test_last_duplicate_wins),
		T(test_bad_values_in_file),
		T(test_bad_values_via_set),
		T(test_cli_prefix),
		T(test_proxy_flag_socks5h_is_socks5),
		T(test_proxy_flag_unbracketed_ipv6_refused),
		T(test_proxy_flag_hostname_message_fits_the_flag),
		T(test_message_canonical_form),
		T(test_hostname_rejected_ips_accepted),
		T(test_dht_bootstrap),
		T(test_control_char_rejected),
		T(test_echo_is_sanitized),
		T(test_overlong_values_rejected),
		T(test_password_never_echoed),
		T(test_tilde_expansion),
		T(test_unknown_section_and_key),
		T(test_syntax_errors),
		T(test_inline_comments_and_whitespace),
		T(test_indented_line_rejected),
		T(test_long_line_rejected),
		T(test_nul_byte_rejected),
		T(test_missing_file),
		T(test_not_regular_file),
		T(test_password_file_permissions),
		T(test_world_writable_refused),
		T(test_find_xdg),
		T(test_find_home_fallback),
		T(test_find_explicit),
		T(test_validate),
		T(test_load_is_all_or_nothing),
		T(test_example_loads_as_defaults),
		T(rpc_defaults_listen_on_loopback_9091_with_a_12_mib_body),
		T(rpc_non_loopback_listen_is_refused_without_allow_remote),
		T(rpc_wildcard_listen_needs_an_explicit_host_allowlist),
		T(rpc_unix_socket_path_allows_localhost_only),
		T(rpc_bad_listen_and_allowlist_values_name_the_key),
		T(rpc_password_in_a_readable_file_is_refused),
		T(rpc_password_file_follows_the_proxy_rules),
		T(test_example_documents_every_key),
		T(test_manpage_documents_every_key),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
