// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_rules.c - libFuzzer harness for the rule parser and evaluator.
 *
 * Any bytes are parsed as a rules file. When they parse, every rule must
 * format to text that parses back to the same normalised form (the
 * round-trip property), and two fixed devices are judged: the verdict must
 * be one of block, allow or reject, only an allow may authorise an
 * interface, and the indexed judge must agree with the linear reference
 * judge (rules_judge_linear) on a second parse of the same bytes, verdict
 * and per-rule state alike.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixed_devices(struct mng_device *d)
{
	memset(d, 0, 2 * sizeof(*d));
	d[0].vendor = 0x0781;
	d[0].product = 0x5567;
	strcpy(d[0].serial, "4C530001");
	strcpy(d[0].name, "Cruzer Blade");
	strcpy(d[0].port, "1-4");
	strcpy(d[0].connect_type, "hotplug");
	strcpy(d[0].hash, "jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=");
	d[0].descriptors_ok = true;
	d[0].n_ifaces = 2;
	d[0].ifaces[0] = (struct mng_iface){.cls = 3, .subcls = 1, .proto = 1};
	d[0].ifaces[1] = (struct mng_iface){.cls = 8, .subcls = 6, .proto = 0x50};
	d[1].vendor = 0x1d6b;
	d[1].product = 0x0002;
	strcpy(d[1].name, "xHCI Host Controller");
	strcpy(d[1].port, "usb1");
	strcpy(d[1].parent_hash, "rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=");
	d[1].descriptors_ok = true;
	d[1].n_ifaces = 1;
	d[1].ifaces[0] = (struct mng_iface){.cls = 9};
}

static void round_trip(const struct mng_ruleset *rs, size_t i)
{
	static char a[1 << 20], b[1 << 20];
	struct mng_ruleset *again = NULL;
	int n;

	n = mng_ruleset_format(rs, i, a, sizeof(a));
	if (n == -ENOBUFS)
		return; /* a rule of thousands of long values; the cap is the caller's */
	if (n <= 0 || mng_ruleset_new(&again) < 0)
		abort();
	if (mng_ruleset_parse(again, a, (size_t)n, "formatted", NULL) != 1)
		abort();
	if (mng_ruleset_format(again, 0, b, sizeof(b)) != n || memcmp(a, b, (size_t)n))
		abort();
	mng_ruleset_free(&again);
}

/* random(p) would make the two judges differ by chance: make every one certain */
static void fix_random(struct mng_ruleset *rs)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < rs->n; i++) {
		/* the conditions are stored in the ruleset's arena: writable */
		struct attr *a = (struct attr *)rule_attr(&rs->rules[i], A_CONDS);

		for (j = 0; a->present && j < a->n; j++)
			if (((struct cond *)a->v)[j].kind == C_RANDOM)
				((struct cond *)a->v)[j].u.p = (i + j) % 2 ? 1.0 : 0.0;
	}
}

/* the judge state, kept by the rules that have an extra part */
static bool same_state(const struct mng_rule *a, const struct mng_rule *b)
{
	if (!a->x || !b->x)
		return !a->x && !b->x;
	return a->x->applied == b->x->applied && a->x->evaluated == b->x->evaluated &&
	       a->x->last_applied == b->x->last_applied &&
	       a->x->last_evaluated == b->x->last_evaluated;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_verdict(const struct mng_verdict *a, const struct mng_verdict *b)
{
	size_t k;

	if (a->target != b->target || a->line != b->line || !same_str(a->file, b->file) ||
	    !same_str(a->ticket, b->ticket) || !same_str(a->label, b->label) ||
	    a->read_only != b->read_only || a->n_ifaces != b->n_ifaces)
		abort();
	for (k = 0; k < a->n_ifaces; k++)
		if (a->iface_allowed[k] != b->iface_allowed[k])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mng_device dev[2];
	static struct mng_verdict v;
	const struct mng_device *allowed[1];
	const char *groups[] = {"staff"};
	struct mng_judge_ctx ctx = {
	    .now = 1893553445, .user = "taro", .groups = groups, .n_groups = 1};
	struct mng_ruleset *rs = NULL, *ref = NULL;
	struct mng_diags diags = {0};
	struct mng_verdict vref;
	size_t i, k, pass;
	int n, rc, rcref;

	if (mng_ruleset_new(&rs) < 0)
		return 0;
	n = mng_ruleset_parse(rs, (const char *)data, size, "fuzz.rules", &diags);
	if (n < 0 && mng_diags_count(&diags) == 0 && n != -ENOMEM)
		abort(); /* every rejection must say why */
	if (n > 0) {
		for (i = 0; i < mng_ruleset_count(rs) && i < 64; i++)
			round_trip(rs, i);
		fixed_devices(dev);
		allowed[0] = &dev[1];
		ctx.allowed = allowed;
		ctx.n_allowed = 1;
		if (mng_ruleset_new(&ref) < 0 ||
		    mng_ruleset_parse(ref, (const char *)data, size, "fuzz.rules", NULL) != n)
			abort();
		fix_random(rs);
		fix_random(ref);
		for (pass = 0; pass < 4; pass++) {
			i = pass % 2;
			ctx.now += (time_t)pass;
			rc = mng_ruleset_judge(rs, &dev[i], &ctx, &v);
			rcref = rules_judge_linear(ref, &dev[i], &ctx, &vref);
			if (rc != rcref)
				abort();
			same_verdict(&v, &vref);
			for (k = 0; k < rs->n; k++)
				if (!same_state(&rs->rules[k], &ref->rules[k]))
					abort();
			if (rc < 0 && v.target != MNG_TARGET_BLOCK)
				abort();
			if (v.target != MNG_TARGET_BLOCK && v.target != MNG_TARGET_ALLOW &&
			    v.target != MNG_TARGET_REJECT)
				abort();
			for (k = 0; k < dev[i].n_ifaces; k++)
				if (v.iface_allowed[k] && v.target != MNG_TARGET_ALLOW)
					abort();
		}
	}
	mng_diags_clear(&diags);
	mng_ruleset_free(&rs);
	mng_ruleset_free(&ref);
	return 0;
}
