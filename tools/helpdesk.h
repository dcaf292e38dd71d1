/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helpdesk.h - the pieces of mnguard-helpdesk(1): subcommand handlers and
 * the helpers they share. Handlers get argv starting at the subcommand
 * name and return the exit status:
 *   0  success
 *   1  the operation failed (message on stderr)
 *   2  usage error
 */
#ifndef MNG_HELPDESK_H
#define MNG_HELPDESK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fido.h>

#define HD_EXIT_OK 0
#define HD_EXIT_FAIL 1
#define HD_EXIT_USAGE 2

#define HD_PIN_MAX 63	   /* bytes of a CTAP2 PIN */
#define HD_TRUST_FILES 256 /* certificate files read from a trust directory */
#define HD_TRUST_FILE_MAX (256 * 1024)

/* enroll --user U [...] (helpdesk_enroll.c) */
int hd_enroll(int argc, char **argv);

/* ---- helpdesk_attest.c ---- */

/*
 * hd_attest_check - verify the attestation of a credential just made:
 * packed (with x5c, or self attestation), fido-u2f (fido_cred_verify /
 * fido_cred_verify_self), or none. With trust_dir (may be NULL) the x5c
 * leaf must chain to a CA certificate (PEM, any number a file) in that
 * directory, and "none" or self attestation is refused. *ret_fmt gets the
 * format name (borrowed from cred). Returns 0, or -EINVAL / -EPERM with a
 * reason in why (whylen bytes).
 */
int hd_attest_check(const fido_cred_t *cred, const char *trust_dir, const char **ret_fmt, char *why,
		    size_t whylen);

/* ---- helpdesk_util.c ---- */

/*
 * hd_read_pin - read a PIN from standard input: with echo off and a prompt
 * on stderr when it is a terminal, else one line as it comes (for
 * scripts). buf gets at most HD_PIN_MAX bytes and a NUL. Returns the
 * length, -EINVAL (empty, longer than HD_PIN_MAX, NUL byte), -EIO.
 * The caller wipes buf (explicit_bzero).
 */
int hd_read_pin(const char *prompt, char *buf, size_t size);

/*
 * hd_lock - an exclusive flock on "<path>.lock" (mnguardctl key revoke
 * takes the same lock). Returns the fd to close, or -errno.
 */
int hd_lock(const char *path);

/*
 * hd_log_action - append one CSV line (time, operator, action, user,
 * label, aaguid, credential id hash) to log_path, or, when it is NULL, to
 * $HOME/.local/state/mnguard-helpdesk/issued.csv (directories made 0700,
 * file 0600, opened O_APPEND|O_NOFOLLOW). Fields are quoted as RFC 4180
 * does, and a field starting with = + - @ gets a leading ' so that a
 * spreadsheet never runs it. Returns 0 or -errno.
 */
int hd_log_action(const char *log_path, const char *operator_, const char *action, const char *user,
		  const char *label, const char *aaguid_hex, const char *id_hash_hex);

/* hd_now_rfc3339 - the current UTC time as "2026-11-25T09:30:00Z" (size >= 21). */
void hd_now_rfc3339(char *buf, size_t size);

#endif
