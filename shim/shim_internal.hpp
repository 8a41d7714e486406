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
#include <libtorrent/torrent_info.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <libtorrent/address.hpp>

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

/* .torrent bytes -> torrent_info (size limit, libtorrent's parse, unsafe
 * names refused). Returns "" or why the torrent is not acceptable. */
std::string mk_shim_load_torrent(const void *torrent, size_t torrent_len,
				 std::shared_ptr<libtorrent::torrent_info> &ti);

/* File names as Meerko writes them (issue 15). libtorrent 2.0.8 writes each
 * byte below 0x20 as '_' and, loading a .torrent, numbers the names that
 * then collide ("a_b.1.txt"); it keeps DEL (0x7f), and for a magnet's
 * metadata it numbers nothing, so two files would share one path. This
 * gives, for each file (not padding) to change, its path with DEL as '_',
 * numbered ".N" before the extension when an earlier file has that path or
 * it is a directory's, past every name of the torrent. Empty when nothing
 * is to change (a loaded .torrent with no DEL). */
std::vector<std::pair<libtorrent::file_index_t, std::string>>
mk_shim_name_fixes(libtorrent::file_storage const &fs);

/* The handle of an added torrent (invalid handle for an unknown id). */
libtorrent::torrent_handle mk_shim_handle(mk_session *s, uint32_t id);

/* Applies the caller's per-torrent options to p (o may be NULL). */
void mk_shim_apply_opts(libtorrent::add_torrent_params &p, const mk_add_opts *o);

/* The address peers say they see us at (shim_yourip.cpp). Written on
 * libtorrent's network thread (note), read on the caller's (take). */
struct mk_yourip_seen {
	libtorrent::torrent_handle h;
	uint64_t source = 0;        /* keyed hash of the peer's IP */
	uint8_t addr[16] = {};
	uint8_t len = 0;            /* 4 or 16 */
};
class mk_yourip_log {
public:
	mk_yourip_log();
	void note(libtorrent::torrent_handle const &h, libtorrent::address const &peer,
		  const char *addr, size_t len);
	std::vector<mk_yourip_seen> take();
private:
	std::mutex m_;
	std::deque<mk_yourip_seen> queue_;
	uint64_t const key_;
};
#include <libtorrent/session.hpp>
/* Adds the "yourip" peer plugin; before any torrent is added. */
void mk_shim_add_yourip_plugin(libtorrent::session &ses, std::shared_ptr<mk_yourip_log> log);
/* Cuts every outgoing extension handshake to the neutral set (BEP 37,
 * shim_hygiene.cpp); added last, after every other plugin. */
void mk_shim_add_hygiene_plugin(libtorrent::session &ses);

#endif
