// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_channel.c - the parts the printer rules (rules_print.c) and the
 * clipboard rules (rules_clip.c) share: keywords, quoted strings, the
 * options if/expires/ticket, the end of a line, growing the rule arrays,
 * and a rule's expiry and conditions when judging.
 *
 * MUST: a line is read only within its bounds; a ticket has its cap
 *       (MNG_RULES_TICKET_MAX).
 * MUST: only the conditions true, false, localtime(), user() and group()
 *       are accepted: they read the user the request is for, not the seat.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_channel.h"

bool rch_word(struct cur *k, const char *w)
{
	struct cur t = *k;

	if (!rl_kw(&t, w) || rl_word_char(&t))
		return false;
	*k = t;
	return true;
}

bool rch_need_blank(struct pctx *c, struct cur *k, const char *what, const char *after)
{
	if (!rl_at_blank(k))
		return rl_fail(c, k, k->p, "expected %s after %s", what, after);
	rl_blanks(k);
	return true;
}

bool rch_parse_string(struct pctx *c, struct cur *k, struct strval *ret, const char *what,
		      const char *after)
{
	int r;

	if (rl_at_blank(k) && !rch_need_blank(c, k, what, after))
		return false;
	if (k->p > k->beg && k->p[-1] != ' ' && k->p[-1] != '\t')
		return rl_fail(c, k, k->p, "expected %s after %s", what, after);
	r = rl_parse_string(c, k, ret);
	if (r < 0)
		return false;
	if (r == 0)
		return rl_fail(c, k, k->p, "expected %s after %s", what, after);
	return true;
}

static bool conds_ok(struct pctx *c, struct cur *k, const char *at, const char *channel,
		     const struct attr *a)
{
	const struct cond *cd = a->v;
	uint32_t i;

	for (i = 0; i < a->n; i++)
		switch (cd[i].kind) {
		case C_TRUE:
		case C_FALSE:
		case C_LOCALTIME:
		case C_USER:
		case C_GROUP:
			break;
		default:
			return rl_fail(c, k, at,
				       "a %s rule allows only the conditions true, false, "
				       "localtime(), user() and group()",
				       channel);
		}
	return true;
}

static bool parse_expires(struct pctx *c, struct cur *k, const char *at, struct rule_extra *x)
{
	struct strval sv;
	int off;

	if (x->has_expires)
		return rl_fail(c, k, at, "expires attribute already defined");
	if (!rch_parse_string(c, k, &sv, "a quoted time", "expires"))
		return false;
	off = rl_parse_iso(&sv, &x->expires);
	if (off >= 0)
		return rl_fail(c, k, k->p - 1 - sv.len + (unsigned)off,
			       "bad expiry time: use \"YYYY-MM-DDTHH:MM[:SS]\" with Z "
			       "or +HH:MM or -HH:MM");
	x->expires_text = sv;
	x->has_expires = true;
	return true;
}

static bool parse_ticket(struct pctx *c, struct cur *k, const char *at, struct rule_extra *x)
{
	struct strval sv;
	uint32_t i;

	if (x->ticket.s)
		return rl_fail(c, k, at, "ticket attribute already defined");
	if (!rch_parse_string(c, k, &sv, "a quoted ticket", "ticket"))
		return false;
	if (sv.len == 0 || sv.len > MNG_RULES_TICKET_MAX)
		return rl_fail(c, k, at, "a ticket is 1 to %u bytes", MNG_RULES_TICKET_MAX);
	for (i = 0; i < sv.len; i++)
		if ((unsigned char)sv.s[i] < 0x20 || sv.s[i] == 0x7f)
			return rl_fail(c, k, at, "a ticket may not hold control characters");
	x->ticket = sv;
	return true;
}

int rch_parse_option(struct pctx *c, struct cur *k, const char *at, const char *channel,
		     struct attr *conds, struct rule_extra *x)
{
	if (rch_word(k, "if")) {
		if (conds->present) {
			(void)rl_fail(c, k, at, "if attribute already defined");
			return -1;
		}
		if (!rch_need_blank(c, k, "a condition", "if"))
			return -1;
		if (!rules_parse_conds(c, k, conds) || !conds_ok(c, k, at, channel, conds))
			return -1;
		return 1;
	}
	if (rch_word(k, "expires"))
		return parse_expires(c, k, at, x) ? 1 : -1;
	if (rch_word(k, "ticket"))
		return parse_ticket(c, k, at, x) ? 1 : -1;
	return 0;
}

bool rch_line_end(struct pctx *c, struct cur *k, const char *channel)
{
	rl_blanks(k);
	if (k->p < k->end && *k->p == '#')
		k->p = k->end;
	if (k->p < k->end) {
		if (*k->p == '\r')
			return rl_fail(c, k, k->p,
				       "carriage return (CRLF line ends are not accepted)");
		if (*k->p == '\0')
			return rl_fail(c, k, k->p, "NUL byte outside a string");
		return rl_fail(c, k, k->p, "unknown %s attribute or unexpected text", channel);
	}
	return true;
}

bool rch_attach(struct pctx *c, struct cur *k, struct mng_rule *base, const struct attr *conds,
		const struct rule_extra *x)
{
	struct mng_ruleset *rs = c->rs;

	if (conds->present) {
		base->attrv = ARENA_NEW(&rs->arena, sizeof(*base->attrv));
		if (!base->attrv)
			return rl_oom(c, k);
		base->attrv[0] = *conds;
		base->attrs = (uint16_t)(1u << A_CONDS);
	}
	if (x->has_expires || x->ticket.s) {
		base->x = ARENA_NEW(&rs->arena, sizeof(*base->x));
		if (!base->x)
			return rl_oom(c, k);
		*base->x = *x;
	}
	return true;
}

bool rch_grow(void **arr, size_t *cap, size_t slot, size_t elsize, size_t first_cap)
{
	void *n;
	size_t ncap;

	if (slot < *cap)
		return true;
	ncap = *cap ? *cap * 2 : first_cap;
	if (ncap <= slot)
		ncap = slot + 1;
	n = realloc(*arr, ncap * elsize);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

bool rch_expired(const struct mng_rule *r, const struct mng_judge_ctx *ctx)
{
	return rule_has_expires(r) && (int64_t)ctx->now >= r->x->expires;
}

int rch_conds_hold(const struct mng_rule *r, const struct mng_judge_ctx *ctx, bool *ret)
{
	bool ok = true;
	int rc;

	if (r->attrs & (1u << A_CONDS)) {
		rc = rules_conds_meet(r, ctx, &ok);
		if (rc < 0)
			return rc;
	}
	*ret = ok;
	return 0;
}
