// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_eval.c - judging a device against a ruleset.
 *
 * Set operators follow USBGuard's definitions (the rule's values are the
 * source set, the device's values the target set):
 *   all-of          every rule value matches some device value
 *   one-of          some rule value matches some device value
 *   none-of         no rule value matches any device value
 *   equals          same number of values, and all-of   (the default)
 *   equals-ordered  same number of values, value i matches value i
 *   match-all       every device value is matched by some rule value
 * An attribute the rule does not name matches everything.
 *
 * mng_ruleset_judge() tries only the rules the index (rules_index.c) gives
 * for the device, in file order; rules_judge_linear() tries every rule and
 * is the reference the tests hold it to. Both go through try_rule(), so a
 * rule the index passes over is exactly one whose attributes cannot match:
 * the linear judge would pass over it too, without touching its state.
 *
 * MUST: the verdict starts as BLOCK and only a matching allow rule changes
 *       it to ALLOW; every error returns a BLOCK verdict.
 * MUST: judging allocates nothing and reads device strings only up to
 *       their MNG_DEV_STR_MAX caps.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rules_index.h"

void rules_devview_init(struct devview *dv, const struct mng_device *dev)
{
	static const struct {
		int attr;
		size_t off, max;
	} f[] = {
	    {A_SERIAL, offsetof(struct mng_device, serial), MNG_DEV_STR_MAX},
	    {A_NAME, offsetof(struct mng_device, name), MNG_DEV_STR_MAX},
	    {A_HASH, offsetof(struct mng_device, hash), MNG_DEV_HASH_LEN + 1},
	    {A_PARENT_HASH, offsetof(struct mng_device, parent_hash), MNG_DEV_HASH_LEN + 1},
	    {A_VIA_PORT, offsetof(struct mng_device, port), MNG_DEV_STR_MAX},
	    {A_CONN_TYPE, offsetof(struct mng_device, connect_type), 32},
	};
	size_t i;

	dv->id.vendor = dev->vendor;
	dv->id.product = dev->product;
	dv->id.any = 0;
	for (i = 0; i < MNG_ARRAY_SIZE(f); i++) {
		const char *s = (const char *)dev + f[i].off;

		dv->str[f[i].attr].s = s;
		dv->str[f[i].attr].len = (uint32_t)strnlen(s, f[i].max);
		dv->nstr[f[i].attr] = 1;
	}
	/* USBGuard leaves parent-hash out of the device rule when it is empty */
	if (dv->str[A_PARENT_HASH].len == 0)
		dv->nstr[A_PARENT_HASH] = 0;
	dv->ifaces = dev->ifaces;
	dv->n_ifaces = (uint32_t)dev->n_ifaces;
}

/* Does rule value si of attribute k match device value ti? */
static bool sub(enum rule_attr k, const struct attr *a, uint32_t si, const struct devview *dv,
		uint32_t ti)
{
	switch (k) {
	case A_ID: {
		const struct idval *s = &((const struct idval *)a->v)[si];

		if (s->any & ID_ANY_VENDOR)
			return true;
		if (s->vendor != dv->id.vendor)
			return false;
		return (s->any & ID_ANY_PRODUCT) || s->product == dv->id.product;
	}
	case A_IFACE: {
		const struct ifval *s = &((const struct ifval *)a->v)[si];
		const struct mng_iface *t = &dv->ifaces[ti];

		return s->cls == t->cls && (!(s->mask & IF_SUBCLASS) || s->sub == t->subcls) &&
		       (!(s->mask & IF_PROTO) || s->proto == t->proto);
	}
	default: {
		const struct strval *s = &((const struct strval *)a->v)[si];
		const struct strval *t = &dv->str[k];

		return s->len == t->len && !memcmp(s->s, t->s, s->len);
	}
	}
}

static bool any_source(enum rule_attr k, const struct attr *a, const struct devview *dv,
		       uint32_t ti)
{
	uint32_t si;

	for (si = 0; si < a->n; si++)
		if (sub(k, a, si, dv, ti))
			return true;
	return false;
}

static bool any_target(enum rule_attr k, const struct attr *a, uint32_t si,
		       const struct devview *dv, uint32_t nt)
{
	uint32_t ti;

	for (ti = 0; ti < nt; ti++)
		if (sub(k, a, si, dv, ti))
			return true;
	return false;
}

static bool attr_match(enum rule_attr k, const struct attr *a, const struct devview *dv)
{
	uint32_t nt, i;

	if (!a->present || a->n == 0)
		return true;
	nt = k == A_ID ? 1 : k == A_IFACE ? dv->n_ifaces : dv->nstr[k];
	switch (a->op) {
	case OP_EQUALS:
		if (a->n != nt)
			return false;
		/* fall through */
	case OP_ALL_OF:
		for (i = 0; i < a->n; i++)
			if (!any_target(k, a, i, dv, nt))
				return false;
		return true;
	case OP_ONE_OF:
		for (i = 0; i < a->n; i++)
			if (any_target(k, a, i, dv, nt))
				return true;
		return false;
	case OP_NONE_OF:
		for (i = 0; i < a->n; i++)
			if (any_target(k, a, i, dv, nt))
				return false;
		return true;
	case OP_EQUALS_ORDERED:
		if (a->n != nt)
			return false;
		for (i = 0; i < a->n; i++)
			if (!sub(k, a, i, dv, i))
				return false;
		return true;
	case OP_MATCH_ALL:
		for (i = 0; i < nt; i++)
			if (!any_source(k, a, dv, i))
				return false;
		return true;
	}
	return false;
}

