// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipc_client.c - the protocol parts that need no JSON library, and the
 * session and auth-report notifications (see ipc_client.h).
 *
 * MUST: nothing is sent unless every field passed the checks the agent's
 *       parser applies (user name, event name, charsets, caps).
 * MUST: every string written into a packet is JSON-escaped ('"', '\\' and
 *       every byte below 0x20), so no field can add a key.
 * MUST: a notification never waits longer than MNG_IPC_NOTIFY_TIMEOUT_MS,
 *       raises no SIGPIPE and keeps no descriptor.
 * MUST: only a well-formed reply carrying the request's id and "ok": true
 *       counts as accepted.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipc_client.h"
#include "utf8.h"
#include "textbuf.h"

#define REPLY_DEPTH_MAX 8 /* nesting the reply scanner follows */

static const char *const op_names[] = {
    [MNG_IPC_OP_STATUS] = "status",
    [MNG_IPC_OP_LIST_DEVICES] = "list-devices",
    [MNG_IPC_OP_LIST_RULES] = "list-rules",
    [MNG_IPC_OP_ALLOW_DEVICE] = "allow-device",
    [MNG_IPC_OP_BLOCK_DEVICE] = "block-device",
    [MNG_IPC_OP_REJECT_DEVICE] = "reject-device",
    [MNG_IPC_OP_POLICY_RELOAD] = "policy-reload",
    [MNG_IPC_OP_WATCH] = "watch",
    [MNG_IPC_OP_SESSION_OPEN] = "session-open",
    [MNG_IPC_OP_SESSION_CLOSE] = "session-close",
    [MNG_IPC_OP_AUTH_REPORT] = "auth-report",
    [MNG_IPC_OP_EXEMPTION_REDEEM] = "exemption-redeem",
    [MNG_IPC_OP_EXEMPTION_REQUEST] = "exemption-request",
    [MNG_IPC_OP_EXEMPTION_ENTER] = "exemption-enter",
    [MNG_IPC_OP_EXEMPTION_LIST] = "exemption-list",
    [MNG_IPC_OP_EXEMPTION_REVOKE] = "exemption-revoke",
    [MNG_IPC_OP_EXEMPTION_CHECK] = "exemption-check",
    [MNG_IPC_OP_LOGIN_REQUEST] = "login-request",
    [MNG_IPC_OP_LOGIN_PASS] = "login-pass",
    [MNG_IPC_OP_PRINT_CHECK] = "print-check",
    [MNG_IPC_OP_SESSION_POLICY] = "session-policy",
    [MNG_IPC_OP_CLIPBOARD_REPORT] = "clipboard-report",
    [MNG_IPC_OP_SESSION_WATCH] = "session-watch",
    [MNG_IPC_OP_POLICY_INSTALL] = "policy-install",
};

static const char *const auth_events[] = {
    "login.ok",
    "login.deny",
    "login.pin-wrong",
    "login.clone-suspected",
    "login.aaguid-refused",
    "login.bad-signature",
    "key.revoke",
    "key.enroll",
    NULL,
};

static const struct {
	int code;
	const char *name;
} err_names[] = {
    {EPERM, "EPERM"},	  {EINVAL, "EINVAL"}, {ENOENT, "ENOENT"}, {EPROTO, "EPROTO"},
    {ENOTSUP, "ENOTSUP"}, {EBUSY, "EBUSY"},   {EIO, "EIO"},
};

const char *mng_ipc_errno_name(int code)
{
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(err_names); i++)
		if (err_names[i].code == code)
			return err_names[i].name;
	return "EIO";
}

int mng_ipc_errno_from_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < MNG_ARRAY_SIZE(err_names); i++)
		if (!strcmp(err_names[i].name, name))
			return err_names[i].code;
	return EIO;
}

const char *mng_ipc_op_name(enum mng_ipc_op op)
{
	if ((size_t)op >= MNG_ARRAY_SIZE(op_names))
		return NULL;
	return op_names[op];
}

enum mng_ipc_op mng_ipc_op_from_name(const char *s, size_t len)
{
	size_t i;

