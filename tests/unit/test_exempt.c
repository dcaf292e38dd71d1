// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_exempt.c - exemption tokens: sign and verify round trip; every
 * refusal the contract names (forged signature, unknown kid, a trusted kid
 * signed by another key, any byte altered, any truncation, oversize,
 * duplicate, unknown and missing fields, non-canonical payloads); the
 * binding checks (terminal, user, scope, lifetime, window); trust files
 * read with the trusted-file checks; field validation; base64url.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "exempt.h"
#include "file.h"
#include "sha256.h"

#define MID "0123456789abcdef0123456789abcdef"
#define RULE "allow id 0781:5567 serial \"4C530001\" mode ro"
#define T0 1800000000

static char dir[] = "/tmp/mng-exempt-XXXXXX";
static char trust[128];
static EVP_PKEY *key_a, *key_b, *key_c; /* a trusted, b trusted, c not */

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
}

static int setup(void **state)
{
	char path[256];

	assert_non_null(mkdtemp(dir));
	snprintf(trust, sizeof(trust), "%s/trust", dir);
	assert_int_equal(mkdir(trust, 0755), 0);
	key_a = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	key_b = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	key_c = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_true(key_a && key_b && key_c);
	snprintf(path, sizeof(path), "%s/a.pub", trust);
	write_pub(key_a, path);
	snprintf(path, sizeof(path), "%s/b.pub", trust);
	write_pub(key_b, path);
	/* Things a trust directory may also hold, all skipped. */
	snprintf(path, sizeof(path), "%s/README", trust);
	write_pub(key_c, path);
	snprintf(path, sizeof(path), "%s/garbage.pub", trust);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", f);
		fclose(f);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct mng_exempt sample(enum mng_exempt_scope scope)
{
	struct mng_exempt e;

	memset(&e, 0, sizeof(e));
	strcpy(e.id, "00112233445566778899aabbccddeeff");
	e.issued = T0;
	e.not_before = T0 + 60;
	e.not_after = T0 + 60 + 2 * 3600;
	strcpy(e.terminal, MID);
	strcpy(e.user, "tanaka");
	e.scope = scope;
	if (scope == MNG_EXEMPT_SCOPE_USB)
		strcpy(e.object, RULE);
	else if (scope == MNG_EXEMPT_SCOPE_PRINT)
		strcpy(e.object, "office-mfp-3F");
	e.uses = 1;
	strcpy(e.ticket, "INC-123");
	strcpy(e.reason, "住民票の写しをUSBで受け取る \"急ぎ\" \\ 確認済み");
	strcpy(e.by, "佐藤");
	return e;
}

__attribute__((noinline)) static char *sign(const struct mng_exempt *e, EVP_PKEY *k)
{
	char *t = NULL;

	assert_true(mng_exempt_sign(e, k, &t) > 0);
	return t;
}

/* A token over any payload bytes, signed by k (to build malformed ones). */
static char *sign_raw(const char *payload, EVP_PKEY *k)
{
	char *t = malloc(16384);
	uint8_t sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int n;

	assert_non_null(t);
	strcpy(t, "mngx1.");
	n = mng_base64url_encode(payload, strlen(payload), t + 6, 16384 - 6);
	assert_true(n >= 0);
	n += 6;
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (uint8_t *)t, (size_t)n), 1);
	EVP_MD_CTX_free(md);
	t[n++] = '.';
	assert_int_equal(mng_base64url_encode(sig, 64, t + n, 16384 - (size_t)n), 86);
	return t;
}

static int verify(const char *t, struct mng_exempt *out, char *err, size_t errlen)
{
	return mng_exempt_verify(t, strlen(t), trust, 0, out, err, errlen);
}

static void kid_of(EVP_PKEY *k, char out[17])
{
	assert_int_equal(mng_exempt_kid(k, out), 0);
}

