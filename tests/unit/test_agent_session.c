// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_session.c - mnguardd and what pam_mnguard tells it over the
 * socket: a session at seat0 makes its user and groups the ones that
 * user()/group() rules see (devices judged again on open and close), who
 * may report which session, and auth reports landing in the audit log with
 * the reporter's uid and pid. Runs the real agent on a umockdev testbed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000
#define NOBODY 65534

/* Storage only for members of group "backup" (user backup is one: its primary group). */
static const char rules[] = "allow with-interface equals { 09:00:* }\n"
			    "allow with-interface equals { 08:06:50 } if group(\"backup\")\n";

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h_setup(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	h_teardown(h);
	free(h);
	return 0;
}

#define ASSERT_ATTR(dev, attr, want)                                                               \
	do {                                                                                       \
		if (!h_wait_attr(dev, attr, want, T_MS)) {                                         \
			h_dump(h);                                                                 \
			fail_msg("%s/%s is \"%s\", expected \"%s\"", dev, attr, h_attr(dev, attr), \
				 want);                                                            \
		}                                                                                  \
	} while (0)

static const char *str_or_dash(const char *s)
{
	return s ? s : "-";
}

#define ASSERT_AUDIT(h, a, b, c)                                                                   \
	do {                                                                                       \
		if (!h_wait_audit(h, a, b, c, 1, T_MS)) {                                          \
			h_dump(h);                                                                 \
			fail_msg("no audit record with %s / %s / %s", a, str_or_dash(b),           \
				 str_or_dash(c));                                                  \
		}                                                                                  \
	} while (0)

static void need_backup_user(void)
{
	struct passwd *pw = getpwnam("backup");
	struct group *gr = getgrnam("backup");

	if (!pw || !gr || pw->pw_gid != gr->gr_gid)
		skip();
}

/* A session at seat0 of a group member allows the device; closing it blocks it again. */
static void test_group_rule_follows_session(void **state)
{
	struct harness *h = *state;
	struct timespec t0, t1;
	char by[64];
	double ms;

	need_backup_user();
	h_rules(h, "50-session.rules", rules);
	h_start(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");

	/* a remote session (no seat) changes nothing */
	assert_int_equal(mng_ipc_session_notify(h->sock, true, "backup", NULL, "pts/0", "sshd"), 0);
	ASSERT_AUDIT(h, "\"event\":\"session.open\"", "\"subject\":\"backup\"",
		     "tty \\\"pts/0\\\"");
	usleep(300 * 1000);
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");

	/* the answer comes before the devices are judged again: well inside the 500 ms */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mng_ipc_session_notify(h->sock, true, "backup", "seat0", "tty1", "login"),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000.0 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("session-open answered in %.1f ms\n", ms);
	assert_true(ms < MNG_IPC_NOTIFY_TIMEOUT_MS);
	ASSERT_ATTR(H_STICK, "authorized", "1");
	ASSERT_ATTR(H_STICK, "1-4.1.1:1.0/authorized", "1");
	snprintf(by, sizeof(by), "reported by uid %u pid %d", getuid(), (int)getpid());
	ASSERT_AUDIT(h, "\"event\":\"session.open\"", "seat \\\"seat0\\\"", by);
	/* the seat user is the subject of the decision */
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "\"subject\":\"backup\"", "port 1-4.1.1 ");

	/* closing a session that is not open is refused and changes nothing */
	assert_int_equal(mng_ipc_session_notify(h->sock, false, "backup", "seat0", "tty2", "login"),
			 -ENOENT);
	usleep(300 * 1000);
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");

	assert_int_equal(mng_ipc_session_notify(h->sock, false, "backup", "seat0", "tty1", "login"),
			 0);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"session.close\"", "\"subject\":\"backup\"", by);
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.1 ", NULL);
	h_stop(h);
	h_verify_audit(h);
}

