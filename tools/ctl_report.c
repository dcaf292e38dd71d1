// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_report.c - "mnguardctl audit report" (the self-inspection report over
 * collected audit logs, lib/audit_report.h) and "mnguardctl audit prune"
 * (retention, lib/audit_prune.h). See mnguardctl(8), AUDIT REPORT and
 * RETENTION.
 *
 * report: exit 0 when the report was written and every chain verified with
 * no unreadable line; 1 when it was written but something did not verify
 * (or a cap was reached), or it could not be written; 2 usage.
 * prune: exit 0 when done (or nothing to do); 1 on failure, e.g. while
 * mnguardd holds the log; 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_prune.h"
#include "audit_report.h"
#include "config.h"
#include "ctl.h"
#include "ctl_report.h"
#include "file.h"

#define DIR_DEPTH_MAX 4 /* levels below a DIR argument */
#define PATH_BYTES_MAX 4096
#define ANCHOR_NAME "audit.anchor" /* in state_dir, as mnguardd keeps it */

static int report_usage(void)
{
	fprintf(stderr, "usage: mnguardctl audit report [--from DATE] [--to DATE] "
			"[--format csv|html] [--out FILE] FILE|DIR...\n");
	return CTL_EXIT_USAGE;
}

struct files {
	char **v;
	size_t n;
};

static int add_file(struct files *fs, const char *path)
{
	char **nv;

	if (fs->n >= MNG_REPORT_FILES_MAX)
		return -E2BIG;
	nv = realloc(fs->v, (fs->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	fs->v = nv;
	fs->v[fs->n] = strdup(path);
	if (!fs->v[fs->n])
		return -ENOMEM;
	fs->n++;
	return 0;
}

/* In a directory, audit logs are the files named audit.log, audit.log.N, audit.log-DATE. */
static bool log_name(const char *n)
{
	return !strncmp(n, "audit.log", 9) && (n[9] == '\0' || n[9] == '.' || n[9] == '-');
}

static int walk(struct files *fs, const char *dir, int depth)
{
	struct dirent **ents = NULL;
	int i, n, rc = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		rc = -errno;
		fprintf(stderr, "mnguardctl: %s: %s\n", dir, strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_BYTES_MAX];
		const char *name = ents[i]->d_name;
		struct stat st;

		if (rc < 0 || name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			goto next;
		if (S_ISDIR(st.st_mode) && depth < DIR_DEPTH_MAX)
			rc = walk(fs, path, depth + 1);
		else if (S_ISREG(st.st_mode) && log_name(name))
			rc = add_file(fs, path);
	next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int write_out(const char *out, const char *buf, size_t len)
{
	int fd = STDOUT_FILENO;
	size_t done = 0;

	if (out && strcmp(out, "-")) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0)
			return -errno;
	}
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int rc = w < 0 ? -errno : -EIO;

			if (fd != STDOUT_FILENO)
				close(fd);
			return rc;
		}
		done += (size_t)w;
	}
	if (fd != STDOUT_FILENO && close(fd) < 0)
		return -errno;
	return 0;
}

static int run_report(const char *from, const char *to, enum mng_report_format fmt, const char *out,
		      struct files *fs)
{
	struct mng_diags diags = {0};
	struct mng_report *r = NULL;
	struct mng_report_summary s;
	char generated[32], *buf = NULL;
	time_t now = time(NULL);
	struct tm tm;
	size_t i, len = 0;
	int rc, status = CTL_EXIT_FAIL;

