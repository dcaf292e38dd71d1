// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events.c - audit record + journald entry + watch event for every decision
 * (see events.h).
 *
 * MUST: every decision the agent enforces goes through events_report, and
 *       nothing else writes the audit log (lib/audit.c is the writer).
 * MUST: device-supplied strings (serial, name) are quoted and escaped in
 *       every text this file builds, and made valid UTF-8 in JSON.
 * MUST: a journal that is missing or slow never stops a decision: entries
 *       are dropped when no journald listens (as libsystemd did), and a
 *       send waits at most a second (lib/journal.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent_int.h"
#include "audit.h"
#include "events.h"
#include "ipc.h"
#include "ipc_server.h"
#include "journal.h"

#define SUMMARY_MAX 1200
#define SUMMARY_IFACES 16 /* distinct interface classes named in a device summary */

struct evdef {
	const char *name;
	const char *message_id; /* fixed per event type, for journalctl MESSAGE_ID= */
};

static const struct evdef evdefs[EV_COUNT] = {
    [EV_AGENT_START] = {"agent.start", "8eaf8481f4624838bc6490552578feb8"},
    [EV_AGENT_STOP] = {"agent.stop", "c8c2d00221684e9f825e7842d4927afb"},
    [EV_AGENT_RESCAN] = {"agent.rescan", "4d648bbd760a4ae78a44be3b7004bb7d"},
    [EV_AGENT_ERROR] = {"agent.error", "1c5b3cac22b842c1aa3c977034852107"},
    [EV_POLICY_LOAD] = {"policy.load", "da1771ffccb64e7297fbd03f574b0aad"},
    [EV_POLICY_ERROR] = {"policy.error", "d92ad98d785b4fac962693836b3145af"},
    [EV_POLICY_FALLBACK] = {"policy.fallback", "60fc35b77636400a82b650749fd7de46"},
    [EV_DEVICE_ALLOW] = {"device.allow", "0a0ccdfa2e1c43b694446566253615ab"},
    [EV_DEVICE_BLOCK] = {"device.block", "33b24e909cbc4cc4bf015bc48be3d178"},
    [EV_DEVICE_REJECT] = {"device.reject", "5869bef30ded4d45b13e1ead23594a42"},
    [EV_DEVICE_REMOVE] = {"device.remove", "8334a6c7bedb4e5c9f2810f8545521af"},
    [EV_DEVICE_RO] = {"device.ro", "7dcb3560b3d74286860c6350a55f2756"},
    [EV_HUB_LOCK] = {"hub.lock", "82d506e0640942ed9c769d575424fb5b"},
    [EV_THUNDERBOLT_BLOCK] = {"thunderbolt.block", "e5656782d2d54e379dbca52a22535b5e"},
    [EV_SESSION_OPEN] = {"session.open", "1dbe42ef80b54aa7a3f1f0cdfa0ca52f"},
    [EV_SESSION_CLOSE] = {"session.close", "f966f876ac4b41a896e40a5dcdda59a3"},
    [EV_LOGIN_OK] = {"login.ok", "2830dd8d6c6441d280e81bd53b70dcf1"},
    [EV_LOGIN_DENY] = {"login.deny", "d706cac246fe47a486f091cf8b234de6"},
    [EV_LOGIN_PIN_WRONG] = {"login.pin-wrong", "7a8dd32486504007b26e910eb3556c12"},
    [EV_LOGIN_CLONE_SUSPECTED] = {"login.clone-suspected", "49ce542e4f5a4d95a9185b4e4c7f5842"},
    [EV_LOGIN_AAGUID_REFUSED] = {"login.aaguid-refused", "5f7661abdc8b4114bc5e8af29154be73"},
    [EV_LOGIN_BAD_SIGNATURE] = {"login.bad-signature", "b88efe420a5046d2ad6237cd815008d4"},
    [EV_KEY_REVOKE] = {"key.revoke", "72503980a10f462b816ca4a0561e3ba2"},
    [EV_KEY_ENROLL] = {"key.enroll", "af0400cf396140ad8805f4e8c8e960a7"},
    [EV_EXEMPT_REDEEM] = {"exemption.redeem", "3f1c0a9e5b7d4e28a6c2d8f0b1e47a95"},
    [EV_EXEMPT_USE] = {"exemption.use", "9a4e6b2c1d8f4a7eb3c5e0d2f6a81b47"},
    [EV_EXEMPT_EXPIRE] = {"exemption.expire", "c7d2e5f8a1b34c69907e2f4a6d8b1c53"},
    [EV_EXEMPT_REVOKE] = {"exemption.revoke", "5b8f1e3a7c2d4f96a0e4b6c8d1f27e39"},
    [EV_EXEMPT_REJECT] = {"exemption.reject", "e2a94c7b5d1f4e83b6a0c9d3f5e71b28"},
    [EV_EXEMPT_REQUEST] = {"exemption.request", "18b6d3f9e4a2471c8d5e0f7a3b9c6d24"},
    [EV_LOGIN_PASS] = {"login.pass", "6d0f2b8e9c3a4157a4e7d1b5c8f03e96"},
    [EV_POLICY_BUNDLE_VERIFY] = {"policy.bundle.verify", "90ddfd3cfefe37787229df98f96db45c"},
    [EV_POLICY_BUNDLE_INSTALL] = {"policy.bundle.install", "47075ca0d3e6addc17e872ea22787c6c"},
    [EV_POLICY_BUNDLE_REJECT] = {"policy.bundle.reject", "a09e1a08410aba8fff572a9f89b11c24"},
    [EV_POLICY_UNSIGNED] = {"policy.unsigned", "705bb7fbfd1b36991de4d5b6f8cce7d0"},
    [EV_AGENT_FALLBACK_RAN] = {"agent.fallback-ran", "3e9a6c1f0b7d4d52a8e4f6b2c9d1a073"},
};

const char *events_name(enum ev_type t)
{
	return (unsigned)t < EV_COUNT ? evdefs[t].name : "agent.error";
}

bool events_from_name(const char *name, enum ev_type *ret)
{
	size_t i;

	for (i = 0; name && i < EV_COUNT; i++)
		if (evdefs[i].name && !strcmp(evdefs[i].name, name)) {
			*ret = (enum ev_type)i;
			return true;
		}
	return false;
}

const char *events_target_name(enum mng_target t)
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

/* Append s quoted, '"' and '\' escaped, bytes outside printable ASCII as \xHH. */
static size_t put_quoted(char *buf, size_t size, size_t o, const char *s)
{
	const unsigned char *p;

	if (o + 1 < size)
		buf[o++] = '"';
	for (p = (const unsigned char *)s; *p && o + 5 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		} else {
			buf[o++] = (char)*p;
		}
	}
	if (o + 1 < size)
		buf[o++] = '"';
	buf[o < size ? o : size - 1] = '\0';
	return o < size ? o : size - 1;
}

