/*
 * stream.c - TCP stream prefixes (contract in stream.h).
 */
#include "stream.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

void lt_streams_init(struct lt_streams *s, size_t limit)
{
	memset(s, 0, sizeof(*s));
	s->limit = limit;
}

static struct lt_stream *find(struct lt_streams *s, const struct lt_pkt *p)
{
	for (size_t i = s->n; i-- > 0;) {
		struct lt_stream *st = &s->v[i];
		if (st->sport == p->sport && st->dport == p->dport && lt_addr_eq(&st->src, &p->src) &&
		    lt_addr_eq(&st->dst, &p->dst))
			return st;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct lt_stream *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		s->v = nv;
		s->cap = nc;
	}
	struct lt_stream *st = &s->v[s->n++];
	memset(st, 0, sizeof(*st));
	st->src = p->src;
	st->dst = p->dst;
	st->sport = p->sport;
	st->dport = p->dport;
	return st;
}

int lt_stream_add(struct lt_streams *s, const struct lt_pkt *p)
{
	if (p->proto != IPPROTO_TCP || p->truncated || p->fragment)
		return 1;
	struct lt_stream *st = find(s, p);
	if (!st)
		return -1;
	if (p->tcp_flags & LT_TCP_SYN) {
		/* a new connection on a reused 4-tuple starts over */
		st->base = p->tcp_seq + 1;
		st->have_base = 1;
		st->len = st->stored = 0;
		st->beyond = 0;
		if (st->buf)
			memset(st->buf, 0, s->limit);
		return 1;
	}
	if (p->payload_len == 0)
		return 1;
	if (!st->have_base) {
		st->base = p->tcp_seq;
		st->have_base = 1;
	}
	uint32_t off32 = p->tcp_seq - st->base;
	if (off32 > 0x7fffffffu) /* before the base: an old retransmission */
		return 1;
	size_t off = off32;
	if (off >= s->limit) {
		st->beyond = 1;
		return 0;
	}
	if (!st->buf) {
		st->buf = calloc(1, s->limit);
		if (!st->buf)
			return -1;
	}
	size_t n = p->payload_len;
	int all = 1;
	if (n > s->limit - off) {
		n = s->limit - off;
		st->beyond = 1;
		all = 0;
	}
	memcpy(st->buf + off, p->payload, n);
	st->stored += n;
	if (off + n > st->len)
		st->len = off + n;
	return all;
}

void lt_streams_free(struct lt_streams *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].buf);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
