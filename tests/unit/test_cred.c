// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_cred.c - the credential file: good lines, every kind of bad field
 * with its file:line:col, hostile input (NUL, invalid UTF-8, 1 MiB lines,
 * huge files), base64 strictness, formatting round trip, atomic writing
 * and the trusted-file checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cred.h"
#include "diag.h"
#include "file.h"

static char dir[] = "/tmp/mng-cred-XXXXXX";
static char *pk_es256, *pk_eddsa, *pk_rs256; /* standard base64 of DER SPKI */

static char *spki_b64(const char *alg, int bits)
{
	EVP_PKEY *k = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	int len;

	if (!strcmp(alg, "EC"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (!strcmp(alg, "RSA"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	assert_non_null(k);
	len = i2d_PUBKEY(k, &der);
	assert_true(len > 0);
	assert_int_equal(mng_b64_encode(der, (size_t)len, 0, &b64), 0);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return b64;
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	pk_es256 = spki_b64("EC", 0);
	pk_eddsa = spki_b64("ED25519", 0);
	pk_rs256 = spki_b64("RSA", 2048);
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(pk_es256);
	free(pk_eddsa);
	free(pk_rs256);
	return 0;
}

/* All diagnostics as printed, one string. */
static char *printed(const struct mng_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	mng_diags_print(d, f);
	fclose(f);
	return buf;
}

static char *line(const char *user, const char *id, const char *type, const char *pk,
		  const char *flags, const char *aaguid, const char *label, const char *when,
		  const char *op)
{
	char *s = NULL;

	assert_true(asprintf(&s, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", user, id, type, pk, flags,
			     aaguid, label, when, op) > 0);
	return s;
}

#define AAGUID "0123456789abcdef0123456789abcdef"
#define WHEN "2026-11-25T09:30:00Z"

static char *good_line(const char *user, const char *id)
{
	return line(user, id, "es256", pk_es256, "up,uv", AAGUID, "窓口用キー 1", WHEN,
		    "helpdesk01");
}

static void test_good_file(void **state)
{
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	char *l1 = good_line("tanaka", "AAECAw");
	char *l2 = line("_svc.x-1", "_-8", "eddsa", pk_eddsa, "up,zero-counter-ok", AAGUID, "spare",
			"2024-02-29T23:59:59Z", "佐藤");
	char *l3 = line("suzuki", "AQ", "rs256", pk_rs256, "-", AAGUID, "rsa key", WHEN, "op");
	char *text = NULL;

	assert_true(asprintf(&text, "# comment\n\n%s\n#x\t\n%s\n%s", l1, l2, l3) > 0);
	assert_int_equal(mng_credset_parse(text, strlen(text), "creds", &s, &d), 0);
	assert_int_equal(mng_diags_count(&d), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0].user, "tanaka");
	assert_int_equal(s.v[0].id_len, 4);
	assert_memory_equal(s.v[0].id, "\x00\x01\x02\x03", 4);
	assert_int_equal(s.v[0].type, MNG_CRED_ES256);
	assert_int_equal(s.v[0].flags, MNG_CRED_F_UP | MNG_CRED_F_UV);
	assert_int_equal(s.v[0].aaguid[0], 0x01);
	assert_int_equal(s.v[0].aaguid[15], 0xef);
	assert_string_equal(s.v[0].label, "窓口用キー 1");
	assert_string_equal(s.v[0].enrolled, WHEN);
	assert_string_equal(s.v[0].operator_, "helpdesk01");
	assert_int_equal(s.v[0].line, 3);
	assert_int_equal(s.v[1].type, MNG_CRED_EDDSA);
	assert_int_equal(s.v[1].flags, MNG_CRED_F_UP | MNG_CRED_F_ZERO_OK);
	assert_int_equal(s.v[1].id_len, 2);
	assert_memory_equal(s.v[1].id, "\xff\xef", 2);
	assert_int_equal(s.v[1].line, 5);
	assert_int_equal(s.v[2].type, MNG_CRED_RS256);
	assert_int_equal(s.v[2].flags, 0);
	mng_credset_clear(&s);
	assert_int_equal(s.n, 0);
	free(l1);
	free(l2);
	free(l3);
	free(text);
}

/* One bad field a line; each diagnostic names the field's line and column. */
static void test_every_error(void **state)
{
	struct mng_credset s = {.n = 77};
	struct mng_diags d = {0};
	char *l[32], *text = NULL, *out, *exp = NULL;
	size_t n = 0, i, colpk;
	FILE *f;
	size_t tlen = 0;

	colpk = strlen("u\tAA\tes256\t") + 1;
	l[n++] = line("Tanaka", "AA", "es256", pk_es256, "up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "AA=", "es256", pk_es256, "up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "BA", "es257", pk_es256, "up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "CA", "es256", "AAAA", "up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "DA", "es256", pk_eddsa, "up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "EA", "es256", pk_es256, "up,up", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "FA", "es256", pk_es256, "up,,uv", AAGUID, "k", WHEN, "o");
	l[n++] = line("u", "GA", "es256", pk_es256, "up", "0123456789ABCDEF0123456789abcdef", "k",
		      WHEN, "o");
	l[n++] = line("u", "HA", "es256", pk_es256, "up", AAGUID, "", WHEN, "o");
	l[n++] = line("u", "IA", "es256", pk_es256, "up", AAGUID, "k\x7f", WHEN, "o");
	l[n++] = line("u", "JA", "es256", pk_es256, "up", AAGUID, "k", "2026-02-29T00:00:00Z", "o");
	l[n++] = line("u", "KA", "es256", pk_es256, "up", AAGUID, "k", WHEN, "\xff\xfe");
	l[n++] = strdup("u\tLA\tes256");
	l[n++] = line("u", "AA", "es256", pk_es256, "up", AAGUID, "k", WHEN, "o"); /* first AA ok */
	l[n++] = line("v", "AA", "es256", pk_es256, "up", AAGUID, "k", WHEN, "o"); /* dup id */
	l[n++] =
	    line("u", "MA", "es256", pk_es256, "up", AAGUID,
		 "0123456789012345678901234567890123456789012345678901234567890123x", WHEN, "o");

	f = open_memstream(&text, &tlen);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", l[i]);
	fclose(f);
	assert_int_equal(mng_credset_parse(text, tlen, "c", &s, &d), -EINVAL);
	assert_int_equal(s.n, 77); /* untouched */
	out = printed(&d);
	f = open_memstream(&exp, &tlen);
	fprintf(f, "c:1:1: user name must start with a-z or '_'\n");
	fprintf(f, "c:2:3: credential id is not base64url without padding\n");
	fprintf(f, "c:3:6: unknown key type (es256, eddsa or rs256)\n");
	fprintf(f, "c:4:%zu: not a DER SubjectPublicKeyInfo\n", colpk);
	fprintf(f, "c:5:%zu: es256 needs an EC P-256 public key\n", colpk);
	fprintf(f, "c:6:%zu: flag given twice\n", colpk + strlen(pk_es256) + 1);
	fprintf(f,
		"c:7:%zu: flags must be '-' or a comma-separated list of up, uv, zero-counter-ok\n",
		colpk + strlen(pk_es256) + 1);
	fprintf(f, "c:8:%zu: AAGUID must be 32 lowercase hex digits\n",
		colpk + strlen(pk_es256) + 4);
	fprintf(f, "c:9:%zu: label: empty (1..64 bytes of printable UTF-8)\n",
		colpk + strlen(pk_es256) + 4 + 33);
	/* the column names the offending character: "k" then DEL */
	fprintf(f, "c:10:%zu: label: control character (1..64 bytes of printable UTF-8)\n",
		colpk + strlen(pk_es256) + 4 + 33 + 1);
	fprintf(f, "c:11:%zu: enrolment time must be YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
		colpk + strlen(pk_es256) + 4 + 33 + 2);
	fprintf(f, "c:12:%zu: operator: invalid UTF-8 (1..64 bytes of printable UTF-8)\n",
		colpk + strlen(pk_es256) + 4 + 33 + 2 + 21);
	fprintf(f, "c:13:1: expected 9 TAB-separated fields, found 3\n");
	fprintf(f, "c:16:%zu: label: too long (1..64 bytes of printable UTF-8)\n",
		colpk + strlen(pk_es256) + 4 + 33);
	/* repeated ids are found over the sorted set, after the line checks */
	fprintf(f, "c:15:3: credential id already given on line 14\n");
	fclose(f);
	assert_string_equal(out, exp);
	free(out);
	free(exp);
	free(text);
	for (i = 0; i < n; i++)
		free(l[i]);
	mng_diags_clear(&d);
}

/*
 * Guards the rule that label and operator may not hold Unicode bidirectional
 * controls (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069): a listing or a
 * log would show them reordered. Neighbours of each range stay allowed.
 */
static void test_bidi_controls(void **state)
{
	static const char *const bad[] = {
	    "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xab",
	    "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae", "\xe2\x81\xa6",
	    "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",
	};
	/* U+200D ZWJ, U+2010 hyphen, U+2029, U+202F, U+2065, U+206A: not bidi controls */
	static const char *const good[] = {
	    "\xe2\x80\x8d", "\xe2\x80\x90", "\xe2\x80\xa9",
	    "\xe2\x80\xaf", "\xe2\x81\xa5", "\xe2\x81\xaa",
	};
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	char label[64], *l, *out, *exp;
	size_t i, colpk = strlen("u\tAA\tes256\t") + 1;
	size_t collabel = colpk + strlen(pk_es256) + 4 + 33;
	size_t colop = collabel + strlen("ab") + 1 + strlen(WHEN) + 1;
	struct mng_cred c;

	(void)state;
	for (i = 0; i < MNG_ARRAY_SIZE(bad); i++) {
		/* in the label, two bytes in */
		snprintf(label, sizeof(label), "ab%sc", bad[i]);
		l = line("u", "AA", "es256", pk_es256, "up", AAGUID, label, WHEN, "op");
		assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), -EINVAL);
		out = printed(&d);
		assert_true(asprintf(&exp,
				     "c:1:%zu: label: bidirectional control character (1..64 bytes "
				     "of printable UTF-8)\n",
				     collabel + 2) > 0);
		assert_string_equal(out, exp);
		free(out);
		free(exp);
		free(l);
		mng_diags_clear(&d);
		/* alone in the operator field */
		l = line("u", "AA", "es256", pk_es256, "up", AAGUID, "ab", WHEN, bad[i]);
		assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), -EINVAL);
		out = printed(&d);
		assert_true(asprintf(&exp,
				     "c:1:%zu: operator: bidirectional control character (1..64 "
				     "bytes of printable UTF-8)\n",
				     colop) > 0);
		assert_string_equal(out, exp);
		free(out);
		free(exp);
		free(l);
		mng_diags_clear(&d);
	}
	for (i = 0; i < MNG_ARRAY_SIZE(good); i++) {
		snprintf(label, sizeof(label), "ab%sc", good[i]);
		l = line("u", "AA", "es256", pk_es256, "up", AAGUID, label, WHEN, good[i]);
		assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), 0);
		assert_int_equal(mng_diags_count(&d), 0);
		assert_string_equal(s.v[0].label, label);
		/* and the writer refuses what the parser refuses */
		c = s.v[0];
		snprintf(c.label, sizeof(c.label), "x%s", bad[i % MNG_ARRAY_SIZE(bad)]);
		assert_int_equal(mng_cred_format(&c, &out), -EINVAL);
		c = s.v[0];
		snprintf(c.operator_, sizeof(c.operator_), "%sx",
			 bad[(i + 5) % MNG_ARRAY_SIZE(bad)]);
		assert_int_equal(mng_cred_format(&c, &out), -EINVAL);
		mng_credset_clear(&s);
		free(l);
	}
}