/* What an unprivileged caller may report: its own sessions and logins only. */
static int nobody_client(const char *sock)
{
	struct passwd *pw = getpwuid(NOBODY);

	if (!pw || setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0 || getuid() != NOBODY)
		return 10;
	if (mng_ipc_session_notify(sock, true, "backup", "seat0", "tty1", "login") != -EPERM)
		return 11;
	if (mng_ipc_auth_report(sock, "login.ok", "backup", "k", NULL) != -EPERM)
		return 12;
	if (mng_ipc_auth_report(sock, "key.revoke", pw->pw_name, "k", NULL) != -EPERM)
		return 13;
	if (mng_ipc_auth_report(sock, "login.pin-wrong", pw->pw_name, "my key", "retries 2") != 0)
		return 14;
	if (mng_ipc_session_notify(sock, true, pw->pw_name, "seat0", "tty3", "login") != 0)
		return 15;
	if (mng_ipc_session_notify(sock, false, pw->pw_name, "seat0", "tty3", "login") != 0)
		return 16;
	return 0;
}

static void test_reports_and_permissions(void **state)
{
	struct harness *h = *state;
	char by[64];
	pid_t child;
	int st = 0, i, r;

	need_backup_user();
	h_rules(h, "50-session.rules", rules);
	h_start(h);

	/* root reports a suspected clone: audited as given, with who reported it */
	assert_int_equal(mng_ipc_auth_report(h->sock, "login.clone-suspected", "backup", "窓口キー",
					     "counter 5 after 9"),
			 0);
	snprintf(by, sizeof(by), "counter 5 after 9; reported by uid %u pid %d", getuid(),
		 (int)getpid());
	ASSERT_AUDIT(h, "\"event\":\"login.clone-suspected\"", "\"subject\":\"backup\"", by);
	ASSERT_AUDIT(h, "\"event\":\"login.clone-suspected\"", "key \\\"窓口キー\\\"",
		     "\"decision\":\"deny\"");
	assert_int_equal(mng_ipc_auth_report(h->sock, "key.revoke", "backup", "old", NULL), 0);
	ASSERT_AUDIT(h, "\"event\":\"key.revoke\"", "\"decision\":\"revoke\"", "reported by uid");
	/* root may report about a user this machine does not know (a mistyped login) */
	assert_int_equal(mng_ipc_auth_report(h->sock, "login.deny", "no_such_user_x", NULL, "x"),
			 0);
	ASSERT_AUDIT(h, "\"event\":\"login.deny\"", "\"subject\":\"no_such_user_x\"", NULL);
	/* but a session needs a real user */
	assert_int_equal(
	    mng_ipc_session_notify(h->sock, true, "no_such_user_x", "seat0", "tty1", "login"),
	    -ENOENT);

	if (getuid() == 0) {
		assert_int_equal(chmod(h->dir, 0711), 0); /* nobody reaches the socket */
		child = fork();
		assert_true(child >= 0);
		if (child == 0)
			_exit(nobody_client(h->sock));
		assert_int_equal(waitpid(child, &st, 0), child);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		snprintf(by, sizeof(by), "retries 2; reported by uid %d pid %d", NOBODY,
			 (int)child);
		ASSERT_AUDIT(h, "\"event\":\"login.pin-wrong\"", "\"subject\":\"nobody\"", by);
		assert_int_equal(h_audit_count(h, "\"event\":\"login.ok\"", NULL, NULL), 0);
		assert_int_equal(
		    h_audit_count(h, "\"event\":\"key.revoke\"", "reported by uid 65534", NULL), 0);
		/* nobody is no member of backup: the stick stayed blocked */
		assert_string_equal(h_attr(H_STICK, "authorized"), "0");
	}

	/* the session table is capped per user */
	for (i = 0; i < 8; i++) {
		char tty[16];

		snprintf(tty, sizeof(tty), "pts/%d", i);
		r = mng_ipc_session_notify(h->sock, true, "backup", NULL, tty, "sshd");
		assert_int_equal(r, 0);
	}
	assert_int_equal(mng_ipc_session_notify(h->sock, true, "backup", NULL, "pts/99", "sshd"),
			 -EBUSY);
	/* a repeated open of the same session is no new entry */
	assert_int_equal(mng_ipc_session_notify(h->sock, true, "backup", NULL, "pts/3", "sshd"), 0);
	h_stop(h);
	h_verify_audit(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_group_rule_follows_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports_and_permissions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
