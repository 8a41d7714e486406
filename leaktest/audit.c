/*
 * audit.c - audit mode (contract in audit.h).
 */
#include "audit.h"

#include "analyze.h"
#include "capture.h"
#include "proc.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int parse_proxy(const char *s, struct lt_addr *a, uint16_t *port)
{
	char host[128];
	const char *colon;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535 || lt_addr_parse(host, a) != 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static void own_addresses(struct lt_policy *pol, struct lt_scan *scan)
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || pol->n_own >= LT_POLICY_MAX)
			continue;
		struct lt_addr a = { 0, { 0 } };
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = 4;
			memcpy(a.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = 6;
			memcpy(a.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		pol->own[pol->n_own++] = a;
		if (!lt_addr_is_loopback(&a))
			lt_scan_add_addr_needles(scan, "this host's address", &a);
	}
	freeifaddrs(ifa);
}

static int iface_mac(const char *iface, uint8_t mac[6])
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r != 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: meerko-leaktest audit --proxy IP:PORT [--allow ADDR]... [-i IFACE]\n"
		   "         [--pcap FILE] [--timeout SEC] [--json[=FILE]] [--no-identity] [-v]\n"
		   "         -- COMMAND [ARGS...]\n");
}

int lt_audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proxy", required_argument, NULL, 'p' }, { "allow", required_argument, NULL, 'a' },
		{ "interface", required_argument, NULL, 'i' }, { "pcap", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' }, { "json", optional_argument, NULL, 'j' },
		{ "no-identity", no_argument, NULL, 'n' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct lt_policy pol;
	memset(&pol, 0, sizeof(pol));
	uint16_t proxy_port = 0;
	const char *iface = "any", *pcap_keep = NULL, *json = NULL;
	int timeout_s = 0, anonymous = 1, verbose = 0, want_json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			uint16_t port;
			if (pol.n_allowed >= LT_POLICY_MAX ||
			    parse_proxy(optarg, &pol.allowed[pol.n_allowed], &port) != 0) {
				fprintf(stderr, "meerko-leaktest: --proxy wants IP:PORT or [IPv6]:PORT\n");
				return 2;
			}
			pol.n_allowed++;
			if (!proxy_port)
				proxy_port = port;
			break;
		}
		case 'a':
			if (pol.n_allowed >= LT_POLICY_MAX ||
			    lt_addr_parse(optarg, &pol.allowed[pol.n_allowed]) != 0) {
				fprintf(stderr, "meerko-leaktest: --allow wants an IP address\n");
				return 2;
			}
			pol.n_allowed++;
			break;
		case 'i': iface = optarg; break;
		case 'w': pcap_keep = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		case 'j': want_json = 1; json = optarg; break;
		case 'n': anonymous = 0; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!proxy_port || optind >= argc) {
		usage(stderr);
		return 2;
	}
	char **cmd = argv + optind;

	struct lt_result res;
	lt_result_init(&res, "audit", "the given command, captured on this host");
	res.expect_proxy = 1; /* a client that sends the proxy nothing never used it */
	lt_scan_init(&res.into_proxy, anonymous, 1, 256 * 1024);
	own_addresses(&pol, &res.into_proxy);
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) == 0 && strlen(host) >= 4)
		lt_scan_add_needle(&res.into_proxy, "hostname", host, strlen(host), 1);
	const char *users[2] = { getenv("SUDO_USER"), NULL };
	const struct passwd *pw = getpwuid(getuid());
	users[1] = pw ? pw->pw_name : NULL;
	for (int i = 0; i < 2; i++)
		if (users[i] && strlen(users[i]) >= 4 && (i == 0 || !users[0] || strcmp(users[0], users[1])))
			lt_scan_add_needle(&res.into_proxy, "user name", users[i], strlen(users[i]), 0);
	pol.loopback_iface = strcmp(iface, "lo") == 0;
	if (strcmp(iface, "any") != 0 && !pol.loopback_iface && iface_mac(iface, pol.own_mac) == 0)
		pol.have_mac = 1;
	size_t clen = 0;
	for (char **a = cmd; *a && clen < sizeof(res.client) - 2; a++)
		clen += (size_t)snprintf(res.client + clen, sizeof(res.client) - clen, "%s%s",
					 a == cmd ? "" : " ", *a);

	char tmp[] = "/tmp/mkleak-audit-XXXXXX";
	const char *pcap = pcap_keep;
	if (!pcap) {
		int fd = mkstemp(tmp);
		if (fd < 0) {
			perror("meerko-leaktest: mkstemp");
			return 2;
		}
		close(fd);
		pcap = tmp;
	}
	struct lt_capture_opts co = { NULL, iface, pcap, { 0, { 0 } } };
	struct lt_capture *cap = NULL;
	char err[512];
	if (lt_capture_start(&co, &cap, err, sizeof(err)) != 0) {
		fprintf(stderr, "meerko-leaktest: %s\n", err);
		if (!pcap_keep)
			unlink(tmp);
		return 2;
	}
	long long t0 = lt_now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		closefrom(3); /* the capture's socket and file stay ours */
		execvp(cmd[0], cmd);
		fprintf(stderr, "meerko-leaktest: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		child_pid = pid;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = forward;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		int st = 0;
		int r = lt_wait(pid, timeout_s > 0 ? timeout_s * 1000 : 0x7fffffff, &st);
		if (r == 1) {
			kill(pid, SIGTERM);
			if (lt_wait(pid, 5000, &st) == 1) {
				kill(pid, SIGKILL);
				lt_wait(pid, 5000, &st);
			}
			res.client_exit = 124;
		} else {
			res.client_exit = st;
		}
		child_pid = 0;
	} else {
		snprintf(res.error, sizeof(res.error), "fork: %s", strerror(errno));
	}
	res.client_secs = (double)(lt_now_ms() - t0) / 1000.0;
	lt_sleep_ms(1000);
	if (lt_capture_stop(cap, &res.host_cap, err, sizeof(err)) != 0 && !res.error[0])
		snprintf(res.error, sizeof(res.error), "capture: %.400s", err);
	snprintf(res.host_desc, sizeof(res.host_desc), "this host, interface %s", iface);
	if (lt_analyze_host(pcap, &pol, proxy_port, &res.flows, &res.into_proxy, err, sizeof(err)) == 0)
		res.have_host = res.have_into_proxy = 1;
	else if (!res.error[0])
		snprintf(res.error, sizeof(res.error), "%s", err);
	if (!pcap_keep)
		unlink(tmp);
	lt_result_note(&res, "sees this network namespace only; every other program's traffic "
			     "during the run shows up too");
	lt_result_note(&res, "loopback traffic to anything but the proxy is not judged (a peer, "
			     "tracker or proxy on this host), except DNS (a local resolver forwards "
			     "it); what a proxy on this host forwards is not judged");
	lt_result_decide(&res);
	FILE *jf = NULL;
	if (want_json)
		jf = json ? fopen(json, "w") : stdout;
	if (want_json && !jf)
		fprintf(stderr, "meerko-leaktest: cannot write %s\n", json ? json : "stdout");
	if (!want_json || json) {
		lt_report_text(stdout, &res, verbose);
		lt_report_summary(stdout, &res, 1, "audit");
	}
	if (jf) {
		lt_report_json(jf, &res, 1, "audit");
		if (jf != stdout)
			fclose(jf);
	}
	int rc = lt_exit_code(&res, 1);
	lt_result_free(&res);
	return rc;
}
