// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules.c - ruleset lifetime, its arena, and the rule formatter.
 *
 * Rules live in one array; their strings and value lists live in an arena
 * (a few large chunks, the first sized from the input), so a ruleset of
 * 100,000 rules costs a handful of allocations and is freed in one sweep.
 *
 * MUST: the formatter writes USBGuard's normalised form, so that its output
 *       parses back to the same rule (checked by the fuzz harness).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rules_index.h"

#define CHUNK_MIN (64u * 1024)
#define HUGE_SIZE (2u * 1024 * 1024)

/*
 * Memory that the parser reserves from the size of its input but never
 * touches costs nothing: malloc maps large blocks on their own, and their
 * pages become resident only when written. So nothing here writes memory
 * ahead of use (a grown block is not zeroed).
 *
 * Blocks of RULES_MEM_BIG or more are mapped directly on transparent huge
 * pages, which saves page faults while filling them; but every huge page is
 * resident whole, so the last, partly used one of each block costs up to
 * 2 MiB. Measured on a 2-CPU VM (bench_rules), parsing 10,000 and 50,000
 * rules took no less time with huge pages for blocks from 2 MiB than
 * without, and held up to 2 MiB more per block; so they are kept for blocks
 * of 32 MiB or more (files of well over 50,000 rules), where that rounding
 * is a few percent.
 */
static size_t big_span(size_t size)
{
	return (size + HUGE_SIZE - 1) & ~(size_t)(HUGE_SIZE - 1);
}

void *rules_mem_alloc(size_t size)
{
	size_t span;
	char *p, *a;

	if (size < RULES_MEM_BIG)
		return calloc(1, size ? size : 1);
	span = big_span(size);
	if (span < size || span + HUGE_SIZE < span)
		return NULL;
	/* map one huge page more and trim, so that the block starts on a huge page */
	p = mmap(NULL, span + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1));
	if (a > p)
		(void)munmap(p, (size_t)(a - p));
	if (a + span < p + span + HUGE_SIZE)
		(void)munmap(a + span, (size_t)(p + span + HUGE_SIZE - (a + span)));
	(void)madvise(a, span, MADV_HUGEPAGE);
	return a;
}

void rules_mem_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < RULES_MEM_BIG)
		free(p);
	else
		(void)munmap(p, big_span(size));
}

void *rules_mem_realloc(void *p, size_t old, size_t size)
{
	void *n;

	if (size < RULES_MEM_BIG && old < RULES_MEM_BIG)
		return realloc(p, size ? size : 1);
	if (size >= RULES_MEM_BIG && old >= RULES_MEM_BIG && big_span(size) == big_span(old))
		return p;
	n = rules_mem_alloc(size);
	if (!n)
		return NULL;
	if (p)
		memcpy(n, p, old < size ? old : size);
	rules_mem_free(p, old);
	return n;
}

void *rules_arena_alloc_slow(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c;
	size_t csize = size + align;

	if (csize < size || csize > SIZE_MAX / 2)
		return NULL;
	if (csize < CHUNK_MIN)
		csize = CHUNK_MIN;
	if (a->hint > csize)
		csize = a->hint;
	a->hint = 0;
	/* small chunks need not be zeroed */
	c = sizeof(*c) + csize < RULES_MEM_BIG ? malloc(sizeof(*c) + csize)
					       : rules_mem_alloc(sizeof(*c) + csize);
	if (!c)
		return NULL;
	c->size = csize;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	return rules_arena_alloc(a, size, align);
}

void rules_arena_reserve(struct arena *a, size_t size)
{
	if (!a->head || a->head->size - a->head->used < size)
		a->hint = size;
}

void rules_arena_mark(const struct arena *a, struct arena_mark *m)
{
	m->head = a->head;
	m->used = a->head ? a->head->used : 0;
}

void rules_arena_rollback(struct arena *a, const struct arena_mark *m)
{
	while (a->head && a->head != m->head) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		rules_mem_free(c, sizeof(*c) + c->size);
	}
	if (a->head)
		a->head->used = m->used;
	a->hint = 0;
}

void rules_arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		rules_mem_free(c, sizeof(*c) + c->size);
	}
}

int mng_ruleset_new(struct mng_ruleset **ret)
{
	struct mng_ruleset *rs;

	if (!ret)
		return -EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	*ret = rs;
	return 0;
}

