/*
 * cli.h - meerko-secure's command line.
 *
 * Contract: mk_cli_parse() only parses (no file access, no network); it
 * returns 0, or -1 with one line in err. mk_cli_apply() writes the flags
 * over a loaded config through mk_config_set(), so flags get exactly the
 * same validation as meerko.ini keys. The options are cli.c's own few
 * (not keys: --config, --proxy, --list, --help...) plus every config key
 * with a flag column (config.c): getopt's table and the usage lines are
 * generated from those two tables, so a new key's flag is one row.
 */
#ifndef MEERKO_BROKER_CLI_H
#define MEERKO_BROKER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"
#include "config_keys.h"

#define MK_CLI_MAX_INPUTS 16

/* The options that are not config keys (cli.c's own table), then the
 * values of the config keys' flags (config.c's flag column). */
struct mk_cli {
	const char *config_path;   /* -c, --config FILE */
	const char *proxy;         /* --proxy [socks5://]IP:PORT: [proxy] type, host and port at once */
	bool no_proxy;             /* --no-proxy: [proxy] type = none */
	bool list;                 /* --list */
	const char *files;         /* --files SPEC */
	bool sandbox_check;        /* --sandbox-check */
	bool json;                 /* --json */
	bool help, version;
	/* by config key index (config_keys.h): the flag's value ("true" for a
	 * switch), NULL when the flag was not given */
	const char *key_value[MK_CONFIG_MAX_KEYS];
	const char *inputs[MK_CLI_MAX_INPUTS];
	size_t n_inputs;
};

int mk_cli_parse(struct mk_cli *cli, int argc, char **argv, char *err, size_t errlen);
int mk_cli_apply(const struct mk_cli *cli, struct mk_config *c, char *err, size_t errlen);

/* Splits "[socks5://]IP:PORT" or "[socks5://][IPv6]:PORT" (no DNS). */
int mk_cli_split_proxy(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		       char *err, size_t errlen);

/* Every option mk_cli_parse() accepts, in usage order: fills out[] (at most
 * cap) and returns how many there are. */
size_t mk_cli_options(const struct mk_config_flag **out, size_t cap);

void mk_cli_usage(FILE *out);

#endif
