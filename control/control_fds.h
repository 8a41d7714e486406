/*
 * control_fds.h - what the broker and meerko-control agree on outside the
 * wire schema (ipc/control.proto): the descriptors it is exec'd with and its
 * exit codes.
 *
 * Contract: the broker execs meerko-control with fd 0 and 1 on /dev/null,
 * fd 2 a pipe the broker reads (never a terminal), MK_CONTROL_BROKER_FD its
 * end of a SOCK_STREAM socketpair, and MK_CONTROL_LISTEN_FD a TCP or UNIX
 * stream socket on which the broker already called bind() and listen().
 * Every other descriptor is closed by meerko-control at start.
 */
#ifndef MEERKO_CONTROL_FDS_H
#define MEERKO_CONTROL_FDS_H

#define MK_CONTROL_BROKER_FD 3
#define MK_CONTROL_LISTEN_FD 4

#define MK_CONTROL_EXIT_OK 0      /* the broker closed its socket */
#define MK_CONTROL_EXIT_FATAL 2   /* bad start, confinement failed, broker protocol error */

/* How long meerko-control waits for the broker's ControlReply (ms). */
#define MK_CONTROL_REPLY_TIMEOUT_MS 15000

#endif
