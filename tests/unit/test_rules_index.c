// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules_index.c - the indexed judge against the linear reference judge
 * (rules_judge_linear): many random rulesets and devices, USBGuard's whole
 * test-rules.good and random samples of it, judged in sequences so that the
 * rule-applied / rule-evaluated state must evolve identically; where rules
 * land in the index; the edge cases of each key kind; and that judging
 * allocates nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rules_index.h"
#include "helpers/testdata.h"

#define T0 ((time_t)1893553445) /* 2030-01-02T03:04:05Z */

/* ---- a counting allocator, to show that judging allocates nothing ---- */

#if !defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
#define COUNT_ALLOCS 1
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

static unsigned long n_allocs;

void *malloc(size_t size)
{
	n_allocs++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	n_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	n_allocs++;
	return __libc_realloc(p, size);
}
#endif

/* ---- deterministic randomness (splitmix64) ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

#define PICK(a) ((a)[below(MNG_ARRAY_SIZE(a))])

/* ---- comparing the two judges ---- */

struct pair {
	struct mng_ruleset *idx, *lin; /* the same text parsed twice */
};

/* random(p) with 0 < p < 1 would differ between the two: make every one certain */
static void fix_random(struct mng_ruleset *rs)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < rs->n; i++) {
		/* the conditions live in the ruleset's arena: writable */
		struct attr *a = (struct attr *)rule_attr(&rs->rules[i], A_CONDS);

		for (j = 0; a->present && j < a->n; j++) {
			struct cond *c = &((struct cond *)a->v)[j];

			if (c->kind == C_RANDOM)
				c->u.p = (i + j) % 2 ? 1.0 : 0.0;
		}
	}
}

static int pair_load(struct pair *p, const char *text, size_t len)
{
	struct mng_diags d = {0};
	int r, r2;

	assert_int_equal(mng_ruleset_new(&p->idx), 0);
	assert_int_equal(mng_ruleset_new(&p->lin), 0);
	r = mng_ruleset_parse(p->idx, text, len, "x.rules", &d);
	if (r < 0) {
		mng_diags_print(&d, stderr);
		fail_msg("did not parse:\n%.*s", (int)len, text);
	}
	r2 = mng_ruleset_parse(p->lin, text, len, "x.rules", NULL);
	assert_int_equal(r, r2);
	fix_random(p->idx);
	fix_random(p->lin);
	mng_diags_clear(&d);
	return r;
}

