// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exempt.c - the agent's exemptions (see exempt.h): redeeming tokens,
 * phone requests and responses, the login pass, the store and its records,
 * the expiry timer, and the answers devices.c, print and clipboard ask for.
 *
 * MUST: nothing is stored or applied unless every check passed: signature
 *       under a key in <trust_dir>/helpdesk/ (or the phone MAC under the
 *       terminal key for this agent's own request), terminal, user,
 *       window, lifetime cap, replay, revoked, scope.
 * MUST: a record is written (fsync'd, renamed into place) before it is
 *       applied, and a use is written before the thing it allows happens;
 *       a record that cannot be written means a refusal.
 * MUST: an exemption applies only inside its window: every answer checks
 *       the window itself, and the timer expires it (re-judging devices)
 *       even when nothing else happens.
 * MUST: every redeem, use, expiry, revocation and refusal is audited with
 *       the exemption id and ticket where they are known (and trusted).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../lib/phonecode.h"
#include "agent_int.h"
#include "device.h"
#include "events.h"
#include "exempt.h"
#include "exempt_store.h"
#include "file.h"
#include "ipc.h"
#include "loop.h"
#include "session_ops.h"

#define STORE_SUBDIR "exemptions"
#define DEFAULT_MINUTES 60
#define LOGIN_MINUTES 15

struct xent {
	struct xstore_rec r;	  /* r.e holds the (verified) exemption */
	struct mng_ruleset *rule; /* scope usb: its one rule */
	bool warned;		  /* its user was told it ends soon (session_ops_exempt_expiring) */
};

struct pending {
	bool used;
	char user[MNG_EXEMPT_USER_MAX + 1];
	struct mng_phone_request req;
	char object[MNG_EXEMPT_OBJ_MAX + 1];
	time_t made;
	unsigned wrong;
};

struct agent_exempt {
	struct xent *v[AGENT_EXEMPT_MAX];
	size_t n;
	struct pending pend[AGENT_PENDING_MAX];
	int tfd;
	char dir[MNG_CONFIG_VALUE_MAX + 32];
};

/* ---- small helpers ---- */

bool agent_exempt_user_of(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *pwp = NULL;
	char tmp[2048];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &pwp) != 0 || !pwp ||
	    strlen(pw.pw_name) >= size || strlen(pw.pw_name) > MNG_EXEMPT_USER_MAX)
		return false;
	snprintf(buf, size, "%s", pw.pw_name);
	return true;
}

static void subject_of(const struct agent_exempt_caller *by, char *buf, size_t size)
{
	char name[64];

	if (!by)
		snprintf(buf, size, "mnguardd");
	else if (agent_exempt_user_of(by->uid, name, sizeof(name)))
		snprintf(buf, size, "uid %u (%s) pid %ld", (unsigned)by->uid, name, (long)by->pid);
	else
		snprintf(buf, size, "uid %u pid %ld", (unsigned)by->uid, (long)by->pid);
}

static void object_of(const struct mng_exempt *e, char *buf, size_t size)
{
	const char *s = mng_exempt_scope_name(e->scope);

	if (e->object[0])
		snprintf(buf, size, "%s: %s", s ? s : "?", e->object);
	else
		snprintf(buf, size, "%s", s ? s : "?");
}

static void report(struct agent *a, enum ev_type t, int prio, const char *subject,
		   const char *object, const char *decision, const char *id, const char *ticket,
		   const char *detail)
{
	struct event ev = {.type = t,
			   .priority = prio,
			   .subject = subject,
			   .object = object,
			   .decision = decision,
			   .detail = detail,
			   .rules = -1,
			   .exemption = id && id[0] ? id : NULL,
			   .ticket = ticket && ticket[0] ? ticket : NULL};

	events_report(a, &ev);
}

/* Refuse: message to the caller, exemption.reject in the audit log. */
static int reject(struct agent *a, const struct agent_exempt_caller *by, const char *object,
		  const struct mng_exempt *trusted, char *msg, int code, const char *fmt, ...)
    MNG_PRINTF(7, 8);
