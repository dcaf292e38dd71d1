// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_counter.c - signature counters: the decision table, the file
 * format with its errors, atomic replacement, trusted-file checks, the
 * lock (timeout and no lost update between concurrent logins).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "counter.h"
#include "diag.h"

static char dir[] = "/tmp/mng-counter-XXXXXX";

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *printed(const struct mng_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	mng_diags_print(d, f);
	fclose(f);
	return buf;
}

static char *slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, 65535) >= 0);
	close(fd);
	return buf;
}

static void test_judge(void **state)
{
	uint32_t five = 5, zero = 0, max = UINT32_MAX;

	assert_int_equal(mng_counter_judge(NULL, 1, 0), 0);
	assert_int_equal(mng_counter_judge(NULL, 0, 0), -ESTALE);
	assert_int_equal(mng_counter_judge(NULL, 0, MNG_COUNTER_ZERO_OK), 0);
	assert_int_equal(mng_counter_judge(&five, 6, 0), 0);
	assert_int_equal(mng_counter_judge(&five, 5, 0), -ESTALE);
	assert_int_equal(mng_counter_judge(&five, 4, 0), -ESTALE);
	assert_int_equal(mng_counter_judge(&five, 0, MNG_COUNTER_ZERO_OK), -ESTALE);
	assert_int_equal(mng_counter_judge(&zero, 0, MNG_COUNTER_ZERO_OK), 0);
	assert_int_equal(mng_counter_judge(&zero, 0, 0), -ESTALE);
	assert_int_equal(mng_counter_judge(&max, UINT32_MAX, 0), -ESTALE);
}

static void test_parse(void **state)
{
	struct mng_counters c = {0};
	struct mng_diags d = {0};
	const char *good = "# counters\nAAECAw\t17\n\n_-8\t0\nAA\t4294967295";
	const char *bad = "AA\t1\n"
			  "AA\t2\n"
			  "A\t1\n"
			  "AB+\t1\n"
			  "BA\t-1\n"
			  "CA\t4294967296\n"
			  "DA\t01\n"
			  "EA 1\n"
			  "FA\t1 \n"
			  "GA\t\n";
	char *out;

	assert_int_equal(mng_counters_parse(good, strlen(good), "k", &c, &d), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].id, "AAECAw");
	assert_int_equal(c.v[0].value, 17);
	assert_int_equal(c.v[2].value, UINT32_MAX);
	mng_counters_clear(&c);

	assert_int_equal(mng_counters_parse(bad, strlen(bad), "k", &c, &d), -EINVAL);
	assert_null(c.v);
	out = printed(&d);
	assert_string_equal(out, "k:3:1: expected a base64url credential id\n"
				 "k:4:1: expected a base64url credential id\n"
				 "k:5:4: expected a counter 0..4294967295\n"
				 "k:6:4: expected a counter 0..4294967295\n"
				 "k:7:4: expected a counter 0..4294967295\n"
				 "k:8:1: expected a base64url credential id\n"
				 "k:9:4: expected a counter 0..4294967295\n"
				 "k:10:4: expected a counter 0..4294967295\n"
				 "k:2:1: credential id given twice (first on line 1)\n");
	free(out);
	mng_diags_clear(&d);

	/* NUL bytes and a 1 MiB line are errors, not crashes */
	{
		size_t big = 1024 * 1024;
		char *buf = malloc(big);

		memset(buf, 'A', big);
		buf[5] = '\t';
		assert_int_equal(mng_counters_parse(buf, big, "k", &c, &d), -EINVAL);
		mng_diags_clear(&d);
		assert_int_equal(mng_counters_parse("AA\t1\0", 5, "k", &c, &d), -EINVAL);
		mng_diags_clear(&d);
		assert_int_equal(mng_counters_parse(buf, MNG_COUNTER_FILE_MAX + 1, "k", &c, &d),
				 -EFBIG);
		mng_diags_clear(&d);
		free(buf);
	}
}

