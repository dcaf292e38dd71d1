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

#include "rules_channel.h"

/* The options after the target: if, expires, ticket (each at most once). */
static bool parse_options(struct pctx *c, struct cur *k, struct attr *conds, struct rule_extra *x)
{
	for (;;) {
		struct cur save = *k;
		int r;

		if (!rl_blanks(k))
			break;
		r = rch_parse_option(c, k, k->p, "clipboard", conds, x);
		if (r < 0)
			return false;
		if (r == 0) {
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
	if (rch_word(k, "allow")) {
		cr.action = MNG_CLIP_ALLOW;
	} else if (rch_word(k, "block")) {
		struct cur save = *k;

		cr.action = MNG_CLIP_BLOCK;
		if (rl_blanks(k) && rch_word(k, "content")) {
			if (!rch_need_blank(c, k, "mynumber", "content"))
				return false;
			if (!rch_word(k, "mynumber"))
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
	if (!rch_line_end(c, k, "clipboard"))
		return false;
	cr.base.target = cr.action == MNG_CLIP_ALLOW ? MNG_TARGET_ALLOW : MNG_TARGET_BLOCK;
	if (!rch_attach(c, k, &cr.base, &conds, &x))
		return false;
	if (!rch_grow((void **)&rs->crules, &rs->cap_crules, slot, sizeof(*rs->crules), 8))
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
		bool ok;

		if (rch_expired(&cr->base, ctx))
			continue;
		rc = rch_conds_hold(&cr->base, ctx, &ok);
		if (rc < 0) {
			memset(ret, 0, sizeof(*ret));
			ret->action = MNG_CLIP_BLOCK;
			return rc;
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
