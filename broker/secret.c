/*
 * secret.c - registry of in-memory secrets (see secret.h).
 * A fixed table, no allocation: safe to use between fork and exec.
 */
#include <string.h>
#include "secret.h"

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
