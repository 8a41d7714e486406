/*
 * report.h - one result per scenario, its verdict, and the two renderings:
 * a readable text report and JSON.
 *
 * Contract: lt_result_decide() sets the verdict from what was recorded:
 *   LEAK        any failing flow on the host under test, or any failing
 *               finding (what the swarm received, what went into the proxy);
 *   ERROR       the scenario could not run, or a capture was incomplete
 *               (kernel drops), and no leak was seen;
 *   NO-PROXY    no leak, but the run expects the client to use the proxy
 *               (audit: expect_proxy) and nothing at all went into it: a
 *               client that ignores the proxy on a loopback or LAN swarm
 *               leaks nothing the capture can prove, yet was never private;
 *   MISBEHAVED  no leak, but the client did not do what the scenario
 *               expects (exit code, downloaded files);
 *   CLEAN       none of these. Loopback flows to anything but the proxy
 *               (LT_C_LOCAL: a peer, tracker or proxy on this host) are
 *               counted as "not judged" (lt_result_not_judged), never as
 *               clean ones, and the verdict line says how many.
 * lt_exit_code(): 1 if any result is LEAK or MISBEHAVED, else 3 if any is
 * NO-PROXY, else 2 if any is ERROR, else 0. The text report lists every failing flow and finding with
 * its evidence, counts everything else; -v lists every flow. JSON carries
 * everything, one object per run.
 */
#ifndef MEERKO_LEAKTEST_REPORT_H
#define MEERKO_LEAKTEST_REPORT_H

#include "capture.h"
#include "flows.h"
#include "scan.h"

#include <stdio.h>

enum lt_verdict { LT_V_CLEAN = 0, LT_V_MISBEHAVED, LT_V_ERROR, LT_V_LEAK, LT_V_NO_PROXY };

#define LT_EXIT_NO_PROXY 3 /* the client never used the proxy (audit) */

#define LT_MAX_NOTES 8

struct lt_result {
	char name[32], title[160];
	enum lt_verdict verdict;
	char error[512];
	char client[160];  /* what ran on the host under test */
	int client_exit;   /* -1: not run; 124: timed out */
	double client_secs;
	char expect[160];  /* "" = nothing expected */
	int expect_ok;
	char expect_detail[256];
	char notes[LT_MAX_NOTES][256];
	int nnotes;
	int have_host, have_observer, have_into_proxy;
	int expect_proxy;  /* the client must send something into the proxy */
	char host_desc[96], observer_desc[96];
	struct lt_capture_stats host_cap, observer_cap;
	struct lt_flows flows;
	struct lt_scan into_proxy; /* what the host sent into the proxy */
	struct lt_scan observer;   /* what the swarm host received */
	uint64_t observer_received;
	int seeder_handshakes; /* -1: no seeder log */
};

void lt_result_init(struct lt_result *r, const char *name, const char *title);
void lt_result_free(struct lt_result *r);
void lt_result_note(struct lt_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_result_decide(struct lt_result *r);
const char *lt_verdict_name(enum lt_verdict v);
size_t lt_result_not_judged(const struct lt_result *r);

void lt_report_text(FILE *f, const struct lt_result *r, int verbose);
void lt_report_summary(FILE *f, const struct lt_result *v, size_t n, const char *mode);
void lt_report_json(FILE *f, const struct lt_result *v, size_t n, const char *mode);
int lt_exit_code(const struct lt_result *v, size_t n);

#endif
