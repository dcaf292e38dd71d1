// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_journal.c - journald native-protocol encoder and sender: field-name
 * validation, binary-safe values, the newline (binary) form, caps, entries
 * sent as one datagram and through a sealed memfd, received on real
 * sockets and decoded here independently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "mng.h"

#define MAX_DECODED 80

struct decoded {
	char name[MNG_JOURNAL_NAME_MAX + 1];
	const char *value; /* points into the entry buffer */
	size_t len;
	bool binary;
};

/*
 * Decode an entry the way journald reads one; fails the test on anything
 * malformed. Returns the number of fields.
 */
static size_t decode(const char *buf, size_t len, struct decoded *out, size_t max)
{
	size_t o = 0, n = 0;

	while (o < len) {
		size_t s = o;

		assert_true(n < max);
		while (o < len && buf[o] != '=' && buf[o] != '\n')
			o++;
		assert_true(o < len);
		assert_true(o - s >= 1 && o - s <= MNG_JOURNAL_NAME_MAX);
		memcpy(out[n].name, buf + s, o - s);
		out[n].name[o - s] = '\0';
		if (buf[o] == '=') {
			const char *nl = memchr(buf + o + 1, '\n', len - o - 1);

			assert_non_null(nl);
			out[n].value = buf + o + 1;
			out[n].len = (size_t)(nl - (buf + o + 1));
			out[n].binary = false;
			o = (size_t)(nl - buf) + 1;
		} else {
			uint64_t l = 0;
			int b;

			o++;
			assert_true(len - o >= 8);
			for (b = 0; b < 8; b++)
				l |= (uint64_t)(unsigned char)buf[o + b] << (8 * b);
			o += 8;
			assert_true(l <= len - o - 1);
			out[n].value = buf + o;
			out[n].len = (size_t)l;
			out[n].binary = true;
			o += (size_t)l;
			assert_int_equal(buf[o], '\n');
			o++;
		}
		n++;
	}
	return n;
}

static void expect_field(const struct decoded *d, const char *name, const void *value, size_t len)
{
	assert_string_equal(d->name, name);
	assert_int_equal(d->len, len);
	assert_memory_equal(d->value, value, len);
}

static void test_field_names(void **state)
{
	char long_name[MNG_JOURNAL_NAME_MAX + 2];

	(void)state;
	assert_true(mng_journal_name_valid("MESSAGE"));
	assert_true(mng_journal_name_valid("MNGUARD_AUDIT_SEQ"));
	assert_true(mng_journal_name_valid("A"));
	assert_true(mng_journal_name_valid("X9_"));
	assert_false(mng_journal_name_valid(NULL));
	assert_false(mng_journal_name_valid(""));
	assert_false(mng_journal_name_valid("_PID"));	 /* trusted fields */
	assert_false(mng_journal_name_valid("9LIVES"));	 /* leading digit */
	assert_false(mng_journal_name_valid("message")); /* lowercase */
	assert_false(mng_journal_name_valid("MESSAGE="));
	assert_false(mng_journal_name_valid("MESS AGE"));
	assert_false(mng_journal_name_valid("A\nB"));
	assert_false(mng_journal_name_valid("\xe3\x83\x86"));
	memset(long_name, 'A', sizeof(long_name));
	long_name[MNG_JOURNAL_NAME_MAX] = '\0';
	assert_true(mng_journal_name_valid(long_name));
	long_name[MNG_JOURNAL_NAME_MAX] = 'A';
	long_name[MNG_JOURNAL_NAME_MAX + 1] = '\0';
	assert_false(mng_journal_name_valid(long_name));
}

static void test_encode_plain_and_binary(void **state)
{
	static const char nul_value[] = {'a', '\0', 'b', '\xff', '\xfe'};
	const struct mng_journal_field f[] = {
	    {"MESSAGE", "device.block: id 0781:5567", 26},	  {"PRIORITY", "4", 1},
	    {"MNGUARD_SERIAL", "line1\nMESSAGE_ID=forged\n", 24}, {"MNGUARD_TICKET", "", 0},
	    {"MNGUARD_NAME", nul_value, sizeof(nul_value)},
	};
	struct decoded d[MAX_DECODED];
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), 0);
	assert_int_equal(decode(buf, len, d, MAX_DECODED), 5);
	expect_field(&d[0], "MESSAGE", "device.block: id 0781:5567", 26);
	assert_false(d[0].binary);
	expect_field(&d[1], "PRIORITY", "4", 1);
	/* a newline in the value: binary form, so no field can be forged */
	expect_field(&d[2], "MNGUARD_SERIAL", "line1\nMESSAGE_ID=forged\n", 24);
	assert_true(d[2].binary);
	assert_memory_equal(buf + strlen("MESSAGE=device.block: id 0781:5567\nPRIORITY=4\n"),
			    "MNGUARD_SERIAL\n\x18\0\0\0\0\0\0\0line1\n", 15 + 8 + 6);
	expect_field(&d[3], "MNGUARD_TICKET", "", 0);
	expect_field(&d[4], "MNGUARD_NAME", nul_value, sizeof(nul_value));
	free(buf);
}

