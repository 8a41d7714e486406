/*
 * secret.h - where the broker keeps track of secrets in its memory (the
 * proxy password), so that a forked child that will exec the engine can
 * wipe its copy before it does anything else.
 */
#ifndef MEERKO_LAUNCH_SECRET_H
#define MEERKO_LAUNCH_SECRET_H
#include <stddef.h>

void mk_secret_register(void *buf, size_t len);
/* Overwrites every registered buffer. Async-signal-safe (fork children). */
void mk_secret_wipe_all(void);

#define MK_PROXY_PASSWORD_ENV "MEERKO_PROXY_PASSWORD"

/* First thing in main: copies $MEERKO_PROXY_PASSWORD into a registered
 * secret buffer, overwrites the value in the process's environment block
 * (which /proc/PID/environ shows and every child inherits) and unsets it.
 * From then on no process of Meerko's has it in its environment. */
void mk_secret_take_proxy_env(void);
/* The value taken by mk_secret_take_proxy_env(), or NULL when unset/empty. */
const char *mk_secret_proxy_env(void);

#endif
