// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_keylock.c - lock on key removal, up to the bus. The real
 * mnguardd runs on a umockdev testbed (helpers/agent_harness.c); sessions
 * are opened as pam_mnguard opens them (mng_ipc_session_notify_extra, as
 * root), the key's USB device leaves with a real "remove" uevent, and the
 * agent's LockSession call goes out on a private dbus-daemon with a system
 * bus's policy (tests/session/system-bus.conf) given to it as
 * DBUS_SYSTEM_BUS_ADDRESS.
 *
 * logind itself does not run here: tests/session/logind-stub.c stands in
 * for it, owning org.freedesktop.login1 and recording each LockSession
 * call with the caller's pid as the bus daemon saw it. So these tests prove
 * that the right session is chosen for the right device, that nothing is
 * locked for other devices, for a stale binding or with the switch off,
 * that only root may bind, and that the request really leaves the agent on
 * a bus, typed as logind's; they do not prove that logind then locks a
 * screen.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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
#include <json-c/json.h>

#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000
#define KEY_PORT "1-4.1.6" /* H_YUBIKEY, devnum 24 in the recording */
#define KBD_PORT "1-4.1.3" /* H_KBD */

struct kl {
	struct harness h;
	pid_t bus, stub;
	char addr[200], record[160], ready[160];
};

static void wait_file(const char *path, int ms)
{
	struct stat st;

	while (ms > 0 && stat(path, &st) < 0) {
		usleep(20000);
		ms -= 20;
	}
	if (stat(path, &st) < 0)
		fail_msg("%s did not appear", path);
}

