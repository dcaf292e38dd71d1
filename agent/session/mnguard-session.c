// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguard-session - the per-user helper of mnguard (mnguard-session(1)),
 * started by XDG autostart in each desktop session: the X11 clipboard guard
 * (clipguard.c) under the policy the agent gives this user
 * (session-policy), the audit of its redactions (clipboard-report), and a
 * desktop notification, in Japanese with English as the fallback, for every
 * event the agent sends this user (session-watch).
 *
 * MUST: when the agent cannot be reached the last policy received stays in
 *       force; before any was received the guard redacts individual
 *       numbers (MNG_CLIP_REDACT). An exemption is honoured only until the
 *       end the agent named.
 * MUST: nothing of the clipboard's content leaves this process: reports and
 *       notifications carry counts only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libintl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libnotify/notify.h>

#include "clipguard.h"
#include "ipc.h"

#define _(s) dgettext("mnguard", s)

#define CALL_TIMEOUT_MS 1000 /* one request to the agent */
#define REFRESH_S 30	     /* ask for the policy again at least this often */
#define RETRY_S 5	     /* reconnect the event stream after this */
#define TEXT_MAX 2048	     /* bytes of one notification body */

struct session {
	const char *socket;
	char *sock_path;
	int req_fd, watch_fd;
	uint32_t next_id;
	struct clipguard *guard;
	struct clip_policy policy;
	bool have_policy;
	int64_t until;	     /* exemption end (Unix s), 0: none */
	time_t next_refresh; /* CLOCK_MONOTONIC s */
	time_t next_watch;
	char helpdesk[256];
	bool notify;
	char notice_utf8[1024];
	char notice_latin1[512];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static time_t mono_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void show(struct session *s, const char *summary, const char *body, bool urgent)
{
	NotifyNotification *n;
	GError *err = NULL;

	if (!s->notify)
		return;
	n = notify_notification_new(summary, body, "dialog-warning");
	if (!n)
		return;
	notify_notification_set_urgency(n,
					urgent ? NOTIFY_URGENCY_CRITICAL : NOTIFY_URGENCY_NORMAL);
	notify_notification_set_app_name(n, "mnguard");
	if (!notify_notification_show(n, &err)) {
		fprintf(stderr, "mnguard-session: notification not shown: %s\n",
			err ? err->message : "unknown error");
		g_clear_error(&err);
	}
	g_object_unref(n);
}

/* Append the help desk line to body (size bytes). */
static void helpdesk_line(const struct session *s, char *body, size_t size)
{
	size_t n = strlen(body);

	if (s->helpdesk[0] && n < size)
		snprintf(body + n, size - n, "\n%s %s", _("Help desk:"), s->helpdesk);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/* ---- the agent ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* One request on the request connection (reconnected once when it broke). */
static int call(struct session *s, struct mng_ipc_request *req, struct json_object **ret)
{
	struct mng_ipc_error err;
	int tries, r = -ECONNRESET;

	for (tries = 0; tries < 2; tries++) {
		if (s->req_fd < 0 && (r = mng_ipc_connect(s->socket, &s->req_fd)) < 0)
			return r;
		req->id = ++s->next_id;
		r = mng_ipc_call(s->req_fd, req, CALL_TIMEOUT_MS, ret, &err);
		if (r == 0 || err.remote)
			return r;
		close_fd(&s->req_fd);
	}
	return r;
}

static void apply_policy(struct session *s)
{
	struct clip_policy p = s->policy;

	if (p.exempt && s->until && time(NULL) >= s->until)
		p.exempt = false; /* the exemption has ended, whatever the agent last said */
	clipguard_set_policy(s->guard, &p);
}

static void refresh_policy(struct session *s)
{
	struct mng_ipc_request req = {.op = MNG_IPC_OP_SESSION_POLICY};
	struct json_object *res = NULL;
	enum mng_clip_action a;

	s->next_refresh = mono_s() + REFRESH_S;
	if (call(s, &req, &res) == 0 && mng_clip_action_parse(jstr(res, "clipboard"), &a) == 0) {
		s->policy.action = a;
		s->policy.exempt = jstr(res, "exemption")[0] != '\0';
		s->until = jint(res, "until");
		s->have_policy = true;
		snprintf(s->helpdesk, sizeof(s->helpdesk), "%s", jstr(res, "helpdesk"));
	}
	/* otherwise the last policy stays (or the built-in redaction) */
	json_object_put(res);
	apply_policy(s);
}

static void watch_connect(struct session *s)
{
	struct mng_ipc_request req = {.op = MNG_IPC_OP_SESSION_WATCH, .id = 1};
	struct json_object *res = NULL;
	struct mng_ipc_error err;

	s->next_watch = mono_s() + RETRY_S;
	if (mng_ipc_connect(s->socket, &s->watch_fd) < 0)
		return;
	if (mng_ipc_call(s->watch_fd, &req, CALL_TIMEOUT_MS, &res, &err) < 0) {
		close_fd(&s->watch_fd);
		return;
	}
	json_object_put(res);
	refresh_policy(s); /* what changed while we were not listening */
}

/* ---- notifications ---- */

static void on_device(struct session *s, struct json_object *e)
{
	char body[TEXT_MAX], reason[512];
	const char *rule = jstr(e, "rule"), *name = jstr(e, "name");

	if (!rule[0] || !strcmp(rule, "implicit"))
		snprintf(reason, sizeof(reason), "%s", _("no rule allows it"));
	else if (!strcmp(rule, "manual"))
		snprintf(reason, sizeof(reason), "%s", _("blocked by an administrator"));
	else
		snprintf(reason, sizeof(reason), _("rule %s"), rule);
	snprintf(body, sizeof(body),
		 "%s %s (%s:%s)\n%s %s\n%s mnguardctl exemption request --device %" PRId64,
		 _("Device:"), name[0] ? name : _("(no name)"), jstr(e, "vendor"),
		 jstr(e, "product"), _("Reason:"), reason, _("To ask for an exemption:"),
		 jint(e, "id"));
	helpdesk_line(s, body, sizeof(body));
	show(s, _("USB device blocked"), body, true);
}

static void on_print(struct session *s, struct json_object *e, bool cancel)
{
	char body[TEXT_MAX];
	const char *why = jstr(e, "reason_ja")[0] && strcmp(_("Reason:"), "Reason:")
			      ? jstr(e, "reason_ja")
			      : jstr(e, "reason");

	snprintf(body, sizeof(body), "%s %s (%" PRId64 ")\n%s %s", _("Printer:"),
		 jstr(e, "printer"), jint(e, "job"), _("Reason:"), why);
	if (!cancel) {
		size_t n = strlen(body);

		snprintf(body + n, sizeof(body) - n,
			 "\n%s mnguardctl exemption request --printer %s",
			 _("To ask for an exemption:"), jstr(e, "printer"));
	}
	show(s, cancel ? _("Print job cancelled") : _("Print job held"), body, true);
}

static void on_exemption(struct session *s, struct json_object *e, bool ending)
{
	char body[TEXT_MAX], when[64] = "";
	time_t t = (time_t)jint(e, "not_after");
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	snprintf(body, sizeof(body), "%s %s %s\n%s %s\n%s %s", _("Scope:"), jstr(e, "scope"),
		 jstr(e, "object"), _("Until:"), when, _("Ticket:"), jstr(e, "ticket"));
	show(s, ending ? _("Exemption ends in 10 minutes") : _("Exemption granted"), body, ending);
}

static void on_event(struct session *s, struct json_object *e)
{
	const char *type = jstr(e, "type");

	if (!strcmp(type, "device.block") || !strcmp(type, "device.reject")) {
		on_device(s, e);
	} else if (!strcmp(type, "print.hold") || !strcmp(type, "print.cancel")) {
		on_print(s, e, !strcmp(type, "print.cancel"));
	} else if (!strcmp(type, "exemption.grant")) {
		on_exemption(s, e, false);
		refresh_policy(s);
	} else if (!strcmp(type, "exemption.expiring")) {
		on_exemption(s, e, true);
	} else if (!strcmp(type, "exemption.revoke")) {
		/* the agent's answer changes now, not at the next refresh */
		refresh_policy(s);
		show(s, _("Exemption revoked"), jstr(e, "object"), true);
	} else if (!strcmp(type, "exemption.expire")) {
		refresh_policy(s);
	} else if (!strcmp(type, "policy.load")) {
		refresh_policy(s);
	} else if (!strcmp(type, "key.remove")) {
		struct json_object *v = NULL;
		bool locked =
		    json_object_object_get_ex(e, "locked", &v) && json_object_get_boolean(v);

		show(
		    s, _("Security key removed"),
		    locked
			? _("The security key used at login was removed: the session was locked.")
			: _("The security key used at login was removed, but the session could not "
			    "be locked: lock the screen now."),
		    true);
	}
	/* clipboard.* are this process's own reports: notified when they happened */
}

static void read_watch(struct session *s)
{
	char *buf = malloc(MNG_IPC_MSG_MAX + 1), why[128];
	struct mng_ipc_message m;
	size_t len;
	int r;

	if (!buf)
		return;
	for (;;) {
		r = mng_ipc_recv(s->watch_fd, buf, MNG_IPC_MSG_MAX + 1, MSG_DONTWAIT, &len);
		if (r == -EAGAIN || r == -EINTR)
			break;
		if (r < 0) {
			close_fd(&s->watch_fd);
			break;
		}
		if (mng_ipc_message_parse(buf, len, &m, why, sizeof(why)) < 0)
			continue;
		if (m.kind == MNG_IPC_MSG_EVENT)
			on_event(s, m.body);
		mng_ipc_message_clear(&m);
	}
	free(buf);
}

/* The guard took a selection: notify, then report to the agent (counts only). */
static void on_clip(void *data, const struct clip_event *ev)
{
	struct session *s = data;
	struct mng_ipc_request req = {.op = MNG_IPC_OP_CLIPBOARD_REPORT};
	struct json_object *res = NULL;
	char body[TEXT_MAX];
	size_t n;

	if (ev->outcome == MNG_CLIP_DENY) {
		snprintf(body, sizeof(body), "%s",
			 _("Copying between applications is not allowed on this terminal."));
		helpdesk_line(s, body, sizeof(body));
		show(s, _("Clipboard blocked"), body, false);
	} else {
		snprintf(body, sizeof(body), "%s",
			 ev->content.scan.individual
			     ? _("The copied text holds an individual number (My Number): it was "
				 "replaced by a notice and cannot be pasted.")
			     : _("The copied text could not be checked: it was replaced by a "
				 "notice and cannot be pasted."));
		n = strlen(body);
		snprintf(body + n, sizeof(body) - n,
			 "\n%s mnguardctl exemption request --clipboard",
			 _("To ask for an exemption:"));
		helpdesk_line(s, body, sizeof(body));
		show(s, _("Clipboard content withheld"), body, false);
	}
	snprintf(req.clip_event, sizeof(req.clip_event), "%s",
		 ev->outcome == MNG_CLIP_DENY ? "block" : "redact");
	snprintf(req.selection, sizeof(req.selection), "%s", ev->selection);
	req.individual = ev->content.scan.individual > MNG_IPC_COUNT_MAX
			     ? MNG_IPC_COUNT_MAX
			     : (uint32_t)ev->content.scan.individual;
	req.corporate = ev->content.scan.corporate > MNG_IPC_COUNT_MAX
			    ? MNG_IPC_COUNT_MAX
			    : (uint32_t)ev->content.scan.corporate;
	req.invalid_utf8 = ev->content.scan.invalid_utf8;
	req.unread = ev->content.text && !ev->content.complete;
	req.bytes = ev->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)ev->bytes;
	req.owner_pid = ev->owner_pid <= MNG_IPC_PID_MAX ? ev->owner_pid : 0;
	if (call(s, &req, &res) < 0)
		fprintf(stderr, "mnguard-session: the agent did not take the clipboard report\n");
	json_object_put(res);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguard-session [--socket PATH] [--display DISPLAY] [--localedir DIR]\n"
		   "                       [--no-notify]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"display", required_argument, NULL, 'd'},
	    {"localedir", required_argument, NULL, 'l'},
	    {"no-notify", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct session s = {.req_fd = -1, .watch_fd = -1, .notify = true};
	const char *display = NULL, *localedir = LOCALEDIR;
	struct sigaction sa = {.sa_handler = on_signal};
	int c, r;

	while ((c = getopt_long(argc, argv, "s:d:l:nh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			s.socket = optarg;
			break;
		case 'd':
			display = optarg;
			break;
		case 'l':
			localedir = optarg;
			break;
		case 'n':
			s.notify = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	(void)setlocale(LC_ALL, "");
	(void)bindtextdomain("mnguard", localedir);
	(void)bind_textdomain_codeset("mnguard", "UTF-8");
	snprintf(s.notice_utf8, sizeof(s.notice_utf8), "[mnguard] %s",
		 _("This content cannot be pasted: it holds an individual number (My Number), "
		   "or copying between applications is not allowed on this terminal."));
	snprintf(s.notice_latin1, sizeof(s.notice_latin1), "[mnguard] %s",
		 "This content cannot be pasted: it holds an individual number (My Number), "
		 "or copying between applications is not allowed on this terminal.");
	if (s.notify && !notify_init("mnguard")) {
		fprintf(stderr, "mnguard-session: no notification service; going on without\n");
		s.notify = false;
	}
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = clipguard_new(display, s.notice_utf8, s.notice_latin1, on_clip, &s, &s.guard);
	if (r < 0) {
		fprintf(stderr, "mnguard-session: cannot guard the clipboard: %s\n",
			r == -ENOTSUP ? "the X server has no XFixes" : strerror(-r));
		return 1;
	}
	s.policy.action = MNG_CLIP_REDACT;
	watch_connect(&s);
	if (s.watch_fd < 0)
		refresh_policy(&s);
	if (!s.have_policy)
		fprintf(stderr, "mnguard-session: the agent is not reachable: individual numbers "
				"are withheld until it is\n");
	while (!stop) {
		struct pollfd p[2] = {{.fd = clipguard_fd(s.guard), .events = POLLIN},
				      {.fd = s.watch_fd, .events = POLLIN}};
		int wait = clipguard_dispatch(s.guard), left;
		time_t now = mono_s();

		left = (int)((s.next_refresh > now ? s.next_refresh - now : 0) * 1000);
		if (wait < 0 || left < wait)
			wait = left;
		if (s.watch_fd < 0 && (int)((s.next_watch - now) * 1000) < wait)
			wait = s.next_watch > now ? (int)(s.next_watch - now) * 1000 : 0;
		r = poll(p, s.watch_fd >= 0 ? 2 : 1, wait);
		if (r < 0 && errno != EINTR)
			break;
		if (s.watch_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_watch(&s);
		now = mono_s();
		if (s.watch_fd < 0 && now >= s.next_watch)
			watch_connect(&s);
		if (now >= s.next_refresh)
			refresh_policy(&s);
		else
			apply_policy(&s);
	}
	clipguard_free(&s.guard);
	close_fd(&s.req_fd);
	close_fd(&s.watch_fd);
	if (s.notify)
		notify_uninit();
	return 0;
}
