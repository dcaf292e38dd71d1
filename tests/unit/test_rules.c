// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules.c - the rule parser: syntax, extensions, diagnostics with
 * file:line:col, caps, hostile input, the formatter, and a file of 50,000
 * rules. (Timings belong to the benchmarks in bench/, not to these tests.)
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

struct res {
	int r;
	struct mng_diags d;
	struct mng_ruleset *rs;
};

static void parse(struct res *x, const char *buf, size_t len)
{
	memset(x, 0, sizeof(*x));
	assert_int_equal(mng_ruleset_new(&x->rs), 0);
	x->r = mng_ruleset_parse(x->rs, buf, len, "t.rules", &x->d);
}

static void done(struct res *x)
{
	mng_diags_clear(&x->d);
	mng_ruleset_free(&x->rs);
}

/* s parses to one rule whose normalised form is want (s itself when want is NULL) */
static void ok(const char *s, const char *want)
{
	struct res x;
	char out[8192];

	parse(&x, s, strlen(s));
	if (x.r != 1) {
		mng_diags_print(&x.d, stderr);
		fail_msg("did not parse: %s", s);
	}
	assert_true(mng_ruleset_format(x.rs, 0, out, sizeof(out)) > 0);
	assert_string_equal(out, want ? want : s);
	done(&x);
}

/* s is rejected with exactly one diagnostic at col, whose message holds msg */
static void bad(const char *s, unsigned col, const char *msg)
{
	struct res x;

	parse(&x, s, strlen(s));
	if (x.r != -EINVAL)
		fail_msg("accepted: %s", s);
	assert_int_equal(mng_ruleset_count(x.rs), 0);
	assert_int_equal(x.d.n, 1);
	assert_string_equal(x.d.v[0].file, "t.rules");
	assert_int_equal(x.d.v[0].line, 1);
	if (x.d.v[0].col != col || !strstr(x.d.v[0].msg, msg))
		fail_msg("%s: got col %u '%s', want col %u '%s'", s, x.d.v[0].col, x.d.v[0].msg,
			 col, msg);
	done(&x);
}

static void test_usbguard_forms(void **state)
{
	ok("allow", NULL);
	ok("  allow  ", "allow");
	ok("allow 1234:5678", "allow id 1234:5678");
	ok("block id 0781:*", NULL);
	ok("reject id *:*", NULL);
	ok("match name \"x\"", NULL);
	ok("device serial \"\"", NULL);
	ok("allow id 7Dbb:aBcD", NULL); /* case kept, as USBGuard prints it */
	ok("allow name { \"a\" }", "allow name \"a\"");
	ok("allow name {\"a\"}", "allow name \"a\"");
	ok("allow name equals { \"a\" }", "allow name \"a\"");
	ok("allow name \"a\\x41\\\"\\\\\"", "allow name \"aA\\\"\\\\\"");
	ok("allow name \"\t\xc3\xa9\"", "allow name \"\\x09\\xc3\\xa9\"");
	ok("allow with-interface AB:cD:Ef", "allow with-interface ab:cd:ef");
	ok("allow with-interface { 03:*:* 08:06:* }", NULL);
	ok("allow with-interface match-all { 03:*:* }", NULL);
	ok("allow if !localtime(08:30-17:15)", NULL);
	ok("allow if true(x)", "allow if true");
	ok("allow if one-of { true !false rule-applied rule-evaluated(10) random(0.25) }", NULL);
	ok("allow if allowed-matches(name \"kbd\" # comment)", NULL);
	/* fuzz find: a condition without an argument once did pointer arithmetic on NULL */
	ok("allow  if random", "allow if random");
	ok("allow if localtime(1:00)", NULL);
	ok("allow label \"a\" label one-of { \"b\" }", "allow label one-of { \"a\" \"b\" }");
	ok("allow name \"a\" # trailing", "allow name \"a\"");
	ok("allow name \"a\"#glued", "allow name \"a\"");
	/* USBGuard's print order, whatever the order written */
	ok("allow label \"l\" with-connect-type \"hotplug\" if true with-interface 03:00:00 "
	   "via-port \"1-2\" parent-hash \"p\" hash \"h\" name \"n\" serial \"s\" id 1234:5678",
	   "allow id 1234:5678 serial \"s\" name \"n\" hash \"h\" parent-hash \"p\" via-port "
	   "\"1-2\" with-interface 03:00:00 if true with-connect-type \"hotplug\" label \"l\"");
}

