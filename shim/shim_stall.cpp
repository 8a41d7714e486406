/*
 * shim_stall.cpp - counting what the alerts say about why a torrent may not
 * move: tracker replies (how many peers they listed), tracker errors (the
 * last one's text), and how outgoing peer connections ended.
 *
 * Contract (see shim_internal.hpp): mk_shim_count_alert() only reads the
 * alert and bumps saturating counters. A connection is counted once: every
 * peer_disconnected_alert, and a peer_error_alert only when libtorrent posts
 * no peer_disconnected_alert for it (its SOCKS errors get both). It is
 * classified by when it ended and why:
 *  - refused: before it was up, with "connection refused" or "not allowed"
 *    (what a SOCKS5 proxy answers, REP 5 / 2, when the peer or its own rules
 *    refuse; the broker's relay answers 2 for a destination it forbids);
 *  - failed: otherwise before it was up (unreachable, timed out, the proxy
 *    closed or failed);
 *  - closed: once it was up, unless libtorrent ended it by its own choice
 *    (paused, stopping, duplicate, not interested...): the other side
 *    closed it, reset it, broke the protocol or stayed silent.
 * The tracker error text is libtorrent's error and the tracker's failure
 * reason, never the URL; it is cut to 255 bytes. The broker validates and
 * sanitises all of it (broker/engine_msg.c): the tracker is a stranger.
 */
#include "shim_internal.hpp"

#include <cstdint>
#include <cstring>

#include <boost/asio/error.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/socks5_stream.hpp>

namespace lt = libtorrent;

namespace {

constexpr size_t kMaxTrackerError = 255;

void bump(uint32_t &c)
{
	if (c < UINT32_MAX)
		c++;
}

/* libtorrent's own reasons to close a connection: no fault of the peer. */
bool own_choice(lt::error_code const &ec)
{
	if (ec.category() != lt::libtorrent_category())
		return false;
	switch (ec.value()) {
	case lt::errors::torrent_paused:
	case lt::errors::stopping_torrent:
	case lt::errors::session_closing:
	case lt::errors::torrent_removed:
	case lt::errors::torrent_aborted:
	case lt::errors::too_many_connections:
	case lt::errors::self_connection:
	case lt::errors::duplicate_peer_id:
	case lt::errors::upload_upload_connection:
	case lt::errors::uninteresting_upload_peer:
	case lt::errors::torrent_finished:
	case lt::errors::timed_out_no_interest:
		return true;
	default:
		return false;
	}
}

void count_end(mk_stall_counts &c, lt::operation_t op, lt::error_code const &ec)
{
	if (op == lt::operation_t::connect) {
		if (ec == boost::asio::error::connection_refused || ec == boost::asio::error::no_permission)
			bump(c.conn_refused);
		else
			bump(c.conn_failed);
	} else if (!own_choice(ec)) {
		bump(c.conn_closed);
	}
}

void count_tracker_error(mk_stall_counts &c, lt::tracker_error_alert const *te)
{
	bump(c.tracker_errors);
	std::string msg = te->error.message();
	const char *fr = te->failure_reason();
	if (fr && *fr)
		msg += std::string(": ") + fr;
	if (msg.size() > kMaxTrackerError)
		msg.resize(kMaxTrackerError); /* the C side cuts at a character boundary again */
	c.tracker_error = msg;
}

} // namespace

bool mk_shim_count_alert(mk_stall_counts *c, lt::alert const *a)
{
	bool const noise = (a->category() & lt::alert_category::connect) &&
			   !(a->category() & lt::alert_category::error);
	if (!c)
		return noise;
	if (auto *r = lt::alert_cast<lt::tracker_reply_alert>(a)) {
		bump(c->tracker_replies);
		uint32_t n = r->num_peers > 0 ? static_cast<uint32_t>(r->num_peers) : 0;
		if (n > c->tracker_peers)
			c->tracker_peers = n;
	} else if (auto *te = lt::alert_cast<lt::tracker_error_alert>(a)) {
		count_tracker_error(*c, te);
	} else if (auto *pd = lt::alert_cast<lt::peer_disconnected_alert>(a)) {
		count_end(*c, pd->op, pd->error);
	} else if (auto *pe = lt::alert_cast<lt::peer_error_alert>(a)) {
		if (pe->error.category() != lt::socks_category()) /* those also come as peer_disconnected */
			count_end(*c, pe->op, pe->error);
	}
	return noise;
}