static void test_scope_names(void **state)
{
	enum mng_exempt_scope s = MNG_EXEMPT_SCOPE_NONE;

	assert_string_equal(mng_exempt_scope_name(MNG_EXEMPT_SCOPE_USB), "usb");
	assert_string_equal(mng_exempt_scope_name(MNG_EXEMPT_SCOPE_PRINT), "print");
	assert_string_equal(mng_exempt_scope_name(MNG_EXEMPT_SCOPE_CLIPBOARD), "clipboard");
	assert_string_equal(mng_exempt_scope_name(MNG_EXEMPT_SCOPE_LOGIN), "login");
	assert_null(mng_exempt_scope_name(MNG_EXEMPT_SCOPE_NONE));
	assert_null(mng_exempt_scope_name(99));
	assert_int_equal(mng_exempt_scope_parse("print", &s), 0);
	assert_int_equal(s, MNG_EXEMPT_SCOPE_PRINT);
	assert_int_equal(mng_exempt_scope_parse("USB", &s), -EINVAL);
	assert_int_equal(mng_exempt_scope_parse("", &s), -EINVAL);
	assert_int_equal(s, MNG_EXEMPT_SCOPE_PRINT);
}

static void test_base64url(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	uint8_t out[16], all[256];
	char buf[512];
	size_t i;

	for (i = 0; i < 7; i++) {
		assert_int_equal(mng_base64url_encode(plain[i], strlen(plain[i]), buf, sizeof(buf)),
				 (int)strlen(enc[i]));
		assert_string_equal(buf, enc[i]);
		assert_int_equal(mng_base64url_decode(enc[i], strlen(enc[i]), out, sizeof(out)),
				 (int)strlen(plain[i]));
		assert_memory_equal(out, plain[i], strlen(plain[i]));
	}
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	assert_int_equal(mng_base64url_encode(all, 256, buf, sizeof(buf)), 342);
	assert_null(strchr(buf, '+'));
	assert_null(strchr(buf, '/'));
	assert_non_null(strchr(buf, '-'));
	assert_non_null(strchr(buf, '_'));
	assert_int_equal(mng_base64url_encode(all, 3, buf, 4), -ENOBUFS);
	assert_int_equal(mng_base64url_decode("Zh", 2, out, sizeof(out)), -EBADMSG); /* bits */
	assert_int_equal(mng_base64url_decode("Z", 1, out, sizeof(out)), -EBADMSG);
	assert_int_equal(mng_base64url_decode("Zg==", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(mng_base64url_decode("Zm+v", 4, out, sizeof(out)), -EBADMSG);
	assert_int_equal(mng_base64url_decode("Zm9 v", 5, out, sizeof(out)), -EBADMSG);
	assert_int_equal(mng_base64url_decode("Zm9vYmFy", 8, out, 5), -ENOBUFS);
}

static void test_round_trip(void **state)
{
	enum mng_exempt_scope s;

	for (s = MNG_EXEMPT_SCOPE_USB; s <= MNG_EXEMPT_SCOPE_LOGIN; s++) {
		struct mng_exempt e = sample(s), got, dec;
		char err[256] = "", *t = sign(&e, key_a);

		assert_int_equal(strncmp(t, "mngx1.", 6), 0);
		assert_int_equal(verify(t, &got, err, sizeof(err)), 0);
		kid_of(key_a, e.kid);
		assert_memory_equal(&e, &got, sizeof(e));
		assert_int_equal(mng_exempt_decode(t, strlen(t), &dec, err, sizeof(err)), 0);
		assert_memory_equal(&e, &dec, sizeof(e));
		free(t);
	}
}

static void test_kid(void **state)
{
	uint8_t raw[32], d[32];
	size_t len = sizeof(raw);
	char hex[65], kid[17];
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_int_equal(EVP_PKEY_get_raw_public_key(key_a, raw, &len), 1);
	assert_int_equal(mng_sha256(raw, 32, d), 0);
	mng_sha256_hex(d, hex);
	kid_of(key_a, kid);
	assert_int_equal(strlen(kid), 16);
	assert_memory_equal(kid, hex, 16);
	assert_non_null(ec);
	assert_int_equal(mng_exempt_kid(ec, kid), -EINVAL);
	assert_int_equal(mng_exempt_kid(NULL, kid), -EINVAL);
	EVP_PKEY_free(ec);
}

static void test_id_new(void **state)
{
	char a[33], b[33];
	size_t i;

	assert_int_equal(mng_exempt_id_new(a), 0);
	assert_int_equal(mng_exempt_id_new(b), 0);
	assert_int_equal(strlen(a), 32);
	for (i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
}

static void test_sign_refuses(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB);
	EVP_PKEY *pub = NULL, *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t raw[32];
	size_t len = sizeof(raw);
	char *t = NULL;

	assert_int_equal(EVP_PKEY_get_raw_public_key(key_a, raw, &len), 1);
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
	assert_non_null(pub);
	assert_int_equal(mng_exempt_sign(&e, pub, &t), -EINVAL);
	assert_int_equal(mng_exempt_sign(&e, ec, &t), -EINVAL);
	assert_int_equal(mng_exempt_sign(&e, NULL, &t), -EINVAL);
	e.uses = 0;
	assert_int_equal(mng_exempt_sign(&e, key_a, &t), -EINVAL);
	assert_null(t);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ec);
}

static void test_forged_signature(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char err[256], *t, *dot;

	t = sign(&e, key_a);
	dot = strrchr(t, '.');
	assert_non_null(dot);
	/* A signature of all zero bytes. */
	memset(dot + 1, 'A', 86);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "signature"));
	free(t);
}

