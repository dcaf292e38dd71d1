// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_audit_report.c - the self-inspection report (lib/audit_report.h) over
 * logs written by lib/audit's own writer for several terminals: counts per
 * terminal and device class, chain verification across files (rotation,
 * gap, overlap, edit, tamper record, retention), the period, hostile
 * strings in CSV and HTML, bad lines and caps.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "audit_report.h"

static char dir[] = "/tmp/mng-report-XXXXXX";

static const char *path(const char *name)
{
	static char buf[4][400];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static struct mng_audit *writer(const char *name, const char *host)
{
	struct mng_audit *a = NULL;

	(void)unlink(path(name));
	assert_int_equal(mng_audit_open(path(name), NULL, host, &a), 0);
	return a;
}

static void rec(struct mng_audit *a, const char *event, const char *subject, const char *object,
		const char *decision, const char *ticket, const char *detail)
{
	struct mng_audit_rec r = {.event = event,
				  .subject = subject,
				  .object = object,
				  .decision = decision,
				  .ticket = ticket,
				  .detail = detail};

	assert_int_equal(mng_audit_append(a, &r), 0);
}

#define STORAGE "id 0781:5567 serial \"A1\" name \"Cruzer\" port 1-2 hash h= interfaces 08:06:50"
#define COMPOSITE                                                                                  \
	"id 1234:5678 serial \"K\" name \"Kbd\" port 1-3 hash h= interfaces 03:01:01,08:06:50"
#define PHONE "id 18d1:4ee1 serial \"P\" name \"Pixel\" port 1-4 hash h= interfaces 06:01:01"

static void add(struct mng_report *r, const char *name, struct mng_diags *d, int want)
{
	int fd = open(path(name), O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(mng_report_add_fd(r, fd, name, d), want);
	close(fd);
}

static char *render(struct mng_report *r, enum mng_report_format f, struct mng_diags *d)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(mng_report_render(r, f, "2025-01-01T00:00:00Z", d, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static struct mng_report *fresh(void)
{
	struct mng_report *r = NULL;

	assert_int_equal(mng_report_new(NULL, NULL, &r), 0);
	return r;
}

/* ---- counts ---- */

static void fleet(void)
{
	struct mng_audit *a = writer("a.log", "pc-a"), *b = writer("b.log", "pc-b");
	int i;

	rec(a, "policy.load", NULL, "/etc/mnguard/rules.d", "ok", NULL, "42 rules");
	for (i = 0; i < 3; i++)
		rec(a, "device.block", "sato", STORAGE, "block", NULL, NULL);
	rec(a, "device.reject", "sato", COMPOSITE, "reject", NULL, NULL);
	rec(a, "device.allow", "sato", STORAGE, "allow", NULL, NULL);
	rec(a, "print.hold", "sato", "printer \"p\" job 1", "hold", NULL, NULL);
	rec(a, "print.allow", "sato", "printer \"p\" job 2", "allow", NULL, NULL);
	rec(b, "policy.bundle.install", "uid 0", "bundle", "ok", NULL, "version 12, kid k1");
	rec(b, "device.block", NULL, PHONE, "block", NULL, NULL);
	rec(b, "exemption.redeem", "uid 1000 (kato)", "usb: allow id 1:2", "redeem", "INC-77",
	    "token for user kato until X, 1 uses; issuer key hd-1, operator \"yamada\"; reason "
	    "\"r\"");
	rec(b, "exemption.use", "kato", "usb: allow id 1:2", "use", "INC-77", "0 of 1 uses left");
	rec(b, "login.pass", "suzuki", "login", "ok", "INC-78", "key-less");
	rec(b, "key.enroll", "uid 0", "user suzuki", "ok", NULL, NULL);
	rec(b, "key.revoke", "uid 0", "user tanaka", "ok", NULL, NULL);
	rec(b, "print.cancel", "kato", "printer \"home\"", "cancel", NULL, NULL);
	mng_audit_close(&a);
	mng_audit_close(&b);
}

static void test_counts(void **state)
{
	struct mng_diags d = {0};
	struct mng_report *r = fresh();
	struct mng_report_summary s;
	uint64_t total, cls;
	char *csv;

	fleet();
	add(r, "a.log", &d, 0);
	add(r, "b.log", &d, 0);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.hosts, 2);
	assert_int_equal(s.files, 2);
	assert_int_equal(s.hosts_failed, 0);
	assert_int_equal(s.records, 9 + 9); /* a chain.start each */
	assert_int_equal(s.blocked, 5);	    /* 3 + reject + phone */
	assert_int_equal(s.exemptions, 2);
	assert_int_equal(s.keyless, 1);
	assert_int_equal(s.keys, 2);
	assert_int_equal(s.print, 2); /* hold and cancel, not allow */
	assert_int_equal(s.policy, 2);
	assert_int_equal(s.bad_lines, 0);
	assert_false(s.incomplete);
	assert_int_equal(mng_report_host_blocked(r, "pc-a", "storage", &total, &cls), 0);
	assert_int_equal(total, 4);
	assert_int_equal(cls, 3);
	assert_int_equal(mng_report_host_blocked(r, "pc-a", "storage+hid", &total, &cls), 0);
	assert_int_equal(cls, 1);
	assert_int_equal(mng_report_host_blocked(r, "pc-b", "mtp-ptp", &total, &cls), 0);
	assert_int_equal(total, 1);
	assert_int_equal(cls, 1);
	assert_int_equal(mng_report_host_blocked(r, "pc-zz", NULL, &total, NULL), -ENOENT);
	{
		const char *name, *note;
		bool ok = false;

		assert_int_equal(mng_report_host_status(r, 1, &name, &ok, &note), 0);
		assert_string_equal(name, "pc-b");
		assert_true(ok);
		assert_string_equal(note, "");
		assert_int_equal(mng_report_host_status(r, 2, &name, &ok, &note), -ENOENT);
	}
	assert_int_equal(mng_diags_count(&d), 0);

	csv = render(r, MNG_REPORT_CSV, &d);
	assert_memory_equal(csv, "\xef\xbb\xbf", 3);
	assert_non_null(strstr(csv, "\"pc-a\",OK,1,9,1,9,"));
	assert_non_null(strstr(csv, "\r\n\"storage\",3\r\n"));
	assert_non_null(strstr(csv, "\r\n\"storage+hid\",1\r\n"));
	/* issuer and operator of the exemption, its ticket */
	assert_non_null(strstr(csv, "\"ex"));
	assert_non_null(strstr(csv, "\"INC-77\",\"key hd-1\",\"yamada\""));
	/* the bundle version in force */
	assert_non_null(strstr(csv, "\"bundle version 12 ("));
	assert_non_null(strstr(csv, ",\"12\"\r\n"));
	/* every line ends with CRLF */
	assert_null(strstr(csv, "[^\r]\n"));
	free(csv);
	mng_report_free(&r);
	assert_null(r);
	mng_diags_clear(&d);
}

/* ---- chains across files ---- */

static void rotated3(void)
{
	struct mng_audit *a = writer("h.log", "pc-h");

	rec(a, "agent.start", NULL, NULL, "ok", NULL, NULL);
	(void)unlink(path("h.log.2"));
	(void)unlink(path("h.log.1"));
	assert_int_equal(mng_audit_rotate(a, path("h.log.2")), 0);
	rec(a, "device.block", NULL, STORAGE, "block", NULL, NULL);
	assert_int_equal(mng_audit_rotate(a, path("h.log.1")), 0);
	rec(a, "agent.stop", NULL, NULL, "ok", NULL, NULL);
	mng_audit_close(&a);
}

static char *csv_of(const char *const *names, size_t n, struct mng_report_summary *s)
{
	struct mng_diags d = {0};
	struct mng_report *r = fresh();
	size_t i;
	char *csv;

	for (i = 0; i < n; i++)
		add(r, names[i], &d, 0);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, s), 0);
	csv = render(r, MNG_REPORT_CSV, &d);
	mng_report_free(&r);
	mng_diags_clear(&d);
	return csv;
}

static void test_rotation(void **state)
{
	const char *all[] = {"h.log", "h.log.2", "h.log.1"}; /* any order */
	const char *newer[] = {"h.log.1", "h.log"};
	const char *gap[] = {"h.log.2", "h.log"};
	const char *twice[] = {"h.log.1", "h.log.1"};
	struct mng_report_summary s;
	char *csv;

	rotated3();
	csv = csv_of(all, 3, &s);
	assert_int_equal(s.hosts_failed, 0);
	assert_non_null(strstr(csv, "\"pc-h\",OK,3,"));
	free(csv);

	csv = csv_of(newer, 2, &s);
	assert_int_equal(s.hosts_failed, 0);
	assert_non_null(strstr(csv, "earlier files were not given"));
	free(csv);

	csv = csv_of(gap, 2, &s);
	assert_int_equal(s.hosts_failed, 1);
	assert_non_null(strstr(csv, "missing between h.log.2 and h.log"));
	free(csv);

	csv = csv_of(twice, 2, &s);
	assert_int_equal(s.hosts_failed, 1);
	assert_non_null(strstr(csv, "overlaps"));
	free(csv);
}

/* The collector's copy: the files one after the other in one file. */
static void test_collected_stream(void **state)
{
	const char *one[] = {"stream.log"};
	struct mng_report_summary s;
	char cmd[1400], *csv;

	rotated3();
	snprintf(cmd, sizeof(cmd), "cat %s %s %s > %s", path("h.log.2"), path("h.log.1"),
		 path("h.log"), path("stream.log"));
	assert_int_equal(system(cmd), 0);
	csv = csv_of(one, 1, &s);
	assert_int_equal(s.hosts_failed, 0);
	assert_non_null(strstr(csv, "\"stream.log\",\"pc-h\",OK,6,1,6,3,0,0,")); /* 3 segments */
	free(csv);
	/* in another order the stream does not verify */
	snprintf(cmd, sizeof(cmd), "cat %s %s > %s", path("h.log.1"), path("h.log.2"),
		 path("stream.log"));
	assert_int_equal(system(cmd), 0);
	csv = csv_of(one, 1, &s);
	assert_int_equal(s.hosts_failed, 1);
	free(csv);
}

static void edit_byte(const char *name, const char *from, const char *to)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "sed -i '3s/%s/%s/' %s", from, to, path(name));
	assert_int_equal(system(cmd), 0);
}