static void pair_free(struct pair *p)
{
	mng_ruleset_free(&p->idx);
	mng_ruleset_free(&p->lin);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static unsigned long n_judged, n_matched, n_matched_late;

/* Judge dev with both; the verdicts must be identical. Returns the deciding line (0: none). */
static unsigned judge_both(struct pair *p, const struct mng_device *dev,
			   const struct mng_judge_ctx *ctx)
{
	struct mng_verdict a, b;
	int ra, rb;
	size_t i;

	ra = mng_ruleset_judge(p->idx, dev, ctx, &a);
	rb = rules_judge_linear(p->lin, dev, ctx, &b);
	assert_int_equal(ra, rb);
	assert_int_equal(a.target, b.target);
	assert_int_equal(a.line, b.line);
	assert_true(same_str(a.file, b.file));
	assert_true(same_str(a.ticket, b.ticket));
	assert_true(same_str(a.label, b.label));
	assert_int_equal(a.read_only, b.read_only);
	assert_int_equal(a.n_ifaces, b.n_ifaces);
	for (i = 0; i < a.n_ifaces; i++)
		assert_int_equal(a.iface_allowed[i], b.iface_allowed[i]);
	/* the judge state, kept by every rule whose conditions can read it */
	for (i = 0; i < p->idx->n; i++) {
		const struct rule_extra *xa = p->idx->rules[i].x, *xb = p->lin->rules[i].x;

		assert_int_equal(xa != NULL, xb != NULL);
		if (!xa)
			continue;
		assert_int_equal(xa->applied, xb->applied);
		assert_int_equal(xa->evaluated, xb->evaluated);
		assert_int_equal(xa->last_applied, xb->last_applied);
		assert_int_equal(xa->last_evaluated, xb->last_evaluated);
	}
	n_judged++;
	if (a.file) {
		n_matched++;
		if (a.line > 1)
			n_matched_late++;
	}
	return a.file ? a.line : 0;
}

/* ---- random rules and devices over small value pools, so that they meet ---- */

static const char *const ops[] = {"",	     "all-of ",		"one-of ",   "none-of ",
				  "equals ", "equals-ordered ", "match-all "};
static const char *const r_ids[] = {"0781:5567", "0781:*",    "046d:c31c", "046d:*",
				    "*:*",	 "1d6b:0002", "abcd:0001", "1d6b:*"};
static const char *const r_serials[] = {"\"\"", "\"S1\"", "\"S2\""};
static const char *const r_names[] = {"\"Stick\"", "\"Kbd\"", "\"Hub\""};
static const char *const r_hashes[] = {"\"h1\"", "\"h2\"", "\"h3\""};
static const char *const r_phashes[] = {"\"\"", "\"p1\"", "\"p2\""};
static const char *const r_ports[] = {"\"1-1\"", "\"1-2\"", "\"2-1\""};
static const char *const r_ctypes[] = {"\"hotplug\"", "\"hardwired\"", "\"\""};
static const char *const r_ifaces[] = {"03:01:01", "03:*:*",   "03:00:*", "08:06:50",
				       "08:*:*",   "09:00:00", "09:*:*",  "0e:01:00",
				       "ff:ff:ff", "01:*:*",   "40:*:*",  "c3:*:*"};
static const char *const r_conds[] = {
    "true",
    "false",
    "!true",
    "rule-applied",
    "!rule-applied",
    "rule-applied(10)",
    "rule-evaluated",
    "!rule-evaluated(5)",
    "random(0)",
    "random(1)",
    "user(\"taro\")",
    "!group(\"staff\")",
    "localtime(00:00-23:59)",
    "allowed-matches(id 046d:*)",
    "!allowed-matches(name \"Hub\")",
};

static size_t put_values(char *b, const char *word, const char *const *pool, size_t n_pool)
{
	size_t len = (size_t)sprintf(b, " %s ", word);
	unsigned n, i;

	if (below(3) == 0)
		return len + (size_t)sprintf(b + len, "%s", pool[below((unsigned)n_pool)]);
	len += (size_t)sprintf(b + len, "%s{", PICK(ops));
	n = 1 + below(3);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(b + len, " %s", pool[below((unsigned)n_pool)]);
	return len + (size_t)sprintf(b + len, " }");
}

#define VALUES(b, word, pool) put_values(b, word, pool, MNG_ARRAY_SIZE(pool))

static size_t random_rule(char *b)
{
	static const char *const targets[] = {"allow",	"allow", "allow", "block",
					      "reject", "match", "device"};
	const char *t = PICK(targets);
	size_t len = (size_t)sprintf(b, "%s", t);

	if (below(2))
		len += VALUES(b + len, "id", r_ids);
	if (below(4) == 0)
		len += VALUES(b + len, "serial", r_serials);
	if (below(4) == 0)
		len += VALUES(b + len, "name", r_names);
	if (below(4) == 0)
		len += VALUES(b + len, "hash", r_hashes);
	if (below(5) == 0)
		len += VALUES(b + len, "parent-hash", r_phashes);
	if (below(5) == 0)
		len += VALUES(b + len, "via-port", r_ports);
	if (below(2))
		len += VALUES(b + len, "with-interface", r_ifaces);
	if (below(6) == 0)
		len += VALUES(b + len, "with-connect-type", r_ctypes);
	if (below(3) == 0)
		len += VALUES(b + len, "if", r_conds);
	if (!strcmp(t, "allow") && below(4) == 0)
		len += (size_t)sprintf(b + len, " allow-interface %s", PICK(r_ifaces));
	if (!strcmp(t, "allow") && below(6) == 0)
		len += (size_t)sprintf(b + len, " mode ro");
	if (below(8) == 0)
		len += (size_t)sprintf(b + len, " expires \"%s\"",
				       below(2) ? "2030-01-02T03:05:00Z" : "2029-01-01T00:00:00Z");
	if (below(6) == 0)
		len += (size_t)sprintf(b + len, " ticket \"INC-%u\"", below(100));
	if (below(6) == 0)
		len += (size_t)sprintf(b + len, " label \"L%u\"", below(10));
	b[len++] = '\n';
	return len;
}

static void random_device(struct mng_device *d)
{
	static const uint16_t vendors[] = {0x0781, 0x046d, 0x1d6b, 0xabcd};
	static const uint16_t products[] = {0x5567, 0xc31c, 0x0002, 0x0001};
	static const char *const serials[] = {"", "S1", "S2"};
	static const char *const names[] = {"Stick", "Kbd", "Hub"};
	static const char *const hashes[] = {"h1", "h2", "h3"};
	static const char *const phashes[] = {"", "p1", "p2"};
	static const char *const ports[] = {"1-1", "1-2", "2-1"};
	static const char *const ctypes[] = {"hotplug", "hardwired", ""};
	static const struct mng_iface ifs[] = {
	    {.cls = 0x03, .subcls = 0x01, .proto = 0x01},
	    {.cls = 0x03},
	    {.cls = 0x08, .subcls = 0x06, .proto = 0x50},
	    {.cls = 0x09},
	    {.cls = 0x0e, .subcls = 0x01},
	    {.cls = 0xff, .subcls = 0xff, .proto = 0xff},
	    {.cls = 0x01, .subcls = 0x01},
	    {.cls = 0x40},
	    {.cls = 0xc3},
	};
	size_t i;

	memset(d, 0, sizeof(*d));
	d->vendor = PICK(vendors);
	d->product = PICK(products);
	strcpy(d->serial, PICK(serials));
	strcpy(d->name, PICK(names));
	strcpy(d->hash, PICK(hashes));
	strcpy(d->parent_hash, PICK(phashes));
	strcpy(d->port, PICK(ports));
	strcpy(d->connect_type, PICK(ctypes));
	d->descriptors_ok = below(10) != 0;
	if (below(8) == 0) {
		/* many classes: past RULES_PAIR_CLASSES_MAX the pair list is walked whole */
		d->n_ifaces = RULES_PAIR_CLASSES_MAX + 1 + below(8);
		for (i = 0; i < d->n_ifaces; i++)
			d->ifaces[i] = i < MNG_ARRAY_SIZE(ifs)
					   ? ifs[i]
					   : (struct mng_iface){.cls = (uint8_t)(0x10 + i)};
	} else {
		d->n_ifaces = below(5);
		for (i = 0; i < d->n_ifaces; i++)
			d->ifaces[i] = PICK(ifs);
	}
	for (i = 0; i < d->n_ifaces; i++)
		d->ifaces[i].number = (uint8_t)i;
}

static void test_random_rulesets(void **state)
{
	static char text[64 * 1024];
	struct mng_device allowed_dev, dev;
	const struct mng_device *allowed[] = {&allowed_dev};
	const char *groups[] = {"staff"};
	size_t round, len, i;

	rng = 0x6d6e67756172640aull;
	n_judged = n_matched = n_matched_late = 0;
	for (round = 0; round < 600; round++) {
		struct mng_judge_ctx ctx = {.now = T0};
		size_t n_rules = 1 + below(round % 10 == 0 ? 200 : 30);
		struct pair p;

		for (i = 0, len = 0; i < n_rules; i++)
			len += random_rule(text + len);
		assert_int_equal(pair_load(&p, text, len), (int)n_rules);
		random_device(&allowed_dev);
		for (i = 0; i < 40; i++) {
			random_device(&dev);
			ctx.now += below(8);
			ctx.user = below(2) ? "taro" : NULL;
			ctx.groups = groups;
			ctx.n_groups = below(2);
			ctx.allowed = allowed;
			ctx.n_allowed = below(2);
			(void)judge_both(&p, &dev, &ctx);
		}
		pair_free(&p);
	}
	/* the comparison is not vacuous: many verdicts came from rules, many past the first */
	assert_true(n_matched > n_judged / 4);
	assert_true(n_matched_late > n_judged / 8);
	printf("random rulesets: %lu judgements, %lu decided by a rule\n", n_judged, n_matched);
}

/* ---- USBGuard's test-rules.good ---- */

static const struct mng_rule *some_rule_with(const struct mng_ruleset *rs, enum rule_attr k)
{
	size_t tries;

	for (tries = 0; tries < 64; tries++) {
		const struct mng_rule *r = &rs->rules[below((unsigned)rs->n)];

		if (rule_attr(r, k)->present && rule_attr(r, k)->n)
			return r;
	}
	return NULL;
}

static void copy_str(char *dst, size_t size, const struct strval *v)
{
	size_t n = v->len < size - 1 ? v->len : size - 1;

	memcpy(dst, v->s, n);
	dst[n] = '\0';
}

/* A device made of values the rules name, so that rules of the file match it. */
static void harvested_device(const struct mng_ruleset *rs, struct mng_device *d)
{
	static const struct {
		enum rule_attr k;
		size_t off, size;
	} f[] = {
	    {A_SERIAL, offsetof(struct mng_device, serial), MNG_DEV_STR_MAX},
	    {A_NAME, offsetof(struct mng_device, name), MNG_DEV_STR_MAX},
	    {A_HASH, offsetof(struct mng_device, hash), MNG_DEV_HASH_LEN + 1},
	    {A_PARENT_HASH, offsetof(struct mng_device, parent_hash), MNG_DEV_HASH_LEN + 1},
	    {A_VIA_PORT, offsetof(struct mng_device, port), MNG_DEV_STR_MAX},
	    {A_CONN_TYPE, offsetof(struct mng_device, connect_type), 32},
	};
	const struct mng_rule *r;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->descriptors_ok = true;
	r = some_rule_with(rs, A_ID);
	if (r) {
		const struct idval *v =
		    &((const struct idval *)rule_attr(r, A_ID)->v)[below(rule_attr(r, A_ID)->n)];

		d->vendor = (v->any & ID_ANY_VENDOR) ? (uint16_t)rnd() : v->vendor;
		d->product = (v->any & ID_ANY_PRODUCT) ? (uint16_t)rnd() : v->product;
	}
	for (i = 0; i < MNG_ARRAY_SIZE(f); i++) {
		r = below(4) ? some_rule_with(rs, f[i].k) : NULL;
		if (r)
			copy_str((char *)d + f[i].off, f[i].size,
				 &((const struct strval *)rule_attr(r, f[i].k)
				       ->v)[below(rule_attr(r, f[i].k)->n)]);
	}
	r = some_rule_with(rs, A_IFACE);
	if (r) {
		const struct attr *a = rule_attr(r, A_IFACE);

		d->n_ifaces = below(3) ? a->n : below(a->n + 1);
		for (i = 0; i < d->n_ifaces; i++) {
			const struct ifval *v = &((const struct ifval *)a->v)[i];

			d->ifaces[i].cls = v->cls;
			d->ifaces[i].subcls = (v->mask & IF_SUBCLASS) ? v->sub : (uint8_t)rnd();
			d->ifaces[i].proto = (v->mask & IF_PROTO) ? v->proto : (uint8_t)rnd();
		}
	}
}

static void test_usbguard_good_file(void **state)
{
	size_t len, i;
	char *buf = test_data_read("tests/data/usbguard/test-rules.good", &len);
	struct mng_judge_ctx ctx = {.now = T0};
	struct pair p;

	rng = 0x676f6f642d66696cull;
	n_judged = n_matched = n_matched_late = 0;
	assert_int_equal(pair_load(&p, buf, len), 767);
	for (i = 0; i < 200; i++) {
		struct mng_device d;

		harvested_device(p.idx, &d);
		ctx.now += 3;
		(void)judge_both(&p, &d, &ctx);
	}
	assert_true(n_matched > 0);
	pair_free(&p);
	free(buf);
}

/* Random samples of the file's lines, in random order, so that later rules get their turn. */
static void test_usbguard_good_samples(void **state)
{
	size_t len, n_lines = 0, round, i;
	char *buf = test_data_read("tests/data/usbguard/test-rules.good", &len);
	char *text = malloc(len + 1);
	const char *lines[1024];
	size_t lens[1024];
	char *p = buf;

	assert_non_null(text);
	while (p < buf + len && n_lines < MNG_ARRAY_SIZE(lines)) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);

		size_t b = strspn(p, " \t");

		if (b < n && p[b] != '#') {
			lines[n_lines] = p;
			lens[n_lines++] = n;
		}
		p = nl ? nl + 1 : buf + len;
	}
	assert_int_equal(n_lines, 767);
	rng = 0x73616d706c657321ull;
	n_judged = n_matched = n_matched_late = 0;
	for (round = 0; round < 400; round++) {
		struct mng_judge_ctx ctx = {.now = T0};
		size_t n = 1 + below(40), tl = 0;
		struct pair pr;

		for (i = 0; i < n; i++) {
			size_t k = below((unsigned)n_lines);

			memcpy(text + tl, lines[k], lens[k]);
			tl += lens[k];
			text[tl++] = '\n';
		}
		assert_int_equal(pair_load(&pr, text, tl), (int)n);
		for (i = 0; i < 20; i++) {
			struct mng_device d;

			harvested_device(pr.idx, &d);
			ctx.now += below(4);
			(void)judge_both(&pr, &d, &ctx);
		}
		pair_free(&pr);
	}
	assert_true(n_matched > n_judged / 20);
	assert_true(n_matched_late > 0);
	printf("good-file samples: %lu judgements, %lu decided by a rule\n", n_judged, n_matched);
	free(text);
	free(buf);
}

