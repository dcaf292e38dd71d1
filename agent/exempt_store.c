// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exempt_store.c - parse and write the record file of one stored exemption
 * (see exempt_store.h). Depends on lib/ only, so that the fuzz harness can
 * build it alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "exempt_store.h"
#include "mng.h"

enum xkey {
	K_KIND,
	K_STATE,
	K_USES_LEFT,
	K_REDEEMED,
	K_REDEEMED_BY,
	K_TOKEN,
	K_ID,
	K_SCOPE,
	K_OBJECT,
	K_USER,
	K_NBF,
	K_EXP,
	K_USES,
	K_TICKET,
	K_MAC,
	K_DEVICES,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
    [K_KIND] = "kind",
    [K_STATE] = "state",
    [K_USES_LEFT] = "uses-left",
    [K_REDEEMED] = "redeemed",
    [K_REDEEMED_BY] = "redeemed-by",
    [K_TOKEN] = "token",
    [K_ID] = "id",
    [K_SCOPE] = "scope",
    [K_OBJECT] = "object",
    [K_USER] = "user",
    [K_NBF] = "nbf",
    [K_EXP] = "exp",
    [K_USES] = "uses",
    [K_TICKET] = "ticket",
    [K_MAC] = "mac",
    [K_DEVICES] = "devices",
};

/* The keys each kind needs, beyond kind, state, uses-left, redeemed, redeemed-by. */
static const unsigned kind_keys[] = {
    [XSTORE_TOKEN] = 1u << K_TOKEN,
    [XSTORE_PHONE] = 1u << K_ID | 1u << K_SCOPE | 1u << K_OBJECT | 1u << K_USER | 1u << K_NBF |
		     1u << K_EXP | 1u << K_USES | 1u << K_TICKET | 1u << K_MAC,
    [XSTORE_REVOKED_ID] = 1u << K_ID | 1u << K_EXP,
};

#define COMMON_KEYS                                                                                \
	(1u << K_KIND | 1u << K_STATE | 1u << K_USES_LEFT | 1u << K_REDEEMED | 1u << K_REDEEMED_BY)

static const char *const kind_names[] = {
    [XSTORE_TOKEN] = "token", [XSTORE_PHONE] = "phone", [XSTORE_REVOKED_ID] = "revoked-id"};
static const char *const state_names[] = {[XSTORE_ACTIVE] = "active",
					  [XSTORE_USED] = "used",
					  [XSTORE_REVOKED] = "revoked",
					  [XSTORE_EXPIRED] = "expired"};

const char *xstore_kind_name(enum xstore_kind k)
{
	return (size_t)k < MNG_ARRAY_SIZE(kind_names) && kind_names[k] ? kind_names[k] : "?";
}

const char *xstore_state_name(enum xstore_state s)
{
	return (size_t)s < MNG_ARRAY_SIZE(state_names) && state_names[s] ? state_names[s] : "?";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return 0;
}

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...) MNG_PRINTF(4, 5);
static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "line %u: %s", line, msg);
	return -EBADMSG;
}

/* Decimal without sign or leading zero, at most max. */
static bool number(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (!s[0] || (s[0] == '0' && s[1]))
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*ret = v;
	return true;
}

static bool hex_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

