/*
 * main.c - meerko-secure: the broker.
 *
 * Contract: the only Meerko process the user runs. In order: parse flags,
 * load and validate the configuration, read every torrent (bytes only,
 * never parsed here) and check them all (no duplicates, well-formed magnet
 * hashes) before anything starts, prepare the save dir, check the proxy
 * answers SOCKS5, start one engine for all torrents, supervise it to the
 * end. --list of .torrent files only skips the proxy and the relay: the
 * engine lists them with no network at all (list_offline). Each failure
 * prints one line on stderr and exits with a code from exitcodes.h; with
 * --json the last stdout line is an "exit" object.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonout.h"
#include "rlimits.h"
#include "relay.h"
#include "sandbox.h"
#include "sandbox_fs.h"
#include "sandbox_check.h"
#include "savedir_guard.h"
#include "secret.h"
#include "state.h"
#include "socks5.h"
#include "spawn.h"
#include "proxy.h"
#include "supervise.h"
#include "userns_diag.h"

#define MK_PROBE_TIMEOUT_MS 5000
#define MK_MAX_RESTARTS 100

static int fail(int code, const char *msg)
{
	fprintf(stderr, "meerko-secure: %s\n", msg);
	return code;
}

static int load_config(const struct mk_cli *cli, struct mk_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];
	mk_config_defaults(cfg);
	int found = mk_config_find(cli->config_path, path, sizeof path, err, errlen);
	if (found < 0)
		return -1;
	if (found == 1 && mk_config_load_file(cfg, path, err, errlen) != 0)
		return -1;
	if (mk_cli_apply(cli, cfg, err, errlen) != 0 || mk_config_read_password_file(cfg, err, errlen) != 0)
		return -1;
	return mk_config_validate(cfg, err, errlen);
}

/* Before signals_fd() takes SIGINT/SIGTERM over (the start-up proxy check
 * can take seconds): nothing has started yet, so stopping at once loses
 * nothing; say so in one line. write(2) and _exit(2) only: signal-safe. */
static void startup_signal(int sig)
{
	static const char line[] = "meerko-secure: interrupted during start-up: nothing was downloaded\n";
	ssize_t n = write(STDERR_FILENO, line, sizeof line - 1);
	(void)n;
	_exit(sig == SIGTERM ? MK_EXIT_SIGTERM : MK_EXIT_SIGINT);
}

static void catch_startup_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = startup_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Blocks SIGINT/SIGTERM/SIGHUP/SIGWINCH and returns a signalfd for them, so signals are
 * handled in the main loop rather than in async handlers. */
static int signals_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH); /* the progress display redraws at the new width */
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int check_proxy(const struct mk_config *cfg, char *err, size_t errlen)
{
	struct mk_proxy p;
	mk_proxy_from_config(&p, cfg);
	if (p.type == MEERKO__PROXY_TYPE__PROXY_NONE)
		return 0;
	int r = mk_socks5_probe(p.host, p.port, p.user, p.password, MK_PROBE_TIMEOUT_MS, err, errlen);
	return r == MK_SOCKS_OK ? 0 : -1;
}

/* Does the proxy relay UDP (SOCKS5 UDP ASSOCIATE)? uTP, DHT and UDP
 * trackers need it, in the sandbox (through the relay) and without. If not,
 * DHT and uTP are turned off, with one note when they were asked for.
 * Returns whether the relay may offer UDP ASSOCIATE to the engine. */
static bool check_proxy_udp(struct mk_config *cfg)
{
	char err[512];
	uint8_t rep = 0;
	struct mk_proxy p;
	mk_proxy_from_config(&p, cfg);
	if (p.type == MEERKO__PROXY_TYPE__PROXY_NONE)
		return false; /* no relay then: the sandbox needs a proxy */
	if (mk_socks5_probe_udp(p.host, p.port, p.user, p.password, MK_PROBE_TIMEOUT_MS, &rep, err,
				sizeof err) == MK_SOCKS_OK)
		return true;
	if (cfg->dht || cfg->utp)
		fprintf(stderr, "meerko-secure: note: the proxy does not support UDP ASSOCIATE: "
				"uTP, DHT and UDP trackers are off for this run\n");
	cfg->dht = cfg->utp = false;
	return false;
}

