/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc.h - the agent socket protocol, version 1 (mnguardctl(8) describes it
 * for administrators).
 *
 * Transport: AF_UNIX SOCK_SEQPACKET; one message is one packet of at most
 * MNG_IPC_MSG_MAX bytes and holds one JSON object (UTF-8):
 *
 *   request  {"v":1,"id":N,"op":"<name>","args":{...}}       ("args" optional)
 *   reply    {"v":1,"id":N,"ok":true,"result":{...}}
 *   error    {"v":1,"id":N,"ok":false,"error":{"code":"EPERM","message":"..."}}
 *   event    {"v":1,"event":{"type":"device.allow","time":"<RFC3339 UTC>",...}}
 *
 * Parsing is strict: JSON as RFC 8259 writes it (no single quotes, no NaN,
 * no trailing commas, no bytes after the object), valid UTF-8, no NUL byte,
 * no duplicate key, nesting at most MNG_IPC_DEPTH_MAX, every key known,
 * every value of its type and in its range. This module does the framing,
 * the parsing and building of every message, the client side of a call
 * (with timeout and paging) and the peer credential check; the agent's
 * server lives in agent/ipc_server.c.
 *
 * MUST: a request is acted on only when mng_ipc_request_parse accepted all
 *       of it; a parse error leaves *ret untouched.
 * MUST: mng_ipc_peer_is_admin answers true only for uid 0 or a member of
 *       group MNG_IPC_ADMIN_GROUP (primary or supplementary, as the kernel
 *       recorded it at connect time); any error answers -errno, which the
 *       caller treats as "not admin".
 * MUST: no message this module formats exceeds MNG_IPC_MSG_MAX or holds
 *       invalid UTF-8, whatever bytes its string arguments held.
 */
#ifndef MNG_IPC_H
#define MNG_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "mng.h"

struct json_object;

#define MNG_IPC_VERSION 1
#define MNG_IPC_MSG_MAX 65536	 /* bytes in one packet */
#define MNG_IPC_DEPTH_MAX 8	 /* JSON nesting of any message */
#define MNG_IPC_ERRMSG_MAX 8192	 /* bytes of an error message, NUL included */
#define MNG_IPC_PAGE_DEFAULT 100 /* list limit when the request names none */
#define MNG_IPC_PAGE_MAX 500	 /* largest list limit */
#define MNG_IPC_LIST_MAX 1000000 /* entries a client accepts in one listing */
#define MNG_IPC_SOCKET_DEFAULT "/run/mnguard/mnguardd.sock"
#define MNG_IPC_ADMIN_GROUP "mnguard-admin"

/* Requests. The zero value is not a request. */
enum mng_ipc_op {
	MNG_IPC_OP_NONE = 0,
	MNG_IPC_OP_STATUS,
	MNG_IPC_OP_LIST_DEVICES,
	MNG_IPC_OP_LIST_RULES,
	MNG_IPC_OP_ALLOW_DEVICE,
	MNG_IPC_OP_BLOCK_DEVICE,
	MNG_IPC_OP_REJECT_DEVICE,
	MNG_IPC_OP_POLICY_RELOAD,
	MNG_IPC_OP_WATCH,
	MNG_IPC_OP_SESSION_OPEN,  /* a PAM session began: user, seat, tty, service */
	MNG_IPC_OP_SESSION_CLOSE, /* that session ended */
	MNG_IPC_OP_AUTH_REPORT,	  /* a login or key event for the audit log */
	MNG_IPC_OP_EXEMPTION_REDEEM,  /* token: store and apply an exemption for the caller */
	MNG_IPC_OP_EXEMPTION_REQUEST, /* scope, device/object, minutes, uses -> code */
	MNG_IPC_OP_EXEMPTION_ENTER,   /* secret (response code), ticket */
	MNG_IPC_OP_EXEMPTION_LIST,    /* offset, limit: all (admin) or the caller's own */
	MNG_IPC_OP_EXEMPTION_REVOKE,  /* exemption (id), admin */
	MNG_IPC_OP_EXEMPTION_CHECK,   /* scope, object -> allowed, id, ticket */
	MNG_IPC_OP_LOGIN_REQUEST,     /* user -> code (root: pam_mnguard) */
	MNG_IPC_OP_LOGIN_PASS,	      /* user, secret, ticket (root: pam_mnguard) */
	MNG_IPC_OP_PRINT_CHECK,	      /* printer, job, user, title, uri + the document fd (root, lp) */
	MNG_IPC_OP_SESSION_POLICY,    /* the caller's clipboard policy (mnguard-session) */
	MNG_IPC_OP_CLIPBOARD_REPORT,  /* a clipboard redaction or block of the caller's, audited */
	MNG_IPC_OP_SESSION_WATCH,     /* the events that concern the caller */
	MNG_IPC_OP_POLICY_INSTALL,    /* a signed policy bundle passed as the fd (admin) */
};

