// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices.c - the device table and the decisions: judge each USB device
 * against the policy in force, enforce the verdict (sysfs.c), report it
 * (events.c), and keep the table equal to what is plugged in; root hubs,
 * read-only block devices and Thunderbolt devices too.
 *
 * MUST: a device is authorized only after the policy judged it (or an
 *       admin allowed it through agent_device_set_target); any error on the
 *       way to a decision blocks it.
 * MUST: a rescan never loses a device: everything present is judged (new)
 *       or re-judged and re-applied (known), everything gone is dropped.
 * MUST: every decision is reported through events_report, exactly once.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libudev.h>

#include "agent_int.h"
#include "events.h"
#include "exempt.h"
#include "file.h"
#include "keylock.h"
#include "seat.h"
#include "sysfs.h"

#define BUS_DEVICES "/sys/bus/usb/devices"
#define TB_DEVICES "/sys/bus/thunderbolt/devices"

/* ---- table ---- */

static struct dev_entry *find_path(const struct agent *a, const char *syspath)
{
	size_t i;

	for (i = 0; i < a->n_devs; i++)
		if (!strcmp(a->devs[i]->pub.dev.syspath, syspath))
			return a->devs[i];
	return NULL;
}

struct dev_entry *agent_entry_by_id(const struct agent *a, uint32_t id)
{
	size_t lo = 0, hi = a->n_devs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->devs[mid]->pub.id == id)
			return a->devs[mid];
		if (a->devs[mid]->pub.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct dev_entry *table_add(struct agent *a, const struct mng_device *dev)
{
	struct dev_entry *e;

	if (a->n_devs >= AGENT_DEVICES_MAX)
		return NULL;
	if (a->n_devs == a->cap_devs) {
		size_t ncap = a->cap_devs ? a->cap_devs * 2 : 32;
		struct dev_entry **n = realloc(a->devs, ncap * sizeof(*n));

		if (!n)
			return NULL;
		a->devs = n;
		a->cap_devs = ncap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pub.id = a->next_id++;
	e->pub.dev = *dev;
	e->pub.target = MNG_TARGET_BLOCK;
	a->devs[a->n_devs++] = e; /* ids only grow: the array stays sorted */
	return e;
}

static void table_drop(struct agent *a, struct dev_entry *e)
{
	size_t i;

	for (i = 0; i < a->n_devs; i++) {
		if (a->devs[i] != e)
			continue;
		memmove(&a->devs[i], &a->devs[i + 1], (a->n_devs - i - 1) * sizeof(*a->devs));
		a->n_devs--;
		free(e);
		return;
	}
}

static bool same_identity(const struct mng_device *x, const struct mng_device *y)
{
	return x->vendor == y->vendor && x->product == y->product &&
	       !strcmp(x->serial, y->serial) && !strcmp(x->hash, y->hash) &&
	       x->descriptors_ok == y->descriptors_ok;
}

/* ---- who is at the seat ---- */

void agent_seat_refresh(struct agent *a)
{
	struct passwd pw, *pwp = NULL;
	gid_t gids[AGENT_GROUPS_MAX];
	int ngids = AGENT_GROUPS_MAX, i;
	char buf[4096];
	uid_t uid;

	a->seat_user[0] = '\0';
	a->n_seat_groups = 0;
	/*
	 * logind's seat file first (best effort, see mnguardd(8)); the sessions
	 * pam_mnguard reported when logind has no answer
	 */
	if (mng_seat_active_uid(MNG_SEAT_DIR, AGENT_SEAT, MNG_FILE_TRUSTED, NULL, &uid) < 0 &&
	    !agent_session_seat_uid(a, &uid))
		return;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
	    strlen(pw.pw_name) >= sizeof(a->seat_user))
		return;
	snprintf(a->seat_user, sizeof(a->seat_user), "%s", pw.pw_name);
	if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &ngids) < 0)
		ngids = AGENT_GROUPS_MAX; /* more than we pass on: the first ones */
	for (i = 0; i < ngids && i < AGENT_GROUPS_MAX; i++) {
		struct group gr, *grp = NULL;

		if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &grp) != 0 || !grp ||
		    strlen(gr.gr_name) >= sizeof(a->seat_groups[0]))
			continue;
		snprintf(a->seat_groups[a->n_seat_groups], sizeof(a->seat_groups[0]), "%s",
			 gr.gr_name);
		a->seat_group_ptrs[a->n_seat_groups] = a->seat_groups[a->n_seat_groups];
		a->n_seat_groups++;
	}
}

