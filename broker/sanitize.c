/*
 * sanitize.c - terminal-safe copies of untrusted text.
 *
 * Why this is safe: output bytes are either printable ASCII (0x20..0x7e) or
 * a complete, minimal-length UTF-8 sequence for a code point that is not a
 * C1 control (U+0080..U+009F, which terminals may treat as CSI), not a
 * format or bidi control (format_controls below), not a surrogate and not
 * above U+10FFFF. A multi-byte sequence is copied only if it fits whole, so
 * truncation never leaves half a character.
 */
#include "sanitize.h"

/* Invisible characters that reorder or hide the text around them. One row
 * per range, with why; replaced by '?' (mk_sanitize), escaped as \uXXXX by
 * the --json writer. */
static const struct format_control {
	uint32_t first, last;
	const char *why;
} format_controls[] = {
	{ 0x061c, 0x061c, "ARABIC LETTER MARK: a bidi mark" },
	{ 0x200b, 0x200f, "zero width space / (non-)joiner, LRM, RLM: invisible, RLM reorders" },
	{ 0x2028, 0x202e, "line/paragraph separator (line breaks); LRE, RLE, PDF, LRO, RLO: "
			  "bidi embeddings and overrides (RLO turns gpj.exe into exe.jpg)" },
	{ 0x2060, 0x2069, "word joiner, invisible operators, LRI, RLI, FSI, PDI: invisible, "
			  "the isolates reorder" },
	{ 0xfeff, 0xfeff, "zero width no-break space (BOM): invisible" },
};

bool mk_is_format_control(uint32_t cp)
{
	for (size_t i = 0; i < sizeof format_controls / sizeof format_controls[0]; i++)
		if (cp >= format_controls[i].first && cp <= format_controls[i].last)
			return true;
	return false;
}

/* Length of the valid UTF-8 sequence at s (max n bytes) and its code point
 * in *cp, or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp_out)
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
	*cp_out = cp;
	return len;
}

/* Bytes of input the character at s[0..n) takes, and whether it may be
 * copied as is (else it becomes one '?'). */
static size_t next_char(const unsigned char *s, size_t n, int *keep)
{
	uint32_t cp = 0;
	size_t len = s[0] >= 0x20 && s[0] < 0x7f ? 1 : (s[0] >= 0x80 ? utf8_seq(s, n, &cp) : 0);
	*keep = len > 0 && !mk_is_format_control(cp);
	return len > 0 ? len : 1;
}

size_t mk_sanitize(const char *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, i = 0;
	if (outlen == 0)
		return 0;
	while (i < inlen && s[i] != '\0') {
		int keep;
		size_t len = next_char(s + i, inlen - i, &keep);
		size_t need = keep ? len : 1;
		if (o + need >= outlen)
			break;
		if (keep)
			for (size_t k = 0; k < len; k++)
				out[o++] = (char)s[i + k];
		else
			out[o++] = '?';
		i += len;
	}
	out[o] = '\0';
	return o;
}
