/*
 * dht_scrub.c - remove "v" from the engine's DHT messages (see dht_scrub.h).
 *
 * Why this is safe: skip() reads only b[pos..len), checks every index
 * before use, never allocates, and recurses at most MK_DHT_SCRUB_DEPTH
 * deep; string lengths are checked against what is left before they are
 * added. The payload is changed only after the whole of it validated.
 */
#include <string.h>

#include "dht_scrub.h"

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static size_t skip(const uint8_t *b, size_t len, size_t pos, int depth);

/* "i-?[0-9]+e"; returns the end, or 0. */
static size_t skip_int(const uint8_t *b, size_t len, size_t pos)
{
	pos++;
	if (pos < len && b[pos] == '-')
		pos++;
	size_t start = pos;
	while (pos < len && is_digit(b[pos]))
		pos++;
	return pos > start && pos < len && b[pos] == 'e' ? pos + 1 : 0;
}

/* "N:bytes"; returns the end, or 0. */
static size_t skip_str(const uint8_t *b, size_t len, size_t pos)
{
	size_t n = 0;
	while (pos < len && is_digit(b[pos])) {
		n = n * 10 + (size_t)(b[pos] - '0');
		if (n > len) /* cannot fit: also stops any overflow */
			return 0;
		pos++;
	}
	if (pos >= len || b[pos] != ':')
		return 0;
	pos++;
	return n <= len - pos ? pos + n : 0;
}

/* "l...e" or "d(key value)...e", keys being strings. */
static size_t skip_container(const uint8_t *b, size_t len, size_t pos, int depth)
{
	int dict = b[pos] == 'd';
	pos++;
	while (pos < len && b[pos] != 'e') {
		if (dict && ((pos = skip_str(b, len, pos)) == 0))
			return 0;
		if ((pos = skip(b, len, pos, depth + 1)) == 0)
			return 0;
	}
	return pos < len ? pos + 1 : 0;
}

/* End of the bencoded value starting at b[pos], or 0 if invalid, cut, or
 * nested too deep. (0 is never a valid end: a value has at least 1 byte.) */
static size_t skip(const uint8_t *b, size_t len, size_t pos, int depth)
{
	if (pos >= len || depth > MK_DHT_SCRUB_DEPTH)
		return 0;
	if (b[pos] == 'i')
		return skip_int(b, len, pos);
	if (b[pos] == 'l' || b[pos] == 'd')
		return skip_container(b, len, pos, depth);
	return is_digit(b[pos]) ? skip_str(b, len, pos) : 0;
}

size_t mk_dht_scrub(uint8_t *b, size_t len)
{
	if (len < 2 || b[0] != 'd' || skip(b, len, 0, 0) != len)
		return len;
	/* The whole dictionary validated: the skips below cannot fail. */
	size_t pos = 1;
	while (b[pos] != 'e') {
		size_t key = pos, val = skip_str(b, len, pos), end = skip(b, len, val, 1);
		if (val - key == 3 && memcmp(b + key, "1:v", 3) == 0) {
			/* every "v" (a malformed message may repeat keys); the rest
			 * stays a valid dictionary, ending where it ended */
			memmove(b + key, b + end, len - end);
			len -= end - key;
			continue;
		}
		pos = end;
	}
	return len;
}
