/*
 * exit_guard.h - what the run does about the exit the swarm sees (the
 * judging itself is exit_watch.h). Kept in the job, so it outlives an
 * engine restart: a pause for a wrong exit is not undone by a crash.
 *
 * Contract (exit_guard.c, called from supervise.c through supervise_int.h):
 *  - OWN (this machine's own address): every torrent paused, state saved,
 *    exit 10, whatever on_exit_mismatch says - never probed, because a
 *    probe's connections would come from that address too.
 *  - WRONG (and CHANGED with [killswitch] on_exit_change = pause):
 *    on_exit_mismatch = exit: one line, exit 10, state saved;
 *    pause: one line, every torrent paused. Then a probe every
 *    MK_EXIT_PROBE_FIRST_MS (doubling up to MK_EXIT_PROBE_MAX_MS): every
 *    source's word is forgotten and the torrents run again for at most
 *    MK_EXIT_PROBE_WINDOW_MS; two sources saying the right address resume
 *    for good ("exit right again"), anything else pauses again.
 *  - CHANGED with on_exit_change = warn: one warning, the new address is
 *    the run's exit from then on.
 *  - Each verdict change is said once on stderr and as a --json event
 *    (exit_mismatch, exit_changed, exit_right); the progress note shows the
 *    exit the swarm sees ("exit 203.0.113.7 (2 peers)").
 */
#ifndef MEERKO_BROKER_EXIT_GUARD_H
#define MEERKO_BROKER_EXIT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "exit_watch.h"
#include "ipc.h"

#define MK_EXIT_PROBE_FIRST_MS 60000
#define MK_EXIT_PROBE_MAX_MS 600000
#define MK_EXIT_PROBE_WINDOW_MS 30000
#define MK_EXIT_OWN_REFRESH_MS 5000

struct mk_exit_guard {
	bool ready;                     /* watch initialised from the config */
	struct mk_exit_watch w;
	int64_t own_read_ms;            /* this machine's addresses last read */
	bool paused;                    /* torrents held for a wrong exit */
	bool probing;                   /* ... running again to hear the swarm */
	int64_t probe_at_ms;            /* paused: next probe / probing: its end */
	int64_t probe_every_ms;
	enum mk_exit_verdict last;      /* the last verdict acted on */
	bool have_view;
	struct mk_exit_view view;       /* what the swarm sees, for the note */
};

/* Called by supervise.c and engine_surface.c on the run's state (supervise_int.h). */
struct sup;
void mk_exitg_on_report(struct sup *s, const Meerko__ExitReport *r);
void mk_exitg_tick(struct sup *s, int64_t now);         /* probes while paused for the exit */
bool mk_exitg_holds(struct sup *s);                     /* torrents must stay paused */
void mk_exitg_engine_started(struct sup *s);            /* on Ready, after the adds */
void mk_exitg_note(struct sup *s, char *buf, size_t len); /* "exit 203.0.113.7 (2 peers)" */

#endif
