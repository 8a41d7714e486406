/*
 * fuzz_socks5.c - the relay's SOCKS5 parsers, which read what the (hostile)
 * engine sends: mk_socks5_parse_greeting and mk_socks5_parse_request.
 *
 * Each parser runs on every prefix of the input (the relay sees a message
 * arrive in pieces), and socks5.h's contract is checked:
 *  - NEED_MORE until a whole message is present, then OK with the same
 *    result for every longer prefix, *consumed within the bytes given;
 *  - BAD as soon as a bad byte is seen, and BAD for every longer prefix;
 *  - a parsed request is coherent (ATYP, NUL-free domain of 1..255 bytes).
 * The parsers must never read outside buf[0..len): each prefix is a fresh
 * heap copy of exactly len bytes, so ASan catches one byte too far.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks5_server.h"

#define MAX_IN 300 /* a request is at most 4 + 1 + 255 + 2 = 262 bytes */

static uint8_t *copy_of(const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		abort();
	if (len)
		memcpy(p, data, len);
	return p;
}

static void greeting(const uint8_t *data, size_t size)
{
	bool seen_bad = false, seen_ok = false;
	size_t ok_consumed = 0;
	bool ok_noauth = false;
	for (size_t len = 0; len <= size; len++) {
		uint8_t *buf = copy_of(data, len);
		size_t consumed = 0xdead;
		bool noauth = false;
		mk_socks5_parse_status st = mk_socks5_parse_greeting(buf, len, &consumed, &noauth);
		free(buf);
		if (seen_bad && st != MK_SOCKS5_PARSE_BAD)
			abort(); /* once bad, always bad */
		if (seen_ok && (st != MK_SOCKS5_PARSE_OK || consumed != ok_consumed || noauth != ok_noauth))
			abort(); /* more bytes must not change a complete greeting */
		if (st == MK_SOCKS5_PARSE_OK) {
			if (consumed < 3 || consumed > len || consumed != 2u + data[1] || data[0] != 5)
				abort();
			if (noauth != (memchr(data + 2, 0, data[1]) != NULL))
				abort();
			if (!seen_ok && consumed != len)
				abort(); /* OK must come exactly when the last method arrives */
			seen_ok = true;
			ok_consumed = consumed;
			ok_noauth = noauth;
		} else if (st == MK_SOCKS5_PARSE_BAD) {
			seen_bad = true;
		} else if (st != MK_SOCKS5_PARSE_NEED_MORE) {
			abort();
		}
	}
}

static void request(const uint8_t *data, size_t size)
{
	bool seen_bad = false, seen_ok = false;
	struct mk_socks5_request first;
	size_t ok_consumed = 0;
	for (size_t len = 0; len <= size; len++) {
		uint8_t *buf = copy_of(data, len);
		size_t consumed = 0xdead;
		struct mk_socks5_request out;
		memset(&out, 0xa5, sizeof out);
		mk_socks5_parse_status st = mk_socks5_parse_request(buf, len, &consumed, &out);
		free(buf);
		if (seen_bad && st != MK_SOCKS5_PARSE_BAD)
			abort();
		if (st == MK_SOCKS5_PARSE_BAD) {
			seen_bad = true;
			continue;
		}
		if (st == MK_SOCKS5_PARSE_NEED_MORE) {
			if (seen_ok)
				abort();
			continue;
		}
		if (st != MK_SOCKS5_PARSE_OK)
			abort();
		if (consumed > len || consumed < 5 + 1 + 2 || data[0] != 5 || data[2] != 0)
			abort();
		if (out.cmd != data[1] || out.cmd_known != (data[1] >= 1 && data[1] <= 3) || out.atyp != data[3])
			abort();
		size_t alen;
		switch (out.atyp) {
		case MK_SOCKS5_ATYP_IPV4: alen = 4; break;
		case MK_SOCKS5_ATYP_IPV6: alen = 16; break;
		case MK_SOCKS5_ATYP_DOMAIN:
			alen = 1u + data[4];
			if (out.host_len != data[4] || out.host_len == 0 || out.host_len > 255 ||
			    strnlen(out.host, sizeof out.host) != out.host_len ||
			    memcmp(out.host, data + 5, out.host_len) != 0)
				abort();
			break;
		default:
			abort();
		}
		if (consumed != 4 + alen + 2 ||
		    out.port != (uint16_t)(data[consumed - 2] << 8 | data[consumed - 1]))
			abort();
		if (out.atyp != MK_SOCKS5_ATYP_DOMAIN && memcmp(out.ip, data + 4, alen) != 0)
			abort();
		if (!seen_ok) {
			if (consumed != len)
				abort(); /* OK exactly when the last port byte arrives */
			first = out;
			ok_consumed = consumed;
			seen_ok = true;
		} else if (consumed != ok_consumed || memcmp(&first, &out, sizeof out) != 0) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IN)
		size = MAX_IN;
	greeting(data, size);
	request(data, size);
	return 0;
}
