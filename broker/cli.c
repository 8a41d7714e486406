/*
 * cli.c - parsing meerko-secure's arguments with getopt_long.
 *
 * Contract: see cli.h. Pure parsing: values are checked when applied, by the
 * same code that checks meerko.ini (config.c), so the two cannot disagree.
 * An option that sets one config key is that key's flag column in config.c;
 * cli_opts[] below holds only the rest, and getopt's tables and the usage
 * are generated from both. The proxy password is deliberately not a flag
 * (it would show in ps); it comes from meerko.ini or $MEERKO_PROXY_PASSWORD.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "filespec.h"
#include "sanitize.h"

/* One of cli.c's own options: its flag and the struct mk_cli field it sets
 * (const char * for an option with a value, bool for a switch; checked at
 * compile time like config.c's rows). */
struct cli_opt {
	struct mk_config_flag flag;
	size_t offset;
};

#define CLI_MEMBER(m) (((struct mk_cli *)0)->m)
#define OPT(name, letter, metavar, m, help) \
	{ { name, letter, metavar, help }, _Generic(CLI_MEMBER(m), const char *: offsetof(struct mk_cli, m)) }
#define OPT_SWITCH(name, letter, m, help) \
	{ { name, letter, NULL, help }, _Generic(CLI_MEMBER(m), bool: offsetof(struct mk_cli, m)) }
/* The config keys' flags (config.c's flag column), in key-table order. */
#define CONFIG_KEY_FLAGS { { NULL, 0, NULL, NULL }, 0 }

/* The options that are not config keys, in usage order. */
static const struct cli_opt cli_opts[] = {
	OPT("config", 'c', "FILE", config_path,
	    "configuration file (default: $XDG_CONFIG_HOME/meerko/meerko.ini,\n"
	    "then /etc/meerko/meerko.ini)"),
	OPT("proxy", 0, "IP:PORT", proxy, "SOCKS5 proxy, e.g. 127.0.0.1:1080 or socks5://[::1]:1080\n"
	    "(socks5h:// too: names are always resolved by the proxy)"),
	OPT_SWITCH("no-proxy", 0, no_proxy, "connect directly (refused unless [proxy] required = false)"),
	CONFIG_KEY_FLAGS,
	OPT_SWITCH("list", 0, list, "print each torrent's files (index, size, path) and exit;\n"
		   "a magnet's metadata is fetched, no payload"),
	OPT("files", 0, "SPEC", files, "download only these files: indexes, ranges, globs,\n"
	    "comma-separated, e.g. 0,2-4,'*.iso' (see --list);\n"
	    "one torrent only (refused with several inputs)"),
	OPT_SWITCH("sandbox-check", 0, sandbox_check, "report each sandbox layer and exit"),
	OPT_SWITCH("json", 0, json, "JSON lines on stdout (status ticks and events, see\n"
		   "docs/json.md) instead of human progress"),
	OPT_SWITCH("help", 'h', help, "this help"),
	OPT_SWITCH("version", 'V', version, "version"),
};

#define N_CLI_OPTS (sizeof cli_opts / sizeof cli_opts[0])
#define MAX_OPTIONS (N_CLI_OPTS + MK_CONFIG_MAX_KEYS)
#define OPT_VAL_BASE 256 /* getopt value of option row i without a letter: base + i */

/* One accepted option: its flag, and what it sets. */
struct opt_row {
	const struct mk_config_flag *flag;
	const struct cli_opt *own; /* NULL: a config key's flag */
	size_t key;                /* that key's index (config_keys.h) */
};

/* Every option, in usage order; returns how many (at most MAX_OPTIONS). */
static size_t option_rows(struct opt_row rows[MAX_OPTIONS])
{
	size_t n = 0;
	for (size_t i = 0; i < N_CLI_OPTS; i++) {
		if (cli_opts[i].flag.name) {
			rows[n++] = (struct opt_row){ &cli_opts[i].flag, &cli_opts[i], 0 };
			continue;
		}
		for (size_t k = 0; k < mk_config_key_count(); k++)
			if (mk_config_key_flag(k))
				rows[n++] = (struct opt_row){ mk_config_key_flag(k), NULL, k };
	}
	return n;
}

