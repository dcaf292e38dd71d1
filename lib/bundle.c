// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bundle.c - signed policy bundles: strict parser, signer and verifier (the
 * format is described in bundle.h). The Ed25519 work and the trust
 * directory lookup are exempt.c's; this file only frames the bytes.
 *
 * MUST: every count, size and offset is checked against its cap and against
 *       the bytes left before it is used; no arithmetic on a size happens
 *       before that check.
 * MUST: a bundle has one spelling: exact keywords, single spaces, no
 *       leading zeros, lowercase hex, paths in strictly ascending order
 *       (so no duplicates), nothing after the signature line.
 * MUST: nothing from a bundle is trusted before mng_bundle_verify checked
 *       the signature over the exact signed bytes under a policy key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle.h"
#include "exempt.h"
#include "mng.h"
#include "textbuf.h"

#define LINE_MAX_BYTES 256 /* one header line, newline excluded */
#define SIG_LEN 64
#define SIG_B64_LEN 86
#define SIG_PREFIX "signature "
#define SIG_PREFIX_LEN (sizeof(SIG_PREFIX) - 1)

static const char *const kind_names[] = {
    [MNG_BUNDLE_KIND_RULES] = "rules",
    [MNG_BUNDLE_KIND_CONF] = "conf",
    [MNG_BUNDLE_KIND_HELPDESK_KEY] = "helpdesk-key",
};

const char *mng_bundle_kind_name(enum mng_bundle_kind k)
{
	if (k <= MNG_BUNDLE_KIND_NONE || k > MNG_BUNDLE_KIND_HELPDESK_KEY)
		return NULL;
	return kind_names[k];
}

static enum mng_bundle_kind kind_parse(const char *s, size_t n)
{
	size_t k;

	for (k = MNG_BUNDLE_KIND_RULES; k <= MNG_BUNDLE_KIND_HELPDESK_KEY; k++)
		if (strlen(kind_names[k]) == n && !memcmp(kind_names[k], s, n))
			return (enum mng_bundle_kind)k;
	return MNG_BUNDLE_KIND_NONE;
}

/* ---- paths ---- */

static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MNG_BUNDLE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && c != '_' && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* A NAME under dir (with its slash) ending in suffix, with something before the suffix. */
static bool under(const char *path, const char *dir, const char *suffix)
{
	size_t dl = strlen(dir), sl = strlen(suffix), pl = strlen(path);

	return pl > dl + sl && !strncmp(path, dir, dl) && !strcmp(path + pl - sl, suffix) &&
	       name_ok(path + dl, pl - dl);
}

int mng_bundle_path_check(enum mng_bundle_kind kind, const char *path, char *err, size_t errlen)
{
	if (!path || strlen(path) > MNG_BUNDLE_PATH_MAX) {
		mng_errbuf_set(err, errlen, "path longer than %d bytes", MNG_BUNDLE_PATH_MAX);
		return -EINVAL;
	}
	switch (kind) {
	case MNG_BUNDLE_KIND_RULES:
		if (under(path, "rules.d/", ".rules"))
			return 0;
		mng_errbuf_set(err, errlen,
			       "path \"%s\" of a rules file must be rules.d/NAME.rules", path);
		return -EINVAL;
	case MNG_BUNDLE_KIND_CONF:
		if (!strcmp(path, "mnguard.conf"))
			return 0;
		mng_errbuf_set(err, errlen, "path \"%s\" of a conf file must be mnguard.conf",
			       path);
		return -EINVAL;
	case MNG_BUNDLE_KIND_HELPDESK_KEY:
		if (under(path, "trust/helpdesk/", ".pub"))
			return 0;
		mng_errbuf_set(err, errlen,
			       "path \"%s\" of a helpdesk-key file must be trust/helpdesk/NAME.pub",
			       path);
		return -EINVAL;
	default:
		mng_errbuf_set(err, errlen, "unknown kind");
		return -EINVAL;
	}
}

static bool mode_ok(unsigned mode)
{
	return (mode & ~0644u) == 0 && (mode & 0400u);
}

