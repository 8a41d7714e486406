/*
 * engine.c - meerko-engine: drives libtorrent (through shim/) on behalf of
 * the broker.
 *
 * Contract: the engine talks only to the broker, over the framed socketpair
 * on fd MK_ENGINE_FD. It never reads the user's configuration or any path
 * the user named: the broker sends the settings and the .torrent bytes.
 * First message must be Configure (with offline set, for --list of
 * .torrent files, no libtorrent session is made at all: engine_offline.c);
 * then AddTorrent / Pause / Resume /
 * SaveResume / SetFilePriorities / Shutdown in any order. A torrent added
 * with list_only or select_files gets a FileList once its metadata is known
 * (engine_files.c). It sends Ready once, Status every
 * status_interval_ms, Events as libtorrent reports them, ResumeData on
 * request and at shutdown, and ShutdownDone last. Any malformed message from
 * the broker ends the engine (exit 2): the broker is trusted, so a bad frame
 * means a bug, not an attack.
 *
 * The loop blocks in poll() on the socket and the shim's alert eventfd, so an
 * idle engine uses no CPU between status ticks.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "contract.h"
#include "engine_confine.h"
#include "engine_files.h"
#include "engine_io.h"
#include "engine_offline.h"
#include "ipc.h"
#include "mk_shim.h"
#ifdef MEERKO_ESCAPE_TEST
#include "escape_test.h"
#endif

#define MK_SHUTDOWN_RESUME_MS 10000

struct engine {
	int fd;
	mk_session *session;
	uint32_t ids[MK_MAX_TORRENTS];
	struct mk_engine_files files[MK_MAX_TORRENTS]; /* per ids[i] */
	size_t n_ids;
	unsigned status_interval_ms;
	int shutting_down;
	unsigned resume_pending;
};

/* The wire's proxy type as the shim's; an unknown one is fatal, never "none"
 * (which would connect directly). */
static mk_proxy_type shim_proxy_type(Meerko__ProxyType t)
{
	switch (t) {
	case MEERKO__PROXY_TYPE__PROXY_NONE: return MK_PROXY_NONE;
	case MEERKO__PROXY_TYPE__PROXY_SOCKS5: return MK_PROXY_SOCKS5;
	case MEERKO__PROXY_TYPE__PROXY_SOCKS5_PW: return MK_PROXY_SOCKS5_PW;
	default: break;
	}
	mk_engine_die("Configure: unknown proxy type");
}

static mk_session *make_session(const Meerko__Configure *c)
{
	mk_settings s;
	char err[512];
	memset(&s, 0, sizeof s);
	s.proxy_type = shim_proxy_type(c->proxy_type);
	s.proxy_host = c->proxy_host;
	s.proxy_port = (uint16_t)c->proxy_port;
	s.proxy_user = c->proxy_user;
	s.proxy_password = c->proxy_password;
	/* With a proxy, everything goes through it and names are resolved by it. */
	s.proxy_hostnames = true;
	s.proxy_peer_connections = true;
	s.proxy_tracker_connections = true;
	s.anonymous_mode = c->anonymous_mode;
	s.dht = c->dht;
	s.lsd = c->lsd;
	s.upnp = c->upnp;
	s.natpmp = c->natpmp;
	s.pex = c->pex;
	s.utp = c->utp;
	s.listen_interfaces = c->listen_interfaces;
	s.dht_bootstrap = c->dht_bootstrap;
	s.download_rate_limit = c->download_rate_limit;
	s.upload_rate_limit = c->upload_rate_limit;
	s.connections_limit = c->connections_limit;
	mk_session *ses = mk_session_create(&s, err, sizeof err);
	if (!ses)
		mk_engine_die(err);
	return ses;
}