size_t mng_ruleset_count(const struct mng_ruleset *rs)
{
	return rs ? rs->n : 0;
}

void mng_ruleset_free(struct mng_ruleset **rs)
{
	if (!rs || !*rs)
		return;
	rules_mem_free((*rs)->rules, (*rs)->cap * sizeof(struct mng_rule));
	rules_index_free(&(*rs)->index);
	free((*rs)->prules);
	free((*rs)->crules);
	rules_arena_free(&(*rs)->arena);
	free(*rs);
	*rs = NULL;
}

int mng_ruleset_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
			 unsigned *ret_line)
{
	if (!rs || i >= rs->n)
		return -EINVAL;
	if (ret_file)
		*ret_file = rs->rules[i].file;
	if (ret_line)
		*ret_line = rs->rules[i].line;
	return 0;
}

/* ---- formatter ---- */

struct out {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow)
		return;
	if (o->size == 0 || n >= o->size - o->len) {
		size_t room = o->size > o->len ? o->size - o->len - 1 : 0;

		if (room)
			memcpy(o->buf + o->len, s, room);
		o->len += room;
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* USBGuard's escaping: \" and \\, printable ASCII as is, every other byte as \xHH. */
static void put_quoted(struct out *o, const struct strval *v)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t i;

	put(o, "\"", 1);
	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];
		char e[4];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			put(o, e, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			put(o, (const char *)&c, 1);
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			put(o, e, 4);
		}
	}
	put(o, "\"", 1);
}

static void put_iface(struct out *o, const struct ifval *f)
{
	char b[16];

	if (!(f->mask & IF_SUBCLASS))
		snprintf(b, sizeof(b), "%02x:*:*", f->cls);
	else if (!(f->mask & IF_PROTO))
		snprintf(b, sizeof(b), "%02x:%02x:*", f->cls, f->sub);
	else
		snprintf(b, sizeof(b), "%02x:%02x:%02x", f->cls, f->sub, f->proto);
	puts_(o, b);
}

static const char *const cond_names[] = {
    [C_TRUE] = "true",
    [C_FALSE] = "false",
    [C_LOCALTIME] = "localtime",
    [C_ALLOWED_MATCHES] = "allowed-matches",
    [C_RULE_APPLIED] = "rule-applied",
    [C_RULE_EVALUATED] = "rule-evaluated",
    [C_RANDOM] = "random",
    [C_USER] = "user",
    [C_GROUP] = "group",
};

static void put_cond(struct out *o, const struct cond *c)
{
	if (c->negated)
		put(o, "!", 1);
	puts_(o, cond_names[c->kind]);
	if (c->kind == C_USER || c->kind == C_GROUP) {
		put(o, "(", 1);
		put_quoted(o, &c->u.who);
		put(o, ")", 1);
	} else if (c->param.len && c->kind != C_TRUE && c->kind != C_FALSE) {
		put(o, "(", 1);
		put(o, c->param.s, c->param.len);
		put(o, ")", 1);
	}
}

static const char *const op_names[] = {
    [OP_EQUALS] = "equals",
    [OP_ALL_OF] = "all-of",
    [OP_ONE_OF] = "one-of",
    [OP_NONE_OF] = "none-of",
    [OP_EQUALS_ORDERED] = "equals-ordered",
    [OP_MATCH_ALL] = "match-all",
};

static const char *const attr_names[] = {
    [A_ID] = "id",
    [A_SERIAL] = "serial",
    [A_NAME] = "name",
    [A_HASH] = "hash",
    [A_PARENT_HASH] = "parent-hash",
    [A_VIA_PORT] = "via-port",
    [A_IFACE] = "with-interface",
    [A_CONDS] = "if",
    [A_CONN_TYPE] = "with-connect-type",
    [A_LABEL] = "label",
    [A_ALLOW_IFACE] = "allow-interface",
};

static void put_value(struct out *o, enum rule_attr k, const struct attr *a, uint32_t i)
{
	switch (k) {
	case A_ID:
		puts_(o, ((const struct idval *)a->v)[i].text);
		break;
	case A_IFACE:
	case A_ALLOW_IFACE:
		put_iface(o, &((const struct ifval *)a->v)[i]);
		break;
	case A_CONDS:
		put_cond(o, &((const struct cond *)a->v)[i]);
		break;
	default:
		put_quoted(o, &((const struct strval *)a->v)[i]);
		break;
	}
}

