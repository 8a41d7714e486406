/*
 * sandbox_fs.c - the engine's own filesystem view (see sandbox_fs.h).
 *
 * Runs in the sandbox child, already in its own mount, PID, UTS, IPC and
 * network namespaces (spawn.c creates them with one clone()), still holding
 * its capabilities (root, or root of its own user namespace), before the
 * uid switch and exec. Readable top to bottom, in the order it happens:
 *
 *   1. mount --make-rprivate /
 *        nothing we mount from here on propagates back to the host's
 *        mount namespace, and nothing the host mounts later appears here.
 *   2. open O_PATH descriptors of the save dir and the engine binary
 *        step 3 may hide them (either may live under /tmp); binds below
 *        take their source from /proc/self/fd/N, so any path works.
 *   3. mount a small tmpfs on /tmp: the new root
 *        it starts empty: whatever the engine may see must be put there
 *        by a row of the table below. Size and inode count are capped.
 *   4. the table: read-only binds of what the loader, libc, libtorrent
 *        and OpenSSL read (/usr, /lib*, CA certificates, CPU info), the
 *        device nodes /dev/null and /dev/urandom, merged-/usr symlinks
 *        recreated as symlinks. Every bind is remounted read-only, nosuid,
 *        nodev (devices excepted), keeping the flags the kernel locked.
 *   5. the save dir at /data, read-write but nosuid, nodev, noexec
 *        a neutral path: the engine never learns the user's name or the
 *        layout of their disk (its cwd, its argv and libtorrent's paths
 *        all say /data).
 *   6. the engine binary at /meerko-engine, read-only
 *        exec happens after the pivot; the old root is gone by then.
 *   7. a fresh /proc of the engine's own PID namespace
 *        the engine sees itself (pid 2), its threads and the sandbox's
 *        init (pid 1, its parent), no other process.
 *   8. pivot_root into the tmpfs, detach the old root, chdir("/")
 *        the host's tree is unreachable from here: no path, no descriptor
 *        (step 2's were closed), no cwd leads back.
 *   9. remount the root read-only
 *        nothing but /data is writable, even without Landlock.
 * Any failure returns -1 with errno set and *step naming what failed: the
 * caller reports it and the engine never starts (mode = required).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_fs.h"

#define NEW_ROOT "/tmp"
#define ROOT_TMPFS_OPTS "mode=0755,size=1m,nr_inodes=256"

enum fs_kind {
	FS_DIR_RO,   /* directory, bound read-only; skipped when absent */
	FS_DEV_NODE, /* character device, bound (device use allowed) */
};

/* What the engine may see besides /data, /proc and its own binary. A path
 * that is a symlink on the host (merged /usr: /lib -> usr/lib) is
 * recreated as the same symlink. Deliberately absent: /etc (but for TLS
 * trust), /home, /root, /run, /var, /tmp, /sys (but for CPU info),
 * /etc/localtime (the engine's clock is UTC), /etc/hostname,
 * /etc/machine-id, /etc/passwd, resolv.conf (the engine resolves no name). */
static const struct {
	const char *path;
	enum fs_kind kind;
	const char *why;
} view[] = {
	{ "/usr", FS_DIR_RO, "the loader, libc, libtorrent, OpenSSL; CA bundle under /usr/share; "
	  "the C.UTF-8 locale (/usr/lib/locale/C.utf8: UTF-8 file names, engine.c)" },
	{ "/lib", FS_DIR_RO, "libraries (a symlink to usr/lib on merged-/usr systems)" },
	{ "/lib64", FS_DIR_RO, "the x86-64 dynamic loader's path" },
	{ "/lib32", FS_DIR_RO, "multilib systems' loader path" },
	{ "/libx32", FS_DIR_RO, "multilib systems' loader path" },
	{ "/etc/ssl", FS_DIR_RO, "CA certificates and openssl.cnf (HTTPS trackers)" },
	{ "/etc/ca-certificates", FS_DIR_RO, "local CA configuration" },
	{ "/sys/devices/system/cpu", FS_DIR_RO, "CPU count (glibc get_nprocs, libtorrent threads)" },
	{ "/dev/null", FS_DEV_NODE, "stdin/stdout of the engine" },
	{ "/dev/urandom", FS_DEV_NODE, "randomness (OpenSSL, libtorrent)" },
};

static int failed(const char **step, const char *what)
{
	*step = what;
	return -1;
}

