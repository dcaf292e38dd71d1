// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit_prune.c - retention of rotated audit logs (see audit_prune.h).
 *
 * MUST: the current log is never removed, nor anything that is not a
 *       regular file named like a rotated copy of it in its own directory;
 *       names are opened and removed relative to the directory fd, never
 *       followed through a symlink, and a name is removed only while it
 *       still is the file that was verified (device and inode).
 * MUST: a file is removed only when it verifies whole and its last record is
 *       older than the cutoff, and only from the old end of the chain: the
 *       first file that must stay ends the removal.
 * MUST: every removal is recorded in the chain (audit.prune) with the seq
 *       range and the hash of the removed file's last record.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit_prune.h"

/* "<base>.<1-6 digits>" or "<base>-<4-14 digits>" (logrotate's numbered and dated names). */
static bool rotated_name(const char *name, const char *base)
{
	size_t bl = strlen(base), n, i;
	const char *p;

	if (strncmp(name, base, bl) || (name[bl] != '.' && name[bl] != '-'))
		return false;
	p = name + bl + 1;
	n = strlen(p);
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	if (name[bl] == '.')
		return n >= 1 && n <= 6 && p[0] != '0';
	return n >= 4 && n <= 14;
}

/* The "time" of the last line of fd (a verified log: it ends with "\n"). */
static int last_time(int fd, off_t size, char *out, size_t outlen)
{
	size_t w = size < MNG_AUDIT_LINE_MAX + 2 ? (size_t)size : MNG_AUDIT_LINE_MAX + 2;
	struct json_object *o = NULL, *t;
	char *buf = malloc(w + 1), *start;
	int rc = -EBADMSG;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, w, size - (off_t)w);
	if (n != (ssize_t)w || w < 2 || buf[w - 1] != '\n')
		goto out;
	buf[w - 1] = '\0';
	start = memrchr(buf, '\n', w - 1);
	start = start ? start + 1 : buf;
	o = json_tokener_parse(start);
	if (o && json_object_object_get_ex(o, "time", &t) &&
	    json_object_is_type(t, json_type_string)) {
		snprintf(out, outlen, "%s", json_object_get_string(t));
		rc = 0;
	}
out:
	json_object_put(o);
	free(buf);
	return rc;
}

static int look_at(int dfd, const char *name, const struct stat *cur, struct mng_prune_file *pf,
		   struct mng_diags *diags, const char *dir)
{
	struct mng_audit_report rep;
	struct stat st;
	int fd, rc;

	snprintf(pf->name, sizeof(pf->name), "%s", name);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(pf->reason, sizeof(pf->reason), "cannot open: %s", strerror(-rc));
		goto bad;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(pf->reason, sizeof(pf->reason), "not a regular file");
		goto bad_fd;
	}
	if (cur && st.st_dev == cur->st_dev && st.st_ino == cur->st_ino) {
		snprintf(pf->reason, sizeof(pf->reason), "is the current log under another name");
		goto bad_fd;
	}
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	rc = mng_audit_verify_fd(fd, NULL, &rep);
	if (rc < 0) {
		snprintf(pf->reason, sizeof(pf->reason), "cannot verify: %s", strerror(-rc));
		goto bad_fd;
	}
	if (!rep.ok || rep.records == 0) {
		snprintf(pf->reason, sizeof(pf->reason), "does not verify: %.200s",
			 rep.records ? rep.reason : "no records");
		goto bad_fd;
	}
	if (last_time(fd, st.st_size, pf->last_time, sizeof(pf->last_time)) < 0) {
		snprintf(pf->reason, sizeof(pf->reason), "last record has no readable time");
		goto bad_fd;
	}
	close(fd);
	pf->verified = true;
	pf->first_seq = rep.first_seq;
	pf->last_seq = rep.last_seq;
	memcpy(pf->start_prev, rep.start_prev, sizeof(pf->start_prev));
	memcpy(pf->last_hash, rep.last_hash, sizeof(pf->last_hash));
	return 0;
bad_fd:
	close(fd);
bad:
	mng_diags_add(diags, dir, 0, 0, "%s: %s: kept", name, pf->reason);
	return 0;
}

/* seq and prev of the current log's first record. */
static int current_start(int dfd, const char *base, uint64_t *ret_seq,
			 char ret_prev[MNG_AUDIT_HASH_HEX + 1])
{
	struct mng_audit_line rec;
	char *buf = malloc(MNG_AUDIT_LINE_MAX + 1), *nl;
	ssize_t n;
	int fd, rc = -EBADMSG;

	if (!buf)
		return -ENOMEM;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	n = pread(fd, buf, MNG_AUDIT_LINE_MAX + 1, 0);
	nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	if (nl && mng_audit_line_parse(buf, (size_t)(nl - buf), &rec, NULL, 0) == 0) {
		*ret_seq = rec.seq;
		memcpy(ret_prev, rec.prev, MNG_AUDIT_HASH_HEX + 1);
		rc = 0;
	}
	close(fd);
	free(buf);
	return rc;
}

