// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy.c - loading the rules directory, the built-in fallback policy,
 * and the rule file that `mnguardctl allow-device --permanent` extends.
 *
 * MUST: a policy is swapped in only when every file of it parsed (the
 *       caller keeps the old ruleset on any error here).
 * MUST: a rules directory with no rule file at all is an error, not an
 *       empty policy: an empty policy would block every keyboard.
 * MUST: 90-mnguardctl.rules is replaced atomically (temporary file in the
 *       same directory, fsync, rename, fsync of the directory), is root's,
 *       mode 0644, and its new content is parsed before it is put in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "file.h"
#include "rulesload.h"

#define FALLBACK_NAME "(built-in fallback policy)"

/*
 * The policy in force when rules_dir cannot be loaded at start: hubs keep
 * their hub interface, keyboards (03:*:01) and mice (03:*:02) keep those
 * interfaces and nothing else; every other device is blocked. HID defines
 * subclasses 00 (no boot interface) and 01 (boot interface) only, and the
 * rule language has no pattern with a wildcard subclass and a fixed
 * protocol, so both subclasses are spelled out.
 */
static const char fallback_text[] =
    "allow with-interface match-all { 09:*:* } allow-interface 09:*:*\n"
    "allow with-interface one-of { 03:00:01 03:01:01 03:00:02 03:01:02 }"
    " allow-interface { 03:00:01 03:01:01 03:00:02 03:01:02 }\n"
    "block\n";

int policy_fallback(struct mng_ruleset **ret)
{
	struct mng_ruleset *rs = NULL;
	int r;

	r = mng_ruleset_new(&rs);
	if (r < 0)
		return r;
	r = mng_ruleset_parse(rs, fallback_text, strlen(fallback_text), FALLBACK_NAME, NULL);
	if (r < 0) {
		mng_ruleset_free(&rs);
		return r;
	}
	*ret = rs;
	return 0;
}

void policy_diags_join(const struct mng_diags *d, char *err, size_t errlen)
{
	size_t i, o = 0;

	if (!errlen)
		return;
	err[0] = '\0';
	for (i = 0; i < d->n && o + 1 < errlen; i++) {
		const struct mng_diag *e = &d->v[i];
		int n;

		if (e->line && e->col)
			n = snprintf(err + o, errlen - o, "%s%s:%u:%u: %s", o ? "\n" : "", e->file,
				     e->line, e->col, e->msg);
		else if (e->line)
			n = snprintf(err + o, errlen - o, "%s%s:%u: %s", o ? "\n" : "", e->file,
				     e->line, e->msg);
		else
			n = snprintf(err + o, errlen - o, "%s%s: %s", o ? "\n" : "", e->file,
				     e->msg);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (o >= errlen)
		o = errlen - 1;
	if ((i < d->n || d->dropped) && o + 32 < errlen)
		snprintf(err + o, errlen - o, "\n(%zu more)", d->n - i + d->dropped);
}

int policy_load(const struct agent *a, struct mng_ruleset **ret, struct bundle_loaded *info,
		char *err, size_t errlen)
{
	struct mng_diags diags = {0};
	struct mng_ruleset *rs = NULL;
	struct bundle_loaded bl;
	int r, signed_files;

	if (errlen)
		err[0] = '\0';
	r = mng_ruleset_new(&rs);
	if (r < 0)
		return r;
	/* a signed bundle's rules come first; with require_signed_policy, alone */
	signed_files = r = bundle_policy_load(a, NULL, &bl, rs, &diags);
	if (r >= 0 && !a->cfg.require_signed_policy) {
		r = mng_rules_load(rs, a->cfg.rules_dir, MNG_FILE_TRUSTED, &diags);
		if (signed_files > 0 && (r == -ENOENT || r == 0))
			r = 1; /* the bundle alone is a policy */
	}
	if (r == 0) {
		mng_diags_add(&diags, a->cfg.rules_dir, 0, 0, "no *.rules file in the directory");
		r = -EINVAL;
	}
	if (r < 0 || mng_diags_count(&diags)) {
		if (mng_diags_count(&diags) == 0)
			mng_diags_add(&diags, a->cfg.rules_dir, 0, 0, "cannot load (%s)",
				      strerror(-r));
		policy_diags_join(&diags, err, errlen);
		mng_diags_clear(&diags);
		mng_ruleset_free(&rs);
		return r < 0 ? r : -EINVAL;
	}
	mng_diags_clear(&diags);
	if (info)
		*info = bl;
	*ret = rs;
	return (int)mng_ruleset_count(rs);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int policy_append_rule(const struct agent *a, const char *rule, const char *who, char *err,
		       size_t errlen)
{
	struct mng_ruleset *check = NULL;
	char tmpname[64], stamp[32], *old = NULL, *text = NULL;
	const char *why = NULL;
	size_t oldlen = 0, len;
	struct tm tm;
	time_t now = time(NULL);
	int dfd, fd = -1, r;

	dfd = open(a->cfg.rules_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open the rules directory (%s)", a->cfg.rules_dir,
			 strerror(-r));
		return r;
	}
	r = mng_file_read_at(dfd, AGENT_RULE_FILE, MNG_RULES_FILE_MAX, MNG_FILE_TRUSTED, &old,
			     &oldlen, &why);
	if (r == -ENOENT) {
		oldlen = 0;
	} else if (r < 0) {
		snprintf(err, errlen, "%s/%s: %s (%s)", a->cfg.rules_dir, AGENT_RULE_FILE,
			 why ? why : "cannot read", strerror(-r));
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	len = oldlen + strlen(rule) + strlen(who) + 128;
	text = malloc(len);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	r = snprintf(text, len, "%.*s%s# added by %s at %s\n%s\n", (int)oldlen, old ? old : "",
		     oldlen && old[oldlen - 1] != '\n' ? "\n" : "", who, stamp, rule);
	if (r < 0 || (size_t)r >= len) {
		r = -EOVERFLOW;
		goto out;
	}
	len = (size_t)r;
	/* Never write a file that would make the next reload fail. */
	r = mng_ruleset_new(&check);
	if (r == 0)
		r = mng_ruleset_parse(check, text, len, AGENT_RULE_FILE, NULL);
	mng_ruleset_free(&check);
	if (r < 0) {
		snprintf(err, errlen, "the new rule does not parse: %s", rule);
		r = -EINVAL;
		goto out;
	}
	snprintf(tmpname, sizeof(tmpname), ".%s.%ld.tmp", AGENT_RULE_FILE, (long)getpid());
	(void)unlinkat(dfd, tmpname, 0);
	fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot create a temporary file (%s)", a->cfg.rules_dir,
			 strerror(-r));
		goto out;
	}
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && renameat(dfd, tmpname, dfd, AGENT_RULE_FILE) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmpname, 0);
		snprintf(err, errlen, "%s/%s: cannot write (%s)", a->cfg.rules_dir, AGENT_RULE_FILE,
			 strerror(-r));
		goto out;
	}
	(void)fsync(dfd);
	r = 0;
out:
	free(old);
	free(text);
	(void)close(dfd);
	return r;
}
