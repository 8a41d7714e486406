/*
 * done.c - the "is this torrent done" decision (see done.h).
 *
 * Why this is safe: it reads only validated view fields (engine_msg.c
 * guarantees done <= wanted, progress <= 100%); the ratio is integer
 * arithmetic with the product checked against overflow, so a huge upload
 * count from a lying engine can at worst end the seeding early.
 */
#include "done.h"

uint64_t mk_ratio_milli(const struct mk_torrent_view *t)
{
	if (t->wanted == 0)
		return UINT64_MAX;
	if (t->uploaded > UINT64_MAX / 1000)
		return UINT64_MAX;
	return t->uploaded * 1000 / t->wanted;
}

bool mk_torrent_complete(const struct mk_torrent_view *t)
{
	if (!t->have_status || t->progress_ppm < 1000000 || t->done < t->wanted)
		return false;
	if (t->state != MEERKO__TORRENT_STATE__STATE_FINISHED &&
	    t->state != MEERKO__TORRENT_STATE__STATE_SEEDING)
		return false;
	/* Before the engine applied our selection its totals mean nothing
	 * (everything held at priority 0 looks "complete"); --list never gets
	 * a selection, so it never completes. */
	return !t->want_files || t->files_selected;
}

bool mk_torrent_done(struct mk_torrent_view *t, const struct mk_seed_goal *g, int64_t now_ms)
{
	if (!mk_torrent_complete(t))
		return false;
	if (!t->complete_seen) {
		t->complete_seen = true;
		t->complete_since_ms = now_ms;
	}
	bool want_ratio = g->ratio_milli > 0, want_time = g->time_min > 0;
	if (!want_ratio && !want_time)
		return true;
	if (want_ratio && mk_ratio_milli(t) >= (uint64_t)g->ratio_milli)
		return true;
	return want_time && now_ms - t->complete_since_ms >= (int64_t)g->time_min * 60000;
}