static void test_hostile_input(void **state)
{
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	size_t big = 1024 * 1024;
	char *buf = malloc(big + 2), *out, *l = good_line("u", "AA");
	char withnul[] = "u\tA\0A\n";
	int r;

	/* a 1 MiB line */
	memset(buf, 'a', big);
	r = mng_credset_parse(buf, big, "c", &s, &d);
	assert_int_equal(r, -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "c:1:8193: line longer than 8192 bytes\n");
	free(out);
	mng_diags_clear(&d);
	/* over the file cap */
	assert_int_equal(mng_credset_parse(buf, big + 1, "c", &s, &d), -EFBIG);
	mng_diags_clear(&d);
	/* a NUL byte */
	assert_int_equal(mng_credset_parse(withnul, sizeof(withnul) - 1, "c", &s, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "c:1:4: NUL byte\n");
	free(out);
	mng_diags_clear(&d);
	/* a million blank lines and tabs: errors stay capped, no crash */
	memset(buf, '\n', big);
	for (size_t i = 0; i < big; i += 2)
		buf[i] = '\t';
	assert_int_equal(mng_credset_parse(buf, big, "c", &s, &d), -EINVAL);
	assert_true(mng_diags_count(&d) >= 1000);
	assert_true(d.n <= MNG_DIAG_MAX);
	mng_diags_clear(&d);
	/* a carriage return is not a line end */
	snprintf(buf, big, "%s\r\n", l);
	assert_int_equal(mng_credset_parse(buf, strlen(buf), "c", &s, &d), -EINVAL);
	mng_diags_clear(&d);
	/* no trailing newline is fine */
	assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), 0);
	assert_int_equal(s.n, 1);
	mng_credset_clear(&s);
	/* an id over 1024 bytes */
	{
		char *id = malloc(1500), *ll;

		memset(id, 'A', 1400);
		id[1400] = '\0';
		ll = good_line("u", id);
		assert_int_equal(mng_credset_parse(ll, strlen(ll), "c", &s, &d), -EINVAL);
		out = printed(&d);
		assert_string_equal(out, "c:1:3: credential id longer than 1024 bytes\n");
		free(out);
		free(ll);
		free(id);
		mng_diags_clear(&d);
	}
	free(l);
	free(buf);
}

