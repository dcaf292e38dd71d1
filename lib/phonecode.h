/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * phonecode.h - exemptions read over the phone, for a terminal that cannot
 * receive a token file (mnguard-helpdesk(1), mnguardctl(8)).
 *
 * The terminal shows a request code; the user reads it to the help desk,
 * whose tool answers with a response code; the user types that in, and the
 * terminal checks it against the request it made.
 *
 * Request code: 16 data digits in four groups of four, each group followed
 * by its check digit, written "DDDDC-DDDDC-DDDDC-DDDDC":
 *     digit  1      scope: 1 usb, 2 print, 3 clipboard, 4 login (the digits
 *                   0 and 5-9 are left for later versions of the format)
 *     digits 2-3    duration in 15-minute steps, 01..96 (15 min .. 24 h)
 *     digit  4      uses, 1..9
 *     digits 5-8    subject: mng_phone_subject() of the object (the USB rule
 *                   or printer; 0000 for clipboard and login), so the help
 *                   desk can say "the stick ending 4711"
 *     digits 9-16   nonce, 8 random digits
 * Response code: 12 data digits in three groups "DDDDC-DDDDC-DDDDC": the
 * first 8 bytes of
 *     HMAC-SHA256(K_T, "mnguard phone response v1" NUL <16 request digits>
 *                      NUL user NUL ticket)
 * as a big-endian number modulo 10^12 (39.8 bits).
 * Per-terminal key: K_T = HMAC-SHA256(master, "mnguard phone v1" NUL
 * machine-id); the terminal holds only K_T, so one terminal's key tells
 * nothing about another's.
 *
 * Check digits: the Damm algorithm (a weakly totally anti-symmetric
 * quasigroup of order 10) over the group's number (1-based) followed by its
 * four data digits. It catches every single wrong digit and every swap of
 * two adjacent digits; starting from the group number also catches most
 * groups read out in the wrong order. Any two adjacent digits of a code lie
 * in one group, or one of them is a group's check digit, so a swap across
 * a group boundary is caught too.
 *
 * Decoders accept the groups with or without hyphens or spaces between
 * them (no other characters), and name each group whose check digit is
 * wrong, so the user reads just that group again.
 *
 * MUST: a response is accepted only when its MAC, compared in constant
 *       time, matches the one computed for that very request, user and
 *       ticket under the terminal's key.
 * MUST: keys and MAC buffers are wiped after use.
 */
#ifndef MNG_PHONECODE_H
#define MNG_PHONECODE_H

#include <stddef.h>
#include <stdint.h>

#include "exempt.h"

#define MNG_PHONE_KEY_LEN 32		 /* bytes of a master secret or K_T */
#define MNG_PHONE_KEY_HEX_LEN 64	 /* hex digits of K_T in terminal.key */
#define MNG_PHONE_MINUTES_STEP 15	 /* request duration granularity */
#define MNG_PHONE_MINUTES_MAX (24 * 60)	 /* longest request duration */
#define MNG_PHONE_USES_MAX 9		 /* uses in one request */
#define MNG_PHONE_SUBJECT_MOD 10000	 /* subject values 0..9999 */
#define MNG_PHONE_NONCE_MOD 100000000ull /* nonce values 0..99999999 */
#define MNG_PHONE_REQUEST_SIZE 24	 /* buffer for a request code and its NUL */
#define MNG_PHONE_RESPONSE_SIZE 18	 /* buffer for a response code and its NUL */
#define MNG_PHONE_TEXT_MAX 256		 /* longest code text a decoder looks at */

struct mng_phone_request {
	enum mng_exempt_scope scope; /* not NONE */
	uint32_t minutes;	     /* 15..1440, a multiple of 15 */
	uint32_t uses;		     /* 1..9 */
	uint32_t subject;	     /* 0..9999 */
	uint64_t nonce;		     /* 0..99999999 */
};

