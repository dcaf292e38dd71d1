// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_index.c - the candidate index of a ruleset (see rules_index.h).
 *
 * Keys are 64-bit: a tag for the attribute in the top byte, and below it the
 * value (an id, an interface class or pair of classes) or a hash of the
 * string value. Every rule is listed under the values of one attribute only,
 * the first of these that constrains it (most selective first):
 *
 *   hash, serial (non-empty values), id, parent-hash, name, via-port,
 *   with-interface, with-connect-type
 *
 * An attribute constrains a rule when every device the rule matches must
 * have, for that attribute, one of a finite set of values:
 *   equals or equals-ordered with one value, all-of: the device has that
 *     value (all-of: any one of the values; the first, or for ids the most
 *     specific, is used);
 *   one-of, and match-all for attributes a device always has exactly one of:
 *     the device has one of the values (the rule is listed under each);
 *   none-of, and match-all where the device may have no value (parent-hash,
 *     interfaces), never constrain: they match devices without the value.
 * Ids: *:* constrains nothing, VVVV:* is a vendor key, VVVV:PPPP an id key.
 * Interfaces are keyed by class: one-of lists the rule under each value's
 * class; all-of, equals and equals-ordered need every class named, so the
 * rule is listed under its lowest class, or under the pair of its two lowest
 * classes when it names two or more. A device looks up each of its classes
 * and each pair of them (or, past RULES_PAIR_CLASSES_MAX classes, walks the
 * whole pair-keyed list).
 *
 * Hash collisions only add candidates, which the judge evaluates in full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_index.h"

enum ktag {
	K_HASH = 1,
	K_SERIAL,
	K_ID,
	K_VENDOR,
	K_PHASH,
	K_NAME,
	K_PORT,
	K_IF1,
	K_IF2,
	K_CTYPE,
};

#define KEY(tag, v) ((uint64_t)(tag) << 56 | ((v) & ((1ull << 56) - 1)))

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t str_hash(const char *s, uint32_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x87c37b91114253d5ull;
		h ^= h >> 31;
		s += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, s, len);
	return mix(h ^ w);
}

static uint64_t str_key(enum rule_attr k, const struct strval *v)
{
	static const uint8_t tag[A_COUNT] = {
	    [A_SERIAL] = K_SERIAL,     [A_NAME] = K_NAME,     [A_HASH] = K_HASH,
	    [A_PARENT_HASH] = K_PHASH, [A_VIA_PORT] = K_PORT, [A_CONN_TYPE] = K_CTYPE,
	};

	return KEY(tag[k], str_hash(v->s, v->len));
}

/* 0 when the id constrains nothing (*:*) */
static uint64_t id_key(const struct idval *v)
{
	if (v->any & ID_ANY_VENDOR)
		return 0;
	if (v->any & ID_ANY_PRODUCT)
		return KEY(K_VENDOR, v->vendor);
	return KEY(K_ID, (uint64_t)v->vendor << 16 | v->product);
}

/* ---- building ---- */

