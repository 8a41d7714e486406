/*
 * savedir_guard.h - which save dirs the engine must not be given.
 *
 * Contract: the engine may read and write everything below the save dir
 * (Landlock), as the uid it runs as (mk_sandbox_engine_ids: as root, possibly
 * the save dir's own owner, so that owner's home is the one judged). So the save dir
 * must not be, or hold, a place whose contents decide what that user runs or
 * trusts: the user's home or anything above it, a dot-directory directly
 * under that home (~/.ssh, ~/.config, ~/.local/bin, any ~/.X), the config
 * file's directory (the proxy password), or the state dir (resume data the
 * broker keeps). mk_savedir_judge() is the rule alone: a pure function of
 * canonical paths. mk_savedir_check_private() gathers those paths (home of
 * the engine's uid via getpwuid, $HOME, config, state dir), resolving
 * symlinks, and turns a refusal into one line for the user.
 */
#ifndef MEERKO_BROKER_SAVEDIR_GUARD_H
#define MEERKO_BROKER_SAVEDIR_GUARD_H

#include <stddef.h>

enum mk_guard_kind {
	MK_GUARD_HOME,       /* a home directory (of the engine's uid, or $HOME) */
	MK_GUARD_CONFIG_DIR, /* the directory of the meerko.ini in use */
	MK_GUARD_STATE_DIR,  /* [state] dir */
};

/* A directory the save dir is judged against: canonical, absolute. */
struct mk_guarded_dir {
	enum mk_guard_kind kind;
	const char *path;
};

/* dir is NULL when the save dir is accepted; else the guarded dir that
 * refuses it, where it lies relative to it, and why that is dangerous. */
struct mk_savedir_verdict {
	const struct mk_guarded_dir *dir;
	const char *where;
	const char *why;
};

/* Pure: save and every dirs[i].path canonical and absolute (no symlinks,
 * no "." or ".." components, no trailing '/'); empty paths are skipped. */
struct mk_savedir_verdict mk_savedir_judge(const char *save, const struct mk_guarded_dir *dirs,
					   size_t n);

/* The canonical absolute form of path, which need not exist yet: realpath()
 * of its longest existing prefix, then the rest with "." and ".." applied
 * (they will be created as plain directories). Returns 0 or -1 (errno). */
int mk_path_resolve(const char *path, char *out, size_t outlen);

/* Judges save (as given, or already created) against the home of the uid the
 * engine will run as, $HOME, config_path's directory and the state dir
 * (state_dir: [state] dir, "" = default). Touches nothing. Returns 0, or -1
 * with one line in err naming the save dir and the reason. A save path that
 * cannot be resolved (EACCES, ENOTDIR) passes: creating it then fails with
 * its own message, and a dir that does get created is judged again. */
int mk_savedir_check_private(const char *save, const char *config_path, const char *state_dir,
			     char *err, size_t errlen);

#endif
