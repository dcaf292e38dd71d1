// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bundle_install.c - signed policy bundles on the terminal: installing one
 * (mnguardctl policy install, IPC op policy-install) and loading the policy
 * of the installed one (policy_load).
 *
 * Layout under <state_dir>/policy/:
 *     bundle        the installed bundle as signed (the commit point)
 *     <N>/          its files: rules.d/NAME.rules, trust/helpdesk/NAME.pub and
 *                   mnguard.conf, N being its version
 * The policy in force, while a bundle is installed, is the bundle's rule
 * files in path order, then (unless require_signed_policy) the *.rules of
 * rules_dir. The bundle's help desk keys, when it has any, replace
 * <trust_dir>/helpdesk for exemptions. mnguard.conf in a bundle is
 * installed beside the rules; mnguardd reads its configuration only from
 * its --config file.
 *
 * MUST: a bundle is acted on only after mng_bundle_verify accepted it under
 *       a key of <trust_dir>/policy/; any refusal is audited with its reason.
 * MUST: a version lower than the installed one is refused (no rollback),
 *       the same version is a no-op; the installed version is read from
 *       the stored bundle, never from memory alone, so a terminal in
 *       fallback cannot be rolled back either.
 * MUST: the new files are written to a new directory, fsync'd and renamed
 *       into place; the policy in force is kept until the new one loaded
 *       whole, and the stored bundle (the commit point) is replaced last.
 * MUST: every installed rule file is checked against the SHA-256 of the
 *       verified manifest each time it is loaded; with
 *       require_signed_policy no other rule file is loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_int.h"
#include "bundle.h"
#include "events.h"
#include "exempt.h"
#include "file.h"
#include "mng.h"
#include "rulesload.h"
#include "sha256.h"

#define PATH_MAX_AGENT 512

static void policy_subdir(const struct agent *a, char *buf, size_t size)
{
	snprintf(buf, size, "%s/policy", a->cfg.state_dir);
}

static void trust_subdir(const struct agent *a, const char *which, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", a->cfg.trust_dir, which);
}

void bundle_helpdesk_dir(const struct agent *a, char *buf, size_t size)
{
	if (a->bundle_version && a->bundle_keys)
		snprintf(buf, size, "%s/policy/%" PRIu64 "/trust/helpdesk", a->cfg.state_dir,
			 a->bundle_version);
	else
		trust_subdir(a, "helpdesk", buf, size);
}

/* Read and verify the installed bundle. -ENOENT when none is installed. */
static int read_installed(const struct agent *a, bool verify, struct mng_bundle **ret, char *err,
			  size_t errlen)
{
	char path[PATH_MAX_AGENT], pol[PATH_MAX_AGENT], hd[PATH_MAX_AGENT], *buf = NULL;
	const char *why = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/policy/bundle", a->cfg.state_dir);
	r = mng_file_read(path, MNG_BUNDLE_MAX, MNG_FILE_TRUSTED, &buf, &len, &why);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s (%s)", path, why ? why : "cannot read", strerror(-r));
		return r;
	}
	trust_subdir(a, "policy", pol, sizeof(pol));
	trust_subdir(a, "helpdesk", hd, sizeof(hd));
	if (verify)
		r = mng_bundle_verify(buf, len, pol, hd, MNG_FILE_TRUSTED, ret, err, errlen);
	else
		r = mng_bundle_parse(buf, len, ret, err, errlen);
	free(buf);
	if (r < 0 && r != -ENOMEM) {
		char tmp[AGENT_ERROR_MAX / 2];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
		return r == -ENOENT ? -ENOKEY : r;
	}
	return r;
}

/* Whether the SHA-256 of buf is that of a rules file of b. */
static bool in_manifest(const struct mng_bundle *b, const char *buf, size_t len)
{
	uint8_t d[MNG_SHA256_LEN];
	size_t i;

	if (mng_sha256(buf, len, d) < 0)
		return false;
	for (i = 0; i < b->n_files; i++)
		if (b->files[i].kind == MNG_BUNDLE_KIND_RULES &&
		    !memcmp(b->files[i].sha256, d, sizeof(d)))
			return true;
	return false;
}

