/*
 * mk_shim.h - a small C API over libtorrent-rasterbar 2.0.
 *
 * Contract: no C++ type or exception crosses this boundary. Every function
 * catches everything and reports failure by return value (and a message in
 * err/errlen where given). Strings passed in are copied; strings handed out
 * live in caller-provided buffers or in alerts freed with mk_alert_free().
 * Torrents are named by small integer ids chosen by the caller.
 */
#ifndef MEERKO_SHIM_H
#define MEERKO_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mk_session mk_session;

typedef enum {
	MK_PROXY_NONE = 0,
	MK_PROXY_SOCKS5 = 1,
	MK_PROXY_SOCKS5_PW = 2,
} mk_proxy_type;

typedef struct {
	mk_proxy_type proxy_type;
	const char *proxy_host;       /* IP literal */
	uint16_t proxy_port;
	const char *proxy_user;       /* may be NULL */
	const char *proxy_password;   /* may be NULL */
	bool proxy_hostnames;         /* let the proxy resolve names */
	bool proxy_peer_connections;
	bool proxy_tracker_connections;
	bool anonymous_mode;
	bool dht, lsd, upnp, natpmp, pex, utp;
	const char *listen_interfaces;/* NULL or "" = libtorrent picks nothing public */
	const char *dht_bootstrap;    /* "IPv4:PORT,..." or NULL/"": no bootstrap node */
	int download_rate_limit;      /* bytes/s, 0 = unlimited */
	int upload_rate_limit;
	int connections_limit;        /* whole session; 0 = libtorrent's default */
} mk_settings;

typedef enum {
	MK_STATE_UNKNOWN = 0,
	MK_STATE_CHECKING = 1,
	MK_STATE_METADATA = 2,
	MK_STATE_DOWNLOADING = 3,
	MK_STATE_FINISHED = 4,
	MK_STATE_SEEDING = 5,
	MK_STATE_PAUSED = 6,
	MK_STATE_ERROR = 7,
} mk_state;

typedef struct {
	mk_state state;
	double progress;              /* 0.0 .. 1.0 */
	int64_t download_rate, upload_rate;
	int num_peers, num_seeds;
	int64_t total_done, total_wanted;
	int64_t total_download, total_upload; /* payload, this run: summed across pauses */
	bool has_metadata;
	char name[256];               /* NUL-terminated, may be truncated */
	/* Why it may not move (counted from alerts since the torrent was added;
	 * saturating). Connections: outgoing peer connections that ended. */
	uint32_t tracker_replies;     /* announces a tracker answered */
	uint32_t tracker_peers;       /* most peers one reply listed */
	uint32_t tracker_errors;      /* announces that failed */
	char tracker_error[256];      /* the last failure (no URL), "" = none */
	uint32_t conn_refused;        /* refused before connecting (peer, proxy or relay) */
	uint32_t conn_failed;         /* failed otherwise before connecting */
	uint32_t conn_closed;         /* closed or dropped once connected (not our own choice) */
} mk_status;

typedef enum {
	MK_ALERT_OTHER = 0,
	MK_ALERT_ADDED = 1,
	MK_ALERT_ADD_FAILED = 2,
	MK_ALERT_METADATA_RECEIVED = 3,
	MK_ALERT_FINISHED = 4,
	MK_ALERT_TRACKER_ERROR = 5,
	MK_ALERT_FILE_ERROR = 6,
	MK_ALERT_TORRENT_ERROR = 7,
	MK_ALERT_RESUME_DATA = 8,
	MK_ALERT_RESUME_DATA_FAILED = 9,
	MK_ALERT_PEER_ERROR = 10,
	MK_ALERT_PAUSED = 11,
	MK_ALERT_RESUMED = 12,
} mk_alert_type;

typedef struct {
	mk_alert_type type;
	uint32_t torrent_id;          /* 0 when not about a torrent */
	char message[512];            /* libtorrent's text, NUL-terminated */
	uint8_t *data;                /* resume data (bencoded) for RESUME_DATA */
	size_t data_len;
} mk_alert;

mk_session *mk_session_create(const mk_settings *s, char *err, size_t errlen);
void mk_session_destroy(mk_session *s);   /* blocks until libtorrent stopped */
const char *mk_libtorrent_version(void);
/* From now on, a failed C++ allocation (libtorrent's, any thread) ends the
 * process with _exit(code). */
void mk_exit_on_out_of_memory(int code);

/* Exactly one of (torrent,torrent_len) or magnet is given. resume may be NULL.
 * Returns 0 on success; the outcome also arrives as ADDED / ADD_FAILED. */
