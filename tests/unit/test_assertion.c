// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_assertion.c - ES256 assertion verification: a good assertion gives
 * the signed flags and counter; a changed signature, client data hash or
 * key, another relying party, extensions or attested data, malformed or
 * trailing CBOR, a key off the curve or not in canonical form are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "assertion.h"

#define RP "terminal.city.example.lg.jp"

struct fixture {
	EVP_PKEY *key, *other;
	uint8_t spki[91], other_spki[91];
	uint8_t cbor[2 + MNG_AUTHDATA_LEN + 1]; /* one spare byte for the trailing-byte case */
	uint8_t cdh[32];
	uint8_t sig[80];
	size_t sig_len;
};

static void spki_of(EVP_PKEY *k, uint8_t out[91])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	assert_int_equal(n, 91);
	memcpy(out, der, 91);
	OPENSSL_free(der);
}

/* Authenticator data for rp with flags and counter, CBOR-wrapped, signed with key. */
static void make(struct fixture *f, const char *rp, uint8_t flags, uint32_t counter, EVP_PKEY *key)
{
	uint8_t *ad = f->cbor + 2;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t msg[MNG_AUTHDATA_LEN + 32];

	f->cbor[0] = 0x58;
	f->cbor[1] = MNG_AUTHDATA_LEN;
	SHA256((const unsigned char *)rp, strlen(rp), ad);
	ad[32] = flags;
	ad[33] = (uint8_t)(counter >> 24);
	ad[34] = (uint8_t)(counter >> 16);
	ad[35] = (uint8_t)(counter >> 8);
	ad[36] = (uint8_t)counter;
	memcpy(msg, ad, MNG_AUTHDATA_LEN);
	memcpy(msg + MNG_AUTHDATA_LEN, f->cdh, 32);
	f->sig_len = sizeof(f->sig);
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, f->sig, &f->sig_len, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(md);
}

static int verify(const struct fixture *f, size_t cbor_len, const uint8_t *spki,
		  struct mng_assertion *ret)
{
	return mng_assertion_verify_es256(f->cbor, cbor_len, f->cdh, RP, f->sig, f->sig_len, spki,
					  91, ret);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!f->key || !f->other)
		return -1;
	spki_of(f->key, f->spki);
	spki_of(f->other, f->other_spki);
	memset(f->cdh, 0x5c, sizeof(f->cdh));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

static void test_good(void **state)
{
	struct fixture *f = *state;
	struct mng_assertion a = {0};

	make(f, RP, MNG_AUTHDATA_UP | MNG_AUTHDATA_UV, 0x01020304, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), 0);
	assert_int_equal(a.flags, MNG_AUTHDATA_UP | MNG_AUTHDATA_UV);
	assert_int_equal(a.counter, 0x01020304);
	/* the flags and counter are what was signed, whatever they are */
	make(f, RP, 0, UINT32_MAX, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), 0);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.counter, UINT32_MAX);
	/* the long CBOR length form of the same bytes */
	memmove(f->cbor + 3, f->cbor + 2, MNG_AUTHDATA_LEN);
	f->cbor[0] = 0x59;
	f->cbor[1] = 0;
	f->cbor[2] = MNG_AUTHDATA_LEN;
	assert_int_equal(mng_assertion_verify_es256(f->cbor, 3 + MNG_AUTHDATA_LEN, f->cdh, RP,
						    f->sig, f->sig_len, f->spki, 91, &a),
			 0);
}

static void test_bad_signature(void **state)
{
	struct fixture *f = *state;
	struct mng_assertion a = {.flags = 0xaa, .counter = 7};

	make(f, RP, MNG_AUTHDATA_UP, 5, f->key);
	/* another key */
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->other_spki, &a), -EBADMSG);
	/* a changed counter, a changed client data hash, a changed signature */
	f->cbor[2 + 36] ^= 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EBADMSG);
	f->cbor[2 + 36] ^= 1;
	f->cdh[0] ^= 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EBADMSG);
	f->cdh[0] ^= 1;
	f->sig[f->sig_len - 1] ^= 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EBADMSG);
	f->sig[f->sig_len - 1] ^= 1;
	/* a signature that is not DER, and one byte of it */
	f->sig_len = 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EBADMSG);
	f->sig_len = 0;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	/* nothing was filled in on failure */
	assert_int_equal(a.flags, 0xaa);
	assert_int_equal(a.counter, 7);
}

static void test_refused_data(void **state)
{
	struct fixture *f = *state;
	struct mng_assertion a;
	uint8_t spki[91];

	/* another relying party, correctly signed */
	make(f, "evil.example", MNG_AUTHDATA_UP, 5, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	/* extension data or attested credential data, correctly signed */
	make(f, RP, MNG_AUTHDATA_UP | MNG_AUTHDATA_ED, 5, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	make(f, RP, MNG_AUTHDATA_UP | MNG_AUTHDATA_AT, 5, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	/* CBOR: a trailing byte, one byte short, another major type, a bad length */
	make(f, RP, MNG_AUTHDATA_UP, 5, f->key);
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN + 1, f->spki, &a), -EINVAL);
	assert_int_equal(verify(f, 1 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	assert_int_equal(verify(f, 0, f->spki, &a), -EINVAL);
	f->cbor[0] = 0x78; /* text string */
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	f->cbor[0] = 0x58;
	f->cbor[1] = MNG_AUTHDATA_LEN - 1;
	assert_int_equal(verify(f, 1 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	f->cbor[1] = MNG_AUTHDATA_LEN;
	f->cbor[0] = 0x5b; /* 8-byte length */
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), -EINVAL);
	f->cbor[0] = 0x58;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, f->spki, &a), 0);
	/* keys: off the curve, compressed marker, another header */
	memcpy(spki, f->spki, 91);
	spki[90] ^= 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, spki, &a), -EINVAL);
	memcpy(spki, f->spki, 91);
	spki[26] = 0x02;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, spki, &a), -EINVAL);
	memcpy(spki, f->spki, 91);
	spki[1] ^= 1;
	assert_int_equal(verify(f, 2 + MNG_AUTHDATA_LEN, spki, &a), -EINVAL);
	assert_int_equal(mng_assertion_verify_es256(f->cbor, 2 + MNG_AUTHDATA_LEN, f->cdh, RP,
						    f->sig, f->sig_len, f->spki, 90, &a),
			 -EINVAL);
	assert_int_equal(
	    mng_assertion_verify_es256(NULL, 0, f->cdh, RP, f->sig, f->sig_len, f->spki, 91, &a),
	    -EINVAL);
	assert_int_equal(mng_assertion_verify_es256(f->cbor, 2 + MNG_AUTHDATA_LEN, f->cdh, NULL,
						    f->sig, f->sig_len, f->spki, 91, &a),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_data, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