static void test_untrusted_key(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char err[256], *t = sign(&e, key_c), kid[17];

	kid_of(key_c, kid);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -ENOKEY);
	assert_non_null(strstr(err, kid));
	/* Decoding alone does not look at trust. */
	assert_int_equal(mng_exempt_decode(t, strlen(t), &got, err, sizeof(err)), 0);
	free(t);
}

static void test_trusted_kid_other_signer(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char err[256], *good, *forged, payload[4096];
	const char *p, *dot;
	uint8_t raw[4096];
	int n;

	good = sign(&e, key_a);
	p = good + 6;
	dot = strchr(p, '.');
	assert_non_null(dot);

	/* Same payload, naming key a, signed with key b (also trusted). */
	n = mng_base64url_decode(p, (size_t)(dot - p), raw, sizeof(raw));
	assert_true(n > 0);
	memcpy(payload, raw, (size_t)n);
	payload[n] = '\0';
	forged = sign_raw(payload, key_b);
	assert_int_equal(verify(forged, &got, err, sizeof(err)), -EKEYREJECTED);
	/* and the control: the same payload signed by a verifies */
	free(forged);
	forged = sign_raw(payload, key_a);
	assert_int_equal(verify(forged, &got, err, sizeof(err)), 0);
	free(forged);
	free(good);
}

static void test_every_byte_altered(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char *t = sign(&e, key_a), *bad;
	size_t len = strlen(t), i, j, tried = 0;
	static const unsigned char repl[] = {'A', 'B', 'g', '0', '-', '_', '.', '=', 0x80, 0};

	bad = malloc(len + 1);
	assert_non_null(bad);
	for (i = 0; i < len; i++) {
		unsigned char alts[16];
		size_t na = 0;

		alts[na++] = (unsigned char)t[i] ^ 0x01;
		alts[na++] = (unsigned char)t[i] ^ 0x20;
		for (j = 0; j < sizeof(repl); j++)
			alts[na++] = repl[j];
		for (j = 0; j < na; j++) {
			if (alts[j] == (unsigned char)t[i])
				continue;
			memcpy(bad, t, len + 1);
			bad[i] = (char)alts[j];
			if (verify(bad, &got, NULL, 0) == 0)
				fail_msg("byte %zu changed to 0x%02x was accepted", i, alts[j]);
			/* with the true length too (NUL bytes inside) */
			assert_true(mng_exempt_verify(bad, len, trust, 0, &got, NULL, 0) < 0);
			tried++;
		}
	}
	assert_true(tried > len * 8);
	free(bad);
	free(t);
}

static void test_every_truncation(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_PRINT), got;
	char *t = sign(&e, key_a), err[256];
	size_t len = strlen(t), i;

	for (i = 0; i < len; i++) {
		err[0] = '\0';
		assert_int_equal(mng_exempt_verify(t, i, trust, 0, &got, err, sizeof(err)),
				 -EBADMSG);
		assert_true(err[0] != '\0');
		assert_int_equal(mng_exempt_decode(t, i, &got, NULL, 0), -EBADMSG);
	}
	assert_int_equal(mng_exempt_verify(t, len, trust, 0, &got, err, sizeof(err)), 0);
	free(t);
}

