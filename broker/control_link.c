/*
 * control_link.c - spawning meerko-control and talking to it (see
 * control_link.h): the listening socket, fork + exec with the documented
 * fds and credentials, the settings frame, guarded request reading, stderr
 * lines, stop and restart accounting.
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control_fds.h"
#include "control_link.h"
#include "control_prescan.h"
#include "control_surface.h"
#include "sandbox.h"
#include "unpack_guard.h"

#ifndef MEERKO_LIBEXECDIR
#define MEERKO_LIBEXECDIR "/usr/local/libexec/meerko"
#endif

/* ------------------------------------------------------------------ */
/* Finding the binary, the listening socket                            */
/* ------------------------------------------------------------------ */

int mk_control_path(char *out, size_t outlen, char *err, size_t errlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		snprintf(out, outlen, "%s/meerko-control", dir);
		if (access(out, X_OK) == 0)
			return 0;
		snprintf(out, outlen, "%s/../libexec/meerko/meerko-control", dir);
		if (access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, outlen, "%s/meerko-control", MEERKO_LIBEXECDIR);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(err, errlen, "cannot find meerko-control (looked beside meerko-secure and in %s)",
		 MEERKO_LIBEXECDIR);
	return -1;
}

/* A stale socket from an earlier run is removed; anything else at the path
 * is left alone (bind then fails with EADDRINUSE). */
