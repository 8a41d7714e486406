/*
 * control_link_run.c - TEST-ONLY driver of broker/control_link.c and
 * broker/control_surface.c: spawns the real meerko-control through
 * mk_control_link_start (fds, credentials, settings exactly as the daemon
 * will), answers each ControlRequest through mk_ctl_check and the table's
 * real handlers (port-test, session-get, free-space; others get
 * MK_CTL_NOT_WIRED), restarts meerko-control when it dies (rate limit of
 * control_link.h), so tests/integration/test_control_link.sh can point
 * transmission-remote at it.
 *
 * Usage: control_link_run CONTROL_BIN ROOT USER PASS [UNIX_PATH]
 * Prints "port N pid P" (N = 0 on a UNIX socket) on stdout once started,
 * "restarted pid P" after each restart, "gave up" when the rate limit
 * stops it; meerko-control's stderr lines as "log: ..." on stderr. Ends when
 * stdin closes: mk_control_link_stop, then "exit N" (meerko-control's status).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control_link.h"
#include "control_surface.h"

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "log: %s\n", line);
}

static void answer(struct mk_control_link *c, Meerko__Control__ControlRequest *rq, const struct mk_daemon_view *v)
{
	struct mk_ctl_reply r;
	char why[512] = "";
	mk_ctl_reply_init(&r, rq->id);
	const struct mk_ctl_row *row = mk_ctl_check(rq, MK_DAEMON_RUNNING, v, why, sizeof why);
	if (row == NULL)
		r.msg.result = why;
	else if (row->handle == NULL)
		r.msg.result = (char *)MK_CTL_NOT_WIRED;
	else if (row->handle(NULL, v, rq, &r, why, sizeof why) != 0)
		r.msg.result = why;
	fprintf(stderr, "request %s -> %s\n", row ? row->name : "?", r.msg.result ? r.msg.result : "success");
	if (mk_control_link_reply(c, &r.msg) != 0)
		fprintf(stderr, "reply failed\n");
}

static int listen_on(const char *unix_path, int *port)
{
	struct mk_rpc_listen l;
	char err[256];
	if (mk_rpc_listen_parse(unix_path ? unix_path : "127.0.0.1:1", &l, err, sizeof err) != 0)
		return fprintf(stderr, "%s\n", err), -1;
	if (!unix_path)
		((struct sockaddr_in *)&l.addr)->sin_port = 0; /* any free port, for the test */
	int fd = mk_control_listen(&l, err, sizeof err);
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	*port = 0;
	if (fd >= 0 && !unix_path && getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		*port = ntohs(a.sin_port);
	if (fd < 0)
		fprintf(stderr, "%s\n", err);
	return fd;
}

/* One poll round; false when stdin closed or the link is gone for good. */
static bool serve_once(struct mk_control_link *c, const struct mk_daemon_view *v)
{
	struct pollfd p[3] = { { 0, POLLIN, 0 }, { c->sock, POLLIN, 0 }, { c->err_fd, POLLIN, 0 } };
	poll(p, 3, 200);
	if (p[0].revents)
		return false;
	mk_control_link_drain_stderr(c, log_line, NULL);
	Meerko__Control__ControlRequest *rq;
	char why[256];
	int r = 0;
	while (c->sock >= 0 && (r = mk_control_link_read(c, &rq, why, sizeof why)) == 1) {
		answer(c, rq, v);
		mk_control_request_free(rq);
	}
	if (c->sock >= 0 && r < 0) {
		fprintf(stderr, "%s: stopping it\n", why);
		mk_control_link_stop(c, 2000, NULL);
	}
	int status;
	if (c->pid == 0 || mk_control_link_reap(c, &status)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		char err[256];
		if (!mk_control_link_may_restart(c, ts.tv_sec) || mk_control_link_start(c, err, sizeof err) != 0) {
			printf("gave up\n");
			fflush(stdout);
			return false;
		}
		printf("restarted pid %d\n", (int)c->pid);
		fflush(stdout);
	}
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6)
		return fprintf(stderr, "usage: control_link_run CONTROL_BIN ROOT USER PASS [UNIX_PATH]\n"), 2;
	int port, lfd = listen_on(argc == 6 ? argv[5] : NULL, &port);
	if (lfd < 0)
		return 1;
	struct mk_rpc_settings s = { .n_hosts = 2, .max_body = 1u << 20, .username = argv[3], .password = argv[4] };
	snprintf(s.hosts[0], sizeof s.hosts[0], "127.0.0.1");
	snprintf(s.hosts[1], sizeof s.hosts[1], "localhost");
	struct mk_daemon_view v = { argv[2], open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC), 0, NULL };
	struct mk_control_link c;
	char err[256];
	mk_control_link_init(&c, argv[1], lfd, &s);
	if (v.root_fd < 0 || mk_control_link_start(&c, err, sizeof err) != 0)
		return fprintf(stderr, "start: %s\n", v.root_fd < 0 ? "no root" : err), 1;
	printf("port %d pid %d\n", port, (int)c.pid);
	fflush(stdout);
	for (long i = 0; i < 36000 && serve_once(&c, &v); i++) /* 2 hours at most */
		;
	int status = 0;
	mk_control_link_stop(&c, 5000, &status);
	printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fflush(stdout);
	return 0;
}
