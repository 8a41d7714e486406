/*
 * supervise.c - drive one engine from Configure to ShutdownDone.
 *
 * Flow: send Configure -> wait Ready -> send one AddTorrent per torrent ->
 * loop on Status and Events -> when every torrent is settled, on a run-wide
 * error or a signal send Shutdown(save_resume) -> wait ShutdownDone and the
 * engine's exit -> return an exit code. What happens to each torrent is in
 * torrents.c; --json lines are written by jsonout.c.
 * Every engine message goes through the engine->broker table
 * (engine_surface.c: phase, once, check, handler); a violation kills the
 * engine. Deadlines: Ready within MK_READY_MS, a
 * message at least every MK_SILENCE_MS, shutdown within MK_SHUTDOWN_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "contract.h"
#include "engine_msg.h"
#include "exitcodes.h"
#include "ipc.h"
#include "jsonout.h"
#include "progress.h"
#include "sanitize.h"
#include "supervise_int.h"
#include "torrents.h"

#define MK_READY_MS 30000
#define MK_SILENCE_MS 30000
#define MK_SHUTDOWN_MS 30000
#define MK_STATUS_INTERVAL_MS 500
#define MK_LIBTORRENT_CONNECTIONS 200 /* libtorrent's connections_limit default */
#define MK_RELAY_SPARE_CONNS 16       /* relay connections kept for trackers */

/* Peer connections libtorrent may open: the configured number (0 =
 * libtorrent's 200), but never so many that normal use reaches the relay's
 * cap; MK_RELAY_SPARE_CONNS stay free for trackers. */
static int connections_limit(int configured, int relay_cap)
{
	int want = configured > 0 ? configured : MK_LIBTORRENT_CONNECTIONS;
	if (relay_cap <= 0 || want <= relay_cap - MK_RELAY_SPARE_CONNS)
		return configured;
	return relay_cap > 2 * MK_RELAY_SPARE_CONNS ? relay_cap - MK_RELAY_SPARE_CONNS : relay_cap / 2;
}

static void send_configure(struct sup *s)
{
	const struct mk_job *j = s->job;
	const struct mk_config *c = j->cfg;
	Meerko__Configure cf = MEERKO__CONFIGURE__INIT;
	Meerko__BrokerToEngine m = MEERKO__BROKER_TO_ENGINE__INIT;
	mk_proxy_to_configure(&j->engine_proxy, &cf);
	cf.anonymous_mode = c->anonymous_mode;
	cf.dht = c->dht;
	cf.lsd = c->lsd;
	cf.upnp = c->upnp;
	cf.natpmp = c->natpmp;
	cf.pex = c->pex;
	cf.utp = c->utp;
	cf.status_interval_ms = MK_STATUS_INTERVAL_MS;
	cf.download_rate_limit = c->max_down_kib * 1024;
	cf.upload_rate_limit = c->max_up_kib * 1024;
	cf.listen_interfaces = (char *)"127.0.0.1:0";
	cf.dht_bootstrap = (char *)c->dht_bootstrap;
	cf.connections_limit = connections_limit(c->max_connections, j->relay_conn_cap);
	cf.offline = j->offline;
	m.msg_case = MEERKO__BROKER_TO_ENGINE__MSG_CONFIGURE;
	m.configure = &cf;
	mk_sup_send(s, &m);
}

