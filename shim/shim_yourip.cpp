/*
 * shim_yourip.cpp - the address the swarm sees us at: every peer's BEP 10
 * extension handshake may carry "yourip" (4 or 16 bytes, the address the
 * peer saw our connection come from: the proxy's egress when all is well).
 *
 * Contract (see shim_internal.hpp, mk_exit_seen_take in mk_shim.h):
 *  - A libtorrent torrent plugin, added to the session before any torrent,
 *    gives each peer connection a peer plugin whose on_extension_handshake()
 *    reads "yourip" and never changes the connection (returns true).
 *  - That hook runs on libtorrent's network thread: it only copies bytes
 *    into mk_yourip_log under its mutex. The caller's thread takes them
 *    (mk_yourip_log::take); nothing else is shared.
 *  - One observation per peer connection (its first "yourip"; a peer that
 *    sends the handshake again on the same connection is not heard twice),
 *    and every new connection is heard again, even when it says what the
 *    same peer said before: the broker forgets every word when it probes a
 *    paused run and must hear the swarm anew, and the exit may come back to
 *    an address seen earlier (VPN down, then up). Bounded: at most
 *    kMaxQueued waiting (connections are bounded by the connection limits
 *    and libtorrent's reconnect delay); more are dropped, never blocked on.
 *  - The source id is a keyed 64-bit hash of the peer's IP address (not its
 *    port: one host is one source), with a random key per session, so the
 *    broker can count independent peers without learning who they are.
 *  - Everything here is a stranger's word: the broker validates it
 *    (broker/engine_msg.c) and judges it (broker/exit_watch.c).
 */
#include "shim_internal.hpp"

#include <sys/random.h>

#include <cstring>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/session.hpp>

namespace lt = libtorrent;

namespace {

constexpr size_t kMaxQueued = 256;

uint64_t random_key()
{
	uint64_t k = 0;
	if (getrandom(&k, sizeof k, 0) != static_cast<ssize_t>(sizeof k))
		k = reinterpret_cast<uintptr_t>(&k) ^ 0x9e3779b97f4a7c15ull; /* never fails on Linux >= 3.17 */
	return k;
}

/* FNV-1a over the key and the bytes: not a MAC, only a stable pseudonym. */
uint64_t keyed_hash(uint64_t key, const void *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ key;
	const auto *b = static_cast<const unsigned char *>(p);
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		h = (h ^ ((key >> (8 * i)) & 0xff)) * 0x100000001b3ull;
	return h;
}

uint64_t source_of(uint64_t key, lt::address const &a)
{
	if (a.is_v4()) {
		auto const b = a.to_v4().to_bytes();
		return keyed_hash(key, b.data(), b.size());
	}
	auto const b = a.to_v6().to_bytes();
	return keyed_hash(key, b.data(), b.size());
}

class yourip_peer final : public lt::peer_plugin {
public:
	yourip_peer(std::shared_ptr<mk_yourip_log> log, lt::torrent_handle h, lt::address peer)
		: log_(std::move(log)), h_(std::move(h)), peer_(peer) {}
	bool on_extension_handshake(lt::bdecode_node const &n) override
	{
		try {
			if (n.type() != lt::bdecode_node::dict_t)
				return true;
			lt::string_view const y = n.dict_find_string_value("yourip");
			if (!said_ && (y.size() == 4 || y.size() == 16)) {
				said_ = true;
				log_->note(h_, peer_, y.data(), y.size());
			}
		} catch (...) {
		}
		return true; /* never a reason to drop the peer */
	}

private:
	std::shared_ptr<mk_yourip_log> log_;
	lt::torrent_handle h_;
	lt::address peer_;
	bool said_ = false;         /* this connection was heard */
};

class yourip_torrent final : public lt::torrent_plugin {
public:
	yourip_torrent(std::shared_ptr<mk_yourip_log> log, lt::torrent_handle h)
		: log_(std::move(log)), h_(std::move(h)) {}
	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const &pc) override
	{
		return std::make_shared<yourip_peer>(log_, h_, pc.remote().address());
	}

private:
	std::shared_ptr<mk_yourip_log> log_;
	lt::torrent_handle h_;
};

} // namespace

mk_yourip_log::mk_yourip_log() : key_(random_key()) {}

void mk_yourip_log::note(lt::torrent_handle const &h, lt::address const &peer, const char *addr,
			 size_t len)
{
	mk_yourip_seen o;
	o.h = h;
	o.source = source_of(key_, peer);
	memcpy(o.addr, addr, len);
	o.len = static_cast<uint8_t>(len);
	std::lock_guard<std::mutex> lock(m_);
	if (queue_.size() >= kMaxQueued)
		return;
	queue_.push_back(o);
}

std::vector<mk_yourip_seen> mk_yourip_log::take()
{
	std::lock_guard<std::mutex> lock(m_);
	std::vector<mk_yourip_seen> out(queue_.begin(), queue_.end());
	queue_.clear();
	return out;
}

void mk_shim_add_yourip_plugin(lt::session &ses, std::shared_ptr<mk_yourip_log> log)
{
	ses.add_extension([log](lt::torrent_handle const &h, lt::client_data_t) {
		return std::static_pointer_cast<lt::torrent_plugin>(std::make_shared<yourip_torrent>(log, h));
	});
}