/* The first run: no config file, no --proxy, so the proxy that did not
 * answer is the built-in default. Say so, where the file was looked for,
 * and how to give a proxy: a bare "cannot connect to proxy 127.0.0.1:1080"
 * does not tell a new user that nobody asked for that address. */
static int first_run_hint(const struct mk_cli *cli, const struct mk_config *cfg, int code)
{
	char where[2 * PATH_MAX + 64];
	if (cfg->source[0] || cli->proxy)
		return code;
	mk_config_where_looked(where, sizeof where);
	fprintf(stderr, "meerko-secure: no config file found (looked for %s), so the proxy is the "
			"built-in default %s:%u: give yours with --proxy IP:PORT or in [proxy] host and "
			"port of meerko.ini (see meerko-secure --help, meerko.ini(5))\n",
		where, cfg->proxy_host, (unsigned)cfg->proxy_port);
	return code;
}

/* The torrents of a run: static, as mk_state holds two PATH_MAX buffers each. */
static struct mk_input inputs[MK_CLI_MAX_INPUTS];
static struct mk_state states[MK_CLI_MAX_INPUTS];
static struct mk_torrent torrents[MK_CLI_MAX_INPUTS];

/* --list of local .torrent files only: it needs nobody, so it runs without
 * the proxy (no probe), without a relay, and with an engine that makes no
 * libtorrent session at all (Configure.offline, engine_offline.c).
 * Why the engine and not the broker parses the file: the broker never parses
 * torrent bytes (broker_no_libtorrent), and a hand-written bencode parser in
 * the trusted process would be new attack surface for hostile input; the
 * engine reads it with libtorrent's own parser (the same limits, checks and
 * file names as a download), confined as always (seccomp, Landlock, the
 * namespaces), and with the sandbox on its network namespace then has no
 * way out at all. A magnet needs the metadata from peers: the proxy as ever. */
static bool list_offline(const struct mk_config *cfg, size_t n)
{
	if (!cfg->list_only)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!inputs[i].bytes)
			return false;
	return n > 0;
}

/* Reads every input and checks them together: one bad input stops the run
 * before any network activity. */
static int load_inputs(const struct mk_cli *cli, char *err, size_t errlen)
{
	for (size_t i = 0; i < cli->n_inputs; i++) {
		if (mk_input_load(&inputs[i], cli->inputs[i], err, errlen) != 0)
			return -1;
		torrents[i].kept.input = &inputs[i];
	}
	return mk_inputs_check(inputs, cli->n_inputs, err, errlen);
}

/* The torrent's lock (state.h): 0, or -1 with err when another run has it. */
static int lock_state(struct mk_state *st, const char *arg, const char *save, char *err, size_t errlen)
{
	long holder = 0;
	int r = mk_state_lock(st, &holder);
	if (r == -2)
		fprintf(stderr, "meerko-secure: warning: cannot lock %s: %s: a second run of it would not "
				"be stopped\n", st->file, strerror(errno));
	if (r != -1)
		return 0;
	char pid[32] = "";
	if (holder > 0)
		snprintf(pid, sizeof pid, " (pid %ld)", holder);
	snprintf(err, errlen, "%.200s: already being downloaded into %.400s by another meerko-secure%s: "
		 "not starting a second one", arg, save, pid);
	return -1;
}

/* One state file per torrent (its bytes or magnet + the save dir), locked
 * for this run. Returns 0, or -1 with err when a torrent is another run's. */
