/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * file.h - bounded, checked file reading.
 *
 * MUST: a file read with MNG_FILE_TRUSTED is opened with O_NOFOLLOW and the
 *       checks run on the already-open descriptor (no check-then-open race):
 *       regular file, owned by root, not writable by group or others, no
 *       larger than the cap. A file failing any check is not read at all.
 */
#ifndef MNG_FILE_H
#define MNG_FILE_H

#include <stddef.h>

enum {
	MNG_FILE_TRUSTED = 1 << 0, /* root-owned, not group/other-writable, no symlink */
};

/*
 * mng_file_read - read the whole of path (at most cap bytes) into a new
 * NUL-terminated buffer. *ret_buf is malloc'd and owned by the caller;
 * *ret_len excludes the terminating NUL (the content may itself hold NULs).
 * path "-" reads standard input (never with MNG_FILE_TRUSTED).
 * Errors: -EFBIG over the cap, -ELOOP symlink (trusted), -EPERM wrong owner
 * or mode (trusted), -EISDIR / -EINVAL not a regular file, other -errno
 * from the system. *why, when not NULL, is set to a short English reason.
 */
int mng_file_read(const char *path, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len,
		  const char **why);

/*
 * mng_file_read_fd - the same for an already-open descriptor (not closed).
 * The trusted checks apply to the descriptor.
 */
int mng_file_read_fd(int fd, size_t cap, unsigned flags, char **ret_buf, size_t *ret_len,
		     const char **why);

/*
 * mng_file_read_at - like mng_file_read, for name relative to dirfd (which
 * may be AT_FDCWD). "-" is not special here.
 */
int mng_file_read_at(int dirfd, const char *name, size_t cap, unsigned flags, char **ret_buf,
		     size_t *ret_len, const char **why);

#endif
