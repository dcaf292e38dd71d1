// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc.c - the agent socket protocol: strict parsing and building of
 * requests, replies, errors and events, framing on SOCK_SEQPACKET, the
 * client side of a call and of paging, and the peer credential check.
 * The contract and the security invariants are in ipc.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ipc.h"
#include "utf8.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define GROUPS_MAX 65536	/* NGROUPS_MAX of the kernel */
#define GRBUF_MAX (1024 * 1024) /* getgrnam_r buffer cap */
#define TO_STRING_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

bool mng_ipc_op_needs_admin(enum mng_ipc_op op)
{
	switch (op) {
	case MNG_IPC_OP_STATUS:
	case MNG_IPC_OP_LIST_DEVICES:
	case MNG_IPC_OP_LIST_RULES:
	case MNG_IPC_OP_WATCH:
	case MNG_IPC_OP_EXEMPTION_LIST: /* the agent shows a non-admin only their own */
		return false;
	default:
		return !mng_ipc_op_self_authorized(op);
	}
}

bool mng_ipc_op_self_authorized(enum mng_ipc_op op)
{
	return op == MNG_IPC_OP_SESSION_OPEN || op == MNG_IPC_OP_SESSION_CLOSE ||
	       op == MNG_IPC_OP_AUTH_REPORT || op == MNG_IPC_OP_EXEMPTION_REDEEM ||
	       op == MNG_IPC_OP_EXEMPTION_REQUEST || op == MNG_IPC_OP_EXEMPTION_ENTER ||
	       op == MNG_IPC_OP_EXEMPTION_CHECK || op == MNG_IPC_OP_LOGIN_REQUEST ||
	       op == MNG_IPC_OP_LOGIN_PASS || op == MNG_IPC_OP_PRINT_CHECK ||
	       op == MNG_IPC_OP_SESSION_POLICY || op == MNG_IPC_OP_CLIPBOARD_REPORT ||
	       op == MNG_IPC_OP_SESSION_WATCH;
}

/* ---- UTF-8 ---- */

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		k = mng_utf8_len(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

struct json_object *mng_ipc_json_string(const char *s, size_t max)
{
	const char *p = s ? s : "";
	size_t n = strlen(p), cap = n <= max / 3 ? n * 3 + 1 : max + 1, o;
	struct json_object *j;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	o = mng_ipc_text_clean(p, out, cap - 1, false);
	j = json_object_new_string_len(out, (int)o);
	free(out);
	return j;
}

int mng_ipc_time_format(time_t t, char *buf, size_t size)
{
	struct tm tm;
	size_t n;

	if (!buf || !gmtime_r(&t, &tm))
		return -EINVAL;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!n)
		return -ENOBUFS;
	return (int)n;
}

/* ---- strict JSON ---- */

static void put_err(char *err, size_t errlen, const char *fmt, ...) MNG_PRINTF(3, 4);
static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * What json-c accepts beyond RFC 8259 (single quotes, NaN, Infinity) is
 * refused here by looking at every byte outside strings; duplicate keys,
 * which json-c silently merges, are found by counting the colons outside
 * strings against the keys of the parsed tree.
 */
static int prescan(const char *s, size_t n, size_t *ret_colons, char *err, size_t errlen)
{
	size_t i, colons = 0;
	bool in_str = false, esc = false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == ':')
			colons++;
		else if (!strchr(" \t\r\n{}[],-+.0123456789eEaflnrstu", c)) {
			put_err(err, errlen, "unexpected byte 0x%02x at offset %zu",
				(unsigned char)c, i);
			return -EPROTO;
		}
	}
	*ret_colons = colons;
	return 0;
}

static size_t count_keys(struct json_object *o)
{
	size_t n = 0, i, len;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, key, val)
		{
			(void)key;
			n += 1 + count_keys(val);
		}
		break;
	}
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += count_keys(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return n;
}

/* Parse one message text into a JSON object, or say why not. */
static int parse_object(const void *buf, size_t len, struct json_object **ret, char *err,
			size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t colons;
	int r;

	if (!buf || len == 0) {
		put_err(err, errlen, "empty message");
		return -EPROTO;
	}
	if (len > MNG_IPC_MSG_MAX) {
		put_err(err, errlen, "message of %zu bytes exceeds %d", len, MNG_IPC_MSG_MAX);
		return -EPROTO;
	}
	if (memchr(buf, '\0', len)) {
		put_err(err, errlen, "NUL byte in message");
		return -EPROTO;
	}
	if (!utf8_valid(buf, len)) {
		put_err(err, errlen, "message is not valid UTF-8");
		return -EPROTO;
	}
	r = prescan(buf, len, &colons, err, errlen);
	if (r < 0)
		return r;
	tok = json_tokener_new_ex(MNG_IPC_DEPTH_MAX);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!o || e != json_tokener_success) {
		if (e == json_tokener_continue)
			put_err(err, errlen, "truncated JSON");
		else
			put_err(err, errlen, "JSON error at offset %zu: %s",
				json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return -EPROTO;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		put_err(err, errlen, "bytes after the JSON object at offset %zu",
			json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return -EPROTO;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		put_err(err, errlen, "message is not a JSON object");
		json_object_put(o);
		return -EPROTO;
	}
	if (count_keys(o) != colons) {
		put_err(err, errlen, "duplicate key");
		json_object_put(o);
		return -EPROTO;
	}
	*ret = o;
	return 0;
}

/* A JSON integer in [0, max]. */
static bool get_uint(struct json_object *v, uint64_t max, uint64_t *ret)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max)
		return false;
	*ret = (uint64_t)n;
	return true;
}

/* A JSON string without NUL. */
static const char *get_str(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

static bool key_in(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (!strcmp(key, *keys))
			return true;
	return false;
}

/* The first key of o not in keys, or NULL. */
static const char *unknown_key(struct json_object *o, const char *const *keys)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (!key_in(key, keys))
			return key;
	}
	return NULL;
}

static int to_text(struct json_object *o, char **ret_text, size_t *ret_len)
{
	size_t n = 0;
	const char *s = json_object_to_json_string_length(o, TO_STRING_FLAGS, &n);
	char *t;

	if (!s)
		return -ENOMEM;
	if (n > MNG_IPC_MSG_MAX)
		return -E2BIG;
	if (!utf8_valid(s, n))
		return -EINVAL;
	t = strndup(s, n);
	if (!t)
		return -ENOMEM;
	*ret_text = t;
	if (ret_len)
		*ret_len = n;
	return 0;
}