size_t mk_cli_options(const struct mk_config_flag **out, size_t cap)
{
	struct opt_row rows[MAX_OPTIONS];
	size_t n = option_rows(rows);
	for (size_t i = 0; i < n && i < cap; i++)
		out[i] = rows[i].flag;
	return n;
}

/* "  -o, --output DIR       save directory ...": the help text from column
 * 25 (or two spaces after a longer option), continuation lines indented. */
static void usage_line(FILE *out, const struct mk_config_flag *f)
{
	char left[96];
	snprintf(left, sizeof left, "  %s%c%s--%s%s%s", f->letter ? "-" : " ", f->letter ? f->letter : ' ',
		 f->letter ? ", " : "  ", f->name, f->metavar ? " " : "", f->metavar ? f->metavar : "");
	fprintf(out, "%-23s  ", left);
	for (const char *p = f->help; *p; p++) {
		if (*p == '\n')
			fputs("\n                         ", out);
		else
			fputc(*p, out);
	}
	fputc('\n', out);
}

void mk_cli_usage(FILE *out)
{
	struct opt_row rows[MAX_OPTIONS];
	size_t n = option_rows(rows);
	fputs("usage: meerko-secure [options] FILE.torrent|MAGNET...\n"
	      "Download torrents (up to 16 at once) with every byte through a SOCKS5 proxy,\n"
	      "from a sandbox.\n\n", out);
	for (size_t i = 0; i < n; i++)
		usage_line(out, rows[i].flag);
	fputs("\n"
	      "Exit codes: 0 done, 1 internal error, 2 usage/config (also --files not fitting\n"
	      "the torrent), 3 bad torrent or magnet,\n"
	      "4 proxy unreachable/refused, 5 disk or save dir, 6 sandbox unavailable,\n"
	      "7 engine or proxy relay failure or confinement violation, 8 proxy outage too long,\n"
	      "9 no metadata for a magnet in time, 10 the swarm sees a wrong exit address\n"
	      "([killswitch] on_exit_mismatch = exit), 11 stalled (--stall-timeout),\n"
	      "12 the same torrent already running into the same dir, 130 interrupted, 143 terminated.\n"
	      "Several torrents: 0 only when all completed, else the first failure's code.\n\n"
	      "Getting started: Meerko needs a SOCKS5 proxy (tor: 127.0.0.1:9050; ssh -D 1080 HOST:\n"
	      "127.0.0.1:1080; a VPN provider's SOCKS5 server). Without --proxy or a config file\n"
	      "it uses 127.0.0.1:1080. Give yours once on the command line:\n"
	      "  meerko-secure --proxy 127.0.0.1:9050 -o ~/Downloads FILE.torrent\n"
	      "or for good in ~/.config/meerko/meerko.ini (every key: meerko.ini(5),\n"
	      "meerko.ini.example):\n"
	      "  [proxy]\n"
	      "  host = 127.0.0.1\n"
	      "  port = 9050\n", out);
}

/* getopt_long's tables from the rows: a letter is its own value, a long
 * option without one gets OPT_VAL_BASE + its row. "+:": stop at the first
 * input, and report a missing value as ':' (not as an unknown option). */