static void test_oversized(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char *t = sign(&e, key_a), *big, err[256];
	size_t len = strlen(t), n = 1 << 20;

	big = malloc(n + 1);
	assert_non_null(big);
	/* The token followed by whitespace past the cap: refused before decoding. */
	memset(big, ' ', n);
	memcpy(big, t, len);
	big[n] = '\0';
	assert_int_equal(
	    mng_exempt_verify(big, MNG_EXEMPT_TEXT_MAX + 1, trust, 0, &got, err, sizeof(err)),
	    -E2BIG);
	assert_int_equal(mng_exempt_verify(big, n, trust, 0, &got, err, sizeof(err)), -E2BIG);
	assert_int_equal(mng_exempt_decode(big, n, &got, err, sizeof(err)), -E2BIG);
	assert_int_equal(
	    mng_exempt_verify(big, MNG_EXEMPT_TEXT_MAX, trust, 0, &got, err, sizeof(err)), 0);
	/* Garbage of every kind. */
	memset(big, 0, n);
	assert_int_equal(mng_exempt_decode(big, 100, &got, err, sizeof(err)), -EBADMSG);
	memset(big, 0xff, 4000);
	assert_int_equal(mng_exempt_decode(big, 4000, &got, err, sizeof(err)), -EBADMSG);
	memcpy(big, "mngx1.", 6);
	memset(big + 6, 'A', 3990);
	big[3000] = '.';
	assert_int_equal(mng_exempt_decode(big, 3996, &got, err, sizeof(err)), -EBADMSG);
	free(big);
	free(t);
}

static void test_whitespace_wrapped(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char *t = sign(&e, key_a), *w, err[256];
	size_t len = strlen(t), i, o = 0;

	w = malloc(len * 3 + 16);
	assert_non_null(w);
	w[o++] = '\n';
	w[o++] = ' ';
	for (i = 0; i < len; i++) {
		w[o++] = t[i];
		if (i % 64 == 63) {
			w[o++] = '\r';
			w[o++] = '\n';
		}
		if (i % 97 == 5)
			w[o++] = '\t';
	}
	w[o++] = '\n';
	w[o] = '\0';
	assert_int_equal(verify(w, &got, err, sizeof(err)), 0);
	assert_string_equal(got.object, RULE);
	free(w);
	free(t);
}

