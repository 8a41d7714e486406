/*
 * shim_internal.hpp - what shim.cpp shares with shim_files.cpp. C++ only,
 * never included by C code. Both may throw: every extern "C" caller catches.
 */
#ifndef MEERKO_SHIM_INTERNAL_HPP
#define MEERKO_SHIM_INTERNAL_HPP

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "mk_shim.h"

/* The handle of an added torrent (invalid handle for an unknown id). */
libtorrent::torrent_handle mk_shim_handle(mk_session *s, uint32_t id);

/* Applies the caller's per-torrent options to p (o may be NULL). */
void mk_shim_apply_opts(libtorrent::add_torrent_params &p, const mk_add_opts *o);

#endif