/* ---- parser ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	unsigned line;
	char *err;
	size_t errlen;
};

/* The next line (without its newline), printable ASCII only. */
static int next_line(struct rd *r, const char **ret, size_t *ret_n, const char *what)
{
	size_t i, end = r->len - r->off;

	r->line++;
	if (end > LINE_MAX_BYTES + 1)
		end = LINE_MAX_BYTES + 1;
	for (i = 0; i < end; i++) {
		uint8_t c = r->p[r->off + i];

		if (c == '\n')
			break;
		if (c < 0x20 || c > 0x7e) {
			mng_errbuf_set(
			    r->err, r->errlen,
			    "line %u (%s): byte 0x%02x at column %zu is not printable ASCII",
			    r->line, what, c, i + 1);
			return -EBADMSG;
		}
	}
	if (i == end) {
		mng_errbuf_set(r->err, r->errlen, "line %u (%s): %s", r->line, what,
			       end > LINE_MAX_BYTES ? "longer than 256 bytes"
						    : "truncated (no newline)");
		return -EBADMSG;
	}
	*ret = (const char *)r->p + r->off;
	*ret_n = i;
	r->off += i + 1;
	return 0;
}

/* Decimal without sign or leading zero ("0" itself allowed), at most max. */
static bool parse_dec(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool parse_hex(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int v = (c >= '0' && c <= '9')	 ? c - '0'
			: (c >= 'a' && c <= 'f') ? c - 'a' + 10
						 : -1;

		if (v < 0)
			return false;
		if (out) {
			if (i % 2 == 0)
				out[i / 2] = (uint8_t)(v << 4);
			else
				out[i / 2] |= (uint8_t)v;
		}
	}
	return true;
}

/* "key value" with value parsed as decimal in 0..max (min checked by the caller). */
static int keyed_dec(struct rd *r, const char *key, uint64_t max, uint64_t *ret)
{
	size_t n, kl = strlen(key);
	const char *s;
	int e;

	e = next_line(r, &s, &n, key);
	if (e < 0)
		return e;
	if (n <= kl + 1 || memcmp(s, key, kl) || s[kl] != ' ') {
		mng_errbuf_set(r->err, r->errlen, "line %u: expected \"%s N\"", r->line, key);
		return -EBADMSG;
	}
	if (!parse_dec(s + kl + 1, n - kl - 1, max, ret)) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: field \"%s\": not a decimal number in range "
			       "(no sign, no leading zero, at most %llu)",
			       r->line, key, (unsigned long long)max);
		return -EBADMSG;
	}
	return 0;
}

/* Split n bytes at s on single spaces into exactly want fields. */
static bool split(const char *s, size_t n, const char **f, size_t *fl, size_t want)
{
	size_t i, k = 0, start = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start || k == want)
			return false;
		f[k] = s + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k == want;
}

static int parse_file_line(struct rd *r, size_t idx, struct mng_bundle_file *fe)
{
	const char *s, *f[6];
	size_t n, fl[6];
	uint64_t v;
	char why[160];
	int e;

	e = next_line(r, &s, &n, "file");
	if (e < 0)
		return e;
	if (n < 5 || memcmp(s, "file ", 5) || !split(s + 5, n - 5, f + 1, fl + 1, 5)) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: expected \"file KIND MODE SIZE SHA256 PATH\"",
			       r->line, idx + 1);
		return -EBADMSG;
	}
	fe->kind = kind_parse(f[1], fl[1]);
	if (fe->kind == MNG_BUNDLE_KIND_NONE) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: field \"kind\": not rules, conf or helpdesk-key",
			       r->line, idx + 1);
		return -EBADMSG;
	}
	if (fl[2] != 4 || f[2][0] != '0') {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: field \"mode\": not 4 octal digits", r->line,
			       idx + 1);
		return -EBADMSG;
	}
	fe->mode = 0;
	for (size_t i = 1; i < 4; i++) {
		if (f[2][i] < '0' || f[2][i] > '7') {
			mng_errbuf_set(r->err, r->errlen,
				       "line %u: file %zu: field \"mode\": not 4 octal digits",
				       r->line, idx + 1);
			return -EBADMSG;
		}
		fe->mode = fe->mode * 8 + (unsigned)(f[2][i] - '0');
	}
	if (!mode_ok(fe->mode)) {
		mng_errbuf_set(
		    r->err, r->errlen,
		    "line %u: file %zu: field \"mode\": %04o has a bit outside 0644 or no "
		    "owner read",
		    r->line, idx + 1, fe->mode);
		return -EBADMSG;
	}
	if (!parse_dec(f[3], fl[3], MNG_BUNDLE_FILE_MAX, &v)) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: field \"size\": not a decimal number up to %u",
			       r->line, idx + 1, MNG_BUNDLE_FILE_MAX);
		return -EBADMSG;
	}
	fe->size = (size_t)v;
	if (fl[4] != 2 * MNG_SHA256_LEN || !parse_hex(f[4], fl[4], fe->sha256)) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: field \"sha256\": not 64 lowercase hex digits",
			       r->line, idx + 1);
		return -EBADMSG;
	}
	if (fl[5] > MNG_BUNDLE_PATH_MAX) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: file %zu: field \"path\": longer than %d bytes", r->line,
			       idx + 1, MNG_BUNDLE_PATH_MAX);
		return -EBADMSG;
	}
	memcpy(fe->path, f[5], fl[5]);
	fe->path[fl[5]] = '\0';
	if (mng_bundle_path_check(fe->kind, fe->path, why, sizeof(why)) < 0) {
		mng_errbuf_set(r->err, r->errlen, "line %u: file %zu: field \"path\": %s", r->line,
			       idx + 1, why);
		return -EBADMSG;
	}
	fe->name = strrchr(fe->path, '/') ? strrchr(fe->path, '/') + 1 : fe->path;
	return 0;
}

