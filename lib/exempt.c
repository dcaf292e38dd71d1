// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exempt.c - exemption tokens: canonical encoding, strict decoding, Ed25519
 * signing and verification against a trust directory, and the binding
 * checks (terminal, user, scope, lifetime, time window). The format is
 * described in exempt.h.
 *
 * MUST: nothing is trusted before the signature over the exact signed bytes
 *       verified under a key read from the trust directory.
 * MUST: every length is checked before it is copied: the text against
 *       MNG_EXEMPT_TEXT_MAX, each field against its own maximum.
 * MUST: a payload is accepted only when it is byte for byte the canonical
 *       encoding of the fields parsed from it, so a token has one spelling.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "diag.h"
#include "exempt.h"
#include "file.h"
#include "mng.h"
#include "rules.h"
#include "sha256.h"
#include "utf8.h"
#include "textbuf.h"

#define PREFIX "mngx1."
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define SIG_LEN 64
#define SIG_B64_LEN 86			      /* base64url of 64 bytes, no padding */
#define PAYLOAD_MAX 3072		      /* decoded payload bytes (text cap * 3 / 4) */
#define PAYLOAD_B64_MAX (PAYLOAD_MAX / 3 * 4) /* its base64url characters */

static const char *const scope_names[] = {
    [MNG_EXEMPT_SCOPE_USB] = "usb",
    [MNG_EXEMPT_SCOPE_PRINT] = "print",
    [MNG_EXEMPT_SCOPE_CLIPBOARD] = "clipboard",
    [MNG_EXEMPT_SCOPE_LOGIN] = "login",
};

const char *mng_exempt_scope_name(enum mng_exempt_scope s)
{
	if (s <= MNG_EXEMPT_SCOPE_NONE || s > MNG_EXEMPT_SCOPE_LOGIN)
		return NULL;
	return scope_names[s];
}

int mng_exempt_scope_parse(const char *s, enum mng_exempt_scope *ret)
{
	size_t i;

	if (!s || !ret)
		return -EINVAL;
	for (i = MNG_EXEMPT_SCOPE_USB; i < MNG_ARRAY_SIZE(scope_names); i++)
		if (!strcmp(s, scope_names[i])) {
			*ret = (enum mng_exempt_scope)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- base64url ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int mng_base64url_encode(const void *data, size_t len, char *buf, size_t size)
{
	const uint8_t *p = data;
	size_t need = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0), i, o = 0;

	if (!buf || (!data && len) || need >= size || need > INT32_MAX)
		return -ENOBUFS;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		buf[o++] = b64url[v >> 18];
		buf[o++] = b64url[(v >> 12) & 63];
		buf[o++] = b64url[(v >> 6) & 63];
		buf[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		buf[o++] = b64url[p[i] >> 2];
		buf[o++] = b64url[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		buf[o++] = b64url[v >> 10];
		buf[o++] = b64url[(v >> 4) & 63];
		buf[o++] = b64url[(v & 15) << 2];
	}
	buf[o] = '\0';
	return (int)o;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int mng_base64url_decode(const char *text, size_t len, uint8_t *buf, size_t size)
{
	size_t i, o = 0, need;
	uint32_t acc = 0;
	unsigned bits = 0;

	if ((!text && len) || len % 4 == 1 || len > (size_t)INT32_MAX)
		return -EBADMSG;
	need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (need > size || (!buf && need))
		return -ENOBUFS;
	for (i = 0; i < len; i++) {
		int v = b64val(text[i]);

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1)) /* unused low bits must be zero */
		return -EBADMSG;
	return (int)o;
}

/* ---- field checks ---- */

static bool is_lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool valid_user(const char *s)
{
	size_t i, n = strlen(s);

	if (!strcmp(s, "*"))
		return true;
	if (n == 0 || n > MNG_EXEMPT_USER_MAX || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return strcmp(s, ".") && strcmp(s, "..");
}

static bool valid_printer(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MNG_EXEMPT_PRINTER_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/' || s[i] == '#' || s[i] == '\\')
			return false;
	return true;
}

static bool valid_ticket(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MNG_EXEMPT_TICKET_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < ' ' || s[i] > '~')
			return false;
	return true;
}

/* U+200E, U+200F, U+202A..U+202E, U+2066..U+2069, U+061C: bidirectional controls. */
static bool is_bidi(const unsigned char *u, size_t l)
{
	if (l == 2)
		return u[0] == 0xd8 && u[1] == 0x9c;
	if (l != 3 || u[0] != 0xe2)
		return false;
	if (u[1] == 0x80)
		return u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae);
	return u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9;
}

/* UTF-8 text of min..max bytes without control characters; NULL or the problem. */
static const char *check_text(const char *s, size_t min, size_t max)
{
	size_t i = 0, n = strlen(s);

	if (n < min)
		return "empty";
	if (n > max)
		return "too long";
	while (i < n) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t l = mng_utf8_len(u, n - i);

		if (!l)
			return "invalid UTF-8";
		if ((l == 1 && (u[0] < 0x20 || u[0] == 0x7f)) ||
		    (l == 2 && u[0] == 0xc2 && u[1] < 0xa0))
			return "control character";
		if (is_bidi(u, l))
			return "bidirectional control character";
		i += l;
	}
	return NULL;
}