static void test_encode_refuses_bad_input(void **state)
{
	struct mng_journal_field f[MNG_JOURNAL_FIELDS_MAX + 1];
	char *buf = (char *)0x1;
	size_t len = 7, i;

	(void)state;
	for (i = 0; i < MNG_ARRAY_SIZE(f); i++)
		f[i] = (struct mng_journal_field){"FIELD", "v", 1};
	assert_int_equal(mng_journal_encode(f, 0, &buf, &len), -EINVAL);
	assert_int_equal(mng_journal_encode(f, MNG_ARRAY_SIZE(f), &buf, &len), -E2BIG);
	assert_int_equal(mng_journal_encode(f, MNG_JOURNAL_FIELDS_MAX, &buf, &len), 0);
	free(buf);
	buf = (char *)0x1;
	len = 7;
	f[3].name = "_SYSTEMD_UNIT";
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), -EINVAL);
	f[3].name = "lower";
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), -EINVAL);
	f[3].name = "OK";
	f[3].value = NULL;
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), -EINVAL);
	f[3].len = 0;
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), 0);
	free(buf);
	buf = (char *)0x1;
	len = 7;
	/* a length far past the cap is refused before anything is read or allocated */
	f[3].value = "x";
	f[3].len = SIZE_MAX;
	assert_int_equal(mng_journal_encode(f, 5, &buf, &len), -E2BIG);
	/* out-parameters untouched on failure */
	assert_ptr_equal(buf, (char *)0x1);
	assert_int_equal(len, 7);
}

static void test_encode_cap_exact(void **state)
{
	size_t room = MNG_JOURNAL_ENTRY_MAX - strlen("BIG=\n");
	char *v = malloc(room + 1), *buf = NULL;
	struct mng_journal_field f = {"BIG", v, room};
	size_t len = 0;

	(void)state;
	assert_non_null(v);
	memset(v, 'x', room + 1);
	assert_int_equal(mng_journal_encode(&f, 1, &buf, &len), 0);
	assert_int_equal(len, MNG_JOURNAL_ENTRY_MAX);
	free(buf);
	f.len = room + 1;
	assert_int_equal(mng_journal_encode(&f, 1, &buf, &len), -E2BIG);
	free(v);
}

static void test_send_datagram_socketpair(void **state)
{
	const struct mng_journal_field f[] = {
	    {"MESSAGE", "hello\nworld", 11},
	    {"MESSAGE_ID", "33b24e909cbc4cc4bf015bc48be3d178", 32},
	    {"SYSLOG_IDENTIFIER", "mnguardd", 8},
	};
	struct decoded d[MAX_DECODED];
	char buf[4096];
	int sv[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(mng_journal_send(sv[0], NULL, f, 3), 0);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_int_equal(decode(buf, (size_t)n, d, MAX_DECODED), 3);
	expect_field(&d[0], "MESSAGE", "hello\nworld", 11);
	assert_true(d[0].binary);
	expect_field(&d[1], "MESSAGE_ID", "33b24e909cbc4cc4bf015bc48be3d178", 32);
	expect_field(&d[2], "SYSLOG_IDENTIFIER", "mnguardd", 8);
	/* exactly one datagram per entry */
	assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0);
	/* a bad name sends nothing */
	assert_int_equal(
	    mng_journal_send(sv[0], NULL, (struct mng_journal_field[]){{"_UID", "0", 1}}, 1),
	    -EINVAL);
	assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0);
	assert_int_equal(mng_journal_send(-1, NULL, f, 3), -EBADF);
	close(sv[0]);
	close(sv[1]);
}