static const char *seat_subject(const struct agent *a)
{
	return a->seat_user[0] ? a->seat_user : NULL;
}

/* ---- deciding and enforcing ---- */

/* What one decision says about a device. */
struct decision {
	enum mng_target target;
	bool read_only;
	bool iface_allowed[MNG_DEV_IFACE_MAX];
	char rule[sizeof(((struct agent_device *)0)->rule)];
	char ticket[MNG_RULES_TICKET_MAX + 1];
	char detail[160];
};

static void judge(struct agent *a, struct dev_entry *e, struct decision *d)
{
	const struct mng_device **allowed = NULL;
	struct mng_judge_ctx ctx = {0};
	struct mng_verdict *v;
	size_t i, n = 0;
	int r;

	memset(d, 0, sizeof(*d));
	d->target = MNG_TARGET_BLOCK;
	snprintf(d->rule, sizeof(d->rule), "%s", a->fallback ? "fallback" : "implicit");
	v = calloc(1, sizeof(*v));
	allowed = calloc(a->n_devs + 1, sizeof(*allowed));
	if (!v || !allowed) {
		snprintf(d->detail, sizeof(d->detail), "out of memory while judging");
		goto out;
	}
	for (i = 0; i < a->n_devs; i++)
		if (a->devs[i] != e && a->devs[i]->pub.target == MNG_TARGET_ALLOW)
			allowed[n++] = &a->devs[i]->pub.dev;
	ctx.now = time(NULL);
	ctx.user = seat_subject(a);
	ctx.groups = a->seat_group_ptrs;
	ctx.n_groups = a->n_seat_groups;
	ctx.allowed = allowed;
	ctx.n_allowed = n;
	/* an exemption in force for the seat user comes before the policy (exempt.h) */
	if (agent_exempt_judge_usb(a, &e->pub.dev, e->pub.rule, e->pub.target == MNG_TARGET_ALLOW,
				   &ctx, v, d->rule, sizeof(d->rule), d->ticket,
				   sizeof(d->ticket)) == 1) {
		d->target = MNG_TARGET_ALLOW;
		d->read_only = v->read_only;
		for (i = 0; i < e->pub.dev.n_ifaces; i++)
			d->iface_allowed[i] = v->iface_allowed[i];
		snprintf(d->detail, sizeof(d->detail), "allowed by exemption, ticket \"%.64s\"",
			 d->ticket);
		goto out;
	}
	r = mng_ruleset_judge(a->rules, &e->pub.dev, &ctx, v);
	if (r < 0) {
		snprintf(d->detail, sizeof(d->detail), "judging failed (%s): blocked",
			 strerror(-r));
		goto out;
	}
	d->target = v->target == MNG_TARGET_ALLOW || v->target == MNG_TARGET_REJECT
			? v->target
			: MNG_TARGET_BLOCK;
	d->read_only = d->target == MNG_TARGET_ALLOW && v->read_only;
	for (i = 0; d->target == MNG_TARGET_ALLOW && i < e->pub.dev.n_ifaces; i++)
		d->iface_allowed[i] = v->iface_allowed[i];
	if (v->file && !a->fallback)
		snprintf(d->rule, sizeof(d->rule), "%s:%u", v->file, v->line);
	if (v->ticket)
		snprintf(d->ticket, sizeof(d->ticket), "%s", v->ticket);
	if (!e->pub.dev.descriptors_ok)
		snprintf(d->detail, sizeof(d->detail), "descriptors unreadable");
out:
	free(v);
	free(allowed);
}

static bool decision_differs(const struct agent_device *p, const struct decision *d)
{
	return p->target != d->target || p->read_only != d->read_only ||
	       memcmp(p->iface_allowed, d->iface_allowed, sizeof(p->iface_allowed)) ||
	       strcmp(p->rule, d->rule) || strcmp(p->ticket, d->ticket);
}

static void store(struct agent_device *p, const struct decision *d)
{
	p->target = d->target;
	p->read_only = d->read_only;
	memcpy(p->iface_allowed, d->iface_allowed, sizeof(p->iface_allowed));
	snprintf(p->rule, sizeof(p->rule), "%s", d->rule);
	snprintf(p->ticket, sizeof(p->ticket), "%s", d->ticket);
}

