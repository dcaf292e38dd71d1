// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_print.c - printer rules of the print gate (mnguard.rules(5),
 * PRINTERS): parsing one "printer ..." line and judging a print queue.
 *
 *   printer allow|block "QUEUE" [uri "URI"] [content-check on|off]
 *           [if CONDITION | if [operator] { CONDITION ... }]
 *           [expires "TIME"] [ticket "TEXT"]
 *
 * QUEUE and URI are shell glob patterns (fnmatch(3) without flags). Only
 * the conditions true, false, localtime(), user() and group() are allowed:
 * they read the job's user, not the seat's.
 *
 * MUST: no printer rule, or no matching one, refuses the printer (BLOCK).
 * MUST: an allow rule checks the document's content unless the rule says
 *       "content-check off" in so many words.
 * MUST: any error while judging gives BLOCK and a negative return.
 * MUST: a line is read only within its bounds; queue and URI patterns have
 *       caps (MNG_RULES_QUEUE_MAX, MNG_RULES_URI_MAX).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"

/* What CUPS allows in a queue name (no blank, / \ ' " # or control), plus glob characters. */
static bool queue_ok(const struct strval *v)
{
	uint32_t i;

	if (v->len == 0 || v->len > MNG_RULES_QUEUE_MAX)
		return false;
	for (i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->s[i];

		if (ch <= 0x20 || ch == 0x7f || ch == '/' || ch == '\\' || ch == '\'' ||
		    ch == '"' || ch == '#')
			return false;
	}
	return true;
}

/* A device URI pattern: printable ASCII without blanks. */
static bool uri_ok(const struct strval *v)
{
	uint32_t i;

	if (v->len == 0 || v->len > MNG_RULES_URI_MAX)
		return false;
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->s[i] <= 0x20 || (unsigned char)v->s[i] >= 0x7f)
			return false;
	return true;
}

static bool grow(struct mng_ruleset *rs, size_t slot)
{
	struct print_rule *n;
	size_t ncap;

	if (slot < rs->cap_prules)
		return true;
	ncap = rs->cap_prules ? rs->cap_prules * 2 : 16;
	if (ncap <= slot)
		ncap = slot + 1;
	n = realloc(rs->prules, ncap * sizeof(*n));
	if (!n)
		return false;
	rs->prules = n;
	rs->cap_prules = ncap;
	return true;
}

/* the keyword w as a whole word at k->p, followed by a blank */
static bool word(struct cur *k, const char *w)
{
	struct cur t = *k;

	if (!rl_kw(&t, w) || rl_word_char(&t))
		return false;
	*k = t;
	return true;
}

static bool need_blank(struct pctx *c, struct cur *k, const char *what, const char *after)
{
	if (!rl_at_blank(k))
		return rl_fail(c, k, k->p, "expected %s after %s", what, after);
	rl_blanks(k);
	return true;
}

static bool parse_string(struct pctx *c, struct cur *k, struct strval *ret, const char *what,
			 const char *after)
{
	int r;

	if (rl_at_blank(k) && !need_blank(c, k, what, after))
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

static bool conds_ok(struct pctx *c, struct cur *k, const char *at, const struct attr *a)
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
				       "a printer rule allows only the conditions true, false, "
				       "localtime(), user() and group()");
		}
	return true;
}

