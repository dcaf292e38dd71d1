// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam_symbols.c - pam_mnguard.so exports the PAM entry points and
 * nothing else (pam_mnguard.map): its dynamic symbol table is read with
 * nm, and dlopen/dlsym must find every pam_sm_* and none of the module's
 * or libmnguard's own functions. Its NEEDED libraries are libfido2,
 * libcrypto, libpam and libc only (no JSON or INI library is loaded into
 * every login; read with readelf).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *module(void)
{
	const char *p = getenv("MNG_PAM");

	if (!p || !*p)
		fail_msg("MNG_PAM is not set (run through make check-unit)");
	return p;
}

static void test_only_pam_sm_exported(void **state)
{
	char cmd[4200], line[512];
	int defined = 0, entry = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", module());
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char addr[64], type[8], name[256];

		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
			continue;
		defined++;
		if (strncmp(name, "pam_sm_", 7) != 0)
			fail_msg("exported symbol that is not a PAM entry point: %s", name);
		entry++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(defined, 5);
	assert_int_equal(entry, 5);
}

static void test_dlopen(void **state)
{
	static const char *const want[] = {"pam_sm_authenticate", "pam_sm_setcred",
					   "pam_sm_acct_mgmt", "pam_sm_open_session",
					   "pam_sm_close_session"};
	static const char *const hidden[] = {"mng_pam_authenticate", "mng_fido_assert",
					     "mng_credset_parse",    "mng_counter_advance",
					     "mng_config_parse",     "mng_ipc_auth_report"};
	void *h = dlopen(module(), RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h)
		fail_msg("dlopen: %s", dlerror());
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!dlsym(h, want[i]))
			fail_msg("%s missing", want[i]);
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (dlsym(h, hidden[i]))
			fail_msg("%s is visible", hidden[i]);
	dlclose(h);
}

/* Guards the login's CPU cost: nothing but these is loaded with the module. */
static void test_needed_libraries(void **state)
{
	/* The sanitizer runtimes appear only in the SANITIZE=1 build. */
	static const char *const allowed[] = {"libfido2.so.", "libcrypto.so.", "libpam.so.",
					      "libc.so.",     "libasan.so.",   "libubsan.so.",
					      NULL};
	char cmd[4200], line[512];
	int needed = 0, fido = 0;
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "readelf -d '%s'", module());
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *lib = strstr(line, "(NEEDED)"), *open_b, *close_b;
		size_t i;

		if (!lib)
			continue;
		open_b = strchr(lib, '[');
		close_b = open_b ? strchr(open_b, ']') : NULL;
		assert_non_null(close_b);
		*close_b = '\0';
		for (i = 0; allowed[i]; i++)
			if (!strncmp(open_b + 1, allowed[i], strlen(allowed[i])))
				break;
		if (!allowed[i])
			fail_msg("pam_mnguard.so needs %s", open_b + 1);
		fido += i == 0;
		needed++;
	}
	assert_int_equal(pclose(f), 0);
	assert_true(needed >= 3);
	assert_int_equal(fido, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_only_pam_sm_exported),
	    cmocka_unit_test(test_dlopen),
	    cmocka_unit_test(test_needed_libraries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