/* es256 and eddsa keys are checked in their canonical form, on the curve. */
static void test_key_forms(void **state)
{
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	uint8_t der[200];
	int n = mng_b64_decode(pk_es256, strlen(pk_es256), 0, der, sizeof(der));
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *cder = NULL;
	char *b64 = NULL, *l = NULL, *out;
	int clen;

	assert_int_equal(n, 91);
	der[90] ^= 1; /* y no longer fits x */
	assert_int_equal(mng_b64_encode(der, 91, 0, &b64), 0);
	l = line("u", "AA", "es256", b64, "up", AAGUID, "k", WHEN, "o");
	assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "c:1:12: es256 key is not a point on P-256\n");
	free(out);
	free(l);
	free(b64);
	mng_diags_clear(&d);

	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, "point-format", "compressed"), 1);
	clen = i2d_PUBKEY(k, &cder);
	assert_int_equal(clen, 59);
	assert_int_equal(mng_b64_encode(cder, (size_t)clen, 0, &b64), 0);
	l = line("u", "AA", "es256", b64, "up", AAGUID, "k", WHEN, "o");
	assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out,
			    "c:1:12: es256 key must be an uncompressed point with named curve\n");
	free(out);
	free(l);
	free(b64);
	mng_diags_clear(&d);
	OPENSSL_free(cder);
	EVP_PKEY_free(k);

	/* an RSA key below 2048 bits */
	b64 = spki_b64("RSA", 1024);
	l = line("u", "AA", "rs256", b64, "up", AAGUID, "k", WHEN, "o");
	assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "c:1:12: rs256 needs an RSA public key of at least 2048 bits\n");
	free(out);
	free(l);
	free(b64);
	mng_diags_clear(&d);
}