static pid_t spawn(const char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		unsetenv("LD_PRELOAD"); /* the bus and its stand-in need no umockdev */
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop_pid(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	(void)kill(*pid, SIGTERM);
	(void)waitpid(*pid, &st, 0);
	*pid = -1;
}

/* The private system bus; with_stub: the logind stand-in on it too. */
static void bus_start(struct kl *k, bool with_stub)
{
	const char *src = getenv("MNG_SRCDIR"), *stub = getenv("MNG_LOGIND_STUB");
	char conf[512], addr_arg[240], sock[160];

	snprintf(conf, sizeof(conf), "--config-file=%s/tests/session/system-bus.conf",
		 src ? src : ".");
	snprintf(sock, sizeof(sock), "%s/system_bus_socket", k->h.dir);
	snprintf(k->addr, sizeof(k->addr), "unix:path=%s", sock);
	snprintf(addr_arg, sizeof(addr_arg), "--address=%s", k->addr);
	{
		const char *argv[] = {"dbus-daemon", conf,	    addr_arg,
				      "--nofork",    "--nopidfile", NULL};

		k->bus = spawn(argv);
	}
	wait_file(sock, T_MS);
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", k->addr, 1), 0);
	snprintf(k->record, sizeof(k->record), "%s/lock-calls", k->h.dir);
	snprintf(k->ready, sizeof(k->ready), "%s/stub-ready", k->h.dir);
	if (!with_stub)
		return;
	if (!stub || access(stub, X_OK) < 0)
		fail_msg("MNG_LOGIND_STUB (build/.../tests/logind-stub) is not set or not built");
	{
		const char *argv[] = {stub, k->record, k->ready, NULL};

		k->stub = spawn(argv);
	}
	wait_file(k->ready, T_MS);
}

static int setup(void **state)
{
	struct kl *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->bus = k->stub = -1;
	h_setup(&k->h);
	h_rules(&k->h, "50-test.rules", "allow\n");
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct kl *k = *state;

	if (k->h.pid > 0)
		h_stop(&k->h);
	stop_pid(&k->stub);
	stop_pid(&k->bus);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	h_teardown(&k->h);
	free(k);
	return 0;
}

#define ASSERT_AUDIT(h, a, b, c)                                                                   \
	do {                                                                                       \
		if (!h_wait_audit(h, a, b, c, 1, T_MS)) {                                          \
			h_dump(h);                                                                 \
			fail_msg("no audit record with %s / %s / %s", a, b ? b : "-",              \
				 c ? c : "-");                                                     \
		}                                                                                  \
	} while (0)

/* The LockSession calls the stand-in recorded ("" when none). */
static char *calls(struct kl *k)
{
	static char buf[4096];
	ssize_t n = 0;
	int fd = open(k->record, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int open_session(struct kl *k, const char *user, const char *seat, const char *session,
			const char *port, const char *devnum)
{
	struct mng_ipc_session_extra x = {
	    .session = session, .key_port = port, .key_devnum = devnum, .key_serial = "KEY-1"};

	return mng_ipc_session_notify_extra(k->h.sock, user, seat, ":0", "gdm-password", &x);
}

/* Remove a device as the kernel does: the uevent, then its sysfs directory. */
static void unplug(struct kl *k, const char *path, const char *port)
{
	char needle[64];

	h_uevent(&k->h, path, "remove");
	umockdev_testbed_remove_device(k->h.tb, path);
	snprintf(needle, sizeof(needle), "port %s ", port);
	if (!h_wait_audit(&k->h, "\"event\":\"device.remove\"", needle, NULL, 1, T_MS)) {
		h_dump(&k->h);
		fail_msg("no device.remove of %s", port);
	}
}

/* A session-watch connection as root (the user of the first session). */
static int watch(struct kl *k)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_SESSION_WATCH};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	int fd = -1;

	assert_int_equal(mng_ipc_connect(k->h.sock, &fd), 0);
	assert_int_equal(mng_ipc_call(fd, &req, 5000, &res, &err), 0);
	json_object_put(res);
	return fd;
}

/* The next key.remove event on fd within T_MS; its "locked" value. */
static bool key_remove_event(int fd, bool *locked, char *session, size_t size)
{
	long left = T_MS;
	char buf[MNG_IPC_MSG_MAX + 1], why[128];

	while (left > 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct mng_ipc_message m;
		struct json_object *v;
		size_t len;

		if (poll(&p, 1, 100) <= 0) {
			left -= 100;
			continue;
		}
		if (mng_ipc_recv(fd, buf, sizeof(buf), 0, &len) < 0)
			return false;
		if (mng_ipc_message_parse(buf, len, &m, why, sizeof(why)) < 0)
			continue;
		if (m.kind == MNG_IPC_MSG_EVENT && json_object_object_get_ex(m.body, "type", &v) &&
		    !strcmp(json_object_get_string(v), "key.remove")) {
			*locked = json_object_object_get_ex(m.body, "locked", &v) &&
				  json_object_get_boolean(v);
			snprintf(session, size, "%s",
				 json_object_object_get_ex(m.body, "session", &v)
				     ? json_object_get_string(v)
				     : "");
			mng_ipc_message_clear(&m);
			return true;
		}
		mng_ipc_message_clear(&m);
	}
	return false;
}

/*
 * The switch on: two sessions bound to two keys; unplugging a third device
 * locks nothing, unplugging the first key locks its session only, once,
 * from the agent's own pid, audited and told to its user.
 */
static void test_right_session_locked(void **state)
{
	struct kl *k = *state;
	char want[128], session[64];
	bool locked = false;
	int fd;

	bus_start(k, true);
	h_config(&k->h, "lock_on_key_removal = yes\n");
	h_start(&k->h);
	assert_int_equal(open_session(k, "root", "seat0", "c1", KEY_PORT, "24"), 0);
	assert_int_equal(open_session(k, "nobody", "", "c2", KBD_PORT, NULL), 0);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.open\"",
		     "logind session c1, bound to the key at port " KEY_PORT, NULL);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.open\"",
		     "logind session c2, bound to the key at port " KBD_PORT, NULL);
	fd = watch(k);

	/* another device: nothing */
	unplug(k, H_CAMERA, "1-8");
	usleep(300000);
	assert_string_equal(calls(k), "");
	assert_int_equal(h_audit_count(&k->h, "\"event\":\"session.lock\"", NULL, NULL), 0);

	/* the first key: its session, once, asked by the agent itself */
	unplug(k, H_YUBIKEY, KEY_PORT);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.lock\"", "\"decision\":\"lock\"",
		     "session \\\"c1\\\" key port " KEY_PORT " serial \\\"KEY-1\\\"");
	snprintf(want, sizeof(want), "LockSession c1 pid %d uid 0\n", (int)k->h.pid);
	assert_string_equal(calls(k), want);
	assert_int_equal(h_audit_count(&k->h, "\"event\":\"session.lock\"", NULL, NULL), 1);
	assert_int_equal(
	    h_audit_count(&k->h, "\"event\":\"session.lock\"", "\"subject\":\"root\"", NULL), 1);
	/* the user's session-watch hears of it */
	assert_true(key_remove_event(fd, &locked, session, sizeof(session)));
	assert_true(locked);
	assert_string_equal(session, "c1");
	close(fd);

	/* the binding ended with the device: a rescan or a new device there locks nothing more */
	h_signal(&k->h, SIGHUP);
	ASSERT_AUDIT(&k->h, "\"event\":\"policy.load\"", NULL, NULL);
	usleep(300000);
	assert_string_equal(calls(k), want);

	/* the second key now: the second session */
	unplug(k, H_KBD, KBD_PORT);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.lock\"", "\"subject\":\"nobody\"", "\\\"c2\\\"");
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "LockSession c2 pid %d uid 0\n",
		 (int)k->h.pid);
	assert_string_equal(calls(k), want);
	h_stop(&k->h);
	h_verify_audit(&k->h);
}

