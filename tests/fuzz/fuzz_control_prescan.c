/*
 * fuzz_control_prescan.c - a ControlRequest frame from a hostile
 * meerko-control (broker/control_prescan.c), then protobuf-c under the
 * unpack budget, as control_link.c reads it.
 *
 * Oracle, beyond ASan/UBSan and the malloc limit: whatever the prescan
 * accepts and protobuf-c unpacks has at most MK_CTL_PRESCAN_MAX list
 * entries in all (so the count is never looser than protobuf-c's reading).
 */
#include <stdint.h>
#include <stdlib.h>

#include "control.pb-c.h"
#include "control_prescan.h"
#include "unpack_guard.h"

static size_t entries(const Meerko__Control__ControlRequest *rq)
{
	size_t n = 0;
	if (rq->ids)
		n += rq->ids->n_numbers + rq->ids->n_hashes;
	if (rq->torrent_get)
		n += rq->torrent_get->n_fields;
	if (rq->session_get)
		n += rq->session_get->n_fields;
	const Meerko__Control__TorrentAddArgs *a = rq->torrent_add;
	if (a)
		n += a->n_labels + a->n_files_wanted + a->n_files_unwanted + a->n_priority_high +
		     a->n_priority_low + a->n_priority_normal;
	const Meerko__Control__TorrentSetArgs *s = rq->torrent_set;
	if (s)
		n += s->n_labels + s->n_files_wanted + s->n_files_unwanted + s->n_priority_high +
		     s->n_priority_low + s->n_priority_normal;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mk_ctl_prescan(data, size) != NULL)
		return 0;
	struct mk_unpack_budget b;
	mk_unpack_budget_init(&b, MK_UNPACK_BUDGET);
	Meerko__Control__ControlRequest *rq = meerko__control__control_request__unpack(&b.alloc, size, data);
	if (rq == NULL)
		return 0;
	if (entries(rq) > MK_CTL_PRESCAN_MAX)
		abort();
	meerko__control__control_request__free_unpacked(rq, &mk_unpack_free_allocator);
	return 0;
}
