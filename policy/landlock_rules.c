/*
 * landlock_rules.c - what the engine may read besides its write dirs, and
 * what it must never reach (see landlock_rules.h). One row per path, a
 * reason each. Nothing read here can hold the proxy password: not $HOME,
 * not /etc/meerko, not /proc (one sysctl file aside).
 */
#include "landlock_rules.h"

static const struct mk_ll_rule read_only[] = {
	{ "/usr", MK_LL_FS_READ, "libraries, /usr/lib/ssl, /usr/share/ca-certificates; "
	  "the C.UTF-8 locale (/usr/lib/locale/C.utf8: UTF-8 file names, engine.c)" },
	{ "/lib", MK_LL_FS_READ, "libraries (merged-/usr symlink on Debian 12)" },
	{ "/lib64", MK_LL_FS_READ, "the dynamic loader" },
	{ "/etc/ssl", MK_LL_FS_READ, "CA certificates and openssl.cnf (HTTPS trackers)" },
	{ "/etc/ca-certificates", MK_LL_FS_READ, "local CA configuration" },
	{ "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE, "randomness without getrandom()" },
	{ "/sys/devices/system/cpu", MK_LL_FS_READ, "CPU count (glibc get_nprocs)" },
	{ "/proc/sys/vm/overcommit_memory", LANDLOCK_ACCESS_FS_READ_FILE,
	  "glibc malloc: how to return heap memory under strict overcommit" },
};

/* Left out on purpose. */
static const struct mk_ll_never never[] = {
	{ "/home", "users' files, meerko.ini with a proxy password" },
	{ "/root", "root's files" },
	{ "/etc/meerko", "the system meerko.ini and password files" },
	{ "/etc/passwd", "user names: nothing for the engine to know" },
	{ "/etc/resolv.conf", "the engine resolves no names (the proxy does)" },
	{ "/etc/hosts", "the engine resolves no names" },
	{ "/etc/nsswitch.conf", "the engine resolves no names" },
	{ "/proc/self", "its own maps and environ: nothing to learn, much to leak" },
	{ "/proc/net", "the host's sockets and addresses" },
	{ "/sys/block", "libtorrent's SSD probe: its targets sit beside the MAC addresses "
	  "under /sys/devices (libtorrent then assumes a spinning disk)" },
	{ "/sys/class/net", "network interfaces, MAC addresses" },
	{ "/run", "other programs' sockets (D-Bus, systemd)" },
	{ "/tmp", "other users' and programs' files; the engine has a private /tmp" },
	{ "/var", "logs, caches, mail" },
};

const struct mk_ll_rule *mk_landlock_read_only(size_t *n)
{
	*n = sizeof read_only / sizeof read_only[0];
	return read_only;
}

const struct mk_ll_never *mk_landlock_never(size_t *n)
{
	*n = sizeof never / sizeof never[0];
	return never;
}
