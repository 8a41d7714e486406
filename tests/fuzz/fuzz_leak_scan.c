/*
 * fuzz_leak_scan.c - meerko-leaktest's payload scanner on hostile bytes:
 * what a client under audit (or a hostile engine) sends is parsed as a
 * TCP stream (HTTP announces, BitTorrent and extension handshakes, SOCKS5
 * headers) and as a UDP datagram (DHT, BEP 15), with and without SOCKS
 * skipping and anonymous mode, then the identity table is compared with
 * itself and with an empty scan.
 *
 * Checked: nothing reads outside buf[0..len) (exact-size heap copy, ASan);
 * the identity table never holds more than LT_IDENT_MAX values, each at most
 * 20 bytes, no two equal; comparing a scan with an empty one finds nothing,
 * with itself exactly one repeat per value; every finding's texts are
 * NUL-terminated; a scan without anonymous mode fails on no more than one
 * with it (identity findings only fail with it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "scan.h"

#define MAX_IN 8192

static void check_table(const struct lt_scan *s)
{
	if (s->n_ids > LT_IDENT_MAX)
		abort();
	for (size_t i = 0; i < s->n_ids; i++) {
		if (s->ids[i].len == 0 || s->ids[i].len > sizeof(s->ids[i].v))
			abort();
		for (size_t j = i + 1; j < s->n_ids; j++)
			if (s->ids[i].kind == s->ids[j].kind && s->ids[i].len == s->ids[j].len &&
			    memcmp(s->ids[i].v, s->ids[j].v, s->ids[i].len) == 0)
				abort();
	}
	for (size_t i = 0; i < s->nf; i++)
		if (!memchr(s->f[i].where, 0, sizeof(s->f[i].where)) ||
		    !memchr(s->f[i].what, 0, sizeof(s->f[i].what)))
			abort();
}

static size_t scan_once(const uint8_t *d, size_t n, int anonymous, int socks, int self_compare)
{
	struct lt_scan s, empty;
	lt_scan_init(&s, anonymous, socks, 4096);
	lt_scan_init(&empty, anonymous, socks, 16);
	lt_scan_add_needle(&s, "needle", "10.213.0.2", 10, 1);
	lt_scan_stream_bytes(&s, "tcp", d, n);
	lt_scan_datagram(&s, "udp", d, n);
	check_table(&s);
	if (lt_ident_compare(&s, &empty, "empty") != 0)
		abort();
	size_t fails = lt_scan_failures(&s);
	if (self_compare) {
		/* a copy of the table: compare() adds findings to s, not ids */
		static struct lt_scan twin;
		memcpy(twin.ids, s.ids, sizeof(s.ids));
		twin.n_ids = s.n_ids;
		if (lt_ident_compare(&s, &twin, "self") != s.n_ids)
			abort();
	}
	check_table(&s);
	lt_scan_free(&s);
	lt_scan_free(&empty);
	return fails;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		return 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	size_t anon = scan_once(buf, size, 1, 0, 1);
	size_t plain = scan_once(buf, size, 0, 0, 0);
	if (plain > anon)
		abort();
	scan_once(buf, size, 1, 1, 0);
	struct lt_scan e;
	lt_scan_init(&e, 1, 0, 16);
	lt_scan_ext_handshake(&e, "ext", buf, size);
	check_table(&e);
	lt_scan_free(&e);
	free(buf);
	return 0;
}
