// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_notify.c - the service manager notification protocol without
 * libsystemd: datagrams to a path and to an abstract socket, $NOTIFY_SOCKET
 * unset, bad addresses and states, and the watchdog variables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

static int bind_path(char *dir, char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, size, "%s/notify", dir);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void expect_datagram(int fd, const char *want)
{
	char buf[MNG_NOTIFY_STATE_MAX + 16];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void test_send_to_path_and_env(void **state)
{
	char dir[] = "/tmp/mng-notify-XXXXXX", path[128], big[MNG_NOTIFY_STATE_MAX + 2];
	int fd = bind_path(dir, path, sizeof(path));

	(void)state;
	assert_int_equal(mng_notify_send_to(path, "READY=1\nSTATUS=12 devices"), 1);
	expect_datagram(fd, "READY=1\nSTATUS=12 devices");

	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(mng_notify_send("WATCHDOG=1"), 1);
	expect_datagram(fd, "WATCHDOG=1");
	assert_int_equal(mng_notify_sendf("STATUS=%d devices, %s", 3, "policy 90-x.rules"), 1);
	expect_datagram(fd, "STATUS=3 devices, policy 90-x.rules");
	/* the environment is left alone (systemd's unset_environment=0) */
	assert_string_equal(getenv("NOTIFY_SOCKET"), path);

	/* caps: an over-long state is refused and nothing is sent */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mng_notify_send(big), -EINVAL);
	assert_int_equal(mng_notify_sendf("STATUS=%s", big), -E2BIG);
	assert_int_equal(mng_notify_send(""), -EINVAL);
	assert_true(recv(fd, big, sizeof(big), MSG_DONTWAIT) < 0);

	/* nobody listening any more */
	close(fd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mng_notify_send("READY=1"), -ENOENT);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_unset_and_bad_addresses(void **state)
{
	char long_addr[200];

	(void)state;
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(mng_notify_send("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(mng_notify_send("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/path", 1), 0);
	assert_int_equal(mng_notify_send("READY=1"), -EINVAL);
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(mng_notify_send_to("@", "READY=1"), -EINVAL);
	assert_int_equal(mng_notify_send_to(NULL, "READY=1"), -EINVAL);
	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[0] = '/';
	long_addr[sizeof(long_addr) - 1] = '\0';
	assert_int_equal(mng_notify_send_to(long_addr, "READY=1"), -EINVAL);
}

static void test_abstract_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[64], addr[80];
	socklen_t len;
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "mng-notify-test-%ld", (long)getpid());
	memcpy(sa.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	snprintf(addr, sizeof(addr), "@%s", name);
	assert_int_equal(mng_notify_send_to(addr, "READY=1"), 1);
	expect_datagram(fd, "READY=1");
	close(fd);
	assert_int_equal(mng_notify_send_to(addr, "READY=1"), -ECONNREFUSED);
}

static void test_watchdog_variables(void **state)
{
	char pid[32];
	uint64_t usec = 7;

	(void)state;
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(unsetenv("WATCHDOG_USEC"), 0);
	assert_int_equal(unsetenv("WATCHDOG_PID"), 0);
	assert_int_equal(mng_watchdog_enabled(false, &usec), 0);
	assert_int_equal(usec, 7);

	setenv("WATCHDOG_USEC", "100000", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), 1);
	assert_int_equal(usec, 100000);
	setenv("WATCHDOG_PID", pid, 1);
	usec = 0;
	assert_int_equal(mng_watchdog_enabled(false, &usec), 1);
	assert_int_equal(usec, 100000);
	assert_non_null(getenv("WATCHDOG_USEC")); /* kept when not asked to unset */

	/* meant for another process (our parent, say): not enabled here */
	setenv("WATCHDOG_PID", "1", 1);
	usec = 7;
	assert_int_equal(mng_watchdog_enabled(false, &usec), 0);
	assert_int_equal(usec, 7);

	/* malformed: an error, never a guess */
	setenv("WATCHDOG_PID", pid, 1);
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_USEC", "-5", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_USEC", "12x", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_USEC", " 100", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_USEC", "99999999999999999999999", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_USEC", "100000", 1);
	setenv("WATCHDOG_PID", "abc", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	setenv("WATCHDOG_PID", "0", 1);
	assert_int_equal(mng_watchdog_enabled(false, &usec), -EINVAL);
	assert_int_equal(usec, 7);

	/* asked to unset: both variables go, whatever the answer */
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(mng_watchdog_enabled(true, &usec), 1);
	assert_int_equal(usec, 100000);
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
	setenv("WATCHDOG_USEC", "bad", 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(mng_watchdog_enabled(true, &usec), -EINVAL);
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_send_to_path_and_env),
	    cmocka_unit_test(test_unset_and_bad_addresses),
	    cmocka_unit_test(test_abstract_socket),
	    cmocka_unit_test(test_watchdog_variables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
