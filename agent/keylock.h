/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keylock.h - lock on key removal (mnguardd(8) LOCK ON KEY REMOVAL): a
 * session is bound at session-open to the USB device of the security key
 * its user logged in with, as pam_mnguard reported it; when that device
 * leaves the device table and lock_on_key_removal is on, the agent asks
 * logind to lock the session (org.freedesktop.login1.Manager.LockSession
 * on the system bus, through sd-bus), audits session.lock and tells the
 * user's mnguard-session (event key.remove).
 *
 * MUST: only a root caller (pam_mnguard inside login or the display
 *       manager) may bind a session to a key or name its logind session;
 *       anyone else is refused, so no user can make the agent lock another
 *       user's session.
 * MUST: a session is bound to one device table entry (an id never reused
 *       while the agent runs), not to a port: another device plugged into
 *       the same port later is not the key, and the binding ends when the
 *       entry goes, whatever the switch says.
 * MUST: only the sessions bound to the removed entry are locked; every
 *       attempt, done or failed, is audited with the device and the
 *       session.
 * MUST: the call to logind is bounded (KEYLOCK_TIMEOUT_US); the agent's
 *       loop waits no longer than that.
 */
#ifndef MNG_AGENT_KEYLOCK_H
#define MNG_AGENT_KEYLOCK_H

#include <stddef.h>

#include "agent_int.h"

#define KEYLOCK_TIMEOUT_US (2 * 1000 * 1000) /* the LockSession call, connection included */

struct mng_ipc_session_extra;

/*
 * keylock_bind - bind session s (just opened or opened again) to what x
 * names (x may be NULL: s is left unbound): the logind session id, and the
 * device table entry at port x->key_port whose device number, read from
 * sysfs, is x->key_devnum (when both are known). by must be root when x
 * names anything. A key that cannot be found leaves s unbound and says why
 * in note (notelen bytes, "" when bound or nothing was asked), for the
 * session.open audit record. Returns 0, or -EPERM with err set.
 */
int keylock_bind(struct agent *a, struct agent_session *s, const struct mng_ipc_session_extra *x,
		 const struct agent_peer *by, char *note, size_t notelen, char *err, size_t errlen);

/*
 * keylock_device_removed - the device table entry d is about to be dropped:
 * every session bound to it is unbound and, when lock_on_key_removal is
 * on, locked through logind (audited session.lock, decision "lock" or
 * "error"), its user told (key.remove). A session opened without a logind
 * id is looked up from the cgroup of the process that opened it
 * (sd_pid_get_session: pam_systemd has moved it into the session by then).
 */
void keylock_device_removed(struct agent *a, const struct agent_device *d);

/*
 * keylock_logind_lock - call LockSession(id) on org.freedesktop.login1 over
 * the system bus (DBUS_SYSTEM_BUS_ADDRESS when set, as sd-bus reads it),
 * waiting at most KEYLOCK_TIMEOUT_US. Returns 0, or -errno with the D-Bus
 * error's name and message in why (whylen bytes).
 */
int keylock_logind_lock(const char *id, char *why, size_t whylen);

#endif
