/*
 * shim.cpp - the C API of mk_shim.h over libtorrent-rasterbar 2.0 (2.0.8).
 *
 * Contract (see mk_shim.h):
 *  - No C++ type or exception crosses the boundary. Every extern "C" function
 *    catches everything; failure is a return value (-1 / NULL / 0) plus, where
 *    the caller gave err/errlen, a NUL-terminated message.
 *  - The caller is single-threaded with respect to one mk_session. The only code
 *    that runs on libtorrent's threads is the alert-notify callback, which does
 *    one non-blocking write(2) to an eventfd and nothing else, and the
 *    "yourip" peer plugin, which only queues bytes under a mutex
 *    (shim_yourip.cpp).
 *  - Torrents are named by caller-chosen ids (0 is reserved). mk_torrent_*
 *    work once the ADDED alert has been popped (-1 before); ADD_FAILED frees
 *    the id again. Alerts about a torrent may carry its id before ADDED.
 *  - Added torrents run at once, are never auto-managed, and get disable_pex/
 *    disable_dht/disable_lsd when those are off; resume data never decides
 *    save_path or pause state, and must belong to the same info-hash.
 *  - Settings not in mk_settings: no IP-change notifier (no NETLINK socket);
 *    listen on 127.0.0.1:0 unless told otherwise; no DHT bootstrap host names
 *    (resolved locally even with a proxy, libtorrent #6295); proxy host must be
 *    an IP literal; anonymous mode also empties peer_fingerprint (2.0.8 keeps
 *    "-LT2080-" otherwise), sends no redundant= (libtorrent's own), reqq 250, no
 *    share_mode, and an extension handshake cut to the neutral set
 *    (shim_hygiene.cpp); rate limits apply to LAN/loopback peers too.
 *  - BEP 37: no session state is ever loaded or saved (session_params with
 *    no dht_state), so the DHT node id is new in every run; peer ids are
 *    libtorrent's random ones (anonymous mode: per connection). Behind a
 *    proxy 2.0.8 announces port 1 ("no listen port", make_announce_port),
 *    as every libtorrent client there does; no setting changes it.
 *    With a proxy, 2.0.8 opens no TCP listener and ignores listen_interfaces:
 *    it binds one UDP socket on 0.0.0.0:<random> (for SOCKS5 UDP ASSOCIATE).
 *  - mk_session_destroy pauses first so trackers get "stopped" (bounded wait,
 *    at most 3 s), then destroys the session (flushes and closes files).
 *  - UDP through SOCKS5 (2.0.8): the UDP association comes up after the
 *    session starts, and what is sent before fails with EACCES. A UDP
 *    tracker that failed so is retried after 1 s (translate()); the DHT is
 *    kicked for its first minute (mk_session_tick()).
 *  - Throughput: libtorrent's defaults already reach ~166 MiB/s through
 *    microsocks and ~270 MiB/s through dante on loopback (swarm.md), so no
 *    buffer/watermark settings are changed here.
 */
#include "mk_shim.h"
#include "shim_internal.hpp"

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/extensions/smart_ban.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <libtorrent/extensions/ut_pex.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <libtorrent/version.hpp>
#include <libtorrent/write_resume_data.hpp>

namespace lt = libtorrent;

namespace {

constexpr size_t kMaxTorrentBytes = 8u << 20;  /* .torrent files */
constexpr size_t kMaxResumeBytes = 16u << 20;  /* resume data embeds the info dict */
constexpr size_t kMaxMagnetBytes = 64u << 10;
constexpr int kPeerErrorsPerSecond = 5;        /* PEER_ERROR alerts beyond this are dropped */
constexpr int kEarlyUdpRetries = 5;            /* quick UDP-tracker retries, see translate() */
constexpr int kDhtKickSeconds = 60;            /* DHT kicks, see mk_session_tick() */
constexpr int kDhtKickEvery = 3;

/* libtorrent's payload counters count "this session", and a pause ends a
 * session: they drop back to 0. The sum over those sessions is what the
 * broker reports as "downloaded this run". */
struct run_counter {
	int64_t before = 0; /* sessions that ended (pauses) */
	int64_t last = 0;   /* libtorrent's counter when last seen */
	int64_t see(int64_t now)
	{
		if (now < last)
			before += last; /* it was reset: a pause or resume */
		last = now;
		return before + now;
	}
};

struct torrent_entry {
	uint32_t id;
	lt::torrent_handle handle; /* invalid until ADDED has been popped */
	run_counter down, up;      /* payload bytes this run, across pauses */
	mk_stall_counts why;       /* trackers and connections, from alerts */
	void see(const lt::torrent_status &st)
	{
		down.see(st.total_payload_download);
		up.see(st.total_payload_upload);
	}
};

/* An alert copied out of libtorrent (its alerts die at the next pop_alerts). */
struct queued_alert {
	mk_alert_type type;
	uint32_t id;
	std::string message;
	std::vector<char> data;
};

/* Writes the message to err (if given) and returns -1. */
__attribute__((format(printf, 3, 4))) int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Copies src into dst[cap] NUL-terminated; if it must cut, it cuts before a
 * UTF-8 continuation byte so the result never ends in half a character. */
void copy_str(char *dst, size_t cap, const std::string &src)
{
	if (cap == 0)
		return;
	size_t n = src.size();
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src.data(), n);
	dst[n] = '\0';
}

