/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent.h - what the rest of mnguardd (the IPC server in particular) may ask
 * of the agent core. The core (device table, enforcement, policy) is the
 * only code that changes device authorization; the IPC server only calls
 * these functions, after it has checked that the caller may.
 *
 * MUST: every function here that changes state fails closed: on any error
 *       the device ends (or stays) blocked and the policy in force is kept.
 */
#ifndef MNG_AGENT_H
#define MNG_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "device.h"
#include "rules.h"

struct agent;

/* One present USB device as the agent holds it. */
struct agent_device {
	uint32_t id;		/* assigned by the agent, per boot, never reused while it runs */
	struct mng_device dev;	/* attributes as judged */
	enum mng_target target; /* MNG_TARGET_ALLOW or MNG_TARGET_BLOCK as enforced now */
	bool read_only;		/* allowed with mode ro */
	bool iface_allowed[MNG_DEV_IFACE_MAX]; /* per dev.ifaces[i], as enforced */
	char rule[320]; /* "file:line", "implicit", "manual", or "fallback" */
	char ticket[MNG_RULES_TICKET_MAX + 1]; /* "" when none */
};

struct agent_status {
	pid_t pid;
	time_t started;
	size_t rules;		  /* rules in force */
	const char *rules_source; /* the rules_dir, borrowed */
	bool fallback;		  /* the policy could not be loaded: hubs and HID only */
	time_t loaded;		  /* when the policy in force was loaded */
	const char *error;	  /* why the last load failed, borrowed, or NULL */
	uint64_t policy_version;  /* signed bundle in force, 0 when none */
	const char *policy_kid;	  /* its signer's kid, borrowed, or NULL */
	size_t devices, allowed, blocked;
};

/* Status snapshot; pointers borrowed until the next call into the agent. */
void agent_get_status(const struct agent *a, struct agent_status *ret);

/* Present devices, in id order. agent_device_at returns NULL past the end. */
size_t agent_device_count(const struct agent *a);
const struct agent_device *agent_device_at(const struct agent *a, size_t i);
const struct agent_device *agent_device_by_id(const struct agent *a, uint32_t id);

/* The policy in force (never NULL once the agent runs; in fallback it is the built-in policy). */
const struct mng_ruleset *agent_ruleset(const struct agent *a);

/*
 * agent_device_set_target - apply target (ALLOW, BLOCK or REJECT) to device
 * id on behalf of uid, now. permanent also appends a rule for the device to
 * <rules_dir>/90-mnguardctl.rules and reloads. Audited. Returns 0, -ENOENT
 * (no such device), or another -errno with a reason in err.
 */
int agent_device_set_target(struct agent *a, uint32_t id, enum mng_target target, bool permanent,
			    uid_t uid, char *err, size_t errlen);

/*
 * agent_policy_reload - load rules_dir again. On success the new policy
 * replaces the old atomically and every present device is judged again; on
 * any error the old policy stays in force and err holds the diagnostics
 * ("file:line:col: message" lines, capped to errlen). Audited either way.
 * Returns the number of rules, or -EINVAL / another -errno.
 */
int agent_policy_reload(struct agent *a, uid_t uid, char *err, size_t errlen);

/* agent_uid_subject - "uid 0 (root)" for audit records. */
void agent_uid_subject(uid_t uid, char *buf, size_t size);

/*
 * agent_policy_install - install the signed policy bundle read from fd (an
 * open regular file, borrowed) on behalf of subject: verify it against
 * <trust_dir>/policy, refuse a version below the installed one, write its
 * files into <state_dir>/policy atomically, load the new policy whole,
 * then commit and judge every device again (bundle_install.c). Every step
 * is audited (policy.bundle.verify, .install, .reject). msg says what
 * happened. Returns 1 installed, 0 already installed (nothing changed),
 * -EPERM (signature, key or format refused), -EINVAL (older version, a
 * policy that does not load, not a regular file), -EIO, -ENOMEM. *ret_version is
 * the bundle's version once it verified.
 */
int agent_policy_install(struct agent *a, int fd, const char *subject, char *msg, size_t msglen,
			 uint64_t *ret_version);

/* Who sent a request, as the kernel recorded it at connect time (SO_PEERCRED). */
struct mng_ipc_session_extra;

struct agent_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/*
 * agent_session_open / agent_session_close - a PAM session of user began or
 * ended at seat (may be ""), tty and service (may be ""). A caller other
 * than root may speak only of its own user. The session table is capped
 * (AGENT_SESSIONS_MAX, and AGENT_SESSIONS_PER_USER for each user); a
 * session at seat0 makes its user the seat user when logind has none, and
 * every present device is judged again at the next
 * agent_session_rejudge. Audited (session.open,
 * session.close) with the caller's uid and pid. x (may be NULL) is what
 * pam_mnguard adds at open: the logind session id and the USB device of
 * the key used at the login, which the session is bound to for lock on key
 * removal (keylock.h; only root may send them). Returns 0, -EPERM (another
 * user's session, or x from a caller other than root), -ENOENT (unknown
 * user; close: no such session), -EBUSY (table full), with a reason in err.
 */
int agent_session_open(struct agent *a, const char *user, const char *seat, const char *tty,
		       const char *service, const struct mng_ipc_session_extra *x,
		       const struct agent_peer *by, char *err, size_t errlen);
int agent_session_close(struct agent *a, const char *user, const char *seat, const char *tty,
			const char *service, const struct agent_peer *by, char *err, size_t errlen);

/*
 * agent_session_rejudge - judge every present device again if a seat0
 * session opened or closed since the last call (the IPC server calls it
 * after it answered, so that the PAM module never waits for a rescan).
 */
void agent_session_rejudge(struct agent *a);

/*
 * agent_auth_report - append the audit record of a login or key event
 * (mng_ipc_auth_event_ok) about user, with the credential label and detail
 * (may be ""), noting the caller's uid and pid. key.* events need root;
 * login.* events from any other uid must be about its own user, and such
 * callers share a rate cap (AGENT_REPORTS_PER_MIN). Returns 0, -EINVAL,
 * -EPERM, -EBUSY (over the cap), with a reason in err.
 */
int agent_auth_report(struct agent *a, const char *event, const char *user, const char *label,
		      const char *detail, const struct agent_peer *by, char *err, size_t errlen);

#endif
