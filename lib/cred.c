// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cred.c - the FIDO2 credential file (see cred.h).
 *
 * MUST: each field is checked on its own and every problem is reported
 *       with the line and the byte column where the field starts.
 * MUST: a credential id may appear only once in the file, so a key cannot
 *       be bound to two users (checked over the sorted ids: n log n).
 * MUST: the replacement file is complete on disk (fsync) before it takes
 *       the old one's name (rename), and the directory is synced after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "cred.h"
#include "file.h"
#include "utf8.h"

#define NFIELDS 9

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(char ch, int url)
{
	const char *p;

	if (ch == '\0')
		return -1;
	p = strchr(url ? b64_url : b64_std, ch);
	return p ? (int)(p - (url ? b64_url : b64_std)) : -1;
}

int mng_b64_decode(const char *s, size_t n, int url, uint8_t *out, size_t cap)
{
	size_t i, o = 0, pad = 0, data;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (!s && n)
		return -EINVAL;
	if (!url) {
		if (n % 4)
			return -EINVAL;
		while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
			pad++;
	}
	data = n - pad;
	if (url && data % 4 == 1)
		return -EINVAL;
	for (i = 0; i < data; i++) {
		int v = b64_value(s[i], url);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -E2BIG;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* unused trailing bits must be zero: one text per value */
		return -EINVAL;
	if (!url && pad != (4 - data % 4) % 4)
		return -EINVAL;
	if (o > (size_t)INT32_MAX)
		return -E2BIG;
	return (int)o;
}

int mng_b64_encode(const uint8_t *in, size_t n, int url, char **ret)
{
	const char *alpha = url ? b64_url : b64_std;
	size_t i, o = 0;
	char *s;

	if ((!in && n) || !ret || n > MNG_CRED_FILE_MAX)
		return -EINVAL;
	s = malloc((n + 2) / 3 * 4 + 1);
	if (!s)
		return -ENOMEM;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		s[o++] = alpha[v >> 18];
		s[o++] = alpha[(v >> 12) & 63];
		s[o++] = alpha[(v >> 6) & 63];
		s[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		s[o++] = alpha[v >> 18];
		s[o++] = alpha[(v >> 12) & 63];
		if (!url) {
			s[o++] = '=';
			s[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		s[o++] = alpha[v >> 18];
		s[o++] = alpha[(v >> 12) & 63];
		s[o++] = alpha[(v >> 6) & 63];
		if (!url)
			s[o++] = '=';
	}
	s[o] = '\0';
	*ret = s;
	return 0;
}

int mng_cred_id_encode(const uint8_t *id, size_t len, char **ret)
{
	if (!id || len == 0 || len > MNG_CRED_ID_MAX)
		return -EINVAL;
	return mng_b64_encode(id, len, 1, ret);
}

const char *mng_cred_type_name(int type)
{
	switch (type) {
	case MNG_CRED_ES256:
		return "es256";
	case MNG_CRED_EDDSA:
		return "eddsa";
	case MNG_CRED_RS256:
		return "rs256";
	default:
		return NULL;
	}
}

/*
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069 (three UTF-8 bytes each):
 * the bidirectional controls that make a label read differently on screen
 * than it is stored.
 */
static bool is_bidi_control(const unsigned char *u)
{
	if (u[0] != 0xe2)
		return false;
	if (u[1] == 0x80)
		return u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae);
	return u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9;
}

/*
 * Printable UTF-8 text of 1..max bytes (label, operator); NULL when fine,
 * else the problem, with *ret_off the byte offset where it is.
 */
static const char *check_text(const char *s, size_t n, size_t max, size_t *ret_off)
{
	size_t i = 0;

	*ret_off = 0;
	if (n == 0)
		return "empty";
	if (n > max)
		return "too long";
	while (i < n) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t l = mng_utf8_len(u, n - i);

		*ret_off = i;
		if (!l)
			return "invalid UTF-8";
		if (l == 1 && (u[0] < 0x20 || u[0] == 0x7f))
			return "control character";
		if (l == 2 && u[0] == 0xc2 && u[1] < 0xa0) /* C1 controls */
			return "control character";
		if (l == 3 && is_bidi_control(u))
			return "bidirectional control character";
		i += l;
	}
	*ret_off = 0;
	return NULL;
}

static const char *check_user(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty user name";
	if (n > MNG_CRED_USER_MAX)
		return "user name longer than 32 bytes";
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return "user name must start with a-z or '_'";
	for (i = 1; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return "user name may hold only a-z 0-9 _ . -";
	}
	return NULL;
}

static int parse_type(const char *s, size_t n)
{
	static const int types[] = {MNG_CRED_ES256, MNG_CRED_EDDSA, MNG_CRED_RS256};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(types); i++) {
		const char *name = mng_cred_type_name(types[i]);

		if (strlen(name) == n && !memcmp(s, name, n))
			return types[i];
	}
	return 0;
}

