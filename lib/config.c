// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - mnguard.conf parser (see config.h).
 *
 * The buffer is split into lines, and each line is checked (length, NUL,
 * UTF-8, section headers, separator) and then split into its key and value
 * on its own: no state is carried from one line to the next (no
 * continuation lines, no sections), so every problem is tied to the line it
 * is on. The split keeps the INI reading the format has always had: key and
 * value trimmed of blanks, ';' after a blank starts a comment. No INI
 * library is used, so that pam_mnguard.so loads nothing for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "file.h"
#include "utf8.h"

enum key {
	KEY_RULES_DIR,
	KEY_AUDIT_LOG,
	KEY_SOCKET,
	KEY_STATE_DIR,
	KEY_HELPDESK,
	KEY_RP_ID,
	KEY_CREDENTIALS,
	KEY_COUNTERS,
	KEY_FIDO_TIMEOUT,
	KEY_AAGUID_ALLOW,
	KEY_LOGIN_GROUP,
	KEY_TRUST_DIR,
	KEY_EXEMPT_TRUST_DIR,
	KEY_MACHINE_ID,
	KEY_MAX_LIFETIME,
	KEY_ANY_TERMINAL,
	KEY_LOGIN_PASS,
	KEY_REQUIRE_SIGNED,
	KEY_AUDIT_RETENTION,
	KEY_LOCK_ON_KEY_REMOVAL,
	KEY_PRINT_EXTRACTOR,
	KEY_COUNT,
};

/* How a value is checked beyond its length. */
enum kind {
	KIND_TEXT,
	KIND_PATH,
	KIND_RPID,
	KIND_SECONDS,
	KIND_AAGUIDS,
	KIND_GROUP,
	KIND_DURATION, /* seconds, or a number with s, m, h or d */
	KIND_BOOL,     /* yes/no, true/false, on/off, 1/0 */
	/* days: a number with d, w or y, or "forever" */
	KIND_RETENTION,
};

struct keydef {
	const char *name;
	size_t offset;
	size_t max; /* bytes */
	enum kind kind;
};

