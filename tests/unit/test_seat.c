// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_seat.c - the active user of a seat from logind's seat file: the file
 * as logind writes it, tolerated variations, garbage, NUL bytes, 1 MiB
 * inputs, missing files, untrusted files and bad seat names.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "file.h"
#include "seat.h"

/* What systemd-logind writes for seat0 with one graphical session active. */
static const char logind_seat0[] = "# This is private data. Do not parse.\n"
				   "IS_SEAT0=1\n"
				   "CAN_MULTI_SESSION=1\n"
				   "CAN_TTY=1\n"
				   "CAN_GRAPHICAL=1\n"
				   "ACTIVE=2\n"
				   "ACTIVE_UID=1000\n"
				   "SESSIONS=2 c1\n"
				   "UIDS=1000 115\n";

static char dir[] = "/tmp/mng-seat-XXXXXX";

static int parse(const char *text, uid_t *uid)
{
	return mng_seat_parse("seat0", text, strlen(text), NULL, uid);
}

static void test_logind_file(void **state)
{
	uid_t uid = 42;

	(void)state;
	assert_int_equal(parse(logind_seat0, &uid), 0);
	assert_int_equal(uid, 1000);
}

static void test_tolerated_forms(void **state)
{
	uid_t uid = 42;

	(void)state;
	assert_int_equal(parse("ACTIVE_UID=0", &uid), 0); /* no final newline; root */
	assert_int_equal(uid, 0);
	assert_int_equal(parse("  ACTIVE_UID = 1001  \r\n", &uid), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(parse("ACTIVE_UID=\"1002\"\n", &uid), 0);
	assert_int_equal(uid, 1002);
	assert_int_equal(parse("ACTIVE_UID='1003'\n", &uid), 0);
	assert_int_equal(uid, 1003);
	assert_int_equal(parse("ACTIVE_UID=4294967294\n", &uid), 0);
	assert_int_equal(uid, 4294967294u);
	/* the last assignment wins, as in logind's own reader */
	assert_int_equal(parse("ACTIVE_UID=5\nACTIVE_UID=6\n", &uid), 0);
	assert_int_equal(uid, 6);
	assert_int_equal(parse("ACTIVE_UID=x\nACTIVE_UID=7\n", &uid), 0);
	assert_int_equal(uid, 7);
	/* unknown keys, comments, lines without '=' and invalid UTF-8 elsewhere are skipped */
	assert_int_equal(parse("\n\n#ACTIVE_UID=1\nnoise\n\xff\xfe=\xc3\x28\nACTIVE_UIDS=9\n"
			       "ACTIVE_UID=1004\n",
			       &uid),
			 0);
	assert_int_equal(uid, 1004);
}

static void test_nobody_active(void **state)
{
	uid_t uid = 42;

	(void)state;
	assert_int_equal(parse("", &uid), -ENODATA);
	assert_int_equal(parse("IS_SEAT0=1\nCAN_TTY=1\n", &uid), -ENODATA);
	assert_int_equal(parse("ACTIVE_UID=\n", &uid), -ENODATA);
	assert_int_equal(parse("ACTIVE_UID=\"\"\n", &uid), -ENODATA);
	assert_int_equal(parse("ACTIVE_UID=1000\nACTIVE_UID=\n", &uid), -ENODATA);
	assert_int_equal(mng_seat_parse("seat0", NULL, 0, NULL, &uid), -ENODATA);
	assert_int_equal(uid, 42);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
	    "ACTIVE_UID=abc\n",
	    "ACTIVE_UID=-1\n",
	    "ACTIVE_UID=+5\n",
	    "ACTIVE_UID=12 34\n",
	    "ACTIVE_UID=0x10\n",
	    "ACTIVE_UID=4294967295\n",
	    "ACTIVE_UID=65535\n",
	    "ACTIVE_UID=99999999999\n",
	    "ACTIVE_UID=\"1000\n",
	    "ACTIVE_UID=1000\xc3\x28\n",
	    "ACTIVE_UID=1000\nACTIVE_UID=x\n",
	};
	struct mng_diags diags = {0};
	uid_t uid = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &uid), -EBADMSG);
		assert_int_equal(uid, 42);
	}
	/* diagnostics name the file, line and column of the value */
	assert_int_equal(mng_seat_parse("seat0", "IS_SEAT0=1\n  ACTIVE_UID=1x\n", 27, &diags, &uid),
			 -EBADMSG);
	assert_int_equal(diags.n, 1);
	assert_string_equal(diags.v[0].file, "seat0");
	assert_int_equal(diags.v[0].line, 2);
	assert_int_equal(diags.v[0].col, 14);
	assert_non_null(strstr(diags.v[0].msg, "ACTIVE_UID"));
	mng_diags_clear(&diags);
}

