/*
 * shim_hygiene.cpp - BEP 37 hygiene of the extension handshake: what we
 * tell every peer about ourselves, in anonymous mode.
 *
 * libtorrent 2.0.8's anonymous_mode drops only "v". Its handshake still
 * names the client family: "complete_ago", m entries "lt_donthave",
 * "share_mode", "ut_holepunch" (only libtorrent sends them) and
 * reqq = 2000 (its default; the reqq itself is set to 250 in make_settings,
 * shim.cpp). Measured in the leak lab; meerko-leaktest fails on each
 * (leaktest/bep37.c).
 *
 * Contract (see shim_internal.hpp):
 *  - A torrent plugin, added to the session after every other one, gives
 *    each peer connection a peer plugin whose add_handshake() runs last,
 *    after libtorrent and the other plugins filled the dictionary, and
 *    keeps only the neutral set (tables below): top-level keys m,
 *    metadata_size, reqq, upload_only, yourip; in m, ut_metadata, ut_pex,
 *    upload_only. Everything else goes, so p, v, ipv4, ipv6 (our listen
 *    port, name and addresses) can never be sent, whatever a later
 *    libtorrent adds.
 *  - Dropping an m entry only means the peer will not send us that message
 *    (BEP 10); lt_donthave, share_mode and hole punching are of no use
 *    behind a proxy.
 *  - Runs on libtorrent's network thread and touches only the dictionary
 *    it is given, in place: libtorrent still holds a reference to its "m"
 *    dictionary after the hook (a copy swapped in left it dangling: the
 *    engine crashed), so "m" itself is never replaced. Erasing map entries
 *    cannot throw.
 */
#include "shim_internal.hpp"

#include <cstring>

#include <libtorrent/entry.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/session.hpp>

namespace lt = libtorrent;

namespace {

/* BEP 10 m, reqq, yourip; BEP 9 metadata_size; BEP 21 upload_only. */
const char *const kNeutralKeys[] = { "m", "metadata_size", "reqq", "upload_only", "yourip" };
/* BEP 9 ut_metadata, BEP 11 ut_pex, BEP 21 upload_only. */
const char *const kNeutralM[] = { "ut_metadata", "ut_pex", "upload_only" };

template <size_t N> bool listed(const char *const (&l)[N], std::string const &k)
{
	for (const char *x : l)
		if (k == x)
			return true;
	return false;
}

template <size_t N> void keep_only(lt::entry::dictionary_type &d, const char *const (&l)[N])
{
	for (auto it = d.begin(); it != d.end();)
		it = listed(l, it->first) ? std::next(it) : d.erase(it);
}

class hygiene_peer final : public lt::peer_plugin {
public:
	void add_handshake(lt::entry &h) override
	{
		if (h.type() != lt::entry::dictionary_t)
			return;
		keep_only(h.dict(), kNeutralKeys);
		auto m = h.dict().find("m");
		if (m != h.dict().end() && m->second.type() == lt::entry::dictionary_t)
			keep_only(m->second.dict(), kNeutralM);
	}
};

class hygiene_torrent final : public lt::torrent_plugin {
public:
	std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const &) override
	{
		return std::make_shared<hygiene_peer>();
	}
};

} // namespace

void mk_shim_add_hygiene_plugin(lt::session &ses)
{
	ses.add_extension([](lt::torrent_handle const &, lt::client_data_t) {
		return std::static_pointer_cast<lt::torrent_plugin>(std::make_shared<hygiene_torrent>());
	});
}