/* Contents, signature line, and the per-file checks. */
static int parse_body(struct rd *r, struct mng_bundle *b)
{
	uint8_t digest[MNG_SHA256_LEN];
	const char *s;
	size_t i, n;
	int e;

	for (i = 0; i < b->n_files; i++) {
		struct mng_bundle_file *fe = &b->files[i];

		if (fe->size > r->len - r->off) {
			mng_errbuf_set(r->err, r->errlen,
				       "file \"%s\": truncated (%zu bytes announced, %zu left)",
				       fe->path, fe->size, r->len - r->off);
			return -EBADMSG;
		}
		fe->data = r->p + r->off;
		r->off += fe->size;
		if (mng_sha256(fe->data, fe->size, digest) < 0 ||
		    memcmp(digest, fe->sha256, MNG_SHA256_LEN)) {
			mng_errbuf_set(r->err, r->errlen,
				       "file \"%s\": SHA-256 does not match its content", fe->path);
			return -EBADMSG;
		}
		if (fe->kind == MNG_BUNDLE_KIND_HELPDESK_KEY) {
			EVP_PKEY *k = NULL;

			if (mng_exempt_pubkey_parse((const char *)fe->data, fe->size, &k) < 0) {
				mng_errbuf_set(r->err, r->errlen,
					       "file \"%s\": not a PEM Ed25519 public key",
					       fe->path);
				return -EBADMSG;
			}
			EVP_PKEY_free(k);
		}
	}
	b->signed_len = r->off;
	r->line = 0; /* the signature line is counted from the end of the contents */
	e = next_line(r, &s, &n, "signature");
	if (e < 0)
		return e;
	if (n != SIG_PREFIX_LEN + SIG_B64_LEN || memcmp(s, SIG_PREFIX, SIG_PREFIX_LEN) ||
	    mng_base64url_decode(s + SIG_PREFIX_LEN, SIG_B64_LEN, b->sig, sizeof(b->sig)) !=
		SIG_LEN) {
		mng_errbuf_set(
		    r->err, r->errlen,
		    "signature line: expected \"signature \" and 86 base64url characters");
		return -EBADMSG;
	}
	if (r->off != r->len) {
		mng_errbuf_set(r->err, r->errlen, "%zu bytes after the signature line",
			       r->len - r->off);
		return -EBADMSG;
	}
	return 0;
}

