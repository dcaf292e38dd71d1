// SPDX-License-Identifier: GPL-2.0-or-later
/* test_audit.c - the audit chain: writer, anchor, verifier, tamper at open. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "audit.h"

#define N 50 /* records appended by make_log, plus the chain.start: lines 1..N+1 */

static char dir[] = "/tmp/mng-audit-XXXXXX";
static char logp[300], anchorp[300];

/* ---- helpers ---- */

static void paths(const char *log, const char *anchor)
{
	snprintf(logp, sizeof(logp), "%s/%s", dir, log);
	snprintf(anchorp, sizeof(anchorp), "%s/%s", dir, anchor);
	(void)unlink(logp);
	(void)unlink(anchorp);
}

static char *slurp(const char *p, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spit(const char *p, const char *buf, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* Offset of the start of line n (1-based) in buf; len when past the end. */
static size_t line_off(const char *buf, size_t len, unsigned n)
{
	size_t off = 0;

	while (--n > 0) {
		const char *nl = memchr(buf + off, '\n', len - off);

		if (!nl)
			return len;
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static size_t line_len(const char *buf, size_t len, unsigned n)
{
	size_t off = line_off(buf, len, n);
	const char *nl = memchr(buf + off, '\n', len - off);

	return nl ? (size_t)(nl - buf) - off : len - off;
}

static unsigned count_lines(const char *buf, size_t len)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Independent SHA-256 so the test does not trust the module's own hashing. */
static void sha256_hex(const void *p, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	int i;

	assert_int_equal(EVP_Digest(p, len, md, &n, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static struct json_object *parse_line(const char *buf, size_t len, unsigned n)
{
	size_t off = line_off(buf, len, n), l = line_len(buf, len, n);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, buf + off, (int)l);

	assert_non_null(o);
	json_tokener_free(tok);
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static void append(struct mng_audit *a, int i)
{
	char obj[64];
	struct mng_audit_rec r = {
	    .event = "device.block",
	    .subject = "uid=1000 (taro)",
	    .object = obj,
	    .decision = "block",
	    .rule = "/etc/mnguard/rules.d/50-base.rules:12",
	};

	snprintf(obj, sizeof(obj), "usb 1-%d 0781:5567 serial=ABC%d", i, i);
	assert_int_equal(mng_audit_append(a, &r), 0);
}

/* A log with the chain.start plus N records (record k on line k) and its anchor. */
static void make_log(void)
{
	struct mng_audit *a = NULL;
	int i;

	paths("audit.log", "anchor");
	assert_int_equal(mng_audit_open(logp, anchorp, "term-01", &a), 0);
	for (i = 0; i < N; i++)
		append(a, i);
	assert_int_equal(mng_audit_seq(a), N + 1);
	mng_audit_close(&a);
	assert_null(a);
}

static struct mng_audit_report verify(bool with_anchor)
{
	struct mng_audit_report rep;

	memset(&rep, 0x5a, sizeof(rep));
	assert_int_equal(mng_audit_verify(logp, with_anchor ? anchorp : NULL, &rep), 0);
	return rep;
}

static void expect_bad(struct mng_audit_report rep, uint64_t seq, unsigned long line,
		       const char *needle)
{
	if (rep.ok || rep.first_bad_seq != seq || rep.first_bad_line != line ||
	    !strstr(rep.reason, needle))
		print_error("got ok=%d seq=%" PRIu64 " line=%lu reason=\"%s\"\n", rep.ok,
			    rep.first_bad_seq, rep.first_bad_line, rep.reason);
	assert_false(rep.ok);
	assert_int_equal(rep.first_bad_seq, seq);
	assert_int_equal(rep.first_bad_line, line);
	assert_non_null(strstr(rep.reason, needle));
}

/* Replace line n of the log by repl (without "\n"); repl NULL deletes it. */
static void replace_line(unsigned n, const char *repl, size_t rlen)
{
	size_t len, off, l;
	char *buf = slurp(logp, &len), *out;
	size_t o = 0;

	off = line_off(buf, len, n);
	l = line_len(buf, len, n);
	out = malloc(len + rlen + 2);
	assert_non_null(out);
	memcpy(out, buf, off);
	o = off;
	if (repl) {
		memcpy(out + o, repl, rlen);
		o += rlen;
		out[o++] = '\n';
	}
	memcpy(out + o, buf + off + l + 1, len - off - l - 1);
	o += len - off - l - 1;
	spit(logp, out, o);
	free(out);
	free(buf);
}

/* Insert a line (without "\n") before line n. */
static void insert_line(unsigned n, const char *ins, size_t ilen)
{
	size_t len, off;
	char *buf = slurp(logp, &len), *out = malloc(len + ilen + 1);

	assert_non_null(out);
	off = line_off(buf, len, n);
	memcpy(out, buf, off);
	memcpy(out + off, ins, ilen);
	out[off + ilen] = '\n';
	memcpy(out + off + ilen + 1, buf + off, len - off);
	spit(logp, out, len + ilen + 1);
	free(out);
	free(buf);
}

/* ---- good logs ---- */

static void test_append_then_verify_ok(void **state)
{
	struct mng_audit_report rep;
	struct json_object *o;
	char h[65], *buf;
	size_t len;
	unsigned i;

	make_log();
	rep = verify(false);
	assert_true(rep.ok);
	assert_int_equal(rep.records, N + 1);
	assert_int_equal(rep.first_bad_seq, 0);
	assert_int_equal(rep.first_bad_line, 0);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, N + 1);
	rep = verify(true);
	assert_true(rep.ok);
	assert_int_equal(rep.records, N + 1);

	buf = slurp(logp, &len);
	assert_int_equal(count_lines(buf, len), N + 1);
	assert_int_equal(buf[len - 1], '\n');
	o = parse_line(buf, len, 1);
	assert_string_equal(jstr(o, "event"), "chain.start");
	assert_string_equal(jstr(o, "prev"),
			    "0000000000000000000000000000000000000000000000000000000000000000");
	json_object_put(o);
	/* every prev is the SHA-256 of the previous line's bytes; seq = line number */
	for (i = 2; i <= N + 1; i++) {
		sha256_hex(buf + line_off(buf, len, i - 1), line_len(buf, len, i - 1), h);
		o = parse_line(buf, len, i);
		assert_string_equal(jstr(o, "prev"), h);
		assert_int_equal(json_object_get_int64(json_object_object_get(o, "seq")), i);
		assert_string_equal(jstr(o, "host"), "term-01");
		assert_string_equal(jstr(o, "decision"), "block");
		assert_string_equal(jstr(o, "rule"), "/etc/mnguard/rules.d/50-base.rules:12");
		assert_null(jstr(o, "exemption"));
		assert_int_equal(strlen(jstr(o, "time")), 27);
		assert_int_equal(jstr(o, "time")[26], 'Z');
		json_object_put(o);
	}
	/* keys in the fixed order, no spaces, "/" not escaped */
	assert_int_equal(strncmp(buf + line_off(buf, len, 2), "{\"seq\":2,\"time\":\"", 17), 0);
	assert_non_null(
	    strstr(buf, "\"rule\":\"/etc/mnguard/rules.d/50-base.rules:12\",\"prev\":\""));
	free(buf);
}

static void test_reopen_continues_chain(void **state)
{
	struct mng_audit *a = NULL;
	struct mng_audit_report rep;
	int i;

	make_log();
	assert_int_equal(mng_audit_open(logp, anchorp, "term-01", &a), 0);
	assert_int_equal(mng_audit_seq(a), N + 1);
	for (i = 0; i < 5; i++)
		append(a, 100 + i);
	mng_audit_close(&a);
	/* and without an anchor */
	assert_int_equal(mng_audit_open(logp, NULL, NULL, &a), 0);
	assert_int_equal(mng_audit_seq(a), N + 6);
	append(a, 200);
	mng_audit_close(&a);
	rep = verify(false);
	assert_true(rep.ok);
	assert_int_equal(rep.records, N + 7);
	/* the anchor now lags by one record: still a valid checkpoint */
	rep = verify(true);
	assert_true(rep.ok);
}

static void test_anchor_lagging_by_one_is_no_tamper(void **state)
{
	struct mng_audit_anchor an;
	struct mng_audit *a = NULL;
	char *buf;
	size_t len;

	make_log();
	/* crash between the log's fsync and the anchor's rename */
	buf = slurp(logp, &len);
	an.seq = N;
	sha256_hex(buf + line_off(buf, len, N), line_len(buf, len, N), an.hash);
	free(buf);
	assert_int_equal(mng_audit_anchor_write(anchorp, &an), 0);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	mng_audit_close(&a);
	assert_int_equal(mng_audit_anchor_read(anchorp, &an), 0);
	assert_int_equal(an.seq, N + 1);
	assert_true(verify(true).ok);
}

static void test_strings_escaped_and_round_trip(void **state)
{
	static const char subj[] = "ta\"ro\\ \n\r\t\x01\x1f\x7f end";
	static const char obj[] = "bad:\xff\xfe over:\xc0\xaf sur:\xed\xa0\x80 ok:\xe5\x80\x8b/x";
	static const char obj_want[] = "bad:\xef\xbf\xbd\xef\xbf\xbd over:\xef\xbf\xbd\xef\xbf\xbd "
				       "sur:\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok:\xe5\x80\x8b/x";
	struct mng_audit_rec r = {.event = "device.allow",
				  .subject = subj,
				  .object = obj,
				  .exemption = "EX-1\n2",
				  .ticket = "INC-123",
				  .detail = "\xf4\x90\x80\x80"};
	struct mng_audit *a = NULL;
	struct json_object *o;
	char *buf;
	size_t len;

	paths("esc.log", "esc.anchor");
	assert_int_equal(mng_audit_open(logp, anchorp, "h\nost\xff", &a), 0);
	assert_int_equal(mng_audit_append(a, &r), 0);
	mng_audit_close(&a);
	buf = slurp(logp, &len);
	assert_int_equal(count_lines(buf, len), 2);
	assert_null(memchr(buf, '\r', len));
	assert_null(memchr(buf, '\t', len));
	assert_null(memchr(buf, '\x01', len));
	o = parse_line(buf, len, 2);
	assert_string_equal(jstr(o, "subject"), subj);
	assert_string_equal(jstr(o, "object"), obj_want);
	assert_string_equal(jstr(o, "exemption"), "EX-1\n2");
	assert_string_equal(jstr(o, "ticket"), "INC-123");
	assert_string_equal(jstr(o, "detail"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(jstr(o, "host"), "h\nost\xef\xbf\xbd");
	assert_null(jstr(o, "decision"));
	json_object_put(o);
	free(buf);
	assert_true(verify(true).ok);
}

static void test_huge_fields_are_capped(void **state)
{
	size_t big = 1 << 20, len;
	char *s = malloc(big + 1), *buf;
	struct mng_audit *a = NULL;
	struct json_object *o;
	const char *v;

	assert_non_null(s);
	memset(s, '\x01', big); /* worst case: each byte escapes to 6 */
	s[big] = '\0';
	paths("big.log", "big.anchor");
	assert_int_equal(mng_audit_open(logp, anchorp, s, &a), 0);
	{
		struct mng_audit_rec r = {.event = "policy.load",
					  .subject = s,
					  .object = s,
					  .decision = s,
					  .rule = s,
					  .exemption = s,
					  .ticket = s,
					  .detail = s};

		assert_int_equal(mng_audit_append(a, &r), 0);
	}
	mng_audit_close(&a);
	buf = slurp(logp, &len);
	assert_int_equal(count_lines(buf, len), 2);
	assert_true(line_len(buf, len, 2) <= MNG_AUDIT_LINE_MAX);
	o = parse_line(buf, len, 2);
	v = jstr(o, "object");
	assert_true(strlen(v) < 4096);
	assert_string_equal(v + strlen(v) - 3, "\xe2\x80\xa6");
	json_object_put(o);
	free(buf);
	free(s);
	assert_true(verify(true).ok);
}

static void test_bad_event_and_args(void **state)
{
	struct mng_audit_rec r = {.event = "Device Block"};
	struct mng_audit *a = NULL;
	char longev[80];

	make_log();
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	assert_int_equal(mng_audit_append(a, &r), -EINVAL);
	r.event = NULL;
	assert_int_equal(mng_audit_append(a, &r), -EINVAL);
	r.event = "";
	assert_int_equal(mng_audit_append(a, &r), -EINVAL);
	memset(longev, 'a', sizeof(longev) - 1);
	longev[sizeof(longev) - 1] = '\0';
	r.event = longev;
	assert_int_equal(mng_audit_append(a, &r), -EINVAL);
	assert_int_equal(mng_audit_append(a, NULL), -EINVAL);
	assert_int_equal(mng_audit_append(NULL, &r), -EINVAL);
	assert_int_equal(mng_audit_seq(a), N + 1);
	mng_audit_close(&a);
	mng_audit_close(&a); /* NULL-safe */
	mng_audit_close(NULL);
	assert_true(verify(true).ok);
}

static void test_second_writer_refused(void **state)
{
	struct mng_audit *a = NULL, *b = NULL;

	make_log();
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &b), -EBUSY);
	assert_null(b);
	mng_audit_close(&a);
}

static void test_symlink_and_special_files_refused(void **state)
{
	struct mng_audit *a = NULL;
	char target[300], fifo[300];
	size_t before, after;
	char *buf;

	make_log();
	buf = slurp(logp, &before);
	free(buf);
	snprintf(target, sizeof(target), "%s/link.log", dir);
	(void)unlink(target);
	assert_int_equal(symlink(logp, target), 0);
	assert_int_equal(mng_audit_open(target, NULL, NULL, &a), -ELOOP);
	assert_null(a);
	buf = slurp(logp, &after);
	free(buf);
	assert_int_equal(before, after);
	/* dangling symlink: not created through */
	(void)unlink(target);
	snprintf(fifo, sizeof(fifo), "%s/nowhere.log", dir);
	assert_int_equal(symlink(fifo, target), 0);
	assert_int_equal(mng_audit_open(target, NULL, NULL, &a), -ELOOP);
	assert_int_equal(access(fifo, F_OK), -1);
	/* FIFO and directory */
	snprintf(fifo, sizeof(fifo), "%s/fifo.log", dir);
	(void)unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mng_audit_open(fifo, NULL, NULL, &a), -EINVAL);
	assert_true(mng_audit_open(dir, NULL, NULL, &a) < 0);
	/* group-writable log */
	assert_int_equal(chmod(logp, 0620), 0);
	assert_int_equal(mng_audit_open(logp, NULL, NULL, &a), -EPERM);
	assert_null(a);
}

/* ---- tampered logs, each on a fresh copy ---- */

static void test_edit_one_byte(void **state)
{
	size_t len, off;
	char *buf, *p;

	make_log();
	buf = slurp(logp, &len);
	off = line_off(buf, len, 20);
	p = strstr(buf + off, "serial=ABC");
	assert_non_null(p);
	p[10] ^= 1; /* still valid JSON */
	spit(logp, buf, len);
	free(buf);
	expect_bad(verify(false), 20, 20, "record 20 was edited");
	expect_bad(verify(true), 20, 20, "record 20 was edited");
}

static void test_edit_breaks_json(void **state)
{
	size_t len;
	char *buf;

	make_log();
	buf = slurp(logp, &len);
	buf[line_off(buf, len, 20)] = '[';
	spit(logp, buf, len);
	free(buf);
	expect_bad(verify(false), 20, 20, "line 20: not JSON");
}

static void test_edit_last_record_needs_anchor(void **state)
{
	size_t len;
	char *buf, *p;

	make_log();
	buf = slurp(logp, &len);
	p = strstr(buf + line_off(buf, len, N + 1), "serial=ABC");
	p[10] ^= 1;
	spit(logp, buf, len);
	free(buf);
	assert_true(verify(false).ok); /* a chain cannot see its own tail: the anchor can */
	expect_bad(verify(true), N + 1, N + 1, "differs from the anchor");
}

static void test_delete_middle_line(void **state)
{
	make_log();
	replace_line(20, NULL, 0);
	expect_bad(verify(false), 20, 20, "record 20 missing (seq jumps from 19 to 21)");
}

static void test_swap_two_lines(void **state)
{
	size_t len, o20, l20, l21;
	char *buf, *out;

	make_log();
	buf = slurp(logp, &len);
	o20 = line_off(buf, len, 20);
	l20 = line_len(buf, len, 20);
	l21 = line_len(buf, len, 21);
	out = malloc(len);
	memcpy(out, buf, len);
	memcpy(out + o20, buf + o20 + l20 + 1, l21 + 1);
	memcpy(out + o20 + l21 + 1, buf + o20, l20 + 1);
	spit(logp, out, len);
	free(out);
	free(buf);
	expect_bad(verify(false), 21, 20, "record 21 out of place");
}

static void test_delete_first_line(void **state)
{
	make_log();
	replace_line(1, NULL, 0);
	expect_bad(verify(false), 2, 1, "not a chain.start");
}

static void test_partial_last_line(void **state)
{
	size_t len;
	char *buf;

	make_log();
	buf = slurp(logp, &len);
	spit(logp, buf, len - 10);
	free(buf);
	expect_bad(verify(false), N + 1, N + 1, "partial last line");
	/* only the "\n" gone */
	make_log();
	buf = slurp(logp, &len);
	spit(logp, buf, len - 1);
	free(buf);
	expect_bad(verify(false), N + 1, N + 1, "partial last line");
}

static void test_cut_tail_records(void **state)
{
	size_t len;
	char *buf;
	struct mng_audit_report rep;

	make_log();
	buf = slurp(logp, &len);
	spit(logp, buf, line_off(buf, len, N - 3)); /* keep lines 1..N-4 */
	free(buf);
	rep = verify(false);
	assert_true(rep.ok); /* undetectable without the anchor */
	assert_int_equal(rep.records, N - 4);
	expect_bad(verify(true), N - 3, N - 3,
		   "log truncated: anchor says seq 51, file ends at 46");
	/* everything cut */
	spit(logp, "", 0);
	rep = verify(false);
	assert_true(rep.ok);
	assert_int_equal(rep.records, 0);
	expect_bad(verify(true), 1, 1, "anchor says seq 51, file ends at 0");
}

/* Insert after line 20 a copy of record 20 with the given seq and a prev recomputed over line 20.
 */
static void insert_forged(int64_t seq)
{
	struct json_object *o;
	char h[65], *buf;
	const char *s;
	size_t len;

	buf = slurp(logp, &len);
	o = parse_line(buf, len, 20);
	sha256_hex(buf + line_off(buf, len, 20), line_len(buf, len, 20), h);
	json_object_object_add(o, "seq", json_object_new_int64(seq));
	json_object_object_add(o, "prev", json_object_new_string(h));
	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	insert_line(21, s, strlen(s));
	json_object_put(o);
	free(buf);
}

static void test_forged_line_wrong_seq(void **state)
{
	make_log();
	insert_forged(99);
	expect_bad(verify(false), 99, 21, "record 99 out of place (record 21 follows it)");
	/* the same with seq 20: a replayed record */
	make_log();
	insert_forged(20);
	expect_bad(verify(false), 20, 21, "record 20 repeated");
	/* with the right seq: the real record 21 then shows up as a repeat */
	make_log();
	insert_forged(21);
	expect_bad(verify(false), 21, 22, "record 21 repeated");
}

static void test_one_mib_line(void **state)
{
	size_t big = 1 << 20;
	char *s = malloc(big);

	memset(s, 'A', big);
	s[0] = '{';
	make_log();
	insert_line(21, s, big);
	expect_bad(verify(false), 21, 21, "line 21: longer than 65536 bytes");
	/* a file that is one huge line without newline */
	spit(logp, s, big);
	expect_bad(verify(false), 1, 1, "line 1: longer than");
	free(s);
}

static void test_nul_bytes(void **state)
{
	size_t len;
	char *buf, *p;

	make_log();
	buf = slurp(logp, &len);
	p = strstr(buf + line_off(buf, len, 20), "serial=ABC");
	p[3] = '\0';
	spit(logp, buf, len);
	free(buf);
	expect_bad(verify(false), 20, 20, "NUL byte");
	/* a file of NULs (what a crash can leave behind) */
	buf = calloc(1, 8192);
	spit(logp, buf, 8192);
	free(buf);
	expect_bad(verify(false), 1, 1, "partial last line");
	buf = calloc(1, 8192);
	buf[8191] = '\n';
	spit(logp, buf, 8192);
	free(buf);
	expect_bad(verify(false), 1, 1, "NUL byte");
}

static void test_not_json_and_bad_shapes(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} cases[] = {
	    {"hello world", "not JSON"},
	    {"", "not JSON"},
	    {"[1,2,3]", "not a JSON object"},
	    {"{\"seq\":21} trailing", "not JSON"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00.000000Z\"}", "lacks \"host\""},
	    {"{\"seq\":\"21\"}", "\"seq\" is not an integer"},
	    {"{\"seq\":99999999999999999999999}", "seq"},
	    {"{\"seq\":-1}", "\"seq\" out of range"},
	    {"{\"seq\":21,\"host\":\"h\",\"time\":\"x\"}", "out of order"},
	    {"{\"seq\":21,\"zzz\":1}", "unknown key"},
	    {"{\"seq\":21,\"time\":\"2024-13-01T00:00:00.000000Z\"}", "RFC 3339"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00Z\"}", "RFC 3339"},
	    {"{\"seq\":21,\"time\":\"\xff\xfe\"}", "not JSON"},
	    {"{\"seq\":21,\"host\":{\"a\":{\"b\":1}}}", "not JSON"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00.000000Z\",\"host\":\"h\","
	     "\"event\":\"Bad Event\"}",
	     "event name"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00.000000Z\",\"host\":\"h\",\"event\":\"e\","
	     "\"subject\":null,\"object\":null,\"decision\":null,\"prev\":\"ABC\"}",
	     "\"prev\" is not 64"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00.000000Z\",\"host\":\"h\",\"event\":\"e\","
	     "\"subject\":1,\"object\":null,\"decision\":null}",
	     "\"subject\" is not a string"},
	    {"{\"seq\":21,\"time\":\"2024-01-01T00:00:00.000000Z\",\"host\":\"h\",\"event\":\"e\","
	     "\"subject\":\"a\\u0000b\",\"object\":null,\"decision\":null}",
	     "NUL character"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_log();
		insert_line(21, cases[i].line, strlen(cases[i].line));
		expect_bad(verify(false), 21, 21, cases[i].why);
	}
}

static void test_deep_nesting(void **state)
{
	size_t depth = 100000, i;
	char *s = malloc(2 * depth + 1);

	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth + i] = ']';
	}
	make_log();
	insert_line(21, s, 2 * depth); /* 200 KB: caught by the length cap */
	expect_bad(verify(false), 21, 21, "longer than");
	make_log();
	insert_line(21, s + depth - 1000, 2000); /* 2 KB: caught by the depth cap */
	expect_bad(verify(false), 21, 21, "not JSON");
	free(s);
}

static void test_tamper_record_fails_verify(void **state)
{
	struct mng_audit_rec r = {.event = MNG_AUDIT_EV_TAMPER, .detail = "forged finding"};
	struct mng_audit *a = NULL;

	make_log();
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	assert_int_equal(mng_audit_append(a, &r), 0);
	mng_audit_close(&a);
	expect_bad(verify(true), N + 2, N + 2, "the writer found tampering: forged finding");
}

/* ---- tamper found at open ---- */

static void assert_prefix_kept(const char *old, size_t oldlen)
{
	size_t len;
	char *now = slurp(logp, &len);

	assert_true(len > oldlen);
	assert_memory_equal(now, old, oldlen);
	free(now);
}

static struct json_object *last_record(unsigned *ret_lines)
{
	size_t len;
	char *buf = slurp(logp, &len);
	unsigned n = count_lines(buf, len);
	struct json_object *o = parse_line(buf, len, n);

	free(buf);
	*ret_lines = n;
	return o;
}

static void test_open_after_tail_cut(void **state)
{
	struct mng_audit *a = NULL;
	struct json_object *o;
	size_t len, keep;
	unsigned lines;
	char *buf;

	make_log();
	buf = slurp(logp, &len);
	keep = line_off(buf, len, N - 2); /* lines 1..N-3 stay */
	spit(logp, buf, keep);
	assert_int_equal(mng_audit_open(logp, anchorp, "term-01", &a), 1);
	append(a, 500);
	mng_audit_close(&a);
	assert_prefix_kept(buf, keep);
	free(buf);
	/* the tamper record took seq N+2 (above the anchor's N+1), then record N+3 */
	o = last_record(&lines);
	assert_int_equal(lines, N - 3 + 2);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "seq")), N + 3);
	json_object_put(o);
	buf = slurp(logp, &len);
	o = parse_line(buf, len, N - 2);
	assert_string_equal(jstr(o, "event"), "audit.tamper");
	assert_non_null(strstr(jstr(o, "detail"), "log ends at seq 47 but the anchor says 51"));
	json_object_put(o);
	free(buf);
	/* the gap stays visible, with or without the (now updated) anchor */
	expect_bad(verify(false), N - 2, N - 2, "record 48 missing (seq jumps from 47 to 52)");
	expect_bad(verify(true), N - 2, N - 2, "record 48 missing");
}