static void test_base64_strict(void **state)
{
	uint8_t out[16];

	assert_int_equal(mng_b64_decode("AAECAw", 6, 1, out, sizeof(out)), 4);
	assert_int_equal(mng_b64_decode("AAECAw==", 8, 0, out, sizeof(out)), 4);
	assert_int_equal(mng_b64_decode("AAECAw", 6, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AAECAw==", 8, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AAECAx", 6, 1, out, sizeof(out)), -EINVAL); /* bits */
	assert_int_equal(mng_b64_decode("A", 1, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AA+/", 4, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AA-_", 4, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AA A", 4, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("A===", 4, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(mng_b64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", 24, 1, out, sizeof(out)),
			 -E2BIG);
	assert_int_equal(mng_b64_decode("", 0, 1, out, sizeof(out)), 0);
}

static void test_format_round_trip(void **state)
{
	struct mng_credset s = {0}, t = {0};
	struct mng_diags d = {0};
	struct mng_cred c;
	char *l = good_line("tanaka", "AAECAw"), *again = NULL;

	assert_int_equal(mng_credset_parse(l, strlen(l), "c", &s, &d), 0);
	assert_int_equal(mng_cred_format(&s.v[0], &again), 0);
	assert_string_equal(again, l);
	assert_int_equal(mng_credset_parse(again, strlen(again), "c", &t, &d), 0);
	assert_int_equal(t.v[0].pk_len, s.v[0].pk_len);
	assert_memory_equal(t.v[0].pk, s.v[0].pk, s.v[0].pk_len);
	free(again);
	/* a credential that breaks the rules is not formatted */
	c = s.v[0];
	snprintf(c.label, sizeof(c.label), "a\tb");
	assert_int_equal(mng_cred_format(&c, &again), -EINVAL);
	c = s.v[0];
	c.type = MNG_CRED_EDDSA; /* key does not match */
	assert_int_equal(mng_cred_format(&c, &again), -EINVAL);
	c = s.v[0];
	snprintf(c.user, sizeof(c.user), "Root");
	assert_int_equal(mng_credset_add(&t, &c), -EINVAL);
	assert_int_equal(mng_credset_add(&t, &s.v[0]), 0);
	assert_int_equal(t.n, 2);
	mng_credset_clear(&s);
	mng_credset_clear(&t);
	free(l);
}

