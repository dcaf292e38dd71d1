// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * session_ops.c - mnguardd's side of mnguard-session(1): session-policy,
 * clipboard-report and what a session-watch connection receives (see
 * session_ops.h for the contract and its MUST lines).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent_int.h"
#include "events.h"
#include "exempt.h"
#include "ipc_server.h"
#include "session_ops.h"

#define GROUPS_MAX 64

struct rate {
	uid_t uid;
	time_t window;
	unsigned n;
};

struct session_ops {
	struct agent *a;
	struct ipc_server *s;
	struct rate rates[SESSION_UIDS_MAX];
};

static const char msgid_redact[] = "0e6a4c1f9b2d47e3a5c8d7f16b3e2a90";
static const char msgid_block[] = "7b3f5d2a8c1e4f69b0a4e6d2c9f81b57";

static bool add(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v)
		return false;
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static struct json_object *str(const char *s)
{
	return mng_ipc_json_string(s, 4096);
}

/* Send event type with fields (consumed) to the session watchers of uid through s. */
static void send_to(struct ipc_server *s, uid_t uid, const char *type, struct json_object *f)
{
	char *text = NULL;
	size_t len;

	if (s && f && mng_ipc_event_format(type, time(NULL), f, &text, &len) == 0)
		ipc_server_send_user(s, uid, text);
	free(text);
	json_object_put(f);
}

static void send_user(struct session_ops *so, uid_t uid, const char *type, struct json_object *f)
{
	send_to(so->s, uid, type, f);
}

static bool uid_of(const char *user, uid_t *ret)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];

	if (!user || !*user || getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return false;
	*ret = pw.pw_uid;
	return true;
}

/* user's groups by name into names/ptrs; 0 when they cannot be read */
static size_t user_groups(const char *user, char names[GROUPS_MAX][64],
			  const char *ptrs[GROUPS_MAX])
{
	struct passwd pw, *pwp = NULL;
	gid_t gids[GROUPS_MAX];
	int n = GROUPS_MAX, i;
	size_t k = 0;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return 0;
	if (getgrouplist(user, pw.pw_gid, gids, &n) < 0)
		n = GROUPS_MAX;
	for (i = 0; i < n && k < GROUPS_MAX; i++) {
		struct group gr, *grp = NULL;
		char gbuf[4096];

		if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp ||
		    strlen(grp->gr_name) >= 64)
			continue;
		memcpy(names[k], grp->gr_name, strlen(grp->gr_name) + 1);
		ptrs[k] = names[k];
		k++;
	}
	return k;
}

int session_ops_new(struct agent *a, struct ipc_server *s, struct loop *l, struct session_ops **ret)
{
	struct session_ops *so;

	if (!a || !s || !l || !ret)
		return -EINVAL;
	so = calloc(1, sizeof(*so));
	if (!so)
		return -ENOMEM;
	so->a = a;
	so->s = s;
	*ret = so;
	return 0;
}

void session_ops_free(struct session_ops **sop)
{
	if (!sop || !*sop)
		return;
	free(*sop);
	*sop = NULL;
}

/* The end of exemption id (visible to by), 0 when it cannot be found. */
static int64_t exemption_end(struct agent *a, const struct agent_exempt_caller *by, const char *id,
			     const struct mng_exempt **ret_e)
{
	struct agent_exempt_view v;
	int i = -1;

	while ((i = agent_exempt_visible(a, by, (size_t)(i + 1), &v)) >= 0)
		if (!strcmp(v.e->id, id)) {
			if (ret_e)
				*ret_e = v.e;
			return v.e->not_after;
		}
	return 0;
}