/* Payload variants, each signed by a trusted key, each refused naming the field. */
static void test_payload_errors(void **state)
{
	char kid[17], good[2048], buf[4096], err[256], *t;
	struct mng_exempt got;
	size_t i;
#define HEAD "{\"v\":1,\"id\":\"00112233445566778899aabbccddeeff\",\"kid\":\"%s\","
	static const struct {
		const char *tail, *want;
	} cases[] = {
	    /* duplicated, unknown, missing */
	    {"\"iat\":1,\"iat\":1,\"nbf\":2,\"exp\":3", "\"iat\": duplicated"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"colour\":\"red\"", "unknown field \"colour\""},
	    {"\"iat\":1,\"nbf\":2", "\"exp\": missing"},
	    {"\"iat\":1 \"nbf\":2", "expected ',' or '}'"},
	    /* types and ranges */
	    {"\"iat\":\"1\"", "\"iat\": expected a number"},
	    {"\"iat\":-1", "\"iat\": expected a non-negative integer"},
	    {"\"iat\":1.5", "\"iat\": expected a non-negative integer"},
	    {"\"iat\":1e3", "\"iat\": expected a non-negative integer"},
	    {"\"iat\":01", "\"iat\": expected a non-negative integer"},
	    {"\"iat\":99999999999999999999", "\"iat\": number out of range"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":12", "\"term\": expected a string"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"\\u0000\"", "\"term\": NUL"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"\\ud800\"", "\"term\": bad escape"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"\\x41\"", "\"term\": bad escape"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"\xc3\x28\"", "\"term\": invalid UTF-8"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"\x01\"", "\"term\": raw control"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"0123456789abcdef0123456789abcdef0\"",
	     "\"term\": longer than"},
	    {"\"iat\":1,\"nbf\":2,\"exp\":3,\"term\":\"x", "\"term\": unterminated"},
	};

	kid_of(key_a, kid);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), HEAD, kid);
		strcat(buf, cases[i].tail);
		strcat(buf, "}");
		t = sign_raw(buf, key_a);
		err[0] = '\0';
		assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
		free(t);
	}

	/* A complete, valid payload, then one field at a time dropped. */
	snprintf(
	    good, sizeof(good),
	    "{\"v\":1,\"id\":\"00112233445566778899aabbccddeeff\",\"kid\":\"%s\",\"iat\":10,"
	    "\"nbf\":20,\"exp\":30,\"term\":\"%s\",\"user\":\"tanaka\",\"scope\":\"clipboard\","
	    "\"obj\":\"\",\"uses\":2,\"ticket\":\"INC-9\",\"reason\":\"\",\"by\":\"sato\"}",
	    kid, MID);
	t = sign_raw(good, key_a);
	assert_int_equal(verify(t, &got, err, sizeof(err)), 0);
	assert_int_equal(got.uses, 2);
	assert_int_equal(got.scope, MNG_EXEMPT_SCOPE_CLIPBOARD);
	free(t);
	{
		static const char *const names[] = {"v",    "id",     "kid",	"iat",	 "nbf",
						    "exp",  "term",   "user",	"scope", "obj",
						    "uses", "ticket", "reason", "by"};
		for (i = 0; i < 14; i++) {
			char key[24], *s, *e;
			char want[48];

			snprintf(key, sizeof(key), "\"%s\":", names[i]);
			strcpy(buf, good);
			s = strstr(buf, key);
			assert_non_null(s);
			e = s + strlen(key);
			if (*e == '"')
				e = strchr(e + 1, '"') + 1;
			else
				while (*e >= '0' && *e <= '9')
					e++;
			if (*e == ',')
				e++;
			else if (s[-1] == ',')
				s--;
			memmove(s, e, strlen(e) + 1);
			t = sign_raw(buf, key_a);
			assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
			snprintf(want, sizeof(want), "\"%s\": missing", names[i]);
			if (!strstr(err, want))
				fail_msg("dropping %s: \"%s\"", names[i], err);
			free(t);
		}
	}
	/* Valid JSON, same fields, not canonical: refused. */
	{
		static const char *const from[] = {"\"uses\":2", "\"by\":\"sato\"", "{\"v\":1",
						   "\"by\":\"sato\"}"};
		static const char *const to[] = {"\"uses\": 2", "\"by\":\"s\\u0061to\"",
						 "{ \"v\":1", "\"by\":\"sato\"}\n"};

		for (i = 0; i < 4; i++) {
			char *s;

			strcpy(buf, good);
			s = strstr(buf, from[i]);
			assert_non_null(s);
			memmove(s + strlen(to[i]), s + strlen(from[i]),
				strlen(s + strlen(from[i])) + 1);
			memcpy(s, to[i], strlen(to[i]));
			t = sign_raw(buf, key_a);
			assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
			assert_non_null(strstr(err, "canonical"));
			free(t);
		}
	}
	/* Keys in another order: canonical order is part of the format. */
	strcpy(buf, "{\"id\":\"00112233445566778899aabbccddeeff\",\"v\":1,");
	strcat(buf, strstr(good, "\"kid\""));
	t = sign_raw(buf, key_a);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
	free(t);
	/* Another version. */
	strcpy(buf, good);
	buf[5] = '2';
	t = sign_raw(buf, key_a);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "version"));
	free(t);
	/* Not an object at all, and trailing data. */
	t = sign_raw("[1,2]", key_a);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
	free(t);
	snprintf(buf, sizeof(buf), "%s{}", good);
	t = sign_raw(buf, key_a);
	assert_int_equal(verify(t, &got, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "after the JSON"));
	free(t);
}

static void test_text_errors(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char *t = sign(&e, key_a), buf[4200], err[256];
	size_t len = strlen(t);

	/* A third part. */
	snprintf(buf, sizeof(buf), "%s.AAAA", t);
	assert_int_equal(verify(buf, &got, err, sizeof(err)), -EBADMSG);
	/* Another prefix. */
	memcpy(buf, t, len + 1);
	buf[4] = '2';
	assert_int_equal(verify(buf, &got, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "prefix"));
	/* Padding appended to the signature. */
	snprintf(buf, sizeof(buf), "%s==", t);
	assert_int_equal(verify(buf, &got, err, sizeof(err)), -EBADMSG);
	/* An empty token, and NULL. */
	assert_int_equal(verify("", &got, err, sizeof(err)), -EBADMSG);
	assert_int_equal(mng_exempt_decode(NULL, 0, &got, err, sizeof(err)), -EBADMSG);
	assert_int_equal(mng_exempt_decode(t, len, NULL, err, sizeof(err)), -EINVAL);
	free(t);
}

