// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sessions.c - what pam_mnguard tells the agent: sessions that begin and
 * end (who is at which seat) and login or key events for the audit log
 * (agent.h describes the calls, mnguardd(8) the behaviour).
 *
 * MUST: a caller other than root speaks only of its own user: its uid
 *       (SO_PEERCRED) must be the uid of the user it names; key.* events
 *       need root.
 * MUST: every accepted report is audited with the caller's uid and pid, so
 *       that a forged report is visible as such.
 * MUST: the session table and the rate of reports from non-root callers are
 *       capped; a full table refuses (EBUSY), it never drops a session.
 * MUST: logind's answer about seat0 wins over the reported sessions; they
 *       only stand in where logind has none.
 * MUST: only root binds a session to a logind session id or a security key
 *       (keylock_bind refuses anyone else before the table changes).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "agent_int.h"
#include "events.h"
#include "ipc.h"
#include "keylock.h"

#define OBJECT_MAX 400
#define DETAIL_MAX (MNG_IPC_DETAIL_MAX + 128)

static int fail(char *err, size_t errlen, int r, const char *fmt, ...) MNG_PRINTF(4, 5);
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* The uid of user name; -ENOENT when there is no such user. */
static int user_uid(const char *user, uid_t *ret)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int r;

	r = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (r != 0)
		return -r;
	if (!pwp)
		return -ENOENT;
	*ret = pw.pw_uid;
	return 0;
}

/* May the caller speak of user? Sets *ret_uid to user's uid when it exists. */
static int may_speak_for(const struct agent_peer *by, const char *user, uid_t *ret_uid, char *err,
			 size_t errlen)
{
	uid_t uid = (uid_t)-1;
	int r = user_uid(user, &uid);

	if (r < 0 && r != -ENOENT)
		return fail(err, errlen, r, "cannot look up user \"%s\": %s", user, strerror(-r));
	if (by->uid != 0 && (r < 0 || uid != by->uid))
		return fail(err, errlen, -EPERM,
			    "permission denied: uid %u may report only its own user", by->uid);
	*ret_uid = uid;
	return r;
}

bool agent_session_seat_uid(const struct agent *a, uid_t *ret_uid)
{
	const struct agent_session *best = NULL;
	size_t i;

	for (i = 0; i < a->n_sessions; i++)
		if (!strcmp(a->sessions[i].seat, AGENT_SEAT) &&
		    (!best || a->sessions[i].serial > best->serial))
			best = &a->sessions[i];
	if (!best)
		return false;
	*ret_uid = best->uid;
	return true;
}

static void session_object(char *buf, size_t size, const char *seat, const char *tty,
			   const char *service)
{
	(void)snprintf(buf, size, "session seat \"%s\" tty \"%s\" service \"%s\"", seat, tty,
		       service);
}

static void report_session(struct agent *a, enum ev_type t, const char *user, const char *seat,
			   const char *tty, const char *service, const char *note,
			   const struct agent_peer *by)
{
	char object[OBJECT_MAX], detail[400];
	struct event ev = {.type = t,
			   .priority = LOG_INFO,
			   .subject = user,
			   .object = object,
			   .decision = t == EV_SESSION_OPEN ? "open" : "close",
			   .detail = detail,
			   .rules = -1};

	session_object(object, sizeof(object), seat, tty, service);
	(void)snprintf(detail, sizeof(detail), "%s%sreported by uid %u pid %d", note ? note : "",
		       note && *note ? "; " : "", by->uid, (int)by->pid);
	events_report(a, &ev);
}

static struct agent_session *find(struct agent *a, const char *user, const char *seat,
				  const char *tty, const char *service)
{
	size_t i;

	for (i = a->n_sessions; i-- > 0;) {
		struct agent_session *s = &a->sessions[i];

		if (!strcmp(s->user, user) && !strcmp(s->seat, seat) && !strcmp(s->tty, tty) &&
		    !strcmp(s->service, service))
			return s;
	}
	return NULL;
}

static bool fits(const char *user, const char *seat, const char *tty, const char *service)
{
	struct agent_session *s = NULL;

	return strlen(user) < sizeof(s->user) && strlen(seat) < sizeof(s->seat) &&
	       strlen(tty) < sizeof(s->tty) && strlen(service) < sizeof(s->service);
}

