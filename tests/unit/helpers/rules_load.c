// SPDX-License-Identifier: GPL-2.0-or-later
/* rules_load.c - parsing rule text in tests (see rules_load.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules_load.h"

struct mng_ruleset *test_rules_load_ok(const char *name, const char *text)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};
	int r;

	assert_int_equal(mng_ruleset_new(&rs), 0);
	r = mng_ruleset_parse(rs, text, strlen(text), name, &d);
	if (r < 0 && d.n)
		fprintf(stderr, "%s:%u:%u: %s\n", d.v[0].file, d.v[0].line, d.v[0].col, d.v[0].msg);
	assert_true(r >= 0);
	mng_diags_clear(&d);
	return rs;
}

void test_rules_load_bad(const char *name, const char *text, size_t len, unsigned line,
			 unsigned col, const char *needle)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags d = {0};

	assert_int_equal(mng_ruleset_new(&rs), 0);
	assert_int_equal(mng_ruleset_parse(rs, text, len, name, &d), -EINVAL);
	assert_true(d.n >= 1);
	if (d.v[0].line != line || d.v[0].col != col || !strstr(d.v[0].msg, needle))
		fail_msg("got %u:%u: %s, want %u:%u: ...%s...", d.v[0].line, d.v[0].col, d.v[0].msg,
			 line, col, needle);
	assert_int_equal(mng_ruleset_clipboard_count(rs), 0);
	assert_int_equal(mng_ruleset_printer_count(rs), 0);
	assert_int_equal(mng_ruleset_count(rs), 0);
	mng_diags_clear(&d);
	mng_ruleset_free(&rs);
}