static void getopt_tables(const struct opt_row *rows, size_t n, struct option *longs, char *shorts)
{
	size_t s = 0;
	shorts[s++] = '+';
	shorts[s++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct mk_config_flag *f = rows[i].flag;
		int has_arg = f->metavar ? required_argument : no_argument;
		longs[i] = (struct option){ f->name, has_arg, NULL, f->letter ? f->letter : OPT_VAL_BASE + (int)i };
		if (f->letter) {
			shorts[s++] = f->letter;
			if (has_arg == required_argument)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[s] = '\0';
}

/* The row getopt's value opt stands for, or NULL. */
static const struct opt_row *row_of(const struct opt_row *rows, size_t n, int opt)
{
	if (opt >= OPT_VAL_BASE)
		return (size_t)(opt - OPT_VAL_BASE) < n ? &rows[opt - OPT_VAL_BASE] : NULL;
	for (size_t i = 0; i < n; i++)
		if (rows[i].flag->letter && rows[i].flag->letter == opt)
			return &rows[i];
	return NULL;
}

static void set_opt(struct mk_cli *cli, const struct opt_row *r, const char *arg)
{
	if (!r->own)
		cli->key_value[r->key] = r->flag->metavar ? arg : "true";
	else if (r->flag->metavar)
		*(const char **)((char *)cli + r->own->offset) = arg;
	else
		*(bool *)((char *)cli + r->own->offset) = true;
}

/* "--max-down: needs a value (see --help)"; in a cluster like "-Xh" optind
 * still points past the previous argument: name the short option itself. */
static void option_error(int opt, int argc, char **argv, char *err, size_t errlen)
{
	const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	char shortopt[3] = { '-', (char)optopt, '\0' };
	if (optopt > 0x20 && optopt < 0x7f && strncmp(bad, "--", 2) != 0)
		bad = shortopt;
	char shown[128];
	mk_sanitize(bad, strlen(bad), shown, sizeof shown);
	snprintf(err, errlen, "%s: %s (see --help)", shown,
		 opt == ':' ? "needs a value" : "unknown option or missing value");
}

static int parse_options(struct mk_cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	struct opt_row rows[MAX_OPTIONS];
	struct option longs[MAX_OPTIONS + 1];
	char shorts[3 + 2 * MAX_OPTIONS];
	size_t n = option_rows(rows);
	getopt_tables(rows, n, longs, shorts);
	opterr = 0;
	optind = 0; /* glibc: 0 (not 1) also drops the position it kept inside the last argv */
	int opt;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_row *r = opt == '?' || opt == ':' ? NULL : row_of(rows, n, opt);
		if (!r) {
			option_error(opt, argc, argv, err, errlen);
			return -1;
		}
		set_opt(cli, r, optarg);
	}
	return 0;
}

int mk_cli_parse(struct mk_cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	memset(cli, 0, sizeof *cli);
	if (parse_options(cli, argc, argv, err, errlen) != 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		if (cli->n_inputs == MK_CLI_MAX_INPUTS) {
			snprintf(err, errlen, "too many torrents (at most %d)", MK_CLI_MAX_INPUTS);
			return -1;
		}
		cli->inputs[cli->n_inputs++] = argv[i];
	}
	if (cli->help || cli->version || cli->sandbox_check)
		return 0;
	if (cli->n_inputs == 0) {
		snprintf(err, errlen, "no torrent given: meerko-secure [options] FILE.torrent|MAGNET");
		return -1;
	}
	if (cli->no_proxy && cli->proxy) {
		snprintf(err, errlen, "--proxy and --no-proxy contradict each other");
		return -1;
	}
	if (cli->files && cli->n_inputs > 1) {
		/* Indexes and globs name one torrent's files: never guess which. */
		snprintf(err, errlen, "--files selects the files of one torrent: give one input (got %zu)",
			 cli->n_inputs);
		return -1;
	}
	return 0;
}

/* "[::1]:1080" -> host "::1"; "::1:1080" is refused: whether the last group
 * is a port or part of the address is a guess (an address that ends in
 * ":1080" is valid IPv6), and a wrong guess sends everything elsewhere. */
int mk_cli_split_proxy(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		       char *err, size_t errlen)
{
	const char *p = s;
	char shown[128];
	mk_sanitize(s, strlen(s), shown, sizeof shown);
	/* socks5h:// (curl's "the proxy resolves names") is what Meerko always does */
	if (strncmp(p, "socks5://", 9) == 0)
		p += 9;
	else if (strncmp(p, "socks5h://", 10) == 0)
		p += 10;
	else if (strstr(p, "://")) {
		snprintf(err, errlen, "--proxy: only socks5:// (or socks5h://) proxies are supported");
		return -1;
	}
	const char *colon;
	const char *h = p;
	size_t hlen;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			goto bad;
		h = p + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			goto bad;
		hlen = (size_t)(colon - p);
		if (memchr(p, ':', hlen)) {
			snprintf(err, errlen, "--proxy: '%s': an IPv6 address with a port needs brackets, "
				 "e.g. [::1]:1080", shown);
			return -1;
		}
	}
	if (hlen == 0 || hlen >= hostlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, colon + 1);
	return 0;
bad:
	snprintf(err, errlen, "--proxy: '%s' is not IP:PORT (e.g. 127.0.0.1:1080 or [::1]:1080)", shown);
	return -1;
}