/* mkdir -p below the new root (paths are absolute, short, ours). */
static int make_dirs(const char *path)
{
	char p[512];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int make_dirs_parent(const char *path)
{
	char p[600];
	snprintf(p, sizeof p, "%s", path);
	char *slash = strrchr(p, '/');
	if (!slash || slash == p)
		return 0;
	*slash = '\0';
	return make_dirs(p);
}

static int make_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* The mount flags the kernel will not let a user namespace clear (ro,
 * nosuid, nodev, noexec, atime), read from the mount now at `path`. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs v;
	if (statvfs(path, &v) != 0)
		return 0;
	unsigned long f = 0;
	f |= (v.f_flag & ST_RDONLY) ? MS_RDONLY : 0;
	f |= (v.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
	f |= (v.f_flag & ST_NODEV) ? MS_NODEV : 0;
	f |= (v.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
	f |= (v.f_flag & ST_NOATIME) ? MS_NOATIME : 0;
	f |= (v.f_flag & ST_NODIRATIME) ? MS_NODIRATIME : 0;
	f |= (v.f_flag & ST_RELATIME) ? MS_RELATIME : 0;
	return f;
}

/* Bind src on dst (recursively: a user namespace may not split off a
 * mount's locked submounts), then remount it with `extra` flags added. */
static int bind(const char *src, const char *dst, unsigned long extra)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0)
		return -1;
	unsigned long keep = locked_flags(dst);
	return mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | keep | extra, NULL);
}

static int copy_symlink(const char *path, const char *dst)
{
	char target[512];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return symlink(target, dst);
}

/* One row of the table: skipped when the host has no such path. */
static int add_view_entry(const char *path, enum fs_kind kind)
{
	char dst[600];
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(dst, sizeof dst, NEW_ROOT "%s", path);
	if (S_ISLNK(st.st_mode))
		return make_dirs_parent(dst) == 0 ? copy_symlink(path, dst) : -1;
	if (kind == FS_DEV_NODE)
		return make_dirs_parent(dst) == 0 && make_file(dst) == 0
			       ? bind(path, dst, MS_RDONLY | MS_NOSUID | MS_NOEXEC) : -1;
	return make_dirs(dst) == 0 ? bind(path, dst, MS_RDONLY | MS_NOSUID | MS_NODEV) : -1;
}

static int bind_fd(int fd, const char *dst, unsigned long extra)
{
	char src[64];
	snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
	return bind(src, dst, extra);
}

static int pivot(void)
{
	if (chdir(NEW_ROOT) != 0)
		return -1;
	/* pivot_root(".", "."): the old root ends up stacked on the new one,
	 * and is detached at once; no directory for it is needed. */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return -1;
	if (umount2(".", MNT_DETACH) != 0)
		return -1;
	return chdir("/");
}

static int open_sources(const char *save_dir, const char *engine, int *save_fd, int *engine_fd)
{
	*save_fd = open(save_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*save_fd < 0)
		return -1;
	*engine_fd = open(engine, O_PATH | O_CLOEXEC);
	return *engine_fd < 0 ? -1 : 0;
}

static int build_view(const char **step)
{
	for (size_t i = 0; i < sizeof view / sizeof view[0]; i++)
		if (add_view_entry(view[i].path, view[i].kind) != 0)
			return failed(step, view[i].path);
	return 0;
}

static int place_data_and_engine(int save_fd, int engine_fd, const char **step)
{
	if (mkdir(NEW_ROOT MK_SANDBOX_DATA_DIR, 0755) != 0 ||
	    bind_fd(save_fd, NEW_ROOT MK_SANDBOX_DATA_DIR, MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0)
		return failed(step, "bind the save dir at " MK_SANDBOX_DATA_DIR);
	if (make_file(NEW_ROOT MK_SANDBOX_ENGINE_PATH) != 0 ||
	    bind_fd(engine_fd, NEW_ROOT MK_SANDBOX_ENGINE_PATH, MS_RDONLY | MS_NOSUID | MS_NODEV) != 0)
		return failed(step, "bind the engine binary");
	return 0;
}

static int mount_proc(const char **step)
{
	if (mkdir(NEW_ROOT "/proc", 0555) != 0 ||
	    mount("proc", NEW_ROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return failed(step, "mount /proc of the engine's PID namespace");
	return 0;
}

static int build_root(int save_fd, int engine_fd, const char **step)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return failed(step, "make the mount namespace private");
	if (mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_TMPFS_OPTS) != 0)
		return failed(step, "mount the tmpfs root");
	if (build_view(step) != 0 || place_data_and_engine(save_fd, engine_fd, step) != 0 ||
	    mount_proc(step) != 0)
		return -1;
	if (pivot() != 0)
		return failed(step, "pivot_root into the new root");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
		return failed(step, "remount the new root read-only");
	return 0;
}

int mk_sandbox_fs_enter(const char *save_dir, const char *engine, const char **step)
{
	int save_fd = -1, engine_fd = -1;
	int rc = open_sources(save_dir, engine, &save_fd, &engine_fd);
	if (rc != 0)
		*step = save_fd < 0 ? "open the save dir" : "open the engine binary";
	else
		rc = build_root(save_fd, engine_fd, step);
	int saved = errno;
	if (save_fd >= 0)
		close(save_fd);
	if (engine_fd >= 0)
		close(engine_fd);
	errno = saved;
	return rc;
}