static void test_tamper(void **state)
{
	const char *one[] = {"t.log"};
	struct mng_audit_anchor an = {.seq = 99};
	struct mng_report_summary s;
	struct mng_audit *a;
	char *csv;

	a = writer("t.log", "pc-t");
	rec(a, "device.block", "sato", STORAGE, "block", NULL, NULL);
	rec(a, "device.block", "sato", STORAGE, "block", NULL, NULL);
	rec(a, "device.block", "sato", STORAGE, "block", NULL, NULL);
	mng_audit_close(&a);
	edit_byte("t.log", "sato", "kato");
	csv = csv_of(one, 1, &s);
	assert_int_equal(s.hosts_failed, 1);
	assert_non_null(strstr(csv, "FAILED,4,1,3,1,3,3,\"line 3: record 3 was edited"));
	/* the records after the edit are still counted, the terminal shown as failed */
	assert_int_equal(s.blocked, 3);
	free(csv);

	/* a writer that found its anchor disagreeing recorded audit.tamper */
	a = writer("t.log", "pc-t");
	rec(a, "agent.start", NULL, NULL, "ok", NULL, NULL);
	mng_audit_close(&a);
	memset(an.hash, 'a', MNG_AUDIT_HASH_HEX);
	an.hash[MNG_AUDIT_HASH_HEX] = '\0';
	assert_int_equal(mng_audit_anchor_write(path("t.anchor"), &an), 0);
	assert_int_equal(mng_audit_open(path("t.log"), path("t.anchor"), "pc-t", &a), 1);
	mng_audit_close(&a);
	csv = csv_of(one, 1, &s);
	assert_int_equal(s.hosts_failed, 1);
	/* the writer continued above the anchor's seq: the jump is the first finding */
	assert_non_null(strstr(csv, "record 3 missing (seq jumps from 2 to 100)"));
	assert_non_null(strstr(csv, "\"audit.tamper\""));
	free(csv);

	/* an anchor gone missing: the chain goes on, the tamper record is the finding */
	a = writer("t.log", "pc-t");
	rec(a, "agent.start", NULL, NULL, "ok", NULL, NULL);
	mng_audit_close(&a);
	(void)unlink(path("t.anchor"));
	assert_int_equal(mng_audit_open(path("t.log"), path("t.anchor"), "pc-t", &a), 1);
	mng_audit_close(&a);
	csv = csv_of(one, 1, &s);
	assert_int_equal(s.hosts_failed, 1);
	assert_non_null(
	    strstr(csv, "line 3: record 3: the writer found tampering: anchor missing"));
	free(csv);
}

