// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules_print.c - printer rules (mnguard.rules(5), PRINTERS): the
 * default refusal, first match wins, queue and URI globs, content-check,
 * user()/group() of the job's user, expiry, ticket, the normalised form
 * parsing back to itself, device rules left untouched, and bad input
 * (every error with its column, NUL bytes, invalid UTF-8, 1 MiB lines,
 * conditions a printer rule cannot have).
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

#include "helpers/rules_load.h"
#include "rules.h"

/* 2030-01-02T03:04:05Z */
#define T0 ((time_t)1893553445)

static struct mng_ruleset *load_ok(const char *text)
{
	return test_rules_load_ok("p.rules", text);
}

/* parse text, expect failure with the first diagnostic at line:col holding needle */
static void load_bad(const char *text, size_t len, unsigned line, unsigned col, const char *needle)
{
	test_rules_load_bad("p.rules", text, len, line, col, needle);
}

static struct mng_printer_verdict judge(struct mng_ruleset *rs, const char *queue, const char *uri,
					const char *user, const char *const *groups, size_t ng)
{
	struct mng_judge_ctx ctx = {.now = T0, .user = user, .groups = groups, .n_groups = ng};
	struct mng_printer_verdict v;

	assert_int_equal(mng_ruleset_judge_printer(rs, queue, uri, &ctx, &v), 0);
	return v;
}

static void test_default_refuses(void **state)
{
	struct mng_ruleset *rs = load_ok("allow with-interface match-all { 03:*:* }\n");
	struct mng_printer_verdict v = judge(rs, "office", "ipp://p/x", "taro", NULL, 0);

	(void)state;
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_null(v.file);
	assert_int_equal(mng_ruleset_printer_count(rs), 0);
	mng_ruleset_free(&rs);
}

