// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_audit_prune.c - audit log retention (lib/audit_prune.h) and the
 * audit_retention key of mnguard.conf: which rotated files are removed,
 * which are kept (current log, newer, not verifying, symlinks, other
 * names), the audit.prune records, and that the remaining files still
 * verify as one chain and are reported as pruned by retention.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "audit_prune.h"
#include "audit_report.h"
#include "config.h"

static char dir[] = "/tmp/mng-prune-XXXXXX";

static const char *path(const char *name)
{
	static char buf[4][400];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void rec(struct mng_audit *a, const char *event)
{
	struct mng_audit_rec r = {.event = event, .decision = "ok"};

	assert_int_equal(mng_audit_append(a, &r), 0);
}

static bool exists(const char *name)
{
	return access(path(name), F_OK) == 0;
}

/* audit.log.3 (oldest) .. audit.log.1, audit.log: four linked files; the writer stays open. */
static struct mng_audit *four(void)
{
	struct mng_audit *a = NULL;
	char cmd[500];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mng_audit_open(path("audit.log"), path("anchor"), "pc-p", &a), 0);
	rec(a, "agent.start");
	assert_int_equal(mng_audit_rotate(a, path("audit.log.3")), 0);
	rec(a, "agent.rescan");
	assert_int_equal(mng_audit_rotate(a, path("audit.log.2")), 0);
	rec(a, "agent.rescan");
	assert_int_equal(mng_audit_rotate(a, path("audit.log.1")), 0);
	rec(a, "agent.stop");
	return a;
}

static void test_all_old(void **state)
{
	struct mng_prune_plan p = {0};
	struct mng_diags d = {0};
	struct mng_audit *a = four();
	struct mng_audit_report rep;
	struct mng_report *r = NULL;
	struct mng_report_summary s;
	char *csv = NULL;
	size_t len, i;
	int fd;

	/* ten days from now, with a retention of one day: every rotated file is past it */
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 10 * 86400, 1, &p, &d), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.n_remove, 3);
	assert_string_equal(p.v[0].name, "audit.log.3");
	assert_string_equal(p.v[2].name, "audit.log.1");
	assert_int_equal(p.v[0].first_seq, 1);
	assert_int_equal(p.v[1].first_seq, p.v[0].last_seq + 1);
	assert_int_equal(mng_audit_prune_apply(a, &p, "uid 0 (test)"), 3);
	mng_audit_prune_plan_free(&p);
	mng_audit_close(&a);
	assert_false(exists("audit.log.3"));
	assert_false(exists("audit.log.2"));
	assert_false(exists("audit.log.1"));
	assert_true(exists("audit.log"));

	/* the current log still verifies (and against its anchor) */
	assert_int_equal(mng_audit_verify(path("audit.log"), path("anchor"), &rep), 0);
	assert_true(rep.ok);
	assert_true(rep.first_seq > 1);

	/* the report says the head was removed by retention, not lost */
	assert_int_equal(mng_report_new(NULL, NULL, &r), 0);
	fd = open(path("audit.log"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mng_report_add_fd(r, fd, "audit.log", &d), 0);
	close(fd);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.hosts_failed, 0);
	assert_int_equal(mng_report_render(r, MNG_REPORT_CSV, NULL, NULL, &csv, &len), 0);
	assert_non_null(strstr(csv, "were removed by retention (audit.prune, seq"));
	for (i = 0; i < 3; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"audit.log.%zu\"", i + 1);
		assert_non_null(strstr(csv, want));
	}
	free(csv);
	mng_report_free(&r);
	assert_int_equal(mng_diags_count(&d), 0);
	mng_diags_clear(&d);
}

