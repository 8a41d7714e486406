/*
 * control_prescan.h - what stops a hostile meerko-control from making the
 * broker allocate far more than one frame while protobuf-c unpacks a
 * ControlRequest (as mk_e2b_prescan does for the engine, ipc/unpack_guard.h).
 *
 * Contract: reads only buf[0..len), allocates nothing, linear in len.
 * Counts every entry of the request's repeated fields (Ids numbers and
 * hashes, torrent-get fields, torrent-add/-set labels and file index lists,
 * session-get fields), a packed list element by element (protobuf-c accepts
 * packed encoding for any repeated scalar), over every occurrence of a
 * member (protobuf merges repeats). Refuses malformed wire format (groups,
 * bad lengths, field 0) and more than MK_CTL_PRESCAN_MAX entries in all.
 * The unpack budget then catches what is not counted (unknown fields).
 * Finer limits per list are control_surface.c's (MK_CTL_MAX_IDS).
 */
#ifndef MEERKO_BROKER_CONTROL_PRESCAN_H
#define MEERKO_BROKER_CONTROL_PRESCAN_H

#include <stddef.h>
#include <stdint.h>

#define MK_CTL_PRESCAN_MAX 40000   /* 4 x MK_CTL_MAX_IDS: a request may carry ids and file lists */

/* NULL when buf may be unpacked, else why not (a constant string). */
const char *mk_ctl_prescan(const uint8_t *buf, size_t len);

#endif