/* obj of a usb token: exactly one rule that parses and whose target is allow. */
static int check_usb_rule(const char *obj, char *err, size_t errlen)
{
	struct mng_diags diags = {0};
	struct mng_ruleset *rs = NULL;
	char norm[16];
	int r;

	r = mng_ruleset_new(&rs);
	if (r < 0)
		return r;
	r = mng_ruleset_parse(rs, obj, strlen(obj), "obj", &diags);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		mng_errbuf_set(err, errlen, "field \"obj\": USB rule does not parse: %s",
			       diags.n ? diags.v[0].msg : "error");
		r = -EINVAL;
		goto out;
	}
	if (r != 1) {
		mng_errbuf_set(err, errlen, "field \"obj\": must hold exactly one USB rule");
		r = -EINVAL;
		goto out;
	}
	/* The normalised form starts with the target; a short buffer is fine. */
	r = mng_ruleset_format(rs, 0, norm, sizeof(norm));
	if ((r < 0 && r != -ENOBUFS) || strncmp(norm, "allow", 5) || (norm[5] && norm[5] != ' ')) {
		mng_errbuf_set(err, errlen, "field \"obj\": the USB rule must be an allow rule");
		r = -EINVAL;
		goto out;
	}
	r = 0;
out:
	mng_diags_clear(&diags);
	mng_ruleset_free(&rs);
	return r;
}

int mng_exempt_validate(const struct mng_exempt *e, char *err, size_t errlen)
{
	const char *why;

	if (!e) {
		mng_errbuf_set(err, errlen, "no exemption");
		return -EINVAL;
	}
#define BAD(...)                                                                                   \
	do {                                                                                       \
		mng_errbuf_set(err, errlen, __VA_ARGS__);                                          \
		return -EINVAL;                                                                    \
	} while (0)
	if (!memchr(e->id, 0, sizeof(e->id)) || !is_lower_hex(e->id, MNG_EXEMPT_ID_LEN))
		BAD("field \"id\": must be %d lowercase hex digits", MNG_EXEMPT_ID_LEN);
	if (e->issued < 0 || e->not_before < 0 || e->not_after < 0)
		BAD("field \"iat\": times must not be negative");
	if (e->issued > e->not_before)
		BAD("field \"nbf\": not-before is earlier than the issue time");
	if (e->not_before >= e->not_after)
		BAD("field \"exp\": not-after must be later than not-before");
	if (!memchr(e->terminal, 0, sizeof(e->terminal)) ||
	    (strcmp(e->terminal, "*") && !is_lower_hex(e->terminal, MNG_EXEMPT_TERM_LEN)))
		BAD("field \"term\": must be a machine-id (32 lowercase hex digits) or \"*\"");
	if (!memchr(e->user, 0, sizeof(e->user)) || !valid_user(e->user))
		BAD("field \"user\": must be a user name (1-32 of A-Z a-z 0-9 . _ -) or \"*\"");
	if (!mng_exempt_scope_name(e->scope))
		BAD("field \"scope\": must be usb, print, clipboard or login");
	if (e->scope == MNG_EXEMPT_SCOPE_LOGIN && !strcmp(e->user, "*"))
		BAD("field \"user\": a login exemption must name one user");
	if (!memchr(e->object, 0, sizeof(e->object)))
		BAD("field \"obj\": too long");
	switch (e->scope) {
	case MNG_EXEMPT_SCOPE_USB: {
		int r;

		why = check_text(e->object, 1, MNG_EXEMPT_OBJ_MAX);
		if (why)
			BAD("field \"obj\": %s", why);
		r = check_usb_rule(e->object, err, errlen);
		if (r < 0)
			return r;
		break;
	}
	case MNG_EXEMPT_SCOPE_PRINT:
		if (!valid_printer(e->object))
			BAD("field \"obj\": must be a printer queue name (1-127 printable "
			    "characters, no space, / # or \\)");
		break;
	default:
		if (e->object[0])
			BAD("field \"obj\": must be empty for scope %s",
			    mng_exempt_scope_name(e->scope));
		break;
	}
	if (e->uses < 1 || e->uses > MNG_EXEMPT_USES_MAX)
		BAD("field \"uses\": must be 1-%d", MNG_EXEMPT_USES_MAX);
	if (!memchr(e->ticket, 0, sizeof(e->ticket)) || !valid_ticket(e->ticket))
		BAD("field \"ticket\": must be 1-%d printable ASCII characters",
		    MNG_EXEMPT_TICKET_MAX);
	if (!memchr(e->reason, 0, sizeof(e->reason)))
		BAD("field \"reason\": too long");
	why = check_text(e->reason, 0, MNG_EXEMPT_REASON_MAX);
	if (why)
		BAD("field \"reason\": %s", why);
	if (!memchr(e->by, 0, sizeof(e->by)))
		BAD("field \"by\": too long");
	why = check_text(e->by, 1, MNG_EXEMPT_BY_MAX);
	if (why)
		BAD("field \"by\": %s", why);
#undef BAD
	return 0;
}

