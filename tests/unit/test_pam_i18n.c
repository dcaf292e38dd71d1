// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam_i18n.c - every message pam_mnguard shows (marked _() or N_()
 * in pam_module/auth.c) has a Japanese translation in po/ja.po that also
 * carries the English text, and the build compiled that catalogue.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "helpers/testdata.h"

/* The msgstr of msgid in a .po text (single-line entries), or NULL. */
static char *translation(const char *po, const char *msgid)
{
	char key[1024], *p, *e;

	snprintf(key, sizeof(key), "\nmsgid \"%s\"\nmsgstr \"", msgid);
	p = strstr(po, key);
	if (!p)
		return NULL;
	p += strlen(key);
	e = strstr(p, "\"\n");
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static void test_every_message_translated(void **state)
{
	char *src = test_data_read("pam_module/auth.c", NULL), *po = test_data_read("po/ja.po", NULL), *p = src;
	int found = 0;

	while ((p = strstr(p, "_(\""))) {
		char msgid[512], *end = strchr(p + 3, '"'), *tr, *q;
		int ascii = 1;

		assert_non_null(end);
		snprintf(msgid, sizeof(msgid), "%.*s", (int)(end - (p + 3)), p + 3);
		p = end;
		if (!strcmp(msgid, "mnguard"))
			continue;
		tr = translation(po, msgid);
		if (!tr)
			fail_msg("no Japanese translation for \"%s\"", msgid);
		for (q = tr; *q; q++)
			if ((unsigned char)*q >= 0x80)
				ascii = 0;
		if (ascii)
			fail_msg("translation of \"%s\" has no Japanese text", msgid);
		if (!strstr(tr, msgid))
			fail_msg("translation of \"%s\" lacks the English text", msgid);
		free(tr);
		found++;
	}
	assert_true(found >= 10);
	free(src);
	free(po);
}

static void test_catalogue_built(void **state)
{
	const char *b = getenv("MNG_BUILD");
	char path[4096];

	snprintf(path, sizeof(path), "%s/locale/ja/LC_MESSAGES/mnguard.mo",
		 b ? b : "build/default");
	assert_int_equal(access(path, R_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_message_translated),
	    cmocka_unit_test(test_catalogue_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