static bool grow_array(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return false;
	nv = rules_mem_realloc(*v, *cap * size, ncap * size);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

struct builder {
	struct rules_index *x;
	bool oom;
};

static void emit(struct builder *b, uint64_t key, uint32_t rule)
{
	struct rules_index *x = b->x;

	if (!grow_array((void **)&x->ent, &x->cap_ent, x->n_ent + 1, sizeof(*x->ent))) {
		b->oom = true;
		return;
	}
	x->ent[x->n_ent++] = (struct rules_entry){.key = key, .rule = rule};
}

enum use { USE_NONE, USE_ONE, USE_EACH };

/* How an attribute's values constrain a device; match_all_ok: the device always has one value. */
static enum use attr_use(const struct attr *a, bool match_all_ok)
{
	if (!a->present || a->n == 0)
		return USE_NONE;
	switch (a->op) {
	case OP_EQUALS:
	case OP_EQUALS_ORDERED:
		return a->n == 1 ? USE_ONE : USE_NONE;
	case OP_ALL_OF:
		return USE_ONE;
	case OP_ONE_OF:
		return USE_EACH;
	case OP_MATCH_ALL:
		return match_all_ok ? USE_EACH : USE_NONE;
	}
	return USE_NONE;
}

static bool keys_str(struct builder *b, const struct mng_rule *r, enum rule_attr k, uint32_t i)
{
	const struct attr *a = rule_attr(r, k);
	const struct strval *v = a->v;
	enum use u = attr_use(a, k != A_PARENT_HASH);
	uint32_t j, n;

	if (u == USE_NONE)
		return false;
	n = u == USE_ONE ? 1 : a->n;
	if (k == A_SERIAL) /* an empty serial is shared by most devices: a poor key */
		for (j = 0; j < n; j++)
			if (v[j].len == 0)
				return false;
	for (j = 0; j < n; j++)
		emit(b, str_key(k, &v[j]), i);
	return true;
}

static bool keys_id(struct builder *b, const struct mng_rule *r, uint32_t i)
{
	const struct attr *a = rule_attr(r, A_ID);
	const struct idval *v = a->v;
	enum use u = attr_use(a, true);
	uint64_t best = 0, key;
	uint32_t j;

	if (u == USE_NONE)
		return false;
	if (u == USE_ONE) {
		/* all-of: each value must match, so the most specific one is a key */
		for (j = 0; j < a->n; j++) {
			key = id_key(&v[j]);
			if (key >> 56 == K_ID || (key && !best))
				best = key;
			if (key >> 56 == K_ID)
				break;
		}
		if (!best)
			return false;
		emit(b, best, i);
		return true;
	}
	for (j = 0; j < a->n; j++)
		if (!id_key(&v[j]))
			return false;
	for (j = 0; j < a->n; j++)
		emit(b, id_key(&v[j]), i);
	return true;
}

static bool keys_iface(struct builder *b, const struct mng_rule *r, uint32_t i, bool *ret_pair)
{
	const struct attr *a = rule_attr(r, A_IFACE);
	const struct ifval *v = a->v;
	unsigned lo = 256, lo2 = 256;
	uint32_t j;

	if (!a->present || a->n == 0 || a->op == OP_NONE_OF || a->op == OP_MATCH_ALL)
		return false;
	if (a->op == OP_ONE_OF) {
		for (j = 0; j < a->n; j++)
			emit(b, KEY(K_IF1, v[j].cls), i);
		return true;
	}
	/* all-of, equals, equals-ordered: the device has every class named */
	for (j = 0; j < a->n; j++) {
		unsigned c = v[j].cls;

		if (c < lo) {
			lo2 = lo;
			lo = c;
		} else if (c != lo && c < lo2) {
			lo2 = c;
		}
	}
	if (lo2 == 256) {
		emit(b, KEY(K_IF1, lo), i);
		return true;
	}
	emit(b, KEY(K_IF2, lo << 8 | lo2), i);
	*ret_pair = true;
	return true;
}

/* List rule i under the keys of its most selective constraining attribute; false: none. */
static bool rule_keys(struct builder *b, const struct mng_rule *r, uint32_t i, bool *ret_pair)
{
	*ret_pair = false;
	return keys_str(b, r, A_HASH, i) || keys_str(b, r, A_SERIAL, i) || keys_id(b, r, i) ||
	       keys_str(b, r, A_PARENT_HASH, i) || keys_str(b, r, A_NAME, i) ||
	       keys_str(b, r, A_VIA_PORT, i) || keys_iface(b, r, i, ret_pair) ||
	       keys_str(b, r, A_CONN_TYPE, i);
}

/* the home slot of key: the high half of its mix scaled to [0, n_slots) */
static uint32_t slot_of(uint64_t key, size_t n_slots)
{
	return (uint32_t)(((mix(key) >> 32) * (uint64_t)n_slots) >> 32);
}

/* linear probing, wrapping at the end of the table */
static uint32_t slot_next(uint32_t s, size_t n_slots)
{
	return s + 1 == n_slots ? 0 : s + 1;
}

static bool push(uint32_t **v, size_t *n, size_t *cap, uint32_t i)
{
	if (!grow_array((void **)v, cap, *n + 1, sizeof(**v)))
		return false;
	(*v)[(*n)++] = i;
	return true;
}

int rules_index_add(struct rules_index *x, const struct mng_rule *r, size_t i)
{
	struct builder b = {.x = x};
	struct rules_index_mark m;
	bool pair, ok = true;

	if (i > UINT32_MAX)
		return -ENOMEM;
	if (r->target == MNG_TARGET_MATCH || r->target == MNG_TARGET_DEVICE)
		return 0; /* never decides, never evaluated */
	rules_index_mark(x, &m);
	if (!rule_keys(&b, r, (uint32_t)i, &pair))
		ok = push(&x->resid, &x->n_resid, &x->cap_resid, (uint32_t)i);
	else if (pair)
		ok = push(&x->pairs, &x->n_pairs, &x->cap_pairs, (uint32_t)i);
	if (b.oom || !ok) {
		rules_index_undo(x, &m);
		return -ENOMEM;
	}
	return 0;
}

void rules_index_mark(const struct rules_index *x, struct rules_index_mark *m)
{
	m->n_ent = x->n_ent;
	m->n_resid = x->n_resid;
	m->n_pairs = x->n_pairs;
}

void rules_index_undo(struct rules_index *x, const struct rules_index_mark *m)
{
	x->n_ent = m->n_ent;
	x->n_resid = m->n_resid;
	x->n_pairs = m->n_pairs;
}

int rules_index_commit(struct rules_index *x)
{
	struct rules_slot *slots;
	uint32_t *post;
	size_t n_slots, i, total, n_post = x->n_ent ? x->n_ent : 1;

	/* load at most 3/4 (short probe runs), and no more room than that */
	if (x->n_ent > UINT32_MAX / 2)
		return -ENOMEM;
	n_slots = x->n_ent + x->n_ent / 3 + 1;
	if (n_slots < 16)
		n_slots = 16;
	slots = rules_mem_alloc(n_slots * sizeof(*slots));
	post = rules_mem_alloc(n_post * sizeof(*post));
	if (!slots || !post) {
		rules_mem_free(slots, n_slots * sizeof(*slots));
		rules_mem_free(post, n_post * sizeof(*post));
		return -ENOMEM;
	}
	for (i = 0; i < x->n_ent; i++) {
		struct rules_entry *e = &x->ent[i];
		uint32_t s = slot_of(e->key, n_slots);

		while (slots[s].key && slots[s].key != e->key)
			s = slot_next(s, n_slots);
		slots[s].key = e->key;
		slots[s].count++;
		e->slot = s;
	}
	for (i = 0, total = 0; i < n_slots; i++) {
		slots[i].start = (uint32_t)total;
		total += slots[i].count;
		slots[i].count = 0; /* counts again as the list fills */
	}
	/* entries come in rule order, so every list is ascending; a repeat of a rule is dropped */
	for (i = 0; i < x->n_ent; i++) {
		const struct rules_entry *e = &x->ent[i];
		struct rules_slot *sl = &slots[e->slot];
		uint32_t *list = post + sl->start;

		if (sl->count && list[sl->count - 1] == e->rule)
			continue;
		list[sl->count++] = e->rule;
	}
	rules_mem_free(x->slots, x->n_slots * sizeof(*x->slots));
	rules_mem_free(x->post, x->n_post * sizeof(*x->post));
	x->slots = slots;
	x->n_slots = n_slots;
	x->post = post;
	x->n_post = n_post;
	return 0;
}

int rules_index_reserve(struct rules_index *x, size_t n_rules)
{
	return grow_array((void **)&x->ent, &x->cap_ent, x->n_ent + n_rules, sizeof(*x->ent))
		   ? 0
		   : -ENOMEM;
}

void rules_index_free(struct rules_index *x)
{
	rules_mem_free(x->ent, x->cap_ent * sizeof(*x->ent));
	rules_mem_free(x->resid, x->cap_resid * sizeof(*x->resid));
	rules_mem_free(x->pairs, x->cap_pairs * sizeof(*x->pairs));
	rules_mem_free(x->slots, x->n_slots * sizeof(*x->slots));
	rules_mem_free(x->post, x->n_post * sizeof(*x->post));
	memset(x, 0, sizeof(*x));
}

/* ---- walking ---- */

static const struct rules_slot *lookup(const struct rules_index *x, uint64_t key)
{
	uint32_t s;

	if (!x->slots)
		return NULL;
	for (s = slot_of(key, x->n_slots); x->slots[s].key; s = slot_next(s, x->n_slots))
		if (x->slots[s].key == key)
			return x->slots[s].count ? &x->slots[s] : NULL;
	return NULL;
}

static void add_list(struct rules_walk *w, const uint32_t *p, uint32_t n)
{
	if (n && w->n < RULES_WALK_LISTS)
		w->heap[w->n++] = (struct rules_cursor){.p = p, .end = p + n};
}

static void add_key(struct rules_walk *w, const struct rules_index *x, uint64_t key)
{
	const struct rules_slot *s = lookup(x, key);

	if (s)
		add_list(w, x->post + s->start, s->count);
}

static void sift_down(struct rules_walk *w, size_t i)
{
	struct rules_cursor c = w->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= w->n)
			break;
		m = l + 1 < w->n && *w->heap[l + 1].p < *w->heap[l].p ? l + 1 : l;
		if (*w->heap[m].p >= *c.p)
			break;
		w->heap[i] = w->heap[m];
		i = m;
	}
	w->heap[i] = c;
}

