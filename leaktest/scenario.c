/*
 * scenario.c - the lab's scenarios (contract in scenario.h).
 */
#include "scenario.h"

#include "analyze.h"
#include "capture.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t lt_interrupted;

enum kind { K_PLAIN, K_KILL, K_WRONGPW, K_MAGNET, K_DHT, K_UDP, K_RERUN, K_NEG };

static const struct {
	const char *name, *title;
} defs[LT_SCENARIO_COUNT] = {
	{ "plain", "plain download of a .torrent through the SOCKS5 proxy" },
	{ "proxy-kill", "the proxy is killed at a third of the download, restarted 4 s later" },
	{ "wrong-password", "the proxy wants a password; Meerko's is wrong (must exit 4)" },
	{ "magnet", "magnet link (metadata from the seeder) through the proxy" },
	{ "dht-lsd-upnp", "config asks for DHT, LSD, UPnP, NAT-PMP, PEX and uTP" },
	{ "udp-tracker", "magnet whose only tracker is udp://, with DHT and uTP on (SOCKS5 UDP)" },
	{ "rerun", "udp-tracker again, same state dir: peer ids, tracker key, DHT node id all new" },
	{ "negative-control", "aria2c downloads straight from the swarm, no proxy: must be caught" },
};

const char *lt_scenario_name(int i) { return defs[i].name; }
const char *lt_scenario_title(int i) { return defs[i].title; }
int lt_scenario_is_negative(int i) { return i == K_NEG; }

int lt_scenario_find(const char *name)
{
	for (int i = 0; i < LT_SCENARIO_COUNT; i++)
		if (strcmp(name, defs[i].name) == 0)
			return i;
	return -1;
}

static void say(const struct lt_run *run, const char *name, const char *msg)
{
	if (!run->quiet)
		fprintf(stderr, "meerko-leaktest: [%s] %s\n", name, msg);
}

