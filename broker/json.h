/*
 * json.h - a minimal writer for one-line JSON objects (--json output).
 *
 * Contract: the caller opens an object, adds members, closes it; the writer
 * places commas, and mk_json_end() ends the line and flushes, so every line
 * on the stream is one complete JSON object. Strings may come from the
 * hostile engine: mk_json_string() writes any bytes as a valid JSON string
 * (quotes, backslash, control characters and the format/bidi controls of
 * mk_is_format_control escaped; invalid UTF-8 replaced by U+FFFD), so no
 * input can break the line or the syntax. Nesting deeper
 * than MK_JSON_DEPTH is a programming error and is ignored.
 */
#ifndef MEERKO_BROKER_JSON_H
#define MEERKO_BROKER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MK_JSON_DEPTH 8

struct mk_json {
	FILE *out;
	int depth;
	int refused;                    /* opens refused for depth, still to close */
	bool need_comma[MK_JSON_DEPTH];
	char closer[MK_JSON_DEPTH];
};

/* Writes s[0..n) as a quoted JSON string. */
void mk_json_string(FILE *out, const char *s, size_t n);

void mk_json_begin(struct mk_json *j, FILE *out);        /* "{" */
void mk_json_end(struct mk_json *j);                     /* "}\n", flush */
void mk_json_str(struct mk_json *j, const char *key, const char *val);
void mk_json_u64(struct mk_json *j, const char *key, uint64_t val);
void mk_json_i64(struct mk_json *j, const char *key, int64_t val);
void mk_json_bool(struct mk_json *j, const char *key, bool val);
void mk_json_null(struct mk_json *j, const char *key);
/* key = NULL inside an array. */
void mk_json_obj_open(struct mk_json *j, const char *key);
void mk_json_arr_open(struct mk_json *j, const char *key);
void mk_json_obj_close(struct mk_json *j);
void mk_json_arr_close(struct mk_json *j);

#endif