static void test_advance(void **state)
{
	struct mng_diags d = {0};
	char path[128], *text;
	uint32_t stored = 99;
	bool had = true;
	struct stat st;

	snprintf(path, sizeof(path), "%s/counters", dir);
	/* first login stores the counter */
	assert_int_equal(mng_counter_advance(path, "AAECAw", 10, 0, &stored, &had, &d), 0);
	assert_false(had);
	assert_int_equal(stored, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	text = slurp(path);
	assert_string_equal(text, "AAECAw\t10\n");
	free(text);
	/* equal and lower are refused, the file stays */
	assert_int_equal(mng_counter_advance(path, "AAECAw", 10, 0, &stored, &had, &d), -ESTALE);
	assert_true(had);
	assert_int_equal(stored, 10);
	assert_int_equal(mng_counter_advance(path, "AAECAw", 3, 0, &stored, NULL, &d), -ESTALE);
	/* higher is stored; another credential is added beside it */
	assert_int_equal(mng_counter_advance(path, "AAECAw", 11, 0, NULL, NULL, &d), 0);
	assert_int_equal(mng_counter_advance(path, "BA", 0, 0, NULL, NULL, &d), -ESTALE);
	assert_int_equal(mng_counter_advance(path, "BA", 0, MNG_COUNTER_ZERO_OK, NULL, NULL, &d),
			 0);
	assert_int_equal(mng_counter_advance(path, "CA", 7, 0, NULL, NULL, &d), 0);
	text = slurp(path);
	assert_string_equal(text, "AAECAw\t11\nBA\t0\nCA\t7\n");
	free(text);
	/* read only: judged, never written */
	assert_int_equal(
	    mng_counter_advance(path, "CA", 9, MNG_COUNTER_READ_ONLY, &stored, NULL, &d), 0);
	assert_int_equal(stored, 7);
	assert_int_equal(mng_counter_advance(path, "CA", 7, MNG_COUNTER_READ_ONLY, NULL, NULL, &d),
			 -ESTALE);
	text = slurp(path);
	assert_string_equal(text, "AAECAw\t11\nBA\t0\nCA\t7\n");
	free(text);
	/* a bad id is refused before anything is touched */
	assert_int_equal(mng_counter_advance(path, "A\tB", 1, 0, NULL, NULL, &d), -EINVAL);
	assert_int_equal(mng_diags_count(&d), 0);
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	return st.st_ino;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * Guards the update in place: only the digits of one counter, of unchanged
 * length and inside one 512-byte sector, are rewritten in the same file;
 * a longer number, a new credential, or digits across a sector boundary
 * replace the file (a new inode, comments dropped).
 */
static void test_in_place(void **state)
{
	struct mng_diags d = {0};
	char path[128], text[1100], *got;
	uint32_t stored = 0;
	ino_t ino;
	int pad;

	snprintf(path, sizeof(path), "%s/inplace", dir);
	assert_int_equal(mng_counter_advance(path, "AA", 10, 0, NULL, NULL, &d), 0);
	assert_int_equal(mng_counter_advance(path, "BA", 500, 0, NULL, NULL, &d), 0);
	ino = inode_of(path);
	/* same length: in place, the other line untouched */
	assert_int_equal(mng_counter_advance(path, "AA", 11, 0, NULL, NULL, &d), 0);
	assert_int_equal(mng_counter_advance(path, "BA", 999, 0, NULL, NULL, &d), 0);
	assert_true(inode_of(path) == ino);
	got = slurp(path);
	assert_string_equal(got, "AA\t11\nBA\t999\n");
	free(got);
	/* and read back as the stored value, so equal is refused */
	assert_int_equal(mng_counter_advance(path, "BA", 999, 0, &stored, NULL, &d), -ESTALE);
	assert_int_equal(stored, 999);
	/* one more digit: replaced */
	assert_int_equal(mng_counter_advance(path, "BA", 1000, 0, NULL, NULL, &d), 0);
	assert_true(inode_of(path) != ino);
	got = slurp(path);
	assert_string_equal(got, "AA\t11\nBA\t1000\n");
	free(got);
	/* the largest value, in place */
	assert_int_equal(mng_counter_advance(path, "AA", 4294967294u, 0, NULL, NULL, &d), 0);
	ino = inode_of(path);
	assert_int_equal(mng_counter_advance(path, "AA", 4294967295u, 0, NULL, NULL, &d), 0);
	assert_true(inode_of(path) == ino);
	got = slurp(path);
	assert_string_equal(got, "AA\t4294967295\nBA\t1000\n");
	free(got);
	assert_int_equal(mng_counter_advance(path, "AA", 4294967295u, 0, NULL, NULL, &d), -ESTALE);

	/* digits at bytes 510-511: one sector, in place, the comment kept */
	for (pad = 505; pad <= 506; pad++) {
		memset(text, 0, sizeof(text));
		text[0] = '#';
		memset(text + 1, 'x', (size_t)pad);
		strcat(text, "\nAA\t10\n");
		write_file(path, text);
		ino = inode_of(path);
		assert_int_equal(mng_counter_advance(path, "AA", 11, 0, NULL, NULL, &d), 0);
		got = slurp(path);
		if (pad == 505) {
			/* digits at 510-511 */
			assert_true(inode_of(path) == ino);
			text[strlen(text) - 2] = '1';
			assert_string_equal(got, text);
		} else {
			/* digits at 511-512: across the boundary, replaced whole */
			assert_true(inode_of(path) != ino);
			assert_string_equal(got, "AA\t11\n");
		}
		free(got);
	}
	assert_int_equal(mng_diags_count(&d), 0);
}

static void test_bad_files(void **state)
{
	struct mng_diags d = {0};
	char path[128], *out;
	int fd;

	snprintf(path, sizeof(path), "%s/broken", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_equal(write(fd, "AA\tx\n", 5), 5);
	close(fd);
	assert_int_equal(mng_counter_advance(path, "AA", 1, 0, NULL, NULL, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "broken:1:4: expected a counter"));
	free(out);
	mng_diags_clear(&d);

	if (geteuid() != 0)
		return;
	/* trusted: a group-writable file or a symlink refuses every login */
	snprintf(path, sizeof(path), "%s/gw", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_equal(fchmod(fd, 0664), 0);
	close(fd);
	assert_int_equal(mng_counter_advance(path, "AA", 1, 0, NULL, NULL, &d), -EPERM);
	mng_diags_clear(&d);
	snprintf(path, sizeof(path), "%s/ln", dir);
	assert_int_equal(symlink("gw", path), 0);
	assert_int_equal(mng_counter_advance(path, "AA", 1, 0, NULL, NULL, &d), -ELOOP);
	mng_diags_clear(&d);
}

static void test_lock_timeout(void **state)
{
	struct mng_diags d = {0};
	char path[128], lock[140];
	struct timespec a, b;
	long ms;
	int fd;

	snprintf(path, sizeof(path), "%s/locked", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(mng_counter_advance(path, "AA", 1, 0, NULL, NULL, &d), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= MNG_COUNTER_LOCK_MS && ms < MNG_COUNTER_LOCK_MS + 1000);
	mng_diags_clear(&d);
	close(fd);
	assert_int_equal(access(path, F_OK), -1); /* nothing written */
	/* the lock file is not followed when it is a symlink */
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(symlink("/etc/passwd", lock), 0);
	assert_int_equal(mng_counter_advance(path, "AA", 1, 0, NULL, NULL, &d), -ELOOP);
	mng_diags_clear(&d);
}

/* Eight processes advance their own credential 25 times each: none lost. */
static void test_concurrent(void **state)
{
	struct mng_counters c = {0};
	struct mng_diags d = {0};
	char path[128], *text;
	int i, status;

	snprintf(path, sizeof(path), "%s/concurrent", dir);
	for (i = 0; i < 8; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			char id[8];
			uint32_t v;

			snprintf(id, sizeof(id), "%cA", 'A' + i);
			for (v = 1; v <= 25; v++)
				if (mng_counter_advance(path, id, v, 0, NULL, NULL, NULL) < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < 8; i++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	text = slurp(path);
	assert_int_equal(mng_counters_parse(text, strlen(text), "k", &c, &d), 0);
	assert_int_equal(c.n, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(c.v[i].value, 25);
	mng_counters_clear(&c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge),      cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_advance),    cmocka_unit_test(test_in_place),
	    cmocka_unit_test(test_bad_files),  cmocka_unit_test(test_lock_timeout),
	    cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
