/*
 * cli.h - meerko-secure's command line.
 *
 * Contract: mk_cli_parse() only parses (no file access, no network); it
 * returns 0, or -1 with one line in err. mk_cli_apply() writes the flags
 * over a loaded config through mk_config_set(), so flags get exactly the
 * same validation as meerko.ini keys.
 */
#ifndef MEERKO_BROKER_CLI_H
#define MEERKO_BROKER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"

#define MK_CLI_MAX_INPUTS 16

struct mk_cli {
	const char *config_path;   /* --config */
	const char *output_dir;    /* -o */
	const char *proxy;         /* --proxy [socks5://]IP:PORT */
	const char *proxy_user;    /* --proxy-user */
	bool no_proxy;             /* --no-proxy */
	const char *progress;      /* --progress */
	const char *max_down;      /* --max-down KiB/s */
	const char *max_up;        /* --max-up KiB/s */
	const char *sandbox;       /* --sandbox required|off */
	bool sandbox_check;        /* --sandbox-check */
	bool list;                 /* --list */
	const char *files;         /* --files SPEC */
	bool sequential;           /* --sequential */
	bool verify;               /* --verify */
	const char *max_connections; /* --max-connections N */
	const char *max_conn_torrent; /* --max-connections-per-torrent N */
	const char *seed_ratio;    /* --seed-ratio R */
	const char *seed_time;     /* --seed-time MINUTES */
	bool json;                 /* --json */
	const char *metadata_timeout; /* --metadata-timeout SECONDS */
	const char *stall_timeout; /* --stall-timeout SECONDS */
	bool help, version;
	const char *inputs[MK_CLI_MAX_INPUTS];
	size_t n_inputs;
};

int mk_cli_parse(struct mk_cli *cli, int argc, char **argv, char *err, size_t errlen);
int mk_cli_apply(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen);
/* The --list/--files/--sequential/--max-connections/--seed-* part of it. */
int mk_cli_apply_files(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen);

/* Splits "[socks5://]IP:PORT" or "[socks5://][IPv6]:PORT" (no DNS). */
int mk_cli_split_proxy(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		       char *err, size_t errlen);

void mk_cli_usage(FILE *out);

#endif