/* The *.rules files of rules_dir that are not byte for byte a file of b. */
static void scan_unsigned(const struct agent *a, const struct mng_bundle *b,
			  struct bundle_loaded *info)
{
	struct dirent *de;
	size_t o = 0, seen = 0;
	DIR *d;
	int dfd;

	dfd = open(a->cfg.rules_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		(void)close(dfd);
		return;
	}
	while ((de = readdir(d)) && seen < MNG_RULES_DIR_MAX) {
		size_t nl = strlen(de->d_name), len = 0;
		char *buf = NULL;
		bool ok;

		if (de->d_name[0] == '.' || nl < 7 || strcmp(de->d_name + nl - 6, ".rules"))
			continue;
		seen++;
		ok = b &&
		     mng_file_read_at(dirfd(d), de->d_name, MNG_RULES_FILE_MAX, MNG_FILE_TRUSTED,
				      &buf, &len, NULL) == 0 &&
		     in_manifest(b, buf, len);
		free(buf);
		if (ok)
			continue;
		info->n_unsigned++;
		if (o + nl + 4 < sizeof(info->unsigned_files)) {
			int n = snprintf(info->unsigned_files + o, sizeof(info->unsigned_files) - o,
					 "%s\"%s\"", o ? " " : "", de->d_name);

			o += n > 0 ? (size_t)n : 0;
		}
	}
	closedir(d);
}

/* Parse b's rule files from tree into rs, each checked against its SHA-256. */
static int load_tree(const struct mng_bundle *b, const char *tree, struct mng_ruleset *rs,
		     struct mng_diags *diags)
{
	uint8_t d[MNG_SHA256_LEN];
	char name[PATH_MAX_AGENT + MNG_BUNDLE_PATH_MAX + 2];
	size_t i;
	int dfd, bad = 0;

	dfd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		mng_diags_add(diags, tree, 0, 0, "the installed bundle's files are missing (%s)",
			      strerror(errno));
		return -ENOENT;
	}
	for (i = 0; i < b->n_files; i++) {
		const struct mng_bundle_file *f = &b->files[i];
		const char *why = NULL;
		char *buf = NULL;
		size_t len = 0;
		int r;

		if (f->kind != MNG_BUNDLE_KIND_RULES)
			continue;
		snprintf(name, sizeof(name), "%s/%s", tree, f->path);
		r = mng_file_read_at(dfd, f->path, MNG_BUNDLE_FILE_MAX, MNG_FILE_TRUSTED, &buf,
				     &len, &why);
		if (r < 0) {
			mng_diags_add(diags, name, 0, 0, "%s (%s)", why ? why : "cannot read",
				      strerror(-r));
			bad++;
			continue;
		}
		if (mng_sha256(buf, len, d) < 0 || memcmp(d, f->sha256, sizeof(d))) {
			mng_diags_add(
			    diags, name, 0, 0,
			    "SHA-256 differs from the signed bundle's manifest: not loaded");
			bad++;
		} else if (mng_ruleset_parse(rs, buf, len, name, diags) < 0) {
			bad++;
		}
		free(buf);
	}
	(void)close(dfd);
	return bad ? -EINVAL : 0;
}

int bundle_policy_load(const struct agent *a, const struct mng_bundle *cand,
		       struct bundle_loaded *info, struct mng_ruleset *rs, struct mng_diags *diags)
{
	struct mng_bundle *inst = NULL;
	const struct mng_bundle *b = cand;
	char tree[PATH_MAX_AGENT], err[1024] = "";
	size_t i;
	int r;