/* True when two info-hash sets name the same torrent (v1 and/or v2). */
bool same_torrent(const lt::info_hash_t &a, const lt::info_hash_t &b)
{
	bool v1 = a.has_v1() && b.has_v1(), v2 = a.has_v2() && b.has_v2();
	return (v1 || v2) && (!v1 || a.v1 == b.v1) && (!v2 || a.v2 == b.v2);
}

bool is_ip_literal(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* "ip:port,ip:port" with IP literals only, else "" (never a host name). */
std::string bootstrap_ips_only(const char *list)
{
	std::string all = list ? list : "";
	size_t start = 0;
	while (start < all.size()) {
		size_t end = all.find(',', start);
		if (end == std::string::npos)
			end = all.size();
		std::string e = all.substr(start, end - start);
		size_t colon = e.rfind(':');
		if (colon == std::string::npos || !is_ip_literal(e.substr(0, colon).c_str()))
			return "";
		start = end + 1;
	}
	return all;
}

} // namespace

struct mk_session {
	int efd = -1;
	std::unique_ptr<lt::session> ses;
	bool pex = false, dht = false, lsd = false;
	std::map<uint32_t, std::unique_ptr<torrent_entry>> torrents;
	std::unordered_map<lt::torrent_handle, uint32_t> ids;
	std::deque<queued_alert> queue;
	std::shared_ptr<mk_yourip_log> yourip = std::make_shared<mk_yourip_log>();
	std::deque<mk_yourip_seen> yourip_left; /* taken from the log, not yet handed out */
	std::chrono::steady_clock::time_point peer_err_window{};
	int peer_err_count = 0;
	int early_udp_retries = 0;
	std::vector<std::pair<std::string, int>> dht_nodes; /* bootstrap, IP literals */
	std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();
	std::chrono::steady_clock::time_point next_kick{};

	torrent_entry *find(uint32_t id)
	{
		auto it = torrents.find(id);
		if (it == torrents.end() || !it->second->handle.is_valid())
			return nullptr;
		return it->second.get();
	}
	/* Alerts about a torrent can come before its add_torrent_alert (e.g.
	 * state_changed); then ask the torrent for its userdata (a sync call into
	 * libtorrent's thread, needed only for those few early alerts). */
	uint32_t id_of(const lt::torrent_handle &h)
	{
		auto it = ids.find(h);
		if (it != ids.end())
			return it->second;
		if (!h.is_valid())
			return 0;
		auto *e = h.userdata().get<torrent_entry>();
		if (!e)
			return 0;
		ids[h] = e->id;
		return e->id;
	}
	bool early_udp_retry(lt::alert *a);
	void translate(lt::alert *a);
};

