/*
 * config.c - Meerko configuration: defaults, the key table, value parsers,
 * CLI overrides and cross-field validation. Implements config.h (but for
 * loading and finding meerko.ini: config_load.c) and config_keys.h.
 *
 * Contract:
 *  - Every settable key is one row of key_table[] below: (section, key) ->
 *    value parser + struct field. The field's type is checked at compile time
 *    against the parser (FIELD()), so a row cannot write the wrong type.
 *    Its flag column, if any, makes the key a command-line option as well
 *    (cli.c generates getopt's table and the usage from it): a new option
 *    that sets a key is that one row.
 *  - A value is written only after it fully validated; on error the config
 *    is unchanged and err holds one line, e.g.
 *    "meerko.ini:12: [proxy] port: 'abc' is not a port number (1-65535)".
 *  - Unknown sections and keys are errors: a typo ("[privcy] dht = off")
 *    must never be silently ignored while the user believes DHT is off.
 *  - Loading and finding the file (libinih): config_load.c.
 *  - The proxy password is never echoed: string values are never quoted in
 *    messages. Other echoed values pass through shown() (printable ASCII
 *    only), so a config file cannot inject terminal escapes into messages.
 */
#include "config.h"
#include "config_int.h"
#include "config_keys.h"
#include "exit_watch.h"
#include "rpc_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHOWN_MAX 64  /* longest echo of an untrusted value in a message */

/* Enum fields are written as int through memcpy (parse_enum). */
_Static_assert(sizeof(mk_cfg_proxy_type) == sizeof(int), "enum size");
_Static_assert(sizeof(mk_progress_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(mk_sandbox_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(mk_on_proxy_loss) == sizeof(int), "enum size");
_Static_assert(sizeof(mk_on_exit_mismatch) == sizeof(int), "enum size");
_Static_assert(sizeof(mk_on_exit_change) == sizeof(int), "enum size");

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

void mk_config_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Copy of untrusted text that is safe to print: printable ASCII only (so no
 * ESC/CSI, no newline), anything else as '?', long values cut with "...". */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && n + 1 < len; i++) {
		if (n + 4 >= len && s[i + 1] != '\0') {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	buf[n] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* Value parsers: validate `v`, write the field only on success.       */
/* ------------------------------------------------------------------ */

struct mk_key;
typedef int (*mk_parse_fn)(const struct mk_key *k, const char *v, void *field,
			   char *msg, size_t msglen);

struct mk_enum_name {
	const char *name;
	int value;
};

struct mk_key {
	const char *section;
	const char *name;
	mk_parse_fn parse;
	size_t offset;                     /* of the field in struct mk_config */
	size_t size;                       /* sizeof the field */
	long min, max;                     /* integers only */
	const char *what;                  /* integers: "a port number" */
	const struct mk_enum_name *names;  /* enums only, NULL-terminated */
	struct mk_config_flag flag;        /* the command-line option, if any (cli.c) */
};

static int parse_bool(const struct mk_key *k, const char *v, void *field,
		      char *msg, size_t msglen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char sv[SHOWN_MAX];
	size_t i;

	(void)k;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	mk_config_err(msg, msglen, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
		shown(v, sv, sizeof sv));
	return -1;
}

/* Strict decimal: digits only (no sign, no spaces, no "0x"), no overflow,
 * within [k->min, k->max]. */
static int strict_number(const struct mk_key *k, const char *v, long *out,
			 char *msg, size_t msglen)
{
	char sv[SHOWN_MAX];
	char *end;
	long n;

	if (isdigit((unsigned char)v[0])) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno == 0 && *end == '\0' && n >= k->min && n <= k->max) {
			*out = n;
			return 0;
		}
	}
	mk_config_err(msg, msglen, "'%s' is not %s (%ld-%ld)", shown(v, sv, sizeof sv),
		k->what, k->min, k->max);
	return -1;
}

static int parse_int(const struct mk_key *k, const char *v, void *field,
		     char *msg, size_t msglen)
{
	long n;

	if (strict_number(k, v, &n, msg, msglen) != 0)
		return -1;
	*(int *)field = (int)n; /* table ranges fit in int */
	return 0;
}

static int parse_port(const struct mk_key *k, const char *v, void *field,
		      char *msg, size_t msglen)
{
	long n;

	if (strict_number(k, v, &n, msg, msglen) != 0)
		return -1;
	*(uint16_t *)field = (uint16_t)n; /* range is 1..65535 */
	return 0;
}

/* A ratio: digits, optionally '.' and 1-3 more digits ("1", "0.5",
 * "2.125"), stored in thousandths; within [k->min, k->max] thousandths. */
static int parse_ratio(const struct mk_key *k, const char *v, void *field,
		       char *msg, size_t msglen)
{
	char sv[SHOWN_MAX];
	long whole = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	for (; isdigit((unsigned char)v[i]) && nd < 7; i++, nd++)
		whole = whole * 10 + (v[i] - '0');
	if (v[i] == '.' && nd > 0) {
		for (i++; isdigit((unsigned char)v[i]) && nf < 3; i++, nf++)
			frac = frac * 10 + (v[i] - '0');
		for (size_t f = nf; f < 3; f++)
			frac *= 10;
	}
	long milli = whole * 1000 + frac;
	if (nd == 0 || v[i] != '\0' || (v[i - 1] == '.') || milli < k->min || milli > k->max) {
		mk_config_err(msg, msglen, "'%s' is not a ratio (0-%ld, at most 3 decimals, e.g. 1.5)",
			shown(v, sv, sizeof sv), k->max / 1000);
		return -1;
	}
	*(int *)field = (int)milli;
	return 0;
}

/* Enum names are matched case-insensitively, like booleans. */
static int parse_enum(const struct mk_key *k, const char *v, void *field,
		      char *msg, size_t msglen)
{
	const struct mk_enum_name *e;
	char sv[SHOWN_MAX];
	char list[128] = "";
	size_t used = 0;

	for (e = k->names; e->name != NULL; e++) {
		if (strcasecmp(v, e->name) == 0) {
			memcpy(field, &e->value, sizeof e->value);
			return 0;
		}
	}
	for (e = k->names; e->name != NULL && used < sizeof list; e++) {
		int n = snprintf(list + used, sizeof list - used, "%s%s",
				 used ? ", " : "", e->name);
		used += n > 0 ? (size_t)n : 0;
	}
	mk_config_err(msg, msglen, "'%s' is not one of: %s", shown(v, sv, sizeof sv), list);
	return -1;
}

/* Common checks for text values. Never echoes the value: the password goes
 * through here. Control characters could hide text on a terminal or break
 * the line-based formats the value may later be written into. */
static int check_text(const char *v, size_t size, char *msg, size_t msglen)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			mk_config_err(msg, msglen, "value contains a control character");
			return -1;
		}
	}
	if (i >= size) {
		mk_config_err(msg, msglen, "value is too long (max %zu bytes)", size - 1);
		return -1;
	}
	return 0;
}