/* Reads and handles every complete frame. Returns -1 when the engine is gone. */
static int read_engine(struct sup *s, mk_frame_reader *r)
{
	for (;;) {
		uint8_t *buf;
		size_t len;
		char why[256];
		mk_frame_status st = mk_frame_read(r, s->eng->fd, &buf, &len);
		if (st == MK_FRAME_NEED_MORE)
			return 0;
		if (st != MK_FRAME_OK) {
			if (st != MK_FRAME_EOF)
				mk_sup_set_error(s, MK_EXIT_ENGINE, "engine protocol violation: %s", mk_frame_strerror(st));
			return -1;
		}
		struct mk_ipc_unpack_info ui;
		Meerko__EngineToBroker *m = mk_ipc_unpack_e2b_info(buf, len, &ui);
		free(buf);
		if (!m)
			snprintf(why, sizeof why, "protocol violation: %s", ui.refused);
		if (!m || mk_engine_dispatch(s, m, why, sizeof why) != 0) {
			mk_sup_set_error(s, MK_EXIT_ENGINE, "engine %s; stopped it", why);
			mk_ipc_free_e2b(m);
			mk_sup_kill_engine(s);
			return -1;
		}
		s->last_msg_ms = mk_now_ms();
		mk_ipc_free_e2b(m);
	}
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	if (read(s->job->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_signo == SIGWINCH) {
		if (!s->job->json)
			mk_progress_resize(&s->prog, &s->set, mk_now_ms());
		return;
	}
	if (si.ssi_signo == SIGHUP) {
		/* SIGHUP reloads nothing (a changed config must not silently
		 * change privacy settings mid-download): it saves resume data now. */
		if (s->phase == PH_RUNNING)
			mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_SAVE_RESUME);
		return;
	}
	int code = si.ssi_signo == SIGINT ? MK_EXIT_SIGINT : MK_EXIT_SIGTERM;
	if (si.ssi_signo == SIGINT && ++s->sigints >= 2) {
		/* Second Ctrl-C: the user wants out now. */
		mk_sup_set_error(s, MK_EXIT_SIGINT, "interrupted twice: stopped at once");
		mk_sup_kill_engine(s);
		return;
	}
	s->user_stop = 1;
	if (s->phase >= PH_STOPPING)
		return; /* already stopping: one message is enough */
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: %s: saving state and stopping (Ctrl-C again to stop at once)\n",
		si.ssi_signo == SIGINT ? "interrupted" : "terminated");
	if (!s->error[0])
		s->exit_code = code;
	mk_sup_start_stopping(s, code);
}

/* Kill switch. The namespace already guarantees nothing leaves but through
 * the proxy; pausing keeps libtorrent from churning through failures and
 * errors while it is gone, and makes the state visible to the user. */
static void proxy_down(struct sup *s, const char *why)
{
	if (s->outage_start_ms)
		return;
	s->outage_start_ms = mk_now_ms();
	s->job->outages++;
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: proxy down (%s): %s\n", why,
		s->job->cfg->on_proxy_loss == MK_ON_LOSS_EXIT ? "stopping" : "torrents paused until it is back");
	if (s->job->json)
		mk_jsonout_event(stdout, s->outage_start_ms - s->job->start_ms, "proxy_down", 0, NULL, NULL, why, 0);
	if (s->job->cfg->on_proxy_loss == MK_ON_LOSS_EXIT) {
		mk_sup_set_error(s, MK_EXIT_OUTAGE, "proxy lost and [killswitch] on_proxy_loss = exit: state saved");
		mk_sup_start_stopping(s, MK_EXIT_OUTAGE);
		return;
	}
	if (s->phase == PH_RUNNING) {
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_PAUSE);
		s->paused_for_outage = 1;
	}
}

static void proxy_up(struct sup *s)
{
	if (!s->outage_start_ms)
		return;
	mk_progress_break(&s->prog);
	int64_t now = mk_now_ms();
	s->job->outage_ms += now - s->outage_start_ms;
	fprintf(stderr, "meerko-secure: proxy back after %llds: resuming\n",
		(long long)((now - s->outage_start_ms) / 1000));
	if (s->job->json)
		mk_jsonout_event(stdout, now - s->job->start_ms, "proxy_up", 0, NULL, NULL, NULL, 0);
	s->outage_start_ms = 0;
	mk_tor_proxy_back(s, now);
	s->prog.status_note[0] = '\0';
	if (s->paused_for_outage && s->phase == PH_RUNNING && !mk_exitg_holds(s))
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_RESUME); /* not while the exit is wrong */
	s->paused_for_outage = 0;
}

/* The relay refused connections past its cap: the engine's doing, not an
 * outage. Said once per engine run. */
static void too_many_connections(struct sup *s, const char *cap)
{
	if (s->toomany_said++)
		return;
	char msg[160];
	snprintf(msg, sizeof msg, "the engine opened too many connections (more than %d at once "
		 "through the relay): refused the rest", atoi(cap));
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: warning: %s\n", msg);
	if (s->job->json)
		mk_jsonout_event(stdout, mk_now_ms() - s->job->start_ms, "too_many_connections", 0, NULL,
				 NULL, msg, 0);
}

/* The relay's last word before it exits ("FATAL why"): one stderr line,
 * sanitised (the relay parses hostile bytes); its death follows as EOF. */
static void relay_fatal(struct sup *s, const char *why)
{
	char clean[256];
	mk_sanitize(why, strlen(why), clean, sizeof clean);
	mk_progress_break(&s->prog);
	fprintf(stderr, "meerko-secure: the proxy relay failed: %s\n", clean);
}

