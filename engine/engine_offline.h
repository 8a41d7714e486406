/*
 * engine_offline.h - the engine without a libtorrent session: --list of
 * .torrent files only (Configure.offline).
 */
#ifndef MEERKO_ENGINE_OFFLINE_H
#define MEERKO_ENGINE_OFFLINE_H

/* Serves the broker on fd (non-blocking) until Shutdown or end of file.
 * Returns once ShutdownDone is sent (or the broker is gone). */
void mk_engine_run_offline(int fd, unsigned status_interval_ms);

#endif
