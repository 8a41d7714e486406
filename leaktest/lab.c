/*
 * lab.c - namespaces, veths, bridge and addresses of the lab (contract in
 * lab.h).
 */
#include "lab.h"

#include "proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const host_names[LT_HOSTS] = { "lan", "client", "proxy", "swarm" };
static const char *const if_names[LT_HOSTS] = { "br0", "c0", "p0", "s0" };

void lt_lab_init(struct lt_lab *lab, pid_t owner, const char *log_path)
{
	memset(lab, 0, sizeof(*lab));
	snprintf(lab->prefix, sizeof(lab->prefix), "mkleak-%ld-", (long)owner);
	snprintf(lab->log, sizeof(lab->log), "%s", log_path ? log_path : "/dev/null");
	for (int i = 0; i < LT_HOSTS; i++) {
		struct lt_host *h = &lab->h[i];
		snprintf(h->ns, sizeof(h->ns), "%s%s", lab->prefix, host_names[i]);
		snprintf(h->ifname, sizeof(h->ifname), "%s", if_names[i]);
		char a[64];
		snprintf(a, sizeof(a), "10.213.0.%d", i + 1);
		lt_addr_parse(a, &h->v4);
		snprintf(a, sizeof(a), "fd13:213::%d", i + 1);
		lt_addr_parse(a, &h->v6);
		snprintf(a, sizeof(a), "fe80::%d", i + 1);
		lt_addr_parse(a, &h->ll);
		const uint8_t mac[6] = { 0x02, 0x6d, 0x6b, 0x00, 0x00, (uint8_t)(i + 1) };
		memcpy(h->mac, mac, 6);
	}
	snprintf(lab->resolv_dir, sizeof(lab->resolv_dir), "/etc/netns/%s",
		 lab->h[LT_HOST_CLIENT].ns);
}

/* ip ARGS... (NULL-terminated); 0 on success */
static int ip(struct lt_lab *lab, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)"ip";
	va_list ap;
	va_start(ap, lab);
	for (char *a; n < 31 && (a = va_arg(ap, char *));)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return lt_run(NULL, lab->log, argv, 10000) == 0 ? 0 : -1;
}

static int setup_host(struct lt_lab *lab, int i, char *err, size_t errlen)
{
	struct lt_host *h = &lab->h[i], *lan = &lab->h[LT_HOST_LAN];
	char peer[16], mac[32], a4[64], a6[64], ll[64], s[64];
	snprintf(peer, sizeof(peer), "v%s", h->ifname);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0], h->mac[1], h->mac[2],
		 h->mac[3], h->mac[4], h->mac[5]);
	snprintf(a4, sizeof(a4), "%s/24", lt_addr_str(&h->v4, s, sizeof(s)));
	snprintf(a6, sizeof(a6), "%s/64", lt_addr_str(&h->v6, s, sizeof(s)));
	snprintf(ll, sizeof(ll), "%s/64", lt_addr_str(&h->ll, s, sizeof(s)));
	/* the pair is born inside the lab: one end in lan, the other in the host */
	if (ip(lab, "-n", lan->ns, "link", "add", peer, "type", "veth", "peer", "name", h->ifname,
	       "netns", h->ns, NULL) ||
	    ip(lab, "-n", lan->ns, "link", "set", peer, "master", "br0", "up", NULL) ||
	    ip(lab, "-n", h->ns, "link", "set", h->ifname, "address", mac, NULL) ||
	    ip(lab, "-n", h->ns, "link", "set", h->ifname, "addrgenmode", "none", NULL) ||
	    ip(lab, "-n", h->ns, "link", "set", "lo", "up", NULL) ||
	    ip(lab, "-n", h->ns, "link", "set", h->ifname, "up", NULL) ||
	    ip(lab, "-n", h->ns, "addr", "add", a4, "dev", h->ifname, NULL) ||
	    ip(lab, "-n", h->ns, "addr", "add", a6, "dev", h->ifname, "nodad", NULL) ||
	    ip(lab, "-n", h->ns, "addr", "add", ll, "dev", h->ifname, "nodad", NULL)) {
		snprintf(err, errlen, "could not set up host %s (see %s)", h->ns, lab->log);
		return -1;
	}
	return 0;
}

