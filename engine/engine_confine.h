/*
 * engine_confine.h - confinement the engine applies to itself right after
 * exec, before it reads a single byte that came from the network.
 */
#ifndef MEERKO_ENGINE_CONFINE_H
#define MEERKO_ENGINE_CONFINE_H
#include <stdbool.h>
#include <stddef.h>

#define MK_MAX_WRITE_DIRS 4

/* What the broker put on the engine's command line (trusted). */
struct mk_confine_opts {
	bool unconfined;                       /* --unconfined: sandbox off (bench/debug) */
	const char *write_dirs[MK_MAX_WRITE_DIRS]; /* --write-dir DIR (save dir, state dir) */
	size_t n_write_dirs;
};

/* Parses argv. Returns 0 or -1 with why. */
int mk_confine_parse_args(struct mk_confine_opts *o, int argc, char **argv, char *why, size_t whylen);

/* Applies every layer the options ask for. Returns 0, or -1 with a one-line
 * reason in why (the engine then exits: never run half-confined). */
int mk_engine_confine(const struct mk_confine_opts *o, char *why, size_t whylen);

#endif