/* ---- the period ---- */

static void test_period(void **state)
{
	char today[32], from[MNG_REPORT_TIME_LEN + 1], to[MNG_REPORT_TIME_LEN + 1];
	struct mng_report_summary s;
	struct mng_report *r = NULL;
	time_t now = time(NULL);
	struct tm tm;

	fleet();
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	/* a period that ends before today: nothing is in it, the chain is still verified */
	assert_int_equal(mng_report_bound("2001-01-01", false, from), 0);
	assert_int_equal(mng_report_bound("2001-12-31", true, to), 0);
	assert_int_equal(mng_report_new(from, to, &r), 0);
	add(r, "a.log", NULL, 0);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.in_period, 0);
	assert_int_equal(s.blocked, 0);
	assert_int_equal(s.records, 9);
	assert_int_equal(s.hosts_failed, 0);
	mng_report_free(&r);
	/* today is in */
	assert_int_equal(mng_report_bound(today, false, from), 0);
	assert_int_equal(mng_report_bound(today, true, to), 0);
	assert_int_equal(mng_report_new(from, to, &r), 0);
	add(r, "a.log", NULL, 0);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.in_period, 9);
	assert_int_equal(s.blocked, 4);
	mng_report_free(&r);
	/* from after to */
	assert_int_equal(mng_report_new(to, from, &r), -EINVAL);
	assert_int_equal(mng_report_new("2025-01-01", NULL, &r), -EINVAL);
}