static void test_check(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB);
	char err[256];
	const int64_t max = 8 * 3600;
	time_t in = T0 + 120;

	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 0);
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_NONE, max,
					  err, sizeof(err)),
			 0);
	/* window: [nbf, exp) */
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", e.not_before,
					  MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 0);
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", e.not_before - 1,
					  MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 -ETIME);
	assert_non_null(strstr(err, "not valid yet"));
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", e.not_after,
					  MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 -EKEYEXPIRED);
	assert_non_null(strstr(err, "expired"));
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", e.not_after - 1,
					  MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 0);
	/* terminal */
	assert_int_equal(mng_exempt_check(&e, "fedcba9876543210fedcba9876543210", true, "tanaka",
					  in, MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "terminal"));
	strcpy(e.terminal, "*");
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "any terminal"));
	assert_int_equal(mng_exempt_check(&e, MID, true, "tanaka", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 0);
	strcpy(e.terminal, MID);
	/* user */
	assert_int_equal(mng_exempt_check(&e, MID, false, "suzuki", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "user"));
	assert_int_equal(
	    mng_exempt_check(&e, MID, false, NULL, in, MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
	    -EACCES);
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka2", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 -EACCES);
	strcpy(e.user, "*");
	assert_int_equal(mng_exempt_check(&e, MID, false, "suzuki", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 0);
	strcpy(e.user, "tanaka");
	/* scope */
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_PRINT, max,
					  err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "scope usb"));
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_LOGIN, max,
					  err, sizeof(err)),
			 -EACCES);
	/* lifetime: 2 h token against a 1 h maximum; exactly the maximum passes */
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, 3600,
					  err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "lifetime"));
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB,
					  2 * 3600, err, sizeof(err)),
			 0);
	/* binding beats time: an expired token for another user says "user" */
	assert_int_equal(mng_exempt_check(&e, MID, false, "suzuki", e.not_after + 10,
					  MNG_EXEMPT_SCOPE_USB, max, err, sizeof(err)),
			 -EACCES);
	/* bad arguments */
	assert_int_equal(mng_exempt_check(&e, NULL, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(mng_exempt_check(&e, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, 0,
					  err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(mng_exempt_check(NULL, MID, false, "tanaka", in, MNG_EXEMPT_SCOPE_USB, max,
					  err, sizeof(err)),
			 -EINVAL);
}

static void expect_invalid(struct mng_exempt *e, const char *want)
{
	char err[256] = "", *t = NULL;

	assert_int_equal(mng_exempt_validate(e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("\"%s\" lacks \"%s\"", err, want);
	assert_int_equal(mng_exempt_sign(e, key_a, &t), -EINVAL);
	assert_null(t);
}

static void test_validate(void **state)
{
	struct mng_exempt e;

#define WITH(scope, stmt, want)                                                                    \
	do {                                                                                       \
		e = sample(scope);                                                                 \
		stmt;                                                                              \
		expect_invalid(&e, want);                                                          \
	} while (0)
	e = sample(MNG_EXEMPT_SCOPE_USB);
	assert_int_equal(mng_exempt_validate(&e, NULL, 0), 0);
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.id, "00112233445566778899AABBCCDDEEFF"), "\"id\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.id, "0011"), "\"id\"");
	WITH(MNG_EXEMPT_SCOPE_USB, e.issued = e.not_before + 1, "\"nbf\"");
	WITH(MNG_EXEMPT_SCOPE_USB, e.not_after = e.not_before, "\"exp\"");
	WITH(MNG_EXEMPT_SCOPE_USB, e.issued = -5, "times");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.terminal, "0123"), "\"term\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.terminal, "0123456789ABCDEF0123456789abcdef"),
	     "\"term\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.user, ""), "\"user\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.user, "-rf"), "\"user\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.user, "ta naka"), "\"user\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.user, "田中"), "\"user\"");
	WITH(MNG_EXEMPT_SCOPE_USB, e.scope = MNG_EXEMPT_SCOPE_NONE, "\"scope\"");
	WITH(MNG_EXEMPT_SCOPE_LOGIN, strcpy(e.user, "*"), "login exemption must name");
	/* usb rule */
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "allow id 0781"), "does not parse");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "block id 0781:5567"), "allow rule");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "reject"), "allow rule");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "allow\nallow"), "\"obj\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, ""), "\"obj\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "# just a comment"), "exactly one");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "printer allow \"office\""), "allow rule");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.object, "allow id 0781:5567 allow id 0781:5567"),
	     "\"obj\"");
	/* printer */
	WITH(MNG_EXEMPT_SCOPE_PRINT, strcpy(e.object, "a/b"), "queue name");
	WITH(MNG_EXEMPT_SCOPE_PRINT, strcpy(e.object, "a b"), "queue name");
	WITH(MNG_EXEMPT_SCOPE_PRINT, strcpy(e.object, "a#b"), "queue name");
	WITH(MNG_EXEMPT_SCOPE_PRINT, strcpy(e.object, ""), "queue name");
	WITH(MNG_EXEMPT_SCOPE_PRINT, memset(e.object, 'p', 128), "queue name");
	/* clipboard and login carry no object */
	WITH(MNG_EXEMPT_SCOPE_CLIPBOARD, strcpy(e.object, "x"), "must be empty");
	WITH(MNG_EXEMPT_SCOPE_LOGIN, strcpy(e.object, "x"), "must be empty");
	/* uses, ticket, reason, by */
	WITH(MNG_EXEMPT_SCOPE_USB, e.uses = 0, "\"uses\"");
	WITH(MNG_EXEMPT_SCOPE_USB, e.uses = 1001, "\"uses\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.ticket, ""), "\"ticket\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.ticket, " INC"), "\"ticket\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.ticket, "INC\t1"), "\"ticket\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.ticket, "障害-1"), "\"ticket\"");
	WITH(MNG_EXEMPT_SCOPE_USB, memset(e.ticket, 'T', 65), "\"ticket\"");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.reason, "line\nbreak"), "\"reason\": control");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.reason, "a\xc2\x85z"), "\"reason\": control");
	WITH(MNG_EXEMPT_SCOPE_USB,
	     strcpy(e.reason, "abc\xe2\x80\xae"
			      "evil"),
	     "bidirectional");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.reason, "\xff\xfe"), "invalid UTF-8");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.by, "x\x7f"), "\"by\": control");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.by, ""), "\"by\": empty");
	WITH(MNG_EXEMPT_SCOPE_USB, strcpy(e.by, "\xe2\x81\xa6x"), "\"by\": bidirectional");
	/* Unterminated fields are caught, not read past. */
	WITH(MNG_EXEMPT_SCOPE_USB, memset(e.by, 'b', sizeof(e.by)), "\"by\"");
	WITH(MNG_EXEMPT_SCOPE_USB, memset(e.reason, 'b', sizeof(e.reason)), "\"reason\"");
	WITH(MNG_EXEMPT_SCOPE_USB, memset(e.object, 'b', sizeof(e.object)), "\"obj\"");