/* Lines from the relay about the real proxy ("UP", "DOWN why"), about
 * the engine ("TOOMANY cap") and about itself ("FATAL why"). */
static void on_relay_status(struct sup *s)
{
	char buf[1024];
	ssize_t n = read(s->job->relay_status_fd, buf, sizeof buf - 1);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* The relay is the engine's only way out: without it nothing
		 * moves, and nothing leaks. Stop the engine cleanly (its state
		 * is saved); main.c reaps the relay, says how it ended and
		 * restarts both within the restart limits. */
		s->relay_gone = 1;
		s->relay_died = s->phase < PH_STOPPING;
		mk_sup_start_stopping(s, MK_EXIT_ENGINE);
		return;
	}
	if (n < 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "DOWN ", 5) == 0)
			proxy_down(s, line + 5);
		else if (strcmp(line, "UP") == 0)
			proxy_up(s);
		else if (strncmp(line, "TOOMANY ", 8) == 0)
			too_many_connections(s, line + 8);
		else if (strncmp(line, "FATAL ", 6) == 0)
			relay_fatal(s, line + 6);
	}
}

static void check_deadlines(struct sup *s)
{
	int64_t now = mk_now_ms();
	if (s->phase == PH_RUNNING && s->outage_start_ms &&
	    now - s->outage_start_ms > s->job->cfg->max_outage_s * 1000LL) {
		mk_sup_set_error(s, MK_EXIT_OUTAGE, "proxy down for more than %d s ([killswitch] max_outage): "
			  "state saved, rerun to continue", s->job->cfg->max_outage_s);
		mk_sup_start_stopping(s, MK_EXIT_OUTAGE);
	}
	mk_tor_check_deadlines(s, now);
	mk_tor_check_stalls(s, now);
	mk_exitg_tick(s, now);
	if (s->phase == PH_RUNNING && now >= s->next_resume_ms) {
		mk_sup_send_all(s, MEERKO__BROKER_TO_ENGINE__MSG_SAVE_RESUME);
		s->next_resume_ms = now + s->job->cfg->resume_interval_s * 1000LL;
	}
	if (s->phase == PH_STARTING && now - s->phase_start_ms > MK_READY_MS) {
		mk_sup_set_error(s, MK_EXIT_ENGINE, "engine did not start within %d s", MK_READY_MS / 1000);
		mk_sup_kill_engine(s);
	} else if (s->phase == PH_RUNNING && now - s->last_msg_ms > MK_SILENCE_MS) {
		mk_sup_set_error(s, MK_EXIT_ENGINE, "engine stopped responding for %d s; stopped it", MK_SILENCE_MS / 1000);
		mk_sup_kill_engine(s);
	} else if (s->phase == PH_STOPPING && now - s->phase_start_ms > MK_SHUTDOWN_MS) {
		mk_sup_set_error(s, MK_EXIT_ENGINE, "engine did not shut down within %d s; killed it", MK_SHUTDOWN_MS / 1000);
		mk_sup_kill_engine(s);
	}
}

/* A line of the engine's stderr, already sanitised and prefixed. */
static void engine_says(void *ctx, const char *line)
{
	struct sup *s = ctx;
	mk_progress_break(&s->prog);
	fprintf(stderr, "%s\n", line);
}

static void read_engine_stderr(struct sup *s)
{
	if (!s->estderr_eof && mk_estderr_read(&s->estderr, s->eng->stderr_fd, mk_now_ms()))
		s->estderr_eof = 1;
}

static void loop(struct sup *s)
{
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = s->eng->fd, .events = POLLIN },
			{ .fd = s->job->sigfd, .events = POLLIN },
			{ .fd = s->relay_gone ? -1 : s->job->relay_status_fd, .events = POLLIN },
			{ .fd = s->estderr_eof ? -1 : s->eng->stderr_fd, .events = POLLIN },
		};
		int n = poll(p, 4, 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents & (POLLIN | POLLERR))
			on_signal(s);
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) /* a dead relay: POLLHUP alone */
			on_relay_status(s);
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			read_engine_stderr(s);
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_engine(s, &r) != 0)
			break;
		check_deadlines(s);
	}
	mk_frame_reader_free(&r);
}

