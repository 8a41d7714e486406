/*
 * engine_io.h - what engine.c and engine_offline.c share of talking to the
 * broker: a fatal line, sending a message or an event, draining its frames.
 */
#ifndef MEERKO_ENGINE_IO_H
#define MEERKO_ENGINE_IO_H

#include "ipc.h"

/* stderr is a pipe to the broker, which shows it sanitised behind
 * "meerko-engine: " (broker/engine_stderr.c): one line, then exit
 * MK_ENGINE_EXIT_FATAL. */
_Noreturn void mk_engine_die(const char *what);

/* Sends m to the broker, or dies: a broker that cannot be written to is gone. */
void mk_engine_send(int fd, Meerko__EngineToBroker *m);
/* One Event (type, torrent id, text) through mk_engine_send. */
void mk_engine_send_event(int fd, uint32_t id, Meerko__EventType type, const char *text);

/* Reads every complete frame the broker sent on the non-blocking fd and
 * hands each message to on_msg (which returns 1 to stop). Returns 1 when
 * on_msg asked to stop or the broker is gone, 0 when no whole frame is left.
 * A bad frame or message from the (trusted) broker is a bug: mk_engine_die. */
int mk_engine_read_broker(mk_frame_reader *r, int fd, int (*on_msg)(void *ctx, const Meerko__BrokerToEngine *m),
			  void *ctx);

#endif
