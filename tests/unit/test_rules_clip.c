// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules_clip.c - clipboard rules (mnguard.rules(5), CLIPBOARD): the
 * default (block content mynumber), first match wins, user()/group() of
 * the desktop user, expiry, ticket, the normalised form parsing back to
 * itself, device and printer rules left untouched, bad input (every error
 * with its column, NUL bytes, 1 MiB lines, conditions a clipboard rule
 * cannot have), and the guard's decision over real detector results
 * (ASCII and full-width numbers, a wrong check digit, invalid UTF-8,
 * corporate numbers, unreadable text).
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
	return test_rules_load_ok("c.rules", text);
}

/* parse text, expect failure with the first diagnostic at line:col holding needle */
static void load_bad(const char *text, size_t len, unsigned line, unsigned col, const char *needle)
{
	test_rules_load_bad("c.rules", text, len, line, col, needle);
}

static struct mng_clip_verdict judge(const struct mng_ruleset *rs, const char *user,
				     const char *const *groups, size_t ng)
{
	struct mng_judge_ctx ctx = {.now = T0, .user = user, .groups = groups, .n_groups = ng};
	struct mng_clip_verdict v;

	assert_int_equal(mng_ruleset_judge_clipboard(rs, &ctx, &v), 0);
	return v;
}

static void test_default_is_redact(void **state)
{
	struct mng_ruleset *rs = load_ok("allow with-interface match-all { 03:*:* }\n"
					 "printer allow \"office\"\n");
	struct mng_clip_verdict v = judge(rs, "taro", NULL, 0);

	(void)state;
	assert_int_equal(v.action, MNG_CLIP_REDACT);
	assert_null(v.file);
	assert_int_equal(mng_ruleset_clipboard_count(rs), 0);
	assert_int_equal(mng_ruleset_count(rs), 1);
	assert_int_equal(mng_ruleset_printer_count(rs), 1);
	mng_ruleset_free(&rs);
}

static void test_three_forms(void **state)
{
	struct mng_ruleset *rs;
	struct mng_clip_verdict v;

	(void)state;
	rs = load_ok("clipboard allow\n");
	v = judge(rs, "taro", NULL, 0);
	assert_int_equal(v.action, MNG_CLIP_ALLOW);
	assert_string_equal(v.file, "c.rules");
	assert_int_equal(v.line, 1);
	mng_ruleset_free(&rs);

	rs = load_ok("# comment\n\nclipboard block\t# all of it\n");
	v = judge(rs, "taro", NULL, 0);
	assert_int_equal(v.action, MNG_CLIP_BLOCK);
	assert_int_equal(v.line, 3);
	mng_ruleset_free(&rs);

	rs = load_ok("clipboard   block   content   mynumber\n");
	v = judge(rs, NULL, NULL, 0);
	assert_int_equal(v.action, MNG_CLIP_REDACT);
	assert_non_null(v.file);
	mng_ruleset_free(&rs);
}

static void test_first_match_and_conditions(void **state)
{
	const char *admins[] = {"users", "jyoho-admin"};
	const char *staff[] = {"users"};
	struct mng_ruleset *rs =
	    load_ok("clipboard allow if user(\"kanri\") ticket \"INC-7\"\n"
		    "clipboard block if group(\"kiosk\")\n"
		    "clipboard allow if all-of { group(\"jyoho-admin\") localtime(00:00-23:59) }\n"
		    "clipboard block content mynumber\n"
		    "clipboard allow\n");
	struct mng_clip_verdict v;

	(void)state;
	assert_int_equal(mng_ruleset_clipboard_count(rs), 5);
	v = judge(rs, "kanri", NULL, 0);
	assert_int_equal(v.action, MNG_CLIP_ALLOW);
	assert_int_equal(v.line, 1);
	assert_string_equal(v.ticket, "INC-7");
	v = judge(rs, "suzuki", (const char *const[]){"kiosk"}, 1);
	assert_int_equal(v.action, MNG_CLIP_BLOCK);
	assert_int_equal(v.line, 2);
	assert_null(v.ticket);
	v = judge(rs, "sato", admins, 2);
	assert_int_equal(v.action, MNG_CLIP_ALLOW);
	assert_int_equal(v.line, 3);
	v = judge(rs, "tanaka", staff, 1);
	assert_int_equal(v.action, MNG_CLIP_REDACT);
	assert_int_equal(v.line, 4);
	/* nobody logged in: user() and group() do not hold */
	v = judge(rs, NULL, NULL, 0);
	assert_int_equal(v.line, 4);
	mng_ruleset_free(&rs);
}

