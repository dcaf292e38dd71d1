// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_journal.c - the real mnguardd, linked without libsystemd,
 * talking to a stand-in journald and reading a stand-in logind seat file:
 * each decision reaches the journal socket with its structured fields and
 * MESSAGE_ID, and the user logind names at seat0 (and only a seat file the
 * agent can trust and understand) is the one user()/group() rules see.
 *
 * Needs root: the test moves into a private mount namespace and mounts a
 * tmpfs over /run/systemd there (the host's /run/systemd is untouched).
 * Without root, or where that fails, every test is skipped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/agent_harness.h"

#define T_MS 10000
#define RUN_SYSTEMD "/run/systemd"
#define JOURNAL_SOCKET RUN_SYSTEMD "/journal/socket"
#define SEAT0 RUN_SYSTEMD "/seats/seat0"
#define ENTRIES_MAX 512

static const char rules[] = "allow with-interface equals { 09:00:* }\n"
			    "allow with-interface equals { 08:06:50 } if group(\"backup\")\n";

static bool in_namespace;

/* The stand-in journald: a thread that keeps every datagram it receives. */
struct journal {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	size_t n;
	char *entry[ENTRIES_MAX];
	size_t len[ENTRIES_MAX];
};

static void *journal_reader(void *data)
{
	struct journal *j = data;
	char *buf = malloc(1 << 20);

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd p = {.fd = j->fd, .events = POLLIN};
		ssize_t n;
		bool stop;

		pthread_mutex_lock(&j->lock);
		stop = j->stop;
		pthread_mutex_unlock(&j->lock);
		if (stop)
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recv(j->fd, buf, 1 << 20, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&j->lock);
		if (j->n < ENTRIES_MAX) {
			j->entry[j->n] = malloc((size_t)n + 1);
			if (j->entry[j->n]) {
				memcpy(j->entry[j->n], buf, (size_t)n);
				j->entry[j->n][n] = '\0';
				j->len[j->n++] = (size_t)n;
			}
		}
		pthread_mutex_unlock(&j->lock);
	}
	free(buf);
	return NULL;
}

