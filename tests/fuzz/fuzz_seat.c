// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_seat.c - arbitrary bytes as logind's seat file: mng_seat_parse must
 * neither crash nor leak, must answer only with its documented results, and
 * must set the uid only on success, never to an invalid uid.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "seat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_diags diags = {0};
	uid_t uid = (uid_t)-1;
	int r;

	r = mng_seat_parse("seat0", (const char *)data, size, &diags, &uid);
	if (r != 0 && r != -ENODATA && r != -EBADMSG && r != -EFBIG)
		abort();
	if (r == 0 && (uid == (uid_t)-1 || uid == 65535))
		abort();
	if (r != 0 && uid != (uid_t)-1)
		abort();
	if (r == -EBADMSG && mng_diags_count(&diags) == 0)
		abort();
	mng_diags_clear(&diags);
	return 0;
}