/*
 * " interfaces CC:SS:PP,..." : each distinct class triple once, in the
 * device's order, at most SUMMARY_IFACES of them (what the self-inspection
 * report counts blocked attempts by). Nothing when none was read or the
 * buffer is full.
 */
static void put_interfaces(const struct mng_device *v, char *buf, size_t size, size_t o)
{
	size_t i, j, n = 0;

	for (i = 0; i < v->n_ifaces && n < SUMMARY_IFACES && o + 13 < size; i++) {
		const struct mng_iface *f = &v->ifaces[i];

		for (j = 0; j < i; j++)
			if (v->ifaces[j].cls == f->cls && v->ifaces[j].subcls == f->subcls &&
			    v->ifaces[j].proto == f->proto)
				break;
		if (j < i)
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%02x:%02x:%02x",
				      n ? "," : " interfaces ", f->cls, f->subcls, f->proto);
		n++;
	}
}

void events_device_summary(const struct agent_device *d, char *buf, size_t size)
{
	const struct mng_device *v = &d->dev;
	size_t o;

	if (size == 0)
		return;
	o = (size_t)snprintf(buf, size, "id %04x:%04x serial ", v->vendor, v->product);
	if (o >= size)
		return;
	o = put_quoted(buf, size, o, v->serial);
	if (o + 7 < size)
		o += (size_t)snprintf(buf + o, size - o, " name ");
	o = put_quoted(buf, size, o, v->name);
	if (o < size)
		o += (size_t)snprintf(buf + o, size - o, " port %s hash %s", v->port,
				      v->hash[0] ? v->hash : "-");
	put_interfaces(v, buf, size, o);
}