int agent_session_open(struct agent *a, const char *user, const char *seat, const char *tty,
		       const char *service, const struct mng_ipc_session_extra *x,
		       const struct agent_peer *by, char *err, size_t errlen)
{
	struct agent_session *s;
	char note[300], full[400];
	size_t i, mine = 0;
	bool added = false;
	uid_t uid;
	int r;

	if (!fits(user, seat, tty, service))
		return fail(err, errlen, -EINVAL, "session field too long");
	r = may_speak_for(by, user, &uid, err, errlen);
	if (r == -ENOENT)
		return fail(err, errlen, r, "no user \"%s\"", user);
	if (r < 0)
		return r;
	s = find(a, user, seat, tty, service);
	if (!s) {
		for (i = 0; i < a->n_sessions; i++)
			mine += !strcmp(a->sessions[i].user, user);
		if (mine >= AGENT_SESSIONS_PER_USER)
			return fail(err, errlen, -EBUSY, "user \"%s\" already has %d sessions",
				    user, AGENT_SESSIONS_PER_USER);
		if (a->n_sessions >= AGENT_SESSIONS_MAX)
			return fail(err, errlen, -EBUSY, "the agent holds %d sessions already",
				    AGENT_SESSIONS_MAX);
		s = &a->sessions[a->n_sessions++];
		memset(s, 0, sizeof(*s));
		snprintf(s->user, sizeof(s->user), "%s", user);
		snprintf(s->seat, sizeof(s->seat), "%s", seat);
		snprintf(s->tty, sizeof(s->tty), "%s", tty);
		snprintf(s->service, sizeof(s->service), "%s", service);
		added = true;
	}
	/* refuses (a key named by anyone but root) before it changes s */
	r = keylock_bind(a, s, x, by, note, sizeof(note), err, errlen);
	if (r < 0) {
		if (added)
			a->n_sessions--;
		return r;
	}
	/* a repeated open refreshes the session: it becomes the newest */
	s->uid = uid;
	s->by_uid = by->uid;
	s->by_pid = by->pid;
	s->serial = ++a->session_serial;
	if (s->logind_id[0])
		(void)snprintf(full, sizeof(full), "logind session %s%s%s", s->logind_id,
			       note[0] ? ", " : "", note);
	else
		(void)snprintf(full, sizeof(full), "%s", note);
	report_session(a, EV_SESSION_OPEN, user, seat, tty, service, full, by);
	if (!strcmp(seat, AGENT_SEAT))
		a->seat_changed = true;
	return 0;
}

int agent_session_close(struct agent *a, const char *user, const char *seat, const char *tty,
			const char *service, const struct agent_peer *by, char *err, size_t errlen)
{
	struct agent_session *s;
	uid_t uid;
	int r;

	if (!fits(user, seat, tty, service))
		return fail(err, errlen, -EINVAL, "session field too long");
	r = may_speak_for(by, user, &uid, err, errlen);
	if (r < 0 && !(r == -ENOENT && by->uid == 0))
		return r;
	s = find(a, user, seat, tty, service);
	if (!s)
		return fail(err, errlen, -ENOENT,
			    "no open session of \"%s\" at seat \"%s\" tty \"%s\"", user, seat, tty);
	memmove(s, s + 1, (size_t)(a->sessions + a->n_sessions - (s + 1)) * sizeof(*s));
	a->n_sessions--;
	report_session(a, EV_SESSION_CLOSE, user, seat, tty, service, NULL, by);
	if (!strcmp(seat, AGENT_SEAT))
		a->seat_changed = true;
	return 0;
}

void agent_session_rejudge(struct agent *a)
{
	if (!a->seat_changed)
		return;
	a->seat_changed = false;
	(void)agent_rescan(a, "seat0 session opened or closed", false);
}

static const char *report_decision(enum ev_type t)
{
	switch (t) {
	case EV_LOGIN_OK:
		return "allow";
	case EV_KEY_REVOKE:
		return "revoke";
	case EV_KEY_ENROLL:
		return "enroll";
	default:
		return "deny";
	}
}

/* A fixed-size window: at most AGENT_REPORTS_PER_MIN reports a minute from non-root callers. */
static bool rate_ok(struct agent *a)
{
	time_t now = time(NULL);

	if (now < a->report_window || now - a->report_window >= 60) {
		a->report_window = now;
		a->n_reports = 0;
	}
	if (a->n_reports >= AGENT_REPORTS_PER_MIN)
		return false;
	a->n_reports++;
	return true;
}

int agent_auth_report(struct agent *a, const char *event, const char *user, const char *label,
		      const char *detail, const struct agent_peer *by, char *err, size_t errlen)
{
	char object[OBJECT_MAX], text[DETAIL_MAX];
	struct event ev = {.subject = user, .rules = -1};
	uid_t uid;
	int r;

	if (!mng_ipc_auth_event_ok(event) || !events_from_name(event, &ev.type))
		return fail(err, errlen, -EINVAL, "unknown event \"%s\"", event);
	if ((ev.type == EV_KEY_REVOKE || ev.type == EV_KEY_ENROLL) && by->uid != 0)
		return fail(err, errlen, -EPERM, "permission denied: %s needs root", event);
	r = may_speak_for(by, user, &uid, err, errlen);
	if (r < 0 && !(r == -ENOENT && by->uid == 0))
		return r;
	if (by->uid != 0 && !rate_ok(a))
		return fail(err, errlen, -EBUSY, "too many reports: at most %d a minute",
			    AGENT_REPORTS_PER_MIN);
	ev.priority = ev.type == EV_LOGIN_OK				     ? LOG_INFO
		      : ev.type == EV_LOGIN_CLONE_SUSPECTED		     ? LOG_CRIT
		      : ev.type == EV_KEY_ENROLL || ev.type == EV_KEY_REVOKE ? LOG_NOTICE
									     : LOG_WARNING;
	ev.decision = report_decision(ev.type);
	(void)snprintf(object, sizeof(object), "key \"%s\"", label ? label : "");
	ev.object = label && *label ? object : NULL;
	(void)snprintf(text, sizeof(text), "%s%sreported by uid %u pid %d", detail ? detail : "",
		       detail && *detail ? "; " : "", by->uid, (int)by->pid);
	ev.detail = text;
	events_report(a, &ev);
	return 0;
}
