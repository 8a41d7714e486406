/*
 * engine_io.c - the engine's fatal line, its messages to the broker and its
 * reading of the broker's frames (see engine_io.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "contract.h"
#include "engine_io.h"

void mk_engine_die(const char *what)
{
	fprintf(stderr, "%s\n", what);
	_exit(MK_ENGINE_EXIT_FATAL);
}

void mk_engine_send(int fd, Meerko__EngineToBroker *m)
{
	if (mk_ipc_send_e2b(fd, m) != MK_FRAME_OK)
		mk_engine_die("lost the broker (write failed)");
}

void mk_engine_send_event(int fd, uint32_t id, Meerko__EventType type, const char *text)
{
	Meerko__Event ev = MEERKO__EVENT__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	ev.torrent_id = id;
	ev.type = type;
	ev.message = (char *)text;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_EVENT;
	m.event = &ev;
	mk_engine_send(fd, &m);
}

int mk_engine_read_broker(mk_frame_reader *r, int fd, int (*on_msg)(void *ctx, const Meerko__BrokerToEngine *m),
			  void *ctx)
{
	for (;;) {
		uint8_t *buf;
		size_t len;
		mk_frame_status st = mk_frame_read(r, fd, &buf, &len);
		if (st == MK_FRAME_NEED_MORE)
			return 0;
		if (st == MK_FRAME_EOF)
			return 1; /* broker gone: stop, nothing else to do */
		if (st != MK_FRAME_OK)
			mk_engine_die(mk_frame_strerror(st));
		Meerko__BrokerToEngine *m = mk_ipc_unpack_b2e(buf, len);
		free(buf);
		if (!m)
			mk_engine_die("malformed message from the broker");
		int stop = on_msg(ctx, m);
		mk_ipc_free_b2e(m);
		if (stop)
			return 1;
	}
}