namespace {

lt::settings_pack make_settings(const mk_settings *s)
{
	lt::settings_pack sp;
	using sp_t = lt::settings_pack;

	switch (s->proxy_type) {
	case MK_PROXY_SOCKS5: sp.set_int(sp_t::proxy_type, sp_t::socks5); break;
	case MK_PROXY_SOCKS5_PW: sp.set_int(sp_t::proxy_type, sp_t::socks5_pw); break;
	default: sp.set_int(sp_t::proxy_type, sp_t::none); break;
	}
	if (s->proxy_type != MK_PROXY_NONE) {
		sp.set_str(sp_t::proxy_hostname, s->proxy_host);
		sp.set_int(sp_t::proxy_port, s->proxy_port);
		sp.set_str(sp_t::proxy_username, s->proxy_user ? s->proxy_user : "");
		sp.set_str(sp_t::proxy_password, s->proxy_password ? s->proxy_password : "");
	}
	sp.set_bool(sp_t::proxy_hostnames, s->proxy_hostnames);
	sp.set_bool(sp_t::proxy_peer_connections, s->proxy_peer_connections);
	sp.set_bool(sp_t::proxy_tracker_connections, s->proxy_tracker_connections);

	sp.set_bool(sp_t::anonymous_mode, s->anonymous_mode);
	if (s->anonymous_mode) {
		/* No client name anywhere. 2.0.8's anonymous_mode does NOT randomise
		 * the peer-id prefix ("-LT2080-", seen by the seeder in the smoke
		 * test): generate_peer_id() always copies peer_fingerprint, so an
		 * empty fingerprint gives an all-random peer id. (Trackers of public
		 * torrents get libtorrent's generic "curl/7.81.0" in anonymous mode.) */
		sp.set_str(sp_t::peer_fingerprint, "");
		sp.set_str(sp_t::user_agent, "");
		sp.set_str(sp_t::handshake_client_version, "");
		/* BEP 37 hygiene (measured in the leak lab, leaktest/bep37.c):
		 * redundant= in announces is libtorrent's alone (corrupt= is common); reqq
		 * 2000 is its default (250 is BEP 10's value, ~4 MiB a peer may
		 * queue at us: plenty through a proxy); share_mode is libtorrent's
		 * own extension. The rest of its handshake: shim_hygiene.cpp. */
		sp.set_bool(sp_t::report_redundant_bytes, false);
		sp.set_int(sp_t::max_allowed_in_request_queue, 250);
		sp.set_bool(sp_t::support_share_mode, false);
	}

	/* anonymous_mode does not switch these off (libtorrent #2663). */
	sp.set_bool(sp_t::enable_dht, s->dht);
	sp.set_bool(sp_t::enable_lsd, s->lsd);
	sp.set_bool(sp_t::enable_upnp, s->upnp);
	sp.set_bool(sp_t::enable_natpmp, s->natpmp);
	sp.set_bool(sp_t::enable_outgoing_utp, s->utp);
	sp.set_bool(sp_t::enable_incoming_utp, s->utp);
	/* The default bootstrap nodes are host names, resolved locally even with
	 * a proxy (#6295): only IP literals are ever set (the broker checked
	 * them; checked again here). Without any, nodes come from peers' PORT
	 * messages. */
	sp.set_str(sp_t::dht_bootstrap_nodes, bootstrap_ips_only(s->dht_bootstrap));

	sp.set_int(sp_t::download_rate_limit, s->download_rate_limit > 0 ? s->download_rate_limit : 0);
	sp.set_int(sp_t::upload_rate_limit, s->upload_rate_limit > 0 ? s->upload_rate_limit : 0);
	if (s->connections_limit > 0)
		sp.set_int(sp_t::connections_limit, s->connections_limit);

	const char *li = s->listen_interfaces;
	sp.set_str(sp_t::listen_interfaces, (li && *li) ? li : "127.0.0.1:0");
	sp.set_bool(sp_t::enable_ip_notifier, false);
	/* Peers that failed while the proxy was down would otherwise wait 60 s
	 * (the default) before being tried again after it comes back. */
	sp.set_int(sp_t::min_reconnect_time, 5);

	/* What the broker needs: adds, state, errors, storage (resume data,
	 * file errors), tracker results, peer errors (rate-limited below) and
	 * disconnects (only counted, shim_stall.cpp).
	 * No progress/block/log categories: those are per-piece spam. */
	sp.set_int(sp_t::alert_mask, lt::alert_category::error | lt::alert_category::status
		| lt::alert_category::storage | lt::alert_category::tracker
		| lt::alert_category::peer | lt::alert_category::connect);
	return sp;
}

/* libtorrent 2.0 quietly rewrites unsafe file names when it loads a torrent
 * (drops "..", strips a leading '/', ...), so the names on disk would not be
 * the torrent's. Such a torrent is crafted, never made by a real tool:
 * refuse it. Checks the raw info dict (v1 name/path lists and their .utf-8
 * twins, v2 "file tree" keys). Returns "" or why.
 * Control characters are not refused: real tools make such names (a tab, an
 * escape copied from a terminal), and other clients replace them. libtorrent
 * writes each byte below 0x20 as '_' (colliding names numbered, for a
 * .torrent), and mk_shim_name_fixes() does the same for DEL (0x7f), which
 * libtorrent keeps, and numbers the names of a magnet's metadata.
 * NUL stays refused: no file system can hold it, so no real tool made it. */
bool unsafe_element(lt::string_view e, bool may_be_empty)
{
	if (e.empty())
		return !may_be_empty;
	if (e == "." || e == "..")
		return true;
	return e.find('/') != lt::string_view::npos || e.find('\0') != lt::string_view::npos;
}

/* The refused path, for the message: elements joined by '/', NUL as '?',
 * cut at 200 bytes (the broker sanitises every engine text it shows). */
void add_shown(std::string &shown, lt::string_view e)
{
	if (!shown.empty())
		shown += '/';
	for (char c : e)
		if (shown.size() < 200)
			shown += c == '\0' ? '?' : c;
}

/* "" or the shown path when an element of the list l is unsafe. */
std::string unsafe_path_list(lt::bdecode_node const &l)
{
	if (l.type() != lt::bdecode_node::list_t)
		return {}; /* not ours to judge: libtorrent refuses or ignores it */
	bool bad = false;
	std::string shown;
	for (int i = 0; i < l.list_size(); i++) {
		lt::bdecode_node e = l.list_at(i);
		if (e.type() != lt::bdecode_node::string_t)
			continue;
		bad = bad || unsafe_element(e.string_value(), false);
		add_shown(shown, e.string_value());
	}
	return bad ? (shown.empty() ? std::string("(empty)") : shown) : std::string();
}

std::string unsafe_tree(lt::bdecode_node const &d, int depth, std::string const &above)
{
	if (d.type() != lt::bdecode_node::dict_t || depth > 100)
		return {};
	for (int i = 0; i < d.dict_size(); i++) {
		auto kv = d.dict_at(i);
		std::string here = above;
		add_shown(here, kv.first);
		if (!kv.first.empty() && unsafe_element(kv.first, false))
			return here; /* "" is the file entry itself */
		std::string const below = unsafe_tree(kv.second, depth + 1, here);
		if (!below.empty())
			return below;
	}
	return {};
}

std::string unsafe_names(lt::span<char const> info_section)
{
	static const char why_path[] = "a file path in it is unsafe (an empty element, \".\", \"..\", "
				       "'/' or NUL in one): ";
	lt::error_code ec;
	lt::bdecode_node info = lt::bdecode(info_section, ec);
	if (ec || info.type() != lt::bdecode_node::dict_t)
		return {};
	for (const char *k : { "name", "name.utf-8" }) {
		lt::bdecode_node n = info.dict_find_string(k);
		std::string shown;
		add_shown(shown, n ? n.string_value() : lt::string_view());
		if (n && unsafe_element(n.string_value(), true))
			return "its name is unsafe (\".\", \"..\", '/' or NUL): " + shown;
	}
	lt::bdecode_node files = info.dict_find_list("files");
	for (int i = 0; files && i < files.list_size(); i++) {
		lt::bdecode_node f = files.list_at(i);
		if (f.type() != lt::bdecode_node::dict_t)
			continue;
		for (const char *k : { "path", "path.utf-8" }) {
			std::string const bad = unsafe_path_list(f.dict_find(k));
			if (!bad.empty())
				return why_path + bad;
		}
	}
	std::string const bad = unsafe_tree(info.dict_find_dict("file tree"), 0, {});
	return bad.empty() ? bad : why_path + bad;
}

} // namespace