	memset(info, 0, sizeof(*info));
	if (!b) {
		r = read_installed(a, true, &inst, err, sizeof(err));
		if (r == -ENOENT) {
			if (!a->cfg.require_signed_policy)
				return 0;
			scan_unsigned(a, NULL, info);
			mng_diags_add(diags, a->cfg.rules_dir, 0, 0,
				      "require_signed_policy is set and no signed policy bundle is "
				      "installed (mnguardctl policy install)");
			return -ENOKEY;
		}
		if (r < 0) {
			mng_diags_add(diags, a->cfg.state_dir, 0, 0, "%s", err);
			return r;
		}
		b = inst;
	}
	snprintf(tree, sizeof(tree), "%s/policy/%" PRIu64, a->cfg.state_dir, b->version);
	r = load_tree(b, tree, rs, diags);
	if (r == 0) {
		info->version = b->version;
		memcpy(info->kid, b->kid, sizeof(info->kid));
		for (i = 0; i < b->n_files; i++)
			info->keys |= b->files[i].kind == MNG_BUNDLE_KIND_HELPDESK_KEY;
		if (a->cfg.require_signed_policy)
			scan_unsigned(a, b, info);
		r = 1;
	}
	mng_bundle_free(&inst);
	return r;
}

/* ---- writing ---- */

static int write_file_at(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
	const uint8_t *p = data;
	int fd, r = 0;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Remove name under dfd and everything below it (our own layout: depth <= 3). */
static void remove_tree(int dfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT || depth > 4)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/*
 * Remove every entry of the policy directory but the stored bundle and the
 * tree named keep: the previous version, and what an install cut short by
 * a crash left behind.
 */
static void sweep(int pfd, const char *keep)
{
	char names[64][32];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int fd;

	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)) && n < MNG_ARRAY_SIZE(names)) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "bundle") || !strcmp(de->d_name, keep) ||
		    strlen(de->d_name) >= sizeof(names[0]))
			continue;
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		remove_tree(pfd, names[i], 0);
	(void)fsync(pfd);
}

