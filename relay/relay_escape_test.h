/*
 * relay_escape_test.h - TEST-ONLY: a compromised relay's escape attempts.
 *
 * Contract: in a build with MEERKO_RELAY_ESCAPE_TEST (the twin
 * meerko-secure-relay-escape, never installed), a CONNECT request for the
 * name "meerko-relay-escape-NAME.invalid" makes the relay try escape NAME
 * itself (relay_escape_test.c), as code an attacker got to run in it would;
 * its seccomp table must kill it. mk_relay_escape_unconfined() is the
 * tests' negative control: with MEERKO_RELAY_ESCAPE_UNCONFINED=1 in its
 * environment the twin's relay skips its seccomp filter, so the same
 * attempt must then succeed (the test can fail). In every other build both
 * are no-ops the compiler removes.
 */
#ifndef MEERKO_RELAY_RELAY_ESCAPE_TEST_H
#define MEERKO_RELAY_RELAY_ESCAPE_TEST_H

#include <stdbool.h>

#include "socks5_server.h"

#ifdef MEERKO_RELAY_ESCAPE_TEST
void mk_relay_escape_try(const struct mk_socks5_request *req, int status_fd);
bool mk_relay_escape_unconfined(void);
#else
static inline bool mk_relay_escape_unconfined(void)
{
	return false;
}

static inline void mk_relay_escape_try(const struct mk_socks5_request *req, int status_fd)
{
	(void)req;
	(void)status_fd;
}
#endif

#endif