/* DEL (0x7f) in file names becomes '_' like the bytes below 0x20, and no
 * two files share a path (mk_shim_name_fixes). */
static void fix_names(lt::torrent_info &ti)
{
	for (auto const &f : mk_shim_name_fixes(ti.files()))
		ti.rename_file(f.first, f.second);
}

/* .torrent bytes -> torrent_info, with the limits and the name checks every
 * path takes (adding, and listing without a session). "" or why not. */
std::string mk_shim_load_torrent(const void *torrent, size_t torrent_len,
				 std::shared_ptr<lt::torrent_info> &ti)
{
	if (torrent_len > kMaxTorrentBytes)
		return "not a valid .torrent: larger than 8 MiB";
	lt::load_torrent_limits lim;
	lim.max_buffer_size = static_cast<int>(kMaxTorrentBytes);
	try {
		ti = std::make_shared<lt::torrent_info>(lt::span<char const>(
			static_cast<const char *>(torrent), static_cast<std::ptrdiff_t>(torrent_len)),
			lim, lt::from_span);
	} catch (const lt::system_error &e) {
		return "not a valid .torrent: " + e.code().message();
	}
	if (!ti->is_valid())
		return "not a valid .torrent: no usable info dictionary";
	std::string unsafe = unsafe_names(ti->info_section());
	if (!unsafe.empty())
		return "not a valid .torrent: " + unsafe;
	fix_names(*ti);
	return {};
}

