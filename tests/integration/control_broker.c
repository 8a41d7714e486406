/*
 * control_broker.c - TEST-ONLY stand-in for the broker's daemon side: it
 * spawns the real meerko-control exactly as the broker will (a listening
 * TCP socket on 127.0.0.1 as MK_CONTROL_LISTEN_FD, a socketpair as
 * MK_CONTROL_BROKER_FD, /dev/null and a log file as fds 0-2), sends the
 * ControlSettings and answers every ControlRequest from a small table of
 * torrents it keeps, so real clients (transmission-remote, curl) can be
 * pointed at it (tests/integration/test_control.sh).
 *
 * Usage: control_broker CONTROL_BIN WORKDIR USER PASS MAX_BODY [UNIX_PATH]
 * Prints "port N pid P" on stdout once meerko-control runs (N = 0 when it
 * listens on the UNIX socket UNIX_PATH instead of 127.0.0.1). Writes one line
 * per request to WORKDIR/requests.log, the bytes of each added .torrent to
 * WORKDIR/added-N.torrent, meerko-control's stderr to WORKDIR/control.log,
 * and its exit status ("exit N" / "signal N") to WORKDIR/control.exit.
 * Ends when stdin closes: it then closes the broker socket (meerko-control
 * must exit 0) and waits for it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "control_fds.h"
#include "frame.h"

typedef Meerko__Control__TorrentRecord Record;

struct torrent {
	int64_t id;
	char hash[41];
	char name[128];
	int64_t status; /* 0 stopped, 4 downloading, 6 seeding */
	int64_t size, left;
};

#define MAX_TORRENTS 32
static struct torrent torrents[MAX_TORRENTS] = {
	{ 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ubuntu-test.iso", 4, 1000000, 250000 },
	{ 2, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "debian-test.iso", 6, 2000000, 0 },
};
static size_t n_torrents = 2;
static int64_t next_id = 3;
static const char *workdir;
static FILE *reqlog;

static int die(const char *what)
{
	perror(what);
	exit(1);
}

static int listen_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("listen socket");
	*port = ntohs(a.sin_port);
	return fd;
}

static int unix_listen_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (strlen(path) >= sizeof a.sun_path)
		die("unix socket path too long");
	strcpy(a.sun_path, path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0)
		die("unix listen socket");
	return fd;
}

static pid_t spawn(const char *bin, int lfd, int bfd)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/control.log", workdir);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* above 9 first, so no dup2 below overwrites the other one */
	int b = fcntl(bfd, F_DUPFD, 10), l = fcntl(lfd, F_DUPFD, 10);
	int null = open("/dev/null", O_RDWR), err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (b < 0 || l < 0 || null < 0 || err < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(err, 2) < 0 || dup2(b, MK_CONTROL_BROKER_FD) < 0 || dup2(l, MK_CONTROL_LISTEN_FD) < 0)
		_exit(127);
	char *argv[] = { (char *)bin, NULL }, *envp[] = { NULL };
	execve(bin, argv, envp);
	_exit(127);
}

static void send_msg(int fd, const Meerko__Control__BrokerToControl *m)
{
	size_t n = meerko__control__broker_to_control__get_packed_size(m);
	uint8_t *buf = malloc(n);
	if (!buf || meerko__control__broker_to_control__pack(m, buf) != n ||
	    mk_frame_write(fd, buf, n) != MK_FRAME_OK)
		die("send to meerko-control");
	free(buf);
}

static void send_settings(int fd, const char *user, const char *pass, unsigned max_body)
{
	Meerko__Control__ControlSettings s = MEERKO__CONTROL__CONTROL_SETTINGS__INIT;
	Meerko__Control__BrokerToControl m = MEERKO__CONTROL__BROKER_TO_CONTROL__INIT;
	char *hosts[] = { "127.0.0.1", "localhost" };
	s.username = (char *)user;
	s.password = (char *)pass;
	s.host_allowlist = hosts;
	s.n_host_allowlist = 2;
	s.rpc_path = "/transmission/rpc";
	s.max_body = max_body;
	s.has_max_connections = s.has_connection_timeout_s = 1;
	s.max_connections = 16;
	s.connection_timeout_s = 3; /* test_control.sh waits it out */
	m.settings = &s;
	send_msg(fd, &m);
}

/* ------------------------------------------------------------ the table */

static bool selected(const Meerko__Control__Ids *ids, const struct torrent *t)
{
	if (!ids || ids->recently_active)
		return true;
	for (size_t i = 0; i < ids->n_numbers; i++)
		if (ids->numbers[i] == t->id)
			return true;
	for (size_t i = 0; i < ids->n_hashes; i++)
		if (strcmp(ids->hashes[i], t->hash) == 0)
			return true;
	return false;
}