/* ---- where rules land ---- */

static bool in_list(const uint32_t *v, uint32_t n, uint32_t i)
{
	uint32_t k;

	for (k = 0; k < n; k++)
		if (v[k] == i)
			return true;
	return false;
}

static void test_placement(void **state)
{
	static const struct {
		const char *rule;
		bool resid, pair;
	} cases[] = {
	    {"allow id 0781:5567", false, false},
	    {"allow id 0781:*", false, false},
	    {"allow id *:*", true, false},
	    {"allow id none-of { 0781:5567 }", true, false},
	    {"allow id one-of { 0781:5567 *:* }", true, false},
	    {"allow id all-of { *:* 0781:* }", false, false},
	    {"allow", true, false},
	    {"allow if true", true, false},
	    {"allow serial \"\"", true, false},
	    {"allow serial \"\" id 0781:5567", false, false},
	    {"allow parent-hash match-all { \"p\" }", true, false},
	    {"allow name match-all { \"n\" }", false, false},
	    {"allow with-interface none-of { 08:*:* }", true, false},
	    {"allow with-interface match-all { 08:*:* }", true, false},
	    {"allow with-interface one-of { 08:*:* 03:*:* }", false, false},
	    {"allow with-interface all-of { 08:*:* 03:*:* }", false, true},
	    {"allow with-interface { 08:06:50 08:*:* }", false, false},
	    {"allow via-port \"1-1\"", false, false},
	    {"allow with-connect-type \"hotplug\"", false, false},
	    {"match", false, false},
	    {"device id 0781:5567", false, false},
	};
	struct mng_ruleset *rs;
	char text[4096];
	size_t len = 0, i;

	for (i = 0; i < MNG_ARRAY_SIZE(cases); i++)
		len += (size_t)sprintf(text + len, "%s\n", cases[i].rule);
	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, text, len, "p.rules", NULL), (int)i);
	for (i = 0; i < MNG_ARRAY_SIZE(cases); i++) {
		if (in_list(rs->index.resid, rs->index.n_resid, (uint32_t)i) != cases[i].resid)
			fail_msg("rule '%s' %s the residual list", cases[i].rule,
				 cases[i].resid ? "is not in" : "is in");
		assert_int_equal(in_list(rs->index.pairs, rs->index.n_pairs, (uint32_t)i),
				 cases[i].pair);
	}
	mng_ruleset_free(&rs);
}

