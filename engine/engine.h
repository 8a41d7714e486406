/*
 * engine.h - what the broker and the engine agree on outside the wire schema.
 */
#ifndef MEERKO_ENGINE_H
#define MEERKO_ENGINE_H

/* The broker hands the engine its end of the socketpair as this fd. */
#define MK_ENGINE_FD 3

#define MK_ENGINE_EXIT_OK 0
#define MK_ENGINE_EXIT_FATAL 2
#define MK_ENGINE_EXIT_NOMEM 3   /* an allocation failed: its memory limit (RLIMIT_DATA) */

#endif
