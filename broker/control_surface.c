/*
 * control_surface.c - the broker's table of RPC requests (see
 * control_surface.h): one row per Method with its allowed daemon states,
 * validator, handler (NULL where the daemon wiring supplies it) and why it
 * is safe; the validators; the handlers that need no torrent.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control_surface.h"
#include "daemon_store.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/* Absolute, printable, < PATH_MAX, no "." / ".." / empty component (a
 * single trailing '/' allowed). */
static bool path_canonical(const char *p)
{
	size_t n = strnlen(p, PATH_MAX);
	if (n == 0 || n >= PATH_MAX || p[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	for (const char *c = p + 1; *c != '\0';) {
		size_t l = strcspn(c, "/");
		if ((l == 0 && c[0] == '/') || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += l + (c[l] == '/');
	}
	return true;
}

/* The part of path below root ("" for the root itself), or NULL. */
static const char *below_root(const char *root, const char *path)
{
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1)
		return path + 1;
	if (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
		return NULL;
	return path[rl] == '/' ? path + rl + 1 : path + rl;
}

static int openat2_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how, sizeof how);
}

int mk_ctl_open_beneath(const struct mk_daemon_view *v, const char *path)
{
	const char *rel = path_canonical(path) ? below_root(v->download_root, path) : NULL;
	if (rel == NULL || v->root_fd < 0) {
		errno = EXDEV;
		return -1;
	}
	return openat2_beneath(v->root_fd, rel);
}

/* The longest existing prefix of rel resolves beneath the root, through
 * directories only, no symlink. */
static int existing_prefix_beneath(int root_fd, const char *rel)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", rel);
	for (int depth = 0; depth < PATH_MAX / 2; depth++) {
		int fd = openat2_beneath(root_fd, buf);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != ENOENT || buf[0] == '\0')
			return -1;
		char *slash = strrchr(buf, '/');
		*(slash ? slash : buf) = '\0';
	}
	return -1;
}