static const struct keydef keys[KEY_COUNT] = {
    [KEY_RULES_DIR] = {"rules_dir", offsetof(struct mng_config, rules_dir), MNG_CONFIG_VALUE_MAX,
		       KIND_PATH},
    [KEY_AUDIT_LOG] = {"audit_log", offsetof(struct mng_config, audit_log), MNG_CONFIG_VALUE_MAX,
		       KIND_PATH},
    [KEY_SOCKET] = {"socket", offsetof(struct mng_config, socket), MNG_CONFIG_SOCKET_MAX,
		    KIND_PATH},
    [KEY_STATE_DIR] = {"state_dir", offsetof(struct mng_config, state_dir), MNG_CONFIG_VALUE_MAX,
		       KIND_PATH},
    [KEY_HELPDESK] = {"helpdesk_contact", offsetof(struct mng_config, helpdesk_contact),
		      MNG_CONFIG_VALUE_MAX, KIND_TEXT},
    [KEY_RP_ID] = {"rp_id", offsetof(struct mng_config, rp_id), MNG_CONFIG_RPID_MAX, KIND_RPID},
    [KEY_CREDENTIALS] = {"credentials", offsetof(struct mng_config, credentials),
			 MNG_CONFIG_VALUE_MAX, KIND_PATH},
    [KEY_COUNTERS] = {"counters", offsetof(struct mng_config, counters), MNG_CONFIG_VALUE_MAX,
		      KIND_PATH},
    [KEY_FIDO_TIMEOUT] = {"fido_timeout", offsetof(struct mng_config, fido_timeout), 3,
			  KIND_SECONDS},
    [KEY_AAGUID_ALLOW] = {"aaguid_allow", offsetof(struct mng_config, aaguid_allow),
			  MNG_CONFIG_VALUE_MAX, KIND_AAGUIDS},
    [KEY_LOGIN_GROUP] = {"login_group", offsetof(struct mng_config, login_group),
			 MNG_CONFIG_GROUP_MAX, KIND_GROUP},
    [KEY_TRUST_DIR] = {"attestation_trust_dir", offsetof(struct mng_config, attestation_trust_dir),
		       MNG_CONFIG_VALUE_MAX, KIND_PATH},
    [KEY_EXEMPT_TRUST_DIR] = {"trust_dir", offsetof(struct mng_config, trust_dir),
			      MNG_CONFIG_VALUE_MAX, KIND_PATH},
    [KEY_MACHINE_ID] = {"machine_id_file", offsetof(struct mng_config, machine_id_file),
			MNG_CONFIG_VALUE_MAX, KIND_PATH},
    [KEY_MAX_LIFETIME] = {"exemption_max_lifetime",
			  offsetof(struct mng_config, exemption_max_lifetime), 16, KIND_DURATION},
    [KEY_ANY_TERMINAL] = {"exemption_any_terminal",
			  offsetof(struct mng_config, exemption_any_terminal), 8, KIND_BOOL},
    [KEY_LOGIN_PASS] = {"login_pass", offsetof(struct mng_config, login_pass), 8, KIND_BOOL},
    [KEY_REQUIRE_SIGNED] = {"require_signed_policy",
			   offsetof(struct mng_config, require_signed_policy), 8, KIND_BOOL},
    [KEY_AUDIT_RETENTION] = {"audit_retention", offsetof(struct mng_config, audit_retention_days),
			     16, KIND_RETENTION},
    [KEY_LOCK_ON_KEY_REMOVAL] = {"lock_on_key_removal",
				 offsetof(struct mng_config, lock_on_key_removal), 8, KIND_BOOL},
    [KEY_PRINT_EXTRACTOR] = {"print_extractor", offsetof(struct mng_config, print_extractor),
			     MNG_CONFIG_VALUE_MAX, KIND_PATH},
};

/* State of one parse; lives on the caller's stack. */
struct parse {
	struct mng_config cfg;
	const char *file;
	struct mng_diags *diags;
	unsigned lineno;
	unsigned set_on[KEY_COUNT]; /* line a key was set on, 0 = not yet */
	int errors;
};

void mng_config_defaults(struct mng_config *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->rules_dir, sizeof(ret->rules_dir), "%s", "/etc/mnguard/rules.d");
	snprintf(ret->audit_log, sizeof(ret->audit_log), "%s", "/var/log/mnguard/audit.log");
	snprintf(ret->socket, sizeof(ret->socket), "%s", "/run/mnguard/mnguardd.sock");
	snprintf(ret->state_dir, sizeof(ret->state_dir), "%s", "/var/lib/mnguard");
	snprintf(ret->credentials, sizeof(ret->credentials), "%s", "/etc/mnguard/credentials");
	snprintf(ret->counters, sizeof(ret->counters), "%s", "/var/lib/mnguard/counters");
	ret->fido_timeout = 30;
	snprintf(ret->login_group, sizeof(ret->login_group), "%s", "mnguard-users");
	snprintf(ret->trust_dir, sizeof(ret->trust_dir), "%s", "/etc/mnguard/trust");
	snprintf(ret->machine_id_file, sizeof(ret->machine_id_file), "%s", "/etc/machine-id");
	ret->exemption_max_lifetime = 8 * 3600;
	ret->exemption_any_terminal = false;
	ret->login_pass = true;
	ret->lock_on_key_removal = false;
	ret->audit_retention_days = MNG_CONFIG_RETENTION_DEFAULT;
}