static void test_open_after_last_line_edited(void **state)
{
	struct mng_audit *a = NULL;
	struct json_object *o;
	unsigned lines;
	size_t len;
	char *buf, *p;

	make_log();
	buf = slurp(logp, &len);
	p = strstr(buf + line_off(buf, len, N + 1), "serial=ABC");
	p[10] ^= 1;
	spit(logp, buf, len);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 1);
	mng_audit_close(&a);
	assert_prefix_kept(buf, len);
	free(buf);
	o = last_record(&lines);
	assert_int_equal(lines, N + 2);
	assert_string_equal(jstr(o, "event"), "audit.tamper");
	assert_non_null(strstr(jstr(o, "detail"), "record 51 differs from the anchor"));
	json_object_put(o);
	expect_bad(verify(true), N + 2, N + 2, "the writer found tampering");
	/* opening again is calm: the finding is recorded once */
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	mng_audit_close(&a);
}

static void test_open_after_partial_line(void **state)
{
	struct mng_audit *a = NULL;
	struct json_object *o;
	unsigned lines;
	size_t len;
	char *buf;

	make_log();
	buf = slurp(logp, &len);
	spit(logp, buf, len - 30);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 1);
	append(a, 600);
	mng_audit_close(&a);
	assert_prefix_kept(buf, len - 30);
	free(buf);
	o = last_record(&lines);
	assert_int_equal(lines, N + 3);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "seq")), N + 3);
	json_object_put(o);
	buf = slurp(logp, &len);
	o = parse_line(buf, len, N + 2);
	assert_string_equal(jstr(o, "event"), "audit.tamper");
	assert_non_null(strstr(jstr(o, "detail"), "partial"));
	/* the chain goes on from the damaged line's real bytes */
	{
		char h[65];

		sha256_hex(buf + line_off(buf, len, N + 1), line_len(buf, len, N + 1), h);
		assert_string_equal(jstr(o, "prev"), h);
	}
	json_object_put(o);
	free(buf);
	expect_bad(verify(true), N + 1, N + 1, "line 51: not JSON");
}