int lt_lab_create(struct lt_lab *lab, char *err, size_t errlen)
{
	char s[64], a[64];
	for (int i = 0; i < LT_HOSTS; i++) {
		if (ip(lab, "netns", "add", lab->h[i].ns, NULL)) {
			snprintf(err, errlen, "ip netns add %s failed (see %s)", lab->h[i].ns, lab->log);
			return -1;
		}
		lab->h[i].created = 1;
	}
	struct lt_host *lan = &lab->h[LT_HOST_LAN];
	char *sysctl[] = { (char *)"sysctl", (char *)"-q", (char *)"-w", (char *)"net.ipv4.ip_forward=0",
			   (char *)"net.ipv6.conf.all.forwarding=0", NULL };
	if (lt_run(lan->ns, lab->log, sysctl, 10000) != 0) {
		snprintf(err, errlen, "could not turn forwarding off in %s", lan->ns);
		return -1;
	}
	snprintf(a, sizeof(a), "%s/24", lt_addr_str(&lan->v4, s, sizeof(s)));
	char a6[64];
	snprintf(a6, sizeof(a6), "%s/64", lt_addr_str(&lan->v6, s, sizeof(s)));
	if (ip(lab, "-n", lan->ns, "link", "add", "br0", "type", "bridge", NULL) ||
	    ip(lab, "-n", lan->ns, "link", "set", "br0", "addrgenmode", "none", NULL) ||
	    ip(lab, "-n", lan->ns, "link", "set", "lo", "up", NULL) ||
	    ip(lab, "-n", lan->ns, "link", "set", "br0", "up", NULL) ||
	    ip(lab, "-n", lan->ns, "addr", "add", a, "dev", "br0", NULL) ||
	    ip(lab, "-n", lan->ns, "addr", "add", a6, "dev", "br0", "nodad", NULL)) {
		snprintf(err, errlen, "could not set up the lab bridge (see %s)", lab->log);
		return -1;
	}
	for (int i = LT_HOST_CLIENT; i < LT_HOSTS; i++)
		if (setup_host(lab, i, err, errlen))
			return -1;
	struct lt_host *c = &lab->h[LT_HOST_CLIENT];
	char gw4[64], gw6[64];
	lt_addr_str(&lan->v4, gw4, sizeof(gw4));
	lt_addr_str(&lan->v6, gw6, sizeof(gw6));
	if (ip(lab, "-n", c->ns, "route", "add", "default", "via", gw4, NULL) ||
	    ip(lab, "-n", c->ns, "-6", "route", "add", "default", "via", gw6, NULL)) {
		snprintf(err, errlen, "could not add the client's default routes (see %s)", lab->log);
		return -1;
	}
	/* DNS from the client host goes to the lab router, where the capture sees it */
	mkdir("/etc/netns", 0755);
	if (mkdir(lab->resolv_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", lab->resolv_dir, strerror(errno));
		return -1;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s/resolv.conf", lab->resolv_dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# meerko-leaktest lab: queries go to the lab router, which answers none\n"
		   "nameserver %s\noptions timeout:1 attempts:1\n", gw4);
	fclose(f);
	return 0;
}

/* pids whose network namespace is ns (what `ip netns pids` does) */
static size_t ns_pids(const char *ns, pid_t *out, size_t max)
{
	char p[320];
	struct stat want;
	snprintf(p, sizeof(p), "/run/netns/%s", ns);
	if (stat(p, &want) != 0)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		struct stat st;
		snprintf(p, sizeof(p), "/proc/%ld/ns/net", pid);
		if (stat(p, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

static void kill_ns_processes(const char *ns)
{
	pid_t pids[512];
	for (int round = 0; round < 3; round++) {
		size_t n = ns_pids(ns, pids, 512);
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], round == 0 ? SIGTERM : SIGKILL);
		for (int t = 0; t < 50 && ns_pids(ns, pids, 512) > 0; t++)
			lt_sleep_ms(20);
	}
}

static void remove_ns(const char *ns, const char *log)
{
	char p[320];
	snprintf(p, sizeof(p), "/run/netns/%s", ns);
	if (access(p, F_OK) != 0)
		return;
	kill_ns_processes(ns);
	char *argv[] = { (char *)"ip", (char *)"netns", (char *)"del", (char *)ns, NULL };
	lt_run(NULL, log, argv, 10000);
	char etc[128];
	snprintf(etc, sizeof(etc), "/etc/netns/%.64s", ns);
	snprintf(p, sizeof(p), "%s/resolv.conf", etc);
	unlink(p);
	rmdir(etc);
}

void lt_lab_destroy(struct lt_lab *lab)
{
	/* hosts first, the lan (bridge) last */
	for (int i = LT_HOSTS - 1; i >= 0; i--) {
		remove_ns(lab->h[i].ns, lab->log);
		lab->h[i].created = 0;
	}
	char p[256];
	snprintf(p, sizeof(p), "%s/resolv.conf", lab->resolv_dir);
	unlink(p);
	rmdir(lab->resolv_dir);
}

int lt_lab_cleanup_stale(pid_t only, int verbose)
{
	DIR *d = opendir("/run/netns");
	if (!d)
		return 0;
	int removed = 0;
	struct dirent *e;
	char names[64][64];
	size_t n = 0;
	while ((e = readdir(d)) && n < 64) {
		long pid;
		int off = 0;
		if (sscanf(e->d_name, "mkleak-%ld-%n", &pid, &off) != 1 || off == 0)
			continue;
		if (only > 0 ? pid != only : (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(names[n++], sizeof(names[0]), "%.63s", e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (verbose)
			fprintf(stderr, "meerko-leaktest: removing leftover namespace %s\n", names[i]);
		remove_ns(names[i], "/dev/null");
		removed++;
	}
	return removed;
}

/* ------------------------------------------------------------ in-namespace calls */
struct ns_call {
	const char *ns;
	int (*fn)(void *);
	void *arg;
	int ret;
};

static void *ns_thread(void *p)
{
	struct ns_call *c = p;
	char path[320];
	snprintf(path, sizeof(path), "/run/netns/%s", c->ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		if (fd >= 0)
			close(fd);
		c->ret = -1;
		return NULL;
	}
	close(fd);
	c->ret = c->fn(c->arg);
	return NULL;
}

int lt_ns_call(const char *ns, int (*fn)(void *), void *arg)
{
	struct ns_call c = { ns, fn, arg, -1 };
	pthread_t t;
	if (pthread_create(&t, NULL, ns_thread, &c) != 0)
		return -1;
	pthread_join(t, NULL);
	return c.ret;
}

struct tcp_req {
	const struct lt_addr *addr;
	uint16_t port;
	int timeout_ms;
	const char *send;
	char *buf;
	size_t buflen;
	size_t got;
};

static int tcp_connect(const struct tcp_req *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (r->addr->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(r->port);
		memcpy(&s4->sin_addr, r->addr->b, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(r->port);
		memcpy(&s6->sin6_addr, r->addr->b, 16);
		sl = sizeof(*s6);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct pollfd pf = { fd, POLLOUT, 0 };
	int soerr = 0;
	socklen_t el = sizeof(soerr);
	if (poll(&pf, 1, r->timeout_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 || soerr != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_exchange(void *p)
{
	struct tcp_req *r = p;
	int fd = tcp_connect(r);
	if (fd < 0)
		return -1;
	int rc = 0;
	if (r->send) {
		size_t len = strlen(r->send), off = 0;
		long long deadline = lt_now_ms() + r->timeout_ms;
		size_t got = 0;
		while (off < len) {
			ssize_t w = send(fd, r->send + off, len - off, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				rc = -1;
				break;
			}
			if (w > 0)
				off += (size_t)w;
			if (lt_now_ms() > deadline) {
				rc = -1;
				break;
			}
		}
		while (rc == 0 && got + 1 < r->buflen) {
			int left = (int)(deadline - lt_now_ms());
			struct pollfd pf = { fd, POLLIN, 0 };
			if (left <= 0 || poll(&pf, 1, left) != 1)
				break;
			ssize_t n = recv(fd, r->buf + got, r->buflen - 1 - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		r->buf[got] = '\0';
		r->got = got;
	}
	close(fd);
	return rc;
}

int lt_tcp_probe(const char *ns, const struct lt_addr *addr, uint16_t port, int timeout_ms)
{
	struct tcp_req r = { addr, port, timeout_ms, NULL, NULL, 0, 0 };
	return lt_ns_call(ns, tcp_exchange, &r);
}

int lt_http_get(const char *ns, const struct lt_addr *addr, uint16_t port, const char *path,
		char *buf, size_t buflen, int timeout_ms)
{
	char req[1024], host[64];
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path,
		 lt_addr_str(addr, host, sizeof(host)));
	struct tcp_req r = { addr, port, timeout_ms, req, buf, buflen, 0 };
	return lt_ns_call(ns, tcp_exchange, &r) == 0 ? (int)r.got : -1;
}
