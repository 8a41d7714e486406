/*
 * state.h - resume data on disk, so a rerun or a restarted engine does not
 * download verified pieces again.
 *
 * Contract: files live in one private directory (0700), one per torrent and
 * save dir, named by a hash of the .torrent bytes (or magnet) and the save
 * path: the broker never parses torrent bytes to find an info-hash. Writes
 * are atomic (temp file, fsync, rename): a crash leaves the old file or the
 * new one, never half of one. The engine's libtorrent checks that resume
 * data belongs to the torrent it is given, so a hash collision costs a
 * recheck, never wrong data.
 */
#ifndef MEERKO_BROKER_STATE_H
#define MEERKO_BROKER_STATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct mk_state {
	char dir[PATH_MAX];
	char file[PATH_MAX];   /* dir/KEY.resume */
	int lock_fd;           /* dir/KEY.lock while this run holds it, else -1 (mk_state_lock) */
};

/* The state dir a run uses: configured ([state] dir) if set, else the
 * default below. Returns 0, or -1 when there is none or it is too long. */
int mk_state_dir(const char *configured, char *out, size_t outlen);
/* configured: [state] dir, or "" for $XDG_STATE_HOME/meerko (~/.local/state/meerko). */
int mk_state_open(struct mk_state *st, const char *configured, const void *key1, size_t len1,
		  const char *key2, char *err, size_t errlen);
/* Returns malloc'd bytes (caller frees) or NULL when there is none / it is unusable. */
uint8_t *mk_state_load(const struct mk_state *st, size_t max, size_t *len);
int mk_state_save(const struct mk_state *st, const uint8_t *data, size_t len);

/* One run at a time per torrent and save dir: an exclusive flock on
 * dir/KEY.lock, held until mk_state_unlock or the process exits (the fd is
 * O_CLOEXEC, and the relay closes every fd it does not need, so no child
 * holds it longer; a kill -9 releases it). The file holds the holder's pid,
 * for the message. Returns 0 (held), -1 with *holder = the other run's pid
 * (0 if unknown) when another process holds it, -2 on any other error
 * (errno). Safe against the unlink in mk_state_unlock: a lock taken on a
 * file that was unlinked meanwhile is dropped and taken again. */
int mk_state_lock(struct mk_state *st, long *holder);
/* Removes the lock file (while still holding it), then releases it. */
void mk_state_unlock(struct mk_state *st);

/* Resume data goes through resume_check.c both ways: only what it keeps is
 * stored (0 saved, -1 refused with why, -2 not written), and what is loaded
 * is filtered again (a file from an older version, or edited) or NULL. */
int mk_state_save_resume(const struct mk_state *st, const uint8_t *data, size_t len,
			 char *why, size_t whylen);
uint8_t *mk_state_load_resume(const struct mk_state *st, size_t *len);
/* After an unclean stop: rewrites the stored data without its claims of
 * verified pieces (or removes it if unusable), so no later run believes
 * what an engine that crashed, or was made to crash, wrote. */
void mk_state_forget_pieces(const struct mk_state *st);

/* Resume data is only as fresh as the last save: after a crash or kill -9,
 * pieces fetched since then would be downloaded again. So a run marks the
 * state "running" while it goes and "clean" when it stopped properly; after
 * an unclean end the next run ignores the resume data and lets the engine
 * verify the files on disk instead. */
int mk_state_was_clean(const struct mk_state *st);  /* 1: last run ended cleanly, or none */
void mk_state_mark_running(const struct mk_state *st);
void mk_state_end_clean(const struct mk_state *st);

#endif