struct json_object *session_ops_policy(struct session_ops *so, uid_t uid, int *ret_err, char *msg,
				       size_t msglen)
{
	struct agent_exempt_caller by = {.uid = uid};
	struct agent_exempt_hit hit;
	struct mng_judge_ctx ctx = {0};
	struct mng_clip_verdict v;
	char user[64], rule[400] = "", gnames[GROUPS_MAX][64];
	const char *gptr[GROUPS_MAX];
	struct json_object *o;
	int64_t until = 0;
	int r;

	*ret_err = EIO;
	if (!agent_exempt_user_of(uid, user, sizeof(user))) {
		*ret_err = EPERM;
		snprintf(msg, msglen, "your user name cannot be found");
		return NULL;
	}
	ctx.now = time(NULL);
	ctx.user = user;
	ctx.n_groups = user_groups(user, gnames, gptr);
	ctx.groups = gptr;
	r = mng_ruleset_judge_clipboard(agent_ruleset(so->a), &ctx, &v);
	if (r < 0) {
		snprintf(msg, msglen, "the clipboard policy cannot be decided: %s", strerror(-r));
		return NULL;
	}
	if (v.file)
		snprintf(rule, sizeof(rule), "%s:%u", v.file, v.line);
	memset(&hit, 0, sizeof(hit));
	r = agent_exempt_find(so->a, MNG_EXEMPT_SCOPE_CLIPBOARD, user, "", false, &hit);
	if (r == 1) {
		until = exemption_end(so->a, &by, hit.id, NULL);
		if (until <= ctx.now)
			until = ctx.now + 60; /* ask again soon */
	}
	o = json_object_new_object();
	if (!o || !add(o, "clipboard", json_object_new_string(mng_clip_action_name(v.action))) ||
	    !add(o, "rule", str(rule)) || !add(o, "ticket", str(v.ticket ? v.ticket : "")) ||
	    !add(o, "exemption", str(r == 1 ? hit.id : "")) ||
	    !add(o, "exemption_ticket", str(r == 1 ? hit.ticket : "")) ||
	    !add(o, "until", json_object_new_int64(until)) || !add(o, "user", str(user)) ||
	    !add(o, "helpdesk", str(so->a->cfg.helpdesk_contact))) {
		json_object_put(o);
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	return o;
}

/* One more report of uid this minute: false when over the cap. */
static bool rate_ok(struct session_ops *so, uid_t uid, time_t now)
{
	struct rate *oldest = &so->rates[0], *r = NULL;
	size_t i;

	for (i = 0; i < SESSION_UIDS_MAX; i++) {
		if (so->rates[i].n && so->rates[i].uid == uid) {
			r = &so->rates[i];
			break;
		}
		if (so->rates[i].window < oldest->window)
			oldest = &so->rates[i];
	}
	if (!r) {
		r = oldest;
		r->uid = uid;
		r->n = 0;
		r->window = now;
	}
	if (now - r->window >= 60) {
		r->window = now;
		r->n = 0;
	}
	return ++r->n <= SESSION_REPORTS_PER_MIN;
}

/* The owner's command name (a hint: the X client's pid as the X server reported it). */
static void owner_comm(uint32_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (!pid)
		return;
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(buf, 1, size - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int session_ops_clip_report(struct session_ops *so, const struct mng_ipc_request *req,
			    const struct agent_peer *by, char *msg, size_t msglen)
{
	struct agent *a = so->a;
	struct mng_audit_rec rec = {0};
	char user[64], subject[160], object[64], detail[512], comm[32], ccomm[64];
	bool redact = !strcmp(req->clip_event, "redact");
	const char *event = redact ? "clipboard.redact" : "clipboard.block";
	struct json_object *f;
	int r = -EBADF;

	if (!agent_exempt_user_of(by->uid, user, sizeof(user))) {
		snprintf(msg, msglen, "your user name cannot be found");
		return -EPERM;
	}
	if (!rate_ok(so, by->uid, time(NULL))) {
		snprintf(msg, msglen, "too many clipboard reports (more than %d a minute)",
			 SESSION_REPORTS_PER_MIN);
		return -EBUSY;
	}
	owner_comm(req->owner_pid, comm, sizeof(comm));
	(void)mng_ipc_text_clean(comm, ccomm, 15, true);
	snprintf(subject, sizeof(subject), "%s (by uid %u pid %d)", user, (unsigned)by->uid,
		 (int)by->pid);
	snprintf(object, sizeof(object), "selection %s", req->selection);
	snprintf(detail, sizeof(detail),
		 "individual=%" PRIu32 " corporate=%" PRIu32 " invalid_utf8=%s unread=%s "
		 "bytes=%" PRIu32 " owner_pid=%" PRIu32 " owner_comm=\"%s\" (owner as the X "
		 "server reported it: a hint)",
		 req->individual, req->corporate, req->invalid_utf8 ? "yes" : "no",
		 req->unread ? "yes" : "no", req->bytes, req->owner_pid, ccomm);
	rec.event = event;
	rec.subject = subject;
	rec.object = object;
	rec.decision = redact ? "redact" : "block";
	rec.detail = detail;
	if (a->audit)
		r = mng_audit_append(a->audit, &rec);
	if (r < 0) {
		a->audit_failed = true;
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "audit.error", NULL,
				       "audit log append failed for %s: %s", event, strerror(-r));
	}
	EVENTS_JOURNAL_MESSAGE(LOG_NOTICE, event, redact ? msgid_redact : msgid_block,
			       "%s: %s of %s: %s", event, object, subject, detail);
	f = json_object_new_object();
	if (f && (!add(f, "selection", str(req->selection)) ||
		  !add(f, "individual", json_object_new_int64(req->individual)) ||
		  !add(f, "decision", json_object_new_string(rec.decision)))) {
		json_object_put(f);
		f = NULL;
	}
	send_user(so, by->uid, event, f);
	return 0;
}

bool session_ops_concerns(struct session_ops *so, uid_t uid, const char *event_json)
{
	struct agent_exempt_caller mine = {.uid = uid};
	struct json_object *o, *e, *t, *x;
	const char *type;
	bool yes = false;
	uid_t seat;

	if (!so || !event_json)
		return false;
	o = json_tokener_parse(event_json);
	if (!o)
		return false;
	if (json_object_object_get_ex(o, "event", &e) && json_object_object_get_ex(e, "type", &t) &&
	    (type = json_object_get_string(t))) {
		if (!strcmp(type, "device.block") || !strcmp(type, "device.reject"))
			yes = uid_of(so->a->seat_user, &seat) && seat == uid;
		else if (!strcmp(type, "policy.load"))
			yes = true; /* every session asks for its policy again */
		else if (!strcmp(type, "exemption.revoke") || !strcmp(type, "exemption.expire"))
			/* an exemption of uid's (theirs, or redeemed by them) ended: at once */
			yes = json_object_object_get_ex(e, "exemption", &x) &&
			      json_object_get_string(x) &&
			      exemption_end(so->a, &mine, json_object_get_string(x), NULL) != 0;
	}
	json_object_put(o);
	return yes;
}

void session_ops_print(struct session_ops *so, const struct agent_print_job *job,
		       const struct agent_print_result *res)
{
	struct json_object *f;
	uid_t uid;

	if (!so || res->verdict == AGENT_PRINT_ALLOW || !uid_of(job->user, &uid))
		return;
	f = json_object_new_object();
	if (f &&
	    (!add(f, "printer", str(job->printer)) ||
	     !add(f, "job", json_object_new_int64(job->job)) ||
	     !add(f, "decision", json_object_new_string(agent_print_verdict_name(res->verdict))) ||
	     !add(f, "reason", str(res->reason)) || !add(f, "reason_ja", str(res->reason_ja)))) {
		json_object_put(f);
		return;
	}
	send_user(so, uid, res->verdict == AGENT_PRINT_CANCEL ? "print.cancel" : "print.hold", f);
}

static struct json_object *exemption_fields(const struct mng_exempt *e)
{
	const char *scope = mng_exempt_scope_name(e->scope);
	struct json_object *f = json_object_new_object();

	if (f && (!add(f, "exemption", str(e->id)) || !add(f, "scope", str(scope ? scope : "")) ||
		  !add(f, "object", str(e->object)) || !add(f, "ticket", str(e->ticket)) ||
		  !add(f, "not_after", json_object_new_int64(e->not_after)))) {
		json_object_put(f);
		return NULL;
	}
	return f;
}

void session_ops_exempt_granted(struct session_ops *so, uid_t uid, const char *id)
{
	struct agent_exempt_caller by = {.uid = uid};
	const struct mng_exempt *e = NULL;

	if (!so || !id || !exemption_end(so->a, &by, id, &e) || !e)
		return;
	send_user(so, uid, "exemption.grant", exemption_fields(e));
}

void session_ops_exempt_expiring(struct agent *a, const struct mng_exempt *e)
{
	uid_t uid;

	if (!a || !e)
		return;
	if (!strcmp(e->user, "*")) {
		/* any user: whoever is at the seat */
		if (!uid_of(a->seat_user, &uid))
			return;
	} else if (!uid_of(e->user, &uid)) {
		return;
	}
	send_to(a->ipc, uid, "exemption.expiring", exemption_fields(e));
}