bool rules_print_parse(struct pctx *c, struct cur *k, size_t slot)
{
	struct mng_ruleset *rs = c->rs;
	struct print_rule pr;
	struct attr conds = {0};
	struct rule_extra x = {0};
	bool have_cc = false, have_uri = false;
	const char *at;
	int off;

	memset(&pr, 0, sizeof(pr));
	pr.content_check = true;
	k->p += 7; /* "printer" */
	rl_blanks(k);
	if (word(k, "allow"))
		pr.base.target = MNG_TARGET_ALLOW;
	else if (word(k, "block"))
		pr.base.target = MNG_TARGET_BLOCK;
	else
		return rl_fail(c, k, k->p, "expected allow or block after printer");
	if (!need_blank(c, k, "a quoted queue name", "the printer target"))
		return false;
	at = k->p;
	if (!parse_string(c, k, &pr.queue, "a quoted queue name", "the printer target"))
		return false;
	if (!queue_ok(&pr.queue))
		return rl_fail(c, k, at,
			       "a queue name is 1 to %u bytes without blanks, control "
			       "characters, / \\ ' \" or #",
			       MNG_RULES_QUEUE_MAX);
	for (;;) {
		struct cur save = *k;

		if (!rl_blanks(k))
			break;
		at = k->p;
		if (word(k, "uri")) {
			if (have_uri)
				return rl_fail(c, k, at, "uri attribute already defined");
			if (!parse_string(c, k, &pr.uri, "a quoted URI", "uri"))
				return false;
			if (!uri_ok(&pr.uri))
				return rl_fail(c, k, at,
					       "a URI is 1 to %u bytes of printable ASCII without "
					       "blanks",
					       MNG_RULES_URI_MAX);
			have_uri = true;
		} else if (word(k, "content-check")) {
			if (have_cc)
				return rl_fail(c, k, at, "content-check attribute already defined");
			if (pr.base.target != MNG_TARGET_ALLOW)
				return rl_fail(c, k, at, "content-check is only valid with allow");
			if (!need_blank(c, k, "on or off", "content-check"))
				return false;
			if (word(k, "on"))
				pr.content_check = true;
			else if (word(k, "off"))
				pr.content_check = false;
			else
				return rl_fail(c, k, k->p,
					       "expected on or off after content-check");
			have_cc = true;
		} else if (word(k, "if")) {
			if (conds.present)
				return rl_fail(c, k, at, "if attribute already defined");
			if (!need_blank(c, k, "a condition", "if"))
				return false;
			if (!rules_parse_conds(c, k, &conds))
				return false;
			if (!conds_ok(c, k, at, &conds))
				return false;
		} else if (word(k, "expires")) {
			struct strval sv;

			if (x.has_expires)
				return rl_fail(c, k, at, "expires attribute already defined");
			if (!parse_string(c, k, &sv, "a quoted time", "expires"))
				return false;
			off = rl_parse_iso(&sv, &x.expires);
			if (off >= 0)
				return rl_fail(
				    c, k, k->p - 1 - sv.len + (unsigned)off,
				    "bad expiry time: use \"YYYY-MM-DDTHH:MM[:SS]\" with Z "
				    "or +HH:MM or -HH:MM");
			x.expires_text = sv;
			x.has_expires = true;
		} else if (word(k, "ticket")) {
			struct strval sv;
			uint32_t i;

			if (x.ticket.s)
				return rl_fail(c, k, at, "ticket attribute already defined");
			if (!parse_string(c, k, &sv, "a quoted ticket", "ticket"))
				return false;
			if (sv.len == 0 || sv.len > MNG_RULES_TICKET_MAX)
				return rl_fail(c, k, at, "a ticket is 1 to %u bytes",
					       MNG_RULES_TICKET_MAX);
			for (i = 0; i < sv.len; i++)
				if ((unsigned char)sv.s[i] < 0x20 || sv.s[i] == 0x7f)
					return rl_fail(c, k, at,
						       "a ticket may not hold control characters");
			x.ticket = sv;
		} else {
			*k = save;
			break;
		}
	}
	rl_blanks(k);
	if (k->p < k->end && *k->p == '#')
		k->p = k->end;
	if (k->p < k->end) {
		if (*k->p == '\r')
			return rl_fail(c, k, k->p,
				       "carriage return (CRLF line ends are not accepted)");
		if (*k->p == '\0')
			return rl_fail(c, k, k->p, "NUL byte outside a string");
		return rl_fail(c, k, k->p, "unknown printer attribute or unexpected text");
	}
	if (conds.present) {
		pr.base.attrv = ARENA_NEW(&rs->arena, sizeof(*pr.base.attrv));
		if (!pr.base.attrv)
			return rl_oom(c, k);
		pr.base.attrv[0] = conds;
		pr.base.attrs = (uint16_t)(1u << A_CONDS);
	}
	if (x.has_expires || x.ticket.s) {
		pr.base.x = ARENA_NEW(&rs->arena, sizeof(*pr.base.x));
		if (!pr.base.x)
			return rl_oom(c, k);
		*pr.base.x = x;
	}
	if (!grow(rs, slot))
		return rl_oom(c, k);
	rs->prules[slot] = pr;
	return true;
}

size_t mng_ruleset_printer_count(const struct mng_ruleset *rs)
{
	return rs ? rs->n_prules : 0;
}

int mng_ruleset_printer_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
				 unsigned *ret_line)
{
	if (!rs || i >= rs->n_prules)
		return -EINVAL;
	if (ret_file)
		*ret_file = rs->prules[i].base.file;
	if (ret_line)
		*ret_line = rs->prules[i].base.line;
	return 0;
}

/* fnmatch on a pattern that may hold NUL bytes: such a pattern matches nothing */
static bool glob_match(const struct strval *pat, const char *s)
{
	if (strlen(pat->s) != pat->len)
		return false;
	return fnmatch(pat->s, s, 0) == 0;
}

int mng_ruleset_judge_printer(const struct mng_ruleset *rs, const char *queue, const char *uri,
			      const struct mng_judge_ctx *ctx, struct mng_printer_verdict *ret)
{
	size_t i;
	int rc;

	if (!ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->target = MNG_TARGET_BLOCK;
	if (!rs || !queue || !*queue || !ctx)
		return -EINVAL;
	for (i = 0; i < rs->n_prules; i++) {
		const struct print_rule *pr = &rs->prules[i];
		bool ok = true;

		if (rule_has_expires(&pr->base) && (int64_t)ctx->now >= pr->base.x->expires)
			continue;
		if (!glob_match(&pr->queue, queue))
			continue;
		if (pr->uri.s && (!uri || !*uri || !glob_match(&pr->uri, uri)))
			continue;
		if (pr->base.attrs & (1u << A_CONDS)) {
			rc = rules_conds_meet(&pr->base, ctx, &ok);
			if (rc < 0) {
				memset(ret, 0, sizeof(*ret));
				ret->target = MNG_TARGET_BLOCK;
				return rc;
			}
		}
		if (!ok)
			continue;
		ret->file = pr->base.file;
		ret->line = pr->base.line;
		ret->ticket = rule_ticket(&pr->base) ? rule_ticket(&pr->base)->s : NULL;
		if (pr->base.target == MNG_TARGET_ALLOW) {
			ret->target = MNG_TARGET_ALLOW;
			ret->content_check = pr->content_check;
		}
		return 0;
	}
	return 0;
}
