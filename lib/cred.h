/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cred.h - the FIDO2 credential file, /etc/mnguard/credentials
 * (pam_mnguard(8), section CREDENTIAL FILE).
 *
 * One credential a line, nine TAB-separated fields:
 *
 *   user cred_id type pubkey flags aaguid label enrolled operator
 *
 * '#' comment lines and blank lines are allowed. The file is written by the
 * help desk tool and read by pam_mnguard.so; it is trusted input only
 * after file.h's checks (root-owned, not group/other-writable, no symlink).
 *
 * MUST: a file with any error is refused whole (the caller denies every
 *       login); nothing is guessed, skipped or cut short.
 * MUST: every field is checked against its grammar and length cap; the
 *       public key must be a DER SubjectPublicKeyInfo of the declared type.
 * MUST: the parser is pure and bounded: MNG_CRED_FILE_MAX bytes,
 *       MNG_CRED_LINE_MAX bytes a line, MNG_CRED_COUNT_MAX credentials.
 */
#ifndef MNG_CRED_H
#define MNG_CRED_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define MNG_CRED_PATH "/etc/mnguard/credentials"
#define MNG_CRED_FILE_MAX (1024u * 1024) /* bytes in the file */
#define MNG_CRED_LINE_MAX 8192		 /* bytes a line, newline excluded */
#define MNG_CRED_COUNT_MAX 10000	 /* credentials in the file */
#define MNG_CRED_ID_MAX 1024		 /* bytes of a credential id */
#define MNG_CRED_PK_MAX 2048		 /* bytes of a DER public key */
#define MNG_CRED_USER_MAX 32		 /* bytes of a user name */
#define MNG_CRED_TEXT_MAX 64		 /* bytes of label and operator */

enum mng_cred_type {
	MNG_CRED_ES256 = 1, /* COSE -7, ECDSA P-256 with SHA-256 */
	MNG_CRED_EDDSA = 2, /* COSE -8, Ed25519 */
	MNG_CRED_RS256 = 3, /* COSE -257, RSASSA-PKCS1-v1_5 with SHA-256 */
};

enum {
	MNG_CRED_F_UP = 1u << 0,      /* "up": user presence required */
	MNG_CRED_F_UV = 1u << 1,      /* "uv": user verification required */
	MNG_CRED_F_ZERO_OK = 1u << 2, /* "zero-counter-ok": key always reports 0 */
};

struct mng_cred {
	char user[MNG_CRED_USER_MAX + 1];
	uint8_t *id; /* credential id, id_len bytes (malloc'd, owned by the set) */
	size_t id_len;
	int type;    /* enum mng_cred_type */
	uint8_t *pk; /* DER SubjectPublicKeyInfo, pk_len bytes (malloc'd) */
	size_t pk_len;
	unsigned flags; /* MNG_CRED_F_* */
	uint8_t aaguid[16];
	char label[MNG_CRED_TEXT_MAX + 1];
	char enrolled[32]; /* RFC 3339 UTC, "2026-11-25T09:30:00Z" */
	char operator_[MNG_CRED_TEXT_MAX + 1];
	unsigned line; /* line in the file it came from, 0 when built in memory */
};

struct mng_credset {
	struct mng_cred *v;
	size_t n;
};

/*
 * mng_credset_parse - parse a credential file held in buf (len bytes, any
 * bytes, need not be NUL-terminated). filename is used in diagnostics only.
 * Every problem is added to diags (may be NULL) as filename:line:col and
 * parsing goes on, so all are reported. Returns 0 and fills *ret (the
 * caller frees it with mng_credset_clear), or -EINVAL when there was any
 * problem (*ret untouched), -EFBIG over MNG_CRED_FILE_MAX, -ENOMEM.
 */
int mng_credset_parse(const char *buf, size_t len, const char *filename, struct mng_credset *ret,
		      struct mng_diags *diags);

/*
 * mng_credset_load - read path with mng_file_read(file_flags; the module
 * passes MNG_FILE_TRUSTED) and parse it. A file that cannot be read gives
 * one diagnostic naming the reason. Returns 0 and fills *ret, or -errno
 * (-ENOENT missing, -ELOOP symlink, -EPERM owner/mode, -EINVAL parse error).
 */
int mng_credset_load(const char *path, unsigned file_flags, struct mng_credset *ret,
		     struct mng_diags *diags);

/*
 * mng_credset_load_for_login - mng_credset_load for pam_mnguard: every
 * check but one, which is left to the verifier: whether the point of an
 * es256 key (canonical SPKI, uncompressed) lies on P-256. That check needs
 * an EC group made per call, and the module's verifier (libfido2's
 * es256_pk_from_ptr) repeats it on the one key it uses and fails closed,
 * so a bad point denies that credential's login instead of everyone's.
 * mnguardctl key list and the enrolment tool keep the full check.
 */
int mng_credset_load_for_login(const char *path, unsigned file_flags, struct mng_credset *ret,
			       struct mng_diags *diags);

/*
 * mng_cred_check - check one credential built in memory (by the enrolment
 * tool) against the same rules the parser applies. Returns 0 or -EINVAL;
 * *why (may be NULL) is set to a short English reason.
 */
int mng_cred_check(const struct mng_cred *c, const char **why);

/*
 * mng_cred_format - format c as one line of the file, without "\n".
 * *ret_line is malloc'd, owned by the caller. Returns 0, -EINVAL when c
 * does not pass mng_cred_check, or -ENOMEM. The line parses back to c.
 */
int mng_cred_format(const struct mng_cred *c, char **ret_line);

/*
 * mng_credset_write - replace path atomically with set: a temporary file
 * in the same directory created 0600, written, fchmod 0644, fsync'd,
 * renamed over path, then the directory fsync'd. The file is owned by the
 * writer (root in production). A header comment is written first.
 * Returns 0 or -errno; on failure path is left as it was.
 */
int mng_credset_write(const char *path, const struct mng_credset *set);

/*
 * mng_credset_add - append a copy of c (deep: id and pk copied) to s.
 * Returns 0, -EINVAL if c fails mng_cred_check, -E2BIG past
 * MNG_CRED_COUNT_MAX, -ENOMEM.
 */
int mng_credset_add(struct mng_credset *s, const struct mng_cred *c);

/* mng_credset_clear - free everything s holds; s may be reused. NULL ok. */
void mng_credset_clear(struct mng_credset *s);

/* mng_cred_type_name - "es256", "eddsa", "rs256", or NULL. */
const char *mng_cred_type_name(int type);

/*
 * mng_cred_id_encode - base64url (no padding) of a credential id into a new
 * string (*ret, malloc'd). Returns 0, -EINVAL, -ENOMEM.
 */
int mng_cred_id_encode(const uint8_t *id, size_t len, char **ret);

/*
 * mng_b64_decode - decode s (n bytes) into out (cap bytes). url selects
 * the base64url alphabet without padding; otherwise the standard alphabet
 * with mandatory '=' padding. Strict: no blanks, no stray characters,
 * unused trailing bits must be zero. Returns the decoded length, or
 * -EINVAL (bad text) / -E2BIG (does not fit).
 */
int mng_b64_decode(const char *s, size_t n, int url, uint8_t *out, size_t cap);

/*
 * mng_b64_encode - encode in (n bytes) into a new string (*ret, malloc'd).
 * url as for mng_b64_decode. Returns 0 or -ENOMEM / -EINVAL.
 */
int mng_b64_encode(const uint8_t *in, size_t n, int url, char **ret);

#endif
