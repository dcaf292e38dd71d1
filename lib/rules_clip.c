// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_clip.c - clipboard rules (mnguard.rules(5), CLIPBOARD): parsing one
 * "clipboard ..." line, judging the clipboard policy of a user, and the
 * clipboard guard's decision about one piece of copied text.
 *
 *   clipboard allow | block | block content mynumber
 *             [if CONDITION | if [operator] { CONDITION ... }]
 *             [expires "TIME"] [ticket "TEXT"]
 *
 * Only the conditions true, false, localtime(), user() and group() are
 * allowed: they read the user whose desktop session asks.
 *
 * MUST: the first clipboard rule that has not expired and whose conditions
 *       hold decides; when none does the policy is "block content
 *       mynumber" (MNG_CLIP_REDACT), never allow.
 * MUST: any error while judging gives MNG_CLIP_BLOCK and a negative return.
 * MUST: mng_clip_decide never passes text the detector flagged as invalid
 *       UTF-8, text that could not be read whole, or text holding an
 *       individual number, unless the policy is allow or an exemption holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"

static bool grow(struct mng_ruleset *rs, size_t slot)
{
	struct clip_rule *n;
	size_t ncap;

	if (slot < rs->cap_crules)
		return true;
	ncap = rs->cap_crules ? rs->cap_crules * 2 : 8;
	if (ncap <= slot)
		ncap = slot + 1;
	n = realloc(rs->crules, ncap * sizeof(*n));
	if (!n)
		return false;
	rs->crules = n;
	rs->cap_crules = ncap;
	return true;
}

/* the keyword w as a whole word at k->p */
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

	if (!need_blank(c, k, what, after))
		return false;
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
				       "a clipboard rule allows only the conditions true, false, "
				       "localtime(), user() and group()");
		}
	return true;
}

/* The options after the target: if, expires, ticket (each at most once). */
static bool parse_options(struct pctx *c, struct cur *k, struct attr *conds, struct rule_extra *x)
{
	const char *at;
	int off;

	for (;;) {
		struct cur save = *k;

		if (!rl_blanks(k))
			break;
		at = k->p;
		if (word(k, "if")) {
			if (conds->present)
				return rl_fail(c, k, at, "if attribute already defined");
			if (!need_blank(c, k, "a condition", "if"))
				return false;
			if (!rules_parse_conds(c, k, conds) || !conds_ok(c, k, at, conds))
				return false;
		} else if (word(k, "expires")) {
			struct strval sv;

			if (x->has_expires)
				return rl_fail(c, k, at, "expires attribute already defined");
			if (!parse_string(c, k, &sv, "a quoted time", "expires"))
				return false;
			off = rl_parse_iso(&sv, &x->expires);
			if (off >= 0)
				return rl_fail(
				    c, k, k->p - 1 - sv.len + (unsigned)off,
				    "bad expiry time: use \"YYYY-MM-DDTHH:MM[:SS]\" with Z "
				    "or +HH:MM or -HH:MM");
			x->expires_text = sv;
			x->has_expires = true;
		} else if (word(k, "ticket")) {
			struct strval sv;
			uint32_t i;

			if (x->ticket.s)
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
			x->ticket = sv;
		} else {
			*k = save;
			break;
		}
	}
	return true;
}

