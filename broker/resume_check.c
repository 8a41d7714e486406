/*
 * resume_check.c - strict bencode parsing and the resume data schema
 * (see resume_check.h).
 *
 * Contract: reads only in[0..len), recursion bounded by
 * MK_RESUME_MAX_DEPTH, time linear in len. Canonical bencode means: integers
 * without leading zeros, "+" or "-0" and within int64; string lengths
 * without leading zeros; dictionary keys are strings in strictly increasing
 * byte order (so no duplicates); nothing after the top-level value. Only
 * the value of "info" may have dictionary keys in any order (see the
 * header). The output is the input's top-level dict with only the kept
 * entries: each entry is copied as the canonical bytes it was checked as.
 */
#include "resume_check.h"
#include "engine_msg.h" /* MK_MAX_RESUME */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(MK_RESUME_MAX_BYTES == MK_MAX_RESUME, "one limit for resume data");

/* ---- strict bencode ---- */

struct bparser {
	const uint8_t *p, *end;
	int depth;
};

struct bstr {
	const uint8_t *s;
	size_t n;
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Digits up to `stop`, no leading zero (a lone "0" is fine), < 2^63. */
static bool parse_digits(struct bparser *ps, uint8_t stop, uint64_t *v)
{
	const uint8_t *start = ps->p;
	*v = 0;
	while (ps->p < ps->end && is_digit(*ps->p)) {
		if (*v > (INT64_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(*ps->p++ - '0');
	}
	size_t n = (size_t)(ps->p - start);
	if (n == 0 || (n > 1 && *start == '0') || ps->p >= ps->end || *ps->p != stop)
		return false;
	ps->p++;
	return true;
}

static bool parse_str(struct bparser *ps, struct bstr *out)
{
	uint64_t n;
	if (!parse_digits(ps, ':', &n) || n > (uint64_t)(ps->end - ps->p))
		return false;
	out->s = ps->p;
	out->n = (size_t)n;
	ps->p += n;
	return true;
}

static bool parse_int(struct bparser *ps, int64_t *v)
{
	uint64_t mag;
	ps->p++; /* 'i' */
	bool neg = ps->p < ps->end && *ps->p == '-';
	ps->p += neg;
	if (!parse_digits(ps, 'e', &mag) || (neg && mag == 0))
		return false; /* "-0" is not canonical */
	*v = neg ? -(int64_t)mag : (int64_t)mag;
	return true;
}

/* a < b in bencode's key order (raw bytes, a prefix first). */
static bool key_less(const struct bstr *a, const struct bstr *b)
{
	int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
	return c < 0 || (c == 0 && a->n < b->n);
}

static bool parse_value(struct bparser *ps, bool sorted);

static bool parse_list(struct bparser *ps, bool sorted)
{
	ps->p++; /* 'l' */
	while (ps->p < ps->end && *ps->p != 'e')
		if (!parse_value(ps, sorted))
			return false;
	if (ps->p >= ps->end)
		return false;
	ps->p++;
	return true;
}

static bool parse_dict(struct bparser *ps, bool sorted)
{
	struct bstr prev = { NULL, 0 }, key;
	bool first = true;
	ps->p++; /* 'd' */
	while (ps->p < ps->end && *ps->p != 'e') {
		if (!parse_str(ps, &key) || (sorted && !first && !key_less(&prev, &key)))
			return false;
		if (!parse_value(ps, sorted))
			return false;
		prev = key;
		first = false;
	}
	if (ps->p >= ps->end)
		return false;
	ps->p++;
	return true;
}

/* Any one value, checked for well-formedness; sorted: keys in order. */
static bool parse_value(struct bparser *ps, bool sorted)
{
	if (ps->p >= ps->end || ps->depth >= MK_RESUME_MAX_DEPTH)
		return false;
	ps->depth++;
	bool ok;
	struct bstr s;
	int64_t v;
	switch (*ps->p) {
	case 'i': ok = parse_int(ps, &v); break;
	case 'l': ok = parse_list(ps, sorted); break;
	case 'd': ok = parse_dict(ps, sorted); break;
	default: ok = parse_str(ps, &s); break;
	}
	ps->depth--;
	return ok;
}

/* ---- the schema: libtorrent 2.0.8's write_resume_data(), key by key ---- */

enum rtype {
	R_DROP,       /* never stored, whatever its value */
	R_INT,        /* integer in [min, max] */
	R_STR,        /* string of [min, max] bytes, each byte <= byte_max */
	R_TEXT,       /* exactly the string `text` */
	R_INT_LIST,   /* list of at most max integers, each in [0, byte_max] */
	R_INFO,       /* a dictionary, any key order, kept verbatim */
};

struct resume_key {
	const char *key;
	enum rtype type;
	int64_t min, max;
	unsigned byte_max;
	const char *text;
	bool required;        /* missing or bad: the whole data is refused */
	const char *reason;
};

#define T40 (1ll << 40)  /* seconds or a posix time: 34000 years */
#define B62 (1ll << 62)  /* byte counters */

/* Sorted by key (bencode order) for readability only; lookup is linear. */
static const struct resume_key schema[] = {
	{ "active_time", R_INT, 0, T40, 0, NULL, false, "statistics: seconds active" },
	{ "added_time", R_INT, 0, T40, 0, NULL, false, "statistics: when it was added" },
	{ "allocation", R_DROP, 0, 0, 0, NULL, false, "storage mode: the engine's default" },
	{ "apply_ip_filter", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "auto_managed", R_DROP, 0, 0, 0, NULL, false, "flag: the shim sets it (never)" },
	{ "banned_peers", R_DROP, 0, 0, 0, NULL, false, "peer list: engine-chosen addresses" },
	{ "banned_peers6", R_DROP, 0, 0, 0, NULL, false, "peer list: engine-chosen addresses" },
	{ "comment", R_DROP, 0, 0, 0, NULL, false, "text outside the info-hash: engine-chosen" },
	{ "completed_time", R_INT, 0, T40, 0, NULL, false, "statistics: when it completed" },
	{ "created by", R_DROP, 0, 0, 0, NULL, false, "text outside the info-hash: engine-chosen" },
	{ "creation date", R_DROP, 0, 0, 0, NULL, false, "outside the info-hash: engine-chosen" },
	{ "disable_dht", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "disable_lsd", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "disable_pex", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "download_rate_limit", R_DROP, 0, 0, 0, NULL, false, "limit: the broker's settings decide" },
	{ "file-format", R_TEXT, 0, 0, 0, "libtorrent resume file", true, "read_resume_data requires it" },
	{ "file-version", R_INT, 1, 1, 0, NULL, true, "read_resume_data requires it" },
	{ "file_priority", R_INT_LIST, 0, 1 << 20, 7, NULL, false, "the --files choice, 0..7 per file" },
	{ "finished_time", R_INT, 0, T40, 0, NULL, false, "statistics: seconds finished" },
	{ "httpseeds", R_DROP, 0, 0, 0, NULL, false, "web seeds: engine-chosen URLs" },
	{ "info", R_INFO, 0, 0, 0, NULL, false, "metadata: bound to the info-hash by the shim" },
	{ "info-hash", R_STR, 20, 20, 255, NULL, true, "v1 info-hash (zeros for v2-only)" },
	{ "info-hash2", R_STR, 32, 32, 255, NULL, false, "v2 info-hash (zeros for v1-only)" },
	{ "last_download", R_INT, 0, T40, 0, NULL, false, "statistics: posix time" },
	{ "last_seen_complete", R_INT, 0, T40, 0, NULL, false, "statistics: posix time" },
	{ "last_upload", R_INT, 0, T40, 0, NULL, false, "statistics: posix time" },
	{ "libtorrent-version", R_DROP, 0, 0, 0, NULL, false, "text: read by nobody" },
	{ "mapped_files", R_DROP, 0, 0, 0, NULL, false, "renamed files: engine-chosen paths" },
	{ "max_connections", R_DROP, 0, 0, 0, NULL, false, "limit: the broker's settings decide" },
	{ "max_uploads", R_DROP, 0, 0, 0, NULL, false, "limit: the broker's settings decide" },
	{ "name", R_DROP, 0, 0, 0, NULL, false, "text: the metadata or the user's magnet names it" },
	{ "num_complete", R_INT, -1, 1 << 24, 0, NULL, false, "scrape count (0xffffff: unknown)" },
	{ "num_downloaded", R_INT, -1, 1 << 24, 0, NULL, false, "scrape count (0xffffff: unknown)" },
	{ "num_incomplete", R_INT, -1, 1 << 24, 0, NULL, false, "scrape count (0xffffff: unknown)" },
	{ "paused", R_DROP, 0, 0, 0, NULL, false, "flag: the shim sets it (never)" },
	{ "peers", R_DROP, 0, 0, 0, NULL, false, "peer list: engine-chosen addresses" },
	{ "peers6", R_DROP, 0, 0, 0, NULL, false, "peer list: engine-chosen addresses" },
	{ "piece_priority", R_STR, 0, MK_RESUME_MAX_BYTES, 7, NULL, false, "per piece, 0..7" },
	{ "pieces", R_STR, 0, MK_RESUME_MAX_BYTES, 3, NULL, false,
	  "per piece: bit 1 have, bit 2 verified (dropped after an unclean stop)" },
	{ "save_path", R_DROP, 0, 0, 0, NULL, false, "the shim always uses the broker's" },
	{ "seed_mode", R_DROP, 0, 0, 0, NULL, false, "flag: would skip checking every piece" },
	{ "seeding_time", R_INT, 0, T40, 0, NULL, false, "statistics: seconds seeding" },
	{ "sequential_download", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's --sequential" },
	{ "share_mode", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "stop_when_ready", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "super_seeding", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "total_downloaded", R_INT, 0, B62, 0, NULL, false, "statistics: bytes" },
	{ "total_uploaded", R_INT, 0, B62, 0, NULL, false, "statistics: bytes" },
	{ "trackers", R_DROP, 0, 0, 0, NULL, false, "engine-chosen URLs: the user's input names them" },
	{ "trees", R_DROP, 0, 0, 0, NULL, false, "v2 merkle trees and 'verified' claims" },
	{ "unfinished", R_DROP, 0, 0, 0, NULL, false, "claims about partial pieces" },
	{ "upload_mode", R_DROP, 0, 0, 0, NULL, false, "flag: the broker's settings decide" },
	{ "upload_rate_limit", R_DROP, 0, 0, 0, NULL, false, "limit: the broker's settings decide" },
	{ "url-list", R_DROP, 0, 0, 0, NULL, false, "web seeds: engine-chosen URLs" },
};

static const struct resume_key *schema_row(const struct bstr *key)
{
	for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
		if (strlen(schema[i].key) == key->n && memcmp(schema[i].key, key->s, key->n) == 0)
			return &schema[i];
	return NULL; /* unknown: dropped */
}

static size_t required_rows(void)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
		n += schema[i].required;
	return n;
}

/* ---- checking one value against its row ---- */

static bool str_ok(const struct resume_key *r, const struct bstr *s)
{
	if ((int64_t)s->n < r->min || (int64_t)s->n > r->max)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->s[i] > r->byte_max)
			return false;
	return true;
}

static bool int_list_ok(const struct resume_key *r, struct bparser *ps)
{
	int64_t v, n = 0;
	ps->p++; /* 'l' */
	while (ps->p < ps->end && *ps->p == 'i') {
		if (!parse_int(ps, &v) || v < 0 || v > (int64_t)r->byte_max || ++n > r->max)
			return false;
	}
	return ps->p < ps->end && *ps->p++ == 'e';
}

/* The value at ps (already known well-formed) fits its row. */
static bool value_ok(const struct resume_key *r, struct bparser ps)
{
	struct bstr s;
	int64_t v;
	uint8_t c = *ps.p;
	switch (r->type) {
	case R_INT: return c == 'i' && parse_int(&ps, &v) && v >= r->min && v <= r->max;
	case R_STR: return is_digit(c) && parse_str(&ps, &s) && str_ok(r, &s);
	case R_TEXT:
		return is_digit(c) && parse_str(&ps, &s) && s.n == strlen(r->text) &&
		       memcmp(s.s, r->text, s.n) == 0;
	case R_INT_LIST: return c == 'l' && int_list_ok(r, &ps);
	case R_INFO: return c == 'd';
	case R_DROP: return false;
	}
	return false;
}

/* ---- the top-level dictionary ---- */

struct entry_span {
	const uint8_t *start;   /* the key's first byte */
	size_t len;             /* key + value */
};

static int refuse(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "resume data refused: %s", what);
	return -1;
}

static bool keep_row(const struct resume_key *r, unsigned flags)
{
	return r && r->type != R_DROP && !((flags & MK_RESUME_DROP_PIECES) && strcmp(r->key, "pieces") == 0);
}

/* Parses the next entry of the top-level dict; sets *row and the span. */
static bool next_entry(struct bparser *ps, const struct bstr *prev, struct bstr *key,
		       const struct resume_key **row, bool *ok, struct entry_span *span)
{
	span->start = ps->p;
	if (!parse_str(ps, key) || (prev->s && !key_less(prev, key)))
		return false;
	*row = schema_row(key);
	struct bparser at = *ps;
	/* only "info" may be unsorted inside; everything else is canonical */
	if (!parse_value(ps, !(*row && (*row)->type == R_INFO)))
		return false;
	*ok = *row && value_ok(*row, at);
	span->len = (size_t)(ps->p - span->start);
	return true;
}

static void append(struct mk_resume_clean *out, const void *p, size_t n)
{
	memcpy(out->data + out->len, p, n);
	out->len += n;
}

/* Walks the dict, copying kept entries; counts the required ones seen. */
static int filter_dict(struct bparser *ps, unsigned flags, struct mk_resume_clean *out,
		       char *why, size_t whylen)
{
	struct bstr prev = { NULL, 0 }, key;
	size_t required = 0;
	ps->p++; /* 'd' */
	append(out, "d", 1);
	while (ps->p < ps->end && *ps->p != 'e') {
		const struct resume_key *row;
		struct entry_span span;
		bool ok;
		if (!next_entry(ps, &prev, &key, &row, &ok, &span))
			return refuse(why, whylen, "not canonical bencode");
		if (row && row->required && !ok)
			return refuse(why, whylen, "a required key has a wrong value");
		required += row && row->required;
		if (ok && keep_row(row, flags)) {
			append(out, span.start, span.len);
			out->kept++;
		} else {
			out->dropped++;
		}
		prev = key;
	}
	if (ps->p >= ps->end)
		return refuse(why, whylen, "truncated");
	ps->p++;
	append(out, "e", 1);
	if (required != required_rows())
		return refuse(why, whylen, "file-format, file-version or info-hash missing");
	return ps->p == ps->end ? 0 : refuse(why, whylen, "bytes after the dictionary");
}

int mk_resume_clean(const uint8_t *in, size_t len, unsigned flags, struct mk_resume_clean *out,
		    char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	if (in == NULL || len == 0 || len > MK_RESUME_MAX_BYTES)
		return refuse(why, whylen, "empty or larger than 8 MiB");
	if (in[0] != 'd')
		return refuse(why, whylen, "not a dictionary");
	out->data = malloc(len); /* the output is a subset of the input's bytes */
	if (out->data == NULL)
		return refuse(why, whylen, "out of memory");
	struct bparser ps = { in, in + len, 1 };
	if (filter_dict(&ps, flags, out, why, whylen) != 0) {
		free(out->data);
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}