static int parse_string(const struct mk_key *k, const char *v, void *field,
			char *msg, size_t msglen)
{
	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

static bool is_ip_literal(const char *s)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

/* An IP literal only: resolving a hostname would send a DNS query from this
 * machine, outside the proxy, revealing what the user is connecting to. */
static int parse_host(const struct mk_key *k, const char *v, void *field,
		      char *msg, size_t msglen)
{
	char sv[SHOWN_MAX];

	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	if (!is_ip_literal(v)) {
		mk_config_err(msg, msglen,
			"'%s' is not an IP address: the proxy must be given as an IP address "
			"(IPv4, or IPv6 without brackets) so that no DNS lookup leaves the machine",
			shown(v, sv, sizeof sv));
		return -1;
	}
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

/* One "a.b.c.d:port" of a DHT bootstrap list; s is not NUL-terminated at
 * the end of the entry, n is its length. */
static bool bootstrap_entry_ok(const char *s, size_t n)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	const char *colon = memrchr(s, ':', n);
	size_t iplen = colon ? (size_t)(colon - s) : 0, plen = colon ? n - iplen - 1 : 0;
	long port = 0;

	if (colon == NULL || iplen == 0 || iplen >= sizeof ip || plen == 0 || plen > 5)
		return false;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	for (size_t i = 0; i < plen; i++) {
		if (!isdigit((unsigned char)colon[1 + i]))
			return false;
		port = port * 10 + (colon[1 + i] - '0');
	}
	return inet_pton(AF_INET, ip, &a) == 1 && port >= 1 && port <= 65535;
}

/* DHT bootstrap nodes: IPv4 literals only. libtorrent resolves bootstrap
 * host names with the local resolver even behind a proxy (#6295), which
 * would tell the local network that this machine uses DHT; and 2.0.8
 * relays UDP through SOCKS5 over IPv4 only. Empty = no bootstrap node. */
static int parse_bootstrap(const struct mk_key *k, const char *v, void *field,
			   char *msg, size_t msglen)
{
	char sv[SHOWN_MAX];
	const char *p = v;

	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		if (!bootstrap_entry_ok(p, n)) {
			mk_config_err(msg, msglen, "'%s' is not a list of IPv4:PORT (e.g. 192.0.2.1:6881,"
				"192.0.2.2:6881): host names are refused, they would be resolved "
				"outside the proxy", shown(v, sv, sizeof sv));
			return -1;
		}
		p += n;
		if (*p == ',' && *++p == '\0') {
			mk_config_err(msg, msglen, "'%s' ends with a comma", shown(v, sv, sizeof sv));
			return -1;
		}
	}
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

/* [killswitch] expected_exit: IP|CIDR[,IP|CIDR...] (exit_watch.c parses it
 * again when the run starts); "" = none. */
static int parse_exit_list(const struct mk_key *k, const char *v, void *field,
			   char *msg, size_t msglen)
{
	struct mk_cidr rules[MK_EXIT_MAX_RULES];
	char why[160];
	size_t n;

	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	if (mk_exit_parse_expected(v, rules, MK_EXIT_MAX_RULES, &n, why, sizeof why) != 0) {
		mk_config_err(msg, msglen, "%s", why);
		return -1;
	}
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

/* Non-empty path; a leading "~" or "~/" is replaced by $HOME (the shell does
 * not expand "--save-dir=~/x", and INI files never do). */
static int parse_path(const struct mk_key *k, const char *v, void *field,
		      char *msg, size_t msglen)
{
	char out[PATH_MAX];
	const char *home;
	char sv[SHOWN_MAX];
	int n;

	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	if (v[0] == '\0') {
		mk_config_err(msg, msglen, "must not be empty");
		return -1;
	}
	if (v[0] != '~') {
		memcpy(field, v, strlen(v) + 1);
		return 0;
	}
	if (v[1] != '\0' && v[1] != '/') {
		mk_config_err(msg, msglen, "'%s': only '~/' is expanded, not '~user'; write the full path",
			shown(v, sv, sizeof sv));
		return -1;
	}
	home = getenv("HOME");
	if (home == NULL || home[0] != '/') {
		mk_config_err(msg, msglen, "cannot expand '~': $HOME is not an absolute path");
		return -1;
	}
	n = snprintf(out, sizeof out, "%s%s", home, v + 1);
	if (n < 0 || (size_t)n >= k->size || check_text(out, k->size, msg, msglen) != 0) {
		mk_config_err(msg, msglen, "path is too long or invalid after expanding '~' (max %zu bytes)",
			k->size - 1);
		return -1;
	}
	memcpy(field, out, (size_t)n + 1);
	return 0;
}

/* [rpc] listen: syntax here (so the error has its line); the remote rule
 * needs allow_remote too: mk_rpc_config_check in mk_config_validate. */
static int parse_listen(const struct mk_key *k, const char *v, void *field,
			char *msg, size_t msglen)
{
	struct mk_rpc_listen l;
	char sv[SHOWN_MAX], why[160];

	if (check_text(v, k->size, msg, msglen) != 0)
		return -1;
	if (mk_rpc_listen_parse(v, &l, why, sizeof why) != 0) {
		mk_config_err(msg, msglen, "'%s' is %s", shown(v, sv, sizeof sv), why);
		return -1;
	}
	memcpy(field, v, strlen(v) + 1);
	return 0;
}

static int parse_hosts(const struct mk_key *k, const char *v, void *field,
		       char *msg, size_t msglen)
{
	char (*hosts)[MK_RPC_HOST_MAX + 1] = malloc(MK_RPC_MAX_HOSTS * sizeof *hosts);
	char why[160];
	size_t n;
	int r = -1;

	if (hosts == NULL)
		mk_config_err(msg, msglen, "out of memory");
	else if (check_text(v, k->size, msg, msglen) == 0 &&
		 (r = mk_rpc_hosts_parse(v, hosts, MK_RPC_MAX_HOSTS, &n, why, sizeof why)) != 0)
		mk_config_err(msg, msglen, "%s", why);
	free(hosts);
	if (r == 0)
		memcpy(field, v, strlen(v) + 1);
	return r;
}

/* ------------------------------------------------------------------ */
/* The key table: the single source of truth for settable keys.        */
/* ------------------------------------------------------------------ */

static const struct mk_enum_name proxy_types[] = {
	{ "none", MK_CFG_PROXY_NONE }, { "socks5", MK_CFG_PROXY_SOCKS5 }, { NULL, 0 }
};
static const struct mk_enum_name progress_modes[] = {
	{ "auto", MK_PROGRESS_AUTO }, { "tty", MK_PROGRESS_TTY },
	{ "plain", MK_PROGRESS_PLAIN }, { "none", MK_PROGRESS_NONE }, { NULL, 0 }
};
static const struct mk_enum_name sandbox_modes[] = {
	{ "required", MK_SANDBOX_REQUIRED }, { "off", MK_SANDBOX_OFF }, { NULL, 0 }
};

static const struct mk_enum_name on_loss_modes[] = {
	{ "pause", MK_ON_LOSS_PAUSE }, { "exit", MK_ON_LOSS_EXIT }, { NULL, 0 }
};
static const struct mk_enum_name on_mismatch_modes[] = {
	{ "pause", MK_ON_MISMATCH_PAUSE }, { "exit", MK_ON_MISMATCH_EXIT }, { NULL, 0 }
};
static const struct mk_enum_name on_change_modes[] = {
	{ "warn", MK_ON_CHANGE_WARN }, { "pause", MK_ON_CHANGE_PAUSE }, { NULL, 0 }
};

/* offset and size of member m, which must have type t (char arrays: char *):
 * _Generic has no default branch, so a mismatch does not compile. */
#define MEMBER(m) (((struct mk_config *)0)->m)
#define FIELD(m, t) .offset = _Generic(MEMBER(m), t: offsetof(struct mk_config, m)), \
		    .size = sizeof(MEMBER(m))

/* Each row: K_TYPE(section, key, field, [type's own columns,] [flag column]).
 * The flag column, FLAG() or SWITCH(), makes the key a command-line option
 * too: "--NAME VALUE" sets exactly what "key = VALUE" sets, checked by the
 * same parser (cli.c builds getopt's table and the usage lines from it). */
#define K_BOOL(s, n, m, ...) { .section = s, .name = n, .parse = parse_bool, FIELD(m, bool), __VA_ARGS__ }
#define K_INT(s, n, m, lo, hi, w, ...) { .section = s, .name = n, .parse = parse_int, FIELD(m, int), \
		.min = lo, .max = hi, .what = w, __VA_ARGS__ }
#define K_PORT(s, n, m, ...) { .section = s, .name = n, .parse = parse_port, FIELD(m, uint16_t), \
		.min = 1, .max = 65535, .what = "a port number", __VA_ARGS__ }