static void journal_start(struct journal *j)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	(void)mkdir(RUN_SYSTEMD "/journal", 0755);
	(void)unlink(JOURNAL_SOCKET);
	memcpy(sa.sun_path, JOURNAL_SOCKET, sizeof(JOURNAL_SOCKET));
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(j->fd >= 0);
	assert_int_equal(bind(j->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(pthread_create(&j->thread, NULL, journal_reader, j), 0);
}

static void journal_stop(struct journal *j)
{
	size_t i;

	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	close(j->fd);
	(void)unlink(JOURNAL_SOCKET);
	for (i = 0; i < j->n; i++)
		free(j->entry[i]);
	pthread_mutex_destroy(&j->lock);
}

/* The value of field name in a native-protocol entry (copied to out), or false. */
static bool field(const char *e, size_t len, const char *name, char *out, size_t size)
{
	size_t o = 0, nl = strlen(name);

	while (o < len) {
		const char *eq = memchr(e + o, '=', len - o), *lf = memchr(e + o, '\n', len - o);
		size_t vs, vl;

		if (!lf)
			return false;
		if (eq && eq < lf) {
			vs = (size_t)(eq - e) + 1;
			vl = (size_t)(lf - eq) - 1;
		} else {
			uint64_t l = 0;
			int b;

			vs = (size_t)(lf - e) + 9;
			if (vs > len)
				return false;
			for (b = 0; b < 8; b++)
				l |= (uint64_t)(unsigned char)lf[1 + b] << (8 * b);
			if (l > len - vs)
				return false;
			vl = (size_t)l;
			eq = lf;
		}
		if ((size_t)(eq - (e + o)) == nl && !memcmp(e + o, name, nl)) {
			if (vl >= size)
				return false;
			memcpy(out, e + vs, vl);
			out[vl] = '\0';
			return true;
		}
		o = vs + vl + 1;
	}
	return false;
}

/* Wait for an entry whose MNGUARD_EVENT is event and whose MESSAGE holds needle; copy it. */
static bool journal_wait(struct journal *j, const char *event, const char *needle, char *out,
			 size_t size, size_t *ret_len)
{
	int waited;

	for (waited = 0; waited < T_MS; waited += 20) {
		size_t i;

		pthread_mutex_lock(&j->lock);
		for (i = 0; i < j->n; i++) {
			char ev[64], msg[4096];

			if (field(j->entry[i], j->len[i], "MNGUARD_EVENT", ev, sizeof(ev)) &&
			    !strcmp(ev, event) &&
			    field(j->entry[i], j->len[i], "MESSAGE", msg, sizeof(msg)) &&
			    strstr(msg, needle) && j->len[i] < size) {
				memcpy(out, j->entry[i], j->len[i]);
				*ret_len = j->len[i];
				pthread_mutex_unlock(&j->lock);
				return true;
			}
		}
		pthread_mutex_unlock(&j->lock);
		usleep(20 * 1000);
	}
	return false;
}

static void expect(const char *e, size_t len, const char *name, const char *want)
{
	char v[4096];

	if (!field(e, len, name, v, sizeof(v)))
		fail_msg("journal entry has no %s field", name);
	if (strcmp(v, want))
		fail_msg("journal field %s is \"%s\", expected \"%s\"", name, v, want);
}

static void write_seat0(const char *text, mode_t mode)
{
	int fd;

	(void)mkdir(RUN_SYSTEMD "/seats", 0755);
	(void)unlink(SEAT0);
	fd = open(SEAT0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

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
	if (in_namespace)
		(void)unlink(SEAT0);
	return 0;
}

static uid_t need_backup_user(void)
{
	struct passwd *pw = getpwnam("backup");
	struct group *gr = getgrnam("backup");

	if (!in_namespace || !pw || !gr || pw->pw_gid != gr->gr_gid)
		skip();
	return pw->pw_uid;
}

/* logind names user backup at seat0: the group rule allows the stick, and the journal says so. */
static void test_seat_file_user_and_journal_fields(void **state)
{
	struct harness *h = *state;
	struct journal j;
	char text[128], e[8192];
	size_t len = 0;
	uid_t uid = need_backup_user();

	snprintf(text, sizeof(text),
		 "# This is private data. Do not parse.\nIS_SEAT0=1\nACTIVE=c1\nACTIVE_UID=%u\n",
		 (unsigned)uid);
	write_seat0(text, 0644);
	journal_start(&j);
	h_rules(h, "50-seat.rules", rules);
	h_start(h);
	if (!h_wait_attr(H_STICK, "authorized", "1", T_MS)) {
		h_dump(h);
		fail_msg("the stick was not allowed for the seat0 user logind names");
	}
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "\"subject\":\"backup\"",
				 "port 1-4.1.1 ", 1, T_MS));
	assert_true(journal_wait(&j, "device.allow", "port 1-4.1.1 ", e, sizeof(e), &len));
	expect(e, len, "MESSAGE_ID", "0a0ccdfa2e1c43b694446566253615ab");
	expect(e, len, "PRIORITY", "5"); /* LOG_NOTICE */
	expect(e, len, "MNGUARD_SUBJECT", "backup");
	expect(e, len, "MNGUARD_VENDOR", "0781");
	expect(e, len, "SYSLOG_IDENTIFIER", "mnguardd");
	expect(e, len, "MNGUARD_TICKET", "");
	expect(e, len, "CODE_FILE", "agent/events.c");
	assert_true(field(e, len, "MNGUARD_AUDIT_SEQ", text, sizeof(text)));
	assert_true(strtoul(text, NULL, 10) > 0);
	assert_true(field(e, len, "MNGUARD_RULE", text, sizeof(text)));
	assert_non_null(strstr(text, "50-seat.rules:2"));
	/* the blocked ones carry their own MESSAGE_ID */
	assert_true(journal_wait(&j, "device.block", "port 1-4.1.5 ", e, sizeof(e), &len));
	expect(e, len, "MESSAGE_ID", "33b24e909cbc4cc4bf015bc48be3d178");
	assert_true(journal_wait(&j, "agent.start", "mnguardd", e, sizeof(e), &len));
	expect(e, len, "MESSAGE_ID", "8eaf8481f4624838bc6490552578feb8");

	/* logind's answer changes at the next rescan: nobody active, the stick is blocked again */
	write_seat0("IS_SEAT0=1\nACTIVE=\nACTIVE_UID=\n", 0644);
	h_signal(h, SIGUSR1);
	if (!h_wait_attr(H_STICK, "authorized", "0", T_MS)) {
		h_dump(h);
		fail_msg("the stick stayed allowed after logind's seat0 user left");
	}
	h_stop(h);
	assert_true(journal_wait(&j, "agent.stop", "stopped", e, sizeof(e), &len));
	journal_stop(&j);
	h_verify_audit(h);
}

/* A seat file the agent cannot trust or understand names nobody. */
static void test_untrusted_or_garbage_seat_file(void **state)
{
	struct harness *h = *state;
	char text[128];
	uid_t uid = need_backup_user();

	snprintf(text, sizeof(text), "ACTIVE_UID=%u\n", (unsigned)uid);
	write_seat0(text, 0666); /* anyone could have written it */
	h_rules(h, "50-seat.rules", rules);
	h_start(h);
	assert_true(h_wait_audit(h, "\"event\":\"device.block\"", "port 1-4.1.1 ", NULL, 1, T_MS));
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");

	write_seat0("ACTIVE_UID=backup\n", 0644);
	h_signal(h, SIGUSR1);
	assert_true(h_wait_audit(h, "\"event\":\"agent.rescan\"", NULL, NULL, 2, T_MS));
	usleep(200 * 1000);
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");
	assert_int_equal(h_audit_count(h, "\"event\":\"device.allow\"", "port 1-4.1.1 ", NULL), 0);
	h_stop(h);
	h_verify_audit(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seat_file_user_and_journal_fields, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_untrusted_or_garbage_seat_file, setup, teardown),
	};
	struct stat st;

	/* a private mount namespace with its own /run/systemd, or every test skips */
	if (geteuid() == 0 && stat(RUN_SYSTEMD, &st) == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", RUN_SYSTEMD, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0)
		in_namespace = true;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
