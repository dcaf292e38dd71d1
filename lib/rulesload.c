// SPDX-License-Identifier: GPL-2.0-or-later
/* rulesload.c - load rule files and rules.d directories (see rulesload.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "rulesload.h"

/* Read one file (from fd when fd >= 0, else name relative to dirfd) and parse it. */
static int load_one(struct mng_ruleset *rs, int fd, int dirfd, const char *name, const char *shown,
		    unsigned flags, struct mng_diags *diags)
{
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (fd >= 0)
		r = mng_file_read_fd(fd, MNG_RULES_FILE_MAX, flags, &buf, &len, &why);
	else
		r = mng_file_read_at(dirfd, name, MNG_RULES_FILE_MAX, flags, &buf, &len, &why);
	if (r < 0) {
		mng_diags_add(diags, shown, 0, 0, "%s (%s)", why ? why : "cannot read",
			      strerror(-r));
		return -EINVAL;
	}
	r = mng_ruleset_parse(rs, buf, len, shown, diags);
	free(buf);
	return r < 0 ? -EINVAL : 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_rules_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 6 && !strcmp(n + l - 6, ".rules");
}

static int load_dir(struct mng_ruleset *rs, int dfd, const char *path, unsigned flags,
		    struct mng_diags *diags)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int r = 0, fd2;
	DIR *d;

	fd2 = dup(dfd);
	if (fd2 < 0)
		return -errno;
	d = fdopendir(fd2);
	if (!d) {
		r = -errno;
		(void)close(fd2);
		return r;
	}
	names = calloc(MNG_RULES_DIR_MAX, sizeof(*names));
	if (!names) {
		(void)closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		if (!is_rules_name(de->d_name))
			continue;
		if (n == MNG_RULES_DIR_MAX) {
			mng_diags_add(diags, path, 0, 0, "more than %u rule files",
				      MNG_RULES_DIR_MAX);
			r = -EINVAL;
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	(void)closedir(d);
	if (r == 0) {
		qsort(names, n, sizeof(*names), cmp_names);
		for (i = 0; i < n; i++) {
			size_t pl = strlen(path) + strlen(names[i]) + 2;
			char *shown = malloc(pl);

			if (!shown) {
				r = -ENOMEM;
				break;
			}
			snprintf(shown, pl, "%s%s%s", path,
				 path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
			if (load_one(rs, -1, dfd, names[i], shown, flags, diags) < 0)
				r = -EINVAL; /* keep going: report every file's errors */
			free(shown);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r < 0 ? r : (int)n;
}

int mng_rules_load(struct mng_ruleset *rs, const char *path, unsigned flags,
		   struct mng_diags *diags)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
			    ((flags & MNG_FILE_TRUSTED) ? O_NOFOLLOW : 0));
	if (fd < 0) {
		r = -errno;
		mng_diags_add(diags, path, 0, 0, "cannot open (%s)", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = load_one(rs, fd, -1, path, path, flags, diags);
		(void)close(fd);
		return r < 0 ? r : 1;
	}
	if ((flags & MNG_FILE_TRUSTED) && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		(void)close(fd);
		mng_diags_add(
		    diags, path, 0, 0,
		    "directory not trusted (must be root-owned, not group/other-writable)");
		return -EINVAL;
	}
	r = load_dir(rs, fd, path, flags, diags);
	(void)close(fd);
	if (r == -ENOMEM)
		mng_diags_add(diags, path, 0, 0, "out of memory");
	return r < 0 ? -EINVAL : r;
}
