/*
 * bencode.c - bounded bencode walking (contract in bencode.h).
 */
#include "bencode.h"

#include <string.h>

/* "<digits>:" string header: returns header length, sets *slen; 0 on error. */
static size_t str_header(const uint8_t *d, size_t len, size_t *slen)
{
	size_t i = 0, n = 0;
	while (i < len && i < 20 && d[i] >= '0' && d[i] <= '9') {
		n = n * 10 + (size_t)(d[i] - '0');
		i++;
	}
	if (i == 0 || i >= len || d[i] != ':' || n > len - i - 1)
		return 0;
	*slen = n;
	return i + 1;
}

static size_t skip(const uint8_t *d, size_t len, int depth)
{
	if (len == 0 || depth > LT_BENC_MAX_DEPTH)
		return 0;
	if (d[0] == 'i') {
		for (size_t i = 1; i < len && i < 24; i++)
			if (d[i] == 'e')
				return i > 1 ? i + 1 : 0;
		return 0;
	}
	if (d[0] == 'l' || d[0] == 'd') {
		size_t off = 1;
		while (off < len && d[off] != 'e') {
			size_t n = skip(d + off, len - off, depth + 1);
			if (n == 0)
				return 0;
			off += n;
		}
		return off < len ? off + 1 : 0;
	}
	size_t slen, h = str_header(d, len, &slen);
	return h ? h + slen : 0;
}

size_t lt_bskip(const uint8_t *d, size_t len)
{
	return skip(d, len, 0);
}

int lt_bdict_get(const uint8_t *d, size_t len, const char *key, const uint8_t **val,
		 size_t *vlen)
{
	if (len < 2 || d[0] != 'd')
		return -1;
	size_t klen = strlen(key), off = 1;
	while (off < len && d[off] != 'e') {
		size_t slen, h = str_header(d + off, len - off, &slen);
		if (h == 0)
			return -1;
		const uint8_t *k = d + off + h;
		off += h + slen;
		size_t n = skip(d + off, len - off, 1);
		if (n == 0)
			return -1;
		if (slen == klen && memcmp(k, key, klen) == 0) {
			size_t vs, vh = str_header(d + off, n, &vs);
			if (vh && vh + vs == n) {
				*val = d + off + vh;
				*vlen = vs;
			} else {
				*val = d + off;
				*vlen = n;
			}
			return 1;
		}
		off += n;
	}
	return off < len ? 0 : -1;
}

int lt_bdict_each(const uint8_t *d, size_t len, lt_bdict_fn fn, void *ctx)
{
	if (len < 2 || d[0] != 'd')
		return -1;
	size_t off = 1;
	int n = 0;
	while (off < len && d[off] != 'e') {
		size_t slen, h = str_header(d + off, len - off, &slen);
		if (h == 0)
			return -1;
		const uint8_t *k = d + off + h;
		off += h + slen;
		size_t vn = skip(d + off, len - off, 1);
		if (vn == 0)
			return -1;
		fn(k, slen, d + off, vn, ctx);
		n++;
		off += vn;
	}
	return off < len ? n : -1;
}

int lt_bint(const uint8_t *d, size_t len, long long *out)
{
	if (len < 3 || d[0] != 'i')
		return 0;
	size_t i = 1;
	int neg = d[1] == '-';
	i += (size_t)neg;
	long long v = 0;
	size_t start = i;
	for (; i < len && i < 20 && d[i] >= '0' && d[i] <= '9'; i++)
		v = v * 10 + (d[i] - '0');
	if (i == start || i >= len || d[i] != 'e')
		return 0;
	*out = neg ? -v : v;
	return 1;
}
