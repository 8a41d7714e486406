/*
 * sandbox.h - the engine's namespaces and root, set up between fork and exec.
 *
 * Contract: mk_sandbox_plan() decides, in the parent, how the engine will be
 * isolated: new network, mount, PID, UTS and IPC namespaces
 * (mk_sandbox_clone_flags(), created by spawn.c's clone()), plus a user
 * namespace as an ordinary user; as root, a switch to an unprivileged
 * uid/gid (the save dir's owner when that is an ordinary user, else
 * SUDO_UID/SUDO_GID, else nobody; the relay never takes the owner's ids). mk_sandbox_enter() runs in the
 * cloned child before exec: it brings up `lo`, builds the engine's own root
 * filesystem (sandbox_fs.h: the save dir appears at /data), opens
 * the relay's listening TCP socket and its UDP socket (for SOCKS5 UDP
 * ASSOCIATE) inside it, both on 127.0.0.1:relay_port, drops every
 * capability, and sends both to the parent over setup_fd (SCM_RIGHTS), or
 * an error line.
 * It never falls back to running without the namespace.
 */
#ifndef MEERKO_LAUNCH_SANDBOX_H
#define MEERKO_LAUNCH_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "contract.h" /* MK_RELAY_INSIDE_IP, MK_RELAY_INSIDE_PORT */

struct mk_sandbox {
	bool enabled;
	bool userns;            /* unprivileged path (CLONE_NEWUSER|CLONE_NEWNET) */
	uid_t uid;              /* who the engine runs as */
	gid_t gid;
	uid_t relay_uid;        /* who the relay drops to as root (never the owner) */
	gid_t relay_gid;
	char owner[64];         /* non-empty: uid is the save dir's owner, by this name */
	uint16_t relay_port;    /* 127.0.0.1:relay_port inside the namespace */
	const char *save_dir;   /* host path; bound at MK_SANDBOX_DATA_DIR inside */
};

#define MK_SANDBOX_HOSTNAME "meerko"

/* The clone() flags of the sandbox child: every namespace it gets. */
int mk_sandbox_clone_flags(const struct mk_sandbox *sb);
/* Who the engine runs as, the one rule for it: an ordinary user's own ids
 * (userns = true); as root the owner of save_dir when that is an ordinary
 * user (savedir_owner.h; owner = the name), else SUDO_UID/SUDO_GID when both
 * are set and non-zero, else nobody. save_dir NULL: the rule without the
 * owner (the relay's). Returns 0, or -1 with err (root, no nobody). */
struct mk_engine_ids {
	bool userns;
	uid_t uid;
	gid_t gid;
	char owner[64];
};
int mk_sandbox_engine_ids(const char *save_dir, struct mk_engine_ids *ids, char *err, size_t errlen);

int mk_sandbox_plan(struct mk_sandbox *sb, const char *save_dir, char *err, size_t errlen);

/* Child side. Returns 0 when the caller may exec the engine; on failure it
 * has already reported the reason over setup_fd and returns -1. */
int mk_sandbox_enter(const struct mk_sandbox *sb, const char *engine_path, int setup_fd);

#define MK_SANDBOX_SAVEDIR (-2)

/* Parent side: waits (bounded) for the child's report. On success *listen_fd
 * is the relay listener and *udp_fd the relay's UDP socket, both inside the
 * engine's namespace. Returns 0, -1, or MK_SANDBOX_SAVEDIR when only the
 * save dir is the problem. */
int mk_sandbox_wait(int setup_fd, int timeout_ms, int *listen_fd, int *udp_fd, char *err,
		    size_t errlen);

#endif