static void test_write_atomic(void **state)
{
	struct mng_credset s = {0}, t = {0};
	struct mng_diags d = {0};
	char *l1 = good_line("tanaka", "AAECAw"), *l2 = good_line("suzuki", "BBBB"), *text = NULL;
	char path[128];
	struct stat st;
	DIR *dd;
	struct dirent *e;
	int files = 0;

	assert_true(asprintf(&text, "%s\n%s\n", l1, l2) > 0);
	assert_int_equal(mng_credset_parse(text, strlen(text), "c", &s, &d), 0);
	snprintf(path, sizeof(path), "%s/w/credentials", dir);
	assert_int_equal(mng_credset_write(path, &s), -ENOENT); /* no directory */
	snprintf(path, sizeof(path), "%s/w", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/w/credentials", dir);
	assert_int_equal(mng_credset_write(path, &s), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(mng_credset_load(path, geteuid() == 0 ? MNG_FILE_TRUSTED : 0, &t, &d), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.v[1].user, "suzuki");
	assert_int_equal(t.v[1].line, 4); /* after the two header lines */
	mng_credset_clear(&t);
	/* nothing but the file is left in the directory */
	snprintf(path, sizeof(path), "%s/w", dir);
	dd = opendir(path);
	assert_non_null(dd);
	while ((e = readdir(dd)))
		if (e->d_name[0] != '.')
			files++;
	closedir(dd);
	assert_int_equal(files, 1);
	mng_credset_clear(&s);
	free(l1);
	free(l2);
	free(text);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	(void)unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_trusted_checks(void **state)
{
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	char *l = good_line("tanaka", "AAECAw"), p[128], q[128], *out;

	if (geteuid() != 0) {
		skip();
		return;
	}
	put("ok", l, 0644);
	snprintf(p, sizeof(p), "%s/ok", dir);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), 0);
	assert_int_equal(s.n, 1);
	mng_credset_clear(&s);

	snprintf(q, sizeof(q), "%s/link", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(mng_credset_load(q, MNG_FILE_TRUSTED, &s, &d), -ELOOP);
	out = printed(&d);
	assert_non_null(strstr(out, "is a symbolic link"));
	assert_non_null(strstr(out, "/link:"));
	free(out);
	mng_diags_clear(&d);

	put("gw", l, 0664);
	snprintf(p, sizeof(p), "%s/gw", dir);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), -EPERM);
	out = printed(&d);
	assert_non_null(strstr(out, "writable by group or others"));
	free(out);
	mng_diags_clear(&d);

	put("ow", l, 0646);
	snprintf(p, sizeof(p), "%s/ow", dir);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), -EPERM);
	mng_diags_clear(&d);

	put("nobody", l, 0644);
	snprintf(p, sizeof(p), "%s/nobody", dir);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), -EPERM);
	out = printed(&d);
	assert_non_null(strstr(out, "not owned by root"));
	free(out);
	mng_diags_clear(&d);

	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), -ENOENT);
	mng_diags_clear(&d);
	free(l);
}