/* ---- canonical JSON ---- */

static void put_str(struct mng_textbuf *o, const char *key, const char *s, bool first)
{
	char esc[8];

	mng_textbuf_put(o, first ? "{\"" : ",\"", 2);
	mng_textbuf_put(o, key, strlen(key));
	mng_textbuf_put(o, "\":\"", 3);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			mng_textbuf_put(o, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			mng_textbuf_put(o, esc, 6);
		} else {
			mng_textbuf_put(o, (const char *)&c, 1);
		}
	}
	mng_textbuf_put(o, "\"", 1);
}

static void put_int(struct mng_textbuf *o, const char *key, int64_t v, bool first)
{
	char num[32];

	mng_textbuf_put(o, first ? "{\"" : ",\"", 2);
	mng_textbuf_put(o, key, strlen(key));
	mng_textbuf_put(o, "\":", 2);
	snprintf(num, sizeof(num), "%" PRId64, v);
	mng_textbuf_put(o, num, strlen(num));
}

/* The canonical payload of e (kid included). Returns its length or -E2BIG. */
static int encode_payload(const struct mng_exempt *e, char *buf, size_t size)
{
	struct mng_textbuf o = {buf, size, 0, false};

	buf[0] = '\0';
	put_int(&o, "v", 1, true);
	put_str(&o, "id", e->id, false);
	put_str(&o, "kid", e->kid, false);
	put_int(&o, "iat", e->issued, false);
	put_int(&o, "nbf", e->not_before, false);
	put_int(&o, "exp", e->not_after, false);
	put_str(&o, "term", e->terminal, false);
	put_str(&o, "user", e->user, false);
	put_str(&o, "scope", mng_exempt_scope_name(e->scope), false);
	put_str(&o, "obj", e->object, false);
	put_int(&o, "uses", e->uses, false);
	put_str(&o, "ticket", e->ticket, false);
	put_str(&o, "reason", e->reason, false);
	put_str(&o, "by", e->by, false);
	mng_textbuf_put(&o, "}", 1);
	return o.full ? -E2BIG : (int)o.len;
}

/* ---- strict JSON parsing of the payload ---- */

enum field {
	F_V,
	F_ID,
	F_KID,
	F_IAT,
	F_NBF,
	F_EXP,
	F_TERM,
	F_USER,
	F_SCOPE,
	F_OBJ,
	F_USES,
	F_TICKET,
	F_REASON,
	F_BY,
	F_COUNT
};

static const struct {
	const char *name;
	bool is_int;
	size_t max; /* bytes for strings */
} fields[F_COUNT] = {
    [F_V] = {"v", true, 0},
    [F_ID] = {"id", false, MNG_EXEMPT_ID_LEN},
    [F_KID] = {"kid", false, MNG_EXEMPT_KID_LEN},
    [F_IAT] = {"iat", true, 0},
    [F_NBF] = {"nbf", true, 0},
    [F_EXP] = {"exp", true, 0},
    [F_TERM] = {"term", false, MNG_EXEMPT_TERM_LEN},
    [F_USER] = {"user", false, MNG_EXEMPT_USER_MAX},
    [F_SCOPE] = {"scope", false, 16},
    [F_OBJ] = {"obj", false, MNG_EXEMPT_OBJ_MAX},
    [F_USES] = {"uses", true, 0},
    [F_TICKET] = {"ticket", false, MNG_EXEMPT_TICKET_MAX},
    [F_REASON] = {"reason", false, MNG_EXEMPT_REASON_MAX},
    [F_BY] = {"by", false, MNG_EXEMPT_BY_MAX},
};