	if (!s)
		return MNG_IPC_OP_NONE;
	for (i = 1; i < MNG_ARRAY_SIZE(op_names); i++)
		if (op_names[i] && strlen(op_names[i]) == len && !memcmp(op_names[i], s, len))
			return (enum mng_ipc_op)i;
	return MNG_IPC_OP_NONE;
}

bool mng_ipc_auth_event_ok(const char *event)
{
	size_t i;

	for (i = 0; event && auth_events[i]; i++)
		if (!strcmp(event, auth_events[i]))
			return true;
	return false;
}

bool mng_ipc_clip_event_ok(const char *s)
{
	return s && (!strcmp(s, "redact") || !strcmp(s, "block"));
}

bool mng_ipc_selection_ok(const char *s)
{
	return s && (!strcmp(s, "CLIPBOARD") || !strcmp(s, "PRIMARY"));
}

bool mng_ipc_user_name_ok(const char *s)
{
	size_t i;

	if (!s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (i = 1; s[i]; i++) {
		char c = s[i];

		if (i >= MNG_IPC_USER_MAX || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
					       c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static bool alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool mng_ipc_text_ok(const char *s, enum mng_ipc_charset cs)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n = strlen(s), k;

	for (i = 0; i < n; i++) {
		switch (cs) {
		case MNG_IPC_CS_SEAT:
			if (!alnum(p[i]) && p[i] != '_' && p[i] != '-')
				return false;
			break;
		case MNG_IPC_CS_SERVICE:
			if (!alnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
				return false;
			break;
		case MNG_IPC_CS_TTY:
			if (p[i] <= 0x20 || p[i] >= 0x7f)
				return false;
			break;
		case MNG_IPC_CS_TEXT:
			if (p[i] < 0x20 || p[i] == 0x7f)
				return false;
			break;
		case MNG_IPC_CS_DIGITS:
			if (p[i] < '0' || p[i] > '9')
				return false;
			break;
		default:
			return false;
		}
	}
	if (cs != MNG_IPC_CS_TEXT)
		return true;
	for (i = 0; i < n; i += k) {
		k = mng_utf8_len(p + i, n - i);
		if (!k)
			return false;
	}
	return true;
}

size_t mng_ipc_text_clean(const char *s, char *out, size_t max, bool controls_to_space)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0, i = 0, k;

	while (i < n) {
		k = mng_utf8_len(p + i, n - i);
		if (k) {
			if (o + k > max)
				break;
			memcpy(out + o, p + i, k);
			if (controls_to_space && k == 1 && (p[i] < 0x20 || p[i] == 0x7f))
				out[o] = ' ';
			i += k;
		} else {
			k = 3;
			if (o + k > max)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			i++;
		}
		o += k;
	}
	out[o] = '\0';
	return o;
}

/* ---- formatting ---- */

static void put_str(struct mng_textbuf *o, const char *s)
{
	mng_textbuf_put(o, s, strlen(s));
}

/* A JSON string: quotes, backslashes and bytes below 0x20 escaped. */
static void put_json(struct mng_textbuf *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};

	mng_textbuf_put(o, "\"", 1);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			mng_textbuf_put(o, esc, 2);
			esc[1] = 'u';
		} else if (*p < 0x20) {
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			mng_textbuf_put(o, esc, 6);
		} else {
			mng_textbuf_put(o, (const char *)p, 1);
		}
	}
	mng_textbuf_put(o, "\"", 1);
}

/* Printable ASCII; with blanks_ok also space, tab, CR, LF (a pasted token). */
static bool ascii_ok(const char *s, bool blanks_ok)
{
	for (; *s; s++)
		if (!((*s > 0x20 && *s < 0x7f) || *s == ' ' ||
		      (blanks_ok && (*s == '\t' || *s == '\n' || *s == '\r'))))
			return false;
	return true;
}

struct field {
	const char *key;
	const char *val;
	int cs; /* enum mng_ipc_charset; -1 user name, -2 event name, -3 secret, -4 ticket */
	size_t size;
	bool required;
};

