// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sha256.c - SHA-256 as FIPS 180-4 section 6.2 describes it, written for
 * being read rather than for speed: one message schedule per 64-byte block,
 * big-endian loads and stores spelled out, no tables but the constants.
 *
 * MUST: the digest equals FIPS 180-4 SHA-256 for every input, whatever way
 *       it is split into updates (checked against the NIST vectors and
 *       against OpenSSL in tests/unit/test_sha256.c).
 * MUST: a context is wiped by final, on success and on error.
 * MUST: no length can overflow the 64-bit bit count: a message past
 *       2^61 - 1 bytes is refused, never wrapped.
 */
#include <errno.h>
#include <string.h>

#include "sha256.h"

/* the first 32 bits of the fractional parts of the cube roots of the first 64 primes */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* the first 32 bits of the fractional parts of the square roots of the first 8 primes */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* the longest message FIPS 180-4 allows: its length in bits must fit in 64 bits */
#define MSG_MAX ((UINT64_C(1) << 61) - 1)

static inline uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* FIPS 180-4 6.2.2: process one 64-byte block into the chaining value h. */
static void compress(uint32_t h[8], const uint8_t block[MNG_SHA256_BLOCK])
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;
	unsigned t;

	for (t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	for (t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);

		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (t = 0; t < 64; t++) {
		uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = hh + S1 + ch + K[t] + w[t];
		uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void mng_sha256_init(struct mng_sha256 *ctx)
{
	if (!ctx)
		return;
	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->h, H0, sizeof(H0));
}

int mng_sha256_update(struct mng_sha256 *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!ctx)
		return -EINVAL;
	if (ctx->err)
		return ctx->err;
	if (len == 0)
		return 0;
	if (!data) {
		ctx->err = -EINVAL;
		return ctx->err;
	}
	if ((uint64_t)len > MSG_MAX - ctx->total) {
		ctx->err = -EOVERFLOW;
		return ctx->err;
	}
	ctx->total += len;

	/* top up a partial block first */
	if (ctx->nbuf) {
		size_t take = MNG_SHA256_BLOCK - ctx->nbuf;

		if (take > len)
			take = len;
		memcpy(ctx->buf + ctx->nbuf, p, take);
		ctx->nbuf += (uint32_t)take;
		p += take;
		len -= take;
		if (ctx->nbuf < MNG_SHA256_BLOCK)
			return 0;
		compress(ctx->h, ctx->buf);
		ctx->nbuf = 0;
	}
	/* whole blocks straight from the input */
	for (; len >= MNG_SHA256_BLOCK; p += MNG_SHA256_BLOCK, len -= MNG_SHA256_BLOCK)
		compress(ctx->h, p);
	/* keep the rest */
	memcpy(ctx->buf, p, len);
	ctx->nbuf = (uint32_t)len;
	return 0;
}

int mng_sha256_final(struct mng_sha256 *ctx, uint8_t ret_digest[MNG_SHA256_LEN])
{
	uint64_t bits;
	unsigned i;
	int r;

	if (!ctx)
		return -EINVAL;
	r = ctx->err;
	if (r < 0 || !ret_digest) {
		explicit_bzero(ctx, sizeof(*ctx));
		return r < 0 ? r : -EINVAL;
	}
	/* FIPS 180-4 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, the length in bits */
	bits = ctx->total * 8;
	ctx->buf[ctx->nbuf++] = 0x80;
	if (ctx->nbuf > MNG_SHA256_BLOCK - 8) {
		memset(ctx->buf + ctx->nbuf, 0, MNG_SHA256_BLOCK - ctx->nbuf);
		compress(ctx->h, ctx->buf);
		ctx->nbuf = 0;
	}
	memset(ctx->buf + ctx->nbuf, 0, MNG_SHA256_BLOCK - 8 - ctx->nbuf);
	store_be32(ctx->buf + MNG_SHA256_BLOCK - 8, (uint32_t)(bits >> 32));
	store_be32(ctx->buf + MNG_SHA256_BLOCK - 4, (uint32_t)bits);
	compress(ctx->h, ctx->buf);
	for (i = 0; i < 8; i++)
		store_be32(ret_digest + 4 * i, ctx->h[i]);
	explicit_bzero(ctx, sizeof(*ctx));
	return 0;
}

int mng_sha256(const void *data, size_t len, uint8_t ret_digest[MNG_SHA256_LEN])
{
	struct mng_sha256 ctx;
	int r;

	mng_sha256_init(&ctx);
	r = mng_sha256_update(&ctx, data, len);
	if (r < 0) {
		explicit_bzero(&ctx, sizeof(ctx));
		return r;
	}
	return mng_sha256_final(&ctx, ret_digest);
}

void mng_sha256_hex(const uint8_t digest[MNG_SHA256_LEN], char ret[MNG_SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < MNG_SHA256_LEN; i++) {
		ret[2 * i] = hex[digest[i] >> 4];
		ret[2 * i + 1] = hex[digest[i] & 15];
	}
	ret[MNG_SHA256_HEX_LEN] = '\0';
}

void mng_sha256_base64(const uint8_t digest[MNG_SHA256_LEN], char ret[MNG_SHA256_B64_LEN + 1])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = digest;
	char *o = ret;
	unsigned i;

	/* ten whole groups of three bytes give four characters each */
	for (i = 0; i < MNG_SHA256_LEN / 3; i++, p += 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = b64[v & 63];
	}
	/* the last two bytes: three characters and one '=' */
	{
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8;

		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
}