static void unlink_stale_socket(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

int mk_control_listen(const struct mk_rpc_listen *l, char *err, size_t errlen)
{
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, r = -1;
	if (fd >= 0 && !l->is_unix)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd >= 0 && l->is_unix) {
		unlink_stale_socket(l->path);
		mode_t old = umask(0177);
		r = bind(fd, (const struct sockaddr *)&l->addr, l->addr_len);
		umask(old);
	} else if (fd >= 0) {
		r = bind(fd, (const struct sockaddr *)&l->addr, l->addr_len);
	}
	if (r != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "[rpc] listen %s: %s", l->is_unix ? l->path : l->host, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* The child                                                           */
/* ------------------------------------------------------------------ */

/* As root: the relay's ids (never root); else keep ours. Decided in the
 * parent, so an error is a message, not a silent child exit. */
static int child_ids(uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct mk_engine_ids ids;
	*uid = geteuid();
	*gid = getegid();
	if (*uid != 0)
		return 0;
	if (mk_sandbox_engine_ids(NULL, &ids, err, errlen) != 0)
		return -1;
	*uid = ids.uid;
	*gid = ids.gid;
	return 0;
}

static int drop_to(uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return 0; /* nothing to drop; no_new_privs keeps it so */
	capng_clear(CAPNG_SELECT_BOTH);
	return capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) == 0 ? 0 : -1;
}

/* In the forked child: never returns. */
static void child_exec(const struct mk_control_link *c, int pair, int err_w, uid_t uid, gid_t gid,
		       pid_t parent)
{
	int b = fcntl(pair, F_DUPFD, 10), l = fcntl(c->listen_fd, F_DUPFD, 10), e = fcntl(err_w, F_DUPFD, 10);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (b < 0 || l < 0 || e < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(e, 2) < 0 ||
	    dup2(b, MK_CONTROL_BROKER_FD) < 0 || dup2(l, MK_CONTROL_LISTEN_FD) < 0)
		_exit(127);
	if (close_range(MK_CONTROL_LISTEN_FD + 1, ~0u, 0) != 0 || drop_to(uid, gid) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
	    getppid() != parent)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char *argv[] = { (char *)c->bin, NULL }, *envp[] = { NULL };
	execve(c->bin, argv, envp);
	_exit(127);
}

/* ------------------------------------------------------------------ */
/* Start, settings                                                     */
/* ------------------------------------------------------------------ */

void mk_control_link_init(struct mk_control_link *c, const char *bin, int listen_fd,
			  const struct mk_rpc_settings *settings)
{
	memset(c, 0, sizeof *c);
	snprintf(c->bin, sizeof c->bin, "%s", bin);
	c->listen_fd = listen_fd;
	c->settings = settings;
	c->sock = c->err_fd = -1;
	mk_frame_reader_init(&c->reader);
}

static int send_settings(struct mk_control_link *c)
{
	const struct mk_rpc_settings *rs = c->settings;
	Meerko__Control__ControlSettings s = MEERKO__CONTROL__CONTROL_SETTINGS__INIT;
	Meerko__Control__BrokerToControl m = MEERKO__CONTROL__BROKER_TO_CONTROL__INIT;
	char *hosts[MK_RPC_MAX_HOSTS];
	for (size_t i = 0; i < rs->n_hosts; i++)
		hosts[i] = (char *)rs->hosts[i];
	s.username = (char *)rs->username;
	s.password = (char *)rs->password;
	s.host_allowlist = hosts;
	s.n_host_allowlist = rs->n_hosts;
	s.rpc_path = (char *)MK_RPC_PATH;
	s.max_body = rs->max_body;
	s.has_max_connections = s.has_connection_timeout_s = 1;
	s.max_connections = MK_CONTROL_MAX_CONNECTIONS;
	s.connection_timeout_s = MK_CONTROL_CONN_TIMEOUT_S;
	m.settings = &s;
	size_t n = meerko__control__broker_to_control__get_packed_size(&m);
	uint8_t *buf = malloc(n);
	int r = buf && meerko__control__broker_to_control__pack(&m, buf) == n &&
		mk_frame_write(c->sock, buf, n) == MK_FRAME_OK ? 0 : -1;
	if (buf)
		explicit_bzero(buf, n); /* it held the password */
	free(buf);
	return r;
}

static int64_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void note_start(struct mk_control_link *c)
{
	c->starts[c->n_starts % (MK_CONTROL_MAX_RESTARTS + 1)] = now_s();
	c->n_starts++;
}

bool mk_control_link_may_restart(const struct mk_control_link *c, int64_t now)
{
	size_t recent = 0, n = c->n_starts < MK_CONTROL_MAX_RESTARTS + 1 ? c->n_starts : MK_CONTROL_MAX_RESTARTS + 1;
	for (size_t i = 0; i < n; i++)
		recent += now - c->starts[i] < MK_CONTROL_RESTART_WINDOW_S;
	return recent <= MK_CONTROL_MAX_RESTARTS; /* the first start is not a restart */
}

int mk_control_link_start(struct mk_control_link *c, char *err, size_t errlen)
{
	int sv[2], pe[2];
	uid_t uid;
	gid_t gid;
	if (child_ids(&uid, &gid, err, errlen) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return snprintf(err, errlen, "meerko-control: socketpair: %s", strerror(errno)), -1;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(sv[0]), close(sv[1]);
		return snprintf(err, errlen, "meerko-control: pipe: %s", strerror(errno)), -1;
	}
	pid_t parent = getpid(), pid = fork();
	if (pid == 0)
		child_exec(c, sv[1], pe[1], uid, gid, parent);
	close(sv[1]);
	close(pe[1]);
	if (pid < 0) {
		close(sv[0]), close(pe[0]);
		return snprintf(err, errlen, "meerko-control: fork: %s", strerror(errno)), -1;
	}
	c->pid = pid, c->sock = sv[0], c->err_fd = pe[0], c->line_len = 0;
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	note_start(c);
	if (send_settings(c) != 0) {
		snprintf(err, errlen, "meerko-control: cannot send its settings: %s", strerror(errno));
		mk_control_link_stop(c, 1000, NULL);
		return -1;
	}
	fcntl(c->sock, F_SETFL, O_NONBLOCK);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests: prescanned (control_prescan.c), budgeted unpack          */
/* ------------------------------------------------------------------ */

void mk_control_request_free(Meerko__Control__ControlRequest *rq)
{
	if (rq)
		meerko__control__control_request__free_unpacked(rq, &mk_unpack_free_allocator);
}

static int broken(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "meerko-control: %s", what);
	return -1;
}

int mk_control_link_read(struct mk_control_link *c, Meerko__Control__ControlRequest **out,
			 char *why, size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	*out = NULL;
	if (c->sock < 0)
		return broken(why, whylen, "not running");
	mk_frame_status st = mk_frame_read(&c->reader, c->sock, &buf, &len);
	if (st == MK_FRAME_NEED_MORE)
		return 0;
	if (st != MK_FRAME_OK)
		return broken(why, whylen, st == MK_FRAME_EOF ? "closed its socket" : mk_frame_strerror(st));
	const char *bad = mk_ctl_prescan(buf, len);
	struct mk_unpack_budget b;
	mk_unpack_budget_init(&b, MK_UNPACK_BUDGET);
	if (bad == NULL)
		*out = meerko__control__control_request__unpack(&b.alloc, len, buf);
	free(buf);
	if (*out == NULL)
		return broken(why, whylen, bad ? bad : b.exhausted ? "request over the unpack budget"
			      : "not a ControlRequest");
	return 1;
}

int mk_control_link_reply(struct mk_control_link *c, const Meerko__Control__ControlReply *r)
{
	Meerko__Control__BrokerToControl m = MEERKO__CONTROL__BROKER_TO_CONTROL__INIT;
	m.reply = (Meerko__Control__ControlReply *)r;
	size_t n = meerko__control__broker_to_control__get_packed_size(&m);
	uint8_t *buf = malloc(n);
	int ok = buf && meerko__control__broker_to_control__pack(&m, buf) == n;
	/* the socket is non-blocking for reads; a reply is written whole */
	int fl = fcntl(c->sock, F_GETFL);
	fcntl(c->sock, F_SETFL, fl & ~O_NONBLOCK);
	ok = ok && mk_frame_write(c->sock, buf, n) == MK_FRAME_OK;
	fcntl(c->sock, F_SETFL, fl);
	free(buf);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* stderr, reaping, stopping                                           */
/* ------------------------------------------------------------------ */

static void emit_line(struct mk_control_link *c, mk_control_log_fn log, void *ctx)
{
	for (size_t i = 0; i < c->line_len; i++)
		if ((unsigned char)c->line[i] < 0x20 || (unsigned char)c->line[i] >= 0x7f)
			c->line[i] = '?';
	c->line[c->line_len] = '\0';
	log(ctx, c->line);
	c->line_len = 0;
}

int mk_control_link_drain_stderr(struct mk_control_link *c, mk_control_log_fn log, void *ctx)
{
	char buf[4096];
	for (int rounds = 0; c->err_fd >= 0 && rounds < 64; rounds++) {
		ssize_t n = read(c->err_fd, buf, sizeof buf);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0) {
			if (c->line_len)
				emit_line(c, log, ctx);
			close(c->err_fd);
			c->err_fd = -1;
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || c->line_len == sizeof c->line - 1)
				emit_line(c, log, ctx);
			if (buf[i] != '\n')
				c->line[c->line_len++] = buf[i];
		}
	}
	return c->err_fd >= 0 ? 0 : -1;
}

static void close_fds(struct mk_control_link *c)
{
	if (c->sock >= 0)
		close(c->sock);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->sock = c->err_fd = -1;
	mk_frame_reader_free(&c->reader);
	mk_frame_reader_init(&c->reader);
}

int mk_control_link_reap(struct mk_control_link *c, int *status)
{
	int st;
	if (c->pid <= 0 || waitpid(c->pid, &st, WNOHANG) != c->pid)
		return 0;
	c->pid = 0;
	close_fds(c);
	if (status)
		*status = st;
	return 1;
}

void mk_control_link_stop(struct mk_control_link *c, int timeout_ms, int *status)
{
	if (c->sock >= 0) {
		close(c->sock); /* meerko-control sees EOF and exits 0 */
		c->sock = -1;
	}
	for (int waited = 0; c->pid > 0 && waited < timeout_ms; waited += 10) {
		if (mk_control_link_reap(c, status))
			return;
		poll(NULL, 0, 10);
	}
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		int st;
		waitpid(c->pid, &st, 0);
		if (status)
			*status = st;
		c->pid = 0;
	}
	close_fds(c);
}