static bool add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return false;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

/* ---- requests ---- */

static int req_fail(struct mng_ipc_error *err, int code, const char *fmt, ...) MNG_PRINTF(3, 4);
static int req_fail(struct mng_ipc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->remote = false;
	va_start(ap, fmt);
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -code;
}

/* ---- the text fields of session-open, session-close, auth-report ---- */

struct text_field {
	const char *key;
	enum mng_ipc_charset cs; /* ignored for "user" and "event" */
	bool required;
	size_t off, size; /* where in struct mng_ipc_request, its size */
};

#define TF(k, c, req, f)                                                                           \
	{                                                                                          \
		k, c, req, offsetof(struct mng_ipc_request, f),                                    \
		    sizeof(((struct mng_ipc_request *)0)->f)                                       \
	}

static const struct text_field session_fields[] = {
    TF("user", MNG_IPC_CS_TEXT, true, user),
    TF("seat", MNG_IPC_CS_SEAT, false, seat),
    TF("tty", MNG_IPC_CS_TTY, false, tty),
    TF("service", MNG_IPC_CS_SERVICE, false, service),
    /* session-open only */
    TF("session", MNG_IPC_CS_SEAT, false, session),
    TF("key_port", MNG_IPC_CS_SERVICE, false, key_port),
    TF("key_devnum", MNG_IPC_CS_DIGITS, false, key_devnum),
    TF("key_serial", MNG_IPC_CS_TEXT, false, key_serial),
};
#define CLOSE_FIELDS 4 /* session-close has the first four */

static const struct text_field report_fields[] = {
    TF("event", MNG_IPC_CS_TEXT, true, event),
    TF("user", MNG_IPC_CS_TEXT, true, user),
    TF("label", MNG_IPC_CS_TEXT, false, label),
    TF("detail", MNG_IPC_CS_TEXT, false, detail),
};

static int req_fail(struct mng_ipc_error *err, int code, const char *fmt, ...) MNG_PRINTF(3, 4);

/* Read and check the text fields of a session or report request into req. */
static int parse_text_args(struct json_object *args, struct mng_ipc_request *req,
			   const struct text_field *f, size_t nf, struct mng_ipc_error *err)
{
	const char *op = mng_ipc_op_name(req->op), *s;
	struct json_object *v;
	size_t i;

	for (i = 0; i < nf; i++) {
		char *dst = (char *)req + f[i].off;

		if (!args || !json_object_object_get_ex(args, f[i].key, &v)) {
			if (f[i].required)
				return req_fail(err, EINVAL, "%s needs args.%s", op, f[i].key);
			continue;
		}
		s = get_str(v);
		if (!s)
			return req_fail(err, EINVAL, "args.%s must be a string without NUL",
					f[i].key);
		if (strlen(s) >= f[i].size)
			return req_fail(err, EINVAL, "args.%s is longer than %zu bytes", f[i].key,
					f[i].size - 1);
		if (!strcmp(f[i].key, "user")	 ? !mng_ipc_user_name_ok(s)
		    : !strcmp(f[i].key, "event") ? !mng_ipc_auth_event_ok(s)
						 : !mng_ipc_text_ok(s, f[i].cs))
			return req_fail(err, EINVAL,
					"args.%s holds a value or character not allowed", f[i].key);
		memcpy(dst, s, strlen(s) + 1);
	}
	return 0;
}

/* ---- the arguments of the exemption and login ops ---- */

enum xarg_kind {
	XA_SCOPE,  /* usb, print, clipboard, login */
	XA_SECRET, /* printable ASCII and ASCII whitespace */
	XA_TICKET, /* printable ASCII */
	XA_TEXT,   /* MNG_IPC_CS_TEXT */
	XA_XID,	   /* 32 lowercase hex digits */
	XA_USER,   /* a POSIX user name */
};

struct xarg {
	const char *key;
	enum xarg_kind kind;
	bool required;
	size_t off, size;
};

#define XA(k, kind, req, f)                                                                        \
	{                                                                                          \
		k, kind, req, offsetof(struct mng_ipc_request, f),                                 \
		    sizeof(((struct mng_ipc_request *)0)->f)                                       \
	}

static const struct xarg xargs_redeem[] = {XA("token", XA_SECRET, true, secret)};
static const struct xarg xargs_request[] = {XA("scope", XA_SCOPE, true, scope),
					    XA("printer", XA_TEXT, false, object)};
static const struct xarg xargs_enter[] = {XA("response", XA_SECRET, true, secret),
					  XA("ticket", XA_TICKET, true, ticket)};
static const struct xarg xargs_revoke[] = {XA("id", XA_XID, true, exemption)};
static const struct xarg xargs_check[] = {XA("scope", XA_SCOPE, true, scope),
					  XA("object", XA_TEXT, false, object)};
static const struct xarg xargs_login_request[] = {XA("user", XA_USER, true, user)};
static const struct xarg xargs_login_pass[] = {XA("user", XA_USER, true, user),
					       XA("secret", XA_SECRET, true, secret),
					       XA("ticket", XA_TICKET, false, ticket)};

