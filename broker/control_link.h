/*
 * control_link.h - the broker's end of meerko-control (docs/control.md):
 * the RPC listening socket, spawning the confined process with the fds of
 * control/control_fds.h, the settings frame, reading its ControlRequests
 * (guarded like the engine's messages) and its stderr, stopping and
 * rate-limited restarting.
 *
 * Contract:
 *  - mk_control_listen binds and listens once per daemon run: the socket
 *    outlives restarts of meerko-control. A UNIX socket is created mode 0600
 *    (umask 0177 around bind), owned by the broker's euid: only that user
 *    (and root) can even try the password. An existing path is replaced
 *    only if it is a socket (lstat), never a file or a symlink.
 *  - mk_control_link_start: socketpair + stderr pipe, fork; the child puts
 *    /dev/null on 0 and 1, the pipe on 2, the pair on 3 and the listener on 4
 *    (through fds >= 10 first), closes every other fd, sets no_new_privs and
 *    PDEATHSIG, as root switches to the relay's unprivileged ids
 *    (mk_sandbox_engine_ids(NULL): SUDO_UID or nobody) with an empty
 *    capability bounding set, and execs with an empty environment. The
 *    parent then sends BrokerToControl{settings} (mk_rpc_settings).
 *  - mk_control_link_read is non-blocking: at most one frame per call,
 *    prescanned (control_prescan.h: repeated fields counted, wire format
 *    well-formed, before any allocation) and unpacked under the
 *    ipc/unpack_guard.h budget. Anything wrong is -1: the caller stops and
 *    restarts it (a hostile or broken meerko-control gets no second frame).
 *  - Restarts: mk_control_link_may_restart allows MK_CONTROL_MAX_RESTARTS
 *    in MK_CONTROL_RESTART_WINDOW_S; past that the caller gives up the RPC
 *    (the torrents go on).
 *  - mk_control_link_stop closes the pair (meerko-control exits 0), waits
 *    up to timeout_ms, then SIGKILLs and reaps: no zombie, no orphan.
 */
#ifndef MEERKO_BROKER_CONTROL_LINK_H
#define MEERKO_BROKER_CONTROL_LINK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.pb-c.h"
#include "frame.h"
#include "rpc_config.h"

#define MK_CONTROL_MAX_RESTARTS 5
#define MK_CONTROL_RESTART_WINDOW_S 60
#define MK_CONTROL_MAX_CONNECTIONS 16
#define MK_CONTROL_CONN_TIMEOUT_S 30
#define MK_CONTROL_LINE_MAX 1024          /* a longer stderr line is cut */

typedef void (*mk_control_log_fn)(void *ctx, const char *line);

struct mk_control_link {
	char bin[PATH_MAX];               /* meerko-control (mk_control_path) */
	const struct mk_rpc_settings *settings;
	int listen_fd;                    /* mk_control_listen's socket, kept */
	int sock;                         /* the broker's end of the pair; -1 = not running */
	int err_fd;                       /* its stderr pipe, non-blocking; -1 = none */
	pid_t pid;                        /* 0 = none */
	mk_frame_reader reader;
	char line[MK_CONTROL_LINE_MAX];   /* stderr bytes of an unfinished line */
	size_t line_len;
	int64_t starts[MK_CONTROL_MAX_RESTARTS + 1]; /* CLOCK_MONOTONIC s of recent starts, ring */
	size_t n_starts;
};

/* meerko-control beside meerko-secure, then ../libexec/meerko, then
 * MEERKO_LIBEXECDIR (as mk_engine_path). 0 or -1 with err. */
int mk_control_path(char *out, size_t outlen, char *err, size_t errlen);
/* The RPC socket, bound and listening (O_CLOEXEC), or -1 with err. */
int mk_control_listen(const struct mk_rpc_listen *l, char *err, size_t errlen);

void mk_control_link_init(struct mk_control_link *c, const char *bin, int listen_fd,
			  const struct mk_rpc_settings *settings);
int mk_control_link_start(struct mk_control_link *c, char *err, size_t errlen);
/* 1: *out is a request (free with mk_control_request_free), 0: none yet,
 * -1: meerko-control closed or sent something invalid (why). */
int mk_control_link_read(struct mk_control_link *c, Meerko__Control__ControlRequest **out,
			 char *why, size_t whylen);
void mk_control_request_free(Meerko__Control__ControlRequest *rq);
/* Sends one reply frame. 0 or -1. */
int mk_control_link_reply(struct mk_control_link *c, const Meerko__Control__ControlReply *r);
/* Reads what its stderr has, calls log once per complete line (without
 * '\n', non-printable bytes as '?'). Returns 0, or -1 once the pipe closed. */
int mk_control_link_drain_stderr(struct mk_control_link *c, mk_control_log_fn log, void *ctx);
/* Non-blocking reap: 1 and *status when it exited (fds closed), else 0. */
int mk_control_link_reap(struct mk_control_link *c, int *status);
bool mk_control_link_may_restart(const struct mk_control_link *c, int64_t now_s);
void mk_control_link_stop(struct mk_control_link *c, int timeout_ms, int *status);

#endif