static void report_dev(struct agent *a, enum ev_type t, int prio, const struct agent_device *p,
		       const char *subject, const char *decision, const char *detail)
{
	struct event ev = {.type = t,
			   .priority = prio,
			   .subject = subject,
			   .dev = p,
			   .decision = decision,
			   .detail = detail && detail[0] ? detail : NULL,
			   .rules = -1};

	events_report(a, &ev);
}

/* Make every block device below the USB device read-only; 0 or -errno with the name. */
static int ro_children(const char *syspath, char *failed, size_t size)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *en = NULL;
	struct udev_device *parent = NULL;
	struct udev_list_entry *it;
	int r = 0;

	if (!udev)
		return -ENOMEM;
	parent = udev_device_new_from_syspath(udev, syspath);
	en = udev_enumerate_new(udev);
	if (!parent || !en) {
		r = parent ? -ENOMEM : -ENOENT;
		goto out;
	}
	if (udev_enumerate_add_match_subsystem(en, "block") < 0 ||
	    udev_enumerate_add_match_parent(en, parent) < 0 ||
	    udev_enumerate_scan_devices(en) < 0) {
		r = -EIO;
		goto out;
	}
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(en))
	{
		const char *sp = udev_list_entry_get_name(it);
		const char *name = sp ? strrchr(sp, '/') : NULL;
		int w;

		if (!name)
			continue;
		w = sysfs_block_ro(name + 1);
		if (w < 0 && r == 0) {
			r = w;
			snprintf(failed, size, "%s", name + 1);
		}
	}
out:
	udev_enumerate_unref(en);
	udev_device_unref(parent);
	udev_unref(udev);
	return r;
}

/*
 * Enforce d on e and report it (always when report, else only when the
 * enforced state changes). Returns false when e was dropped from the table.
 */
static bool enforce(struct agent *a, struct dev_entry *e, struct decision *d, const char *subject,
		    bool report)
{
	struct agent_device *p = &e->pub;
	struct sysfs_result res = {0};
	char detail[SYSFS_IFACE_NAMES_MAX + 256], failed[300] = "";
	enum ev_type t = EV_DEVICE_BLOCK;
	int prio = LOG_NOTICE, r;

	snprintf(detail, sizeof(detail), "%s", d->detail);
	if (d->target == MNG_TARGET_ALLOW) {
		r = sysfs_allow(&p->dev, d->iface_allowed, &res);
		if (r == -ESTALE || r == -ENOENT) {
			snprintf(detail, sizeof(detail),
				 "%s before it could be authorized: nothing written",
				 r == -ESTALE ? "another device took its place"
					      : "device vanished");
			d->target = MNG_TARGET_BLOCK;
			store(p, d);
			report_dev(a, EV_DEVICE_BLOCK, LOG_WARNING, p, subject, "block", detail);
			table_drop(a, e);
			return false;
		}
		if (r < 0) {
			snprintf(detail, sizeof(detail), "authorizing failed (%s): blocked",
				 strerror(-r));
			d->target = MNG_TARGET_BLOCK;
			d->read_only = false;
			memset(d->iface_allowed, 0, sizeof(d->iface_allowed));
			report = true;
			prio = LOG_ERR;
		} else if (d->read_only &&
			   (r = ro_children(p->dev.syspath, failed, sizeof(failed))) < 0) {
			(void)sysfs_block(p->dev.syspath);
			snprintf(detail, sizeof(detail),
				 "read-only mode could not be set on %s (%s): deauthorized",
				 failed[0] ? failed : "its block devices", strerror(-r));
			d->target = MNG_TARGET_BLOCK;
			d->read_only = false;
			memset(d->iface_allowed, 0, sizeof(d->iface_allowed));
			report = true;
			prio = LOG_ERR;
		} else {
			t = EV_DEVICE_ALLOW;
			snprintf(detail, sizeof(detail), "interfaces authorized: %s%s",
				 res.authorized[0] ? res.authorized : "none",
				 d->read_only ? "; mode ro: its block devices are made read-only"
					      : "");
		}
	} else if (d->target == MNG_TARGET_REJECT) {
		r = sysfs_reject(&p->dev);
		if (r == -ESTALE || r == -ENOENT) {
			snprintf(detail, sizeof(detail), "%s before it could be removed",
				 r == -ESTALE ? "another device took its place"
					      : "device vanished");
			report_dev(a, EV_DEVICE_REJECT, LOG_WARNING, p, subject, "reject", detail);
			table_drop(a, e);
			return false;
		}
		if (r < 0) {
			(void)sysfs_block(p->dev.syspath);
			snprintf(detail, sizeof(detail), "removing failed (%s): blocked",
				 strerror(-r));
			d->target = MNG_TARGET_BLOCK;
			report = true;
		} else {
			t = EV_DEVICE_REJECT;
		}
	} else {
		r = sysfs_block(p->dev.syspath);
		if (r < 0 && r != -ENOENT) {
			snprintf(detail, sizeof(detail), "%s%swriting authorized=0 failed (%s)",
				 d->detail, d->detail[0] ? "; " : "", strerror(-r));
			report = true;
			prio = LOG_ERR;
		}
	}
	if (decision_differs(p, d))
		report = true;
	store(p, d);
	if (report)
		report_dev(a, t, prio, p, subject, events_target_name(d->target), detail);
	return true;
}

