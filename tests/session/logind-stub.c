// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * logind-stub - a stand-in for systemd-logind in the tests of lock on key
 * removal (test_agent_keylock, test_session.sh). It is NOT logind: it owns
 * the name org.freedesktop.login1 on the bus at DBUS_SYSTEM_BUS_ADDRESS
 * (a private dbus-daemon the test runs) and answers only
 * org.freedesktop.login1.Manager.LockSession(s), appending one line per
 * call to RECORD:
 *
 *   LockSession <id> pid <caller's pid> uid <caller's euid>
 *
 * (the caller's credentials as the bus daemon vouches for them). The id
 * "missing" is answered with org.freedesktop.login1.NoSuchSession, as
 * logind answers an unknown session. What it proves: the agent's request
 * left it on a bus, addressed and typed as logind expects. What it cannot
 * prove: that logind locks a screen (that takes logind, a seat and a
 * screen locker listening for the session's Lock signal).
 *
 * Usage: logind-stub RECORD READY (READY is created once the name is owned).
 * Runs until SIGTERM or SIGINT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

static volatile sig_atomic_t stop;
static const char *record;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int lock_session(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_creds *c = NULL;
	const char *id = NULL;
	pid_t pid = 0;
	uid_t uid = (uid_t)-1;
	FILE *f;
	int r;

	(void)userdata;
	r = sd_bus_message_read(m, "s", &id);
	if (r < 0)
		return r;
	if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_PID | SD_BUS_CREDS_EUID, &c) >= 0) {
		(void)sd_bus_creds_get_pid(c, &pid);
		(void)sd_bus_creds_get_euid(c, &uid);
		sd_bus_creds_unref(c);
	}
	f = fopen(record, "ae");
	if (f) {
		fprintf(f, "LockSession %s pid %d uid %d\n", id, (int)pid, (int)uid);
		fclose(f);
	}
	if (!strcmp(id, "missing"))
		return sd_bus_error_setf(error, "org.freedesktop.login1.NoSuchSession",
					 "No session '%s' known", id);
	return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable manager[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("LockSession", "s", "", lock_session, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sd_bus *bus = NULL;
	int r, fd;

	if (argc != 3) {
		fprintf(stderr, "usage: logind-stub RECORD READY\n");
		return 2;
	}
	record = argv[1];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/login1",
					     "org.freedesktop.login1.Manager", manager, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
	if (r < 0) {
		fprintf(stderr, "logind-stub: %s\n", strerror(-r));
		return 1;
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	while (!stop) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, 200000);
		if (r < 0 && r != -EINTR)
			break;
	}
	sd_bus_flush_close_unref(bus);
	return 0;
}
