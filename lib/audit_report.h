/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit_report.h - the self-inspection report (自己点検) over the audit logs
 * of many terminals: mnguardctl audit report (mnguardctl(8), AUDIT REPORT).
 *
 * Input. Any number of audit logs as audit.h describes them: a terminal's
 * current and rotated files, or the collector's copy of a terminal's log
 * (one file per terminal that holds its records across rotations: there a
 * chain.start that continues the chain exactly, seq and prev, is a rotation
 * boundary, the same rule "mnguardctl audit verify OLD NEW" applies to two
 * files). Files are grouped by terminal (the "host" of their first record)
 * and each terminal's files are put in seq order and checked as one chain.
 *
 * Verification. Every line goes through the verifier's own record parser
 * and hash (mng_audit_line_parse, mng_audit_line_hash): seq counts up by
 * one, each prev is the hash of the line before, each file starts with a
 * chain.start, no audit.tamper record, the file ends with "\n". The first
 * problem of each file is kept (file, line, seq, reason); records after it
 * are still counted in the report but the terminal is shown as FAILED.
 * Between files: the next must continue the one before (seq and prev). A
 * terminal whose oldest file starts above seq 1 is fine when an audit.prune
 * record names exactly the seq and hash it continues (retention,
 * audit_prune.h); otherwise the report says the earlier files were not given.
 * A chain alone cannot show a cut tail: compare the last seq with the
 * terminal's anchor or with MNGUARD_AUDIT_SEQ in journald (mnguardd(8)).
 *
 * Period. --from and --to select which records the tables count; the chain
 * is always verified whole.
 *
 * Caps: MNG_REPORT_FILES_MAX files, MNG_REPORT_HOSTS_MAX terminals,
 * MNG_REPORT_RECORDS_MAX records in all, MNG_REPORT_FILE_MAX bytes a file,
 * MNG_AUDIT_LINE_MAX bytes a line, MNG_REPORT_ROWS_MAX rows kept a table
 * (the totals still count every record), strings from the log cut to
 * MNG_REPORT_FIELD_MAX bytes in rows. A bad line is a diagnostic
 * "file:line: message", never a crash; input past a cap is a diagnostic too
 * and the report says it is incomplete.
 */
#ifndef MNG_AUDIT_REPORT_H
#define MNG_AUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define MNG_REPORT_FILES_MAX 4096
#define MNG_REPORT_HOSTS_MAX 4096
#define MNG_REPORT_RECORDS_MAX 50000000ull /* records read over all files */
#define MNG_REPORT_FILE_MAX (16ull << 30)  /* bytes read from one file */
#define MNG_REPORT_ROWS_MAX 10000	   /* rows kept per table */
#define MNG_REPORT_HTML_ROWS 1000	   /* rows of a table shown in HTML */
#define MNG_REPORT_FIELD_MAX 512	   /* bytes of a log string kept in a row */
#define MNG_REPORT_TIME_LEN 27		   /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
#define MNG_REPORT_CLASS_MAX 96		   /* bytes of a device class label */

enum mng_report_format {
	MNG_REPORT_CSV,
	MNG_REPORT_HTML,
};

struct mng_report; /* opaque */

/*
 * mng_report_bound - turn a date given by a person into the audit log's
 * time form, for comparison with record times. s is "YYYY-MM-DD" (a whole
 * UTC day: its first microsecond when !upper, its last when upper) or
 * "YYYY-MM-DDTHH:MM:SSZ" (that second: .000000 or .999999). The date must
 * exist (2023-02-29 does not). Returns 0 and fills ret, or -EINVAL.
 */
int mng_report_bound(const char *s, bool upper, char ret[MNG_REPORT_TIME_LEN + 1]);

/*
 * mng_report_new - an empty report for records with from <= time <= to
 * (bounds from mng_report_bound; NULL or "" = open). Returns 0 and *ret
 * (free with mng_report_free), -EINVAL when a bound is malformed or from
 * is after to, -ENOMEM.
 */
int mng_report_new(const char *from, const char *to, struct mng_report **ret);

/*
 * mng_report_add_fd - read one audit log from fd (from its current offset
 * to the end; the caller keeps the fd). name appears in the report and in
 * the diagnostics added to diags (may be NULL): one per bad line, as
 * "name:line: message", and one when a cap stops the reading.
 * Returns 0; 1 when a cap stopped the reading (what was read is kept);
 * -E2BIG when MNG_REPORT_FILES_MAX files were added already or the file's
 * terminal would be one too many; -EINVAL after mng_report_finish or for
 * a NULL argument; -ENOMEM; -errno of read(2). Files may come in any order.
 */