struct parser {
	const char *p, *end;
	char *err;
	size_t errlen;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const char *p, uint32_t *ret)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t put_utf8(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A JSON string at ps->p (the opening quote) into buf (at most max bytes and
 * a NUL). what names it in errors. Returns 0 or -EBADMSG.
 */
static int parse_string(struct parser *ps, char *buf, size_t max, const char *what)
{
	size_t n = 0;

	if (ps->p >= ps->end || *ps->p != '"') {
		mng_errbuf_set(ps->err, ps->errlen, "%s: expected a string", what);
		return -EBADMSG;
	}
	ps->p++;
	for (;;) {
		char tmp[4];
		size_t l;

		if (ps->p >= ps->end) {
			mng_errbuf_set(ps->err, ps->errlen, "%s: unterminated string", what);
			return -EBADMSG;
		}
		if (*ps->p == '"') {
			ps->p++;
			break;
		}
		if (*ps->p == '\\') {
			uint32_t cp, lo;

			if (ps->end - ps->p < 2)
				goto bad_escape;
			switch (ps->p[1]) {
			case '"':
			case '\\':
			case '/':
				tmp[0] = ps->p[1];
				l = 1;
				ps->p += 2;
				break;
			case 'b':
				tmp[0] = '\b';
				l = 1;
				ps->p += 2;
				break;
			case 'f':
				tmp[0] = '\f';
				l = 1;
				ps->p += 2;
				break;
			case 'n':
				tmp[0] = '\n';
				l = 1;
				ps->p += 2;
				break;
			case 'r':
				tmp[0] = '\r';
				l = 1;
				ps->p += 2;
				break;
			case 't':
				tmp[0] = '\t';
				l = 1;
				ps->p += 2;
				break;
			case 'u':
				if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0)
					goto bad_escape;
				ps->p += 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					goto bad_escape;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
					    ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						goto bad_escape;
					ps->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0) {
					mng_errbuf_set(ps->err, ps->errlen, "%s: NUL character",
						       what);
					return -EBADMSG;
				}
				l = put_utf8(cp, tmp);
				break;
			default:
				goto bad_escape;
			}
		} else {
			const unsigned char *u = (const unsigned char *)ps->p;

			if (*u < 0x20) {
				mng_errbuf_set(ps->err, ps->errlen,
					       "%s: raw control character in string", what);
				return -EBADMSG;
			}
			l = mng_utf8_len(u, (size_t)(ps->end - ps->p));
			if (!l) {
				mng_errbuf_set(ps->err, ps->errlen, "%s: invalid UTF-8", what);
				return -EBADMSG;
			}
			memcpy(tmp, ps->p, l);
			ps->p += l;
		}
		if (n + l > max) {
			mng_errbuf_set(ps->err, ps->errlen, "%s: longer than %zu bytes", what, max);
			return -EBADMSG;
		}
		memcpy(buf + n, tmp, l);
		n += l;
	}
	buf[n] = '\0';
	return 0;
bad_escape:
	mng_errbuf_set(ps->err, ps->errlen, "%s: bad escape in string", what);
	return -EBADMSG;
}