static bool xarg_ok(const char *s, enum xarg_kind kind)
{
	size_t i;

	switch (kind) {
	case XA_SCOPE:
		return !strcmp(s, "usb") || !strcmp(s, "print") || !strcmp(s, "clipboard") ||
		       !strcmp(s, "login");
	case XA_SECRET:
		for (i = 0; s[i]; i++)
			if (!((s[i] > 0x20 && s[i] < 0x7f) || s[i] == ' ' || s[i] == '\t' ||
			      s[i] == '\n' || s[i] == '\r'))
				return false;
		return i > 0;
	case XA_TICKET:
		for (i = 0; s[i]; i++)
			if (s[i] < 0x20 || s[i] >= 0x7f)
				return false;
		return i > 0;
	case XA_TEXT:
		return mng_ipc_text_ok(s, MNG_IPC_CS_TEXT);
	case XA_XID:
		for (i = 0; s[i]; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
				return false;
		return i == MNG_IPC_XID_LEN;
	case XA_USER:
		return mng_ipc_user_name_ok(s);
	}
	return false;
}

/* The exemption ops' argument table, or NULL for another op. */
static const struct xarg *xargs_of(enum mng_ipc_op op, size_t *ret_n)
{
#define XT(t)                                                                                      \
	do {                                                                                       \
		*ret_n = MNG_ARRAY_SIZE(t);                                                        \
		return t;                                                                          \
	} while (0)
	switch (op) {
	case MNG_IPC_OP_EXEMPTION_REDEEM:
		XT(xargs_redeem);
	case MNG_IPC_OP_EXEMPTION_REQUEST:
		XT(xargs_request);
	case MNG_IPC_OP_EXEMPTION_ENTER:
		XT(xargs_enter);
	case MNG_IPC_OP_EXEMPTION_REVOKE:
		XT(xargs_revoke);
	case MNG_IPC_OP_EXEMPTION_CHECK:
		XT(xargs_check);
	case MNG_IPC_OP_LOGIN_REQUEST:
		XT(xargs_login_request);
	case MNG_IPC_OP_LOGIN_PASS:
		XT(xargs_login_pass);
	default:
		*ret_n = 0;
		return NULL;
	}
#undef XT
}

/* The integer arguments of exemption-request. */
static int parse_request_numbers(struct json_object *args, struct mng_ipc_request *req,
				 struct mng_ipc_error *err)
{
	struct json_object *v;
	uint64_t n;

	if (json_object_object_get_ex(args, "device", &v)) {
		if (!get_uint(v, UINT32_MAX, &n))
			return req_fail(err, EINVAL, "args.device must be an integer 0..4294967295");
		req->device = (uint32_t)n;
		req->has_device = true;
	}
	if (json_object_object_get_ex(args, "minutes", &v)) {
		if (!get_uint(v, 24 * 60, &n) || n == 0)
			return req_fail(err, EINVAL, "args.minutes must be an integer 1..1440");
		req->minutes = (uint32_t)n;
	}
	if (json_object_object_get_ex(args, "uses", &v)) {
		if (!get_uint(v, 1000, &n) || n == 0)
			return req_fail(err, EINVAL, "args.uses must be an integer 1..1000");
		req->uses = (uint32_t)n;
	}
	return 0;
}

static int parse_xargs(struct json_object *args, struct mng_ipc_request *req,
		       const struct xarg *x, size_t nx, struct mng_ipc_error *err)
{
	static const char *const request_keys[] = {"scope",   "device", "printer",
						   "minutes", "uses",	NULL};
	const char *op = mng_ipc_op_name(req->op), *s;
	const char *keys[8];
	struct json_object *v;
	size_t i;

	if (args && !json_object_is_type(args, json_type_object))
		return req_fail(err, EINVAL, "\"args\" must be an object");
	if (req->op == MNG_IPC_OP_EXEMPTION_REQUEST) {
		memcpy(keys, request_keys, sizeof(request_keys));
	} else {
		for (i = 0; i < nx; i++)
			keys[i] = x[i].key;
		keys[nx] = NULL;
	}
	if (args && (s = unknown_key(args, keys)))
		return req_fail(err, EINVAL, "unknown argument \"%.64s\" for %s", s, op);
	for (i = 0; i < nx; i++) {
		char *dst = (char *)req + x[i].off;

		if (!args || !json_object_object_get_ex(args, x[i].key, &v)) {
			if (x[i].required)
				return req_fail(err, EINVAL, "%s needs args.%s", op, x[i].key);
			continue;
		}
		s = get_str(v);
		if (!s)
			return req_fail(err, EINVAL, "args.%s must be a string without NUL",
					x[i].key);
		if (strlen(s) >= x[i].size)
			return req_fail(err, EINVAL, "args.%s is longer than %zu bytes", x[i].key,
					x[i].size - 1);
		if (!xarg_ok(s, x[i].kind))
			return req_fail(err, EINVAL,
					"args.%s holds a value or character not allowed", x[i].key);
		memcpy(dst, s, strlen(s) + 1);
	}
	if (req->op == MNG_IPC_OP_EXEMPTION_REQUEST && args)
		return parse_request_numbers(args, req, err);
	return 0;
}

/* ---- print-check ---- */

static int format_text_args(struct json_object *o, const struct mng_ipc_request *req,
			    const struct text_field *f, size_t nf);

static const struct text_field print_fields[] = {
    TF("printer", MNG_IPC_CS_TTY, true, printer),
    TF("user", MNG_IPC_CS_TEXT, true, user),
    TF("title", MNG_IPC_CS_TEXT, false, title),
    TF("uri", MNG_IPC_CS_TTY, false, uri),
};

static int parse_print_args(struct json_object *args, struct mng_ipc_request *req,
			    struct mng_ipc_error *err)
{
	static const char *const keys[] = {"printer", "job", "user", "title", "uri", NULL};
	struct json_object *v;
	const char *bad;
	uint64_t n;
	int r;

	if (args && !json_object_is_type(args, json_type_object))
		return req_fail(err, EINVAL, "\"args\" must be an object");
	if (args && (bad = unknown_key(args, keys)))
		return req_fail(err, EINVAL, "unknown argument \"%.64s\" for print-check", bad);
	r = parse_text_args(args, req, print_fields, MNG_ARRAY_SIZE(print_fields), err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(args, "job", &v) || !get_uint(v, UINT32_MAX, &n))
		return req_fail(err, EINVAL, "print-check needs args.job, an integer 0..4294967295");
	req->job = (uint32_t)n;
	return 0;
}

static int format_print_args(struct json_object *o, const struct mng_ipc_request *req)
{
	struct json_object *args;
	int r;

	r = format_text_args(o, req, print_fields, MNG_ARRAY_SIZE(print_fields));
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(o, "args", &args) ||
	    !add(args, "job", json_object_new_int64(req->job)))
		return -ENOMEM;
	return 0;
}

/* ---- clipboard-report ---- */

static int parse_clip_args(struct json_object *args, struct mng_ipc_request *req,
			   struct mng_ipc_error *err)
{
	static const char *const keys[] = {"event",	 "selection", "individual", "corporate",
					   "invalid_utf8", "unread",	"bytes",      "owner_pid",
					   NULL};
	static const struct {
		const char *key;
		uint64_t max;
		size_t off;
	} nums[] = {
	    {"individual", MNG_IPC_COUNT_MAX, offsetof(struct mng_ipc_request, individual)},
	    {"corporate", MNG_IPC_COUNT_MAX, offsetof(struct mng_ipc_request, corporate)},
	    {"bytes", UINT32_MAX, offsetof(struct mng_ipc_request, bytes)},
	    {"owner_pid", MNG_IPC_PID_MAX, offsetof(struct mng_ipc_request, owner_pid)},
	};
	struct json_object *v;
	const char *bad, *s;
	uint64_t n;
	size_t i;

