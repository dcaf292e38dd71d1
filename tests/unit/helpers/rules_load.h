/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rules_load.h - parsing rule text in tests, expecting success or one given diagnostic. */
#ifndef MNG_TEST_RULES_LOAD_H
#define MNG_TEST_RULES_LOAD_H

#include <stddef.h>

#include "rules.h"

/*
 * test_rules_load_ok - a new ruleset holding text parsed as file name; fails
 * the running cmocka test (printing the first diagnostic) when it does not
 * parse. The caller frees the ruleset.
 */
struct mng_ruleset *test_rules_load_ok(const char *name, const char *text);

/*
 * test_rules_load_bad - parse len bytes of text as file name and expect
 * -EINVAL with the first diagnostic at line:col holding needle, and no rule
 * of any kind (device, printer, clipboard) kept; else fail the running test.
 */
void test_rules_load_bad(const char *name, const char *text, size_t len, unsigned line,
			 unsigned col, const char *needle);

#endif
