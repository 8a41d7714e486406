/*
 * config.h - Meerko configuration: defaults, meerko.ini loading (libinih),
 * CLI overrides and validation.
 *
 * Contract: mk_config_defaults() gives the privacy-safe defaults. Every
 * setter validates its value and fails with one human-readable line in err
 * ("meerko.ini:12: [proxy] port: 'abc' is not a port number (1-65535)").
 * Unknown sections/keys are errors (a typo must not silently weaken privacy).
 * A file that sets a proxy password and is readable by group/others is
 * refused, like ssh does for private keys.
 */
#ifndef MEERKO_BROKER_CONFIG_H
#define MEERKO_BROKER_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_CFG_STR 256

typedef enum { MK_CFG_PROXY_NONE = 0, MK_CFG_PROXY_SOCKS5 = 1 } mk_cfg_proxy_type;
typedef enum { MK_PROGRESS_AUTO = 0, MK_PROGRESS_TTY, MK_PROGRESS_PLAIN, MK_PROGRESS_NONE } mk_progress_mode;
typedef enum { MK_SANDBOX_REQUIRED = 0, MK_SANDBOX_OFF = 1 } mk_sandbox_mode;
typedef enum { MK_ON_LOSS_PAUSE = 0, MK_ON_LOSS_EXIT = 1 } mk_on_proxy_loss;
typedef enum { MK_ON_MISMATCH_PAUSE = 0, MK_ON_MISMATCH_EXIT = 1 } mk_on_exit_mismatch;
typedef enum { MK_ON_CHANGE_WARN = 0, MK_ON_CHANGE_PAUSE = 1 } mk_on_exit_change;

struct mk_config {
	/* [proxy] */
	mk_cfg_proxy_type proxy_type;     /* type = none | socks5 (default socks5) */
	char proxy_host[MK_CFG_STR];      /* host = IP literal (default 127.0.0.1) */
	uint16_t proxy_port;              /* port = 1..65535 (default 1080) */
	char proxy_user[MK_CFG_STR];      /* username = (default empty) */
	char proxy_password[MK_CFG_STR];  /* password = (default empty) */
	char proxy_password_file[PATH_MAX]; /* password_file = PATH: first line is the password */
	bool proxy_required;              /* required = true: refuse to run without a proxy */
	bool allow_private_dest;          /* allow_private_destinations (default false) */
	/* [privacy] */
	bool anonymous_mode;              /* default true */
	bool dht, lsd, upnp, natpmp, pex; /* default false */
	bool utp;                         /* default false (TCP-only proxy path) */
	char dht_bootstrap[MK_CFG_STR];   /* dht_bootstrap = IPv4:PORT[,IPv4:PORT...] (default empty) */
	/* [download] */
	char save_dir[PATH_MAX];          /* save_dir = (default ".") */
	int max_down_kib;                 /* max_down = KiB/s, 0 = unlimited */
	int max_up_kib;                   /* max_up = KiB/s, 0 = unlimited */
	bool sequential;                  /* sequential = pieces in order (default false) */
	bool verify;                      /* verify = hash every piece at start, trust no saved state */
	int max_connections;              /* max_connections = session peer connections, 0 = libtorrent's 200 */
	int max_connections_torrent;      /* max_connections_per_torrent = per torrent, 0 = no own limit */
	/* [seed] */
	int seed_ratio_milli;             /* ratio = upload/wanted goal in 1/1000, 0 = none (default) */
	int seed_time_min;                /* time = minutes of seeding, 0 = none (default) */
	int metadata_timeout_s;           /* metadata_timeout = seconds a magnet may wait for metadata, 0 = forever (default 120) */
	int stall_timeout_s;              /* [download] stall_timeout = seconds without data before giving up, 0 = never (default) */
	int stall_notice_s;               /* [ui] stall_notice = seconds without data before saying why, 0 = never (default 60) */
	/* [ui] */
	mk_progress_mode progress;        /* progress = auto | tty | plain | none */
	int plain_interval_s;             /* plain_interval = seconds between piped lines (default 5) */
	/* [sandbox] */
	mk_sandbox_mode sandbox;          /* mode = required | off (default required) */
	int engine_memory_mb;             /* engine_memory_mb = the engine's RLIMIT_DATA in MiB (default 1024) */
	/* [killswitch] */
	mk_on_proxy_loss on_proxy_loss;   /* on_proxy_loss = pause | exit (default pause) */
	int max_outage_s;                 /* max_outage = seconds paused before exit code 8 (default 300) */
	int max_restarts;                 /* max_restarts = engine restarts allowed ... (default 3) */
	int restart_window_s;             /* restart_window = ... within this many seconds (default 600) */
	char expected_exit[MK_CFG_STR];   /* expected_exit = IP|CIDR[,...]: where the swarm must see us (default empty) */
	mk_on_exit_mismatch on_exit_mismatch; /* on_exit_mismatch = pause | exit (default pause) */
	mk_on_exit_change on_exit_change; /* on_exit_change = warn | pause (default warn; no expected_exit) */
	/* [state] */
	char state_dir[PATH_MAX];         /* dir = resume data (default $XDG_STATE_HOME/meerko) */
	int resume_interval_s;            /* resume_interval = seconds between saves (default 30) */
	/* [rpc] (meerko-secure daemon; rpc_config.c) */
	char rpc_listen[108];             /* listen = IPv4:PORT | [IPv6]:PORT | /unix/path (default 127.0.0.1:9091) */
	bool rpc_allow_remote;            /* allow_remote = a non-loopback listen address (default false) */
	char rpc_user[MK_CFG_STR];        /* username = (required by the daemon) */
	char rpc_password[MK_CFG_STR];    /* password = (or password_file; the proxy password's chmod 600 rule) */
	char rpc_password_file[PATH_MAX]; /* password_file = PATH: first line is the password */
	char rpc_host_allowlist[1024];    /* host_allowlist = NAME[,NAME...] (default: listen address, localhost) */
	int rpc_max_body_mib;             /* max_body = MiB per request body, 1..64 (default 12) */
	/* run options: command line only (--list, --files), never keys */
	bool list_only;
	char files_spec[1024];            /* "" = every file; checked by filespec.c */
	/* where the config came from, for messages ("" = built-in defaults) */
	char source[PATH_MAX];
};