int mk_ctl_dir_under_root(const struct mk_daemon_view *v, const char *path, char *why, size_t whylen)
{
	const char *rel = path_canonical(path) ? below_root(v->download_root, path) : NULL;
	if (rel == NULL)
		return WHY("download-dir must be %s or a directory below it (absolute, no '..')",
			   v->download_root);
	if (v->root_fd >= 0 && existing_prefix_beneath(v->root_fd, rel) != 0)
		return WHY("download-dir must be %s or a directory below it (%s on the way)",
			   v->download_root, errno == ELOOP ? "a symlink" : errno == EXDEV ? "it leaves the root"
			   : errno == ENOTDIR ? "a file" : strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Field checks                                                        */
/* ------------------------------------------------------------------ */

static bool in_range(int64_t x, int64_t lo, int64_t hi)
{
	return x >= lo && x <= hi;
}

static bool is_hash(const char *h)
{
	size_t i = 0;
	for (; h[i] && i < 41; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return i == 40;
}

static int check_ids(const Meerko__Control__Ids *ids, char *why, size_t whylen)
{
	if (ids == NULL)
		return 0;
	if (ids->n_numbers + ids->n_hashes > MK_CTL_MAX_IDS)
		return WHY("more than %d ids", MK_CTL_MAX_IDS);
	for (size_t i = 0; i < ids->n_numbers; i++)
		if (!in_range(ids->numbers[i], 1, MK_DSTORE_MAX_ID))
			return WHY("invalid ids");
	for (size_t i = 0; i < ids->n_hashes; i++)
		if (!is_hash(ids->hashes[i]))
			return WHY("invalid ids");
	return 0;
}

static bool named(const Meerko__Control__Ids *ids, const struct mk_ctl_torrent *t)
{
	if (ids == NULL || (ids->has_recently_active && ids->recently_active))
		return true;
	for (size_t i = 0; i < ids->n_numbers; i++)
		if (ids->numbers[i] == t->id)
			return true;
	for (size_t i = 0; i < ids->n_hashes; i++)
		if (t->hash[0] && strcmp(ids->hashes[i], t->hash) == 0)
			return true;
	return false;
}

/* Every index of every list < the file count of every torrent named
 * (unknown ids are skipped, as Transmission does). */
static int check_indexes(const mk_ctl_request *rq, const struct mk_daemon_view *v,
			 int64_t *const lists[], const size_t counts[], size_t nlists, char *why, size_t whylen)
{
	size_t total = 0;
	for (size_t l = 0; l < nlists; l++)
		total += counts[l];
	if (total == 0)
		return 0;
	if (total > MK_CTL_MAX_IDS)
		return WHY("more than %d file indexes", MK_CTL_MAX_IDS);
	for (size_t t = 0; t < v->n_torrents; t++) {
		if (!named(rq->ids, &v->torrents[t]))
			continue;
		for (size_t l = 0; l < nlists; l++)
			for (size_t i = 0; i < counts[l]; i++)
				if (!in_range(lists[l][i], 0, (int64_t)v->torrents[t].n_files - 1))
					return WHY("file index %lld out of range for torrent %lld (%u files)",
						   (long long)lists[l][i], (long long)v->torrents[t].id,
						   v->torrents[t].n_files);
	}
	return 0;
}

static int check_labels(char *const *labels, size_t n, char *why, size_t whylen)
{
	if (n > MK_DSTORE_MAX_LABELS)
		return WHY("more than %d labels", MK_DSTORE_MAX_LABELS);
	for (size_t i = 0; i < n; i++)
		if (!mk_dstore_label_ok(labels[i]))
			return WHY("a label must be 1-%d bytes, no control character or ','", MK_DSTORE_LABEL_MAX);
	return 0;
}

static bool magnet_ok(const char *s)
{
	size_t n = strnlen(s, MK_CTL_MAX_MAGNET + 1);
	if (n > MK_CTL_MAX_MAGNET || strncmp(s, "magnet:?", 8) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Validators                                                          */
/* ------------------------------------------------------------------ */

static int v_none(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	(void)v;
	return check_ids(rq->ids, why, whylen);
}

static int v_torrent_get(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	const Meerko__Control__TorrentGetArgs *a = rq->torrent_get;
	if (a && a->n_fields > 128)
		return WHY("too many fields");
	if (a && a->format && strcmp(a->format, "table") != 0 && strcmp(a->format, "objects") != 0)
		return WHY("format must be objects or table");
	return v_none(rq, v, why, whylen);
}

static int add_source_ok(const Meerko__Control__TorrentAddArgs *a, char *why, size_t whylen)
{
	bool file = a->filename != NULL, meta = a->has_metainfo;
	if (file == meta)
		return WHY("torrent-add needs exactly one of filename (a magnet link) and metainfo");
	if (file && !magnet_ok(a->filename))
		return WHY("filename must be a magnet link; send a .torrent file as metainfo "
			   "(the daemon reads no file paths for a client)");
	if (meta && (a->metainfo.len == 0 || a->metainfo.len > MK_DSTORE_MAX_SOURCE || a->metainfo.data[0] != 'd'))
		return WHY("metainfo is not a .torrent file of at most 8 MiB");
	return 0;
}

static int v_torrent_add(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	const Meerko__Control__TorrentAddArgs *a = rq->torrent_add;
	if (a == NULL)
		return WHY("torrent-add needs arguments");
	if (add_source_ok(a, why, whylen) != 0 || check_labels(a->labels, a->n_labels, why, whylen) != 0)
		return -1;
	if (a->download_dir && mk_ctl_dir_under_root(v, a->download_dir, why, whylen) != 0)
		return -1;
	if ((a->has_peer_limit && !in_range(a->peer_limit, 0, 65535)) ||
	    (a->has_bandwidthpriority && !in_range(a->bandwidthpriority, -1, 1)))
		return WHY("peer-limit or bandwidthPriority out of range");
	int64_t *const lists[] = { a->files_wanted, a->files_unwanted, a->priority_high, a->priority_low,
				   a->priority_normal };
	const size_t counts[] = { a->n_files_wanted, a->n_files_unwanted, a->n_priority_high,
				  a->n_priority_low, a->n_priority_normal };
	for (size_t l = 0; l < 5; l++)   /* the file count is known once the engine parsed it */
		for (size_t i = 0; i < counts[l]; i++)
			if (!in_range(lists[l][i], 0, 99999) || counts[l] > MK_CTL_MAX_IDS)
				return WHY("file index out of range");
	return 0;
}

static int set_limits_ok(const Meerko__Control__TorrentSetArgs *a, char *why, size_t whylen)
{
	if ((a->has_downloadlimit && !in_range(a->downloadlimit, 0, MK_CTL_MAX_RATE_KIB)) ||
	    (a->has_uploadlimit && !in_range(a->uploadlimit, 0, MK_CTL_MAX_RATE_KIB)))
		return WHY("a speed limit must be 0-%d kB/s", MK_CTL_MAX_RATE_KIB);
	if ((a->has_bandwidthpriority && !in_range(a->bandwidthpriority, -1, 1)) ||
	    (a->has_queueposition && !in_range(a->queueposition, 0, MK_DSTORE_MAX_TORRENTS)) ||
	    (a->has_seedratiomode && !in_range(a->seedratiomode, 0, 2)) ||
	    (a->has_peer_limit && !in_range(a->peer_limit, 0, 65535)))
		return WHY("bandwidthPriority, queuePosition, seedRatioMode or peer-limit out of range");
	if (a->has_seedratiolimit && !(isfinite(a->seedratiolimit) && a->seedratiolimit >= 0 &&
				       a->seedratiolimit <= 1000))
		return WHY("seedRatioLimit must be 0-1000");
	return 0;
}

static int v_torrent_set(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	const Meerko__Control__TorrentSetArgs *a = rq->torrent_set;
	if (check_ids(rq->ids, why, whylen) != 0)
		return -1;
	if (a == NULL)
		return 0;
	if (set_limits_ok(a, why, whylen) != 0 || check_labels(a->labels, a->n_labels, why, whylen) != 0)
		return -1;
	int64_t *const lists[] = { a->files_wanted, a->files_unwanted, a->priority_high, a->priority_low,
				   a->priority_normal };
	const size_t counts[] = { a->n_files_wanted, a->n_files_unwanted, a->n_priority_high,
				  a->n_priority_low, a->n_priority_normal };
	return check_indexes(rq, v, lists, counts, 5, why, whylen);
}

/* session-set: what only meerko.ini (or nobody) decides. */
static const char *session_forbidden(const Meerko__Control__SessionValues *s)
{
	if (s->version || s->has_rpc_version || s->has_rpc_version_minimum || s->rpc_version_semver)
		return "version";
	if (s->session_id)
		return "session-id";
	if (s->config_dir)
		return "config-dir";
	if (s->has_peer_port || s->has_port_forwarding_enabled)
		return "peer-port / port-forwarding-enabled (nobody connects in behind the proxy)";
	if (s->has_dht_enabled || s->has_pex_enabled || s->has_lpd_enabled || s->has_utp_enabled || s->encryption)
		return "dht / pex / lpd / utp / encryption (privacy settings: meerko.ini)";
	if (s->incomplete_dir || s->has_incomplete_dir_enabled || s->has_rename_partial_files || s->has_cache_size_mb)
		return "incomplete-dir / rename-partial-files / cache-size-mb";
	return NULL;
}

static int v_session_set(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	const Meerko__Control__SessionValues *s = rq->session_set;
	const char *no;
	if (s == NULL)
		return 0;
	if ((no = session_forbidden(s)) != NULL)
		return WHY("session-set cannot change %s", no);
	if (s->download_dir && mk_ctl_dir_under_root(v, s->download_dir, why, whylen) != 0)
		return -1;
	const int64_t rates[] = { s->speed_limit_down, s->speed_limit_up, s->alt_speed_down, s->alt_speed_up };
	const bool has_rate[] = { s->has_speed_limit_down, s->has_speed_limit_up, s->has_alt_speed_down,
				  s->has_alt_speed_up };
	for (size_t i = 0; i < 4; i++)
		if (has_rate[i] && !in_range(rates[i], 0, MK_CTL_MAX_RATE_KIB))
			return WHY("a speed limit must be 0-%d kB/s", MK_CTL_MAX_RATE_KIB);
	if ((s->has_peer_limit_global && !in_range(s->peer_limit_global, 0, 65535)) ||
	    (s->has_peer_limit_per_torrent && !in_range(s->peer_limit_per_torrent, 0, 65535)) ||
	    (s->has_download_queue_size && !in_range(s->download_queue_size, 0, MK_DSTORE_MAX_TORRENTS)) ||
	    (s->has_seed_queue_size && !in_range(s->seed_queue_size, 0, MK_DSTORE_MAX_TORRENTS)))
		return WHY("a peer limit or queue size out of range");
	if (s->has_seedratiolimit && !(isfinite(s->seedratiolimit) && s->seedratiolimit >= 0 &&
				       s->seedratiolimit <= 1000))
		return WHY("seedRatioLimit must be 0-1000");
	return 0;
}

static int v_free_space(const mk_ctl_request *rq, const struct mk_daemon_view *v, char *why, size_t whylen)
{
	if (rq->free_space == NULL || rq->free_space->path == NULL)
		return WHY("free-space needs a path");
	return mk_ctl_dir_under_root(v, rq->free_space->path, why, whylen) == 0 ? 0 :
	       WHY("free-space answers for %s (the download root) only", v->download_root);
}

/* ------------------------------------------------------------------ */
/* Handlers that need no torrent                                       */
/* ------------------------------------------------------------------ */

void mk_ctl_reply_init(struct mk_ctl_reply *r, uint64_t id)
{
	meerko__control__control_reply__init(&r->msg);
	meerko__control__session_values__init(&r->session);
	meerko__control__free_space_reply__init(&r->free_space);
	meerko__control__port_test_reply__init(&r->port_test);
	r->msg.id = id;
}

static int h_port_test(void *d, const struct mk_daemon_view *v, const mk_ctl_request *rq,
		       struct mk_ctl_reply *out, char *why, size_t whylen)
{
	(void)d, (void)v, (void)rq, (void)why, (void)whylen;
	out->port_test.has_port_is_open = true;
	out->port_test.port_is_open = false; /* behind SOCKS5 nobody connects in */
	out->msg.port_test = &out->port_test;
	return 0;
}

/* The versions, the root and the fixed privacy values. The daemon wiring
 * adds its live values (limits, queue) to out->session after calling it. */
static int h_session_get(void *d, const struct mk_daemon_view *v, const mk_ctl_request *rq,
			 struct mk_ctl_reply *out, char *why, size_t whylen)
{
	Meerko__Control__SessionValues *s = &out->session;
	(void)d, (void)rq, (void)why, (void)whylen;
	s->version = (char *)MK_CTL_VERSION;
	s->rpc_version_semver = (char *)MK_CTL_RPC_SEMVER;
	s->has_rpc_version = s->has_rpc_version_minimum = true;
	s->rpc_version = MK_CTL_RPC_VERSION;
	s->rpc_version_minimum = MK_CTL_RPC_VERSION_MIN;
	s->download_dir = (char *)v->download_root;
	s->has_port_forwarding_enabled = true;
	s->port_forwarding_enabled = false;
	out->msg.session = s;
	return 0;
}

/* Always the root's filesystem (statvfs of the root, not of the path the
 * client named): the broker stats no path a client chose. */
static int h_free_space(void *d, const struct mk_daemon_view *v, const mk_ctl_request *rq,
			struct mk_ctl_reply *out, char *why, size_t whylen)
{
	struct statvfs st;
	(void)d;
	int r = v->root_fd >= 0 ? fstatvfs(v->root_fd, &st) : statvfs(v->download_root, &st);
	if (r != 0)
		return WHY("free-space: %s: %s", v->download_root, strerror(errno));
	out->free_space.path = rq->free_space->path;
	out->free_space.has_size_bytes = true;
	out->free_space.size_bytes = (int64_t)((uint64_t)st.f_bavail * st.f_frsize);
	out->msg.free_space = &out->free_space;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

#define M(x) MEERKO__CONTROL__METHOD__##x
#define LIVE (MK_DAEMON_RUNNING | MK_DAEMON_PROXY_DOWN)
#define NOT_STOPPING (MK_DAEMON_STARTING | MK_DAEMON_RUNNING | MK_DAEMON_PROXY_DOWN)

static const struct mk_ctl_row rows[] = {
	{ M(SESSION_GET), "session-get", MK_DAEMON_ANY, v_none, h_session_get,
	  "read only; versions, the root and the daemon's own values, nothing from the client" },
	{ M(SESSION_SET), "session-set", NOT_STOPPING, v_session_set, NULL,
	  "only limits, queue sizes and a download dir under the root; ports, privacy switches, versions refused" },
	{ M(SESSION_STATS), "session-stats", MK_DAEMON_ANY, v_none, NULL, "read only, no arguments" },
	{ M(TORRENT_ADD), "torrent-add", NOT_STOPPING, v_torrent_add, NULL,
	  "bytes or a magnet, never a path; dir under the root; the confined engine parses the metainfo" },
	{ M(TORRENT_GET), "torrent-get", MK_DAEMON_ANY, v_torrent_get, NULL,
	  "read only; the reply holds only the requested fields" },
	{ M(TORRENT_START), "torrent-start", LIVE, v_none, NULL,
	  "sets the user's wanted flag; the kill switch still holds torrents while the proxy is down" },
	{ M(TORRENT_START_NOW), "torrent-start-now", LIVE, v_none, NULL, "as torrent-start, queue bypassed" },
	{ M(TORRENT_STOP), "torrent-stop", MK_DAEMON_ANY, v_none, NULL, "stopping is always safe" },
	{ M(TORRENT_VERIFY), "torrent-verify", LIVE, v_none, NULL, "local hashing of files under the root" },
	{ M(TORRENT_REANNOUNCE), "torrent-reannounce", MK_DAEMON_RUNNING, v_none, NULL,
	  "network only while the proxy is up (never during a kill-switch pause)" },
	{ M(TORRENT_REMOVE), "torrent-remove", LIVE, v_none, NULL,
	  "ids only; data deleted by the confined engine, inside the root" },
	{ M(TORRENT_SET), "torrent-set", LIVE, v_torrent_set, NULL,
	  "numbers range-checked, file indexes within every named torrent" },
	{ M(QUEUE_MOVE_TOP), "queue-move-top", LIVE, v_none, NULL, "ids only; reorders the daemon's own queue" },
	{ M(QUEUE_MOVE_UP), "queue-move-up", LIVE, v_none, NULL, "ids only; reorders the daemon's own queue" },
	{ M(QUEUE_MOVE_DOWN), "queue-move-down", LIVE, v_none, NULL, "ids only; reorders the daemon's own queue" },
	{ M(QUEUE_MOVE_BOTTOM), "queue-move-bottom", LIVE, v_none, NULL, "ids only; reorders the daemon's own queue" },
	{ M(FREE_SPACE), "free-space", MK_DAEMON_ANY, v_free_space, h_free_space,
	  "the root's filesystem only, whatever path is named" },
	{ M(PORT_TEST), "port-test", MK_DAEMON_ANY, v_none, h_port_test,
	  "constant false: nobody connects in behind SOCKS5; nothing is probed" },
};

const struct mk_ctl_row *mk_ctl_rows(size_t *n)
{
	*n = sizeof rows / sizeof rows[0];
	return rows;
}

static const char *state_name(enum mk_daemon_state s)
{
	return s == MK_DAEMON_STARTING ? "starting" : s == MK_DAEMON_RUNNING ? "running"
	       : s == MK_DAEMON_PROXY_DOWN ? "paused (proxy down)" : "stopping";
}

const struct mk_ctl_row *mk_ctl_check(const mk_ctl_request *rq, enum mk_daemon_state state,
				      const struct mk_daemon_view *v, char *why, size_t whylen)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (rows[i].method != rq->method)
			continue;
		if (!(rows[i].states & state)) {
			snprintf(why, whylen, "%s is not allowed while the daemon is %s", rows[i].name,
				 state_name(state));
			return NULL;
		}
		return rows[i].validate(rq, v, why, whylen) == 0 ? &rows[i] : NULL;
	}
	snprintf(why, whylen, "method name not recognized");
	return NULL;
}