static bool user_ok(const char *s)
{
	size_t i;

	if (!s[0] || s[0] == '-' || strlen(s) > MNG_EXEMPT_USER_MAX)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static bool printable(const char *s, size_t max, bool empty_ok)
{
	size_t n = strlen(s), i;

	if (n > max || (!n && !empty_ok))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* "devices h1 h2 ...": base64 hashes separated by single spaces. */
static int parse_devices(struct xstore_rec *r, unsigned line, char *v, char *err, size_t errlen)
{
	char *save = NULL, *h;

	if (!*v || v[strlen(v) - 1] == ' ' || strstr(v, "  "))
		return fail(err, errlen, line, "bad devices");
	for (h = strtok_r(v, " ", &save); h; h = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(h);

		if (n == 0 || n > XSTORE_HASH_MAX || r->n_devices >= XSTORE_DEVICES_MAX ||
		    strspn(h,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
			n)
			return fail(err, errlen, line, "bad devices");
		memcpy(r->devices[r->n_devices++], h, n + 1);
	}
	return 0;
}

/* One "key value" line into r; seen collects the keys. */
static int parse_pair(struct xstore_rec *r, unsigned *seen, unsigned line, char *s, char *err,
		      size_t errlen)
{
	char *v = strchr(s, ' ');
	uint64_t n;
	int k;

	if (!v)
		return fail(err, errlen, line, "expected \"key value\"");
	*v++ = '\0';
	k = name_index(key_names, K_COUNT, s);
	if (k == 0 && strcmp(s, key_names[0]))
		return fail(err, errlen, line, "unknown key");
	if (*seen & (1u << k))
		return fail(err, errlen, line, "repeated key \"%s\"", key_names[k]);
	*seen |= 1u << k;
	switch ((enum xkey)k) {
	case K_KIND:
		r->kind = (enum xstore_kind)name_index(kind_names, MNG_ARRAY_SIZE(kind_names), v);
		if (!r->kind)
			return fail(err, errlen, line, "bad kind");
		break;
	case K_STATE:
		r->state =
		    (enum xstore_state)name_index(state_names, MNG_ARRAY_SIZE(state_names), v);
		if (!r->state)
			return fail(err, errlen, line, "bad state");
		break;
	case K_USES_LEFT:
		if (!number(v, MNG_EXEMPT_USES_MAX, &n))
			return fail(err, errlen, line, "bad uses-left");
		r->uses_left = (uint32_t)n;
		break;
	case K_REDEEMED:
		if (!number(v, INT64_MAX / 2, &n))
			return fail(err, errlen, line, "bad redeemed time");
		r->redeemed = (int64_t)n;
		break;
	case K_REDEEMED_BY:
		if (strcmp(v, "-") && !user_ok(v))
			return fail(err, errlen, line, "bad redeemed-by");
		snprintf(r->redeemed_by, sizeof(r->redeemed_by), "%s", v);
		break;
	case K_TOKEN:
		if (!*v || strlen(v) > MNG_EXEMPT_TEXT_MAX ||
		    !printable(v, MNG_EXEMPT_TEXT_MAX, false))
			return fail(err, errlen, line, "bad token");
		r->token = strdup(v);
		if (!r->token)
			return -ENOMEM;
		break;
	case K_ID:
		if (!hex_of(v, MNG_EXEMPT_ID_LEN))
			return fail(err, errlen, line, "bad id");
		memcpy(r->e.id, v, MNG_EXEMPT_ID_LEN + 1);
		break;
	case K_SCOPE:
		if (mng_exempt_scope_parse(v, &r->e.scope) < 0)
			return fail(err, errlen, line, "bad scope");
		break;
	case K_OBJECT:
		if (!printable(v, MNG_EXEMPT_OBJ_MAX, true))
			return fail(err, errlen, line, "bad object");
		snprintf(r->e.object, sizeof(r->e.object), "%s", v);
		break;
	case K_USER:
		if (!user_ok(v))
			return fail(err, errlen, line, "bad user");
		snprintf(r->e.user, sizeof(r->e.user), "%s", v);
		break;
	case K_NBF:
	case K_EXP:
		if (!number(v, INT64_MAX / 2, &n))
			return fail(err, errlen, line, "bad time");
		if (k == K_NBF)
			r->e.not_before = (int64_t)n;
		else
			r->e.not_after = (int64_t)n;
		break;
	case K_USES:
		if (!number(v, MNG_EXEMPT_USES_MAX, &n) || n == 0)
			return fail(err, errlen, line, "bad uses");
		r->e.uses = (uint32_t)n;
		break;
	case K_TICKET:
		if (!printable(v, MNG_EXEMPT_TICKET_MAX, false))
			return fail(err, errlen, line, "bad ticket");
		snprintf(r->e.ticket, sizeof(r->e.ticket), "%s", v);
		break;
	case K_MAC:
		if (!hex_of(v, 64))
			return fail(err, errlen, line, "bad mac");
		memcpy(r->mac, v, 65);
		break;
	case K_DEVICES:
		return parse_devices(r, line, v, err, errlen);
	default:
		return fail(err, errlen, line, "unknown key");
	}
	return 0;
}

int xstore_parse(const char *buf, size_t len, struct xstore_rec *ret, char *err, size_t errlen)
{
	struct xstore_rec r = {0};
	char *copy, *p, *nl;
	unsigned seen = 0, line = 1, need;
	int rc = 0;

	if (len > XSTORE_FILE_MAX)
		return -EFBIG;
	if (!buf || memchr(buf, '\0', len))
		return fail(err, errlen, 1, "NUL byte or no data");
	if (len < sizeof(XSTORE_MAGIC) || memcmp(buf, XSTORE_MAGIC "\n", sizeof(XSTORE_MAGIC)))
		return fail(err, errlen, 1, "not an mnguard exemption record");
	if (buf[len - 1] != '\n')
		return fail(err, errlen, 0, "the last line has no newline (truncated)");
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (p = copy + sizeof(XSTORE_MAGIC); *p; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		line++;
		rc = parse_pair(&r, &seen, line, p, err, errlen);
		if (rc < 0)
			goto out;
	}
	need = COMMON_KEYS | (r.kind ? kind_keys[r.kind] : 0);
	if (r.kind == XSTORE_TOKEN || r.kind == XSTORE_PHONE)
		seen &= ~(1u << K_DEVICES); /* optional */
	if (!r.kind || seen != need) {
		rc = fail(err, errlen, line, "keys missing or not meant for kind \"%s\"",
			  xstore_kind_name(r.kind));
		goto out;
	}
	if (r.kind == XSTORE_PHONE &&
	    (r.e.scope == MNG_EXEMPT_SCOPE_NONE || r.e.not_before >= r.e.not_after)) {
		rc = fail(err, errlen, line, "bad window or scope");
		goto out;
	}
	r.e.issued = r.e.not_before;
	*ret = r;
	memset(&r, 0, sizeof(r));
out:
	xstore_rec_clear(&r);
	explicit_bzero(copy, len);
	free(copy);
	return rc;
}

static bool no_newline(const char *s)
{
	return !strchr(s, '\n') && !strchr(s, '\r');
}

int xstore_format(const struct xstore_rec *r, char **ret_text)
{
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f;
	int rc = 0;

	if (!r || !r->kind || (size_t)r->kind >= MNG_ARRAY_SIZE(kind_names) || !r->state ||
	    (size_t)r->state >= MNG_ARRAY_SIZE(state_names) || !no_newline(r->redeemed_by) ||
	    (r->kind == XSTORE_TOKEN && (!r->token || !no_newline(r->token))) ||
	    !no_newline(r->e.object) || !no_newline(r->e.ticket))
		return -EINVAL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f,
		"%s\nkind %s\nstate %s\nuses-left %" PRIu32 "\nredeemed %" PRId64
		"\nredeemed-by %s\n",
		XSTORE_MAGIC, kind_names[r->kind], state_names[r->state], r->uses_left, r->redeemed,
		r->redeemed_by[0] ? r->redeemed_by : "-");
	switch (r->kind) {
	case XSTORE_TOKEN:
		fprintf(f, "token %s\n", r->token);
		break;
	case XSTORE_PHONE:
		fprintf(f,
			"id %s\nscope %s\nobject %s\nuser %s\nnbf %" PRId64 "\nexp %" PRId64
			"\nuses %" PRIu32 "\nticket %s\nmac %s\n",
			r->e.id, mng_exempt_scope_name(r->e.scope), r->e.object, r->e.user,
			r->e.not_before, r->e.not_after, r->e.uses, r->e.ticket, r->mac);
		break;
	default:
		fprintf(f, "id %s\nexp %" PRId64 "\n", r->e.id, r->e.not_after);
		break;
	}
	for (i = 0; r->kind != XSTORE_REVOKED_ID && i < r->n_devices && i < XSTORE_DEVICES_MAX;
	     i++) {
		if (!r->devices[i][0] || strchr(r->devices[i], ' ') || !no_newline(r->devices[i]))
			continue;
		fprintf(f, "%s%s", i ? " " : "devices ", r->devices[i]);
	}
	if (r->kind != XSTORE_REVOKED_ID && r->n_devices)
		fputc('\n', f);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	if (size > XSTORE_FILE_MAX)
		rc = -EINVAL;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*ret_text = buf;
	return (int)size;
}

void xstore_rec_clear(struct xstore_rec *r)
{
	if (!r)
		return;
	if (r->token) {
		explicit_bzero(r->token, strlen(r->token));
		free(r->token);
	}
	memset(r, 0, sizeof(*r));
}

int xstore_phone_mac(const uint8_t key[32], const struct mng_exempt *e, char ret[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *msg = NULL;
	size_t n = 0, i;
	FILE *f = open_memstream(&msg, &n);
	int rc = -EIO;

	if (!f)
		return -EIO;
	/* NUL-separated fields after a label: no field can be shifted into another */
	fprintf(
	    f, "mnguard phone record v1%c%s%c%s%c%s%c%s%c%" PRId64 "%c%" PRId64 "%c%" PRIu32 "%c%s",
	    0, e->id, 0, mng_exempt_scope_name(e->scope) ? mng_exempt_scope_name(e->scope) : "", 0,
	    e->object, 0, e->user, 0, e->not_before, 0, e->not_after, 0, e->uses, 0, e->ticket);
	if (fclose(f) != 0 || !msg)
		goto out;
	if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, n, mac, &maclen) ||
	    maclen != 32)
		goto out;
	for (i = 0; i < 32; i++) {
		ret[2 * i] = hex[mac[i] >> 4];
		ret[2 * i + 1] = hex[mac[i] & 15];
	}
	ret[64] = '\0';
	rc = 0;
out:
	explicit_bzero(mac, sizeof(mac));
	free(msg);
	return rc;
}