static void test_nul_bytes(void **state)
{
	static const char text[] = "ACTIVE_UID=10\0"
				   "00\n";
	struct mng_diags diags = {0};
	uid_t uid = 42;

	(void)state;
	assert_int_equal(mng_seat_parse("seat0", text, sizeof(text) - 1, &diags, &uid), -EBADMSG);
	assert_int_equal(uid, 42);
	assert_int_equal(diags.n, 1);
	assert_non_null(strstr(diags.v[0].msg, "NUL"));
	mng_diags_clear(&diags);
}

static void test_one_mib(void **state)
{
	size_t big = 1u << 20;
	char *text = malloc(big + 1);
	struct mng_diags diags = {0};
	uid_t uid = 42;

	(void)state;
	assert_non_null(text);
	/* one 1 MiB line */
	memset(text, 'A', big);
	memcpy(text, "ACTIVE_UID=", 11);
	text[big] = '\0';
	assert_int_equal(mng_seat_parse("seat0", text, big, &diags, &uid), -EFBIG);
	assert_int_equal(diags.n, 1);
	mng_diags_clear(&diags);
	/* many lines, still over the cap */
	memset(text, '\n', big);
	memcpy(text + big - 16, "ACTIVE_UID=1000\n", 16);
	assert_int_equal(mng_seat_parse("seat0", text, big, NULL, &uid), -EFBIG);
	/* exactly at the cap it is read */
	memcpy(text + MNG_SEAT_FILE_MAX - 16, "ACTIVE_UID=1000\n", 16);
	assert_int_equal(mng_seat_parse("seat0", text + MNG_SEAT_FILE_MAX - 40, 40, NULL, &uid), 0);
	assert_int_equal(uid, 1000);
	uid = 42;
	assert_int_equal(mng_seat_parse("seat0", text, MNG_SEAT_FILE_MAX, NULL, &uid), 0);
	assert_int_equal(uid, 1000);
	free(text);
}

static void put(const char *name, const char *content, size_t len, mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	(void)unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_files(void **state)
{
	unsigned trusted = geteuid() == 0 ? MNG_FILE_TRUSTED : 0;
	char long_name[MNG_SEAT_NAME_MAX + 2], target[300], link[300];
	size_t big = 1u << 20;
	char *text;
	uid_t uid = 42;

	(void)state;
	put("seat0", logind_seat0, strlen(logind_seat0), 0644);
	assert_int_equal(mng_seat_active_uid(dir, "seat0", trusted, NULL, &uid), 0);
	assert_int_equal(uid, 1000);

	/* missing: logind is not running or there is no such seat */
	uid = 42;
	assert_int_equal(mng_seat_active_uid(dir, "seat1", trusted, NULL, &uid), -ENOENT);
	assert_int_equal(mng_seat_active_uid("/nonexistent-mng-dir", "seat0", trusted, NULL, &uid),
			 -ENOENT);

	/* a 1 MiB file is refused unread */
	text = malloc(big);
	assert_non_null(text);
	memset(text, '\n', big);
	memcpy(text, "ACTIVE_UID=1001\n", 16);
	put("seat-big", text, big, 0644);
	free(text);
	assert_int_equal(mng_seat_active_uid(dir, "seat-big", trusted, NULL, &uid), -EFBIG);

	/* garbage on disk */
	put("seat-bad", "ACTIVE_UID=root\n", 16, 0644);
	assert_int_equal(mng_seat_active_uid(dir, "seat-bad", trusted, NULL, &uid), -EBADMSG);

	/* names that would leave the directory */
	assert_int_equal(mng_seat_active_uid(dir, "../seat0", trusted, NULL, &uid), -EINVAL);
	assert_int_equal(mng_seat_active_uid(dir, ".", trusted, NULL, &uid), -EINVAL);
	assert_int_equal(mng_seat_active_uid(dir, "", trusted, NULL, &uid), -EINVAL);
	assert_int_equal(mng_seat_active_uid(dir, NULL, trusted, NULL, &uid), -EINVAL);
	memset(long_name, 's', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(mng_seat_active_uid(dir, long_name, trusted, NULL, &uid), -EINVAL);
	assert_int_equal(uid, 42);

	/* trusted reading: a writable file or a symlink is not believed */
	put("seat-gw", logind_seat0, strlen(logind_seat0), 0664);
	assert_int_equal(mng_seat_active_uid(dir, "seat-gw", MNG_FILE_TRUSTED, NULL, &uid), -EPERM);
	snprintf(target, sizeof(target), "%s/seat0", dir);
	snprintf(link, sizeof(link), "%s/seat-link", dir);
	(void)unlink(link);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mng_seat_active_uid(dir, "seat-link", MNG_FILE_TRUSTED, NULL, &uid),
			 -ELOOP);
	assert_int_equal(uid, 42);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"seat0", "seat-big", "seat-bad", "seat-gw",
					    "seat-link"};
	char p[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		(void)unlink(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_logind_file),	  cmocka_unit_test(test_tolerated_forms),
	    cmocka_unit_test(test_nobody_active), cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_nul_bytes),	  cmocka_unit_test(test_one_mib),
	    cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