static void on_add(struct engine *e, const Meerko__AddTorrent *a)
{
	char err[512];
	if (e->n_ids >= MK_MAX_TORRENTS) {
		mk_engine_send_event(e->fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, "too many torrents");
		return;
	}
	const char *magnet = a->magnet_uri && a->magnet_uri[0] ? a->magnet_uri : NULL;
#ifdef MEERKO_ESCAPE_TEST
	/* Test-only build: "magnet:?...&dn=escape-NAME" makes the confined engine
	 * try one escape and report what happened (or die trying). */
	const char *esc = magnet ? strstr(magnet, "dn=escape-") : NULL;
	if (esc) {
		mk_escape_set_save_path(a->save_path);
		mk_escape_attempt(esc + strlen("dn=escape-"), err, sizeof err);
		/* Reported as a failed add so the broker ends the run with it. */
		mk_engine_send_event(e->fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, err);
		return;
	}
#endif
	mk_add_opts opts;
	mk_engine_files_opts(a, &opts);
	if (mk_add_torrent2(e->session, a->id, a->torrent_data.data, a->torrent_data.len, magnet,
			    a->save_path, a->resume_data.len ? a->resume_data.data : NULL,
			    a->resume_data.len, &opts, err, sizeof err) != 0) {
		mk_engine_send_event(e->fd, a->id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, err);
		return;
	}
	mk_engine_files_init(&e->files[e->n_ids], a);
	e->ids[e->n_ids++] = a->id;
}

static struct mk_engine_files *files_of(struct engine *e, uint32_t id)
{
	for (size_t i = 0; i < e->n_ids; i++)
		if (e->ids[i] == id)
			return &e->files[i];
	return NULL;
}

static void request_resume_all(struct engine *e)
{
	for (size_t i = 0; i < e->n_ids; i++)
		if (mk_torrent_save_resume(e->session, e->ids[i]) == 0)
			e->resume_pending++;
}

/* Returns 1 when the loop should stop (shutdown requested). */
static int on_broker_msg(void *ctx, const Meerko__BrokerToEngine *m)
{
	struct engine *e = ctx;
	switch (m->msg_case) {
	case MEERKO__BROKER_TO_ENGINE__MSG_ADD:
		on_add(e, m->add);
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_PAUSE:
		mk_torrent_pause(e->session, m->pause->id);
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_RESUME:
		mk_torrent_resume(e->session, m->resume->id);
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_FORCE_RECHECK:
		mk_torrent_force_recheck(e->session, m->force_recheck->id);
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_SAVE_RESUME:
		if (mk_torrent_save_resume(e->session, m->save_resume->id) == 0)
			e->resume_pending++;
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_SET_FILES:
		if (mk_engine_files_set(e->session, files_of(e, m->set_files->id), m->set_files) != 0)
			mk_engine_die("file priorities from the broker do not fit the torrent");
		break;
	case MEERKO__BROKER_TO_ENGINE__MSG_SHUTDOWN:
		e->shutting_down = 1;
		if (m->shutdown->save_resume)
			request_resume_all(e);
		return 1;
	default:
		mk_engine_die("unexpected message from the broker");
	}
	return 0;
}

static Meerko__EventType event_type(mk_alert_type t)
{
	switch (t) {
	case MK_ALERT_ADDED: return MEERKO__EVENT_TYPE__EVENT_ADDED;
	case MK_ALERT_ADD_FAILED: return MEERKO__EVENT_TYPE__EVENT_ADD_FAILED;
	case MK_ALERT_METADATA_RECEIVED: return MEERKO__EVENT_TYPE__EVENT_METADATA_RECEIVED;
	case MK_ALERT_FINISHED: return MEERKO__EVENT_TYPE__EVENT_FINISHED;
	case MK_ALERT_TRACKER_ERROR: return MEERKO__EVENT_TYPE__EVENT_TRACKER_ERROR;
	case MK_ALERT_FILE_ERROR: return MEERKO__EVENT_TYPE__EVENT_FILE_ERROR;
	case MK_ALERT_TORRENT_ERROR: return MEERKO__EVENT_TYPE__EVENT_TORRENT_ERROR;
	case MK_ALERT_PEER_ERROR: return MEERKO__EVENT_TYPE__EVENT_PEER_ERROR;
	default: return MEERKO__EVENT_TYPE__EVENT_UNKNOWN;
	}
}

static void send_status(struct engine *e);

