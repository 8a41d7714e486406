/*
 * config_keys.h - read-only view of the keys that config.c accepts.
 *
 * Contract: the list is config.c's own key table, in table order, so a test
 * can check that meerko.ini.example documents every key (docs never rot)
 * and cli.c builds its options and usage from the keys' flag column: a key
 * with a flag is a command-line option without a second, hand-kept list.
 * Nothing here changes configuration.
 */
#ifndef MEERKO_BROKER_CONFIG_KEYS_H
#define MEERKO_BROKER_CONFIG_KEYS_H

#include <stddef.h>

#define MK_CONFIG_MAX_KEYS 64 /* upper bound of mk_config_key_count(), checked in config.c */

/* A command-line option: the key's flag column, or one of cli.c's own. */
struct mk_config_flag {
	const char *name;     /* long option without "--"; NULL: the key has no flag */
	char letter;          /* short option, 0 = none */
	const char *metavar;  /* the argument in usage ("KIB"); NULL: a switch, no
			       * argument (a key's switch sets it to "true") */
	const char *help;     /* usage text; each '\n' starts a continuation line */
};

/* Number of settable (section, key) pairs. */
size_t mk_config_key_count(void);

/* For i < mk_config_key_count(): sets *section and *name to static strings
 * and returns 0. Otherwise returns -1 and leaves them untouched. */
int mk_config_key_at(size_t i, const char **section, const char **name);

/* Key i's flag column, or NULL when i is out of range or the key has no
 * flag (it is set in meerko.ini only). */
const struct mk_config_flag *mk_config_key_flag(size_t i);

#endif
