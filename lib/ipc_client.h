/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc_client.h - the part of the agent protocol (ipc.h) that needs no JSON
 * library: the wire names of the ops, the charsets of the text fields, and
 * the two notifications a PAM module or a tool sends (session-open/close,
 * auth-report), formatted and answered without libjson-c, so that
 * pam_mnguard.so loads nothing more than libfido2, libcrypto and libpam.
 * lib/ipc.c parses and formats every other message and uses these checks,
 * so each rule has one home.
 */
#ifndef MNG_IPC_CLIENT_H
#define MNG_IPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "ipc.h"

/* The charsets of the text fields of the session and report requests. */
enum mng_ipc_charset {
	MNG_IPC_CS_SEAT,    /* [A-Za-z0-9_-] */
	MNG_IPC_CS_SERVICE, /* [A-Za-z0-9_.-] */
	MNG_IPC_CS_TTY,	    /* printable ASCII without space */
	MNG_IPC_CS_TEXT,    /* valid UTF-8 without control characters */
	MNG_IPC_CS_DIGITS,  /* [0-9] */
};

/* mng_ipc_text_ok - whether the NUL-terminated s is in charset cs. */
bool mng_ipc_text_ok(const char *s, enum mng_ipc_charset cs);

/*
 * mng_ipc_text_clean - copy s (may be NULL: "") into out as valid UTF-8 of
 * at most max bytes, cut at a character boundary, each invalid byte
 * replaced by U+FFFD; out must hold max + 1 bytes and is NUL-terminated.
 * With controls_to_space, control characters become spaces. Returns the
 * length written.
 */
size_t mng_ipc_text_clean(const char *s, char *out, size_t max, bool controls_to_space);

/*
 * mng_ipc_auth_event_ok - whether event is one of the auth-report events:
 * login.ok, login.deny, login.pin-wrong, login.clone-suspected,
 * login.aaguid-refused, login.bad-signature, key.revoke, key.enroll.
 */
bool mng_ipc_auth_event_ok(const char *event);

/* mng_ipc_clip_event_ok - whether s is a clipboard-report event: "redact" or "block". */
bool mng_ipc_clip_event_ok(const char *s);

/* mng_ipc_selection_ok - whether s names a guarded X selection: "CLIPBOARD" or "PRIMARY". */
bool mng_ipc_selection_ok(const char *s);

/* mng_ipc_user_name_ok - whether s is a POSIX user name [a-z_][a-z0-9_.-]{0,31}. */
bool mng_ipc_user_name_ok(const char *s);

/* mng_ipc_errno_name - "EPERM" for EPERM and so on; every other value gives "EIO". */
const char *mng_ipc_errno_name(int code);

/*
 * mng_ipc_errno_from_name - the errno a protocol code name stands for;
 * an unknown name gives EIO (so that a newer agent's codes still read as a
 * failure).
 */
int mng_ipc_errno_from_name(const char *name);

/* mng_ipc_op_name - the wire name of op ("list-devices"), or NULL for none. */
const char *mng_ipc_op_name(enum mng_ipc_op op);

/* mng_ipc_op_from_name - the op named s (len bytes), or MNG_IPC_OP_NONE. */
enum mng_ipc_op mng_ipc_op_from_name(const char *s, size_t len);

/*
 * mng_ipc_notify_format - the packet text of a session-open,
 * session-close, auth-report, login-request or login-pass request, as mng_ipc_request_format gives
 * it, into buf (size bytes); JSON strings escaped. Returns the length
 * (without the NUL), -EINVAL (another op, a field out of its charset or
 * cap, a required field empty), -ENOBUFS (buf too small).
 */
int mng_ipc_notify_format(const struct mng_ipc_request *req, char *buf, size_t size);

