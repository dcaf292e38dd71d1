/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.h - the one place where mnguardd reports what it decided or did:
 * an audit record, a journald entry with structured fields and a MESSAGE_ID
 * per event type, and an event message to every `mnguardctl watch`.
 */
#ifndef MNG_AGENT_EVENTS_H
#define MNG_AGENT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "agent.h"
#include "journal.h"
#include "mng.h"

struct agent;

enum ev_type {
	EV_AGENT_START,
	EV_AGENT_STOP,
	EV_AGENT_RESCAN,
	EV_AGENT_ERROR,
	EV_POLICY_LOAD,
	EV_POLICY_ERROR,
	EV_POLICY_FALLBACK,
	EV_DEVICE_ALLOW,
	EV_DEVICE_BLOCK,
	EV_DEVICE_REJECT,
	EV_DEVICE_REMOVE,
	EV_DEVICE_RO,
	EV_HUB_LOCK,
	EV_THUNDERBOLT_BLOCK,
	EV_SESSION_OPEN,
	EV_SESSION_CLOSE,
	EV_LOGIN_OK, /* the auth-report events, in the order events_from_name knows them */
	EV_LOGIN_DENY,
	EV_LOGIN_PIN_WRONG,
	EV_LOGIN_CLONE_SUSPECTED,
	EV_LOGIN_AAGUID_REFUSED,
	EV_LOGIN_BAD_SIGNATURE,
	EV_KEY_REVOKE,
	EV_KEY_ENROLL,
	EV_EXEMPT_REDEEM, /* an exemption was accepted and stored */
	EV_EXEMPT_USE,	  /* one use of it was taken */
	EV_EXEMPT_EXPIRE, /* its window closed */
	EV_EXEMPT_REVOKE, /* an administrator revoked it */
	EV_EXEMPT_REJECT, /* a token, response or store record was refused */
	EV_EXEMPT_REQUEST, /* a phone request code was shown */
	EV_LOGIN_PASS,	  /* a key-less login with a temporary access pass */
	EV_POLICY_BUNDLE_VERIFY,  /* a policy bundle's signature verified */
	EV_POLICY_BUNDLE_INSTALL, /* a policy bundle was installed and its policy loaded */
	EV_POLICY_BUNDLE_REJECT,  /* a policy bundle was refused (reason in detail) */
	EV_POLICY_UNSIGNED,	  /* rule files not from the signed bundle were not loaded */
	EV_AGENT_FALLBACK_RAN,	  /* the fallback unit acted while the agent was down */
	EV_COUNT,
};

struct event {
	enum ev_type type;
	int priority;			/* syslog priority for journald */
	const char *subject;		/* who: "uid 0 (root)", the seat user, or NULL */
	const struct agent_device *dev; /* the device decided on, or NULL */
	const char *object;		/* what, when there is no dev */
	const char *decision;		/* allow, block, reject, ro, ok, error, ... */
	const char *detail;		/* free text or NULL */
	long rules;			/* policy events: rules in force, -1 = none */
	const char *exemption;		/* exemption id or NULL */
	const char *ticket;		/* its ticket, when there is no dev, or NULL */
};

/* events_name - "device.allow", ... */
const char *events_name(enum ev_type t);

/* events_from_name - the type named name ("login.ok"); false when none is. */
bool events_from_name(const char *name, enum ev_type *ret);

/*
 * events_report - append the audit record, send the journald entry and
 * broadcast the watch event. An audit failure is logged at LOG_CRIT and
 * remembered in a->audit_failed; the decision itself stands (mnguardd(8)).
 */
void events_report(struct agent *a, const struct event *ev);

/*
 * events_device_summary - "id 0781:5567 serial \"...\" name \"...\" port
 * 1-4.1.1 hash ... interfaces 08:06:50" (device strings quoted and escaped;
 * each distinct interface class:subclass:protocol once, at most 16) into buf.
 */
void events_device_summary(const struct agent_device *d, char *buf, size_t size);

/*
 * events_device_json - the protocol's device entry for d (mnguard IPC
 * protocol, list-devices). New reference owned by the caller, NULL when
 * memory ran out.
 */
struct json_object *events_device_json(const struct agent_device *d);

/*
 * events_journal_fields - send one journald entry made of the n fields f
 * (names valid for mng_journal_name_valid, at most MNG_JOURNAL_FIELDS_MAX - 4)
 * followed by SYSLOG_IDENTIFIER=mnguardd and CODE_FILE, CODE_LINE and
 * CODE_FUNC (file, line, func). Use EVENTS_JOURNAL. When no journald
 * listens the entry is dropped silently; nothing is printed.
 */
void events_journal_fields(const char *file, int line, const char *func,
			   const struct mng_journal_field *f, size_t n);
#define EVENTS_JOURNAL(f, n) events_journal_fields(__FILE__, __LINE__, __func__, (f), (n))

/*
 * events_journal_message - an entry of MESSAGE= (fmt, truncated to 2 KiB),
 * PRIORITY=priority, MESSAGE_ID=message_id (left out when NULL) and
 * MNGUARD_EVENT=event, through events_journal_fields. Use
 * EVENTS_JOURNAL_MESSAGE.
 */
void events_journal_message(const char *file, int line, const char *func, int priority,
			    const char *event, const char *message_id, const char *fmt, ...)
    MNG_PRINTF(7, 8);
#define EVENTS_JOURNAL_MESSAGE(prio, event, msgid, ...)                                            \
	events_journal_message(__FILE__, __LINE__, __func__, (prio), (event), (msgid), __VA_ARGS__)

/* events_target_name - "allow", "block" or "reject". */
const char *events_target_name(enum mng_target t);

#endif
