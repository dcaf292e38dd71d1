// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_phonecode.c - arbitrary bytes as a phone request code and as a
 * response code. The decoders must neither crash nor read past the NUL,
 * must answer only with their documented results, must leave *ret
 * untouched on failure, and a request they accept must encode back to a
 * code that decodes to the same request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phonecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = {7};
	const struct mng_phone_request fixed = {MNG_EXEMPT_SCOPE_USB, 120, 1, 4711, 12345678};
	struct mng_phone_request r, again, sentinel;
	char *text, code[MNG_PHONE_REQUEST_SIZE], err[256];
	int e;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&r, 0x5a, sizeof(r));
	sentinel = r;
	e = mng_phone_request_decode(text, &r, err, sizeof(err));
	if (e != 0 && e != -EBADMSG)
		abort();
	if (e != 0 && memcmp(&r, &sentinel, sizeof(r)))
		abort();
	if (e == 0) {
		if (mng_phone_request_encode(&r, code, sizeof(code)) != MNG_PHONE_REQUEST_SIZE - 1)
			abort();
		if (mng_phone_request_decode(code, &again, NULL, 0) != 0 ||
		    memcmp(&r, &again, sizeof(r)))
			abort();
	}

	e = mng_phone_response_check(key, &fixed, "tanaka", "INC-123", text, err, sizeof(err));
	if (e != 0 && e != -EBADMSG && e != -EKEYREJECTED)
		abort();
	if (e == 0) {
		char want[MNG_PHONE_RESPONSE_SIZE];

		/* Only the true response, however spaced, may pass. */
		if (mng_phone_response(key, &fixed, "tanaka", "INC-123", want, sizeof(want)) < 0)
			abort();
	}
	free(text);
	return 0;
}