static int mkdir_sync(int dfd, const char *name, int *ret_fd)
{
	int fd;

	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Write b's files into <pdir>/<tmp>/..., every file and directory fsync'd. */
static int write_tree(int pfd, const char *tmp, const struct mng_bundle *b)
{
	int root = -1, rules = -1, trust = -1, hd = -1, r;
	size_t i;

	r = mkdir_sync(pfd, tmp, &root);
	if (r == 0)
		r = mkdir_sync(root, "rules.d", &rules);
	if (r == 0)
		r = mkdir_sync(root, "trust", &trust);
	if (r == 0)
		r = mkdir_sync(trust, "helpdesk", &hd);
	for (i = 0; r == 0 && i < b->n_files; i++) {
		const struct mng_bundle_file *f = &b->files[i];
		int dfd = f->kind == MNG_BUNDLE_KIND_RULES	    ? rules
			  : f->kind == MNG_BUNDLE_KIND_HELPDESK_KEY ? hd
								    : root;

		r = write_file_at(dfd, f->name, f->data, f->size, f->mode);
	}
	if (r == 0 && (fsync(rules) < 0 || fsync(hd) < 0 || fsync(trust) < 0 || fsync(root) < 0))
		r = -errno;
	if (hd >= 0)
		(void)close(hd);
	if (trust >= 0)
		(void)close(trust);
	if (rules >= 0)
		(void)close(rules);
	if (root >= 0)
		(void)close(root);
	return r;
}

/* Replace <pdir>/bundle with the bytes of b: temporary file, fsync, rename, fsync. */
static int commit(int pfd, const struct mng_bundle *b)
{
	int r;

	(void)unlinkat(pfd, ".bundle.tmp", 0);
	r = write_file_at(pfd, ".bundle.tmp", b->raw, b->raw_len, 0600);
	if (r == 0 && renameat(pfd, ".bundle.tmp", pfd, "bundle") < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(pfd, ".bundle.tmp", 0);
	else if (fsync(pfd) < 0)
		r = -errno;
	return r;
}

/* ---- agent.h ---- */

static void report(struct agent *a, enum ev_type t, int prio, const char *subject,
		   const char *decision, const char *detail)
{
	char obj[PATH_MAX_AGENT];
	struct event ev = {.type = t,
			   .priority = prio,
			   .subject = subject,
			   .object = obj,
			   .decision = decision,
			   .detail = detail,
			   .rules = (long)mng_ruleset_count(a->rules)};

	policy_subdir(a, obj, sizeof(obj));
	events_report(a, &ev);
}

/* Refuse: audit policy.bundle.reject with the reason, and say it to the caller. */
static int refuse(struct agent *a, const char *subject, int r, char *msg, size_t msglen,
		  const char *fmt, ...) MNG_PRINTF(6, 7);
static int refuse(struct agent *a, const char *subject, int r, char *msg, size_t msglen,
		  const char *fmt, ...)
{
	char *text = malloc(AGENT_ERROR_MAX);
	va_list ap;

	if (!text)
		return -ENOMEM;
	va_start(ap, fmt);
	(void)vsnprintf(text, AGENT_ERROR_MAX, fmt, ap);
	va_end(ap);
	report(a, EV_POLICY_BUNDLE_REJECT, LOG_WARNING, subject, "reject", text);
	snprintf(msg, msglen, "%s", text);
	free(text);
	return r;
}

void bundle_loaded_apply(struct agent *a, const struct bundle_loaded *info)
{
	char detail[sizeof(info->unsigned_files) + MNG_CONFIG_VALUE_MAX + 160];

	a->bundle_version = info->version;
	memcpy(a->bundle_kid, info->kid, sizeof(a->bundle_kid));
	a->bundle_keys = info->keys;
	if (!info->n_unsigned)
		return;
	snprintf(detail, sizeof(detail),
		 "require_signed_policy: %zu rule file(s) of %s not in the signed bundle, not "
		 "loaded: %s",
		 info->n_unsigned, a->cfg.rules_dir, info->unsigned_files);
	report(a, EV_POLICY_UNSIGNED, LOG_WARNING, NULL, "ignore", detail);
}

int agent_policy_install(struct agent *a, int fd, const char *subject, char *msg, size_t msglen,
			 uint64_t *ret_version)
{
	struct mng_bundle *b = NULL, *old = NULL;
	struct mng_ruleset *rs = NULL;
	struct mng_diags diags = {0};
	struct bundle_loaded info;
	char pdir[PATH_MAX_AGENT], pol[PATH_MAX_AGENT], hd[PATH_MAX_AGENT], tmp[64], name[32];
	char *buf = NULL, *err = NULL, detail[256];
	const char *why = NULL;
	uint64_t installed = 0;
	struct stat st;
	size_t len = 0;
	int r, pfd = -1;

	if (msglen)
		msg[0] = '\0';
	err = calloc(1, AGENT_ERROR_MAX);
	if (!err)
		return -ENOMEM;
	/* a regular file only: a pipe or socket could keep the agent waiting */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = refuse(a, subject, -EINVAL, msg, msglen,
			   "the bundle must be passed as an open regular file");
		goto out;
	}
	r = mng_file_read_fd(fd, MNG_BUNDLE_MAX, 0, &buf, &len, &why);
	if (r < 0) {
		r = refuse(a, subject, r == -EFBIG ? -EINVAL : r, msg, msglen,
			   "cannot read the bundle: %s", why ? why : strerror(-r));
		goto out;
	}
	trust_subdir(a, "policy", pol, sizeof(pol));
	trust_subdir(a, "helpdesk", hd, sizeof(hd));
	r = mng_bundle_verify(buf, len, pol, hd, MNG_FILE_TRUSTED, &b, err, AGENT_ERROR_MAX);
	if (r < 0) {
		r = refuse(a, subject, r == -ENOMEM ? r : -EPERM, msg, msglen, "bundle refused: %s",
			   err);
		goto out;
	}
	snprintf(detail, sizeof(detail), "version %" PRIu64 " kid %s, %zu files", b->version,
		 b->kid, b->n_files);
	report(a, EV_POLICY_BUNDLE_VERIFY, LOG_INFO, subject, "ok", detail);
	*ret_version = b->version;
	r = read_installed(a, false, &old, err, AGENT_ERROR_MAX);
	if (r < 0 && r != -ENOENT) {
		r = refuse(a, subject, -EIO, msg, msglen,
			   "version %" PRIu64 ": the installed bundle cannot be read, so no "
			   "rollback check is possible: %s",
			   b->version, err);
		goto out;
	}
	installed = old ? old->version : 0;
	if (b->version < installed) {
		r = refuse(a, subject, -EINVAL, msg, msglen,
			   "version %" PRIu64 " kid %s is older than the installed version %" PRIu64
			   ": no rollback",
			   b->version, b->kid, installed);
		goto out;
	}
	if (b->version == installed) {
		snprintf(msg, msglen, "version %" PRIu64 " is already installed: nothing changed%s",
			 installed,
			 a->bundle_version == installed ? ""
							: " (it is not in force: "
							  "see mnguardctl status)");
		r = 0;
		goto out;
	}
	/* write the new files next to the old ones */
	policy_subdir(a, pdir, sizeof(pdir));
	if (mkdir(pdir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		r = refuse(a, subject, r, msg, msglen, "version %" PRIu64 ": %s: %s", b->version,
			   pdir, strerror(-r));
		goto out;
	}
	pfd = open(pdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		r = -errno;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".new-%" PRIu64, b->version);
	snprintf(name, sizeof(name), "%" PRIu64, b->version);
	remove_tree(pfd, tmp, 0);
	r = write_tree(pfd, tmp, b);
	if (r == 0) {
		remove_tree(pfd, name, 0); /* left by an install that did not commit */
		if (renameat(pfd, tmp, pfd, name) < 0 || fsync(pfd) < 0)
			r = -errno;
	}
	if (r < 0) {
		remove_tree(pfd, tmp, 0);
		r = refuse(a, subject, -EIO, msg, msglen,
			   "version %" PRIu64 ": cannot write %s: %s", b->version, pdir,
			   strerror(-r));
		goto out;
	}
	/* the new policy must load whole before anything else changes */
	r = mng_ruleset_new(&rs);
	if (r == 0) {
		r = bundle_policy_load(a, b, &info, rs, &diags);
		if (r >= 0 && !a->cfg.require_signed_policy) {
			int rr = mng_rules_load(rs, a->cfg.rules_dir, MNG_FILE_TRUSTED, &diags);

			if (rr < 0 && rr != -ENOENT)
				r = rr;
		}
	}
	if (r < 0 || mng_diags_count(&diags)) {
		policy_diags_join(&diags, err, AGENT_ERROR_MAX);
		remove_tree(pfd, name, 0);
		(void)fsync(pfd);
		r = refuse(a, subject, r == -ENOMEM ? r : -EINVAL, msg, msglen,
			   "version %" PRIu64 " kid %s: the policy does not load, the policy in "
			   "force is kept:\n%s",
			   b->version, b->kid, err);
		goto out;
	}
	r = commit(pfd, b);
	if (r < 0) {
		remove_tree(pfd, name, 0);
		r = refuse(a, subject, -EIO, msg, msglen,
			   "version %" PRIu64 ": cannot store the bundle: %s", b->version,
			   strerror(-r));
		goto out;
	}
	mng_ruleset_free(&a->rules);
	a->rules = rs;
	rs = NULL;
	a->fallback = false;
	a->loaded = time(NULL);
	a->error[0] = '\0';
	snprintf(detail, sizeof(detail), "version %" PRIu64 " kid %s installed (was %" PRIu64 ")",
		 b->version, b->kid, installed);
	report(a, EV_POLICY_BUNDLE_INSTALL, LOG_NOTICE, subject, "ok", detail);
	bundle_loaded_apply(a, &info);
	snprintf(detail, sizeof(detail), "%zu rules, bundle version %" PRIu64,
		 mng_ruleset_count(a->rules), b->version);
	report(a, EV_POLICY_LOAD, LOG_INFO, subject, "ok", detail);
	sweep(pfd, name);
	(void)agent_rescan(a, "policy install", true);
	snprintf(msg, msglen, "version %" PRIu64 " installed (was %" PRIu64 "): %zu rules in force",
		 b->version, installed, mng_ruleset_count(a->rules));
	r = 1;
out:
	if (pfd >= 0)
		(void)close(pfd);
	mng_diags_clear(&diags);
	mng_ruleset_free(&rs);
	mng_bundle_free(&old);
	mng_bundle_free(&b);
	free(buf);
	free(err);
	return r;
}
