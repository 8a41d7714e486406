/*
 * secret.c - registry of in-memory secrets (see secret.h).
 * A fixed table, no allocation: safe to use between fork and exec.
 * mk_secret_take_proxy_env() runs once, first thing in main.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "secret.h"

extern char **environ;

#define MK_MAX_SECRETS 4

static struct { void *buf; size_t len; } secrets[MK_MAX_SECRETS];

void mk_secret_register(void *buf, size_t len)
{
	for (size_t i = 0; i < MK_MAX_SECRETS; i++) {
		if (!secrets[i].buf) {
			secrets[i].buf = buf;
			secrets[i].len = len;
			return;
		}
	}
}

void mk_secret_wipe_all(void)
{
	for (size_t i = 0; i < MK_MAX_SECRETS; i++)
		if (secrets[i].buf)
			explicit_bzero(secrets[i].buf, secrets[i].len);
}

/* The password from the environment, once taken out of it (4 KiB: a longer
 * value is still refused by the config's length check, never cut short to
 * a valid one). */
static char env_password[4096];

void mk_secret_take_proxy_env(void)
{
	char *entry = NULL;
	size_t name_len = strlen(MK_PROXY_PASSWORD_ENV);
	for (char **e = environ; e && *e && !entry; e++)
		if (strncmp(*e, MK_PROXY_PASSWORD_ENV, name_len) == 0 && (*e)[name_len] == '=')
			entry = *e; /* the first, as getenv() would */
	if (!entry)
		return;
	snprintf(env_password, sizeof env_password, "%s", entry + name_len + 1);
	mk_secret_register(env_password, sizeof env_password);
	/* unsetenv drops the pointer from environ; the bytes stay where the
	 * kernel put them (what /proc/PID/environ shows, and every fork
	 * copies): overwrite them too. Every entry of that name, not only the
	 * last one getenv would return. */
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, MK_PROXY_PASSWORD_ENV, name_len) == 0 && (*e)[name_len] == '=')
			explicit_bzero(*e + name_len + 1, strlen(*e + name_len + 1));
	unsetenv(MK_PROXY_PASSWORD_ENV);
}

const char *mk_secret_proxy_env(void)
{
	return env_password[0] ? env_password : NULL;
}
