/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit.h - the tamper-evident audit log (writer, anchor, verifier).
 *
 * Format. /var/log/mnguard/audit.log holds one JSON object a line, UTF-8,
 * each line ended by "\n". Keys always appear in this order; the ones in
 * brackets only when the record has them:
 *
 *   {"seq":N,"time":"YYYY-MM-DDTHH:MM:SS.uuuuuuZ","host":"...","event":"...",
 *    "subject":S,"object":S,"decision":S,["rule":"file:line",]["exemption":"id",]
 *    ["ticket":"...",]["detail":"...",]"prev":"<64 lowercase hex>"}
 *
 * where S is a string or null. "seq" counts 1, 2, 3, ... without gaps across
 * the whole life of the log, rotations included. "prev" is the SHA-256 of the
 * previous line's exact bytes (without its "\n").
 *
 * Chain start. Every log file begins with an "chain.start" record. In a new
 * chain it has seq 1 and prev = 64 zeros. In a file that continues a rotated
 * (or otherwise earlier) log it has seq = S + 1 and prev = the hash of that
 * log's last line (seq S); its detail names S. A chain.start anywhere but in
 * the first line is an error, and so is a first line that is not a
 * chain.start, so cutting the head of a file is detected.
 *
 * Anchor. A chain alone cannot show that its tail was cut off, so the writer
 * also keeps the last seq and hash in a small state file (the anchor),
 * replaced atomically after every record. An anchor is a checkpoint: the log
 * must contain the record it names with exactly that hash. A copy of the
 * anchor kept elsewhere (or taken from journald) stays a valid checkpoint
 * while the log grows.
 *
 * Tamper at open. When mng_audit_open() finds that the log and its anchor
 * disagree (tail cut, tail edited, last line partial or not a record, anchor
 * missing or unreadable), it keeps every byte already stored (a partial last
 * line only gets its "\n"), continues the chain from the file's real last
 * line with a seq above both the file's and the anchor's, appends an
 * "audit.tamper" record that says what it found, and returns 1. The verifier
 * reports any "audit.tamper" record as a failure, so the finding cannot be
 * hidden by later appends.
 */
#ifndef MNG_AUDIT_H
#define MNG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mng.h"

/* Longest record line in bytes, without its "\n". */
#define MNG_AUDIT_LINE_MAX 65536
/* SHA-256 as lowercase hex, without the terminating NUL. */
#define MNG_AUDIT_HASH_HEX 64
/* Longest event name ([a-z0-9._-]). */
#define MNG_AUDIT_EVENT_MAX 64
/* Largest anchor file accepted. */
#define MNG_AUDIT_ANCHOR_MAX 4096

/* Events the audit module writes itself. */
#define MNG_AUDIT_EV_CHAIN_START "chain.start"
#define MNG_AUDIT_EV_TAMPER "audit.tamper"

struct mng_audit; /* opaque writer */

struct mng_audit_rec {
	const char *event;     /* required, [a-z0-9._-]{1,64}, e.g. "device.block" */
	const char *subject;   /* user/uid, may be NULL */
	const char *object;    /* what was acted on, may be NULL */
	const char *decision;  /* allow, block, reject, hold, cancel, ok, error, ... or NULL */
	const char *rule;      /* "file:line" or NULL */
	const char *exemption; /* exemption id or NULL */
	const char *ticket;    /* or NULL */
	const char *detail;    /* free text or NULL */
};

