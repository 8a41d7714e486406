/*
 * secret.h - where the broker keeps track of secrets in its memory (the
 * proxy password), so that a forked child that will exec the engine can
 * wipe its copy before it does anything else.
 */
#ifndef MEERKO_BROKER_SECRET_H
#define MEERKO_BROKER_SECRET_H
#include <stddef.h>

void mk_secret_register(void *buf, size_t len);
/* Overwrites every registered buffer. Async-signal-safe (fork children). */
void mk_secret_wipe_all(void);

#endif