static void test_nothing_old(void **state)
{
	struct mng_prune_plan p = {0};
	struct mng_audit *a = four();

	/* with a five-year retention nothing written today is past it */
	assert_int_equal(mng_audit_prune_plan(path("audit.log"), time(NULL), 5 * 366, &p, NULL), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.n_remove, 0);
	assert_int_equal(mng_audit_prune_apply(a, &p, NULL), 0);
	mng_audit_prune_plan_free(&p);
	/* forever */
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 999 * 86400, 0, &p, NULL), 0);
	assert_int_equal(p.n_remove, 0);
	mng_audit_prune_plan_free(&p);
	mng_audit_close(&a);
	assert_true(exists("audit.log.3"));
	assert_int_equal(mng_audit_prune_plan(path("audit.log"), 0, -1, &p, NULL), -EINVAL);
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), 0, MNG_PRUNE_RETENTION_MAX + 1, &p, NULL),
	    -EINVAL);
	assert_int_equal(mng_audit_prune_plan(path("nodir/audit.log"), 0, 1, &p, NULL), -ENOENT);
}

/* A file that does not verify is evidence: it and everything after it stays. */
static void test_tampered_kept(void **state)
{
	struct mng_prune_plan p = {0};
	struct mng_diags d = {0};
	struct mng_audit *a = four();
	char cmd[600];

	/* its last line edited: the file alone still verifies, the next one shows it */
	snprintf(cmd, sizeof(cmd), "sed -i '2s/rescan/rescon/' %s", path("audit.log.2"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 10 * 86400, 1, &p, &d), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.n_remove, 1); /* audit.log.3 only */
	assert_true(p.v[0].remove);
	assert_string_equal(p.v[1].name, "audit.log.2");
	assert_false(p.v[1].remove);
	assert_int_equal(mng_diags_count(&d), 1);
	assert_non_null(strstr(d.v[0].msg, "audit.log.2: the file after it does not continue"));
	assert_int_equal(mng_audit_prune_apply(a, &p, NULL), 1);
	assert_false(exists("audit.log.3"));
	assert_true(exists("audit.log.2"));
	assert_true(exists("audit.log.1"));
	mng_audit_prune_plan_free(&p);
	mng_diags_clear(&d);

	/* a file in the middle that does not verify at all stops the removal before it */
	snprintf(cmd, sizeof(cmd), "sed -i '1s/chain.start/chain.stort/' %s", path("audit.log.1"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 10 * 86400, 1, &p, &d), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[1].name, "audit.log.1"); /* unverified files sort last */
	assert_false(p.v[1].verified);
	assert_false(p.v[1].remove);
	assert_false(p.v[0].remove); /* audit.log.2: the log does not continue it */
	assert_int_equal(p.n_remove, 0);
	assert_non_null(strstr(d.v[0].msg, "audit.log.1: does not verify"));
	assert_non_null(strstr(d.v[1].msg, "audit.log.2: the file after it does not continue"));
	mng_audit_prune_plan_free(&p);
	mng_audit_close(&a);
	mng_diags_clear(&d);
}

/* Only rotated copies of this log: not symlinks, not other names, not the log itself. */
static void test_names(void **state)
{
	struct mng_prune_plan p = {0};
	struct mng_diags d = {0};
	struct mng_audit *a = four();
	size_t i;

	mng_audit_close(&a);
	assert_int_equal(symlink(path("audit.log.3"), path("audit.log.7")), 0);
	assert_int_equal(link(path("audit.log"), path("audit.log.8")), 0);
	assert_int_equal(rename(path("audit.log.2"), path("audit.log-20240101")), 0);
	assert_int_equal(symlink("/etc/passwd", path("audit.log.9")), 0);
	assert_int_equal(system("true"), 0);
	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 10 * 86400, 1, &p, &d), 0);
	for (i = 0; i < p.n; i++) {
		assert_string_not_equal(p.v[i].name, "audit.log");
		assert_string_not_equal(p.v[i].name, "anchor");
		if (!strcmp(p.v[i].name, "audit.log.7") || !strcmp(p.v[i].name, "audit.log.8") ||
		    !strcmp(p.v[i].name, "audit.log.9"))
			assert_false(p.v[i].remove);
	}
	assert_int_equal(p.n, 6); /* .1 .3 -20240101 and the three traps */
	assert_int_equal(p.n_remove, 3);
	assert_int_equal(mng_audit_open(path("audit.log"), path("anchor"), "pc-p", &a), 0);
	assert_int_equal(mng_audit_prune_apply(a, &p, NULL), 3);
	mng_audit_close(&a);
	assert_true(exists("audit.log"));
	assert_true(exists("audit.log.8")); /* the current log under another name */
	assert_int_equal(access("/etc/passwd", F_OK), 0);
	mng_audit_prune_plan_free(&p);
	mng_diags_clear(&d);
}