static void test_extensions(void **state)
{
	ok("allow id 0781:5567 mode ro", NULL);
	ok("allow mode rw", "allow");
	ok("allow with-interface all-of { 03:*:* 08:*:* } allow-interface 03:*:*", NULL);
	ok("allow allow-interface { 03:01:* 09:*:* }", NULL);
	ok("allow if user(\"taro\")", NULL);
	ok("allow if one-of { group(\"wheel\") !user(\"a\\\"b\") }", NULL);
	ok("allow expires \"2030-01-02T03:04:05Z\"", NULL);
	ok("allow expires \"2030-01-02T03:04+09:00\"", NULL);
	ok("block ticket \"INC-123\"", NULL);
	ok("allow ticket \"INC-1\" expires \"2030-01-02T03:04:05-05:30\" mode ro",
	   "allow mode ro expires \"2030-01-02T03:04:05-05:30\" ticket \"INC-1\"");
}

static void test_errors_have_columns(void **state)
{
	bad("allow mode ro mode rw", 15, "mode attribute already defined");
	bad("block mode ro", 7, "only valid with target allow");
	bad("reject allow-interface 03:*:*", 8, "only valid with target allow");
	bad("allow mode rx", 12, "expected ro or rw");
	bad("allow allow-interface one-of { 03:*:* }", 7, "no set operator");
	bad("allow expires \"2030-13-01T00:00Z\"", 20, "bad expiry time");
	bad("allow expires \"2030-01-01T00:00\"", 32, "bad expiry time");
	bad("allow expires \"2029-02-29T00:00Z\"", 23, "bad expiry time");
	bad("allow expires \"2030-01-01 00:00Z\"", 26, "bad expiry time");
	bad("allow expires \"x\" expires \"y\"", 16, "bad expiry time");
	bad("allow ticket \"\"", 7, "1 to 128 bytes");
	bad("allow ticket \"a\\x0ab\"", 7, "control characters");
	bad("allow ticket \"a\" ticket \"b\"", 18, "ticket attribute already defined");
	bad("allow if user(taro)", 15, "needs a quoted name");
	bad("allow if user", 14, "needs a quoted name");
	bad("allow if allowed-matches(mode ro)", 10, "not allowed in an allowed-matches");
	bad("allow if localtime(10:00-09:00)", 10, "begins after it ends");
	bad("allow if localtime(24:00)", 10, "localtime() needs");
	bad("allow if random(x)", 10, "not a number");
	bad("allow if rule-applied(x)", 10, "bad duration");
	bad("allow if true()", 10, "empty condition argument");
	bad("allow name \"\\n\"", 13, "unknown escape sequence");
	bad("allow name \"\\x4\"", 13, "two hex digits");
	bad("allow name \"abc", 12, "unterminated string");
	bad("allow id 1234:5678 \r", 20, "carriage return");
	bad("allow\r", 6, "carriage return");
	bad("allow name \"a\rb\"", 14, "carriage return");
	bad("allow identity", 7, "unknown attribute");
	bad("Allow", 1, "expected a rule target");
}

static void test_every_error_reported(void **state)
{
	const char *text = "allow\n"
			   "bogus\n"
			   "# comment\n"
			   "\n"
			   "allow name \"x\" name \"y\"\n"
			   "block\n"
			   "  reject if nothing\n";
	struct res x;

	parse(&x, text, strlen(text));
	assert_int_equal(x.r, -EINVAL);
	assert_int_equal(mng_ruleset_count(x.rs), 0); /* all or nothing */
	assert_int_equal(x.d.n, 3);
	assert_int_equal(x.d.v[0].line, 2);
	assert_int_equal(x.d.v[0].col, 1);
	assert_int_equal(x.d.v[1].line, 5);
	assert_int_equal(x.d.v[1].col, 16);
	assert_int_equal(x.d.v[2].line, 7);
	assert_int_equal(x.d.v[2].col, 13);
	done(&x);
}