int mng_ipc_notify_format(const struct mng_ipc_request *req, char *buf, size_t size)
{
	struct field f[8] = {{0}};
	struct mng_textbuf o = {.buf = buf, .size = size};
	char num[16];
	size_t i, nf = 0;
	bool first = true;

	if (!req || !buf || size == 0)
		return -EINVAL;
	switch (req->op) {
	case MNG_IPC_OP_SESSION_OPEN:
	case MNG_IPC_OP_SESSION_CLOSE:
		f[nf++] = (struct field){"user", req->user, -1, sizeof(req->user), true};
		f[nf++] =
		    (struct field){"seat", req->seat, MNG_IPC_CS_SEAT, sizeof(req->seat), false};
		f[nf++] = (struct field){"tty", req->tty, MNG_IPC_CS_TTY, sizeof(req->tty), false};
		f[nf++] = (struct field){"service", req->service, MNG_IPC_CS_SERVICE,
					 sizeof(req->service), false};
		if (req->op == MNG_IPC_OP_SESSION_CLOSE)
			break;
		f[nf++] = (struct field){"session", req->session, MNG_IPC_CS_SEAT,
					 sizeof(req->session), false};
		f[nf++] = (struct field){"key_port", req->key_port, MNG_IPC_CS_SERVICE,
					 sizeof(req->key_port), false};
		f[nf++] = (struct field){"key_devnum", req->key_devnum, MNG_IPC_CS_DIGITS,
					 sizeof(req->key_devnum), false};
		f[nf++] = (struct field){"key_serial", req->key_serial, MNG_IPC_CS_TEXT,
					 sizeof(req->key_serial), false};
		break;
	case MNG_IPC_OP_AUTH_REPORT:
		f[nf++] = (struct field){"event", req->event, -2, sizeof(req->event), true};
		f[nf++] = (struct field){"user", req->user, -1, sizeof(req->user), true};
		f[nf++] =
		    (struct field){"label", req->label, MNG_IPC_CS_TEXT, sizeof(req->label), false};
		f[nf++] = (struct field){"detail", req->detail, MNG_IPC_CS_TEXT,
					 sizeof(req->detail), false};
		break;
	case MNG_IPC_OP_LOGIN_REQUEST:
		f[nf++] = (struct field){"user", req->user, -1, sizeof(req->user), true};
		break;
	case MNG_IPC_OP_LOGIN_PASS:
		f[nf++] = (struct field){"user", req->user, -1, sizeof(req->user), true};
		f[nf++] = (struct field){"secret", req->secret, -3, sizeof(req->secret), true};
		f[nf++] = (struct field){"ticket", req->ticket, -4, sizeof(req->ticket), false};
		break;
	default:
		return -EINVAL;
	}
	snprintf(num, sizeof(num), "%u", req->id);
	put_str(&o, "{\"v\":1,\"id\":");
	put_str(&o, num);
	put_str(&o, ",\"op\":");
	put_json(&o, mng_ipc_op_name(req->op));
	put_str(&o, ",\"args\":{");
	for (i = 0; i < nf; i++) {
		if (strnlen(f[i].val, f[i].size) >= f[i].size)
			return -EINVAL;
		if (!f[i].val[0]) {
			if (f[i].required)
				return -EINVAL;
			continue;
		}
		if (f[i].cs == -1   ? !mng_ipc_user_name_ok(f[i].val)
		    : f[i].cs == -2 ? !mng_ipc_auth_event_ok(f[i].val)
		    : f[i].cs <= -3 ? !ascii_ok(f[i].val, f[i].cs == -3)
				    : !mng_ipc_text_ok(f[i].val, (enum mng_ipc_charset)f[i].cs))
			return -EINVAL;
		if (!first)
			mng_textbuf_put(&o, ",", 1);
		first = false;
		put_json(&o, f[i].key);
		mng_textbuf_put(&o, ":", 1);
		put_json(&o, f[i].val);
	}
	put_str(&o, "}}");
	if (o.full || o.len > MNG_IPC_MSG_MAX)
		return -ENOBUFS;
	return (int)o.len;
}

/* ---- the reply ---- */

struct scan {
	const char *p, *end;
};

