// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_judge.c - "mnguardctl judge": a dry run of the device policy.
 *
 * Reads the rules, reads every USB device present in sysfs (so it works in
 * a umockdev testbed as on a real terminal), judges each device in
 * topological order exactly as the agent would, and prints one table row a
 * device: where it is, what it is, the verdict, which interfaces keep a
 * driver, and the rule (file:line) that decided. Nothing is written to
 * sysfs: this command changes nothing.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "device.h"
#include "diag.h"
#include "rules.h"
#include "rulesload.h"

#define DEFAULT_RULES "/etc/mnguard/rules.d"
#define MAX_PATHS 64
#define MAX_GROUPS 64

static const char *verdict_word(const struct mng_verdict *v, size_t allowed)
{
	switch (v->target) {
	case MNG_TARGET_ALLOW:
		if (v->n_ifaces && allowed < v->n_ifaces)
			return v->read_only ? "allow-part,ro" : "allow-part";
		return v->read_only ? "allow,ro" : "allow";
	case MNG_TARGET_REJECT:
		return "reject";
	default:
		return "block";
	}
}

struct row {
	char *syspath;
	bool allowed;
};

static bool parent_blocked(const struct row *rows, size_t n, const char *syspath)
{
	const char *slash = strrchr(syspath, '/');
	size_t plen, i;

	if (!slash)
		return false;
	plen = (size_t)(slash - syspath);
	for (i = 0; i < n; i++)
		if (strlen(rows[i].syspath) == plen && !strncmp(rows[i].syspath, syspath, plen))
			return !rows[i].allowed;
	return false;
}

static int parse_time(const char *s, time_t *ret)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end)
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguardctl judge [--rules FILE|DIR]... [--user NAME] [--group NAME]...\n"
		   "                        [--time YYYY-MM-DDTHH:MM:SSZ]\n");
}

int ctl_judge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'}, {"user", required_argument, NULL, 'u'},
		{"group", required_argument, NULL, 'g'}, {"time", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *paths[MAX_PATHS], *groups[MAX_GROUPS];
	size_t n_paths = 0, n_groups = 0, n_dev = 0, n_allowed = 0, i, j;
	struct mng_judge_ctx ctx = {0};
	struct mng_diags diags = {0};
	struct mng_ruleset *rs = NULL;
	struct mng_device *devs = NULL;
	const struct mng_device **allowed = NULL;
	struct row *rows = NULL;
	char **syspaths = NULL;
	int c, r, ret = CTL_EXIT_FAIL;

	ctx.now = time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:u:g:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (n_paths == MAX_PATHS) {
				fprintf(stderr, "mnguardctl judge: too many --rules\n");
				return CTL_EXIT_USAGE;
			}
			paths[n_paths++] = optarg;
			break;
		case 'u':
			ctx.user = optarg;
			break;
		case 'g':
			if (n_groups == MAX_GROUPS) {
				fprintf(stderr, "mnguardctl judge: too many --group\n");
				return CTL_EXIT_USAGE;
			}
			groups[n_groups++] = optarg;
			break;
		case 't':
			if (parse_time(optarg, &ctx.now) < 0) {
				fprintf(stderr, "mnguardctl judge: --time \"%s\": expected "
						"YYYY-MM-DDTHH:MM:SSZ\n", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (n_paths == 0)
		paths[n_paths++] = DEFAULT_RULES;
	ctx.groups = groups;
	ctx.n_groups = n_groups;

	if (mng_ruleset_new(&rs) < 0) {
		fprintf(stderr, "mnguardctl judge: out of memory\n");
		return CTL_EXIT_FAIL;
	}
	r = 0;
	for (i = 0; i < n_paths; i++)
		if (mng_rules_load(rs, paths[i], 0, &diags) < 0)
			r = -EINVAL;
	if (r < 0) {
		mng_diags_print(&diags, stderr);
		fprintf(stderr, "mnguardctl judge: the policy has errors; nothing judged\n");
		goto out;
	}

	r = mng_device_enumerate(&syspaths, &n_dev);
	if (r < 0) {
		fprintf(stderr, "mnguardctl judge: cannot list USB devices: %s\n", strerror(-r));
		goto out;
	}
	devs = calloc(n_dev ? n_dev : 1, sizeof(*devs));
	rows = calloc(n_dev ? n_dev : 1, sizeof(*rows));
	allowed = calloc(n_dev ? n_dev : 1, sizeof(*allowed));
	if (!devs || !rows || !allowed) {
		fprintf(stderr, "mnguardctl judge: out of memory\n");
		goto out;
	}

	printf("%-10s %-9s %-28s %-13s %-9s %s\n", "PORT", "ID", "NAME", "VERDICT", "IFACES",
	       "DECIDED BY");
	for (i = 0; i < n_dev; i++) {
		struct mng_verdict v;
		char rule[512], ifc[32];
		size_t ok = 0;
		bool unreachable;

		rows[i].syspath = syspaths[i];
		r = mng_device_read_sysfs(syspaths[i], &devs[i]);
		if (r < 0) {
			printf("%-10s %-9s %-28s %-13s %-9s %s\n", "?", "?", "(unreadable)",
			       "block", "-", strerror(-r));
			continue;
		}
		ctx.allowed = allowed;
		ctx.n_allowed = n_allowed;
		r = mng_ruleset_judge(rs, &devs[i], &ctx, &v);
		if (r < 0)
			v.target = MNG_TARGET_BLOCK; /* an error is never an allow */
		for (j = 0; j < v.n_ifaces; j++)
			ok += v.iface_allowed[j];
		rows[i].allowed = v.target == MNG_TARGET_ALLOW;
		if (rows[i].allowed)
			allowed[n_allowed++] = &devs[i];
		unreachable = parent_blocked(rows, i, syspaths[i]);

		if (v.target == MNG_TARGET_ALLOW)
			snprintf(ifc, sizeof(ifc), "%zu/%zu", ok, devs[i].n_ifaces);
		else
			snprintf(ifc, sizeof(ifc), "0/%zu", devs[i].n_ifaces);
		if (r < 0)
			snprintf(rule, sizeof(rule), "error: %s", strerror(-r));
		else if (v.file)
			snprintf(rule, sizeof(rule), "%s:%u%s%s%s", v.file, v.line,
				 v.ticket ? " ticket \"" : "", v.ticket ? v.ticket : "",
				 v.ticket ? "\"" : "");
		else
			snprintf(rule, sizeof(rule), "(no rule matched: blocked by default)");
		ctl_put_field(stdout, devs[i].port, 10);
		printf(" %04x:%04x ", devs[i].vendor, devs[i].product);
		ctl_put_field(stdout, devs[i].name[0] ? devs[i].name : "-", 28);
		printf(" %-13s %-9s ", verdict_word(&v, ok), ifc);
		ctl_put_field(stdout, rule, 0);
		printf("%s\n", unreachable ? "  [behind a blocked hub]" : "");
	}
	ret = CTL_EXIT_OK;
out:
	if (syspaths)
		mng_device_paths_free(syspaths, n_dev);
	free(devs);
	free(rows);
	free(allowed);
	mng_ruleset_free(&rs);
	mng_diags_clear(&diags);
	return ret;
}
