// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_sha256.c - lib/sha256: the FIPS 180-4 / NIST example messages,
 * agreement with OpenSSL on 10,000 random messages (random lengths, random
 * contents, random ways of splitting them into updates), every padding
 * boundary, a 1 MiB message full of NUL bytes, the error paths (NULL data,
 * a message past the 2^61-byte limit), the wiping of the context, and the
 * hex and base64 forms.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sha256.h"

/* splitmix64: a fixed seed, so a failure can be replayed */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void hex_of(const void *data, size_t len, char out[MNG_SHA256_HEX_LEN + 1])
{
	uint8_t d[MNG_SHA256_LEN];

	assert_int_equal(mng_sha256(data, len, d), 0);
	mng_sha256_hex(d, out);
}

static void openssl_sha256(const void *data, size_t len, uint8_t out[MNG_SHA256_LEN])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, MNG_SHA256_LEN);
}

/* hash data in random pieces (some empty) */
static void split_sha256(const uint8_t *data, size_t len, uint8_t out[MNG_SHA256_LEN])
{
	struct mng_sha256 ctx;
	size_t at = 0;

	mng_sha256_init(&ctx);
	while (at < len) {
		size_t piece = (size_t)(rnd() % 150);

		if (piece > len - at)
			piece = len - at;
		assert_int_equal(mng_sha256_update(&ctx, data + at, piece), 0);
		at += piece;
	}
	assert_int_equal(mng_sha256_update(&ctx, NULL, 0), 0);
	assert_int_equal(mng_sha256_final(&ctx, out), 0);
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") */
static void test_nist_vectors(void **state)
{
	static const struct {
		const char *msg, *hex;
	} v[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    /* 448 bits */
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	    /* 896 bits */
	    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmno"
	     "p"
	     "qrlmnopqrsmnopqrstnopqrstu",
	     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	char hex[MNG_SHA256_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hex_of(v[i].msg, strlen(v[i].msg), hex);
		assert_string_equal(hex, v[i].hex);
	}
	/* the empty message may come as NULL */
	hex_of(NULL, 0, hex);
	assert_string_equal(hex, v[0].hex);
}

/* one million 'a': in one call, and as 1,000,000 one-byte updates */
static void test_million_a(void **state)
{
	static const char want[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char hex[MNG_SHA256_HEX_LEN + 1];
	uint8_t d[MNG_SHA256_LEN];
	struct mng_sha256 ctx;
	char *m = malloc(1000000);
	size_t i;

	assert_non_null(m);
	memset(m, 'a', 1000000);
	hex_of(m, 1000000, hex);
	assert_string_equal(hex, want);

	mng_sha256_init(&ctx);
	for (i = 0; i < 1000000; i++)
		assert_int_equal(mng_sha256_update(&ctx, "a", 1), 0);
	assert_int_equal(mng_sha256_final(&ctx, d), 0);
	mng_sha256_hex(d, hex);
	assert_string_equal(hex, want);
	free(m);
}

/* every length around the padding boundaries (55/56/64 bytes and their multiples) */
static void test_padding_boundaries(void **state)
{
	uint8_t buf[300], a[MNG_SHA256_LEN], b[MNG_SHA256_LEN];
	size_t len, i;

	rng_state = 1;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	for (len = 0; len <= sizeof(buf); len++) {
		assert_int_equal(mng_sha256(buf, len, a), 0);
		openssl_sha256(buf, len, b);
		assert_memory_equal(a, b, sizeof(a));
	}
}

/* 10,000 random messages against OpenSSL, one-shot and split */
static void test_random_vs_openssl(void **state)
{
	enum { N = 10000, MAXLEN = 9000 };
	uint8_t *buf = malloc(MAXLEN);
	uint8_t mine[MNG_SHA256_LEN], split[MNG_SHA256_LEN], ref[MNG_SHA256_LEN];
	char b64[MNG_SHA256_B64_LEN + 1];
	unsigned char ref64[MNG_SHA256_B64_LEN + 8];
	int n;

	assert_non_null(buf);
	rng_state = UINT64_C(0x5eed);
	for (n = 0; n < N; n++) {
		/* mostly short messages, some long, biased to block multiples */
		size_t len = (size_t)(rnd() % (n % 10 == 0 ? MAXLEN : 200));
		size_t i;

		if (n % 7 == 0)
			len &= ~(size_t)63;
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		if (n % 5 == 0) /* low-entropy contents too: NULs and 0xff */
			memset(buf, n % 2 ? 0xff : 0, len / 2);

		assert_int_equal(mng_sha256(buf, len, mine), 0);
		split_sha256(buf, len, split);
		openssl_sha256(buf, len, ref);
		if (memcmp(mine, ref, sizeof(ref)))
			fail_msg("one-shot digest differs from OpenSSL at message %d (%zu bytes)",
				 n, len);
		if (memcmp(split, ref, sizeof(ref)))
			fail_msg("split digest differs from OpenSSL at message %d (%zu bytes)", n,
				 len);

		/* the base64 form against OpenSSL's encoder */
		mng_sha256_base64(mine, b64);
		assert_int_equal(EVP_EncodeBlock(ref64, ref, MNG_SHA256_LEN), MNG_SHA256_B64_LEN);
		assert_string_equal(b64, (const char *)ref64);
	}
	free(buf);
}

/* 1 MiB of NUL bytes: one-shot, split, and against OpenSSL */
static void test_one_mib_of_nuls(void **state)
{
	size_t len = 1024 * 1024;
	uint8_t *buf = calloc(1, len);
	uint8_t a[MNG_SHA256_LEN], b[MNG_SHA256_LEN], c[MNG_SHA256_LEN];
	char hex[MNG_SHA256_HEX_LEN + 1];

	assert_non_null(buf);
	rng_state = 7;
	assert_int_equal(mng_sha256(buf, len, a), 0);
	split_sha256(buf, len, b);
	openssl_sha256(buf, len, c);
	assert_memory_equal(a, c, sizeof(a));
	assert_memory_equal(b, c, sizeof(b));
	mng_sha256_hex(a, hex);
	/* sha256 of 1 MiB of zero bytes, as sha256sum prints it */
	assert_string_equal(hex,
			    "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58");
	free(buf);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void test_final_wipes(void **state)
{
	uint8_t d[MNG_SHA256_LEN];
	struct mng_sha256 ctx;

	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, "secret", 6), 0);
	assert_false(all_zero(&ctx, sizeof(ctx)));
	assert_int_equal(mng_sha256_final(&ctx, d), 0);
	assert_true(all_zero(&ctx, sizeof(ctx)));

	/* a failing final wipes as well */
	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, "secret", 6), 0);
	assert_int_equal(mng_sha256_final(&ctx, NULL), -EINVAL);
	assert_true(all_zero(&ctx, sizeof(ctx)));
}

