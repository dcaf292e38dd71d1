/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules_channel.h - what the printer and clipboard rules (rules_print.c,
 * rules_clip.c) parse and judge alike: keywords, quoted strings, the
 * options "if", "expires" and "ticket", the end of the line, the rule
 * arrays and the expiry and conditions of a rule. Internal to the rules
 * module.
 *
 * MUST: a line is read only within its bounds; a ticket has its cap
 *       (MNG_RULES_TICKET_MAX).
 */
#ifndef MNG_RULES_CHANNEL_H
#define MNG_RULES_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules_lex.h"

/* the keyword w as a whole word at k->p (consumed when it is there) */
bool rch_word(struct cur *k, const char *w);

/* blanks at k (skipped), else the error "expected WHAT after AFTER" */
bool rch_need_blank(struct pctx *c, struct cur *k, const char *what, const char *after);

/* a quoted string after blanks (skipped here or just before), else "expected WHAT after AFTER" */
bool rch_parse_string(struct pctx *c, struct cur *k, struct strval *ret, const char *what,
		      const char *after);

/*
 * One of the options "if", "expires" and "ticket" at k (at is where it
 * starts, channel names the rule in the message about conditions): 1 = it
 * was parsed into *conds or *x, 0 = none of them is here (nothing consumed),
 * -1 = error recorded.
 */
int rch_parse_option(struct pctx *c, struct cur *k, const char *at, const char *channel,
		     struct attr *conds, struct rule_extra *x);

/* Blanks, a comment, then the end of the line; else an error ("unknown CHANNEL attribute ..."). */
bool rch_line_end(struct pctx *c, struct cur *k, const char *channel);

/* Attach conds (if present) and x (if it holds anything) to base, in the ruleset's arena. */
bool rch_attach(struct pctx *c, struct cur *k, struct mng_rule *base, const struct attr *conds,
		const struct rule_extra *x);

/*
 * Make room for element slot in *arr (elements of elsize bytes, *cap of
 * them, first capacity first_cap); false when out of memory (*arr unchanged).
 */
bool rch_grow(void **arr, size_t *cap, size_t slot, size_t elsize, size_t first_cap);

/* r has expired at ctx->now */
bool rch_expired(const struct mng_rule *r, const struct mng_judge_ctx *ctx);

/* r's conditions (true when it has none) into *ret; 0, or a negative errno */
int rch_conds_hold(const struct mng_rule *r, const struct mng_judge_ctx *ctx, bool *ret);

#endif
