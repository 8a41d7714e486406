/*
 * ipc.c - typed broker <-> engine messages over frame.c.
 *
 * Contract (see ipc.h): send packs one message and writes it as one frame;
 * a message with no oneof member set, or one that packs to more than
 * MK_FRAME_MAX bytes, is refused (nothing is written). Unpack returns NULL
 * for anything that is not a valid message of the expected type, including
 * a message whose oneof is unset (e.g. only unknown fields), so callers can
 * switch on msg_case without a NOT_SET arm. Engine messages are unpacked
 * within the bounds of unpack_guard.h. Field values are NOT checked here:
 * that is the broker's job (broker/engine_msg.c).
 */
#include "ipc.h"
#include "unpack_guard.h"

#include <stdbool.h>
#include <stdlib.h>

/* Small messages (commands, status for a few torrents) avoid malloc. */
#define IPC_STACK_BUF 4096

/* Pack m and write it as one frame. The buffer is exactly the packed size. */
static mk_frame_status send_msg(int fd, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	if (n == 0)
		return MK_FRAME_EMPTY;
	if (n > MK_FRAME_MAX)
		return MK_FRAME_TOO_BIG;
	uint8_t stack_buf[IPC_STACK_BUF];
	uint8_t *buf = n <= sizeof stack_buf ? stack_buf : malloc(n);
	if (buf == NULL)
		return MK_FRAME_IO; /* errno = ENOMEM */
	mk_frame_status st = MK_FRAME_BAD_MSG;
	/* pack() writes exactly get_packed_size() bytes; check anyway. */
	if (protobuf_c_message_pack(m, buf) == n)
		st = mk_frame_write(fd, buf, n);
	if (buf != stack_buf)
		free(buf);
	return st;
}

/* protobuf-c's unpack is bounds-checked and returns NULL on bad input; we
 * only add the frame limits so no caller can feed it more than one frame. */
static bool input_ok(const uint8_t *buf, size_t len)
{
	return buf != NULL && len > 0 && len <= MK_FRAME_MAX;
}

/* A known oneof case whose member message was actually allocated. */
static bool b2e_has_msg(const Meerko__BrokerToEngine *m)
{
	switch (m->msg_case) {
	case MEERKO__BROKER_TO_ENGINE__MSG_CONFIGURE: return m->configure != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_ADD: return m->add != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_PAUSE: return m->pause != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_RESUME: return m->resume != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_SAVE_RESUME:
		return m->save_resume != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_FORCE_RECHECK: return m->force_recheck != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_SHUTDOWN: return m->shutdown != NULL;
	case MEERKO__BROKER_TO_ENGINE__MSG_SET_FILES: return m->set_files != NULL;
	default: return false; /* NOT_SET or anything unexpected */
	}
}

static bool e2b_has_msg(const Meerko__EngineToBroker *m)
{
	switch (m->msg_case) {
	case MEERKO__ENGINE_TO_BROKER__MSG_READY: return m->ready != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_STATUS: return m->status != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_EVENT: return m->event != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_RESUME: return m->resume != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE:
		return m->shutdown_done != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_FILE_LIST: return m->file_list != NULL;
	case MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT: return m->exit_report != NULL;
	default: return false;
	}
}

mk_frame_status mk_ipc_send_b2e(int fd, const Meerko__BrokerToEngine *m)
{
	if (m == NULL || !b2e_has_msg(m))
		return MK_FRAME_BAD_MSG;
	return send_msg(fd, &m->base);
}

mk_frame_status mk_ipc_send_e2b(int fd, const Meerko__EngineToBroker *m)
{
	if (m == NULL || !e2b_has_msg(m))
		return MK_FRAME_BAD_MSG;
	return send_msg(fd, &m->base);
}

Meerko__BrokerToEngine *mk_ipc_unpack_b2e(const uint8_t *buf, size_t len)
{
	if (!input_ok(buf, len))
		return NULL;
	Meerko__BrokerToEngine *m =
		meerko__broker_to_engine__unpack(NULL, len, buf);
	if (m != NULL && !b2e_has_msg(m)) {
		meerko__broker_to_engine__free_unpacked(m, NULL);
		m = NULL;
	}
	return m;
}

/* Engine bytes are hostile: counted before unpacking, unpacked within a
 * budget (unpack_guard.h), so one frame costs the broker a bounded amount. */
Meerko__EngineToBroker *mk_ipc_unpack_e2b_info(const uint8_t *buf, size_t len,
					       struct mk_ipc_unpack_info *info)
{
	struct mk_ipc_unpack_info dummy;
	info = info ? info : &dummy;
	info->refused = "malformed message";
	info->peak_bytes = 0;
	if (!input_ok(buf, len))
		return NULL;
	const char *why = mk_e2b_prescan(buf, len);
	if (why != NULL) {
		info->refused = why;
		return NULL;
	}
	struct mk_unpack_budget b;
	mk_unpack_budget_init(&b, MK_UNPACK_BUDGET);
	Meerko__EngineToBroker *m = meerko__engine_to_broker__unpack(&b.alloc, len, buf);
	info->peak_bytes = b.peak;
	if (m != NULL && !e2b_has_msg(m)) {
		mk_ipc_free_e2b(m);
		m = NULL;
	}
	if (m == NULL && b.exhausted)
		info->refused = "message needs more memory than the unpack budget";
	else if (m != NULL)
		info->refused = NULL;
	return m;
}

Meerko__EngineToBroker *mk_ipc_unpack_e2b(const uint8_t *buf, size_t len)
{
	return mk_ipc_unpack_e2b_info(buf, len, NULL);
}

void mk_ipc_free_b2e(Meerko__BrokerToEngine *m)
{
	if (m != NULL)
		meerko__broker_to_engine__free_unpacked(m, NULL);
}

void mk_ipc_free_e2b(Meerko__EngineToBroker *m)
{
	if (m != NULL)
		meerko__engine_to_broker__free_unpacked(m, &mk_unpack_free_allocator);
}
