// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rules_conformance.c - the rule parser against USBGuard's own test
 * data (tests/data/usbguard/test-rules.*): every good line parses as one
 * rule and formats back to a rule that parses to the same form, every bad
 * line is rejected with a file:line:col diagnostic, and the sample file
 * parses whole.
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

#include <cmocka.h>

#include "rules.h"
#include "helpers/testdata.h"

/* Calls fn(line, len, lineno) for each line of buf. */
static void each_line(char *buf, size_t len, void (*fn)(const char *, size_t, unsigned))
{
	char *p = buf, *end = buf + len;
	unsigned no = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		fn(p, n, ++no);
		p = nl ? nl + 1 : end;
	}
}

static bool is_comment(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == n || line[i] == '#';
}

static void good_line(const char *line, size_t n, unsigned no)
{
	struct mng_ruleset *rs = NULL, *rs2 = NULL;
	struct mng_diags d = {0};
	char a[65536], b[65536];
	int r;

	assert_int_equal(mng_ruleset_new(&rs), 0);
	r = mng_ruleset_parse(rs, line, n, "test-rules.good", &d);
	if (is_comment(line, n)) {
		/* the file holds a few comment lines too: no rule, no error */
		assert_int_equal(r, 0);
		assert_int_equal(mng_diags_count(&d), 0);
		mng_ruleset_free(&rs);
		return;
	}
	if (r != 1) {
		mng_diags_print(&d, stderr);
		fail_msg("good line %u did not parse as one rule: %.*s", no, (int)n, line);
	}
	assert_int_equal(mng_diags_count(&d), 0);
	r = mng_ruleset_format(rs, 0, a, sizeof(a));
	assert_true(r > 0);
	/* the normalised form parses back to itself */
	assert_int_equal(mng_ruleset_new(&rs2), 0);
	assert_int_equal(mng_ruleset_parse(rs2, a, (size_t)r, "formatted", &d), 1);
	assert_true(mng_ruleset_format(rs2, 0, b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	mng_ruleset_free(&rs);
	mng_ruleset_free(&rs2);
	mng_diags_clear(&d);
}

static void bad_line(const char *line, size_t n, unsigned no)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};
	int r;

	assert_int_equal(mng_ruleset_new(&rs), 0);
	r = mng_ruleset_parse(rs, line, n, "test-rules.bad", &d);
	if (r != -EINVAL)
		fail_msg("bad line %u was accepted: %.*s", no, (int)n, line);
	assert_int_equal(mng_ruleset_count(rs), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, "test-rules.bad");
	assert_int_equal(d.v[0].line, 1);
	assert_true(d.v[0].col >= 1 && d.v[0].col <= n + 1);
	assert_true(d.v[0].msg[0] != '\0');
	mng_ruleset_free(&rs);
	mng_diags_clear(&d);
}

static void test_good(void **state)
{
	size_t len;
	char *buf = test_data_read("tests/data/usbguard/test-rules.good", &len);
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};

	each_line(buf, len, good_line);
	/* and the whole file at once: 770 lines, 3 of them comments */
	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, buf, len, "test-rules.good", &d), 767);
	assert_int_equal(mng_ruleset_count(rs), 767);
	mng_ruleset_free(&rs);
	free(buf);
}

static void test_bad(void **state)
{
	size_t len;
	char *buf = test_data_read("tests/data/usbguard/test-rules.bad", &len);
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};
	size_t i;

	each_line(buf, len, bad_line);
	/* the whole file: one diagnostic per line, each naming its own line */
	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, buf, len, "test-rules.bad", &d), -EINVAL);
	assert_int_equal(mng_ruleset_count(rs), 0);
	assert_int_equal(d.n, 75);
	for (i = 0; i < d.n; i++)
		assert_int_equal(d.v[i].line, i + 1);
	mng_diags_clear(&d);
	mng_ruleset_free(&rs);
	free(buf);
}

static void test_file(void **state)
{
	size_t len;
	char *buf = test_data_read("tests/data/usbguard/test-rules.file", &len);
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};
	const char *file;
	unsigned line;
	char out[256];

	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, buf, len, "test-rules.file", &d), 3);
	assert_int_equal(mng_diags_count(&d), 0);
	assert_int_equal(mng_ruleset_location(rs, 0, &file, &line), 0);
	assert_string_equal(file, "test-rules.file");
	assert_int_equal(line, 6);
	assert_int_equal(mng_ruleset_location(rs, 2, &file, &line), 0);
	assert_int_equal(line, 14);
	assert_true(mng_ruleset_format(rs, 0, out, sizeof(out)) > 0);
	/* USBGuard's normalised form, checked against usbguard-rule-parser 1.1.2 */
	assert_string_equal(out, "reject with-interface one-of { e5:*:* 2a:*:* ac:c7:* 4b:*:* "
				 "f2:*:* } if equals-ordered { true false !true false }");
	assert_true(mng_ruleset_format(rs, 2, out, sizeof(out)) > 0);
	assert_string_equal(out, "reject with-interface one-of { e6:*:* }");
	mng_ruleset_free(&rs);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
