/*
 * control.c - meerko-control: serves the Transmission RPC over HTTP for the
 * broker, confined like the engine. Exec'd by the broker with the fds of
 * control_fds.h; no arguments, no environment needed.
 *
 * Contract, in order:
 *  1. close every fd above MK_CONTROL_LISTEN_FD;
 *  2. read the first frame from the broker: BrokerToControl with settings
 *     (anything else, or nothing within 10 s: exit MK_CONTROL_EXIT_FATAL);
 *  3. confine (control_confine.c a-d), make the session id (getrandom),
 *     start libmicrohttpd on the given listening socket (external epoll
 *     polling: one thread), load seccomp (e);
 *  4. serve until the broker closes its socket (exit MK_CONTROL_EXIT_OK) or
 *     sends anything outside a request (a protocol error: exit FATAL).
 * Log lines go to stderr, one per event, "meerko-control: ...".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control_confine.h"
#include "control_fds.h"
#include "control_http.h"
#include "frame.h"

#define SETTINGS_TIMEOUT_MS 10000
#define DEFAULT_MAX_CONNECTIONS 16
#define DEFAULT_CONNECTION_TIMEOUT_S 30

static void die(const char *what, const char *why)
{
	fprintf(stderr, "meerko-control: %s: %s\n", what, why);
	_exit(MK_CONTROL_EXIT_FATAL);
}

static bool settings_ok(const Meerko__Control__ControlSettings *s)
{
	return s->username[0] && s->password[0] && s->rpc_path[0] == '/' && s->max_body > 0 &&
	       s->n_host_allowlist > 0 && (!s->has_max_connections || s->max_connections <= 1024);
}

static Meerko__Control__BrokerToControl *read_settings(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	mk_frame_status st = mk_frame_read_blocking(MK_CONTROL_BROKER_FD, SETTINGS_TIMEOUT_MS, &buf, &len);
	if (st != MK_FRAME_OK)
		die("settings from the broker", mk_frame_strerror(st));
	Meerko__Control__BrokerToControl *m = meerko__control__broker_to_control__unpack(NULL, len, buf);
	free(buf);
	if (!m || !m->settings || m->reply || !settings_ok(m->settings))
		die("settings from the broker", "not a valid ControlSettings");
	return m;
}

static void make_session_id(char out[49])
{
	uint8_t raw[24];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		die("getrandom", strerror(errno));
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static unsigned max_connections(const Meerko__Control__ControlSettings *c)
{
	return c->has_max_connections && c->max_connections ? c->max_connections
							    : DEFAULT_MAX_CONNECTIONS;
}

static struct MHD_Daemon *start_http(struct mk_ctl_server *s)
{
	const Meerko__Control__ControlSettings *c = s->settings;
	unsigned conns = max_connections(c);
	unsigned timeout = c->has_connection_timeout_s && c->connection_timeout_s
				   ? c->connection_timeout_s : DEFAULT_CONNECTION_TIMEOUT_S;
	return MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, mk_ctl_handle, s,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)MK_CONTROL_LISTEN_FD,
				MHD_OPTION_CONNECTION_LIMIT, conns,
				MHD_OPTION_CONNECTION_TIMEOUT, timeout,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				MHD_OPTION_NOTIFY_COMPLETED, mk_ctl_completed, s,
				MHD_OPTION_END);
}

/* The broker's socket became readable outside a request: end of service. */
static void broker_event(void)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	mk_frame_status st = mk_frame_read_blocking(MK_CONTROL_BROKER_FD, 1000, &buf, &len);
	free(buf);
	if (st == MK_FRAME_EOF) {
		fprintf(stderr, "meerko-control: the broker closed its socket; exiting\n");
		_exit(MK_CONTROL_EXIT_OK);
	}
	die("broker socket", st == MK_FRAME_OK ? "a message outside a request" : mk_frame_strerror(st));
}

static int poll_timeout(struct MHD_Daemon *d)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(d, &ms) != MHD_YES)
		return 1000;
	return ms > 1000 ? 1000 : (int)ms;
}

static void serve(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		die("libmicrohttpd", "no epoll descriptor");
	struct pollfd fds[2] = { { info->epoll_fd, POLLIN, 0 }, { MK_CONTROL_BROKER_FD, POLLIN, 0 } };
	for (;;) {
		int n = poll(fds, 2, poll_timeout(d));
		if (n < 0 && errno != EINTR)
			die("poll", strerror(errno));
		if (n > 0 && fds[1].revents)
			broker_event();
		if (MHD_run(d) != MHD_YES)
			die("libmicrohttpd", "MHD_run failed");
	}
}

int main(void)
{
	char why[256] = "";
	static struct mk_ctl_server server = { .broker_fd = MK_CONTROL_BROKER_FD };
	syscall(SYS_close_range, MK_CONTROL_LISTEN_FD + 1, ~0U, 0);
	signal(SIGPIPE, SIG_IGN);
	Meerko__Control__BrokerToControl *first = read_settings();
	server.settings = first->settings;
	if (mk_ctl_confine_early(max_connections(server.settings), why, sizeof why) != 0)
		die("confinement", why);
	make_session_id(server.session_id);
	struct MHD_Daemon *d = start_http(&server);
	if (!d)
		die("libmicrohttpd", "cannot serve on the listening socket (fd 4)");
	if (mk_ctl_confine_seccomp(why, sizeof why) != 0)
		die("seccomp", why);
	fprintf(stderr, "meerko-control: serving %s (%s, seccomp on)\n", server.settings->rpc_path,
		mk_ctl_landlock_state());
	serve(d);
	return MK_CONTROL_EXIT_FATAL; /* not reached */
}
