// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent.c - the agent core's life cycle, its policy (load at start,
 * fallback, reload) and the functions of agent.h that the IPC server calls.
 * The device table and the decisions live in devices.c.
 *
 * MUST: a new policy replaces the old one only when it loaded whole; a
 *       broken policy at start means the built-in fallback policy, never
 *       "allow everything".
 * MUST: agent_device_set_target changes nothing when it fails before the
 *       device is touched; a permanent rule is written before the reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_int.h"
#include "events.h"
#include "exempt.h"

void agent_uid_subject(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *pwp = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &pwp) == 0 && pwp)
		snprintf(buf, size, "uid %u (%s)", (unsigned)uid, pw.pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
}

/* ---- policy ---- */

static void report_policy(struct agent *a, enum ev_type t, int prio, const char *subject,
			  const char *decision, const char *detail)
{
	struct event ev = {.type = t,
			   .priority = prio,
			   .subject = subject,
			   .object = a->cfg.rules_dir,
			   .decision = decision,
			   .detail = detail,
			   .rules = (long)mng_ruleset_count(a->rules)};

	events_report(a, &ev);
}

int agent_new(const struct mng_config *cfg, struct mng_audit *audit, struct agent **ret)
{
	struct mng_ruleset *rs = NULL;
	struct bundle_loaded bl;
	struct agent *a;
	char detail[64];
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->audit = audit;
	a->pid = getpid();
	a->started = time(NULL);
	a->next_id = 1;
	r = policy_load(a, &rs, &bl, a->error, sizeof(a->error));
	if (r >= 0) {
		a->rules = rs;
		a->loaded = time(NULL);
		snprintf(detail, sizeof(detail), "%d rules", r);
		report_policy(a, EV_POLICY_LOAD, LOG_INFO, NULL, "ok", detail);
		bundle_loaded_apply(a, &bl);
	} else {
		r = policy_fallback(&rs);
		if (r < 0) {
			free(a);
			return r;
		}
		a->rules = rs;
		a->fallback = true;
		a->loaded = time(NULL);
		report_policy(a, EV_POLICY_FALLBACK, LOG_CRIT, NULL, "fallback", a->error);
	}
	*ret = a;
	return 0;
}

void agent_free(struct agent **ap)
{
	struct agent *a;
	size_t i;

	if (!ap || !*ap)
		return;
	a = *ap;
	for (i = 0; i < a->n_devs; i++)
		free(a->devs[i]);
	free(a->devs);
	agent_exempt_free(a);
	mng_ruleset_free(&a->rules);
	free(a);
	*ap = NULL;
}

int agent_policy_reload(struct agent *a, uid_t uid, char *err, size_t errlen)
{
	struct mng_ruleset *rs = NULL;
	struct bundle_loaded bl;
	char subject[300], *why;
	char detail[64];
	int r;

	agent_uid_subject(uid, subject, sizeof(subject));
	why = calloc(1, AGENT_ERROR_MAX);
	if (!why)
		return -ENOMEM;
	r = policy_load(a, &rs, &bl, why, AGENT_ERROR_MAX);
	if (r < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		snprintf(a->error, sizeof(a->error), "%s", why);
		report_policy(a, EV_POLICY_ERROR, LOG_ERR, subject, "error", why);
		free(why);
		return r == -ENOMEM ? r : -EINVAL;
	}
	free(why);
	mng_ruleset_free(&a->rules);
	a->rules = rs;
	a->fallback = false;
	a->loaded = time(NULL);
	a->error[0] = '\0';
	snprintf(detail, sizeof(detail), "%d rules", r);
	report_policy(a, EV_POLICY_LOAD, LOG_INFO, subject, "ok", detail);
	bundle_loaded_apply(a, &bl);
	(void)agent_rescan(a, "policy reload", true);
	return r;
}

/* ---- agent.h ---- */

