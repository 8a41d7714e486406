/*
 * fuzz_udp.c - what the relay does to every UDP datagram from the (hostile)
 * engine: mk_socks5_parse_udp_header, then mk_dht_scrub on the payload.
 *
 * Checked: the header parser never reads outside buf[0..len) (exact-size
 * heap copy, ASan), says OK only for RSV 0, FRAG 0, a known ATYP and a
 * header that fits, with hdr_len matching the ATYP; the scrubber never
 * grows the payload, changes it only when it starts with 'd', and is
 * idempotent (a second pass changes nothing).
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
	size_t n = mk_dht_scrub(buf, size);
	if (n > size || (n != size && data[0] != 'd'))
		abort();
	uint8_t *again = malloc(n ? n : 1);
	if (!again)
		abort();
	memcpy(again, buf, n);
	if (mk_dht_scrub(again, n) != n || memcmp(again, buf, n) != 0)
		abort();
	free(again);
	free(buf);
	return 0;
}
