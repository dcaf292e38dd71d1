// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_bundle.c - signed policy bundles (lib/bundle.h): sign, parse and
 * verify round trip; every byte altered and every truncation refused; an
 * unknown signer, a help desk key as signer (absent from the policy
 * directory, present in both, or carried in the bundle); path tricks
 * (absolute, "..", dot files, subdirectories, wrong directory for the
 * kind, duplicates, order); caps (file count, file size, bundle size,
 * line length, version); NUL bytes and non-ASCII in the header; and that
 * every refusal names what it refuses.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#include "bundle.h"
#include "exempt.h"
#include "file.h"
#include "sha256.h"

static char dir[] = "/tmp/mng-bundle-XXXXXX";
static char policy_dir[128], helpdesk_dir[128], both_dir[128];
static EVP_PKEY *pol_key, *hd_key, *rogue_key;
static char hd_pem[1024];

static const char rules_a[] = "allow id 1d6b:0002\nblock\n";
static const char rules_b[] = "allow with-interface 03:*:*\n";
static const char conf[] = "helpdesk_contact = 0120-000-000\n";

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
}

static void pem_of(EVP_PKEY *k, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &p);
	assert_true(n > 0 && (size_t)n < size);
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	BIO_free(b);
}

static int setup(void **state)
{
	char path[256];

	assert_non_null(mkdtemp(dir));
	snprintf(policy_dir, sizeof(policy_dir), "%s/policy", dir);
	snprintf(helpdesk_dir, sizeof(helpdesk_dir), "%s/helpdesk", dir);
	snprintf(both_dir, sizeof(both_dir), "%s/both", dir);
	assert_int_equal(mkdir(policy_dir, 0755), 0);
	assert_int_equal(mkdir(helpdesk_dir, 0755), 0);
	assert_int_equal(mkdir(both_dir, 0755), 0);
	pol_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	hd_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_true(pol_key && hd_key && rogue_key);
	snprintf(path, sizeof(path), "%s/policy.pub", policy_dir);
	write_pub(pol_key, path);
	snprintf(path, sizeof(path), "%s/desk1.pub", helpdesk_dir);
	write_pub(hd_key, path);
	/* a misconfigured terminal: the help desk key also among the policy keys */
	snprintf(path, sizeof(path), "%s/desk1.pub", both_dir);
	write_pub(hd_key, path);
	pem_of(hd_key, hd_pem, sizeof(hd_pem));
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	EVP_PKEY_free(pol_key);
	EVP_PKEY_free(hd_key);
	EVP_PKEY_free(rogue_key);
	return 0;
}