/* "yes"/"no" and their usual spellings; -1 for anything else. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
										    "off", "0"};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	return -1;
}

/* "90", "90s", "15m", "8h", "2d": seconds in 1..MNG_CONFIG_LIFETIME_MAX, or -1. */
static long parse_duration(const char *s)
{
	unsigned long v = 0, unit = 1;
	size_t i, n = strlen(s);

	if (n == 0 || s[0] < '1' || s[0] > '9')
		return -1;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > MNG_CONFIG_LIFETIME_MAX)
			return -1;
	}
	if (i + 1 == n) {
		switch (s[i]) {
		case 's':
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		default:
			return -1;
		}
	} else if (i != n) {
		return -1;
	}
	if (v * unit > MNG_CONFIG_LIFETIME_MAX)
		return -1;
	return (long)(v * unit);
}

int mng_config_retention_parse(const char *s, long *ret_days)
{
	unsigned long v = 0, unit;
	size_t i, n;

	if (!s || !ret_days)
		return -EINVAL;
	if (!strcmp(s, "forever")) {
		*ret_days = 0;
		return 0;
	}
	n = strlen(s);
	if (n < 2 || s[0] < '1' || s[0] > '9')
		return -EINVAL;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > MNG_CONFIG_RETENTION_MAX)
			return -EINVAL;
	}
	switch (s[n - 1]) {
	case 'd':
		unit = 1;
		break;
	case 'w':
		unit = 7;
		break;
	case 'y':
		unit = 366; /* never shorter than a calendar year */
		break;
	default:
		return -EINVAL;
	}
	if (v * unit > MNG_CONFIG_RETENTION_MAX)
		return -EINVAL;
	*ret_days = (long)(v * unit);
	return 0;
}

static void MNG_PRINTF(2, 3) error(struct parse *p, const char *fmt, ...)
{
	char msg[MNG_DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	mng_diags_add(p->diags, p->file, p->lineno, 0, "%s", msg);
}

/* 1-based column of the first invalid UTF-8 byte, 0 if all valid. */
static size_t bad_utf8_col(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = mng_utf8_len((const unsigned char *)s + i, n - i);

		if (!l)
			return i + 1;
		i += l;
	}
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A relying party id: a host name (letters, digits, '-', '.'), lower case. */
static bool valid_rpid(const char *s)
{
	size_t i;

	if (!*s || *s == '.' || *s == '-')
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '.'))
			return false;
		if (ch == '.' && (s[i + 1] == '.' || s[i + 1] == '\0'))
			return false;
	}
	return true;
}

