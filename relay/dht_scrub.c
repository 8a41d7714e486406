/*
 * dht_scrub.c - remove "v" from the engine's DHT messages, drop the ones
 * that are not canonical bencode (see dht_scrub.h).
 *
 * Why this is safe: skip() reads only b[pos..len), checks every index
 * before use, never allocates, and recurses at most MK_DHT_SCRUB_DEPTH
 * deep; string lengths are checked against what is left before they are
 * added. The payload is changed only after the whole of it validated, and
 * only ever shortened.
 *
 * Canonical, as BEP 3 defines it and libtorrent writes it: integers
 * "i0e" or "i-?[1-9][0-9]*e" (no "-0", no leading zero); string lengths
 * "0" or "[1-9][0-9]*"; dictionary keys strings in strictly increasing
 * byte order (so none repeats); one value, nothing after it.
 */
#include <string.h>

#include "dht_scrub.h"

/* A string's bytes: b[start .. start + n). */
struct span {
	size_t start, n;
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Digits at b[pos..): "0" or no leading zero. Returns the end, or 0. */
static size_t skip_digits(const uint8_t *b, size_t len, size_t pos)
{
	size_t start = pos;
	while (pos < len && is_digit(b[pos]))
		pos++;
	if (pos == start || (b[start] == '0' && pos - start > 1))
		return 0;
	return pos;
}

static size_t skip(const uint8_t *b, size_t len, size_t pos, int depth);

/* "i0e" | "i-?[1-9][0-9]*e"; returns the end, or 0. */
static size_t skip_int(const uint8_t *b, size_t len, size_t pos)
{
	pos++;
	bool neg = pos < len && b[pos] == '-';
	size_t digits = pos + neg, end = skip_digits(b, len, digits);
	if (end == 0 || (neg && b[digits] == '0'))
		return 0; /* "-0", "-01" */
	return end < len && b[end] == 'e' ? end + 1 : 0;
}

/* "N:bytes"; returns the end, or 0; *s gets the bytes. */
static size_t skip_str(const uint8_t *b, size_t len, size_t pos, struct span *s)
{
	size_t end = skip_digits(b, len, pos), n = 0;
	if (end == 0 || end >= len || b[end] != ':')
		return 0;
	for (size_t i = pos; i < end; i++) {
		n = n * 10 + (size_t)(b[i] - '0');
		if (n > len) /* cannot fit: also stops any overflow */
			return 0;
	}
	end++;
	if (n > len - end)
		return 0;
	s->start = end;
	s->n = n;
	return end + n;
}

/* Byte order, a prefix first: a < b. */
static bool key_less(const uint8_t *b, struct span x, struct span y)
{
	size_t n = x.n < y.n ? x.n : y.n;
	int c = memcmp(b + x.start, b + y.start, n);
	return c < 0 || (c == 0 && x.n < y.n);
}

/* "l...e" or "d(key value)...e", keys strings in strictly increasing order. */
static size_t skip_container(const uint8_t *b, size_t len, size_t pos, int depth)
{
	bool dict = b[pos] == 'd', first = true;
	struct span prev = { 0, 0 }, key;
	pos++;
	while (pos < len && b[pos] != 'e') {
		if (dict) {
			if ((pos = skip_str(b, len, pos, &key)) == 0)
				return 0;
			if (!first && !key_less(b, prev, key))
				return 0; /* unsorted or repeated key */
			prev = key;
			first = false;
		}
		if ((pos = skip(b, len, pos, depth + 1)) == 0)
			return 0;
	}
	return pos < len ? pos + 1 : 0;
}

/* End of the canonical bencoded value starting at b[pos], or 0 if invalid,
 * cut, or nested too deep. (0 is never a valid end: a value has at least
 * 1 byte.) */
static size_t skip(const uint8_t *b, size_t len, size_t pos, int depth)
{
	struct span unused;
	if (pos >= len || depth > MK_DHT_SCRUB_DEPTH)
		return 0;
	if (b[pos] == 'i')
		return skip_int(b, len, pos);
	if (b[pos] == 'l' || b[pos] == 'd')
		return skip_container(b, len, pos, depth);
	return is_digit(b[pos]) ? skip_str(b, len, pos, &unused) : 0;
}

bool mk_dht_canonical(const uint8_t *b, size_t len)
{
	return len >= 2 && b[0] == 'd' && skip(b, len, 0, 0) == len;
}

/* BEP 15 requests after the connect: connection id (8 bytes, the
 * tracker's choice), action (4, big-endian: 1 announce, 2 scrape),
 * transaction id (4); an announce has 98 bytes and BEP 41 options after,
 * a scrape one or more 20-byte info-hashes. */
static bool udp_tracker_request(const uint8_t *b, size_t len)
{
	if (len < 16 || b[8] != 0 || b[9] != 0 || b[10] != 0)
		return false;
	return (b[11] == 1 && len >= 98) || (b[11] == 2 && len >= 36 && (len - 16) % 20 == 0);
}

/* Removes the top-level "v" of a canonical dictionary (at most one: keys
 * are sorted and unique); returns the new length. */
static size_t remove_v(uint8_t *b, size_t len)
{
	size_t pos = 1;
	while (b[pos] != 'e') {
		struct span key;
		size_t val = skip_str(b, len, pos, &key), end = skip(b, len, val, 1);
		if (key.n == 1 && b[key.start] == 'v') {
			memmove(b + pos, b + end, len - end);
			return len - (end - pos);
		}
		pos = end;
	}
	return len;
}

enum mk_dht_verdict mk_dht_scrub(uint8_t *b, size_t *len)
{
	if (mk_dht_canonical(b, *len)) {
		*len = remove_v(b, *len);
		return MK_DHT_CLEAN;
	}
	if (*len == 0 || b[0] != 'd' || udp_tracker_request(b, *len))
		return MK_DHT_OTHER;
	return MK_DHT_DROP;
}
