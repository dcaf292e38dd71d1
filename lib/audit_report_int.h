/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit_report_int.h - the report's model, shared by audit_report.c (which
 * reads the logs into it) and audit_report_out.c (which renders it). Not
 * part of libmnguard's interface.
 */
#ifndef MNG_AUDIT_REPORT_INT_H
#define MNG_AUDIT_REPORT_INT_H

#include <stdio.h>

#include "audit.h"
#include "audit_report.h"

#define TIME_SZ (MNG_REPORT_TIME_LEN + 1)
#define CLASSES_MAX 256 /* distinct device class labels */
#define DAYS_MAX 40000	/* distinct days with blocked attempts */
#define PRUNES_MAX 4096 /* audit.prune records remembered per terminal */
#define NOTE_MAX 400

enum tbl {
	TBL_POLICY,  /* policy.* */
	TBL_BLOCKED, /* device.block, device.reject, thunderbolt.block */
	TBL_EXEMPT,  /* exemption.* */
	TBL_KEYLESS, /* login.pass */
	TBL_KEYS,    /* key.enroll, key.revoke */
	TBL_PRINT,   /* print.hold, print.cancel */
	TBL_AUDIT,   /* audit.*: prune, tamper */
	TBL_COUNT
};

/* One record shown in a table; strings are cleaned copies (or NULL). */
struct rrow {
	char time[TIME_SZ];
	size_t host;
	uint64_t seq;
	char *event, *subject, *object, *decision, *rule, *exemption, *ticket, *detail;
	char *extra;  /* class (blocked), issuer (exemptions), version (policy) */
	char *extra2; /* operator (exemptions) */
};

struct rtable {
	struct rrow *v;
	size_t n, cap;
	uint64_t total; /* every record of the kind in the period, kept or not */
};

struct rfile {
	char *name;
	size_t host; /* index, valid when has_host */
	bool has_host;
	uint64_t records; /* well-formed records */
	uint64_t chained; /* records checked into the chain before any failure */
	uint64_t first_seq, last_seq;
	char start_prev[MNG_AUDIT_HASH_HEX + 1], last_hash[MNG_AUDIT_HASH_HEX + 1];
	char first_time[TIME_SZ], last_time[TIME_SZ];
	unsigned segments; /* chain.start records (1 + rotations inside the file) */
	bool ok;
	uint64_t bad_seq;
	unsigned long bad_line;
	char reason[256];
	bool incomplete;
};

struct prune_ref {
	uint64_t last_seq; /* last record of the removed file */
	char hash[MNG_AUDIT_HASH_HEX + 1];
	uint64_t at_seq; /* seq of the audit.prune record */
};

struct policy_state {
	char time[TIME_SZ]; /* "" = none seen */
	char text[200];
};

struct rhost {
	char *name;
	uint64_t records, in_period;
	uint64_t blocked, rejected, exempt_redeem, exempt_use, keyless, key_enroll, key_revoke;
	uint64_t print_hold, print_cancel, policy_errors;
	uint64_t class_n[CLASSES_MAX];
	struct policy_state pol_start, pol_end; /* last change before from, last up to to */
	char version[32];			/* last bundle version seen up to to */
	char version_time[TIME_SZ];
	struct prune_ref *prunes;
	size_t n_prunes;
	size_t n_files;
	bool chain_ok;
	char chain_note[NOTE_MAX];
};

struct rday {
	char day[11]; /* YYYY-MM-DD */
	uint64_t n;
};

struct mng_report {
	char from[TIME_SZ], to[TIME_SZ]; /* "" = open */
	struct rfile *files;
	size_t n_files;
	struct rhost *hosts;
	size_t n_hosts;
	char classes[CLASSES_MAX][MNG_REPORT_CLASS_MAX];
	uint64_t class_n[CLASSES_MAX];
	size_t n_classes;
	struct rday *days; /* sorted by day */
	size_t n_days, cap_days;
	struct rtable t[TBL_COUNT];
	uint64_t records, in_period, bad_lines;
	bool incomplete;
	bool finished;
};

/* audit_report_out.c */
int report_render_csv(const struct mng_report *r, const char *generated,
		      const struct mng_diags *diags, FILE *f);
int report_render_html(const struct mng_report *r, const char *generated,
		       const struct mng_diags *diags, FILE *f);

#endif