/* DER SubjectPublicKeyInfo headers of the two fixed-size key types. */
static const uint8_t es256_spki[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t eddsa_spki[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/* An uncompressed point (0x04 || x || y) on P-256; grp may be NULL. */
static bool p256_point_ok(const uint8_t *pt, size_t len, const EC_GROUP *grp)
{
	EC_GROUP *own = grp ? NULL : EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	const EC_GROUP *g = grp ? grp : own;
	EC_POINT *p = g ? EC_POINT_new(g) : NULL;
	bool ok = p && len == 65 && pt[0] == 0x04 && EC_POINT_oct2point(g, p, pt, len, NULL) == 1;

	EC_POINT_free(p);
	EC_GROUP_free(own);
	return ok;
}

/*
 * The DER public key must be exactly one SPKI of the declared type. es256
 * and eddsa keys have one canonical encoding (what libfido2's keys give
 * through i2d_PUBKEY), checked directly: decoding each through OpenSSL's
 * decoders costs about 250 us a key, too much for a file read at every
 * login. Anything else goes through d2i_PUBKEY, for RSA and to name the
 * problem precisely.
 */
static const char *check_pk(const uint8_t *der, size_t len, int type, const EC_GROUP *grp,
			    bool point_check)
{
	const unsigned char *p = der;
	const char *why = NULL;
	EVP_PKEY *pk;
	char group[64];

	if (type == MNG_CRED_ES256 && len == sizeof(es256_spki) + 65 &&
	    !memcmp(der, es256_spki, sizeof(es256_spki)) && der[sizeof(es256_spki)] == 0x04 &&
	    !point_check)
		return NULL;
	if (type == MNG_CRED_ES256 && len == sizeof(es256_spki) + 65 &&
	    !memcmp(der, es256_spki, sizeof(es256_spki)))
		return p256_point_ok(der + sizeof(es256_spki), 65, grp)
			   ? NULL
			   : "es256 key is not a point on P-256";
	if (type == MNG_CRED_EDDSA && len == sizeof(eddsa_spki) + 32 &&
	    !memcmp(der, eddsa_spki, sizeof(eddsa_spki)))
		return NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (!pk)
		return "not a DER SubjectPublicKeyInfo";
	if ((size_t)(p - der) != len) {
		why = "trailing bytes after the public key";
		goto out;
	}
	switch (type) {
	case MNG_CRED_ES256:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
		    !EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) ||
		    strcmp(group, "prime256v1"))
			why = "es256 needs an EC P-256 public key";
		else
			why = "es256 key must be an uncompressed point with named curve";
		break;
	case MNG_CRED_EDDSA:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519)
			why = "eddsa needs an Ed25519 public key";
		else
			why = "eddsa key not in its canonical encoding";
		break;
	case MNG_CRED_RS256:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pk) < 2048)
			why = "rs256 needs an RSA public key of at least 2048 bits";
		break;
	default:
		why = "unknown key type";
	}
out:
	EVP_PKEY_free(pk);
	return why;
}