#define K_ENUM(s, n, m, t, e, ...) { .section = s, .name = n, .parse = parse_enum, FIELD(m, t), \
		.names = e, __VA_ARGS__ }
#define K_RATIO(s, n, m, hi, ...) { .section = s, .name = n, .parse = parse_ratio, FIELD(m, int), \
		.max = hi, .what = "a ratio", __VA_ARGS__ }
#define K_TEXT(s, n, m, fn, ...) { .section = s, .name = n, .parse = fn, FIELD(m, char *), __VA_ARGS__ }
/* --NAME METAVAR (short -LETTER, 0 = none), and its usage text. */
#define FLAG(name, letter, metavar, help) .flag = { name, letter, metavar, help }
/* --NAME without a value: sets a boolean key to true. */
#define SWITCH(name, help) .flag = { name, 0, NULL, help }

static const struct mk_key key_table[] = {
	K_ENUM("proxy", "type", proxy_type, mk_cfg_proxy_type, proxy_types),
	K_TEXT("proxy", "host", proxy_host, parse_host),
	K_PORT("proxy", "port", proxy_port),
	K_TEXT("proxy", "username", proxy_user, parse_string,
	       FLAG("proxy-user", 0, "USER", "proxy username; the password is read from meerko.ini\n"
		    "or $MEERKO_PROXY_PASSWORD, never from the command line")),
	/* never a flag: it would show in ps (main.c takes $MEERKO_PROXY_PASSWORD) */
	K_TEXT("proxy", "password", proxy_password, parse_string),
	K_TEXT("proxy", "password_file", proxy_password_file, parse_path),
	K_BOOL("proxy", "required", proxy_required),
	K_BOOL("proxy", "allow_private_destinations", allow_private_dest),
	K_BOOL("privacy", "anonymous_mode", anonymous_mode),
	K_BOOL("privacy", "dht", dht),
	K_BOOL("privacy", "lsd", lsd),
	K_BOOL("privacy", "upnp", upnp),
	K_BOOL("privacy", "natpmp", natpmp),
	K_BOOL("privacy", "pex", pex),
	K_BOOL("privacy", "utp", utp),
	K_TEXT("privacy", "dht_bootstrap", dht_bootstrap, parse_bootstrap),
	K_TEXT("download", "save_dir", save_dir, parse_path,
	       FLAG("output", 'o', "DIR", "save directory (default: [download] save_dir, else .)")),
	K_INT("download", "max_down", max_down_kib, 0, 10000000, "a rate in KiB/s",
	      FLAG("max-down", 0, "KIB", "download limit in KiB/s (0 = unlimited)")),
	K_INT("download", "max_up", max_up_kib, 0, 10000000, "a rate in KiB/s",
	      FLAG("max-up", 0, "KIB", "upload limit in KiB/s (0 = unlimited)")),
	K_INT("download", "max_connections", max_connections, 0, 65535, "a number of connections",
	      FLAG("max-connections", 0, "N", "peer connections in all (0 = libtorrent's 200)")),
	K_INT("download", "max_connections_per_torrent", max_connections_torrent, 0, 65535,
	      "a number of connections",
	      FLAG("max-connections-per-torrent", 0, "N", "... per torrent (0 = no own limit)")),
	K_BOOL("download", "sequential", sequential, SWITCH("sequential", "download pieces in order")),
	K_BOOL("download", "verify", verify,
	       SWITCH("verify", "hash every piece on disk before downloading or calling it done\n"
		      "(saved state is not trusted; catches files changed at the same size)")),
	K_INT("download", "metadata_timeout", metadata_timeout_s, 0, 86400, "a number of seconds",
	      FLAG("metadata-timeout", 0, "SEC", "give up on a magnet whose metadata has not\n"
		   "arrived after SEC seconds (default 120, 0 = never)")),
	K_INT("download", "stall_timeout", stall_timeout_s, 0, 604800, "a number of seconds",
	      FLAG("stall-timeout", 0, "SEC", "give up on a torrent that got no data for SEC\n"
		   "seconds (exit 11; default 0 = never; it is explained\n"
		   "after [ui] stall_notice = 60 s either way)")),
	K_RATIO("seed", "ratio", seed_ratio_milli, 1000000,
		FLAG("seed-ratio", 0, "R", "after the download, seed until uploaded/size >= R")),
	K_INT("seed", "time", seed_time_min, 0, 5256000, "a number of minutes",
	      FLAG("seed-time", 0, "MIN", "... or for MIN minutes, whichever first (default: no seeding)")),
	K_ENUM("ui", "progress", progress, mk_progress_mode, progress_modes,
	       FLAG("progress", 0, "MODE", "auto | tty | plain | none")),
	K_INT("ui", "stall_notice", stall_notice_s, 0, 86400, "a number of seconds"),
	K_INT("ui", "plain_interval", plain_interval_s, 1, 3600, "a number of seconds"),
	K_ENUM("sandbox", "mode", sandbox, mk_sandbox_mode, sandbox_modes,
	       FLAG("sandbox", 0, "MODE", "required | off")),
	K_INT("sandbox", "engine_memory_mb", engine_memory_mb, 256, 1048576, "a size in MiB"),
	K_ENUM("killswitch", "on_proxy_loss", on_proxy_loss, mk_on_proxy_loss, on_loss_modes),
	K_INT("killswitch", "max_outage", max_outage_s, 1, 604800, "a number of seconds"),
	K_INT("killswitch", "max_restarts", max_restarts, 0, 100, "a count"),
	K_INT("killswitch", "restart_window", restart_window_s, 1, 86400, "a number of seconds"),
	K_TEXT("killswitch", "expected_exit", expected_exit, parse_exit_list),
	K_ENUM("killswitch", "on_exit_mismatch", on_exit_mismatch, mk_on_exit_mismatch, on_mismatch_modes),
	K_ENUM("killswitch", "on_exit_change", on_exit_change, mk_on_exit_change, on_change_modes),
	K_TEXT("state", "dir", state_dir, parse_path),
	K_INT("state", "resume_interval", resume_interval_s, 5, 86400, "a number of seconds"),
	/* [rpc]: meerko-secure daemon only; no flags (a password or a listen
	 * address belongs in a file the daemon's unit names, not in ps) */
	K_TEXT("rpc", "listen", rpc_listen, parse_listen),
	K_BOOL("rpc", "allow_remote", rpc_allow_remote),
	K_TEXT("rpc", "username", rpc_user, parse_string),
	K_TEXT("rpc", "password", rpc_password, parse_string),
	K_TEXT("rpc", "password_file", rpc_password_file, parse_path),
	K_TEXT("rpc", "host_allowlist", rpc_host_allowlist, parse_hosts),
	K_INT("rpc", "max_body", rpc_max_body_mib, 1, 64, "a size in MiB"),
};

