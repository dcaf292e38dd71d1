/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exempt.h - the agent's exemptions: the store in <state_dir>/exemptions/
 * (one record file per exemption, exempt_store.h), the replay and revoked
 * records kept there until their window has passed, the pending phone
 * requests, the expiry timer, and the one function the rest of the agent
 * asks (agent_exempt_find for print and clipboard, agent_exempt_judge_usb
 * for devices). mnguardctl(8) EXEMPTIONS and mnguardd(8) describe them.
 *
 * Trust: a token is trusted only when its signature verifies under a key in
 * <trust_dir>/helpdesk/ (never trust/policy/); a phone response only when
 * its MAC verifies under <trust_dir>/terminal.key for a request this agent
 * made for that user. Both are checked again, from the stored record, at
 * every agent start.
 */
#ifndef MNG_AGENT_EXEMPT_H
#define MNG_AGENT_EXEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/exempt.h"
#include "agent.h"
#include "rules.h"

#define AGENT_EXEMPT_MAX 256		/* stored records (in force, used up, revoked) */
#define AGENT_PENDING_MAX 64		/* phone requests waiting for a response */
#define AGENT_PENDING_PER_USER 4	/* of which one user may hold (the oldest goes) */
#define AGENT_PENDING_TTL (30 * 60)	/* seconds a request code stays answerable */
#define AGENT_PENDING_TRIES 5		/* wrong responses that cancel a request */
#define AGENT_REVOKED_KEEP (31 * 86400) /* seconds a revoked unknown id is remembered */
#define AGENT_EXEMPT_MSG_MAX 512	/* bytes of a message to the caller */

struct agent;

struct agent_exempt_hit {
	char id[MNG_EXEMPT_ID_LEN + 1];
	char ticket[MNG_EXEMPT_TICKET_MAX + 1];
};

/*
 * agent_exempt_find - is there an active exemption of scope for user
 * covering object (print: the queue name; clipboard: "") now? consume:
 * take one use (persisted, audited exemption.use). Returns 1 found (*ret
 * filled), 0 none, -errno (callers treat it as none).
 */
int agent_exempt_find(struct agent *a, enum mng_exempt_scope scope, const char *user,
		      const char *object, bool consume, struct agent_exempt_hit *ret);

/*
 * agent_exempt_start - load the store: every record re-verified (a record
 * that no longer verifies is removed and audited exemption.reject), every
 * one whose window has passed expired (audited exemption.expire), and the
 * expiry timer put on a->loop. Call before the first device decision.
 * Returns 0 or -errno (the store directory cannot be made or read: the
 * agent runs without exemptions, which blocks; logged by the caller).
 */
int agent_exempt_start(struct agent *a);

/* agent_exempt_free - release the store's memory and timer (files stay). */
void agent_exempt_free(struct agent *a);

/*
 * agent_exempt_judge_usb - the USB exemptions come before the policy: when
 * one in force for the seat user (ctx->user) allows dev, fill *v (target
 * ALLOW, read_only and interfaces as its rule says), write
 * "exemption:<id>" to rule and its ticket to ticket, and return 1. A
 * device it has not allowed before (by device hash, remembered in the
 * record) takes one use (audited exemption.use): uses count distinct
 * devices, so the same stick plugged again or judged again after a
 * restart is not a new use; an exemption whose uses are all taken allows
 * only the devices it allowed already. Returns 0 when none applies.
 */
int agent_exempt_judge_usb(struct agent *a, const struct mng_device *dev, const char *cur_rule,
			   bool cur_allowed, const struct mng_judge_ctx *ctx, struct mng_verdict *v,
			   char *rule, size_t rulesize, char *ticket, size_t ticketsize);

/* What the IPC server passes: the peer and whether it is an administrator. */
struct agent_exempt_caller {
	uid_t uid;
	pid_t pid;
	bool admin;
};

/*
 * The operations behind the IPC ops (lib/ipc.h). Each returns 0 or a
 * negative errno with an English message for the caller in msg
 * (AGENT_EXEMPT_MSG_MAX bytes): -EPERM refused (every check of issue 6:
 * signature, key, terminal, user, window, lifetime, replay, revoked, scope,
 * response), -EINVAL bad argument, -ENOENT nothing to act on, -EBUSY a cap
 * reached, -EIO the store could not be written (nothing applied). Every
 * refusal is audited exemption.reject with its reason.
 */
int agent_exempt_redeem(struct agent *a, const char *token, const struct agent_exempt_caller *by,
			char ret_id[MNG_EXEMPT_ID_LEN + 1], char *msg);

struct agent_exempt_ask {
	enum mng_exempt_scope scope;
	bool has_device;
	uint32_t device;
	const char *printer;
	uint32_t minutes, uses; /* 0: defaults (60 minutes, 1 use) */
};

/* agent_exempt_request - a phone request for the caller; *code "DDDDC-DDDDC-DDDDC-DDDDC". */
int agent_exempt_request(struct agent *a, const struct agent_exempt_ask *ask,
			 const struct agent_exempt_caller *by, char *code, size_t codesize,
			 char *object, size_t objsize, char *msg);

/* agent_exempt_enter - the help desk's response to one of the caller's pending requests. */
int agent_exempt_enter(struct agent *a, const char *response, const char *ticket,
		       const struct agent_exempt_caller *by, char ret_id[MNG_EXEMPT_ID_LEN + 1],
		       char *msg);

/* agent_exempt_revoke - admin only (the IPC server checked): undo id now. */
int agent_exempt_revoke(struct agent *a, const char *id, const struct agent_exempt_caller *by,
			char *msg);

/* agent_exempt_login_request - root only: a phone request for a login pass of user. */
int agent_exempt_login_request(struct agent *a, const char *user,
			       const struct agent_exempt_caller *by, char *code, size_t codesize,
			       char *msg);

/*
 * agent_exempt_login_pass - root only: may user log in without a key now,
 * with secret (a login token, or a response to the user's pending login
 * request with ticket)? Yes takes one use and audits login.pass.
 */
int agent_exempt_login_pass(struct agent *a, const char *user, const char *secret,
			    const char *ticket, const struct agent_exempt_caller *by, char *msg);

/* One stored exemption as exemption-list shows it (borrowed until the next call). */
struct agent_exempt_view {
	const struct mng_exempt *e; /* id, kid, window, terminal, user, scope, object, ... */
	const char *kind;	    /* token, phone, revoked-id */
	const char *state;	    /* active, used, revoked, expired */
	uint32_t uses_left;
	int64_t redeemed;
	const char *redeemed_by;
};

/*
 * agent_exempt_visible - the records the caller may see (all for an admin,
 * else those for the caller's user), from index from on: fills *ret with
 * the first one at or after from and returns its index, or -ENOENT past
 * the end. agent_exempt_visible_count counts them.
 */
int agent_exempt_visible(struct agent *a, const struct agent_exempt_caller *by, size_t from,
			 struct agent_exempt_view *ret);
size_t agent_exempt_visible_count(struct agent *a, const struct agent_exempt_caller *by);

/* agent_exempt_user_of - the user name of uid (false when unknown). */
bool agent_exempt_user_of(uid_t uid, char *buf, size_t size);

#endif
