/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_int.h - the agent core's own view of struct agent, shared by
 * agent.c (life cycle, policy, agent.h), devices.c (device table, judging,
 * enforcing), policy.c (loading, fallback, permanent rules), monitor.c
 * (udev events) and mnguardd.c (main). Nothing outside
 * agent/ includes this; the IPC server sees only agent.h.
 */
#ifndef MNG_AGENT_INT_H
#define MNG_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent.h"
#include "audit.h"
#include "config.h"
#include "rules.h"

#define AGENT_DEVICES_MAX 4096 /* same cap as mng_device_enumerate */
#define AGENT_ERROR_MAX 4096   /* bytes of the kept "why the load failed" text */
#define AGENT_RULE_FILE "90-mnguardctl.rules"
#define AGENT_GROUPS_MAX 64 /* groups of the seat user passed to group() conditions */

#define AGENT_SESSIONS_MAX 64	  /* PAM sessions the agent keeps */
#define AGENT_SESSIONS_PER_USER 8 /* of which one user may hold */
#define AGENT_REPORTS_PER_MIN 60  /* auth reports from non-root callers, all together */
#define AGENT_SEAT "seat0"	  /* the seat whose user the decisions see */

struct agent_exempt;
struct ipc_server;
struct loop;

/* A PAM session reported over the socket (session-open). */
struct agent_session {
	char user[33], seat[65], tty[65], service[65];
	uid_t uid;    /* the user's uid when it was opened */
	uid_t by_uid; /* who reported it */
	pid_t by_pid;
	uint64_t serial; /* order of opening: the newest seat0 session wins */
	/* lock on key removal (keylock.c): what pam_mnguard reported, "" / 0 when nothing */
	char logind_id[65];  /* the logind session id */
	uint32_t key_dev;    /* device table id of the key used at login, 0: none */
	char key_port[65];   /* its port ("1-4.1.6"), for the audit record */
	char key_serial[65]; /* its serial as reported, for the audit record */
};

/* One table entry: the public part plus what only the core needs. */
struct dev_entry {
	struct agent_device pub;
	bool manual; /* target set by agent_device_set_target, kept until reload or removal */
	bool seen;   /* found by the rescan in progress */
};

struct agent {
	struct mng_config cfg;
	struct mng_audit *audit;
	struct ipc_server *ipc; /* NULL until main sets it up */
	struct loop *loop;
	struct agent_exempt *ex; /* exemptions (exempt.c), NULL until agent_exempt_start */

	struct mng_ruleset *rules; /* never NULL once agent_new returned */
	bool fallback;
	time_t loaded;
	char error[AGENT_ERROR_MAX]; /* "" when the last load succeeded */

	struct dev_entry **devs; /* sorted by id (ids only grow) */
	size_t n_devs, cap_devs;
	uint32_t next_id;

	/* the user at seat0 (logind), refreshed before each round of decisions */
	char seat_user[64];
	char seat_groups[AGENT_GROUPS_MAX][64];
	const char *seat_group_ptrs[AGENT_GROUPS_MAX];
	size_t n_seat_groups;

	/* PAM sessions (sessions.c) */
	struct agent_session sessions[AGENT_SESSIONS_MAX];
	size_t n_sessions;
	uint64_t session_serial;
	bool seat_changed;    /* a seat0 session opened or closed: judge devices again */
	time_t report_window; /* start of the current minute of non-root reports */
	unsigned n_reports;   /* non-root reports in that minute */

	/* the signed policy bundle in force (bundle_install.c); version 0: none */
	uint64_t bundle_version;
	char bundle_kid[17];
	bool bundle_keys; /* it carries help desk keys, which replace <trust_dir>/helpdesk */

	pid_t pid;
	time_t started;
	bool audit_failed; /* an append failed since start (STATUS says so) */
};

/* ---- agent.c ---- */

/*
 * agent_new - set up the core: config copied, audit writer borrowed (it
 * must stay open while the agent lives), policy loaded from rules_dir or,
 * when that fails, the built-in fallback policy (logged at LOG_CRIT and
 * audited). No device is touched yet. Returns 0 or -errno.
 */
int agent_new(const struct mng_config *cfg, struct mng_audit *audit, struct agent **ret);
void agent_free(struct agent **a);

/* ---- devices.c ---- */

/* agent_entry_by_id - the table entry with that id, or NULL. */
struct dev_entry *agent_entry_by_id(const struct agent *a, uint32_t id);

/*
 * agent_entry_set_manual - apply an administrator's target to e now (all
 * interfaces for allow, rule "manual") and keep it until the device goes
 * or the policy is reloaded. Audited with subject. Returns 0 or -ENOMEM.
 */
int agent_entry_set_manual(struct agent *a, struct dev_entry *e, enum mng_target target,
			   const char *subject);

