/*
 * fuzz_sanitize.c - mk_sanitize, the last step before untrusted text
 * (torrent names, tracker and engine messages) reaches the terminal.
 *
 * Input: data[0] is the output buffer size for the first call (0..255),
 * the rest is the text. A second call gets a buffer big enough for all.
 * Output buffers are heap blocks of exactly outlen bytes (ASan).
 *
 * Invariants (abort otherwise):
 *  - NUL-terminated within outlen, return value == strlen(out);
 *  - no byte < 0x20, no 0x7f;
 *  - valid UTF-8: minimal-length sequences only, no surrogates, nothing
 *    above U+10FFFF, no C1 control code points (U+0080..U+009F), and no
 *    format or bidi controls (U+061C, U+200B..U+200F, U+2028..U+202E,
 *    U+2060..U+2069, U+FEFF: checked here against its own list);
 *  - a smaller buffer yields a prefix of the full output (truncation never
 *    splits or changes characters);
 *  - sanitising the output again changes nothing;
 *  - printable ASCII input without NUL comes out unchanged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

static void check_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x20 || c == 0x7f)
			abort();
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
		else abort(); /* stray continuation byte or 0xf8..0xff */
		if (i + len > n)
			abort(); /* truncated sequence */
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			abort(); /* overlong, out of range, surrogate */
		if (cp >= 0x80 && cp <= 0x9f)
			abort(); /* C1 control: CSI (U+009B) and friends */
		if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff)
			abort(); /* format / bidi control: RLO shows gpj.exe as exe.jpg */
		i += len;
	}
}

static char *run(const char *in, size_t inlen, size_t outlen, size_t *ret)
{
	char *out = malloc(outlen ? outlen : 1);
	if (!out)
		abort();
	out[0] = 'X';
	*ret = mk_sanitize(in, inlen, out, outlen);
	if (outlen == 0) {
		if (*ret != 0 || out[0] != 'X')
			abort();
		out[0] = '\0';
		return out;
	}
	size_t n = strnlen(out, outlen);
	if (n == outlen || n != *ret)
		abort();
	check_utf8((const unsigned char *)out, n);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t small = data[0];
	const char *in = (const char *)data + 1;
	size_t inlen = size - 1;

	size_t rs, rf, ra;
	char *s = run(in, inlen, small, &rs);
	char *f = run(in, inlen, inlen + 1, &rf);
	if (rs > rf || memcmp(s, f, rs) != 0)
		abort(); /* the truncated output is not a prefix of the full one */
	char *again = run(f, rf, rf + 1, &ra);
	if (ra != rf || memcmp(again, f, rf) != 0)
		abort(); /* not idempotent */
	bool plain = true;
	for (size_t i = 0; i < inlen && plain; i++)
		plain = data[1 + i] >= 0x20 && data[1 + i] < 0x7f;
	if (plain && (rf != inlen || memcmp(f, in, inlen) != 0))
		abort(); /* printable ASCII must pass unchanged */
	free(s);
	free(f);
	free(again);
	return 0;
}