void rules_walk_begin(struct rules_walk *w, const struct rules_index *x, const struct devview *dv)
{
	static const enum rule_attr str_attrs[] = {A_HASH, A_SERIAL,   A_PARENT_HASH,
						   A_NAME, A_VIA_PORT, A_CONN_TYPE};
	uint64_t seen[4] = {0, 0, 0, 0};
	uint8_t cls[RULES_PAIR_CLASSES_MAX + 1];
	size_t i, j, n_cls = 0;

	w->n = 0;
	w->started = false;
	w->last = 0;
	if (!x->slots)
		return;
	add_list(w, x->resid, x->n_resid);
	for (i = 0; i < MNG_ARRAY_SIZE(str_attrs); i++)
		if (dv->nstr[str_attrs[i]])
			add_key(w, x, str_key(str_attrs[i], &dv->str[str_attrs[i]]));
	add_key(w, x, KEY(K_ID, (uint64_t)dv->id.vendor << 16 | dv->id.product));
	add_key(w, x, KEY(K_VENDOR, dv->id.vendor));
	for (i = 0; i < dv->n_ifaces; i++) {
		uint8_t c = dv->ifaces[i].cls;

		if (seen[c >> 6] & 1ull << (c & 63))
			continue;
		seen[c >> 6] |= 1ull << (c & 63);
		add_key(w, x, KEY(K_IF1, c));
		if (n_cls <= RULES_PAIR_CLASSES_MAX)
			cls[n_cls] = c;
		n_cls++;
	}
	if (n_cls > RULES_PAIR_CLASSES_MAX) {
		add_list(w, x->pairs, x->n_pairs);
	} else if (x->n_pairs) {
		for (i = 0; i < n_cls; i++)
			for (j = i + 1; j < n_cls; j++) {
				unsigned a = cls[i] < cls[j] ? cls[i] : cls[j];
				unsigned b = cls[i] < cls[j] ? cls[j] : cls[i];

				add_key(w, x, KEY(K_IF2, a << 8 | b));
			}
	}
	for (i = w->n / 2; i-- > 0;)
		sift_down(w, i);
}

bool rules_walk_next(struct rules_walk *w, size_t *ret_i)
{
	while (w->n) {
		uint32_t v = *w->heap[0].p++;

		if (w->heap[0].p == w->heap[0].end)
			w->heap[0] = w->heap[--w->n];
		if (w->n)
			sift_down(w, 0);
		if (w->started && v == w->last)
			continue; /* the rule is in more than one of the device's lists */
		w->started = true;
		w->last = v;
		*ret_i = v;
		return true;
	}
	return false;
}
