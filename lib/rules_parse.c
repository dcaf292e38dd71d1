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

#include "rules_index.h"
#include "rules_lex.h"

/* a rule while it is parsed: a slot for every attribute, the extra part inline */
struct rule_build {
	uint8_t target;
	bool has_mode, read_only;
	struct attr a[A_COUNT];
	struct rule_extra x;
};

static bool parse_rule(struct pctx *c, struct cur *k, struct mng_rule *ret, bool query);

static bool build_query(struct pctx *c, struct cur *k, const char *at, struct cond *cd)
{
	struct mng_rule *q;
	struct cur sub;
	char *text;
	bool ok;

	if (c->depth >= QUERY_DEPTH_MAX)
		return rl_fail(c, k, at, "allowed-matches() cannot be nested");
	q = ARENA_NEW(&c->rs->arena, sizeof(*q));
	text = malloc(cd->param.len + 7);
	if (!q || !text) {
		free(text);
		return rl_oom(c, k);
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
		return rl_fail(c, k, at, "in allowed-matches(): %.200s", inner);
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
	const char *ps = cd->param.s ? cd->param.s : "", *pe = ps + cd->param.len;
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == idlen && !memcmp(names[i].name, id, idlen))
			break;
	if (i == MNG_ARRAY_SIZE(names))
		return rl_fail(c, k, at, "unknown condition '%.*s'", (int)(idlen > 64 ? 64 : idlen),
			       id);
	cd->kind = (uint8_t)names[i].kind;
	switch (cd->kind) {
	case C_TRUE:
	case C_FALSE:
		return true;
	case C_LOCALTIME: {
		const char *dash = memchr(ps, '-', cd->param.len);

		if (!cd->param.len || !rl_daytime(ps, dash ? dash : pe, &cd->u.lt.begin))
			return rl_fail(c, k, at,
				       "localtime() needs HH:MM[:SS] or HH:MM[:SS]-HH:MM[:SS]");
		if (!dash || dash + 1 == pe)
			cd->u.lt.end = cd->u.lt.begin;
		else if (!rl_daytime(dash + 1, pe, &cd->u.lt.end))
			return rl_fail(c, k, at, "localtime(): bad end of the time range");
		if (cd->u.lt.begin > cd->u.lt.end)
			return rl_fail(c, k, at, "localtime(): the range begins after it ends");
		return true;
	}
	case C_RULE_APPLIED:
	case C_RULE_EVALUATED:
		cd->u.secs = 0;
		if (cd->param.len && !rl_duration(ps, pe, &cd->u.secs))
			return rl_fail(c, k, at, "bad duration (use HH:MM:SS, HH:MM or seconds)");
		return true;
	case C_RANDOM: {
		char num[64], *e;
		double p;

		cd->u.p = 0.5;
		if (!cd->param.len)
			return true;
		if (cd->param.len >= sizeof(num))
			return rl_fail(c, k, at, "random(): probability too long");
		memcpy(num, ps, cd->param.len);
		num[cd->param.len] = '\0';
		p = strtod(num, &e);
		if (e == num)
			return rl_fail(c, k, at, "random(): the probability is not a number");
		cd->u.p = isnan(p) || p < 0 ? 0 : p > 1 ? 1 : p;
		return true;
	}
	case C_ALLOWED_MATCHES:
		if (!cd->param.len)
			return rl_fail(c, k, at, "allowed-matches() needs a query");
		return build_query(c, k, at, cd);
	}
	return rl_fail(c, k, at, "internal error: condition");
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
			return rl_fail(c, k, k->p, "%s() needs a quoted name",
				       idlen == 4 ? "user" : "group"),
			       -1;
		k->p++;
		if (rl_parse_string(c, k, &cd->u.who) <= 0) {
			if (!c->err)
				rl_fail(c, k, k->p, "%s() needs a quoted name",
					idlen == 4 ? "user" : "group");
			return -1;
		}
		if (k->p >= k->end || *k->p != ')')
			return rl_fail(c, k, k->p, "expected ')'"), -1;
		k->p++;
		cd->param = cd->u.who;
		return 1;
	}
	if (k->p < k->end && *k->p == '(') {
		const char *a = ++k->p;

		for (;;) {
			if (k->p >= k->end)
				return rl_fail(c, k, a - 1, "unterminated condition argument"), -1;
			if (*k->p == ')')
				break;
			if (*k->p == '\r')
				return rl_fail(c, k, k->p,
					       "carriage return inside a condition argument"),
				       -1;
			if (*k->p == '\\') {
				const char *e = k->p + 1;

				if (e >= k->end)
					return rl_fail(c, k, a - 1,
						       "unterminated condition argument"),
					       -1;
				if (*e == 'x') {
					unsigned dummy;

					if (!rl_hexn(e + 1, k->end, 2, &dummy))
						return rl_fail(c, k, k->p,
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
					return rl_fail(c, k, k->p, "invalid escape sequence"), -1;
				}
				continue;
			}
			k->p++;
		}
		cd->param.s = a;
		cd->param.len = (uint32_t)(k->p - a);
		k->p++;
		if (!cd->param.len)
			return rl_fail(c, k, start, "empty condition argument"), -1;
		/* keep the raw argument: the formatter prints it back as written */
		{
			char *copy = ARENA_STR(&c->rs->arena, cd->param.len + 1);

			if (!copy)
				return rl_oom(c, k), -1;
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
		return rl_parse_string(c, k, ret);
	case VT_ID:
		return rl_parse_id(c, k, ret);
	case VT_IFACE:
		return rl_parse_iface(c, k, ret);
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
static const uint8_t op_lens[] = {6, 6, 7, 14, 6, 9};

/* length of the run of lowercase letters and '-' at k->p (what an operator is made of) */
static size_t op_word_len(const struct cur *k)
{
	const char *p = k->p;

	while (p < k->end && ((*p >= 'a' && *p <= 'z') || *p == '-'))
		p++;
	return (size_t)(p - k->p);
}

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
	if (t == VT_STR && k->p < k->end && *k->p == '"') {
		/* the common case: one string */
		struct strval *sv = ARENA_NEW(&c->rs->arena, sizeof(*sv));

		if (!sv)
			return rl_oom(c, k);
		if (rl_parse_string(c, k, sv) < 0)
			return false;
		*a = (struct attr){.op = OP_EQUALS, .present = true, .n = 1, .v = sv};
		return true;
	}
	if (k->p < k->end && *k->p >= 'a' && *k->p <= 'z') {
		/* an operator is a whole word followed by blanks and '{' */
		size_t wl = op_word_len(k);

		for (i = 0; i < MNG_ARRAY_SIZE(op_words); i++) {
			struct cur t2 = *k;

			if (wl != op_lens[i] || memcmp(k->p, op_words[i], wl))
				continue;
			t2.p += wl;
			if (rl_blanks(&t2) && t2.p < t2.end && *t2.p == '{') {
				*k = t2;
				op = op_codes[i];
				*op_written = true;
			}
			break;
		}
	}
	s->len = 0;
	if (k->p < k->end && *k->p == '{') {
		k->p++;
		rl_blanks(k);
		for (;;) {
			const char *vat = k->p;

			r = parse_one(c, k, t, v);
			if (r < 0)
				return false;
			if (r == 0) {
				if (n == 0)
					return rl_fail(c, k, vat, "expected %s after '{'", what);
				break;
			}
			if (++n > max)
				return rl_fail(c, k, vat, "too many values in one set (max %u)",
					       max);
			if (!rl_scratch_push(s, v, vs))
				return rl_oom(c, k);
			vat = k->p;
			if (!rl_blanks(k))
				break;
			if (k->p < k->end && *k->p == '}')
				break;
			(void)vat;
		}
		rl_blanks(k);
		if (k->p >= k->end || *k->p != '}')
			return rl_fail(c, k, k->p, "expected '}' or %s", what);
		k->p++;
	} else {
		r = parse_one(c, k, t, v);
		if (r < 0)
			return false;
		if (r == 0)
			return rl_fail(c, k, p0, "expected %s", what);
		a->v = ARENA_NEW(&c->rs->arena, vs);
		if (!a->v)
			return rl_oom(c, k);
		switch (t) { /* fixed sizes: copied inline */
		case VT_STR:
			memcpy(a->v, v, sizeof(struct strval));
			break;
		case VT_ID:
			memcpy(a->v, v, sizeof(struct idval));
			break;
		case VT_IFACE:
			memcpy(a->v, v, sizeof(struct ifval));
			break;
		case VT_COND:
			memcpy(a->v, v, sizeof(struct cond));
			break;
		}
		a->n = 1;
		a->op = op;
		a->present = true;
		return true;
	}
	a->v = ARENA_NEW(&c->rs->arena, n * vs);
	if (!a->v)
		return rl_oom(c, k);
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
		return rl_fail(c, k, k->p, "too many label values (max %u)", MNG_RULES_VALUES_MAX);
	v = ARENA_NEW(&c->rs->arena, ((size_t)old->n + add->n) * vs);
	if (!v)
		return rl_oom(c, k);
	memcpy(v, old->v, old->n * vs);
	memcpy((char *)v + old->n * vs, add->v, add->n * vs);
	old->v = v;
	old->n += add->n;
	if (op_written)
		old->op = add->op;
	return true;
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

/*
 * The keyword at k->p as a whole word (not followed by another letter,
 * digit, '-' or '_'): its attr_table index (the numbers below), or -1.
 */
static int find_attr(const struct cur *k, size_t *ret_len)
{
	const char *w = k->p;
	size_t room = (size_t)(k->end - w), n = 0;
	int i = -1;

#define IS(lit, idx)                                                                               \
	do {                                                                                       \
		if (room >= sizeof(lit) - 1 && !memcmp(w, lit, sizeof(lit) - 1)) {                 \
			n = sizeof(lit) - 1;                                                       \
			i = idx;                                                                   \
		}                                                                                  \
	} while (0)
	if (room < 2)
		return -1;
	switch (w[0]) {
	case 'i':
		if (w[1] == 'd')
			IS("id", 0);
		else
			IS("if", 8);
		break;
	case 'n':
		IS("name", 1);
		break;
	case 'h':
		IS("hash", 2);
		break;
	case 'p':
		IS("parent-hash", 3);
		break;
	case 's':
		IS("serial", 4);
		break;
	case 'v':
		IS("via-port", 5);
		break;
	case 'w':
		IS("with-interface", 6);
		if (i < 0)
			IS("with-connect-type", 7);
		break;
	case 'l':
		IS("label", 9);
		break;
	case 'm':
		IS("mode", 10);
		break;
	case 'a':
		IS("allow-interface", 11);
		break;
	case 'e':
		IS("expires", 12);
		break;
	case 't':
		IS("ticket", 13);
		break;
	}
#undef IS
	if (i < 0)
		return -1;
	{
		struct cur after = {.beg = k->beg, .p = w + n, .end = k->end};

		if (rl_word_char(&after))
			return -1; /* a keyword glued to more word characters is some other word */
	}
	*ret_len = n;
	return i;
}

static bool parse_ext(struct pctx *c, struct cur *k, struct rule_build *r, enum ext x,
		      const char *at)
{
	struct strval sv;
	int off;

	switch (x) {
	case X_MODE:
		if (r->has_mode)
			return rl_fail(c, k, at, "mode attribute already defined");
		if (rl_kw(k, "ro"))
			r->read_only = true;
		else if (!rl_kw(k, "rw"))
			return rl_fail(c, k, k->p, "expected ro or rw after mode");
		r->has_mode = true;
		return true;
	case X_EXPIRES:
		if (r->x.has_expires)
			return rl_fail(c, k, at, "expires attribute already defined");
		if (rl_parse_string(c, k, &sv) <= 0)
			return c->err ? false
				      : rl_fail(c, k, k->p, "expected a quoted time after expires");
		off = rl_parse_iso(&sv, &r->x.expires);
		if (off >= 0)
			return rl_fail(c, k, k->p - 1 - sv.len + (unsigned)off,
				       "bad expiry time: use \"YYYY-MM-DDTHH:MM[:SS]\" with Z or "
				       "+HH:MM or -HH:MM");
		r->x.expires_text = sv;
		r->x.has_expires = true;
		return true;
	case X_TICKET:
		if (r->x.ticket.s)
			return rl_fail(c, k, at, "ticket attribute already defined");
		if (rl_parse_string(c, k, &sv) <= 0)
			return c->err
				   ? false
				   : rl_fail(c, k, k->p, "expected a quoted ticket after ticket");
		if (sv.len == 0 || sv.len > MNG_RULES_TICKET_MAX)
			return rl_fail(c, k, at, "a ticket is 1 to %u bytes", MNG_RULES_TICKET_MAX);
		for (off = 0; off < (int)sv.len; off++)
			if ((unsigned char)sv.s[off] < 0x20 || sv.s[off] == 0x7f)
				return rl_fail(c, k, at,
					       "a ticket may not hold control characters");
		r->x.ticket = sv;
		return true;
	case X_NONE:
		break;
	}
	return rl_fail(c, k, at, "internal error: extension");
}

static bool parse_attr(struct pctx *c, struct cur *k, struct rule_build *r, size_t ti,
		       const char *at, bool query)
{
	int ai = attr_table[ti].attr;
	struct attr na = {0};
	bool opw;
	uint32_t max;

	if (query && (attr_table[ti].ext != X_NONE || ai == A_ALLOW_IFACE))
		return rl_fail(c, k, at, "%s is not allowed in an allowed-matches() query",
			       attr_table[ti].word);
	if (!query && r->target != MNG_TARGET_ALLOW &&
	    (attr_table[ti].ext == X_MODE || ai == A_ALLOW_IFACE))
		return rl_fail(c, k, at, "%s is only valid with target allow", attr_table[ti].word);
	if (ai >= 0 && ai != A_LABEL && r->a[ai].present)
		return rl_fail(c, k, at, "%s attribute already defined", attr_table[ti].word);
	if (!rl_at_blank(k))
		return rl_fail(c, k, k->p, "expected %s after %s", attr_table[ti].what,
			       attr_table[ti].word);
	rl_blanks(k);
	if (attr_table[ti].ext != X_NONE)
		return parse_ext(c, k, r, attr_table[ti].ext, at);
	max = ai == A_CONDS ? MNG_RULES_CONDS_MAX : MNG_RULES_VALUES_MAX;
	if (!parse_values(c, k, attr_table[ti].type, attr_table[ti].what, max, &na, &opw))
		return false;
	if (ai == A_ALLOW_IFACE && opw)
		return rl_fail(c, k, at, "allow-interface takes no set operator");
	if (ai == A_LABEL && r->a[A_LABEL].present)
		return merge_label(c, k, &r->a[A_LABEL], &na, opw);
	r->a[ai] = na;
	return true;
}

bool rules_parse_conds(struct pctx *c, struct cur *k, struct attr *ret)
{
	bool opw;

	return parse_values(c, k, VT_COND, "a condition", MNG_RULES_CONDS_MAX, ret, &opw);
}

static const char *const targets[] = {"allow", "block", "reject", "match", "device"};
static const uint8_t target_codes[] = {MNG_TARGET_ALLOW, MNG_TARGET_BLOCK, MNG_TARGET_REJECT,
				       MNG_TARGET_MATCH, MNG_TARGET_DEVICE};

/* true when a condition of the rule reads its judge state */
static bool reads_state(const struct attr *conds)
{
	const struct cond *cd = conds->v;
	uint32_t i;

	for (i = 0; conds->present && i < conds->n; i++)
		if (cd[i].kind == C_RULE_APPLIED || cd[i].kind == C_RULE_EVALUATED)
			return true;
	return false;
}

/* Store the parsed rule compactly: the present attributes only, the extra part if needed. */
static bool pack(struct pctx *c, struct cur *k, const struct rule_build *b, struct mng_rule *r)
{
	unsigned n = 0, i;

	memset(r, 0, sizeof(*r));
	r->target = b->target;
	r->has_mode = b->has_mode;
	r->read_only = b->read_only;
	for (i = 0; i < A_COUNT; i++)
		if (b->a[i].present)
			r->attrs |= (uint16_t)(1u << i);
	n = (unsigned)__builtin_popcount(r->attrs);
	if (n) {
		r->attrv = ARENA_NEW(&c->rs->arena, n * sizeof(*r->attrv));
		if (!r->attrv)
			return rl_oom(c, k);
		for (i = 0, n = 0; i < A_COUNT; i++)
			if (b->a[i].present)
				r->attrv[n++] = b->a[i];
	}
	if (b->x.has_expires || b->x.ticket.s || reads_state(&b->a[A_CONDS])) {
		r->x = ARENA_NEW(&c->rs->arena, sizeof(*r->x));
		if (!r->x)
			return rl_oom(c, k);
		*r->x = b->x;
	}
	return true;
}

/* target [VVVV:PPPP] [attribute...] [# comment], leading blanks already skipped. */
static bool parse_rule(struct pctx *c, struct cur *k, struct mng_rule *ret, bool query)
{
	struct rule_build rb, *r = &rb;
	const char *save;
	size_t i, wl;
	int rc, ai;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < MNG_ARRAY_SIZE(targets); i++)
		if (k->p < k->end && *k->p == targets[i][0] && rl_kw(k, targets[i]))
			break;
	if (i == MNG_ARRAY_SIZE(targets))
		return rl_fail(c, k, k->p,
			       "expected a rule target (allow, block, reject, match or device)");
	r->target = target_codes[i];

	/* USBGuard's short form: a device id right after the target */
	save = k->p;
	if (rl_blanks(k)) {
		struct idval id;

		rc = rl_parse_id(c, k, &id);
		if (rc < 0)
			return false;
		if (rc > 0) {
			struct idval *v = ARENA_NEW(&c->rs->arena, sizeof(*v));

			if (!v)
				return rl_oom(c, k);
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
		if (!rl_blanks(k))
			break;
		at = k->p;
		ai = find_attr(k, &wl);
		if (ai < 0) {
			k->p = save;
			break;
		}
		k->p += wl;
		if (!parse_attr(c, k, r, (size_t)ai, at, query))
			return false;
	}

	save = k->p;
	rl_blanks(k);
	if (k->p < k->end && *k->p == '#')
		k->p = k->end;
	if (k->p < k->end) {
		if (*k->p == '\r')
			return rl_fail(c, k, k->p,
				       "carriage return (CRLF line ends are not accepted)");
		if (*k->p == '\0')
			return rl_fail(c, k, k->p, "NUL byte outside a string");
		return rl_fail(c, k, k->p, "unknown attribute or unexpected text");
	}
	(void)save;
	return pack(c, k, r, ret);
}

static void report(struct pctx *c, struct mng_diags *diags, unsigned line)
{
	mng_diags_add(diags, c->file, line, c->errcol, "%s", c->msg);
	c->err = false;
}

/* Room for rule number need - 1; the first growth of a parse reserves for hint rules more. */
static bool grow(struct mng_ruleset *rs, size_t need, size_t *hint)
{
	size_t ncap;
	struct mng_rule *nr;

	if (need <= rs->cap)
		return true;
	ncap = rs->cap ? rs->cap * 2 : 64;
	if (ncap < rs->n + *hint)
		ncap = rs->n + *hint;
	*hint = 0;
	if (ncap < need)
		ncap = need;
	if (ncap > MNG_RULES_MAX)
		ncap = MNG_RULES_MAX > need ? MNG_RULES_MAX : need;
	nr = rules_mem_realloc(rs->rules, rs->cap * sizeof(*nr), ncap * sizeof(*nr));
	if (!nr)
		return false;
	rs->rules = nr;
	rs->cap = ncap;
	return true;
}

int mng_ruleset_parse(struct mng_ruleset *rs, const char *buf, size_t len, const char *filename,
		      struct mng_diags *diags)
{
	struct pctx c = {.rs = rs};
	struct arena_mark mark;
	struct rules_index_mark imark;
	const char *p, *end;
	size_t added = 0, added_print = 0, added_clip = 0, i, errors = 0, fname_len, hint;
	unsigned line = 0;
	bool cap_reported = false;
	char *fname;

	if (!rs || (!buf && len))
		return -EINVAL;
	if (!filename)
		filename = "-";
	rules_arena_mark(&rs->arena, &mark);
	rules_index_mark(&rs->index, &imark);
	/*
	 * Size the memory from the input once: rule lines are rarely under 64
	 * bytes, and the arena holds the strings, the value lists and each
	 * rule's attribute list, about 1.6 times the text they come from
	 * (usbguard generate-policy lines). Room that is never used is never
	 * touched, so it costs address space, not memory (rules.c).
	 */
	hint = len / 64 + 16;
	if (hint > MNG_RULES_MAX)
		hint = MNG_RULES_MAX;
	rules_arena_reserve(&rs->arena, len + len / 2 + len / 8 + 256);
	if (rules_index_reserve(&rs->index, hint) < 0) {
		rules_arena_rollback(&rs->arena, &mark);
		return -ENOMEM;
	}
	fname_len = strlen(filename);
	fname = ARENA_STR(&rs->arena, fname_len + 1);
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
		rl_blanks(&k);
		if (k.p == k.end || *k.p == '#')
			continue;
		if (rs->n + added + rs->n_prules + added_print + rs->n_crules + added_clip >=
		    MNG_RULES_MAX) {
			if (!cap_reported)
				mng_diags_add(diags, fname, line, 1, "too many rules (max %u)",
					      MNG_RULES_MAX);
			cap_reported = true;
			errors++;
			continue;
		}
		if (k.end - k.p > 7 && !memcmp(k.p, "printer", 7) &&
		    (k.p[7] == ' ' || k.p[7] == '\t')) {
			if (!rules_print_parse(&c, &k, rs->n_prules + added_print)) {
				report(&c, diags, line);
				errors++;
				if (c.oom)
					break;
				continue;
			}
			rs->prules[rs->n_prules + added_print].base.file = fname;
			rs->prules[rs->n_prules + added_print].base.line = line;
			added_print++;
			continue;
		}
		if (k.end - k.p > 9 && !memcmp(k.p, "clipboard", 9) &&
		    (k.p[9] == ' ' || k.p[9] == '\t')) {
			if (!rules_clip_parse(&c, &k, rs->n_crules + added_clip)) {
				report(&c, diags, line);
				errors++;
				if (c.oom)
					break;
				continue;
			}
			rs->crules[rs->n_crules + added_clip].base.file = fname;
			rs->crules[rs->n_crules + added_clip].base.line = line;
			added_clip++;
			continue;
		}
		if (!grow(rs, rs->n + added + 1, &hint)) {
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
		rules_prefilter(r);
		if (!errors && rules_index_add(&rs->index, r, rs->n + added) < 0) {
			c.oom = true;
			break;
		}
		added++;
	}
	for (i = 0; i <= QUERY_DEPTH_MAX; i++)
		free(c.scr[i].v);
	if (!errors && !c.oom && added && rules_index_commit(&rs->index) < 0)
		c.oom = true;
	if (errors || c.oom) {
		rules_index_undo(&rs->index, &imark);
		rules_arena_rollback(&rs->arena, &mark);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	rs->n += added;
	rs->n_prules += added_print;
	rs->n_crules += added_clip;
	added += added_print + added_clip;
	return added > INT32_MAX ? INT32_MAX : (int)added;
}
