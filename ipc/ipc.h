/*
 * ipc.h - typed messages over the framed socketpair.
 *
 * Contract: send functions pack and write one whole frame; unpack functions
 * return NULL for anything that is not a valid message of the expected type
 * (including an empty oneof), never crash. Unpacked messages are freed with
 * the matching *_free function. Engine messages are unpacked within a
 * memory budget (unpack_guard.h). Semantic validation of engine messages
 * (ranges, text) is the broker's job: see broker/engine_msg.c.
 */
#ifndef MEERKO_IPC_IPC_H
#define MEERKO_IPC_IPC_H

#include "frame.h"
#include "meerko.pb-c.h"
#include "unpack_guard.h"   /* MK_MAX_TORRENTS, MK_MAX_FILES, MK_UNPACK_BUDGET */

mk_frame_status mk_ipc_send_b2e(int fd, const Meerko__BrokerToEngine *m);
mk_frame_status mk_ipc_send_e2b(int fd, const Meerko__EngineToBroker *m);

Meerko__BrokerToEngine *mk_ipc_unpack_b2e(const uint8_t *buf, size_t len);
Meerko__EngineToBroker *mk_ipc_unpack_e2b(const uint8_t *buf, size_t len);

/* The same, and why it was refused / what it cost (unpack_guard.h). */
struct mk_ipc_unpack_info {
	const char *refused;   /* NULL when a message is returned, else why not */
	size_t peak_bytes;     /* most heap bytes protobuf-c held at once */
};
Meerko__EngineToBroker *mk_ipc_unpack_e2b_info(const uint8_t *buf, size_t len,
					       struct mk_ipc_unpack_info *info);
void mk_ipc_free_b2e(Meerko__BrokerToEngine *m);
void mk_ipc_free_e2b(Meerko__EngineToBroker *m);

#endif