#define KEY_COUNT (sizeof key_table / sizeof key_table[0])
_Static_assert(KEY_COUNT <= MK_CONFIG_MAX_KEYS, "raise MK_CONFIG_MAX_KEYS (config_keys.h)");

size_t mk_config_key_count(void)
{
	return KEY_COUNT;
}

int mk_config_key_at(size_t i, const char **section, const char **name)
{
	if (i >= KEY_COUNT)
		return -1;
	*section = key_table[i].section;
	*name = key_table[i].name;
	return 0;
}

const struct mk_config_flag *mk_config_key_flag(size_t i)
{
	return i < KEY_COUNT && key_table[i].flag.name ? &key_table[i].flag : NULL;
}

/* ------------------------------------------------------------------ */
/* Setting keys                                                        */
/* ------------------------------------------------------------------ */

void mk_config_defaults(struct mk_config *c)
{
	memset(c, 0, sizeof *c);
	/* Fail closed: without a reachable SOCKS5 proxy nothing is sent. */
	c->proxy_type = MK_CFG_PROXY_SOCKS5;
	snprintf(c->proxy_host, sizeof c->proxy_host, "%s", "127.0.0.1");
	c->proxy_port = 1080;
	c->proxy_required = true;
	/* Every peer-discovery or port-mapping feature off: each one either
	 * bypasses the proxy or announces this machine to the network. */
	c->anonymous_mode = true;
	c->dht = c->lsd = c->upnp = c->natpmp = c->pex = false;
	c->utp = false;
	snprintf(c->save_dir, sizeof c->save_dir, "%s", ".");
	c->max_down_kib = 0;
	c->max_up_kib = 0;
	c->metadata_timeout_s = 120;
	c->stall_timeout_s = 0;         /* a stalled torrent is only explained (stall.h) */
	c->stall_notice_s = 60;
	c->sequential = false;
	c->verify = false;
	c->max_connections = 0;         /* libtorrent's default (200) */
	c->max_connections_torrent = 0; /* no per-torrent limit */
	c->seed_ratio_milli = 0;        /* no seeding goal: stop once complete */
	c->seed_time_min = 0;
	c->progress = MK_PROGRESS_AUTO;
	c->plain_interval_s = 5;
	c->sandbox = MK_SANDBOX_REQUIRED;
	c->engine_memory_mb = 1024;     /* rlimits.c: 8x a measured download's peak */
	c->on_proxy_loss = MK_ON_LOSS_PAUSE;
	c->expected_exit[0] = '\0';  /* no expected exit: the first one of the run is the reference */
	c->on_exit_mismatch = MK_ON_MISMATCH_PAUSE;
	c->on_exit_change = MK_ON_CHANGE_WARN;
	c->max_outage_s = 300;
	c->max_restarts = 3;
	c->restart_window_s = 600;
	c->state_dir[0] = '\0'; /* resolved at run time: $XDG_STATE_HOME/meerko */
	c->resume_interval_s = 30;
	snprintf(c->rpc_listen, sizeof c->rpc_listen, "%s", MK_RPC_DEFAULT_LISTEN);
	c->rpc_allow_remote = false;
	c->rpc_max_body_mib = 12;       /* an 8 MiB .torrent in base64 (10.7 MiB) plus JSON */
}