static int add(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *str(const char *s)
{
	return mng_ipc_json_string(s, MNG_DEV_STR_MAX * 4);
}

struct json_object *events_device_json(const struct agent_device *d)
{
	const struct mng_device *v = &d->dev;
	struct json_object *o = json_object_new_object(), *ifs, *al;
	char hex[16];
	size_t i;
	int r = 0;

	if (!o)
		return NULL;
	ifs = json_object_new_array();
	al = json_object_new_array();
	r |= add(o, "id", json_object_new_int64(d->id));
	/* the protocol names devices without the /sys prefix */
	r |= add(o, "syspath", str(strncmp(v->syspath, "/sys/", 5) ? v->syspath : v->syspath + 4));
	r |= add(o, "port", str(v->port));
	snprintf(hex, sizeof(hex), "%04x", v->vendor);
	r |= add(o, "vendor", json_object_new_string(hex));
	snprintf(hex, sizeof(hex), "%04x", v->product);
	r |= add(o, "product", json_object_new_string(hex));
	r |= add(o, "name", str(v->name));
	r |= add(o, "serial", str(v->serial));
	r |= add(o, "hash", str(v->hash));
	r |= add(o, "parent_hash", str(v->parent_hash));
	r |= add(o, "connect_type", str(v->connect_type));
	for (i = 0; ifs && al && i < v->n_ifaces && i < MNG_DEV_IFACE_MAX; i++) {
		snprintf(hex, sizeof(hex), "%02x:%02x:%02x", v->ifaces[i].cls, v->ifaces[i].subcls,
			 v->ifaces[i].proto);
		r |= json_object_array_add(ifs, json_object_new_string(hex));
		r |= json_object_array_add(al, json_object_new_boolean(d->iface_allowed[i]));
	}
	r |= add(o, "interfaces", ifs);
	r |= add(o, "target", json_object_new_string(events_target_name(d->target)));
	r |= add(o, "read_only", json_object_new_boolean(d->read_only));
	r |= add(o, "ifaces_allowed", al);
	r |= add(o, "rule", str(d->rule));
	if (d->ticket[0])
		r |= add(o, "ticket", str(d->ticket));
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void broadcast(struct agent *a, const struct event *ev, time_t now)
{
	struct json_object *f;
	char *text = NULL;
	size_t len = 0;

	if (!a->ipc)
		return;
	f = ev->dev ? events_device_json(ev->dev) : json_object_new_object();
	if (!f)
		return;
	if (!ev->dev && ev->object)
		(void)add(f, "object", str(ev->object));
	if (ev->decision)
		(void)add(f, "decision", str(ev->decision));
	if (ev->detail)
		(void)add(f, "detail", mng_ipc_json_string(ev->detail, 4096));
	if (ev->exemption)
		(void)add(f, "exemption", str(ev->exemption));
	if (!ev->dev && ev->ticket)
		(void)add(f, "ticket", str(ev->ticket));
	if (ev->rules >= 0) {
		(void)add(f, "rules", json_object_new_int64(ev->rules));
		(void)add(f, "source", str(a->cfg.rules_dir));
		(void)add(f, "fallback", json_object_new_boolean(a->fallback));
	}
	if (mng_ipc_event_format(events_name(ev->type), now, f, &text, &len) == 0)
		ipc_server_broadcast(a->ipc, text);
	free(text);
	json_object_put(f);
}

/* ---- journald ---- */

#define F(n, v)                                                                                    \
	{                                                                                          \
		.name = (n), .value = (v), .len = strlen(v)                                        \
	}

static int journal_fd = -1; /* opened on first use, kept for the life of the process */

void events_journal_fields(const char *file, int line, const char *func,
			   const struct mng_journal_field *f, size_t n)
{
	struct mng_journal_field all[MNG_JOURNAL_FIELDS_MAX];
	char line_s[16];
	size_t i, k = 0;

	if (n > MNG_JOURNAL_FIELDS_MAX - 4)
		return;
	for (i = 0; i < n; i++)
		all[k++] = f[i];
	snprintf(line_s, sizeof(line_s), "%d", line);
	all[k++] = (struct mng_journal_field)F("SYSLOG_IDENTIFIER", "mnguardd");
	all[k++] = (struct mng_journal_field)F("CODE_FILE", file);
	all[k++] = (struct mng_journal_field)F("CODE_LINE", line_s);
	all[k++] = (struct mng_journal_field)F("CODE_FUNC", func);
	if (journal_fd < 0 && mng_journal_open(&journal_fd) < 0)
		return;
	/* no journald (containers, tests): the entry is dropped, as libsystemd does */
	(void)mng_journal_send(journal_fd, MNG_JOURNAL_SOCKET, all, k);
}

void events_journal_message(const char *file, int line, const char *func, int priority,
			    const char *event, const char *message_id, const char *fmt, ...)
{
	char msg[2048], prio[8];
	struct mng_journal_field f[4];
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(prio, sizeof(prio), "%d", priority & LOG_PRIMASK);
	f[n++] = (struct mng_journal_field)F("MESSAGE", msg);
	f[n++] = (struct mng_journal_field)F("PRIORITY", prio);
	if (message_id)
		f[n++] = (struct mng_journal_field)F("MESSAGE_ID", message_id);
	f[n++] = (struct mng_journal_field)F("MNGUARD_EVENT", event);
	events_journal_fields(file, line, func, f, n);
}

static void journal(const struct event *ev, const char *object, uint64_t seq)
{
	const struct agent_device *d = ev->dev;
	char vid[8] = "", pid[8] = "", id[16] = "", prio[8], seq_s[24], msg[SUMMARY_MAX + 600];
	size_t o;

	if (d) {
		snprintf(vid, sizeof(vid), "%04x", d->dev.vendor);
		snprintf(pid, sizeof(pid), "%04x", d->dev.product);
		snprintf(id, sizeof(id), "%" PRIu32, d->id);
	}
	o = (size_t)snprintf(msg, sizeof(msg), "%s: %s", events_name(ev->type), object);
	if (ev->decision && o < sizeof(msg))
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, " -> %s", ev->decision);
	if (d && d->rule[0] && o < sizeof(msg))
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, " (rule %s)", d->rule);
	if (ev->detail && o < sizeof(msg))
		(void)snprintf(msg + o, sizeof(msg) - o, ": %s", ev->detail);
	snprintf(prio, sizeof(prio), "%d", ev->priority & LOG_PRIMASK);
	snprintf(seq_s, sizeof(seq_s), "%" PRIu64, seq);
	const struct mng_journal_field f[] = {
	    F("MESSAGE", msg),
	    F("PRIORITY", prio),
	    F("MESSAGE_ID", evdefs[ev->type].message_id),
	    F("MNGUARD_EVENT", events_name(ev->type)),
	    F("MNGUARD_DEVICE_ID", id),
	    F("MNGUARD_VENDOR", vid),
	    F("MNGUARD_PRODUCT", pid),
	    F("MNGUARD_SERIAL", d ? d->dev.serial : ""),
	    F("MNGUARD_RULE", d ? d->rule : ""),
	    F("MNGUARD_TICKET", d ? d->ticket : ev->ticket ? ev->ticket : ""),
	    F("MNGUARD_EXEMPTION", ev->exemption ? ev->exemption : ""),
	    F("MNGUARD_SUBJECT", ev->subject ? ev->subject : ""),
	    F("MNGUARD_AUDIT_SEQ", seq_s),
	};

	EVENTS_JOURNAL(f, MNG_ARRAY_SIZE(f));
}

