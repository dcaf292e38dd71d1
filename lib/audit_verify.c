// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit_verify.c - reading the audit log: line reader, record parser, chain
 * verifier, and the full scan the writer uses to continue a damaged log.
 * The format and the meaning of the anchor are described in audit.h.
 *
 * MUST: memory stays constant whatever the input: a line longer than
 *       MNG_AUDIT_LINE_MAX is hashed in pieces and never buffered whole.
 * MUST: every line is checked before it is trusted: no NUL byte, valid UTF-8,
 *       one flat JSON object, known keys in the fixed order, right types.
 * MUST: the verifier reports ok only when every line is a well-formed record,
 *       seq counts up by one, every prev equals the hash of the line before,
 *       the file starts with a chain.start, no audit.tamper record appears,
 *       the file ends with "\n", and the anchor (when given) names a record
 *       present with exactly that hash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "sha256.h"

/* Room for one whole line plus one read. */
#define READ_CHUNK 65536
#define JSON_DEPTH 2

static const char zero_hash[MNG_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- small helpers ---- */

_Static_assert(MNG_AUDIT_HASH_HEX == MNG_SHA256_HEX_LEN, "a chain hash is a hex SHA-256");

static bool is_hash_hex(const char *s, size_t len)
{
	size_t i;

	if (len != MNG_AUDIT_HASH_HEX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_event_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MNG_AUDIT_EVENT_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static unsigned two_digits(const char *s)
{
	return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
static bool is_rfc3339_us(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	if (len != sizeof(shape) - 1)
		return false;
	for (i = 0; i < len; i++) {
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	}
	return two_digits(s + 5) >= 1 && two_digits(s + 5) <= 12 && two_digits(s + 8) >= 1 &&
	       two_digits(s + 8) <= 31 && two_digits(s + 11) <= 23 && two_digits(s + 14) <= 59 &&
	       two_digits(s + 17) <= 60;
}

MNG_PRINTF(3, 4)
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

int mng_audit_line_hash(const void *line, size_t len, char ret_hex[MNG_AUDIT_HASH_HEX + 1])
{
	uint8_t md[MNG_SHA256_LEN];
	int r;

	r = mng_sha256(line, len, md);
	if (r < 0)
		return r;
	mng_sha256_hex(md, ret_hex);
	return 0;
}

/* ---- record parser ---- */

enum key {
	K_SEQ,
	K_TIME,
	K_HOST,
	K_EVENT,
	K_SUBJECT,
	K_OBJECT,
	K_DECISION,
	K_RULE,
	K_EXEMPTION,
	K_TICKET,
	K_DETAIL,
	K_PREV,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "seq",	"time", "host",	     "event",  "subject", "object",
    "decision", "rule", "exemption", "ticket", "detail",  "prev",
};

#define REQUIRED_KEYS                                                                              \
	((1u << K_SEQ) | (1u << K_TIME) | (1u << K_HOST) | (1u << K_EVENT) | (1u << K_SUBJECT) |   \
	 (1u << K_OBJECT) | (1u << K_DECISION) | (1u << K_PREV))

static int key_index(const char *k)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (!strcmp(k, key_names[i]))
			return i;
	return -1;
}

static int check_value(int k, struct json_object *v, struct mng_audit_line *out, char *err,
		       size_t errlen)
{
	enum json_type t = json_object_get_type(v);
	const char *s;
	size_t len;
	int64_t n;

	if (k == K_SEQ) {
		if (t != json_type_int)
			return bad(err, errlen, "\"seq\" is not an integer");
		n = json_object_get_int64(v);
		if (n < 1 || n == INT64_MAX)
			return bad(err, errlen, "\"seq\" out of range");
		out->seq = (uint64_t)n;
		return 0;
	}
	if (t == json_type_null && (k == K_SUBJECT || k == K_OBJECT || k == K_DECISION))
		return 0;
	if (t != json_type_string)
		return bad(err, errlen, "\"%s\" is not a string", key_names[k]);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	switch (k) {
	case K_TIME:
		if (!is_rfc3339_us(s, len))
			return bad(err, errlen, "\"time\" is not RFC 3339 UTC with microseconds");
		break;
	case K_EVENT:
		if (!is_event_name(s, len))
			return bad(err, errlen, "\"event\" is not a valid event name");
		memcpy(out->event, s, len + 1);
		break;
	case K_PREV:
		if (!is_hash_hex(s, len))
			return bad(err, errlen, "\"prev\" is not 64 lowercase hex digits");
		memcpy(out->prev, s, len + 1);
		break;
	case K_DETAIL:
		snprintf(out->detail, sizeof(out->detail), "%s", s);
		break;
	default:
		break;
	}
	if (memchr(s, '\0', len))
		return bad(err, errlen, "\"%s\" contains a NUL character", key_names[k]);
	return 0;
}

int mng_audit_line_parse(const char *line, size_t len, struct mng_audit_line *ret, char *err,
			 size_t errlen)
{
	struct mng_audit_line rec = {0};
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	unsigned seen = 0;
	int last = -1, rc = 0;

	if (!line)
		return bad(err, errlen, "no line");
	if (len > MNG_AUDIT_LINE_MAX)
		return bad(err, errlen, "longer than %d bytes", MNG_AUDIT_LINE_MAX);
	if (memchr(line, '\0', len))
		return bad(err, errlen, "contains a NUL byte at column %zu",
			   (size_t)((const char *)memchr(line, '\0', len) - line) + 1);
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
		rc = bad(err, errlen, "not JSON: %s at column %zu",
			 jerr == json_tokener_continue ? "unexpected end of line"
						       : json_tokener_error_desc(jerr),
			 json_tokener_get_parse_end(tok) + 1);
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		rc = bad(err, errlen, "trailing bytes after the JSON object at column %zu",
			 json_tokener_get_parse_end(tok) + 1);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		rc = bad(err, errlen, "not a JSON object");
		goto out;
	}
	json_object_object_foreach(obj, key, val)
	{
		int k = key_index(key);

		if (k < 0) {
			rc = bad(err, errlen, "unknown key");
			goto out;
		}
		if (k <= last) {
			rc = bad(err, errlen, "key \"%s\" out of order", key);
			goto out;
		}
		last = k;
		seen |= 1u << k;
		rc = check_value(k, val, &rec, err, errlen);
		if (rc < 0)
			goto out;
	}
	if ((seen & REQUIRED_KEYS) != REQUIRED_KEYS) {
		int k;

		for (k = 0; k < K_COUNT; k++)
			if ((REQUIRED_KEYS & (1u << k)) && !(seen & (1u << k)))
				break;
		rc = bad(err, errlen, "record lacks \"%s\"", key_names[k < K_COUNT ? k : 0]);
		goto out;
	}
	*ret = rec;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}

/* ---- line reader ---- */

struct lreader {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
	unsigned long lineno;
};

struct lline {
	const char *p; /* the bytes, NULL when overlong */
	size_t len;    /* length without "\n" (also when overlong) */
	bool overlong; /* longer than MNG_AUDIT_LINE_MAX */
	bool newline;  /* ended by "\n" (false only for the last line) */
	char hash[MNG_AUDIT_HASH_HEX + 1];
};

static int lr_init(struct lreader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = MNG_AUDIT_LINE_MAX + 1 + READ_CHUNK;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

static void lr_free(struct lreader *r)
{
	free(r->buf);
	r->buf = NULL;
}

static int lr_fill(struct lreader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 0;
}

/* A line longer than the cap: hash it piece by piece, keep none of it. */
static int lr_overlong(struct lreader *r, struct lline *l)
{
	uint8_t md[MNG_SHA256_LEN];
	struct mng_sha256 ctx;
	int rc = 0;

	mng_sha256_init(&ctx);
	l->overlong = true;
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(s, '\n', avail);
		size_t seg = nl ? (size_t)(nl - s) : avail;

		rc = mng_sha256_update(&ctx, s, seg);
		if (rc < 0)
			goto out;
		l->len += seg;
		if (nl) {
			r->start += seg + 1;
			l->newline = true;
			break;
		}
		r->start = r->end = 0;
		if (r->eof)
			break;
		rc = lr_fill(r);
		if (rc < 0)
			goto out;
	}
	rc = mng_sha256_final(&ctx, md);
	if (rc < 0)
		return rc;
	mng_sha256_hex(md, l->hash);
	r->lineno++;
	return 1;
out:
	explicit_bzero(&ctx, sizeof(ctx));
	return rc;
}

/* Next line: 1 and *l filled, 0 at end of file, -errno on a read error. */
static int lr_next(struct lreader *r, struct lline *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(s, '\n', avail);
		size_t seg = nl ? (size_t)(nl - s) : avail;

		if (seg > MNG_AUDIT_LINE_MAX)
			return lr_overlong(r, l);
		if (nl || (r->eof && avail > 0)) {
			l->p = s;
			l->len = seg;
			l->newline = nl != NULL;
			r->start += seg + (nl ? 1 : 0);
			r->lineno++;
			rc = mng_audit_line_hash(s, seg, l->hash);
			return rc < 0 ? rc : 1;
		}
		if (r->eof)
			return 0;
		rc = lr_fill(r);
		if (rc < 0)
			return rc;
	}
}

/* ---- full scan for the writer ---- */

int mng_audit_scan_fd(int fd, uint64_t want_seq, struct mng_audit_scan *ret)
{
	struct mng_audit_scan s = {.last_newline = true};
	struct mng_audit_line rec;
	struct lreader r;
	struct lline l;
	int rc;

	rc = lr_init(&r, fd);
	if (rc < 0)
		return rc;
	while ((rc = lr_next(&r, &l)) > 0) {
		s.lines++;
		s.last_newline = l.newline;
		memcpy(s.last_hash, l.hash, sizeof(s.last_hash));
		s.last_valid = !l.overlong && mng_audit_line_parse(l.p, l.len, &rec, NULL, 0) == 0;
		if (!s.last_valid)
			continue;
		s.last_seq = rec.seq;
		memcpy(s.last_prev, rec.prev, sizeof(s.last_prev));
		if (rec.seq > s.max_seq)
			s.max_seq = rec.seq;
		if (want_seq && rec.seq == want_seq && !s.want_found) {
			s.want_found = true;
			memcpy(s.want_hash, l.hash, sizeof(s.want_hash));
		}
	}
	lr_free(&r);
	if (rc < 0)
		return rc;
	*ret = s;
	return 0;
}

/* ---- verifier ---- */

MNG_PRINTF(4, 5)
static void fail(struct mng_audit_report *rep, uint64_t seq, unsigned long line, const char *fmt,
		 ...)
{
	va_list ap;

	rep->ok = false;
	rep->first_bad_seq = seq;
	rep->first_bad_line = line;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

/*
 * Record at line `lineno` carries seq `got` where `want` was due. Look one
 * line ahead to tell a missing record from one that is out of place.
 */
static int seq_mismatch(struct mng_audit_report *rep, struct lreader *r, unsigned long lineno,
			uint64_t got, uint64_t want)
{
	struct mng_audit_line next;
	struct lline l;
	int rc;

	if (got < want) {
		fail(rep, got, lineno,
		     "line %lu: record %" PRIu64 " repeated or out of order (after record %" PRIu64
		     ")",
		     lineno, got, want - 1);
		return 0;
	}
	rc = lr_next(r, &l);
	if (rc < 0)
		return rc;
	if (rc > 0 && !l.overlong && mng_audit_line_parse(l.p, l.len, &next, NULL, 0) == 0 &&
	    next.seq == want) {
		fail(rep, got, lineno,
		     "line %lu: record %" PRIu64 " out of place (record %" PRIu64 " follows it)",
		     lineno, got, want);
		return 0;
	}
	fail(rep, want, lineno,
	     "line %lu: record %" PRIu64 " missing (seq jumps from %" PRIu64 " to %" PRIu64 ")",
	     lineno, want, want - 1, got);
	return 0;
}

/* Check one line against the chain so far; 1 = good, 0 = failure recorded. */
static int check_line(struct mng_audit_report *rep, struct lreader *r, const struct lline *l,
		      unsigned long *prev_line, const struct mng_audit_anchor *anchor)
{
	uint64_t want = rep->records ? rep->last_seq + 1 : 1;
	unsigned long ln = r->lineno;
	struct mng_audit_line rec;
	char err[160];
	int rc;

	if (l->overlong) {
		fail(rep, want, ln, "line %lu: longer than %d bytes", ln, MNG_AUDIT_LINE_MAX);
		return 0;
	}
	if (!l->newline) {
		fail(rep, want, ln,
		     "line %lu: partial last line without newline (write interrupted or log cut)",
		     ln);
		return 0;
	}
	rc = mng_audit_line_parse(l->p, l->len, &rec, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		fail(rep, want, ln, "line %lu: %s", ln, err);
		return 0;
	}
	if (rep->records == 0) {
		if (strcmp(rec.event, MNG_AUDIT_EV_CHAIN_START)) {
			fail(rep, rec.seq, ln,
			     "line %lu: record %" PRIu64
			     " is not a chain.start: the head of the log is missing",
			     ln, rec.seq);
			return 0;
		}
		if (rec.seq == 1 && strcmp(rec.prev, zero_hash)) {
			fail(rep, 1, ln, "line %lu: record 1 has a non-zero prev", ln);
			return 0;
		}
		rep->first_seq = rec.seq;
		memcpy(rep->start_prev, rec.prev, sizeof(rep->start_prev));
	} else {
		if (rec.seq != want) {
			rc = seq_mismatch(rep, r, ln, rec.seq, want);
			return rc < 0 ? rc : 0;
		}
		if (strcmp(rec.prev, rep->last_hash)) {
			fail(rep, rep->last_seq, *prev_line,
			     "line %lu: record %" PRIu64
			     " was edited (hash mismatch with the prev of record %" PRIu64 ")",
			     *prev_line, rep->last_seq, rec.seq);
			return 0;
		}
		if (!strcmp(rec.event, MNG_AUDIT_EV_CHAIN_START)) {
			fail(rep, rec.seq, ln,
			     "line %lu: record %" PRIu64 ": chain.start inside the log", ln,
			     rec.seq);
			return 0;
		}
	}
	if (!strcmp(rec.event, MNG_AUDIT_EV_TAMPER)) {
		fail(rep, rec.seq, ln,
		     "line %lu: record %" PRIu64 ": the writer found tampering: %s", ln, rec.seq,
		     rec.detail);
		return 0;
	}
	if (anchor && rec.seq == anchor->seq && strcmp(l->hash, anchor->hash)) {
		fail(rep, rec.seq, ln,
		     "line %lu: record %" PRIu64 " differs from the anchor (hash mismatch)", ln,
		     rec.seq);
		return 0;
	}
	rep->records++;
	rep->last_seq = rec.seq;
	memcpy(rep->last_hash, l->hash, sizeof(rep->last_hash));
	*prev_line = ln;
	return 1;
}

int mng_audit_verify_fd(int fd, const struct mng_audit_anchor *anchor, struct mng_audit_report *ret)
{
	struct mng_audit_report rep = {.ok = true};
	unsigned long prev_line = 0;
	struct lreader r;
	struct lline l;
	int rc;

	if (!ret || fd < 0)
		return -EINVAL;
	rc = lr_init(&r, fd);
	if (rc < 0)
		return rc;
	while ((rc = lr_next(&r, &l)) > 0) {
		rc = check_line(&rep, &r, &l, &prev_line, anchor);
		if (rc <= 0)
			break;
	}
	lr_free(&r);
	if (rc < 0)
		return rc;
	if (rep.ok && anchor) {
		if (anchor->seq > rep.last_seq)
			fail(&rep, rep.last_seq + 1, prev_line + 1,
			     "log truncated: anchor says seq %" PRIu64 ", file ends at %" PRIu64,
			     anchor->seq, rep.last_seq);
		else if (anchor->seq < rep.first_seq)
			fail(&rep, anchor->seq, 1,
			     "anchor names seq %" PRIu64
			     ", before this log's first record %" PRIu64,
			     anchor->seq, rep.first_seq);
	}
	*ret = rep;
	return 0;
}

int mng_audit_verify(const char *path, const char *anchor_path, struct mng_audit_report *ret)
{
	struct mng_audit_anchor anchor;
	int fd, rc;

	if (!path || !ret)
		return -EINVAL;
	if (anchor_path) {
		rc = mng_audit_anchor_read(anchor_path, &anchor);
		if (rc < 0)
			return rc;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	rc = mng_audit_verify_fd(fd, anchor_path ? &anchor : NULL, ret);
	close(fd);
	return rc;
}
