// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * assertion.c - ES256 assertion verification (see assertion.h).
 *
 * libfido2's fido_assert_verify does the same checks but turns the stored
 * key into an OpenSSL key twice per login (once to validate it, once to
 * verify), through OpenSSL's legacy EC_KEY path; building the key once
 * from its point with EVP_PKEY_fromdata saves about a third of the
 * verification.
 *
 * MUST: an assertion counts only when the authenticator data is exactly
 *       one CBOR byte string of MNG_AUTHDATA_LEN bytes with neither the AT
 *       nor the ED flag, its rpIdHash equals SHA-256(rp_id), and the
 *       signature verifies over authenticator data || client data hash.
 * MUST: the flags and counter returned are those of the signed bytes.
 * MUST: the key is rebuilt from the stored point with a P-256 on-curve
 *       check (EVP_PKEY_fromdata); anything unexpected is a failure.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "assertion.h"

/* The DER SubjectPublicKeyInfo header of a canonical es256 key (point follows). */
static const uint8_t es256_spki[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

/* The P-256 public key with the 65-byte uncompressed point pt; NULL when invalid. */
static EVP_PKEY *key_from_point(const uint8_t *pt)
{
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, 65);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* The contents of the CBOR byte string that is all of buf; NULL when it is not one. */
static const uint8_t *byte_string(const uint8_t *buf, size_t len, size_t *ret_len)
{
	size_t head, n;

	if (len < 1 || (buf[0] >> 5) != 2)
		return NULL;
	if ((buf[0] & 0x1f) < 24) {
		head = 1;
		n = buf[0] & 0x1f;
	} else if ((buf[0] & 0x1f) == 24 && len >= 2) {
		head = 2;
		n = buf[1];
	} else if ((buf[0] & 0x1f) == 25 && len >= 3) {
		head = 3;
		n = (size_t)buf[1] << 8 | buf[2];
	} else {
		return NULL; /* longer forms never hold authenticator data this small */
	}
	if (len - head != n)
		return NULL;
	*ret_len = n;
	return buf + head;
}

int mng_assertion_verify_es256(const uint8_t *authdata_cbor, size_t cbor_len, const uint8_t *cdh,
			       const char *rp_id, const uint8_t *sig, size_t sig_len,
			       const uint8_t *spki, size_t spki_len, struct mng_assertion *ret)
{
	uint8_t rp_hash[SHA256_DIGEST_LENGTH];
	const uint8_t *ad;
	size_t ad_len = 0;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pk = NULL;
	int r, v;

	if (!authdata_cbor || !cdh || !rp_id || !sig || sig_len == 0 || !spki || !ret)
		return -EINVAL;
	ad = byte_string(authdata_cbor, cbor_len, &ad_len);
	if (!ad || ad_len != MNG_AUTHDATA_LEN || (ad[32] & (MNG_AUTHDATA_AT | MNG_AUTHDATA_ED)))
		return -EINVAL;
	if (!SHA256((const unsigned char *)rp_id, strlen(rp_id), rp_hash) ||
	    memcmp(rp_hash, ad, sizeof(rp_hash)))
		return -EINVAL;
	if (spki_len != sizeof(es256_spki) + 65 || memcmp(spki, es256_spki, sizeof(es256_spki)) ||
	    spki[sizeof(es256_spki)] != 0x04)
		return -EINVAL;
	pk = key_from_point(spki + sizeof(es256_spki));
	if (!pk)
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (!md) {
		r = -ENOMEM;
		goto out;
	}
	r = -EBADMSG;
	if (EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL) != 1 ||
	    EVP_DigestVerifyUpdate(md, ad, ad_len) != 1 || EVP_DigestVerifyUpdate(md, cdh, 32) != 1)
		goto out;
	v = EVP_DigestVerifyFinal(md, sig, sig_len);
	if (v != 1)
		goto out;
	ret->flags = ad[32];
	ret->counter = (uint32_t)ad[33] << 24 | (uint32_t)ad[34] << 16 | (uint32_t)ad[35] << 8 |
		       (uint32_t)ad[36];
	r = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return r;
}
