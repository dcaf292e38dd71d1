// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit.c - the audit log writer and its anchor file. The format, the
 * chain.start record and what happens on tamper are described in audit.h.
 *
 * MUST: the log is opened O_NOFOLLOW|O_CLOEXEC|O_APPEND and checked on the
 *       open fd (regular, ours, not group/other-writable) and locked, so no
 *       second writer interleaves lines.
 * MUST: a record is one line: every string goes through UTF-8 repair and
 *       json-c escaping, every field has a length cap, so no value can break
 *       a line or push it past MNG_AUDIT_LINE_MAX; each line is checked with
 *       the verifier's own parser before it is written.
 * MUST: seq and the chain hash advance only after the line is written whole
 *       and fsync'd; a failed write is cut off again, or the writer refuses
 *       all further appends.
 * MUST: nothing already in the log is ever removed or rewritten; damage found
 *       at open is recorded as an audit.tamper record, never repaired away.
 * MUST: seq numbers are never reused: after damage the chain continues above
 *       the highest seq seen in the file or the anchor.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "utf8.h"

/* Caps on each field, in bytes after UTF-8 repair (before JSON escaping). */
#define CAP_HOST 255
#define CAP_SUBJECT 512
#define CAP_OBJECT 2048
#define CAP_DECISION 32
#define CAP_RULE 1024
#define CAP_EXEMPTION 128
#define CAP_TICKET 128
#define CAP_DETAIL 4096
#define TAMPER_MAX 1024