namespace {

/* Builds p from resume data, then .torrent bytes or a magnet link.
 * Returns "" or why the input is not acceptable. */
std::string build_params(const mk_session *ms, const void *torrent, size_t torrent_len,
			 const char *magnet, const void *resume, size_t resume_len,
			 lt::add_torrent_params &p)
{
	lt::error_code ec;
	std::shared_ptr<lt::torrent_info> ti;
	lt::add_torrent_params mp; /* from the magnet link */

	if (torrent) {
		std::string why = mk_shim_load_torrent(torrent, torrent_len, ti);
		if (!why.empty())
			return why;
	} else {
		if (strnlen(magnet, kMaxMagnetBytes + 1) > kMaxMagnetBytes)
			return "not a valid magnet link: longer than 64 KiB";
		lt::parse_magnet_uri(magnet, mp, ec);
		if (ec)
			return "not a valid magnet link: " + ec.message();
	}

	if (resume && resume_len > 0) {
		if (resume_len > kMaxResumeBytes)
			return "not valid resume data: larger than 16 MiB";
		lt::load_torrent_limits lim;
		lim.max_buffer_size = static_cast<int>(kMaxResumeBytes);
		p = lt::read_resume_data(lt::span<char const>(static_cast<const char *>(resume),
			static_cast<std::ptrdiff_t>(resume_len)), ec, lim);
		if (ec)
			return "not valid resume data: " + ec.message();
		const lt::info_hash_t want = ti ? ti->info_hashes() : mp.info_hashes;
		const lt::info_hash_t have = p.ti ? p.ti->info_hashes() : p.info_hashes;
		if (!same_torrent(want, have))
			return "resume data belongs to a different torrent";
		/* Trackers and web seeds come from the user's input, never from resume
		 * data (the broker drops them: broker/resume_check.c). */
		if (ti) {
			p.ti = ti; /* same info-hash; carries the .torrent's trackers */
		} else {
			if (p.ti) /* a magnet's info dict, saved in the resume data */
				fix_names(*p.ti);
			p.tracker_tiers.resize(p.trackers.size(), 0);
			p.trackers.insert(p.trackers.end(), mp.trackers.begin(), mp.trackers.end());
			p.tracker_tiers.insert(p.tracker_tiers.end(), mp.tracker_tiers.begin(), mp.tracker_tiers.end());
			p.url_seeds.insert(p.url_seeds.end(), mp.url_seeds.begin(), mp.url_seeds.end());
			if (p.name.empty())
				p.name = mp.name;
			if (!p.ti && !p.info_hashes.has_v1() && !p.info_hashes.has_v2())
				p.info_hashes = mp.info_hashes;
		}
	} else if (ti) {
		p.ti = ti;
	} else {
		p = std::move(mp);
	}

	/* Flags: ours, not the resume data's. Not auto-managed, so pause/resume are
	 * the caller's alone; start running; a duplicate is an ADD_FAILED. An
	 * earlier run's error state does not carry over: upload mode (set by a
	 * disk error: it would never download again, silently), share mode, stop
	 * when ready; nor does seed mode (trusting the files unchecked). */
	p.flags &= ~(lt::torrent_flags::auto_managed | lt::torrent_flags::paused
		     | lt::torrent_flags::upload_mode | lt::torrent_flags::share_mode
		     | lt::torrent_flags::stop_when_ready | lt::torrent_flags::seed_mode);
	p.flags |= lt::torrent_flags::duplicate_is_error;
	if (!ms->pex)
		p.flags |= lt::torrent_flags::disable_pex;
	if (!ms->dht)
		p.flags |= lt::torrent_flags::disable_dht;
	if (!ms->lsd)
		p.flags |= lt::torrent_flags::disable_lsd;
	return {};
}

/* Returns "" or why the settings are refused. */
std::string check_settings(const mk_settings *s)
{
	if (!s)
		return "no settings";
	if (s->proxy_type == MK_PROXY_NONE)
		return {};
	if (s->proxy_type != MK_PROXY_SOCKS5 && s->proxy_type != MK_PROXY_SOCKS5_PW)
		return "unknown proxy type " + std::to_string(static_cast<int>(s->proxy_type));
	if (!is_ip_literal(s->proxy_host))
		return "proxy host must be an IP address (no local DNS)";
	if (s->proxy_port == 0)
		return "proxy port must not be 0";
	if (s->proxy_type == MK_PROXY_SOCKS5_PW && (!s->proxy_user || !*s->proxy_user))
		return "socks5 with password needs a user name";
	return {};
}

/* With a SOCKS proxy, 2.0.8's session destructor drops the trackers'
 * "stopped" announces (seen in the smoke test; without a proxy they go out).
 * Pausing sends them, so pause and wait, bounded, until every stopped announce
 * got a reply or an error. Alerts popped here are discarded: the session is
 * going away. */
void say_goodbye(lt::session &ses)
{
	using clock = std::chrono::steady_clock;
	ses.pause();
	auto const start = clock::now();
	/* A "stopped" announce is queued within a few ms of pause() if at all;
	 * waiting longer only delays every exit (the bench saw 250 ms each). */
	auto const first_deadline = start + std::chrono::milliseconds(50);
	auto const deadline = start + std::chrono::seconds(3);
	int pending = 0;
	bool sent = false;
	std::vector<lt::alert *> alerts;
	for (;;) {
		auto const now = clock::now();
		if ((sent && pending <= 0) || now >= deadline || (!sent && now >= first_deadline))
			break;
		auto const until = sent ? deadline : first_deadline;
		if (!ses.wait_for_alert(std::chrono::duration_cast<lt::time_duration>(until - now)))
			continue;
		ses.pop_alerts(&alerts);
		for (lt::alert *a : alerts) {
			auto *ann = lt::alert_cast<lt::tracker_announce_alert>(a);
			if (ann && ann->event == lt::event_t::stopped) {
				sent = true;
				pending++;
			} else if (sent && (lt::alert_cast<lt::tracker_reply_alert>(a)
					    || lt::alert_cast<lt::tracker_error_alert>(a))) {
				pending--;
			}
		}
	}
}

/* Runs f on the torrent's handle; 0 on success, -1 for unknown id or error. */
template <typename F>
int with_handle(mk_session *s, uint32_t id, F f)
{
	try {
		torrent_entry *e = s ? s->find(id) : nullptr;
		if (!e)
			return -1;
		f(e->handle);
		return 0;
	} catch (...) {
		return -1;
	}
}

} // namespace

/* 2.0.8 sends UDP before its SOCKS5 UDP association is up and the
 * announce fails with EACCES; its own retry comes ~30 s later. Retry in
 * 1 s instead, a few times per session, silently (not even counted). */
bool mk_session::early_udp_retry(lt::alert *a)
{
	auto *te = lt::alert_cast<lt::tracker_error_alert>(a);
	if (!te || te->error != boost::system::errc::permission_denied ||
	    strncmp(te->tracker_url(), "udp://", 6) != 0 || early_udp_retries >= kEarlyUdpRetries)
		return false;
	early_udp_retries++;
	te->handle.force_reannounce(1, -1, lt::torrent_handle::ignore_min_interval);
	return true;
}

