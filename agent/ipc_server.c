// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc_server.c - mnguardd's side of the agent socket (see ipc_server.h for
 * the contract, lib/ipc.h for the protocol).
 *
 * Every connection is non-blocking and served from the agent's one event
 * loop: a request is read, parsed strictly, authorized, answered and
 * forgotten. Nothing a client sends or fails to read can stall the loop: a
 * reply or event that would block drops that client instead.
 *
 * MUST: admin ops (mng_ipc_op_needs_admin) reach agent.h only after
 *       mng_ipc_peer_is_admin said yes for this connection; a failed
 *       credential check is a refusal.
 * MUST: every send on a client socket is non-blocking; a client whose
 *       socket is full is dropped.
 * MUST: at most CLIENTS_MAX connections are served; more are accepted only
 *       to be told EBUSY and closed.
 * MUST: every reply fits in MNG_IPC_MSG_MAX: list pages stop early when the
 *       next entry would not fit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "exempt.h"
#include "ipc.h"
#include "ipc_server.h"
#include "print.h"
#include "session_ops.h"

#ifndef MNG_VERSION
#define MNG_VERSION "0.1"
#endif

#define CLIENTS_MAX 64			    /* connections served at once */
#define ACCEPT_BATCH 16			    /* accepts per wake-up */
#define RECV_BATCH 8			    /* requests per client per wake-up */
#define WATCH_SNDBUF (1024 * 1024)	    /* socket buffer of a watcher: events it may lag by */
#define PAGE_BUDGET (MNG_IPC_MSG_MAX - 256) /* reply bytes for entries; the rest is envelope */
#define RULE_TEXT_MAX 16384		    /* bytes of one rule's text in list-rules */
#define STR_MAX (4 * 4096)		    /* bytes of one string in a reply */
#define REASON_MAX 4096			    /* diagnostics carried back from the agent */
#define TO_STRING_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char perm_msg[] = "permission denied: needs root or group " MNG_IPC_ADMIN_GROUP;

struct client {
	struct ipc_server *s;
	int fd;
	bool watching;
	bool session_watching; /* session-watch: only the events that concern uid */
	uid_t uid;	       /* the session watcher's uid */
	bool busy; /* a request of this client is being handled */
	bool dead; /* dropped while busy: freed once the handler returns */
	struct agent_print_req *print; /* a print-check being decided (print.h), NULL when none */
	uint32_t print_id;	       /* its request id */
	struct client *next;
};

struct ipc_server {
	struct agent *a;
	struct loop *l;
	int fd;
	bool accept_paused; /* out of descriptors: wait for a client to go */
	char *path;
	struct client *clients;
	size_t n_clients;
	char *buf;     /* receive buffer, MNG_IPC_MSG_MAX + 1 */
	char *rulebuf; /* RULE_TEXT_MAX + 1 */
	struct session_ops *ops; /* mnguard-session's ops (session_ops.h) */
};

/* ---- connections ---- */

static void client_free(struct client *c)
{
	struct ipc_server *s = c->s;
	struct client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	agent_print_detach(c->print); /* still decided and audited, never answered */
	loop_del(s->l, c->fd);
	(void)close(c->fd);
	free(c);
	s->n_clients--;
	if (s->accept_paused && loop_mod(s->l, s->fd, EPOLLIN) == 0)
		s->accept_paused = false;
}

static void client_drop(struct client *c)
{
	if (c->busy) {
		c->dead = true;
		return;
	}
	client_free(c);
}

static void send_text(struct client *c, const char *text, size_t len)
{
	if (c->dead)
		return;
	if (mng_ipc_send(c->fd, text, len, MSG_DONTWAIT) < 0)
		client_drop(c);
}

static void reply_error(struct client *c, uint32_t id, int code, const char *message)
{
	char *text = NULL;
	size_t len;

	if (mng_ipc_error_format(id, code, message, &text, &len) < 0) {
		client_drop(c);
		return;
	}
	send_text(c, text, len);
	free(text);
}

/* Send result (consumed) as the reply to id. */
static void reply_result(struct client *c, uint32_t id, struct json_object *result)
{
	char *text = NULL;
	size_t len;
	int r;

	if (!result) {
		reply_error(c, id, EIO, "out of memory");
		return;
	}
	r = mng_ipc_reply_format(id, result, &text, &len);
	json_object_put(result);
	if (r == -E2BIG)
		reply_error(c, id, EIO, "reply too large");
	else if (r < 0)
		reply_error(c, id, EIO, "cannot build the reply");
	else
		send_text(c, text, len);
	free(text);
}