/*
 * mng_audit_open - open the audit log at path for appending.
 *
 * Creates the file with mode 0600 when absent. The file is opened
 * O_RDWR|O_APPEND|O_CLOEXEC|O_NOFOLLOW: a symlink is refused (-ELOOP), so is
 * anything that is not a regular file (-EINVAL), a file not owned by the
 * caller's euid or writable by group/other (-EPERM), and a log another writer
 * holds (flock, -EBUSY). The tail is read to learn the last seq and hash.
 *
 * anchor_path (may be NULL: no anchor) is the state file holding the last seq
 * and hash; see mng_audit_anchor_write(). host (may be NULL: gethostname())
 * goes into every record.
 *
 * A new or empty log gets a chain.start record first (continuing the
 * anchor's chain when the anchor names one, i.e. after a rotation).
 * A log rotated or removed behind the writer's back looks the same: the
 * chain.start then names the seq the previous file must end with, and
 * verifying the files together (mnguardctl audit verify OLD NEW) proves the
 * previous file is complete.
 *
 * When the log's tail and the anchor disagree (see "Tamper at open" above),
 * the open still succeeds, an "audit.tamper" record is appended before
 * anything else, and the return value is 1. Otherwise it is 0.
 *
 * A writer is meant for one thread (the agent serialises its appends); the
 * flock keeps other processes out.
 *
 * On success *ret owns the writer; free it with mng_audit_close(). Errors:
 * -errno from open/flock/read/write/fsync, -ENOMEM.
 */
int mng_audit_open(const char *path, const char *anchor_path, const char *host,
		   struct mng_audit **ret);

/*
 * mng_audit_append - append one record.
 *
 * Builds the line (all strings copied through json-c escaping; invalid UTF-8
 * replaced by U+FFFD; over-long fields cut at a character boundary and ended
 * with "…"), write(2)s it whole with its "\n" (short writes are retried),
 * fsyncs the log, then rewrites the anchor.
 *
 * Returns 0 when the record and the anchor are stored; 1 when the record is
 * stored but the anchor could not be rewritten (it is rewritten by the next
 * append; until then it lags, which the verifier accepts); -EINVAL for a
 * missing or malformed event name; -errno when the record was not stored. In
 * that last case the in-memory seq and hash do not advance and any partly
 * written bytes are cut off again; if even that fails the writer refuses all
 * further appends with -EIO until it is reopened (which then logs the damage).
 */
int mng_audit_append(struct mng_audit *a, const struct mng_audit_rec *rec);

/*
 * mng_audit_rotate - move the current log to rotated_path and start a new one.
 *
 * rotated_path must be on the same file system and must not exist. The new
 * log at the original path begins with a chain.start record that continues
 * the old chain (seq and prev follow the old log's last record) and names the
 * rotated file. Returns 0, or -errno; when the rename succeeded but the new
 * file could not be started, the writer keeps appending to the rotated file.
 */
int mng_audit_rotate(struct mng_audit *a, const char *rotated_path);

/* mng_audit_seq - seq of the last record stored (0 when none). */
uint64_t mng_audit_seq(const struct mng_audit *a);

/* mng_audit_close - close and free the writer; sets *a to NULL. NULL-safe. */
void mng_audit_close(struct mng_audit **a);

/* ---- anchor ---- */

struct mng_audit_anchor {
	uint64_t seq;			   /* last record stored */
	char hash[MNG_AUDIT_HASH_HEX + 1]; /* SHA-256 hex of that record's line */
};

/*
 * mng_audit_anchor_read - read an anchor file ({"seq":N,"sha256":"hex"}).
 *
 * Opened O_NOFOLLOW|O_CLOEXEC, must be a regular file of at most
 * MNG_AUDIT_ANCHOR_MAX bytes. Returns 0 and fills *ret; -ENOENT when absent,
 * -EBADMSG when malformed, other -errno when unreadable.
 */
int mng_audit_anchor_read(const char *path, struct mng_audit_anchor *ret);

/*
 * mng_audit_anchor_write - replace the anchor file atomically: write a
 * temporary file (0600) beside it, fsync, rename over path, fsync the
 * directory. Returns 0 or -errno; on failure the old anchor is untouched.
 */
int mng_audit_anchor_write(const char *path, const struct mng_audit_anchor *anchor);

/* ---- verifier ---- */