/* clipboard-report: the values of "event" and "selection" */
#define MNG_IPC_CLIP_EVENT_MAX 15  /* bytes of "redact" or "block" */
#define MNG_IPC_SELECTION_MAX 15   /* bytes of "CLIPBOARD" or "PRIMARY" */
#define MNG_IPC_COUNT_MAX 1000000  /* numbers counted in one report */
#define MNG_IPC_PID_MAX 4194304	   /* the kernel's pid_max limit */

#define MNG_IPC_PRINTER_MAX 127 /* bytes of a CUPS queue name */
#define MNG_IPC_TITLE_MAX 255	/* bytes of a job title */
#define MNG_IPC_URI_MAX 1024	/* bytes of a device URI */

#define MNG_IPC_USER_MAX 32    /* bytes of a user name: [a-z_][a-z0-9_.-]{0,31} */
#define MNG_IPC_NAME_MAX 64    /* bytes of seat, tty, service, event */
#define MNG_IPC_LABEL_MAX 64   /* bytes of a credential label */
#define MNG_IPC_DETAIL_MAX 512 /* bytes of an auth-report detail */
#define MNG_IPC_DEVNUM_MAX 3	/* digits of a USB device number (1..127) */
#define MNG_IPC_SECRET_MAX 4096 /* bytes of a token or response code (MNG_EXEMPT_TEXT_MAX) */
#define MNG_IPC_TICKET_MAX 64	/* bytes of a ticket (MNG_EXEMPT_TICKET_MAX) */
#define MNG_IPC_OBJECT_MAX 1024 /* bytes of an exemption object (MNG_EXEMPT_OBJ_MAX) */
#define MNG_IPC_SCOPE_MAX 15	/* bytes of a scope name */
#define MNG_IPC_XID_LEN 32	/* hex digits of an exemption id */

struct mng_ipc_request {
	uint32_t id; /* chosen by the client, echoed in the reply */
	enum mng_ipc_op op;
	uint32_t offset; /* list-devices, list-rules: first entry wanted */
	uint32_t limit;	 /* list-*: 1..MNG_IPC_PAGE_MAX (parse fills in the default) */
	uint32_t device; /* allow/block/reject-device: the device id */
	bool permanent;	 /* allow/block/reject-device: also append a rule */
	/*
	 * session-open, session-close, auth-report: NUL-terminated text that
	 * parse checked (no control character, valid UTF-8, within its cap).
	 * user is a POSIX user name; seat ([A-Za-z0-9_-], may be empty), tty
	 * (printable ASCII without space, may be empty) and service
	 * ([A-Za-z0-9_.-], may be empty) belong to the session ops; event
	 * (one of mng_ipc_auth_event_ok), label and detail to auth-report.
	 */
	char user[MNG_IPC_USER_MAX + 1];
	char seat[MNG_IPC_NAME_MAX + 1];
	char tty[MNG_IPC_NAME_MAX + 1];
	char service[MNG_IPC_NAME_MAX + 1];
	char event[MNG_IPC_NAME_MAX + 1];
	char label[MNG_IPC_LABEL_MAX + 1];
	char detail[MNG_IPC_DETAIL_MAX + 1];
	/*
	 * session-open only, all optional (pam_mnguard, as root): session is
	 * the logind session id (XDG_SESSION_ID, [A-Za-z0-9_-]); key_port,
	 * key_devnum and key_serial name the USB device of the security key
	 * used at the login: its kernel name ("1-4.1.6", [A-Za-z0-9_.-]), its
	 * device number (decimal digits) and its serial (text).
	 */
	char session[MNG_IPC_NAME_MAX + 1];
	char key_port[MNG_IPC_NAME_MAX + 1];
	char key_devnum[MNG_IPC_DEVNUM_MAX + 1];
	char key_serial[MNG_IPC_LABEL_MAX + 1];
	/*
	 * exemption-* and login-* ops: scope is usb, print, clipboard or
	 * login; secret a token (ASCII, whitespace allowed) or a response
	 * code; ticket printable ASCII; object (a printer queue for
	 * exemption-request, the object asked about for exemption-check)
	 * valid UTF-8 without control characters; exemption 32 lowercase hex
	 * digits. has_device tells whether device was given
	 * (exemption-request); minutes and uses are 0 when not given.
	 */
	char scope[MNG_IPC_SCOPE_MAX + 1];
	char secret[MNG_IPC_SECRET_MAX + 1];
	char ticket[MNG_IPC_TICKET_MAX + 1];
	char object[MNG_IPC_OBJECT_MAX + 1];
	char exemption[MNG_IPC_XID_LEN + 1];
	bool has_device;
	uint32_t minutes, uses;
	/*
	 * print-check (the CUPS backend): printer is the queue name and uri
	 * its device URI without userinfo (both printable ASCII without
	 * space, printer required); user is the job's user (required); title
	 * valid UTF-8 without control characters (may be empty); job the
	 * CUPS job id. The document travels beside the packet as one
	 * SCM_RIGHTS descriptor (mng_ipc_call_fd).
	 */
	char printer[MNG_IPC_PRINTER_MAX + 1];
	char title[MNG_IPC_TITLE_MAX + 1];
	char uri[MNG_IPC_URI_MAX + 1];
	uint32_t job;
	/*
	 * clipboard-report (mnguard-session): clip_event "redact" or "block",
	 * selection "CLIPBOARD" or "PRIMARY" (both required); what the
	 * detector found (individual, corporate: 0..MNG_IPC_COUNT_MAX,
	 * invalid_utf8, unread: the text could not be read whole), its size
	 * in bytes (bytes) and the pid of the selection's owner as the X
	 * server reported it (owner_pid, 0 when unknown; a hint, not proof).
	 * Never the content.
	 */
	char clip_event[MNG_IPC_CLIP_EVENT_MAX + 1];
	char selection[MNG_IPC_SELECTION_MAX + 1];
	uint32_t individual, corporate, bytes, owner_pid;
	bool invalid_utf8, unread;
};

