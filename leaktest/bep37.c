/*
 * bep37.c - BEP 37 identity hygiene of the payload scanner (contract in
 * scan.h): what, beyond the address and the client's name, lets the swarm
 * recognise a client or link two of its runs.
 *
 * The tables below are the rules, one row each with its reason:
 *   - fixed_ports: listen ports that are a client's default, the same on
 *     every install that kept it (port 1 is only noted: libtorrent >= 1.2.5
 *     announces it when it has no listen port, as behind any proxy);
 *   - client_fields: announce parameters only one client family sends
 *     (corrupt= is not one: uTorrent and Vuze send it too);
 *   - neutral_keys / neutral_m: the extension handshake a client needs and
 *     that says nothing of which client it is (BEP 9, 10, 11, 21 keys);
 *     anything else, or a reqq other than 250, names a client family.
 * Every finding here is client identity: it fails with anonymous = 1 only.
 * Identity values (peer ids, tracker keys, ports, DHT node ids) are kept,
 * distinct, up to LT_IDENT_MAX per scan; lt_ident_compare() turns a value
 * two runs share into a failing finding (each must be random per run).
 */
#include "bencode.h"
#include "scan.h"

#include <stdio.h>
#include <string.h>

static const struct {
	unsigned lo, hi;
	const char *whose;
} fixed_ports[] = {
	/* a port in it says a client kept its default: aria2c picks one of
	 * 6881-6999, BitTorrent 3 and old libtorrent took 6881-6889 */
	{ 6881, 6999, "the classic BitTorrent range, aria2c's default 6881-6999" },
	{ 51413, 51413, "Transmission's default" },
	{ 8999, 8999, "qBittorrent's old default" },
};

static const struct {
	const char *key, *whose;
} client_fields[] = {
	{ "redundant", "libtorrent (report_redundant_bytes)" },
	{ "azudp", "Vuze/Azureus" },
	{ "azhttp", "Vuze/Azureus" },
	{ "azver", "Vuze/Azureus" },
	{ "azq", "Vuze/Azureus" },
};

/* BEP 10 m, reqq, yourip; BEP 9 metadata_size; BEP 21 upload_only. */
static const char *const neutral_keys[] = { "m", "metadata_size", "reqq", "upload_only", "yourip" };
/* BEP 9 ut_metadata, BEP 11 ut_pex, BEP 21 upload_only. */
static const char *const neutral_m[] = { "ut_metadata", "ut_pex", "upload_only" };
/* v, ipv4, ipv6 have findings of their own (proto.c), p one below. */
static const char *const judged_elsewhere[] = { "v", "ipv4", "ipv6", "p" };
#define NEUTRAL_REQQ 250 /* BEP 10's own example value */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *const *l, size_t n, const uint8_t *k, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(l[i]) == klen && memcmp(l[i], k, klen) == 0)
			return 1;
	return 0;
}

