/*
 * json.c - one-line JSON objects (see json.h).
 *
 * Why this is safe: every byte of a string goes out either as printable
 * ASCII other than '"' and '\\', as a short escape, as \u00XX, or as a
 * complete, minimal, non-surrogate UTF-8 sequence; anything else becomes
 * \ufffd. C1 controls and the format and bidi controls of mk_sanitize
 * (mk_is_format_control: U+202E and friends; U+2028/U+2029 are also line
 * breaks to some JSON readers) are escaped too, so the line shows no
 * reordering in a terminal and a JSON reader still gets the exact text.
 * Keys are the broker's own constants.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "sanitize.h"

/* Code point of the valid UTF-8 sequence at s (at most n bytes) and its
 * length in *len, or -1 when the sequence is invalid. */
static int32_t utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t l;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) { l = 2; cp = s[0] & 0x1f; }
	else if (s[0] >= 0xe0 && s[0] <= 0xef) { l = 3; cp = s[0] & 0x0f; }
	else if (s[0] >= 0xf0 && s[0] <= 0xf4) { l = 4; cp = s[0] & 0x07; }
	else return -1;
	if (l > n)
		return -1;
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = l;
	return (int32_t)cp;
}

static void ascii_escape(FILE *out, unsigned char c)
{
	switch (c) {
	case '"': fputs("\\\"", out); break;
	case '\\': fputs("\\\\", out); break;
	case '\n': fputs("\\n", out); break;
	case '\r': fputs("\\r", out); break;
	case '\t': fputs("\\t", out); break;
	case '\b': fputs("\\b", out); break;
	case '\f': fputs("\\f", out); break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void mk_json_string(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		if (s[i] < 0x80) {
			ascii_escape(out, s[i++]);
			continue;
		}
		size_t len = 0;
		int32_t cp = utf8_decode(s + i, n - i, &len);
		if (cp < 0) {
			fputs("\\ufffd", out);
			i++;
		} else if (cp <= 0x9f || mk_is_format_control((uint32_t)cp)) {
			fprintf(out, "\\u%04" PRIx32, (uint32_t)cp);
			i += len;
		} else {
			fwrite(s + i, 1, len, out);
			i += len;
		}
	}
	fputc('"', out);
}

/* Comma before a member if one came before at this level, then "key":. */
static void member(struct mk_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key) {
		mk_json_string(j->out, key, strlen(key));
		fputc(':', j->out);
	}
}

static void open_level(struct mk_json *j, const char *key, char c)
{
	if (j->depth + 1 >= MK_JSON_DEPTH) {
		j->refused++; /* caller bug: keep the output well-formed regardless */
		return;
	}
	member(j, key);
	fputc(c, j->out);
	j->depth++;
	j->need_comma[j->depth] = false;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

static void close_level(struct mk_json *j)
{
	if (j->refused) {
		j->refused--;
		return;
	}
	if (j->depth <= 1)
		return;
	fputc(j->closer[j->depth--], j->out);
}

void mk_json_begin(struct mk_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->refused = 0;
	j->need_comma[0] = false;
	fputc('{', out);
	j->depth = 1;
	j->need_comma[1] = false;
}

void mk_json_end(struct mk_json *j)
{
	j->refused = 0;
	while (j->depth > 1)
		close_level(j); /* never needed by correct callers; keeps the line valid */
	fputs("}\n", j->out);
	j->depth = 0;
	fflush(j->out);
}

void mk_json_str(struct mk_json *j, const char *key, const char *val)
{
	member(j, key);
	mk_json_string(j->out, val ? val : "", val ? strlen(val) : 0);
}

void mk_json_u64(struct mk_json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->out, "%" PRIu64, val);
}

void mk_json_i64(struct mk_json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->out, "%" PRId64, val);
}

void mk_json_bool(struct mk_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->out);
}

void mk_json_null(struct mk_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void mk_json_obj_open(struct mk_json *j, const char *key) { open_level(j, key, '{'); }
void mk_json_arr_open(struct mk_json *j, const char *key) { open_level(j, key, '['); }
void mk_json_obj_close(struct mk_json *j) { close_level(j); }
void mk_json_arr_close(struct mk_json *j) { close_level(j); }