int mng_report_add_fd(struct mng_report *r, int fd, const char *name, struct mng_diags *diags);

/*
 * mng_report_finish - link each terminal's files into one chain (see
 * "Verification" above) and sort the tables. Call once, after the last
 * mng_report_add_fd. Returns 0 or -ENOMEM.
 */
int mng_report_finish(struct mng_report *r);

/*
 * mng_report_render - the finished report as CSV (RFC 4180: CRLF, fields
 * quoted when needed, quotes doubled; a UTF-8 byte order mark first so that
 * spreadsheet programs read the Japanese; one section per table: a title
 * record, a header record, the rows, an empty line; every string from the
 * logs that a spreadsheet could take for a formula gets a leading "'") or
 * HTML (one self-contained page: inline CSS and SVG charts, no script, no
 * external resource, a Content-Security-Policy that forbids both, every
 * string from the logs escaped). generated (may be NULL) is the time shown
 * as the report's creation; diags (may be NULL) are listed as the lines
 * that could not be read. Control and bidirectional-override characters
 * from the logs are shown as U+FFFD in both forms.
 * *ret_buf is malloc'd, NUL-terminated, owned by the caller; *ret_len is
 * its length. Returns 0, -EINVAL before mng_report_finish, -ENOMEM.
 */
int mng_report_render(const struct mng_report *r, enum mng_report_format fmt, const char *generated,
		      const struct mng_diags *diags, char **ret_buf, size_t *ret_len);

/* What the report found, in numbers (for the exit status and for tests). */
struct mng_report_summary {
	size_t files, hosts;
	size_t hosts_failed; /* terminals whose chain is not verified whole */
	uint64_t records;    /* well-formed records read, all times */
	uint64_t in_period;  /* of those, within from..to */
	uint64_t blocked;    /* device.block, device.reject, thunderbolt.block in the period */
	uint64_t exemptions; /* exemption.* records in the period */
	uint64_t keyless;    /* login.pass records in the period */
	uint64_t keys;	     /* key.enroll and key.revoke records in the period */
	uint64_t print;	     /* print.hold and print.cancel records in the period */
	uint64_t policy;     /* policy.* records in the period */
	uint64_t bad_lines;  /* lines that are not well-formed records */
	bool incomplete;     /* a cap stopped the reading somewhere */
};

/* mng_report_summary - fill *ret; valid after mng_report_finish. */
int mng_report_summary(const struct mng_report *r, struct mng_report_summary *ret);

/*
 * mng_report_host_blocked - blocked attempts counted for terminal host in
 * the period, and how many of them fall into device class label cls (NULL:
 * not wanted). Returns 0, or -ENOENT when the report has no such terminal.
 */
int mng_report_host_blocked(const struct mng_report *r, const char *host, const char *cls,
			    uint64_t *ret_total, uint64_t *ret_class);

/*
 * mng_report_host_status - terminal i (0 .. summary.hosts - 1) of the
 * finished report: its name, whether its chain verified whole, and what was
 * found (borrowed strings, valid until mng_report_free). Returns 0, or
 * -ENOENT when i is out of range, -EINVAL before mng_report_finish.
 */
int mng_report_host_status(const struct mng_report *r, size_t i, const char **ret_name,
			   bool *ret_ok, const char **ret_note);

/*
 * mng_report_device_class - the device class label of a device record's
 * object (the agent's "id VVVV:PPPP serial \"...\" name \"...\" port P hash
 * H interfaces CC:SS:PP,..."): the interface classes, mapped to the kinds
 * that matter for data leaving the terminal (storage, mtp-ptp, network,
 * printer, smartcard, wireless, vendor, audio-video, hid, hub, other) and
 * joined with '+' in that order ("storage+hid" for a BadUSB composite).
 * Only the interfaces token outside quoted strings counts, so a device that
 * names itself "interfaces 03:01:01" cannot pick its class. "unknown" when
 * the object carries no interface list. Writes at most size bytes.
 */
void mng_report_device_class(const char *object, char *buf, size_t size);

/* mng_report_free - free the report; sets *r to NULL. NULL-safe. */
void mng_report_free(struct mng_report **r);

#endif
