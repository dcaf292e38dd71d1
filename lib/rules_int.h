/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules_int.h - internal representation of parsed rules, shared by
 * rules.c (ruleset, arena, formatter), rules_parse.c and rules_eval.c.
 * Nothing here is part of the library's interface.
 */
#ifndef MNG_RULES_INT_H
#define MNG_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rules.h"

/* Set operators. OP_EQUALS is USBGuard's default when none is written. */
enum rule_op {
	OP_EQUALS = 0,
	OP_ALL_OF,
	OP_ONE_OF,
	OP_NONE_OF,
	OP_EQUALS_ORDERED,
	OP_MATCH_ALL,
};

/* Attributes, in the order USBGuard prints them, then ours. */
enum rule_attr {
	A_ID = 0,
	A_SERIAL,
	A_NAME,
	A_HASH,
	A_PARENT_HASH,
	A_VIA_PORT,
	A_IFACE,
	A_CONDS, /* "if" */
	A_CONN_TYPE,
	A_LABEL,
	A_ALLOW_IFACE, /* mnguard: allow-interface */
	A_COUNT,
};

enum val_type { VT_STR, VT_ID, VT_IFACE, VT_COND };

struct strval {
	const char *s; /* NUL-terminated copy; may itself hold NULs */
	uint32_t len;
};

#define ID_ANY_VENDOR 0x1
#define ID_ANY_PRODUCT 0x2
struct idval {
	uint16_t vendor, product;
	uint8_t any;   /* ID_ANY_* */
	char text[10]; /* as written (case kept), for the formatter */
};

#define IF_CLASS 0x1
#define IF_SUBCLASS 0x2
#define IF_PROTO 0x4
struct ifval {
	uint8_t cls, sub, proto, mask;
};

enum cond_kind {
	C_TRUE,
	C_FALSE,
	C_LOCALTIME,
	C_ALLOWED_MATCHES,
	C_RULE_APPLIED,
	C_RULE_EVALUATED,
	C_RANDOM,
	C_USER,
	C_GROUP,
};

struct mng_rule;

struct cond {
	uint8_t kind;
	bool negated;
	struct strval param; /* as written between the parentheses (len 0: none) */
	union {
		struct {
			uint32_t begin, end; /* seconds of the day */
		} lt;
		uint32_t secs;		/* rule-applied/evaluated window, 0 = ever */
		double p;		/* random() probability, 0..1 */
		struct strval who;	/* user()/group() name, unescaped */
		struct mng_rule *query; /* allowed-matches() */
	} u;
};

struct attr {
	uint8_t op; /* enum rule_op */
	bool present;
	uint32_t n;
	void *v; /* struct strval / idval / ifval / cond [n] */
};

/*
 * What few rules have, kept beside the rule only when it has one of them:
 * an expiry, a ticket, or conditions that read the rule's own judge state
 * (rule-applied, rule-evaluated).
 */
struct rule_extra {
	int64_t expires; /* seconds since the epoch, when has_expires */
	struct strval expires_text;
	struct strval ticket; /* s == NULL when none */
	bool has_expires;
	/* judge state, read by rule-applied / rule-evaluated */
	bool applied, evaluated;
	time_t last_applied, last_evaluated;
};

/*
 * One parsed rule, 48 bytes: only the attributes it names are stored (attrv[],
 * in enum rule_attr order, one bit per attribute in attrs); read them with
 * rule_attr(). The arena holds attrv[], the values and x.
 */
struct mng_rule {
	uint8_t target; /* enum mng_target */
	bool has_mode : 1, read_only : 1;
	uint16_t attrs; /* bit 1 << k: attribute k is in attrv[] */
	unsigned line;
	const char *file;
	struct attr *attrv;
	struct rule_extra *x; /* NULL when the rule has none of it */
	/* interface-class pre-filter (bit cls & 63): see rules_prefilter() */
	uint64_t if_all, if_any;
};

_Static_assert(A_COUNT <= 16, "struct mng_rule has 16 attribute bits");

/* attribute k of r; an absent one reads as not present, no values */
static inline const struct attr *rule_attr(const struct mng_rule *r, enum rule_attr k)
{
	static const struct attr none;
	unsigned bit = 1u << k;

	if (!(r->attrs & bit))
		return &none;
	return &r->attrv[__builtin_popcount(r->attrs & (bit - 1))];
}

static inline bool rule_has_expires(const struct mng_rule *r)
{
	return r->x && r->x->has_expires;
}

static inline const struct strval *rule_ticket(const struct mng_rule *r)
{
	return r->x && r->x->ticket.s ? &r->x->ticket : NULL;
}

/* Bump allocator with rollback, owned by the ruleset. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	max_align_t data[];
};
struct arena {
	struct arena_chunk *head;
	size_t hint; /* size of the next chunk, from rules_arena_reserve() */
};
struct arena_mark {
	struct arena_chunk *head;
	size_t used;
};