/* Sets field f of r from t (the fields this table knows). */
static void set_field(Record *r, const struct torrent *t, int f)
{
	switch (f) {
	case MEERKO__CONTROL__TORRENT_FIELD__TF_ID: r->has_id = 1, r->id = t->id; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_HASH_STRING: r->hashstring = (char *)t->hash; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_NAME: r->name = (char *)t->name; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_STATUS: r->has_status = 1, r->status = t->status; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_ETA: r->has_eta = 1, r->eta = t->left ? 120 : -1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_TOTAL_SIZE: r->has_totalsize = 1, r->totalsize = t->size; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_SIZE_WHEN_DONE:
		r->has_sizewhendone = 1, r->sizewhendone = t->size; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_LEFT_UNTIL_DONE:
		r->has_leftuntildone = 1, r->leftuntildone = t->left; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_RATE_DOWNLOAD: r->has_ratedownload = 1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_RATE_UPLOAD: r->has_rateupload = 1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_UPLOAD_RATIO: r->has_uploadratio = 1, r->uploadratio = 0.5; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_ERROR: r->has_error = 1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_ERROR_STRING: r->errorstring = ""; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_IS_FINISHED: r->has_isfinished = 1, r->isfinished = !t->left; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_PEERS_GETTING_FROM_US: r->has_peersgettingfromus = 1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_PEERS_SENDING_TO_US: r->has_peerssendingtous = 1; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_PERCENT_DONE:
		r->has_percentdone = 1, r->percentdone = 1.0 - (double)t->left / (double)t->size; break;
	case MEERKO__CONTROL__TORRENT_FIELD__TF_DOWNLOAD_DIR: r->downloaddir = "/srv/meerko"; break;
	default: break;
	}
}

static void reply_get(const Meerko__Control__ControlRequest *q, Meerko__Control__ControlReply *r,
		      Meerko__Control__TorrentGetReply *g, Record *recs, Record **ptrs)
{
	for (size_t i = 0; i < n_torrents; i++) {
		if (!selected(q->ids, &torrents[i]))
			continue;
		meerko__control__torrent_record__init(&recs[g->n_torrents]);
		for (size_t k = 0; q->torrent_get && k < q->torrent_get->n_fields; k++)
			set_field(&recs[g->n_torrents], &torrents[i], q->torrent_get->fields[k]);
		ptrs[g->n_torrents] = &recs[g->n_torrents];
		g->n_torrents++;
	}
	g->torrents = ptrs;
	r->torrent_get = g;
}

/* "dn=NAME" of a magnet, else added-N. */
static void added_name(const char *magnet, int64_t id, char *out, size_t outlen)
{
	const char *dn = magnet ? strstr(magnet, "dn=") : NULL;
	if (dn)
		snprintf(out, outlen, "%.*s", (int)strcspn(dn + 3, "&"), dn + 3);
	else
		snprintf(out, outlen, "added-%lld", (long long)id);
}

static void save_metainfo(int64_t id, const ProtobufCBinaryData *b)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/added-%lld.torrent", workdir, (long long)id);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
		die("save metainfo");
}

static void reply_add(const Meerko__Control__ControlRequest *q, Meerko__Control__ControlReply *r,
		      Meerko__Control__TorrentAddReply *a, Record *rec)
{
	const Meerko__Control__TorrentAddArgs *args = q->torrent_add;
	if (!args || n_torrents == MAX_TORRENTS || (!args->filename && !args->has_metainfo)) {
		r->result = "no filename or metainfo";
		return;
	}
	struct torrent *t = &torrents[n_torrents++];
	memset(t, 0, sizeof *t);
	t->id = next_id++;
	snprintf(t->hash, sizeof t->hash, "%040llx", (unsigned long long)t->id);
	added_name(args->filename, t->id, t->name, sizeof t->name);
	t->status = args->has_paused && args->paused ? 0 : 4;
	t->size = t->left = 1000;
	if (args->has_metainfo)
		save_metainfo(t->id, &args->metainfo);
	fprintf(reqlog, "add id=%lld filename=%s metainfo=%zu paused=%d dir=%s\n", (long long)t->id,
		args->filename ? args->filename : "-", args->has_metainfo ? args->metainfo.len : 0,
		args->paused, args->download_dir ? args->download_dir : "-");
	meerko__control__torrent_record__init(rec);
	rec->has_id = 1, rec->id = t->id, rec->name = t->name, rec->hashstring = t->hash;
	a->torrent = rec;
	r->torrent_add = a;
}

static void log_list(const char *name, const int64_t *v, size_t n)
{
	fprintf(reqlog, " %s=", name);
	for (size_t i = 0; i < n; i++)
		fprintf(reqlog, "%s%lld", i ? "," : "", (long long)v[i]);
}

static void log_torrent_set(const Meerko__Control__TorrentSetArgs *a)
{
	fprintf(reqlog, "set");
	log_list("files-wanted", a->files_wanted, a->n_files_wanted);
	log_list("files-unwanted", a->files_unwanted, a->n_files_unwanted);
	log_list("priority-high", a->priority_high, a->n_priority_high);
	fprintf(reqlog, " downloadLimit=%lld\n", a->has_downloadlimit ? (long long)a->downloadlimit : -1LL);
}

