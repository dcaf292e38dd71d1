/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules_index.h - the candidate index of a ruleset (rules_index.c), so that
 * judging a device looks only at the rules that could match it, not at all
 * of them. Internal to the rules module.
 *
 * Each rule that names a finite set of values for one attribute the device
 * must have (a hash, a serial, an exact or vendor-only id, a parent hash, a
 * name, a port, the classes of its interfaces, a connect type) is listed
 * under those values; a rule that names none is listed in a residual list.
 * Judging looks up the device's own values and walks the union of the lists
 * in ascending rule order.
 *
 * MUST: every rule that could match a device is among the candidates the
 *       walk returns for it (a superset is allowed: candidates are fully
 *       evaluated); rules with target match or device, which never decide,
 *       are not listed at all.
 * MUST: candidates come in strictly ascending rule order, each once, so the
 *       first match in file order and the per-rule judge state are exactly
 *       those of a linear scan (rules_judge_linear()).
 * MUST: the table is rebuilt only when a whole parse succeeded
 *       (rules_index_commit), so it always covers exactly rules [0, n).
 * MUST: walking allocates nothing and is bounded by the device's capped
 *       interface list and the ruleset's size.
 */
#ifndef MNG_RULES_INDEX_H
#define MNG_RULES_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules_int.h"

/*
 * A device with more distinct interface classes than this does not look up
 * every pair of them; it walks the whole list of pair-keyed rules instead.
 */
#define RULES_PAIR_CLASSES_MAX 12

/* lists one device can hit: 9 value keys, each interface class, the pairs, residual, pair list */
#define RULES_WALK_LISTS (9 + 256 + RULES_PAIR_CLASSES_MAX * (RULES_PAIR_CLASSES_MAX - 1) / 2 + 2)

struct rules_cursor {
	const uint32_t *p, *end;
};

/* the state of one walk; lives on the judge's stack */
struct rules_walk {
	struct rules_cursor heap[RULES_WALK_LISTS];
	size_t n;
	uint32_t last;
	bool started;
};

/* the lengths of the appended parts, to undo a failed parse */
struct rules_index_mark {
	size_t n_ent, n_resid, n_pairs;
};

/*
 * rules_index_add - list rule r, which is rule number i of the ruleset and
 * comes after every rule added before, under its keys. The lookup table is
 * not updated until rules_index_commit(). Returns 0 or -ENOMEM.
 */
int rules_index_add(struct rules_index *x, const struct mng_rule *r, size_t i);

/* rules_index_reserve - room for the keys of about n_rules more rules. Returns 0 or -ENOMEM. */
int rules_index_reserve(struct rules_index *x, size_t n_rules);

/* rules_index_mark / rules_index_undo - forget the rules added after the mark. */
void rules_index_mark(const struct rules_index *x, struct rules_index_mark *m);
void rules_index_undo(struct rules_index *x, const struct rules_index_mark *m);

/*
 * rules_index_commit - rebuild the lookup table from every rule added.
 * Returns 0, or -ENOMEM with the previous table still in place.
 */
int rules_index_commit(struct rules_index *x);

/* rules_index_free - release what x holds and zero it; accepts an empty index. */
void rules_index_free(struct rules_index *x);

/* rules_walk_begin - start a walk over the candidates in x for the device seen as dv. */
void rules_walk_begin(struct rules_walk *w, const struct rules_index *x, const struct devview *dv);

/* rules_walk_next - the next candidate rule index in ascending order; false when done. */
bool rules_walk_next(struct rules_walk *w, size_t *ret_i);

#endif
