// SPDX-License-Identifier: GPL-2.0-or-later
/* test_ctl_util.c - what mnguardctl's tables let through to the terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/ctl_util.c"

static char *field(const char *s, size_t width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_put_field(f, s, width);
	fclose(f);
	return buf;
}

static void check(const char *in, size_t width, const char *want)
{
	char *got = field(in, width);

	assert_string_equal(got, want);
	free(got);
}

static void test_plain_and_padding(void **state)
{
	check("Cruzer", 8, "Cruzer  ");
	check("Cruzer", 0, "Cruzer");
	check(NULL, 3, "   ");
}

static void test_cut_is_marked(void **state)
{
	check("Kensington Eagle Trackball", 10, "Kensingto~");
}

static void test_escape_sequences_never_pass(void **state)
{
	/* ESC [ 2 J would clear the administrator's screen. */
	check("a\x1b[2Jb", 0, "a?[2Jb");
	check("a\nb\rc\x7f", 0, "a?b?c?");
	check("x\xc2\x9b" "31m", 0, "x?31m"); /* C1 CSI */
}

static void test_invalid_utf8(void **state)
{
	check("\xff\xfe", 0, "??");
	check("\xe3\x81", 0, "??");	    /* truncated sequence */
	check("\xe3\x83\x86", 0, "\xe3\x83\x86"); /* テ is kept */
}

static void test_bidi_controls_masked(void **state)
{
	/* U+202E RIGHT-TO-LEFT OVERRIDE would show "evil.exe" reversed. */
	check("ab\xe2\x80\xae" "cd", 0, "ab?cd");
	check("\xe2\x81\xa6x\xe2\x81\xa9", 0, "?x?"); /* U+2066 .. U+2069 */
	check("\xe2\x80\x8f", 0, "?");		    /* U+200F */
	check("\xe2\x80\x94", 0, "\xe2\x80\x94");     /* an em dash is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_padding),
		cmocka_unit_test(test_cut_is_marked),
		cmocka_unit_test(test_escape_sequences_never_pass),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_bidi_controls_masked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
