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

#include "rules_channel.h"

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

bool rules_print_parse(struct pctx *c, struct cur *k, size_t slot)
{
	struct mng_ruleset *rs = c->rs;
	struct print_rule pr;
	struct attr conds = {0};
	struct rule_extra x = {0};
	bool have_cc = false, have_uri = false;
	const char *at;

	memset(&pr, 0, sizeof(pr));
	pr.content_check = true;
	k->p += 7; /* "printer" */
	rl_blanks(k);
	if (rch_word(k, "allow"))
		pr.base.target = MNG_TARGET_ALLOW;
	else if (rch_word(k, "block"))
		pr.base.target = MNG_TARGET_BLOCK;
	else
		return rl_fail(c, k, k->p, "expected allow or block after printer");
	if (!rch_need_blank(c, k, "a quoted queue name", "the printer target"))
		return false;
	at = k->p;
	if (!rch_parse_string(c, k, &pr.queue, "a quoted queue name", "the printer target"))
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
		if (rch_word(k, "uri")) {
			if (have_uri)
				return rl_fail(c, k, at, "uri attribute already defined");
			if (!rch_parse_string(c, k, &pr.uri, "a quoted URI", "uri"))
				return false;
			if (!uri_ok(&pr.uri))
				return rl_fail(c, k, at,
					       "a URI is 1 to %u bytes of printable ASCII without "
					       "blanks",
					       MNG_RULES_URI_MAX);
			have_uri = true;
		} else if (rch_word(k, "content-check")) {
			if (have_cc)
				return rl_fail(c, k, at, "content-check attribute already defined");
			if (pr.base.target != MNG_TARGET_ALLOW)
				return rl_fail(c, k, at, "content-check is only valid with allow");
			if (!rch_need_blank(c, k, "on or off", "content-check"))
				return false;
			if (rch_word(k, "on"))
				pr.content_check = true;
			else if (rch_word(k, "off"))
				pr.content_check = false;
			else
				return rl_fail(c, k, k->p,
					       "expected on or off after content-check");
			have_cc = true;
		} else {
			int r = rch_parse_option(c, k, at, "printer", &conds, &x);

			if (r < 0)
				return false;
			if (r == 0) {
				*k = save;
				break;
			}
		}
	}
	if (!rch_line_end(c, k, "printer") || !rch_attach(c, k, &pr.base, &conds, &x))
		return false;
	if (!rch_grow((void **)&rs->prules, &rs->cap_prules, slot, sizeof(*rs->prules), 16))
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
		bool ok;

		if (rch_expired(&pr->base, ctx))
			continue;
		if (!glob_match(&pr->queue, queue))
			continue;
		if (pr->uri.s && (!uri || !*uri || !glob_match(&pr->uri, uri)))
			continue;
		rc = rch_conds_hold(&pr->base, ctx, &ok);
		if (rc < 0) {
			memset(ret, 0, sizeof(*ret));
			ret->target = MNG_TARGET_BLOCK;
			return rc;
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