/* A POSIX group name, [a-z_][a-z0-9_-]*, at most 32 bytes. */
static bool valid_group(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static int hexdigit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Comma-separated AAGUIDs (32 lower-case hex digits each), appended. */
static void add_aaguids(struct parse *p, const char *value)
{
	const char *s = value;

	if (!*s) {
		error(p, "aaguid_allow: empty value");
		return;
	}
	for (;;) {
		size_t n = strcspn(s, ","), i;
		unsigned char id[16];

		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n != 32) {
			error(p, "aaguid_allow: an AAGUID is 32 lower-case hex digits");
			return;
		}
		for (i = 0; i < 16; i++) {
			int hi = hexdigit(s[2 * i]), lo = hexdigit(s[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				error(p, "aaguid_allow: an AAGUID is 32 lower-case hex digits");
				return;
			}
			id[i] = (unsigned char)(hi << 4 | lo);
		}
		if (p->cfg.n_aaguid_allow >= MNG_CONFIG_AAGUID_MAX) {
			error(p, "aaguid_allow: more than %u AAGUIDs", MNG_CONFIG_AAGUID_MAX);
			return;
		}
		memcpy(p->cfg.aaguid_allow[p->cfg.n_aaguid_allow++], id, 16);
		s += strcspn(s, ",");
		if (!*s)
			return;
		s++;
		while (*s == ' ')
			s++;
	}
}

static void set_value(struct parse *p, enum key k, const char *value)
{
	const struct keydef *d = &keys[k];
	size_t len = strlen(value);

	if (d->kind == KIND_AAGUIDS && !has_control(value)) {
		add_aaguids(p, value);
		return;
	}
	if (p->set_on[k]) {
		error(p, "duplicate key '%s' (first set on line %u)", d->name, p->set_on[k]);
		return;
	}
	p->set_on[k] = p->lineno;
	if (has_control(value)) {
		error(p, "%s: control character in value", d->name);
		return;
	}
	if (len > d->max) {
		error(p, "%s: value longer than %zu bytes", d->name, d->max);
		return;
	}
	switch (d->kind) {
	case KIND_PATH:
		if (len == 0) {
			error(p, "%s: empty value (an absolute path is needed)", d->name);
			return;
		}
		if (value[0] != '/') {
			error(p, "%s: not an absolute path", d->name);
			return;
		}
		break;
	case KIND_RPID:
		if (!valid_rpid(value)) {
			error(p, "%s: not a lower-case host name", d->name);
			return;
		}
		break;
	case KIND_GROUP:
		if (!valid_group(value)) {
			error(p, "%s: not a group name", d->name);
			return;
		}
		break;
	case KIND_SECONDS: {
		unsigned v = 0;
		size_t i;

		/* stop as soon as it is out of range: a long digit run must not wrap into it */
		for (i = 0; i < len && v <= MNG_CONFIG_TIMEOUT_MAX; i++)
			v = (value[i] >= '0' && value[i] <= '9')
				? v * 10 + (unsigned)(value[i] - '0')
				: MNG_CONFIG_TIMEOUT_MAX + 1;
		if (len == 0 || value[0] == '0' || v < 1 || v > MNG_CONFIG_TIMEOUT_MAX) {
			error(p, "%s: expected seconds, 1..%u", d->name, MNG_CONFIG_TIMEOUT_MAX);
			return;
		}
		p->cfg.fido_timeout = v;
		return;
	}
	case KIND_DURATION: {
		long v = parse_duration(value);

		if (v < 0) {
			error(p, "%s: expected a duration of 1s..%ud (a number with s, m, h or d)",
			      d->name, MNG_CONFIG_LIFETIME_MAX / 86400);
			return;
		}
		p->cfg.exemption_max_lifetime = v;
		return;
	}
	case KIND_RETENTION: {
		long v;

		if (mng_config_retention_parse(value, &v) < 0) {
			error(p, "%s: expected 1d..%uy (a number with d, w or y) or forever",
			      d->name, MNG_CONFIG_RETENTION_MAX / 366);
			return;
		}
		p->cfg.audit_retention_days = v;
		return;
	}
	case KIND_BOOL: {
		int v = parse_bool(value);

		if (v < 0) {
			error(p, "%s: expected yes or no", d->name);
			return;
		}
		*(bool *)((char *)&p->cfg + d->offset) = v == 1;
		return;
	}
	default:
		break;
	}
	memcpy((char *)&p->cfg + d->offset, value, len + 1);
}

/* The key = value pair of one line, key and value NUL-terminated. */
static void on_pair(struct parse *p, const char *name, const char *value)
{
	char shown[40];
	size_t k, n;

	for (k = 0; k < KEY_COUNT; k++) {
		if (!strcmp(name, keys[k].name)) {
			set_value(p, (enum key)k, value);
			return;
		}
	}
	/* the name is valid UTF-8 without controls (checked before): show it cut */
	n = strlen(name);
	if (n < sizeof(shown)) {
		memcpy(shown, name, n + 1);
	} else {
		size_t cut = sizeof(shown) - 4;

		while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
			cut--;
		memcpy(shown, name, cut);
		memcpy(shown + cut, "...", 4);
	}
	error(p, "unknown key '%s'", shown);
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Where the text s[0..n) ends: at the first byte of stop (may be NULL), or
 * at a ';' that follows a blank (an inline comment), else at n.
 */
static size_t span(const char *s, size_t n, const char *stop)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (stop && strchr(stop, s[i]))
			break;
		if (s[i] == ';' && i > 0 && blank(s[i - 1]))
			break;
	}
	return i;
}

