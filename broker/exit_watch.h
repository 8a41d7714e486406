/*
 * exit_watch.h - is the address the swarm sees us at the right one?
 *
 * Contract: pure logic, no I/O but mk_exit_own_addresses (getifaddrs). The
 * engine relays what strangers say our address is (a peer's BEP 10
 * "yourip"); each source (kind + pseudonymous id) counts with its latest
 * word only, so one source, however often it speaks, is one vote. An
 * address is confirmed when at least MK_EXIT_QUORUM sources' latest word is
 * that address. mk_exit_judge() then says, in this order:
 *  - OWN: a confirmed address is one of this machine's own (loopback and
 *    link-local excluded: the swarm seeing those means nothing);
 *  - WRONG: expected ranges are set and a confirmed address is outside them;
 *  - CHANGED: none are set and the newest confirmed address (the one whose
 *    second vote came last) differs from the first one of the run;
 *  - RIGHT: a confirmed address and none of the above;
 *  - UNKNOWN: nothing confirmed yet.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is taken as the IPv4 address. Tables
 * are bounded: past MK_EXIT_MAX_SOURCES the oldest source is forgotten.
 */
#ifndef MEERKO_BROKER_EXIT_WATCH_H
#define MEERKO_BROKER_EXIT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_EXIT_QUORUM 2
#define MK_EXIT_MAX_RULES 16
#define MK_EXIT_MAX_OWN 64
#define MK_EXIT_MAX_SOURCES 256
#define MK_EXIT_IP_STR 46           /* INET6_ADDRSTRLEN */

struct mk_ip {
	uint8_t fam;                /* 4 or 6 */
	uint8_t b[16];              /* IPv4 in b[0..3] */
};

struct mk_cidr {
	struct mk_ip ip;            /* host bits cleared */
	int prefix;                 /* 0..32 / 0..128 */
};

enum mk_exit_kind { MK_EXIT_SRC_PEER = 1, MK_EXIT_SRC_TRACKER = 2 };

enum mk_exit_verdict { MK_EXITV_UNKNOWN = 0, MK_EXITV_RIGHT, MK_EXITV_WRONG, MK_EXITV_OWN, MK_EXITV_CHANGED };

struct mk_exit_source {
	uint8_t kind;
	uint64_t id;
	struct mk_ip ip;            /* its latest word */
	uint64_t seq;               /* when it said it */
};

struct mk_exit_watch {
	struct mk_cidr expected[MK_EXIT_MAX_RULES];
	size_t n_expected;
	struct mk_ip own[MK_EXIT_MAX_OWN];
	size_t n_own;
	struct mk_exit_source src[MK_EXIT_MAX_SOURCES];
	size_t n_src;
	uint64_t seq;
	bool have_first;
	struct mk_ip first;         /* no expected ranges: the run's first confirmed exit */
};

/* What the swarm sees: the address judged and how many sources say so. */
struct mk_exit_view {
	struct mk_ip ip;
	unsigned peers, trackers;
};

/* "IP|CIDR[,IP|CIDR...]" (spaces around items allowed; "" = none). Returns
 * 0 with *n rules, or -1 with one line in err naming the bad item. */
int mk_exit_parse_expected(const char *list, struct mk_cidr *out, size_t max, size_t *n,
			   char *err, size_t errlen);
/* 4 or 16 network-order bytes -> *out (v4-mapped IPv6 as IPv4). -1: other lengths. */
int mk_ip_from_bytes(const uint8_t *b, size_t len, struct mk_ip *out);
int mk_ip_parse(const char *s, struct mk_ip *out);  /* literal, v4-mapped as IPv4 */
bool mk_ip_equal(const struct mk_ip *a, const struct mk_ip *b);
bool mk_cidr_match(const struct mk_cidr *c, const struct mk_ip *ip);
void mk_ip_str(const struct mk_ip *ip, char *buf, size_t len);
/* Loopback, link-local, unspecified, multicast: means nothing as an exit. */
bool mk_ip_meaningless(const struct mk_ip *ip);

void mk_exit_watch_init(struct mk_exit_watch *w, const struct mk_cidr *expected, size_t n);
/* This machine's addresses (meaningless ones are skipped; at most MK_EXIT_MAX_OWN). */
void mk_exit_watch_set_own(struct mk_exit_watch *w, const struct mk_ip *own, size_t n);
/* Reads the addresses of every interface of this network namespace into own. */
size_t mk_exit_own_addresses(struct mk_ip *own, size_t max);
/* One source's word. Returns -1 (nothing stored) for a bad kind or length. */
int mk_exit_watch_note(struct mk_exit_watch *w, int kind, uint64_t id, const uint8_t *addr, size_t len);
/* Forgets every source's word (the first exit of the run is kept). */
void mk_exit_watch_forget(struct mk_exit_watch *w);
/* The verdict now (view: the address it is about). The first confirmed
 * exit of a run without expected ranges is remembered here. */
enum mk_exit_verdict mk_exit_judge(struct mk_exit_watch *w, struct mk_exit_view *view);
/* CHANGED accepted: v becomes the run's first exit. */
void mk_exit_watch_accept(struct mk_exit_watch *w, const struct mk_exit_view *v);
/* "203.0.113.7 (tracker + 2 peers)" */
void mk_exit_view_str(const struct mk_exit_view *v, char *buf, size_t len);

#endif
