/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session_ops.h - mnguardd's side of mnguard-session(1): the caller's
 * clipboard policy (session-policy), the audit of clipboard redactions
 * (clipboard-report), and which events go to a user's session-watch
 * connection (a USB device blocked while they are the seat user, their
 * print job held or cancelled, an exemption granted to them and ten minutes
 * before it expires, their clipboard redactions).
 *
 * MUST: a caller is told only its own policy and sent only events that
 *       concern its uid (SO_PEERCRED): the uid of the seat user, of the
 *       print job's user, of the exemption's user.
 * MUST: a clipboard report is audited with the caller's uid and pid as the
 *       kernel recorded them, and never holds clipboard content; reports of
 *       one uid are capped (SESSION_REPORTS_PER_MIN).
 * MUST: any error on the way to a policy answers an error, never allow: the
 *       session then keeps the last policy it had.
 */
#ifndef MNG_AGENT_SESSION_OPS_H
#define MNG_AGENT_SESSION_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent.h"
#include "ipc.h"
#include "print.h"

#define SESSION_REPORTS_PER_MIN 120 /* clipboard reports of one uid a minute */
#define SESSION_UIDS_MAX 32	    /* uids whose report rate is tracked */
#define SESSION_WARN_BEFORE 600	    /* seconds before an exemption's end to warn */

struct session_ops;
struct ipc_server;
struct loop;
struct mng_exempt;

/*
 * session_ops_new - the state of the session ops for agent a; events are
 * sent through s (ipc_server_send_user). l is not used.
 * Returns 0 or -errno.
 */
int session_ops_new(struct agent *a, struct ipc_server *s, struct loop *l,
		    struct session_ops **ret);
void session_ops_free(struct session_ops **so);

/*
 * session_ops_policy - the result of session-policy for uid: "clipboard"
 * (mng_clip_action_name), "rule" ("file:line", "" for the default),
 * "exemption" and "ticket" ("" when none), "until" (Unix seconds when the
 * answer must be asked again: the exemption's end, 0 when none), "user"
 * and "helpdesk" (the configured contact). New reference, or NULL with
 * *ret_err (positive errno) and msg set.
 */
struct json_object *session_ops_policy(struct session_ops *so, uid_t uid, int *ret_err, char *msg,
				       size_t msglen);

/*
 * session_ops_clip_report - audit req (clipboard-report) as clipboard.redact
 * or clipboard.block of the caller by, and send the event to by's session
 * watchers. Returns 0, -EBUSY (over the rate cap), -EPERM (unknown uid),
 * with msg set.
 */
int session_ops_clip_report(struct session_ops *so, const struct mng_ipc_request *req,
			    const struct agent_peer *by, char *msg, size_t msglen);

/*
 * session_ops_concerns - whether the broadcast event (its JSON text)
 * concerns uid: device.block and device.reject while uid is the seat
 * user, policy.load (every session asks for its policy again), and
 * exemption.revoke and exemption.expire of an exemption uid sees as its
 * own (so that a revoked clipboard exemption ends in the session at once).
 * Other broadcast events are not sent to session watchers.
 */
bool session_ops_concerns(struct session_ops *so, uid_t uid, const char *event_json);

/* session_ops_print - a print job was decided: hold and cancel go to the job's user. */
void session_ops_print(struct session_ops *so, const struct agent_print_job *job,
		       const struct agent_print_result *res);

/* session_ops_exempt_granted - exemption id was stored for the caller uid: tell uid. */
void session_ops_exempt_granted(struct session_ops *so, uid_t uid, const char *id);

/*
 * session_ops_exempt_expiring - exemption e ends within SESSION_WARN_BEFORE
 * seconds: tell its user (the seat user for user "*") through a->ipc. The
 * exemption store's timer calls it once per exemption, on time (exempt.c).
 */
void session_ops_exempt_expiring(struct agent *a, const struct mng_exempt *e);

#endif
