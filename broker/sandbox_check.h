/*
 * sandbox_check.h - `meerko-secure --sandbox-check`.
 *
 * Contract: builds the real sandbox exactly as a download would, starts the
 * real engine in it, and prints one line per layer: active, or unavailable
 * and why. Returns MK_EXIT_OK when every required layer is active, else
 * MK_EXIT_SANDBOX. Opens no connection beyond the namespace's loopback.
 */
#ifndef MEERKO_BROKER_SANDBOX_CHECK_H
#define MEERKO_BROKER_SANDBOX_CHECK_H
#include <stdio.h>

int mk_sandbox_check(FILE *out);

#endif