static void test_open_with_anchor_missing_or_bad(void **state)
{
	struct mng_audit *a = NULL;
	struct mng_audit_anchor an;
	struct mng_audit_report rep;
	struct json_object *o;
	unsigned lines;

	make_log();
	assert_int_equal(unlink(anchorp), 0);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 1);
	mng_audit_close(&a);
	o = last_record(&lines);
	assert_string_equal(jstr(o, "detail"), "anchor missing");
	json_object_put(o);

	make_log();
	spit(anchorp, "{\"seq\":\"x\"}", 11);
	assert_int_equal(mng_audit_anchor_read(anchorp, &an), -EBADMSG);
	assert_int_equal(mng_audit_verify(logp, anchorp, &rep), -EBADMSG);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 1);
	mng_audit_close(&a);
	o = last_record(&lines);
	assert_non_null(strstr(jstr(o, "detail"), "anchor unreadable"));
	json_object_put(o);
	assert_int_equal(mng_audit_anchor_read(anchorp, &an), 0);
	assert_int_equal(an.seq, N + 2);
}

static void test_anchor_file_format(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"seq\":0,\"sha256\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	    "{\"seq\":1,\"sha256\":"
	    "\"000000000000000000000000000000000000000000000000000000000000000\"}",
	    "{\"seq\":1,\"sha256\":"
	    "\"000000000000000000000000000000000000000000000000000000000000000G\"}",
	    "{\"seq\":1,\"sha256\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\",\"x\":1}",
	    "{\"seq\":1,\"sha256\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"} x",
	};
	struct mng_audit_anchor an = {.seq = 7}, back;
	size_t i;

	paths("x.log", "x.anchor");
	memset(an.hash, 'a', 64);
	an.hash[64] = '\0';
	assert_int_equal(mng_audit_anchor_write(anchorp, &an), 0);
	assert_int_equal(mng_audit_anchor_read(anchorp, &back), 0);
	assert_int_equal(back.seq, 7);
	assert_string_equal(back.hash, an.hash);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spit(anchorp, bad[i], strlen(bad[i]));
		assert_int_equal(mng_audit_anchor_read(anchorp, &back), -EBADMSG);
	}
	(void)unlink(anchorp);
	assert_int_equal(mng_audit_anchor_read(anchorp, &back), -ENOENT);
	an.seq = 0;
	assert_int_equal(mng_audit_anchor_write(anchorp, &an), -EINVAL);
}