void mk_session::translate(lt::alert *a)
{
	if (strcmp(a->what(), "torrent_added") == 0)
		return; /* ABI-v1 duplicate of add_torrent_alert */
	queued_alert q{MK_ALERT_OTHER, 0, {}, {}};
	if (auto *ta = dynamic_cast<lt::torrent_alert *>(a))
		q.id = id_of(ta->handle);
	int const t = a->type();
	if (early_udp_retry(a))
		return;
	auto const it = torrents.find(q.id);
	if (mk_shim_count_alert(it != torrents.end() ? &it->second->why : nullptr, a))
		return; /* connected / disconnected: counted, nothing to forward */

	if (auto *at = lt::alert_cast<lt::add_torrent_alert>(a)) {
		auto *e = at->params.userdata.get<torrent_entry>();
		if (!e)
			return; /* not added through us */
		q.id = e->id;
		if (at->error) {
			q.type = MK_ALERT_ADD_FAILED;
			q.message = at->error.message();
			/* at->handle may be an existing torrent (duplicate): don't map it. */
			torrents.erase(e->id);
		} else {
			q.type = MK_ALERT_ADDED;
			q.message = at->message();
			e->handle = at->handle;
			ids[at->handle] = e->id;
		}
	} else if (auto *mr = lt::alert_cast<lt::metadata_received_alert>(a)) {
		q.type = MK_ALERT_METADATA_RECEIVED;
		/* Before any file exists (every file is held at priority 0 until
		 * the broker answers): DEL in names as '_', and names made unique
		 * (libtorrent numbers nothing in a magnet's metadata: two names
		 * that became one would write one file). mk_torrent_files lists
		 * the fixed names at once, while these renames are on their way. */
		if (auto ti = mr->handle.torrent_file())
			for (auto const &f : mk_shim_name_fixes(ti->files()))
				mr->handle.rename_file(f.first, f.second);
	} else if (t == lt::torrent_finished_alert::alert_type) {
		q.type = MK_ALERT_FINISHED;
	} else if (auto *te = lt::alert_cast<lt::tracker_error_alert>(a)) {
		/* No URL: the error and the tracker's own failure reason only. */
		q.type = MK_ALERT_TRACKER_ERROR;
		q.message = te->error.message();
		const char *fr = te->failure_reason();
		if (fr && *fr)
			q.message += std::string(": ") + fr;
	} else if (t == lt::file_error_alert::alert_type) {
		q.type = MK_ALERT_FILE_ERROR;
	} else if (t == lt::torrent_error_alert::alert_type) {
		q.type = MK_ALERT_TORRENT_ERROR;
	} else if (auto *sr = lt::alert_cast<lt::save_resume_data_alert>(a)) {
		q.type = MK_ALERT_RESUME_DATA;
		q.data = lt::write_resume_data_buf(sr->params);
	} else if (auto *sf = lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
		q.type = MK_ALERT_RESUME_DATA_FAILED;
		q.message = sf->error.message();
	} else if (t == lt::peer_error_alert::alert_type) {
		auto now = std::chrono::steady_clock::now();
		if (now - peer_err_window >= std::chrono::seconds(1))
			peer_err_window = now, peer_err_count = 0;
		if (++peer_err_count > kPeerErrorsPerSecond)
			return; /* peers fail all the time; a few per second tell enough */
		q.type = MK_ALERT_PEER_ERROR;
	} else if (t == lt::torrent_paused_alert::alert_type) {
		q.type = MK_ALERT_PAUSED;
	} else if (t == lt::torrent_resumed_alert::alert_type) {
		q.type = MK_ALERT_RESUMED;
	} else if ((a->category() & lt::alert_category::peer)
		   && !(a->category() & lt::alert_category::error)) {
		return; /* snubbed/unsnubbed/unwanted block...: noise */
	}
	if (q.message.empty())
		q.message = a->message();
	queue.push_back(std::move(q));
}

/* For shim_files.cpp; may throw (its callers catch). */
lt::torrent_handle mk_shim_handle(mk_session *s, uint32_t id)
{
	torrent_entry *e = s ? s->find(id) : nullptr;
	return e ? e->handle : lt::torrent_handle();
}

static int g_oom_exit_code = 1;

/* operator new failed in any thread (the engine's RLIMIT_DATA): a known
 * exit code instead of std::bad_alloc -> terminate -> SIGABRT. */
static void exit_out_of_memory()
{
	_exit(g_oom_exit_code);
}

extern "C" {

void mk_exit_on_out_of_memory(int code)
{
	g_oom_exit_code = code;
	std::set_new_handler(exit_out_of_memory);
}

const char *mk_libtorrent_version(void)
{
	try {
		return lt::version();
	} catch (...) {
		return "unknown";
	}
}

mk_session *mk_session_create(const mk_settings *s, char *err, size_t errlen)
{
	int efd = -1;
	try {
		std::string why = check_settings(s);
		if (!why.empty()) {
			fail(err, errlen, "%s", why.c_str());
			return nullptr;
		}
		auto ms = std::make_unique<mk_session>();
		ms->pex = s->pex;
		ms->dht = s->dht;
		std::string nodes = bootstrap_ips_only(s->dht_bootstrap);
		for (size_t at = 0; at < nodes.size();) {
			size_t end = nodes.find(',', at);
			if (end == std::string::npos)
				end = nodes.size();
			std::string e = nodes.substr(at, end - at);
			size_t colon = e.rfind(':'); /* bootstrap_ips_only saw one */
			ms->dht_nodes.emplace_back(e.substr(0, colon), std::atoi(e.c_str() + colon + 1));
			at = end + 1;
		}
		ms->lsd = s->lsd;

		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd < 0) {
			fail(err, errlen, "eventfd: %s", strerror(errno));
			return nullptr;
		}
		ms->efd = efd;

		lt::session_params params(make_settings(s), {}); /* no default plugins */
		ms->ses = std::make_unique<lt::session>(std::move(params));
		/* The defaults minus ut_pex when PEX is off. Added before any torrent. */
		ms->ses->add_extension(&lt::create_ut_metadata_plugin);
		ms->ses->add_extension(&lt::create_smart_ban_plugin);
		if (s->pex)
			ms->ses->add_extension(&lt::create_ut_pex_plugin);
		mk_shim_add_yourip_plugin(*ms->ses, ms->yourip);
		if (s->anonymous_mode) /* last: it prunes what the others put in */
			mk_shim_add_hygiene_plugin(*ms->ses);
		/* By default LAN/loopback peers are in the unlimited "local" peer class,
		 * exempt from the rate limits. Behind a proxy that distinction means
		 * nothing; put every address in the global class so limits hold. */
		lt::ip_filter classes;
		auto const global = 1u << static_cast<uint32_t>(lt::session::global_peer_class_id);
		classes.add_rule(lt::make_address("0.0.0.0"), lt::make_address("255.255.255.255"), global);
		classes.add_rule(lt::make_address("::"),
			lt::make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global);
		ms->ses->set_peer_class_filter(classes);

		/* Runs on libtorrent's thread: one non-blocking write, nothing else.
		 * EAGAIN (counter saturated) still leaves the fd readable. */
		ms->ses->set_alert_notify([efd] {
			uint64_t one = 1;
			ssize_t r = write(efd, &one, sizeof one);
			(void)r;
		});
		return ms.release();
	} catch (const std::exception &e) {
		fail(err, errlen, "cannot create session: %s", e.what());
	} catch (...) {
		fail(err, errlen, "cannot create session: unknown error");
	}
	/* ms (if built) is gone with the session; the eventfd is ours to close. */
	if (efd >= 0)
		close(efd);
	return nullptr;
}

