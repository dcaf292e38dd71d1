/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helpdesk.h - the pieces of mnguard-helpdesk(1): subcommand handlers and
 * the helpers they share. Handlers get argv starting at the subcommand
 * name and return the exit status:
 *   0  success
 *   1  the operation failed (message on stderr)
 *   2  usage error
 *   3  refused: the request breaks the help desk's limits (exemptions)
 */
#ifndef MNG_HELPDESK_H
#define MNG_HELPDESK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <fido.h>
#include <openssl/types.h>

#define HD_EXIT_OK 0
#define HD_EXIT_FAIL 1
#define HD_EXIT_USAGE 2
#define HD_EXIT_REFUSED 3

#define HD_PIN_MAX 63	   /* bytes of a CTAP2 PIN */
#define HD_TRUST_FILES 256 /* certificate files read from a trust directory */
#define HD_TRUST_FILE_MAX (256 * 1024)

/* enroll --user U [...] (helpdesk_enroll.c) */
int hd_enroll(int argc, char **argv);

/* keygen [--dir DIR] (helpdesk_exempt.c) */
int hd_keygen(int argc, char **argv);

/* issue --terminal ... (helpdesk_exempt.c) */
int hd_issue(int argc, char **argv);

/* phone respond ... | phone terminal-key ... (helpdesk_phone.c) */
int hd_phone(int argc, char **argv);

/* policy sign DIR --version N [--key FILE] [--out FILE] (helpdesk_policy.c) */
int hd_policy(int argc, char **argv);

/* ---- helpdesk_exempt.c: shared by issue, phone and policy ---- */

/*
 * hd_load_private_key - an Ed25519 private key (PEM) from path, or from
 * ~/.config/mnguard-helpdesk/<default_name> when path is NULL, read with
 * hd_read_secret's checks. *ret is the caller's. 0, or -errno with a
 * reason in why.
 */
int hd_load_private_key(const char *path, const char *default_name, EVP_PKEY **ret, char *why,
			size_t whylen);

/* The fields of one exemption log line after the time, in this order. */
#define HD_EXLOG_FIELDS 12 /* id kind terminal user scope object nbf exp uses ticket reason by */

/*
 * hd_log_exemption - append one CSV line (the time, then fields) to
 * log_path, or, when NULL, to ~/.local/state/mnguard-helpdesk/exemptions.csv
 * (directories 0700, file 0600, O_APPEND|O_NOFOLLOW, a header line first).
 * RFC 4180 quoting; a field starting with = + - @ gets a leading '.
 * Returns 0 or -errno.
 */
int hd_log_exemption(const char *log_path, const char *const fields[HD_EXLOG_FIELDS]);

/* hd_state_path - ~/.config/mnguard-helpdesk[/name] into buf. 0 or -errno. */
int hd_state_path(const char *name, char *buf, size_t size);

/*
 * hd_read_secret - read a private file: no symlink, a regular file, no
 * access for group or others (-EPERM), at most 16 KiB. *ret_buf is the
 * caller's to wipe and free. *why gets a reason for some errors.
 */
int hd_read_secret(const char *path, char **ret_buf, size_t *ret_len, const char **why);

/*
 * hd_read_master - the phone master secret (64 hex digits and a newline)
 * from path, or ~/.config/mnguard-helpdesk/phone-master.key when NULL.
 * 0, or -errno with a reason in why.
 */
int hd_read_master(const char *path, uint8_t ret[32], char *why, size_t whylen);

/* hd_format_time - Unix seconds as "2026-11-25T09:30:00Z". */
void hd_format_time(int64_t t, char *buf, size_t size);

/* hd_parse_duration - "90m", "2h", "1h30m", "1d", "45s" to seconds (at most 366 days). */
int hd_parse_duration(const char *s, int64_t *ret);

/*
 * hd_parse_time - "now", "@SECONDS", "+DURATION" (from now),
 * "YYYY-MM-DDTHH:MM[:SS]" in local time, or with "Z" or "+HH:MM" / "-HH:MM".
 * 0 or -EINVAL / -ERANGE.
 */
int hd_parse_time(const char *s, time_t now, int64_t *ret);

/* hd_operator - given, else the invoking user's login name. */
const char *hd_operator(const char *given);

/* ---- helpdesk_util.c: the options "issue" and "phone" share ---- */

/* Their values, borrowed from argv; NULL when not given. */
struct hd_common_opts {
	const char *terminal, *user, *ticket, *reason, *operator_, *log, *max_lifetime;
};

/* Their entries in a getopt_long(3) table (<getopt.h>). */
/* clang-format off */
#define HD_COMMON_LONGOPTS                                                                         \
	{"terminal", required_argument, NULL, 'T'},                                                \
	{"user", required_argument, NULL, 'u'},                                                    \
	{"ticket", required_argument, NULL, 't'},                                                  \
	{"reason", required_argument, NULL, 'R'},                                                  \
	{"operator", required_argument, NULL, 'o'},                                                \
	{"log", required_argument, NULL, 'L'},                                                     \
	{"max-lifetime", required_argument, NULL, 'M'}
/* clang-format on */

/* hd_common_opt - store arg for getopt's result c if c is one of HD_COMMON_LONGOPTS; else false. */
bool hd_common_opt(int c, const char *arg, struct hd_common_opts *o);

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

/*
 * hd_csv_append - append one CSV line (the current UTC time, then the n
 * fields) to log_path, or, when it is NULL, to
 * $HOME/.local/state/mnguard-helpdesk/<name> (directories made 0700, file
 * 0600, opened O_APPEND|O_NOFOLLOW, fsync'd), writing head first into an
 * empty file. Fields are quoted as RFC 4180 does, control characters become
 * spaces, and a field starting with = + - @ gets a leading ' so that a
 * spreadsheet never runs it. No field is cut short. Returns 0 or -errno.
 */
int hd_csv_append(const char *log_path, const char *name, const char *head,
		  const char *const *fields, size_t n);

/* hd_now_rfc3339 - the current UTC time as "2026-11-25T09:30:00Z" (size >= 21). */
void hd_now_rfc3339(char *buf, size_t size);

#endif