/* stop, start, remove: applied to every selected torrent. */
static void act(const Meerko__Control__ControlRequest *q)
{
	size_t kept = 0;
	for (size_t i = 0; i < n_torrents; i++) {
		struct torrent *t = &torrents[i];
		bool sel = selected(q->ids, t);
		if (sel)
			fprintf(reqlog, "act method=%d id=%lld\n", q->method, (long long)t->id);
		if (sel && q->torrent_set)
			log_torrent_set(q->torrent_set);
		if (sel && q->method == MEERKO__CONTROL__METHOD__TORRENT_STOP)
			t->status = 0;
		if (sel && q->method == MEERKO__CONTROL__METHOD__TORRENT_START)
			t->status = 4;
		if (!(sel && q->method == MEERKO__CONTROL__METHOD__TORRENT_REMOVE))
			torrents[kept++] = *t;
	}
	n_torrents = kept;
}

static void reply_session(Meerko__Control__ControlReply *r, Meerko__Control__SessionValues *v)
{
	v->version = "4.0.6 (meerko-test)";
	v->has_rpc_version = v->has_rpc_version_minimum = 1;
	v->rpc_version = 17;
	v->rpc_version_minimum = 14;
	v->rpc_version_semver = "5.3.0";
	v->download_dir = "/srv/meerko";
	r->session = v;
}

static void answer(int fd, const Meerko__Control__ControlRequest *q)
{
	Meerko__Control__ControlReply r = MEERKO__CONTROL__CONTROL_REPLY__INIT;
	Meerko__Control__BrokerToControl m = MEERKO__CONTROL__BROKER_TO_CONTROL__INIT;
	Meerko__Control__TorrentGetReply g = MEERKO__CONTROL__TORRENT_GET_REPLY__INIT;
	Meerko__Control__TorrentAddReply a = MEERKO__CONTROL__TORRENT_ADD_REPLY__INIT;
	Meerko__Control__SessionValues v = MEERKO__CONTROL__SESSION_VALUES__INIT;
	Record recs[MAX_TORRENTS], *ptrs[MAX_TORRENTS];
	fprintf(reqlog, "request id=%llu method=%d\n", (unsigned long long)q->id, q->method);
	r.id = q->id;
	switch (q->method) {
	case MEERKO__CONTROL__METHOD__TORRENT_GET: reply_get(q, &r, &g, recs, ptrs); break;
	case MEERKO__CONTROL__METHOD__TORRENT_ADD: reply_add(q, &r, &a, &recs[0]); break;
	case MEERKO__CONTROL__METHOD__SESSION_GET: reply_session(&r, &v); break;
	default: act(q); break;
	}
	fflush(reqlog);
	m.reply = &r;
	send_msg(fd, &m);
}

/* Serves until stdin closes or meerko-control goes away. */
static void serve(int fd)
{
	struct pollfd p[2] = { { 0, POLLIN, 0 }, { fd, POLLIN, 0 } };
	for (;;) {
		uint8_t *buf = NULL, junk[64];
		size_t len = 0;
		if (poll(p, 2, -1) < 0)
			die("poll");
		if (p[0].revents && read(0, junk, sizeof junk) <= 0)
			return;
		if (!p[1].revents)
			continue;
		if (mk_frame_read_blocking(fd, 1000, &buf, &len) != MK_FRAME_OK)
			return;
		Meerko__Control__ControlRequest *q =
			meerko__control__control_request__unpack(NULL, len, buf);
		free(buf);
		if (!q)
			die("unpack ControlRequest");
		answer(fd, q);
		meerko__control__control_request__free_unpacked(q, NULL);
	}
}

static void record_exit(pid_t pid)
{
	char path[4096];
	int st = 0;
	snprintf(path, sizeof path, "%s/control.exit", workdir);
	FILE *f = fopen(path, "w");
	if (waitpid(pid, &st, 0) != pid || !f)
		die("waitpid");
	if (WIFEXITED(st))
		fprintf(f, "exit %d\n", WEXITSTATUS(st));
	else
		fprintf(f, "signal %d\n", WTERMSIG(st));
	fclose(f);
}

int main(int argc, char **argv)
{
	char path[4096];
	int port, sv[2];
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: control_broker CONTROL_BIN WORKDIR USER PASS MAX_BODY [UNIX_PATH]\n");
		return 2;
	}
	workdir = argv[2];
	snprintf(path, sizeof path, "%s/requests.log", workdir);
	if (!(reqlog = fopen(path, "w")))
		die("requests.log");
	port = 0;
	int lfd = argc == 7 ? unix_listen_socket(argv[6]) : listen_socket(&port);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair");
	pid_t pid = spawn(argv[1], lfd, sv[1]);
	close(lfd);
	close(sv[1]);
	send_settings(sv[0], argv[3], argv[4], (unsigned)strtoul(argv[5], NULL, 10));
	printf("port %d pid %d\n", port, (int)pid);
	fflush(stdout);
	serve(sv[0]);
	close(sv[0]);
	record_exit(pid);
	return 0;
}