static bool attrs_match(const struct mng_rule *r, const struct devview *dv)
{
	static const enum rule_attr order[] = {A_ID,	      A_IFACE,	A_VIA_PORT, A_HASH,
					       A_PARENT_HASH, A_SERIAL, A_NAME,	    A_CONN_TYPE};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(order); i++)
		if (!attr_match(order[i], rule_attr(r, order[i]), dv))
			return false;
	return true;
}

bool rules_attrs_match(const struct mng_rule *r, const struct mng_device *dev)
{
	struct devview dv;

	rules_devview_init(&dv, dev);
	return attrs_match(r, &dv);
}

/*
 * Pre-compute the interface-class rejection checked before the full match:
 * a device can only satisfy all-of/equals/equals-ordered when it has every
 * class the rule names, and one-of when it has one of them.
 */
void rules_prefilter(struct mng_rule *r)
{
	const struct attr *fi = rule_attr(r, A_IFACE);
	uint64_t bloom = 0;
	uint32_t i;

	for (i = 0; fi->present && i < fi->n; i++)
		bloom |= 1ull << (((const struct ifval *)fi->v)[i].cls & 63);
	r->if_all = r->if_any = 0;
	if (fi->present && fi->n) {
		if (fi->op == OP_ONE_OF)
			r->if_any = bloom;
		else if (fi->op != OP_NONE_OF && fi->op != OP_MATCH_ALL)
			r->if_all = bloom;
	}
}

static bool name_eq(const struct strval *want, const char *have)
{
	size_t n;

	if (!have)
		return false;
	n = strnlen(have, (size_t)want->len + 1);
	return n == want->len && !memcmp(want->s, have, n);
}

static int cond_eval(const struct mng_rule *r, const struct cond *cd,
		     const struct mng_judge_ctx *ctx, bool *ret)
{
	bool v = false;
	size_t i;

	switch (cd->kind) {
	case C_TRUE:
		v = true;
		break;
	case C_FALSE:
		v = false;
		break;
	case C_LOCALTIME: {
		struct tm tm;
		uint32_t t;

		if (!localtime_r(&ctx->now, &tm))
			return -EINVAL;
		t = (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
		v = t >= cd->u.lt.begin && t <= cd->u.lt.end;
		break;
	}
	case C_ALLOWED_MATCHES:
		for (i = 0; i < ctx->n_allowed && !v; i++)
			if (ctx->allowed[i] && rules_attrs_match(cd->u.query, ctx->allowed[i]))
				v = true;
		break;
	case C_RULE_APPLIED:
	case C_RULE_EVALUATED: {
		/* every rule with these conditions has an extra part (rules_parse.c) */
		const struct rule_extra *x = r->x;
		bool seen = false;
		time_t last = 0;

		if (x && cd->kind == C_RULE_APPLIED) {
			seen = x->applied;
			last = x->last_applied;
		} else if (x) {
			seen = x->evaluated;
			last = x->last_evaluated;
		}
		v = seen && (cd->u.secs == 0 || ctx->now <= last ||
			     (uint64_t)(ctx->now - last) <= cd->u.secs);
		break;
	}
	case C_RANDOM: {
		uint64_t x;

		if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x))
			return -EIO;
		v = (double)(x >> 11) * (1.0 / 9007199254740992.0) < cd->u.p;
		break;
	}
	case C_USER:
		v = name_eq(&cd->u.who, ctx->user);
		break;
	case C_GROUP:
		if (ctx->user && ctx->groups)
			for (i = 0; i < ctx->n_groups && !v; i++)
				v = name_eq(&cd->u.who, ctx->groups[i]);
		break;
	default:
		return -EINVAL;
	}
	*ret = cd->negated ? !v : v;
	return 0;
}

/* All conditions are evaluated (as USBGuard does), then combined by the operator. */
int rules_conds_meet(const struct mng_rule *r, const struct mng_judge_ctx *ctx, bool *ret)
{
	const struct attr *a = rule_attr(r, A_CONDS);
	uint32_t i, n_true = 0;
	int rc;

	for (i = 0; i < a->n; i++) {
		bool v;

		rc = cond_eval(r, &((const struct cond *)a->v)[i], ctx, &v);
		if (rc < 0)
			return rc;
		n_true += v;
	}
	switch (a->op) {
	case OP_ONE_OF:
		*ret = n_true > 0;
		break;
	case OP_NONE_OF:
		*ret = n_true == 0;
		break;
	default:
		*ret = n_true == a->n;
		break;
	}
	return 0;
}

