/*
 * fuzz_cli.c - meerko-secure's command line: mk_cli_parse, then
 * mk_cli_apply onto a default config (the same setters as meerko.ini).
 *
 * The input is split on NUL bytes into arguments (at most MAX_ARGS per
 * vector); an argument that is exactly "\x01" starts a new vector (at most
 * MAX_VECS), so one input can call mk_cli_parse several times in a row, as
 * a unit test would. Each argument is its own heap block (ASan sees any read
 * past its end) and a vector is freed as soon as it was parsed and applied,
 * so state that getopt keeps from one call to the next and that still
 * points into an old argv is caught. Before each input getopt is reset
 * (optind = 0), so inputs do not depend on each other.
 * $MEERKO_PROXY_PASSWORD is unset: only argv drives the run.
 *
 * Oracle, beyond ASan/UBSan: errors are non-empty; on success the parsed
 * struct is coherent (1..MK_CLI_MAX_INPUTS inputs unless -h/-V/--sandbox-check,
 * never both --proxy and --no-proxy), every pointer in it points into argv
 * (a switch's value is "true"), and only keys with a flag column got a value.
 */
#include <stdbool.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "config_keys.h"

#define MAX_ARGS 64
#define MAX_VECS 4

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("MEERKO_PROXY_PASSWORD");
	return 0;
}

static bool in_argv(const char *p, char **argv, int argc)
{
	if (p == NULL)
		return true;
	for (int i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return true;
	return false;
}

/* Parses and applies one vector, then checks what came out. */
static void one_vector(int argc, char **argv)
{
	struct mk_cli cli;
	char err[512] = "";
	if (mk_cli_parse(&cli, argc, argv, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (!cli.help && !cli.version && !cli.sandbox_check && cli.n_inputs == 0)
		abort();
	if (cli.n_inputs > MK_CLI_MAX_INPUTS || (cli.proxy && cli.no_proxy && cli.n_inputs >= 1 &&
	    !cli.help && !cli.version && !cli.sandbox_check))
		abort();
	const char *ptrs[] = { cli.config_path, cli.proxy, cli.files };
	for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
		if (!in_argv(ptrs[i], argv, argc))
			abort(); /* a value that is not in this argv: stale getopt state */
	for (size_t k = 0; k < MK_CONFIG_MAX_KEYS; k++) {
		const struct mk_config_flag *f = mk_config_key_flag(k);
		if (cli.key_value[k] && !f)
			abort(); /* a value for a key that has no flag */
		if (cli.key_value[k] && (f->metavar ? !in_argv(cli.key_value[k], argv, argc)
						    : strcmp(cli.key_value[k], "true") != 0))
			abort();
	}
	for (size_t i = 0; i < cli.n_inputs; i++)
		if (!in_argv(cli.inputs[i], argv, argc))
			abort();
	static struct mk_config c;
	mk_config_defaults(&c);
	err[0] = '\0';
	if (mk_cli_apply(&cli, &c, err, sizeof err) != 0 && err[0] == '\0')
		abort();
}

/* glibc's getopt keeps a pointer into the last argv unless optind is 0. */
static void reset_getopt(void)
{
	char a0[] = "reset";
	char *av[] = { a0, NULL };
	optind = 0;
	opterr = 0;
	while (getopt(1, av, "") != -1)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reset_getopt();
	size_t start = 0;
	for (int vec = 0; vec < MAX_VECS && start <= size; vec++) {
		char *argv[MAX_ARGS + 2];
		int argc = 0;
		argv[argc++] = strdup("meerko-secure");
		bool more = false;
		while (start <= size && argc <= MAX_ARGS) {
			const uint8_t *nul = start < size ? memchr(data + start, 0, size - start) : NULL;
			size_t end = nul ? (size_t)(nul - data) : size;
			size_t next = nul ? end + 1 : size + 1;
			if (end - start == 1 && data[start] == 0x01) {
				start = next;
				more = true;
				break; /* vector separator */
			}
			char *a = malloc(end - start + 1);
			if (!a)
				abort();
			memcpy(a, data + start, end - start);
			a[end - start] = '\0';
			argv[argc++] = a;
			start = next;
		}
		argv[argc] = NULL;
		one_vector(argc, argv);
		for (int i = 0; i < argc; i++)
			free(argv[i]);
		if (!more)
			break;
	}
	return 0;
}