/* Judge (or keep the admin's override) and enforce. */
static bool decide(struct agent *a, struct dev_entry *e, bool report)
{
	struct decision *d = calloc(1, sizeof(*d));
	bool kept;

	if (!d) {
		(void)sysfs_block(e->pub.dev.syspath);
		e->pub.target = MNG_TARGET_BLOCK;
		return true;
	}
	if (e->manual) {
		d->target = e->pub.target;
		d->read_only = e->pub.read_only;
		memcpy(d->iface_allowed, e->pub.iface_allowed, sizeof(d->iface_allowed));
		snprintf(d->rule, sizeof(d->rule), "%s", e->pub.rule);
	} else {
		judge(a, e, d);
	}
	kept = enforce(a, e, d, seat_subject(a), report);
	free(d);
	return kept;
}

static void report_removed(struct agent *a, struct dev_entry *e, const char *detail)
{
	report_dev(a, EV_DEVICE_REMOVE, LOG_INFO, &e->pub, seat_subject(a), "remove", detail);
	keylock_device_removed(a, &e->pub); /* lock on key removal */
	table_drop(a, e);
}

/* A device that cannot be read is blocked and kept in the table as unreadable. */
static void unreadable(struct agent *a, const char *syspath, int err)
{
	struct mng_device *dev = calloc(1, sizeof(*dev));
	struct dev_entry *e;
	char detail[200];
	const char *base = strrchr(syspath, '/');

	if (!dev)
		return;
	snprintf(dev->syspath, sizeof(dev->syspath), "%s", syspath);
	snprintf(dev->port, sizeof(dev->port), "%s", base ? base + 1 : syspath);
	e = find_path(a, syspath);
	if (!e)
		e = table_add(a, dev);
	free(dev);
	(void)sysfs_block(syspath);
	snprintf(detail, sizeof(detail), "device attributes unreadable (%s): blocked",
		 strerror(-err));
	if (!e) {
		struct event ev = {.type = EV_DEVICE_BLOCK,
				   .priority = LOG_WARNING,
				   .object = syspath,
				   .decision = "block",
				   .detail = detail,
				   .rules = -1};

		events_report(a, &ev);
		return;
	}
	e->pub.target = MNG_TARGET_BLOCK;
	snprintf(e->pub.rule, sizeof(e->pub.rule), "implicit");
	report_dev(a, EV_DEVICE_BLOCK, LOG_WARNING, &e->pub, seat_subject(a), "block", detail);
}

/*
 * The hash of the USB device in syspath's parent directory when the table
 * holds it (a hub plugged in before, or a root hub), so that a plug does not
 * read the parent's attributes again; NULL makes the reader fetch it from
 * sysfs (a root hub's parent, the host controller, is never in the table).
 * The entry of a device that was unreadable from the start has no hash and
 * is not used. The entry follows the parent: its removal drops it, a rescan
 * reads parents before their children, and another device at the same path
 * gets a new entry; so the hash is the one reading the parent now gives, as
 * long as the parent can still be read (a parent that turned unreadable
 * keeps the hash it was judged with, where reading it would leave the
 * parent-hash empty).
 */
static const char *known_parent_hash(const struct agent *a, const char *syspath)
{
	const char *slash = strrchr(syspath, '/');
	size_t len = slash ? (size_t)(slash - syspath) : 0;
	size_t i;

	if (!len)
		return NULL;
	for (i = 0; i < a->n_devs; i++) {
		const struct mng_device *p = &a->devs[i]->pub.dev;

		if (!strncmp(p->syspath, syspath, len) && p->syspath[len] == '\0')
			return p->hash[0] ? p->hash : NULL;
	}
	return NULL;
}