/* Waits for the engine to exit (bounded), then judges how it ended. */
static void reap(struct sup *s)
{
	int ws = 0;
	pid_t got = mk_reap_bounded(s->eng->pid, 5000, &ws);
	if (got == s->eng->pid && !(s->got_shutdown_done && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)) {
		char how[160];
		ws = mk_engine_status(s->eng, ws);
		mk_describe_exit(ws, how, sizeof how);
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == MK_ENGINE_EXIT_NOMEM)
			mk_sup_set_error(s, MK_EXIT_ENGINE, "engine %s: its limit is %d MiB ([sandbox] "
					 "engine_memory_mb)", how, s->job->cfg->engine_memory_mb);
		else
			mk_sup_set_error(s, MK_EXIT_ENGINE, "engine %s", how);
	}
	s->eng->pid = -1;
}

/* After a run that was not cut short: a line per complete torrent, and a
 * summary when some of several failed (each failure had its own line). */
static void say_done(const struct sup *s)
{
	const struct mk_job *job = s->job;
	size_t failed = 0;
	for (size_t i = 0; i < job->n_torrents; i++) {
		const struct mk_torrent_kept *jt = &job->torrents[i].kept;
		failed += jt->failed != 0;
		if (jt->complete && !job->json)
			printf("done: %s saved in %s (%llu bytes downloaded this run)\n", jt->name,
			       job->save_path, (unsigned long long)jt->downloaded);
	}
	if (failed && job->n_torrents > 1 && s->exit_code == job->first_failure)
		fprintf(stderr, "meerko-secure: %zu of %zu torrents failed (exit code %d: the first failure's)\n",
			failed, job->n_torrents, s->exit_code);
}

/* A stop whose last resume save failed is not clean: unless every torrent
 * is complete anyway, the run ends with exit 5 and says so (the warning
 * before it gave the reason). */
static void unsaved_state_is_an_error(struct sup *s)
{
	size_t unsaved = 0, incomplete = 0;
	for (size_t i = 0; i < s->job->n_torrents; i++) {
		unsaved += s->job->torrents[i].kept.resume_unsaved != 0;
		incomplete += !s->job->torrents[i].kept.complete;
	}
	if (unsaved && incomplete)
		mk_sup_set_error(s, MK_EXIT_DISK, "the state of %zu torrent%s could not be saved: the next "
				 "run verifies what is on disk", unsaved, unsaved == 1 ? "" : "s");
}

int mk_supervise(struct mk_job *job, struct mk_engine_proc *eng)
{
	struct sup s;
	memset(&s, 0, sizeof s);
	s.job = job;
	s.eng = eng;
	s.exit_code = MK_EXIT_INTERNAL;
	s.phase_start_ms = s.last_msg_ms = mk_now_ms();
	s.next_resume_ms = mk_now_ms() + job->cfg->resume_interval_s * 1000LL;
	s.outage_start_ms = job->outage_start_ms;
	mk_progress_init(&s.prog, job->json ? MK_PROGRESS_NONE : job->cfg->progress,
			 job->cfg->plain_interval_s, stdout);
	mk_estderr_init(&s.estderr, engine_says, &s, mk_now_ms());
	/* Non-blocking: read_engine() drains what is there and returns to poll(),
	 * so signals and relay news are never starved by a chatty engine. */
	int fl = fcntl(eng->fd, F_GETFL);
	if (fl < 0 || fcntl(eng->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		fprintf(stderr, "meerko-secure: cannot make the engine socket non-blocking\n");
		kill(eng->pid, SIGKILL);
		waitpid(eng->pid, NULL, 0);
		return MK_EXIT_INTERNAL;
	}
	mk_tor_engine_started(&s);
	send_configure(&s);
	loop(&s);
	close(eng->fd);
	eng->fd = -1;
	reap(&s);
	read_engine_stderr(&s); /* the engine is gone: what is left, e.g. a crash report */
	mk_estderr_finish(&s.estderr, mk_now_ms());
	close(eng->stderr_fd);
	eng->stderr_fd = -1;
	mk_progress_break(&s.prog);
	job->outage_start_ms = s.outage_start_ms;
	job->relay_died = s.relay_died && !s.user_stop;
	job->crashed = s.exit_code == MK_EXIT_ENGINE && !s.user_stop && !job->relay_died;
	job->clean_stop = s.got_shutdown_done;
	mk_tor_finish(&s);
	unsaved_state_is_an_error(&s);
	if (s.error[0])
		fprintf(stderr, "meerko-secure: %s\n", s.error);
	else
		say_done(&s);
	return s.exit_code;
}