/* A non-negative JSON integer (no sign, fraction, exponent or leading zero) up to INT64_MAX. */
static int parse_int(struct parser *ps, int64_t *ret, const char *what)
{
	int64_t v = 0;
	const char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		int d = *ps->p - '0';

		if (v > (INT64_MAX - d) / 10) {
			mng_errbuf_set(ps->err, ps->errlen, "field \"%s\": number out of range",
				       what);
			return -EBADMSG;
		}
		v = v * 10 + d;
		ps->p++;
	}
	if (ps->p == start || (ps->p - start > 1 && *start == '0') ||
	    (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))) {
		mng_errbuf_set(ps->err, ps->errlen, "field \"%s\": expected a non-negative integer",
			       what);
		return -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* A key as shown in a message: printable ASCII, at most 24 characters. */
static void show_key(const char *key, char *out, size_t size)
{
	size_t i;

	for (i = 0; key[i] && i + 1 < size && i < 24; i++)
		out[i] = key[i] > ' ' && key[i] <= '~' ? key[i] : '?';
	out[i] = '\0';
}

static int parse_payload(const char *buf, size_t len, struct mng_exempt *e, char *err,
			 size_t errlen)
{
	struct parser ps = {buf, buf + len, err, errlen};
	bool seen[F_COUNT] = {false};
	char key[32], shown[32], scope[17];
	int64_t v = 0, num;
	int f, r;

	memset(e, 0, sizeof(*e));
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{') {
		mng_errbuf_set(err, errlen, "payload is not a JSON object");
		return -EBADMSG;
	}
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		mng_errbuf_set(err, errlen, "field \"v\": missing");
		return -EBADMSG;
	}
	for (;;) {
		skip_ws(&ps);
		r = parse_string(&ps, key, sizeof(key) - 1, "a field name");
		if (r < 0)
			return r;
		show_key(key, shown, sizeof(shown));
		for (f = 0; f < F_COUNT; f++)
			if (!strcmp(key, fields[f].name))
				break;
		if (f == F_COUNT) {
			mng_errbuf_set(err, errlen, "unknown field \"%s\"", shown);
			return -EBADMSG;
		}
		if (seen[f]) {
			mng_errbuf_set(err, errlen, "field \"%s\": duplicated", shown);
			return -EBADMSG;
		}
		seen[f] = true;
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p != ':') {
			mng_errbuf_set(err, errlen, "field \"%s\": expected ':'", shown);
			return -EBADMSG;
		}
		ps.p++;
		skip_ws(&ps);
		if (fields[f].is_int) {
			if (ps.p < ps.end && *ps.p == '"') {
				mng_errbuf_set(err, errlen, "field \"%s\": expected a number",
					       shown);
				return -EBADMSG;
			}
			r = parse_int(&ps, &num, fields[f].name);
			if (r < 0)
				return r;
			switch (f) {
			case F_V:
				v = num;
				break;
			case F_IAT:
				e->issued = num;
				break;
			case F_NBF:
				e->not_before = num;
				break;
			case F_EXP:
				e->not_after = num;
				break;
			default:
				if (num < 1 || num > MNG_EXEMPT_USES_MAX) {
					mng_errbuf_set(err, errlen, "field \"uses\": must be 1-%d",
						       MNG_EXEMPT_USES_MAX);
					return -EBADMSG;
				}
				e->uses = (uint32_t)num;
				break;
			}
		} else {
			char *dst, what[40];

			switch (f) {
			case F_ID:
				dst = e->id;
				break;
			case F_KID:
				dst = e->kid;
				break;
			case F_TERM:
				dst = e->terminal;
				break;
			case F_USER:
				dst = e->user;
				break;
			case F_SCOPE:
				dst = scope;
				break;
			case F_OBJ:
				dst = e->object;
				break;
			case F_TICKET:
				dst = e->ticket;
				break;
			case F_REASON:
				dst = e->reason;
				break;
			default:
				dst = e->by;
				break;
			}
			snprintf(what, sizeof(what), "field \"%s\"", fields[f].name);
			r = parse_string(&ps, dst, fields[f].max, what);
			if (r < 0)
				return r;
		}
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p == ',') {
			ps.p++;
			continue;
		}
		if (ps.p < ps.end && *ps.p == '}') {
			ps.p++;
			break;
		}
		mng_errbuf_set(err, errlen, "payload: expected ',' or '}' after field \"%s\"",
			       shown);
		return -EBADMSG;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		mng_errbuf_set(err, errlen, "payload: data after the JSON object");
		return -EBADMSG;
	}
	for (f = 0; f < F_COUNT; f++)
		if (!seen[f]) {
			mng_errbuf_set(err, errlen, "field \"%s\": missing", fields[f].name);
			return -EBADMSG;
		}
	if (v != 1) {
		mng_errbuf_set(err, errlen, "field \"v\": unsupported version %" PRId64, v);
		return -EBADMSG;
	}
	if (mng_exempt_scope_parse(scope, &e->scope) < 0) {
		mng_errbuf_set(err, errlen,
			       "field \"scope\": must be usb, print, clipboard or login");
		return -EBADMSG;
	}
	if (!is_lower_hex(e->kid, MNG_EXEMPT_KID_LEN)) {
		mng_errbuf_set(err, errlen, "field \"kid\": must be %d lowercase hex digits",
			       MNG_EXEMPT_KID_LEN);
		return -EBADMSG;
	}
	r = mng_exempt_validate(e, err, errlen);
	if (r == -ENOMEM)
		return r;
	return r < 0 ? -EBADMSG : 0;
}

/* ---- token text ---- */

