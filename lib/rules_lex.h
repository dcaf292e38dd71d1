/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules_lex.h - the lexical layer of the rule parser (rules_lex.c): cursor,
 * error recording and the scanners for strings, ids, interface types and
 * times. Internal to the rules module.
 *
 * MUST: no scanner reads past cur->end; every scanner either consumes a
 *       whole token, consumes nothing (returns 0), or records an error.
 */
#ifndef MNG_RULES_LEX_H
#define MNG_RULES_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules_int.h"

#define QUERY_DEPTH_MAX 1 /* allowed-matches() queries are parsed this deep */

/* a growable byte buffer reused for the values of one { ... } set */
struct scratch {
	unsigned char *v;
	size_t len, cap; /* bytes */
};

/* parser state for one mng_ruleset_parse() call */
struct pctx {
	struct mng_ruleset *rs;
	const char *file;
	bool oom;
	bool err;	 /* an error was recorded for the current line */
	unsigned errcol; /* its 1-based byte column */
	char msg[MNG_DIAG_MSG_MAX];
	struct scratch scr[QUERY_DEPTH_MAX + 1];
	int depth;
};

/* a position inside one line [beg, end) */
struct cur {
	const char *beg, *p, *end;
};

/* Record the line's first error at column of at; always returns false. */
bool rl_fail(struct pctx *c, const struct cur *k, const char *at, const char *fmt, ...)
    MNG_PRINTF(4, 5);
/* Record "out of memory" and mark the parse as failed for lack of memory. */
bool rl_oom(struct pctx *c, const struct cur *k);

bool rl_kw(struct cur *k, const char *w); /* consume w if the text starts with it */
size_t rl_word_len(const struct cur *k);  /* length of the word (letters, digits, - _) at k->p */
int rl_hexval(char ch);			  /* 0..15, or -1 */
bool rl_hexn(const char *p, const char *end, int n, unsigned *ret);  /* n hex digits */
bool rl_scratch_push(struct scratch *s, const void *v, size_t size); /* false: no memory */

/* skip spaces and tabs, return how many */
static inline size_t rl_blanks(struct cur *k)
{
	const char *s = k->p;

	while (k->p < k->end && (*k->p == ' ' || *k->p == '\t'))
		k->p++;
	return (size_t)(k->p - s);
}

extern const bool rl_word_chars[256]; /* letters, digits, '-' and '_' */

/* the next byte continues a word */
static inline bool rl_word_char(const struct cur *k)
{
	return k->p < k->end && rl_word_chars[(unsigned char)*k->p];
}

/* the next byte is a space or a tab */
static inline bool rl_at_blank(const struct cur *k)
{
	return k->p < k->end && (*k->p == ' ' || *k->p == '\t');
}

/*
 * Scanners: 1 = a token was consumed into *ret, 0 = no such token here
 * (nothing consumed), -1 = error recorded.
 */
int rl_parse_string(struct pctx *c, struct cur *k, struct strval *ret); /* "..." (arena copy) */
int rl_parse_id(struct pctx *c, struct cur *k, struct idval *ret);	/* vvvv:pppp */
int rl_parse_iface(struct pctx *c, struct cur *k, struct ifval *ret);	/* cc:ss:pp */

/* HH:MM[:SS] (trailing text ignored) as seconds of the day; false if malformed. */
bool rl_daytime(const char *s, const char *end, uint32_t *ret);
/* HH:MM:SS, HH:MM or seconds (trailing text ignored); false if malformed. */
bool rl_duration(const char *s, const char *end, uint32_t *ret);
/* ISO 8601 time with zone to epoch seconds; -1 if good, else the offset of the first bad byte. */
int rl_parse_iso(const struct strval *v, int64_t *ret);

#endif
