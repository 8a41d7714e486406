/*
 * fuzz_udp.c - what the relay does to every UDP datagram from the (hostile)
 * engine: mk_socks5_parse_udp_header, then mk_dht_scrub on the payload.
 *
 * Checked: the header parser never reads outside buf[0..len) (exact-size
 * heap copy, ASan), says OK only for RSV 0, FRAG 0, a known ATYP and a
 * header that fits, with hdr_len matching the ATYP; the scrubber never
 * grows the payload, cleans exactly the canonical DHT dictionaries (into
 * canonical ones, idempotently), drops only what starts with 'd', and
 * leaves what it does not clean byte for byte as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dht_scrub.h"
#include "socks5.h"

#define MAX_IN 2048

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