static const struct mk_key *find_key(const char *section, const char *name,
				     bool *section_known)
{
	size_t i;

	*section_known = false;
	for (i = 0; i < KEY_COUNT; i++) {
		if (strcmp(key_table[i].section, section) != 0)
			continue;
		*section_known = true;
		if (strcmp(key_table[i].name, name) == 0)
			return &key_table[i];
	}
	return NULL;
}

int mk_config_set_key(struct mk_config *c, const char *section, const char *name,
		   const char *value, char *msg, size_t msglen)
{
	const struct mk_key *k;
	char detail[MK_CONFIG_MSG_MAX];
	char s1[SHOWN_MAX], s2[SHOWN_MAX];
	bool section_known;

	k = find_key(section, name, &section_known);
	if (k == NULL && section[0] == '\0') {
		mk_config_err(msg, msglen, "key '%s' is not inside a [section]", shown(name, s1, sizeof s1));
		return -1;
	}
	if (k == NULL && !section_known) {
		mk_config_err(msg, msglen, "unknown section [%s]", shown(section, s1, sizeof s1));
		return -1;
	}
	if (k == NULL) {
		mk_config_err(msg, msglen, "unknown key '%s' in [%s]", shown(name, s1, sizeof s1),
			shown(section, s2, sizeof s2));
		return -1;
	}
	if (k->parse(k, value, (char *)c + k->offset, detail, sizeof detail) != 0) {
		mk_config_err(msg, msglen, "[%s] %s: %s", k->section, k->name, detail);
		return -1;
	}
	return 0;
}

