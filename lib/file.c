// SPDX-License-Identifier: GPL-2.0-or-later
/* file.c - bounded, checked file reading (see file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

static int check_trusted(const struct stat *st, const char **why)
{
	if (st->st_uid != 0) {
		*why = "not owned by root";
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		*why = "writable by group or others";
		return -EPERM;
	}
	return 0;
}

int mng_file_read_fd(int fd, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len,
		     const char **why)
{
	const char *dummy;
	struct stat st;
	char *buf = NULL;
	size_t len = 0, alloc;
	int r;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (fstat(fd, &st) < 0) {
		*why = "cannot stat";
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		*why = "is a directory";
		return -EISDIR;
	}
	if (flags & MNG_FILE_TRUSTED) {
		if (!S_ISREG(st.st_mode)) {
			*why = "not a regular file";
			return -EINVAL;
		}
		r = check_trusted(&st, why);
		if (r < 0)
			return r;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > cap) {
		*why = "file too large";
		return -EFBIG;
	}
	/* Size from fstat is only a hint: the file may grow, and pipes have none. */
	alloc = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	if (alloc > cap + 1)
		alloc = cap + 1;
	buf = malloc(alloc);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= alloc) {
			size_t nalloc = alloc * 2;
			char *nb;

			if (len >= cap) {
				/* One more byte tells whether the input really exceeds the cap. */
				char c;

				n = read(fd, &c, 1);
				if (n == 0)
					break;
				free(buf);
				*why = n < 0 ? "read error" : "file too large";
				return n < 0 ? -errno : -EFBIG;
			}
			if (nalloc > cap + 1)
				nalloc = cap + 1;
			nb = realloc(buf, nalloc);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			alloc = nalloc;
		}
		n = read(fd, buf + len, alloc - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			*why = "read error";
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int mng_file_read_at(int dirfd, const char *name, size_t cap, unsigned flags, char **ret_buf,
		     size_t *ret_len, const char **why)
{
	const char *dummy;
	int fd, r, oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (flags & MNG_FILE_TRUSTED)
		oflags |= O_NOFOLLOW | O_NONBLOCK;
	fd = openat(dirfd, name, oflags);
	if (fd < 0) {
		r = -errno;
		*why = r == -ELOOP ? "is a symbolic link" : "cannot open";
		return r;
	}
	r = mng_file_read_fd(fd, cap, flags, ret_buf, ret_len, why);
	(void)close(fd);
	return r;
}

int mng_file_read(const char *path, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len,
		  const char **why)
{
	if (path[0] == '-' && path[1] == '\0') {
		if (flags & MNG_FILE_TRUSTED) {
			if (why)
				*why = "standard input cannot be trusted";
			return -EPERM;
		}
		return mng_file_read_fd(STDIN_FILENO, cap, flags, ret_buf, ret_len, why);
	}
	return mng_file_read_at(AT_FDCWD, path, cap, flags, ret_buf, ret_len, why);
}
