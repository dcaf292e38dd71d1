/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journal.h - structured entries for systemd-journald over its native
 * protocol, without libsystemd.
 *
 * The protocol (documented by systemd as stable): one AF_UNIX datagram per
 * entry sent to /run/systemd/journal/socket, each field "NAME=value\n";
 * a value holding a newline is sent as "NAME\n", its length as a 64-bit
 * little-endian integer, the bytes, and "\n". An entry too big for one
 * datagram is written to a sealed memfd whose descriptor is sent alone
 * (SCM_RIGHTS, empty payload).
 *
 * Nothing here keeps state: the caller owns the socket (mng_journal_open)
 * and passes it to every mng_journal_send.
 */
#ifndef MNG_JOURNAL_H
#define MNG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#define MNG_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define MNG_JOURNAL_NAME_MAX 64		 /* bytes in a field name (journald's own limit) */
#define MNG_JOURNAL_FIELDS_MAX 64	 /* fields in one entry */
#define MNG_JOURNAL_ENTRY_MAX (4u << 20) /* bytes in one encoded entry */

struct mng_journal_field {
	const char *name;  /* "MESSAGE", "MNGUARD_EVENT", ... (see mng_journal_name_valid) */
	const void *value; /* len bytes, any content (NUL and newlines included) */
	size_t len;
};

/*
 * mng_journal_name_valid - true when name may be sent as a field name:
 * 1 to MNG_JOURNAL_NAME_MAX characters of A-Z, 0-9 and '_', not starting
 * with '_' (journald's trusted fields) or a digit.
 */
bool mng_journal_name_valid(const char *name);

/*
 * mng_journal_encode - the native-protocol bytes of the entry made of the
 * n fields f, in their order. *ret_buf is malloc'd and owned by the caller,
 * *ret_len its length (the buffer is not NUL-terminated protocol text; a
 * NUL follows it for convenience).
 * Errors: -EINVAL an invalid field name, a NULL value with len > 0, or
 * n == 0; -E2BIG more than MNG_JOURNAL_FIELDS_MAX fields or an entry over
 * MNG_JOURNAL_ENTRY_MAX bytes; -ENOMEM.
 */
int mng_journal_encode(const struct mng_journal_field *f, size_t n, char **ret_buf,
		       size_t *ret_len);

/*
 * mng_journal_open - a new datagram socket (close-on-exec) to send entries
 * with; its send buffer is raised where the system allows so that most
 * entries fit one datagram, and a send waits at most one second for a
 * journal that is not reading. The caller closes *ret_fd.
 */
int mng_journal_open(int *ret_fd);

/*
 * mng_journal_send - encode the entry (mng_journal_encode) and send it on
 * fd to the socket at path (MNG_JOURNAL_SOCKET in production), or, when
 * path is NULL, on the already-connected fd. An entry that does not fit
 * one datagram goes through a sealed memfd.
 * Returns 0 when sent as a datagram, 1 when sent through a memfd.
 * Errors: those of mng_journal_encode; -ENOENT or -ECONNREFUSED when no
 * journal listens at path (the caller decides whether to drop the entry);
 * -EAGAIN when the journal is not reading; other -errno from the system.
 */
int mng_journal_send(int fd, const char *path, const struct mng_journal_field *f, size_t n);

#endif
