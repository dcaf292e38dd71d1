// SPDX-License-Identifier: GPL-2.0-or-later
/* test_utf8.c - the one UTF-8 check, against glib's validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "utf8.h"

static int valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = mng_utf8_len(s + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

static void test_known_sequences(void **state)
{
	assert_int_equal(mng_utf8_len((const unsigned char *)"a", 1), 1);
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xe5\x80\x8b", 3), 3); /* 個 */
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xf0\x9f\x94\x91", 4), 4);
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xc0\xaf", 2), 0); /* overlong / */
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xe0\x80\xaf", 3), 0);
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xe5\x80", 2), 0); /* truncated */
	assert_int_equal(mng_utf8_len((const unsigned char *)"\x80", 1), 0);
	assert_int_equal(mng_utf8_len((const unsigned char *)"\xff", 1), 0);
}

/* Every sequence of up to three bytes, and random four-byte ones, agree with glib. */
static void test_agrees_with_glib(void **state)
{
	unsigned char b[4];
	unsigned a, c, d;
	long i;

	for (a = 1; a < 256; a++)
		for (c = 1; c < 256; c++) {
			b[0] = (unsigned char)a;
			b[1] = (unsigned char)c;
			assert_int_equal(valid(b, 2), g_utf8_validate((const char *)b, 2, NULL));
			if (a < 0xe0)
				continue;
			for (d = 1; d < 256; d++) {
				b[2] = (unsigned char)d;
				assert_int_equal(valid(b, 3),
						 g_utf8_validate((const char *)b, 3, NULL));
			}
		}
	srand(7);
	for (i = 0; i < 2000000; i++) {
		for (a = 0; a < 4; a++)
			b[a] = (unsigned char)(rand() % 255 + 1);
		if (i & 1)
			b[0] = (unsigned char)(0xf0 | (b[0] & 7));
		assert_int_equal(valid(b, 4), g_utf8_validate((const char *)b, 4, NULL));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_sequences),
		cmocka_unit_test(test_agrees_with_glib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