/* A failure, found locally or reported by the agent. */
struct mng_ipc_error {
	uint32_t id; /* request id it answers, 0 when unknown */
	int code;    /* positive errno: EPERM, EINVAL, ENOENT, EPROTO, ENOTSUP, EBUSY, EIO, ... */
	bool remote; /* true: the agent sent it; false: found on this side */
	char message[MNG_IPC_ERRMSG_MAX];
};

enum mng_ipc_kind {
	MNG_IPC_MSG_ERROR = 0, /* an error reply */
	MNG_IPC_MSG_REPLY,     /* a successful reply */
	MNG_IPC_MSG_EVENT,     /* an event on a watching connection */
};

/* A message from the agent, as mng_ipc_message_parse read it. */
struct mng_ipc_message {
	enum mng_ipc_kind kind;
	uint32_t id;		    /* REPLY and ERROR */
	struct json_object *body;   /* owned: the "result" (REPLY) or "event" (EVENT) object */
	struct mng_ipc_error error; /* ERROR: code, message, remote = true */
};

/*
 * mng_ipc_op_needs_admin - whether op changes state and so needs uid 0 or
 * group mnguard-admin. True for every op not known to be a read or
 * self-authorized (mng_ipc_op_self_authorized), so a new op is refused to
 * ordinary users until it is listed as one of those.
 */
bool mng_ipc_op_needs_admin(enum mng_ipc_op op);

/*
 * mng_ipc_op_self_authorized - whether op is open to every uid and the
 * agent decides per request from the caller's credentials (session-open,
 * session-close, auth-report: a caller may speak only for itself unless it
 * is root). mng_ipc_op_needs_admin is false for these.
 */
bool mng_ipc_op_self_authorized(enum mng_ipc_op op);

/*
 * mng_ipc_request_parse - parse one request packet (len bytes at buf; any
 * bytes, need not be NUL-terminated) strictly. Fills *ret and returns 0, or
 * returns -code and fills *err (which must not be NULL): err->id is the
 * request's id when it could be read (so the error reply can name it),
 * err->code EPROTO (not one JSON object: size, NUL byte, UTF-8, syntax,
 * depth, duplicate key), ENOTSUP (a "v" other than 1), or EINVAL (missing
 * or unknown key, wrong type, out of range, unknown op); err->message says
 * which, in English. Pure: no I/O, no global state.
 */
int mng_ipc_request_parse(const void *buf, size_t len, struct mng_ipc_request *ret,
			  struct mng_ipc_error *err);

/*
 * mng_ipc_request_format - the packet text for req: a malloc'd
 * NUL-terminated string in *ret_text (caller frees) and its length in
 * *ret_len (may be NULL). List ops carry offset and limit (limit left out
 * when 0), device ops id and permanent. Returns 0, -EINVAL (unknown op,
 * limit over MNG_IPC_PAGE_MAX), -ENOMEM.
 */
int mng_ipc_request_format(const struct mng_ipc_request *req, char **ret_text, size_t *ret_len);