void agent_get_status(const struct agent *a, struct agent_status *ret)
{
	size_t i;

	memset(ret, 0, sizeof(*ret));
	ret->pid = a->pid;
	ret->started = a->started;
	ret->rules = mng_ruleset_count(a->rules);
	ret->rules_source = a->cfg.rules_dir;
	ret->fallback = a->fallback;
	ret->loaded = a->loaded;
	ret->error = a->error[0] ? a->error : NULL;
	ret->policy_version = a->bundle_version;
	ret->policy_kid = a->bundle_version ? a->bundle_kid : NULL;
	ret->devices = a->n_devs;
	for (i = 0; i < a->n_devs; i++)
		if (a->devs[i]->pub.target == MNG_TARGET_ALLOW)
			ret->allowed++;
	ret->blocked = ret->devices - ret->allowed;
}

size_t agent_device_count(const struct agent *a)
{
	return a->n_devs;
}

const struct agent_device *agent_device_at(const struct agent *a, size_t i)
{
	return i < a->n_devs ? &a->devs[i]->pub : NULL;
}

const struct agent_device *agent_device_by_id(const struct agent *a, uint32_t id)
{
	struct dev_entry *e = agent_entry_by_id(a, id);

	return e ? &e->pub : NULL;
}

const struct mng_ruleset *agent_ruleset(const struct agent *a)
{
	return a->rules;
}

int agent_device_set_target(struct agent *a, uint32_t id, enum mng_target target, bool permanent,
			    uid_t uid, char *err, size_t errlen)
{
	struct dev_entry *e = agent_entry_by_id(a, id);
	struct mng_device *copy;
	char subject[300], *rule = NULL;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!e) {
		snprintf(err, errlen, "no device with id %" PRIu32, id);
		return -ENOENT;
	}
	if (target != MNG_TARGET_ALLOW && target != MNG_TARGET_BLOCK &&
	    target != MNG_TARGET_REJECT) {
		snprintf(err, errlen, "target must be allow, block or reject");
		return -EINVAL;
	}
	if (target == MNG_TARGET_ALLOW && !e->pub.dev.descriptors_ok) {
		snprintf(err, errlen,
			 "the device's descriptors could not be read: it cannot be "
			 "allowed");
		return -EINVAL;
	}
	agent_uid_subject(uid, subject, sizeof(subject));
	if (!permanent)
		return agent_entry_set_manual(a, e, target, subject);

	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	*copy = e->pub.dev;
	/* parent-hash left out; with-connect-type kept: the formatter always writes it */
	copy->parent_hash[0] = '\0';
	r = mng_device_format_rule(copy, events_target_name(target), &rule);
	free(copy);
	if (r < 0) {
		snprintf(err, errlen, "cannot write a rule for the device (%s)", strerror(-r));
		return r;
	}
	r = policy_append_rule(a, rule, subject, err, errlen);
	free(rule);
	if (r < 0)
		return r;
	r = agent_policy_reload(a, uid, err, errlen);
	e = agent_entry_by_id(a, id);
	if (r < 0) {
		/* the rule is stored; the rest of the policy is broken: apply it for now */
		if (e)
			(void)agent_entry_set_manual(a, e, target, subject);
		return r;
	}
	/* an earlier rule may still decide otherwise: the admin's word holds until reload */
	if (e && e->pub.target != target)
		(void)agent_entry_set_manual(a, e, target, subject);
	return 0;
}

void agent_status_line(const struct agent *a, char *buf, size_t size)
{
	struct agent_status st;

	agent_get_status(a, &st);
	if (a->fallback)
		snprintf(buf, size,
			 "FALLBACK POLICY (%s could not be loaded): %zu USB devices (%zu allowed, "
			 "%zu blocked)%s",
			 st.rules_source, st.devices, st.allowed, st.blocked,
			 a->audit_failed ? "; AUDIT LOG APPEND FAILED" : "");
	else
		snprintf(buf, size,
			 "%zu USB devices (%zu allowed, %zu blocked); %zu rules from %s%s",
			 st.devices, st.allowed, st.blocked, st.rules, st.rules_source,
			 a->audit_failed ? "; AUDIT LOG APPEND FAILED" : "");
}
