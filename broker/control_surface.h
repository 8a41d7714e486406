/*
 * control_surface.h - what an RPC client (through the confined
 * meerko-control, ipc/control.proto) may ask the broker, in which daemon
 * state, checked how: one table row per Method (control_surface.c), like
 * the engine's message table.
 *
 * Contract:
 *  - meerko-control is as hostile as the engine: every ControlRequest field
 *    is checked here before a handler sees it. mk_ctl_check() finds the row,
 *    refuses a method the daemon's state does not allow, then runs the row's
 *    validator: a pure function of the request and a read-only view of the
 *    daemon (download root, torrents' ids, hashes and file counts). Its
 *    refusal is one line, sent back as the ControlReply's `result`.
 *  - Validators enforce: every download-dir lies under the download root
 *    ([download] save_dir) lexically (absolute, no "." / ".." / empty
 *    component) and, where part of it exists, resolves beneath the root
 *    with no symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS from
 *    the root's fd); `filename` is a magnet link only (a path would make the
 *    broker read any file it can for any local process: a confused deputy;
 *    a .torrent comes as `metainfo` bytes); file indexes in range of every
 *    torrent named; limits in range; session-set only for the values the
 *    table allows (never versions, session id, ports, config dir, or the
 *    privacy switches of meerko.ini).
 *  - The check is not the act: a handler that creates or deletes under a
 *    download dir must open it again with mk_ctl_open_beneath (a symlink can
 *    appear between check and use).
 *  - Handlers: rows for requests answerable without torrents (session-get's
 *    versions and root, free-space, port-test) have real handlers here; the
 *    torrent rows' handler is NULL until the daemon is wired
 *    (broker/supervise.c): mk_ctl_check still validates them, and the
 *    caller answers a NULL handler with MK_CTL_NOT_WIRED.
 */
#ifndef MEERKO_BROKER_CONTROL_SURFACE_H
#define MEERKO_BROKER_CONTROL_SURFACE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

typedef Meerko__Control__ControlRequest mk_ctl_request;
typedef Meerko__Control__ControlReply mk_ctl_reply_msg;

/* The daemon's states, as a mask for the rows. */
enum mk_daemon_state {
	MK_DAEMON_STARTING = 1u << 0,     /* torrents loaded, engine not up yet */
	MK_DAEMON_RUNNING = 1u << 1,
	MK_DAEMON_PROXY_DOWN = 1u << 2,   /* kill switch: every torrent paused */
	MK_DAEMON_STOPPING = 1u << 3,     /* SIGTERM: saving, then exit */
};
#define MK_DAEMON_ANY (MK_DAEMON_STARTING | MK_DAEMON_RUNNING | MK_DAEMON_PROXY_DOWN | MK_DAEMON_STOPPING)

#define MK_CTL_VERSION "4.0.6 (meerko)"
#define MK_CTL_RPC_VERSION 17
#define MK_CTL_RPC_VERSION_MIN 14
#define MK_CTL_RPC_SEMVER "5.3.0"         /* Transmission 4.0.6's */
#define MK_CTL_NOT_WIRED "not available yet in this meerko daemon"
#define MK_CTL_MAX_IDS 10000              /* ids, hashes, file indexes, fields per request */
#define MK_CTL_MAX_RATE_KIB 10000000      /* = [download] max_down's bound */
#define MK_CTL_MAX_MAGNET 8192

/* One torrent as the validators see it. */
struct mk_ctl_torrent {
	int64_t id;
	char hash[41];                    /* lowercase hex; "" while a magnet has no metadata */
	uint32_t n_files;                 /* 0 while the metadata is unknown */
};

/* What validators and the pure handlers may read of the daemon. */
struct mk_daemon_view {
	const char *download_root;        /* absolute, canonical ([download] save_dir) */
	int root_fd;                      /* O_PATH|O_DIRECTORY of the root, or -1: lexical check only */
	size_t n_torrents;
	const struct mk_ctl_torrent *torrents;
};

/* A reply and the storage its submessages point into (no allocation):
 * valid until packed. Strings point at constants or the view. */
struct mk_ctl_reply {
	mk_ctl_reply_msg msg;
	Meerko__Control__SessionValues session;
	Meerko__Control__FreeSpaceReply free_space;
	Meerko__Control__PortTestReply port_test;
};

typedef int (*mk_ctl_validate_fn)(const mk_ctl_request *rq, const struct mk_daemon_view *v,
				  char *why, size_t whylen);
/* daemon: the daemon's own state (NULL for the pure handlers here).
 * Returns 0 with out filled, or -1 with why (sent as the result). */
typedef int (*mk_ctl_handle_fn)(void *daemon, const struct mk_daemon_view *v, const mk_ctl_request *rq,
				struct mk_ctl_reply *out, char *why, size_t whylen);

struct mk_ctl_row {
	Meerko__Control__Method method;
	const char *name;                 /* the RPC method, for messages */
	unsigned states;                  /* mask of enum mk_daemon_state */
	mk_ctl_validate_fn validate;
	mk_ctl_handle_fn handle;          /* NULL: the daemon wiring supplies it */
	const char *why_safe;
};

/* The row for rq in state, validated; or NULL with why (one line). */
const struct mk_ctl_row *mk_ctl_check(const mk_ctl_request *rq, enum mk_daemon_state state,
				      const struct mk_daemon_view *v, char *why, size_t whylen);
/* For tests and docs: the table. */
const struct mk_ctl_row *mk_ctl_rows(size_t *n);
/* An empty reply (id set, nothing else). */
void mk_ctl_reply_init(struct mk_ctl_reply *r, uint64_t id);

/* path under root: lexical rule, then (root_fd >= 0) the existing prefix
 * beneath root_fd without symlinks. 0, or -1 with why naming the root. */
int mk_ctl_dir_under_root(const struct mk_daemon_view *v, const char *path, char *why, size_t whylen);
/* Opens path (under v's root, as checked above) O_PATH|O_DIRECTORY with the
 * same resolve rules, for a handler about to act on it; -1 with errno. */
int mk_ctl_open_beneath(const struct mk_daemon_view *v, const char *path);

#endif
