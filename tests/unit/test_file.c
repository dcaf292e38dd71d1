// SPDX-License-Identifier: GPL-2.0-or-later
/* test_file.c - bounded and trusted file reading. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"

static char dir[] = "/tmp/mng-file-XXXXXX";

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

static int rd(const char *name, size_t cap, unsigned flags, char **buf, size_t *len)
{
	char p[256];
	const char *why = NULL;
	int r;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	r = mng_file_read(p, cap, flags, buf, len, &why);
	if (r < 0)
		assert_non_null(why);
	return r;
}

static void test_reads_whole_file_with_nuls(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	put("a", "ab\0cd", 5, 0644);
	assert_int_equal(rd("a", 100, 0, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "ab\0cd", 5);
	assert_int_equal(buf[5], '\0');
	free(buf);
}

static void test_cap_is_enforced(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	put("big", "0123456789", 10, 0644);
	assert_int_equal(rd("big", 9, 0, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(rd("big", 10, 0, &buf, &len), 0);
	assert_int_equal(len, 10);
	free(buf);
}

static void test_trusted_refuses_symlink(void **state)
{
	char t[256], l[256];
	char *buf = NULL;
	size_t len;

	put("target", "x", 1, 0644);
	snprintf(t, sizeof(t), "%s/target", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	(void)unlink(l);
	assert_int_equal(symlink(t, l), 0);
	assert_int_equal(rd("link", 100, MNG_FILE_TRUSTED, &buf, &len), -ELOOP);
	assert_null(buf);
	/* Untrusted reads follow links: user-named files may be anywhere. */
	assert_int_equal(rd("link", 100, 0, &buf, &len), 0);
	free(buf);
}

static void test_trusted_refuses_group_writable(void **state)
{
	char *buf = NULL;
	size_t len;

	put("gw", "x", 1, 0664);
	assert_int_equal(rd("gw", 100, MNG_FILE_TRUSTED, &buf, &len), -EPERM);
	assert_null(buf);
	put("ow", "x", 1, 0646);
	assert_int_equal(rd("ow", 100, MNG_FILE_TRUSTED, &buf, &len), -EPERM);
}

static void test_trusted_owner(void **state)
{
	char *buf = NULL;
	size_t len;
	char p[256];

	put("own", "x", 1, 0644);
	if (geteuid() == 0) {
		assert_int_equal(rd("own", 100, MNG_FILE_TRUSTED, &buf, &len), 0);
		free(buf);
		buf = NULL;
		snprintf(p, sizeof(p), "%s/own", dir);
		assert_int_equal(chown(p, 65534, 65534), 0);
	}
	/* Not owned by root (or we are not root, so we could not have made it root's). */
	assert_int_equal(rd("own", 100, MNG_FILE_TRUSTED, &buf, &len), -EPERM);
	assert_null(buf);
}

static void test_directory_and_missing(void **state)
{
	char *buf = NULL;
	size_t len;
	const char *why;

	assert_int_equal(mng_file_read(dir, 100, 0, &buf, &len, &why), -EISDIR);
	assert_int_equal(rd("does-not-exist", 100, 0, &buf, &len), -ENOENT);
	assert_int_equal(mng_file_read("-", 100, MNG_FILE_TRUSTED, &buf, &len, &why), -EPERM);
	assert_null(buf);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_whole_file_with_nuls),
		cmocka_unit_test(test_cap_is_enforced),
		cmocka_unit_test(test_trusted_refuses_symlink),
		cmocka_unit_test(test_trusted_refuses_group_writable),
		cmocka_unit_test(test_trusted_owner),
		cmocka_unit_test(test_directory_and_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