/*
 * mng_ipc_session_notify - tell the agent at socket_path (NULL: the
 * default) that a session of user began (open) or ended, at seat (may be
 * NULL or "": none, e.g. a remote login), on tty (may be NULL) for the PAM
 * service (may be NULL). Best effort for the PAM module: connect, send,
 * wait for the answer, all within MNG_IPC_NOTIFY_TIMEOUT_MS; no output, no
 * signal (SIGPIPE) raised, no state kept. Returns 0 when the agent accepted
 * it, -EINVAL (a string out of its charset or cap: nothing is sent),
 * -ENOENT/-ECONNREFUSED/-EACCES (no agent), -ETIMEDOUT, -EPROTO (an answer
 * that is not a reply to it), -EPERM or another -errno the agent answered.
 */
#define MNG_IPC_NOTIFY_TIMEOUT_MS 500
int mng_ipc_session_notify(const char *socket_path, bool open, const char *user, const char *seat,
			   const char *tty, const char *service);

/* What pam_mnguard adds to a session-open beyond seat, tty and service. */
struct mng_ipc_session_extra {
	const char *session;	/* the logind session id (XDG_SESSION_ID), NULL or "": none */
	const char *key_port;	/* the kernel name of the security key's USB device, "1-4.1.6" */
	const char *key_devnum; /* its device number, decimal */
	const char *key_serial; /* its serial, "" when it has none */
};

/*
 * mng_ipc_session_notify_extra - mng_ipc_session_notify of an opening
 * session with x (may be NULL; any member may be NULL or ""): the agent
 * binds the session to the key's USB device (mnguardd(8) LOCK ON KEY
 * REMOVAL). A value out of its charset or cap is -EINVAL and nothing is
 * sent. Same transport and returns as mng_ipc_session_notify.
 */
int mng_ipc_session_notify_extra(const char *socket_path, const char *user, const char *seat,
				 const char *tty, const char *service,
				 const struct mng_ipc_session_extra *x);

/*
 * mng_ipc_auth_report - ask the agent at socket_path (NULL: the default)
 * to append an audit record of event (mng_ipc_auth_event_ok) about user,
 * with the credential label and a free detail (both may be NULL; label is
 * cut to MNG_IPC_LABEL_MAX and detail to MNG_IPC_DETAIL_MAX bytes at a
 * character boundary, invalid bytes become U+FFFD and control characters
 * spaces, so a report is never lost to its detail). The agent adds the
 * caller's uid and pid. Same transport, timeout and errors as
 * mng_ipc_session_notify.
 */
int mng_ipc_auth_report(const char *socket_path, const char *event, const char *user,
			const char *label, const char *detail);

/*
 * mng_ipc_login_request - ask the agent (root callers only) for a phone
 * request code for a temporary access pass of user (pam_mnguard(8)). The
 * code ("DDDDC-DDDDC-DDDDC-DDDDC": digits, hyphens, spaces only, anything
 * else is -EPROTO) is copied into code (size bytes). Same transport as
 * mng_ipc_session_notify, waiting at most MNG_IPC_PASS_TIMEOUT_MS. Returns
 * 0, -EINVAL, the transport errors, or the -errno the agent answered (code
 * is then "").
 */
#define MNG_IPC_PASS_TIMEOUT_MS 5000
int mng_ipc_login_request(const char *socket_path, const char *user, char *code, size_t size);

/*
 * mng_ipc_login_pass - ask the agent (root callers only) whether secret (a
 * pasted login token, or a response code to the user's last login
 * request, then with its ticket; ticket may be NULL for a token) lets user
 * log in without a key now; on success the agent has taken one use and
 * audited a key-less login. The request, which holds the secret, is wiped.
 * Returns 0 only when the agent answered ok; -EINVAL (user, secret or
 * ticket out of their charset or cap: nothing is sent), the transport
 * errors, or the -errno the agent answered (-EPERM: refused).
 */
int mng_ipc_login_pass(const char *socket_path, const char *user, const char *secret,
		       const char *ticket);

#endif
