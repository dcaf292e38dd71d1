// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_assertion.c - libFuzzer harness for the FIDO2 assertion verifier
 * (lib/assertion.c), the code that takes apart what an authenticator sent
 * back at login.
 *
 * Input layout (every length big-endian, every part may be cut short):
 *
 *   u16 n  | n bytes: the CBOR byte string holding the authenticator data
 *   u16 m  | m bytes: the DER ECDSA signature
 *   the rest: the stored public key (DER SubjectPublicKeyInfo)
 *
 * The client data hash and the relying party are fixed ("mnguard.test",
 * 32 bytes of 0x5a), as in the seed corpus, which holds real assertions
 * made with OpenSSL by tests/fuzz/seeds_assertion.sh. The verifier
 * must not crash, leak or read past its buffers; a success must report the
 * flags and counter that are in the authenticator data, and only ever for
 * authenticator data that names the fixed relying party.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rp_id[] = "mnguard.test";

/* take - the next u16-length-prefixed part of the input, or NULL. */
static const uint8_t *take(const uint8_t **p, size_t *left, size_t *ret_len)
{
	const uint8_t *part;
	size_t n;

	if (*left < 2)
		return NULL;
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	if (n > *left)
		return NULL;
	part = *p;
	*p += n;
	*left -= n;
	*ret_len = n;
	return part;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t cdh[32], rp_hash[MNG_SHA256_LEN];
	const uint8_t *p = data, *ad, *sig, *ad_body;
	size_t left = size, ad_len = 0, sig_len = 0;
	struct mng_assertion a = {0};
	uint32_t counter;
	uint8_t *ad_copy, *sig_copy, *spki_copy;
	int r;

	ad = take(&p, &left, &ad_len);
	sig = take(&p, &left, &sig_len);
	if (!ad || !sig)
		return 0;
	memset(cdh, 0x5a, sizeof(cdh));

	/* Exact-size heap copies, so ASan sees any read past a part. */
	ad_copy = malloc(ad_len ? ad_len : 1);
	sig_copy = malloc(sig_len ? sig_len : 1);
	spki_copy = malloc(left ? left : 1);
	if (!ad_copy || !sig_copy || !spki_copy)
		abort();
	memcpy(ad_copy, ad, ad_len);
	memcpy(sig_copy, sig, sig_len);
	memcpy(spki_copy, p, left);

	r = mng_assertion_verify_es256(ad_copy, ad_len, cdh, rp_id, sig_copy, sig_len, spki_copy,
				       left, &a);
	if (r == 0) {
		/* a byte string of exactly 37 bytes: 0x58 0x25 then the data */
		if (ad_len != 2 + MNG_AUTHDATA_LEN || ad_copy[0] != 0x58 ||
		    ad_copy[1] != MNG_AUTHDATA_LEN)
			abort();
		ad_body = ad_copy + 2;
		(void)mng_sha256(rp_id, strlen(rp_id), rp_hash);
		if (memcmp(ad_body, rp_hash, sizeof(rp_hash)))
			abort();
		counter = (uint32_t)ad_body[33] << 24 | (uint32_t)ad_body[34] << 16 |
			  (uint32_t)ad_body[35] << 8 | ad_body[36];
		if (a.flags != ad_body[32] || a.counter != counter)
			abort();
	} else if (r != -EBADMSG && r != -EINVAL && r != -ENOMEM) {
		abort();
	}
	free(ad_copy);
	free(sig_copy);
	free(spki_copy);
	return 0;
}
