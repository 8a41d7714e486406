/*
 * fuzz_daemon_store.c - a torrent record from the state dir
 * (broker/daemon_store.c): bytes on disk anyone with the user's rights may
 * have edited.
 *
 * Oracle, beyond ASan/UBSan: a refusal has one line and allocates nothing
 * kept; an accepted record passes mk_dstore_check and encodes back to exactly
 * the input bytes (the format is canonical: nothing in it is ignored).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mk_dstore_rec rec;
	char why[128] = "";
	size_t len = 0;
	if (mk_dstore_decode(data, size, &rec, why, sizeof why) != 0) {
		if (rec.source != NULL || why[0] == '\0' || strchr(why, '\n'))
			abort();
		return 0;
	}
	if (mk_dstore_check(&rec, why, sizeof why) != 0)
		abort();
	uint8_t *again = mk_dstore_encode(&rec, &len);
	if (again == NULL || len != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	mk_dstore_rec_free(&rec);
	return 0;
}
