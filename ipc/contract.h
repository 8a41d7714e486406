/*
 * contract.h - what the broker and the engine agree on outside the wire
 * schema (meerko.proto): the one place each side takes these numbers from.
 *
 * Contract: plain constants, no code, no state: either side of the trust
 * boundary may include it (broker/, launch/, relay/ and engine/ do), so
 * they cannot disagree. Nothing here is trusted from the engine: the broker
 * checks every count against these limits itself (ipc/unpack_guard.h,
 * broker/engine_msg.c).
 */
#ifndef MEERKO_IPC_CONTRACT_H
#define MEERKO_IPC_CONTRACT_H

/* The broker hands the engine its end of the socketpair as this fd. */
#define MK_ENGINE_FD 3

/* The engine's exit statuses, as the broker reads them (launch/spawn.c). */
#define MK_ENGINE_EXIT_OK 0
#define MK_ENGINE_EXIT_FATAL 2
#define MK_ENGINE_EXIT_NOMEM 3   /* an allocation failed: its memory limit (RLIMIT_DATA) */

/* Torrents in one engine, at most: the broker adds no more, the engine
 * keeps no more, and a message naming more is refused before unpacking. */
#define MK_MAX_TORRENTS 64

/* The relay inside the engine's network namespace: the broker's listener
 * (launch/sandbox.c) and the only TCP port the engine may connect to
 * (engine_confine.c: Landlock ABI >= 4; --relay-port overrides it). */
#define MK_RELAY_INSIDE_IP "127.0.0.1"
#define MK_RELAY_INSIDE_PORT 1080

#endif
