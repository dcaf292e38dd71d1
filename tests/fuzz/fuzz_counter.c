// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_counter.c - libFuzzer harness for the signature counter file parser.
 *
 * Any bytes are parsed as a counter file. The parser must not crash, leak
 * or read past the input. A success has no diagnostic, unique ids of the
 * base64url alphabet and no entry past the cap; a failure has at least one
 * diagnostic and leaves the output untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_counters c = {.v = (struct mng_counter *)1, .n = 4242};
	struct mng_diags d = {0};
	size_t i, j;
	int r;

	r = mng_counters_parse((const char *)data, size, "fuzz", &c, &d);
	if (r == 0) {
		if (mng_diags_count(&d) != 0 || c.n > MNG_COUNTER_COUNT_MAX)
			abort();
		for (i = 0; i < c.n; i++) {
			const char *id = c.v[i].id;

			if (!id[0] ||
			    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_") != strlen(id))
				abort();
			for (j = 0; j < i && c.n < 200; j++)
				if (!strcmp(c.v[j].id, id))
					abort();
		}
		mng_counters_clear(&c);
	} else if (mng_diags_count(&d) == 0 || c.n != 4242) {
		abort();
	}
	mng_diags_clear(&d);
	return 0;
}