struct parts {
	char clean[MNG_EXEMPT_TEXT_MAX + 1]; /* the text without whitespace */
	size_t signed_len;		     /* "mngx1.<payload>" */
	uint8_t payload[PAYLOAD_MAX + 1];
	size_t payload_len;
	uint8_t sig[SIG_LEN];
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int split_token(const char *text, size_t len, struct parts *t, struct mng_exempt *e,
		       char *err, size_t errlen)
{
	size_t i, n = 0, plen;
	const char *dot;
	int r;

	if (len > MNG_EXEMPT_TEXT_MAX) {
		mng_errbuf_set(err, errlen, "token longer than %d bytes", MNG_EXEMPT_TEXT_MAX);
		return -E2BIG;
	}
	if (!text && len) {
		mng_errbuf_set(err, errlen, "no token");
		return -EBADMSG;
	}
	for (i = 0; i < len; i++)
		if (!is_ws(text[i]))
			t->clean[n++] = text[i];
	t->clean[n] = '\0';
	if (n < PREFIX_LEN || memcmp(t->clean, PREFIX, PREFIX_LEN)) {
		if (n < PREFIX_LEN && !memcmp(t->clean, PREFIX, n))
			mng_errbuf_set(err, errlen, "token truncated");
		else
			mng_errbuf_set(err, errlen,
				       "not an mnguard exemption token (no \"%s\" prefix)", PREFIX);
		return -EBADMSG;
	}
	dot = memchr(t->clean + PREFIX_LEN, '.', n - PREFIX_LEN);
	if (!dot) {
		mng_errbuf_set(err, errlen, "token truncated: no signature");
		return -EBADMSG;
	}
	t->signed_len = (size_t)(dot - t->clean);
	plen = t->signed_len - PREFIX_LEN;
	if (plen > PAYLOAD_B64_MAX) {
		mng_errbuf_set(err, errlen, "payload too long");
		return -EBADMSG;
	}
	r = mng_base64url_decode(t->clean + PREFIX_LEN, plen, t->payload, PAYLOAD_MAX);
	if (r < 0) {
		mng_errbuf_set(err, errlen,
			       "payload is not valid base64url (altered or truncated)");
		return -EBADMSG;
	}
	t->payload_len = (size_t)r;
	if (n - t->signed_len - 1 != SIG_B64_LEN) {
		mng_errbuf_set(err, errlen,
			       "signature has %zu characters, expected %d (truncated?)",
			       n - t->signed_len - 1, SIG_B64_LEN);
		return -EBADMSG;
	}
	r = mng_base64url_decode(dot + 1, SIG_B64_LEN, t->sig, SIG_LEN);
	if (r != SIG_LEN) {
		mng_errbuf_set(err, errlen, "signature is not valid base64url");
		return -EBADMSG;
	}
	r = parse_payload((const char *)t->payload, t->payload_len, e, err, errlen);
	if (r < 0)
		return r;
	/* One spelling per token: the payload must be what we would write. */
	{
		char canon[PAYLOAD_MAX + 1];

		r = encode_payload(e, canon, sizeof(canon));
		if (r < 0 || (size_t)r != t->payload_len || memcmp(canon, t->payload, (size_t)r)) {
			mng_errbuf_set(err, errlen, "payload is not in canonical form");
			return -EBADMSG;
		}
	}
	return 0;
}

int mng_exempt_decode(const char *text, size_t len, struct mng_exempt *ret, char *err,
		      size_t errlen)
{
	struct parts *t;
	struct mng_exempt e;
	int r;

	if (!ret)
		return -EINVAL;
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = split_token(text, len, t, &e, err, errlen);
	free(t);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

/* ---- keys ---- */

static bool is_ed25519(EVP_PKEY *key)
{
	return key && EVP_PKEY_is_a(key, "ED25519");
}

int mng_exempt_kid(EVP_PKEY *key, char ret[MNG_EXEMPT_KID_LEN + 1])
{
	uint8_t raw[32], digest[MNG_SHA256_LEN];
	char hex[MNG_SHA256_HEX_LEN + 1];
	size_t len = sizeof(raw);

	if (!is_ed25519(key) || EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 ||
	    len != sizeof(raw)) {
		ERR_clear_error();
		return -EINVAL;
	}
	if (mng_sha256(raw, len, digest) < 0)
		return -EINVAL;
	mng_sha256_hex(digest, hex);
	memcpy(ret, hex, MNG_EXEMPT_KID_LEN);
	ret[MNG_EXEMPT_KID_LEN] = '\0';
	return 0;
}

int mng_exempt_id_new(char ret[MNG_EXEMPT_ID_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	uint8_t rnd[MNG_EXEMPT_ID_LEN / 2];
	size_t got = 0, i;

	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		ret[2 * i] = hexd[rnd[i] >> 4];
		ret[2 * i + 1] = hexd[rnd[i] & 15];
	}
	ret[MNG_EXEMPT_ID_LEN] = '\0';
	return 0;
}

int mng_exempt_sign(const struct mng_exempt *e, EVP_PKEY *key, char **ret_text)
{
	char payload[PAYLOAD_MAX + 1], *text = NULL;
	uint8_t sig[SIG_LEN];
	size_t siglen = sizeof(sig), privlen = 0;
	struct mng_exempt c;
	EVP_MD_CTX *md = NULL;
	int r, n, o;

	if (!ret_text)
		return -EINVAL;
	r = mng_exempt_validate(e, NULL, 0);
	if (r < 0)
		return r;
	if (!is_ed25519(key) || EVP_PKEY_get_raw_private_key(key, NULL, &privlen) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	c = *e;
	r = mng_exempt_kid(key, c.kid);
	if (r < 0)
		return r;
	n = encode_payload(&c, payload, sizeof(payload));
	if (n < 0)
		return n;
	text = malloc(MNG_EXEMPT_TEXT_MAX + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, PREFIX, PREFIX_LEN);
	o = mng_base64url_encode(payload, (size_t)n, text + PREFIX_LEN,
				 MNG_EXEMPT_TEXT_MAX + 1 - PREFIX_LEN);
	if (o < 0 || PREFIX_LEN + (size_t)o + 1 + SIG_B64_LEN > MNG_EXEMPT_TEXT_MAX) {
		r = -E2BIG;
		goto out;
	}
	o += (int)PREFIX_LEN;
	md = EVP_MD_CTX_new();
	if (!md) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const uint8_t *)text, (size_t)o) != 1 ||
	    siglen != SIG_LEN) {
		r = -EIO;
		goto out;
	}
	text[o++] = '.';
	if (mng_base64url_encode(sig, SIG_LEN, text + o, MNG_EXEMPT_TEXT_MAX + 1 - (size_t)o) !=
	    SIG_B64_LEN) {
		r = -E2BIG;
		goto out;
	}
	*ret_text = text;
	text = NULL;
	r = o + SIG_B64_LEN;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(text);
	return r;
}