static int write_config(const struct lt_run *run, int k, const char *path, char *err,
			size_t errlen)
{
	char p[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* the lab's swarm is on private addresses: the relay must let them through */
	fprintf(f, "; written by meerko-leaktest, scenario %s\n[proxy]\ntype = socks5\nhost = %s\nport = %d\n"
		   "allow_private_destinations = true\n",
		defs[k].name, lt_addr_str(&run->lab.h[LT_HOST_PROXY].v4, p, sizeof(p)), LT_PROXY_PORT);
	if (k == K_WRONGPW)
		fprintf(f, "username = %s\npassword = wrong-%s\n", run->sw.proxy_user,
			run->sw.proxy_pass + 8);
	int udp_on = k == K_DHT || k == K_UDP || k == K_RERUN;
	const char *on = k == K_DHT ? "true" : "false", *udp = udp_on ? "true" : "false";
	fprintf(f,
		"[privacy]\nanonymous_mode = true\ndht = %s\nlsd = %s\nupnp = %s\nnatpmp = %s\npex = %s\n"
		"utp = %s\n",
		udp, on, on, on, on, udp);
	if (k == K_KILL) /* slow enough to kill the proxy in the middle */
		fprintf(f, "[download]\nmax_down = %llu\n",
			(unsigned long long)(run->sw.total_bytes / 1024 / 20 + 1));
	fprintf(f, "[ui]\nprogress = none\n[sandbox]\nmode = required\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* What identifies the client: searched for in everything the swarm host
 * received and everything the client sent into the proxy. Needles shorter
 * than 4 bytes would match by chance and are left out (main.c says so). */
static void add_needles(const struct lt_run *run, struct lt_scan *s)
{
	const struct lt_host *c = &run->lab.h[LT_HOST_CLIENT];
	lt_scan_add_addr_needles(s, "client address", &c->v4);
	lt_scan_add_addr_needles(s, "client address", &c->v6);
	lt_scan_add_addr_needles(s, "client link-local address", &c->ll);
	lt_scan_add_needle(s, "client MAC address (binary)", c->mac, 6, 0);
	char name[128];
	snprintf(name, sizeof(name), "client hostname \"%s\"", run->hostname);
	lt_scan_add_needle(s, name, run->hostname, strlen(run->hostname), 1);
	if (strlen(run->real_hostname) >= 4) {
		snprintf(name, sizeof(name), "machine hostname \"%.80s\"", run->real_hostname);
		lt_scan_add_needle(s, name, run->real_hostname, strlen(run->real_hostname), 1);
	}
	if (strlen(run->username) >= 4) {
		snprintf(name, sizeof(name), "user name \"%.80s\"", run->username);
		lt_scan_add_needle(s, name, run->username, strlen(run->username), 0);
	}
}

/* scheme "http" or "udp": opentracker answers both on the same port */
static void build_magnet(const struct lt_run *run, const char *scheme, char *out, size_t len)
{
	char s[64];
	snprintf(out, len, "magnet:?xt=urn:btih:%s&dn=payload&tr=%s%%3A%%2F%%2F%s%%3A%d%%2Fannounce",
		 run->sw.hash, scheme, lt_addr_str(&run->lab.h[LT_HOST_SWARM].v4, s, sizeof(s)),
		 LT_TRACKER_PORT);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Run the client; for proxy-kill, kill and restart the proxy meanwhile. */
static void drive_client(struct lt_run *run, int k, pid_t pid, struct lt_capture *ccap,
			 struct lt_result *res)
{
	long long start = lt_now_ms(), deadline = start + (long long)run->timeout_s * 1000;
	long long killed_at = 0;
	int killed = 0, restarted = 0, st = 0;
	for (;;) {
		int r = lt_wait(pid, 100, &st);
		if (r != 1) {
			res->client_exit = r == 0 ? st : 1;
			break;
		}
		if (lt_interrupted || lt_now_ms() >= deadline) {
			lt_stop(pid, 5000);
			res->client_exit = 124;
			if (lt_interrupted)
				snprintf(res->error, sizeof(res->error), "interrupted");
			break;
		}
		if (k != K_KILL)
			continue;
		uint64_t got = lt_capture_bytes_from(ccap);
		if (!killed && got >= run->sw.total_bytes / 3) {
			lt_proxy_kill(&run->sw);
			killed = 1;
			killed_at = lt_now_ms();
			lt_result_note(res,
				       "danted SIGKILLed after %.1f of %.1f MiB had come from the proxy "
				       "(%.1f s in)",
				       (double)got / 1048576.0, (double)run->sw.total_bytes / 1048576.0,
				       (double)(killed_at - start) / 1000.0);
			say(run, defs[k].name, "proxy killed");
		}
		if (killed && !restarted && lt_now_ms() - killed_at >= 4000) {
			char err[512];
			restarted = 1;
			if (lt_proxy_start(&run->sw, 0, err, sizeof(err)) == 0) {
				lt_result_note(res, "danted restarted %.1f s after the kill",
					       (double)(lt_now_ms() - killed_at) / 1000.0);
				say(run, defs[k].name, "proxy restarted");
			} else {
				lt_result_note(res, "danted could not be restarted: %s", err);
			}
		}
	}
	res->client_secs = (double)(lt_now_ms() - start) / 1000.0;
	if (k == K_KILL && !killed)
		lt_result_note(res, "the client ended before a third of the payload had arrived: "
				    "the proxy was never killed");
}

/* Lines that start a report of ASan, LeakSanitizer or UBSan. */
static const char *const sanitizer_marks[] = {
	"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ",
	"Sanitizer:DEADLYSIGNAL", "Sanitizer CHECK failed", "LeakSanitizer has encountered",
};

static int has_sanitizer_mark(const char *line)
{
	for (size_t i = 0; i < sizeof(sanitizer_marks) / sizeof(sanitizer_marks[0]); i++)
		if (strstr(line, sanitizer_marks[i]))
			return 1;
	return 0;
}

/* In a sanitizer build, the client's reports (the engine's included: it
 * writes to the client's stderr) land in clog, which goes away with the
 * run dir. A report is an error of the scenario, and the log from the
 * report on is copied to our stderr so it is not lost. Release builds
 * never write such lines: then this only reads the log. */
static void check_sanitizer_report(const char *clog, struct lt_result *res)
{
	FILE *f = fopen(clog, "re");
	if (!f)
		return;
	char line[1024];
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!found && !has_sanitizer_mark(line))
			continue;
		if (!found) {
			found = 1;
			fprintf(stderr, "meerko-leaktest: sanitizer report in %s:\n", clog);
			if (!res->error[0])
				snprintf(res->error, sizeof(res->error),
					 "the client wrote a sanitizer report: %.*s",
					 (int)strcspn(line, "\n"), line);
		}
		fputs(line, stderr);
	}
	fclose(f);
}

static void analyze(struct lt_run *run, const char *cpcap, const char *spcap, long seed_off,
		    struct lt_result *res)
{
	const struct lt_host *c = &run->lab.h[LT_HOST_CLIENT], *p = &run->lab.h[LT_HOST_PROXY],
			     *s = &run->lab.h[LT_HOST_SWARM];
	struct lt_policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.allowed[pol.n_allowed++] = p->v4;
	pol.own[pol.n_own++] = c->v4;
	pol.own[pol.n_own++] = c->v6;
	pol.own[pol.n_own++] = c->ll;
	pol.have_mac = 1;
	memcpy(pol.own_mac, c->mac, 6);
	char err[512] = "";
	if (lt_analyze_host(cpcap, &pol, LT_PROXY_PORT, &res->flows, &res->into_proxy, err,
			    sizeof(err)) == 0)
		res->have_host = res->have_into_proxy = 1;
	else
		snprintf(res->error, sizeof(res->error), "%s", err);
	struct lt_addr own[3] = { s->v4, s->v6, s->ll };
	if (lt_analyze_observer(spcap, own, 3, &p->v4, 1, &res->observer, &res->observer_received,
				err, sizeof(err)) == 0)
		res->have_observer = 1;
	else if (!res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", err);
	char pip[64], sip[64];
	lt_addr_str(&p->v4, pip, sizeof(pip));
	lt_addr_str(&s->v4, sip, sizeof(sip));
	res->seeder_handshakes = lt_scan_aria2_log(&res->observer, run->sw.seed_log, seed_off, pip, sip);
}

static void check_expectations(struct lt_run *run, int k, const char *out, struct lt_result *res)
{
	char got[512];
	snprintf(got, sizeof(got), "%s/payload", out);
	switch (k) {
	case K_PLAIN:
	case K_MAGNET:
	case K_DHT:
	case K_UDP:
	case K_RERUN:
		snprintf(res->expect, sizeof(res->expect), "exit 0 and every file identical");
		if (res->client_exit != 0) {
			res->expect_ok = 0;
			snprintf(res->expect_detail, sizeof(res->expect_detail), "exit %d", res->client_exit);
		} else if (lt_same_tree(run->sw.payload, got, res->expect_detail,
					sizeof(res->expect_detail)) != 0) {
			res->expect_ok = 0;
		}
		break;
	case K_WRONGPW:
		snprintf(res->expect, sizeof(res->expect), "exit 4 (proxy refused the password)");
		res->expect_ok = res->client_exit == 4;
		if (!res->expect_ok)
			snprintf(res->expect_detail, sizeof(res->expect_detail), "exit %d",
				 res->client_exit);
		break;
	case K_KILL: {
		char d[256];
		int complete = lt_same_tree(run->sw.payload, got, d, sizeof(d)) == 0;
		lt_result_note(res,
			       "exit code %d is reported, not judged (the kill switch is pending); "
			       "download %s",
			       res->client_exit, complete ? "complete and identical" : "incomplete");
		break;
	}
	default:
		break;
	}
}

void lt_scenario_run(struct lt_run *run, int k, struct lt_result *res)
{
	const char *name = defs[k].name;
	lt_result_init(res, name, defs[k].title);
	lt_scan_init(&res->observer, 1, 0, 64 * 1024);
	lt_scan_init(&res->into_proxy, 1, 1, 64 * 1024);
	add_needles(run, &res->observer);
	add_needles(run, &res->into_proxy);

	char sdir[400], out[420], ini[420], cpcap[420], spcap[420], clog[420];
	snprintf(sdir, sizeof(sdir), "%s/%s", run->dir, name);
	snprintf(out, sizeof(out), "%s/out", sdir);
	snprintf(ini, sizeof(ini), "%s/meerko.ini", sdir);
	snprintf(cpcap, sizeof(cpcap), "%s/client-c0.pcap", sdir);
	snprintf(spcap, sizeof(spcap), "%s/swarm-s0.pcap", sdir);
	snprintf(clog, sizeof(clog), "%s/client.log", sdir);
	char shared_home[300];
	snprintf(shared_home, sizeof(shared_home), "%s/home-udp", run->dir);
	if ((k == K_UDP || k == K_RERUN) && mkdir(shared_home, 0700) != 0 && errno != EEXIST) {
		snprintf(res->error, sizeof(res->error), "cannot make %s: %s", shared_home,
			 strerror(errno));
		lt_result_decide(res);
		return;
	}
	const struct passwd *nobody = getpwnam("nobody");
	if (mkdir(sdir, 0755) != 0 || mkdir(out, 0755) != 0 || !nobody ||
	    chown(out, nobody->pw_uid, nobody->pw_gid) != 0) {
		snprintf(res->error, sizeof(res->error), "cannot prepare %s: %s", sdir, strerror(errno));
		lt_result_decide(res);
		return;
	}

	char err[512] = "";
	if (k != K_NEG && lt_proxy_start(&run->sw, k == K_WRONGPW, err, sizeof(err)) != 0) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		lt_proxy_stop(&run->sw);
		lt_result_decide(res);
		return;
	}
	if (k != K_NEG && write_config(run, k, ini, err, sizeof(err)) != 0) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		lt_proxy_stop(&run->sw);
		lt_result_decide(res);
		return;
	}

	/* the client's command */
	char magnet[512], alog[440], stop[48], dir[440], extip[64], a4[48];
	char *argv[32];
	int n = 0;
	if (k == K_NEG) {
		snprintf(alog, sizeof(alog), "--log=%s/aria2c-client.log", sdir);
		snprintf(stop, sizeof(stop), "--stop-with-process=%ld", (long)getpid());
		snprintf(dir, sizeof(dir), "--dir=%s", out);
		/* leaky on purpose, in every way the detector must catch: a DNS
		 * query (the lookup before it starts), direct connections, its own
		 * address in the announce (ip=A), its client name and version */
		snprintf(extip, sizeof(extip), "--bt-external-ip=%s",
			 lt_addr_str(&run->lab.h[LT_HOST_CLIENT].v4, a4, sizeof(a4)));
		const char *a[] = { "sh", "-c",
				    "getent hosts tracker.leaktest.invalid >/dev/null; exec \"$@\"",
				    "sh", "aria2c", "--no-conf=true", dir, "--seed-time=0",
				    "--file-allocation=none", "--summary-interval=0",
				    "--console-log-level=warn", alog, "--log-level=info", stop,
				    "--bt-stop-timeout=60", extip, run->sw.torrent, NULL };
		for (; a[n]; n++)
			argv[n] = (char *)a[n];
		snprintf(res->client, sizeof(res->client), "aria2c, no proxy (deliberately leaky)");
	} else {
		argv[n++] = run->meerko;
		argv[n++] = (char *)"--config";
		argv[n++] = ini;
		argv[n++] = (char *)"-o";
		argv[n++] = out;
		if (k == K_MAGNET || k == K_UDP || k == K_RERUN) {
			build_magnet(run, k == K_MAGNET ? "http" : "udp", magnet, sizeof(magnet));
			argv[n++] = magnet;
		} else {
			argv[n++] = run->sw.torrent;
		}
		snprintf(res->client, sizeof(res->client), "meerko-secure (sandbox required)");
	}
	argv[n] = NULL;
	/* udp-tracker and rerun share one HOME, so one state dir (resume data,
	 * anything Meerko would keep): what the rerun shows must still be new */
	char home[440];
	if (k == K_UDP || k == K_RERUN)
		snprintf(home, sizeof(home), "HOME=%s/home-udp", run->dir);
	else
		snprintf(home, sizeof(home), "HOME=%s", sdir);
	char *env[] = { (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			home, (char *)"LANG=C.UTF-8", NULL };

	/* captures first, so nothing the client sends can be missed */
	const struct lt_host *c = &run->lab.h[LT_HOST_CLIENT], *s = &run->lab.h[LT_HOST_SWARM];
	struct lt_capture_opts co = { c->ns, c->ifname, cpcap, run->lab.h[LT_HOST_PROXY].v4 };
	struct lt_capture_opts so = { s->ns, s->ifname, spcap, { 0, { 0 } } };
	struct lt_capture *ccap = NULL, *scap = NULL;
	if (lt_capture_start(&co, &ccap, err, sizeof(err)) != 0 ||
	    lt_capture_start(&so, &scap, err, sizeof(err)) != 0) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		if (ccap)
			lt_capture_stop(ccap, &res->host_cap, err, sizeof(err));
		lt_proxy_stop(&run->sw);
		lt_result_decide(res);
		return;
	}
	long seed_off = file_size(run->sw.seed_log);
	say(run, name, k == K_NEG ? "running aria2c without a proxy" : "running meerko-secure");
	pid_t pid = lt_spawn_host(c->ns, run->hostname, clog, argv, env);
	if (pid < 0)
		snprintf(res->error, sizeof(res->error), "cannot start the client: %s", strerror(errno));
	else
		drive_client(run, k, pid, ccap, res);
	lt_sleep_ms(1000); /* late packets: FINs, a last announce */
	if (lt_capture_stop(ccap, &res->host_cap, err, sizeof(err)) != 0 && !res->error[0])
		snprintf(res->error, sizeof(res->error), "client capture: %.400s", err);
	if (lt_capture_stop(scap, &res->observer_cap, err, sizeof(err)) != 0 && !res->error[0])
		snprintf(res->error, sizeof(res->error), "swarm capture: %.400s", err);
	lt_proxy_stop(&run->sw);

	char a[64];
	snprintf(res->host_desc, sizeof(res->host_desc), "client host %s %s",
		 c->ifname, lt_addr_str(&c->v4, a, sizeof(a)));
	snprintf(res->observer_desc, sizeof(res->observer_desc), "%s %s", s->ifname,
		 lt_addr_str(&s->v4, a, sizeof(a)));
	say(run, name, "analysing the captures");
	analyze(run, cpcap, spcap, seed_off, res);
	check_expectations(run, k, out, res);
	check_sanitizer_report(clog, res);
	lt_result_decide(res);
	if (k == K_NEG && res->verdict != LT_V_LEAK) {
		snprintf(res->error, sizeof(res->error),
			 "DETECTOR DEFECT: the deliberately leaky client was not caught");
		res->verdict = LT_V_ERROR;
	}
}
