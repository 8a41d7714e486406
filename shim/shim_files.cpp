/*
 * shim_files.cpp - a torrent's file list, file priorities and per-torrent
 * add options (the rest of mk_shim.h is in shim.cpp).
 *
 * Contract (see mk_shim.h): no exception crosses the boundary; every
 * extern "C" function catches everything and returns -1. The file list is
 * copied out of libtorrent (sizes and '/'-joined paths as libtorrent will
 * write them below the save path); nothing here touches the disk.
 * mk_torrent_bytes_files() lists a .torrent without any session: it only
 * parses (the same loader and checks as adding), so it opens no socket.
 * File priorities and the sequential flag are always the caller's: resume
 * data from an earlier run with another selection must not decide them.
 */
#include "shim_internal.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <libtorrent/download_priority.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_info.hpp>

namespace lt = libtorrent;

void mk_shim_apply_opts(lt::add_torrent_params &p, const mk_add_opts *o)
{
	p.file_priorities.clear();
	p.piece_priorities.clear();
	p.flags &= ~(lt::torrent_flags::sequential_download | lt::torrent_flags::default_dont_download);
	if (!o)
		return;
	/* Nothing is downloaded until the caller sets priorities: for a magnet
	 * this holds from the moment metadata arrives, so no payload byte of an
	 * unwanted file is fetched in between. */
	if (o->hold_files)
		p.flags |= lt::torrent_flags::default_dont_download;
	if (o->paused)
		p.flags |= lt::torrent_flags::paused;
	if (o->sequential)
		p.flags |= lt::torrent_flags::sequential_download;
	p.max_connections = o->max_connections > 0 ? o->max_connections : -1; /* -1: none */
}

extern "C" {

int mk_add_torrent(mk_session *s, uint32_t id, const void *torrent, size_t torrent_len,
		   const char *magnet, const char *save_path, const void *resume,
		   size_t resume_len, char *err, size_t errlen)
{
	return mk_add_torrent2(s, id, torrent, torrent_len, magnet, save_path, resume, resume_len,
			       nullptr, err, errlen);
}

void mk_files_free(mk_file *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		free(f[i].path);
	free(f);
}

} // extern "C"

namespace {

/* path with ".N" before the extension of its last element ("a.txt" ->
 * "a.1.txt", "a" -> "a.1"), libtorrent's own rule for duplicate names. */
std::string numbered(std::string const &path, int n)
{
	size_t const slash = path.rfind('/');
	size_t const start = slash == std::string::npos ? 0 : slash + 1;
	size_t dot = path.rfind('.');
	if (dot == std::string::npos || dot <= start)
		dot = path.size();
	return path.substr(0, dot) + "." + std::to_string(n) + path.substr(dot);
}

/* Every proper prefix ("a", "a/b" of "a/b/c") of path. */
std::vector<std::string> parents(std::string const &path)
{
	std::vector<std::string> v;
	for (size_t at = path.find('/'); at != std::string::npos; at = path.find('/', at + 1))
		v.push_back(path.substr(0, at));
	return v;
}

std::string without_del(std::string path)
{
	for (char &c : path)
		if (c == '\x7f')
			c = '_';
	return path;
}

} // namespace

std::vector<std::pair<lt::file_index_t, std::string>> mk_shim_name_fixes(lt::file_storage const &fs)
{
	std::vector<std::pair<lt::file_index_t, std::string>> fixes;
	std::set<std::string> taken, dirs, claimed; /* every name, directories, kept so far */
	std::map<std::string, int> next; /* per wanted name: the number to try next (0 = none),
					  * so 100000 files of one name cost no n^2 lookups */
	for (lt::file_index_t i : fs.file_range()) {
		if (fs.pad_file_at(i))
			continue; /* BEP 47 padding is never written: ".pad/N" may repeat */
		std::string const p = without_del(fs.file_path(i));
		taken.insert(p);
		for (auto const &d : parents(p))
			dirs.insert(d);
	}
	for (lt::file_index_t i : fs.file_range()) {
		if (fs.pad_file_at(i))
			continue;
		std::string const want = without_del(fs.file_path(i));
		std::string p;
		/* The first file keeps a name; a later one, or a file named like a
		 * directory (directories win, as in libtorrent), is numbered past
		 * every name and directory of the torrent. */
		for (int &n = next[want];; n++) {
			p = n == 0 ? want : numbered(want, n);
			if (!claimed.count(p) && !dirs.count(p) && (n == 0 || !taken.count(p))) {
				n++;
				break;
			}
		}
		claimed.insert(p);
		taken.insert(p);
		if (p != fs.file_path(i))
			fixes.emplace_back(i, p);
	}
	return fixes;
}