#undef WITH
	/* Limits themselves are fine. */
	e = sample(MNG_EXEMPT_SCOPE_PRINT);
	memset(e.object, 'p', 127);
	e.uses = 1000;
	memset(e.ticket, 'T', 64);
	memset(e.reason, 'r', 256);
	memset(e.by, 'b', 64);
	assert_int_equal(mng_exempt_validate(&e, NULL, 0), 0);
}

static void test_largest_token_fits(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char *t = NULL, *before;
	size_t n;
	int len;

	/* Every field at its maximum, nothing to escape: fits. */
	memset(e.object, 0, sizeof(e.object));
	strcpy(e.object, "allow name \"");
	n = strlen(e.object);
	memset(e.object + n, 'n', MNG_EXEMPT_OBJ_MAX - n - 1);
	e.object[MNG_EXEMPT_OBJ_MAX - 1] = '"';
	memset(e.reason, 0, sizeof(e.reason));
	for (n = 0; n + 3 <= MNG_EXEMPT_REASON_MAX; n += 3)
		memcpy(e.reason + n, "\xe3\x81\x82", 3);
	memset(e.by, 'b', MNG_EXEMPT_BY_MAX);
	memset(e.ticket, 'T', MNG_EXEMPT_TICKET_MAX);
	e.uses = MNG_EXEMPT_USES_MAX;
	len = mng_exempt_sign(&e, key_a, &t);
	assert_true(len > 0 && len <= MNG_EXEMPT_TEXT_MAX);
	assert_int_equal(verify(t, &got, NULL, 0), 0);
	assert_string_equal(got.object, e.object);
	assert_string_equal(got.reason, e.reason);
	free(t);
	/* Every byte escaped: over the text cap, refused, nothing returned. */
	strcpy(e.object, "allow name \"");
	n = strlen(e.object);
	while (n + 3 < MNG_EXEMPT_OBJ_MAX) {
		e.object[n++] = '\\';
		e.object[n++] = '"';
	}
	e.object[n++] = '"';
	e.object[n] = '\0';
	memset(e.reason, '"', MNG_EXEMPT_REASON_MAX);
	memset(e.by, '\\', MNG_EXEMPT_BY_MAX);
	memset(e.ticket, '"', MNG_EXEMPT_TICKET_MAX);
	assert_int_equal(mng_exempt_validate(&e, NULL, 0), 0);
	before = t = (char *)0x1;
	assert_int_equal(mng_exempt_sign(&e, key_a, &t), -E2BIG);
	assert_ptr_equal(t, before);
}