/*
 * mng_ipc_reply_format - a successful reply to request id carrying result (a
 * JSON object, borrowed; NULL means {}). Returns 0, -E2BIG when the text
 * would exceed MNG_IPC_MSG_MAX, -EINVAL (result not an object), -ENOMEM.
 * Strings in result must already be valid UTF-8 (mng_ipc_json_string).
 */
int mng_ipc_reply_format(uint32_t id, struct json_object *result, char **ret_text, size_t *ret_len);

/*
 * mng_ipc_error_format - an error reply to request id (0 when unknown).
 * code is a positive errno (an unknown one goes out as "EIO"); message is
 * any bytes up to its NUL, made valid UTF-8 and cut to
 * MNG_IPC_ERRMSG_MAX - 1 bytes. Returns 0 or -ENOMEM.
 */
int mng_ipc_error_format(uint32_t id, int code, const char *message, char **ret_text,
			 size_t *ret_len);

/*
 * mng_ipc_event_format - an event message of the given type (non-empty
 * ASCII [a-z0-9._-]) at time when, with the keys of fields (a JSON object,
 * borrowed, may be NULL; it must not hold "type" or "time") copied after
 * "type" and "time". Returns 0, -EINVAL, -E2BIG, -ENOMEM.
 */
int mng_ipc_event_format(const char *type, time_t when, struct json_object *fields, char **ret_text,
			 size_t *ret_len);

/*
 * mng_ipc_message_parse - parse one packet from the agent strictly: a reply,
 * an error reply or an event. On success *ret owns body (release with
 * mng_ipc_message_clear) and 0 is returned; a well-formed error reply is a
 * success here (ret->kind == MNG_IPC_MSG_ERROR). A malformed packet returns
 * -EPROTO with the reason in err (errlen bytes, may be 0).
 */
int mng_ipc_message_parse(const void *buf, size_t len, struct mng_ipc_message *ret, char *err,
			  size_t errlen);

/* mng_ipc_message_clear - release what a parsed message owns; it may be parsed into again. */
void mng_ipc_message_clear(struct mng_ipc_message *m);

/*
 * mng_ipc_json_string - a new JSON string holding s made valid UTF-8 (every
 * byte that does not start a valid sequence becomes U+FFFD) and cut at a
 * character boundary to at most max bytes. NULL s gives "". Returns NULL
 * only when memory runs out. The caller owns the reference.
 */
struct json_object *mng_ipc_json_string(const char *s, size_t max);

/* mng_ipc_time_format - t as RFC 3339 UTC ("2026-01-02T03:04:05Z"). Returns the length or
 * -EINVAL/-ENOBUFS. */
int mng_ipc_time_format(time_t t, char *buf, size_t size);

/*
 * mng_ipc_page_end - the server side of paging: one past the last index a
 * page of at most limit entries starting at offset may hold, given total
 * entries (offset past total gives total, an empty page).
 */
size_t mng_ipc_page_end(uint32_t offset, uint32_t limit, size_t total);

/*
 * mng_ipc_page_next - the client side of paging: after asking from offset
 * and receiving returned entries out of total, is there more? Returns 1 and
 * sets *ret_next, 0 when the listing is complete, -EPROTO when the page
 * cannot be right (no progress while entries remain, more entries than
 * total, offset overflow, total over MNG_IPC_LIST_MAX).
 */
int mng_ipc_page_next(uint32_t offset, size_t returned, uint64_t total, uint32_t *ret_next);

/*
 * mng_ipc_send - send one packet (1..MNG_IPC_MSG_MAX bytes) on a
 * SOCK_SEQPACKET socket, never raising SIGPIPE. flags are added to
 * MSG_NOSIGNAL (MSG_DONTWAIT for a non-blocking send). Returns 0, -EMSGSIZE,
 * -EINVAL (empty), -EAGAIN, -EPIPE, or another -errno.
 */
int mng_ipc_send(int fd, const void *buf, size_t len, int flags);

/*
 * mng_ipc_recv - receive one packet into buf (size bytes, at least
 * MNG_IPC_MSG_MAX + 1 so a too large packet is seen) and NUL-terminate it;
 * flags as for recvmsg. Returns 0 with *ret_len set, -EMSGSIZE when the
 * packet was larger than MNG_IPC_MSG_MAX (it is consumed), -ECONNRESET when
 * the peer closed (or sent an empty packet, which this protocol never
 * does), -EAGAIN, -EINTR, or another -errno.
 */
int mng_ipc_recv(int fd, void *buf, size_t size, int flags, size_t *ret_len);

