// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_cred.c - libFuzzer harness for the credential file parser.
 *
 * Any bytes are parsed as a credential file. The parser must not crash,
 * leak or read past the input. A success has no diagnostic and every
 * credential passes mng_cred_check and formats to a line that parses back
 * to the same credential; a failure has at least one diagnostic and
 * leaves the output untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct mng_cred *a, const struct mng_cred *b)
{
	if (strcmp(a->user, b->user) || a->id_len != b->id_len || memcmp(a->id, b->id, a->id_len) ||
	    a->type != b->type || a->pk_len != b->pk_len || memcmp(a->pk, b->pk, a->pk_len) ||
	    a->flags != b->flags || memcmp(a->aaguid, b->aaguid, 16) ||
	    strcmp(a->label, b->label) || strcmp(a->enrolled, b->enrolled) ||
	    strcmp(a->operator_, b->operator_))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_credset s = {.v = (struct mng_cred *)1, .n = 12345};
	struct mng_diags d = {0};
	size_t i;
	int r;

	r = mng_credset_parse((const char *)data, size, "fuzz", &s, &d);
	if (r == 0) {
		if (mng_diags_count(&d) != 0)
			abort();
		for (i = 0; i < s.n; i++) {
			struct mng_credset t = {0};
			char *line = NULL;

			if (mng_cred_check(&s.v[i], NULL) < 0 ||
			    mng_cred_format(&s.v[i], &line) < 0)
				abort();
			if (mng_credset_parse(line, strlen(line), "again", &t, NULL) < 0 ||
			    t.n != 1)
				abort();
			same(&s.v[i], &t.v[0]);
			mng_credset_clear(&t);
			free(line);
		}
		mng_credset_clear(&s);
	} else if (mng_diags_count(&d) == 0 || s.n != 12345) {
		abort();
	}
	mng_diags_clear(&d);
	return 0;
}
