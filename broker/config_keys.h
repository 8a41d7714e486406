/*
 * config_keys.h - read-only view of the keys that config.c accepts.
 *
 * Contract: the list is config.c's own key table, in table order, so a test
 * can check that meerko.ini.example documents every key (docs never rot)
 * without a second, hand-kept list. Nothing here changes configuration.
 */
#ifndef MEERKO_BROKER_CONFIG_KEYS_H
#define MEERKO_BROKER_CONFIG_KEYS_H

#include <stddef.h>

/* Number of settable (section, key) pairs. */
size_t mk_config_key_count(void);

/* For i < mk_config_key_count(): sets *section and *name to static strings
 * and returns 0. Otherwise returns -1 and leaves them untouched. */
int mk_config_key_at(size_t i, const char **section, const char **name);

#endif