/* The switch off (the default): the session is bound, but nothing is locked or audited. */
static void test_switch_off(void **state)
{
	struct kl *k = *state;

	bus_start(k, true);
	h_config(&k->h, NULL);
	h_start(&k->h);
	assert_int_equal(open_session(k, "root", "seat0", "c1", KEY_PORT, "24"), 0);
	unplug(k, H_YUBIKEY, KEY_PORT);
	usleep(500000);
	assert_string_equal(calls(k), "");
	assert_int_equal(h_audit_count(&k->h, "\"event\":\"session.lock\"", NULL, NULL), 0);
	h_stop(&k->h);
}

/*
 * What must not bind, and what cannot lock: a user other than root naming
 * a key (refused), a device number that is not the present device's (not
 * bound: its removal locks nothing), no logind session id (audited as an
 * error), a session logind does not know (its D-Bus error audited), no
 * logind on the bus at all (audited).
 */
static void test_refusals_and_failures(void **state)
{
	struct kl *k = *state;
	pid_t pid;
	int st;

	bus_start(k, true);
	h_config(&k->h, "lock_on_key_removal = yes\n");
	h_start(&k->h);

	assert_int_equal(chmod(k->h.dir, 0711), 0); /* the socket reachable by nobody */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* as nobody, about nobody: the session alone is fine, a key is not */
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (mng_ipc_session_notify_extra(k->h.sock, "nobody", "", NULL, NULL, NULL) != 0)
			_exit(11);
		if (open_session(k, "nobody", "", NULL, KEY_PORT, NULL) != -EPERM)
			_exit(12);
		if (open_session(k, "nobody", "", "c5", NULL, NULL) != -EPERM)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(
	    h_audit_count(&k->h, "\"event\":\"session.open\"", "\"subject\":\"nobody\"", NULL), 1);

	/* a stale device number: not bound */
	assert_int_equal(open_session(k, "root", "seat0", "c1", KEY_PORT, "99"), 0);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.open\"", "device number 99 reported, 24 present",
		     NULL);
	/* a port with no device: not bound */
	assert_int_equal(open_session(k, "root", "", "c3", "3-9", NULL), 0);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.open\"", "key at port 3-9 not in the device table",
		     NULL);
	unplug(k, H_YUBIKEY, KEY_PORT);
	usleep(300000);
	assert_string_equal(calls(k), "");

	/* bound, but no logind session id */
	assert_int_equal(open_session(k, "nobody", "", NULL, KBD_PORT, NULL), 0);
	unplug(k, H_KBD, KBD_PORT);
	ASSERT_AUDIT(&k->h, "\"event\":\"session.lock\"", "\"decision\":\"error\"",
		     "no logind session id was reported");
	assert_string_equal(calls(k), "");

	/* logind does not know the session */
	assert_int_equal(open_session(k, "root", "", "missing", "1-4.1.5", NULL), 0);
	unplug(k, H_PHONE, "1-4.1.5");
	ASSERT_AUDIT(&k->h, "\"event\":\"session.lock\"", "\"decision\":\"error\"",
		     "org.freedesktop.login1.NoSuchSession");

	/* no logind on the bus */
	stop_pid(&k->stub);
	assert_int_equal(open_session(k, "root", "", "c4", "1-4.1.4", NULL), 0);
	unplug(k, H_COMPOSITE, "1-4.1.4");
	ASSERT_AUDIT(&k->h, "\"event\":\"session.lock\"", "\"decision\":\"error\"",
		     "org.freedesktop.DBus.Error.ServiceUnknown");
	h_stop(&k->h);
	h_verify_audit(&k->h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_right_session_locked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_switch_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals_and_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
