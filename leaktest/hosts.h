/*
 * hosts.h - the real programs on the lab's hosts: payload and torrent,
 * opentracker and the aria2c seeder on the swarm host, danted on the proxy
 * host.
 *
 * Contract: everything lives below sw->dir (logs in sw->dir/logs). Each
 * start function returns once its daemon serves (bounded waits: tracker
 * and proxy 5 s, seeder 60 s: verified, listening, and counted as a seeder
 * by the tracker's scrape) or fails with err set and the log's name.
 * Probes run inside the daemon's own namespace, so they never cross a
 * captured interface. A proxy with a password uses a temporary system user
 * mkleak<pid> (useradd/chpasswd), deleted by lt_proxy_stop(); refuses to
 * touch an existing account. lt_swarm_stop() stops everything it started.
 */
#ifndef MEERKO_LEAKTEST_HOSTS_H
#define MEERKO_LEAKTEST_HOSTS_H

#include "lab.h"

#include <stdint.h>
#include <sys/types.h>

#define LT_TRACKER_PORT 6969
#define LT_SEED_PORT 6881
#define LT_PROXY_PORT 1080

struct lt_swarm {
	const struct lt_lab *lab;
	char dir[256], logs[300], seed_dir[320], payload[340], torrent[320], hash[41];
	char seed_log[340];
	uint64_t total_bytes;
	pid_t tracker, seeder, proxy;
	char proxy_user[32], proxy_pass[40];
	int user_created;
	int quiet;
};

int lt_make_payload(const char *dir, int nfiles, uint64_t total, char *err, size_t errlen);
int lt_swarm_prepare(struct lt_swarm *sw, uint64_t total, char *err, size_t errlen);
int lt_tracker_start(struct lt_swarm *sw, char *err, size_t errlen);
int lt_seeder_start(struct lt_swarm *sw, char *err, size_t errlen);
/* with_password: username auth with a fresh temporary user */
int lt_proxy_start(struct lt_swarm *sw, int with_password, char *err, size_t errlen);
void lt_proxy_kill(struct lt_swarm *sw); /* SIGKILL, like a crash */
void lt_proxy_stop(struct lt_swarm *sw);
void lt_swarm_stop(struct lt_swarm *sw);
/* 0 if every file below a is byte-identical below b; detail says what differs. */
int lt_same_tree(const char *a, const char *b, char *detail, size_t len);
/* Remove the temporary proxy user of a dead run (name mkleak<pid>). */
void lt_proxy_user_remove_stale(pid_t pid);

#endif
