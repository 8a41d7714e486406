/*
 * config_int.h - shared by config.c (keys, values, validation) and
 * config_load.c (reading and finding meerko.ini). Internal to those two.
 */
#ifndef MEERKO_BROKER_CONFIG_INT_H
#define MEERKO_BROKER_CONFIG_INT_H

#include <stddef.h>
#include "config.h"

#define MK_CONFIG_MSG_MAX 512 /* one message body; callers' err buffers may be smaller */

/* snprintf into err (nothing when err is NULL or errlen 0). */
void mk_config_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets one key; on error writes the message body (no location prefix),
 * e.g. "[proxy] port: 'abc' is not a port number (1-65535)". */
int mk_config_set_key(struct mk_config *c, const char *section, const char *name,
		      const char *value, char *msg, size_t msglen);

#endif
