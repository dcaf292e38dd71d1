// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_parse.c - parser for the rule language (mnguard.rules(5)).
 *
 * The grammar is USBGuard's (its PEG grammar accepts and rejects exactly the
 * same lines as this hand-written parser) plus mnguard's extensions. One rule
 * per line; the first error on a line ends that line and is reported as
 * file:line:col, and parsing goes on with the next line.
 *
 * MUST: a line is never read past its end; every string, set, condition
 *       list and line has a cap (rules.h); allowed-matches() queries are
 *       parsed at most one level deep, so input cannot drive recursion.
 * MUST: on any error nothing is appended to the ruleset and the arena is
 *       rolled back.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define QUERY_DEPTH_MAX 1

struct scratch {
	unsigned char *v;
	size_t len, cap; /* bytes */
};

struct pctx {
	struct mng_ruleset *rs;
	const char *file;
	bool oom;
	bool err;
	unsigned errcol;
	char msg[MNG_DIAG_MSG_MAX];
	struct scratch scr[QUERY_DEPTH_MAX + 1];
	int depth;
};

struct cur {
	const char *beg, *p, *end;
};

static bool fail(struct pctx *c, const struct cur *k, const char *at, const char *fmt, ...)
    MNG_PRINTF(4, 5);

static bool fail(struct pctx *c, const struct cur *k, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return false;
	c->err = true;
	c->errcol = (unsigned)(at - k->beg) + 1;
	va_start(ap, fmt);
	(void)vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return false;
}

static bool oom(struct pctx *c, const struct cur *k)
{
	c->oom = true;
	return fail(c, k, k->p, "out of memory");
}

static size_t blanks(struct cur *k)
{
	const char *s = k->p;

	while (k->p < k->end && (*k->p == ' ' || *k->p == '\t'))
		k->p++;
	return (size_t)(k->p - s);
}

static bool kw(struct cur *k, const char *w)
{
	const char *p = k->p;

	/* byte by byte: most calls fail on the first byte */
	while (*w) {
		if (p >= k->end || *p != *w)
			return false;
		p++;
		w++;
	}
	k->p = p;
	return true;
}

static bool at_blank(const struct cur *k)
{
	return k->p < k->end && (*k->p == ' ' || *k->p == '\t');
}

