/*
 * main.c - meerko-leaktest: command line, the lab run, cleanup.
 *
 *   meerko-leaktest [lab] [--scenario NAME]... [--negative-control]
 *                   [--meerko PATH] [--size MIB] [--timeout SEC] [--keep]
 *                   [--json[=FILE]] [-v] [-q]
 *   meerko-leaktest audit --proxy IP:PORT [...] -- COMMAND [ARGS...]
 *   meerko-leaktest cleanup [--pid PID]
 *   meerko-leaktest --list
 *
 * Contract: exit 0 no leak, 1 a leak was found (or the client misbehaved),
 * 2 could not run (the reason is printed). lab needs root; it builds the
 * lab (lab.h), the swarm (hosts.h), runs the chosen scenarios (default:
 * all but the negative control; --negative-control: only that one) and
 * always removes what it made - namespaces, processes, the temporary user
 * and the run dir ${TMPDIR:-/tmp}/mkleak-<pid>.XXXXXX (kept with --keep) -
 * also after SIGINT/SIGTERM. cleanup removes what a killed run left.
 */
#include "audit.h"
#include "hosts.h"
#include "lab.h"
#include "proc.h"
#include "report.h"
#include "scenario.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_signal(int sig)
{
	(void)sig;
	lt_interrupted = 1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_tree(const char *dir)
{
	if (strstr(dir, "/mkleak-"))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int have_cmd(const char *c)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", d, c);
		if (access(p, X_OK) == 0)
			return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: meerko-leaktest [lab] [--scenario NAME]... [--negative-control]\n"
		"                       [--meerko PATH] [--size MIB] [--timeout SEC] [--keep]\n"
		"                       [--json[=FILE]] [-v] [-q]\n"
		"       meerko-leaktest audit --proxy IP:PORT [--allow ADDR]... [-i IFACE]\n"
		"                       [--pcap FILE] [--timeout SEC] [--json[=FILE]] -- COMMAND...\n"
		"       meerko-leaktest cleanup [--pid PID]\n"
		"       meerko-leaktest --list\n"
		"exit: 0 no leak, 1 leak found (or the client misbehaved), 2 could not run\n");
}

static int cleanup_main(int argc, char **argv)
{
	pid_t only = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
			only = (pid_t)atol(argv[++i]);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "meerko-leaktest: cleanup needs root\n");
		return 2;
	}
	lt_lab_cleanup_stale(only, 1);
	/* temporary users and run dirs named after a pid that is gone (or `only`) */
	setpwent();
	struct passwd *pw;
	pid_t users[64];
	int nu = 0;
	while ((pw = getpwent()) && nu < 64) {
		long pid;
		char rest;
		if (sscanf(pw->pw_name, "mkleak%ld%c", &pid, &rest) == 1 &&
		    (only ? pid == only : kill((pid_t)pid, 0) != 0 && errno == ESRCH))
			users[nu++] = (pid_t)pid;
	}
	endpwent();
	for (int i = 0; i < nu; i++) {
		fprintf(stderr, "meerko-leaktest: removing temporary user mkleak%ld\n", (long)users[i]);
		lt_proxy_user_remove_stale(users[i]);
	}
	const char *tmp = getenv("TMPDIR");
	char pat[512];
	snprintf(pat, sizeof(pat), "%s/mkleak-*.*", tmp && *tmp ? tmp : "/tmp");
	glob_t g;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			long pid;
			const char *b = strrchr(g.gl_pathv[i], '/');
			if (!b || sscanf(b, "/mkleak-%ld.", &pid) != 1)
				continue;
			if (only ? pid != only : !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
				continue;
			fprintf(stderr, "meerko-leaktest: removing %s\n", g.gl_pathv[i]);
			rm_tree(g.gl_pathv[i]);
		}
		globfree(&g);
	}
	return 0;
}

struct lab_opts {
	int chosen[LT_SCENARIO_COUNT], nchosen;
	const char *meerko, *json;
	int want_json, keep, verbose, quiet, timeout_s;
	unsigned size_mib;
};