static void test_verify_unreadable(void **state)
{
	struct mng_audit_report rep;
	char p[300];

	snprintf(p, sizeof(p), "%s/does-not-exist", dir);
	assert_int_equal(mng_audit_verify(p, NULL, &rep), -ENOENT);
	assert_int_equal(mng_audit_verify(dir, NULL, &rep), -EISDIR);
	make_log();
	assert_int_equal(mng_audit_verify(logp, p, &rep), -ENOENT);
}

static void test_rotate_keeps_chain(void **state)
{
	struct mng_audit_report r1, r2;
	struct mng_audit *a = NULL;
	struct json_object *o;
	char rot[300];
	size_t len;
	char *buf;
	int i;

	make_log();
	snprintf(rot, sizeof(rot), "%s/audit.log.1", dir);
	(void)unlink(rot);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	assert_int_equal(mng_audit_rotate(a, rot), 0);
	assert_int_equal(mng_audit_rotate(a, rot), -EEXIST);
	for (i = 0; i < 3; i++)
		append(a, 700 + i);
	mng_audit_close(&a);
	assert_int_equal(mng_audit_verify(rot, NULL, &r1), 0);
	assert_int_equal(mng_audit_verify(logp, anchorp, &r2), 0);
	assert_true(r1.ok);
	assert_true(r2.ok);
	assert_int_equal(r1.records, N + 1);
	assert_int_equal(r2.records, 4);
	assert_int_equal(r2.first_seq, r1.last_seq + 1);
	assert_string_equal(r2.start_prev, r1.last_hash);
	buf = slurp(logp, &len);
	o = parse_line(buf, len, 1);
	assert_string_equal(jstr(o, "event"), "chain.start");
	assert_non_null(
	    strstr(jstr(o, "detail"), "after record 51 of the rotated log \"audit.log.1\""));
	json_object_put(o);
	free(buf);
	/* a new empty log with the anchor still in place continues the chain too */
	(void)unlink(rot);
	assert_int_equal(rename(logp, rot), 0);
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	assert_int_equal(mng_audit_seq(a), N + 1 + 4 + 1);
	mng_audit_close(&a);
	assert_int_equal(mng_audit_verify(logp, anchorp, &r2), 0);
	assert_true(r2.ok);
	assert_int_equal(r2.first_seq, N + 6);
}

