/*
 * fuzz_json.c - mk_json_string, the step between hostile text (torrent
 * names, tracker messages) and a --json line on stdout.
 *
 * Input: any bytes, written as one JSON string. Invariants (abort otherwise):
 *  - the output is '"' ... '"' with no raw '"' inside and only valid escapes
 *    (\" \\ \/ \b \f \n \r \t \uXXXX), so it cannot end the string or line;
 *  - it is valid, printable UTF-8 without C1, format or bidi controls
 *    (mk_sanitize leaves it unchanged): no byte < 0x20, no 0x7f;
 *  - text that was already like that (and has no '"', '\\', U+2028/9) comes
 *    out unchanged between the quotes.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sanitize.h"

static void check_escapes(const char *s, size_t n)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		abort();
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] == '"')
			abort(); /* would end the string early */
		if (s[i] != '\\')
			continue;
		if (i + 2 >= n)
			abort();
		char e = s[++i];
		if (e == 'u') {
			if (i + 5 >= n)
				abort();
			for (int k = 1; k <= 4; k++)
				if (!isxdigit((unsigned char)s[i + k]))
					abort();
			i += 4;
		} else if (!strchr("\"\\/bfnrt", e)) {
			abort();
		}
	}
}

static int printable_utf8(const char *s, size_t n)
{
	char *clean = malloc(n + 1);
	if (!clean)
		abort();
	size_t m = mk_sanitize(s, n, clean, n + 1);
	int same = m == n && memcmp(clean, s, n) == 0;
	free(clean);
	return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		abort();
	mk_json_string(f, (const char *)data, size);
	fclose(f);
	check_escapes(out, len);
	if (!printable_utf8(out, len))
		abort();
	if (size > 0 && !memchr(data, '"', size) && !memchr(data, '\\', size) &&
	    !memmem(data, size, "\xe2\x80\xa8", 3) && !memmem(data, size, "\xe2\x80\xa9", 3) &&
	    printable_utf8((const char *)data, size) &&
	    (len != size + 2 || memcmp(out + 1, data, size) != 0))
		abort();
	free(out);
	return 0;
}
