/*
 * scan.h - the payload scanner: did identifying bytes reach the swarm?
 *
 * Contract: the caller feeds the packets an observer received (the
 * tracker's and seeder's host in the lab; or what the host sent into the
 * proxy, with socks = 1, in audit mode) and then calls lt_scan_finish().
 * Checks, each becoming a finding with a flow and evidence:
 *   - needles: the client's address in binary and text form, its hostname,
 *     its user name, its MAC - anywhere in any TCP stream, UDP datagram or
 *     ICMP body (streams are reassembled from their first bytes, so a needle
 *     split over two segments is still found); an HTTP request target is
 *     also scanned after URL decoding;
 *   - tracker announces (HTTP): ip=, ipv4=, ipv6=, localip= parameters;
 *     the peer_id parameter; the User-Agent header;
 *   - BitTorrent handshakes (plaintext, also after an MSE prelude that chose
 *     plaintext): the peer id; the extension handshake's v, ipv4, ipv6
 *     keys (yourip is shown as a note, needles catch the client's address);
 *   - UDP: DHT messages (the v key), UDP tracker announces (the IP field,
 *     the peer id);
 *   - with socks = 1, the SOCKS5 greeting, username/password and CONNECT
 *     request at the start of each stream are skipped (they are for the
 *     proxy, not the swarm), as is the SOCKS5 UDP header.
 *   - BEP 37 hygiene (bep37.c): an announced port that is a client's fixed
 *     default, announce fields only one client family sends, an extension
 *     handshake with a listen port (p), a reqq other than 250 or keys
 *     outside the neutral set; the identity values (peer ids, tracker keys,
 *     ports, DHT node ids) are recorded so that two runs can be compared
 *     (lt_ident_compare: a value seen in both is a finding).
 * Client identity (peer-id prefix, User-Agent naming a client, v keys,
 * BEP 37 fingerprints) fails only with anonymous = 1; addresses, hostname and user name always
 * fail. Identical findings are merged and counted. Notes (fails = 0) say
 * what was seen without judging (e.g. the User-Agent, an unparsed stream).
 */
#ifndef MEERKO_LEAKTEST_SCAN_H
#define MEERKO_LEAKTEST_SCAN_H

#include "decode.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#define LT_NEEDLE_MAX 24

struct lt_needle {
	char name[96];
	uint8_t b[256];
	size_t len;
	int icase;
};

enum lt_fkind {
	LT_F_NEEDLE,         /* a needle's bytes */
	LT_F_ADDR_PARAM,     /* an address announced in a parameter/field */
	LT_F_PEER_ID,        /* a client-identifying peer id */
	LT_F_USER_AGENT,     /* a User-Agent naming a client */
	LT_F_CLIENT_VERSION, /* v key in an extension handshake or DHT message */
	LT_F_SOURCE,         /* the observer got packets from a non-allowed source */
	LT_F_FINGERPRINT,    /* BEP 37: a fixed port, a client-specific field or key */
	LT_F_REPEATED,       /* BEP 37: an identity value also seen in an earlier run */
	LT_F_NOTE,           /* informational; stays last (report.c names kinds in order) */
};

/* Identity values a run shows the swarm: each must be new in every run. */
enum lt_ident_kind { LT_ID_PEER_ID, LT_ID_TRACKER_KEY, LT_ID_PORT, LT_ID_DHT_NODE, LT_ID_KINDS };
#define LT_IDENT_MAX 64

struct lt_ident {
	enum lt_ident_kind kind;
	uint8_t v[20];
	size_t len;
};

struct lt_finding {
	enum lt_fkind kind;
	int fails;
	char where[160];
	char what[256];
	unsigned count;
};