	rc = mng_report_new(from, to, &r);
	if (rc < 0) {
		fprintf(stderr, "mnguardctl: audit report: --from is after --to\n");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < fs->n; i++) {
		int fd = open(fs->v[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "mnguardctl: %s: %s\n", fs->v[i],
				fd < 0 ? strerror(errno) : "not a regular file");
			if (fd >= 0)
				close(fd);
			goto out;
		}
		rc = mng_report_add_fd(r, fd, fs->v[i], &diags);
		close(fd);
		if (rc < 0) {
			fprintf(stderr, "mnguardctl: %s: %s\n", fs->v[i], strerror(-rc));
			goto out;
		}
	}
	rc = mng_report_finish(r);
	if (rc == 0 && gmtime_r(&now, &tm))
		strftime(generated, sizeof(generated), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(generated, sizeof(generated), "-");
	if (rc == 0)
		rc = mng_report_render(r, fmt, generated, &diags, &buf, &len);
	if (rc == 0)
		rc = write_out(out, buf, len);
	if (rc < 0) {
		fprintf(stderr, "mnguardctl: audit report: %s%s%s\n", out ? out : "",
			out ? ": " : "", strerror(-rc));
		goto out;
	}
	mng_diags_print(&diags, stderr);
	(void)mng_report_summary(r, &s);
	for (i = 0; i < s.hosts; i++) {
		const char *name, *note;
		bool ok;

		if (mng_report_host_status(r, i, &name, &ok, &note) < 0 || ok)
			continue;
		fprintf(stderr, "mnguardctl: audit report: ");
		ctl_put_field(stderr, name, 0);
		fprintf(stderr, ": FAILED: ");
		ctl_put_field(stderr, note, 0);
		fputc('\n', stderr);
	}

	fprintf(stderr,
		"mnguardctl: audit report: %zu terminal(s), %zu file(s), %" PRIu64
		" record(s); %zu terminal(s) failed verification; %" PRIu64
		" unreadable line(s)%s\n",
		s.hosts, s.files, s.records, s.hosts_failed, s.bad_lines,
		s.incomplete ? "; INCOMPLETE (a cap was reached)" : "");
	status = s.hosts_failed || s.bad_lines || s.incomplete || s.hosts == 0 ? CTL_EXIT_FAIL
									       : CTL_EXIT_OK;
out:
	free(buf);
	mng_report_free(&r);
	mng_diags_clear(&diags);
	return status;
}

static int opt_value(int argc, char **argv, int *i, const char *name, const char **ret)
{
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc || *ret)
			return -1;
		*ret = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		if (*ret || !argv[*i][n + 1])
			return -1;
		*ret = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

int ctl_audit_report(int argc, char **argv)
{
	const char *from_s = NULL, *to_s = NULL, *format = NULL, *out = NULL;
	char from[MNG_REPORT_TIME_LEN + 1] = "", to[MNG_REPORT_TIME_LEN + 1] = "";
	enum mng_report_format fmt = MNG_REPORT_CSV;
	struct files fs = {0};
	bool only_files = false, named = false;
	int i, rc = 0, status;
	size_t k;

	for (i = 1; i < argc && rc >= 0; i++) {
		struct stat st;
		int o;

		if (!only_files && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			printf("usage: mnguardctl audit report [--from DATE] [--to DATE] "
			       "[--format csv|html] [--out FILE] FILE|DIR...\n");
			status = CTL_EXIT_OK;
			goto out;
		}
		if (!only_files && argv[i][0] == '-' && argv[i][1]) {
			if (!strcmp(argv[i], "--")) {
				only_files = true;
				continue;
			}
			if ((o = opt_value(argc, argv, &i, "--from", &from_s)) ||
			    (o = opt_value(argc, argv, &i, "--to", &to_s)) ||
			    (o = opt_value(argc, argv, &i, "--format", &format)) ||
			    (o = opt_value(argc, argv, &i, "--out", &out))) {
				if (o < 0) {
					status = report_usage();
					goto out;
				}
				continue;
			}
			fprintf(stderr, "mnguardctl: audit report: unknown option \"%s\"\n",
				argv[i]);
			status = report_usage();
			goto out;
		}
		named = true;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(&fs, argv[i], 0);
		else
			rc = add_file(&fs, argv[i]);
	}
	if (rc == -E2BIG) {
		fprintf(stderr, "mnguardctl: audit report: more than %d files\n",
			MNG_REPORT_FILES_MAX);
		status = CTL_EXIT_FAIL;
		goto out;
	}
	if (rc < 0) {
		status = CTL_EXIT_FAIL;
		goto out;
	}
	if (fs.n == 0 && named) {
		fprintf(stderr, "mnguardctl: audit report: no audit.log* files found\n");
		status = CTL_EXIT_FAIL;
		goto out;
	}
	if (fs.n == 0) {
		status = report_usage();
		goto out;
	}
	if (format && !strcmp(format, "html"))
		fmt = MNG_REPORT_HTML;
	else if (format && strcmp(format, "csv")) {
		fprintf(stderr, "mnguardctl: audit report: --format is csv or html\n");
		status = CTL_EXIT_USAGE;
		goto out;
	}
	if ((from_s && mng_report_bound(from_s, false, from) < 0) ||
	    (to_s && mng_report_bound(to_s, true, to) < 0)) {
		fprintf(stderr, "mnguardctl: audit report: a date is YYYY-MM-DD or "
				"YYYY-MM-DDTHH:MM:SSZ (UTC)\n");
		status = CTL_EXIT_USAGE;
		goto out;
	}
	status = run_report(from, to, fmt, out, &fs);
out:
	for (k = 0; k < fs.n; k++)
		free(fs.v[k]);
	free(fs.v);
	return status;
}

/* ---- prune ---- */

static int prune_usage(void)
{
	fprintf(stderr, "usage: mnguardctl audit prune [--config FILE] [--retention PERIOD] "
			"[--dry-run]\n");
	return CTL_EXIT_USAGE;
}

static void show_plan(const struct mng_prune_plan *p, bool dry)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct mng_prune_file *f = &p->v[i];