static int parse_header(struct rd *r, struct mng_bundle *b)
{
	const char *s;
	size_t n, i;
	uint64_t v;
	int e;

	e = next_line(r, &s, &n, "magic");
	if (e < 0)
		return e;
	if (n != strlen(MNG_BUNDLE_MAGIC) || memcmp(s, MNG_BUNDLE_MAGIC, n)) {
		mng_errbuf_set(r->err, r->errlen, "line 1: not a policy bundle (expected \"%s\")",
			       MNG_BUNDLE_MAGIC);
		return -EBADMSG;
	}
	e = keyed_dec(r, "version", MNG_BUNDLE_VERSION_MAX, &b->version);
	if (e < 0)
		return e;
	if (b->version == 0) {
		mng_errbuf_set(r->err, r->errlen, "line %u: field \"version\": must be at least 1",
			       r->line);
		return -EBADMSG;
	}
	e = keyed_dec(r, "created", (uint64_t)MNG_BUNDLE_TIME_MAX, &v);
	if (e < 0)
		return e;
	b->created = (int64_t)v;
	e = next_line(r, &s, &n, "kid");
	if (e < 0)
		return e;
	if (n != 4 + 16 || memcmp(s, "kid ", 4) || !parse_hex(s + 4, 16, NULL)) {
		mng_errbuf_set(r->err, r->errlen,
			       "line %u: field \"kid\": expected \"kid\" and 16 "
			       "lowercase hex digits",
			       r->line);
		return -EBADMSG;
	}
	memcpy(b->kid, s + 4, 16);
	b->kid[16] = '\0';
	e = keyed_dec(r, "files", MNG_BUNDLE_FILES_MAX, &v);
	if (e < 0)
		return e;
	if (v == 0) {
		mng_errbuf_set(r->err, r->errlen, "line %u: field \"files\": must be at least 1",
			       r->line);
		return -EBADMSG;
	}
	b->files = calloc((size_t)v, sizeof(*b->files));
	if (!b->files)
		return -ENOMEM;
	b->n_files = (size_t)v;
	for (i = 0; i < b->n_files; i++) {
		e = parse_file_line(r, i, &b->files[i]);
		if (e < 0)
			return e;
		if (i > 0 && strcmp(b->files[i - 1].path, b->files[i].path) >= 0) {
			mng_errbuf_set(r->err, r->errlen, "line %u: file %zu: path \"%s\" %s",
				       r->line, i + 1, b->files[i].path,
				       strcmp(b->files[i - 1].path, b->files[i].path)
					   ? "out of order (paths must be in ascending byte order)"
					   : "appears twice");
			return -EBADMSG;
		}
	}
	return 0;
}

static int check_set(struct mng_bundle *b, char *err, size_t errlen)
{
	size_t i, rules = 0;

	for (i = 0; i < b->n_files; i++)
		rules += b->files[i].kind == MNG_BUNDLE_KIND_RULES;
	if (!rules) {
		mng_errbuf_set(err, errlen, "no rules file: a bundle must carry at least one");
		return -EBADMSG;
	}
	return 0;
}