static void test_failed_write_does_not_advance(void **state)
{
	struct rlimit old, lim;
	struct mng_audit *a = NULL;
	struct mng_audit_rec r = {.event = "device.block"};
	char *detail = malloc(4000);
	size_t before, after;
	char *buf;

	make_log();
	memset(detail, 'x', 3999);
	detail[3999] = '\0';
	r.detail = detail;
	assert_int_equal(mng_audit_open(logp, anchorp, NULL, &a), 0);
	buf = slurp(logp, &before);
	free(buf);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = before + 1000; /* room for part of the line only */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(mng_audit_append(a, &r), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(mng_audit_seq(a), N + 1);
	buf = slurp(logp, &after);
	free(buf);
	assert_int_equal(after, before); /* the partial line was taken back */
	assert_int_equal(mng_audit_append(a, &r), 0);
	mng_audit_close(&a);
	assert_true(verify(true).ok);
	free(detail);
}

static void test_verify_fd_and_scan(void **state)
{
	struct mng_audit_report rep;
	struct mng_audit_scan s;
	int fd;

	make_log();
	fd = open(logp, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mng_audit_verify_fd(fd, NULL, &rep), 0);
	assert_true(rep.ok);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(mng_audit_scan_fd(fd, 10, &s), 0);
	close(fd);
	assert_int_equal(s.lines, N + 1);
	assert_int_equal(s.max_seq, N + 1);
	assert_true(s.last_valid);
	assert_true(s.last_newline);
	assert_true(s.want_found);
	assert_string_equal(s.last_hash, rep.last_hash);
}

/* mnguardctl audit verify: exit codes 0 / 1 / 2 */
static int run_ctl(const char *args)
{
	const char *ctl = getenv("MNG_CTL");
	char cmd[1200];
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", ctl, args);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_ctl_audit_verify(void **state)
{
	const char *ctl = getenv("MNG_CTL");
	char args[1000];

	if (!ctl || access(ctl, X_OK) != 0)
		skip();
	make_log();
	snprintf(args, sizeof(args), "audit verify %s --anchor %s", logp, anchorp);
	assert_int_equal(run_ctl(args), 0);
	replace_line(20, NULL, 0);
	assert_int_equal(run_ctl(args), 1);
	snprintf(args, sizeof(args), "audit verify %s/nope", dir);
	assert_int_equal(run_ctl(args), 1);
	assert_int_equal(run_ctl("audit verify"), 2);
	assert_int_equal(run_ctl("audit frobnicate x"), 2);
	assert_int_equal(run_ctl("audit verify x --anchor"), 2);
	assert_int_equal(run_ctl("audit verify x --bogus"), 2);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_then_verify_ok),
	    cmocka_unit_test(test_reopen_continues_chain),
	    cmocka_unit_test(test_anchor_lagging_by_one_is_no_tamper),
	    cmocka_unit_test(test_strings_escaped_and_round_trip),
	    cmocka_unit_test(test_huge_fields_are_capped),
	    cmocka_unit_test(test_bad_event_and_args),
	    cmocka_unit_test(test_second_writer_refused),
	    cmocka_unit_test(test_symlink_and_special_files_refused),
	    cmocka_unit_test(test_edit_one_byte),
	    cmocka_unit_test(test_edit_breaks_json),
	    cmocka_unit_test(test_edit_last_record_needs_anchor),
	    cmocka_unit_test(test_delete_middle_line),
	    cmocka_unit_test(test_swap_two_lines),
	    cmocka_unit_test(test_delete_first_line),
	    cmocka_unit_test(test_partial_last_line),
	    cmocka_unit_test(test_cut_tail_records),
	    cmocka_unit_test(test_forged_line_wrong_seq),
	    cmocka_unit_test(test_one_mib_line),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_not_json_and_bad_shapes),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_tamper_record_fails_verify),
	    cmocka_unit_test(test_open_after_tail_cut),
	    cmocka_unit_test(test_open_after_last_line_edited),
	    cmocka_unit_test(test_open_after_partial_line),
	    cmocka_unit_test(test_open_with_anchor_missing_or_bad),
	    cmocka_unit_test(test_anchor_file_format),
	    cmocka_unit_test(test_verify_unreadable),
	    cmocka_unit_test(test_rotate_keeps_chain),
	    cmocka_unit_test(test_failed_write_does_not_advance),
	    cmocka_unit_test(test_verify_fd_and_scan),
	    cmocka_unit_test(test_ctl_audit_verify),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