void mk_session_destroy(mk_session *s)
{
	if (!s)
		return;
	try {
		if (s->ses) {
			s->ses->set_alert_notify([] {});
			if (!s->ids.empty())
				say_goodbye(*s->ses);
		}
	} catch (...) {
	}
	try {
		/* The destructor stops the session, flushes and closes files. */
		s->ses.reset();
	} catch (...) {
	}
	if (s->efd >= 0)
		close(s->efd);
	try {
		delete s;
	} catch (...) {
	}
}

int mk_add_torrent2(mk_session *s, uint32_t id, const void *torrent, size_t torrent_len,
		    const char *magnet, const char *save_path, const void *resume,
		    size_t resume_len, const mk_add_opts *opts, char *err, size_t errlen)
{
	try {
		if (!s || !s->ses)
			return fail(err, errlen, "no session");
		bool have_bytes = torrent && torrent_len > 0;
		bool have_magnet = magnet && *magnet;
		if (have_bytes == have_magnet)
			return fail(err, errlen, "give exactly one of torrent bytes or a magnet link");
		if (!save_path || !*save_path)
			return fail(err, errlen, "no save path");
		if (id == 0)
			return fail(err, errlen, "torrent id 0 is reserved");
		if (s->torrents.count(id))
			return fail(err, errlen, "torrent id %u already in use", id);

		lt::add_torrent_params p;
		std::string why = build_params(s, have_bytes ? torrent : nullptr, torrent_len,
					       have_bytes ? nullptr : magnet, resume, resume_len, p);
		if (!why.empty())
			return fail(err, errlen, "%s", why.c_str());
		p.save_path = save_path; /* always ours, never the resume data's */
		mk_shim_apply_opts(p, opts);

		auto e = std::make_unique<torrent_entry>();
		e->id = id;
		p.userdata = lt::client_data_t(e.get());
		s->torrents[id] = std::move(e);
		try {
			s->ses->async_add_torrent(std::move(p));
		} catch (...) {
			s->torrents.erase(id);
			throw;
		}
		return 0;
	} catch (const std::exception &e) {
		return fail(err, errlen, "cannot add torrent: %s", e.what());
	} catch (...) {
		return fail(err, errlen, "cannot add torrent: unknown error");
	}
}

int mk_torrent_status(mk_session *s, uint32_t id, mk_status *out)
{
	try {
		if (!s || !out)
			return -1;
		torrent_entry *e = s->find(id);
		if (!e)
			return -1;
		lt::torrent_status st = e->handle.status();
		memset(out, 0, sizeof *out);

		using ts = lt::torrent_status;
		switch (st.state) {
		case ts::checking_files:
		case ts::checking_resume_data: out->state = MK_STATE_CHECKING; break;
		case ts::downloading_metadata: out->state = MK_STATE_METADATA; break;
		case ts::downloading: out->state = MK_STATE_DOWNLOADING; break;
		case ts::finished: out->state = MK_STATE_FINISHED; break;
		case ts::seeding: out->state = MK_STATE_SEEDING; break;
		default: out->state = MK_STATE_UNKNOWN; break;
		}
		if (st.flags & lt::torrent_flags::paused)
			out->state = MK_STATE_PAUSED;
		if (st.errc)
			out->state = MK_STATE_ERROR;
		/* Upload mode while pieces are missing: it cannot make progress
		 * (a disk error put it there): an error, not a quiet stall. */
		if ((st.flags & lt::torrent_flags::upload_mode) && !st.is_finished)
			out->state = MK_STATE_ERROR;

		out->progress = st.progress;
		out->download_rate = st.download_payload_rate;
		out->upload_rate = st.upload_payload_rate;
		out->num_peers = st.num_peers;
		out->num_seeds = st.num_seeds;
		out->total_done = st.total_wanted_done; /* unselected files' pieces excluded */
		out->total_wanted = st.total_wanted;
		e->see(st);
		out->total_download = e->down.before + e->down.last;
		out->total_upload = e->up.before + e->up.last;
		out->has_metadata = st.has_metadata;
		copy_str(out->name, sizeof out->name, st.name);
		mk_stall_counts const &w = e->why;
		out->tracker_replies = w.tracker_replies;
		out->tracker_peers = w.tracker_peers;
		out->tracker_errors = w.tracker_errors;
		copy_str(out->tracker_error, sizeof out->tracker_error, w.tracker_error);
		out->conn_refused = w.conn_refused;
		out->conn_failed = w.conn_failed;
		out->conn_closed = w.conn_closed;
		return 0;
	} catch (...) {
		return -1;
	}
}

