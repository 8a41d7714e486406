/*
 * done.h - when is a torrent finished with: downloaded (the wanted files,
 * verified) and the seeding goal reached.
 *
 * Seeding goal ([seed] ratio / time, --seed-ratio / --seed-time): with
 * neither set (the default) a torrent is done as soon as it is complete.
 * Otherwise it keeps seeding until the ratio (bytes uploaded this run per
 * wanted byte) reaches `ratio`, or `time` minutes passed since it became
 * complete in this run, whichever comes first.
 */
#ifndef MEERKO_BROKER_DONE_H
#define MEERKO_BROKER_DONE_H

#include <stdbool.h>
#include <stdint.h>
#include "engine_msg.h"

struct mk_seed_goal {
	int ratio_milli;   /* 1000 = ratio 1.0; 0 = no ratio goal */
	int time_min;      /* minutes; 0 = no time goal */
};

/* Uploaded per wanted byte, in 1/1000 (UINT64_MAX when nothing is wanted). */
uint64_t mk_ratio_milli(const struct mk_torrent_view *t);

/* Every wanted byte verified, with the file selection applied if asked for. */
bool mk_torrent_complete(const struct mk_torrent_view *t);

/* True when t is complete and g is reached. Records when t first became
 * complete (t->complete_since_ms), which the time goal counts from. */
bool mk_torrent_done(struct mk_torrent_view *t, const struct mk_seed_goal *g, int64_t now_ms);

#endif