/* The Ed25519 public key in a PEM SubjectPublicKeyInfo buffer, or NULL. */
static EVP_PKEY *read_pub(const char *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *key = NULL;

	if (bio)
		key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (key && !is_ed25519(key)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Look through trust_dir for the key with this kid; *ret_key on success. */
static int find_key(const char *trust_dir, unsigned flags, const char *kid, EVP_PKEY **ret_key,
		    char *err, size_t errlen)
{
	char skipped[160] = "";
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	size_t files = 0;
	int dfd, r = -ENOKEY;

	dfd = open(trust_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
				  ((flags & MNG_FILE_TRUSTED) ? O_NOFOLLOW : 0));
	if (dfd < 0) {
		r = -errno;
		mng_errbuf_set(err, errlen, "trust directory \"%s\": %s", trust_dir, strerror(-r));
		return r;
	}
	if (flags & MNG_FILE_TRUSTED) {
		if (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
			mng_errbuf_set(
			    err, errlen,
			    "trust directory \"%s\" is not root-owned or is writable by others",
			    trust_dir);
			(void)close(dfd);
			return -EPERM;
		}
	}
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		(void)close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name), blen = 0;
		const char *why = NULL;
		char *buf = NULL, k[MNG_EXEMPT_KID_LEN + 1];
		EVP_PKEY *key;
		int rr;

		if (de->d_name[0] == '.' || nl < 5 || strcmp(de->d_name + nl - 4, ".pub"))
			continue;
		if (++files > MNG_EXEMPT_TRUST_FILES) {
			if (!skipped[0])
				snprintf(skipped, sizeof(skipped), "more than %d key files",
					 MNG_EXEMPT_TRUST_FILES);
			break;
		}
		rr = mng_file_read_at(dirfd(d), de->d_name, MNG_EXEMPT_TRUST_FILE_MAX, flags, &buf,
				      &blen, &why);
		if (rr < 0) {
			if (!skipped[0])
				snprintf(skipped, sizeof(skipped), "%.64s refused: %s", de->d_name,
					 why ? why : strerror(-rr));
			continue;
		}
		key = read_pub(buf, blen);
		free(buf);
		if (!key) {
			if (!skipped[0])
				snprintf(skipped, sizeof(skipped),
					 "%.64s holds no Ed25519 public key", de->d_name);
			continue;
		}
		if (mng_exempt_kid(key, k) == 0 && !strcmp(k, kid)) {
			*ret_key = key;
			r = 0;
			break;
		}
		EVP_PKEY_free(key);
	}
	closedir(d);
	if (r == -ENOKEY)
		mng_errbuf_set(err, errlen, "no trusted key with kid %s in \"%s\"%s%s", kid,
			       trust_dir, skipped[0] ? "; " : "", skipped);
	return r;
}

int mng_exempt_verify(const char *text, size_t len, const char *trust_dir, unsigned file_flags,
		      struct mng_exempt *ret, char *err, size_t errlen)
{
	struct parts *t = NULL;
	struct mng_exempt e;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	int r;