/* The flag's own words: [proxy] host's message speaks ini ("IPv6 without
 * brackets"), which is wrong for --proxy, where IPv6 takes brackets. */
static int proxy_host_is_ip(const char *host, const char *arg, char *err, size_t errlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char shown[128];
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return 1;
	mk_sanitize(arg, strlen(arg), shown, sizeof shown);
	snprintf(err, errlen, "--proxy: '%s' is not an IP address and port: give the proxy as IP:PORT "
		 "(e.g. 127.0.0.1:1080 or [::1]:1080) so that no DNS lookup leaves the machine", shown);
	return 0;
}

/* --proxy: [proxy] type, host and port from one IP:PORT; --no-proxy: type none. */
static int apply_proxy(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
{
	if (cli->proxy) {
		char host[MK_CFG_STR], port[16];
		if (mk_cli_split_proxy(cli->proxy, host, sizeof host, port, sizeof port, err, errlen) != 0 ||
		    !proxy_host_is_ip(host, cli->proxy, err, errlen) ||
		    mk_config_set(c, "proxy", "type", "socks5", "--proxy", err, errlen) != 0 ||
		    mk_config_set(c, "proxy", "host", host, "--proxy", err, errlen) != 0 ||
		    mk_config_set(c, "proxy", "port", port, "--proxy", err, errlen) != 0)
			return -1;
	}
	if (cli->no_proxy && mk_config_set(c, "proxy", "type", "none", "--no-proxy", err, errlen) != 0)
		return -1;
	return 0;
}

/* Each config key's flag that was given, as "--NAME: [section] key: ..." on error. */
static int apply_key_flags(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
{
	for (size_t k = 0; k < mk_config_key_count(); k++) {
		const char *sec, *name;
		char where[64];
		if (!cli->key_value[k] || mk_config_key_at(k, &sec, &name) != 0)
			continue;
		snprintf(where, sizeof where, "--%s", mk_config_key_flag(k)->name);
		if (mk_config_set(c, sec, name, cli->key_value[k], where, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* --list and --files: run options, never keys. */
static int apply_run_options(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
{
	struct mk_filespec fs;
	c->list_only = cli->list;
	if (cli->list)
		c->progress = MK_PROGRESS_NONE; /* stdout is the list alone */
	if (!cli->files)
		return 0;
	/* Checked now, so a typo fails before anything starts. */
	if (mk_filespec_parse(&fs, cli->files, err, errlen) != 0)
		return -1;
	snprintf(c->files_spec, sizeof c->files_spec, "%s", cli->files);
	return 0;
}

int mk_cli_apply(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
{
	const char *pw = mk_secret_proxy_env(); /* taken out of the environment by main */
	if (apply_proxy(cli, c, err, errlen) != 0 || apply_key_flags(cli, c, err, errlen) != 0)
		return -1;
	if (pw && *pw && mk_config_set(c, "proxy", "password", pw, "$MEERKO_PROXY_PASSWORD", err, errlen) != 0)
		return -1;
	return apply_run_options(cli, c, err, errlen);
}