/*
 * mng_credset_load_for_login leaves the P-256 point check to the verifier
 * and applies every other check: an off-curve point (which libfido2's
 * es256_pk_from_ptr refuses at login) is loaded, a bad header, a
 * compressed point, a bad label are still refused; mng_credset_load refuses
 * the off-curve point.
 */
static void test_load_for_login(void **state)
{
	struct mng_credset s = {0};
	struct mng_diags d = {0};
	uint8_t der[200];
	int n = mng_b64_decode(pk_es256, strlen(pk_es256), 0, der, sizeof(der));
	char *b64 = NULL, *l1, *l2, *text = NULL, p[128], *out;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(n, 91);
	der[90] ^= 1; /* off the curve */
	assert_int_equal(mng_b64_encode(der, 91, 0, &b64), 0);
	l1 = good_line("tanaka", "AAECAw");
	l2 = line("suzuki", "AA", "es256", b64, "up", AAGUID, "k", WHEN, "o");
	assert_true(asprintf(&text, "%s\n%s\n", l1, l2) > 0);
	put("offcurve", text, 0644);
	snprintf(p, sizeof(p), "%s/offcurve", dir);
	assert_int_equal(mng_credset_load(p, MNG_FILE_TRUSTED, &s, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "/offcurve:2:"));
	assert_non_null(strstr(out, "not a point on P-256"));
	free(out);
	mng_diags_clear(&d);
	assert_int_equal(mng_credset_load_for_login(p, MNG_FILE_TRUSTED, &s, &d), 0);
	assert_int_equal(mng_diags_count(&d), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[1].pk_len, 91);
	assert_memory_equal(s.v[1].pk, der, 91);
	mng_credset_clear(&s);
	free(text);
	free(l2);
	free(b64);

	/* a compressed point (0x02 in place of 0x04) is still refused */
	der[90] ^= 1;
	der[26] = 0x02;
	assert_int_equal(mng_b64_encode(der, 91, 0, &b64), 0);
	l2 = line("suzuki", "AA", "es256", b64, "up", AAGUID, "k", WHEN, "o");
	put("compressed", l2, 0644);
	snprintf(p, sizeof(p), "%s/compressed", dir);
	assert_int_equal(mng_credset_load_for_login(p, MNG_FILE_TRUSTED, &s, &d), -EINVAL);
	assert_int_equal(mng_diags_count(&d), 1);
	mng_diags_clear(&d);
	free(l2);
	free(b64);

	/* every other check still applies: a bidi control in a label, a group-writable file */
	l2 = line("suzuki", "AA", "es256", pk_es256, "up", AAGUID, "\xe2\x80\xae", WHEN, "o");
	put("bidi", l2, 0644);
	snprintf(p, sizeof(p), "%s/bidi", dir);
	assert_int_equal(mng_credset_load_for_login(p, MNG_FILE_TRUSTED, &s, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "bidirectional control character"));
	free(out);
	mng_diags_clear(&d);
	put("gw2", l1, 0664);
	snprintf(p, sizeof(p), "%s/gw2", dir);
	assert_int_equal(mng_credset_load_for_login(p, MNG_FILE_TRUSTED, &s, &d), -EPERM);
	mng_diags_clear(&d);
	free(l2);
	free(l1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_for_login), cmocka_unit_test(test_good_file),
	    cmocka_unit_test(test_every_error),	   cmocka_unit_test(test_hostile_input),
	    cmocka_unit_test(test_bidi_controls),  cmocka_unit_test(test_base64_strict),
	    cmocka_unit_test(test_key_forms),	   cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_write_atomic),   cmocka_unit_test(test_trusted_checks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