struct mng_audit_report {
	bool ok;
	uint64_t records;	      /* records read and checked */
	uint64_t first_bad_seq;	      /* 0 when ok */
	unsigned long first_bad_line; /* line number in the file, 0 when ok */
	char reason[256];	      /* "line 17: record 16 was edited (hash mismatch)", ... */
	/* Chain position, valid when records > 0 (also when !ok: up to the failure). */
	uint64_t first_seq;			 /* seq of the first record */
	uint64_t last_seq;			 /* seq of the last good record */
	char start_prev[MNG_AUDIT_HASH_HEX + 1]; /* prev of the first record */
	char last_hash[MNG_AUDIT_HASH_HEX + 1];	 /* hash of the last good line */
};

/*
 * mng_audit_verify - verify the log file at path, and the anchor at
 * anchor_path when not NULL.
 *
 * Streams the file in constant memory; lines are capped at
 * MNG_AUDIT_LINE_MAX. Stops at the first problem and names it in *ret: the
 * first bad or missing record (first_bad_seq) and the line where it shows
 * (first_bad_line), with a reason. Returns 0 when the file (and anchor) could
 * be read - then look at ret->ok - or -errno when not (-EBADMSG for a
 * malformed anchor). *ret is written only on a 0 return.
 *
 * Only the log's own content is judged: path may be a copy or a symlink.
 * Damage in the middle of a log is found here, not by mng_audit_open(),
 * which reads only the tail.
 */
int mng_audit_verify(const char *path, const char *anchor_path, struct mng_audit_report *ret);

/*
 * mng_audit_verify_fd - as mng_audit_verify(), reading fd from its current
 * offset to end of file (the caller keeps the fd). anchor may be NULL.
 */
int mng_audit_verify_fd(int fd, const struct mng_audit_anchor *anchor,
			struct mng_audit_report *ret);

/* ---- building blocks shared by the writer and the verifier ---- */

/* One parsed record line: only the fields the chain checks need. */
struct mng_audit_line {
	uint64_t seq;
	char prev[MNG_AUDIT_HASH_HEX + 1];
	char event[MNG_AUDIT_EVENT_MAX + 1];
	char detail[160]; /* start of "detail", "" when absent */
};

/*
 * mng_audit_line_parse - check that line (len bytes, no "\n") is a well-formed
 * record: JSON object, valid UTF-8, no NUL, keys and types as in the format
 * above. Returns 0 and fills *ret, or -EBADMSG with a message in err (errlen
 * bytes, may be NULL). Never reads past len.
 */
int mng_audit_line_parse(const char *line, size_t len, struct mng_audit_line *ret, char *err,
			 size_t errlen);

/* mng_audit_line_hash - SHA-256 of len bytes as lowercase hex into ret_hex. */
int mng_audit_line_hash(const void *line, size_t len, char ret_hex[MNG_AUDIT_HASH_HEX + 1]);

/* What a full scan of a log learns; see mng_audit_scan_fd(). */
struct mng_audit_scan {
	unsigned long lines;			/* lines, a partial last one included */
	uint64_t max_seq;			/* highest seq of any well-formed record */
	bool last_valid;			/* the last line is a well-formed record */
	bool last_newline;			/* the file ends with "\n" (or is empty) */
	uint64_t last_seq;			/* its seq when last_valid */
	char last_prev[MNG_AUDIT_HASH_HEX + 1]; /* its prev when last_valid */
	char last_hash[MNG_AUDIT_HASH_HEX + 1]; /* hash of the last line, any length */
	bool want_found;			/* a record with seq want_seq exists */
	char want_hash[MNG_AUDIT_HASH_HEX + 1]; /* hash of its line */
};

/*
 * mng_audit_scan_fd - read fd from its current offset to the end and report
 * what the writer needs to continue a damaged log: every line is hashed (at
 * any length), well-formed records are parsed. Returns 0 or -errno.
 */
int mng_audit_scan_fd(int fd, uint64_t want_seq, struct mng_audit_scan *ret);

#endif
