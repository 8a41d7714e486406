/*
 * sanitize.c - terminal-safe copies of untrusted text.
 *
 * Why this is safe: output bytes are either printable ASCII (0x20..0x7e) or
 * a complete, minimal-length UTF-8 sequence for a code point that is not a
 * C1 control (U+0080..U+009F, which terminals may treat as CSI), not a
 * surrogate and not above U+10FFFF. A multi-byte sequence is copied only if
 * it fits whole, so truncation never leaves half a character.
 */
#include <stdint.h>
#include "sanitize.h"

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) { len = 2; cp = s[0] & 0x1f; }
	else if (s[0] >= 0xe0 && s[0] <= 0xef) { len = 3; cp = s[0] & 0x0f; }
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) { len = 4; cp = s[0] & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f)
		return 0; /* C1 controls */
	return len;
}

size_t mk_sanitize(const char *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, i = 0;
	if (outlen == 0)
		return 0;
	while (i < inlen && s[i] != '\0') {
		size_t len = s[i] >= 0x20 && s[i] < 0x7f ? 1 : (s[i] >= 0x80 ? utf8_seq(s + i, inlen - i) : 0);
		if (len == 0) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + len >= outlen)
			break;
		for (size_t k = 0; k < len; k++)
			out[o++] = (char)s[i + k];
		i += len;
	}
	out[o] = '\0';
	return o;
}