static const char zero_hash[MNG_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct mng_audit {
	int fd;
	char *path;
	char *anchor_path; /* NULL: no anchor */
	char host[CAP_HOST + 1];
	uint64_t seq; /* last record stored, 0 when none */
	char hash[MNG_AUDIT_HASH_HEX + 1];
	off_t size;		/* file size after the last good write */
	bool broken;		/* a failed write could not be undone */
	char start_detail[256]; /* detail of the chain.start an empty file gets */
};

/* ---- strings ---- */

static bool event_ok(const char *s)
{
	size_t i, n;

	if (!s)
		return false;
	n = strnlen(s, MNG_AUDIT_EVENT_MAX + 1);
	if (n == 0 || n > MNG_AUDIT_EVENT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/*
 * Copy s as valid UTF-8 of at most cap bytes: each invalid byte becomes
 * U+FFFD; a longer string is cut at a character boundary and ends in "…".
 * Control characters are left for json-c to escape. Caller frees.
 */
static char *clean_utf8(const char *s, size_t cap, size_t *ret_len)
{
	static const char repl[] = "\xef\xbf\xbd", ellipsis[] = "\xe2\x80\xa6";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, cap * 4 + 4), i = 0, o = 0;
	char *out = malloc(cap + sizeof(ellipsis));

	if (!out)
		return NULL;
	while (i < n) {
		size_t k = mng_utf8_len(p + i, n - i);
		size_t w = k ? k : sizeof(repl) - 1;

		if (o + w > cap) {
			memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
			o += sizeof(ellipsis) - 1;
			break;
		}
		memcpy(out + o, k ? (const char *)p + i : repl, w);
		o += w;
		i += k ? k : 1;
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}

static int add_str(struct json_object *o, const char *key, const char *val, size_t cap)
{
	struct json_object *v = NULL;
	size_t len;
	char *c;

	if (val) {
		c = clean_utf8(val, cap, &len);
		if (!c)
			return -ENOMEM;
		v = json_object_new_string_len(c, (int)len);
		free(c);
		if (!v)
			return -ENOMEM;
	}
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int now_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -errno;
	if (!gmtime_r(&ts.tv_sec, &tm))
		return -EOVERFLOW;
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -EOVERFLOW;
	if (strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm) != 19)
		return -EOVERFLOW;
	snprintf(out + 19, 13, ".%06uZ", (unsigned)(ts.tv_nsec / 1000) % 1000000u);
	return 0;
}

/* Build the line for record seq (with "\n" at the end). Caller frees. */
static int build_line(const struct mng_audit *a, uint64_t seq, const struct mng_audit_rec *rec,
		      char **ret_line, size_t *ret_len)
{
	struct json_object *o = json_object_new_object(), *n;
	struct mng_audit_line check;
	const char *s;
	char when[32];
	size_t len;
	char *line;
	int rc;

	if (!o)
		return -ENOMEM;
	rc = now_rfc3339(when);
	if (rc < 0)
		goto out;
	n = json_object_new_int64((int64_t)seq);
	if (!n || json_object_object_add(o, "seq", n) < 0) {
		json_object_put(n);
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = add_str(o, "time", when, sizeof(when))) < 0 ||
	    (rc = add_str(o, "host", a->host, CAP_HOST)) < 0 ||
	    (rc = add_str(o, "event", rec->event, MNG_AUDIT_EVENT_MAX)) < 0 ||
	    (rc = add_str(o, "subject", rec->subject, CAP_SUBJECT)) < 0 ||
	    (rc = add_str(o, "object", rec->object, CAP_OBJECT)) < 0 ||
	    (rc = add_str(o, "decision", rec->decision, CAP_DECISION)) < 0 ||
	    (rec->rule && (rc = add_str(o, "rule", rec->rule, CAP_RULE)) < 0) ||
	    (rec->exemption && (rc = add_str(o, "exemption", rec->exemption, CAP_EXEMPTION)) < 0) ||
	    (rec->ticket && (rc = add_str(o, "ticket", rec->ticket, CAP_TICKET)) < 0) ||
	    (rec->detail && (rc = add_str(o, "detail", rec->detail, CAP_DETAIL)) < 0) ||
	    (rc = add_str(o, "prev", a->hash, MNG_AUDIT_HASH_HEX)) < 0)
		goto out;
	s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s) {
		rc = -ENOMEM;
		goto out;
	}
	/* The verifier must accept every line we write. */
	if (len > MNG_AUDIT_LINE_MAX || mng_audit_line_parse(s, len, &check, NULL, 0) < 0 ||
	    check.seq != seq) {
		rc = -EINVAL;
		goto out;
	}
	line = malloc(len + 1);
	if (!line) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	*ret_line = line;
	*ret_len = len + 1;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* ---- file helpers ---- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* ---- anchor ---- */

int mng_audit_anchor_read(const char *path, struct mng_audit_anchor *ret)
{
	struct mng_audit_anchor an = {0};
	struct json_object *obj = NULL, *seq, *hash;
	struct json_tokener *tok = NULL;
	char buf[MNG_AUDIT_ANCHOR_MAX + 1];
	size_t len = 0, end;
	struct stat st;
	int fd, rc = -EBADMSG;
	int64_t n;

	if (!path || !ret)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MNG_AUDIT_ANCHOR_MAX)
		goto out;
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > MNG_AUDIT_ANCHOR_MAX || memchr(buf, '\0', len))
		goto out;
	tok = json_tokener_new_ex(2);
	if (!tok) {
		rc = -ENOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    json_object_object_length(obj) != 2 || !json_object_object_get_ex(obj, "seq", &seq) ||
	    !json_object_object_get_ex(obj, "sha256", &hash) ||
	    !json_object_is_type(seq, json_type_int) ||
	    !json_object_is_type(hash, json_type_string))
		goto out;
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (buf[end] != '\n')
			goto out;
	n = json_object_get_int64(seq);
	if (n < 1 || n == INT64_MAX || json_object_get_string_len(hash) != MNG_AUDIT_HASH_HEX)
		goto out;
	memcpy(an.hash, json_object_get_string(hash), MNG_AUDIT_HASH_HEX + 1);
	for (end = 0; end < MNG_AUDIT_HASH_HEX; end++)
		if (!((an.hash[end] >= '0' && an.hash[end] <= '9') ||
		      (an.hash[end] >= 'a' && an.hash[end] <= 'f')))
			goto out;
	an.seq = (uint64_t)n;
	*ret = an;
	rc = 0;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	close(fd);
	return rc;
}