static void test_expiry(void **state)
{
	struct mng_ruleset *rs = load_ok("clipboard allow expires \"2030-01-02T03:04:05Z\"\n"
					 "clipboard allow expires \"2030-01-02T03:04:06Z\" ticket "
					 "\"CHG-1\"\n"
					 "clipboard block\n");
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_clip_verdict v;

	(void)state;
	/* the first has expired at T0 (the window is before "expires") */
	v = judge(rs, "taro", NULL, 0);
	assert_int_equal(v.line, 2);
	assert_string_equal(v.ticket, "CHG-1");
	ctx.now = T0 + 1;
	assert_int_equal(mng_ruleset_judge_clipboard(rs, &ctx, &v), 0);
	assert_int_equal(v.action, MNG_CLIP_BLOCK);
	assert_int_equal(v.line, 3);
	mng_ruleset_free(&rs);
}

static void test_format_round_trip(void **state)
{
	const char *lines[] = {
	    "clipboard allow",
	    "clipboard block",
	    "clipboard block content mynumber",
	    "clipboard allow if user(\"kanri\")",
	    "clipboard block content mynumber if one-of { group(\"a\") group(\"b\") } expires "
	    "\"2031-04-01T00:00Z\" ticket \"INC-1 \\\"x\\\"\"",
	};
	char buf[512], buf2[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct mng_ruleset *rs = load_ok(lines[i]), *rs2;

		assert_true(mng_ruleset_clipboard_format(rs, 0, buf, sizeof(buf)) > 0);
		rs2 = load_ok(buf);
		assert_int_equal(mng_ruleset_clipboard_count(rs2), 1);
		assert_true(mng_ruleset_clipboard_format(rs2, 0, buf2, sizeof(buf2)) > 0);
		assert_string_equal(buf, buf2);
		assert_int_equal(judge(rs, "x", NULL, 0).action, judge(rs2, "x", NULL, 0).action);
		assert_int_equal(mng_ruleset_clipboard_format(rs, 0, buf, 10), -ENOBUFS);
		assert_int_equal(strlen(buf), 9);
		assert_int_equal(mng_ruleset_clipboard_format(rs, 1, buf, sizeof(buf)), -EINVAL);
		mng_ruleset_free(&rs);
		mng_ruleset_free(&rs2);
	}
	assert_string_equal(mng_clip_action_name(MNG_CLIP_REDACT), "block-content-mynumber");
}

static void test_errors(void **state)
{
	static const char nul[] = "clipboard block\0 x\n";
	size_t big = 1024 * 1024;
	char *line;

	(void)state;
	load_bad("clipboard\tdeny\n", 15, 1, 11, "expected allow or block");
	load_bad("clipboard block content\n", 24, 1, 24, "expected mynumber");
	load_bad("clipboard block content pii\n", 28, 1, 25, "expected mynumber");
	load_bad("clipboard allow content mynumber\n", 33, 1, 17, "unknown clipboard attribute");
	load_bad("clipboard allow if user(\"a\") if true\n", 37, 1, 30, "if attribute already");
	load_bad("clipboard allow if rule-applied\n", 32, 1, 17, "only the conditions");
	load_bad("clipboard allow expires \"tomorrow\"\n", 35, 1, 26, "bad expiry time");
	load_bad("clipboard allow ticket \"\"\n", 26, 1, 17, "a ticket is 1 to");
	load_bad("clipboard allow ticket \"a\\x0ab\"\n", 32, 1, 17, "control characters");
	load_bad("clipboard allow\r\n", 17, 1, 16, "carriage return");
	load_bad(nul, sizeof(nul) - 1, 1, 16, "NUL byte");
	load_bad("clipboard allow\nclipboard allow if\n", 35, 2, 19, "expected a condition");
	/* one bad line means no rule of the file is taken, of any kind */
	load_bad("allow id 1234:5678\nprinter allow \"q\"\nclipboard maybe\n", 53, 3, 11,
		 "expected allow or block");
	/* a 1 MiB line is refused whole */
	line = malloc(big + 32);
	assert_non_null(line);
	memcpy(line, "clipboard allow ticket \"", 24);
	memset(line + 24, 'a', big);
	memcpy(line + 24 + big, "\"\n", 2);
	load_bad(line, big + 26, 1, 1, "line longer than");
	free(line);
	/* invalid UTF-8 outside a string is unexpected text */
	load_bad("clipboard allow \xff\xfe\n", 19, 1, 17, "unexpected text");
}

static void test_judge_bad_args(void **state)
{
	struct mng_ruleset *rs = load_ok("clipboard allow\n");
	struct mng_judge_ctx ctx = {.now = T0};
	struct mng_clip_verdict v;

	(void)state;
	v.action = MNG_CLIP_ALLOW;
	assert_int_equal(mng_ruleset_judge_clipboard(NULL, &ctx, &v), -EINVAL);
	assert_int_equal(v.action, MNG_CLIP_BLOCK);
	v.action = MNG_CLIP_ALLOW;
	assert_int_equal(mng_ruleset_judge_clipboard(rs, NULL, &v), -EINVAL);
	assert_int_equal(v.action, MNG_CLIP_BLOCK);
	assert_int_equal(mng_ruleset_judge_clipboard(rs, &ctx, NULL), -EINVAL);
	mng_ruleset_free(&rs);
}