static void verdict_block(struct mng_verdict *v, size_t n_ifaces)
{
	memset(v, 0, sizeof(*v));
	v->target = MNG_TARGET_BLOCK;
	v->n_ifaces = n_ifaces;
}

static void decide(const struct mng_rule *r, const struct mng_device *dev, const struct devview *dv,
		   struct mng_verdict *v)
{
	const struct attr *ai = rule_attr(r, A_ALLOW_IFACE), *al = rule_attr(r, A_LABEL);
	size_t i;

	v->file = r->file;
	v->line = r->line;
	v->ticket = rule_ticket(r) ? rule_ticket(r)->s : NULL;
	v->label = al->present && al->n ? ((const struct strval *)al->v)[0].s : NULL;
	if (r->target == MNG_TARGET_REJECT) {
		v->target = MNG_TARGET_REJECT;
		return;
	}
	if (r->target != MNG_TARGET_ALLOW || !dev->descriptors_ok)
		return; /* block; a device we could not read is never allowed */
	v->target = MNG_TARGET_ALLOW;
	v->read_only = r->read_only;
	for (i = 0; i < dev->n_ifaces; i++)
		v->iface_allowed[i] = !ai->present || any_source(A_IFACE, ai, dv, (uint32_t)i);
}

/*
 * Try one rule: 1 when it decides (*ret filled), 0 when judging goes on,
 * negative on error. Rules with target match or device are passed over
 * without being evaluated; a rule whose attributes match has its conditions
 * evaluated (and rule-evaluated recorded); one whose conditions hold too is
 * applied.
 */
static int try_rule(struct mng_rule *r, const struct mng_device *dev, const struct devview *dv,
		    uint64_t devbloom, const struct mng_judge_ctx *ctx, struct mng_verdict *ret)
{
	bool ok = true;
	int rc;

	if (r->target == MNG_TARGET_MATCH || r->target == MNG_TARGET_DEVICE)
		return 0;
	if ((r->if_all & ~devbloom) || (r->if_any && !(r->if_any & devbloom)))
		return 0;
	if (rule_has_expires(r) && (int64_t)ctx->now >= r->x->expires)
		return 0;
	if (!attrs_match(r, dv))
		return 0;
	if (r->attrs & (1u << A_CONDS)) {
		rc = rules_conds_meet(r, ctx, &ok);
		if (rc < 0)
			return rc;
	}
	/* only a rule with an extra part can have conditions that read this state */
	if (r->x) {
		r->x->evaluated = true;
		r->x->last_evaluated = ctx->now;
	}
	if (!ok)
		return 0;
	if (r->x) {
		r->x->applied = true;
		r->x->last_applied = ctx->now;
	}
	decide(r, dev, dv, ret);
	return 1;
}

/* Check the arguments, start a BLOCK verdict and view the device; 0 or -EINVAL. */
static int judge_begin(const struct mng_ruleset *rs, const struct mng_device *dev,
		       const struct mng_judge_ctx *ctx, struct mng_verdict *ret, struct devview *dv,
		       uint64_t *ret_bloom)
{
	uint64_t bloom = 0;
	size_t i;

	if (!ret)
		return -EINVAL;
	verdict_block(ret, 0);
	if (!rs || !dev || !ctx || dev->n_ifaces > MNG_DEV_IFACE_MAX)
		return -EINVAL;
	ret->n_ifaces = dev->n_ifaces;
	rules_devview_init(dv, dev);
	for (i = 0; i < dev->n_ifaces; i++)
		bloom |= 1ull << (dev->ifaces[i].cls & 63);
	*ret_bloom = bloom;
	return 0;
}

int rules_judge_linear(struct mng_ruleset *rs, const struct mng_device *dev,
		       const struct mng_judge_ctx *ctx, struct mng_verdict *ret)
{
	struct devview dv;
	uint64_t bloom;
	size_t i;
	int rc;

	rc = judge_begin(rs, dev, ctx, ret, &dv, &bloom);
	if (rc < 0)
		return rc;
	for (i = 0; i < rs->n; i++) {
		rc = try_rule(&rs->rules[i], dev, &dv, bloom, ctx, ret);
		if (rc < 0)
			verdict_block(ret, dev->n_ifaces);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

/* The index gives the rules that could match, in file order; each is tried in full. */
int mng_ruleset_judge(struct mng_ruleset *rs, const struct mng_device *dev,
		      const struct mng_judge_ctx *ctx, struct mng_verdict *ret)
{
	struct rules_walk w;
	struct devview dv;
	uint64_t bloom;
	size_t i;
	int rc;

	rc = judge_begin(rs, dev, ctx, ret, &dv, &bloom);
	if (rc < 0)
		return rc;
	rules_walk_begin(&w, &rs->index, &dv);
	while (rules_walk_next(&w, &i)) {
		rc = try_rule(&rs->rules[i], dev, &dv, bloom, ctx, ret);
		if (rc < 0)
			verdict_block(ret, dev->n_ifaces);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}