static void test_bound(void **state)
{
	char b[MNG_REPORT_TIME_LEN + 1];

	assert_int_equal(mng_report_bound("2025-04-01", false, b), 0);
	assert_string_equal(b, "2025-04-01T00:00:00.000000Z");
	assert_int_equal(mng_report_bound("2025-04-01", true, b), 0);
	assert_string_equal(b, "2025-04-01T23:59:59.999999Z");
	assert_int_equal(mng_report_bound("2025-04-01T10:20:30Z", true, b), 0);
	assert_string_equal(b, "2025-04-01T10:20:30.999999Z");
	assert_int_equal(mng_report_bound("2024-02-29", false, b), 0);
	assert_int_equal(mng_report_bound("2023-02-29", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("2025-13-01", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("2025-04-31", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("2025-4-1", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("2025-04-01T24:00:00Z", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("2025-04-01T10:00:00", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("", false, b), -EINVAL);
	assert_int_equal(mng_report_bound("yesterday", false, b), -EINVAL);
}

/* ---- device classes ---- */

static void test_device_class(void **state)
{
	char c[MNG_REPORT_CLASS_MAX];

	mng_report_device_class(STORAGE, c, sizeof(c));
	assert_string_equal(c, "storage");
	mng_report_device_class(COMPOSITE, c, sizeof(c));
	assert_string_equal(c, "storage+hid");
	mng_report_device_class("id 1:2 interfaces e0:01:03,ef:04:01,02:06:00", c, sizeof(c));
	assert_string_equal(c, "network");
	mng_report_device_class("id 1:2 interfaces e0:01:01,0b:00:00,07:01:02,ff:ff:ff", c,
				sizeof(c));
	assert_string_equal(c, "printer+smartcard+wireless+vendor");
	mng_report_device_class("id 1:2 interfaces 09:00:00", c, sizeof(c));
	assert_string_equal(c, "hub");
	/* a device cannot pick its class by naming itself */
	mng_report_device_class("id 1:2 serial \"x interfaces 03:01:01\" name \"\\\" interfaces "
				"03:01:01\" interfaces 08:06:50",
				c, sizeof(c));
	assert_string_equal(c, "storage");
	mng_report_device_class("id 1:2 serial \"interfaces 03:01:01\"", c, sizeof(c));
	assert_string_equal(c, "unknown");
	mng_report_device_class("id 1:2 name \"a\" port 1 hash h", c, sizeof(c));
	assert_string_equal(c, "unknown");
	mng_report_device_class("interfaces zz:01:01", c, sizeof(c));
	assert_string_equal(c, "unknown");
	mng_report_device_class("interfaces 08:06", c, sizeof(c));
	assert_string_equal(c, "unknown");
	mng_report_device_class(NULL, c, sizeof(c));
	assert_string_equal(c, "unknown");
	mng_report_device_class(COMPOSITE, c, 4); /* cut, still terminated */
	assert_int_equal(strlen(c), 3);
}

/* ---- hostile strings ---- */

static void test_escaping(void **state)
{
	const char *one[] = {"x.log"};
	struct mng_diags d = {0};
	struct mng_report *r = fresh();
	struct mng_audit *a = writer("x.log", "<b>pc</b>");
	char *html, *csv;

	rec(a, "device.block", "=HYPERLINK(\"http://x\")",
	    "id 1:2 serial \"<script>alert(1)</script>\" name \"\xe2\x80\xae"
	    "fdp.exe\" "
	    "interfaces 08:06:50",
	    "block", NULL, "</td><img src=x onerror=alert(2)> & 'q' \"dq\"\x1b[31m");
	rec(a, "exemption.redeem", "+1", "-2", "redeem", "\xef\xbc\x9dSUM(A1)",
	    "@x issuer key <i>k</i>, operator \"o\"");
	mng_audit_close(&a);
	add(r, "x.log", &d, 0);
	assert_int_equal(mng_report_finish(r), 0);

	html = render(r, MNG_REPORT_HTML, &d);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>pc"));
	assert_null(strstr(html, "<i>k"));
	assert_null(strstr(html, "\x1b"));
	assert_null(strstr(html, "\xe2\x80\xae")); /* right-to-left override */
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html,
			       "&lt;/td&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &#39;q&#39; "
			       "&quot;dq&quot;\xef\xbf\xbd[31m"));
	assert_non_null(strstr(html, "&lt;b&gt;pc&lt;/b&gt;"));
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"));
	assert_null(strstr(html, "http://x\"")); /* the URL is text, never an attribute */
	assert_non_null(strstr(html, "id=\"chart-time\""));
	assert_non_null(strstr(html, "id=\"chart-terminal\""));
	free(html);

	csv = render(r, MNG_REPORT_CSV, &d);
	assert_non_null(strstr(csv, "\"'=HYPERLINK(\"\"http://x\"\")\""));
	assert_non_null(strstr(csv, "\"'\xef\xbc\x9dSUM(A1)\""));
	assert_non_null(strstr(csv, "\"'+1\""));
	assert_non_null(strstr(csv, "\"'-2\""));
	assert_non_null(strstr(csv, "\"'@x issuer"));
	assert_null(strstr(csv, "\x1b"));
	assert_null(strstr(csv, "\xe2\x80\xae"));
	free(csv);
	mng_report_free(&r);
	mng_diags_clear(&d);
	(void)one;
}

/* ---- bad input ---- */

static void spit(const char *name, const void *buf, size_t len, const char *mode)
{
	FILE *f = fopen(path(name), mode);

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_bad_lines(void **state)
{
	struct mng_diags d = {0};
	struct mng_report *r = fresh();
	struct mng_report_summary s;
	struct mng_audit *a = writer("bad.log", "pc-bad");
	size_t big = 1u << 20, i;
	char *line = malloc(big + 1), *html;

	assert_non_null(line);
	rec(a, "device.block", NULL, STORAGE, "block", NULL, NULL);
	mng_audit_close(&a);
	memset(line, 'x', big);
	line[big] = '\n';
	spit("bad.log", line, big + 1, "a");		      /* line 3: 1 MiB */
	spit("bad.log", "{\"seq\":3,\0}\n", 12, "a");	      /* line 4: NUL */
	spit("bad.log", "{\"seq\":\"\xff\xfe\"}\n", 13, "a"); /* line 5: bad UTF-8 */
	for (i = 0; i < 100000; i++)			      /* line 6: deep */
		line[i] = '[';
	line[i] = '\n';
	spit("bad.log", line, i + 1, "a");
	spit("bad.log", "not json\n", 9, "a");	/* line 7 */
	spit("bad.log", "{\"seq\":4}", 9, "a"); /* line 8: partial */
	add(r, "bad.log", &d, 0);
	spit("empty.log", "", 0, "w");
	add(r, "empty.log", &d, 0);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.bad_lines, 6);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.blocked, 1);
	assert_int_equal(s.hosts_failed, 2); /* the damaged chain and the file with no record */
	assert_int_equal(mng_diags_count(&d), 6);
	assert_string_equal(d.v[0].file, "bad.log");
	assert_int_equal(d.v[0].line, 3);
	assert_non_null(strstr(d.v[0].msg, "longer than"));
	assert_int_equal(d.v[1].line, 4);
	assert_non_null(strstr(d.v[1].msg, "NUL"));
	assert_int_equal(d.v[2].line, 5);
	assert_int_equal(d.v[3].line, 6);
	assert_int_equal(d.v[4].line, 7);
	assert_int_equal(d.v[5].line, 8);
	assert_non_null(strstr(d.v[5].msg, "partial"));
	html = render(r, MNG_REPORT_HTML, &d);
	assert_non_null(strstr(html, "id=\"table-unreadable\""));
	assert_non_null(strstr(html, "no records: an empty file is not an audit log"));
	free(html);
	free(line);
	mng_report_free(&r);
	mng_diags_clear(&d);
}

static void test_caps(void **state)
{
	struct mng_report *r = fresh();
	struct mng_report_summary s;
	size_t i;
	int fd;

	fleet();
	fd = open(path("a.log"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (i = 0; i < MNG_REPORT_FILES_MAX; i++) {
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(mng_report_add_fd(r, fd, "a.log", NULL), 0);
	}
	assert_int_equal(mng_report_add_fd(r, fd, "a.log", NULL), -E2BIG);
	close(fd);
	assert_int_equal(mng_report_finish(r), 0);
	assert_int_equal(mng_report_finish(r), -EINVAL);
	assert_int_equal(mng_report_summary(r, &s), 0);
	assert_int_equal(s.hosts, 1);
	assert_int_equal(s.hosts_failed, 1); /* the same file many times overlaps */
	assert_int_equal(s.records, 9ull * MNG_REPORT_FILES_MAX);
	mng_report_free(&r);

	/* bad arguments */
	assert_int_equal(mng_report_add_fd(NULL, 0, "x", NULL), -EINVAL);
	r = fresh();
	assert_int_equal(mng_report_add_fd(r, -1, "x", NULL), -EINVAL);
	assert_int_equal(
	    mng_report_render(r, MNG_REPORT_CSV, NULL, NULL, &(char *){NULL}, &(size_t){0}),
	    -EINVAL); /* not finished */
	mng_report_free(&r);
	mng_report_free(&r);
	mng_report_free(NULL);
}

/* An empty report renders, and says there was nothing to verify. */
static void test_empty(void **state)
{
	struct mng_report *r = fresh();
	char *html, *csv;

	assert_int_equal(mng_report_finish(r), 0);
	html = render(r, MNG_REPORT_HTML, NULL);
	assert_non_null(strstr(html, "No audit records were given"));
	assert_non_null(strstr(html, "No blocked attempts."));
	csv = render(r, MNG_REPORT_CSV, NULL);
	assert_non_null(strstr(csv, "terminals,0\r\n"));
	free(html);
	free(csv);
	mng_report_free(&r);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_collected_stream),
	    cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_period),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_device_class),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
