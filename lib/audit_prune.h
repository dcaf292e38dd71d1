/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit_prune.h - retention of the audit log: removing rotated files whose
 * every record is older than the retention period (mnguard.conf(5)
 * audit_retention, mnguardctl(8) audit prune).
 *
 * logrotate cannot do this (its maxage and rotate count know nothing of the
 * chain), so the removal is planned here and each removal is recorded in the
 * chain itself: an "audit.prune" record whose detail names the removed file
 * and the seq range and hash of its last record:
 *
 *   file "audit.log.61" seq 1-5120 last_sha256 <64 hex> last_time <time>;
 *   retention 1830 days, cutoff <time>
 *
 * The oldest remaining file begins with a chain.start whose seq and prev
 * continue exactly that record, so "mnguardctl audit verify" across the
 * remaining files still passes, and "mnguardctl audit report" shows that
 * the head of the chain was removed by retention rather than lost.
 *
 * Only files named "<log>.<N>" or "<log>-<digits>" in the log's own
 * directory are considered (never the log itself, never a symlink, never
 * a file that is the log under another name), only whole files, only when
 * the file verifies as a chain and the next file continues it exactly (a
 * file that fails either is evidence and is kept), and only the oldest files: removal stops at the
 * first file that must stay, so no gap is ever made in the middle of the chain.
 */
#ifndef MNG_AUDIT_PRUNE_H
#define MNG_AUDIT_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "audit.h"
#include "diag.h"

#define MNG_PRUNE_FILES_MAX 4096      /* rotated files looked at */
#define MNG_PRUNE_NAME_MAX 255	      /* bytes of a file name */
#define MNG_PRUNE_RETENTION_MAX 36600 /* days (100 years) */

struct mng_prune_file {
	char name[MNG_PRUNE_NAME_MAX + 1]; /* in the log's directory */
	bool verified;			   /* the file is a whole, valid chain */
	char reason[256];		   /* why not, when !verified */
	uint64_t first_seq, last_seq;
	char start_prev[MNG_AUDIT_HASH_HEX + 1]; /* prev of its first record */
	char last_hash[MNG_AUDIT_HASH_HEX + 1];
	char last_time[32]; /* time of the last record */
	bool remove;	    /* part of the plan */
	dev_t dev;
	ino_t ino;
};

struct mng_prune_plan {
	char dir[4096];	 /* the log's directory */
	char cutoff[32]; /* records older than this are past retention */
	long retention_days;
	struct mng_prune_file *v; /* rotated files, oldest first (by first seq) */
	size_t n;
	size_t n_remove; /* v[0..n_remove) are to be removed */
};

/*
 * mng_audit_prune_plan - look at the rotated files beside log_path and
 * decide which to remove: those whose last record is older than now minus
 * retention_days (a day is 86400 s; 0 = keep forever: nothing is removed),
 * oldest first, stopping at the first file that is newer, does not verify,
 * or is not continued exactly (seq and hash) by the file after it (the
 * current log after the newest rotated file): a file whose successor does
 * not link to it is evidence too. Files that cannot be read or do not verify
 * are listed with a reason and a diagnostic in diags (may be NULL).
 * Returns 0 and fills *ret (free with mng_audit_prune_plan_free); -EINVAL
 * for a bad argument or retention_days above MNG_PRUNE_RETENTION_MAX;
 * -E2BIG past MNG_PRUNE_FILES_MAX files; -errno when the directory cannot
 * be read (-ENOENT: no directory, nothing to do).
 */
int mng_audit_prune_plan(const char *log_path, time_t now, long retention_days,
			 struct mng_prune_plan *ret, struct mng_diags *diags);

/*
 * mng_audit_prune_apply - carry out the plan with the audit writer a (the
 * one open on log_path): for each file to remove, oldest first, check that
 * the name still is the same file (device and inode), unlink it, sync the
 * directory, and append its audit.prune record (subject may be NULL).
 * Stops at the first failure. Returns the number of files removed, or
 * -errno (then nothing more was removed; what was removed before is
 * recorded).
 */
int mng_audit_prune_apply(struct mng_audit *a, const struct mng_prune_plan *plan,
			  const char *subject);

/* mng_audit_prune_plan_free - free what a plan holds; the struct may be reused. */
void mng_audit_prune_plan_free(struct mng_prune_plan *plan);

#endif