/* The plan is stale when a name now is another file: nothing is removed. */
static void test_stale(void **state)
{
	struct mng_prune_plan p = {0};
	struct mng_audit *a = four();

	assert_int_equal(
	    mng_audit_prune_plan(path("audit.log"), time(NULL) + 10 * 86400, 1, &p, NULL), 0);
	assert_int_equal(rename(path("audit.log.2"), path("keep")), 0);
	assert_int_equal(rename(path("audit.log.1"), path("audit.log.3.tmp")), 0);
	assert_int_equal(unlink(path("audit.log.3")), 0);
	assert_int_equal(rename(path("audit.log.3.tmp"), path("audit.log.3")), 0);
	assert_int_equal(mng_audit_prune_apply(a, &p, NULL), -ESTALE);
	assert_true(exists("audit.log.3"));
	mng_audit_prune_plan_free(&p);
	mng_audit_close(&a);
}

static void test_retention_key(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	long days;
	char buf[100];

	mng_config_defaults(&c);
	assert_int_equal(c.audit_retention_days, 5 * 366);
	assert_int_equal(mng_config_parse("", 0, "c", &c, &d), 0);
	assert_int_equal(c.audit_retention_days, 1830);
#define OK(text, want)                                                                             \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), "audit_retention = %s\n", text);                        \
		assert_int_equal(mng_config_parse(buf, strlen(buf), "c", &c, &d), 0);              \
		assert_int_equal(c.audit_retention_days, want);                                    \
	} while (0)
	OK("10y", 3660);
	OK("1d", 1);
	OK("52w", 364);
	OK("forever", 0);
	OK("100y", 36600);
#undef OK
	mng_diags_clear(&d);
	{
		static const char *const bad[] = {"0d",	 "5",	    "101y", "5x",
						  "y",	 "-1d",	    "1.5y", "99999999999999999999d",
						  "5 y", "Forever", ""};
		size_t i;

		for (i = 0; i < MNG_ARRAY_SIZE(bad); i++) {
			snprintf(buf, sizeof(buf), "audit_retention = %s\n", bad[i]);
			assert_int_equal(mng_config_parse(buf, strlen(buf), "c", &c, &d), -EINVAL);
			assert_int_equal(mng_diags_count(&d), 1);
			assert_non_null(strstr(d.v[0].msg, "audit_retention"));
			assert_int_equal(d.v[0].line, 1);
			mng_diags_clear(&d);
			assert_int_equal(mng_config_retention_parse(bad[i], &days), -EINVAL);
		}
	}
	snprintf(buf, sizeof(buf), "audit_retention = 1y\naudit_retention = 2y\n");
	assert_int_equal(mng_config_parse(buf, strlen(buf), "c", &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].msg, "duplicate"));
	mng_diags_clear(&d);
	assert_int_equal(mng_config_retention_parse(NULL, &days), -EINVAL);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_old),	  cmocka_unit_test(test_nothing_old),
	    cmocka_unit_test(test_tampered_kept), cmocka_unit_test(test_names),
	    cmocka_unit_test(test_stale),	  cmocka_unit_test(test_retention_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