void *rules_arena_alloc_slow(struct arena *a, size_t size, size_t align);
/* Room for size more bytes in one chunk, allocated when next needed. */
void rules_arena_reserve(struct arena *a, size_t size);
void rules_arena_mark(const struct arena *a, struct arena_mark *m);
void rules_arena_rollback(struct arena *a, const struct arena_mark *m);
void rules_arena_free(struct arena *a);

/* size bytes aligned to align (a power of two, at most 16); NULL when out of memory */
static inline void *rules_arena_alloc(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c = a->head;

	if (c) {
		size_t at = (c->used + align - 1) & ~(align - 1);

		if (at <= c->size && c->size - at >= size) {
			c->used = at + size;
			return (char *)c->data + at;
		}
	}
	return rules_arena_alloc_slow(a, size, align);
}

/* memory for structures (8-byte aligned) and for strings (unaligned) */
#define ARENA_NEW(a, size) rules_arena_alloc((a), (size), 8)
#define ARENA_STR(a, size) rules_arena_alloc((a), (size), 1)

/*
 * Memory for large arrays (rules.c): rules_mem_alloc() gives zeroed memory,
 * rules_mem_realloc() keeps the contents but does not zero what it adds.
 * Blocks of RULES_MEM_BIG bytes or more are mapped on transparent huge
 * pages. The size must be passed back on free.
 */
#define RULES_MEM_BIG (32u * 1024 * 1024)
void *rules_mem_alloc(size_t size);
void *rules_mem_realloc(void *p, size_t old, size_t size);
void rules_mem_free(void *p, size_t size);

/* one slot of the index's hash table: the posting list of one key */
struct rules_slot {
	uint64_t key; /* 0: empty */
	uint32_t start, count;
};

/* one key of one rule */
struct rules_entry {
	uint64_t key;
	uint32_t rule, slot;
};

/* the candidate index (rules_index.c); all zero when empty */
struct rules_index {
	/* what the rules contribute, appended rule by rule as they are parsed */
	struct rules_entry *ent; /* every (key, rule), in rule order */
	size_t n_ent, cap_ent;
	uint32_t *resid; /* rules listed under no key, ascending */
	size_t n_resid, cap_resid;
	uint32_t *pairs; /* rules listed under an interface-class pair, ascending */
	size_t n_pairs, cap_pairs;
	/* the lookup table built from ent by rules_index_commit() */
	struct rules_slot *slots;
	size_t n_slots; /* at least 4/3 of the entries, or 0 */
	uint32_t *post; /* posting lists, each ascending */
	size_t n_post;
};

/*
 * A printer rule (rules_print.c): target, file, line, conditions (attribute
 * A_CONDS only) and the extra part (expires, ticket) in base, so conditions
 * are evaluated by the same code as a device rule's.
 */
struct print_rule {
	struct mng_rule base;
	struct strval queue; /* fnmatch pattern */
	struct strval uri;   /* fnmatch pattern, s == NULL when none */
	bool content_check;
};

/* A clipboard rule (rules_clip.c): conditions, expires and ticket in base, as a printer rule. */
struct clip_rule {
	struct mng_rule base;
	enum mng_clip_action action;
};

struct mng_ruleset {
	struct mng_rule *rules;
	size_t n, cap;
	struct arena arena;
	struct rules_index index;  /* covers rules [0, n) */
	struct print_rule *prules; /* printer rules, in file order (malloc'd array) */
	size_t n_prules, cap_prules;
	struct clip_rule *crules; /* clipboard rules, in file order (malloc'd array) */
	size_t n_crules, cap_crules;
};

/* A device as the evaluator sees it: its values per attribute. */
struct devview {
	struct idval id;
	struct strval str[A_COUNT]; /* A_SERIAL .. A_CONN_TYPE */
	uint32_t nstr[A_COUNT];	    /* 1, or 0 for an empty parent hash */
	const struct mng_iface *ifaces;
	uint32_t n_ifaces;
};

/* rules_parse.c: the values of an "if" (a condition or a set of them) into *ret */
struct pctx;
struct cur;
bool rules_parse_conds(struct pctx *c, struct cur *k, struct attr *ret);

/* rules_print.c: parse one "printer ..." line (k at "printer") into the ruleset's next slot */
bool rules_print_parse(struct pctx *c, struct cur *k, size_t slot);

/* rules_clip.c: parse one "clipboard ..." line (k at "clipboard") into the ruleset's next slot */
bool rules_clip_parse(struct pctx *c, struct cur *k, size_t slot);

/* rules_eval.c */
/* evaluate r's conditions (all of them) and combine them by their operator */
int rules_conds_meet(const struct mng_rule *r, const struct mng_judge_ctx *ctx, bool *ret);
void rules_devview_init(struct devview *dv, const struct mng_device *dev);
void rules_prefilter(struct mng_rule *r);
bool rules_attrs_match(const struct mng_rule *r, const struct mng_device *dev);
/*
 * The reference judge: the same contract and result as mng_ruleset_judge(),
 * by trying every rule in order without the index. Kept for the tests that
 * check the index against it.
 */
int rules_judge_linear(struct mng_ruleset *rs, const struct mng_device *dev,
		       const struct mng_judge_ctx *ctx, struct mng_verdict *ret);

#endif