int mng_audit_anchor_write(const char *path, const struct mng_audit_anchor *anchor)
{
	char buf[160], *tmp = NULL;
	int fd = -1, rc, len;

	if (!path || !anchor || anchor->seq < 1 || strlen(anchor->hash) != MNG_AUDIT_HASH_HEX)
		return -EINVAL;
	len = snprintf(buf, sizeof(buf), "{\"seq\":%" PRIu64 ",\"sha256\":\"%s\"}\n", anchor->seq,
		       anchor->hash);
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = write_all(fd, buf, (size_t)len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		(void)unlink(tmp);
	else
		rc = fsync_parent(path);
	free(tmp);
	return rc;
}

/* ---- writer ---- */

static int write_line(struct mng_audit *a, const struct mng_audit_rec *rec)
{
	char hash[MNG_AUDIT_HASH_HEX + 1], *line = NULL;
	size_t len = 0;
	int rc;

	rc = build_line(a, a->seq + 1, rec, &line, &len);
	if (rc < 0)
		return rc;
	rc = mng_audit_line_hash(line, len - 1, hash);
	if (rc == 0)
		rc = write_all(a->fd, line, len);
	if (rc == 0 && fsync(a->fd) < 0)
		rc = -errno;
	free(line);
	if (rc < 0) {
		/* Take back what reached the file, or stop writing. */
		if (ftruncate(a->fd, a->size) < 0 || fsync(a->fd) < 0)
			a->broken = true;
		return rc;
	}
	a->seq++;
	memcpy(a->hash, hash, sizeof(a->hash));
	a->size += (off_t)len;
	if (a->anchor_path) {
		struct mng_audit_anchor an = {.seq = a->seq};

		memcpy(an.hash, a->hash, sizeof(an.hash));
		if (mng_audit_anchor_write(a->anchor_path, &an) < 0)
			return 1;
	}
	return 0;
}

/* Every file begins with chain.start: write it first when the file is empty. */
static int write_record(struct mng_audit *a, const struct mng_audit_rec *rec)
{
	int rc;

	if (a->broken)
		return -EIO;
	if (a->size == 0 && strcmp(rec->event, MNG_AUDIT_EV_CHAIN_START)) {
		struct mng_audit_rec start = {
		    .event = MNG_AUDIT_EV_CHAIN_START,
		    .object = a->path,
		    .decision = "ok",
		    .detail = a->start_detail,
		};

		rc = write_line(a, &start);
		if (rc < 0)
			return rc;
	}
	return write_line(a, rec);
}

int mng_audit_append(struct mng_audit *a, const struct mng_audit_rec *rec)
{
	if (!a || !rec || !event_ok(rec->event))
		return -EINVAL;
	return write_record(a, rec);
}

uint64_t mng_audit_seq(const struct mng_audit *a)
{
	return a ? a->seq : 0;
}

/* Fast path: the last line, if it is whole, in the last LINE_MAX + 2 bytes. */
static bool tail_fast(int fd, off_t size, struct mng_audit_line *rec,
		      char hash[MNG_AUDIT_HASH_HEX + 1])
{
	size_t w = size < MNG_AUDIT_LINE_MAX + 2 ? (size_t)size : MNG_AUDIT_LINE_MAX + 2;
	char *buf = malloc(w), *start;
	bool ok = false;
	ssize_t n;

	if (!buf)
		return false;
	n = pread(fd, buf, w, size - (off_t)w);
	if (n != (ssize_t)w || buf[w - 1] != '\n')
		goto out;
	start = memrchr(buf, '\n', w - 1);
	if (start)
		start++;
	else if ((off_t)w == size)
		start = buf;
	else
		goto out;
	ok = mng_audit_line_parse(start, (size_t)(buf + w - 1 - start), rec, NULL, 0) == 0 &&
	     mng_audit_line_hash(start, (size_t)(buf + w - 1 - start), hash) == 0;
out:
	free(buf);
	return ok;
}

MNG_PRINTF(2, 3)
static void add_reason(char *why, const char *fmt, ...)
{
	size_t used = strlen(why);
	va_list ap;

	if (used && used + 2 < TAMPER_MAX) {
		memcpy(why + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + used, TAMPER_MAX - used, fmt, ap);
	va_end(ap);
}

/*
 * Learn seq and hash from the file and the anchor; fill why with every
 * disagreement found. May append the "\n" a partial last line lacks.
 */
static int learn_state(struct mng_audit *a, off_t size, char *why)
{
	struct mng_audit_anchor an;
	struct mng_audit_line tail;
	struct mng_audit_scan s;
	char hash[MNG_AUDIT_HASH_HEX + 1];
	bool have = false;
	int rc;

	if (a->anchor_path) {
		rc = mng_audit_anchor_read(a->anchor_path, &an);
		have = rc == 0;
		if (rc == -ENOENT && size > 0)
			add_reason(why, "anchor missing");
		else if (rc < 0 && rc != -ENOENT)
			add_reason(why, "anchor unreadable (%s)", strerror(-rc));
	}
	if (size == 0) {
		a->seq = have ? an.seq : 0;
		memcpy(a->hash, have ? an.hash : zero_hash, sizeof(a->hash));
		if (have)
			snprintf(a->start_detail, sizeof(a->start_detail),
				 "continues the chain after record %" PRIu64 " (sha256 %s)", an.seq,
				 an.hash);
		else
			snprintf(a->start_detail, sizeof(a->start_detail), "new chain");
		return 0;
	}
	if (tail_fast(a->fd, size, &tail, hash)) {
		bool agree = !a->anchor_path ||
			     (have && ((tail.seq == an.seq && !strcmp(hash, an.hash)) ||
				       (tail.seq == an.seq + 1 && !strcmp(tail.prev, an.hash))));

		if (agree) {
			a->seq = tail.seq;
			memcpy(a->hash, hash, sizeof(a->hash));
			return 0;
		}
	}
	/* Slow path: read everything to learn exactly what is there. */
	if (lseek(a->fd, 0, SEEK_SET) < 0)
		return -errno;
	rc = mng_audit_scan_fd(a->fd, have ? an.seq : 0, &s);
	if (rc < 0)
		return rc;
	if (!s.last_newline) {
		rc = write_all(a->fd, "\n", 1);
		if (rc == 0 && fsync(a->fd) < 0)
			rc = -errno;
		if (rc < 0)
			return rc;
		a->size++;
		add_reason(why,
			   "line %lu was partial (no newline): a write was interrupted or the "
			   "log was cut",
			   s.lines);
	} else if (!s.last_valid) {
		add_reason(why, "the last line (line %lu) is not a well-formed record", s.lines);
	}
	if (have) {
		if (s.want_found && strcmp(s.want_hash, an.hash))
			add_reason(why,
				   "record %" PRIu64 " differs from the anchor (hash mismatch)",
				   an.seq);
		else if (!s.want_found && s.max_seq < an.seq)
			add_reason(why,
				   "log ends at seq %" PRIu64 " but the anchor says %" PRIu64
				   ": records %" PRIu64 "-%" PRIu64 " are missing",
				   s.max_seq, an.seq, s.max_seq + 1, an.seq);
		else if (!s.want_found)
			add_reason(why, "record %" PRIu64 " named by the anchor is not in the log",
				   an.seq);
	}
	a->seq = s.max_seq;
	if (have && an.seq > a->seq)
		a->seq = an.seq;
	memcpy(a->hash, s.last_hash, sizeof(a->hash));
	return 0;
}

static int check_log_fd(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

int mng_audit_open(const char *path, const char *anchor_path, const char *host,
		   struct mng_audit **ret)
{
	char why[TAMPER_MAX] = "";
	struct mng_audit *a;
	struct stat st;
	int rc;

	if (!path || !ret)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = -1;
	a->path = strdup(path);
	a->anchor_path = anchor_path ? strdup(anchor_path) : NULL;
	if (!a->path || (anchor_path && !a->anchor_path)) {
		rc = -ENOMEM;
		goto fail;
	}
	if (host)
		snprintf(a->host, sizeof(a->host), "%s", host);
	else if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "localhost");
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (a->fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = check_log_fd(a->fd, &st);
	if (rc < 0)
		goto fail;
	a->size = st.st_size;
	rc = learn_state(a, st.st_size, why);
	if (rc < 0)
		goto fail;
	if (a->size == 0) {
		struct mng_audit_rec start = {
		    .event = MNG_AUDIT_EV_CHAIN_START,
		    .object = a->path,
		    .decision = "ok",
		    .detail = a->start_detail,
		};

		rc = write_record(a, &start);
		if (rc < 0)
			goto fail;
		(void)fsync_parent(path);
	}
	if (why[0]) {
		struct mng_audit_rec t = {
		    .event = MNG_AUDIT_EV_TAMPER,
		    .object = a->path,
		    .decision = "error",
		    .detail = why,
		};

		rc = write_record(a, &t);
		if (rc < 0)
			goto fail;
		*ret = a;
		return 1;
	}
	if (a->anchor_path) {
		/* Bring a lagging anchor up to date (crash between log and anchor). */
		struct mng_audit_anchor an = {.seq = a->seq};

		memcpy(an.hash, a->hash, sizeof(an.hash));
		(void)mng_audit_anchor_write(a->anchor_path, &an);
	}
	*ret = a;
	return 0;
fail:
	mng_audit_close(&a);
	return rc;
}

int mng_audit_rotate(struct mng_audit *a, const char *rotated_path)
{
	struct stat st;
	const char *base;
	int fd, rc;

	if (!a || !rotated_path)
		return -EINVAL;
	if (a->broken)
		return -EIO;
	if (renameat2(AT_FDCWD, a->path, AT_FDCWD, rotated_path, RENAME_NOREPLACE) < 0)
		return -errno;
	fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		  0600);
	if (fd < 0)
		return -errno;
	rc = check_log_fd(fd, &st);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	(void)fsync_parent(a->path);
	close(a->fd);
	a->fd = fd;
	a->size = 0;
	base = strrchr(rotated_path, '/');
	base = base ? base + 1 : rotated_path;
	snprintf(a->start_detail, sizeof(a->start_detail),
		 "continues the chain after record %" PRIu64 " of the rotated log \"%.128s\"",
		 a->seq, base);
	{
		struct mng_audit_rec start = {
		    .event = MNG_AUDIT_EV_CHAIN_START,
		    .object = a->path,
		    .decision = "ok",
		    .detail = a->start_detail,
		};

		rc = write_record(a, &start);
	}
	return rc < 0 ? rc : 0;
}

void mng_audit_close(struct mng_audit **a)
{
	if (!a || !*a)
		return;
	if ((*a)->fd >= 0)
		close((*a)->fd);
	free((*a)->path);
	free((*a)->anchor_path);
	free(*a);
	*a = NULL;
}