/*
 * Split s[first..len) (a checked line: no NUL, no control but TAB, not a
 * comment or section) at its '=' and hand the trimmed key and value on.
 */
static void split_pair(struct parse *p, const char *s, size_t first, size_t len)
{
	char name[MNG_CONFIG_LINE_MAX + 1], value[MNG_CONFIG_LINE_MAX + 1];
	size_t e = first + span(s + first, len - first, "=:"), ne, vs, ve;

	if (e == len || s[e] != '=') {
		error(p, "expected 'key = value'");
		return;
	}
	for (ne = e; ne > first && blank(s[ne - 1]); ne--)
		;
	vs = e + 1;
	ve = vs + span(s + vs, len - vs, NULL);
	while (vs < ve && blank(s[vs]))
		vs++;
	while (ve > vs && blank(s[ve - 1]))
		ve--;
	memcpy(name, s + first, ne - first);
	name[ne - first] = '\0';
	memcpy(value, s + vs, ve - vs);
	value[ve - vs] = '\0';
	on_pair(p, name, value);
}

static void parse_line(struct parse *p, const char *line, size_t len)
{
	const char *s = line, *eq, *colon;
	size_t col, i, first;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (p->lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		s += 3; /* a byte order mark is allowed at the very start */
		len -= 3;
	}
	if (len > MNG_CONFIG_LINE_MAX) {
		error(p, "line longer than %u bytes", MNG_CONFIG_LINE_MAX);
		return;
	}
	if (memchr(s, '\0', len)) {
		error(p, "NUL byte in line");
		return;
	}
	col = bad_utf8_col(s, len);
	if (col) {
		error(p, "invalid UTF-8 at byte %zu", col);
		return;
	}
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	first = i;
	if (i == len || s[i] == '#' || s[i] == ';')
		return; /* blank or comment */
	if (len - i >= 3 && !memcmp(s + i, "\xef\xbb\xbf", 3)) {
		error(p, "byte order mark inside the file");
		return;
	}
	if (s[i] == '[') {
		error(p, "sections are not used in this file");
		return;
	}
	for (; i < len; i++) {
		if (s[i] != '\t' && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)) {
			error(p, "control character in line");
			return;
		}
	}
	eq = memchr(s, '=', len);
	colon = memchr(s, ':', len);
	if (!eq || (colon && colon < eq) || eq == s + first) {
		error(p, "expected 'key = value'");
		return;
	}

	split_pair(p, s, first, len);
}

int mng_config_parse(const char *buf, size_t len, const char *filename, struct mng_config *ret,
		     struct mng_diags *diags)
{
	struct parse *p;
	size_t off = 0;
	int r;

	if ((!buf && len) || !ret)
		return -EINVAL;
	if (len > MNG_CONFIG_FILE_MAX) {
		mng_diags_add(diags, filename ? filename : "(config)", 0, 0,
			      "file larger than %u bytes", MNG_CONFIG_FILE_MAX);
		return -EFBIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	mng_config_defaults(&p->cfg);
	p->file = filename ? filename : "(config)";
	p->diags = diags;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (buf + off)) : len - off;

		p->lineno++;
		parse_line(p, buf + off, l);
		off += l + (nl ? 1 : 0);
	}
	r = p->errors ? -EINVAL : 0;
	if (r == 0)
		*ret = p->cfg;
	free(p);
	return r;
}

int mng_config_load(const char *path, unsigned flags, struct mng_config *ret,
		    struct mng_diags *diags)
{
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!path || !ret)
		return -EINVAL;
	r = mng_file_read(path, MNG_CONFIG_FILE_MAX, flags, &buf, &len, &why);
	if (r < 0) {
		mng_diags_add(diags, path, 0, 0, "%s (%s)", why ? why : "cannot read",
			      strerror(-r));
		return r;
	}
	r = mng_config_parse(buf, len, path, ret, diags);
	free(buf);
	return r;
}