/* ---- building results ---- */

static bool add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return false;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static struct json_object *str(const char *s)
{
	return mng_ipc_json_string(s, STR_MAX);
}

static struct json_object *time_string(time_t t)
{
	char buf[32];

	if (mng_ipc_time_format(t, buf, sizeof(buf)) < 0)
		return json_object_new_string("");
	return json_object_new_string(buf);
}

static const char *target_name(enum mng_target t)
{
	switch (t) {
	case MNG_TARGET_ALLOW:
		return "allow";
	case MNG_TARGET_REJECT:
		return "reject";
	default:
		return "block";
	}
}

static struct json_object *status_result(struct ipc_server *s)
{
	struct agent_status st = {0};
	struct json_object *o = json_object_new_object(), *p = json_object_new_object(),
			   *d = json_object_new_object();
	time_t now = time(NULL);
	bool ok;

	agent_get_status(s->a, &st);
	ok = o && p && d && add(o, "version", json_object_new_string(MNG_VERSION)) &&
	     add(o, "pid", json_object_new_int64(st.pid)) &&
	     add(o, "uptime_s", json_object_new_int64(now > st.started ? now - st.started : 0)) &&
	     add(o, "policy", json_object_get(p)) && add(o, "devices", json_object_get(d)) &&
	     add(p, "rules", json_object_new_int64((int64_t)st.rules)) &&
	     add(p, "source", str(st.rules_source)) &&
	     add(p, "fallback", json_object_new_boolean(st.fallback)) &&
	     add(p, "loaded", time_string(st.loaded)) &&
	     add(p, "version", json_object_new_int64((int64_t)st.policy_version)) &&
	     (!st.policy_kid || add(p, "kid", str(st.policy_kid))) &&
	     (!st.error || add(p, "error", mng_ipc_json_string(st.error, REASON_MAX))) &&
	     add(d, "total", json_object_new_int64((int64_t)st.devices)) &&
	     add(d, "allowed", json_object_new_int64((int64_t)st.allowed)) &&
	     add(d, "blocked", json_object_new_int64((int64_t)st.blocked));
	json_object_put(p);
	json_object_put(d);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *device_entry(const struct agent_device *ad)
{
	const struct mng_device *dev = &ad->dev;
	struct json_object *o = json_object_new_object(), *ifs = json_object_new_array(),
			   *al = json_object_new_array();
	size_t n = dev->n_ifaces < MNG_DEV_IFACE_MAX ? dev->n_ifaces : MNG_DEV_IFACE_MAX, i;
	char vid[8], pid[8], cls[12];
	bool ok;

	(void)snprintf(vid, sizeof(vid), "%04x", dev->vendor);
	(void)snprintf(pid, sizeof(pid), "%04x", dev->product);
	ok = o && ifs && al && add(o, "id", json_object_new_int64(ad->id)) &&
	     add(o, "syspath", str(dev->syspath)) && add(o, "port", str(dev->port)) &&
	     add(o, "vendor", json_object_new_string(vid)) &&
	     add(o, "product", json_object_new_string(pid)) && add(o, "name", str(dev->name)) &&
	     add(o, "serial", str(dev->serial)) && add(o, "hash", str(dev->hash)) &&
	     add(o, "parent_hash", str(dev->parent_hash)) &&
	     add(o, "connect_type", str(dev->connect_type)) &&
	     add(o, "interfaces", json_object_get(ifs)) &&
	     add(o, "target", json_object_new_string(target_name(ad->target))) &&
	     add(o, "read_only", json_object_new_boolean(ad->read_only)) &&
	     add(o, "ifaces_allowed", json_object_get(al)) && add(o, "rule", str(ad->rule)) &&
	     (!ad->ticket[0] || add(o, "ticket", str(ad->ticket)));
	for (i = 0; ok && i < n; i++) {
		const struct mng_iface *f = &dev->ifaces[i];

		(void)snprintf(cls, sizeof(cls), "%02x:%02x:%02x", f->cls, f->subcls, f->proto);
		ok = json_object_array_add(ifs, json_object_new_string(cls)) == 0 &&
		     json_object_array_add(al, json_object_new_boolean(ad->iface_allowed[i])) == 0;
	}
	json_object_put(ifs);
	json_object_put(al);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *device_at(struct ipc_server *s, size_t i)
{
	const struct agent_device *d = agent_device_at(s->a, i);

	return d ? device_entry(d) : NULL;
}

static struct json_object *rule_at(struct ipc_server *s, size_t i)
{
	const struct mng_ruleset *rs = agent_ruleset(s->a);
	struct json_object *o;
	const char *file = NULL;
	unsigned line = 0;
	bool truncated = false;
	int r;

	if (mng_ruleset_location(rs, i, &file, &line) < 0)
		return NULL;
	r = mng_ruleset_format(rs, i, s->rulebuf, RULE_TEXT_MAX + 1);
	if (r == -ENOBUFS)
		truncated = true;
	else if (r < 0)
		return NULL;
	o = json_object_new_object();
	if (!o || !add(o, "index", json_object_new_int64((int64_t)i)) ||
	    !add(o, "file", str(file)) || !add(o, "line", json_object_new_int64(line)) ||
	    !add(o, "rule", mng_ipc_json_string(s->rulebuf, RULE_TEXT_MAX)) ||
	    (truncated && !add(o, "truncated", json_object_new_boolean(1)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * One page of a listing: entries from offset, at most limit of them, and
 * fewer when the next one would push the reply past MNG_IPC_MSG_MAX.
 */
static void reply_page(struct client *c, const struct mng_ipc_request *req, const char *key,
		       size_t total, struct json_object *(*entry)(struct ipc_server *, size_t))
{
	struct json_object *res = json_object_new_object(), *arr = json_object_new_array(), *e;
	size_t end = mng_ipc_page_end(req->offset, req->limit, total), used = 0, i, n;

	if (!res || !arr || !add(res, "total", json_object_new_int64((int64_t)total)) ||
	    !add(res, "offset", json_object_new_int64(req->offset)))
		goto nomem;
	for (i = req->offset; i < end; i++) {
		e = entry(c->s, i);
		if (!e) {
			reply_error(c, req->id, EIO, "cannot read the entry");
			goto out;
		}
		n = 0;
		if (!json_object_to_json_string_length(e, TO_STRING_FLAGS, &n)) {
			json_object_put(e);
			goto nomem;
		}
		if (used + n + 1 > PAGE_BUDGET) {
			json_object_put(e);
			if (i == req->offset) {
				reply_error(c, req->id, EIO, "entry too large for one message");
				goto out;
			}
			break;
		}
		if (json_object_array_add(arr, e) < 0) {
			json_object_put(e);
			goto nomem;
		}
		used += n + 1;
	}
	if (!add(res, key, arr)) {
		arr = NULL;
		goto nomem;
	}
	reply_result(c, req->id, res);
	return;
nomem:
	reply_error(c, req->id, EIO, "out of memory");
out:
	json_object_put(arr);
	json_object_put(res);
}

/* ---- requests ---- */

static void do_set_target(struct client *c, const struct mng_ipc_request *req, uid_t uid)
{
	enum mng_target t = req->op == MNG_IPC_OP_ALLOW_DEVICE	  ? MNG_TARGET_ALLOW
			    : req->op == MNG_IPC_OP_REJECT_DEVICE ? MNG_TARGET_REJECT
								  : MNG_TARGET_BLOCK;
	struct json_object *res;
	char why[REASON_MAX] = "", msg[REASON_MAX + 64];
	int r;

	r = agent_device_set_target(c->s->a, req->device, t, req->permanent, uid, why, sizeof(why));
	if (r == -ENOENT) {
		(void)snprintf(msg, sizeof(msg), "no device with id %u", req->device);
		reply_error(c, req->id, ENOENT, msg);
		return;
	}
	if (r < 0) {
		why[sizeof(why) - 1] = '\0';
		(void)snprintf(msg, sizeof(msg), "device %u not changed: %s", req->device,
			       why[0] ? why : strerror(-r));
		reply_error(c, req->id, -r, msg);
		return;
	}
	res = json_object_new_object();
	if (res && (!add(res, "id", json_object_new_int64(req->device)) ||
		    !add(res, "target", json_object_new_string(target_name(t))))) {
		json_object_put(res);
		res = NULL;
	}
	reply_result(c, req->id, res);
}

/* policy-install: the signed bundle comes as the descriptor passed with the request. */
static void do_install(struct client *c, const struct mng_ipc_request *req, uid_t uid, int doc)
{
	char *why = calloc(1, REASON_MAX), subject[300];
	struct json_object *res;
	uint64_t version = 0;
	int r;

	if (!why) {
		reply_error(c, req->id, EIO, "out of memory");
		return;
	}
	if (doc < 0) {
		reply_error(c, req->id, EINVAL, "policy-install needs the bundle passed with it");
		free(why);
		return;
	}
	agent_uid_subject(uid, subject, sizeof(subject));
	r = agent_policy_install(c->s->a, doc, subject, why, REASON_MAX, &version);
	why[REASON_MAX - 1] = '\0';
	if (r < 0) {
		reply_error(c, req->id, -r, why[0] ? why : strerror(-r));
		free(why);
		return;
	}
	res = json_object_new_object();
	if (res && (!add(res, "installed", json_object_new_boolean(r > 0)) ||
		    !add(res, "version", json_object_new_int64((int64_t)version)) ||
		    !add(res, "message", mng_ipc_json_string(why, REASON_MAX)))) {
		json_object_put(res);
		res = NULL;
	}
	free(why);
	reply_result(c, req->id, res);
}

static void do_reload(struct client *c, const struct mng_ipc_request *req, uid_t uid)
{
	char *why = calloc(1, REASON_MAX);
	struct json_object *res;
	int r;

	if (!why) {
		reply_error(c, req->id, EIO, "out of memory");
		return;
	}
	r = agent_policy_reload(c->s->a, uid, why, REASON_MAX);
	why[REASON_MAX - 1] = '\0';
	if (r < 0) {
		reply_error(c, req->id, -r, why[0] ? why : strerror(-r));
		free(why);
		return;
	}
	free(why);
	res = json_object_new_object();
	if (res && !add(res, "rules", json_object_new_int64(r))) {
		json_object_put(res);
		res = NULL;
	}
	reply_result(c, req->id, res);
}

static void do_watch(struct client *c, const struct mng_ipc_request *req)
{
	int sz = WATCH_SNDBUF;
	struct json_object *res;

	/* Room for a burst of events; SO_SNDBUFFORCE needs CAP_NET_ADMIN, else capped. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	c->watching = true;
	res = json_object_new_object();
	if (res && !add(res, "watching", json_object_new_boolean(1))) {
		json_object_put(res);
		res = NULL;
	}
	reply_result(c, req->id, res);
}

/* session-open, session-close, auth-report: the agent checks who may say what. */
static void do_report(struct client *c, const struct mng_ipc_request *req)
{
	struct agent_peer by;
	char why[REASON_MAX] = "";
	int r;

	r = mng_ipc_peer_cred(c->fd, &by.uid, &by.gid, &by.pid);
	if (r < 0) {
		reply_error(c, req->id, EPERM,
			    "permission denied: the caller's credentials cannot be read");
		return;
	}
	if (req->op == MNG_IPC_OP_SESSION_OPEN)
		r = agent_session_open(
		    c->s->a, req->user, req->seat, req->tty, req->service,
		    &(const struct mng_ipc_session_extra){req->session, req->key_port,
							  req->key_devnum, req->key_serial},
		    &by, why, sizeof(why));
	else if (req->op == MNG_IPC_OP_SESSION_CLOSE)
		r = agent_session_close(c->s->a, req->user, req->seat, req->tty, req->service, &by,
					why, sizeof(why));
	else
		r = agent_auth_report(c->s->a, req->event, req->user, req->label, req->detail, &by,
				      why, sizeof(why));
	why[sizeof(why) - 1] = '\0';
	if (r < 0) {
		reply_error(c, req->id, -r, why[0] ? why : strerror(-r));
		return;
	}
	reply_result(c, req->id, json_object_new_object());
	/* the answer is out: now the devices follow the new seat user */
	agent_session_rejudge(c->s->a);
}

/* print-check's answer, when the gate has decided (maybe long after the request). */
static void print_done(void *data, const struct agent_print_job *job,
		       const struct agent_print_result *res)
{
	struct client *c = data;
	struct ipc_server *s = c->s;
	struct json_object *o = json_object_new_object();

	c->print = NULL;
	if (o && (!add(o, "verdict", json_object_new_string(agent_print_verdict_name(res->verdict))) ||
		  !add(o, "reason", str(res->reason)) || !add(o, "reason_ja", str(res->reason_ja)) ||
		  !add(o, "rule", str(res->rule)) || !add(o, "exemption", str(res->exemption)) ||
		  !add(o, "ticket", str(res->ticket)) || !add(o, "sha256", str(res->sha256)) ||
		  !add(o, "pages", json_object_new_int64(res->pages)) ||
		  !add(o, "sensitive", json_object_new_boolean(res->sensitive)))) {
		json_object_put(o);
		o = NULL;
	}
	/* c may be freed by a failed send: s was taken first */
	reply_result(c, c->print_id, o);
	session_ops_print(s->ops, job, res);
}

/*
 * print-check: the CUPS backend asks about a job; doc is the document passed
 * with it. The content check runs beside the loop; print_done answers.
 */
static void do_print(struct client *c, const struct mng_ipc_request *req, int doc)
{
	struct agent_print_job job = {.printer = req->printer,
				      .user = req->user,
				      .title = req->title,
				      .uri = req->uri,
				      .job = req->job};
	struct agent_peer by;
	int r;

	if (mng_ipc_peer_cred(c->fd, &by.uid, &by.gid, &by.pid) < 0 ||
	    !agent_print_peer_ok(&by)) {
		reply_error(c, req->id, EPERM, "permission denied: print-check needs root or lp");
		return;
	}
	if (doc < 0) {
		reply_error(c, req->id, EINVAL, "print-check needs the document passed with it");
		return;
	}
	if (c->print) {
		reply_error(c, req->id, EBUSY, "a print-check of this connection is still running");
		return;
	}
	c->print_id = req->id;
	r = agent_print_submit(c->s->a, &job, doc, &by, print_done, c, &c->print);
	if (r < 0)
		reply_error(c, req->id, r == -ENOMEM ? EIO : -r, strerror(-r));
}

/* ---- exemptions (exempt.h) ---- */

static struct json_object *exempt_entry(const struct agent_exempt_view *v)
{
	const struct mng_exempt *e = v->e;
	struct json_object *o = json_object_new_object();
	const char *scope = mng_exempt_scope_name(e->scope);

	if (!o || !add(o, "id", str(e->id)) || !add(o, "kind", str(v->kind)) ||
	    !add(o, "state", str(v->state)) || !add(o, "scope", str(scope ? scope : "")) ||
	    !add(o, "object", str(e->object)) || !add(o, "user", str(e->user)) ||
	    !add(o, "redeemed_by", str(v->redeemed_by)) || !add(o, "ticket", str(e->ticket)) ||
	    !add(o, "reason", str(e->reason)) || !add(o, "by", str(e->by)) ||
	    !add(o, "kid", str(e->kid)) || !add(o, "terminal", str(e->terminal)) ||
	    !add(o, "not_before", time_string((time_t)e->not_before)) ||
	    !add(o, "not_after", time_string((time_t)e->not_after)) ||
	    !add(o, "redeemed", time_string((time_t)v->redeemed)) ||
	    !add(o, "uses", json_object_new_int64(e->uses)) ||
	    !add(o, "uses_left", json_object_new_int64(v->uses_left))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* exemption-list: a page of what the caller may see, as reply_page pages. */
static void exempt_list(struct client *c, const struct mng_ipc_request *req,
			const struct agent_exempt_caller *by)
{
	struct json_object *res = json_object_new_object(), *arr = json_object_new_array(), *e;
	size_t total = agent_exempt_visible_count(c->s->a, by), used = 0, k = 0, n, end;
	struct agent_exempt_view v;
	int i = -1;

	end = mng_ipc_page_end(req->offset, req->limit, total);
	if (!res || !arr || !add(res, "total", json_object_new_int64((int64_t)total)) ||
	    !add(res, "offset", json_object_new_int64(req->offset)))
		goto nomem;
	while (k < end && (i = agent_exempt_visible(c->s->a, by, (size_t)(i + 1), &v)) >= 0) {
		if (k++ < req->offset)
			continue;
		e = exempt_entry(&v);
		n = 0;
		if (!e || !json_object_to_json_string_length(e, TO_STRING_FLAGS, &n)) {
			json_object_put(e);
			goto nomem;
		}
		if (used + n + 1 > PAGE_BUDGET) {
			json_object_put(e);
			break;
		}
		if (json_object_array_add(arr, e) < 0) {
			json_object_put(e);
			goto nomem;
		}
		used += n + 1;
	}
	if (!add(res, "exemptions", arr)) {
		arr = NULL;
		goto nomem;
	}
	reply_result(c, req->id, res);
	return;
nomem:
	reply_error(c, req->id, EIO, "out of memory");
	json_object_put(arr);
	json_object_put(res);
}

/* A result object with the given string pairs (NULL-terminated key, value list). */
static struct json_object *pairs(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct json_object *o = json_object_new_object();

	if (o && ((k1 && !add(o, k1, str(v1))) || (k2 && !add(o, k2, str(v2))))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void do_exempt(struct client *c, const struct mng_ipc_request *req)
{
	struct agent *a = c->s->a;
	struct agent_exempt_caller by = {0};
	struct agent_exempt_ask ask = {0};
	struct agent_exempt_hit hit;
	enum mng_exempt_scope scope = MNG_EXEMPT_SCOPE_NONE;
	char msg[AGENT_EXEMPT_MSG_MAX] = "", id[MNG_EXEMPT_ID_LEN + 1] = "", code[64] = "";
	char user[64], *object = NULL;
	struct json_object *res = NULL;
	bool granted = false;
	gid_t gid;
	int r = 0;

	memset(&hit, 0, sizeof(hit));
	if (mng_ipc_peer_cred(c->fd, &by.uid, &gid, &by.pid) < 0) {
		reply_error(c, req->id, EPERM,
			    "permission denied: the caller's credentials cannot be read");
		return;
	}
	if (mng_ipc_peer_is_admin(c->fd, NULL, &by.admin, NULL) < 0)
		by.admin = false;
	if (req->scope[0] && mng_exempt_scope_parse(req->scope, &scope) < 0) {
		reply_error(c, req->id, EINVAL, "unknown scope");
		return;
	}
	switch (req->op) {
	case MNG_IPC_OP_EXEMPTION_REDEEM:
		r = agent_exempt_redeem(a, req->secret, &by, id, msg);
		if (r == 0)
			res = pairs("id", id, NULL, NULL);
		granted = r == 0;
		break;
	case MNG_IPC_OP_EXEMPTION_REQUEST:
		object = calloc(1, MNG_EXEMPT_OBJ_MAX + 1);
		if (!object) {
			r = -ENOMEM;
			break;
		}
		ask.scope = scope;
		ask.has_device = req->has_device;
		ask.device = req->device;
		ask.printer = req->object;
		ask.minutes = req->minutes;
		ask.uses = req->uses;
		r = agent_exempt_request(a, &ask, &by, code, sizeof(code), object,
					 MNG_EXEMPT_OBJ_MAX + 1, msg);
		if (r == 0)
			res = pairs("code", code, "object", object);
		free(object);
		break;
	case MNG_IPC_OP_EXEMPTION_ENTER:
		r = agent_exempt_enter(a, req->secret, req->ticket, &by, id, msg);
		if (r == 0)
			res = pairs("id", id, NULL, NULL);
		granted = r == 0;
		break;
	case MNG_IPC_OP_EXEMPTION_REVOKE:
		r = agent_exempt_revoke(a, req->exemption, &by, msg);
		if (r == 0)
			res = pairs("id", req->exemption, NULL, NULL);
		break;
	case MNG_IPC_OP_EXEMPTION_CHECK:
		if (!agent_exempt_user_of(by.uid, user, sizeof(user))) {
			r = -EPERM;
			snprintf(msg, sizeof(msg), "your user name cannot be found");
			break;
		}
		r = agent_exempt_find(a, scope, user, req->object, false, &hit);
		res = json_object_new_object();
		if (r < 0 || !res || !add(res, "allowed", json_object_new_boolean(r == 1)) ||
		    (r == 1 && (!add(res, "id", str(hit.id)) || !add(res, "ticket", str(hit.ticket))))) {
			json_object_put(res);
			res = NULL;
		}
		if (r > 0)
			r = 0;
		break;
	case MNG_IPC_OP_EXEMPTION_LIST:
		exempt_list(c, req, &by);
		return;
	case MNG_IPC_OP_LOGIN_REQUEST:
		r = agent_exempt_login_request(a, req->user, &by, code, sizeof(code), msg);
		if (r == 0)
			res = pairs("code", code, NULL, NULL);
		break;
	case MNG_IPC_OP_LOGIN_PASS:
		r = agent_exempt_login_pass(a, req->user, req->secret, req->ticket, &by, msg);
		if (r == 0)
			res = json_object_new_object();
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (r < 0) {
		reply_error(c, req->id, r == -ENOMEM ? EIO : -r, msg[0] ? msg : strerror(-r));
		return;
	}
	reply_result(c, req->id, res);
	if (granted)
		session_ops_exempt_granted(c->s->ops, by.uid, id);
}

/* session-policy, clipboard-report, session-watch: mnguard-session(1), for the caller's uid. */
static void do_session(struct client *c, const struct mng_ipc_request *req)
{
	struct json_object *res = NULL;
	struct agent_peer by;
	char msg[REASON_MAX] = "";
	int sz = WATCH_SNDBUF, code = EIO, r;

	if (mng_ipc_peer_cred(c->fd, &by.uid, &by.gid, &by.pid) < 0) {
		reply_error(c, req->id, EPERM,
			    "permission denied: the caller's credentials cannot be read");
		return;
	}
	switch (req->op) {
	case MNG_IPC_OP_SESSION_POLICY:
		res = session_ops_policy(c->s->ops, by.uid, &code, msg, sizeof(msg));
		if (!res) {
			reply_error(c, req->id, code, msg);
			return;
		}
		break;
	case MNG_IPC_OP_CLIPBOARD_REPORT:
		r = session_ops_clip_report(c->s->ops, req, &by, msg, sizeof(msg));
		if (r < 0) {
			reply_error(c, req->id, -r, msg[0] ? msg : strerror(-r));
			return;
		}
		res = json_object_new_object();
		break;
	default: /* session-watch */
		if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		c->session_watching = true;
		c->uid = by.uid;
		res = json_object_new_object();
		if (res && !add(res, "watching", json_object_new_boolean(1))) {
			json_object_put(res);
			res = NULL;
		}
		break;
	}
	reply_result(c, req->id, res);
}

static void handle(struct client *c, const char *buf, size_t len, int doc)
{
	struct ipc_server *s = c->s;
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	const struct mng_ruleset *rs;
	bool admin = false;
	uid_t uid = (uid_t)-1;
	int r;

	r = mng_ipc_request_parse(buf, len, &req, &err);
	if (r < 0) {
		reply_error(c, err.id, err.code, err.message);
		return;
	}
	if (mng_ipc_op_needs_admin(req.op)) {
		r = mng_ipc_peer_is_admin(c->fd, NULL, &admin, &uid);
		if (r < 0) {
			reply_error(c, req.id, EPERM,
				    "permission denied: the caller's credentials cannot be read");
			return;
		}
		if (!admin) {
			reply_error(c, req.id, EPERM, perm_msg);
			return;
		}
	}
	switch (req.op) {
	case MNG_IPC_OP_STATUS:
		reply_result(c, req.id, status_result(s));
		break;
	case MNG_IPC_OP_LIST_DEVICES:
		reply_page(c, &req, "devices", agent_device_count(s->a), device_at);
		break;
	case MNG_IPC_OP_LIST_RULES:
		rs = agent_ruleset(s->a);
		reply_page(c, &req, "rules", rs ? mng_ruleset_count(rs) : 0, rule_at);
		break;
	case MNG_IPC_OP_ALLOW_DEVICE:
	case MNG_IPC_OP_BLOCK_DEVICE:
	case MNG_IPC_OP_REJECT_DEVICE:
		do_set_target(c, &req, uid);
		break;
	case MNG_IPC_OP_POLICY_RELOAD:
		do_reload(c, &req, uid);
		break;
	case MNG_IPC_OP_WATCH:
		do_watch(c, &req);
		break;
	case MNG_IPC_OP_SESSION_OPEN:
	case MNG_IPC_OP_SESSION_CLOSE:
	case MNG_IPC_OP_AUTH_REPORT:
		do_report(c, &req);
		break;
	case MNG_IPC_OP_PRINT_CHECK:
		do_print(c, &req, doc);
		break;
	case MNG_IPC_OP_POLICY_INSTALL:
		do_install(c, &req, uid, doc);
		break;
	case MNG_IPC_OP_SESSION_POLICY:
	case MNG_IPC_OP_CLIPBOARD_REPORT:
	case MNG_IPC_OP_SESSION_WATCH:
		do_session(c, &req);
		break;
	case MNG_IPC_OP_EXEMPTION_REDEEM:
	case MNG_IPC_OP_EXEMPTION_REQUEST:
	case MNG_IPC_OP_EXEMPTION_ENTER:
	case MNG_IPC_OP_EXEMPTION_LIST:
	case MNG_IPC_OP_EXEMPTION_REVOKE:
	case MNG_IPC_OP_EXEMPTION_CHECK:
	case MNG_IPC_OP_LOGIN_REQUEST:
	case MNG_IPC_OP_LOGIN_PASS:
		do_exempt(c, &req);
		break;
	default:
		reply_error(c, req.id, EINVAL, "unknown request");
		break;
	}
}

static void on_client(void *data, int fd, uint32_t revents)
{
	struct client *c = data;
	struct ipc_server *s = c->s;
	bool drained = false;
	size_t len;
	int i, r, doc = -1;

	c->busy = true;
	for (i = 0; i < RECV_BATCH && !c->dead; i++) {
		r = mng_ipc_recv_fd(fd, s->buf, MNG_IPC_MSG_MAX + 1, MSG_DONTWAIT, &len, &doc);
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN) {
			drained = true;
			break;
		}
		if (r == -EMSGSIZE) {
			reply_error(c, 0, EPROTO, "message too large (more than 65536 bytes)");
			continue;
		}
		if (r == -EBADMSG) {
			reply_error(c, 0, EPROTO, "more than one descriptor passed with a request");
			continue;
		}
		if (r < 0) {
			c->dead = true;
			break;
		}
		handle(c, s->buf, len, doc);
		if (doc >= 0) /* a descriptor passed with any request is closed after it */
			(void)close(doc);
		doc = -1;
	}
	if (drained && (revents & (EPOLLHUP | EPOLLERR)))
		c->dead = true;
	c->busy = false;
	if (c->dead)
		client_free(c);
}

static void refuse(int fd)
{
	char *text = NULL;
	size_t len;

	if (mng_ipc_error_format(0, EBUSY, "too many clients, try again later", &text, &len) == 0)
		(void)mng_ipc_send(fd, text, len, MSG_DONTWAIT);
	free(text);
	(void)close(fd);
}

static void on_accept(void *data, int fd, uint32_t revents)
{
	struct ipc_server *s = data;
	int i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct client *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			     errno == ENOMEM) &&
			    s->n_clients > 0 && loop_mod(s->l, fd, 0) == 0)
				s->accept_paused = true; /* resumed when a client goes */
			return;
		}
		if (s->n_clients >= CLIENTS_MAX) {
			refuse(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			(void)close(cfd);
			continue;
		}
		c->s = s;
		c->fd = cfd;
		if (loop_add(s->l, cfd, EPOLLIN, on_client, c) < 0) {
			(void)close(cfd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->n_clients++;
	}
}

/* ---- the server ---- */

int ipc_server_new(struct agent *a, struct loop *l, const char *path, struct ipc_server **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ipc_server *s;
	struct stat st;
	int r;

	if (!a || !l || !path || !*path || !ret)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->a = a;
	s->l = l;
	s->buf = malloc(MNG_IPC_MSG_MAX + 1);
	s->rulebuf = malloc(RULE_TEXT_MAX + 1);
	s->path = strdup(path);
	if (!s->buf || !s->rulebuf || !s->path) {
		r = -ENOMEM;
		goto fail;
	}
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail_fd;
	}
	/* Anyone may connect; each request is authorized on its own. */
	if (chmod(path, 0666) < 0 || listen(s->fd, 128) < 0) {
		r = -errno;
		goto fail_bound;
	}
	r = loop_add(l, s->fd, EPOLLIN, on_accept, s);
	if (r < 0)
		goto fail_bound;
	r = session_ops_new(a, s, l, &s->ops);
	if (r < 0) {
		loop_del(l, s->fd);
		goto fail_bound;
	}
	*ret = s;
	return 0;
fail_bound:
	(void)unlink(path);
fail_fd:
	(void)close(s->fd);
fail:
	free(s->buf);
	free(s->rulebuf);
	free(s->path);
	free(s);
	return r;
}

void ipc_server_broadcast(struct ipc_server *s, const char *event_json)
{
	struct client *c, *next;
	size_t len;

	if (!s || !event_json)
		return;
	len = strnlen(event_json, MNG_IPC_MSG_MAX + 1);
	if (len == 0 || len > MNG_IPC_MSG_MAX)
		return;
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (c->dead || !(c->watching || (c->session_watching &&
						 session_ops_concerns(s->ops, c->uid, event_json))))
			continue;
		if (mng_ipc_send(c->fd, event_json, len, MSG_DONTWAIT) < 0)
			client_drop(c); /* a watcher that does not read is not waited for */
	}
}

void ipc_server_send_user(struct ipc_server *s, uid_t uid, const char *event_json)
{
	struct client *c, *next;
	size_t len;

	if (!s || !event_json)
		return;
	len = strnlen(event_json, MNG_IPC_MSG_MAX + 1);
	if (len == 0 || len > MNG_IPC_MSG_MAX)
		return;
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (!c->session_watching || c->dead || c->uid != uid)
			continue;
		if (mng_ipc_send(c->fd, event_json, len, MSG_DONTWAIT) < 0)
			client_drop(c);
	}
}

void ipc_server_free(struct ipc_server **sp)
{
	struct ipc_server *s;

	if (!sp || !*sp)
		return;
	s = *sp;
	session_ops_free(&s->ops);
	while (s->clients)
		client_free(s->clients);
	loop_del(s->l, s->fd);
	(void)close(s->fd);
	(void)unlink(s->path);
	free(s->buf);
	free(s->rulebuf);
	free(s->path);
	free(s);
	*sp = NULL;
}