namespace {

/* The files of fs copied out for C, with mk_shim_name_fixes applied (for a
 * magnet whose renames are still on their way): 0, or -1 (nothing left
 * allocated). */
int copy_files(lt::file_storage const &fs, mk_file **out, size_t *n)
{
	size_t const count = static_cast<size_t>(fs.num_files());
	size_t done = 0;
	mk_file *v = static_cast<mk_file *>(calloc(count ? count : 1, sizeof *v));
	if (!v)
		return -1;
	try {
		std::map<lt::file_index_t, std::string> fixed;
		for (auto &f : mk_shim_name_fixes(fs))
			fixed[f.first] = std::move(f.second);
		for (lt::file_index_t i : fs.file_range()) {
			auto const it = fixed.find(i);
			std::string const path = it != fixed.end() ? it->second : fs.file_path(i);
			mk_file &f = v[done];
			f.path = strdup(path.c_str());
			if (!f.path)
				throw std::bad_alloc();
			f.size = fs.file_size(i);
			f.pad = fs.pad_file_at(i);
			done++;
		}
	} catch (...) {
		mk_files_free(v, done);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

} // namespace

extern "C" {

int mk_torrent_files(mk_session *s, uint32_t id, mk_file **out, size_t *n)
{
	try {
		if (!out || !n)
			return -1;
		lt::torrent_handle h = mk_shim_handle(s, id);
		if (!h.is_valid())
			return -1;
		std::shared_ptr<const lt::torrent_info> ti = h.torrent_file();
		if (!ti || !ti->is_valid())
			return 1; /* magnet without metadata yet */
		return copy_files(ti->files(), out, n);
	} catch (...) {
		return -1;
	}
}

int mk_torrent_bytes_files(const void *torrent, size_t torrent_len, mk_file **out, size_t *n,
			   char *err, size_t errlen)
{
	try {
		std::shared_ptr<lt::torrent_info> ti;
		std::string why = !torrent || !torrent_len ? "no torrent bytes"
				  : mk_shim_load_torrent(torrent, torrent_len, ti);
		if (why.empty() && (!out || !n || copy_files(ti->files(), out, n) != 0))
			why = "cannot list the files: out of memory";
		if (why.empty())
			return 0;
		if (err && errlen)
			snprintf(err, errlen, "%s", why.c_str());
	} catch (...) {
		if (err && errlen)
			snprintf(err, errlen, "cannot list the files: unknown error");
	}
	return -1;
}

int mk_torrent_set_priorities(mk_session *s, uint32_t id, const uint8_t *prio, size_t n)
{
	try {
		lt::torrent_handle h = mk_shim_handle(s, id);
		if (!h.is_valid() || (!prio && n))
			return -1;
		std::shared_ptr<const lt::torrent_info> ti = h.torrent_file();
		if (!ti || static_cast<size_t>(ti->num_files()) != n)
			return -1;
		std::vector<lt::download_priority_t> v;
		v.reserve(n);
		for (size_t i = 0; i < n; i++) {
			if (prio[i] > 7)
				return -1;
			v.emplace_back(prio[i]);
		}
		/* Applied after a disk-thread round trip: see
		 * mk_torrent_priorities_applied. */
		h.prioritize_files(v);
		return 0;
	} catch (...) {
		return -1;
	}
}

int mk_torrent_priorities_applied(mk_session *s, uint32_t id, const uint8_t *prio, size_t n)
{
	try {
		lt::torrent_handle h = mk_shim_handle(s, id);
		if (!h.is_valid())
			return -1;
		std::vector<lt::download_priority_t> const have = h.get_file_priorities();
		if (have.size() != n)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (static_cast<uint8_t>(have[i]) != prio[i])
				return 0;
		return 1;
	} catch (...) {
		return -1;
	}
}

} // extern "C"