/*
 * agent_rescan - enumerate every present USB device and reconcile the table
 * with it: new devices are judged and enforced, devices whose identity
 * changed are treated as removed and new, gone ones are dropped, and every
 * present device is judged again and its decision re-applied. rejudge_manual
 * drops temporary overrides (policy reload). why goes into the audit record.
 * Returns 0 or -errno (enumeration failed; the table is kept as it was).
 */
int agent_rescan(struct agent *a, const char *why, bool rejudge_manual);

/* agent_device_added - a USB device (usb_device) appeared or changed at syspath. */
void agent_device_added(struct agent *a, const char *syspath, bool change);

/* agent_device_removed - the USB device at syspath is gone. */
void agent_device_removed(struct agent *a, const char *syspath);

/* agent_block_added - a block device appeared: make it read-only when its USB device is "ro". */
void agent_block_added(struct agent *a, const char *syspath);

/*
 * agent_thunderbolt_added - deauthorize the Thunderbolt device at syspath
 * (an add event: always audited), or every one present when syspath is
 * NULL (audited when something was changed or failed).
 */
void agent_thunderbolt_added(struct agent *a, const char *syspath);

/*
 * agent_root_hubs_lock - authorized_default=0 and interface_authorized_default=0
 * on every root hub (/sys/bus/usb/devices/usb*). report: audit each hub;
 * otherwise only failures are audited.
 */
void agent_root_hubs_lock(struct agent *a, bool report);

/*
 * agent_seat_refresh - read who is at seat0 now (logind's seat file, else
 * the newest seat0 session reported by pam_mnguard) into a->seat_user and
 * a->seat_groups ("" when nobody is).
 */
void agent_seat_refresh(struct agent *a);

/* agent_status_line - one line for sd_notify STATUS=. */
void agent_status_line(const struct agent *a, char *buf, size_t size);

/* ---- sessions.c ---- */

/*
 * agent_session_seat_uid - the uid of the newest reported session at
 * AGENT_SEAT. Returns true and sets *ret_uid, false when there is none.
 */
bool agent_session_seat_uid(const struct agent *a, uid_t *ret_uid);

/* ---- bundle_install.c ---- */

struct mng_bundle;

/* What bundle_policy_load found, for bundle_loaded_apply. */
struct bundle_loaded {
	uint64_t version; /* 0: no bundle */
	char kid[17];
	bool keys;	   /* it carries help desk keys */
	size_t n_unsigned; /* require_signed_policy: rule files of rules_dir left out */
	char unsigned_files[512];
};

/*
 * bundle_policy_load - append the rules of the installed bundle (cand NULL:
 * the one in <state_dir>/policy, verified again) or of cand (verified by
 * the caller, its files already written) to rs, each file checked against
 * the manifest's SHA-256. Returns 1 and fills *info, 0 when no bundle is
 * installed and none is required, or -errno with diagnostics in diags
 * (-ENOKEY: require_signed_policy and none installed).
 */
int bundle_policy_load(const struct agent *a, const struct mng_bundle *cand,
		       struct bundle_loaded *info, struct mng_ruleset *rs, struct mng_diags *diags);

/* bundle_loaded_apply - note the bundle in force in a; audit left-out rule files (policy.unsigned). */
void bundle_loaded_apply(struct agent *a, const struct bundle_loaded *info);

/* bundle_helpdesk_dir - the directory of help desk keys in force (the bundle's or trust_dir's). */
void bundle_helpdesk_dir(const struct agent *a, char *buf, size_t size);

/* ---- fallback.c ---- */

/*
 * agent_fallback_report - when mnguard-fallback left a record of what it
 * did while the agent was down (<state_dir>/fallback.log), audit it as one
 * agent.fallback-ran event and remove the file (kept when the append
 * failed). Called once at start, after agent.start.
 */
void agent_fallback_report(struct agent *a);

/* ---- policy.c ---- */

/*
 * policy_load - load the policy: the installed signed bundle's rules
 * (bundle_policy_load), then, unless require_signed_policy, the rule
 * files of cfg.rules_dir, into a new ruleset. On success *ret owns it and
 * *info (may be NULL) says which bundle; on failure err holds the
 * diagnostics joined with "\n" (capped) and -EINVAL or another -errno is
 * returned.
 */
int policy_load(const struct agent *a, struct mng_ruleset **ret, struct bundle_loaded *info,
		char *err, size_t errlen);

/* policy_diags_join - diagnostics as "file:line:col: message" lines into err, capped. */
void policy_diags_join(const struct mng_diags *d, char *err, size_t errlen);

/* policy_fallback - the built-in policy: hub interfaces, HID keyboards and mice only. */
int policy_fallback(struct mng_ruleset **ret);

/*
 * policy_append_rule - append one rule line (with a comment naming who and
 * when) to <rules_dir>/90-mnguardctl.rules: the file is rewritten to a
 * temporary file, fsync'd and renamed over the old one (mode 0644). The new
 * content is parsed before it is put in place. Returns 0 or -errno with a
 * reason in err.
 */
int policy_append_rule(const struct agent *a, const char *rule, const char *who, char *err,
		       size_t errlen);

#endif
