/*
 * engine_surface.h - everything the engine can make the broker do: one
 * table, a row per engine->broker message (engine_surface.c), and the
 * dispatcher that holds each message to its row.
 *
 * Contract: a message is handled only if its row allows it in the current
 * phase, it is not a second copy of a once-only message (per engine run, or
 * per torrent), and its check (engine_msg.c) passes. Anything else is a
 * violation: mk_engine_dispatch returns -1 with one line ("engine sent
 * ResumeData, unpermitted while starting; stopped it" for the phase and once
 * rules, "engine protocol violation: ..." for a failed check), which
 * supervise.c turns into the run's error and the engine's death (exit 7).
 * The modelled-on code is OpenSSH's monitor.c (mon_dispatch).
 */
#ifndef MEERKO_BROKER_ENGINE_SURFACE_H
#define MEERKO_BROKER_ENGINE_SURFACE_H

#include <stddef.h>
#include <stdint.h>
#include "engine_msg.h"

/* The broker's phases around one engine run. */
enum mk_phase {
	PH_STARTING,  /* Configure sent, no Ready yet: no torrent added */
	PH_RUNNING,   /* Ready came, torrents added */
	PH_STOPPING,  /* Shutdown sent: waiting for ShutdownDone */
};
#define MK_IN(ph) (1u << (ph))

enum mk_once {
	MK_MANY,               /* as often as it likes */
	MK_ONCE_PER_ENGINE,    /* once per engine run */
	MK_ONCE_PER_TORRENT,   /* once per torrent per engine run */
};

struct sup;

struct mk_engine_rule {
	Meerko__EngineToBroker__MsgCase msg;
	const char *name;           /* as in ipc/meerko.proto */
	unsigned phases;            /* MK_IN(PH_...) | ... */
	enum mk_once once;
	uint32_t (*torrent)(const Meerko__EngineToBroker *m); /* MK_ONCE_PER_TORRENT: whose */
	mk_engine_check *check;     /* engine_msg.c */
	void (*handle)(struct sup *s, const Meerko__EngineToBroker *m);
	const char *why_safe;       /* one line for the auditor (docs/ipc.md) */
};

/* Which once-only messages this engine run has sent (bits: 1 << msg case). */
struct mk_engine_seen {
	uint32_t engine;
	uint32_t torrent[MK_MAX_TORRENTS]; /* index = torrent id - 1 */
};

extern const struct mk_engine_rule mk_engine_surface[];
extern const size_t mk_engine_surface_rows;

const struct mk_engine_rule *mk_engine_rule_of(int msg_case); /* NULL: not in the table */
const char *mk_phase_name(enum mk_phase ph);

/* The phase and once rules of r for m: 0, or -1 with the "unpermitted" line. */
int mk_engine_permit(const struct mk_engine_rule *r, enum mk_phase ph, const struct mk_engine_seen *seen,
		     const Meerko__EngineToBroker *m, char *why, size_t whylen);
void mk_engine_seen_note(const struct mk_engine_rule *r, struct mk_engine_seen *seen,
			 const Meerko__EngineToBroker *m);

/* Rule, check, then the row's handler. 0 handled; -1 with why (see above). */
int mk_engine_dispatch(struct sup *s, const Meerko__EngineToBroker *m, char *why, size_t whylen);

#endif
