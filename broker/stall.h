/*
 * stall.h - noticing a torrent that does not move, and saying why.
 *
 * A torrent stalls when it should be downloading (not complete, not
 * seeding, not failed or listed, not checking or paused, the proxy up) and
 * no payload byte arrived, no piece was verified and its size did not
 * change for a while. After [ui] stall_notice seconds (default 60) the
 * broker prints one line saying why, from what the engine counted
 * (mk_stall_describe), and at most every MK_STALL_REPEAT_S seconds after
 * that. After [download] stall_timeout seconds (--stall-timeout, default 0
 * = never) it gives up on that torrent (exit code 11) while the others go
 * on. A magnet still waiting for its metadata gets the notice but not the
 * timeout: [download] metadata_timeout judges it (exit 9); its clock starts
 * again when the metadata arrives.
 *
 * Contract: pure functions of validated view fields (engine_msg.c) and
 * the time given; no I/O. The text holds only numbers, fixed words and the
 * already sanitised tracker error.
 */
#ifndef MEERKO_BROKER_STALL_H
#define MEERKO_BROKER_STALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine_msg.h"

#define MK_STALL_REPEAT_S 300     /* at most one notice per torrent this often */
#define MK_STALL_TEXT 640         /* room for any mk_stall_describe() text */

struct mk_stall_cfg {
	int notice_s;                 /* [ui] stall_notice; 0 = no notice */
	int timeout_s;                /* [download] stall_timeout; 0 = never give up */
};

/* One torrent's clock. Zero-initialised = not watched yet. */
struct mk_stall {
	bool watching;                /* the clock runs */
	int64_t since_ms;             /* last movement, or when watching began */
	bool noticed;                 /* a notice was given (at last_notice_ms) */
	int64_t last_notice_ms;
	uint64_t downloaded, done, wanted; /* as last seen */
};

enum mk_stall_verdict {
	MK_STALL_MOVING = 0,          /* nothing to say */
	MK_STALL_NOTICE,              /* print the diagnosis now */
	MK_STALL_TIMEOUT,             /* give up on it now */
};

/* Whether v should be moving by its own state (the caller also stops the
 * clock during a proxy outage). */
bool mk_stall_applies(const struct mk_torrent_view *v);

/* Called at least once a second per torrent. watching = mk_stall_applies()
 * and no outage; while false the clock stands still and restarts later. */
enum mk_stall_verdict mk_stall_tick(struct mk_stall *st, const struct mk_torrent_view *v, bool watching,
				    const struct mk_stall_cfg *cfg, int64_t now_ms);

/* Whole seconds since the torrent last moved (0 when not watched). */
int64_t mk_stall_seconds(const struct mk_stall *st, int64_t now_ms);

/* "no data for 60 s - 0 peers from trackers (2 replies); ... - HINT" into
 * buf (always NUL-terminated). Returns strlen(buf). */
size_t mk_stall_describe(const struct mk_torrent_view *v, int64_t stalled_s, char *buf, size_t len);

#endif