static int open_states(size_t n, const struct mk_config *cfg, const char *save, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct mk_input *in = &inputs[i];
		if (mk_state_open(&states[i], cfg->state_dir, in->bytes ? (const void *)in->bytes : in->magnet,
				  in->bytes ? in->len : strlen(in->magnet), save, err, errlen) != 0) {
			fprintf(stderr, "meerko-secure: warning: %s: resume data will not be kept\n", err);
			continue;
		}
		torrents[i].kept.state = &states[i];
		if (lock_state(&states[i], in->arg, save, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* The unclean-stop rule, per torrent: trust saved resume data only when
 * that torrent's last run ended cleanly. */
static void judge_resume(struct mk_job *job)
{
	size_t unclean = 0;
	if (job->cfg->verify) {
		/* no resume data: libtorrent hashes every piece it finds on disk */
		fprintf(stderr, "meerko-secure: --verify: hashing every piece on disk first\n");
		for (size_t i = 0; i < job->n_torrents; i++)
			job->torrents[i].kept.trust_resume = 0;
		return;
	}
	for (size_t i = 0; i < job->n_torrents; i++) {
		struct mk_torrent_kept *t = &job->torrents[i].kept;
		t->trust_resume = t->state && mk_state_was_clean(t->state);
		unclean += t->state && !t->trust_resume;
		if (t->state && !t->trust_resume)
			mk_state_forget_pieces(t->state); /* never believed later either */
	}
	if (unclean)
		fprintf(stderr, "meerko-secure: the last run did not stop cleanly: verifying the files "
				"on disk instead of trusting saved state\n");
}

static void mark_states(const struct mk_job *job, int running)
{
	for (size_t i = 0; i < job->n_torrents; i++) {
		const struct mk_state *st = job->torrents[i].kept.state;
		if (st && running)
			mk_state_mark_running(st); /* an engine now writes the files */
		else if (st && !job->torrents[i].kept.resume_unsaved)
			mk_state_end_clean(st); /* its state is saved: a clean stop */
	}
}

/* Everything that needs cleaning up after a run. */
struct run_state {
	struct mk_engine_proc eng;
	pid_t relay;
	int relay_status[2];
	int sigfd;
	bool proxy_udp;             /* the proxy relays UDP (check_proxy_udp) */
};

static int start_relay(struct run_state *rs, const struct mk_config *cfg, const struct mk_sandbox *sb,
		       char *err, size_t errlen)
{
	struct mk_proxy proxy; /* the relay dials the proxy as configured, and authenticates */
	mk_proxy_from_config(&proxy, cfg);
	struct mk_relay_upstream up = {
		.ip = proxy.host, .port = proxy.port, .user = proxy.user,
		.password = proxy.password, .drop_uid = sb->relay_uid, .drop_gid = sb->relay_gid,
		.udp = rs->proxy_udp, .allow_private = cfg->allow_private_dest,
	};
	struct mk_relay_fds fds = { rs->eng.relay_listen_fd, rs->eng.relay_udp_fd };
	if (pipe2(rs->relay_status, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	rs->relay = mk_relay_start(&fds, &up, rs->relay_status[1], err, errlen);
	close(rs->eng.relay_listen_fd);
	close(rs->eng.relay_udp_fd);
	close(rs->relay_status[1]);
	rs->eng.relay_listen_fd = rs->eng.relay_udp_fd = rs->relay_status[1] = -1;
	return rs->relay > 0 ? 0 : -1;
}

/* As root with a save dir of an ordinary user: said once per run (not again
 * on an engine restart), so the user knows whose the files will be. */
static void say_engine_owner(const struct mk_sandbox *sb)
{
	static bool said;
	if (said || !sb->owner[0])
		return;
	said = true;
	fprintf(stderr, "meerko-secure: running the engine as %s (uid %u), the save dir's owner\n",
		sb->owner, (unsigned)sb->uid);
}

static int start_engine(struct run_state *rs, struct mk_config *cfg, const struct mk_job *job,
			struct mk_sandbox *sb, char *err, size_t errlen)
{
	const char *save = job->save_path;
	char engine[PATH_MAX];
	if (mk_engine_path(engine, sizeof engine, err, errlen) != 0)
		return MK_EXIT_INTERNAL;
	if (cfg->sandbox == MK_SANDBOX_OFF) {
		sb->enabled = false;
		return mk_engine_spawn(engine, NULL, NULL, &rs->eng, err, errlen) == 0 ? 0 : MK_EXIT_INTERNAL;
	}
	if (cfg->proxy_type == MK_CFG_PROXY_NONE && !job->offline) {
		snprintf(err, errlen, "the sandbox's only way out is a proxy: configure one, "
				      "or use --sandbox off with --no-proxy");
		return MK_EXIT_USAGE;
	}
	if (mk_sandbox_plan(sb, save, err, errlen) != 0)
		return MK_EXIT_SANDBOX;
	say_engine_owner(sb);
	struct mk_engine_limits lim;
	mk_limits_plan(&lim, sb, cfg->engine_memory_mb, mk_relay_conn_cap() + MK_RELAY_THREADS_FIXED);
	int r = mk_engine_spawn(engine, sb, &lim, &rs->eng, err, errlen);
	if (r == MK_SANDBOX_SAVEDIR)
		return MK_EXIT_DISK;
	if (r != 0 && sb->userns)
		mk_userns_explain(err, errlen); /* which setting forbids the user namespace, if one does */
	if (r != 0)
		return MK_EXIT_SANDBOX;
	if (job->offline) {
		/* No relay: the engine's namespace keeps only its lo, with nothing
		 * listening on it, so it has no way out at all. */
		close(rs->eng.relay_listen_fd);
		close(rs->eng.relay_udp_fd);
		rs->eng.relay_listen_fd = rs->eng.relay_udp_fd = -1;
		return 0;
	}
	return start_relay(rs, cfg, sb, err, errlen) == 0 ? 0 : MK_EXIT_INTERNAL;
}

static void job_proxy(struct mk_job *job, const struct mk_config *cfg, const struct mk_sandbox *sb)
{
	job->engine_save_path = sb->enabled ? MK_SANDBOX_DATA_DIR : job->save_path;
	job->sandboxed = sb->enabled;
	job->userns = sb->enabled && sb->userns;
	/* Sandboxed, the engine sees only the relay, and never the password. */
	mk_proxy_for_engine(&job->engine_proxy, cfg, sb->enabled ? MK_RELAY_INSIDE_IP : NULL, sb->relay_port);
}

static void stop_relay(struct run_state *rs)
{
	if (rs->relay > 0) {
		kill(rs->relay, SIGKILL);
		waitpid(rs->relay, NULL, 0);
		rs->relay = -1;
	}
	if (rs->relay_status[0] >= 0)
		close(rs->relay_status[0]);
	rs->relay_status[0] = -1;
}

/* The relay closed its status pipe: it is dead or about to be (it closes
 * that pipe only by exiting). Reaps it (bounded: then it is killed) and
 * says how it ended in how. Returns true when its seccomp filter killed it
 * (SIGSYS): it tried a call outside policy/seccomp_relay.c. */
static bool reap_dead_relay(struct run_state *rs, char *how, size_t howlen)
{
	int ws = 0;
	pid_t got = mk_reap_bounded(rs->relay, 2000, &ws);
	if (got == rs->relay)
		mk_describe_exit(ws, how, howlen);
	else
		snprintf(how, howlen, "closed its status pipe");
	rs->relay = -1;
	return got > 0 && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS;
}

/* At most cfg->max_restarts restarts within any restart_window seconds. */
static int may_restart(const struct mk_config *cfg, int64_t *times, int *n)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = ts.tv_sec, kept = 0;
	for (int i = 0; i < *n; i++)
		if (now - times[i] < cfg->restart_window_s)
			times[kept++] = times[i];
	*n = (int)kept;
	if (*n >= cfg->max_restarts || *n >= MK_MAX_RESTARTS)
		return 0;
	times[(*n)++] = now;
	return 1;
}

/* After a crash the saved state may be stale (verify the files) or a lie
 * of the engine that crashed (forget its piece claims). */
static void distrust_saved_state(struct mk_job *job)
{
	for (size_t i = 0; i < job->n_torrents; i++) {
		job->torrents[i].kept.trust_resume = 0;
		if (job->torrents[i].kept.state)
			mk_state_forget_pieces(job->torrents[i].kept.state);
	}
}

/* A relay that broke its confinement is compromised: no restart, the run
 * ends now (exit 7). The engine's saved state is kept as after any relay
 * death (trusted only if it stopped cleanly). The kernel kills without
 * telling the broker which call it was; its log does (audit type=1326). */
static int relay_violated(struct mk_job *job)
{
	fprintf(stderr, "meerko-secure: the proxy relay violated its confinement (a system call outside "
			"its seccomp table; the kernel log names it): stopping, not restarting a "
			"compromised relay\n");
	if (job->crashed || !job->clean_stop)
		distrust_saved_state(job);
	else
		mark_states(job, 0);
	return MK_EXIT_ENGINE;
}

/* The kill switch's count for the run: outages the relay saw (one shorter
 * than its check period may go unseen when nothing connects meanwhile). */
static void say_outages(const struct mk_job *job)
{
	if (job->outages == 0)
		return;
	int64_t ms = job->outage_ms + (job->outage_start_ms ? mk_now_ms() - job->outage_start_ms : 0);
	fprintf(stderr, "meerko-secure: the proxy was down %d time%s during this run (%llds in all; one shorter "
			"than ~%d s can go unseen)\n", job->outages, job->outages == 1 ? "" : "s",
		(long long)(ms / 1000), MK_RELAY_PROBE_UP_S);
}

/* Starts the engine (and relay), supervises it, and restarts it from saved
 * state when it crashes, within the configured limits. */
static int run_engine(struct run_state *rs, struct mk_config *cfg, struct mk_job *job)
{
	char err[1024];
	int64_t times[MK_MAX_RESTARTS];
	int n_restarts = 0;
	judge_resume(job);
	for (;;) {
		struct mk_sandbox sb = { .enabled = false };
		int code = start_engine(rs, cfg, job, &sb, err, sizeof err);
		if (code != 0) {
			stop_relay(rs);
			return fail(code, err);
		}
		mark_states(job, 1);
		job->sigfd = rs->sigfd;
		job->relay_status_fd = rs->relay_status[0];
		job->relay_conn_cap = sb.enabled ? mk_relay_conn_cap() : 0;
		job_proxy(job, cfg, &sb);
		code = mk_supervise(job, &rs->eng);
		char relay_how[160] = "";
		bool violated = job->relay_died && reap_dead_relay(rs, relay_how, sizeof relay_how);
		stop_relay(rs);
		if (violated)
			return relay_violated(job);
		if (!job->crashed && !job->relay_died) {
			if (job->clean_stop)
				mark_states(job, 0);
			return code;
		}
		if (job->crashed || !job->clean_stop)
			distrust_saved_state(job);
		else
			mark_states(job, 0); /* the relay died, the engine stopped cleanly */
		const char *who = job->relay_died ? "the proxy relay" : "the engine";
		if (job->relay_died)
			fprintf(stderr, "meerko-secure: the proxy relay %s; the engine was stopped (state saved)\n",
				relay_how);
		if (!may_restart(cfg, times, &n_restarts)) {
			fprintf(stderr, "meerko-secure: %s failed %d times within %d s: giving up "
					"(state saved, rerun to continue)\n", who, cfg->max_restarts + 1,
				cfg->restart_window_s);
			return MK_EXIT_ENGINE;
		}
		fprintf(stderr, "meerko-secure: restarting %s from saved state (%d of %d)\n",
			job->relay_died ? "the proxy relay and the engine" : "the engine", n_restarts,
			cfg->max_restarts);
	}
}

static int run(const struct mk_cli *cli, struct mk_job *job)
{
	char err[1024], save[PATH_MAX];
	struct mk_config cfg;
	struct run_state rs = { .eng = { .pid = -1, .fd = -1, .stderr_fd = -1, .relay_listen_fd = -1,
					 .relay_udp_fd = -1 },
				.relay = -1, .relay_status = { -1, -1 }, .sigfd = -1 };
	mk_secret_register(cfg.proxy_password, sizeof cfg.proxy_password);
	catch_startup_signals();
	if (load_config(cli, &cfg, err, sizeof err) != 0)
		return fail(MK_EXIT_USAGE, err);
	if (load_inputs(cli, err, sizeof err) != 0)
		return fail(MK_EXIT_INPUT, err);
	job->offline = list_offline(&cfg, cli->n_inputs);
	int code = MK_EXIT_OK;
	/* Judged before anything is created, and again once it exists. */
	if (mk_savedir_check_private(cfg.save_dir, cfg.source, cfg.state_dir, err, sizeof err) != 0)
		code = fail(MK_EXIT_USAGE, err);
	else if (mk_savedir_prepare(cfg.save_dir, save, sizeof save, err, sizeof err) != 0)
		code = fail(MK_EXIT_DISK, err);
	else if (mk_savedir_check_private(save, cfg.source, cfg.state_dir, err, sizeof err) != 0)
		code = fail(MK_EXIT_USAGE, err);
	/* --list downloads nothing: no resume data to keep, nothing to lock */
	else if (!cfg.list_only && open_states(cli->n_inputs, &cfg, save, err, sizeof err) != 0)
		code = fail(MK_EXIT_LOCKED, err);
	else if (!job->offline && check_proxy(&cfg, err, sizeof err) != 0)
		code = first_run_hint(cli, &cfg, fail(MK_EXIT_PROXY, err));
	else if ((rs.sigfd = signals_fd()) < 0)
		code = fail(MK_EXIT_INTERNAL, "cannot set up signal handling");
	if (code == MK_EXIT_OK) {
		rs.proxy_udp = !job->offline && check_proxy_udp(&cfg);
		job->cfg = &cfg;
		job->save_path = save;
		job->n_torrents = cli->n_inputs;
		code = run_engine(&rs, &cfg, job);
		say_outages(job);
	}
	explicit_bzero(cfg.proxy_password, sizeof cfg.proxy_password);
	return code;
}

/* Runs, then frees the inputs; with --json the last line says how it ended. */
static int run_all(const struct mk_cli *cli)
{
	struct mk_job job = { .torrents = torrents, .json = cli->json, .start_ms = mk_now_ms() };
	int code = run(cli, &job);
	if (cli->json)
		mk_jsonout_exit(stdout, mk_now_ms() - job.start_ms, code, torrents, job.n_torrents);
	for (size_t i = 0; i < cli->n_inputs; i++) {
		mk_input_free(&inputs[i]);
		mk_disk_files_free(&torrents[i].kept.disk);
		if (torrents[i].kept.state) /* opened (and maybe locked) by open_states */
			mk_state_unlock(&states[i]);
	}
	return code;
}

int main(int argc, char **argv)
{
	struct mk_cli cli;
	char err[512];
	/* The broker may hold a proxy password: no core dumps, no same-uid
	 * ptrace or /proc/PID/mem reads of it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Out of the environment at once: /proc/PID/environ shows it to the
	 * same user while a process is dumpable, and every child copies it. */
	mk_secret_take_proxy_env();
	if (mk_cli_parse(&cli, argc, argv, err, sizeof err) != 0)
		return fail(MK_EXIT_USAGE, err);
	if (cli.help) {
		mk_cli_usage(stdout);
		return MK_EXIT_OK;
	}
	if (cli.version) {
		printf("meerko-secure %s\n", MEERKO_VERSION);
		return MK_EXIT_OK;
	}
	if (cli.sandbox_check)
		return mk_sandbox_check(stdout);
	return run_all(&cli);
}
