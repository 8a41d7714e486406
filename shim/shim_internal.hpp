/*
 * shim_internal.hpp - what shim.cpp shares with shim_files.cpp. C++ only,
 * never included by C code. Both may throw: every extern "C" caller catches.
 */
#ifndef MEERKO_SHIM_INTERNAL_HPP
#define MEERKO_SHIM_INTERNAL_HPP

#include <string>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "mk_shim.h"

/* What the alerts said about a torrent's trackers and peer connections
 * (mk_status's stall fields, shim_stall.cpp). Counters saturate. */
struct mk_stall_counts {
	uint32_t tracker_replies = 0, tracker_peers = 0, tracker_errors = 0;
	uint32_t conn_refused = 0, conn_failed = 0, conn_closed = 0;
	std::string tracker_error;
};

/* Counts a into *c (c may be NULL: a torrent we do not know) when it is a
 * tracker reply or error, or the end of a peer connection. Returns true
 * when a is a connect-category alert (connected, disconnected, incoming):
 * noise for everyone else, never forwarded. */
bool mk_shim_count_alert(mk_stall_counts *c, libtorrent::alert const *a);

/* The handle of an added torrent (invalid handle for an unknown id). */
libtorrent::torrent_handle mk_shim_handle(mk_session *s, uint32_t id);

/* Applies the caller's per-torrent options to p (o may be NULL). */
void mk_shim_apply_opts(libtorrent::add_torrent_params &p, const mk_add_opts *o);

#endif
