/*
 * scan_core.c - needles and findings: what every decoder (proto.c,
 * bep37.c) and the packet dispatch (scan.c) report through (contract in
 * scan.h). Calls no decoder: the layers run dispatch -> decoders -> core.
 */
#include "scan.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_scan_init(struct lt_scan *s, int anonymous, int socks, size_t stream_limit)
{
	memset(s, 0, sizeof(*s));
	s->anonymous = anonymous;
	s->socks = socks;
	lt_streams_init(&s->streams, stream_limit);
}

void lt_scan_free(struct lt_scan *s)
{
	lt_streams_free(&s->streams);
	free(s->f);
	s->f = NULL;
	s->nf = s->capf = 0;
}

int lt_scan_add_needle(struct lt_scan *s, const char *name, const void *b, size_t len, int icase)
{
	if (len == 0 || len > sizeof(s->needles[0].b) || s->n_needles == LT_NEEDLE_MAX)
		return -1;
	struct lt_needle *n = &s->needles[s->n_needles++];
	snprintf(n->name, sizeof(n->name), "%s", name);
	memcpy(n->b, b, len);
	n->len = len;
	n->icase = icase;
	return 0;
}

void lt_scan_add_addr_needles(struct lt_scan *s, const char *label, const struct lt_addr *a)
{
	char txt[64], name[96];
	lt_addr_str(a, txt, sizeof(txt));
	snprintf(name, sizeof(name), "%s %s (binary)", label, txt);
	lt_scan_add_needle(s, name, a->b, a->family == 4 ? 4 : 16, 0);
	snprintf(name, sizeof(name), "%s %s (text)", label, txt);
	lt_scan_add_needle(s, name, txt, strlen(txt), 1);
}

void lt_scan_report(struct lt_scan *s, enum lt_fkind kind, int fails, const char *where,
		    const char *fmt, ...)
{
	struct lt_finding nf = { .kind = kind, .fails = fails, .count = 1 };
	snprintf(nf.where, sizeof(nf.where), "%s", where ? where : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(nf.what, sizeof(nf.what), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->nf; i++) {
		struct lt_finding *f = &s->f[i];
		if (f->kind == kind && f->fails == fails && strcmp(f->where, nf.where) == 0 &&
		    strcmp(f->what, nf.what) == 0) {
			f->count++;
			return;
		}
	}
	if (s->nf == s->capf) {
		size_t nc = s->capf ? s->capf * 2 : 16;
		struct lt_finding *v = realloc(s->f, nc * sizeof(*v));
		if (!v) {
			s->lost++; /* lt_scan_failures() counts it: no silent pass */
			return;
		}
		s->f = v;
		s->capf = nc;
	}
	s->f[s->nf++] = nf;
}

size_t lt_scan_failures(const struct lt_scan *s)
{
	size_t n = s->lost;
	for (size_t i = 0; i < s->nf; i++)
		n += s->f[i].fails != 0;
	return n;
}

char *lt_printable(const uint8_t *d, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return out;
	for (size_t i = 0; i < len && o + 5 < outlen; i++) {
		if (d[i] >= 0x20 && d[i] < 0x7f && d[i] != '\\')
			out[o++] = (char)d[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", d[i]);
	}
	out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}

static const uint8_t *find_icase(const uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
	if (nl > hl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++) {
		if (tolower(h[i]) != tolower(n[0]))
			continue;
		size_t j = 1;
		while (j < nl && tolower(h[i + j]) == tolower(n[j]))
			j++;
		if (j == nl)
			return h + i;
	}
	return NULL;
}

static const uint8_t *find(const struct lt_needle *n, const uint8_t *d, size_t len)
{
	return n->icase ? find_icase(d, len, n->b, n->len) : memmem(d, len, n->b, n->len);
}

void lt_scan_needles_except(struct lt_scan *s, const char *where, const uint8_t *d, size_t len,
			    const uint8_t *seen, size_t seen_len)
{
	for (size_t i = 0; i < s->n_needles; i++) {
		const struct lt_needle *n = &s->needles[i];
		const uint8_t *hit = find(n, d, len);
		if (!hit || (seen && find(n, seen, seen_len)))
			continue;
		size_t at = (size_t)(hit - d);
		size_t from = at > 16 ? at - 16 : 0;
		size_t to = at + n->len + 16 < len ? at + n->len + 16 : len;
		char ctx[200];
		lt_printable(d + from, to - from, ctx, sizeof(ctx));
		lt_scan_report(s, LT_F_NEEDLE, 1, where, "%s found at byte %zu: \"%s\"", n->name, at,
			       ctx);
	}
}

void lt_scan_needles(struct lt_scan *s, const char *where, const uint8_t *d, size_t len)
{
	lt_scan_needles_except(s, where, d, len, NULL, 0);
}