int mk_config_set(struct mk_config *c, const char *section, const char *key,
		  const char *value, const char *where, char *err, size_t errlen)
{
	char body[MK_CONFIG_MSG_MAX];

	if (mk_config_set_key(c, section, key, value, body, sizeof body) == 0)
		return 0;
	if (where != NULL && where[0] != '\0')
		mk_config_err(err, errlen, "%s: %s", where, body);
	else
		mk_config_err(err, errlen, "%s", body);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Cross-field validation                                              */
/* ------------------------------------------------------------------ */

/* The struct may have been filled by code other than the setters: re-check
 * the invariants that matter for privacy, with terminated strings first. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int mk_config_validate(const struct mk_config *c, char *err, size_t errlen)
{
	bool socks = c->proxy_type == MK_CFG_PROXY_SOCKS5;

	if (!terminated(c->proxy_host, sizeof c->proxy_host) ||
	    !terminated(c->proxy_user, sizeof c->proxy_user) ||
	    !terminated(c->proxy_password, sizeof c->proxy_password) ||
	    !terminated(c->dht_bootstrap, sizeof c->dht_bootstrap) ||
	    !terminated(c->save_dir, sizeof c->save_dir) ||
	    !terminated(c->rpc_listen, sizeof c->rpc_listen) ||
	    !terminated(c->rpc_host_allowlist, sizeof c->rpc_host_allowlist)) {
		mk_config_err(err, errlen, "internal error: unterminated configuration string");
		return -1;
	}
	if (c->proxy_required && !socks) {
		mk_config_err(err, errlen, "no proxy configured and [proxy] required = true: "
			"set [proxy] type = socks5 with host/port, or pass --proxy");
		return -1;
	}
	if (socks && !is_ip_literal(c->proxy_host)) {
		mk_config_err(err, errlen, "[proxy] host is not an IP address: the proxy must be "
			"given as an IP address so that no DNS lookup leaves the machine");
		return -1;
	}
	if (socks && c->proxy_port == 0) {
		mk_config_err(err, errlen, "[proxy] port is not set (1-65535)");
		return -1;
	}
	if (c->proxy_password[0] != '\0' && c->proxy_user[0] == '\0') {
		mk_config_err(err, errlen, "[proxy] password is set but username is empty: "
			"SOCKS5 authentication needs both");
		return -1;
	}
	if (c->proxy_user[0] != '\0' && !socks) {
		mk_config_err(err, errlen, "[proxy] username is set but type = none: "
			"the credentials would never be used");
		return -1;
	}
	if (c->rpc_password[0] != '\0' && c->rpc_user[0] == '\0') {
		mk_config_err(err, errlen, "[rpc] password is set but username is empty: "
			"HTTP Basic authentication needs both");
		return -1;
	}
	return mk_rpc_config_check(c, err, errlen);
}