static int by_first_seq(const void *a, const void *b)
{
	const struct mng_prune_file *x = a, *y = b;

	/* files that do not verify have no seq: keep them last, by name */
	if (x->verified != y->verified)
		return x->verified ? -1 : 1;
	if (x->first_seq != y->first_seq)
		return x->first_seq < y->first_seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

int mng_audit_prune_plan(const char *log_path, time_t now, long retention_days,
			 struct mng_prune_plan *ret, struct mng_diags *diags)
{
	struct mng_prune_plan p = {.retention_days = retention_days};
	char *copy_d = NULL, *copy_b = NULL, *base;
	char cur_prev[MNG_AUDIT_HASH_HEX + 1] = "";
	uint64_t cur_first = 0;
	struct stat cur;
	bool have_cur;
	struct dirent *de;
	DIR *d = NULL;
	int dfd, rc = 0;
	size_t i;

	if (!log_path || !ret || retention_days < 0 || retention_days > MNG_PRUNE_RETENTION_MAX)
		return -EINVAL;
	copy_d = strdup(log_path);
	copy_b = strdup(log_path);
	if (!copy_d || !copy_b) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(p.dir, sizeof(p.dir), "%s", dirname(copy_d));
	base = basename(copy_b);
	if (!base[0] || !strcmp(base, "/") || !strcmp(base, ".")) {
		rc = -EINVAL;
		goto out;
	}
	if (retention_days > 0) {
		time_t cut = now - (time_t)retention_days * 86400;
		struct tm tm;

		if (!gmtime_r(&cut, &tm)) {
			rc = -EOVERFLOW;
			goto out;
		}
		strftime(p.cutoff, sizeof(p.cutoff), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	}
	dfd = open(p.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		goto out;
	}
	have_cur = fstatat(dfd, base, &cur, AT_SYMLINK_NOFOLLOW) == 0;
	d = fdopendir(dfd);
	if (!d) {
		rc = -errno;
		close(dfd);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		struct mng_prune_file *nv;

		if (!rotated_name(de->d_name, base) || strlen(de->d_name) > MNG_PRUNE_NAME_MAX)
			continue;
		if (p.n >= MNG_PRUNE_FILES_MAX) {
			rc = -E2BIG;
			goto out;
		}
		nv = realloc(p.v, (p.n + 1) * sizeof(*nv));
		if (!nv) {
			rc = -ENOMEM;
			goto out;
		}
		p.v = nv;
		memset(&p.v[p.n], 0, sizeof(p.v[p.n]));
		rc = look_at(dirfd(d), de->d_name, have_cur ? &cur : NULL, &p.v[p.n], diags, p.dir);
		if (rc < 0)
			goto out;
		p.n++;
	}
	if (p.n)
		qsort(p.v, p.n, sizeof(*p.v), by_first_seq);
	have_cur = have_cur && current_start(dirfd(d), base, &cur_first, cur_prev) == 0;
	for (i = 0; retention_days > 0 && i < p.n; i++) {
		const struct mng_prune_file *f = &p.v[i];
		/* files that do not verify sort last: after f comes the next verified one, or the
		 * log */
		const struct mng_prune_file *next =
		    i + 1 < p.n && p.v[i + 1].verified ? &p.v[i + 1] : NULL;
		bool linked;

		if (!f->verified || strcmp(f->last_time, p.cutoff) >= 0)
			break;
		if (next)
			linked = next->first_seq == f->last_seq + 1 &&
				 !strcmp(next->start_prev, f->last_hash);
		else
			linked = have_cur && cur_first == f->last_seq + 1 &&
				 !strcmp(cur_prev, f->last_hash);
		if (!linked) {
			mng_diags_add(diags, p.dir, 0, 0,
				      "%s: the file after it does not continue its chain: kept",
				      f->name);
			break;
		}
		p.v[i].remove = true;
		p.n_remove++;
	}
	*ret = p;
	p.v = NULL;
out:
	if (d)
		closedir(d);
	free(p.v);
	free(copy_d);
	free(copy_b);
	return rc;
}

int mng_audit_prune_apply(struct mng_audit *a, const struct mng_prune_plan *plan,
			  const char *subject)
{
	char detail[512];
	size_t i;
	int dfd, rc = 0, done = 0;

	if (!a || !plan)
		return -EINVAL;
	if (plan->n_remove == 0)
		return 0;
	dfd = open(plan->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (i = 0; i < plan->n_remove && i < plan->n; i++) {
		const struct mng_prune_file *f = &plan->v[i];
		struct mng_audit_rec rec = {
		    .event = "audit.prune",
		    .subject = subject,
		    .object = f->name,
		    .decision = "ok",
		    .detail = detail,
		};
		struct stat st;

		if (!f->remove || !f->verified)
			break;
		if (fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		if (st.st_dev != f->dev || st.st_ino != f->ino || !S_ISREG(st.st_mode)) {
			rc = -ESTALE;
			break;
		}
		if (unlinkat(dfd, f->name, 0) < 0) {
			rc = -errno;
			break;
		}
		(void)fsync(dfd);
		snprintf(detail, sizeof(detail),
			 "file \"%s\" seq %" PRIu64 "-%" PRIu64 " last_sha256 %s last_time %s; "
			 "retention %ld days, cutoff %s",
			 f->name, f->first_seq, f->last_seq, f->last_hash, f->last_time,
			 plan->retention_days, plan->cutoff);
		rc = mng_audit_append(a, &rec);
		if (rc < 0)
			break;
		rc = 0;
		done++;
	}
	close(dfd);
	return rc < 0 ? rc : done;
}

void mng_audit_prune_plan_free(struct mng_prune_plan *plan)
{
	if (!plan)
		return;
	free(plan->v);
	plan->v = NULL;
	plan->n = plan->n_remove = 0;
}
