/*
 * fuzz_resume.c - resume data from a hostile engine (broker/resume_check.c).
 *
 * The input is the bytes of one ResumeData message. Oracle, beyond
 * ASan/UBSan: what mk_resume_clean keeps is itself clean: filtering it
 * again accepts it, drops nothing and gives the same bytes (so only keys
 * and values of the schema, canonical, were stored); it is never longer
 * than the input; dropping the piece claims never adds bytes; a refusal
 * comes with one line and allocates nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resume_check.h"

static void check_clean(const struct mk_resume_clean *c, size_t in_len)
{
	struct mk_resume_clean again;
	char why[128];
	if (c->len > in_len || c->len < 2 || c->data[0] != 'd' || c->data[c->len - 1] != 'e')
		abort();
	if (mk_resume_clean(c->data, c->len, 0, &again, why, sizeof why) != 0)
		abort(); /* stored bytes the broker itself would refuse */
	if (again.dropped != 0 || again.len != c->len || memcmp(again.data, c->data, c->len) != 0)
		abort(); /* stored something the schema drops, or not canonical */
	free(again.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_resume_clean c, nopieces;
	char why[128] = "";
	if (mk_resume_clean(data, size, 0, &c, why, sizeof why) != 0) {
		if (c.data != NULL || why[0] == '\0' || strchr(why, '\n'))
			abort();
		return 0;
	}
	check_clean(&c, size);
	if (mk_resume_clean(data, size, MK_RESUME_DROP_PIECES, &nopieces, why, sizeof why) != 0)
		abort(); /* dropping a key cannot make valid data invalid */
	check_clean(&nopieces, size);
	if (nopieces.len > c.len || nopieces.kept > c.kept)
		abort();
	free(nopieces.data);
	free(c.data);
	return 0;
}
