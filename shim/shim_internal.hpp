/*
 * shim_internal.hpp - what shim.cpp shares with shim_files.cpp. C++ only,
 * never included by C code. Both may throw: every extern "C" caller catches.
 */
#ifndef MEERKO_SHIM_INTERNAL_HPP
#define MEERKO_SHIM_INTERNAL_HPP

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include <memory>
#include <string>

#include "mk_shim.h"

/* .torrent bytes -> torrent_info (size limit, libtorrent's parse, unsafe
 * names refused). Returns "" or why the torrent is not acceptable. */
std::string mk_shim_load_torrent(const void *torrent, size_t torrent_len,
				 std::shared_ptr<libtorrent::torrent_info> &ti);

/* The handle of an added torrent (invalid handle for an unknown id). */
libtorrent::torrent_handle mk_shim_handle(mk_session *s, uint32_t id);

/* Applies the caller's per-torrent options to p (o may be NULL). */
void mk_shim_apply_opts(libtorrent::add_torrent_params &p, const mk_add_opts *o);

#endif
