/*
 * sandbox_fs.h - the engine's own root filesystem, built in the sandbox
 * child (mount namespace) before exec, the way bubblewrap does it.
 *
 * Contract: mk_sandbox_fs_enter() must run in a fresh mount namespace (and
 * PID namespace, for its /proc), with CAP_SYS_ADMIN there. On return 0 the
 * process's root is a read-only tmpfs holding only read-only system
 * directories, /dev/null, /dev/urandom, a /proc of its own PID namespace,
 * the engine binary at MK_SANDBOX_ENGINE_PATH and the save dir, read-write,
 * at MK_SANDBOX_DATA_DIR; cwd is "/". The host's tree is detached. On -1,
 * errno is set and *step names what failed.
 */
#ifndef MEERKO_LAUNCH_SANDBOX_FS_H
#define MEERKO_LAUNCH_SANDBOX_FS_H

#define MK_SANDBOX_DATA_DIR "/data"
#define MK_SANDBOX_ENGINE_PATH "/meerko-engine"

int mk_sandbox_fs_enter(const char *save_dir, const char *engine, const char **step);

#endif