void lt_bep37_port(struct lt_scan *s, const char *where, unsigned port)
{
	if (port == 1) {
		lt_scan_report(s, LT_F_NOTE, 0, where,
			       "announced port 1: libtorrent's \"no listen port\" (behind a proxy), "
			       "the same for every libtorrent client there");
		return;
	}
	uint8_t b[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	lt_scan_ident(s, LT_ID_PORT, b, 2);
	for (size_t i = 0; i < N_OF(fixed_ports); i++)
		if (port >= fixed_ports[i].lo && port <= fixed_ports[i].hi)
			lt_scan_report(s, LT_F_FINGERPRINT, s->anonymous, where,
				       "announced listen port %u is a client's default (%s): the same, "
				       "or from the same small range, on every install that kept it",
				       port, fixed_ports[i].whose);
}

void lt_bep37_query_key(struct lt_scan *s, const char *where, const uint8_t *k, size_t klen)
{
	for (size_t i = 0; i < N_OF(client_fields); i++)
		if (strlen(client_fields[i].key) == klen && memcmp(client_fields[i].key, k, klen) == 0)
			lt_scan_report(s, LT_F_FINGERPRINT, s->anonymous, where,
				       "tracker announce field %s= is sent only by %s",
				       client_fields[i].key, client_fields[i].whose);
}

struct ext_ctx {
	struct lt_scan *s;
	const char *where;
};

static void key_shown(const uint8_t *k, size_t klen, char *out, size_t outlen)
{
	lt_printable(k, klen < 40 ? klen : 40, out, outlen);
}

static void ext_m_entry(const uint8_t *k, size_t klen, const uint8_t *v, size_t vl, void *vc)
{
	(void)v;
	(void)vl;
	struct ext_ctx *c = vc;
	char ks[200];
	if (in_list(neutral_m, N_OF(neutral_m), k, klen))
		return;
	key_shown(k, klen, ks, sizeof(ks));
	lt_scan_report(c->s, LT_F_FINGERPRINT, c->s->anonymous, c->where,
		       "extension handshake offers \"%s\" in m: not in the neutral set "
		       "(ut_metadata, ut_pex, upload_only), it names a client family",
		       ks);
}

static void ext_reqq(struct ext_ctx *c, const uint8_t *v, size_t vl)
{
	long long q;
	if (lt_bint(v, vl, &q) && q == NEUTRAL_REQQ)
		return;
	char shown[64];
	if (lt_bint(v, vl, &q))
		snprintf(shown, sizeof(shown), "%lld", q);
	else
		lt_printable(v, vl < 24 ? vl : 24, shown, sizeof(shown));
	lt_scan_report(c->s, LT_F_FINGERPRINT, c->s->anonymous, c->where,
		       "extension handshake reqq=%s: a client's own default (neutral: %d, BEP 10's "
		       "value; libtorrent 2.0 sends 2000)",
		       shown, NEUTRAL_REQQ);
}

static void ext_entry(const uint8_t *k, size_t klen, const uint8_t *v, size_t vl, void *vc)
{
	struct ext_ctx *c = vc;
	char ks[200];
	if (klen == 1 && k[0] == 'm') {
		lt_bdict_each(v, vl, ext_m_entry, c);
	} else if (klen == 4 && memcmp(k, "reqq", 4) == 0) {
		ext_reqq(c, v, vl);
	} else if (klen == 1 && k[0] == 'p') {
		long long p = -1;
		lt_bint(v, vl, &p);
		lt_scan_report(c->s, LT_F_FINGERPRINT, c->s->anonymous, c->where,
			       "extension handshake carries a listen port p=%lld: behind a proxy "
			       "no one can connect to it, and it links the run's connections",
			       p);
	} else if (!in_list(neutral_keys, N_OF(neutral_keys), k, klen) &&
		   !in_list(judged_elsewhere, N_OF(judged_elsewhere), k, klen)) {
		key_shown(k, klen, ks, sizeof(ks));
		lt_scan_report(c->s, LT_F_FINGERPRINT, c->s->anonymous, c->where,
			       "extension handshake key \"%s\": not in the neutral set "
			       "(m, metadata_size, reqq, upload_only, yourip), it names a client family",
			       ks);
	}
}

void lt_bep37_ext_handshake(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	struct ext_ctx c = { s, where };
	lt_bdict_each(d, len, ext_entry, &c);
}

void lt_bep37_dht(struct lt_scan *s, const uint8_t *d, size_t len)
{
	const uint8_t *body, *id;
	size_t bl, il;
	if (lt_bdict_get(d, len, "a", &body, &bl) != 1 && lt_bdict_get(d, len, "r", &body, &bl) != 1)
		return;
	if (lt_bdict_get(body, bl, "id", &id, &il) == 1 && il == 20)
		lt_scan_ident(s, LT_ID_DHT_NODE, id, il);
}

void lt_scan_ident(struct lt_scan *s, enum lt_ident_kind kind, const uint8_t *v, size_t len)
{
	if (len == 0 || len > sizeof(s->ids[0].v))
		return;
	for (size_t i = 0; i < s->n_ids; i++)
		if (s->ids[i].kind == kind && s->ids[i].len == len && memcmp(s->ids[i].v, v, len) == 0)
			return;
	if (s->n_ids == LT_IDENT_MAX) {
		s->ids_dropped++;
		return;
	}
	struct lt_ident *x = &s->ids[s->n_ids++];
	x->kind = kind;
	memcpy(x->v, v, len);
	x->len = len;
}

size_t lt_ident_count(const struct lt_scan *s, enum lt_ident_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_ids; i++)
		n += s->ids[i].kind == kind;
	return n;
}

const char *lt_ident_kind_name(enum lt_ident_kind kind)
{
	static const char *const names[LT_ID_KINDS] = { "peer id", "tracker key", "announced port",
							"DHT node id" };
	return kind < LT_ID_KINDS ? names[kind] : "?";
}

static void ident_shown(const struct lt_ident *x, char *out, size_t outlen)
{
	if (x->kind == LT_ID_PORT && x->len == 2) {
		snprintf(out, outlen, "%u", (unsigned)x->v[0] << 8 | x->v[1]);
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < x->len && o + 3 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", x->v[i]);
}

size_t lt_ident_compare(struct lt_scan *later, const struct lt_scan *earlier,
			const char *earlier_name)
{
	size_t n = 0;
	for (size_t i = 0; i < later->n_ids; i++) {
		const struct lt_ident *x = &later->ids[i];
		for (size_t j = 0; j < earlier->n_ids; j++) {
			const struct lt_ident *y = &earlier->ids[j];
			if (x->kind != y->kind || x->len != y->len || memcmp(x->v, y->v, x->len) != 0)
				continue;
			char shown[64];
			ident_shown(x, shown, sizeof(shown));
			lt_scan_report(later, LT_F_REPEATED, 1, "across runs",
				       "%s %s was also shown in the earlier run \"%s\": it must be new "
				       "in every run",
				       lt_ident_kind_name(x->kind), shown, earlier_name);
			n++;
		}
	}
	return n;
}