/*
 * mng_ipc_recv_fd - mng_ipc_recv that also takes at most one descriptor
 * passed with the packet (SCM_RIGHTS, received close-on-exec): *ret_fd is
 * that descriptor (the caller closes it) or -1. A packet carrying more
 * than one descriptor, or whose control data was cut, has every descriptor
 * closed and returns -EBADMSG (the packet is consumed). Otherwise as
 * mng_ipc_recv; on any error *ret_fd is -1 and nothing stays open.
 */
int mng_ipc_recv_fd(int fd, void *buf, size_t size, int flags, size_t *ret_len, int *ret_fd);

/*
 * mng_ipc_send_fd - mng_ipc_send with passfd (>= 0) passed beside the
 * packet as SCM_RIGHTS. Same returns.
 */
int mng_ipc_send_fd(int fd, const void *buf, size_t len, int flags, int passfd);

/*
 * mng_ipc_call_fd - mng_ipc_call with passfd (>= 0, borrowed) passed with
 * the request (print-check: the document). Same contract and returns.
 */
int mng_ipc_call_fd(int fd, const struct mng_ipc_request *req, int passfd, int timeout_ms,
		    struct json_object **ret_result, struct mng_ipc_error *err);

/*
 * mng_ipc_connect - connect a blocking, close-on-exec SOCK_SEQPACKET socket
 * to the agent at path (NULL: MNG_IPC_SOCKET_DEFAULT). Returns 0 with the fd
 * in *ret_fd (caller closes), -ENAMETOOLONG, or the -errno of socket/connect
 * (-ENOENT, -ECONNREFUSED, -EACCES: the agent is not reachable).
 */
int mng_ipc_connect(const char *path, int *ret_fd);

/*
 * mng_ipc_call - send req on fd and wait up to timeout_ms (< 0: forever)
 * for the reply with its id; events and replies to other ids that arrive
 * first are skipped. On success *ret_result holds the "result" object
 * (caller releases with json_object_put) and 0 is returned. Otherwise err
 * is filled and -code returned: remote errors (err->remote) carry the
 * agent's code and message; local ones are -ETIMEDOUT, -ECONNRESET (the
 * agent closed the connection), -EPROTO (malformed reply), -EMSGSIZE, or
 * the -errno of send/recv/poll.
 */
int mng_ipc_call(int fd, const struct mng_ipc_request *req, int timeout_ms,
		 struct json_object **ret_result, struct mng_ipc_error *err);

/*
 * mng_ipc_list - run list-devices, list-rules or exemption-list to the end: ask page after
 * page (MNG_IPC_PAGE_MAX at a time, offset advanced by what came back)
 * until "total" entries arrived, checking every page (offset echoed, entry
 * array present, no more entries than asked for, progress, total at most
 * MNG_IPC_LIST_MAX). *ret_entries is a new JSON array of all entries
 * (caller releases). Request ids count from 1. timeout_ms bounds each call.
 * Returns 0, -EINVAL (op is not a list op), or a failure as mng_ipc_call.
 */
int mng_ipc_list(int fd, enum mng_ipc_op op, int timeout_ms, struct json_object **ret_entries,
		 struct mng_ipc_error *err);

/*
 * mng_ipc_admin_match - pure check: is a peer with uid, primary gid and the
 * supplementary groups (n entries) an administrator, given the gid of group
 * mnguard-admin (have_admin_gid false when that group does not exist: then
 * only uid 0 is)?
 */
bool mng_ipc_admin_match(uid_t uid, gid_t gid, const gid_t *groups, size_t n, bool have_admin_gid,
			 gid_t admin_gid);

/*
 * mng_ipc_peer_is_admin - read the peer's credentials from the connected
 * socket fd (SO_PEERCRED, SO_PEERGROUPS: what the kernel recorded at
 * connect time) and look up group (NULL: MNG_IPC_ADMIN_GROUP) with
 * getgrnam_r. Sets *ret_admin and, when ret_uid is not NULL, *ret_uid;
 * returns 0, or -errno when the credentials or the group database could not
 * be read (the caller must then refuse).
 */
int mng_ipc_peer_is_admin(int fd, const char *group, bool *ret_admin, uid_t *ret_uid);

/*
 * mng_ipc_peer_cred - the uid, primary gid and pid the kernel recorded
 * for the peer of the connected socket fd (SO_PEERCRED). Every ret_ may be
 * NULL. Returns 0 or the -errno of getsockopt.
 */
int mng_ipc_peer_cred(int fd, uid_t *ret_uid, gid_t *ret_gid, pid_t *ret_pid);

/* the JSON-free part: op names, charsets, errno names, the notifications */
#include "ipc_client.h"

#endif
