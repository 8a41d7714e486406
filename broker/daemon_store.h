/*
 * daemon_store.h - the daemon's persistent set of torrents (issue 16): what
 * was added over RPC (or, later, the watch folder) comes back after a
 * restart of the daemon or the machine, with the same ids.
 *
 * Contract:
 *  - Layout: `[state] dir`/daemon/ (0700, made if missing), one file per
 *    torrent `ID.mkd` (ID = 1..MK_DSTORE_MAX_ID in decimal, no leading 0),
 *    `next-id` (the next id ever to hand out, so a removed id is never
 *    reused, also after a restart) and `lock` (an exclusive flock held while
 *    the store is open: one daemon per state dir). Resume data stays where
 *    state.c keeps it; this store keeps only what the RPC client gave.
 *  - Every write is atomic and durable: ID.mkd.tmp written, fsync'd,
 *    renamed over ID.mkd, then the directory fsync'd. A kill -9 or power loss
 *    leaves the old record or the new one. *.tmp files are never read (and
 *    removed by mk_dstore_open).
 *  - Record format (little-endian, versioned, checksummed): a file that does
 *    not decode exactly (bad magic or version, a length out of bounds, bytes
 *    left over, FNV-1a-64 mismatch, the id inside != the file name's id) is
 *    skipped with a reason for the log, never "repaired", and its id is
 *    never handed out again. The decoder is a parser of bytes on disk that
 *    anyone with the user's rights could have edited: bounded, no
 *    allocation beyond the declared (bounded) sizes.
 *  - Bounds: the source (metainfo bytes or magnet text) 1..MK_DSTORE_MAX_SOURCE,
 *    the download dir absolute and < PATH_MAX, labels as
 *    mk_dstore_label_ok(), at most MK_DSTORE_MAX_TORRENTS records loaded.
 *  - The store does not judge download dirs (control_surface.c does, against
 *    the download root) nor parse metainfo (the engine does).
 */
#ifndef MEERKO_BROKER_DAEMON_STORE_H
#define MEERKO_BROKER_DAEMON_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_DSTORE_MAX_SOURCE (8u << 20)   /* = MK_MAX_TORRENT_FILE (input.h) */
#define MK_DSTORE_MAX_LABELS 16
#define MK_DSTORE_LABEL_MAX 64            /* bytes, without the NUL */
#define MK_DSTORE_MAX_TORRENTS 10000
#define MK_DSTORE_MAX_ID 999999999u

enum mk_dstore_kind { MK_DSTORE_METAINFO = 1, MK_DSTORE_MAGNET = 2 };

/* One torrent as the daemon keeps it. source is malloc'd (owned). */
struct mk_dstore_rec {
	uint32_t id;                      /* 0 before mk_dstore_add gives one */
	enum mk_dstore_kind kind;
	uint8_t *source;                  /* .torrent bytes, or the magnet text (no NUL) */
	size_t source_len;
	char download_dir[PATH_MAX];
	size_t n_labels;
	char labels[MK_DSTORE_MAX_LABELS][MK_DSTORE_LABEL_MAX + 1];
	bool paused;
	int64_t added_date;               /* unix seconds */
	int32_t queue_position;
};

struct mk_dstore {
	int dir_fd;                       /* `[state] dir`/daemon, O_DIRECTORY */
	int lock_fd;
	uint32_t next_id;
	char dir[PATH_MAX];
};

/* Called by mk_dstore_load for each file it skips: name and why. */
typedef void (*mk_dstore_skip_fn)(void *ctx, const char *name, const char *why);
/* Called for each good record; rec is only valid during the call (copy
 * what you keep; take ownership of source by setting rec->source = NULL). */
typedef void (*mk_dstore_rec_fn)(void *ctx, struct mk_dstore_rec *rec);

/* state_dir: `[state] dir` (resolved by mk_state_dir). Makes DIR/daemon,
 * locks it, removes stale *.tmp, reads next-id. 0, or -1 with err (another
 * daemon holds the lock: the message says so). */
int mk_dstore_open(struct mk_dstore *s, const char *state_dir, char *err, size_t errlen);
void mk_dstore_close(struct mk_dstore *s);

/* Every good record, in id order, then next_id moved past every id seen
 * (good or not). Returns the number of good records, or -1 (readdir). */
int mk_dstore_load(struct mk_dstore *s, mk_dstore_rec_fn on_rec, mk_dstore_skip_fn on_skip, void *ctx);

/* Gives rec a new id (next-id written durably first) and stores it.
 * 0, or -1 with err (a bound broken, or the write failed: errno kept). */
int mk_dstore_add(struct mk_dstore *s, struct mk_dstore_rec *rec, char *err, size_t errlen);
/* Rewrites rec (same id: paused, queue position, labels changed). */
int mk_dstore_put(struct mk_dstore *s, const struct mk_dstore_rec *rec, char *err, size_t errlen);
/* Removes ID.mkd (and syncs the dir). 0, or -1 (errno; ENOENT if none). */
int mk_dstore_remove(struct mk_dstore *s, uint32_t id);

/* A label a client may set: 1..MK_DSTORE_LABEL_MAX bytes, printable ASCII
 * or UTF-8 >= 0x80, no control character and no ',' (Transmission's rule). */
bool mk_dstore_label_ok(const char *label);
/* Bounds of one record (kind, source length, absolute dir, labels). */
int mk_dstore_check(const struct mk_dstore_rec *rec, char *err, size_t errlen);

/* Encoding, exposed for tests and the fuzz target: mk_dstore_encode gives a
 * malloc'd buffer; mk_dstore_decode fills rec (source malloc'd) or returns
 * -1 with why. */
uint8_t *mk_dstore_encode(const struct mk_dstore_rec *rec, size_t *len);
int mk_dstore_decode(const uint8_t *buf, size_t len, struct mk_dstore_rec *rec, char *why, size_t whylen);
void mk_dstore_rec_free(struct mk_dstore_rec *rec);

#endif
