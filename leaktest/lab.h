/*
 * lab.h - the lab's hosts: network namespaces, veths, a bridge, addresses.
 *
 * Contract: lt_lab_create() builds, with iproute2, four network namespaces
 * named mkleak-<pid>-{lan,client,proxy,swarm}:
 *   lan     a bridge br0 with 10.213.0.1/24, fd13:213::1/64 - the "router"
 *           of the client host, which forwards nothing anywhere (forwarding
 *           off, and it has no other interface);
 *   client  c0 = A 10.213.0.2, fd13:213::2, fe80::2; default routes (v4, v6)
 *           via the router, so a leak to any address leaves c0 and is seen;
 *           /etc/netns/<ns>/resolv.conf names 10.213.0.1, so a DNS query
 *           leaves c0 too;
 *   proxy   p0 = P 10.213.0.3 (SOCKS5 server host);
 *   swarm   s0 = S 10.213.0.4 (tracker + seeder host).
 * Every veth is created directly inside the lab's namespaces (never in the
 * caller's), so no lab address is reachable from the machine or beyond.
 * MAC addresses and IPv6 link-local addresses are fixed, so the scanner
 * knows every form of the client's identity. lt_lab_destroy() stops every
 * process still inside these namespaces (ours by construction: nothing
 * else can enter them), deletes the namespaces and the /etc/netns files;
 * it is idempotent and also cleans a half-built lab. lt_lab_cleanup_stale()
 * does the same for labs whose creating process no longer exists.
 */
#ifndef MEERKO_LEAKTEST_LAB_H
#define MEERKO_LEAKTEST_LAB_H

#include "decode.h"

#include <stdint.h>
#include <sys/types.h>

enum { LT_HOST_LAN, LT_HOST_CLIENT, LT_HOST_PROXY, LT_HOST_SWARM, LT_HOSTS };

struct lt_host {
	char ns[64];
	char ifname[16];
	struct lt_addr v4, v6, ll;
	uint8_t mac[6];
	int created;
};

struct lt_lab {
	char prefix[48]; /* mkleak-<pid>- */
	struct lt_host h[LT_HOSTS];
	char resolv_dir[128];
	char log[4096]; /* iproute2 output goes here */
};

void lt_lab_init(struct lt_lab *lab, pid_t owner, const char *log_path);
int lt_lab_create(struct lt_lab *lab, char *err, size_t errlen);
void lt_lab_destroy(struct lt_lab *lab);
/* Remove leftovers of labs whose pid is gone (or of `only` when > 0). */
int lt_lab_cleanup_stale(pid_t only, int verbose);

/* Run fn(arg) on a thread inside network namespace ns; returns fn's value. */
int lt_ns_call(const char *ns, int (*fn)(void *), void *arg);
/* 0 if a TCP connection to addr:port succeeds from inside ns. */
int lt_tcp_probe(const char *ns, const struct lt_addr *addr, uint16_t port, int timeout_ms);
/* HTTP/1.0 GET from inside ns; the response in buf (NUL-terminated, but
 * it may hold NULs: use the length returned, or -1 on failure). */
int lt_http_get(const char *ns, const struct lt_addr *addr, uint16_t port, const char *path,
		char *buf, size_t buflen, int timeout_ms);

#endif
