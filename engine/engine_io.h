/*
 * engine_io.h - the two ways out of the engine's loops that engine.c and
 * engine_offline.c share: a fatal line to the broker, and draining the
 * broker's frames.
 */
#ifndef MEERKO_ENGINE_IO_H
#define MEERKO_ENGINE_IO_H

#include "ipc.h"

/* stderr is a pipe to the broker, which shows it sanitised behind
 * "meerko-engine: " (broker/engine_stderr.c): one line, then exit
 * MK_ENGINE_EXIT_FATAL. */
_Noreturn void mk_engine_die(const char *what);

/* Reads every complete frame the broker sent on the non-blocking fd and
 * hands each message to on_msg (which returns 1 to stop). Returns 1 when
 * on_msg asked to stop or the broker is gone, 0 when no whole frame is left.
 * A bad frame or message from the (trusted) broker is a bug: mk_engine_die. */
int mk_engine_read_broker(mk_frame_reader *r, int fd, int (*on_msg)(void *ctx, const Meerko__BrokerToEngine *m),
			  void *ctx);

#endif
