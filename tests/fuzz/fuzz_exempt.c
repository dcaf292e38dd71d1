// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_exempt.c - arbitrary bytes as an exemption token. The first byte
 * chooses what the rest is: even, the token text itself; odd, the JSON
 * payload, wrapped into a token (with a dummy signature) so that the
 * payload parser is reached without the fuzzer having to find base64url.
 * mng_exempt_decode must neither crash nor leak, must answer only with its
 * documented results, must leave *ret untouched on failure and, on
 * success, give an exemption that validates and encodes back to the same
 * payload. base64url is checked to round-trip on the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exempt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_b64(const uint8_t *data, size_t size)
{
	static char text[2 * MNG_EXEMPT_TEXT_MAX + 8];
	static uint8_t back[2 * MNG_EXEMPT_TEXT_MAX];
	int n, m;

	if (size > MNG_EXEMPT_TEXT_MAX)
		return;
	n = mng_base64url_encode(data, size, text, sizeof(text));
	if (n < 0)
		abort();
	m = mng_base64url_decode(text, (size_t)n, back, sizeof(back));
	if (m != (int)size || memcmp(back, data, size))
		abort();
	/* and the input itself as base64url: decode, then encode gives it back */
	m = mng_base64url_decode((const char *)data, size, back, sizeof(back));
	if (m >= 0) {
		n = mng_base64url_encode(back, (size_t)m, text, sizeof(text));
		if (n != (int)size || memcmp(text, data, size))
			abort();
	} else if (m != -EBADMSG) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[3 * MNG_EXEMPT_TEXT_MAX];
	struct mng_exempt e, sentinel;
	const char *in = (const char *)data;
	size_t len = size;
	char err[256];
	int r;

	if (size < 1)
		return 0;
	check_b64(data + 1, size - 1);
	if (data[0] & 1) {
		int n;

		if (size - 1 > MNG_EXEMPT_TEXT_MAX)
			return 0;
		memcpy(text, "mngx1.", 6);
		n = mng_base64url_encode(data + 1, size - 1, text + 6, sizeof(text) - 6 - 88);
		if (n < 0)
			abort();
		text[6 + n] = '.';
		memset(text + 7 + n, 'A', 86);
		in = text;
		len = 6 + (size_t)n + 1 + 86;
	} else {
		in++;
		len--;
	}
	memset(&e, 0x5a, sizeof(e));
	sentinel = e;
	r = mng_exempt_decode(in, len, &e, err, sizeof(err));
	if (r != 0 && r != -E2BIG && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r != 0 && memcmp(&e, &sentinel, sizeof(e)))
		abort();
	if (r == -E2BIG && len <= MNG_EXEMPT_TEXT_MAX)
		abort();
	if (r == 0) {
		if (mng_exempt_validate(&e, NULL, 0) != 0)
			abort();
		if (!mng_exempt_scope_name(e.scope))
			abort();
		(void)mng_exempt_check(&e, "0123456789abcdef0123456789abcdef", false, "tanaka", 0,
				       MNG_EXEMPT_SCOPE_NONE, 8 * 3600, err, sizeof(err));
	}
	return 0;
}