/* A usb_device is present at syspath: judge it as new, or again. */
static void present(struct agent *a, const char *syspath, bool change, bool rejudge_manual)
{
	struct mng_device *dev = calloc(1, sizeof(*dev));
	struct dev_entry *e = find_path(a, syspath);
	int r;

	if (!dev) {
		(void)sysfs_block(syspath);
		return;
	}
	r = mng_device_read_sysfs_parent(syspath, known_parent_hash(a, syspath), dev);
	if (r == -ENOENT || r == -ENODEV) {
		if (e)
			report_removed(a, e, "gone");
		goto out;
	}
	if (r < 0) {
		unreadable(a, syspath, r);
		goto out;
	}
	if (e && !same_identity(&e->pub.dev, dev)) {
		report_removed(a, e, "another device appeared at its place");
		e = NULL;
	}
	if (e) {
		e->seen = true;
		if (rejudge_manual)
			e->manual = false;
		if (change) {
			/* Only the dangerous direction: authorized behind our back. */
			if (e->pub.target != MNG_TARGET_ALLOW &&
			    sysfs_read_authorized(syspath) == 1) {
				(void)sysfs_block(syspath);
				report_dev(a, EV_DEVICE_BLOCK, LOG_WARNING, &e->pub,
					   seat_subject(a), "block",
					   "authorized by someone else: blocked again");
			}
			goto out;
		}
		e->pub.dev = *dev;
		(void)decide(a, e, false);
		goto out;
	}
	e = table_add(a, dev);
	if (!e) {
		struct event ev = {.type = EV_DEVICE_BLOCK,
				   .priority = LOG_ERR,
				   .object = syspath,
				   .decision = "block",
				   .detail = "device table full or out of memory: blocked",
				   .rules = -1};

		(void)sysfs_block(syspath);
		events_report(a, &ev);
		goto out;
	}
	e->seen = true;
	(void)decide(a, e, true);
out:
	free(dev);
}

static bool is_root_hub(const char *syspath)
{
	const char *base = strrchr(syspath, '/');

	return base && !strncmp(base + 1, "usb", 3) && base[4] >= '0' && base[4] <= '9';
}

static void hub_lock(struct agent *a, const char *path, const char *name, bool report)
{
	struct event ev = {.type = EV_HUB_LOCK, .priority = LOG_INFO, .object = name, .rules = -1};
	char detail[160];
	int r = sysfs_root_hub_lock(path);

	if (r < 0) {
		snprintf(
		    detail, sizeof(detail),
		    "setting authorized_default=0 / interface_authorized_default=0 failed (%s)",
		    strerror(-r));
		ev.priority = LOG_CRIT;
		ev.decision = "error";
		ev.detail = detail;
	} else {
		ev.decision = "ok";
		ev.detail = "authorized_default=0 interface_authorized_default=0";
	}
	if (report || r < 0)
		events_report(a, &ev);
}

void agent_device_added(struct agent *a, const char *syspath, bool change)
{
	agent_seat_refresh(a);
	/* audited when it appears; again after "bind" only when it fails */
	if (!change && is_root_hub(syspath))
		hub_lock(a, syspath, strrchr(syspath, '/') + 1, !find_path(a, syspath));
	present(a, syspath, change, false);
}

void agent_device_removed(struct agent *a, const char *syspath)
{
	size_t len = strlen(syspath), i;

	/* children first (the kernel sends theirs first too; this covers lost events) */
	for (i = a->n_devs; i-- > 0;) {
		const char *sp = a->devs[i]->pub.dev.syspath;

		if (!strncmp(sp, syspath, len) && (sp[len] == '/' || sp[len] == '\0'))
			report_removed(a, a->devs[i], NULL);
	}
}

