// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_rules.c - "mnguardctl rules check FILE...": parse rule files and
 * report every error as file:line:col: message.
 *
 * FILE may be "-" (standard input) or a rules.d directory (its *.rules
 * files, in name order). Each FILE is checked on its own; on success
 * "FILE: N rules" is printed. Exit status: 0 all files good, 1 any error,
 * 2 usage error (ctl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "diag.h"
#include "file.h"
#include "rules.h"
#include "rulesload.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguardctl rules check FILE...\n"
		   "  FILE may be - (standard input) or a directory of *.rules files\n");
}

/* Returns the number of rules, or -1 after printing why the file failed. */
static long check_one(const char *path)
{
	struct mng_ruleset *rs = NULL;
	struct mng_diags diags = {0};
	struct stat st;
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	long ret = -1;
	int r;

	if (mng_ruleset_new(&rs) < 0) {
		fprintf(stderr, "mnguardctl rules: out of memory\n");
		return -1;
	}
	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = mng_rules_load(rs, path, 0, &diags);
		if (r >= 0)
			ret = (long)mng_ruleset_count(rs);
		goto out;
	}
	r = mng_file_read(path, MNG_RULES_FILE_MAX, 0, &buf, &len, &why);
	if (r == -EFBIG) {
		fprintf(stderr, "%s: larger than %u MiB, refused\n", path,
			MNG_RULES_FILE_MAX >> 20);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s (%s)\n", path, why ? why : "cannot read", strerror(-r));
		goto out;
	}
	r = mng_ruleset_parse(rs, buf, len, path, &diags);
	if (r == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", path);
	else if (r >= 0)
		ret = r;
out:
	mng_diags_print(&diags, stderr);
	mng_diags_clear(&diags);
	mng_ruleset_free(&rs);
	free(buf);
	return ret;
}

int ctl_rules(int argc, char **argv)
{
	int i, status = CTL_EXIT_OK;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	if (argc < 3 || strcmp(argv[1], "check")) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		long n = check_one(argv[i]);

		if (n < 0) {
			status = CTL_EXIT_FAIL;
			continue;
		}
		printf("%s: %ld rule%s\n", argv[i], n, n == 1 ? "" : "s");
	}
	return status;
}