int mk_add_torrent(mk_session *s, uint32_t id,
		   const void *torrent, size_t torrent_len, const char *magnet,
		   const char *save_path, const void *resume, size_t resume_len,
		   char *err, size_t errlen);

/* Per-torrent options for mk_add_torrent2 (shim_files.cpp has the rest). */
typedef struct {
	bool hold_files;   /* every file starts at priority 0 (default_dont_download) */
	bool paused;       /* add paused: no tracker, no peer (listing a .torrent) */
	bool sequential;   /* sequential_download */
	int max_connections; /* this torrent; 0 = only the session's limit */
} mk_add_opts;

/* mk_add_torrent with options (NULL = none). Resume data never decides file
 * priorities or the sequential flag: those are the caller's. */
int mk_add_torrent2(mk_session *s, uint32_t id,
		    const void *torrent, size_t torrent_len, const char *magnet,
		    const char *save_path, const void *resume, size_t resume_len,
		    const mk_add_opts *opts, char *err, size_t errlen);

/* One file of a torrent. path is malloc'd, '/'-separated, with the torrent's
 * name as first element (as on disk below the save path). */
typedef struct {
	char *path;
	int64_t size;
	bool pad;          /* a BEP 47 pad file: never shown, never selected */
} mk_file;

/* Once the torrent has metadata: *out = a malloc'd array of *n files (free
 * with mk_files_free). Returns 0, 1 while there is no metadata yet, -1 on
 * error (unknown id, out of memory). */
int mk_torrent_files(mk_session *s, uint32_t id, mk_file **out, size_t *n);
void mk_files_free(mk_file *f, size_t n);
/* The files of a .torrent without a session (--list offline): parsing only,
 * with the same limits, checks and file names as mk_add_torrent2, so no
 * socket is opened and nothing touches the disk. Returns 0 with *out (free
 * with mk_files_free) and *n, or -1 with err ("not a valid .torrent: ..."). */
int mk_torrent_bytes_files(const void *torrent, size_t torrent_len, mk_file **out, size_t *n,
			   char *err, size_t errlen);
/* Sets every file's priority (0 = skip .. 7); n must be the file count. */
int mk_torrent_set_priorities(mk_session *s, uint32_t id, const uint8_t *prio, size_t n);
/* 1 once libtorrent applied exactly these priorities (it does so after a
 * disk-thread round trip: status() counts the old ones until then), 0 not
 * yet, -1 on error. */
int mk_torrent_priorities_applied(mk_session *s, uint32_t id, const uint8_t *prio, size_t n);

int mk_torrent_status(mk_session *s, uint32_t id, mk_status *out);
int mk_torrent_pause(mk_session *s, uint32_t id);
int mk_torrent_resume(mk_session *s, uint32_t id);
/* Asks for resume data; it arrives as a RESUME_DATA or RESUME_DATA_FAILED alert. */
int mk_torrent_save_resume(mk_session *s, uint32_t id);
/* Hashes every piece on disk again (libtorrent's force_recheck): the broker
 * found a wanted file missing or of the wrong size. */
int mk_torrent_force_recheck(mk_session *s, uint32_t id);

/* Call about once a second. For the first minute of a session with DHT on
 * and bootstrap nodes set, while a torrent has no peer, it pings the
 * bootstrap nodes again and re-announces to the DHT (2.0.8 sends its first
 * DHT packets before the SOCKS5 UDP association is up, and they are lost). */
void mk_session_tick(mk_session *s);

/* An fd that becomes readable when alerts are pending (eventfd written from
 * libtorrent's alert notify callback). Poll it, then call mk_pop_alerts. */
int mk_alert_fd(mk_session *s);
/* Fills up to max alerts; returns how many. Clears the alert fd. */
size_t mk_pop_alerts(mk_session *s, mk_alert *out, size_t max);
void mk_alert_free(mk_alert *a);       /* frees a->data */

/* The address a peer says it sees us at (BEP 10 "yourip"), one per peer
 * connection (a reconnecting peer is heard again, also when it says the
 * same as before: the broker may have forgotten it). source_id is
 * a keyed hash of the peer's IP (random key per session): equal ids are the
 * same peer. A stranger's word: shim_yourip.cpp. */
typedef struct {
	uint32_t torrent_id;
	uint64_t source_id;
	uint8_t addr[16];
	uint8_t addr_len;             /* 4 or 16 (network order) */
} mk_exit_seen;
/* Takes up to max waiting observations (the rest wait for the next call). */
size_t mk_exit_seen_take(mk_session *s, mk_exit_seen *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
