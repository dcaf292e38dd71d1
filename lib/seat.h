/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seat.h - who is active at a seat, from logind's runtime seat file
 * (/run/systemd/seats/SEAT), without libsystemd.
 *
 * logind writes one file per seat: "KEY=value" lines, among them ACTIVE=
 * (the active session) and ACTIVE_UID= (its user). The file is logind's
 * internal state, not a promised interface, so this is best effort: a file
 * that is missing, unreadable or not understood means "logind has no
 * answer" and the caller uses its other source (the sessions pam_mnguard
 * reports). Nothing here guesses a user from a file it did not fully
 * understand.
 */
#ifndef MNG_SEAT_H
#define MNG_SEAT_H

#include <stddef.h>
#include <sys/types.h>

#include "diag.h"

#define MNG_SEAT_DIR "/run/systemd/seats"
#define MNG_SEAT_FILE_MAX 16384 /* bytes; logind's files are a few hundred */
#define MNG_SEAT_NAME_MAX 64	/* bytes in a seat name */

/*
 * mng_seat_parse - the active user named in the text of a seat file (len
 * bytes, NULs allowed; file is the name used in diagnostics). Lines are
 * "KEY=value"; blank lines, '#' comments, lines without '=' and unknown keys
 * are skipped; spaces around key and value and one pair of matching quotes
 * around the value are removed; the last ACTIVE_UID= wins. The uid must be
 * a plain decimal number and a valid uid (not (uid_t)-1 nor 65535).
 * Returns 0 and sets *ret_uid. Errors: -ENODATA no ACTIVE_UID= or an empty
 * one (nobody active); -EBADMSG an ACTIVE_UID= that is not a valid uid, or a
 * NUL byte in the text (each reported to diags when it is not NULL);
 * -EFBIG len over MNG_SEAT_FILE_MAX.
 */
int mng_seat_parse(const char *file, const char *text, size_t len, struct mng_diags *diags,
		   uid_t *ret_uid);

/*
 * mng_seat_active_uid - read dir/seat (dir is MNG_SEAT_DIR in production)
 * with mng_file_read and the given MNG_FILE_* flags (MNG_FILE_TRUSTED in
 * production: the file must be root-owned and not group/other-writable,
 * and is never followed as a symlink), then mng_seat_parse it.
 * Errors: -EINVAL a seat name that is empty, too long or holds '/' or
 * starts with '.'; -ENOENT no such file (logind not running, or no such
 * seat); -EPERM, -ELOOP, -EFBIG from mng_file_read; those of
 * mng_seat_parse.
 */
int mng_seat_active_uid(const char *dir, const char *seat, unsigned flags, struct mng_diags *diags,
			uid_t *ret_uid);

#endif
