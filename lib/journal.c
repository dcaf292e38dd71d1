// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * journal.c - journald's native protocol (see journal.h).
 *
 * MUST: only names that pass mng_journal_name_valid are sent: a value can
 *       never forge a field of its own (newlines switch to the binary form)
 *       nor a trusted "_" field.
 * MUST: every entry is bounded (MNG_JOURNAL_FIELDS_MAX fields,
 *       MNG_JOURNAL_ENTRY_MAX bytes) before anything is allocated for it.
 * MUST: a memfd handed to journald is sealed against writing, growing and
 *       shrinking first, so its content cannot change after it was sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"

#define SNDBUF_WANT (8 << 20) /* journald raises its own receive buffer as far */
#define SEND_TIMEOUT_SEC 1    /* a journal that stops reading costs at most this */

bool mng_journal_name_valid(const char *name)
{
	size_t i;

	if (!name || !name[0] || name[0] == '_' || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= MNG_JOURNAL_NAME_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* The binary form is needed for a value holding a newline. */
static bool needs_binary(const struct mng_journal_field *f)
{
	return f->len && memchr(f->value, '\n', f->len);
}

static int entry_size(const struct mng_journal_field *f, size_t n, size_t *ret_size)
{
	size_t i, total = 0;

	if (n == 0 || !f)
		return -EINVAL;
	if (n > MNG_JOURNAL_FIELDS_MAX)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		size_t name_len, one;

		if (!mng_journal_name_valid(f[i].name) || (!f[i].value && f[i].len))
			return -EINVAL;
		if (f[i].len > MNG_JOURNAL_ENTRY_MAX)
			return -E2BIG;
		name_len = strlen(f[i].name);
		/* "NAME=value\n" or "NAME\n" + 8 length bytes + value + "\n" */
		one = name_len + f[i].len + (needs_binary(&f[i]) ? 10 : 2);
		total += one;
		if (total > MNG_JOURNAL_ENTRY_MAX)
			return -E2BIG;
	}
	*ret_size = total;
	return 0;
}

int mng_journal_encode(const struct mng_journal_field *f, size_t n, char **ret_buf, size_t *ret_len)
{
	size_t size, i, o = 0;
	char *buf;
	int r;

	r = entry_size(f, n, &size);
	if (r < 0)
		return r;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t name_len = strlen(f[i].name);

		memcpy(buf + o, f[i].name, name_len);
		o += name_len;
		if (needs_binary(&f[i])) {
			uint64_t len = f[i].len;
			int b;

			buf[o++] = '\n';
			for (b = 0; b < 8; b++)
				buf[o++] = (char)(unsigned char)(len >> (8 * b));
		} else {
			buf[o++] = '=';
		}
		if (f[i].len)
			memcpy(buf + o, f[i].value, f[i].len);
		o += f[i].len;
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	*ret_buf = buf;
	*ret_len = o;
	return 0;
}

int mng_journal_open(int *ret_fd)
{
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_SEC};
	int fd, sz = SNDBUF_WANT;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Best effort: root may pass wmem_max, anyone else gets what the system allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*ret_fd = fd;
	return 0;
}

static int fill_addr(const char *path, struct sockaddr_un *sa, socklen_t *ret_len)
{
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(sa->sun_path))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len);
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Send buf through a sealed memfd passed with SCM_RIGHTS and no payload. */
static int send_memfd(int fd, struct msghdr *mh, const char *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct cmsghdr *cm;
	int mfd, r;

	mfd = memfd_create("mnguard-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	r = write_all(mfd, buf, len);
	if (r < 0)
		goto out;
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		r = -errno;
		goto out;
	}
	memset(&control, 0, sizeof(control));
	mh->msg_iov = NULL;
	mh->msg_iovlen = 0;
	mh->msg_control = control.space;
	mh->msg_controllen = sizeof(control.space);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	r = sendmsg(fd, mh, MSG_NOSIGNAL) < 0 ? -errno : 1;
out:
	(void)close(mfd);
	return r;
}

int mng_journal_send(int fd, const char *path, const struct mng_journal_field *f, size_t n)
{
	struct sockaddr_un sa;
	struct msghdr mh = {0};
	struct iovec iov;
	socklen_t sa_len = 0;
	char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return -EBADF;
	if (path) {
		r = fill_addr(path, &sa, &sa_len);
		if (r < 0)
			return r;
		mh.msg_name = &sa;
		mh.msg_namelen = sa_len;
	}
	r = mng_journal_encode(f, n, &buf, &len);
	if (r < 0)
		return r;
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		r = sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
	} while (r == -EINTR);
	if (r == -EMSGSIZE || r == -ENOBUFS)
		r = send_memfd(fd, &mh, buf, len);
	free(buf);
	return r;
}