static int parse_flags(const char *s, size_t n, unsigned *ret)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
	    {"up", MNG_CRED_F_UP}, {"uv", MNG_CRED_F_UV}, {"zero-counter-ok", MNG_CRED_F_ZERO_OK}};
	unsigned flags = 0;
	size_t off = 0;

	if (n == 1 && s[0] == '-') {
		*ret = 0;
		return 0;
	}
	if (n == 0)
		return -EINVAL;
	while (off <= n) {
		const char *c = memchr(s + off, ',', n - off);
		size_t l = c ? (size_t)(c - (s + off)) : n - off, i;
		bool found = false;

		for (i = 0; i < MNG_ARRAY_SIZE(names); i++) {
			if (strlen(names[i].name) == l && !memcmp(s + off, names[i].name, l)) {
				if (flags & names[i].bit)
					return -EEXIST;
				flags |= names[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		if (!c)
			break;
		off += l + 1;
	}
	*ret = flags;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static bool parse_aaguid(const char *s, size_t n, uint8_t out[16])
{
	size_t i;

	if (n != 32)
		return false;
	for (i = 0; i < 16; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static unsigned num(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ~0u;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v;
}

/* YYYY-MM-DDTHH:MM:SSZ, a real calendar date, UTC. */
static bool check_time(const char *s, size_t n)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, se;

	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return false;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	h = num(s + 11, 2);
	mi = num(s + 14, 2);
	se = num(s + 17, 2);
	if (y < 2000 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 59)
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

int mng_cred_check(const struct mng_cred *c, const char **why)
{
	const char *dummy, *w;
	size_t off;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!c)
		return -EINVAL;
	w = check_user(c->user, strnlen(c->user, sizeof(c->user)));
	if (!w && (!c->id || c->id_len == 0 || c->id_len > MNG_CRED_ID_MAX))
		w = "credential id must be 1..1024 bytes";
	if (!w && !mng_cred_type_name(c->type))
		w = "unknown key type";
	if (!w && (!c->pk || c->pk_len == 0 || c->pk_len > MNG_CRED_PK_MAX))
		w = "public key missing or too long";
	if (!w)
		w = check_pk(c->pk, c->pk_len, c->type, NULL, true);
	if (!w && (c->flags & ~(MNG_CRED_F_UP | MNG_CRED_F_UV | MNG_CRED_F_ZERO_OK)))
		w = "unknown flag";
	if (!w &&
	    check_text(c->label, strnlen(c->label, sizeof(c->label)), MNG_CRED_TEXT_MAX, &off))
		w = "label must be 1..64 bytes of printable UTF-8";
	if (!w && !check_time(c->enrolled, strnlen(c->enrolled, sizeof(c->enrolled))))
		w = "enrolment time must be YYYY-MM-DDTHH:MM:SSZ";
	if (!w && check_text(c->operator_, strnlen(c->operator_, sizeof(c->operator_)),
			     MNG_CRED_TEXT_MAX, &off))
		w = "operator must be 1..64 bytes of printable UTF-8";
	if (w) {
		*why = w;
		return -EINVAL;
	}
	return 0;
}

static void cred_free(struct mng_cred *c)
{
	free(c->id);
	free(c->pk);
	c->id = c->pk = NULL;
}

void mng_credset_clear(struct mng_credset *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		cred_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int mng_credset_add(struct mng_credset *s, const struct mng_cred *c)
{
	struct mng_cred *nv, copy;

	if (!s || mng_cred_check(c, NULL) < 0)
		return -EINVAL;
	if (s->n >= MNG_CRED_COUNT_MAX)
		return -E2BIG;
	copy = *c;
	copy.id = malloc(c->id_len);
	copy.pk = malloc(c->pk_len);
	if (!copy.id || !copy.pk) {
		cred_free(&copy);
		return -ENOMEM;
	}
	memcpy(copy.id, c->id, c->id_len);
	memcpy(copy.pk, c->pk, c->pk_len);
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv) {
		cred_free(&copy);
		return -ENOMEM;
	}
	s->v = nv;
	s->v[s->n++] = copy;
	return 0;
}

struct parse {
	const char *file;
	struct mng_diags *diags;
	unsigned lineno;
	int errors;
	struct mng_credset set;
	bool count_reported;
	EC_GROUP *p256;	  /* made at the first es256 point check of a parse */
	bool point_check; /* false: es256 points are left to the verifier */
};

static void MNG_PRINTF(3, 4) error(struct parse *p, size_t col, const char *fmt, ...)
{
	char msg[MNG_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	mng_diags_add(p->diags, p->file, p->lineno, (unsigned)col, "%s", msg);
}

/* Copy n bytes of a checked field into a fixed-size string. */
static void copy_str(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int parse_fields(struct parse *p, const char *const f[NFIELDS], const size_t fl[NFIELDS],
			const size_t col[NFIELDS], struct mng_cred *c)
{
	uint8_t buf[MNG_CRED_PK_MAX];
	const char *w;
	size_t off;
	int before = p->errors, n;

	if ((w = check_user(f[0], fl[0])))
		error(p, col[0], "%s", w);
	else
		copy_str(c->user, sizeof(c->user), f[0], fl[0]);

	n = fl[1] > (MNG_CRED_ID_MAX * 4 + 2) / 3
		? -E2BIG
		: mng_b64_decode(f[1], fl[1], 1, buf, MNG_CRED_ID_MAX);
	if (n == -E2BIG)
		error(p, col[1], "credential id longer than %u bytes", MNG_CRED_ID_MAX);
	else if (n <= 0)
		error(p, col[1], "credential id is not base64url without padding");
	else if (!(c->id = malloc((size_t)n)))
		return -ENOMEM;
	else {
		memcpy(c->id, buf, (size_t)n);
		c->id_len = (size_t)n;
	}

	c->type = parse_type(f[2], fl[2]);
	if (!c->type)
		error(p, col[2], "unknown key type (es256, eddsa or rs256)");

	n = fl[3] > (MNG_CRED_PK_MAX + 2) / 3 * 4
		? -E2BIG
		: mng_b64_decode(f[3], fl[3], 0, buf, sizeof(buf));
	if (n == -E2BIG)
		error(p, col[3], "public key longer than %u bytes", MNG_CRED_PK_MAX);
	else if (n <= 0)
		error(p, col[3], "public key is not standard base64");
	else if (c->type && p->point_check && c->type == MNG_CRED_ES256 && !p->p256 &&
		 !(p->p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)))
		return -ENOMEM;
	else if (c->type && (w = check_pk(buf, (size_t)n, c->type, p->p256, p->point_check)))
		error(p, col[3], "%s", w);
	else if (c->type) {
		if (!(c->pk = malloc((size_t)n)))
			return -ENOMEM;
		memcpy(c->pk, buf, (size_t)n);
		c->pk_len = (size_t)n;
	}

	n = parse_flags(f[4], fl[4], &c->flags);
	if (n == -EEXIST)
		error(p, col[4], "flag given twice");
	else if (n < 0)
		error(p, col[4],
		      "flags must be '-' or a comma-separated list of up, uv, "
		      "zero-counter-ok");

	if (!parse_aaguid(f[5], fl[5], c->aaguid))
		error(p, col[5], "AAGUID must be 32 lowercase hex digits");

	if ((w = check_text(f[6], fl[6], MNG_CRED_TEXT_MAX, &off)))
		error(p, col[6] + off, "label: %s (1..%u bytes of printable UTF-8)", w,
		      MNG_CRED_TEXT_MAX);
	else
		copy_str(c->label, sizeof(c->label), f[6], fl[6]);

	if (!check_time(f[7], fl[7]))
		error(p, col[7], "enrolment time must be YYYY-MM-DDTHH:MM:SSZ (UTC)");
	else
		copy_str(c->enrolled, sizeof(c->enrolled), f[7], fl[7]);

	if ((w = check_text(f[8], fl[8], MNG_CRED_TEXT_MAX, &off)))
		error(p, col[8] + off, "operator: %s (1..%u bytes of printable UTF-8)", w,
		      MNG_CRED_TEXT_MAX);
	else
		copy_str(c->operator_, sizeof(c->operator_), f[8], fl[8]);

	explicit_bzero(buf, sizeof(buf));
	return p->errors == before ? 0 : -EINVAL;
}

static int cmp_id(const void *a, const void *b)
{
	const struct mng_cred *x = *(const struct mng_cred *const *)a;
	const struct mng_cred *y = *(const struct mng_cred *const *)b;
	int r;

	if (x->id_len != y->id_len)
		return x->id_len < y->id_len ? -1 : 1;
	r = memcmp(x->id, y->id, x->id_len);
	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* A credential id may be given once: sorted, so a full file costs n log n. */
static int check_unique(struct parse *p)
{
	const struct mng_cred **v;
	size_t i;

	if (p->set.n < 2)
		return 0;
	v = malloc(p->set.n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->set.n; i++)
		v[i] = &p->set.v[i];
	qsort(v, p->set.n, sizeof(*v), cmp_id);
	for (i = 1; i < p->set.n; i++) {
		if (v[i]->id_len != v[i - 1]->id_len ||
		    memcmp(v[i]->id, v[i - 1]->id, v[i]->id_len))
			continue;
		p->lineno = v[i]->line;
		error(p, strlen(v[i]->user) + 2, "credential id already given on line %u",
		      v[i - 1]->line);
	}
	free(v);
	return 0;
}

static int parse_line(struct parse *p, const char *s, size_t len)
{
	const char *f[NFIELDS];
	size_t fl[NFIELDS], col[NFIELDS], i, nf = 0, start = 0;
	struct mng_cred c = {0};
	const char *nul;
	int r;

	if (len > MNG_CRED_LINE_MAX) {
		error(p, MNG_CRED_LINE_MAX + 1, "line longer than %u bytes", MNG_CRED_LINE_MAX);
		return 0;
	}
	nul = memchr(s, '\0', len);
	if (nul) {
		error(p, (size_t)(nul - s) + 1, "NUL byte");
		return 0;
	}
	if (len == 0 || s[0] == '#')
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\t')
			continue;
		if (nf < NFIELDS) {
			f[nf] = s + start;
			fl[nf] = i - start;
			col[nf] = start + 1;
		}
		nf++;
		start = i + 1;
	}
	if (nf != NFIELDS) {
		error(p, 1, "expected %d TAB-separated fields, found %zu", NFIELDS, nf);
		return 0;
	}
	r = parse_fields(p, f, fl, col, &c);
	if (r < 0) {
		cred_free(&c);
		return r == -ENOMEM ? r : 0;
	}
	if (p->set.n >= MNG_CRED_COUNT_MAX) {
		if (!p->count_reported)
			error(p, 1, "more than %u credentials", MNG_CRED_COUNT_MAX);
		p->count_reported = true;
		cred_free(&c);
		return 0;
	}
	c.line = p->lineno;
	if ((p->set.n & (p->set.n - 1)) == 0) { /* grow at powers of two */
		size_t cap = p->set.n ? p->set.n * 2 : 1;
		struct mng_cred *nv = realloc(p->set.v, cap * sizeof(*nv));

		if (!nv) {
			cred_free(&c);
			return -ENOMEM;
		}
		p->set.v = nv;
	}
	p->set.v[p->set.n++] = c;
	return 0;
}

static int parse_set(const char *buf, size_t len, const char *filename, bool point_check,
		     struct mng_credset *ret, struct mng_diags *diags)
{
	struct parse p = {.point_check = point_check};
	size_t off = 0;
	int r = 0;

	if ((!buf && len) || !ret)
		return -EINVAL;
	p.file = filename ? filename : "(credentials)";
	p.diags = diags;
	if (len > MNG_CRED_FILE_MAX) {
		mng_diags_add(diags, p.file, 0, 0, "file larger than %u bytes", MNG_CRED_FILE_MAX);
		return -EFBIG;
	}
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (buf + off)) : len - off;

		p.lineno++;
		r = parse_line(&p, buf + off, l);
		if (r < 0)
			break;
		off += l + (nl ? 1 : 0);
	}
	EC_GROUP_free(p.p256);
	if (r == 0)
		r = check_unique(&p);
	if (r == 0 && p.errors)
		r = -EINVAL;
	if (r < 0) {
		mng_credset_clear(&p.set);
		return r;
	}
	*ret = p.set;
	return 0;
}

int mng_credset_parse(const char *buf, size_t len, const char *filename, struct mng_credset *ret,
		      struct mng_diags *diags)
{
	return parse_set(buf, len, filename, true, ret, diags);
}

static int load(const char *path, unsigned file_flags, bool point_check, struct mng_credset *ret,
		struct mng_diags *diags)
{
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path || !ret)
		return -EINVAL;
	r = mng_file_read(path, MNG_CRED_FILE_MAX, file_flags, &buf, &len, &why);
	if (r < 0) {
		mng_diags_add(diags, path, 0, 0, "%s (%s)", why ? why : "cannot read",
			      strerror(-r));
		return r;
	}
	r = parse_set(buf, len, path, point_check, ret, diags);
	free(buf);
	return r;
}

int mng_credset_load(const char *path, unsigned file_flags, struct mng_credset *ret,
		     struct mng_diags *diags)
{
	return load(path, file_flags, true, ret, diags);
}

int mng_credset_load_for_login(const char *path, unsigned file_flags, struct mng_credset *ret,
			       struct mng_diags *diags)
{
	return load(path, file_flags, false, ret, diags);
}

int mng_cred_format(const struct mng_cred *c, char **ret_line)
{
	char *id = NULL, *pk = NULL, *line = NULL, hex[33];
	char flags[32] = "";
	size_t i;
	int r;

	if (!ret_line || mng_cred_check(c, NULL) < 0)
		return -EINVAL;
	r = mng_b64_encode(c->id, c->id_len, 1, &id);
	if (r == 0)
		r = mng_b64_encode(c->pk, c->pk_len, 0, &pk);
	if (r < 0)
		goto out;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->aaguid[i]);
	if (c->flags & MNG_CRED_F_UP)
		strcat(flags, "up,");
	if (c->flags & MNG_CRED_F_UV)
		strcat(flags, "uv,");
	if (c->flags & MNG_CRED_F_ZERO_OK)
		strcat(flags, "zero-counter-ok,");
	if (flags[0])
		flags[strlen(flags) - 1] = '\0';
	else
		strcpy(flags, "-");
	if (asprintf(&line, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", c->user, id,
		     mng_cred_type_name(c->type), pk, flags, hex, c->label, c->enrolled,
		     c->operator_) < 0) {
		r = -ENOMEM;
		goto out;
	}
	*ret_line = line;
out:
	free(id);
	free(pk);
	return r;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, r = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	(void)close(fd);
	return r;
}

int mng_credset_write(const char *path, const struct mng_credset *set)
{
	static const char header[] = "# mnguard FIDO2 credentials, see pam_mnguard(8).\n"
				     "# user\tcred_id\ttype\tpubkey\tflags\taaguid\tlabel\t"
				     "enrolled\toperator\n";
	char *tmp = NULL;
	int fd = -1, r;
	size_t i;

	if (!path || !set || (set->n && !set->v))
		return -EINVAL;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	r = write_all(fd, header, sizeof(header) - 1);
	for (i = 0; r == 0 && i < set->n; i++) {
		char *line = NULL;

		r = mng_cred_format(&set->v[i], &line);
		if (r == 0)
			r = write_all(fd, line, strlen(line));
		if (r == 0)
			r = write_all(fd, "\n", 1);
		free(line);
	}
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	else
		r = sync_dir_of(path);
	free(tmp);
	return r;
}
