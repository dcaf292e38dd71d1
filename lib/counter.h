/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * counter.h - FIDO2 signature counters, /var/lib/mnguard/counters
 * (pam_mnguard(8), section COUNTER FILE).
 *
 * One line per credential: the credential id in base64url without padding,
 * a TAB, the last counter value accepted (decimal, 0..4294967295). The
 * file is read as a trusted file and updated after every accepted login,
 * under an exclusive lock on "<path>.lock": in place when only the digits
 * of one counter change and keep their length inside one 512-byte sector
 * (pwrite + fdatasync: a sector is written whole or not at all), else
 * replaced atomically.
 *
 * MUST: a counter is accepted only when it is strictly greater than the
 *       stored one; 0 is accepted only for a credential marked
 *       zero-counter-ok and only while the stored value is 0 too.
 * MUST: a counter file with any error refuses every login (fail closed).
 * MUST: the replacement is complete on disk before it takes the name.
 */
#ifndef MNG_COUNTER_H
#define MNG_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define MNG_COUNTER_PATH "/var/lib/mnguard/counters"
#define MNG_COUNTER_FILE_MAX (4u * 1024 * 1024) /* bytes */
#define MNG_COUNTER_COUNT_MAX 100000		/* entries */
#define MNG_COUNTER_LOCK_MS 5000		/* wait for the lock at most this long */

struct mng_counter {
	char *id; /* base64url credential id (malloc'd) */
	uint32_t value;
};

struct mng_counters {
	struct mng_counter *v;
	size_t n;
};

enum {
	MNG_COUNTER_ZERO_OK = 1u << 0,	 /* the credential is marked zero-counter-ok */
	MNG_COUNTER_READ_ONLY = 1u << 1, /* check only; do not lock or store */
};

/*
 * mng_counters_parse - parse a counter file held in buf (len bytes).
 * Problems go to diags as filename:line:col; any problem gives -EINVAL and
 * *ret is untouched. Returns 0 and fills *ret (free with
 * mng_counters_clear), -EFBIG, -ENOMEM.
 */
int mng_counters_parse(const char *buf, size_t len, const char *filename, struct mng_counters *ret,
		       struct mng_diags *diags);

/* mng_counters_clear - free what c holds; NULL ok. */
void mng_counters_clear(struct mng_counters *c);

/*
 * mng_counter_judge - the decision alone: may a credential whose stored
 * counter is *stored (NULL: never seen) log in with value? flags as for
 * mng_counter_advance. Returns 0 (accept) or -ESTALE (not increasing:
 * suspected clone, or 0 from a key not marked zero-counter-ok).
 */
int mng_counter_judge(const uint32_t *stored, uint32_t value, unsigned flags);

/*
 * mng_counter_advance - check value for credential id (base64url) against
 * the counter file at path and, when accepted, store it: take the lock
 * "<path>.lock" (created 0600, O_CLOEXEC, waits up to MNG_COUNTER_LOCK_MS),
 * read path as a trusted file (a missing file means no counters yet),
 * judge, then store: the digits rewritten in place when they keep their
 * length inside one sector (pwrite, fdatasync), else the file replaced
 * atomically (temporary 0600 -> 0644, fdatasync, rename, directory fsync).
 * After a crash the file holds the value before or after the login, never
 * a mixture; a value one login old only delays by one login the detection
 * of a copied key. With MNG_COUNTER_READ_ONLY nothing is locked
 * or written (an unprivileged caller such as a screen locker).
 * *stored (may be NULL) receives the stored value, or 0 when none, on
 * success and on -ESTALE alike; *had (may be NULL) whether there was one.
 * Returns 0, -ESTALE (refused), -EINVAL (bad file), -ETIMEDOUT (lock),
 * or another -errno.
 */
int mng_counter_advance(const char *path, const char *id, uint32_t value, unsigned flags,
			uint32_t *stored, bool *had, struct mng_diags *diags);

#endif