static void put_attr(struct out *o, enum rule_attr k, const struct attr *a)
{
	bool set_form = a->n > 1 || a->op != OP_EQUALS;
	uint32_t i;

	if (!a->present || a->n == 0)
		return;
	put(o, " ", 1);
	puts_(o, attr_names[k]);
	put(o, " ", 1);
	if (set_form) {
		if (a->op != OP_EQUALS) {
			puts_(o, op_names[a->op]);
			put(o, " ", 1);
		}
		put(o, "{ ", 2);
	}
	for (i = 0; i < a->n; i++) {
		put_value(o, k, a, i);
		if (set_form)
			put(o, " ", 1);
	}
	if (set_form)
		put(o, "}", 1);
}

static const char *const target_names[] = {
    [MNG_TARGET_BLOCK] = "block", [MNG_TARGET_ALLOW] = "allow",	  [MNG_TARGET_REJECT] = "reject",
    [MNG_TARGET_MATCH] = "match", [MNG_TARGET_DEVICE] = "device",
};

int mng_ruleset_printer_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};
	const struct print_rule *pr;

	if (!rs || i >= rs->n_prules || (!buf && size))
		return -EINVAL;
	pr = &rs->prules[i];
	puts_(&o, pr->base.target == MNG_TARGET_ALLOW ? "printer allow " : "printer block ");
	put_quoted(&o, &pr->queue);
	if (pr->uri.s) {
		puts_(&o, " uri ");
		put_quoted(&o, &pr->uri);
	}
	if (pr->base.target == MNG_TARGET_ALLOW && !pr->content_check)
		puts_(&o, " content-check off");
	put_attr(&o, A_CONDS, rule_attr(&pr->base, A_CONDS));
	if (rule_has_expires(&pr->base)) {
		puts_(&o, " expires ");
		put_quoted(&o, &pr->base.x->expires_text);
	}
	if (rule_ticket(&pr->base)) {
		puts_(&o, " ticket ");
		put_quoted(&o, rule_ticket(&pr->base));
	}
	if (size)
		buf[o.len] = '\0';
	if (o.overflow)
		return -ENOBUFS;
	return o.len > INT32_MAX ? -ENOBUFS : (int)o.len;
}

int mng_ruleset_clipboard_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};
	const struct clip_rule *cr;

	if (!rs || i >= rs->n_crules || (!buf && size))
		return -EINVAL;
	cr = &rs->crules[i];
	puts_(&o, cr->action == MNG_CLIP_ALLOW	  ? "clipboard allow"
		  : cr->action == MNG_CLIP_REDACT ? "clipboard block content mynumber"
						  : "clipboard block");
	put_attr(&o, A_CONDS, rule_attr(&cr->base, A_CONDS));
	if (rule_has_expires(&cr->base)) {
		puts_(&o, " expires ");
		put_quoted(&o, &cr->base.x->expires_text);
	}
	if (rule_ticket(&cr->base)) {
		puts_(&o, " ticket ");
		put_quoted(&o, rule_ticket(&cr->base));
	}
	if (size)
		buf[o.len] = '\0';
	if (o.overflow)
		return -ENOBUFS;
	return o.len > INT32_MAX ? -ENOBUFS : (int)o.len;
}

int mng_ruleset_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};
	const struct mng_rule *r;
	int k;

	if (!rs || i >= rs->n || (!buf && size))
		return -EINVAL;
	r = &rs->rules[i];
	puts_(&o, target_names[r->target]);
	for (k = 0; k < A_ALLOW_IFACE; k++)
		put_attr(&o, (enum rule_attr)k, rule_attr(r, (enum rule_attr)k));
	if (r->has_mode && r->read_only)
		puts_(&o, " mode ro");
	put_attr(&o, A_ALLOW_IFACE, rule_attr(r, A_ALLOW_IFACE));
	if (rule_has_expires(r)) {
		puts_(&o, " expires ");
		put_quoted(&o, &r->x->expires_text);
	}
	if (rule_ticket(r)) {
		puts_(&o, " ticket ");
		put_quoted(&o, rule_ticket(r));
	}
	if (size)
		buf[o.len] = '\0';
	if (o.overflow)
		return -ENOBUFS;
	return o.len > INT32_MAX ? -ENOBUFS : (int)o.len;
}