/* A good bundle of three files, signed by key. */
static void make(EVP_PKEY *key, uint64_t version, uint8_t **buf, size_t *len)
{
	struct mng_bundle_input in[] = {
	    {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/50-site.rules", rules_b, strlen(rules_b)},
	    {MNG_BUNDLE_KIND_HELPDESK_KEY, 0644, "trust/helpdesk/desk1.pub", hd_pem,
	     strlen(hd_pem)},
	    {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/10-base.rules", rules_a, strlen(rules_a)},
	    {MNG_BUNDLE_KIND_CONF, 0600, "mnguard.conf", conf, strlen(conf)},
	};
	char err[256] = "";
	int r;

	r = mng_bundle_sign(version, 1800000000, in, 4, key, buf, len, err, sizeof(err));
	if (r < 0)
		fail_msg("sign: %d %s", r, err);
}

static int verify(const void *buf, size_t len, char *err, size_t errlen)
{
	struct mng_bundle *b = NULL;
	int r = mng_bundle_verify(buf, len, policy_dir, helpdesk_dir, 0, &b, err, errlen);

	if (r == 0)
		assert_non_null(b);
	else
		assert_null(b);
	mng_bundle_free(&b);
	return r;
}

static void test_round_trip(void **state)
{
	struct mng_bundle *b = NULL;
	const struct mng_bundle_file *f;
	uint8_t *buf, d[MNG_SHA256_LEN];
	char err[256], kid[17];
	size_t len;

	make(pol_key, 42, &buf, &len);
	assert_int_equal(
	    mng_bundle_verify(buf, len, policy_dir, helpdesk_dir, 0, &b, err, sizeof(err)), 0);
	assert_int_equal(b->version, 42);
	assert_int_equal(b->created, 1800000000);
	assert_int_equal(mng_exempt_kid(pol_key, kid), 0);
	assert_string_equal(b->kid, kid);
	assert_int_equal(b->n_files, 4);
	/* written in path order */
	assert_string_equal(b->files[0].path, "mnguard.conf");
	assert_string_equal(b->files[1].path, "rules.d/10-base.rules");
	assert_string_equal(b->files[2].path, "rules.d/50-site.rules");
	assert_string_equal(b->files[3].path, "trust/helpdesk/desk1.pub");
	assert_int_equal(b->files[0].kind, MNG_BUNDLE_KIND_CONF);
	assert_int_equal(b->files[0].mode, 0600);
	assert_int_equal(b->files[3].kind, MNG_BUNDLE_KIND_HELPDESK_KEY);
	assert_string_equal(b->files[1].name, "10-base.rules");
	f = mng_bundle_file_find(b, "rules.d/10-base.rules");
	assert_non_null(f);
	assert_int_equal(f->size, strlen(rules_a));
	assert_memory_equal(f->data, rules_a, f->size);
	assert_int_equal(mng_sha256(rules_a, strlen(rules_a), d), 0);
	assert_memory_equal(f->sha256, d, sizeof(d));
	assert_null(mng_bundle_file_find(b, "rules.d/nothere.rules"));
	/* the text starts with the documented header */
	assert_memory_equal(buf, "mnguard-policy-bundle 1\nversion 42\ncreated 1800000000\nkid ",
			    57);
	mng_bundle_free(&b);
	mng_bundle_free(&b); /* NULL is fine */
	/* the trusted-file checks apply (this runs as root in CI; skip otherwise) */
	if (geteuid() == 0) {
		assert_int_equal(mng_bundle_verify(buf, len, policy_dir, NULL, MNG_FILE_TRUSTED, &b,
						   err, sizeof(err)),
				 0);
		mng_bundle_free(&b);
		assert_int_equal(chmod(policy_dir, 0777), 0);
		assert_int_equal(mng_bundle_verify(buf, len, policy_dir, NULL, MNG_FILE_TRUSTED, &b,
						   err, sizeof(err)),
				 -EPERM);
		assert_int_equal(chmod(policy_dir, 0755), 0);
	}
	free(buf);
}

static void test_every_byte(void **state)
{
	uint8_t *buf;
	size_t len, i;
	char err[256];

	make(pol_key, 7, &buf, &len);
	assert_int_equal(verify(buf, len, err, sizeof(err)), 0);
	for (i = 0; i < len; i++) {
		uint8_t keep = buf[i];

		buf[i] ^= 0x01;
		if (verify(buf, len, err, sizeof(err)) == 0)
			fail_msg("byte %zu altered (0x%02x -> 0x%02x) still verifies", i, keep,
				 buf[i]);
		buf[i] = 0x00;
		if (verify(buf, len, err, sizeof(err)) == 0)
			fail_msg("byte %zu set to NUL still verifies", i);
		buf[i] = keep;
	}
	for (i = 0; i < len; i++)
		if (verify(buf, i, err, sizeof(err)) == 0)
			fail_msg("truncated to %zu of %zu bytes still verifies", i, len);
	assert_int_equal(verify(buf, len, err, sizeof(err)), 0);
	free(buf);
}

static void test_wrong_key(void **state)
{
	uint8_t *buf, *buf2;
	size_t len, len2;
	char err[256];

	/* a key nobody trusts */
	make(rogue_key, 3, &buf, &len);
	assert_int_equal(verify(buf, len, err, sizeof(err)), -ENOKEY);
	assert_non_null(strstr(err, "no trusted key with kid"));
	/* parse alone accepts it: it is well formed, just not trusted */
	{
		struct mng_bundle *b = NULL;

		assert_int_equal(mng_bundle_parse(buf, len, &b, err, sizeof(err)), 0);
		mng_bundle_free(&b);
	}
	/* the policy key's kid with the rogue key's signature: graft the signature line */
	make(pol_key, 3, &buf2, &len2);
	{
		const char *s1 = memmem(buf, len, "\nsignature ", 11);
		char *s2 = memmem(buf2, len2, "\nsignature ", 11);

		assert_true(s1 && s2);
		memcpy(s2, s1, 11 + 86);
	}
	assert_int_equal(verify(buf2, len2, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "does not verify"));
	free(buf);
	free(buf2);
}

static void test_helpdesk_signer(void **state)
{
	struct mng_bundle *b = NULL;
	struct mng_bundle_input in[] = {
	    {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/10-base.rules", rules_a, strlen(rules_a)},
	    {MNG_BUNDLE_KIND_HELPDESK_KEY, 0644, "trust/helpdesk/desk1.pub", hd_pem,
	     strlen(hd_pem)},
	};
	uint8_t *buf;
	size_t len;
	char err[256];

	/* the help desk key is not a policy key */
	assert_int_equal(mng_bundle_sign(1, 0, in, 1, hd_key, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(verify(buf, len, err, sizeof(err)), -ENOKEY);
	/* a terminal that trusts it for both: still refused as a signer */
	assert_int_equal(
	    mng_bundle_verify(buf, len, both_dir, helpdesk_dir, 0, &b, err, sizeof(err)),
	    -EKEYREJECTED);
	assert_null(b);
	assert_non_null(strstr(err, "help desk key"));
	free(buf);
	/* the signer cannot ship its own key as a help desk key */
	assert_int_equal(mng_bundle_sign(1, 0, in, 2, hd_key, &buf, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "desk1.pub"));
}

/* ---- hand-made bundles ---- */

struct craft {
	char head[1 << 16];
	char body[1 << 16];
	size_t body_len;
};

static void add_file(struct craft *c, const char *kind, const char *mode, const char *path,
		     const void *data, size_t n)
{
	uint8_t d[MNG_SHA256_LEN];
	char hex[MNG_SHA256_HEX_LEN + 1];
	size_t hl = strlen(c->head);

	assert_int_equal(mng_sha256(data, n, d), 0);
	mng_sha256_hex(d, hex);
	snprintf(c->head + hl, sizeof(c->head) - hl, "file %s %s %zu %s %s\n", kind, mode, n, hex,
		 path);
	assert_true(c->body_len + n <= sizeof(c->body));
	memcpy(c->body + c->body_len, data, n);
	c->body_len += n;
}

/* head (without the blank line) + "\n" + body, signed with the policy key. */
static uint8_t *seal(const struct craft *c, size_t *ret_len)
{
	size_t hl = strlen(c->head), len = hl + 1 + c->body_len;
	uint8_t *buf = malloc(len + 200), sig[64];
	int w;

	assert_non_null(buf);
	memcpy(buf, c->head, hl);
	buf[hl] = '\n';
	memcpy(buf + hl + 1, c->body, c->body_len);
	assert_int_equal(mng_exempt_sig_make(pol_key, buf, len, sig), 0);
	memcpy(buf + len, "signature ", 10);
	w = mng_base64url_encode(sig, 64, (char *)buf + len + 10, 100);
	assert_int_equal(w, 86);
	buf[len + 96] = '\n';
	*ret_len = len + 97;
	return buf;
}

static void start(struct craft *c, const char *version, const char *files)
{
	char kid[17];

	assert_int_equal(mng_exempt_kid(pol_key, kid), 0);
	c->body_len = 0;
	snprintf(c->head, sizeof(c->head),
		 "mnguard-policy-bundle 1\nversion %s\ncreated 1800000000\nkid %s\nfiles %s\n",
		 version, kid, files);
}

/* Seal c and expect verification to give want with err holding needle. */
static void expect(struct craft *c, int want, const char *needle)
{
	char err[512] = "";
	size_t len;
	uint8_t *buf = seal(c, &len);
	int r = verify(buf, len, err, sizeof(err));

	if (r != want || (needle && !strstr(err, needle)))
		fail_msg("got %d \"%s\", expected %d with \"%s\"\n--\n%s", r, err, want,
			 needle ? needle : "", c->head);
	free(buf);
}

static void test_crafted_ok(void **state)
{
	struct craft *c = calloc(1, sizeof(*c));

	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	expect(c, 0, NULL);
	/* an empty rules file is a file like any other */
	start(c, "999999999999", "2");
	add_file(c, "rules", "0400", "rules.d/_x-1.2.rules", "", 0);
	add_file(c, "rules", "0644", "rules.d/b.rules", "block\n", 6);
	expect(c, 0, NULL);
	free(c);
}

static void test_paths(void **state)
{
	static const struct {
		const char *kind, *path, *needle;
	} bad[] = {
	    {"rules", "/etc/mnguard/rules.d/a.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/../a.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/..rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/.hidden.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/sub/a.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d//a.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/a.rule", "rules.d/NAME.rules"},
	    {"rules", "rules.d/a.rules/", "rules.d/NAME.rules"},
	    {"rules", "trust/helpdesk/a.rules", "rules.d/NAME.rules"},
	    {"rules", "./rules.d/a.rules", "rules.d/NAME.rules"},
	    {"rules", "rules.d/a\\b.rules", "rules.d/NAME.rules"},
	    {"conf", "rules.d/mnguard.conf", "mnguard.conf"},
	    {"conf", "../mnguard.conf", "mnguard.conf"},
	    {"helpdesk-key", "trust/policy/a.pub", "trust/helpdesk/NAME.pub"},
	    {"helpdesk-key", "trust/helpdesk/../../policy/a.pub", "trust/helpdesk/NAME.pub"},
	    {"helpdesk-key", "rules.d/a.pub", "trust/helpdesk/NAME.pub"},
	    {"rules",
	     "rules.d/"
	     "a123456789012345678901234567890123456789012345678901234567890123456.rules",
	     "rules.d/NAME.rules"},
	    {"policy", "rules.d/a.rules", "kind"},
	};
	struct craft *c = calloc(1, sizeof(*c));
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(c, "1", "2");
		add_file(c, "rules", "0644", "rules.d/0.rules", "block\n", 6);
		add_file(c, bad[i].kind, "0644", bad[i].path, "x", 1);
		expect(c, -EBADMSG, bad[i].needle);
	}
	/* duplicates and order */
	start(c, "1", "2");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	expect(c, -EBADMSG, "appears twice");
	start(c, "1", "2");
	add_file(c, "rules", "0644", "rules.d/b.rules", "block\n", 6);
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	expect(c, -EBADMSG, "out of order");
	/* no rules file */
	start(c, "1", "1");
	add_file(c, "conf", "0644", "mnguard.conf", "", 0);
	expect(c, -EBADMSG, "no rules file");
	/* a help desk key that is not a key, and the signer's own key carried */
	start(c, "1", "2");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	add_file(c, "helpdesk-key", "0644", "trust/helpdesk/x.pub", "nope", 4);
	expect(c, -EBADMSG, "not a PEM Ed25519 public key");
	{
		char pem[1024];

		pem_of(pol_key, pem, sizeof(pem));
		start(c, "1", "2");
		add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
		add_file(c, "helpdesk-key", "0644", "trust/helpdesk/x.pub", pem, strlen(pem));
		expect(c, -EKEYREJECTED, "help desk key");
	}
	free(c);
	/* the signer refuses them too */
	{
		struct mng_bundle_input in[2] = {
		    {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/a.rules", "block\n", 6},
		    {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/a.rules", "block\n", 6},
		};
		uint8_t *buf = NULL;
		size_t len;
		char err[256];

		assert_int_equal(
		    mng_bundle_sign(1, 0, in, 2, pol_key, &buf, &len, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "twice"));
		in[1].path = "rules.d/../b.rules";
		assert_int_equal(
		    mng_bundle_sign(1, 0, in, 2, pol_key, &buf, &len, err, sizeof(err)), -EINVAL);
		in[1].path = "rules.d/b.rules";
		in[1].mode = 0755;
		assert_int_equal(
		    mng_bundle_sign(1, 0, in, 2, pol_key, &buf, &len, err, sizeof(err)), -EINVAL);
		assert_int_equal(
		    mng_bundle_sign(0, 0, in, 1, pol_key, &buf, &len, err, sizeof(err)), -EINVAL);
		assert_null(buf);
	}
}

static void test_fields(void **state)
{
	static const struct {
		const char *version, *files, *mode, *size_override, *needle;
	} bad[] = {
	    {"0", "1", "0644", NULL, "version"},
	    {"01", "1", "0644", NULL, "version"},
	    {"-1", "1", "0644", NULL, "version"},
	    {"+1", "1", "0644", NULL, "version"},
	    {"1000000000000", "1", "0644", NULL, "version"},
	    {"18446744073709551617", "1", "0644", NULL, "version"},
	    {"1 ", "1", "0644", NULL, "version"},
	    {"1", "0", "0644", NULL, "files"},
	    {"1", "257", "0644", NULL, "files"},
	    {"1", "99999999999999999999", "0644", NULL, "files"},
	    {"1", "1", "0755", NULL, "mode"},
	    {"1", "1", "0666", NULL, "mode"},
	    {"1", "1", "4644", NULL, "mode"},
	    {"1", "1", "0044", NULL, "mode"},
	    {"1", "1", "644", NULL, "mode"},
	    {"1", "1", "0648", NULL, "mode"},
	    {"1", "1", "0644", "4194305", "size"},
	    {"1", "1", "0644", "07", "size"},
	    {"1", "1", "0644", "5", "SHA-256"},
	    {"1", "1", "0644", "200", "truncated"},
	};
	struct craft *c = calloc(1, sizeof(*c));
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(c, bad[i].version, bad[i].files);
		add_file(c, "rules", bad[i].mode, "rules.d/a.rules", "block\n", 6);
		if (bad[i].size_override) {
			char *p = strstr(c->head, " 6 ");

			assert_non_null(p);
			memmove(p + 1 + strlen(bad[i].size_override), p + 2, strlen(p + 2) + 1);
			memcpy(p + 1, bad[i].size_override, strlen(bad[i].size_override));
		}
		expect(c, -EBADMSG, bad[i].needle);
	}
	/* header spelling: double space, tab, CR, upper-case hex, unknown magic */
	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	{
		char *p = strstr(c->head, "file rules");

		memmove(p + 5, p + 4, strlen(p + 4) + 1); /* "file  rules" */
		expect(c, -EBADMSG, "file 1");
	}
	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	*strstr(c->head, "kid ") = 'K';
	expect(c, -EBADMSG, "kid");
	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	strstr(c->head, "version")[7] = '\t';
	expect(c, -EBADMSG, "not printable ASCII");
	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	c->head[10] = (char)0xc3; /* invalid UTF-8 / non-ASCII in the magic line */
	expect(c, -EBADMSG, "line 1");
	start(c, "1", "1");
	add_file(c, "rules", "0644", "rules.d/a.rules", "block\n", 6);
	memcpy(c->head, "mnguard-policy-bundle 2", 23);
	expect(c, -EBADMSG, "not a policy bundle");
	free(c);
}

static void test_caps(void **state)
{
	struct mng_bundle *b = NULL;
	struct mng_bundle_input *in;
	uint8_t *buf = NULL;
	char err[256], *big, (*paths)[40];
	size_t len, i;

	/* over MNG_BUNDLE_MAX: refused before it is looked at */
	big = calloc(1, MNG_BUNDLE_MAX + 1);
	assert_non_null(big);
	assert_int_equal(mng_bundle_parse(big, MNG_BUNDLE_MAX + 1, &b, err, sizeof(err)), -E2BIG);
	/* 1 MiB line with no newline, then 1 MiB of NUL bytes */
	memset(big, 'a', 1 << 20);
	assert_int_equal(mng_bundle_parse(big, 1 << 20, &b, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "longer than 256 bytes"));
	memset(big, 0, 1 << 20);
	assert_int_equal(mng_bundle_parse(big, 1 << 20, &b, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "0x00"));
	assert_int_equal(mng_bundle_parse("", 0, &b, err, sizeof(err)), -EBADMSG);
	assert_null(b);
	/* one file over MNG_BUNDLE_FILE_MAX */
	in = calloc(MNG_BUNDLE_FILES_MAX + 1, sizeof(*in));
	paths = calloc(MNG_BUNDLE_FILES_MAX + 1, sizeof(*paths));
	assert_true(in && paths);
	in[0] = (struct mng_bundle_input){MNG_BUNDLE_KIND_RULES, 0644, "rules.d/big.rules", big,
					  MNG_BUNDLE_FILE_MAX + 1};
	assert_int_equal(mng_bundle_sign(1, 0, in, 1, pol_key, &buf, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "big.rules"));
	/* exactly the per-file cap works */
	memset(big, '#', MNG_BUNDLE_FILE_MAX);
	big[MNG_BUNDLE_FILE_MAX - 1] = '\n';
	in[0].size = MNG_BUNDLE_FILE_MAX;
	assert_int_equal(mng_bundle_sign(1, 0, in, 1, pol_key, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(verify(buf, len, err, sizeof(err)), 0);
	free(buf);
	buf = NULL;
	/* the file count cap, and one past it */
	for (i = 0; i <= MNG_BUNDLE_FILES_MAX; i++) {
		snprintf(paths[i], sizeof(paths[i]), "rules.d/%04zu.rules", i);
		in[i] =
		    (struct mng_bundle_input){MNG_BUNDLE_KIND_RULES, 0644, paths[i], "block\n", 6};
	}
	assert_int_equal(
	    mng_bundle_sign(1, 0, in, MNG_BUNDLE_FILES_MAX, pol_key, &buf, &len, err, sizeof(err)),
	    0);
	assert_int_equal(verify(buf, len, err, sizeof(err)), 0);
	free(buf);
	buf = NULL;
	assert_int_equal(mng_bundle_sign(1, 0, in, MNG_BUNDLE_FILES_MAX + 1, pol_key, &buf, &len,
					 err, sizeof(err)),
			 -EINVAL);
	/* five files at the per-file cap pass the whole-bundle cap */
	for (i = 0; i < 5; i++) {
		in[i].data = big;
		in[i].size = MNG_BUNDLE_FILE_MAX;
	}
	assert_int_equal(mng_bundle_sign(1, 0, in, 5, pol_key, &buf, &len, err, sizeof(err)),
			 -E2BIG);
	assert_null(buf);
	/* a private key is needed to sign, an Ed25519 one */
	{
		EVP_PKEY *pub = NULL, *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		assert_int_equal(mng_exempt_pubkey_parse(hd_pem, strlen(hd_pem), &pub), 0);
		assert_int_equal(mng_bundle_sign(1, 0, in, 1, pub, &buf, &len, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(mng_bundle_sign(1, 0, in, 1, ec, &buf, &len, err, sizeof(err)),
				 -EINVAL);
		EVP_PKEY_free(pub);
		EVP_PKEY_free(ec);
	}
	free(paths);
	free(in);
	free(big);
}

static void test_trailing(void **state)
{
	uint8_t *buf, *more;
	size_t len;
	char err[256];

	make(pol_key, 5, &buf, &len);
	more = malloc(len + 1);
	assert_non_null(more);
	memcpy(more, buf, len);
	more[len] = '\n';
	assert_int_equal(verify(more, len + 1, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "after the signature"));
	free(more);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_every_byte),
	    cmocka_unit_test(test_wrong_key),  cmocka_unit_test(test_helpdesk_signer),
	    cmocka_unit_test(test_crafted_ok), cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_fields),     cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_trailing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