void mk_config_defaults(struct mk_config *c);

/* Sets one key. `where` prefixes messages (e.g. "meerko.ini:12" or "--max-down").
 * Returns 0, or -1 with err filled. */
int mk_config_set(struct mk_config *c, const char *section, const char *key,
		  const char *value, const char *where, char *err, size_t errlen);

/* Loads an INI file over the current values (permission check included).
 * Returns 0, or -1 with err filled. */
int mk_config_load_file(struct mk_config *c, const char *path, char *err, size_t errlen);

/* Finds the config file: explicit path if given (must exist), else
 * $XDG_CONFIG_HOME/meerko/meerko.ini (or ~/.config/...), else
 * /etc/meerko/meerko.ini. Returns 1 and fills out if found, 0 if none,
 * -1 (err filled) if an explicit path is missing. */
int mk_config_find(const char *explicit_path, char *out, size_t outlen, char *err, size_t errlen);

/* Where mk_config_find() looks without an explicit path, for messages:
 * "/home/u/.config/meerko/meerko.ini and /etc/meerko/meerko.ini". */
void mk_config_where_looked(char *out, size_t outlen);

/* [proxy] password_file, when set: reads the password from its first line
 * (trailing newline stripped) into proxy_password; the same for [rpc]
 * password_file into rpc_password. The file must be a
 * regular file owned by the user running meerko-secure (or root) and not
 * readable or writable by group/others; it and a password from [proxy]
 * password or $MEERKO_PROXY_PASSWORD are mutually exclusive. Call after
 * the file and the command line are applied. Returns 0 or -1 with err. */
int mk_config_read_password_file(struct mk_config *c, char *err, size_t errlen);

/* Cross-field checks after everything is loaded (e.g. proxy required but
 * type = none; password without username). Returns 0 or -1 with err. */
int mk_config_validate(const struct mk_config *c, char *err, size_t errlen);

#endif