int mk_torrent_pause(mk_session *s, uint32_t id)
{
	torrent_entry *e = s ? s->find(id) : nullptr;
	return with_handle(s, id, [e](lt::torrent_handle &h) {
		if (e)
			e->see(h.status({})); /* what this session got before the reset */
		h.unset_flags(lt::torrent_flags::auto_managed);
		h.pause();
	});
}

int mk_torrent_resume(mk_session *s, uint32_t id)
{
	return with_handle(s, id, [](lt::torrent_handle &h) {
		h.unset_flags(lt::torrent_flags::auto_managed);
		h.resume();
		/* After a proxy outage the trackers' retry timers may be long:
		 * ask for peers now rather than in a minute. */
		h.force_reannounce(0, -1, lt::torrent_handle::ignore_min_interval);
	});
}

void mk_session_tick(mk_session *s)
{
	using namespace std::chrono;
	try {
		auto const now = steady_clock::now();
		if (!s || !s->dht || s->dht_nodes.empty() || now < s->next_kick ||
		    now - s->created > seconds(kDhtKickSeconds))
			return;
		s->next_kick = now + seconds(kDhtKickEvery);
		std::vector<lt::torrent_handle> lonely;
		for (auto &kv : s->torrents)
			if (kv.second->handle.is_valid() && kv.second->handle.status({}).num_peers == 0)
				lonely.push_back(kv.second->handle);
		if (lonely.empty())
			return;
		for (auto const &n : s->dht_nodes)
			s->ses->add_dht_node(n); /* an ordinary node: pinged, then in the table */
		for (auto &h : lonely)
			h.force_dht_announce();
	} catch (...) {
	}
}

int mk_torrent_save_resume(mk_session *s, uint32_t id)
{
	return with_handle(s, id, [](lt::torrent_handle &h) {
		h.save_resume_data(lt::torrent_handle::save_info_dict
			| lt::torrent_handle::flush_disk_cache);
	});
}

int mk_torrent_force_recheck(mk_session *s, uint32_t id)
{
	return with_handle(s, id, [](lt::torrent_handle &h) {
		/* a torrent in upload mode (a disk error) would hash and then
		 * refuse to download what is missing */
		h.unset_flags(lt::torrent_flags::upload_mode);
		h.force_recheck();
	});
}

int mk_alert_fd(mk_session *s)
{
	return s ? s->efd : -1;
}

size_t mk_pop_alerts(mk_session *s, mk_alert *out, size_t max)
{
	if (!s || !s->ses)
		return 0;
	try {
		/* Drain the fd first: a notify that lands after this is for alerts
		 * pop_alerts may or may not see; at worst the poller wakes once more. */
		uint64_t cnt;
		while (read(s->efd, &cnt, sizeof cnt) == static_cast<ssize_t>(sizeof cnt)) {
		}
		std::vector<lt::alert *> alerts;
		s->ses->pop_alerts(&alerts); /* invalidates the previous batch */
		for (lt::alert *a : alerts) {
			try {
				s->translate(a);
			} catch (...) {
				/* one bad alert must not lose the rest of the batch */
			}
		}
	} catch (...) {
	}

	size_t n = 0;
	while (n < max && out && !s->queue.empty()) {
		queued_alert &q = s->queue.front();
		mk_alert &o = out[n];
		o.type = q.type;
		o.torrent_id = q.id;
		o.data = nullptr;
		o.data_len = 0;
		copy_str(o.message, sizeof o.message, q.message);
		if (!q.data.empty()) {
			o.data = static_cast<uint8_t *>(malloc(q.data.size()));
			if (o.data) {
				memcpy(o.data, q.data.data(), q.data.size());
				o.data_len = q.data.size();
			} else {
				o.type = MK_ALERT_RESUME_DATA_FAILED;
				snprintf(o.message, sizeof o.message, "out of memory for resume data");
			}
		}
		s->queue.pop_front();
		n++;
	}
	if (!s->queue.empty()) { /* come back for the rest */
		uint64_t one = 1;
		ssize_t r = write(s->efd, &one, sizeof one);
		(void)r;
	}
	return n;
}

size_t mk_exit_seen_take(mk_session *s, mk_exit_seen *out, size_t max)
{
	size_t n = 0;
	try {
		if (!s || !out)
			return 0;
		for (auto &o : s->yourip->take())
			s->yourip_left.push_back(o);
		while (n < max && !s->yourip_left.empty()) {
			mk_yourip_seen const o = s->yourip_left.front();
			s->yourip_left.pop_front();
			uint32_t const id = s->id_of(o.h);
			if (id == 0)
				continue; /* a torrent we no longer know */
			out[n].torrent_id = id;
			out[n].source_id = o.source;
			memcpy(out[n].addr, o.addr, sizeof out[n].addr);
			out[n].addr_len = o.len;
			n++;
		}
	} catch (...) {
	}
	return n;
}

void mk_alert_free(mk_alert *a)
{
	if (!a)
		return;
	free(a->data);
	a->data = nullptr;
	a->data_len = 0;
}

} // extern "C"