static void test_errors(void **state)
{
	uint8_t d[MNG_SHA256_LEN], before[MNG_SHA256_LEN];
	struct mng_sha256 ctx;

	memset(d, 0x5a, sizeof(d));
	memcpy(before, d, sizeof(d));

	/* NULL data with a length: refused, the context stays spoiled, no digest */
	assert_int_equal(mng_sha256(NULL, 1, d), -EINVAL);
	assert_memory_equal(d, before, sizeof(d));
	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, NULL, 5), -EINVAL);
	assert_int_equal(mng_sha256_update(&ctx, "abc", 3), -EINVAL);
	assert_int_equal(mng_sha256_final(&ctx, d), -EINVAL);
	assert_memory_equal(d, before, sizeof(d));
	assert_true(all_zero(&ctx, sizeof(ctx)));

	/* NULL context */
	assert_int_equal(mng_sha256_update(NULL, "abc", 3), -EINVAL);
	assert_int_equal(mng_sha256_final(NULL, d), -EINVAL);
	mng_sha256_init(NULL);

	/* past 2^61 - 1 bytes: refused, not wrapped */
	mng_sha256_init(&ctx);
	ctx.total = (UINT64_C(1) << 61) - 10;
	assert_int_equal(mng_sha256_update(&ctx, "0123456789", 9), 0);
	assert_int_equal(mng_sha256_update(&ctx, "0", 1), -EOVERFLOW);
	assert_int_equal(mng_sha256_final(&ctx, d), -EOVERFLOW);
	assert_memory_equal(d, before, sizeof(d));
	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, "x", 1), 0);
	assert_int_equal(mng_sha256_update(&ctx, "y", SIZE_MAX), -EOVERFLOW);
	assert_int_equal(mng_sha256_final(&ctx, d), -EOVERFLOW);

	/* a context used after final must be initialised again; after init it works */
	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, "abc", 3), 0);
	assert_int_equal(mng_sha256_final(&ctx, d), 0);
	mng_sha256_init(&ctx);
	assert_int_equal(mng_sha256_update(&ctx, "abc", 3), 0);
	assert_int_equal(mng_sha256_final(&ctx, before), 0);
	assert_memory_equal(d, before, sizeof(d));
}

static void test_text_forms(void **state)
{
	char hex[MNG_SHA256_HEX_LEN + 1], b64[MNG_SHA256_B64_LEN + 1];
	uint8_t d[MNG_SHA256_LEN];
	size_t i;

	assert_int_equal(mng_sha256("", 0, d), 0);
	mng_sha256_base64(d, b64);
	assert_string_equal(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	assert_int_equal(mng_sha256("abc", 3, d), 0);
	mng_sha256_base64(d, b64);
	assert_string_equal(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");

	/* every byte value and both alphabet ends */
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 8 + 3);
	mng_sha256_hex(d, hex);
	assert_string_equal(hex,
			    "030b131b232b333b434b535b636b737b838b939ba3abb3bbc3cbd3dbe3ebf3fb");
	memset(d, 0xff, sizeof(d));
	mng_sha256_base64(d, b64);
	assert_string_equal(b64, "//////////////////////////////////////////8=");
	memset(d, 0, sizeof(d));
	mng_sha256_base64(d, b64);
	assert_string_equal(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	mng_sha256_hex(d, hex);
	assert_int_equal(strlen(hex), MNG_SHA256_HEX_LEN);
	assert_int_equal(strspn(hex, "0"), MNG_SHA256_HEX_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nist_vectors),
	    cmocka_unit_test(test_million_a),
	    cmocka_unit_test(test_padding_boundaries),
	    cmocka_unit_test(test_random_vs_openssl),
	    cmocka_unit_test(test_one_mib_of_nuls),
	    cmocka_unit_test(test_final_wipes),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_text_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
