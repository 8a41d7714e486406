/*
 * fuzz_udp.c - what the relay does to every UDP datagram from the (hostile)
 * engine: mk_socks5_parse_udp_header, mk_dest_check on its destination
 * (the same predicate as CONNECT), then mk_dht_scrub on the payload.
 *
 * Checked: the header parser never reads outside buf[0..len) (exact-size
 * heap copy, ASan), says OK only for RSV 0, FRAG 0, a known ATYP and a
 * header that fits, with hdr_len matching the ATYP; the destination check
 * says NULL or a non-empty reason, and never allows a name with a byte
 * outside [A-Za-z0-9._-:[]] or one that inet_aton reads as a loopback or
 * private IPv4 address; the scrubber never
 * grows the payload, cleans exactly the canonical DHT dictionaries (into
 * canonical ones, idempotently), drops only what starts with 'd', and
 * leaves what it does not clean byte for byte as it was.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dest_policy.h"
#include "dht_scrub.h"
#include "socks5_server.h"

#define MAX_IN 2048

static int loopback_or_private(const char *name)
{
	struct in_addr a;
	uint8_t b0 = 0;
	if (inet_aton(name, &a) == 0)
		return 0;
	memcpy(&b0, &a, 1);
	return b0 == 127 || b0 == 10 || b0 == 0;
}

static void check_dest(const uint8_t *hdr)
{
	static struct mk_dest_policy p;
	char name[256] = "";
	if (hdr[3] == 3) {
		memcpy(name, hdr + 5, hdr[4]);
		name[hdr[4]] = '\0';
	}
	if (mk_dest_policy_init(&p, "203.0.113.9", false) != 0)
		abort();
	const char *why = mk_dest_check(&p, hdr[3], hdr + 4, name);
	if (why && !why[0])
		abort();
	if (!why && hdr[3] == 3 &&
	    (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:") !=
		     strlen(name) ||
	     loopback_or_private(name)))
		abort();
	if (!why && hdr[3] == 1 && (hdr[4] == 127 || hdr[4] == 10 || hdr[4] == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		size = MAX_IN;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	size_t hdr = 0xdead;
	if (mk_socks5_parse_udp_header(buf, size, &hdr) == MK_SOCKS5_PARSE_OK) {
		if (hdr > size || data[0] || data[1] || data[2])
			abort();
		size_t want = data[3] == 1 ? 10 : data[3] == 4 ? 22 : data[3] == 3 ? 7u + data[4] : 0;
		if (hdr != want || (data[3] == 3 && memchr(data + 5, 0, data[4])))
			abort();
		check_dest(data);
	}
	size_t n = size;
	enum mk_dht_verdict v = mk_dht_scrub(buf, &n);
	if (n > size || (v != MK_DHT_CLEAN && (n != size || memcmp(buf, data, size) != 0)))
		abort(); /* grew, or changed what it does not forward as cleaned */
	if ((v == MK_DHT_CLEAN) != mk_dht_canonical(data, size) ||
	    (v == MK_DHT_DROP && data[0] != 'd') || (v == MK_DHT_CLEAN && !mk_dht_canonical(buf, n)))
		abort(); /* cleaned exactly the canonical ones, into canonical */
	uint8_t *again = malloc(n ? n : 1);
	if (!again)
		abort();
	memcpy(again, buf, n);
	size_t m = n;
	if (v == MK_DHT_CLEAN && (mk_dht_scrub(again, &m) != MK_DHT_CLEAN || m != n ||
				  memcmp(again, buf, n) != 0))
		abort(); /* not idempotent */
	free(again);
	free(buf);
	return 0;
}