void events_report(struct agent *a, const struct event *ev)
{
	char object[SUMMARY_MAX], rule[400];
	struct mng_audit_rec rec = {0};
	const struct agent_device *d = ev->dev;
	uint64_t seq = 0;
	time_t now = time(NULL);
	int r = -EBADF;

	if (d)
		events_device_summary(d, object, sizeof(object));
	else
		snprintf(object, sizeof(object), "%s", ev->object ? ev->object : "");
	rec.event = events_name(ev->type);
	rec.subject = ev->subject;
	rec.object = object[0] ? object : NULL;
	rec.decision = ev->decision;
	if (d && d->rule[0]) {
		snprintf(rule, sizeof(rule), "%s", d->rule);
		rec.rule = rule;
	}
	rec.ticket = d && d->ticket[0] ? d->ticket : ev->ticket;
	rec.exemption = ev->exemption;
	if (!rec.exemption && d && !strncmp(d->rule, "exemption:", 10))
		rec.exemption = d->rule + 10;
	rec.detail = ev->detail;
	if (a->audit)
		r = mng_audit_append(a->audit, &rec);
	if (r < 0) {
		a->audit_failed = true;
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "audit.error", evdefs[EV_AGENT_ERROR].message_id,
				       "audit log append failed for %s: %s", rec.event,
				       strerror(-r));
	} else if (a->audit) {
		seq = mng_audit_seq(a->audit);
	}
	journal(ev, object, seq);
	broadcast(a, ev, now);
}