static void forward_alert(struct engine *e, const mk_alert *a)
{
	if (a->type == MK_ALERT_RESUME_DATA || a->type == MK_ALERT_RESUME_DATA_FAILED) {
		if (e->resume_pending)
			e->resume_pending--;
		if (a->type == MK_ALERT_RESUME_DATA && a->data_len <= MK_FRAME_MAX / 2) {
			Meerko__ResumeData rd = MEERKO__RESUME_DATA__INIT;
			Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
			rd.torrent_id = a->torrent_id;
			rd.data.data = a->data;
			rd.data.len = a->data_len;
			m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_RESUME;
			m.resume = &rd;
			mk_engine_send(e->fd, &m);
		}
		return;
	}
	Meerko__EventType t = event_type(a->type);
	if (t != MEERKO__EVENT_TYPE__EVENT_UNKNOWN)
		mk_engine_send_event(e->fd, a->torrent_id, t, a->message);
	/* The file list exists once the torrent is added with metadata, or
	 * once a magnet's metadata arrived. */
	if (a->type == MK_ALERT_ADDED || a->type == MK_ALERT_METADATA_RECEIVED) {
		const char *why = NULL;
		if (mk_engine_files_send(e->fd, e->session, a->torrent_id, files_of(e, a->torrent_id), &why) < 0)
			mk_engine_die("lost the broker (write failed)");
		if (why)
			mk_engine_send_event(e->fd, a->torrent_id, MEERKO__EVENT_TYPE__EVENT_ADD_FAILED, why);
	}
	/* The broker decides "complete" on a Status: send one now rather than
	 * at the next tick, up to status_interval_ms later. */
	if (a->type == MK_ALERT_FINISHED)
		send_status(e);
}

static void drain_alerts(struct engine *e)
{
	mk_alert batch[32];
	size_t n;
	while ((n = mk_pop_alerts(e->session, batch, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			forward_alert(e, &batch[i]);
			mk_alert_free(&batch[i]);
		}
		if (n < 32)
			break;
	}
}

static Meerko__TorrentState wire_state(mk_state s)
{
	/* mk_state and the wire enum are numbered alike on purpose. */
	return s <= MK_STATE_ERROR ? (Meerko__TorrentState)s : MEERKO__TORRENT_STATE__STATE_UNKNOWN;
}

static void send_status(struct engine *e)
{
	Meerko__TorrentStatus ts[MK_MAX_TORRENTS];
	Meerko__TorrentStatus *ptrs[MK_MAX_TORRENTS];
	mk_status st[MK_MAX_TORRENTS];
	size_t n = 0;
	for (size_t i = 0; i < e->n_ids; i++) {
		mk_engine_files_poll(e->session, e->ids[i], &e->files[i]); /* before the status */
		if (mk_torrent_status(e->session, e->ids[i], &st[n]) != 0)
			continue;
		Meerko__TorrentStatus *t = &ts[n];
		meerko__torrent_status__init(t);
		t->id = e->ids[i];
		t->state = wire_state(st[n].state);
		double p = st[n].progress < 0 ? 0 : st[n].progress > 1 ? 1 : st[n].progress;
		t->progress_ppm = (uint32_t)(p * 1000000.0);
		t->download_rate = (uint64_t)(st[n].download_rate > 0 ? st[n].download_rate : 0);
		t->upload_rate = (uint64_t)(st[n].upload_rate > 0 ? st[n].upload_rate : 0);
		t->num_peers = (uint32_t)(st[n].num_peers > 0 ? st[n].num_peers : 0);
		t->num_seeds = (uint32_t)(st[n].num_seeds > 0 ? st[n].num_seeds : 0);
		t->total_done = (uint64_t)(st[n].total_done > 0 ? st[n].total_done : 0);
		t->total_wanted = (uint64_t)(st[n].total_wanted > 0 ? st[n].total_wanted : 0);
		t->total_download = (uint64_t)(st[n].total_download > 0 ? st[n].total_download : 0);
		t->total_upload = (uint64_t)(st[n].total_upload > 0 ? st[n].total_upload : 0);
		t->name = st[n].name;
		t->files_selected = e->files[i].selected;
		t->tracker_replies = st[n].tracker_replies;
		t->tracker_peers = st[n].tracker_peers;
		t->tracker_errors = st[n].tracker_errors;
		t->tracker_error = st[n].tracker_error;
		t->conn_refused = st[n].conn_refused;
		t->conn_failed = st[n].conn_failed;
		t->conn_closed = st[n].conn_closed;
		ptrs[n] = t;
		n++;
	}
	Meerko__Status s = MEERKO__STATUS__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	s.n_torrents = n;
	s.torrents = ptrs;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_STATUS;
	m.status = &s;
	mk_engine_send(e->fd, &m);
}

/* What peers say our address is (mk_exit_seen_take): at most
 * MK_EXIT_SEEN_PER_TICK per status tick, the rest waits in the shim. */
#define MK_EXIT_SEEN_PER_TICK 32

static void send_exit_seen(struct engine *e)
{
	mk_exit_seen seen[MK_EXIT_SEEN_PER_TICK];
	Meerko__ExitSeen es[MK_EXIT_SEEN_PER_TICK];
	Meerko__ExitSeen *ptrs[MK_EXIT_SEEN_PER_TICK];
	size_t n = mk_exit_seen_take(e->session, seen, MK_EXIT_SEEN_PER_TICK);
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		meerko__exit_seen__init(&es[i]);
		es[i].torrent_id = seen[i].torrent_id;
		es[i].source = MEERKO__EXIT_SOURCE__EXIT_SOURCE_PEER;
		es[i].source_id = seen[i].source_id;
		es[i].address.data = seen[i].addr;
		es[i].address.len = seen[i].addr_len;
		ptrs[i] = &es[i];
	}
	Meerko__ExitReport r = MEERKO__EXIT_REPORT__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	r.n_seen = n;
	r.seen = ptrs;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_EXIT_REPORT;
	m.exit_report = &r;
	mk_engine_send(e->fd, &m);
}

