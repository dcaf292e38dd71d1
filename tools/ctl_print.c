// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_print.c - mnguardctl print enforce|unenforce|status: put the print
 * gate's CUPS backend in front of the network and USB backends (mnguardctl(8),
 * PRINT).
 *
 * enforce: for each of ipp ipps http https socket lpd usb present in the
 * backend directory, the real backend is renamed NAME.real and a copy of
 * the mnguard backend takes its name, with the real one's mode (so cupsd
 * runs it as the same user: lp for 0755, root for 0700 or 0744). A name
 * that is a symlink to another of these names (Debian: http -> ipp) gets
 * NAME.real -> OTHER.real. Running it again changes nothing; a NAME that
 * is no longer the mnguard backend (a CUPS upgrade put a new real backend
 * there) becomes the new NAME.real. unenforce puts every original back.
 *
 * MUST: every replacement is a rename within the directory; the mnguard
 *       backend is written to a temporary name, fsync'd and renamed, so a
 *       name is never missing or half-written.
 * MUST: status exits non-zero unless every present name is the gate.
 * MUST: a name the mnguard package diverted (dpkg-divert --list: the real backend
 *       lives at NAME.real, where a CUPS upgrade installs it too) is the
 *       package's: enforce does not rename it and unenforce refuses it, so
 *       dpkg's records and the files always agree. Debian's cups postinst
 *       links lpd, socket and usb from ../backend-available/, so a
 *       diversion of that path counts as well.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "mng.h"

#ifndef MNG_BACKEND_PATH
#define MNG_BACKEND_PATH "/usr/local/libexec/mnguard/mnguard-backend"
#endif
#define BACKEND_DIR "/usr/lib/cups/backend"
#define BACKEND_MAX (16u << 20) /* bytes of the backend binary */
#define DPKG_DIVERT "/usr/bin/dpkg-divert"

static const char *const names[] = {"ipp", "ipps", "http", "https", "socket", "lpd", "usb"};

struct ctx {
	int dfd;
	const char *dir;
	char *diversions;    /* dpkg's diversion list, NUL-terminated; NULL when there is none */
	unsigned char *gate; /* the mnguard backend's bytes */
	size_t gate_len;
};

static bool in_set(const char *n)
{
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(names); i++)
		if (!strcmp(n, names[i]))
			return true;
	return false;
}

/* Read a whole regular file (at or in dfd) up to BACKEND_MAX. */
static int slurp(int dfd, const char *path, unsigned char **ret, size_t *ret_len)
{
	struct stat st;
	unsigned char *b;
	size_t got = 0;
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > BACKEND_MAX) {
		(void)close(fd);
		return -EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		(void)close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	(void)close(fd);
	if (got != (size_t)st.st_size) {
		free(b);
		return -EIO;
	}
	*ret = b;
	*ret_len = got;
	return 0;
}

