/*
 * cli.c - parsing meerko-secure's arguments with getopt_long.
 *
 * Contract: see cli.h. Pure parsing: values are checked when applied, by the
 * same code that checks meerko.ini (config.c), so the two cannot disagree.
 * The proxy password is deliberately not a flag (it would show in ps);
 * it comes from meerko.ini or $MEERKO_PROXY_PASSWORD.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "secret.h"
#include "filespec.h"
#include "sanitize.h"

enum { OPT_PROXY = 256, OPT_PROXY_USER, OPT_NO_PROXY, OPT_PROGRESS, OPT_MAX_DOWN,
       OPT_MAX_UP, OPT_SANDBOX, OPT_SANDBOX_CHECK, OPT_JSON = 400, OPT_METADATA_TIMEOUT };
/* --list, --files, --sequential, limits and seeding (numbered apart). */
enum { OPT_LIST = 300, OPT_FILES, OPT_SEQUENTIAL, OPT_MAX_CONN, OPT_SEED_RATIO, OPT_SEED_TIME,
       OPT_MAX_CONN_TORRENT };
enum { OPT_STALL_TIMEOUT = 500 }; /* stall.h */
enum { OPT_VERIFY = 520 };        /* hash every piece, trust no saved state */

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "proxy-user", required_argument, NULL, OPT_PROXY_USER },
	{ "no-proxy", no_argument, NULL, OPT_NO_PROXY },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "max-down", required_argument, NULL, OPT_MAX_DOWN },
	{ "max-up", required_argument, NULL, OPT_MAX_UP },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "sandbox-check", no_argument, NULL, OPT_SANDBOX_CHECK },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "files", required_argument, NULL, OPT_FILES },
	{ "sequential", no_argument, NULL, OPT_SEQUENTIAL },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "max-connections-per-torrent", required_argument, NULL, OPT_MAX_CONN_TORRENT },
	{ "seed-ratio", required_argument, NULL, OPT_SEED_RATIO },
	{ "seed-time", required_argument, NULL, OPT_SEED_TIME },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "metadata-timeout", required_argument, NULL, OPT_METADATA_TIMEOUT },
	{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void mk_cli_usage(FILE *out)
{
	fputs("usage: meerko-secure [options] FILE.torrent|MAGNET...\n"
	      "Download torrents (up to 16 at once) with every byte through a SOCKS5 proxy,\n"
	      "from a sandbox.\n\n"
	      "  -c, --config FILE      configuration file (default: $XDG_CONFIG_HOME/meerko/meerko.ini,\n"
	      "                         then /etc/meerko/meerko.ini)\n"
	      "  -o, --output DIR       save directory (default: [download] save_dir, else .)\n"
	      "      --proxy IP:PORT    SOCKS5 proxy, e.g. 127.0.0.1:1080 or socks5://[::1]:1080\n"
	      "                         (socks5h:// too: names are always resolved by the proxy)\n"
	      "      --proxy-user USER  proxy username; the password is read from meerko.ini\n"
	      "                         or $MEERKO_PROXY_PASSWORD, never from the command line\n"
	      "      --no-proxy         connect directly (refused unless [proxy] required = false)\n"
	      "      --progress MODE    auto | tty | plain | none\n"
	      "      --max-down KIB     download limit in KiB/s (0 = unlimited)\n"
	      "      --max-up KIB       upload limit in KiB/s (0 = unlimited)\n"
	      "      --max-connections N  peer connections in all (0 = libtorrent's 200)\n"
	      "      --max-connections-per-torrent N  ... per torrent (0 = no own limit)\n"
	      "      --list             print each torrent's files (index, size, path) and exit;\n"
	      "                         a magnet's metadata is fetched, no payload\n"
	      "      --files SPEC       download only these files: indexes, ranges, globs,\n"
	      "                         comma-separated, e.g. 0,2-4,'*.iso' (see --list);\n"
	      "                         one torrent only (refused with several inputs)\n"
	      "      --sequential       download pieces in order\n"
	      "      --verify           hash every piece on disk before downloading or calling it done\n"
	      "                         (saved state is not trusted; catches files changed at the same size)\n"
	      "      --seed-ratio R     after the download, seed until uploaded/size >= R\n"
	      "      --seed-time MIN    ... or for MIN minutes, whichever first (default: no seeding)\n"
	      "      --sandbox MODE     required | off\n"
	      "      --sandbox-check    report each sandbox layer and exit\n"
	      "      --json             JSON lines on stdout (status ticks and events, see\n"
	      "                         docs/json.md) instead of human progress\n"
	      "      --metadata-timeout SEC  give up on a magnet whose metadata has not\n"
	      "                         arrived after SEC seconds (default 120, 0 = never)\n"
	      "      --stall-timeout SEC  give up on a torrent that got no data for SEC\n"
	      "                         seconds (exit 11; default 0 = never; it is explained\n"
	      "                         after [ui] stall_notice = 60 s either way)\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          version\n\n"
	      "Exit codes: 0 done, 1 internal error, 2 usage/config (also --files not fitting\n"
	      "the torrent), 3 bad torrent or magnet,\n"
	      "4 proxy unreachable/refused, 5 disk or save dir, 6 sandbox unavailable,\n"
	      "7 engine failure or confinement violation, 8 proxy outage too long,\n"
	      "9 no metadata for a magnet in time, 11 stalled (--stall-timeout),\n"
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

static int set_opt(struct mk_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'c': cli->config_path = arg; break;
	case 'o': cli->output_dir = arg; break;
	case OPT_PROXY: cli->proxy = arg; break;
	case OPT_PROXY_USER: cli->proxy_user = arg; break;
	case OPT_NO_PROXY: cli->no_proxy = true; break;
	case OPT_PROGRESS: cli->progress = arg; break;
	case OPT_MAX_DOWN: cli->max_down = arg; break;
	case OPT_MAX_UP: cli->max_up = arg; break;
	case OPT_SANDBOX: cli->sandbox = arg; break;
	case OPT_SANDBOX_CHECK: cli->sandbox_check = true; break;
	case OPT_LIST: cli->list = true; break;
	case OPT_FILES: cli->files = arg; break;
	case OPT_SEQUENTIAL: cli->sequential = true; break;
	case OPT_VERIFY: cli->verify = true; break;
	case OPT_MAX_CONN: cli->max_connections = arg; break;
	case OPT_MAX_CONN_TORRENT: cli->max_conn_torrent = arg; break;
	case OPT_SEED_RATIO: cli->seed_ratio = arg; break;
	case OPT_SEED_TIME: cli->seed_time = arg; break;
	case OPT_JSON: cli->json = true; break;
	case OPT_METADATA_TIMEOUT: cli->metadata_timeout = arg; break;
	case OPT_STALL_TIMEOUT: cli->stall_timeout = arg; break;
	case 'h': cli->help = true; break;
	case 'V': cli->version = true; break;
	default: return -1;
	}
	return 0;
}

int mk_cli_parse(struct mk_cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	memset(cli, 0, sizeof *cli);
	opterr = 0;
	optind = 0; /* glibc: 0 (not 1) also drops the position it kept inside the last argv */
	int opt;
	while ((opt = getopt_long(argc, argv, "+c:o:hV", long_opts, NULL)) != -1) {
		if (opt == '?' || opt == ':' || set_opt(cli, opt, optarg) != 0) {
			/* In a cluster like "-Xh", optind still points past the previous
			 * argument: name the short option itself then. */
			const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			char shortopt[3] = { '-', (char)optopt, '\0' };
			if (optopt > 0x20 && optopt < 0x7f && strncmp(bad, "--", 2) != 0)
				bad = shortopt;
			char shown[128];
			mk_sanitize(bad, strlen(bad), shown, sizeof shown);
			snprintf(err, errlen, "%s: %s (see --help)", shown,
				 optopt && strchr("co", optopt) ? "needs a value" : "unknown option or missing value");
			return -1;
		}
	}
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

static int apply(struct mk_config *c, const char *sec, const char *key, const char *val,
		 const char *flag, char *err, size_t errlen)
{
	return val ? mk_config_set(c, sec, key, val, flag, err, errlen) : 0;
}

int mk_cli_apply(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
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
	const char *pw = mk_secret_proxy_env(); /* taken out of the environment by main */
	if (apply(c, "proxy", "username", cli->proxy_user, "--proxy-user", err, errlen) ||
	    apply(c, "proxy", "password", pw && *pw ? pw : NULL, "$MEERKO_PROXY_PASSWORD", err, errlen) ||
	    apply(c, "download", "save_dir", cli->output_dir, "--output", err, errlen) ||
	    apply(c, "download", "max_down", cli->max_down, "--max-down", err, errlen) ||
	    apply(c, "download", "max_up", cli->max_up, "--max-up", err, errlen) ||
	    apply(c, "ui", "progress", cli->progress, "--progress", err, errlen) ||
	    apply(c, "sandbox", "mode", cli->sandbox, "--sandbox", err, errlen) ||
	    apply(c, "download", "metadata_timeout", cli->metadata_timeout, "--metadata-timeout", err, errlen) ||
	    apply(c, "download", "stall_timeout", cli->stall_timeout, "--stall-timeout", err, errlen))
		return -1;
	return mk_cli_apply_files(cli, c, err, errlen);
}

/* --list, --files, --sequential, --max-connections*, --seed-*. */
int mk_cli_apply_files(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen)
{
	struct mk_filespec fs;
	if (apply(c, "download", "sequential", cli->sequential ? "true" : NULL, "--sequential", err, errlen) ||
	    apply(c, "download", "verify", cli->verify ? "true" : NULL, "--verify", err, errlen) ||
	    apply(c, "download", "max_connections", cli->max_connections, "--max-connections", err, errlen) ||
	    apply(c, "download", "max_connections_per_torrent", cli->max_conn_torrent,
		  "--max-connections-per-torrent", err, errlen) ||
	    apply(c, "seed", "ratio", cli->seed_ratio, "--seed-ratio", err, errlen) ||
	    apply(c, "seed", "time", cli->seed_time, "--seed-time", err, errlen))
		return -1;
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
