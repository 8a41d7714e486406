/*
 * engine_ctl.h - what the broker tells a running engine, and the run's
 * first error: the few primitives supervise.c, engine_surface.c,
 * torrents.c and exit_guard.c share (struct sup, supervise_int.h).
 *
 * Contract: a failed write to the engine becomes the run's error (exit 7);
 * mk_sup_set_error keeps the first error only; mk_sup_start_stopping sends
 * Shutdown(save_resume) once and enters PH_STOPPING; mk_sup_send_all reaches
 * every torrent that has neither failed nor been listed; warnings are
 * sanitised and capped. These call nothing above them (no circle).
 */
#ifndef MEERKO_BROKER_ENGINE_CTL_H
#define MEERKO_BROKER_ENGINE_CTL_H

#include <stdint.h>
#include "ipc.h"

struct sup;

void mk_sup_set_error(struct sup *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mk_sup_send(struct sup *s, Meerko__BrokerToEngine *m);
void mk_sup_send_ref(struct sup *s, int which, uint32_t id);  /* Pause/Resume/ForceRecheck/SaveResume */
void mk_sup_send_all(struct sup *s, int which);               /* ... to every live torrent */
void mk_sup_start_stopping(struct sup *s, int code);
void mk_sup_warn(struct sup *s, const char *what, const char *text);
void mk_sup_kill_engine(struct sup *s);                       /* SIGKILL; reaped by supervise.c */

#endif