static int reject(struct agent *a, const struct agent_exempt_caller *by, const char *object,
		  const struct mng_exempt *trusted, char *msg, int code, const char *fmt, ...)
{
	char subject[160], text[AGENT_EXEMPT_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (msg)
		snprintf(msg, AGENT_EXEMPT_MSG_MAX, "%s", text);
	subject_of(by, subject, sizeof(subject));
	report(a, EV_EXEMPT_REJECT, LOG_WARNING, subject, object, "reject",
	       trusted ? trusted->id : NULL, trusted ? trusted->ticket : NULL, text);
	return code;
}

static int machine_id(const struct agent *a, char out[33])
{
	return mng_exempt_machine_id(a->cfg.machine_id_file, out);
}

static void helpdesk_dir(const struct agent *a, char *buf, size_t size)
{
	bundle_helpdesk_dir(a, buf, size); /* a signed bundle's keys replace trust_dir's */
}

static int terminal_key(const struct agent *a, uint8_t key[32])
{
	char path[MNG_CONFIG_VALUE_MAX + 32];

	snprintf(path, sizeof(path), "%s/terminal.key", a->cfg.trust_dir);
	return mng_phone_key_read(path, MNG_FILE_TRUSTED, key);
}

static struct xent *find_id(struct agent_exempt *ex, const char *id)
{
	size_t i;

	for (i = 0; i < ex->n; i++)
		if (!strcmp(ex->v[i]->r.e.id, id))
			return ex->v[i];
	return NULL;
}

static void xent_free(struct xent *x)
{
	if (!x)
		return;
	mng_ruleset_free(&x->rule);
	xstore_rec_clear(&x->r);
	free(x);
}

static bool window_open(const struct mng_exempt *e, time_t now)
{
	return e->not_before <= (int64_t)now && (int64_t)now < e->not_after;
}

/* Whose exemption it is: the token's user, or for "*" the user who redeemed it. */
static const char *owner(const struct xent *x)
{
	return strcmp(x->r.e.user, "*") ? x->r.e.user : x->r.redeemed_by;
}

static bool in_force(const struct xent *x, time_t now)
{
	return x->r.kind != XSTORE_REVOKED_ID && x->r.state == XSTORE_ACTIVE &&
	       window_open(&x->r.e, now);
}

/* ---- the store on disk ---- */

static void record_path(const struct agent_exempt *ex, const char *id, const char *suffix,
			char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s", ex->dir, id, suffix);
}

/* Write x's record atomically: temporary file, fsync, rename, fsync of the directory. */
static int save(struct agent_exempt *ex, const struct xent *x)
{
	char tmp[sizeof(ex->dir) + 48], path[sizeof(ex->dir) + 48], *text = NULL;
	int fd = -1, dfd, r, len;
	ssize_t w;

	len = xstore_format(&x->r, &text);
	if (len < 0)
		return len;
	record_path(ex, x->r.e.id, ".tmp", tmp, sizeof(tmp));
	record_path(ex, x->r.e.id, ".ex", path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	w = write(fd, text, (size_t)len);
	if (w != len || fsync(fd) < 0) {
		r = w < 0 || w == len ? -errno : -EIO;
		(void)unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		goto out;
	}
	dfd = open(ex->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	r = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (text) {
		explicit_bzero(text, (size_t)len);
		free(text);
	}
	return r < 0 ? r : 0;
}

static void unlink_record(struct agent_exempt *ex, const char *id)
{
	char path[sizeof(ex->dir) + 48];

	record_path(ex, id, ".ex", path, sizeof(path));
	(void)unlink(path);
}

/* Remove entry i from memory and disk. */
static void drop(struct agent_exempt *ex, size_t i)
{
	struct xent *x = ex->v[i];

	unlink_record(ex, x->r.e.id);
	memmove(&ex->v[i], &ex->v[i + 1], (ex->n - i - 1) * sizeof(ex->v[0]));
	ex->n--;
	xent_free(x);
}

/* ---- the timer ---- */

/* An exemption in force whose user has not been told yet that it ends soon. */
static bool warn_pending(const struct xent *x)
{
	return !x->warned && x->r.kind != XSTORE_REVOKED_ID && x->r.state == XSTORE_ACTIVE;
}

/* Tell the users of exemptions ending within SESSION_WARN_BEFORE seconds, once each. */
static void warn_due(struct agent *a, time_t now)
{
	struct agent_exempt *ex = a->ex;
	size_t i;

	for (i = 0; i < ex->n; i++) {
		struct xent *x = ex->v[i];

		if (!warn_pending(x) || x->r.e.not_after <= (int64_t)now ||
		    x->r.e.not_after - (int64_t)now > SESSION_WARN_BEFORE)
			continue;
		x->warned = true;
		session_ops_exempt_expiring(a, &x->r.e);
	}
}

static void arm(struct agent *a)
{
	struct agent_exempt *ex = a->ex;
	struct itimerspec its = {0};
	int64_t next = 0;
	size_t i;

	if (!ex || ex->tfd < 0)
		return;
	for (i = 0; i < ex->n; i++) {
		const struct xent *x = ex->v[i];

		if (!next || x->r.e.not_after < next)
			next = x->r.e.not_after;
		/* the warning SESSION_WARN_BEFORE seconds before the end (at once when nearer) */
		if (warn_pending(x) && x->r.e.not_after - SESSION_WARN_BEFORE < next)
			next = x->r.e.not_after - SESSION_WARN_BEFORE > 0
				   ? x->r.e.not_after - SESSION_WARN_BEFORE
				   : 1;
	}
	/* an absolute wall-clock time: a clock change moves the expiry with it */
	its.it_value.tv_sec = (time_t)(next > 0 ? next : 0);
	if (next > 0 && its.it_value.tv_sec == 0)
		its.it_value.tv_nsec = 1;
	(void)timerfd_settime(ex->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * Expire everything whose window has passed: an exemption still in force
 * is audited exemption.expire; used, revoked and revoked-id records have
 * served against replay and go silently. Returns true when a USB
 * exemption in force went (devices must be judged again).
 */
static bool expire_due(struct agent *a, time_t now)
{
	struct agent_exempt *ex = a->ex;
	char object[MNG_EXEMPT_OBJ_MAX + 32], detail[160];
	bool usb = false;
	size_t i;

	for (i = ex->n; i-- > 0;) {
		struct xent *x = ex->v[i];

		if (x->r.e.not_after > (int64_t)now)
			continue;
		if (x->r.kind != XSTORE_REVOKED_ID && x->r.state == XSTORE_ACTIVE) {
			object_of(&x->r.e, object, sizeof(object));
			snprintf(detail, sizeof(detail),
				 "window closed; %" PRIu32 " of %" PRIu32 " uses left",
				 x->r.uses_left, x->r.e.uses);
			report(a, EV_EXEMPT_EXPIRE, LOG_NOTICE, owner(x), object, "expire",
			       x->r.e.id, x->r.e.ticket, detail);
			if (x->r.e.scope == MNG_EXEMPT_SCOPE_USB)
				usb = true;
		}
		drop(ex, i);
	}
	return usb;
}

static void on_timer(void *data, int fd, uint32_t revents)
{
	struct agent *a = data;
	uint64_t ticks;

	(void)revents;
	(void)!read(fd, &ticks, sizeof(ticks));
	if (expire_due(a, time(NULL)))
		(void)agent_rescan(a, "exemption expired", false);
	warn_due(a, time(NULL));
	arm(a);
}

/* ---- loading ---- */

/* Re-verify a token record: signature, terminal, lifetime; the window is left to the caller. */
static int verify_token_record(struct agent *a, struct xent *x, const char *name, char *why,
			       size_t whylen)
{
	char dir[MNG_CONFIG_VALUE_MAX + 16], mid[33], err[256] = "";
	int r;

	helpdesk_dir(a, dir, sizeof(dir));
	r = mng_exempt_verify(x->r.token, strlen(x->r.token), dir, MNG_FILE_TRUSTED, &x->r.e, err,
			      sizeof(err));
	if (r < 0) {
		snprintf(why, whylen, "the stored token no longer verifies (%s)",
			 err[0] ? err : strerror(-r));
		return -EPERM;
	}
	if (strncmp(name, x->r.e.id, MNG_EXEMPT_ID_LEN)) {
		snprintf(why, whylen, "the record's file name is not the token's id");
		return -EPERM;
	}
	if (machine_id(a, mid) < 0) {
		snprintf(why, whylen, "the machine-id cannot be read");
		return -EPERM;
	}
	r = mng_exempt_check(&x->r.e, mid, a->cfg.exemption_any_terminal, x->r.e.user, time(NULL),
			     MNG_EXEMPT_SCOPE_NONE, a->cfg.exemption_max_lifetime, err,
			     sizeof(err));
	if (r < 0 && r != -EKEYEXPIRED && r != -ETIME) {
		snprintf(why, whylen, "the stored token is not valid here (%s)", err);
		return -EPERM;
	}
	return 0;
}

static int verify_phone_record(struct agent *a, struct xent *x, const char *name, char *why,
			       size_t whylen)
{
	uint8_t key[32];
	char mac[65], err[256] = "", mid[33];
	int r;

	if (strncmp(name, x->r.e.id, MNG_EXEMPT_ID_LEN)) {
		snprintf(why, whylen, "the record's file name is not its id");
		return -EPERM;
	}
	if (terminal_key(a, key) < 0) {
		snprintf(why, whylen, "the terminal key cannot be read to check the record");
		return -EPERM;
	}
	r = xstore_phone_mac(key, &x->r.e, mac);
	explicit_bzero(key, sizeof(key));
	if (r < 0 || CRYPTO_memcmp(mac, x->r.mac, 64)) {
		snprintf(why, whylen, "the record's MAC is wrong: it was altered");
		return -EPERM;
	}
	if (machine_id(a, mid) < 0) {
		snprintf(why, whylen, "the machine-id cannot be read");
		return -EPERM;
	}
	snprintf(x->r.e.terminal, sizeof(x->r.e.terminal), "%s", mid);
	snprintf(x->r.e.by, sizeof(x->r.e.by), "phone");
	if (mng_exempt_validate(&x->r.e, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "the record holds a bad value (%s)", err);
		return -EPERM;
	}
	return 0;
}

static int parse_rule(struct xent *x)
{
	int r;

	if (x->r.e.scope != MNG_EXEMPT_SCOPE_USB)
		return 0;
	r = mng_ruleset_new(&x->rule);
	if (r < 0)
		return r;
	r = mng_ruleset_parse(x->rule, x->r.e.object, strlen(x->r.e.object), "exemption", NULL);
	if (r != 1) {
		mng_ruleset_free(&x->rule);
		return r < 0 ? r : -EINVAL;
	}
	return 0;
}

static void load_one(struct agent *a, int dfd, const char *name)
{
	struct agent_exempt *ex = a->ex;
	struct xent *x = calloc(1, sizeof(*x));
	char *buf = NULL, why[400] = "", err[200] = "", object[160];
	const char *fwhy = NULL;
	size_t len = 0;
	int r;

	if (!x)
		return;
	r = mng_file_read_at(dfd, name, XSTORE_FILE_MAX, MNG_FILE_TRUSTED, &buf, &len, &fwhy);
	if (r < 0) {
		snprintf(why, sizeof(why), "stored record %s cannot be read (%s)", name,
			 fwhy ? fwhy : strerror(-r));
		goto bad;
	}
	r = xstore_parse(buf, len, &x->r, err, sizeof(err));
	if (r < 0) {
		snprintf(why, sizeof(why), "stored record %s is damaged (%s)", name,
			 err[0] ? err : strerror(-r));
		goto bad;
	}
	if (x->r.kind == XSTORE_TOKEN)
		r = verify_token_record(a, x, name, why, sizeof(why));
	else if (x->r.kind == XSTORE_PHONE)
		r = verify_phone_record(a, x, name, why, sizeof(why));
	else
		r = strncmp(name, x->r.e.id, MNG_EXEMPT_ID_LEN) ? -EPERM : 0;
	if (r < 0) {
		if (!why[0])
			snprintf(why, sizeof(why), "stored record %s is not what it claims", name);
		goto bad;
	}
	if (parse_rule(x) < 0 || ex->n >= AGENT_EXEMPT_MAX || find_id(ex, x->r.e.id)) {
		snprintf(why, sizeof(why), "stored record %s cannot be used (rule, cap or twin)",
			 name);
		goto bad;
	}
	ex->v[ex->n++] = x;
	free(buf);
	return;
bad:
	object_of(&x->r.e, object, sizeof(object));
	report(a, EV_EXEMPT_REJECT, LOG_ERR, "mnguardd", x->r.e.scope ? object : name, "reject",
	       NULL, NULL, why);
	(void)unlinkat(dfd, name, 0);
	free(buf);
	xent_free(x);
}

static bool record_name(const char *s)
{
	size_t i;

	for (i = 0; i < MNG_EXEMPT_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return !strcmp(s + MNG_EXEMPT_ID_LEN, ".ex");
}

int agent_exempt_start(struct agent *a)
{
	struct agent_exempt *ex;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r;

	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	ex->tfd = -1;
	a->ex = ex;
	snprintf(ex->dir, sizeof(ex->dir), "%s/%s", a->cfg.state_dir, STORE_SUBDIR);
	if (mkdir(ex->dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(ex->dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	d = opendir(ex->dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (record_name(de->d_name))
			load_one(a, dirfd(d), de->d_name);
		else if (strlen(de->d_name) == MNG_EXEMPT_ID_LEN + 4 &&
			 !strcmp(de->d_name + MNG_EXEMPT_ID_LEN, ".tmp"))
			(void)unlinkat(dirfd(d), de->d_name, 0); /* a write cut short */
	}
	(void)closedir(d);
	(void)expire_due(a, time(NULL));
	ex->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ex->tfd < 0)
		return -errno;
	if (a->loop) {
		r = loop_add(a->loop, ex->tfd, EPOLLIN, on_timer, a);
		if (r < 0)
			return r;
	}
	arm(a);
	return 0;
}

void agent_exempt_free(struct agent *a)
{
	struct agent_exempt *ex = a ? a->ex : NULL;
	size_t i;

	if (!ex)
		return;
	for (i = 0; i < ex->n; i++)
		xent_free(ex->v[i]);
	if (ex->tfd >= 0) {
		if (a->loop)
			loop_del(a->loop, ex->tfd);
		(void)close(ex->tfd);
	}
	explicit_bzero(ex->pend, sizeof(ex->pend));
	free(ex);
	a->ex = NULL;
}

/* ---- taking uses ---- */

/*
 * Take one use of x for subject (persisted first) and audit it. Returns 0,
 * or -EIO when the record could not be written (the use is not given).
 */
static int take_use(struct agent *a, struct xent *x, const char *subject, const char *what)
{
	char object[MNG_EXEMPT_OBJ_MAX + 32], detail[MNG_EXEMPT_OBJ_MAX + 200];
	int r;

	if (x->r.uses_left == 0)
		return -EPERM;
	x->r.uses_left--;
	if (x->r.uses_left == 0 && x->r.e.scope != MNG_EXEMPT_SCOPE_USB)
		x->r.state = XSTORE_USED;
	r = save(a->ex, x);
	if (r < 0) {
		x->r.uses_left++;
		x->r.state = XSTORE_ACTIVE;
		return -EIO;
	}
	object_of(&x->r.e, object, sizeof(object));
	snprintf(detail, sizeof(detail), "%s; %" PRIu32 " of %" PRIu32 " uses left", what,
		 x->r.uses_left, x->r.e.uses);
	report(a, EV_EXEMPT_USE, LOG_NOTICE, subject, object, "use", x->r.e.id, x->r.e.ticket,
	       detail);
	return 0;
}

int agent_exempt_find(struct agent *a, enum mng_exempt_scope scope, const char *user,
		      const char *object, bool consume, struct agent_exempt_hit *ret)
{
	struct agent_exempt *ex = a ? a->ex : NULL;
	time_t now = time(NULL);
	size_t i;

	if (!ex || !user || !ret || scope == MNG_EXEMPT_SCOPE_NONE || scope == MNG_EXEMPT_SCOPE_USB)
		return ex ? -EINVAL : 0;
	if (!object)
		object = "";
	for (i = 0; i < ex->n; i++) {
		struct xent *x = ex->v[i];

		if (!in_force(x, now) || x->r.e.scope != scope || x->r.uses_left == 0 ||
		    strcmp(owner(x), user) || strcmp(x->r.e.object, object))
			continue;
		if (consume && take_use(a, x, user, object[0] ? object : "used") < 0)
			return -EIO;
		snprintf(ret->id, sizeof(ret->id), "%s", x->r.e.id);
		snprintf(ret->ticket, sizeof(ret->ticket), "%s", x->r.e.ticket);
		return 1;
	}
	return 0;
}

static bool knows_device(const struct xent *x, const char *hash)
{
	size_t i;

	for (i = 0; i < x->r.n_devices; i++)
		if (!strcmp(x->r.devices[i], hash))
			return true;
	return false;
}

/* Keep the hash of a device the exemption allowed (the oldest goes when full). */
static void remember_device(struct xent *x, const char *hash)
{
	if (!hash[0] || strlen(hash) > XSTORE_HASH_MAX || knows_device(x, hash))
		return;
	if (x->r.n_devices == XSTORE_DEVICES_MAX) {
		memmove(x->r.devices[0], x->r.devices[1],
			(XSTORE_DEVICES_MAX - 1) * sizeof(x->r.devices[0]));
		x->r.n_devices--;
	}
	snprintf(x->r.devices[x->r.n_devices++], sizeof(x->r.devices[0]), "%s", hash);
}

int agent_exempt_judge_usb(struct agent *a, const struct mng_device *dev, const char *cur_rule,
			   bool cur_allowed, const struct mng_judge_ctx *ctx, struct mng_verdict *v,
			   char *rule, size_t rulesize, char *ticket, size_t ticketsize)
{
	struct agent_exempt *ex = a ? a->ex : NULL;
	time_t now = time(NULL);
	char mine[MNG_EXEMPT_ID_LEN + 16], what[300];
	size_t i;

	if (!ex || !ctx || !ctx->user || !dev->descriptors_ok)
		return 0;
	for (i = 0; i < ex->n; i++) {
		struct xent *x = ex->v[i];
		bool already;

		if (!in_force(x, now) || x->r.e.scope != MNG_EXEMPT_SCOPE_USB || !x->rule ||
		    strcmp(owner(x), ctx->user))
			continue;
		if (mng_ruleset_judge(x->rule, dev, ctx, v) < 0 || v->target != MNG_TARGET_ALLOW ||
		    !v->file)
			continue;
		snprintf(mine, sizeof(mine), "exemption:%s", x->r.e.id);
		already = cur_allowed && cur_rule && !strcmp(cur_rule, mine);
		/* a use is a device: the same stick plugged again, or after a restart, is not new
		 */
		if (!already && dev->hash[0])
			already = knows_device(x, dev->hash);
		if (!already) {
			remember_device(x, dev->hash);
			snprintf(what, sizeof(what), "device %04x:%04x serial \"%.64s\" at %.64s",
				 dev->vendor, dev->product, dev->serial, dev->port);
			if (take_use(a, x, ctx->user, what) < 0)
				continue;
		}
		snprintf(rule, rulesize, "%s", mine);
		snprintf(ticket, ticketsize, "%s", x->r.e.ticket);
		return 1;
	}
	return 0;
}

/* ---- redeeming ---- */

/* token without its ASCII whitespace (mail and terminals wrap it), malloc'd; NULL on ENOMEM. */
static char *compact_token(const char *token)
{
	char *out = malloc(strlen(token) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *token; token++)
		if (!strchr(" \t\r\n\v\f", *token))
			*o++ = *token;
	*o = '\0';
	return out;
}

/* The caller's user name, or a refusal. */
static int caller_user(struct agent *a, const struct agent_exempt_caller *by, char *user,
		       size_t size, char *msg)
{
	if (!agent_exempt_user_of(by->uid, user, size))
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "your user name cannot be found (uid %u)", (unsigned)by->uid);
	return 0;
}

/*
 * Verify token text for user (NULL: any; "*" tokens are then the caller's
 * to claim) and scope want; *e filled on success. Refusals are audited.
 */
static int verify_token(struct agent *a, const char *text, const char *user,
			enum mng_exempt_scope want, const struct agent_exempt_caller *by,
			struct mng_exempt *e, char *msg)
{
	char dir[MNG_CONFIG_VALUE_MAX + 16], err[300] = "", mid[33];
	size_t len = strlen(text);
	int r;

	helpdesk_dir(a, dir, sizeof(dir));
	if (len > MNG_EXEMPT_TEXT_MAX)
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the token is too large (%zu bytes; at most %d)", len,
			      MNG_EXEMPT_TEXT_MAX);
	r = mng_exempt_verify(text, len, dir, MNG_FILE_TRUSTED, e, err, sizeof(err));
	switch (r) {
	case 0:
		break;
	case -E2BIG:
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the token is too large (at most %d bytes)", MNG_EXEMPT_TEXT_MAX);
	case -EBADMSG:
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the token is damaged or incomplete: %s", err[0] ? err : "bad form");
	case -ENOKEY:
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the token was not signed by a trusted help desk key");
	case -EKEYREJECTED:
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the token's signature is wrong: it was altered or forged");
	default:
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the help desk keys cannot be read (%s): no token can be checked",
			      err[0] ? err : strerror(-r));
	}
	if (machine_id(a, mid) < 0)
		return reject(a, by, NULL, e, msg, -EPERM,
			      "this terminal's machine-id cannot be read (%s)",
			      a->cfg.machine_id_file);
	r = mng_exempt_check(e, mid, a->cfg.exemption_any_terminal, user, time(NULL), want,
			     a->cfg.exemption_max_lifetime, err, sizeof(err));
	if (r == -EKEYEXPIRED)
		return reject(a, by, NULL, e, msg, -EPERM, "the exemption has expired (%s)", err);
	if (r == -ETIME)
		return reject(a, by, NULL, e, msg, -EPERM, "the exemption is not valid yet (%s)",
			      err);
	if (r < 0)
		return reject(a, by, NULL, e, msg, -EPERM, "the exemption does not apply: %s",
			      err[0] ? err : strerror(-r));
	return 0;
}

/* Replay and revoked: is id free to be stored? */
static int check_fresh(struct agent *a, const struct mng_exempt *e,
		       const struct agent_exempt_caller *by, char *msg)
{
	struct xent *x = find_id(a->ex, e->id);

	if (!x)
		return 0;
	if (x->r.state == XSTORE_REVOKED || x->r.kind == XSTORE_REVOKED_ID)
		return reject(a, by, NULL, e, msg, -EPERM, "the exemption %s was revoked", e->id);
	return reject(a, by, NULL, e, msg, -EPERM,
		      "the exemption %s was already redeemed: a token works once (replay refused)",
		      e->id);
}

/* Room for one more record: drop records whose window passed, else -EBUSY. */
static int make_room(struct agent *a, const struct agent_exempt_caller *by,
		     const struct mng_exempt *e, char *msg)
{
	if (a->ex->n < AGENT_EXEMPT_MAX && expire_due(a, time(NULL)))
		(void)agent_rescan(a, "exemption expired", false);
	if (a->ex->n >= AGENT_EXEMPT_MAX) {
		(void)expire_due(a, time(NULL));
		if (a->ex->n >= AGENT_EXEMPT_MAX)
			return reject(a, by, NULL, e, msg, -EBUSY,
				      "the exemption store is full (%d records)", AGENT_EXEMPT_MAX);
	}
	return 0;
}

/*
 * Store x (its record written first), audit exemption.redeem, arm the timer
 * and apply it. x is owned by the store on success, freed on failure.
 */
static int store_and_apply(struct agent *a, struct xent *x, const struct agent_exempt_caller *by,
			   char *msg)
{
	char subject[160], object[MNG_EXEMPT_OBJ_MAX + 32], detail[700], until[32];
	int r;

	r = parse_rule(x);
	if (r < 0) {
		r = reject(a, by, NULL, &x->r.e, msg, -EPERM,
			   "the exemption's USB rule cannot be used");
		xent_free(x);
		return r;
	}
	r = save(a->ex, x);
	if (r < 0) {
		unlink_record(a->ex, x->r.e.id);
		r = reject(a, by, NULL, &x->r.e, msg, -EIO,
			   "the exemption cannot be stored (%s): nothing was applied",
			   strerror(-r));
		xent_free(x);
		return r;
	}
	a->ex->v[a->ex->n++] = x;
	subject_of(by, subject, sizeof(subject));
	object_of(&x->r.e, object, sizeof(object));
	if (mng_ipc_time_format((time_t)x->r.e.not_after, until, sizeof(until)) < 0)
		snprintf(until, sizeof(until), "%" PRId64, x->r.e.not_after);
	snprintf(detail, sizeof(detail),
		 "%s for user %s until %s, %" PRIu32 " uses; issuer %s%s, operator \"%s\"; "
		 "reason \"%s\"",
		 xstore_kind_name(x->r.kind), x->r.e.user, until, x->r.e.uses,
		 x->r.kind == XSTORE_TOKEN ? "key " : "", x->r.e.kid[0] ? x->r.e.kid : "phone",
		 x->r.e.by, x->r.e.reason);
	report(a, EV_EXEMPT_REDEEM, LOG_NOTICE, subject, object, "redeem", x->r.e.id, x->r.e.ticket,
	       detail);
	arm(a);
	if (x->r.e.scope == MNG_EXEMPT_SCOPE_USB)
		(void)agent_rescan(a, "exemption redeemed", false);
	return 0;
}

int agent_exempt_redeem(struct agent *a, const char *token, const struct agent_exempt_caller *by,
			char ret_id[MNG_EXEMPT_ID_LEN + 1], char *msg)
{
	char user[MNG_EXEMPT_USER_MAX + 1];
	struct xent *x;
	int r;

	if (!a->ex)
		return reject(a, by, NULL, NULL, msg, -EIO, "the exemption store is not available");
	r = caller_user(a, by, user, sizeof(user), msg);
	if (r < 0)
		return r;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->r.token = compact_token(token);
	if (!x->r.token) {
		xent_free(x);
		return -ENOMEM;
	}
	r = verify_token(a, x->r.token, user, MNG_EXEMPT_SCOPE_NONE, by, &x->r.e, msg);
	if (r < 0)
		goto fail;
	if (x->r.e.scope == MNG_EXEMPT_SCOPE_LOGIN) {
		r = reject(a, by, NULL, &x->r.e, msg, -EPERM,
			   "a login token is a temporary access pass: paste it at the login "
			   "prompt instead");
		goto fail;
	}
	if (!strcmp(x->r.e.user, "*")) {
		agent_seat_refresh(a);
		if (strcmp(a->seat_user, user)) {
			r = reject(a, by, NULL, &x->r.e, msg, -EPERM,
				   "a token for any user (\"*\") can only be redeemed by the user "
				   "at the seat");
			goto fail;
		}
	}
	r = check_fresh(a, &x->r.e, by, msg);
	if (r == 0)
		r = make_room(a, by, &x->r.e, msg);
	if (r < 0)
		goto fail;
	x->r.kind = XSTORE_TOKEN;
	x->r.state = XSTORE_ACTIVE;
	x->r.uses_left = x->r.e.uses;
	x->r.redeemed = time(NULL);
	snprintf(x->r.redeemed_by, sizeof(x->r.redeemed_by), "%s", user);
	snprintf(ret_id, MNG_EXEMPT_ID_LEN + 1, "%s", x->r.e.id);
	return store_and_apply(a, x, by, msg);
fail:
	xent_free(x);
	return r;
}

/* ---- phone requests ---- */

static void pending_purge(struct agent_exempt *ex, time_t now)
{
	size_t i;

	for (i = 0; i < AGENT_PENDING_MAX; i++)
		if (ex->pend[i].used &&
		    (now - ex->pend[i].made > AGENT_PENDING_TTL || now < ex->pend[i].made))
			memset(&ex->pend[i], 0, sizeof(ex->pend[i]));
}

/* A free slot for user: the user's oldest goes past the per-user cap; NULL when all are taken. */
static struct pending *pending_slot(struct agent_exempt *ex, const char *user)
{
	struct pending *oldest = NULL, *free_slot = NULL;
	size_t i, mine = 0;

	for (i = 0; i < AGENT_PENDING_MAX; i++) {
		struct pending *p = &ex->pend[i];

		if (!p->used) {
			if (!free_slot)
				free_slot = p;
			continue;
		}
		if (strcmp(p->user, user))
			continue;
		mine++;
		if (!oldest || p->made < oldest->made)
			oldest = p;
	}
	if (mine >= AGENT_PENDING_PER_USER && oldest) {
		memset(oldest, 0, sizeof(*oldest));
		return oldest;
	}
	return free_slot;
}

/* The most recently seen device that is blocked now (the one the user just plugged in). */
static const struct dev_entry *last_blocked(const struct agent *a)
{
	size_t i;

	for (i = a->n_devs; i-- > 0;)
		if (a->devs[i]->pub.target != MNG_TARGET_ALLOW &&
		    a->devs[i]->pub.dev.descriptors_ok)
			return a->devs[i];
	return NULL;
}

/* The USB rule a phone exemption for device e holds: this very device, read-only. */
static int device_rule(const struct dev_entry *e, char *buf, size_t size)
{
	struct mng_device *copy = malloc(sizeof(*copy));
	char *rule = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	*copy = e->pub.dev;
	copy->parent_hash[0] = '\0';
	copy->port[0] = '\0';
	r = mng_device_format_rule(copy, "allow", &rule);
	free(copy);
	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, size, "%s mode ro", rule) >= size)
		r = -E2BIG;
	free(rule);
	return r;
}

static int make_request(struct agent *a, const char *user, enum mng_exempt_scope scope,
			const char *object, uint32_t minutes, uint32_t uses,
			const struct agent_exempt_caller *by, char *code, size_t codesize,
			char *msg)
{
	struct agent_exempt *ex = a->ex;
	struct pending *p;
	uint8_t key[32];
	char subject[160], detail[200], obj[MNG_EXEMPT_OBJ_MAX + 32];
	int r;

	if (terminal_key(a, key) < 0)
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "this terminal has no phone key (%s/terminal.key): phone codes "
			      "cannot be used here",
			      a->cfg.trust_dir);
	explicit_bzero(key, sizeof(key));
	pending_purge(ex, time(NULL));
	p = pending_slot(ex, user);
	if (!p)
		return reject(a, by, NULL, NULL, msg, -EBUSY,
			      "too many phone requests are waiting; try again later");
	r = mng_phone_request_new(scope, minutes, uses, object, &p->req);
	if (r == 0)
		r = mng_phone_request_encode(&p->req, code, codesize);
	if (r < 0) {
		memset(p, 0, sizeof(*p));
		return reject(a, by, NULL, NULL, msg, -EINVAL, "the request cannot be made (%s)",
			      strerror(-r));
	}
	p->used = true;
	p->made = time(NULL);
	snprintf(p->user, sizeof(p->user), "%s", user);
	snprintf(p->object, sizeof(p->object), "%s", object ? object : "");
	subject_of(by, subject, sizeof(subject));
	snprintf(obj, sizeof(obj), "%s%s%s", mng_exempt_scope_name(scope), p->object[0] ? ": " : "",
		 p->object);
	snprintf(detail, sizeof(detail),
		 "phone request for user %s: %" PRIu32 " minutes, %" PRIu32 " uses, code %s", user,
		 minutes, uses, code);
	report(a, EV_EXEMPT_REQUEST, LOG_NOTICE, subject, obj, "request", NULL, NULL, detail);
	return 0;
}

int agent_exempt_request(struct agent *a, const struct agent_exempt_ask *ask,
			 const struct agent_exempt_caller *by, char *code, size_t codesize,
			 char *object, size_t objsize, char *msg)
{
	char user[64], obj[MNG_EXEMPT_OBJ_MAX + 1] = "";
	uint32_t minutes = ask->minutes ? ask->minutes : DEFAULT_MINUTES;
	uint32_t uses = ask->uses ? ask->uses : 1;
	const struct dev_entry *e = NULL;
	int r;

	if (!a->ex)
		return reject(a, by, NULL, NULL, msg, -EIO, "the exemption store is not available");
	r = caller_user(a, by, user, sizeof(user), msg);
	if (r < 0)
		return r;
	minutes = (minutes + MNG_PHONE_MINUTES_STEP - 1) / MNG_PHONE_MINUTES_STEP *
		  MNG_PHONE_MINUTES_STEP;
	if ((int64_t)minutes * 60 > a->cfg.exemption_max_lifetime ||
	    minutes > MNG_PHONE_MINUTES_MAX)
		return reject(a, by, NULL, NULL, msg, -EINVAL,
			      "%" PRIu32 " minutes is longer than this terminal allows (%ld)",
			      minutes, a->cfg.exemption_max_lifetime / 60);
	if (uses < 1 || uses > MNG_PHONE_USES_MAX)
		return reject(a, by, NULL, NULL, msg, -EINVAL,
			      "a phone request may ask for 1 to %d uses", MNG_PHONE_USES_MAX);
	switch (ask->scope) {
	case MNG_EXEMPT_SCOPE_USB:
		e = ask->has_device ? agent_entry_by_id(a, ask->device) : last_blocked(a);
		if (!e && ask->has_device)
			return reject(a, by, NULL, NULL, msg, -ENOENT, "no device with id %" PRIu32,
				      ask->device);
		if (!e)
			return reject(
			    a, by, NULL, NULL, msg, -ENOENT,
			    "no blocked USB device is plugged in (or name one: --device ID)");
		if (!e->pub.dev.descriptors_ok || e->pub.target == MNG_TARGET_ALLOW)
			return reject(a, by, NULL, NULL, msg, -EINVAL,
				      "device %" PRIu32 " is allowed already or unreadable",
				      e->pub.id);
		if (device_rule(e, obj, sizeof(obj)) < 0)
			return reject(a, by, NULL, NULL, msg, -EINVAL,
				      "no rule can be written for device %" PRIu32, e->pub.id);
		break;
	case MNG_EXEMPT_SCOPE_PRINT:
		if (!ask->printer || !ask->printer[0] || strlen(ask->printer) > 127)
			return reject(a, by, NULL, NULL, msg, -EINVAL,
				      "a print request names the printer (--printer QUEUE)");
		snprintf(obj, sizeof(obj), "%s", ask->printer);
		break;
	case MNG_EXEMPT_SCOPE_CLIPBOARD:
		break;
	default:
		return reject(a, by, NULL, NULL, msg, -EINVAL,
			      "a login pass is requested at the login prompt");
	}
	r = make_request(a, user, ask->scope, obj, minutes, uses, by, code, codesize, msg);
	if (r == 0 && object)
		snprintf(object, objsize, "%s", obj);
	return r;
}

/*
 * Check response against user's pending requests of login (want_login) or
 * other scopes. 0 with *ret set to the matching request (taken out of the
 * table); -EBADMSG malformed (err says which group); -EPERM no match.
 */
static int match_pending(struct agent *a, const char *user, bool want_login, const char *response,
			 const char *ticket, struct pending *ret, char *err, size_t errlen)
{
	struct agent_exempt *ex = a->ex;
	uint8_t key[32];
	bool any = false;
	size_t i;
	int r, rc = -ENOENT;

	pending_purge(ex, time(NULL));
	if (terminal_key(a, key) < 0) {
		snprintf(err, errlen, "this terminal has no phone key");
		return -EPERM;
	}
	for (i = 0; i < AGENT_PENDING_MAX; i++) {
		struct pending *p = &ex->pend[i];

		if (!p->used || strcmp(p->user, user) ||
		    (p->req.scope == MNG_EXEMPT_SCOPE_LOGIN) != want_login)
			continue;
		any = true;
		r = mng_phone_response_check(key, &p->req, user, ticket, response, err, errlen);
		if (r == 0) {
			*ret = *p;
			memset(p, 0, sizeof(*p));
			rc = 0;
			break;
		}
		if (r == -EBADMSG || r == -EINVAL) {
			rc = -EBADMSG;
			break;
		}
		rc = -EPERM;
		if (++p->wrong >= AGENT_PENDING_TRIES)
			memset(p, 0, sizeof(*p));
	}
	explicit_bzero(key, sizeof(key));
	if (!any) {
		snprintf(err, errlen, "you have no phone request waiting for a response");
		return -ENOENT;
	}
	return rc;
}

/* A stored exemption from an answered phone request. */
static int phone_entry(struct agent *a, const struct pending *p, const char *ticket,
		       struct xent **ret, char *err, size_t errlen)
{
	struct xent *x = calloc(1, sizeof(*x));
	uint8_t key[32];
	time_t now = time(NULL);
	int r;

	if (!x)
		return -ENOMEM;
	r = mng_exempt_id_new(x->r.e.id);
	if (r == 0)
		r = machine_id(a, x->r.e.terminal);
	if (r < 0)
		goto fail;
	x->r.kind = XSTORE_PHONE;
	x->r.state = XSTORE_ACTIVE;
	x->r.e.issued = x->r.e.not_before = now;
	x->r.e.not_after = now + (int64_t)p->req.minutes * 60;
	snprintf(x->r.e.user, sizeof(x->r.e.user), "%s", p->user);
	x->r.e.scope = p->req.scope;
	snprintf(x->r.e.object, sizeof(x->r.e.object), "%s", p->object);
	x->r.e.uses = p->req.uses;
	x->r.uses_left = p->req.uses;
	snprintf(x->r.e.ticket, sizeof(x->r.e.ticket), "%s", ticket);
	snprintf(x->r.e.by, sizeof(x->r.e.by), "phone");
	x->r.redeemed = now;
	snprintf(x->r.redeemed_by, sizeof(x->r.redeemed_by), "%s", p->user);
	r = mng_exempt_validate(&x->r.e, err, errlen);
	if (r < 0)
		goto fail;
	r = terminal_key(a, key);
	if (r == 0)
		r = xstore_phone_mac(key, &x->r.e, x->r.mac);
	explicit_bzero(key, sizeof(key));
	if (r < 0)
		goto fail;
	*ret = x;
	return 0;
fail:
	xent_free(x);
	return r < 0 ? r : -EINVAL;
}

int agent_exempt_enter(struct agent *a, const char *response, const char *ticket,
		       const struct agent_exempt_caller *by, char ret_id[MNG_EXEMPT_ID_LEN + 1],
		       char *msg)
{
	char user[64], err[300] = "";
	struct pending p;
	struct xent *x = NULL;
	int r;

	if (!a->ex)
		return reject(a, by, NULL, NULL, msg, -EIO, "the exemption store is not available");
	r = caller_user(a, by, user, sizeof(user), msg);
	if (r < 0)
		return r;
	r = match_pending(a, user, false, response, ticket, &p, err, sizeof(err));
	if (r == -EBADMSG)
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the response code was misheard or mistyped: %s", err);
	if (r == -ENOENT)
		return reject(a, by, NULL, NULL, msg, -ENOENT, "%s", err);
	if (r < 0)
		return reject(a, by, NULL, NULL, msg, -EPERM,
			      "the response code does not answer your request for ticket \"%s\" "
			      "(after %d wrong answers a request is cancelled)",
			      ticket, AGENT_PENDING_TRIES);
	r = phone_entry(a, &p, ticket, &x, err, sizeof(err));
	if (r < 0)
		return reject(a, by, NULL, NULL, msg, -EPERM, "the exemption cannot be made: %s",
			      err[0] ? err : strerror(-r));
	r = make_room(a, by, &x->r.e, msg);
	if (r < 0) {
		xent_free(x);
		return r;
	}
	snprintf(ret_id, MNG_EXEMPT_ID_LEN + 1, "%s", x->r.e.id);
	return store_and_apply(a, x, by, msg);
}

/* ---- revoking ---- */

int agent_exempt_revoke(struct agent *a, const char *id, const struct agent_exempt_caller *by,
			char *msg)
{
	char subject[160], object[MNG_EXEMPT_OBJ_MAX + 32];
	struct xent *x;
	int r;

	if (!a->ex)
		return reject(a, by, NULL, NULL, msg, -EIO, "the exemption store is not available");
	subject_of(by, subject, sizeof(subject));
	x = find_id(a->ex, id);
	if (x && (x->r.state == XSTORE_REVOKED || x->r.kind == XSTORE_REVOKED_ID)) {
		snprintf(msg, AGENT_EXEMPT_MSG_MAX, "exemption %s is revoked already", id);
		return -ENOENT;
	}
	if (!x) {
		/* not redeemed (yet): remember the id so that it never can be */
		r = make_room(a, by, NULL, msg);
		if (r < 0)
			return r;
		x = calloc(1, sizeof(*x));
		if (!x)
			return -ENOMEM;
		x->r.kind = XSTORE_REVOKED_ID;
		x->r.state = XSTORE_REVOKED;
		snprintf(x->r.e.id, sizeof(x->r.e.id), "%s", id);
		x->r.e.not_after = (int64_t)time(NULL) + AGENT_REVOKED_KEEP;
		r = save(a->ex, x);
		if (r < 0) {
			xent_free(x);
			snprintf(msg, AGENT_EXEMPT_MSG_MAX, "the revocation cannot be stored (%s)",
				 strerror(-r));
			return -EIO;
		}
		a->ex->v[a->ex->n++] = x;
		report(a, EV_EXEMPT_REVOKE, LOG_NOTICE, subject, "not redeemed", "revoke", id, NULL,
		       "id revoked before it was redeemed: it will be refused");
		arm(a);
		return 0;
	}
	x->r.state = XSTORE_REVOKED;
	r = save(a->ex, x);
	if (r < 0) {
		x->r.state = XSTORE_ACTIVE;
		snprintf(msg, AGENT_EXEMPT_MSG_MAX, "the revocation cannot be stored (%s)",
			 strerror(-r));
		return -EIO;
	}
	object_of(&x->r.e, object, sizeof(object));
	report(a, EV_EXEMPT_REVOKE, LOG_NOTICE, subject, object, "revoke", x->r.e.id, x->r.e.ticket,
	       "revoked: undone now");
	if (x->r.e.scope == MNG_EXEMPT_SCOPE_USB)
		(void)agent_rescan(a, "exemption revoked", false);
	return 0;
}

/* ---- the login pass ---- */

static void audit_pass(struct agent *a, const char *user, const struct xent *x)
{
	char detail[200];

	snprintf(detail, sizeof(detail), "key-less login with a temporary access pass (%s)",
		 xstore_kind_name(x->r.kind));
	report(a, EV_LOGIN_PASS, LOG_NOTICE, user, "login", "ok", x->r.e.id, x->r.e.ticket, detail);
}

int agent_exempt_login_request(struct agent *a, const char *user,
			       const struct agent_exempt_caller *by, char *code, size_t codesize,
			       char *msg)
{
	if (!a->ex)
		return reject(a, by, "login", NULL, msg, -EIO,
			      "the exemption store is not available");
	if (by->uid != 0)
		return reject(a, by, "login", NULL, msg, -EPERM,
			      "only root (the PAM module) may ask for a login pass");
	if (!a->cfg.login_pass)
		return reject(a, by, "login", NULL, msg, -EPERM,
			      "the temporary access pass is turned off (login_pass = no)");
	return make_request(a, user, MNG_EXEMPT_SCOPE_LOGIN, "", LOGIN_MINUTES, 1, by, code,
			    codesize, msg);
}

int agent_exempt_login_pass(struct agent *a, const char *user, const char *secret,
			    const char *ticket, const struct agent_exempt_caller *by, char *msg)
{
	char err[300] = "";
	struct mng_exempt e;
	struct pending p;
	struct xent *x = NULL;
	size_t i;
	int r;

	if (!a->ex)
		return reject(a, by, "login", NULL, msg, -EIO,
			      "the exemption store is not available");
	if (by->uid != 0)
		return reject(a, by, "login", NULL, msg, -EPERM,
			      "only root (the PAM module) may check a login pass");
	if (!a->cfg.login_pass)
		return reject(a, by, "login", NULL, msg, -EPERM,
			      "the temporary access pass is turned off (login_pass = no)");
	for (i = 0; secret[i] == ' ' || secret[i] == '\t' || secret[i] == '\n'; i++)
		;
	if (!strncmp(secret + i, "mngx1", 5)) {
		char *tok = compact_token(secret);

		if (!tok)
			return -ENOMEM;
		r = verify_token(a, tok, user, MNG_EXEMPT_SCOPE_LOGIN, by, &e, msg);
		if (r < 0 || find_id(a->ex, e.id)) {
			explicit_bzero(tok, strlen(tok));
			free(tok);
		}
		if (r < 0)
			return r;
		x = find_id(a->ex, e.id);
		if (x) {
			if (x->r.kind == XSTORE_REVOKED_ID || x->r.state == XSTORE_REVOKED)
				return reject(a, by, "login", &e, msg, -EPERM,
					      "the login pass %s was revoked", e.id);
			if (!in_force(x, time(NULL)) || x->r.uses_left == 0)
				return reject(a, by, "login", &e, msg, -EPERM,
					      "the login pass %s is used up (replay refused)",
					      e.id);
			if (take_use(a, x, user, "key-less login") < 0)
				return reject(a, by, "login", &e, msg, -EIO,
					      "the use cannot be recorded: login refused");
			audit_pass(a, user, x);
			return 0;
		}
		r = make_room(a, by, &e, msg);
		if (r < 0) {
			free(tok);
			return r;
		}
		x = calloc(1, sizeof(*x));
		if (!x) {
			free(tok);
			return -ENOMEM;
		}
		x->r.e = e;
		x->r.kind = XSTORE_TOKEN;
		x->r.token = tok;
	} else {
		if (!ticket || !ticket[0])
			return reject(a, by, "login", NULL, msg, -EPERM,
				      "a response code needs the ticket the help desk read out");
		r = match_pending(a, user, true, secret, ticket, &p, err, sizeof(err));
		if (r < 0)
			return reject(
			    a, by, "login", NULL, msg, -EPERM, "the response code was refused: %s",
			    r == -EBADMSG || r == -ENOENT ? err : "it does not answer the request");
		r = phone_entry(a, &p, ticket, &x, err, sizeof(err));
		if (r < 0)
			return reject(a, by, "login", NULL, msg, -EPERM,
				      "the login pass cannot be made: %s", err);
		r = make_room(a, by, &x->r.e, msg);
		if (r < 0) {
			xent_free(x);
			return r;
		}
	}
	x->r.state = XSTORE_ACTIVE;
	x->r.uses_left = x->r.e.uses;
	x->r.redeemed = time(NULL);
	snprintf(x->r.redeemed_by, sizeof(x->r.redeemed_by), "%s", user);
	r = store_and_apply(a, x, by, msg);
	if (r < 0)
		return r;
	if (take_use(a, x, user, "key-less login") < 0)
		return reject(a, by, "login", &x->r.e, msg, -EIO,
			      "the use cannot be recorded: login refused");
	audit_pass(a, user, x);
	return 0;
}

/* ---- listing ---- */

static bool visible(const struct xent *x, const struct agent_exempt_caller *by, const char *user)
{
	if (by->admin)
		return true;
	return x->r.kind != XSTORE_REVOKED_ID && user &&
	       (!strcmp(x->r.e.user, user) || !strcmp(x->r.redeemed_by, user));
}

int agent_exempt_visible(struct agent *a, const struct agent_exempt_caller *by, size_t from,
			 struct agent_exempt_view *ret)
{
	struct agent_exempt *ex = a->ex;
	char user[64];
	bool known = agent_exempt_user_of(by->uid, user, sizeof(user));
	size_t i;

	for (i = from; ex && i < ex->n; i++) {
		const struct xent *x = ex->v[i];

		if (!visible(x, by, known ? user : NULL))
			continue;
		ret->e = &x->r.e;
		ret->kind = xstore_kind_name(x->r.kind);
		ret->state = xstore_state_name(x->r.state);
		ret->uses_left = x->r.uses_left;
		ret->redeemed = x->r.redeemed;
		ret->redeemed_by = x->r.redeemed_by;
		return (int)i;
	}
	return -ENOENT;
}

size_t agent_exempt_visible_count(struct agent *a, const struct agent_exempt_caller *by)
{
	struct agent_exempt_view v;
	size_t n = 0;
	int i = -1;

	while ((i = agent_exempt_visible(a, by, (size_t)(i + 1), &v)) >= 0)
		n++;
	return n;
}
