// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_exempt_store.c - arbitrary bytes as an exemption record file of
 * mnguardd's store (agent/exempt_store.c, built into this harness):
 * xstore_parse must neither crash nor leak, must answer only with its
 * documented results, and a record it accepts must format and parse back
 * to the same record.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/exempt_store.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xstore_rec r, back;
	char err[256], *text = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = xstore_parse((const char *)data, size, &r, err, sizeof(err));
	if (rc != 0 && rc != -EBADMSG && rc != -EFBIG && rc != -ENOMEM)
		abort();
	if (rc != 0)
		return 0;
	if (!r.kind || !r.state || (r.kind == XSTORE_TOKEN) != (r.token != NULL))
		abort();
	rc = xstore_format(&r, &text);
	if (rc < 0 && rc != -ENOMEM)
		abort();
	if (rc > 0) {
		memset(&back, 0, sizeof(back));
		if (xstore_parse(text, (size_t)rc, &back, err, sizeof(err)) != 0 ||
		    back.kind != r.kind || back.state != r.state || back.uses_left != r.uses_left ||
		    back.redeemed != r.redeemed || strcmp(back.redeemed_by, r.redeemed_by) ||
		    back.n_devices != r.n_devices || memcmp(&back.e, &r.e, sizeof(r.e)) ||
		    (r.token && strcmp(back.token, r.token)))
			abort();
		xstore_rec_clear(&back);
	}
	free(text);
	xstore_rec_clear(&r);
	return 0;
}