/* Is NAME (a regular file, not a symlink) byte for byte the gate? */
static bool is_gate(const struct ctx *c, const char *name)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t n = 0;
	bool same;

	if (fstatat(c->dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (slurp(c->dfd, name, &b, &n) < 0)
		return false;
	same = n == c->gate_len && !memcmp(b, c->gate, n);
	free(b);
	return same;
}

static bool exists(const struct ctx *c, const char *name)
{
	struct stat st;

	return fstatat(c->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * Is name in the backend directory diverted by the mnguard package? The
 * list is dpkg-divert --list's: "diversion of FROM to TO by PACKAGE" lines.
 */
static bool diverted(const struct ctx *c, const char *name)
{
	char want[2][PATH_MAX + 16], parent[PATH_MAX], *slash;
	const char *p = c->diversions;

	if (!p)
		return false;
	snprintf(parent, sizeof(parent), "%s", c->dir);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(want[0], sizeof(want[0]), "diversion of %s/%s to ", c->dir, name) >=
		sizeof(want[0]) ||
	    (size_t)snprintf(want[1], sizeof(want[1]),
			     "diversion of %.3000s/backend-available/%s to ", parent,
			     name) >= sizeof(want[1]))
		return false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		int i;

		for (i = 0; i < 2; i++) {
			size_t wl = strlen(want[i]);

			if (ll > wl + 11 && !memcmp(p, want[i], wl) &&
			    !memcmp(p + ll - 11, " by mnguard", 11))
				return true;
		}
		p = nl ? nl + 1 : p + ll;
	}
	return false;
}

/* dpkg-divert --list, or NULL when there is no dpkg (nothing is diverted then). */
static char *diversion_list(void)
{
	size_t len = 0, cap = 1u << 16;
	char *buf = malloc(cap + 1);
	FILE *f;

	if (!buf || access(DPKG_DIVERT, X_OK) < 0) {
		free(buf);
		return NULL;
	}
	f = popen(DPKG_DIVERT " --list 2>/dev/null", "re");
	if (!f) {
		free(buf);
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			char *nb = cap < BACKEND_MAX ? realloc(buf, cap * 2 + 1) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	(void)pclose(f);
	buf[len] = '\0';
	return buf;
}

/* Write the gate as name with mode, through a temporary name. */
static int install_gate(const struct ctx *c, const char *name, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	size_t off = 0;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.mnguard-new", name);
	(void)unlinkat(c->dfd, tmp, 0);
	fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (off < c->gate_len) {
		ssize_t n = write(fd, c->gate + off, c->gate_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (!r && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
		r = -errno;
	(void)close(fd);
	if (!r && renameat(c->dfd, tmp, c->dfd, name) < 0)
		r = -errno;
	if (r)
		(void)unlinkat(c->dfd, tmp, 0);
	return r;
}

/* The mode cupsd should see for the gate standing in for name (the real backend's). */
static mode_t real_mode(const struct ctx *c, const char *real)
{
	struct stat st;

	if (fstatat(c->dfd, real, &st, 0) < 0)
		return 0755;
	return st.st_mode & 0755;
}

static int enforce_one(const struct ctx *c, const char *name, bool *changed)
{
	char real[NAME_MAX + 1], target[PATH_MAX], rtarget[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(real, sizeof(real), "%s.real", name);
	if (fstatat(c->dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (is_gate(c, name))
		return 0; /* already in place */
	if (diverted(c, name)) {
		fprintf(stderr,
			"mnguardctl: %s/%s is diverted by the mnguard package but is not the "
			"gate; reinstall mnguard\n",
			c->dir, name);
		return -EEXIST;
	}
	*changed = true;
	/* name is a real backend (new, or put back by an upgrade) */
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(c->dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (!strchr(target, '/') && in_set(target)) {
			snprintf(rtarget, sizeof(rtarget), "%.64s.real", target);
			(void)unlinkat(c->dfd, real, 0);
			if (symlinkat(rtarget, c->dfd, real) < 0)
				return -errno;
			return install_gate(c, name,
					    real_mode(c, exists(c, rtarget) ? rtarget : target));
		}
	}
	if (renameat(c->dfd, name, c->dfd, real) < 0)
		return -errno;
	return install_gate(c, name, real_mode(c, real));
}

static int unenforce_one(const struct ctx *c, const char *name, bool *changed)
{
	char real[NAME_MAX + 1], target[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(real, sizeof(real), "%s.real", name);
	if (fstatat(c->dfd, real, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (diverted(c, name)) {
		fprintf(stderr,
			"mnguardctl: %s/%s is the mnguard package's (dpkg-divert); remove the "
			"package to restore the real backend\n",
			c->dir, name);
		return -EPERM;
	}
	if (exists(c, name) && !is_gate(c, name)) {
		fprintf(stderr, "mnguardctl: %s/%s is not the mnguard backend; %s left alone\n",
			c->dir, name, real);
		return -EEXIST;
	}
	*changed = true;
	if (S_ISLNK(st.st_mode)) {
		size_t tl;

		n = readlinkat(c->dfd, real, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		tl = strlen(target);
		if (!strchr(target, '/') && tl > 5 && !strcmp(target + tl - 5, ".real")) {
			char tmp[NAME_MAX + 1];

			target[tl - 5] = '\0';
			snprintf(tmp, sizeof(tmp), ".%s.mnguard-old", name);
			(void)unlinkat(c->dfd, tmp, 0);
			if (symlinkat(target, c->dfd, tmp) < 0 ||
			    renameat(c->dfd, tmp, c->dfd, name) < 0)
				return -errno;
			return unlinkat(c->dfd, real, 0) < 0 ? -errno : 0;
		}
	}
	return renameat(c->dfd, real, c->dfd, name) < 0 ? -errno : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mnguardctl print enforce [--backend-dir DIR] [--backend FILE] "
		   "[--diversions FILE]\n"
		   "       mnguardctl print unenforce [--backend-dir DIR] [--backend FILE] "
		   "[--diversions FILE]\n"
		   "       mnguardctl print status [--backend-dir DIR] [--backend FILE] "
		   "[--diversions FILE]\n");
}

int ctl_print(int argc, char **argv)
{
	const char *dir = BACKEND_DIR, *gate = MNG_BACKEND_PATH, *divs = NULL, *cmd;
	struct ctx c = {.dfd = -1};
	int i, r, rc = CTL_EXIT_OK;
	size_t k;

	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	cmd = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--backend-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			gate = argv[++i];
		else if (!strcmp(argv[i], "--diversions") && i + 1 < argc)
			divs = argv[++i];
		else {
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (strcmp(cmd, "enforce") && strcmp(cmd, "unenforce") && strcmp(cmd, "status")) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	c.dir = dir;
	c.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dfd < 0) {
		fprintf(stderr, "mnguardctl: %s: %s\n", dir, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	r = slurp(AT_FDCWD, gate, &c.gate, &c.gate_len);
	if (r < 0) {
		fprintf(stderr, "mnguardctl: the mnguard backend %s: %s\n", gate, strerror(-r));
		(void)close(c.dfd);
		return CTL_EXIT_FAIL;
	}
	if (divs) {
		unsigned char *d = NULL;
		size_t dl = 0;

		if (slurp(AT_FDCWD, divs, &d, &dl) == 0) {
			d[dl] = '\0';
			c.diversions = (char *)d;
		}
	} else {
		c.diversions = diversion_list();
	}
	for (k = 0; k < MNG_ARRAY_SIZE(names); k++) {
		bool changed = false;
		char real[NAME_MAX + 1];

		snprintf(real, sizeof(real), "%s.real", names[k]);
		if (!strcmp(cmd, "status")) {
			const char *s;

			if (!exists(&c, names[k]))
				s = exists(&c, real) ? "broken (only the .real backend is there)"
						     : "absent";
			else if (is_gate(&c, names[k]))
				s = exists(&c, real) ? "enforced" : "broken (no .real backend)";
			else
				s = "not enforced";
			printf("%-7s %s%s\n", names[k], s,
			       diverted(&c, names[k]) ? " (mnguard package, dpkg-divert)" : "");
			if (strcmp(s, "enforced") && strcmp(s, "absent"))
				rc = CTL_EXIT_FAIL;
			continue;
		}
		r = !strcmp(cmd, "enforce") ? enforce_one(&c, names[k], &changed)
					    : unenforce_one(&c, names[k], &changed);
		if (r < 0) {
			fprintf(stderr, "mnguardctl: %s/%s: %s\n", dir, names[k], strerror(-r));
			rc = CTL_EXIT_FAIL;
		} else if (changed) {
			printf("%s %s\n", names[k],
			       !strcmp(cmd, "enforce") ? "now passes the print gate" : "restored");
		}
	}
	if (fsync(c.dfd) < 0 && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_FAIL;
	free(c.gate);
	free(c.diversions);
	(void)close(c.dfd);
	return rc;
}
