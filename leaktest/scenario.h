/*
 * scenario.h - the lab's scenarios: what runs on the client host, what is
 * done to the proxy meanwhile, and what the client is expected to do.
 *
 *   plain             .torrent through the proxy       expect exit 0 + same files
 *   proxy-kill        danted SIGKILLed at 1/3 of the   exit code reported only
 *                     payload, restarted after 4 s      (kill switch pending)
 *   wrong-password    proxy wants username auth;        expect exit 4
 *                     Meerko has a wrong password
 *   magnet            magnet link with &tr=             expect exit 0 + same files
 *   dht-lsd-upnp      config turns DHT, LSD, UPnP,      expect exit 0 + same files
 *                     NAT-PMP, PEX and uTP on
 *   udp-tracker       magnet, udp:// tracker only,      expect exit 0 + same files
 *                     DHT and uTP on (SOCKS5 UDP)
 *   rerun             udp-tracker again with the same   expect exit 0 + same files;
 *                     HOME (state dir)                  main.c: no identity value of
 *                                                       an earlier run shown again
 *   negative-control  aria2c straight to the swarm,     must be reported as a leak
 *                     no proxy (a detector that never
 *                     fires is a defect)
 *
 * Contract: lt_scenario_run() starts the proxy the scenario needs, starts
 * both captures (client host c0, swarm host s0) before the client, runs the
 * client in the client host (own hostname, bounded by timeout_s), waits a
 * second for late packets, stops captures and proxy (and the temporary
 * user), then analyses both captures and the seeder's log into res. It
 * never returns with anything of its own still running.
 */
#ifndef MEERKO_LEAKTEST_SCENARIO_H
#define MEERKO_LEAKTEST_SCENARIO_H

#include "hosts.h"
#include "lab.h"
#include "report.h"

#include <signal.h>

struct lt_run {
	struct lt_lab lab;
	struct lt_swarm sw;
	char dir[256];
	char meerko[4096];
	char hostname[64]; /* the client host's own hostname */
	char username[64]; /* who runs the client */
	char real_hostname[256];
	int timeout_s;
	int quiet;
};

extern volatile sig_atomic_t lt_interrupted;

#define LT_SCENARIO_COUNT 8
const char *lt_scenario_name(int i);
const char *lt_scenario_title(int i);
int lt_scenario_find(const char *name);
int lt_scenario_is_negative(int i);
void lt_scenario_run(struct lt_run *run, int i, struct lt_result *res);

#endif
