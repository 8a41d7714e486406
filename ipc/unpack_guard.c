/*
 * unpack_guard.c - bounded unpacking of engine messages (see unpack_guard.h).
 *
 * Contract: mk_e2b_prescan reads only buf[0..len), allocates nothing and
 * is linear in len; it is stricter than protobuf-c (groups and truncated
 * fields are refused), never looser. The budget allocator refuses a block
 * once live + size + overhead would pass the limit, and never lets the
 * accounting overflow.
 */
#include "unpack_guard.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* ---- prescan: the top-level wire format, counted, not decoded ---- */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_FIXED32 = 5 };

/* Field numbers in meerko.proto (EngineToBroker and its members). */
enum { E2B_STATUS = 2, E2B_FILE_LIST = 20, E2B_EXIT_REPORT = 21, STATUS_TORRENTS = 1, FILE_LIST_FILES = 2,
       EXIT_REPORT_SEEN = 1 };

struct wire {
	const uint8_t *p, *end;
};

/* One field: its number, and for WT_LEN its body. */
struct wire_field {
	uint64_t number;
	const uint8_t *body;
	size_t body_len;
};

static bool read_varint(struct wire *w, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64 && w->p < w->end; shift += 7) {
		uint8_t b = *w->p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false; /* truncated, or longer than 10 bytes */
}

static bool skip(struct wire *w, uint64_t n)
{
	if ((uint64_t)(w->end - w->p) < n)
		return false;
	w->p += n;
	return true;
}

/* Reads the next field; false on anything protobuf-c would not accept or
 * our engine never sends (groups, bad lengths). */
static bool next_field(struct wire *w, struct wire_field *f)
{
	uint64_t tag, v;
	if (!read_varint(w, &tag))
		return false;
	f->number = tag >> 3;
	f->body = NULL;
	f->body_len = 0;
	switch (tag & 7) {
	case WT_VARINT: return f->number != 0 && read_varint(w, &v);
	case WT_FIXED64: return f->number != 0 && skip(w, 8);
	case WT_FIXED32: return f->number != 0 && skip(w, 4);
	case WT_LEN:
		if (f->number == 0 || !read_varint(w, &v) || (uint64_t)(w->end - w->p) < v)
			return false;
		f->body = w->p;
		f->body_len = (size_t)v;
		w->p += v;
		return true;
	default: return false;
	}
}

/* Adds the fields numbered `number` in buf to *count; false if malformed. */
static bool count_fields(const uint8_t *buf, size_t len, uint64_t number, size_t *count)
{
	struct wire w = { buf, buf + len };
	struct wire_field f;
	while (w.p < w.end) {
		if (!next_field(&w, &f))
			return false;
		*count += f.number == number;
	}
	return true;
}

const char *mk_e2b_prescan(const uint8_t *buf, size_t len)
{
	struct wire w = { buf, buf + len };
	struct wire_field f;
	size_t torrents = 0, files = 0, seen = 0;
	while (w.p < w.end) {
		if (!next_field(&w, &f))
			return "malformed wire format";
		bool ok = true;
		if (f.number == E2B_STATUS && f.body)
			ok = count_fields(f.body, f.body_len, STATUS_TORRENTS, &torrents);
		else if (f.number == E2B_FILE_LIST && f.body)
			ok = count_fields(f.body, f.body_len, FILE_LIST_FILES, &files);
		else if (f.number == E2B_EXIT_REPORT && f.body)
			ok = count_fields(f.body, f.body_len, EXIT_REPORT_SEEN, &seen);
		if (!ok)
			return "malformed wire format";
		if (torrents > MK_MAX_TORRENTS)
			return "status for more torrents than the broker can add";
		if (files > MK_MAX_FILES)
			return "file list longer than the file limit";
		if (seen > MK_MAX_EXIT_SEEN)
			return "too many exit observations";
	}
	return NULL;
}

/* ---- the budget allocator ---- */

/* Each block starts with its size, padded so the payload stays aligned. */
union block_header {
	size_t size;
	max_align_t align;
};

static size_t block_cost(size_t size)
{
	return size + sizeof(union block_header) + MK_UNPACK_BLOCK_OVERHEAD;
}

static void *budget_alloc(void *data, size_t size)
{
	struct mk_unpack_budget *b = data;
	if (size > b->limit || block_cost(size) > b->limit - b->live) {
		b->exhausted = 1;
		return NULL;
	}
	union block_header *h = malloc(sizeof *h + size);
	if (h == NULL)
		return NULL;
	h->size = size;
	b->live += block_cost(size);
	if (b->live > b->peak)
		b->peak = b->live;
	return h + 1;
}

static void budget_free(void *data, void *p)
{
	if (p == NULL)
		return;
	union block_header *h = (union block_header *)p - 1;
	struct mk_unpack_budget *b = data;
	if (b != NULL)
		b->live -= block_cost(h->size);
	free(h);
}

/* free_unpacked only frees; an alloc through this one is refused. */
static void *refuse_alloc(void *data, size_t size)
{
	(void)data;
	(void)size;
	return NULL;
}

ProtobufCAllocator mk_unpack_free_allocator = {
	.alloc = refuse_alloc,
	.free = budget_free,
	.allocator_data = NULL,
};

void mk_unpack_budget_init(struct mk_unpack_budget *b, size_t limit)
{
	b->alloc.alloc = budget_alloc;
	b->alloc.free = budget_free;
	b->alloc.allocator_data = b;
	b->limit = limit;
	b->live = b->peak = 0;
	b->exhausted = 0;
}
