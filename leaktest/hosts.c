/*
 * hosts.c - payload, torrent, tracker, seeder, proxy (contract in hosts.h).
 */
#include "hosts.h"

#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static void logmsg(const struct lt_swarm *sw, const char *msg)
{
	if (!sw->quiet)
		fprintf(stderr, "meerko-leaktest: %s\n", msg);
}

static int fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int lt_make_payload(const char *dir, int nfiles, uint64_t total, char *err, size_t errlen)
{
	char path[512];
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	if (nfiles > 1 && mkdir(path, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	uint64_t base = total / (uint64_t)nfiles, left = total;
	static uint8_t buf[1 << 16];
	for (int i = 1; i <= nfiles; i++) {
		/* sizes off piece boundaries, so pieces span files */
		uint64_t size = i == nfiles ? left : i % 2 ? base + 12345 : base - 6789;
		left -= size;
		if (nfiles > 1 && i == nfiles)
			snprintf(path, sizeof(path), "%s/sub/file-%d.bin", dir, i);
		else
			snprintf(path, sizeof(path), "%s/file-%d.bin", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "create %s: %s", path, strerror(errno));
			return -1;
		}
		for (uint64_t done = 0; done < size;) {
			size_t n = size - done < sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
			if (fill_random(buf, n) != 0 || write(fd, buf, n) != (ssize_t)n) {
				snprintf(err, errlen, "write %s: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
			done += n;
		}
		close(fd);
	}
	return 0;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int lt_swarm_prepare(struct lt_swarm *sw, uint64_t total, char *err, size_t errlen)
{
	char s[64], url[128], log[400];
	snprintf(sw->logs, sizeof(sw->logs), "%s/logs", sw->dir);
	snprintf(sw->seed_dir, sizeof(sw->seed_dir), "%s/seed", sw->dir);
	snprintf(sw->payload, sizeof(sw->payload), "%s/payload", sw->seed_dir);
	snprintf(sw->torrent, sizeof(sw->torrent), "%s/lab.torrent", sw->dir);
	snprintf(sw->seed_log, sizeof(sw->seed_log), "%s/seeder.aria2.log", sw->logs);
	if ((mkdir(sw->logs, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(sw->seed_dir, 0755) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "mkdir below %s: %s", sw->dir, strerror(errno));
		return -1;
	}
	if (lt_make_payload(sw->payload, 3, total, err, errlen) != 0)
		return -1;
	sw->total_bytes = total;
	snprintf(url, sizeof(url), "http://%s:%d/announce",
		 lt_addr_str(&sw->lab->h[LT_HOST_SWARM].v4, s, sizeof(s)), LT_TRACKER_PORT);
	snprintf(log, sizeof(log), "%s/mktorrent.log", sw->logs);
	char *mk[] = { (char *)"mktorrent", (char *)"-l", (char *)"18", (char *)"-a", url, (char *)"-o",
		       sw->torrent, sw->payload, NULL };
	if (lt_run(NULL, log, mk, 60000) != 0) {
		snprintf(err, errlen, "mktorrent failed (see %s)", log);
		return -1;
	}
	snprintf(log, sizeof(log), "%s/torrent-info.txt", sw->logs);
	char *show[] = { (char *)"aria2c", (char *)"--no-conf=true", (char *)"-S", sw->torrent, NULL };
	if (lt_run(NULL, log, show, 30000) != 0) {
		snprintf(err, errlen, "aria2c -S failed (see %s)", log);
		return -1;
	}
	char *txt = read_file(log, 1 << 16);
	const char *h = txt ? strstr(txt, "Info Hash: ") : NULL;
	if (!h || strspn(h + 11, "0123456789abcdef") < 40) {
		snprintf(err, errlen, "no info hash in %s", log);
		free(txt);
		return -1;
	}
	memcpy(sw->hash, h + 11, 40);
	sw->hash[40] = '\0';
	free(txt);
	return 0;
}

int lt_tracker_start(struct lt_swarm *sw, char *err, size_t errlen)
{
	const struct lt_host *s = &sw->lab->h[LT_HOST_SWARM];
	char wl[400], log[400], ip[64], port[8];
	snprintf(wl, sizeof(wl), "%s/whitelist", sw->dir);
	FILE *f = fopen(wl, "w");
	if (!f || fprintf(f, "%s\n", sw->hash) < 0 || fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s", wl);
		return -1;
	}
	chmod(wl, 0644);
	snprintf(log, sizeof(log), "%s/tracker.log", sw->logs);
	snprintf(port, sizeof(port), "%d", LT_TRACKER_PORT);
	lt_addr_str(&s->v4, ip, sizeof(ip));
	/* opentracker chroots to -d and drops to nobody: absolute, readable paths */
	char *argv[] = { (char *)"opentracker", (char *)"-d", (char *)"/", (char *)"-i", ip,
			 (char *)"-p", port, (char *)"-P", port, (char *)"-w", wl, NULL };
	sw->tracker = lt_spawn(s->ns, log, argv, NULL);
	for (int i = 0; i < 100 && sw->tracker > 0; i++) {
		if (lt_tcp_probe(s->ns, &s->v4, LT_TRACKER_PORT, 500) == 0) {
			logmsg(sw, "tracker up (opentracker)");
			return 0;
		}
		if (lt_wait(sw->tracker, 50, NULL) == 0)
			break;
	}
	snprintf(err, errlen, "opentracker did not listen on %s:%d within 5 s (see %s)", ip,
		 LT_TRACKER_PORT, log);
	return -1;
}

static int seeders_now(const struct lt_swarm *sw, char *last, size_t lastlen)
{
	const struct lt_host *s = &sw->lab->h[LT_HOST_SWARM];
	char path[256] = "/scrape?info_hash=", resp[4096];
	for (int i = 0; i < 40; i += 2) {
		size_t l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "%%%c%c", sw->hash[i], sw->hash[i + 1]);
	}
	int got = lt_http_get(s->ns, &s->v4, LT_TRACKER_PORT, path, resp, sizeof(resp), 2000);
	if (got < 0) {
		snprintf(last, lastlen, "scrape: no connection to the tracker");
		return -1;
	}
	/* the answer holds the binary info-hash, NULs included: memmem, not strstr */
	const char *c = memmem(resp, (size_t)got, "8:completei", 11);
	if (!c) {
		char shown[200];
		size_t n = (size_t)got;
		for (size_t i = 0; i < n; i++)
			if (resp[i] < 0x20 || resp[i] > 0x7e)
				resp[i] = '.';
		snprintf(shown, sizeof(shown), "%.150s", n > 150 ? resp + n - 150 : resp);
		snprintf(last, lastlen, "scrape answered \"%s\"", shown);
		return -1;
	}
	snprintf(last, lastlen, "scrape: %d seeders", atoi(c + 11));
	return atoi(c + 11);
}

int lt_seeder_start(struct lt_swarm *sw, char *err, size_t errlen)
{
	const struct lt_host *s = &sw->lab->h[LT_HOST_SWARM];
	char ip[64], iface[96], port[32], logopt[400], dir[400], stop[48], log[400];
	lt_addr_str(&s->v4, ip, sizeof(ip));
	snprintf(iface, sizeof(iface), "--interface=%s", ip);
	snprintf(port, sizeof(port), "--listen-port=%d", LT_SEED_PORT);
	snprintf(logopt, sizeof(logopt), "--log=%s", sw->seed_log);
	snprintf(dir, sizeof(dir), "--dir=%s", sw->seed_dir);
	snprintf(stop, sizeof(stop), "--stop-with-process=%ld", (long)getpid());
	snprintf(log, sizeof(log), "%s/seeder.out", sw->logs);
	char *argv[] = { (char *)"aria2c", (char *)"--no-conf=true", iface, port,
			 (char *)"--enable-dht=false", (char *)"--enable-dht6=false",
			 (char *)"--bt-enable-lpd=false", (char *)"--enable-peer-exchange=false",
			 (char *)"--seed-ratio=0.0", (char *)"--check-integrity=true",
			 (char *)"--bt-min-crypto-level=plain", (char *)"--file-allocation=none",
			 (char *)"--auto-save-interval=0", (char *)"--summary-interval=0",
			 (char *)"--console-log-level=warn", logopt, (char *)"--log-level=info", stop,
			 dir, sw->torrent, NULL };
	sw->seeder = lt_spawn(s->ns, log, argv, NULL);
	long long deadline = lt_now_ms() + 60000;
	char last[256] = "the seeder never said it listens";
	while (sw->seeder > 0 && lt_now_ms() < deadline) {
		if (lt_wait(sw->seeder, 200, NULL) == 0) {
			sw->seeder = 0;
			break;
		}
		char *txt = read_file(sw->seed_log, 1 << 20);
		int listening = txt && strstr(txt, "listening on TCP port");
		free(txt);
		if (listening && seeders_now(sw, last, sizeof(last)) >= 1) {
			logmsg(sw, "seeder up (aria2c, verified, announced)");
			return 0;
		}
	}
	snprintf(err, errlen, "aria2c seeder not ready within 60 s (%s; see %.150s and %.150s)", last,
		 sw->seed_log, log);
	return -1;
}

static int create_user(struct lt_swarm *sw, char *err, size_t errlen)
{
	snprintf(sw->proxy_user, sizeof(sw->proxy_user), "mkleak%ld", (long)getpid());
	if (getpwnam(sw->proxy_user)) {
		snprintf(err, errlen, "user %s already exists: not touching an existing account",
			 sw->proxy_user);
		return -1;
	}
	uint8_t r[12];
	if (fill_random(r, sizeof(r)) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(sw->proxy_pass + 2 * i, 3, "%02x", r[i]);
	char log[400];
	snprintf(log, sizeof(log), "%s/useradd.log", sw->logs);
	char *argv[] = { (char *)"useradd", (char *)"--system", (char *)"--no-create-home",
			 (char *)"--home-dir", (char *)"/nonexistent", (char *)"--shell",
			 (char *)"/usr/sbin/nologin", sw->proxy_user, NULL };
	if (lt_run(NULL, log, argv, 20000) != 0) {
		snprintf(err, errlen, "useradd %s failed (see %s)", sw->proxy_user, log);
		return -1;
	}
	sw->user_created = 1;
	FILE *p = popen("chpasswd 2>/dev/null", "w"); /* the password never is an argument */
	if (!p || fprintf(p, "%s:%s\n", sw->proxy_user, sw->proxy_pass) < 0 || pclose(p) != 0) {
		snprintf(err, errlen, "chpasswd for %s failed", sw->proxy_user);
		return -1;
	}
	return 0;
}

static void delete_user(struct lt_swarm *sw)
{
	if (!sw->user_created)
		return;
	char log[400];
	snprintf(log, sizeof(log), "%s/useradd.log", sw->logs);
	char *argv[] = { (char *)"userdel", sw->proxy_user, NULL };
	if (lt_run(NULL, log, argv, 20000) != 0)
		fprintf(stderr, "meerko-leaktest: could not delete temporary user %s\n", sw->proxy_user);
	sw->user_created = 0;
}

void lt_proxy_user_remove_stale(pid_t pid)
{
	char name[32];
	snprintf(name, sizeof(name), "mkleak%ld", (long)pid);
	if (!getpwnam(name))
		return;
	char *argv[] = { (char *)"userdel", name, NULL };
	lt_run(NULL, "/dev/null", argv, 20000);
}

int lt_proxy_start(struct lt_swarm *sw, int with_password, char *err, size_t errlen)
{
	const struct lt_host *p = &sw->lab->h[LT_HOST_PROXY];
	char ip[64], conf[400], log[400], pidf[400];
	if (with_password && !sw->user_created && create_user(sw, err, errlen) != 0)
		return -1;
	lt_addr_str(&p->v4, ip, sizeof(ip));
	snprintf(conf, sizeof(conf), "%s/danted.conf", sw->dir);
	snprintf(log, sizeof(log), "%s/danted.out", sw->logs);
	snprintf(pidf, sizeof(pidf), "%s/danted.pid", sw->dir);
	FILE *f = fopen(conf, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s", conf);
		return -1;
	}
	fprintf(f,
		"logoutput: %s/danted.log\n"
		"internal: %s port = %d\n"
		"external: %s\n"
		"socksmethod: %s\n"
		"clientmethod: none\n"
		"user.privileged: root\n"
		"user.unprivileged: nobody\n"
		"client pass {\n\tfrom: 10.213.0.0/24 to: 0.0.0.0/0\n\tlog: error\n}\n"
		"socks pass {\n\tfrom: 10.213.0.0/24 to: 10.213.0.0/24\n"
		"\tcommand: connect bind udpassociate bindreply udpreply\n"
		"\tlog: connect disconnect error\n}\n",
		sw->logs, ip, LT_PROXY_PORT, ip, with_password ? "username" : "none");
	fclose(f);
	char *argv[] = { (char *)"danted", (char *)"-f", conf, (char *)"-p", pidf, NULL };
	sw->proxy = lt_spawn(p->ns, log, argv, NULL);
	for (int i = 0; i < 100 && sw->proxy > 0; i++) {
		if (lt_tcp_probe(p->ns, &p->v4, LT_PROXY_PORT, 500) == 0)
			return 0;
		if (lt_wait(sw->proxy, 50, NULL) == 0) {
			sw->proxy = 0;
			break;
		}
	}
	snprintf(err, errlen, "danted did not listen on %s:%d within 5 s (see %s)", ip,
		 LT_PROXY_PORT, log);
	return -1;
}

void lt_proxy_kill(struct lt_swarm *sw)
{
	lt_kill_now(sw->proxy);
	sw->proxy = 0;
}

void lt_proxy_stop(struct lt_swarm *sw)
{
	lt_stop(sw->proxy, 3000);
	sw->proxy = 0;
	delete_user(sw);
}

void lt_swarm_stop(struct lt_swarm *sw)
{
	lt_proxy_stop(sw);
	lt_stop(sw->seeder, 3000);
	sw->seeder = 0;
	lt_stop(sw->tracker, 3000);
	sw->tracker = 0;
}

static int same_file(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int same = fa >= 0 && fb >= 0;
	static char ba[1 << 16], bb[1 << 16];
	while (same) {
		ssize_t na = read(fa, ba, sizeof(ba)), nb = read(fb, bb, sizeof(bb));
		if (na != nb || na < 0 || memcmp(ba, bb, (size_t)na) != 0)
			same = 0;
		else if (na == 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

int lt_same_tree(const char *a, const char *b, char *detail, size_t len)
{
	DIR *d = opendir(a);
	if (!d) {
		snprintf(detail, len, "cannot read %s", a);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) && rc == 0) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char pa[1024], pb[1024];
		snprintf(pa, sizeof(pa), "%s/%s", a, e->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, e->d_name);
		struct stat st;
		if (stat(pa, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = lt_same_tree(pa, pb, detail, len);
		else if (!same_file(pa, pb)) {
			snprintf(detail, len, "%s is missing or differs", pb);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}
