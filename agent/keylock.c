// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keylock.c - lock on key removal: bind a session to the device of the key
 * used at its login, lock it through logind when that device goes (see
 * keylock.h for the contract and its MUST lines).
 *
 * logind is asked over D-Bus from inside the agent (sd-bus, one blocking
 * call with a timeout) rather than by running loginctl: no child process,
 * no PATH or environment to trust, and the D-Bus error reaches the audit
 * record as it was sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "events.h"
#include "ipc.h"
#include "ipc_server.h"
#include "keylock.h"

static const char msgid_lock[] = "ed40875b227348f4b9fe344d991e83b8";

/* The device number in <syspath>/devnum, -errno when it cannot be read. */
static long read_devnum(const char *syspath)
{
	char path[4200], buf[16], *end;
	ssize_t n;
	long v;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/devnum", syspath) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < 0 || v > 1000)
		return -EINVAL;
	return v;
}

static struct dev_entry *entry_at_port(struct agent *a, const char *port)
{
	size_t i;

	for (i = 0; i < a->n_devs; i++)
		if (!strcmp(a->devs[i]->pub.dev.port, port))
			return a->devs[i];
	return NULL;
}

static bool given(const char *s)
{
	return s && *s;
}

int keylock_bind(struct agent *a, struct agent_session *s, const struct mng_ipc_session_extra *x,
		 const struct agent_peer *by, char *note, size_t notelen, char *err, size_t errlen)
{
	struct dev_entry *e;
	long devnum;

	if (notelen)
		note[0] = '\0';
	if (!x || (!given(x->session) && !given(x->key_port) && !given(x->key_devnum) &&
		   !given(x->key_serial)))
		return 0;
	if (by->uid != 0) {
		if (errlen)
			(void)snprintf(
			    err, errlen,
			    "permission denied: only root may name a logind session or a "
			    "security key");
		return -EPERM;
	}
	(void)snprintf(s->logind_id, sizeof(s->logind_id), "%s",
		       given(x->session) ? x->session : "");
	s->key_dev = 0;
	s->key_port[0] = s->key_serial[0] = '\0';
	if (!given(x->key_port))
		return 0;
	e = entry_at_port(a, x->key_port);
	if (!e) {
		(void)snprintf(note, notelen, "key at port %s not in the device table: not bound",
			       x->key_port);
		return 0;
	}
	if (given(x->key_devnum)) {
		devnum = read_devnum(e->pub.dev.syspath);
		if (devnum >= 0 && devnum != strtol(x->key_devnum, NULL, 10)) {
			(void)snprintf(note, notelen,
				       "key at port %s: device number %s reported, %ld present: "
				       "not bound",
				       x->key_port, x->key_devnum, devnum);
			return 0;
		}
	}
	s->key_dev = e->pub.id;
	(void)snprintf(s->key_port, sizeof(s->key_port), "%s", x->key_port);
	(void)snprintf(s->key_serial, sizeof(s->key_serial), "%s",
		       given(x->key_serial) ? x->key_serial : "");
	(void)snprintf(note, notelen, "bound to the key at port %s (device %u)", s->key_port,
		       (unsigned)e->pub.id);
	return 0;
}

int keylock_logind_lock(const char *id, char *why, size_t whylen)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	int r;

	if (whylen)
		why[0] = '\0';
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		(void)snprintf(why, whylen, "cannot connect to the system bus: %s", strerror(-r));
		return r;
	}
	(void)sd_bus_set_method_call_timeout(bus, KEYLOCK_TIMEOUT_US);
	r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
			       "org.freedesktop.login1.Manager", "LockSession", &error, &reply, "s",
			       id);
	if (r < 0)
		(void)snprintf(why, whylen, "%s: %s", error.name ? error.name : "LockSession",
			       error.message ? error.message : strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? r : 0;
}

static void audit_lock(struct agent *a, const struct agent_session *s, const char *decision,
		       const char *detail)
{
	struct mng_audit_rec rec = {0};
	char object[400];
	int r = -EBADF;

	(void)snprintf(object, sizeof(object), "session \"%s\" key port %s serial \"%s\"",
		       s->logind_id, s->key_port, s->key_serial);
	rec.event = "session.lock";
	rec.subject = s->user;
	rec.object = object;
	rec.decision = decision;
	rec.detail = detail;
	if (a->audit)
		r = mng_audit_append(a->audit, &rec);
	if (r < 0) {
		a->audit_failed = true;
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "audit.error", NULL,
				       "audit log append failed for session.lock: %s",
				       strerror(-r));
	}
	EVENTS_JOURNAL_MESSAGE(strcmp(decision, "lock") ? LOG_ERR : LOG_NOTICE, "session.lock",
			       msgid_lock, "session.lock: %s of user \"%s\": %s: %s", decision,
			       s->user, object, detail);
}

/* Tell the session's user (mnguard-session): key.remove with whether it was locked. */
static void tell_user(struct agent *a, const struct agent_session *s, bool locked)
{
	struct json_object *f = json_object_new_object();
	char *text = NULL;
	size_t len;

	if (!a->ipc || !f)
		goto out;
	if (json_object_object_add(f, "port", mng_ipc_json_string(s->key_port, 64)) < 0 ||
	    json_object_object_add(f, "serial", mng_ipc_json_string(s->key_serial, 64)) < 0 ||
	    json_object_object_add(f, "session", mng_ipc_json_string(s->logind_id, 64)) < 0 ||
	    json_object_object_add(f, "locked", json_object_new_boolean(locked)) < 0)
		goto out;
	if (mng_ipc_event_format("key.remove", time(NULL), f, &text, &len) == 0)
		ipc_server_send_user(a->ipc, s->uid, text);
out:
	free(text);
	json_object_put(f);
}

void keylock_device_removed(struct agent *a, const struct agent_device *d)
{
	char why[512], detail[700];
	size_t i;
	int r;

	for (i = 0; i < a->n_sessions; i++) {
		struct agent_session *s = &a->sessions[i];

		if (!s->key_dev || s->key_dev != d->id)
			continue;
		s->key_dev = 0; /* the key is gone: plugging it in again binds nothing */
		if (!a->cfg.lock_on_key_removal)
			continue;
		if (!s->logind_id[0]) {
			/*
			 * pam_mnguard ran before pam_systemd: the process that
			 * opened the session is inside it by now (its cgroup)
			 */
			char *id = NULL;

			if (s->by_pid > 0 && sd_pid_get_session(s->by_pid, &id) >= 0 && id &&
			    mng_ipc_text_ok(id, MNG_IPC_CS_SEAT) &&
			    strlen(id) < sizeof(s->logind_id))
				(void)snprintf(s->logind_id, sizeof(s->logind_id), "%s", id);
			free(id);
		}
		if (!s->logind_id[0]) {
			(void)snprintf(
			    detail, sizeof(detail),
			    "key removed; no logind session id was reported at login and "
			    "pid %d (which opened it) is in none: not locked",
			    (int)s->by_pid);
			audit_lock(a, s, "error", detail);
			tell_user(a, s, false);
			continue;
		}
		r = keylock_logind_lock(s->logind_id, why, sizeof(why));
		if (r < 0) {
			(void)snprintf(detail, sizeof(detail), "key removed; logind refused: %s",
				       why);
			audit_lock(a, s, "error", detail);
		} else {
			audit_lock(a, s, "lock", "key removed; logind asked to lock the session");
		}
		tell_user(a, s, r == 0);
	}
}
