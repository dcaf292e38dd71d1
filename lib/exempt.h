/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exempt.h - exemption tokens: a signed statement by the help desk that one
 * user on one terminal may, for a short time and a limited number of uses,
 * do one thing the policy otherwise blocks (mnguard-helpdesk(1)).
 *
 * Text form:
 *     mngx1.<base64url(payload)>.<base64url(Ed25519 signature)>
 * base64url is RFC 4648 section 5 without padding. The signature covers the
 * ASCII bytes "mngx1.<base64url(payload)>", so the version prefix is signed.
 * The payload is one JSON object in canonical form: the keys below, in this
 * order, no whitespace, integers in plain decimal, strings with only the
 * escapes \" \\ and \u00XX (for control characters):
 *     v      1
 *     id     32 lowercase hex digits (128 random bits)
 *     kid    16 lowercase hex digits: the first 8 bytes of SHA-256 of the
 *            raw 32-byte Ed25519 public key of the issuer
 *     iat    issued, Unix seconds
 *     nbf    not before, Unix seconds (iat <= nbf)
 *     exp    not after, Unix seconds (nbf < exp); the token is valid for
 *            nbf <= now < exp
 *     term   machine-id (32 lowercase hex) or "*"
 *     user   POSIX user name (1..32 of A-Z a-z 0-9 . _ -, not starting with
 *            -) or "*"; a login token must name a user
 *     scope  "usb" | "print" | "clipboard" | "login"
 *     obj    usb: one rule line of mnguard.rules(5) that parses and whose
 *            target is allow; print: a CUPS queue name (1..127 printable
 *            ASCII, no space, "/", "#" or "\"); clipboard and login: ""
 *     uses   1..1000
 *     ticket 1..64 printable ASCII characters, not starting or ending with
 *            a space
 *     reason 0..256 bytes of UTF-8, no control or bidirectional control
 *            characters
 *     by     the issuing operator: 1..64 bytes, same characters as reason
 *
 * MUST: the decoder refuses text over MNG_EXEMPT_TEXT_MAX bytes before
 *       looking at it, and any token that is not exactly this form: every
 *       key present once, no other key, every value in range, the payload
 *       byte for byte the canonical encoding of what was parsed.
 * MUST: mng_exempt_verify() succeeds only when the signature verifies under
 *       a public key read from the trust directory whose kid is the token's
 *       kid; mng_exempt_decode() alone never makes a token trusted.
 * MUST: mng_exempt_check() accepts a "*" terminal only when the caller
 *       allows it, and refuses a lifetime (exp - nbf) over the caller's
 *       maximum; any error is a refusal.
 */
#ifndef MNG_EXEMPT_H
#define MNG_EXEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

enum mng_exempt_scope {
	MNG_EXEMPT_SCOPE_NONE = 0,
	MNG_EXEMPT_SCOPE_USB,
	MNG_EXEMPT_SCOPE_PRINT,
	MNG_EXEMPT_SCOPE_CLIPBOARD,
	MNG_EXEMPT_SCOPE_LOGIN,
};

#define MNG_EXEMPT_TEXT_MAX 4096       /* bytes of token text, whitespace included */
#define MNG_EXEMPT_ID_LEN 32	       /* hex digits of an id */
#define MNG_EXEMPT_KID_LEN 16	       /* hex digits of a key id */
#define MNG_EXEMPT_TERM_LEN 32	       /* hex digits of a machine-id */
#define MNG_EXEMPT_USER_MAX 32	       /* bytes of a user name */
#define MNG_EXEMPT_OBJ_MAX 1024	       /* bytes of obj */
#define MNG_EXEMPT_PRINTER_MAX 127     /* bytes of a CUPS queue name */
#define MNG_EXEMPT_TICKET_MAX 64       /* bytes of a ticket */
#define MNG_EXEMPT_REASON_MAX 256      /* bytes of a reason */
#define MNG_EXEMPT_BY_MAX 64	       /* bytes of an operator name */
#define MNG_EXEMPT_USES_MAX 1000       /* uses of one token */
#define MNG_EXEMPT_TRUST_FILES 256     /* *.pub files read from a trust directory */
#define MNG_EXEMPT_TRUST_FILE_MAX 4096 /* bytes of one *.pub file */

struct mng_exempt {
	char id[MNG_EXEMPT_ID_LEN + 1];
	char kid[MNG_EXEMPT_KID_LEN + 1];
	int64_t issued, not_before, not_after;
	char terminal[33]; /* machine-id or "*" */
	char user[33];	   /* user name or "*" */
	enum mng_exempt_scope scope;
	char object[MNG_EXEMPT_OBJ_MAX + 1];
	uint32_t uses;
	char ticket[MNG_EXEMPT_TICKET_MAX + 1];
	char reason[MNG_EXEMPT_REASON_MAX + 1];
	char by[MNG_EXEMPT_BY_MAX + 1];
};

/* mng_exempt_scope_name - "usb", "print", "clipboard", "login"; NULL for NONE or out of range. */
const char *mng_exempt_scope_name(enum mng_exempt_scope s);

/* mng_exempt_scope_parse - the reverse of mng_exempt_scope_name. 0 or -EINVAL (*ret untouched). */
int mng_exempt_scope_parse(const char *s, enum mng_exempt_scope *ret);

/*
 * mng_exempt_validate - check every field of e against the ranges above
 * (e->kid is not looked at: signing fills it). Returns 0, or -EINVAL with
 * err (errlen bytes, may be NULL) naming the field, in English.
 * -ENOMEM when the usb rule could not be parsed for want of memory.
 */
int mng_exempt_validate(const struct mng_exempt *e, char *err, size_t errlen);

/*
 * mng_exempt_id_new - 128 fresh random bits as 32 lowercase hex digits.
 * Returns 0 or -errno from getrandom(2).
 */
int mng_exempt_id_new(char ret[MNG_EXEMPT_ID_LEN + 1]);

/*
 * mng_exempt_kid - the kid of an Ed25519 key (public or private EVP_PKEY):
 * the first 8 bytes of SHA-256 of its raw public key, in lowercase hex.
 * Returns 0, or -EINVAL when key is not an Ed25519 key.
 */
int mng_exempt_kid(EVP_PKEY *key, char ret[MNG_EXEMPT_KID_LEN + 1]);

/*
 * mng_exempt_sign - encode e (validated first; e->kid is ignored and the
 * kid of key written instead) and sign it with key, an Ed25519 private
 * EVP_PKEY (borrowed). *ret_text is a malloc'd NUL-terminated token without
 * whitespace, owned by the caller. Returns its length, -EINVAL (a field out
 * of range, or key not an Ed25519 private key), -E2BIG (the token would
 * pass MNG_EXEMPT_TEXT_MAX), -ENOMEM, -EIO (OpenSSL failed).
 */
int mng_exempt_sign(const struct mng_exempt *e, EVP_PKEY *key, char **ret_text);

/*
 * mng_exempt_decode - parse token text (len bytes, need not be
 * NUL-terminated; ASCII whitespace anywhere is ignored) WITHOUT checking the
 * signature: for showing a token, never for trusting it. Returns 0 and
 * fills *ret; -E2BIG when len > MNG_EXEMPT_TEXT_MAX; -EBADMSG for anything
 * malformed (truncated, bad base64url, bad JSON, a field missing,
 * duplicated, unknown or out of range, payload not canonical); -ENOMEM.
 * err (errlen bytes, may be NULL) says what, naming the field.
 */
int mng_exempt_decode(const char *text, size_t len, struct mng_exempt *ret, char *err,
		      size_t errlen);

/*
 * mng_exempt_verify - decode, then find the trusted key whose kid is the
 * token's among trust_dir/ *.pub (PEM SubjectPublicKeyInfo, Ed25519; at
 * most MNG_EXEMPT_TRUST_FILES files of MNG_EXEMPT_TRUST_FILE_MAX bytes, read
 * through lib/file.h with file_flags: MNG_FILE_TRUSTED in production, which
 * also requires the directory itself to be root-owned and not group- or
 * other-writable), then verify the signature. A file that fails its checks
 * or does not hold an Ed25519 public key is skipped (err mentions it when
 * no key was found). Returns 0 and fills *ret; -E2BIG, -EBADMSG as decode;
 * -ENOKEY no trusted key has that kid; -EKEYREJECTED the signature is
 * wrong; -errno when the directory cannot be read (-EPERM for a trusted
 * directory with a bad owner or mode); -ENOMEM.
 */
int mng_exempt_verify(const char *text, size_t len, const char *trust_dir, unsigned file_flags,
		      struct mng_exempt *ret, char *err, size_t errlen);

/*
 * mng_exempt_check - is e (decoded and verified) good here and now?
 *   terminal: e->terminal == machine_id, or "*" when allow_any_terminal;
 *   user:     e->user == user, or "*" (user may be NULL: only "*" passes);
 *   scope:    e->scope == want (MNG_EXEMPT_SCOPE_NONE: any);
 *   lifetime: e->not_after - e->not_before <= max_lifetime (> 0);
 *   window:   e->not_before <= now < e->not_after.
 * Checked in this order. Returns 0; -EACCES for terminal, user, scope or
 * lifetime; -ETIME before not_before; -EKEYEXPIRED at or after not_after;
 * -EINVAL for a bad argument. err (errlen bytes, may be NULL) says which,
 * in English.
 */
int mng_exempt_check(const struct mng_exempt *e, const char *machine_id, bool allow_any_terminal,
		     const char *user, time_t now, enum mng_exempt_scope want, int64_t max_lifetime,
		     char *err, size_t errlen);

/*
 * mng_exempt_machine_id - read the machine-id from path (NULL means
 * /etc/machine-id): 32 lowercase hex digits and an optional newline, as
 * machine-id(5) says. Returns 0 and fills ret, -EINVAL for other content,
 * or -errno from reading.
 */
int mng_exempt_machine_id(const char *path, char ret[33]);

/*
 * mng_base64url_encode - RFC 4648 section 5 base64url of len bytes, without
 * padding, into buf (size bytes, NUL-terminated). Returns the length
 * written, or -ENOBUFS when it does not fit.
 */
int mng_base64url_encode(const void *data, size_t len, char *buf, size_t size);

/*
 * mng_base64url_decode - the reverse, strictly: only the base64url
 * alphabet, no padding, no whitespace, unused low bits zero (so every byte
 * string has one encoding). Writes at most size bytes to buf. Returns the
 * length decoded, -EBADMSG for a bad encoding, -ENOBUFS when it does not fit.
 */
int mng_base64url_decode(const char *text, size_t len, uint8_t *buf, size_t size);

/*
 * mng_exempt_pubkey_parse - the Ed25519 public key in a PEM
 * SubjectPublicKeyInfo buffer (len bytes). *ret is a new EVP_PKEY owned by
 * the caller. Returns 0, or -EINVAL when buf holds no Ed25519 public key.
 */
int mng_exempt_pubkey_parse(const char *buf, size_t len, EVP_PKEY **ret);

/*
 * mng_exempt_trust_key - the public key whose kid is kid among
 * trust_dir/ *.pub, read as mng_exempt_verify reads them (same caps, same
 * file_flags checks, unusable files skipped). *ret_key is a new EVP_PKEY
 * owned by the caller. Returns 0, -ENOKEY (none has that kid; err says
 * which files were skipped), -EPERM (trusted directory with a bad owner or
 * mode), another -errno when the directory cannot be read.
 */
int mng_exempt_trust_key(const char *trust_dir, unsigned file_flags, const char *kid,
			 EVP_PKEY **ret_key, char *err, size_t errlen);

/*
 * mng_exempt_sig_make - the 64-byte Ed25519 signature of len bytes of msg
 * under key (a private Ed25519 EVP_PKEY, borrowed) into sig. Returns 0,
 * -EINVAL (not an Ed25519 private key), -ENOMEM, -EIO (OpenSSL failed).
 */
int mng_exempt_sig_make(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64]);

/*
 * mng_exempt_sig_check - whether sig is a valid Ed25519 signature of len
 * bytes of msg under key (borrowed). Returns 0, -EKEYREJECTED when it is
 * not, -EINVAL (not an Ed25519 key), -ENOMEM.
 */
int mng_exempt_sig_check(EVP_PKEY *key, const void *msg, size_t len, const uint8_t sig[64]);

#endif
