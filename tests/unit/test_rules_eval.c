// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules_eval.c - judging devices: every set operator on every kind of
 * attribute, every condition, every target, the extensions (per-interface
 * mask, ro, expiry, user/group, ticket), first-match-wins, default block,
 * errors, and a device judged against 10,000 rules. (Timings belong to the
 * benchmarks in bench/, not to these tests.)
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

#include "rules.h"

/* 2030-01-02T03:04:05Z */
#define T0 ((time_t)1893553445)

static struct mng_device kbd_storage(void)
{
	struct mng_device d;

	memset(&d, 0, sizeof(d));
	d.vendor = 0x0781;
	d.product = 0x5567;
	strcpy(d.serial, "4C530001");
	strcpy(d.name, "Cruzer Blade");
	strcpy(d.port, "1-4");
	strcpy(d.connect_type, "hotplug");
	strcpy(d.hash, "jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=");
	strcpy(d.parent_hash, "rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=");
	d.descriptors_ok = true;
	d.n_ifaces = 2;
	d.ifaces[0] = (struct mng_iface){.cls = 0x03, .subcls = 0x01, .proto = 0x01};
	d.ifaces[1] = (struct mng_iface){.cls = 0x08, .subcls = 0x06, .proto = 0x50, .number = 1};
	return d;
}

struct judge {
	struct mng_ruleset *rs;
	struct mng_judge_ctx ctx;
	struct mng_verdict v;
	int r;
};

static void load(struct judge *j, const char *text)
{
	struct mng_diags d = {0};

	memset(j, 0, sizeof(*j));
	j->ctx.now = T0;
	assert_int_equal(mng_ruleset_new(&j->rs), 0);
	if (mng_ruleset_parse(j->rs, text, strlen(text), "e.rules", &d) < 0) {
		mng_diags_print(&d, stderr);
		fail_msg("rules did not parse: %s", text);
	}
	mng_diags_clear(&d);
}

static void unload(struct judge *j)
{
	mng_ruleset_free(&j->rs);
}

static enum mng_target run(struct judge *j, const struct mng_device *dev)
{
	j->r = mng_ruleset_judge(j->rs, dev, &j->ctx, &j->v);
	assert_int_equal(j->r, 0);
	return j->v.target;
}

/* the verdict of one rule (plus nothing else) for dev */
static enum mng_target one(const char *rule, const struct mng_device *dev)
{
	struct judge j;
	enum mng_target t;

	load(&j, rule);
	t = run(&j, dev);
	unload(&j);
	return t;
}

#define ALLOWS(rule, dev) assert_int_equal(one(rule, dev), MNG_TARGET_ALLOW)
#define BLOCKS(rule, dev) assert_int_equal(one(rule, dev), MNG_TARGET_BLOCK)

