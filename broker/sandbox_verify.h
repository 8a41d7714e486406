/*
 * sandbox_verify.h - does the engine really live in namespaces of its own?
 *
 * Contract: the engine reports the inode of each /proc/self/ns/NAME it saw
 * (Ready, ipc/meerko.proto); mk_sandbox_verify() compares each with the
 * broker's own and fills one verdict per namespace layer, in a fixed order.
 * A layer is ok when the engine's id is known and differs from the
 * broker's (the PID layer also needs the engine to be pid 2 there, under
 * the sandbox's init). The
 * user namespace is required only for the unprivileged path (userns).
 * The ids are the engine's word: this catches a broker-side regression
 * (a namespace not created), not a lying engine, which gains nothing by it.
 */
#ifndef MEERKO_BROKER_SANDBOX_VERIFY_H
#define MEERKO_BROKER_SANDBOX_VERIFY_H
#include <stdbool.h>
#include <stddef.h>

#include "meerko.pb-c.h"

#define MK_NS_LAYERS 6

struct mk_ns_verdict {
	const char *layer;  /* "mount namespace", ... */
	bool required;
	bool ok;
	const char *what;   /* what it gives the user, for --sandbox-check */
};

void mk_sandbox_verify(const Meerko__Ready *r, bool userns, struct mk_ns_verdict out[MK_NS_LAYERS]);

/* 0 when every required layer is ok; else -1 and why names the first missing. */
int mk_sandbox_verify_required(const Meerko__Ready *r, bool userns, char *why, size_t whylen);

#endif