		printf("%s ", f->remove ? (dry ? "would remove" : "remove") : "keep");
		ctl_put_field(stdout, f->name, 0);
		if (f->verified)
			printf(": seq %" PRIu64 "-%" PRIu64 ", last record %s\n", f->first_seq,
			       f->last_seq, f->last_time);
		else {
			printf(": ");
			ctl_put_field(stdout, f->reason, 0);
			printf("\n");
		}
	}
}

int ctl_audit_prune(int argc, char **argv)
{
	const char *conf = NULL, *ret_s = NULL;
	struct mng_config cfg;
	struct mng_diags diags = {0};
	struct mng_prune_plan plan = {0};
	struct mng_audit *a = NULL;
	char anchor[MNG_CONFIG_VALUE_MAX + 32], subject[64];
	bool dry = false;
	long days;
	int i, o, rc, status = CTL_EXIT_FAIL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: mnguardctl audit prune [--config FILE] [--retention PERIOD] "
			       "[--dry-run]\n");
			return CTL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--dry-run")) {
			dry = true;
			continue;
		}
		if ((o = opt_value(argc, argv, &i, "--config", &conf)) ||
		    (o = opt_value(argc, argv, &i, "--retention", &ret_s))) {
			if (o < 0)
				return prune_usage();
			continue;
		}
		fprintf(stderr, "mnguardctl: audit prune: unexpected \"%s\"\n", argv[i]);
		return prune_usage();
	}
	/* the agent's own configuration: a trusted file */
	rc = mng_config_load(conf ? conf : MNG_CONFIG_PATH, MNG_FILE_TRUSTED, &cfg, &diags);
	if (rc == -ENOENT && !conf) {
		mng_config_defaults(&cfg);
		mng_diags_clear(&diags);
	} else if (rc < 0) {
		mng_diags_print(&diags, stderr);
		mng_diags_clear(&diags);
		return CTL_EXIT_FAIL;
	}
	days = cfg.audit_retention_days;
	if (ret_s && mng_config_retention_parse(ret_s, &days) < 0) {
		fprintf(stderr, "mnguardctl: audit prune: --retention is a number with d, w or y "
				"(1d..100y), or forever\n");
		return CTL_EXIT_USAGE;
	}
	if (days == 0) {
		printf("retention: forever; nothing is removed\n");
		return CTL_EXIT_OK;
	}
	rc = mng_audit_prune_plan(cfg.audit_log, time(NULL), days, &plan, &diags);
	mng_diags_print(&diags, stderr);
	mng_diags_clear(&diags);
	if (rc == -ENOENT) {
		printf("no audit log directory; nothing to do\n");
		return CTL_EXIT_OK;
	}
	if (rc < 0) {
		fprintf(stderr, "mnguardctl: audit prune: %s: %s\n", cfg.audit_log, strerror(-rc));
		return CTL_EXIT_FAIL;
	}
	printf("retention %ld days: records before %s are past it\n", days, plan.cutoff);
	show_plan(&plan, dry);
	if (dry || plan.n_remove == 0) {
		if (plan.n_remove == 0)
			printf("nothing to remove\n");
		status = CTL_EXIT_OK;
		goto out;
	}
	snprintf(anchor, sizeof(anchor), "%s/%s", cfg.state_dir, ANCHOR_NAME);
	rc = mng_audit_open(cfg.audit_log, anchor, NULL, &a);
	if (rc == -EBUSY) {
		fprintf(stderr,
			"mnguardctl: audit prune: mnguardd holds %s: it is the only writer "
			"while it runs; stop it first (the logrotate script does)\n",
			cfg.audit_log);
		goto out;
	}
	if (rc < 0) {
		fprintf(stderr, "mnguardctl: audit prune: %s: %s\n", cfg.audit_log, strerror(-rc));
		goto out;
	}
	if (rc == 1)
		fprintf(stderr,
			"mnguardctl: audit prune: %s and its anchor disagreed: recorded "
			"as audit.tamper\n",
			cfg.audit_log);
	snprintf(subject, sizeof(subject), "uid %u (mnguardctl audit prune)", (unsigned)getuid());
	rc = mng_audit_prune_apply(a, &plan, subject);
	if (rc < 0) {
		fprintf(stderr, "mnguardctl: audit prune: stopped: %s\n", strerror(-rc));
		goto out;
	}
	printf("removed %d file(s); each is recorded as audit.prune in %s\n", rc, cfg.audit_log);
	status = CTL_EXIT_OK;
out:
	mng_audit_close(&a);
	mng_audit_prune_plan_free(&plan);
	return status;
}