static void test_append_and_location(void **state)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};
	const char *f;
	unsigned line;
	char small[8];

	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, "allow\n\nblock\n", 13, "a.rules", &d), 2);
	assert_int_equal(mng_ruleset_parse(rs, "oops\n", 5, "b.rules", &d), -EINVAL);
	assert_int_equal(mng_ruleset_parse(rs, "reject", 6, "c.rules", &d), 1);
	assert_int_equal(mng_ruleset_count(rs), 3);
	assert_int_equal(mng_ruleset_location(rs, 1, &f, &line), 0);
	assert_string_equal(f, "a.rules");
	assert_int_equal(line, 3);
	assert_int_equal(mng_ruleset_location(rs, 2, &f, &line), 0);
	assert_string_equal(f, "c.rules");
	assert_int_equal(line, 1);
	assert_int_equal(mng_ruleset_location(rs, 3, &f, &line), -EINVAL);
	assert_int_equal(mng_ruleset_format(rs, 3, small, sizeof(small)), -EINVAL);
	assert_int_equal(mng_ruleset_format(rs, 2, small, 4), -ENOBUFS);
	assert_string_equal(small, "rej");
	assert_int_equal(mng_ruleset_format(rs, 2, small, sizeof(small)), 6);
	mng_diags_clear(&d);
	mng_ruleset_free(&rs);
	mng_ruleset_free(&rs); /* NULL is fine */
	mng_ruleset_free(NULL);
	assert_int_equal(mng_ruleset_count(NULL), 0);
	assert_int_equal(mng_ruleset_parse(NULL, "allow", 5, "x", NULL), -EINVAL);
}

static void test_long_line(void **state)
{
	size_t n = 1u << 20;
	char *buf = malloc(n + 16);
	struct res x;

	assert_non_null(buf);
	/* a 1 MiB line: one diagnostic for it, the next line still parsed */
	memset(buf, 'a', n);
	memcpy(buf, "allow name \"", 12);
	memcpy(buf + n, "\nallow\nbad\n", 11);
	parse(&x, buf, n + 11);
	assert_int_equal(x.r, -EINVAL);
	assert_int_equal(x.d.n, 2);
	assert_int_equal(x.d.v[0].line, 1);
	assert_non_null(strstr(x.d.v[0].msg, "line longer than"));
	assert_int_equal(x.d.v[1].line, 3);
	done(&x);

	/* exactly at the cap is parsed; the string in it is over its own cap */
	memset(buf, ' ', MNG_RULES_LINE_MAX);
	memcpy(buf, "allow", 5);
	parse(&x, buf, MNG_RULES_LINE_MAX);
	assert_int_equal(x.r, 1);
	done(&x);
	memset(buf, 'b', 5000);
	memcpy(buf, "allow name \"", 12);
	buf[5000] = '"';
	parse(&x, buf, 5001);
	assert_int_equal(x.r, -EINVAL);
	assert_non_null(strstr(x.d.v[0].msg, "string longer than 4096"));
	done(&x);
	free(buf);
}

static void test_nul_and_bytes(void **state)
{
	static const char nul_in_string[] = "allow name \"a\0b\"";
	static const char nul_outside[] = "allow \0";
	static const char bad_utf8[] = "allow name \"\xff\xfe\xc3\x28\"";
	struct res x;
	char out[128];

	parse(&x, nul_in_string, sizeof(nul_in_string) - 1);
	assert_int_equal(x.r, 1); /* a raw NUL is an ordinary byte in a string, as in USBGuard */
	assert_true(mng_ruleset_format(x.rs, 0, out, sizeof(out)) > 0);
	assert_string_equal(out, "allow name \"a\\x00b\"");
	done(&x);

	parse(&x, nul_outside, sizeof(nul_outside) - 1);
	assert_int_equal(x.r, -EINVAL);
	assert_int_equal(x.d.v[0].col, 7);
	assert_non_null(strstr(x.d.v[0].msg, "NUL"));
	done(&x);

	/* invalid UTF-8 is kept byte for byte (USBGuard does the same) */
	parse(&x, bad_utf8, sizeof(bad_utf8) - 1);
	assert_int_equal(x.r, 1);
	assert_true(mng_ruleset_format(x.rs, 0, out, sizeof(out)) > 0);
	assert_string_equal(out, "allow name \"\\xff\\xfe\\xc3(\"");
	done(&x);

	/* binary junk: errors, no crash */
	{
		char junk[4096];
		size_t i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (char)(i * 131 + 7);
		parse(&x, junk, sizeof(junk));
		assert_int_equal(x.r, -EINVAL);
		assert_true(x.d.n >= 1);
		done(&x);
	}
}