static void test_default_and_order(void **state)
{
	struct mng_device d = kbd_storage();
	struct judge j;

	load(&j, "");
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_null(j.v.file);
	assert_int_equal(j.v.n_ifaces, 2);
	assert_false(j.v.iface_allowed[0] || j.v.iface_allowed[1]);
	unload(&j);

	load(&j, "block id 1234:5678\nallow id 0781:*\nreject\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_string_equal(j.v.file, "e.rules");
	assert_int_equal(j.v.line, 2);
	assert_true(j.v.iface_allowed[0] && j.v.iface_allowed[1]);
	unload(&j);

	load(&j, "reject serial \"4C530001\"\nallow\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_REJECT);
	assert_int_equal(j.v.line, 1);
	assert_false(j.v.iface_allowed[0]);
	unload(&j);

	/* match and device rules never decide: evaluation goes on */
	load(&j, "match id 0781:5567\ndevice id 0781:5567\nblock\nallow\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_int_equal(j.v.line, 3);
	unload(&j);
	load(&j, "match\ndevice\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_null(j.v.file);
	unload(&j);
}

static void test_ids(void **state)
{
	struct mng_device d = kbd_storage();

	ALLOWS("allow id 0781:5567", &d);
	ALLOWS("allow 0781:5567", &d);
	ALLOWS("allow id 0781:*", &d);
	ALLOWS("allow id *:*", &d);
	ALLOWS("allow id 0781:5567", &d);
	BLOCKS("allow id 0781:5568", &d);
	BLOCKS("allow id 0782:*", &d);
	/* ids are hex numbers: case does not matter */
	d.product = 0xabcd;
	ALLOWS("allow id 0781:ABcd", &d);
	d.product = 0x5567;
	ALLOWS("allow id one-of { 1111:2222 0781:5567 }", &d);
	BLOCKS("allow id { 1111:2222 0781:5567 }", &d); /* equals: 2 values vs 1 */
	ALLOWS("allow id none-of { 1111:2222 3333:* }", &d);
	BLOCKS("allow id none-of { 1111:2222 0781:* }", &d);
	ALLOWS("allow id all-of { 0781:* 0781:5567 }", &d);
	BLOCKS("allow id all-of { 0781:* 1111:5567 }", &d);
	ALLOWS("allow id equals-ordered { 0781:5567 }", &d);
	ALLOWS("allow id match-all { 0781:* 1234:5678 }", &d);
	BLOCKS("allow id match-all { 1234:5678 }", &d);
}

static void test_strings(void **state)
{
	struct mng_device d = kbd_storage();

	ALLOWS("allow serial \"4C530001\"", &d);
	BLOCKS("allow serial \"4c530001\"", &d); /* strings compare byte for byte */
	ALLOWS("allow name \"Cruzer Blade\" via-port \"1-4\" with-connect-type \"hotplug\"", &d);
	BLOCKS("allow name \"Cruzer\"", &d);
	ALLOWS("allow hash \"jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=\"", &d);
	ALLOWS("allow parent-hash \"rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=\"", &d);
	ALLOWS("allow name one-of { \"x\" \"Cruzer Blade\" }", &d);
	BLOCKS("allow name { \"x\" \"Cruzer Blade\" }", &d);
	ALLOWS("allow name none-of { \"x\" \"y\" }", &d);
	BLOCKS("allow name all-of { \"x\" \"Cruzer Blade\" }", &d);
	ALLOWS("allow name match-all { \"x\" \"Cruzer Blade\" }", &d);
	BLOCKS("allow name match-all { \"x\" }", &d);
	BLOCKS("allow name \"Cruzer Blade\\x00\"", &d); /* a NUL never equals a C string end */
	strcpy(d.name, "\xff\xfe");
	ALLOWS("allow name \"\\xff\\xfe\"", &d); /* invalid UTF-8: bytes as bytes */
	/* an empty serial is a value; an empty parent hash is no value at all */
	d.serial[0] = '\0';
	d.parent_hash[0] = '\0';
	ALLOWS("allow serial \"\"", &d);
	BLOCKS("allow parent-hash \"\"", &d);
	ALLOWS("allow parent-hash none-of { \"a\" }", &d);
	ALLOWS("allow parent-hash match-all { \"a\" }", &d);
	BLOCKS("allow parent-hash one-of { \"a\" }", &d);
}

static void test_interfaces(void **state)
{
	struct mng_device d = kbd_storage();

	BLOCKS("allow with-interface 03:*:*", &d); /* equals: the device has two */
	ALLOWS("allow with-interface { 08:*:* 03:01:01 }", &d);
	ALLOWS("allow with-interface equals { 03:*:* 08:06:* }", &d);
	BLOCKS("allow with-interface equals-ordered { 08:*:* 03:*:* }", &d);
	ALLOWS("allow with-interface equals-ordered { 03:*:* 08:*:* }", &d);
	ALLOWS("allow with-interface one-of { 03:00:* 08:06:50 }", &d);
	BLOCKS("allow with-interface one-of { 03:00:* 08:06:51 }", &d);
	ALLOWS("allow with-interface all-of { 03:*:* }", &d);
	BLOCKS("allow with-interface all-of { 03:*:* 09:*:* }", &d);
	ALLOWS("allow with-interface none-of { 09:*:* e0:*:* }", &d);
	BLOCKS("allow with-interface none-of { 08:*:* }", &d);
	ALLOWS("allow with-interface match-all { 03:*:* 08:*:* 09:*:* }", &d);
	BLOCKS("allow with-interface match-all { 03:*:* }", &d);
	d.n_ifaces = 0;
	ALLOWS("allow with-interface match-all { 03:*:* }", &d);
	BLOCKS("allow with-interface one-of { 03:*:* }", &d);
}

static void test_conditions(void **state)
{
	struct mng_device d = kbd_storage();
	struct judge j;
	struct tm tm;
	char rule[128];

	ALLOWS("allow if true", &d);
	BLOCKS("allow if false", &d);
	ALLOWS("allow if !false", &d);
	ALLOWS("allow if { true true }", &d);
	BLOCKS("allow if { true false }", &d);
	ALLOWS("allow if all-of { true !false }", &d);
	ALLOWS("allow if equals-ordered { true !false }", &d);
	ALLOWS("allow if one-of { false true }", &d);
	BLOCKS("allow if one-of { false !true }", &d);
	ALLOWS("allow if none-of { false false }", &d);
	BLOCKS("allow if none-of { false true }", &d);
	ALLOWS("allow if random(1)", &d);
	BLOCKS("allow if random(0)", &d);
	ALLOWS("allow if !random(0)", &d);

	/* localtime() reads the local wall clock of ctx.now */
	assert_non_null(localtime_r(&(time_t){T0}, &tm));
	snprintf(rule, sizeof(rule), "allow if localtime(%02d:%02d-%02d:%02d)", tm.tm_hour,
		 tm.tm_min, tm.tm_hour, tm.tm_min + 1 > 59 ? 59 : tm.tm_min + 1);
	ALLOWS(rule, &d);
	snprintf(rule, sizeof(rule), "allow if localtime(%02d:%02d:%02d)", tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
	ALLOWS(rule, &d);
	snprintf(rule, sizeof(rule), "allow if !localtime(%02d:%02d:%02d)", tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
	BLOCKS(rule, &d);

	/* rule-applied / rule-evaluated keep per-rule state across judgements */
	load(&j, "allow if !rule-applied\nblock\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	unload(&j);
	load(&j, "allow if rule-applied(60)\nallow name \"Cruzer Blade\" if !rule-applied\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 2);
	j.ctx.now += 30;
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK); /* rule 1 never applied; rule 2 has */
	unload(&j);
	load(&j, "allow if rule-evaluated(00:01:00)\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	j.ctx.now += 59;
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	j.ctx.now += 61;
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	unload(&j);

	/* allowed-matches() looks at the devices allowed so far, attributes only */
	{
		struct mng_device kbd = kbd_storage();
		const struct mng_device *allowed[] = {&kbd};

		kbd.vendor = 0x046d;
		strcpy(kbd.name, "Keyboard K120");
		load(&j, "allow if allowed-matches(id 046d:* name \"Keyboard K120\" if false)\n");
		assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
		j.ctx.allowed = allowed;
		j.ctx.n_allowed = 1;
		assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
		unload(&j);
		load(&j, "allow if !allowed-matches(046d:c31c)\n");
		j.ctx.allowed = allowed;
		j.ctx.n_allowed = 1;
		assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
		unload(&j);
	}
}

static void test_user_group(void **state)
{
	struct mng_device d = kbd_storage();
	const char *groups[] = {"staff", "mynumber-ops"};
	const char *rules = "allow if user(\"taro\") ticket \"INC-7\" label \"helpdesk\"\n"
			    "allow if group(\"mynumber-ops\") mode ro\n"
			    "block if !user(\"hanako\")\n"
			    "allow\n";
	struct judge j;

	load(&j, rules);
	/* nobody logged in: user() and group() are false, so !user() is true */
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_int_equal(j.v.line, 3);
	j.ctx.user = "taro";
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 1);
	assert_string_equal(j.v.ticket, "INC-7");
	assert_string_equal(j.v.label, "helpdesk");
	assert_false(j.v.read_only);
	j.ctx.user = "jiro";
	j.ctx.groups = groups;
	j.ctx.n_groups = 2;
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 2);
	assert_true(j.v.read_only);
	assert_null(j.v.ticket);
	j.ctx.user = "hanako";
	j.ctx.n_groups = 1;
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 4);
	j.ctx.user = "tar"; /* a prefix is not the name */
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	unload(&j);
}

static void test_interface_mask(void **state)
{
	struct mng_device d = kbd_storage();
	struct judge j;

	/* the BadUSB composite keeps its keyboard and loses its storage */
	load(&j, "allow with-interface all-of { 03:*:* 08:*:* } allow-interface 03:*:*\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_true(j.v.iface_allowed[0]);
	assert_false(j.v.iface_allowed[1]);
	unload(&j);
	load(&j, "allow allow-interface { 08:06:50 09:*:* }\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_false(j.v.iface_allowed[0]);
	assert_true(j.v.iface_allowed[1]);
	unload(&j);

	/* a device whose descriptors could not be read is never allowed */
	d.descriptors_ok = false;
	d.n_ifaces = 0;
	load(&j, "allow\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_int_equal(j.v.line, 1);
	unload(&j);
}

static void test_expiry(void **state)
{
	struct mng_device d = kbd_storage();
	struct judge j;

	load(&j, "allow expires \"2030-01-02T03:04:06Z\"\n"
		 "allow expires \"2030-01-02T12:04:06+09:00\" ticket \"INC-2\"\n"
		 "block\n");
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 1);
	j.ctx.now = T0 + 1; /* at the instant: expired */
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK);
	assert_int_equal(j.v.line, 3);
	j.ctx.now = T0 - 3600;
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	unload(&j);
}

static void test_errors_block(void **state)
{
	struct mng_device d = kbd_storage();
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_verdict v;
	struct judge j;

	load(&j, "allow\n");
	memset(&v, 0xff, sizeof(v));
	assert_int_equal(mng_ruleset_judge(j.rs, NULL, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_false(v.iface_allowed[0]);
	memset(&v, 0xff, sizeof(v));
	assert_int_equal(mng_ruleset_judge(j.rs, &d, NULL, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(mng_ruleset_judge(NULL, &d, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(mng_ruleset_judge(j.rs, &d, &ctx, NULL), -EINVAL);
	d.n_ifaces = MNG_DEV_IFACE_MAX + 1;
	memset(&v, 0xff, sizeof(v));
	assert_int_equal(mng_ruleset_judge(j.rs, &d, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	unload(&j);
}

static void test_judge_many(void **state)
{
	struct mng_device d = kbd_storage();
	size_t n = 10000, i, len = 0;
	char *buf = malloc(n * 140);
	struct judge j;

	assert_non_null(buf);
	/* 10,000 rules, none of them for this device, a mix of forms */
	for (i = 0; i < n; i++) {
		if (i % 10 == 9)
			len += (size_t)sprintf(buf + len,
					       "block with-interface one-of { e0:*:* 02:%02zx:* } "
					       "via-port \"9-%zu\"\n",
					       i & 0xff, i);
		else
			len += (size_t)sprintf(buf + len,
					       "allow id %04zx:%04zx serial \"S%zu\" hash \"h%zu\" "
					       "with-interface 08:06:50 if !rule-applied\n",
					       (i % 500) + 1, i & 0xffff, i, i);
	}
	len += (size_t)sprintf(buf + len, "allow id 0781:5567\n");
	buf[len] = '\0';
	load(&j, buf);
	/* judged twice: the last rule decides both times, whatever state the others keep */
	for (i = 0; i < 2; i++) {
		assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
		assert_int_equal(j.v.line, n + 1);
	}
	/* a device of a vendor listed many times: its rule is found among them */
	d.vendor = 0x0001;
	d.product = 0x01f4; /* rule 500: id 0001:01f4 serial "S500" hash "h500" */
	strcpy(d.serial, "S500");
	strcpy(d.hash, "h500");
	d.n_ifaces = 1;
	d.ifaces[0] = (struct mng_iface){.cls = 0x08, .subcls = 0x06, .proto = 0x50};
	assert_int_equal(run(&j, &d), MNG_TARGET_ALLOW);
	assert_int_equal(j.v.line, 501);
	assert_int_equal(run(&j, &d), MNG_TARGET_BLOCK); /* now rule-applied: passed over */
	assert_null(j.v.file);
	unload(&j);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_and_order), cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_strings),	      cmocka_unit_test(test_interfaces),
	    cmocka_unit_test(test_conditions),	      cmocka_unit_test(test_user_group),
	    cmocka_unit_test(test_interface_mask),    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_errors_block),      cmocka_unit_test(test_judge_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