bool rules_clip_parse(struct pctx *c, struct cur *k, size_t slot)
{
	struct mng_ruleset *rs = c->rs;
	struct clip_rule cr;
	struct attr conds = {0};
	struct rule_extra x = {0};
	const char *at;

	memset(&cr, 0, sizeof(cr));
	k->p += 9; /* "clipboard" */
	rl_blanks(k);
	at = k->p;
	if (word(k, "allow")) {
		cr.action = MNG_CLIP_ALLOW;
	} else if (word(k, "block")) {
		struct cur save = *k;

		cr.action = MNG_CLIP_BLOCK;
		if (rl_blanks(k) && word(k, "content")) {
			if (!need_blank(c, k, "mynumber", "content"))
				return false;
			if (!word(k, "mynumber"))
				return rl_fail(c, k, k->p,
					       "expected mynumber after content (the only content "
					       "check there is)");
			cr.action = MNG_CLIP_REDACT;
		} else {
			*k = save;
		}
	} else {
		return rl_fail(c, k, at, "expected allow or block after clipboard");
	}
	if (!parse_options(c, k, &conds, &x))
		return false;
	rl_blanks(k);
	if (k->p < k->end && *k->p == '#')
		k->p = k->end;
	if (k->p < k->end) {
		if (*k->p == '\r')
			return rl_fail(c, k, k->p,
				       "carriage return (CRLF line ends are not accepted)");
		if (*k->p == '\0')
			return rl_fail(c, k, k->p, "NUL byte outside a string");
		return rl_fail(c, k, k->p, "unknown clipboard attribute or unexpected text");
	}
	cr.base.target = cr.action == MNG_CLIP_ALLOW ? MNG_TARGET_ALLOW : MNG_TARGET_BLOCK;
	if (conds.present) {
		cr.base.attrv = ARENA_NEW(&rs->arena, sizeof(*cr.base.attrv));
		if (!cr.base.attrv)
			return rl_oom(c, k);
		cr.base.attrv[0] = conds;
		cr.base.attrs = (uint16_t)(1u << A_CONDS);
	}
	if (x.has_expires || x.ticket.s) {
		cr.base.x = ARENA_NEW(&rs->arena, sizeof(*cr.base.x));
		if (!cr.base.x)
			return rl_oom(c, k);
		*cr.base.x = x;
	}
	if (!grow(rs, slot))
		return rl_oom(c, k);
	rs->crules[slot] = cr;
	return true;
}

size_t mng_ruleset_clipboard_count(const struct mng_ruleset *rs)
{
	return rs ? rs->n_crules : 0;
}

int mng_ruleset_clipboard_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
				   unsigned *ret_line)
{
	if (!rs || i >= rs->n_crules)
		return -EINVAL;
	if (ret_file)
		*ret_file = rs->crules[i].base.file;
	if (ret_line)
		*ret_line = rs->crules[i].base.line;
	return 0;
}

int mng_ruleset_judge_clipboard(const struct mng_ruleset *rs, const struct mng_judge_ctx *ctx,
				struct mng_clip_verdict *ret)
{
	size_t i;
	int rc;

	if (!ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->action = MNG_CLIP_BLOCK;
	if (!rs || !ctx)
		return -EINVAL;
	for (i = 0; i < rs->n_crules; i++) {
		const struct clip_rule *cr = &rs->crules[i];
		bool ok = true;

		if (rule_has_expires(&cr->base) && (int64_t)ctx->now >= cr->base.x->expires)
			continue;
		if (cr->base.attrs & (1u << A_CONDS)) {
			rc = rules_conds_meet(&cr->base, ctx, &ok);
			if (rc < 0) {
				memset(ret, 0, sizeof(*ret));
				ret->action = MNG_CLIP_BLOCK;
				return rc;
			}
		}
		if (!ok)
			continue;
		ret->action = cr->action;
		ret->file = cr->base.file;
		ret->line = cr->base.line;
		ret->ticket = rule_ticket(&cr->base) ? rule_ticket(&cr->base)->s : NULL;
		return 0;
	}
	ret->action = MNG_CLIP_REDACT;
	return 0;
}

static const char *const action_names[] = {
    [MNG_CLIP_BLOCK] = "block",
    [MNG_CLIP_REDACT] = "block-content-mynumber",
    [MNG_CLIP_ALLOW] = "allow",
};

const char *mng_clip_action_name(enum mng_clip_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "block";
	return action_names[a];
}

int mng_clip_action_parse(const char *s, enum mng_clip_action *ret)
{
	size_t i;

	if (!s || !ret)
		return -EINVAL;
	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (!strcmp(s, action_names[i])) {
			*ret = (enum mng_clip_action)i;
			return 0;
		}
	return -EINVAL;
}

enum mng_clip_outcome mng_clip_decide(enum mng_clip_action action, bool exempt,
				      const struct mng_clip_content *ct)
{
	if (action == MNG_CLIP_ALLOW || exempt)
		return MNG_CLIP_PASS;
	if (action != MNG_CLIP_REDACT || !ct)
		return MNG_CLIP_DENY;
	if (!ct->text)
		return MNG_CLIP_PASS; /* nothing offered as text: nothing to read numbers from */
	if (!ct->complete || ct->scan_failed || ct->scan.invalid_utf8 || ct->scan.individual)
		return MNG_CLIP_REDACTED;
	return MNG_CLIP_PASS;
}