/* Receive one message; return the memfd it carried (or -1) and its payload length. */
static int recv_with_fd(int fd, char *buf, size_t size, ssize_t *ret_n)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.space,
			    .msg_controllen = sizeof(control.space)};
	struct cmsghdr *cm;
	int got = -1;

	*ret_n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	assert_true(*ret_n >= 0);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			assert_int_equal(cm->cmsg_len, CMSG_LEN(sizeof(int)));
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
		}
	return got;
}

static void test_send_huge_value_through_memfd(void **state)
{
	size_t big = 1u << 20, i;
	char *v = malloc(big), *content, small[64];
	const struct mng_journal_field f[] = {
	    {"MESSAGE", "big entry", 9},
	    {"MNGUARD_DETAIL", v, big},
	};
	struct decoded d[MAX_DECODED];
	int sv[2], mfd, seals, sndbuf = 65536;
	ssize_t n;
	struct stat st;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < big; i++)
		v[i] = (char)(i % 251); /* newlines, NULs and invalid UTF-8 among them */
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	assert_int_equal(mng_journal_send(sv[0], NULL, f, 2), 1);
	mfd = recv_with_fd(sv[1], small, sizeof(small), &n);
	assert_int_equal(n, 0); /* the descriptor alone, no payload */
	assert_true(mfd >= 0);
	seals = fcntl(mfd, F_GET_SEALS);
	assert_true(seals >= 0);
	assert_true(seals & F_SEAL_WRITE);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_SEAL);
	assert_int_equal(write(mfd, "x", 1), -1); /* sealed against writing */
	assert_int_equal(fstat(mfd, &st), 0);
	content = malloc((size_t)st.st_size);
	assert_non_null(content);
	assert_int_equal(pread(mfd, content, (size_t)st.st_size, 0), st.st_size);
	assert_int_equal(decode(content, (size_t)st.st_size, d, MAX_DECODED), 2);
	expect_field(&d[0], "MESSAGE", "big entry", 9);
	expect_field(&d[1], "MNGUARD_DETAIL", v, big);
	assert_true(d[1].binary);
	free(content);
	close(mfd);
	/* over the entry cap: refused, nothing sent */
	{
		char *huge = calloc(1, MNG_JOURNAL_ENTRY_MAX + 1);
		const struct mng_journal_field g = {"MNGUARD_DETAIL", huge,
						    MNG_JOURNAL_ENTRY_MAX + 1};

		assert_non_null(huge);
		assert_int_equal(mng_journal_send(sv[0], NULL, &g, 1), -E2BIG);
		assert_true(recv(sv[1], small, sizeof(small), MSG_DONTWAIT) < 0);
		free(huge);
	}
	free(v);
	close(sv[0]);
	close(sv[1]);
}

static void test_send_to_bound_path(void **state)
{
	char dir[] = "/tmp/mng-journal-XXXXXX", path[128], buf[1024];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const struct mng_journal_field f[] = {{"MESSAGE", "to a path", 9}, {"PRIORITY", "6", 1}};
	struct decoded d[MAX_DECODED];
	int srv, cli;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/socket", dir);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(srv >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(mng_journal_open(&cli), 0);
	assert_int_equal(mng_journal_send(cli, path, f, 2), 0);
	n = recv(srv, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_int_equal(decode(buf, (size_t)n, d, MAX_DECODED), 2);
	expect_field(&d[0], "MESSAGE", "to a path", 9);
	expect_field(&d[1], "PRIORITY", "6", 1);
	/* a missing journal is an error the caller may ignore, never a crash */
	close(srv);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mng_journal_send(cli, path, f, 2), -ENOENT);
	assert_int_equal(mng_journal_send(cli, "", f, 2), -EINVAL);
	{
		char long_path[200];

		memset(long_path, 'p', sizeof(long_path) - 1);
		long_path[0] = '/';
		long_path[sizeof(long_path) - 1] = '\0';
		assert_int_equal(mng_journal_send(cli, long_path, f, 2), -EINVAL);
	}
	close(cli);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_field_names),
	    cmocka_unit_test(test_encode_plain_and_binary),
	    cmocka_unit_test(test_encode_refuses_bad_input),
	    cmocka_unit_test(test_encode_cap_exact),
	    cmocka_unit_test(test_send_datagram_socketpair),
	    cmocka_unit_test(test_send_huge_value_through_memfd),
	    cmocka_unit_test(test_send_to_bound_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