/*
 * mng_phone_request_new - fill *ret for a new request: the subject from
 * object (may be NULL or "" for clipboard and login: subject 0) and a fresh
 * random nonce. Returns 0, -EINVAL (scope, minutes or uses out of range),
 * or -errno from getrandom(2).
 */
int mng_phone_request_new(enum mng_exempt_scope scope, uint32_t minutes, uint32_t uses,
			  const char *object, struct mng_phone_request *ret);

/*
 * mng_phone_request_encode - write r as "DDDDC-DDDDC-DDDDC-DDDDC" to buf
 * (size >= MNG_PHONE_REQUEST_SIZE). Returns the length (23), -EINVAL for a
 * field out of range, -ENOBUFS when buf is too small.
 */
int mng_phone_request_encode(const struct mng_phone_request *r, char *buf, size_t size);

/*
 * mng_phone_request_decode - parse a request code (NUL-terminated, at most
 * MNG_PHONE_TEXT_MAX bytes). Returns 0 and fills *ret, or -EBADMSG with err
 * (errlen bytes, may be NULL) saying what is wrong: the groups whose check
 * digit fails ("check digit wrong in group 2"), a group of the wrong
 * length, a character that is not a digit, or a field out of range.
 */
int mng_phone_request_decode(const char *text, struct mng_phone_request *ret, char *err,
			     size_t errlen);

/*
 * mng_phone_subject - the subject digits of an object: the first four bytes
 * of SHA-256 of its bytes (NUL excluded), big-endian, modulo 10000. NULL
 * and "" give 0.
 */
uint32_t mng_phone_subject(const char *object);

/*
 * mng_phone_terminal_key - K_T for the terminal machine_id (32 lowercase
 * hex digits) from the help desk's master secret. Returns 0, or -EINVAL
 * for a malformed machine-id, -EIO when OpenSSL fails.
 */
int mng_phone_terminal_key(const uint8_t master[32], const char *machine_id, uint8_t ret[32]);

/*
 * mng_phone_response - the response code for r, user and ticket (each
 * 1..MNG_EXEMPT_USER_MAX / 1..MNG_EXEMPT_TICKET_MAX bytes) under tkey, as
 * "DDDDC-DDDDC-DDDDC" in buf (size >= MNG_PHONE_RESPONSE_SIZE). Returns the
 * length (17), -EINVAL for a bad argument, -ENOBUFS, -EIO.
 */
int mng_phone_response(const uint8_t tkey[32], const struct mng_phone_request *r, const char *user,
		       const char *ticket, char *buf, size_t size);

/*
 * mng_phone_response_check - does response answer r for user and ticket
 * under tkey? Returns 0 yes; -EBADMSG malformed (err names the group whose
 * check digit fails, or what else is wrong); -EKEYREJECTED the digits are
 * well formed but the MAC does not match (a wrong user, ticket, request or
 * key); -EINVAL bad argument; -EIO.
 */
int mng_phone_response_check(const uint8_t tkey[32], const struct mng_phone_request *r,
			     const char *user, const char *ticket, const char *response, char *err,
			     size_t errlen);

/*
 * mng_phone_key_parse - 64 hex digits (either case) and an optional
 * newline, as in terminal.key, to 32 bytes. Returns 0 or -EINVAL.
 */
int mng_phone_key_parse(const char *text, size_t len, uint8_t ret[32]);

/*
 * mng_phone_key_read - read and parse terminal.key at path through
 * lib/file.h with file_flags (MNG_FILE_TRUSTED in production; the file
 * must then also not be readable by group or others). Returns 0, -EINVAL
 * for bad content, -EPERM for a readable-by-others trusted file, or the
 * errors of mng_file_read(). The buffer read is wiped.
 */
int mng_phone_key_read(const char *path, unsigned file_flags, uint8_t ret[32]);

/* mng_phone_key_format - 32 bytes as 64 lowercase hex digits and a NUL. */
void mng_phone_key_format(const uint8_t key[32], char ret[MNG_PHONE_KEY_HEX_LEN + 1]);

#endif