static Meerko__Configure *read_configure(int fd)
{
	uint8_t *buf;
	size_t len;
	mk_frame_status st = mk_frame_read_blocking(fd, 30000, &buf, &len);
	if (st != MK_FRAME_OK)
		mk_engine_die("no configuration from the broker");
	Meerko__BrokerToEngine *m = mk_ipc_unpack_b2e(buf, len);
	free(buf);
	if (!m || m->msg_case != MEERKO__BROKER_TO_ENGINE__MSG_CONFIGURE)
		mk_engine_die("first message from the broker is not Configure");
	/* Detach the Configure so the wrapper can be freed separately. */
	Meerko__Configure *c = m->configure;
	m->configure = NULL;
	m->msg_case = MEERKO__BROKER_TO_ENGINE__MSG__NOT_SET;
	mk_ipc_free_b2e(m);
	return c;
}

static void send_ready(struct engine *e)
{
	Meerko__Ready r = MEERKO__READY__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	struct mk_confine_report c;
	mk_confine_report(&c);
	r.libtorrent_version = (char *)mk_libtorrent_version();
	r.confined = c.confined;
	r.caps_dropped = c.caps;
	r.no_new_privs = c.nnp;
	r.seccomp = c.seccomp;
	r.landlock = c.landlock;
	r.landlock_abi = c.landlock_abi;
	r.landlock_note = c.landlock_why;
	r.ns_net = c.ns.net;
	r.ns_mnt = c.ns.mnt;
	r.ns_pid = c.ns.pid;
	r.ns_uts = c.ns.uts;
	r.ns_ipc = c.ns.ipc;
	r.ns_user = c.ns.user;
	r.own_pid = (uint32_t)c.own_pid;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_READY;
	m.ready = &r;
	mk_engine_send(e->fd, &m);
}