static void test_caps(void **state)
{
	size_t n = MNG_RULES_MAX + 1, i, len;
	char *buf = malloc(n * 6 + 1), *p;
	struct res x;

	assert_non_null(buf);
	for (p = buf, i = 0; i < MNG_RULES_MAX; i++, p += 6)
		memcpy(p, "allow\n", 6);
	len = (size_t)(p - buf);
	parse(&x, buf, len);
	assert_int_equal(x.r, MNG_RULES_MAX);
	assert_int_equal(mng_ruleset_count(x.rs), MNG_RULES_MAX);
	/* one more in a second file: refused, nothing appended */
	assert_int_equal(mng_ruleset_parse(x.rs, "block", 5, "more.rules", &x.d), -EINVAL);
	assert_int_equal(mng_ruleset_count(x.rs), MNG_RULES_MAX);
	assert_non_null(strstr(x.d.v[0].msg, "too many rules"));
	done(&x);

	memcpy(p, "block\n", 6);
	parse(&x, buf, len + 6);
	assert_int_equal(x.r, -EINVAL);
	assert_int_equal(x.d.n, 1);
	assert_int_equal(x.d.v[0].line, MNG_RULES_MAX + 1);
	done(&x);
	free(buf);

	/* 4096 values in a set are fine, 4097 are not */
	buf = malloc(20 + 4097 * 10);
	assert_non_null(buf);
	for (int lim = 4096; lim <= 4097; lim++) {
		p = buf + sprintf(buf, "allow id {");
		for (i = 0; i < (size_t)lim; i++)
			p += sprintf(p, " %04zx:*", i);
		p += sprintf(p, " }");
		parse(&x, buf, (size_t)(p - buf));
		assert_int_equal(x.r, lim == 4096 ? 1 : -EINVAL);
		done(&x);
	}
	free(buf);

	/* 64 conditions are fine, 65 are not */
	buf = malloc(20 + 65 * 6);
	assert_non_null(buf);
	for (int lim = 64; lim <= 65; lim++) {
		p = buf + sprintf(buf, "allow if {");
		for (i = 0; i < (size_t)lim; i++)
			p += sprintf(p, " true");
		p += sprintf(p, " }");
		parse(&x, buf, (size_t)(p - buf));
		assert_int_equal(x.r, lim == 64 ? 1 : -EINVAL);
		done(&x);
	}
	free(buf);
}

static void test_nesting(void **state)
{
	size_t depth = 30000, i;
	char *buf = malloc(depth * 17 + 64), *p;
	struct res x;

	assert_non_null(buf);
	/* deep allowed-matches nesting: one level only, a plain diagnostic, no recursion */
	p = buf + sprintf(buf, "allow if ");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "allowed-matches(");
	for (i = 0; i < depth; i++)
		*p++ = ')';
	parse(&x, buf, (size_t)(p - buf));
	assert_int_equal(x.r, -EINVAL);
	assert_int_equal(x.d.n, 1);
	done(&x);

	/* an escaped inner parenthesis reaches the second level and is refused there */
	bad("allow if allowed-matches(if allowed-matches(x\\))", 10, "in allowed-matches()");

	/* deeply nested braces */
	p = buf + sprintf(buf, "allow name ");
	for (i = 0; i < depth; i++)
		*p++ = '{';
	parse(&x, buf, (size_t)(p - buf));
	assert_int_equal(x.r, -EINVAL);
	done(&x);
	free(buf);
}

static void test_parse_many(void **state)
{
	size_t n = 50000, i, len = 0;
	char *buf = malloc(n * 160);
	struct res x;
	char out[256];
	const char *file;
	unsigned line;

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len,
				       "allow id %04zx:%04zx serial \"SN%zu\" name \"Device %zu\" "
				       "with-interface { 08:06:50 03:01:01 } if !rule-applied\n",
				       i & 0xffff, (i * 7) & 0xffff, i, i);
	parse(&x, buf, len);
	assert_int_equal(x.r, (int)n);
	assert_int_equal(mng_ruleset_count(x.rs), n);
	assert_int_equal(mng_diags_count(&x.d), 0);
	assert_int_equal(mng_ruleset_location(x.rs, n - 1, &file, &line), 0);
	assert_int_equal(line, n);
	assert_true(mng_ruleset_format(x.rs, n - 1, out, sizeof(out)) > 0);
	assert_string_equal(out, "allow id c34f:5729 serial \"SN49999\" name \"Device 49999\" "
				 "with-interface { 08:06:50 03:01:01 } if !rule-applied");
	done(&x);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usbguard_forms),
	    cmocka_unit_test(test_extensions),
	    cmocka_unit_test(test_errors_have_columns),
	    cmocka_unit_test(test_every_error_reported),
	    cmocka_unit_test(test_append_and_location),
	    cmocka_unit_test(test_long_line),
	    cmocka_unit_test(test_nul_and_bytes),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_parse_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