	if (!args || !json_object_is_type(args, json_type_object))
		return req_fail(err, EINVAL, "clipboard-report needs \"args\", an object");
	if ((bad = unknown_key(args, keys)))
		return req_fail(err, EINVAL, "unknown argument \"%.64s\" for clipboard-report", bad);
	if (!json_object_object_get_ex(args, "event", &v) || !(s = get_str(v)) ||
	    !mng_ipc_clip_event_ok(s))
		return req_fail(err, EINVAL, "args.event must be \"redact\" or \"block\"");
	memcpy(req->clip_event, s, strlen(s) + 1);
	if (!json_object_object_get_ex(args, "selection", &v) || !(s = get_str(v)) ||
	    !mng_ipc_selection_ok(s))
		return req_fail(err, EINVAL, "args.selection must be \"CLIPBOARD\" or \"PRIMARY\"");
	memcpy(req->selection, s, strlen(s) + 1);
	for (i = 0; i < MNG_ARRAY_SIZE(nums); i++) {
		if (!json_object_object_get_ex(args, nums[i].key, &v))
			continue;
		if (!get_uint(v, nums[i].max, &n))
			return req_fail(err, EINVAL, "args.%s must be an integer 0..%" PRIu64,
					nums[i].key, nums[i].max);
		*(uint32_t *)((char *)req + nums[i].off) = (uint32_t)n;
	}
	if (json_object_object_get_ex(args, "invalid_utf8", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return req_fail(err, EINVAL, "args.invalid_utf8 must be true or false");
		req->invalid_utf8 = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(args, "unread", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return req_fail(err, EINVAL, "args.unread must be true or false");
		req->unread = json_object_get_boolean(v);
	}
	return 0;
}

static int format_clip_args(struct json_object *o, const struct mng_ipc_request *req)
{
	struct json_object *args = json_object_new_object();

	if (!add(o, "args", args))
		return -ENOMEM;
	if (strnlen(req->clip_event, sizeof(req->clip_event)) >= sizeof(req->clip_event) ||
	    strnlen(req->selection, sizeof(req->selection)) >= sizeof(req->selection) ||
	    !mng_ipc_clip_event_ok(req->clip_event) || !mng_ipc_selection_ok(req->selection) ||
	    req->individual > MNG_IPC_COUNT_MAX || req->corporate > MNG_IPC_COUNT_MAX ||
	    req->owner_pid > MNG_IPC_PID_MAX)
		return -EINVAL;
	if (!add(args, "event", json_object_new_string(req->clip_event)) ||
	    !add(args, "selection", json_object_new_string(req->selection)) ||
	    !add(args, "individual", json_object_new_int64(req->individual)) ||
	    !add(args, "corporate", json_object_new_int64(req->corporate)) ||
	    !add(args, "invalid_utf8", json_object_new_boolean(req->invalid_utf8)) ||
	    !add(args, "unread", json_object_new_boolean(req->unread)) ||
	    !add(args, "bytes", json_object_new_int64(req->bytes)) ||
	    !add(args, "owner_pid", json_object_new_int64(req->owner_pid)))
		return -ENOMEM;
	return 0;
}

static int parse_args(struct json_object *args, struct mng_ipc_request *req,
		      struct mng_ipc_error *err)
{
	static const char *const session_keys[] = {"user", "seat", "tty", "service", NULL};
	static const char *const open_keys[] = {"user",	      "seat",	    "tty",
						"service",    "session",    "key_port",
						"key_devnum", "key_serial", NULL};
	static const char *const report_keys[] = {"event", "user", "label", "detail", NULL};
	static const char *const list_keys[] = {"offset", "limit", NULL};
	static const char *const dev_keys[] = {"id", "permanent", NULL};
	static const char *const no_keys[] = {NULL};
	const char *const *keys = no_keys, *bad;
	const struct xarg *x;
	struct json_object *v;
	uint64_t n;
	size_t nx;

	if (req->op == MNG_IPC_OP_PRINT_CHECK)
		return parse_print_args(args, req, err);
	if (req->op == MNG_IPC_OP_CLIPBOARD_REPORT)
		return parse_clip_args(args, req, err);
	x = xargs_of(req->op, &nx);
	if (x)
		return parse_xargs(args, req, x, nx, err);
	if (req->op == MNG_IPC_OP_LIST_DEVICES || req->op == MNG_IPC_OP_LIST_RULES ||
	    req->op == MNG_IPC_OP_EXEMPTION_LIST) {
		keys = list_keys;
		req->limit = MNG_IPC_PAGE_DEFAULT;
	} else if (req->op == MNG_IPC_OP_ALLOW_DEVICE || req->op == MNG_IPC_OP_BLOCK_DEVICE ||
		   req->op == MNG_IPC_OP_REJECT_DEVICE) {
		keys = dev_keys;
	} else if (req->op == MNG_IPC_OP_SESSION_OPEN) {
		keys = open_keys;
	} else if (req->op == MNG_IPC_OP_SESSION_CLOSE) {
		keys = session_keys;
	} else if (req->op == MNG_IPC_OP_AUTH_REPORT) {
		keys = report_keys;
	}
	if (args && !json_object_is_type(args, json_type_object))
		return req_fail(err, EINVAL, "\"args\" must be an object");
	if (args && (bad = unknown_key(args, keys)))
		return req_fail(err, EINVAL, "unknown argument \"%.64s\" for %s", bad,
				mng_ipc_op_name(req->op));
	if (keys == open_keys)
		return parse_text_args(args, req, session_fields, MNG_ARRAY_SIZE(session_fields),
				       err);
	if (keys == session_keys)
		return parse_text_args(args, req, session_fields, CLOSE_FIELDS, err);
	if (keys == report_keys)
		return parse_text_args(args, req, report_fields, MNG_ARRAY_SIZE(report_fields),
				       err);
	if (!args) {
		if (keys == dev_keys)
			return req_fail(err, EINVAL, "%s needs args.id", mng_ipc_op_name(req->op));
		return 0;
	}
	if (keys == list_keys) {
		if (json_object_object_get_ex(args, "offset", &v)) {
			if (!get_uint(v, UINT32_MAX, &n))
				return req_fail(err, EINVAL,
						"args.offset must be an integer 0..4294967295");
			req->offset = (uint32_t)n;
		}
		if (json_object_object_get_ex(args, "limit", &v)) {
			if (!get_uint(v, MNG_IPC_PAGE_MAX, &n) || n == 0)
				return req_fail(err, EINVAL, "args.limit must be an integer 1..%d",
						MNG_IPC_PAGE_MAX);
			req->limit = (uint32_t)n;
		}
	} else if (keys == dev_keys) {
		if (!json_object_object_get_ex(args, "id", &v))
			return req_fail(err, EINVAL, "%s needs args.id", mng_ipc_op_name(req->op));
		if (!get_uint(v, UINT32_MAX, &n))
			return req_fail(err, EINVAL, "args.id must be an integer 0..4294967295");
		req->device = (uint32_t)n;
		if (json_object_object_get_ex(args, "permanent", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				return req_fail(err, EINVAL,
						"args.permanent must be true or false");
			req->permanent = json_object_get_boolean(v);
		}
	}
	return 0;
}

int mng_ipc_request_parse(const void *buf, size_t len, struct mng_ipc_request *ret,
			  struct mng_ipc_error *err)
{
	static const char *const top_keys[] = {"v", "id", "op", "args", NULL};
	struct mng_ipc_request req = {0};
	struct json_object *o = NULL, *v, *args = NULL;
	const char *s, *bad;
	uint64_t n;
	int r;

	err->id = 0;
	err->code = 0;
	err->remote = false;
	err->message[0] = '\0';
	r = parse_object(buf, len, &o, err->message, sizeof(err->message));
	if (r < 0) {
		err->code = -r;
		return r;
	}
	if (!json_object_object_get_ex(o, "v", &v)) {
		r = req_fail(err, EPROTO, "missing \"v\" (protocol version)");
		goto out;
	}
	if (!json_object_is_type(v, json_type_int)) {
		r = req_fail(err, EPROTO, "\"v\" must be an integer");
		goto out;
	}
	if (json_object_get_int64(v) != MNG_IPC_VERSION) {
		r = req_fail(err, ENOTSUP, "unsupported protocol version %" PRId64,
			     json_object_get_int64(v));
		goto out;
	}
	if (!json_object_object_get_ex(o, "id", &v) || !get_uint(v, UINT32_MAX, &n)) {
		r = req_fail(err, EINVAL, "\"id\" must be an integer 0..4294967295");
		goto out;
	}
	req.id = err->id = (uint32_t)n;
	if (!json_object_object_get_ex(o, "op", &v) || !(s = get_str(v))) {
		r = req_fail(err, EINVAL, "\"op\" must be a string");
		goto out;
	}
	req.op = mng_ipc_op_from_name(s, strlen(s));
	if (req.op == MNG_IPC_OP_NONE) {
		r = req_fail(err, EINVAL, "unknown request");
		goto out;
	}
	bad = unknown_key(o, top_keys);
	if (bad) {
		r = req_fail(err, EINVAL, "unknown key \"%.64s\"", bad);
		goto out;
	}
	(void)json_object_object_get_ex(o, "args", &args);
	r = parse_args(args, &req, err);
	if (r < 0)
		goto out;
	*ret = req;
out:
	json_object_put(o);
	return r;
}

/* Add args with the non-empty text fields of req, each checked as parse would. */
static int format_text_args(struct json_object *o, const struct mng_ipc_request *req,
			    const struct text_field *f, size_t nf)
{
	struct json_object *args = json_object_new_object();
	size_t i;

	if (!add(o, "args", args))
		return -ENOMEM;
	for (i = 0; i < nf; i++) {
		const char *s = (const char *)req + f[i].off;

		if (strnlen(s, f[i].size) >= f[i].size)
			return -EINVAL;
		if (!*s) {
			if (f[i].required)
				return -EINVAL;
			continue;
		}
		if (!strcmp(f[i].key, "user")	 ? !mng_ipc_user_name_ok(s)
		    : !strcmp(f[i].key, "event") ? !mng_ipc_auth_event_ok(s)
						 : !mng_ipc_text_ok(s, f[i].cs))
			return -EINVAL;
		if (!add(args, f[i].key, json_object_new_string(s)))
			return -ENOMEM;
	}
	return 0;
}

/* args of an exemption or login op (nothing for other ops), each checked as parse would. */
static int format_xargs(struct json_object *o, const struct mng_ipc_request *req)
{
	struct json_object *args;
	const struct xarg *x;
	size_t nx, i;

	x = xargs_of(req->op, &nx);
	if (!x)
		return 0;
	args = json_object_new_object();
	if (!add(o, "args", args))
		return -ENOMEM;
	for (i = 0; i < nx; i++) {
		const char *s = (const char *)req + x[i].off;

		if (strnlen(s, x[i].size) >= x[i].size)
			return -EINVAL;
		if (!*s) {
			if (x[i].required)
				return -EINVAL;
			continue;
		}
		if (!xarg_ok(s, x[i].kind))
			return -EINVAL;
		if (!add(args, x[i].key, json_object_new_string(s)))
			return -ENOMEM;
	}
	if (req->op != MNG_IPC_OP_EXEMPTION_REQUEST)
		return 0;
	if (req->minutes > 24 * 60 || req->uses > 1000)
		return -EINVAL;
	if ((req->has_device && !add(args, "device", json_object_new_int64(req->device))) ||
	    (req->minutes && !add(args, "minutes", json_object_new_int64(req->minutes))) ||
	    (req->uses && !add(args, "uses", json_object_new_int64(req->uses))))
		return -ENOMEM;
	return 0;
}

int mng_ipc_request_format(const struct mng_ipc_request *req, char **ret_text, size_t *ret_len)
{
	struct json_object *o = NULL, *args = NULL;
	const char *name = req ? mng_ipc_op_name(req->op) : NULL;
	int r = -ENOMEM;

	if (!name || req->limit > MNG_IPC_PAGE_MAX)
		return -EINVAL;
	o = json_object_new_object();
	if (!o || !add(o, "v", json_object_new_int(MNG_IPC_VERSION)) ||
	    !add(o, "id", json_object_new_int64(req->id)) ||
	    !add(o, "op", json_object_new_string(name)))
		goto out;
	r = format_xargs(o, req);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	switch (req->op) {
	case MNG_IPC_OP_LIST_DEVICES:
	case MNG_IPC_OP_LIST_RULES:
	case MNG_IPC_OP_EXEMPTION_LIST:
		args = json_object_new_object();
		if (!add(o, "args", args) ||
		    !add(args, "offset", json_object_new_int64(req->offset)) ||
		    (req->limit && !add(args, "limit", json_object_new_int64(req->limit))))
			goto out;
		break;
	case MNG_IPC_OP_ALLOW_DEVICE:
	case MNG_IPC_OP_BLOCK_DEVICE:
	case MNG_IPC_OP_REJECT_DEVICE:
		args = json_object_new_object();
		if (!add(o, "args", args) || !add(args, "id", json_object_new_int64(req->device)) ||
		    !add(args, "permanent", json_object_new_boolean(req->permanent)))
			goto out;
		break;
	case MNG_IPC_OP_SESSION_OPEN:
	case MNG_IPC_OP_SESSION_CLOSE:
		r = format_text_args(o, req, session_fields,
				     req->op == MNG_IPC_OP_SESSION_OPEN
					 ? MNG_ARRAY_SIZE(session_fields)
					 : CLOSE_FIELDS);
		if (r < 0)
			goto out;
		r = -ENOMEM;
		break;
	case MNG_IPC_OP_AUTH_REPORT:
		r = format_text_args(o, req, report_fields, MNG_ARRAY_SIZE(report_fields));
		if (r < 0)
			goto out;
		r = -ENOMEM;
		break;
	case MNG_IPC_OP_PRINT_CHECK:
		r = format_print_args(o, req);
		if (r < 0)
			goto out;
		r = -ENOMEM;
		break;
	case MNG_IPC_OP_CLIPBOARD_REPORT:
		r = format_clip_args(o, req);
		if (r < 0)
			goto out;
		r = -ENOMEM;
		break;
	default:
		break;
	}
	r = to_text(o, ret_text, ret_len);
out:
	json_object_put(o);
	return r;
}

/* ---- replies, errors, events ---- */

static struct json_object *envelope(uint32_t id)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (!add(o, "v", json_object_new_int(MNG_IPC_VERSION)) ||
	    !add(o, "id", json_object_new_int64(id))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int mng_ipc_reply_format(uint32_t id, struct json_object *result, char **ret_text, size_t *ret_len)
{
	struct json_object *o;
	int r = -ENOMEM;

	if (result && !json_object_is_type(result, json_type_object))
		return -EINVAL;
	o = envelope(id);
	if (!o)
		return -ENOMEM;
	if (add(o, "ok", json_object_new_boolean(1)) &&
	    add(o, "result", result ? json_object_get(result) : json_object_new_object()))
		r = to_text(o, ret_text, ret_len);
	json_object_put(o);
	return r;
}

int mng_ipc_error_format(uint32_t id, int code, const char *message, char **ret_text,
			 size_t *ret_len)
{
	struct json_object *o, *e;
	int r = -ENOMEM;

	o = envelope(id);
	if (!o)
		return -ENOMEM;
	e = json_object_new_object();
	if (add(o, "ok", json_object_new_boolean(0)) && add(o, "error", e) &&
	    add(e, "code", json_object_new_string(mng_ipc_errno_name(code))) &&
	    add(e, "message", mng_ipc_json_string(message, MNG_IPC_ERRMSG_MAX - 1)))
		r = to_text(o, ret_text, ret_len);
	json_object_put(o);
	return r;
}

static bool event_type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n == 0 || n > 64)
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int mng_ipc_event_format(const char *type, time_t when, struct json_object *fields, char **ret_text,
			 size_t *ret_len)
{
	struct json_object *o = NULL, *ev;
	char ts[32];
	int r;

	if (!event_type_ok(type) || (fields && !json_object_is_type(fields, json_type_object)))
		return -EINVAL;
	if (fields && (json_object_object_get_ex(fields, "type", NULL) ||
		       json_object_object_get_ex(fields, "time", NULL)))
		return -EINVAL;
	r = mng_ipc_time_format(when, ts, sizeof(ts));
	if (r < 0)
		return r;
	r = -ENOMEM;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	ev = json_object_new_object();
	if (!add(o, "v", json_object_new_int(MNG_IPC_VERSION)) || !add(o, "event", ev) ||
	    !add(ev, "type", json_object_new_string(type)) ||
	    !add(ev, "time", json_object_new_string(ts)))
		goto out;
	if (fields) {
		json_object_object_foreach(fields, key, val)
		{
			if (!add(ev, key, json_object_get(val)))
				goto out;
		}
	}
	r = to_text(o, ret_text, ret_len);
out:
	json_object_put(o);
	return r;
}

/* Copy s into dst (size bytes), cut at a UTF-8 character boundary. */
static void copy_utf8(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

int mng_ipc_message_parse(const void *buf, size_t len, struct mng_ipc_message *ret, char *err,
			  size_t errlen)
{
	static const char *const event_keys[] = {"v", "event", NULL};
	static const char *const ok_keys[] = {"v", "id", "ok", "result", NULL};
	static const char *const err_keys[] = {"v", "id", "ok", "error", NULL};
	static const char *const code_keys[] = {"code", "message", NULL};
	struct mng_ipc_message m = {0};
	struct json_object *o = NULL, *v, *e, *c;
	const char *code, *msg;
	uint64_t n;
	int r = -EPROTO;

	r = parse_object(buf, len, &o, err, errlen);
	if (r < 0)
		return r;
	r = -EPROTO;
	if (!json_object_object_get_ex(o, "v", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != MNG_IPC_VERSION) {
		put_err(err, errlen, "missing or unsupported protocol version");
		goto out;
	}
	if (json_object_object_get_ex(o, "event", &e)) {
		if (unknown_key(o, event_keys) || !json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "type", &c) || !get_str(c) ||
		    !json_object_object_get_ex(e, "time", &c) || !get_str(c)) {
			put_err(err, errlen, "malformed event");
			goto out;
		}
		m.kind = MNG_IPC_MSG_EVENT;
		m.body = json_object_get(e);
		goto done;
	}
	if (!json_object_object_get_ex(o, "id", &v) || !get_uint(v, UINT32_MAX, &n)) {
		put_err(err, errlen, "reply without a valid \"id\"");
		goto out;
	}
	m.id = (uint32_t)n;
	if (!json_object_object_get_ex(o, "ok", &v) || !json_object_is_type(v, json_type_boolean)) {
		put_err(err, errlen, "reply without \"ok\"");
		goto out;
	}
	if (json_object_get_boolean(v)) {
		if (unknown_key(o, ok_keys) || !json_object_object_get_ex(o, "result", &e) ||
		    !json_object_is_type(e, json_type_object)) {
			put_err(err, errlen, "malformed reply");
			goto out;
		}
		m.kind = MNG_IPC_MSG_REPLY;
		m.body = json_object_get(e);
		goto done;
	}
	if (unknown_key(o, err_keys) || !json_object_object_get_ex(o, "error", &e) ||
	    !json_object_is_type(e, json_type_object) || unknown_key(e, code_keys) ||
	    !json_object_object_get_ex(e, "code", &c) || !(code = get_str(c)) ||
	    !json_object_object_get_ex(e, "message", &c) || !(msg = get_str(c))) {
		put_err(err, errlen, "malformed error reply");
		goto out;
	}
	m.kind = MNG_IPC_MSG_ERROR;
	m.error.id = m.id;
	m.error.code = mng_ipc_errno_from_name(code);
	m.error.remote = true;
	copy_utf8(m.error.message, sizeof(m.error.message), msg);
done:
	*ret = m;
	r = 0;
out:
	json_object_put(o);
	return r;
}

void mng_ipc_message_clear(struct mng_ipc_message *m)
{
	if (!m)
		return;
	json_object_put(m->body);
	m->body = NULL;
}

/* ---- paging ---- */

size_t mng_ipc_page_end(uint32_t offset, uint32_t limit, size_t total)
{
	if (offset >= total)
		return total;
	if (limit > total - offset)
		return total;
	return (size_t)offset + limit;
}

int mng_ipc_page_next(uint32_t offset, size_t returned, uint64_t total, uint32_t *ret_next)
{
	uint64_t end;

	if (total > MNG_IPC_LIST_MAX)
		return -EPROTO;
	if (offset >= total)
		return returned ? -EPROTO : 0;
	if (returned > total - offset)
		return -EPROTO;
	end = (uint64_t)offset + returned;
	if (end >= total)
		return 0;
	if (returned == 0 || end > UINT32_MAX)
		return -EPROTO;
	*ret_next = (uint32_t)end;
	return 1;
}

/* ---- transport ---- */

int mng_ipc_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	if (len > MNG_IPC_MSG_MAX)
		return -EMSGSIZE;
	do
		n = send(fd, buf, len, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int mng_ipc_recv(int fd, void *buf, size_t size, int flags, size_t *ret_len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = size ? size - 1 : 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (!buf || size < 2)
		return -EINVAL;
	/* No control buffer: descriptors a peer passes are discarded by the kernel. */
	n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > MNG_IPC_MSG_MAX)
		return -EMSGSIZE;
	((char *)buf)[n] = '\0';
	*ret_len = (size_t)n;
	return 0;
}

int mng_ipc_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!path)
		path = MNG_IPC_SOCKET_DEFAULT;
	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int local_fail(struct mng_ipc_error *err, uint32_t id, int r, const char *fmt, ...)
    MNG_PRINTF(4, 5);
static int local_fail(struct mng_ipc_error *err, uint32_t id, int r, const char *fmt, ...)
{
	va_list ap;

	err->id = id;
	err->code = -r;
	err->remote = false;
	va_start(ap, fmt);
	(void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

int mng_ipc_send_fd(int fd, const void *buf, size_t len, int flags, int passfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c;
	ssize_t n;

	if (passfd < 0)
		return mng_ipc_send(fd, buf, len, flags);
	if (len == 0)
		return -EINVAL;
	if (len > MNG_IPC_MSG_MAX)
		return -EMSGSIZE;
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	do
		n = sendmsg(fd, &mh, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int mng_ipc_recv_fd(int fd, void *buf, size_t size, int flags, size_t *ret_len, int *ret_fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = size ? size - 1 : 0};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c;
	int got = -1, extra = 0;
	ssize_t n;

	*ret_fd = -1;
	if (!buf || size < 2)
		return -EINVAL;
	n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int pfd;

			memcpy(&pfd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (got < 0 && !extra) {
				got = pfd;
			} else {
				(void)close(pfd);
				extra++;
			}
		}
	}
	if (extra || (mh.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			(void)close(got);
		return -EBADMSG;
	}
	if (n == 0 || (mh.msg_flags & MSG_TRUNC) || (size_t)n > MNG_IPC_MSG_MAX) {
		if (got >= 0)
			(void)close(got);
		return n == 0 ? -ECONNRESET : -EMSGSIZE;
	}
	((char *)buf)[n] = '\0';
	*ret_len = (size_t)n;
	*ret_fd = got;
	return 0;
}

static int call(int fd, const struct mng_ipc_request *req, int passfd, int timeout_ms,
		struct json_object **ret_result, struct mng_ipc_error *err);

int mng_ipc_call(int fd, const struct mng_ipc_request *req, int timeout_ms,
		 struct json_object **ret_result, struct mng_ipc_error *err)
{
	return call(fd, req, -1, timeout_ms, ret_result, err);
}

int mng_ipc_call_fd(int fd, const struct mng_ipc_request *req, int passfd, int timeout_ms,
		    struct json_object **ret_result, struct mng_ipc_error *err)
{
	if (passfd < 0)
		return local_fail(err, req ? req->id : 0, -EBADF, "no descriptor to pass");
	return call(fd, req, passfd, timeout_ms, ret_result, err);
}

static int call(int fd, const struct mng_ipc_request *req, int passfd, int timeout_ms,
		struct json_object **ret_result, struct mng_ipc_error *err)
{
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	struct mng_ipc_message m;
	char *text = NULL, *buf = NULL, why[160];
	size_t len;
	int r;

	r = mng_ipc_request_format(req, &text, &len);
	if (r < 0)
		return local_fail(err, req ? req->id : 0, r, "cannot build the request: %s",
				  strerror(-r));
	r = mng_ipc_send_fd(fd, text, len, 0, passfd);
	free(text);
	if (r < 0)
		return local_fail(err, req->id, r == -EPIPE ? -ECONNRESET : r,
				  "cannot send to the agent: %s", strerror(-r));
	buf = malloc(MNG_IPC_MSG_MAX + 1);
	if (!buf)
		return local_fail(err, req->id, -ENOMEM, "out of memory");
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int wait = -1;

		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				r = local_fail(err, req->id, -ETIMEDOUT,
					       "no reply from the agent within %d ms", timeout_ms);
				break;
			}
			wait = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = local_fail(err, req->id, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (r == 0)
			continue; /* the deadline check above ends it */
		r = mng_ipc_recv(fd, buf, MNG_IPC_MSG_MAX + 1, MSG_DONTWAIT, &len);
		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r == -ECONNRESET) {
			r = local_fail(err, req->id, r, "the agent closed the connection");
			break;
		}
		if (r < 0) {
			r = local_fail(err, req->id, r, "cannot read the reply: %s", strerror(-r));
			break;
		}
		r = mng_ipc_message_parse(buf, len, &m, why, sizeof(why));
		if (r < 0) {
			r = local_fail(err, req->id, r, "malformed reply from the agent: %s", why);
			break;
		}
		if (m.kind == MNG_IPC_MSG_EVENT ||
		    (m.id != req->id && !(m.kind == MNG_IPC_MSG_ERROR && m.id == 0))) {
			mng_ipc_message_clear(&m);
			continue;
		}
		if (m.kind == MNG_IPC_MSG_ERROR) {
			*err = m.error;
			r = -m.error.code;
			break;
		}
		*ret_result = m.body;
		r = 0;
		break;
	}
	free(buf);
	return r;
}

int mng_ipc_list(int fd, enum mng_ipc_op op, int timeout_ms, struct json_object **ret_entries,
		 struct mng_ipc_error *err)
{
	const char *key = op == MNG_IPC_OP_LIST_DEVICES	     ? "devices"
			  : op == MNG_IPC_OP_LIST_RULES	     ? "rules"
			  : op == MNG_IPC_OP_EXEMPTION_LIST ? "exemptions"
							     : NULL;
	const char *keys[] = {"total", "offset", key, NULL};
	struct mng_ipc_request req = {.op = op, .limit = MNG_IPC_PAGE_MAX};
	struct json_object *all, *res = NULL, *v, *arr;
	uint64_t total, off;
	size_t n, i;
	int r;

	if (!key)
		return local_fail(err, 0, -EINVAL, "not a list request");
	all = json_object_new_array();
	if (!all)
		return local_fail(err, 0, -ENOMEM, "out of memory");
	for (;;) {
		req.id++;
		r = mng_ipc_call(fd, &req, timeout_ms, &res, err);
		if (r < 0)
			goto fail;
		if (unknown_key(res, keys) || !json_object_object_get_ex(res, "total", &v) ||
		    !get_uint(v, UINT32_MAX, &total) ||
		    !json_object_object_get_ex(res, "offset", &v) ||
		    !get_uint(v, UINT32_MAX, &off) || off != req.offset ||
		    !json_object_object_get_ex(res, key, &arr) ||
		    !json_object_is_type(arr, json_type_array) ||
		    (n = json_object_array_length(arr)) > req.limit) {
			r = local_fail(err, req.id, -EPROTO, "malformed %s page from the agent",
				       mng_ipc_op_name(op));
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (json_object_array_add(
				all, json_object_get(json_object_array_get_idx(arr, i))) < 0) {
				r = local_fail(err, req.id, -ENOMEM, "out of memory");
				goto fail;
			}
		json_object_put(res);
		res = NULL;
		r = mng_ipc_page_next(req.offset, n, total, &req.offset);
		if (r < 0) {
			r = local_fail(err, req.id, r, "inconsistent %s page from the agent",
				       mng_ipc_op_name(op));
			goto fail;
		}
		if (r == 0)
			break;
	}
	*ret_entries = all;
	return 0;
fail:
	json_object_put(res);
	json_object_put(all);
	return r;
}

/* ---- credentials ---- */

bool mng_ipc_admin_match(uid_t uid, gid_t gid, const gid_t *groups, size_t n, bool have_admin_gid,
			 gid_t admin_gid)
{
	size_t i;

	if (uid == 0)
		return true;
	if (!have_admin_gid)
		return false;
	if (gid == admin_gid)
		return true;
	for (i = 0; groups && i < n; i++)
		if (groups[i] == admin_gid)
			return true;
	return false;
}

static int lookup_group(const char *name, bool *ret_found, gid_t *ret_gid)
{
	size_t size = 4096;
	struct group gr, *res = NULL;
	char *buf = NULL;
	int e;

	for (;;) {
		char *nb = realloc(buf, size);

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		e = getgrnam_r(name, &gr, buf, size, &res);
		if (e != ERANGE)
			break;
		if (size >= GRBUF_MAX) {
			free(buf);
			return -E2BIG;
		}
		size *= 2;
	}
	if (e != 0 && e != ENOENT && e != ESRCH && e != EBADF && e != EPERM) {
		free(buf);
		return -e;
	}
	*ret_found = res != NULL;
	if (res)
		*ret_gid = res->gr_gid;
	free(buf);
	return 0;
}

static int peer_groups(int fd, gid_t **ret, size_t *ret_n)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *g = NULL;
	int tries, e = EIO;

	for (tries = 0; tries < 4; tries++) {
		gid_t *ng = realloc(g, len ? len : sizeof(gid_t));

		if (!ng) {
			free(g);
			return -ENOMEM;
		}
		g = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			*ret = g;
			*ret_n = len / sizeof(gid_t);
			return 0;
		}
		e = errno;
		if (e != ERANGE || len > GROUPS_MAX * sizeof(gid_t))
			break;
	}
	free(g);
	return e == ERANGE ? -E2BIG : -e;
}

int mng_ipc_peer_is_admin(int fd, const char *group, bool *ret_admin, uid_t *ret_uid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t *groups = NULL, admin_gid = 0;
	bool found = false;
	size_t n = 0;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EIO;
	if (uc.uid != 0) {
		r = lookup_group(group ? group : MNG_IPC_ADMIN_GROUP, &found, &admin_gid);
		if (r < 0)
			return r;
		if (found) {
			r = peer_groups(fd, &groups, &n);
			if (r < 0)
				return r;
		}
	}
	*ret_admin = mng_ipc_admin_match(uc.uid, uc.gid, groups, n, found, admin_gid);
	if (ret_uid)
		*ret_uid = uc.uid;
	free(groups);
	return 0;
}

/* ---- peer credentials and the PAM module's reports ---- */

int mng_ipc_peer_cred(int fd, uid_t *ret_uid, gid_t *ret_gid, pid_t *ret_pid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EIO;
	if (ret_uid)
		*ret_uid = uc.uid;
	if (ret_gid)
		*ret_gid = uc.gid;
	if (ret_pid)
		*ret_pid = uc.pid;
	return 0;
}