static void run_loop(struct engine *e)
{
	mk_frame_reader r;
	mk_frame_reader_init(&r);
	int64_t next_tick = mk_now_ms();
	while (!e->shutting_down) {
		int64_t wait = next_tick - mk_now_ms();
		struct pollfd p[2] = {
			{ .fd = e->fd, .events = POLLIN },
			{ .fd = mk_alert_fd(e->session), .events = POLLIN },
		};
		if (poll(p, 2, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			mk_engine_die("poll failed");
		if (p[1].revents & POLLIN)
			drain_alerts(e);
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && mk_engine_read_broker(&r, e->fd, on_broker_msg, e))
			e->shutting_down = 1;
		if (mk_now_ms() >= next_tick) {
			mk_session_tick(e->session);
			send_exit_seen(e);
			send_status(e);
			next_tick = mk_now_ms() + e->status_interval_ms;
		}
	}
	mk_frame_reader_free(&r);
}

/* Waits (bounded) for the resume data asked for at shutdown. */
static void finish_resume(struct engine *e)
{
	int64_t deadline = mk_now_ms() + MK_SHUTDOWN_RESUME_MS;
	while (e->resume_pending && mk_now_ms() < deadline) {
		struct pollfd p = { .fd = mk_alert_fd(e->session), .events = POLLIN };
		int64_t left = deadline - mk_now_ms();
		if (poll(&p, 1, (int)(left > 0 ? left : 0)) > 0)
			drain_alerts(e);
	}
}

/* File names must reach the disk as the torrent's UTF-8 bytes. The broker
 * starts the engine with an empty environment, so its locale is "C", and in
 * "C" libtorrent 2.0.8 converts every path to the locale's charset (ASCII),
 * writing each non-ASCII byte as '.' (`naive cafe` with accents became
 * `na.ve caf.`). Only LC_CTYPE matters (the charset); numbers, messages and
 * time stay "C". C.UTF-8 ships with glibc >= 2.35 (Debian: libc-bin, in
 * /usr/lib/locale/C.utf8, readable in the sandbox through the /usr rows of
 * sandbox_fs.c and engine_confine.c). Without it: one warning, and names
 * outside ASCII are mangled as before. */
static void use_utf8_file_names(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8", "en_US.UTF-8" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (setlocale(LC_CTYPE, names[i]))
			return;
	fprintf(stderr, "no UTF-8 locale (C.UTF-8) found: file names outside ASCII will be "
			"written with '.' for each such byte\n");
}

int main(int argc, char **argv)
{
	struct engine e;
	struct mk_confine_opts opts;
	char why[256];
	memset(&e, 0, sizeof e);
	e.fd = MK_ENGINE_FD;
	/* A dead broker must give EPIPE, not kill us mid-write of resume data. */
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(e.fd, F_GETFD) < 0)
		mk_engine_die("started without the broker's socket (run meerko-secure instead)");
	use_utf8_file_names();

	mk_exit_on_out_of_memory(MK_ENGINE_EXIT_NOMEM);
	/* Confinement comes before the first byte from the network. */
	if (mk_confine_parse_args(&opts, argc, argv, why, sizeof why) != 0 ||
	    mk_engine_confine(&opts, why, sizeof why) != 0)
		mk_engine_die(why);

	Meerko__Configure *cfg = read_configure(e.fd);
	e.status_interval_ms = cfg->status_interval_ms >= 100 && cfg->status_interval_ms <= 10000
				       ? cfg->status_interval_ms : 500;
	bool offline = cfg->offline;
	/* Offline (--list of .torrent files): no session, so no socket at all. */
	e.session = offline ? NULL : make_session(cfg);
	/* The settings (and any password) are in libtorrent now; wipe our copy. */
	if (cfg->proxy_password)
		explicit_bzero(cfg->proxy_password, strlen(cfg->proxy_password));
	meerko__configure__free_unpacked(cfg, NULL);

	int fl = fcntl(e.fd, F_GETFL);
	if (fl < 0 || fcntl(e.fd, F_SETFL, fl | O_NONBLOCK) < 0)
		mk_engine_die("cannot make the broker socket non-blocking");
#ifdef MEERKO_ESCAPE_TEST
	mk_escape_before_ready(opts.n_write_dirs ? opts.write_dirs[0] : NULL);
#endif
	send_ready(&e);
	if (offline) {
		mk_engine_run_offline(e.fd, e.status_interval_ms);
		return MK_ENGINE_EXIT_OK;
	}
	run_loop(&e);
	finish_resume(&e);
	send_status(&e);
	mk_session_destroy(e.session); /* waits for files to be flushed and closed */

	Meerko__ShutdownDone d = MEERKO__SHUTDOWN_DONE__INIT;
	Meerko__EngineToBroker m = MEERKO__ENGINE_TO_BROKER__INIT;
	m.msg_case = MEERKO__ENGINE_TO_BROKER__MSG_SHUTDOWN_DONE;
	m.shutdown_done = &d;
	fcntl(e.fd, F_SETFL, fl);
	mk_ipc_send_e2b(e.fd, &m);
	return MK_ENGINE_EXIT_OK;
}