static void test_action_names(void **state)
{
	enum mng_clip_action a = MNG_CLIP_ALLOW;

	(void)state;
	assert_int_equal(mng_clip_action_parse("block", &a), 0);
	assert_int_equal(a, MNG_CLIP_BLOCK);
	assert_int_equal(mng_clip_action_parse("block-content-mynumber", &a), 0);
	assert_int_equal(a, MNG_CLIP_REDACT);
	assert_int_equal(mng_clip_action_parse("allow", &a), 0);
	assert_int_equal(a, MNG_CLIP_ALLOW);
	assert_int_equal(mng_clip_action_parse("Allow", &a), -EINVAL);
	assert_int_equal(mng_clip_action_parse("", &a), -EINVAL);
	assert_int_equal(a, MNG_CLIP_ALLOW);
	assert_string_equal(mng_clip_action_name((enum mng_clip_action)99), "block");
}

/* the guard's decision for text under action (no exemption) */
static enum mng_clip_outcome decide_text(enum mng_clip_action action, const char *s, size_t n)
{
	struct mng_clip_content ct = {.text = true, .complete = true};

	assert_int_equal(mng_mynumber_scan(s, n, &ct.scan, NULL, 0), 0);
	return mng_clip_decide(action, false, &ct);
}

static void test_decide(void **state)
{
	static const char fw[] = "個人番号：１２３４　５６７８　９０１８";
	static const char inval[] = "abc \xff 123";
	struct mng_clip_content ct = {0};
	char *big;

	(void)state;
	/* individual numbers in ASCII, with separators, in full-width digits */
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "123456789018", 12), MNG_CLIP_REDACTED);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "No. 1234-5678-9018.", 19),
			 MNG_CLIP_REDACTED);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, fw, strlen(fw)), MNG_CLIP_REDACTED);
	/* a wrong check digit, a phone number, a corporate number, clean text pass */
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "123456789012", 12), MNG_CLIP_PASS);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "090-1234-5678", 13), MNG_CLIP_PASS);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "T7123456789012", 14), MNG_CLIP_PASS);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, "会議は3時から", 19), MNG_CLIP_PASS);
	/* invalid UTF-8 counts as sensitive; NULs are characters */
	assert_int_equal(decide_text(MNG_CLIP_REDACT, inval, sizeof(inval) - 1), MNG_CLIP_REDACTED);
	assert_int_equal(decide_text(MNG_CLIP_REDACT,
				     "1234\0"
				     "5678",
				     9),
			 MNG_CLIP_PASS);
	/* block denies even clean text; allow passes even a number */
	assert_int_equal(decide_text(MNG_CLIP_BLOCK, "hello", 5), MNG_CLIP_DENY);
	assert_int_equal(decide_text(MNG_CLIP_ALLOW, "123456789018", 12), MNG_CLIP_PASS);
	/* an exemption passes under every policy */
	ct.text = ct.complete = true;
	ct.scan.individual = 3;
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, true, &ct), MNG_CLIP_PASS);
	assert_int_equal(mng_clip_decide(MNG_CLIP_BLOCK, true, &ct), MNG_CLIP_PASS);
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, false, &ct), MNG_CLIP_REDACTED);
	/* text not read whole, or a scan error: redacted */
	memset(&ct, 0, sizeof(ct));
	ct.text = true;
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, false, &ct), MNG_CLIP_REDACTED);
	ct.complete = true;
	ct.scan_failed = true;
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, false, &ct), MNG_CLIP_REDACTED);
	/* no text form at all: nothing to find under block content, denied under block */
	memset(&ct, 0, sizeof(ct));
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, false, &ct), MNG_CLIP_PASS);
	assert_int_equal(mng_clip_decide(MNG_CLIP_BLOCK, false, &ct), MNG_CLIP_DENY);
	assert_int_equal(mng_clip_decide(MNG_CLIP_REDACT, false, NULL), MNG_CLIP_DENY);
	assert_int_equal(mng_clip_decide((enum mng_clip_action)7, false, &ct), MNG_CLIP_DENY);
	/* a number at the end of 4 MiB of text is still found */
	big = malloc(4u << 20);
	assert_non_null(big);
	memset(big, 'x', 4u << 20);
	memcpy(big + (4u << 20) - 13, " 123456789018", 13);
	assert_int_equal(decide_text(MNG_CLIP_REDACT, big, 4u << 20), MNG_CLIP_REDACTED);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_is_redact),
	    cmocka_unit_test(test_three_forms),
	    cmocka_unit_test(test_first_match_and_conditions),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_judge_bad_args),
	    cmocka_unit_test(test_action_names),
	    cmocka_unit_test(test_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