struct reply {
	bool has_v, has_id, has_ok, ok, event, has_code, has_rcode;
	uint64_t v, id;
	char code[16];
	char rcode[64]; /* result.code (login-request), raw */
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* A JSON string; its raw text (escapes kept) when it fits out, else out = "". */
static bool scan_string(struct scan *s, char *out, size_t outsize)
{
	const char *start;
	size_t n, i;

	ws(s);
	if (s->p >= s->end || *s->p != '"')
		return false;
	start = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return false;
		if (*s->p == '\\') {
			if (++s->p >= s->end)
				return false;
			if (*s->p == 'u') {
				for (i = 1; i <= 4; i++)
					if (s->p + i >= s->end ||
					    !strchr("0123456789abcdefABCDEF", s->p[i]) || !s->p[i])
						return false;
				s->p += 4;
			} else if (!strchr("\"\\/bfnrt", *s->p) || !*s->p) {
				return false;
			}
		}
		s->p++;
	}
	if (s->p >= s->end)
		return false;
	n = (size_t)(s->p - start);
	s->p++;
	if (out) {
		if (n >= outsize)
			n = 0;
		memcpy(out, start, n);
		out[n] = '\0';
	}
	return true;
}

static bool scan_number(struct scan *s, uint64_t *ret)
{
	uint64_t v = 0;
	bool digits = false, plain = true;

	ws(s);
	if (s->p < s->end && *s->p == '-') {
		plain = false;
		s->p++;
	}
	while (s->p < s->end && strchr("0123456789.eE+-", *s->p) && *s->p) {
		if (*s->p >= '0' && *s->p <= '9') {
			digits = true;
			if (v > UINT32_MAX)
				plain = false;
			v = v * 10 + (uint64_t)(*s->p - '0');
		} else {
			plain = false;
		}
		s->p++;
	}
	if (ret)
		*ret = plain ? v : UINT64_MAX;
	return digits;
}

static bool scan_word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	ws(s);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, int depth, struct reply *r, const char *key);

/* An object; at depth 0 the reply's own keys, at depth 1 inside "error". */
static bool scan_object(struct scan *s, int depth, struct reply *r, const char *parent)
{
	char key[16];

	if (depth >= REPLY_DEPTH_MAX || !scan_word(s, "{"))
		return false;
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const char *k = NULL;

		if (!scan_string(s, key, sizeof(key)) || !scan_word(s, ":"))
			return false;
		if (depth == 0 || (depth == 1 && parent && !strcmp(parent, "error")))
			k = key;
		if (k && depth == 1) /* only error.code matters inside */
			k = !strcmp(key, "code") ? "error.code" : NULL;
		else if (depth == 1 && parent && !strcmp(parent, "result") && !strcmp(key, "code"))
			k = "result.code";
		if (!scan_value(s, depth + 1, r, k))
			return false;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		return scan_word(s, "}");
	}
}

static bool scan_value(struct scan *s, int depth, struct reply *r, const char *key)
{
	ws(s);
	if (s->p >= s->end)
		return false;
	if (key && !strcmp(key, "event"))
		r->event = true;
	switch (*s->p) {
	case '{':
		return scan_object(s, depth, r, key);
	case '[':
		if (depth >= REPLY_DEPTH_MAX)
			return false;
		s->p++;
		ws(s);
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		for (;;) {
			if (!scan_value(s, depth + 1, r, NULL))
				return false;
			ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				continue;
			}
			return scan_word(s, "]");
		}
	case '"':
		if (key && !strcmp(key, "error.code")) {
			r->has_code = true;
			return scan_string(s, r->code, sizeof(r->code));
		}
		if (key && !strcmp(key, "result.code")) {
			r->has_rcode = true;
			return scan_string(s, r->rcode, sizeof(r->rcode));
		}
		return scan_string(s, NULL, 0);
	case 't':
	case 'f':
		if (key && !strcmp(key, "ok")) {
			r->has_ok = true;
			r->ok = *s->p == 't';
		}
		return scan_word(s, *s->p == 't' ? "true" : "false");
	case 'n':
		return scan_word(s, "null");
	default:
		if (key && !strcmp(key, "v")) {
			r->has_v = true;
			return scan_number(s, &r->v);
		}
		if (key && !strcmp(key, "id")) {
			r->has_id = true;
			return scan_number(s, &r->id);
		}
		return scan_number(s, NULL);
	}
}

/*
 * What one packet says about request id: 1 not for it (an event, another
 * id), 0 accepted, -errno refused, -EPROTO malformed.
 */
