// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cryptography of the software authenticator (OpenSSL): SHA-256, HMAC-SHA-256,
 * AES-256-CBC for PIN protocol 1, P-256 keys and ECDSA signatures, and the
 * credential id format: 0x01 | nonce(12) | AES-256-GCM(DER private key) | tag(16),
 * keyed by HMAC-SHA-256(device secret, label), with the rpIdHash as associated data.
 *
 * MUST: a credential id yields a key only when its GCM tag verifies under this
 *       device's secret and the given rpIdHash.
 * MUST: key material on the stack is wiped before return.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "softkey.h"

#define WRAP_NONCE 12u
#define WRAP_TAG 16u

int softkey_sha256(const void *p, size_t n, uint8_t out[32])
{
	return SHA256(p, n, out) == NULL ? -EIO : 0;
}

int softkey_hmac256(const uint8_t *key, size_t klen, const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	return HMAC(EVP_sha256(), key, (int)klen, p, n, out, &len) == NULL ? -EIO : 0;
}

/* AES-256-CBC, IV 0, no padding (PIN protocol 1). n must be a multiple of 16. */
int softkey_aes_cbc(bool enc, const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out)
{
	static const uint8_t iv[16];
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0, r = -EIO;

	if (n == 0 || n % 16 != 0 || n > 1024)
		return -EINVAL;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(c, out + l1, &l2) == 1 && (size_t)(l1 + l2) == n)
		r = 0;
	EVP_CIPHER_CTX_free(c);
	return r;
}

int softkey_ec_point(EVP_PKEY *pk, uint8_t x[32], uint8_t y[32])
{
	uint8_t pt[65];
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) != 1 ||
	    n != 65 || pt[0] != 0x04)
		return -EIO;
	memcpy(x, pt + 1, 32);
	memcpy(y, pt + 33, 32);
	return 0;
}

EVP_PKEY *softkey_ec_from_point(const uint8_t x[32], const uint8_t y[32])
{
	uint8_t pt[65];
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* DER ECDSA-SHA256 signature of a || b. */
int softkey_ec_sign(EVP_PKEY *pk, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		    uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *md;
	uint8_t *msg;
	int r = -EIO;

	if ((msg = malloc(alen + blen)) == NULL)
		return -ENOMEM;
	memcpy(msg, a, alen);
	memcpy(msg + alen, b, blen);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestSign(md, sig, sig_len, msg, alen + blen) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	free(msg);
	return r;
}

EVP_PKEY *softkey_key_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;

	return d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)len);
}

static int wrap_key(const struct softkey_state *st, uint8_t out[32])
{
	static const char label[] = "mnguard softkey credential wrap v1";

	return softkey_hmac256(st->secret, sizeof(st->secret), (const uint8_t *)label,
			       sizeof(label) - 1, out);
}

static int gcm(bool enc, const uint8_t key[32], const uint8_t nonce[WRAP_NONCE],
	       const uint8_t aad[32], const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c;
	int l = 0, r = -EIO;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(c, NULL, &l, aad, 32) != 1 ||
	    EVP_CipherUpdate(c, out, &l, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + l, &l) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int softkey_cred_wrap(const struct softkey_state *st, EVP_PKEY *pk, const uint8_t rp_hash[32],
		      uint8_t *id, size_t *id_len)
{
	unsigned char *der = NULL;
	uint8_t key[32];
	int len, r = -EIO;

	if ((len = i2d_PrivateKey(pk, &der)) <= 0 ||
	    (size_t)len + 1 + WRAP_NONCE + WRAP_TAG > SOFTKEY_CRED_ID_MAX)
		goto out;
	if (wrap_key(st, key) < 0 || RAND_bytes(id + 1, WRAP_NONCE) != 1)
		goto out;
	id[0] = 0x01;
	if (gcm(true, key, id + 1, rp_hash, der, (size_t)len, id + 1 + WRAP_NONCE,
		id + 1 + WRAP_NONCE + len) < 0)
		goto out;
	*id_len = 1 + WRAP_NONCE + (size_t)len + WRAP_TAG;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)len);
	return r;
}

EVP_PKEY *softkey_cred_unwrap(const struct softkey_state *st, const uint8_t rp_hash[32],
			      const uint8_t *id, size_t id_len)
{
	uint8_t key[32], der[SOFTKEY_CRED_ID_MAX], tag[16];
	EVP_PKEY *pk = NULL;
	size_t n;

	if (id_len <= 1 + WRAP_NONCE + WRAP_TAG || id_len > SOFTKEY_CRED_ID_MAX || id[0] != 0x01)
		return NULL;
	n = id_len - 1 - WRAP_NONCE - WRAP_TAG;
	memcpy(tag, id + id_len - WRAP_TAG, WRAP_TAG);
	if (wrap_key(st, key) == 0 &&
	    gcm(false, key, id + 1, rp_hash, id + 1 + WRAP_NONCE, n, der, tag) == 0)
		pk = softkey_key_from_der(der, n);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(der, sizeof(der));
	return pk;
}
