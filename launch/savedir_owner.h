/*
 * savedir_owner.h - as root, whose the save dir is: the engine may run as
 * the save dir's owner so that the files belong to whoever owns the folder.
 *
 * Contract: mk_uid_is_ordinary() is the pure rule (not 0, within
 * [UID_MIN, UID_MAX] of /etc/login.defs, defaults 1000 and 60000, so system
 * users and nobody (65534) are not ordinary). mk_login_defs_uid_range() reads
 * those two keys (a missing file or key keeps the default).
 * mk_savedir_owner() stats the save dir (an existing directory) and returns 1
 * with the owner's uid, primary gid and name when the owner is ordinary and
 * has a passwd entry, else 0. It never fails loudly: "not an ordinary owner"
 * is the caller's cue to keep its previous choice.
 */
#ifndef MEERKO_LAUNCH_SAVEDIR_OWNER_H
#define MEERKO_LAUNCH_SAVEDIR_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MK_UID_MIN_DEFAULT 1000
#define MK_UID_MAX_DEFAULT 60000
#define MK_LOGIN_DEFS "/etc/login.defs"

bool mk_uid_is_ordinary(uid_t uid, uid_t uid_min, uid_t uid_max);
void mk_login_defs_uid_range(const char *path, uid_t *uid_min, uid_t *uid_max);
int mk_savedir_owner(const char *save_dir, uid_t *uid, gid_t *gid, char *name, size_t namelen);

#endif
