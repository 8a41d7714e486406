/*
 * control_prescan.c - counts a ControlRequest's list entries on the wire,
 * before protobuf-c unpacks it (see control_prescan.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_prescan.h"

struct wire {
	const uint8_t *p, *end;
};

static bool varint(struct wire *w, uint64_t *v)
{
	*v = 0;
	for (unsigned s = 0; s < 64 && w->p < w->end; s += 7) {
		uint8_t b = *w->p++;
		*v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* Next field: number, wire type, and for length-delimited its body. */
static bool field(struct wire *w, uint64_t *num, unsigned *type, struct wire *body)
{
	uint64_t tag, v;
	if (!varint(w, &tag) || (tag >> 3) == 0)
		return false;
	*num = tag >> 3, *type = (unsigned)(tag & 7);
	switch (*type) {
	case 0: return varint(w, &v);
	case 1: return (w->end - w->p) >= 8 ? (w->p += 8, true) : false;
	case 5: return (w->end - w->p) >= 4 ? (w->p += 4, true) : false;
	case 2:
		if (!varint(w, &v) || (uint64_t)(w->end - w->p) < v)
			return false;
		body->p = w->p, body->end = w->p + v;
		w->p += v;
		return true;
	default: return false;
	}
}

/* Varints in a packed body. */
static bool count_packed(struct wire b, size_t *n)
{
	uint64_t v;
	while (b.p < b.end) {
		if (!varint(&b, &v))
			return false;
		(*n)++;
	}
	return true;
}

/* The repeated fields of one ControlRequest member (bit N = field N). */
struct repeated {
	uint32_t ints;   /* int64 / enum lists: packed (one body, many varints) or not */
	uint32_t strs;   /* string lists: one entry per occurrence */
};

/* Entries of the repeated fields of one submessage. */
static bool count_repeated(struct wire w, struct repeated r, size_t *n)
{
	uint64_t num;
	unsigned type;
	struct wire body;
	while (w.p < w.end) {
		if (!field(&w, &num, &type, &body))
			return false;
		uint32_t bit = num < 32 ? 1u << num : 0;
		if ((r.ints & bit) && type == 2 && !count_packed(body, n))
			return false;
		*n += ((r.ints & bit) && type != 2) || (r.strs & bit);
	}
	return true;
}

/* ControlRequest member -> its repeated fields (ipc/control.proto). */
static struct repeated repeated_of(uint64_t member)
{
	switch (member) {
	case 3: return (struct repeated){ 1u << 2, 1u << 3 };        /* Ids: numbers, hashes */
	case 4: return (struct repeated){ 1u << 1, 0 };              /* TorrentGetArgs: fields */
	case 5: return (struct repeated){ 0x1f00u, 1u << 5 };        /* TorrentAddArgs: 8-12, labels */
	case 6: return (struct repeated){ 0x3eu, 1u << 10 };         /* TorrentSetArgs: 1-5, labels */
	case 9: return (struct repeated){ 0, 1u << 1 };              /* SessionGetArgs: fields */
	default: return (struct repeated){ 0, 0 };
	}
}

const char *mk_ctl_prescan(const uint8_t *buf, size_t len)
{
	struct wire w = { buf, buf + len }, body;
	uint64_t num;
	unsigned type;
	size_t n = 0;
	while (w.p < w.end) {
		if (!field(&w, &num, &type, &body))
			return "malformed wire format";
		struct repeated r = repeated_of(num);
		if ((r.ints | r.strs) && type == 2 && !count_repeated(body, r, &n))
			return "malformed wire format";
		if (n > MK_CTL_PRESCAN_MAX)
			return "too many list entries in one request";
	}
	return NULL;
}