/* ---- edges, each against the reference ---- */

static void test_edges(void **state)
{
	static const char *const sets[] = {
	    /* a device without a parent hash matches match-all and none-of, not the others */
	    "allow parent-hash match-all { \"p1\" }\n",
	    "allow parent-hash none-of { \"p1\" }\n",
	    "allow parent-hash \"\"\nallow parent-hash one-of { \"\" \"p1\" }\nallow\n",
	    /* no interfaces: match-all holds, one-of and all-of do not */
	    "allow with-interface match-all { 03:*:* }\nblock\n",
	    "allow with-interface all-of { 03:*:* 08:*:* }\nreject with-interface one-of { 03:*:* "
	    "08:*:* 03:01:01 }\nblock\n",
	    /* a rule under two of the device's keys is tried once */
	    "allow with-interface one-of { 03:*:* 03:01:* 08:*:* } if !rule-evaluated\nblock\n",
	    "allow with-interface one-of { 03:*:* 08:*:* } if rule-evaluated\nblock\n",
	    "block id one-of { 0781:5567 0781:* 046d:* } if !rule-applied\nallow id 0781:*\n",
	    /* ids: equals of two values never matches one id */
	    "allow id { 0781:5567 0781:5567 }\nallow id equals-ordered { 0781:* }\n",
	    /* never-deciding targets in between */
	    "match id 0781:5567\ndevice\nallow id 0781:5567 if rule-evaluated\nblock\n",
	    /* many classes: the pair list */
	    "allow with-interface all-of { 10:*:* 1a:*:* }\nallow with-interface equals { "
	    "08:*:* 03:*:* 10:*:* }\nblock\n",
	};
	struct mng_device devs[4];
	struct mng_judge_ctx ctx = {.now = T0};
	size_t s, i, k;

	memset(devs, 0, sizeof(devs));
	devs[0].vendor = 0x0781;
	devs[0].product = 0x5567;
	devs[0].descriptors_ok = true;
	devs[1] = devs[0];
	strcpy(devs[1].parent_hash, "p1");
	devs[1].n_ifaces = 3;
	devs[1].ifaces[0].cls = 3;
	devs[1].ifaces[1].cls = 8;
	devs[1].ifaces[2].cls = 3;
	devs[1].ifaces[2].subcls = 1;
	devs[2] = devs[1];
	devs[2].n_ifaces = 20;
	for (i = 0; i < 20; i++)
		devs[2].ifaces[i].cls = (uint8_t)(i < 3 ? devs[1].ifaces[i].cls : 0x10 + i - 3);
	devs[3] = devs[2];
	devs[3].vendor = 0x046d;
	devs[3].n_ifaces = 3;
	devs[3].ifaces[1].cls = 0x1a;
	devs[3].ifaces[2].cls = 0x10;

	for (s = 0; s < MNG_ARRAY_SIZE(sets); s++) {
		struct pair p;

		pair_load(&p, sets[s], strlen(sets[s]));
		for (k = 0; k < 3; k++)
			for (i = 0; i < MNG_ARRAY_SIZE(devs); i++) {
				ctx.now++;
				(void)judge_both(&p, &devs[i], &ctx);
			}
		pair_free(&p);
	}
	/* spot checks of what the reference says */
	{
		struct pair p;

		pair_load(&p, sets[0], strlen(sets[0]));
		assert_int_equal(judge_both(&p, &devs[0], &ctx), 1);
		assert_int_equal(judge_both(&p, &devs[1], &ctx), 1);
		pair_free(&p);
		pair_load(&p, sets[6], strlen(sets[6]));
		assert_int_equal(judge_both(&p, &devs[1], &ctx), 2); /* tried once, not twice */
		pair_free(&p);
		pair_load(&p, sets[10], strlen(sets[10]));
		assert_int_equal(judge_both(&p, &devs[2], &ctx), 1);
		assert_int_equal(judge_both(&p, &devs[1], &ctx), 3);
		assert_int_equal(judge_both(&p, &devs[3], &ctx), 1);
		pair_free(&p);
	}
}