static int judge_reply(const char *buf, size_t len, uint32_t id, char *code, size_t codesize)
{
	struct scan s = {buf, buf + len};
	struct reply r = {0};

	if (!scan_object(&s, 0, &r, NULL))
		return -EPROTO;
	ws(&s);
	if (s.p != s.end || !r.has_v || r.v != MNG_IPC_VERSION)
		return -EPROTO;
	if (r.event)
		return 1;
	if (!r.has_id || !r.has_ok || r.id > UINT32_MAX)
		return -EPROTO;
	if (r.id != id && !(r.id == 0 && !r.ok))
		return 1;
	if (r.ok && code) {
		if (!r.has_rcode || !r.rcode[0] || strlen(r.rcode) >= codesize)
			return -EPROTO;
		memcpy(code, r.rcode, strlen(r.rcode) + 1);
	}
	if (r.ok)
		return 0;
	if (!r.has_code)
		return -EPROTO;
	return -mng_ipc_errno_from_name(r.code);
}

static int64_t now_ms(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * One short request: a non-blocking connect (a full listen backlog fails
 * at once with -EAGAIN instead of blocking the login), the whole exchange
 * bounded by MNG_IPC_NOTIFY_TIMEOUT_MS.
 */
static int notify_call(const char *path, const struct mng_ipc_request *req, int timeout_ms,
		       char *code, size_t codesize)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *text, *reply = NULL;
	size_t textsize = 2 * MNG_IPC_SECRET_MAX + 4096; /* a secret of 4096 bytes, escaped */
	struct stat st;
	int64_t deadline;
	ssize_t n;
	int fd = -1, r, len;

	text = malloc(textsize);
	if (!text)
		return -ENOMEM;
	/* checked and formatted before anything is connected */
	len = mng_ipc_notify_format(req, text, textsize);
	if (len < 0) {
		r = len == -ENOBUFS ? -EINVAL : len;
		goto out;
	}
	if (!path)
		path = MNG_IPC_SOCKET_DEFAULT;
	r = -EINVAL;
	if (!*path)
		goto out;
	r = -ENAMETOOLONG;
	if (strlen(path) >= sizeof(sa.sun_path))
		goto out;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* no agent: say so without making a socket (a login reports every time) */
	if (stat(path, &st) < 0) {
		r = -errno;
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	deadline = now_ms() + timeout_ms;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	do
		n = send(fd, text, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != len) {
		r = n < 0 ? (errno == EPIPE ? -ECONNRESET : -errno) : -EIO;
		goto out;
	}
	reply = malloc(MNG_IPC_MSG_MAX + 1);
	if (!reply) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			break;
		}
		if (r == 0)
			continue;
		n = recv(fd, reply, MNG_IPC_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			r = -ECONNRESET;
			break;
		}
		if (n > MNG_IPC_MSG_MAX) {
			r = -EMSGSIZE;
			break;
		}
		r = judge_reply(reply, (size_t)n, req->id, code, codesize);
		if (r <= 0)
			break;
	}
out:
	free(reply);
	explicit_bzero(text, textsize); /* it may hold a token */
	free(text);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int mng_ipc_session_notify(const char *socket_path, bool open, const char *user, const char *seat,
			   const char *tty, const char *service)
{
	struct mng_ipc_request req = {.id = 1};
	const char *v[3] = {seat, tty, service};
	char *dst[3] = {req.seat, req.tty, req.service};
	size_t i, n;

	req.op = open ? MNG_IPC_OP_SESSION_OPEN : MNG_IPC_OP_SESSION_CLOSE;
	if (!mng_ipc_user_name_ok(user))
		return -EINVAL;
	memcpy(req.user, user, strlen(user) + 1);
	for (i = 0; i < 3; i++) {
		n = v[i] ? strlen(v[i]) : 0;
		if (n > MNG_IPC_NAME_MAX)
			return -EINVAL;
		memcpy(dst[i], v[i] ? v[i] : "", n);
		dst[i][n] = '\0';
	}
	return notify_call(socket_path, &req, MNG_IPC_NOTIFY_TIMEOUT_MS, NULL, 0);
}

