/*
 * engine_offline.c - --list of local .torrent files, with no network at all.
 *
 * Contract: no libtorrent session is ever created, so not one socket is
 * opened (a session opens its UDP socket and listeners as it starts, before
 * any torrent is added). Each AddTorrent must be list_only with .torrent
 * bytes: they are parsed by mk_torrent_bytes_files() (the same loader,
 * limits and name checks as a download) and answered with an ADDED event
 * and a FileList, or ADD_FAILED. A Status with no torrent goes out every
 * status_interval_ms so the broker's silence deadline holds; Pause, Resume
 * and SaveResume have nothing to act on; Shutdown is answered with
 * ShutdownDone. Anything else from the (trusted) broker is a bug: exit.
 * The engine is confined exactly as for a download before it reads a byte
 * (engine.c), and the broker starts no relay for it, so in the sandbox its
 * network namespace has nowhere to go even if the parser were subverted.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "contract.h"
#include "engine_files.h"
#include "engine_io.h"
#include "engine_offline.h"
#include "ipc.h"
#include "mk_shim.h"

static void list_one(int fd, const Meerko__AddTorrent *a)
{
	char err[512];
	mk_file *files = NULL;
	size_t n = 0;
	const char *why = NULL;
	if (!a->list_only || a->torrent_data.len == 0) {
		mk_engine_send_event(fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED,
			   "the offline engine only lists .torrent files");
		return;
	}
	if (mk_torrent_bytes_files(a->torrent_data.data, a->torrent_data.len, &files, &n, err,
				   sizeof err) != 0) {
		mk_engine_send_event(fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, err);
		return;
	}
	mk_engine_send_event(fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADDED, "listed without a session");
	if (mk_engine_files_send_these(fd, a->id, files, n, &why) < 0)
		mk_engine_die("lost the broker (write failed)");
	if (why)
		mk_engine_send_event(fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, why);
}

/* Returns 1 on Shutdown. */
static int on_message(void *ctx, const Meerko__BrokerToEngine *m)
{
	int fd = *(const int *)ctx;
	switch (m->msg_case) {
	case MEERKO__BROKER_TO_ENGINE__MSG_ADD:
		list_one(fd, m->add);
		return 0;
	case MEERKO__BROKER_TO_ENGINE__MSG_PAUSE:
	case MEERKO__BROKER_TO_ENGINE__MSG_RESUME:
	case MEERKO__BROKER_TO_ENGINE__MSG_SAVE_RESUME:
		return 0; /* no torrent runs here */
	case MEERKO__BROKER_TO_ENGINE__MSG_SHUTDOWN:
		return 1;
	default:
		mk_engine_die("unexpected message from the broker (offline engine)");
	}
	return 1;
}

static void send_empty_status(int fd)
{
	Meerko__Status s = MEERKO__STATUS__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &s;
	mk_engine_send(fd, &m);
}

void mk_engine_run_offline(int fd, unsigned status_interval_ms)
{
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	int64_t next_tick = mk_now_ms();
	for (int stop = 0; !stop;) {
		int64_t wait = next_tick - mk_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			mk_engine_die("poll failed");
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			stop = mk_engine_read_broker(&r, fd, on_message, &fd);
		if (!stop && mk_now_ms() >= next_tick) {
			send_empty_status(fd);
			next_tick = mk_now_ms() + status_interval_ms;
		}
	}
	mk_frame_reader_free(&r);
	Meerko__ShutdownDone d = MEERKO__SHUTDOWN_DONE__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
	m.shutdown_done = &d;
	mk_ipc_send_e2b(fd, &m);
}