static void test_first_match_and_globs(void **state)
{
	struct mng_ruleset *rs = load_ok(
	    "# printers\n"
	    "printer block \"home-*\"\n"
	    "printer allow \"office-[0-9]\" uri \"ipp://print.city.local/*\" ticket \"CHG-7\"\n"
	    "printer allow \"label\" content-check off\n"
	    "  printer block \"*\"  # everything else\n"
	    "allow with-interface match-all { 03:*:* }\n");
	struct mng_printer_verdict v;

	(void)state;
	assert_int_equal(mng_ruleset_printer_count(rs), 4);
	assert_int_equal(mng_ruleset_count(rs), 1);
	v = judge(rs, "office-3", "ipp://print.city.local/printers/3", "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_ALLOW);
	assert_true(v.content_check);
	assert_int_equal(v.line, 3);
	assert_string_equal(v.ticket, "CHG-7");
	/* the URI must match too; no URI means a rule naming one does not match */
	v = judge(rs, "office-3", "socket://10.0.0.9:9100", "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(v.line, 5);
	v = judge(rs, "office-3", NULL, "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	v = judge(rs, "office-33", "ipp://print.city.local/x", "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	v = judge(rs, "label", NULL, "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_ALLOW);
	assert_false(v.content_check);
	assert_null(v.ticket);
	v = judge(rs, "home-laser", "ipp://print.city.local/x", "taro", NULL, 0);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(v.line, 2);
	assert_string_equal(v.file, "p.rules");
	mng_ruleset_free(&rs);
}

static void test_conditions_expiry(void **state)
{
	static const char *const g[] = {"users", "counter-staff"};
	struct mng_ruleset *rs =
	    load_ok("printer allow \"a\" if user(\"taro\")\n"
		    "printer allow \"b\" if group(\"counter-staff\")\n"
		    "printer allow \"c\" if { !user(\"hanako\") localtime(00:00-23:59:59) }\n"
		    "printer allow \"d\" expires \"2029-12-31T23:59:59+09:00\"\n"
		    "printer allow \"e\" expires \"2031-01-01T00:00Z\"\n");

	(void)state;
	assert_int_equal(judge(rs, "a", NULL, "taro", NULL, 0).target, MNG_TARGET_ALLOW);
	assert_int_equal(judge(rs, "a", NULL, "jiro", NULL, 0).target, MNG_TARGET_BLOCK);
	assert_int_equal(judge(rs, "a", NULL, NULL, NULL, 0).target, MNG_TARGET_BLOCK);
	assert_int_equal(judge(rs, "b", NULL, "jiro", g, 2).target, MNG_TARGET_ALLOW);
	assert_int_equal(judge(rs, "b", NULL, "jiro", g, 1).target, MNG_TARGET_BLOCK);
	assert_int_equal(judge(rs, "c", NULL, "jiro", NULL, 0).target, MNG_TARGET_ALLOW);
	assert_int_equal(judge(rs, "c", NULL, "hanako", NULL, 0).target, MNG_TARGET_BLOCK);
	assert_int_equal(judge(rs, "d", NULL, "jiro", NULL, 0).target, MNG_TARGET_BLOCK);
	assert_int_equal(judge(rs, "e", NULL, "jiro", NULL, 0).target, MNG_TARGET_ALLOW);
	mng_ruleset_free(&rs);
}

static void test_format_roundtrip(void **state)
{
	static const char *const lines[] = {
	    "printer allow \"office-1\"",
	    "printer block \"*\"",
	    "printer allow \"q\" uri \"ipps://h:631/ipp/print\" content-check off",
	    "printer allow \"q\" if user(\"taro\")",
	    "printer allow \"q\" if one-of { user(\"taro\") group(\"g\") } expires "
	    "\"2031-01-01T00:00Z\" ticket \"INC-1\"",
	    "printer block \"\\xe5\\x8d\\xb0\\xe5\\x88\\xb7\"",
	};
	char buf[512], buf2[512];
	size_t i;

	(void)state;
	for (i = 0; i < MNG_ARRAY_SIZE(lines); i++) {
		struct mng_ruleset *rs = load_ok(lines[i]), *rs2;

		assert_true(mng_ruleset_printer_format(rs, 0, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, lines[i]);
		rs2 = load_ok(buf);
		assert_true(mng_ruleset_printer_format(rs2, 0, buf2, sizeof(buf2)) > 0);
		assert_string_equal(buf, buf2);
		assert_int_equal(mng_ruleset_printer_format(rs, 0, buf, 8), -ENOBUFS);
		assert_int_equal(mng_ruleset_printer_format(rs, 1, buf, sizeof(buf)), -EINVAL);
		mng_ruleset_free(&rs);
		mng_ruleset_free(&rs2);
	}
	/* "content-check on" is the default and is not printed */
	{
		struct mng_ruleset *rs = load_ok("printer allow \"q\" content-check on\n");

		assert_true(mng_ruleset_printer_format(rs, 0, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "printer allow \"q\"");
		mng_ruleset_free(&rs);
	}
}

static void test_errors(void **state)
{
	static const char nul_line[] = "printer allow \"a\"\0";
	char *big;

	(void)state;
	load_bad("printer permit \"a\"\n", 19, 1, 9, "expected allow or block");
	load_bad("printer allow a\n", 16, 1, 15, "quoted queue name");
	load_bad("printer allow\n", 14, 1, 14, "quoted queue name");
	load_bad("printer allow \"\"\n", 17, 1, 15, "a queue name is");
	load_bad("printer allow \"a b\"\n", 20, 1, 15, "a queue name is");
	load_bad("printer allow \"a/b\"\n", 20, 1, 15, "a queue name is");
	load_bad("printer allow \"a\\x01\"\n", 22, 1, 15, "a queue name is");
	load_bad("printer block \"a\" content-check off\n", 36, 1, 19, "only valid with allow");
	load_bad("printer allow \"a\" content-check maybe\n", 38, 1, 33, "expected on or off");
	load_bad("printer allow \"a\" content-check on content-check off\n", 52, 1, 36,
		 "already defined");
	load_bad("printer allow \"a\" uri \"x y\"\n", 28, 1, 19, "a URI is");
	load_bad("printer allow \"a\" if random\n", 28, 1, 19, "allows only the conditions");
	load_bad("printer allow \"a\" if allowed-matches(id 1234:5678)\n", 52, 1, 19,
		 "allows only the conditions");
	load_bad("printer allow \"a\" if rule-applied\n", 34, 1, 19, "allows only the conditions");
	load_bad("printer allow \"a\" expires \"2030-01-01T00:00\"\n", 45, 1, 44, "bad expiry");
	load_bad("printer allow \"a\" ticket \"\"\n", 28, 1, 19, "a ticket is 1 to");
	load_bad("printer allow \"a\" mode ro\n", 26, 1, 19, "unknown printer attribute");
	load_bad("printer allow \"a\"\r\n", 19, 1, 18, "carriage return");
	load_bad(nul_line, sizeof(nul_line) - 1, 1, 18, "NUL byte");
	/* an error on a later line: nothing of the file is kept, the good line neither */
	load_bad("printer allow \"a\"\nallow\nprinter nope\n", 37, 3, 9, "expected allow");
	/* a 1 MiB line is one error; invalid UTF-8 in a queue name is bytes, kept as such */
	big = malloc(1u << 20);
	assert_non_null(big);
	memset(big, 'a', 1u << 20);
	memcpy(big, "printer allow \"", 15);
	load_bad(big, 1u << 20, 1, 1, "line longer than");
	free(big);
	{
		struct mng_ruleset *rs = load_ok("printer allow \"\\xff\\xfe\"\n");
		struct mng_printer_verdict v = judge(rs, "\xff\xfe", NULL, "taro", NULL, 0);

		assert_int_equal(v.target, MNG_TARGET_ALLOW);
		mng_ruleset_free(&rs);
	}
}

static void test_bad_arguments(void **state)
{
	struct mng_ruleset *rs = load_ok("printer allow \"*\"\n");
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_printer_verdict v;

	(void)state;
	assert_int_equal(mng_ruleset_judge_printer(rs, "", NULL, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(mng_ruleset_judge_printer(rs, NULL, NULL, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(mng_ruleset_judge_printer(NULL, "q", NULL, &ctx, &v), -EINVAL);
	assert_int_equal(v.target, MNG_TARGET_BLOCK);
	assert_int_equal(mng_ruleset_judge_printer(rs, "q", NULL, NULL, &v), -EINVAL);
	assert_int_equal(mng_ruleset_judge_printer(rs, "q", NULL, &ctx, NULL), -EINVAL);
	assert_int_equal(mng_ruleset_printer_count(NULL), 0);
	mng_ruleset_free(&rs);
}

/* a device rule file with printer rules judges devices exactly as without them */
static void test_devices_untouched(void **state)
{
	struct mng_ruleset *a = load_ok("block with-interface one-of { 08:*:* }\nallow\n");
	struct mng_ruleset *b = load_ok("printer allow \"*\"\nblock with-interface one-of { "
					"08:*:* }\nprinter block \"x\"\nallow\n");
	struct mng_device d;
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_verdict va, vb;
	char buf[128];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.descriptors_ok = true;
	d.n_ifaces = 1;
	d.ifaces[0] = (struct mng_iface){.cls = 0x08, .subcls = 0x06, .proto = 0x50};
	assert_int_equal(mng_ruleset_count(b), 2);
	assert_int_equal(mng_ruleset_judge(a, &d, &ctx, &va), 0);
	assert_int_equal(mng_ruleset_judge(b, &d, &ctx, &vb), 0);
	assert_int_equal(va.target, MNG_TARGET_BLOCK);
	assert_int_equal(vb.target, MNG_TARGET_BLOCK);
	assert_int_equal(vb.line, 2);
	assert_true(mng_ruleset_format(b, 1, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "allow");
	mng_ruleset_free(&a);
	mng_ruleset_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_refuses),
	    cmocka_unit_test(test_first_match_and_globs),
	    cmocka_unit_test(test_conditions_expiry),
	    cmocka_unit_test(test_format_roundtrip),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_devices_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