void agent_root_hubs_lock(struct agent *a, bool report)
{
	struct dirent *de;
	DIR *d = opendir(BUS_DEVICES);

	if (!d)
		return; /* no USB at all */
	while ((de = readdir(d))) {
		char path[300];

		if (strncmp(de->d_name, "usb", 3) || de->d_name[3] < '0' || de->d_name[3] > '9' ||
		    strlen(de->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BUS_DEVICES, de->d_name);
		hub_lock(a, path, de->d_name, report);
	}
	(void)closedir(d);
}

void agent_block_added(struct agent *a, const char *syspath)
{
	struct dev_entry *best = NULL;
	size_t best_len = 0, i;
	const char *name = strrchr(syspath, '/');
	char detail[400];
	int r;

	if (!name)
		return;
	for (i = 0; i < a->n_devs; i++) {
		const char *sp = a->devs[i]->pub.dev.syspath;
		size_t l = strlen(sp);

		if (l > best_len && !strncmp(syspath, sp, l) && syspath[l] == '/') {
			best = a->devs[i];
			best_len = l;
		}
	}
	if (!best || best->pub.target != MNG_TARGET_ALLOW || !best->pub.read_only)
		return;
	r = sysfs_block_ro(name + 1);
	if (r == 0) {
		snprintf(detail, sizeof(detail), "block device %s set read-only", name + 1);
		report_dev(a, EV_DEVICE_RO, LOG_INFO, &best->pub, seat_subject(a), "ro", detail);
		return;
	}
	(void)sysfs_block(best->pub.dev.syspath);
	best->pub.target = MNG_TARGET_BLOCK;
	best->pub.read_only = false;
	memset(best->pub.iface_allowed, 0, sizeof(best->pub.iface_allowed));
	snprintf(detail, sizeof(detail), "read-only mode could not be set on %s (%s): deauthorized",
		 name + 1, strerror(-r));
	report_dev(a, EV_DEVICE_BLOCK, LOG_ERR, &best->pub, seat_subject(a), "block", detail);
}

static void tb_one(struct agent *a, const char *syspath, bool event)
{
	struct event ev = {.type = EV_THUNDERBOLT_BLOCK,
			   .priority = LOG_NOTICE,
			   .object = syspath,
			   .decision = "block",
			   .rules = -1};
	char detail[200];
	int r = sysfs_thunderbolt_block(syspath);

	if (r == -EOPNOTSUPP || r == -ENOENT)
		return; /* host router, or nothing to authorize */
	if (r == 1) {
		ev.detail = "Thunderbolt device deauthorized";
	} else if (r == 0) {
		if (!event)
			return;
		ev.detail = "Thunderbolt device left unauthorized";
	} else {
		snprintf(detail, sizeof(detail), "deauthorizing failed (%s)", strerror(-r));
		ev.priority = LOG_ERR;
		ev.decision = "error";
		ev.detail = detail;
	}
	events_report(a, &ev);
}

void agent_thunderbolt_added(struct agent *a, const char *syspath)
{
	struct dirent *de;
	DIR *d;

	if (syspath) {
		tb_one(a, syspath, true);
		return;
	}
	d = opendir(TB_DEVICES);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];

		if (de->d_name[0] == '.' || strlen(de->d_name) > 64)
			continue;
		snprintf(path, sizeof(path), "%s/%s", TB_DEVICES, de->d_name);
		tb_one(a, path, false);
	}
	(void)closedir(d);
}

int agent_rescan(struct agent *a, const char *why, bool rejudge_manual)
{
	struct event ev = {.type = EV_AGENT_RESCAN,
			   .priority = LOG_INFO,
			   .object = "usb",
			   .decision = "ok",
			   .detail = why,
			   .rules = -1};
	char **paths = NULL;
	size_t n = 0, i;
	int r;

	agent_seat_refresh(a);
	agent_root_hubs_lock(a, false);
	r = mng_device_enumerate(&paths, &n);
	if (r < 0) {
		char detail[200];

		snprintf(detail, sizeof(detail), "%s: enumerating USB devices failed (%s)", why,
			 strerror(-r));
		ev.type = EV_AGENT_ERROR;
		ev.priority = LOG_ERR;
		ev.decision = "error";
		ev.detail = detail;
		events_report(a, &ev);
		return r;
	}
	events_report(a, &ev);
	for (i = 0; i < a->n_devs; i++)
		a->devs[i]->seen = false;
	for (i = 0; i < n; i++)
		present(a, paths[i], false, rejudge_manual);
	for (i = a->n_devs; i-- > 0;)
		if (!a->devs[i]->seen)
			report_removed(a, a->devs[i], "gone (found by rescan)");
	mng_device_paths_free(paths, n);
	agent_thunderbolt_added(a, NULL);
	return 0;
}

/* The admin's decision, applied now and kept until removal or reload. */
int agent_entry_set_manual(struct agent *a, struct dev_entry *e, enum mng_target target,
			   const char *subject)
{
	struct decision *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return -ENOMEM;
	d->target = target;
	for (i = 0; target == MNG_TARGET_ALLOW && i < e->pub.dev.n_ifaces; i++)
		d->iface_allowed[i] = true;
	snprintf(d->rule, sizeof(d->rule), "manual");
	e->manual = true;
	(void)enforce(a, e, d, subject, true);
	free(d);
	return 0;
}