/* Copy v (NULL: "") into dst (size bytes) when it fits and is in charset cs. */
static bool extra_copy(char *dst, size_t size, const char *v, enum mng_ipc_charset cs)
{
	size_t n = v ? strlen(v) : 0;

	if (n >= size || (n && !mng_ipc_text_ok(v, cs)))
		return false;
	memcpy(dst, v ? v : "", n);
	dst[n] = '\0';
	return true;
}

int mng_ipc_session_notify_extra(const char *socket_path, const char *user, const char *seat,
				 const char *tty, const char *service,
				 const struct mng_ipc_session_extra *x)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_SESSION_OPEN};
	const struct mng_ipc_session_extra none = {0};

	if (!x)
		x = &none;
	if (!mng_ipc_user_name_ok(user) ||
	    !extra_copy(req.seat, sizeof(req.seat), seat, MNG_IPC_CS_SEAT) ||
	    !extra_copy(req.tty, sizeof(req.tty), tty, MNG_IPC_CS_TTY) ||
	    !extra_copy(req.service, sizeof(req.service), service, MNG_IPC_CS_SERVICE) ||
	    !extra_copy(req.session, sizeof(req.session), x->session, MNG_IPC_CS_SEAT) ||
	    !extra_copy(req.key_port, sizeof(req.key_port), x->key_port, MNG_IPC_CS_SERVICE) ||
	    !extra_copy(req.key_devnum, sizeof(req.key_devnum), x->key_devnum, MNG_IPC_CS_DIGITS) ||
	    !extra_copy(req.key_serial, sizeof(req.key_serial), x->key_serial, MNG_IPC_CS_TEXT))
		return -EINVAL;
	memcpy(req.user, user, strlen(user) + 1);
	return notify_call(socket_path, &req, MNG_IPC_NOTIFY_TIMEOUT_MS, NULL, 0);
}

int mng_ipc_auth_report(const char *socket_path, const char *event, const char *user,
			const char *label, const char *detail)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_AUTH_REPORT};

	if (!mng_ipc_auth_event_ok(event) || !mng_ipc_user_name_ok(user))
		return -EINVAL;
	snprintf(req.event, sizeof(req.event), "%s", event);
	snprintf(req.user, sizeof(req.user), "%s", user);
	(void)mng_ipc_text_clean(label, req.label, sizeof(req.label) - 1, true);
	(void)mng_ipc_text_clean(detail, req.detail, sizeof(req.detail) - 1, true);
	return notify_call(socket_path, &req, MNG_IPC_NOTIFY_TIMEOUT_MS, NULL, 0);
}

int mng_ipc_login_request(const char *socket_path, const char *user, char *code, size_t size)
{
	struct mng_ipc_request *req;
	size_t i;
	int r;

	if (!mng_ipc_user_name_ok(user) || !code || size == 0)
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->id = 1;
	req->op = MNG_IPC_OP_LOGIN_REQUEST;
	snprintf(req->user, sizeof(req->user), "%s", user);
	r = notify_call(socket_path, req, MNG_IPC_PASS_TIMEOUT_MS, code, size);
	free(req);
	/* the code goes to the user's screen: digits and hyphens only */
	for (i = 0; r == 0 && code[i]; i++)
		if (!((code[i] >= '0' && code[i] <= '9') || code[i] == '-' || code[i] == ' '))
			r = -EPROTO;
	if (r < 0)
		code[0] = '\0';
	return r;
}

int mng_ipc_login_pass(const char *socket_path, const char *user, const char *secret,
		       const char *ticket)
{
	struct mng_ipc_request *req;
	int r = -EINVAL;

	if (!mng_ipc_user_name_ok(user) || !secret || !*secret ||
	    strlen(secret) > MNG_IPC_SECRET_MAX || (ticket && strlen(ticket) > MNG_IPC_TICKET_MAX))
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->id = 1;
	req->op = MNG_IPC_OP_LOGIN_PASS;
	snprintf(req->user, sizeof(req->user), "%s", user);
	memcpy(req->secret, secret, strlen(secret) + 1);
	if (ticket)
		memcpy(req->ticket, ticket, strlen(ticket) + 1);
	r = notify_call(socket_path, req, MNG_IPC_PASS_TIMEOUT_MS, NULL, 0);
	explicit_bzero(req, sizeof(*req));
	free(req);
	return r;
}