static int setup(struct lt_run *run, const struct lab_opts *o, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(run->dir, sizeof(run->dir), "%s/mkleak-%ld.XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 (long)getpid());
	if (!mkdtemp(run->dir)) {
		snprintf(err, errlen, "mkdtemp %s: %s", run->dir, strerror(errno));
		run->dir[0] = '\0';
		return -1;
	}
	chmod(run->dir, 0755); /* opentracker and the engine run as nobody */
	char log[512];
	snprintf(log, sizeof(log), "%s/lab.log", run->dir);
	lt_lab_init(&run->lab, getpid(), log);
	if (!o->quiet)
		fprintf(stderr, "meerko-leaktest: run dir %s; building the lab %s*\n", run->dir,
			run->lab.prefix);
	if (lt_lab_create(&run->lab, err, errlen) != 0)
		return -1;
	run->sw.lab = &run->lab;
	run->sw.quiet = o->quiet;
	snprintf(run->sw.dir, sizeof(run->sw.dir), "%s", run->dir);
	if (lt_swarm_prepare(&run->sw, (uint64_t)o->size_mib << 20, err, errlen) != 0 ||
	    lt_tracker_start(&run->sw, err, errlen) != 0 ||
	    lt_seeder_start(&run->sw, err, errlen) != 0)
		return -1;
	return 0;
}

/* BEP 37: every identity value the swarm saw in run n (peer ids, tracker
 * keys, announced ports, DHT node ids) must be new: compared with each
 * earlier Meerko run of this lab (the negative control is not Meerko). */
static void compare_runs(struct lt_result *res, size_t n)
{
	struct lt_result *r = &res[n];
	if (!r->have_observer)
		return;
	size_t repeated = 0, runs = 0;
	for (size_t j = 0; j < n; j++) {
		if (!res[j].have_observer || strcmp(res[j].name, "negative-control") == 0)
			continue;
		repeated += lt_ident_compare(&r->observer, &res[j].observer, res[j].name);
		runs++;
	}
	lt_result_note(r,
		       "identity: %zu peer ids, %zu tracker keys, %zu announced ports, %zu DHT node "
		       "ids; compared with %zu earlier runs: %zu repeated%s",
		       lt_ident_count(&r->observer, LT_ID_PEER_ID),
		       lt_ident_count(&r->observer, LT_ID_TRACKER_KEY),
		       lt_ident_count(&r->observer, LT_ID_PORT),
		       lt_ident_count(&r->observer, LT_ID_DHT_NODE), runs, repeated,
		       r->observer.ids_dropped ? " (table full: some values not compared)" : "");
	lt_result_decide(r);
}

static int lab_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "negative-control", no_argument, NULL, 'N' },
		{ "meerko", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", optional_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_opts o = { .timeout_s = 120, .size_mib = 8 };
	int neg = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			int k = lt_scenario_find(optarg);
			if (k < 0 || o.nchosen >= LT_SCENARIO_COUNT) {
				fprintf(stderr, "meerko-leaktest: unknown scenario '%s' (--list)\n", optarg);
				return 2;
			}
			o.chosen[o.nchosen++] = k;
			break;
		}
		case 'N': neg = 1; break;
		case 'm': o.meerko = optarg; break;
		case 'S': o.size_mib = (unsigned)atoi(optarg); break;
		case 't': o.timeout_s = atoi(optarg); break;
		case 'k': o.keep = 1; break;
		case 'j': o.want_json = 1; o.json = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'q': o.quiet = 1; break;
		case 'l':
			for (int i = 0; i < LT_SCENARIO_COUNT; i++)
				printf("%-18s %s\n", lt_scenario_name(i), lt_scenario_title(i));
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || o.size_mib < 1 || o.size_mib > 1024 || o.timeout_s < 10) {
		usage(stderr);
		return 2;
	}
	if (neg) {
		o.nchosen = 0;
		o.chosen[o.nchosen++] = lt_scenario_find("negative-control");
	} else if (o.nchosen == 0) {
		for (int i = 0; i < LT_SCENARIO_COUNT; i++)
			if (!lt_scenario_is_negative(i))
				o.chosen[o.nchosen++] = i;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "meerko-leaktest: could not run: the lab needs root (network "
				"namespaces, packet capture, a temporary proxy user)\n");
		return 2;
	}
	static const char *const cmds[] = { "ip", "opentracker", "danted", "aria2c", "mktorrent",
					    "useradd", "userdel", "chpasswd", "sysctl" };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!have_cmd(cmds[i])) {
			fprintf(stderr, "meerko-leaktest: could not run: %s is not installed\n", cmds[i]);
			return 2;
		}

	static struct lt_run run;
	memset(&run, 0, sizeof(run));
	run.timeout_s = o.timeout_s;
	run.quiet = o.quiet;
	if (o.meerko) {
		snprintf(run.meerko, sizeof(run.meerko), "%s", o.meerko);
	} else {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		snprintf(run.meerko, sizeof(run.meerko), "%s/meerko-secure", dirname(self));
	}
	if (!neg && access(run.meerko, X_OK) != 0) {
		fprintf(stderr, "meerko-leaktest: could not run: no meerko-secure at %s (--meerko PATH)\n",
			run.meerko);
		return 2;
	}
	if (run.meerko[0] != '/') {
		char abs[4096];
		if (realpath(run.meerko, abs))
			snprintf(run.meerko, sizeof(run.meerko), "%s", abs);
	}
	unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)lt_now_ms();
	snprintf(run.hostname, sizeof(run.hostname), "mkleak-client-%06x", r & 0xffffff);
	if (gethostname(run.real_hostname, sizeof(run.real_hostname) - 1) != 0)
		run.real_hostname[0] = '\0';
	const struct passwd *pw = getpwuid(geteuid());
	snprintf(run.username, sizeof(run.username), "%s", pw ? pw->pw_name : "root");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lt_lab_cleanup_stale(0, !o.quiet);

	static struct lt_result res[LT_SCENARIO_COUNT];
	size_t nres = 0;
	char err[512] = "";
	if (setup(&run, &o, err, sizeof(err)) != 0) {
		lt_result_init(&res[0], "lab", "building the lab");
		snprintf(res[0].error, sizeof(res[0].error), "%s", err);
		lt_result_decide(&res[0]);
		nres = 1;
	} else {
		for (int i = 0; i < o.nchosen && !lt_interrupted; i++) {
			lt_scenario_run(&run, o.chosen[i], &res[nres]);
			if (!lt_scenario_is_negative(o.chosen[i]))
				compare_runs(res, nres);
			if (!o.quiet)
				fprintf(stderr, "meerko-leaktest: [%s] %s\n", res[nres].name,
					lt_verdict_name(res[nres].verdict));
			nres++;
		}
		if (lt_interrupted && nres < (size_t)o.nchosen) {
			lt_result_init(&res[nres], "interrupted", "the run was interrupted");
			snprintf(res[nres].error, sizeof(res[nres].error), "SIGINT/SIGTERM");
			lt_result_decide(&res[nres]);
			nres++;
		}
	}
	/* tear down before reporting: nothing stays behind even if stdout is gone */
	lt_swarm_stop(&run.sw);
	lt_lab_destroy(&run.lab);

	FILE *jf = NULL;
	if (o.want_json)
		jf = o.json ? fopen(o.json, "w") : stdout;
	if (o.want_json && !jf)
		fprintf(stderr, "meerko-leaktest: cannot write %s\n", o.json);
	if (!o.want_json || o.json) {
		printf("meerko-leaktest lab: client host A=10.213.0.2 (hostname %s), proxy "
		       "P=10.213.0.3:%d (danted), swarm host S=10.213.0.4 (opentracker :%d, aria2c "
		       ":%d); %u MiB payload\n",
		       run.hostname, LT_PROXY_PORT, LT_TRACKER_PORT, LT_SEED_PORT, o.size_mib);
		printf("searched for in every byte the swarm host received and the client sent into "
		       "the proxy: A (4 bytes and text), fd13:213::2, fe80::2, the client's MAC, "
		       "hostname \"%s\"",
		       run.hostname);
		if (strlen(run.real_hostname) >= 4)
			printf(", this machine's hostname \"%s\"", run.real_hostname);
		if (strlen(run.username) >= 4)
			printf(", user name \"%s\"", run.username);
		printf("\n");
		if (strlen(run.real_hostname) < 4)
			printf("(this machine's hostname \"%s\" is too short to search for reliably)\n",
			       run.real_hostname);
		for (size_t i = 0; i < nres; i++)
			lt_report_text(stdout, &res[i], o.verbose);
		lt_report_summary(stdout, res, nres, neg ? "lab, negative control" : "lab");
	}
	if (jf) {
		lt_report_json(jf, res, nres, neg ? "lab-negative-control" : "lab");
		if (jf != stdout)
			fclose(jf);
	}
	int rc = lt_exit_code(res, nres);
	for (size_t i = 0; i < nres; i++)
		lt_result_free(&res[i]);
	if (run.dir[0]) {
		if (o.keep)
			fprintf(stderr, "meerko-leaktest: kept %s (captures, logs)\n", run.dir);
		else
			rm_tree(run.dir);
	}
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "audit") == 0)
		return lt_audit_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "cleanup") == 0)
		return cleanup_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "lab") == 0)
		return lab_main(argc - 1, argv + 1);
	return lab_main(argc, argv);
}