/* Appending a second file re-indexes the whole set; a failed parse keeps the old index. */
static void test_append(void **state)
{
	struct mng_device d = {.vendor = 0x0781, .product = 0x5567, .descriptors_ok = true};
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_verdict v;
	struct mng_ruleset *rs;
	const char *a = "block id 046d:*\n", *b = "allow id 0781:5567\n", *bad = "allow id x\n";

	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, a, strlen(a), "a.rules", NULL), 1);
	assert_int_equal(mng_ruleset_judge(rs, &d, &ctx, &v), 0);
	assert_null(v.file);
	assert_int_equal(mng_ruleset_parse(rs, b, strlen(b), "b.rules", NULL), 1);
	assert_int_equal(mng_ruleset_parse(rs, bad, strlen(bad), "c.rules", NULL), -EINVAL);
	assert_int_equal(mng_ruleset_judge(rs, &d, &ctx, &v), 0);
	assert_int_equal(v.target, MNG_TARGET_ALLOW);
	assert_string_equal(v.file, "b.rules");
	mng_ruleset_free(&rs);
}

/* 50,000 rules: the device's few candidates are found, the last rule still decides. */
static void test_large_and_no_allocation(void **state)
{
	size_t n = 50000, i, len = 0;
	char *buf = malloc(n * 120 + 128);
	struct mng_device d = {.vendor = 0x0781, .product = 0x5567, .descriptors_ok = true};
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_verdict v;
	struct pair p;

	assert_non_null(buf);
	strcpy(d.serial, "S-last");
	d.n_ifaces = 1;
	d.ifaces[0] = (struct mng_iface){.cls = 8, .subcls = 6, .proto = 0x50};
	for (i = 0; i < n - 1; i++) {
		if (i % 7)
			len += (size_t)sprintf(buf + len,
					       "allow id %04zx:%04zx serial \"S%zu\" "
					       "with-interface 08:06:50\n",
					       (i % 900) + 1, i & 0xffff, i);
		else
			len += (size_t)sprintf(buf + len,
					       "block with-interface all-of { 03:*:* %02zx:*:* }\n",
					       i & 0xff);
	}
	len += (size_t)sprintf(buf + len, "allow id 0781:5567 serial \"S-last\"\n");
	assert_int_equal(pair_load(&p, buf, len), (int)n);
	assert_int_equal(mng_ruleset_count(p.idx), n);
	assert_int_equal(judge_both(&p, &d, &ctx), n);
	assert_int_equal(p.idx->index.n_resid, 0);
#ifdef COUNT_ALLOCS
	{
		unsigned long before = n_allocs;

		for (i = 0; i < 100; i++)
			assert_int_equal(mng_ruleset_judge(p.idx, &d, &ctx, &v), 0);
		assert_int_equal(n_allocs, before);
	}
#else
	assert_int_equal(mng_ruleset_judge(p.idx, &d, &ctx, &v), 0);
#endif
	assert_int_equal(v.target, MNG_TARGET_ALLOW);
	pair_free(&p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_placement),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_append),
	    cmocka_unit_test(test_random_rulesets),
	    cmocka_unit_test(test_usbguard_good_file),
	    cmocka_unit_test(test_usbguard_good_samples),
	    cmocka_unit_test(test_large_and_no_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