static bool word_char(const struct cur *k)
{
	char ch;

	if (k->p >= k->end)
		return false;
	ch = *k->p;
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool scratch_push(struct scratch *s, const void *v, size_t size)
{
	if (s->cap - s->len < size) {
		size_t ncap = s->cap ? s->cap * 2 : 4096;
		unsigned char *nv;

		while (ncap - s->len < size)
			ncap *= 2;
		nv = realloc(s->v, ncap);
		if (!nv)
			return false;
		s->v = nv;
		s->cap = ncap;
	}
	memcpy(s->v + s->len, v, size);
	s->len += size;
	return true;
}

/* ---- values ---- */

/*
 * A quoted string. USBGuard's grammar admits \xHH, \" and \\ plus escapes its
 * unescaper then rejects; the accepted set is exactly \" \\ \xHH. Any byte but
 * CR and LF may appear raw, NUL included. Returns 1, 0 (no string here) or -1.
 */
static int parse_string(struct pctx *c, struct cur *k, struct strval *ret)
{
	const char *start = k->p, *p;
	size_t n = 0;
	char *out;

	if (k->p >= k->end || *k->p != '"')
		return 0;
	for (p = start + 1;; p++) {
		if (p >= k->end)
			return fail(c, k, start, "unterminated string"), -1;
		if (*p == '"')
			break;
		if (*p == '\r' || *p == '\n')
			return fail(c, k, p, "carriage return inside a string"), -1;
		if (*p == '\\') {
			if (p + 1 >= k->end)
				return fail(c, k, start, "unterminated string"), -1;
			if (p[1] == 'x') {
				if (p + 3 >= k->end || hexval(p[2]) < 0 || hexval(p[3]) < 0)
					return fail(c, k, p,
						    "\\x must be followed by two hex digits"),
					       -1;
				p += 3;
			} else if (p[1] == '"' || p[1] == '\\') {
				p++;
			} else {
				return fail(c, k, p,
					    "unknown escape sequence (only \\\", \\\\ and \\xHH)"),
				       -1;
			}
		}
		if (++n > MNG_RULES_STRING_MAX)
			return fail(c, k, start, "string longer than %u bytes",
				    MNG_RULES_STRING_MAX),
			       -1;
	}
	out = arena_alloc(&c->rs->arena, n + 1);
	if (!out)
		return oom(c, k), -1;
	ret->s = out;
	ret->len = (uint32_t)n;
	for (p = start + 1; *p != '"'; p++) {
		if (*p == '\\') {
			if (p[1] == 'x') {
				*out++ = (char)(hexval(p[2]) << 4 | hexval(p[3]));
				p += 3;
				continue;
			}
			p++;
		}
		*out++ = *p;
	}
	*out = '\0';
	k->p = p + 1;
	return 1;
}

static bool hexn(const char *p, const char *end, int n, unsigned *ret)
{
	unsigned v = 0;
	int i;

	if (end - p < n)
		return false;
	for (i = 0; i < n; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*ret = v;
	return true;
}

/* VVVV:PPPP, VVVV:* or *:* (hex in any case). */
static int parse_id(struct pctx *c, struct cur *k, struct idval *ret)
{
	const char *p = k->p, *start = k->p;
	unsigned v = 0, pr = 0;
	struct idval id = {0};

	if (p < k->end && *p == '*') {
		id.any |= ID_ANY_VENDOR;
		p++;
	} else if (hexn(p, k->end, 4, &v)) {
		p += 4;
	} else {
		return 0;
	}
	if (p >= k->end || *p != ':')
		return 0;
	p++;
	if (p < k->end && *p == '*') {
		id.any |= ID_ANY_PRODUCT;
		p++;
	} else if (hexn(p, k->end, 4, &pr)) {
		p += 4;
	} else {
		return 0;
	}
	if ((id.any & ID_ANY_VENDOR) && !(id.any & ID_ANY_PRODUCT))
		return fail(c, k, start, "invalid device id: a product id needs a vendor id"), -1;
	id.vendor = (uint16_t)v;
	id.product = (uint16_t)pr;
	memcpy(id.text, start, (size_t)(p - start));
	*ret = id;
	k->p = p;
	return 1;
}

/* CC:SS:PP, CC:SS:* or CC:*:* */
static int parse_iface(struct pctx *c, struct cur *k, struct ifval *ret)
{
	const char *p = k->p, *start = k->p;
	unsigned v[3] = {0, 0, 0};
	bool star[3] = {false, false, false};
	int i;

	for (i = 0; i < 3; i++) {
		if (i) {
			if (p >= k->end || *p != ':')
				return 0;
			p++;
		}
		if (i && p < k->end && *p == '*') {
			star[i] = true;
			p++;
		} else if (hexn(p, k->end, 2, &v[i])) {
			p += 2;
		} else {
			return 0;
		}
	}
	if (star[1] && !star[2])
		return fail(c, k, start,
			    "invalid interface type (use CC:SS:PP, CC:SS:* or CC:*:*)"),
		       -1;
	ret->cls = (uint8_t)v[0];
	ret->sub = (uint8_t)v[1];
	ret->proto = (uint8_t)v[2];
	ret->mask = IF_CLASS | (star[1] ? 0 : IF_SUBCLASS) | (star[2] ? 0 : IF_PROTO);
	k->p = p;
	return 1;
}

static bool parse_rule(struct pctx *c, struct cur *k, struct mng_rule *r, bool query);

/* HH:MM with an optional :SS, read like strptime("%H:%M"); trailing text is ignored. */
static bool daytime(const char *s, const char *end, uint32_t *ret)
{
	unsigned h = 0, m = 0, sec = 0;
	int n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (n = 0; n < 2 && s < end && *s >= '0' && *s <= '9'; n++, s++)
		h = h * 10 + (unsigned)(*s - '0');
	if (!n || h > 23 || s >= end || *s++ != ':')
		return false;
	for (n = 0; n < 2 && s < end && *s >= '0' && *s <= '9'; n++, s++)
		m = m * 10 + (unsigned)(*s - '0');
	if (!n || m > 59)
		return false;
	if (end - s >= 3 && s[0] == ':' && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' && s[2] <= '9')
		sec = (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
	*ret = h * 3600 + m * 60 + sec;
	return true;
}

/* HH:MM:SS, HH:MM, or a number of seconds (trailing text ignored, as USBGuard does). */
static bool duration(const char *s, const char *end, uint32_t *ret)
{
	uint32_t t;
	unsigned v = 0;
	int n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (daytime(s, end, &t)) {
		*ret = t;
		return true;
	}
	for (n = 0; s < end && *s >= '0' && *s <= '9'; n++, s++) {
		if (n == 9)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (!n)
		return false;
	*ret = v;
	return true;
}

static bool build_query(struct pctx *c, struct cur *k, const char *at, struct cond *cd)
{
	struct mng_rule *q;
	struct cur sub;
	char *text;
	bool ok;

	if (c->depth >= QUERY_DEPTH_MAX)
		return fail(c, k, at, "allowed-matches() cannot be nested");
	q = arena_alloc(&c->rs->arena, sizeof(*q));
	text = malloc(cd->param.len + 7);
	if (!q || !text) {
		free(text);
		return oom(c, k);
	}
	memcpy(text, "allow ", 6);
	memcpy(text + 6, cd->param.s, cd->param.len);
	sub.beg = sub.p = text;
	sub.end = text + 6 + cd->param.len;
	c->depth++;
	ok = parse_rule(c, &sub, q, true);
	c->depth--;
	free(text);
	if (!ok) {
		char inner[MNG_DIAG_MSG_MAX];

		if (c->oom)
			return false;
		memcpy(inner, c->msg, sizeof(inner));
		c->err = false;
		return fail(c, k, at, "in allowed-matches(): %.200s", inner);
	}
	cd->u.query = q;
	return true;
}

static bool build_cond(struct pctx *c, struct cur *k, const char *at, const char *id, size_t idlen,
		       struct cond *cd)
{
	static const struct {
		const char *name;
		enum cond_kind kind;
	} names[] = {
	    {"allowed-matches", C_ALLOWED_MATCHES},
	    {"localtime", C_LOCALTIME},
	    {"true", C_TRUE},
	    {"false", C_FALSE},
	    {"random", C_RANDOM},
	    {"rule-applied", C_RULE_APPLIED},
	    {"rule-evaluated", C_RULE_EVALUATED},
	};
	const char *ps = cd->param.s, *pe = cd->param.s + cd->param.len;
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == idlen && !memcmp(names[i].name, id, idlen))
			break;
	if (i == MNG_ARRAY_SIZE(names))
		return fail(c, k, at, "unknown condition '%.*s'", (int)(idlen > 64 ? 64 : idlen),
			    id);
	cd->kind = (uint8_t)names[i].kind;
	switch (cd->kind) {
	case C_TRUE:
	case C_FALSE:
		return true;
	case C_LOCALTIME: {
		const char *dash = memchr(ps, '-', cd->param.len);

		if (!cd->param.len || !daytime(ps, dash ? dash : pe, &cd->u.lt.begin))
			return fail(c, k, at,
				    "localtime() needs HH:MM[:SS] or HH:MM[:SS]-HH:MM[:SS]");
		if (!dash || dash + 1 == pe)
			cd->u.lt.end = cd->u.lt.begin;
		else if (!daytime(dash + 1, pe, &cd->u.lt.end))
			return fail(c, k, at, "localtime(): bad end of the time range");
		if (cd->u.lt.begin > cd->u.lt.end)
			return fail(c, k, at, "localtime(): the range begins after it ends");
		return true;
	}
	case C_RULE_APPLIED:
	case C_RULE_EVALUATED:
		cd->u.secs = 0;
		if (cd->param.len && !duration(ps, pe, &cd->u.secs))
			return fail(c, k, at, "bad duration (use HH:MM:SS, HH:MM or seconds)");
		return true;
	case C_RANDOM: {
		char num[64], *e;
		double p;

		cd->u.p = 0.5;
		if (!cd->param.len)
			return true;
		if (cd->param.len >= sizeof(num))
			return fail(c, k, at, "random(): probability too long");
		memcpy(num, ps, cd->param.len);
		num[cd->param.len] = '\0';
		p = strtod(num, &e);
		if (e == num)
			return fail(c, k, at, "random(): the probability is not a number");
		cd->u.p = isnan(p) || p < 0 ? 0 : p > 1 ? 1 : p;
		return true;
	}
	case C_ALLOWED_MATCHES:
		if (!cd->param.len)
			return fail(c, k, at, "allowed-matches() needs a query");
		return build_query(c, k, at, cd);
	}
	return fail(c, k, at, "internal error: condition");
}

/* [!]identifier[(argument)]; mnguard's user("name") and group("name") too. */
static int parse_cond(struct pctx *c, struct cur *k, struct cond *cd)
{
	const char *start = k->p, *p = k->p, *id;
	size_t idlen;

	memset(cd, 0, sizeof(*cd));
	if (p < k->end && *p == '!') {
		cd->negated = true;
		p++;
	}
	id = p;
	if (p >= k->end || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-'))
		return 0;
	while (p < k->end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-'))
		p++;
	idlen = (size_t)(p - id);
	k->p = p;
	if ((idlen == 4 && !memcmp(id, "user", 4)) || (idlen == 5 && !memcmp(id, "group", 5))) {
		cd->kind = idlen == 4 ? C_USER : C_GROUP;
		if (k->p >= k->end || *k->p != '(')
			return fail(c, k, k->p, "%s() needs a quoted name",
				    idlen == 4 ? "user" : "group"),
			       -1;
		k->p++;
		if (parse_string(c, k, &cd->u.who) <= 0) {
			if (!c->err)
				fail(c, k, k->p, "%s() needs a quoted name",
				     idlen == 4 ? "user" : "group");
			return -1;
		}
		if (k->p >= k->end || *k->p != ')')
			return fail(c, k, k->p, "expected ')'"), -1;
		k->p++;
		cd->param = cd->u.who;
		return 1;
	}
	if (k->p < k->end && *k->p == '(') {
		const char *a = ++k->p;

		for (;;) {
			if (k->p >= k->end)
				return fail(c, k, a - 1, "unterminated condition argument"), -1;
			if (*k->p == ')')
				break;
			if (*k->p == '\r')
				return fail(c, k, k->p,
					    "carriage return inside a condition argument"),
				       -1;
			if (*k->p == '\\') {
				const char *e = k->p + 1;

				if (e >= k->end)
					return fail(c, k, a - 1, "unterminated condition argument"),
					       -1;
				if (*e == 'x') {
					unsigned dummy;

					if (!hexn(e + 1, k->end, 2, &dummy))
						return fail(c, k, k->p,
							    "\\x must be followed by two hex "
							    "digits"),
						       -1;
					k->p = e + 3;
				} else if (*e >= '0' && *e <= '9') {
					k->p = e + 1;
					if (k->p < k->end && *k->p >= '0' && *k->p <= '9')
						k->p++;
					if (k->p < k->end && *k->p >= '0' && *k->p <= '9')
						k->p++;
				} else if (strchr("abfnrtv\\')", *e) && *e) {
					k->p = e + 1;
				} else {
					return fail(c, k, k->p, "invalid escape sequence"), -1;
				}
				continue;
			}
			k->p++;
		}
		cd->param.s = a;
		cd->param.len = (uint32_t)(k->p - a);
		k->p++;
		if (!cd->param.len)
			return fail(c, k, start, "empty condition argument"), -1;
		/* keep the raw argument: the formatter prints it back as written */
		{
			char *copy = arena_alloc(&c->rs->arena, cd->param.len + 1);

			if (!copy)
				return oom(c, k), -1;
			memcpy(copy, a, cd->param.len);
			copy[cd->param.len] = '\0';
			cd->param.s = copy;
		}
	}
	return build_cond(c, k, start, id, idlen, cd) ? 1 : -1;
}

static int parse_one(struct pctx *c, struct cur *k, enum val_type t, void *ret)
{
	switch (t) {
	case VT_STR:
		return parse_string(c, k, ret);
	case VT_ID:
		return parse_id(c, k, ret);
	case VT_IFACE:
		return parse_iface(c, k, ret);
	case VT_COND:
		return parse_cond(c, k, ret);
	}
	return -1;
}

static size_t val_size(enum val_type t)
{
	switch (t) {
	case VT_STR:
		return sizeof(struct strval);
	case VT_ID:
		return sizeof(struct idval);
	case VT_IFACE:
		return sizeof(struct ifval);
	case VT_COND:
		return sizeof(struct cond);
	}
	return 0;
}

static const char *const op_words[] = {
    /* USBGuard's order: equals-ordered is tried before equals */
    "all-of", "one-of", "none-of", "equals-ordered", "equals", "match-all",
};
static const uint8_t op_codes[] = {
    OP_ALL_OF, OP_ONE_OF, OP_NONE_OF, OP_EQUALS_ORDERED, OP_EQUALS, OP_MATCH_ALL,
};

/*
 * A single value, or [operator] { v1 v2 ... }. The values go to a new arena
 * array in *a. *op_written tells whether an operator was written.
 */
static bool parse_values(struct pctx *c, struct cur *k, enum val_type t, const char *what,
			 uint32_t max, struct attr *a, bool *op_written)
{
	struct scratch *s = &c->scr[c->depth];
	size_t vs = val_size(t), n = 0;
	const char *p0 = k->p;
	unsigned char v[sizeof(struct cond) > sizeof(struct idval) ? sizeof(struct cond)
								   : sizeof(struct idval)];
	uint8_t op = OP_EQUALS;
	size_t i;
	int r;

	*op_written = false;
	for (i = 0; k->p < k->end && *k->p >= 'a' && *k->p <= 'z' && i < MNG_ARRAY_SIZE(op_words);
	     i++) {
		struct cur t2 = *k;

		if (kw(&t2, op_words[i]) && blanks(&t2) && t2.p < t2.end && *t2.p == '{') {
			*k = t2;
			op = op_codes[i];
			*op_written = true;
			break;
		}
	}
	s->len = 0;
	if (k->p < k->end && *k->p == '{') {
		k->p++;
		blanks(k);
		for (;;) {
			const char *vat = k->p;

			r = parse_one(c, k, t, v);
			if (r < 0)
				return false;
			if (r == 0) {
				if (n == 0)
					return fail(c, k, vat, "expected %s after '{'", what);
				break;
			}
			if (++n > max)
				return fail(c, k, vat, "too many values in one set (max %u)", max);
			if (!scratch_push(s, v, vs))
				return oom(c, k);
			vat = k->p;
			if (!blanks(k))
				break;
			if (k->p < k->end && *k->p == '}')
				break;
			(void)vat;
		}
		blanks(k);
		if (k->p >= k->end || *k->p != '}')
			return fail(c, k, k->p, "expected '}' or %s", what);
		k->p++;
	} else {
		r = parse_one(c, k, t, v);
		if (r < 0)
			return false;
		if (r == 0)
			return fail(c, k, p0, "expected %s", what);
		if (!scratch_push(s, v, vs))
			return oom(c, k);
		n = 1;
	}
	a->v = arena_alloc(&c->rs->arena, n * vs);
	if (!a->v)
		return oom(c, k);
	memcpy(a->v, s->v, n * vs);
	a->n = (uint32_t)n;
	a->op = op;
	a->present = true;
	return true;
}

/* label may be given more than once; USBGuard merges the values. */
static bool merge_label(struct pctx *c, struct cur *k, struct attr *old, const struct attr *add,
			bool op_written)
{
	size_t vs = sizeof(struct strval);
	void *v;

	if ((size_t)old->n + add->n > MNG_RULES_VALUES_MAX)
		return fail(c, k, k->p, "too many label values (max %u)", MNG_RULES_VALUES_MAX);
	v = arena_alloc(&c->rs->arena, ((size_t)old->n + add->n) * vs);
	if (!v)
		return oom(c, k);
	memcpy(v, old->v, old->n * vs);
	memcpy((char *)v + old->n * vs, add->v, add->n * vs);
	old->v = v;
	old->n += add->n;
	if (op_written)
		old->op = add->op;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool num(const char *s, int n, int *ret)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM). Returns the offset of the first bad byte, or -1. */
static int parse_iso(const struct strval *v, int64_t *ret)
{
	const char *s = v->s;
	int n = (int)v->len, Y, M, D, h, m, sec = 0, oh = 0, om = 0, sign = 0, i = 0;

	if (n < 16 || !num(s, 4, &Y))
		return 0;
	if (s[4] != '-' || !num(s + 5, 2, &M) || M < 1 || M > 12)
		return 4;
	if (s[7] != '-' || !num(s + 8, 2, &D) || D < 1 || D > days_in_month(Y, M))
		return 7;
	if (s[10] != 'T' || !num(s + 11, 2, &h) || h > 23)
		return 10;
	if (s[13] != ':' || !num(s + 14, 2, &m) || m > 59)
		return 13;
	i = 16;
	if (i < n && s[i] == ':') {
		if (n - i < 3 || !num(s + i + 1, 2, &sec) || sec > 59)
			return i;
		i += 3;
	}
	if (i >= n)
		return i;
	if (s[i] == 'Z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (n - i < 6 || !num(s + i + 1, 2, &oh) || oh > 23 || s[i + 3] != ':' ||
		    !num(s + i + 4, 2, &om) || om > 59)
			return i;
		i += 6;
	} else {
		return i;
	}
	if (i != n)
		return i;
	*ret = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return -1;
}

enum ext { X_NONE, X_MODE, X_EXPIRES, X_TICKET };

static const struct {
	const char *word;
	int attr; /* enum rule_attr, or -1 for the others */
	enum ext ext;
	enum val_type type;
	const char *what;
} attr_table[] = {
    {"id", A_ID, X_NONE, VT_ID, "a device id"},
    {"name", A_NAME, X_NONE, VT_STR, "a quoted string"},
    {"hash", A_HASH, X_NONE, VT_STR, "a quoted string"},
    {"parent-hash", A_PARENT_HASH, X_NONE, VT_STR, "a quoted string"},
    {"serial", A_SERIAL, X_NONE, VT_STR, "a quoted string"},
    {"via-port", A_VIA_PORT, X_NONE, VT_STR, "a quoted string"},
    {"with-interface", A_IFACE, X_NONE, VT_IFACE, "an interface type"},
    {"with-connect-type", A_CONN_TYPE, X_NONE, VT_STR, "a quoted string"},
    {"if", A_CONDS, X_NONE, VT_COND, "a condition"},
    {"label", A_LABEL, X_NONE, VT_STR, "a quoted string"},
    {"mode", -1, X_MODE, VT_STR, "ro or rw"},
    {"allow-interface", A_ALLOW_IFACE, X_NONE, VT_IFACE, "an interface type"},
    {"expires", -1, X_EXPIRES, VT_STR, "a quoted time"},
    {"ticket", -1, X_TICKET, VT_STR, "a quoted string"},
};

static bool parse_ext(struct pctx *c, struct cur *k, struct mng_rule *r, enum ext x, const char *at)
{
	struct strval sv;
	int off;

	switch (x) {
	case X_MODE:
		if (r->has_mode)
			return fail(c, k, at, "mode attribute already defined");
		if (kw(k, "ro"))
			r->read_only = true;
		else if (!kw(k, "rw"))
			return fail(c, k, k->p, "expected ro or rw after mode");
		r->has_mode = true;
		return true;
	case X_EXPIRES:
		if (r->has_expires)
			return fail(c, k, at, "expires attribute already defined");
		if (parse_string(c, k, &sv) <= 0)
			return c->err ? false
				      : fail(c, k, k->p, "expected a quoted time after expires");
		off = parse_iso(&sv, &r->expires);
		if (off >= 0)
			return fail(c, k, k->p - 1 - sv.len + (unsigned)off,
				    "bad expiry time: use \"YYYY-MM-DDTHH:MM[:SS]\" with Z or "
				    "+HH:MM or -HH:MM");
		r->expires_text = sv;
		r->has_expires = true;
		return true;
	case X_TICKET:
		if (r->ticket.s)
			return fail(c, k, at, "ticket attribute already defined");
		if (parse_string(c, k, &sv) <= 0)
			return c->err ? false
				      : fail(c, k, k->p, "expected a quoted ticket after ticket");
		if (sv.len == 0 || sv.len > MNG_RULES_TICKET_MAX)
			return fail(c, k, at, "a ticket is 1 to %u bytes", MNG_RULES_TICKET_MAX);
		for (off = 0; off < (int)sv.len; off++)
			if ((unsigned char)sv.s[off] < 0x20 || sv.s[off] == 0x7f)
				return fail(c, k, at, "a ticket may not hold control characters");
		r->ticket = sv;
		return true;
	case X_NONE:
		break;
	}
	return fail(c, k, at, "internal error: extension");
}

static bool parse_attr(struct pctx *c, struct cur *k, struct mng_rule *r, size_t ti, const char *at,
		       bool query)
{
	int ai = attr_table[ti].attr;
	struct attr na = {0};
	bool opw;
	uint32_t max;

	if (query && (attr_table[ti].ext != X_NONE || ai == A_ALLOW_IFACE))
		return fail(c, k, at, "%s is not allowed in an allowed-matches() query",
			    attr_table[ti].word);
	if (!query && r->target != MNG_TARGET_ALLOW &&
	    (attr_table[ti].ext == X_MODE || ai == A_ALLOW_IFACE))
		return fail(c, k, at, "%s is only valid with target allow", attr_table[ti].word);
	if (ai >= 0 && ai != A_LABEL && r->a[ai].present)
		return fail(c, k, at, "%s attribute already defined", attr_table[ti].word);
	if (!at_blank(k))
		return fail(c, k, k->p, "expected %s after %s", attr_table[ti].what,
			    attr_table[ti].word);
	blanks(k);
	if (attr_table[ti].ext != X_NONE)
		return parse_ext(c, k, r, attr_table[ti].ext, at);
	max = ai == A_CONDS ? MNG_RULES_CONDS_MAX : MNG_RULES_VALUES_MAX;
	if (!parse_values(c, k, attr_table[ti].type, attr_table[ti].what, max, &na, &opw))
		return false;
	if (ai == A_ALLOW_IFACE && opw)
		return fail(c, k, at, "allow-interface takes no set operator");
	if (ai == A_LABEL && r->a[A_LABEL].present)
		return merge_label(c, k, &r->a[A_LABEL], &na, opw);
	r->a[ai] = na;
	return true;
}

static const char *const targets[] = {"allow", "block", "reject", "match", "device"};
static const uint8_t target_codes[] = {MNG_TARGET_ALLOW, MNG_TARGET_BLOCK, MNG_TARGET_REJECT,
				       MNG_TARGET_MATCH, MNG_TARGET_DEVICE};

/* target [VVVV:PPPP] [attribute...] [# comment], leading blanks already skipped. */
static bool parse_rule(struct pctx *c, struct cur *k, struct mng_rule *r, bool query)
{
	const char *save;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < MNG_ARRAY_SIZE(targets); i++)
		if (kw(k, targets[i]))
			break;
	if (i == MNG_ARRAY_SIZE(targets))
		return fail(c, k, k->p,
			    "expected a rule target (allow, block, reject, match or device)");
	r->target = target_codes[i];

	/* USBGuard's short form: a device id right after the target */
	save = k->p;
	if (blanks(k)) {
		struct idval id;

		rc = parse_id(c, k, &id);
		if (rc < 0)
			return false;
		if (rc > 0) {
			struct idval *v = arena_alloc(&c->rs->arena, sizeof(*v));

			if (!v)
				return oom(c, k);
			*v = id;
			r->a[A_ID] =
			    (struct attr){.op = OP_EQUALS, .present = true, .n = 1, .v = v};
		} else {
			k->p = save;
		}
	}

	for (;;) {
		const char *at;

		save = k->p;
		if (!blanks(k))
			break;
		at = k->p;
		for (i = 0; i < MNG_ARRAY_SIZE(attr_table); i++) {
			struct cur t = *k;

			/* a keyword glued to more word characters is some other word */
			if (kw(&t, attr_table[i].word) && !word_char(&t)) {
				*k = t;
				break;
			}
		}
		if (i == MNG_ARRAY_SIZE(attr_table)) {
			k->p = save;
			break;
		}
		if (!parse_attr(c, k, r, i, at, query))
			return false;
	}

	save = k->p;
	blanks(k);
	if (k->p < k->end && *k->p == '#')
		k->p = k->end;
	if (k->p < k->end) {
		if (*k->p == '\r')
			return fail(c, k, k->p,
				    "carriage return (CRLF line ends are not accepted)");
		if (*k->p == '\0')
			return fail(c, k, k->p, "NUL byte outside a string");
		return fail(c, k, k->p, "unknown attribute or unexpected text");
	}
	(void)save;
	return true;
}

static void report(struct pctx *c, struct mng_diags *diags, unsigned line)
{
	mng_diags_add(diags, c->file, line, c->errcol, "%s", c->msg);
	c->err = false;
}

static bool grow(struct mng_ruleset *rs, size_t need)
{
	size_t ncap;
	struct mng_rule *nr;
	struct fastkey *nf;

	if (need <= rs->cap)
		return true;
	ncap = rs->cap ? rs->cap : 256;
	while (ncap < need)
		ncap *= 2;
	nr = realloc(rs->rules, ncap * sizeof(*nr));
	if (!nr)
		return false;
	rs->rules = nr;
	nf = realloc(rs->fast, ncap * sizeof(*nf));
	if (!nf)
		return false;
	rs->fast = nf;
	rs->cap = ncap;
	return true;
}

int mng_ruleset_parse(struct mng_ruleset *rs, const char *buf, size_t len, const char *filename,
		      struct mng_diags *diags)
{
	struct pctx c = {.rs = rs};
	struct arena_mark mark;
	const char *p, *end;
	size_t added = 0, i, errors = 0, fname_len;
	unsigned line = 0;
	bool cap_reported = false;
	char *fname;

	if (!rs || (!buf && len))
		return -EINVAL;
	if (!filename)
		filename = "-";
	arena_mark_get(&rs->arena, &mark);
	fname_len = strlen(filename);
	fname = arena_alloc(&rs->arena, fname_len + 1);
	if (!fname)
		return -ENOMEM;
	memcpy(fname, filename, fname_len + 1);
	c.file = fname;

	p = buf;
	end = buf ? buf + len : buf;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct cur k = {.beg = p, .p = p, .end = le};
		struct mng_rule *r;

		if (line < UINT32_MAX)
			line++;
		p = nl ? nl + 1 : end;
		if ((size_t)(le - k.beg) > MNG_RULES_LINE_MAX) {
			mng_diags_add(diags, fname, line, 1, "line longer than %u bytes",
				      MNG_RULES_LINE_MAX);
			errors++;
			continue;
		}
		blanks(&k);
		if (k.p == k.end || *k.p == '#')
			continue;
		if (rs->n + added >= MNG_RULES_MAX) {
			if (!cap_reported)
				mng_diags_add(diags, fname, line, 1, "too many rules (max %u)",
					      MNG_RULES_MAX);
			cap_reported = true;
			errors++;
			continue;
		}
		if (!grow(rs, rs->n + added + 1)) {
			c.oom = true;
			break;
		}
		r = &rs->rules[rs->n + added];
		if (!parse_rule(&c, &k, r, false)) {
			report(&c, diags, line);
			errors++;
			if (c.oom)
				break;
			continue;
		}
		r->file = fname;
		r->line = line;
		added++;
	}
	for (i = 0; i <= QUERY_DEPTH_MAX; i++)
		free(c.scr[i].v);
	if (errors || c.oom) {
		arena_rollback(&rs->arena, &mark);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	for (i = rs->n; i < rs->n + added; i++)
		rule_fastkey(&rs->rules[i], &rs->fast[i]);
	rs->n += added;
	return added > INT32_MAX ? INT32_MAX : (int)added;
}