	if (!ret || !trust_dir)
		return -EINVAL;
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = split_token(text, len, t, &e, err, errlen);
	if (r < 0)
		goto out;
	r = find_key(trust_dir, file_flags, e.kid, &key, err, errlen);
	if (r < 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (!md) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1) {
		r = -EIO;
		goto out;
	}
	if (EVP_DigestVerify(md, t->sig, SIG_LEN, (const uint8_t *)t->clean, t->signed_len) != 1) {
		mng_errbuf_set(err, errlen, "signature does not verify under key %s", e.kid);
		r = -EKEYREJECTED;
		goto out;
	}
	*ret = e;
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	free(t);
	return r;
}

int mng_exempt_check(const struct mng_exempt *e, const char *machine_id, bool allow_any_terminal,
		     const char *user, time_t now, enum mng_exempt_scope want, int64_t max_lifetime,
		     char *err, size_t errlen)
{
	if (!e || !machine_id || max_lifetime <= 0) {
		mng_errbuf_set(err, errlen, "bad argument");
		return -EINVAL;
	}
	if (!strcmp(e->terminal, "*")) {
		if (!allow_any_terminal) {
			mng_errbuf_set(err, errlen,
				       "issued for any terminal, which this terminal refuses");
			return -EACCES;
		}
	} else if (strcmp(e->terminal, machine_id)) {
		mng_errbuf_set(err, errlen, "issued for another terminal (%s)", e->terminal);
		return -EACCES;
	}
	if (strcmp(e->user, "*") && (!user || strcmp(e->user, user))) {
		mng_errbuf_set(err, errlen, "issued for another user (%s)", e->user);
		return -EACCES;
	}
	if (want != MNG_EXEMPT_SCOPE_NONE && e->scope != want) {
		mng_errbuf_set(err, errlen, "issued for scope %s, not %s",
			       mng_exempt_scope_name(e->scope) ? mng_exempt_scope_name(e->scope)
							       : "?",
			       mng_exempt_scope_name(want) ? mng_exempt_scope_name(want) : "?");
		return -EACCES;
	}
	if (e->not_after <= e->not_before || e->not_after - e->not_before > max_lifetime) {
		mng_errbuf_set(err, errlen,
			       "lifetime of %" PRId64 " s is over the maximum of %" PRId64 " s",
			       e->not_after - e->not_before, max_lifetime);
		return -EACCES;
	}
	if ((int64_t)now < e->not_before) {
		mng_errbuf_set(err, errlen, "not valid yet");
		return -ETIME;
	}
	if ((int64_t)now >= e->not_after) {
		mng_errbuf_set(err, errlen, "expired");
		return -EKEYEXPIRED;
	}
	return 0;
}

int mng_exempt_machine_id(const char *path, char ret[33])
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = mng_file_read(path ? path : "/etc/machine-id", 256, 0, &buf, &len, NULL);
	if (r < 0)
		return r;
	if (len == MNG_EXEMPT_TERM_LEN + 1 && buf[MNG_EXEMPT_TERM_LEN] == '\n')
		buf[--len] = '\0';
	if (len != MNG_EXEMPT_TERM_LEN || !is_lower_hex(buf, MNG_EXEMPT_TERM_LEN)) {
		free(buf);
		return -EINVAL;
	}
	memcpy(ret, buf, MNG_EXEMPT_TERM_LEN + 1);
	free(buf);
	return 0;
}

/* ---- keys and signatures for other signed formats (bundle.h) ---- */

int mng_exempt_pubkey_parse(const char *buf, size_t len, EVP_PKEY **ret)
{
	EVP_PKEY *key;

	if (!buf || !ret || len > INT32_MAX)
		return -EINVAL;
	key = read_pub(buf, len);
	if (!key)
		return -EINVAL;
	*ret = key;
	return 0;
}

int mng_exempt_trust_key(const char *trust_dir, unsigned file_flags, const char *kid,
			 EVP_PKEY **ret_key, char *err, size_t errlen)
{
	if (!trust_dir || !kid || !ret_key)
		return -EINVAL;
	return find_key(trust_dir, file_flags, kid, ret_key, err, errlen);
}

int mng_exempt_sig_make(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64])
{
	size_t siglen = SIG_LEN, privlen = 0;
	EVP_MD_CTX *md;
	int r = 0;

	if (!is_ed25519(key) || EVP_PKEY_get_raw_private_key(key, NULL, &privlen) != 1) {
		ERR_clear_error();
		return -EINVAL;
	}
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, len) != 1 || siglen != SIG_LEN)
		r = -EIO;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return r;
}

int mng_exempt_sig_check(EVP_PKEY *key, const void *msg, size_t len, const uint8_t sig[64])
{
	EVP_MD_CTX *md;
	int r = 0;

	if (!is_ed25519(key) || !sig)
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1)
		r = -EINVAL;
	else if (EVP_DigestVerify(md, sig, SIG_LEN, msg, len) != 1)
		r = -EKEYREJECTED;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return r;
}