int mng_bundle_parse(const void *buf, size_t len, struct mng_bundle **ret, char *err, size_t errlen)
{
	struct mng_bundle *b;
	struct rd r;
	int e;

	mng_errbuf_set(err, errlen, "%s", "");
	if (!ret || (!buf && len))
		return -EINVAL;
	if (len > MNG_BUNDLE_MAX) {
		mng_errbuf_set(err, errlen, "bundle larger than %u bytes", MNG_BUNDLE_MAX);
		return -E2BIG;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->raw = malloc(len ? len : 1);
	if (!b->raw) {
		free(b);
		return -ENOMEM;
	}
	if (len)
		memcpy(b->raw, buf, len);
	b->raw_len = len;
	r = (struct rd){.p = b->raw, .len = len, .err = err, .errlen = errlen};
	e = parse_header(&r, b);
	if (e == 0) {
		const char *s;
		size_t n;

		e = next_line(&r, &s, &n, "end of header");
		if (e == 0 && n != 0) {
			mng_errbuf_set(err, errlen,
				       "line %u: expected an empty line after the file list",
				       r.line);
			e = -EBADMSG;
		}
	}
	if (e == 0)
		e = parse_body(&r, b);
	if (e == 0)
		e = check_set(b, err, errlen);
	if (e < 0) {
		mng_bundle_free(&b);
		return e;
	}
	*ret = b;
	return 0;
}

const struct mng_bundle_file *mng_bundle_file_find(const struct mng_bundle *b, const char *path)
{
	size_t i;

	for (i = 0; b && path && i < b->n_files; i++)
		if (!strcmp(b->files[i].path, path))
			return &b->files[i];
	return NULL;
}

void mng_bundle_free(struct mng_bundle **bp)
{
	if (!bp || !*bp)
		return;
	free((*bp)->files);
	free((*bp)->raw);
	free(*bp);
	*bp = NULL;
}

/* ---- verification ---- */

/* Whether the kid of the key in a helpdesk-key file of b is kid. */
static bool carries_key(const struct mng_bundle *b, const char *kid)
{
	size_t i;

	for (i = 0; i < b->n_files; i++) {
		const struct mng_bundle_file *fe = &b->files[i];
		char k[MNG_EXEMPT_KID_LEN + 1];
		EVP_PKEY *key = NULL;
		bool same;

		if (fe->kind != MNG_BUNDLE_KIND_HELPDESK_KEY ||
		    mng_exempt_pubkey_parse((const char *)fe->data, fe->size, &key) < 0)
			continue;
		same = mng_exempt_kid(key, k) == 0 && !strcmp(k, kid);
		EVP_PKEY_free(key);
		if (same)
			return true;
	}
	return false;
}

int mng_bundle_verify(const void *buf, size_t len, const char *policy_dir, const char *helpdesk_dir,
		      unsigned file_flags, struct mng_bundle **ret, char *err, size_t errlen)
{
	struct mng_bundle *b = NULL;
	EVP_PKEY *key = NULL, *hk = NULL;
	int r;

	if (!ret || !policy_dir)
		return -EINVAL;
	r = mng_bundle_parse(buf, len, &b, err, errlen);
	if (r < 0)
		return r;
	r = mng_exempt_trust_key(policy_dir, file_flags, b->kid, &key, err, errlen);
	if (r < 0)
		goto out;
	r = mng_exempt_sig_check(key, b->raw, b->signed_len, b->sig);
	if (r < 0) {
		mng_errbuf_set(err, errlen, "signature does not verify under policy key %s",
			       b->kid);
		goto out;
	}
	if (carries_key(b, b->kid) ||
	    (helpdesk_dir &&
	     mng_exempt_trust_key(helpdesk_dir, file_flags, b->kid, &hk, NULL, 0) == 0)) {
		mng_errbuf_set(
		    err, errlen,
		    "signer %s is also a help desk key: a help desk key cannot sign policy",
		    b->kid);
		r = -EKEYREJECTED;
		goto out;
	}
	*ret = b;
	b = NULL;
	r = 0;
out:
	EVP_PKEY_free(hk);
	EVP_PKEY_free(key);
	mng_bundle_free(&b);
	return r;
}

/* ---- signing ---- */

static int cmp_input(const void *x, const void *y)
{
	const struct mng_bundle_input *const *a = x, *const *b = y;

	return strcmp((*a)->path, (*b)->path);
}

static int check_inputs(const struct mng_bundle_input *const *v, size_t n, const char *kid,
			char *err, size_t errlen)
{
	size_t i, rules = 0, total = 0;
	char why[160];

	if (n == 0 || n > MNG_BUNDLE_FILES_MAX) {
		mng_errbuf_set(err, errlen, "a bundle holds 1 to %d files, not %zu",
			       MNG_BUNDLE_FILES_MAX, n);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const struct mng_bundle_input *in = v[i];

		if (mng_bundle_path_check(in->kind, in->path, why, sizeof(why)) < 0) {
			mng_errbuf_set(err, errlen, "%s", why);
			return -EINVAL;
		}
		if (!mode_ok(in->mode)) {
			mng_errbuf_set(err, errlen, "file \"%s\": mode %04o has a bit outside 0644",
				       in->path, in->mode);
			return -EINVAL;
		}
		if (in->size > MNG_BUNDLE_FILE_MAX || (in->size && !in->data)) {
			mng_errbuf_set(err, errlen, "file \"%s\": larger than %u bytes", in->path,
				       MNG_BUNDLE_FILE_MAX);
			return -EINVAL;
		}
		total += in->size;
		if (i > 0 && !strcmp(v[i - 1]->path, in->path)) {
			mng_errbuf_set(err, errlen, "file \"%s\" given twice", in->path);
			return -EINVAL;
		}
		rules += in->kind == MNG_BUNDLE_KIND_RULES;
		if (in->kind == MNG_BUNDLE_KIND_HELPDESK_KEY) {
			char k[MNG_EXEMPT_KID_LEN + 1];
			EVP_PKEY *key = NULL;
			bool same;

			if (mng_exempt_pubkey_parse(in->data, in->size, &key) < 0) {
				mng_errbuf_set(err, errlen,
					       "file \"%s\": not a PEM Ed25519 public key",
					       in->path);
				return -EINVAL;
			}
			same = mng_exempt_kid(key, k) == 0 && !strcmp(k, kid);
			EVP_PKEY_free(key);
			if (same) {
				mng_errbuf_set(
				    err, errlen,
				    "file \"%s\" is the signing key itself: the policy key "
				    "cannot be a help desk key",
				    in->path);
				return -EINVAL;
			}
		}
	}
	if (!rules) {
		mng_errbuf_set(err, errlen, "no rules file: a bundle must carry at least one");
		return -EINVAL;
	}
	if (total > MNG_BUNDLE_MAX) {
		mng_errbuf_set(err, errlen, "the files add up to more than %u bytes",
			       MNG_BUNDLE_MAX);
		return -E2BIG;
	}
	return 0;
}

int mng_bundle_sign(uint64_t version, int64_t created, const struct mng_bundle_input *files,
		    size_t n, EVP_PKEY *key, uint8_t **ret_buf, size_t *ret_len, char *err,
		    size_t errlen)
{
	const struct mng_bundle_input **v = NULL;
	char kid[MNG_EXEMPT_KID_LEN + 1], hex[MNG_SHA256_HEX_LEN + 1];
	uint8_t digest[MNG_SHA256_LEN], sig[SIG_LEN], *out = NULL;
	struct mng_bundle *check = NULL;
	size_t i, o = 0, cap;
	int r, w;

	if (!ret_buf || !ret_len || (!files && n))
		return -EINVAL;
	if (version == 0 || version > MNG_BUNDLE_VERSION_MAX || created < 0 ||
	    created > MNG_BUNDLE_TIME_MAX) {
		mng_errbuf_set(err, errlen, "version must be 1..%llu and created 0..%lld",
			       (unsigned long long)MNG_BUNDLE_VERSION_MAX,
			       (long long)MNG_BUNDLE_TIME_MAX);
		return -EINVAL;
	}
	if (mng_exempt_kid(key, kid) < 0) {
		mng_errbuf_set(err, errlen, "the signing key is not an Ed25519 key");
		return -EINVAL;
	}
	if (n > MNG_BUNDLE_FILES_MAX) {
		mng_errbuf_set(err, errlen, "a bundle holds at most %d files",
			       MNG_BUNDLE_FILES_MAX);
		return -EINVAL;
	}
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = &files[i];
	qsort(v, n, sizeof(*v), cmp_input);
	r = check_inputs(v, n, kid, err, errlen);
	if (r < 0)
		goto out;
	/* header lines are at most LINE_MAX_BYTES + 1 each; contents follow */
	cap = (n + 7) * (LINE_MAX_BYTES + 1) + SIG_PREFIX_LEN + SIG_B64_LEN + 2;
	for (i = 0; i < n; i++)
		cap += v[i]->size;
	if (cap > MNG_BUNDLE_MAX + (size_t)(n + 7) * (LINE_MAX_BYTES + 1) + 128) {
		r = -E2BIG;
		goto out;
	}
	out = malloc(cap);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	w = snprintf((char *)out, cap, "%s\nversion %llu\ncreated %lld\nkid %s\nfiles %zu\n",
		     MNG_BUNDLE_MAGIC, (unsigned long long)version, (long long)created, kid, n);
	o = (size_t)w;
	for (i = 0; i < n; i++) {
		r = mng_sha256(v[i]->data, v[i]->size, digest);
		if (r < 0)
			goto out;
		mng_sha256_hex(digest, hex);
		w = snprintf((char *)out + o, cap - o, "file %s %04o %zu %s %s\n",
			     kind_names[v[i]->kind], v[i]->mode, v[i]->size, hex, v[i]->path);
		o += (size_t)w;
	}
	out[o++] = '\n';
	for (i = 0; i < n; i++) {
		if (v[i]->size)
			memcpy(out + o, v[i]->data, v[i]->size);
		o += v[i]->size;
	}
	r = mng_exempt_sig_make(key, out, o, sig);
	if (r < 0) {
		mng_errbuf_set(err, errlen, "cannot sign (%s)",
			       r == -EINVAL ? "not a private key" : "OpenSSL");
		goto out;
	}
	memcpy(out + o, SIG_PREFIX, SIG_PREFIX_LEN);
	o += SIG_PREFIX_LEN;
	w = mng_base64url_encode(sig, SIG_LEN, (char *)out + o, cap - o);
	if (w != SIG_B64_LEN) {
		r = -EIO;
		goto out;
	}
	o += SIG_B64_LEN;
	out[o++] = '\n';
	if (o > MNG_BUNDLE_MAX) {
		mng_errbuf_set(err, errlen, "the bundle would be larger than %u bytes",
			       MNG_BUNDLE_MAX);
		r = -E2BIG;
		goto out;
	}
	/* what is handed out must be what a terminal accepts */
	r = mng_bundle_parse(out, o, &check, err, errlen);
	mng_bundle_free(&check);
	if (r < 0) {
		r = -EIO;
		goto out;
	}
	*ret_buf = out;
	*ret_len = o;
	out = NULL;
	r = 0;
out:
	free(out);
	free(v);
	return r;
}