struct lt_scan {
	struct lt_needle needles[LT_NEEDLE_MAX];
	size_t n_needles;
	int anonymous, socks;
	struct lt_streams streams;
	struct lt_finding *f;
	size_t nf, capf;
	uint64_t pkts, payload_bytes;
	unsigned http_requests, bt_handshakes, ext_handshakes, dht_msgs, unparsed_streams;
	unsigned lost; /* findings not recorded for lack of memory (count as failures) */
	struct lt_ident ids[LT_IDENT_MAX]; /* distinct identity values seen */
	size_t n_ids;
	unsigned ids_dropped; /* values not kept, the table being full (not compared) */
};

void lt_scan_init(struct lt_scan *s, int anonymous, int socks, size_t stream_limit);
void lt_scan_free(struct lt_scan *s);
int lt_scan_add_needle(struct lt_scan *s, const char *name, const void *b, size_t len, int icase);
/* The address in binary and in text form ("client address 10.0.0.2 ..."). */
void lt_scan_add_addr_needles(struct lt_scan *s, const char *label, const struct lt_addr *a);

/* Feed one packet the observer received. */
void lt_scan_packet(struct lt_scan *s, const struct lt_pkt *p);
/* Parse the reassembled streams; call once after the last packet. */
void lt_scan_finish(struct lt_scan *s);

/* Record a finding (merged with an identical one). */
void lt_scan_report(struct lt_scan *s, enum lt_fkind kind, int fails, const char *where,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t lt_scan_failures(const struct lt_scan *s);

/* Building blocks, exported for tests. */
void lt_scan_needles(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
/* The same, skipping needles that also occur in seen (already reported). */
void lt_scan_needles_except(struct lt_scan *s, const char *where, const uint8_t *d, size_t len,
			    const uint8_t *seen, size_t seen_len);
void lt_scan_stream_bytes(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
void lt_scan_datagram(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
/* The aria2c seeder's log from byte `from` on ("From: IP:PORT handshake
 * peerId=..."): peer ids, and peers other than allowed_ip (NULL: none) or
 * own_ip. Returns the number of handshakes, -1 if the log is unreadable. */
int lt_scan_aria2_log(struct lt_scan *s, const char *path, long from, const char *allowed_ip,
		      const char *own_ip);

/* proto.c: identity checks and protocol parsers. */
int lt_peer_id_identifying(const uint8_t *id, size_t len, char *why, size_t whylen);
int lt_user_agent_identifying(const char *ua, size_t len);
size_t lt_socks5_request_len(const uint8_t *d, size_t len);
void lt_scan_http(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
int lt_scan_bittorrent(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
void lt_scan_ext_handshake(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
/* bep37.c: BEP 37 hygiene checks and identity records. */
/* An announced listen port (HTTP port=, BEP 15 port field). */
void lt_bep37_port(struct lt_scan *s, const char *where, unsigned port);
/* An HTTP announce parameter name: one only some client family sends. */
void lt_bep37_query_key(struct lt_scan *s, const char *where, const uint8_t *k, size_t klen);
/* p, reqq, keys and m entries outside the neutral set. */
void lt_bep37_ext_handshake(struct lt_scan *s, const char *where, const uint8_t *d, size_t len);
/* A DHT message's node id (a.id of a query, r.id of a response). */
void lt_bep37_dht(struct lt_scan *s, const uint8_t *d, size_t len);
/* Remember an identity value (merged when already seen). */
void lt_scan_ident(struct lt_scan *s, enum lt_ident_kind kind, const uint8_t *v, size_t len);
size_t lt_ident_count(const struct lt_scan *s, enum lt_ident_kind kind);
const char *lt_ident_kind_name(enum lt_ident_kind kind);
/* Every identity value of later that earlier (the run named earlier_name)
 * also holds becomes a failing LT_F_REPEATED finding in later. Returns how
 * many. */
size_t lt_ident_compare(struct lt_scan *later, const struct lt_scan *earlier,
			const char *earlier_name);

/* Printable rendering of bytes (\xNN for the rest); returns out. */
char *lt_printable(const uint8_t *d, size_t len, char *out, size_t outlen);

#endif