static void test_trust_files(void **state)
{
	struct mng_exempt e = sample(MNG_EXEMPT_SCOPE_USB), got;
	char tdir[160], path[256], target[256], err[512], *ta, *tb;

	if (geteuid() != 0)
		skip();
	snprintf(tdir, sizeof(tdir), "%s/t2", dir);
	assert_int_equal(mkdir(tdir, 0755), 0);
	ta = sign(&e, key_a);
	tb = sign(&e, key_b);
	/* a.pub as a symlink to a good file elsewhere: refused when trusted. */
	snprintf(target, sizeof(target), "%s/a-real.pem", dir);
	write_pub(key_a, target);
	snprintf(path, sizeof(path), "%s/a.pub", tdir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(
	    mng_exempt_verify(ta, strlen(ta), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)),
	    -ENOKEY);
	assert_non_null(strstr(err, "a.pub refused"));
	assert_int_equal(mng_exempt_verify(ta, strlen(ta), tdir, 0, &got, err, sizeof(err)), 0);
	/* b.pub group-writable: refused when trusted. */
	snprintf(path, sizeof(path), "%s/b.pub", tdir);
	write_pub(key_b, path);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)),
	    -ENOKEY);
	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)),
	    -ENOKEY);
	assert_int_equal(chmod(path, 0644), 0);
	/* not root-owned */
	assert_int_equal(chown(path, 1, 1), 0);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)),
	    -ENOKEY);
	assert_int_equal(chown(path, 0, 0), 0);
	/* The directory itself group-writable. */
	assert_int_equal(chmod(tdir, 0775), 0);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)),
	    -EPERM);
	assert_int_equal(chmod(tdir, 0755), 0);
	assert_int_equal(
	    mng_exempt_verify(tb, strlen(tb), tdir, MNG_FILE_TRUSTED, &got, err, sizeof(err)), 0);
	/* A missing directory. */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(mng_exempt_verify(tb, strlen(tb), path, 0, &got, err, sizeof(err)),
			 -ENOENT);
	free(ta);
	free(tb);
}

static void test_machine_id(void **state)
{
	char path[256], id[33];
	FILE *f;
	static const struct {
		const char *content;
		int want;
	} cases[] = {
	    {MID "\n", 0},
	    {MID, 0},
	    {"0123456789ABCDEF0123456789abcdef\n", -EINVAL},
	    {"0123456789abcdef\n", -EINVAL},
	    {MID "\n\n", -EINVAL},
	    {"uninitialized\n", -EINVAL},
	    {"", -EINVAL},
	};
	size_t i;

	snprintf(path, sizeof(path), "%s/machine-id", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(cases[i].content, f);
		fclose(f);
		assert_int_equal(mng_exempt_machine_id(path, id), cases[i].want);
		if (cases[i].want == 0)
			assert_string_equal(id, MID);
	}
	snprintf(path, sizeof(path), "%s/nope", dir);
	assert_int_equal(mng_exempt_machine_id(path, id), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scope_names),
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_kid),
	    cmocka_unit_test(test_id_new),
	    cmocka_unit_test(test_sign_refuses),
	    cmocka_unit_test(test_forged_signature),
	    cmocka_unit_test(test_untrusted_key),
	    cmocka_unit_test(test_trusted_kid_other_signer),
	    cmocka_unit_test(test_every_byte_altered),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_whitespace_wrapped),
	    cmocka_unit_test(test_payload_errors),
	    cmocka_unit_test(test_text_errors),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_largest_token_fits),
	    cmocka_unit_test(test_trust_files),
	    cmocka_unit_test(test_machine_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
