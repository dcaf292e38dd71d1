// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit_report.c - reading many terminals' audit logs into the
 * self-inspection report (see audit_report.h); rendering is in
 * audit_report_out.c.
 *
 * MUST: memory is bounded whatever the input: a line longer than
 *       MNG_AUDIT_LINE_MAX is skipped without being buffered, rows are kept
 *       up to MNG_REPORT_ROWS_MAX a table with their strings cut to
 *       MNG_REPORT_FIELD_MAX, files, terminals, records, days and classes
 *       have caps.
 * MUST: a line is trusted only after mng_audit_line_parse accepted it; the
 *       chain is checked with the verifier's own hash; a terminal is shown
 *       as verified only when every file and every link between its files
 *       passed.
 * MUST: a bad line or a cap gives a diagnostic and the reading goes on or
 *       stops cleanly; nothing in a log can crash or hang the report.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit_report_int.h"

#define READ_CHUNK 65536

static const char zero_hash[MNG_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- dates ---- */

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static unsigned num(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static bool date_ok(const char *s)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d, max;

	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return false;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

int mng_report_bound(const char *s, bool upper, char ret[MNG_REPORT_TIME_LEN + 1])
{
	size_t n;

	if (!s || !ret)
		return -EINVAL;
	n = strlen(s);
	if (n == 10 && date_ok(s)) {
		snprintf(ret, MNG_REPORT_TIME_LEN + 1, "%.10sT%s", s,
			 upper ? "23:59:59.999999Z" : "00:00:00.000000Z");
		return 0;
	}
	if (n == 20 && date_ok(s) && s[10] == 'T' && digits(s + 11, 2) && s[13] == ':' &&
	    digits(s + 14, 2) && s[16] == ':' && digits(s + 17, 2) && s[19] == 'Z' &&
	    num(s + 11, 2) <= 23 && num(s + 14, 2) <= 59 && num(s + 17, 2) <= 60) {
		snprintf(ret, MNG_REPORT_TIME_LEN + 1, "%.19s%s", s,
			 upper ? ".999999Z" : ".000000Z");
		return 0;
	}
	return -EINVAL;
}

static bool bound_ok(const char *s)
{
	char tmp[TIME_SZ];

	if (!s || !s[0])
		return true;
	if (strlen(s) != MNG_REPORT_TIME_LEN || s[10] != 'T' || s[19] != '.' || s[26] != 'Z' ||
	    !digits(s + 20, 6))
		return false;
	memcpy(tmp, s, 19);
	tmp[19] = 'Z';
	tmp[20] = '\0';
	return mng_report_bound(tmp, false, tmp) == 0;
}

int mng_report_new(const char *from, const char *to, struct mng_report **ret)
{
	struct mng_report *r;

	if (!ret || !bound_ok(from) || !bound_ok(to))
		return -EINVAL;
	if (from && from[0] && to && to[0] && strcmp(from, to) > 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (from)
		snprintf(r->from, sizeof(r->from), "%s", from);
	if (to)
		snprintf(r->to, sizeof(r->to), "%s", to);
	*ret = r;
	return 0;
}

/* ---- device classes ---- */

enum kind {
	KD_STORAGE,
	KD_MTP,
	KD_NET,
	KD_PRINTER,
	KD_SMARTCARD,
	KD_WIRELESS,
	KD_VENDOR,
	KD_AV,
	KD_HID,
	KD_HUB,
	KD_OTHER,
	KD_COUNT
};

static const char *const kind_names[KD_COUNT] = {
    "storage", "mtp-ptp",     "network", "printer", "smartcard", "wireless",
    "vendor",  "audio-video", "hid",	 "hub",	    "other",
};

static enum kind kind_of(unsigned cls, unsigned sub, unsigned proto)
{
	switch (cls) {
	case 0x08:
		return KD_STORAGE;
	case 0x06:
		return KD_MTP;
	case 0x02:
	case 0x0a:
		return KD_NET;
	case 0xe0: /* wireless controller; RNDIS is e0:01:03 */
		return sub == 0x01 && proto == 0x03 ? KD_NET : KD_WIRELESS;
	case 0xef: /* miscellaneous; RNDIS over it is ef:04:01 */
		return sub == 0x04 && proto == 0x01 ? KD_NET : KD_OTHER;
	case 0x07:
		return KD_PRINTER;
	case 0x0b:
		return KD_SMARTCARD;
	case 0xff:
		return KD_VENDOR;
	case 0x01:
	case 0x0e:
	case 0x10:
		return KD_AV;
	case 0x03:
		return KD_HID;
	case 0x09:
		return KD_HUB;
	default:
		return KD_OTHER;
	}
}

static int hex2(const char *s)
{
	int v = 0, i;

	for (i = 0; i < 2; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

void mng_report_device_class(const char *object, char *buf, size_t size)
{
	const char *p, *list = NULL;
	unsigned seen = 0, items = 0;
	bool inq = false;
	size_t o = 0;
	int k;

	if (!buf || size == 0)
		return;
	buf[0] = '\0';
	for (p = object; p && *p; p++) {
		if (inq) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				inq = false;
			continue;
		}
		if (*p == '"')
			inq = true;
		else if ((p == object || p[-1] == ' ') && !strncmp(p, "interfaces ", 11))
			list = p + 11;
	}
	/* "CC:SS:PP" items separated by ',', at most MNG_DEV_IFACE_MAX-ish */
	for (p = list; p && items < 64; items++) {
		int c = hex2(p), s = c < 0 ? -1 : (p[2] == ':' ? hex2(p + 3) : -1),
		    pr = s < 0 ? -1 : (p[5] == ':' ? hex2(p + 6) : -1);

		if (pr < 0)
			break;
		seen |= 1u << kind_of((unsigned)c, (unsigned)s, (unsigned)pr);
		if (p[8] != ',')
			break;
		p += 9;
	}
	if (!seen) {
		snprintf(buf, size, "unknown");
		return;
	}
	for (k = 0; k < KD_COUNT; k++) {
		if (!(seen & (1u << k)))
			continue;
		o += (size_t)snprintf(buf + (o < size ? o : size - 1), o < size ? size - o : 1,
				      "%s%s", o ? "+" : "", kind_names[k]);
	}
}

/* ---- small helpers ---- */

/* A copy of s cut at a character boundary to MNG_REPORT_FIELD_MAX bytes ("…" added). */
static int keep(const char *s, char **ret)
{
	size_t n, cut;
	char *c;

	*ret = NULL;
	if (!s)
		return 0;
	n = strlen(s);
	cut = n;
	if (n > MNG_REPORT_FIELD_MAX) {
		cut = MNG_REPORT_FIELD_MAX - 3;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	c = malloc(cut + 4);
	if (!c)
		return -ENOMEM;
	memcpy(c, s, cut);
	if (cut < n)
		memcpy(c + cut, "\xe2\x80\xa6", 4);
	else
		c[cut] = '\0';
	*ret = c;
	return 0;
}

/* After "word" (outside nothing: details are our own text) the next token. */
static void token_after(const char *s, const char *word, const char *stop, char *out, size_t size)
{
	const char *p = s ? strstr(s, word) : NULL;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(word);
	n = strcspn(p, stop);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* "version 7", "version=7", "version: 7" -> "7". */
static void version_of(const char *s, char *out, size_t size)
{
	const char *p = s;

	out[0] = '\0';
	while (p && (p = strstr(p, "version")) != NULL) {
		size_t n;

		p += 7;
		while (*p == ' ' || *p == '=' || *p == ':' || *p == '"')
			p++;
		n = strspn(p, "0123456789");
		if (n > 0 && n < size && n <= 20) {
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
	}
}

static bool in_period(const struct mng_report *r, const char *t)
{
	return (!r->from[0] || strcmp(t, r->from) >= 0) && (!r->to[0] || strcmp(t, r->to) <= 0);
}

/* ---- the model ---- */

struct rec {
	uint64_t seq;
	const char *time, *host, *event, *subject, *object, *decision, *rule, *exemption, *ticket,
	    *detail;
};

static const char *sget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int find_host(struct mng_report *r, const char *name, size_t *ret)
{
	struct rhost *h;
	size_t i;

	for (i = 0; i < r->n_hosts; i++)
		if (!strcmp(r->hosts[i].name, name)) {
			*ret = i;
			return 0;
		}
	if (r->n_hosts >= MNG_REPORT_HOSTS_MAX)
		return -E2BIG;
	h = realloc(r->hosts, (r->n_hosts + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	r->hosts = h;
	h = &r->hosts[r->n_hosts];
	memset(h, 0, sizeof(*h));
	h->name = strdup(name);
	if (!h->name)
		return -ENOMEM;
	*ret = r->n_hosts++;
	return 0;
}

static size_t class_index(struct mng_report *r, const char *label)
{
	size_t i;

	for (i = 0; i < r->n_classes; i++)
		if (!strcmp(r->classes[i], label))
			return i;
	if (r->n_classes >= CLASSES_MAX) {
		r->incomplete = true;
		return CLASSES_MAX - 1; /* the last slot collects the rest */
	}
	snprintf(r->classes[r->n_classes], MNG_REPORT_CLASS_MAX, "%s", label);
	return r->n_classes++;
}

static int count_day(struct mng_report *r, const char *time)
{
	size_t lo = 0, hi = r->n_days;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(r->days[mid].day, time, 10);

		if (c == 0) {
			r->days[mid].n++;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (r->n_days >= DAYS_MAX) {
		r->incomplete = true;
		return 0;
	}
	if (r->n_days == r->cap_days) {
		size_t cap = r->cap_days ? r->cap_days * 2 : 64;
		struct rday *d = realloc(r->days, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		r->days = d;
		r->cap_days = cap;
	}
	memmove(&r->days[lo + 1], &r->days[lo], (r->n_days - lo) * sizeof(*r->days));
	memcpy(r->days[lo].day, time, 10);
	r->days[lo].day[10] = '\0';
	r->days[lo].n = 1;
	r->n_days++;
	return 0;
}

static void row_free(struct rrow *w)
{
	free(w->event);
	free(w->subject);
	free(w->object);
	free(w->decision);
	free(w->rule);
	free(w->exemption);
	free(w->ticket);
	free(w->detail);
	free(w->extra);
	free(w->extra2);
}

static int add_row(struct mng_report *r, enum tbl t, size_t host, const struct rec *v,
		   const char *extra, const char *extra2)
{
	struct rtable *tb = &r->t[t];
	struct rrow w = {.host = host, .seq = v->seq};
	int rc = 0;

	tb->total++;
	if (tb->n >= MNG_REPORT_ROWS_MAX)
		return 0;
	if (tb->n == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 64;
		struct rrow *nv = realloc(tb->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		tb->v = nv;
		tb->cap = cap;
	}
	snprintf(w.time, sizeof(w.time), "%s", v->time);
	if ((rc = keep(v->event, &w.event)) < 0 || (rc = keep(v->subject, &w.subject)) < 0 ||
	    (rc = keep(v->object, &w.object)) < 0 || (rc = keep(v->decision, &w.decision)) < 0 ||
	    (rc = keep(v->rule, &w.rule)) < 0 || (rc = keep(v->exemption, &w.exemption)) < 0 ||
	    (rc = keep(v->ticket, &w.ticket)) < 0 || (rc = keep(v->detail, &w.detail)) < 0 ||
	    (rc = keep(extra, &w.extra)) < 0 || (rc = keep(extra2, &w.extra2)) < 0) {
		row_free(&w);
		return rc;
	}
	tb->v[tb->n++] = w;
	return 0;
}

static bool is_policy_change(const struct rec *v)
{
	if (!strcmp(v->event, "policy.load") || !strcmp(v->event, "policy.fallback"))
		return true;
	return !strncmp(v->event, "policy.bundle.", 14) && strstr(v->event + 14, "install") &&
	       !(v->decision && (!strcmp(v->decision, "reject") || !strcmp(v->decision, "error")));
}

static void policy_track(struct mng_report *r, struct rhost *h, const struct rec *v)
{
	char ver[24], text[200];
	struct policy_state *st[2] = {NULL, NULL};
	int i;

	if (!is_policy_change(v))
		return;
	version_of(v->detail, ver, sizeof(ver));
	if (!ver[0])
		version_of(v->object, ver, sizeof(ver));
	if (!strcmp(v->event, "policy.fallback"))
		snprintf(text, sizeof(text), "FALLBACK: %.160s", v->detail ? v->detail : "");
	else if (!strcmp(v->event, "policy.load"))
		snprintf(text, sizeof(text), "%.160s", v->detail ? v->detail : "loaded");
	else
		snprintf(text, sizeof(text), "bundle version %s", ver[0] ? ver : "?");
	if (!r->from[0] || strcmp(v->time, r->from) < 0)
		st[0] = &h->pol_start;
	if (!r->to[0] || strcmp(v->time, r->to) <= 0) {
		st[1] = &h->pol_end;
		if (ver[0] && strcmp(v->time, h->version_time) >= 0) {
			snprintf(h->version, sizeof(h->version), "%s", ver);
			snprintf(h->version_time, sizeof(h->version_time), "%s", v->time);
		}
	}
	for (i = 0; i < 2; i++) {
		if (st[i] && strcmp(v->time, st[i]->time) >= 0) {
			snprintf(st[i]->time, sizeof(st[i]->time), "%s", v->time);
			snprintf(st[i]->text, sizeof(st[i]->text), "%s", text);
		}
	}
}

static int prune_track(struct rhost *h, const struct rec *v)
{
	char hash[MNG_AUDIT_HASH_HEX + 2];
	const char *p = v->detail ? strstr(v->detail, " seq ") : NULL;
	uint64_t a, b;
	struct prune_ref *nv;

	if (!p || sscanf(p, " seq %" SCNu64 "-%" SCNu64, &a, &b) != 2)
		return 0;
	token_after(v->detail, "last_sha256 ", " ,;", hash, sizeof(hash));
	if (strlen(hash) != MNG_AUDIT_HASH_HEX || h->n_prunes >= PRUNES_MAX)
		return 0;
	nv = realloc(h->prunes, (h->n_prunes + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	h->prunes = nv;
	nv[h->n_prunes].last_seq = b;
	nv[h->n_prunes].at_seq = v->seq;
	memcpy(nv[h->n_prunes].hash, hash, sizeof(nv->hash));
	h->n_prunes++;
	return 0;
}

/* Count one well-formed record of terminal h. */
static int tally(struct mng_report *r, size_t hi, const struct rec *v)
{
	struct rhost *h = &r->hosts[hi];
	const char *e = v->event;
	char extra[MNG_REPORT_CLASS_MAX], extra2[160];

	h->records++;
	r->records++;
	if (!strcmp(e, "audit.prune") && prune_track(h, v) < 0)
		return -ENOMEM;
	policy_track(r, h, v);
	if (!in_period(r, v->time))
		return 0;
	h->in_period++;
	r->in_period++;
	if (!strncmp(e, "policy.", 7)) {
		version_of(v->detail, extra, sizeof(extra));
		if (!strcmp(e, "policy.error"))
			h->policy_errors++;
		return add_row(r, TBL_POLICY, hi, v, extra, NULL);
	}
	if (!strcmp(e, "device.block") || !strcmp(e, "device.reject") ||
	    !strcmp(e, "thunderbolt.block")) {
		size_t ci;
		int rc;

		if (!strcmp(e, "thunderbolt.block"))
			snprintf(extra, sizeof(extra), "thunderbolt");
		else
			mng_report_device_class(v->object, extra, sizeof(extra));
		if (!strcmp(e, "device.reject"))
			h->rejected++;
		else
			h->blocked++;
		ci = class_index(r, extra);
		r->class_n[ci]++;
		h->class_n[ci]++;
		rc = count_day(r, v->time);
		return rc < 0 ? rc : add_row(r, TBL_BLOCKED, hi, v, r->classes[ci], NULL);
	}
	if (!strncmp(e, "exemption.", 10)) {
		if (!strcmp(e, "exemption.redeem"))
			h->exempt_redeem++;
		else if (!strcmp(e, "exemption.use"))
			h->exempt_use++;
		token_after(v->detail, "issuer ", ",;", extra, sizeof(extra));
		token_after(v->detail, "operator \"", "\"", extra2, sizeof(extra2));
		return add_row(r, TBL_EXEMPT, hi, v, extra, extra2);
	}
	if (!strcmp(e, "login.pass")) {
		h->keyless++;
		return add_row(r, TBL_KEYLESS, hi, v, NULL, NULL);
	}
	if (!strcmp(e, "key.enroll") || !strcmp(e, "key.revoke")) {
		if (e[4] == 'e')
			h->key_enroll++;
		else
			h->key_revoke++;
		return add_row(r, TBL_KEYS, hi, v, NULL, NULL);
	}
	if (!strcmp(e, "print.hold") || !strcmp(e, "print.cancel")) {
		if (!strcmp(e, "print.hold"))
			h->print_hold++;
		else
			h->print_cancel++;
		return add_row(r, TBL_PRINT, hi, v, NULL, NULL);
	}
	if (!strncmp(e, "audit.", 6))
		return add_row(r, TBL_AUDIT, hi, v, NULL, NULL);
	return 0;
}

/* ---- one file ---- */

struct reader {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
	unsigned long lineno;
	uint64_t bytes;
};

struct line {
	const char *p; /* NULL when overlong */
	size_t len;
	bool newline;
};

static int rd_fill(struct reader *rd)
{
	ssize_t n;

	if (rd->start > 0) {
		memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
		rd->end -= rd->start;
		rd->start = 0;
	}
	if (rd->bytes >= MNG_REPORT_FILE_MAX) {
		rd->eof = true;
		return 1;
	}
	do
		n = read(rd->fd, rd->buf + rd->end, rd->cap - rd->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		rd->eof = true;
	rd->end += (size_t)n;
	rd->bytes += (uint64_t)n;
	return 0;
}

/* 1: a line in *l (l->p NULL when overlong); 0: end; 2: end because of the size cap; -errno. */
static int rd_next(struct reader *rd, struct line *l)
{
	bool over = false, capped = false;
	size_t skipped = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	for (;;) {
		char *s = rd->buf + rd->start;
		size_t avail = rd->end - rd->start;
		char *nl = memchr(s, '\n', avail);
		size_t seg = nl ? (size_t)(nl - s) : avail;

		if (over || seg > MNG_AUDIT_LINE_MAX) {
			/* overlong: drop its bytes up to the newline, keep none */
			over = true;
			skipped += seg;
			rd->start += seg + (nl ? 1 : 0);
			if (nl || rd->eof) {
				l->len = skipped;
				l->newline = nl != NULL;
				rd->lineno++;
				return 1;
			}
		} else if (nl || (rd->eof && avail > 0)) {
			l->p = s;
			l->len = seg;
			l->newline = nl != NULL;
			rd->start += seg + (nl ? 1 : 0);
			rd->lineno++;
			return 1;
		} else if (rd->eof) {
			return capped ? 2 : 0;
		}
		rc = rd_fill(rd);
		if (rc < 0)
			return rc;
		if (rc == 1)
			capped = true;
	}
}

MNG_PRINTF(4, 5)
static void fail(struct rfile *f, uint64_t seq, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	if (!f->ok)
		return;
	f->ok = false;
	f->bad_seq = seq;
	f->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* The chain rules of audit_verify.c, with a continuing chain.start allowed (see the header). */
static void chain_step(struct rfile *f, const struct mng_audit_line *rec, const char *hash,
		       unsigned long ln, unsigned long *prev_line)
{
	uint64_t want = f->chained ? f->last_seq + 1 : 1;

	if (!f->ok)
		return;
	if (f->chained == 0) {
		if (strcmp(rec->event, MNG_AUDIT_EV_CHAIN_START)) {
			fail(f, rec->seq, ln,
			     "line %lu: record %" PRIu64
			     " is not a chain.start: the head of the log is missing",
			     ln, rec->seq);
			return;
		}
		if (rec->seq == 1 && strcmp(rec->prev, zero_hash)) {
			fail(f, 1, ln, "line %lu: record 1 has a non-zero prev", ln);
			return;
		}
		f->first_seq = rec->seq;
		memcpy(f->start_prev, rec->prev, sizeof(f->start_prev));
		f->segments = 1;
	} else {
		if (rec->seq != want) {
			if (rec->seq < want)
				fail(f, rec->seq, ln,
				     "line %lu: record %" PRIu64
				     " repeated or out of order (after record %" PRIu64 ")",
				     ln, rec->seq, want - 1);
			else
				fail(f, want, ln,
				     "line %lu: record %" PRIu64 " missing (seq jumps from %" PRIu64
				     " to %" PRIu64 ")",
				     ln, want, want - 1, rec->seq);
			return;
		}
		if (strcmp(rec->prev, f->last_hash)) {
			fail(f, f->last_seq, *prev_line,
			     "line %lu: record %" PRIu64
			     " was edited (hash mismatch with the prev of record %" PRIu64 ")",
			     *prev_line, f->last_seq, rec->seq);
			return;
		}
		if (!strcmp(rec->event, MNG_AUDIT_EV_CHAIN_START))
			f->segments++; /* a rotation inside a collected stream */
	}
	if (!strcmp(rec->event, MNG_AUDIT_EV_TAMPER)) {
		fail(f, rec->seq, ln,
		     "line %lu: record %" PRIu64 ": the writer found tampering: %s", ln, rec->seq,
		     rec->detail);
		return;
	}
	f->chained++;
	f->last_seq = rec->seq;
	memcpy(f->last_hash, hash, sizeof(f->last_hash));
	*prev_line = ln;
}

/* One line: parse, chain, tally. Returns 0, 1 (stop: a cap), -errno. */
static int one_line(struct mng_report *r, struct rfile *f, const struct line *l, unsigned long ln,
		    unsigned long *prev_line, struct mng_diags *diags)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	struct mng_audit_line rec;
	char err[160], hash[MNG_AUDIT_HASH_HEX + 1];
	struct rec v = {0};
	uint64_t want = f->chained ? f->last_seq + 1 : 1;
	int rc;

	if (!l->p) {
		r->bad_lines++;
		mng_diags_add(diags, f->name, (unsigned)ln, 0, "line longer than %d bytes",
			      MNG_AUDIT_LINE_MAX);
		fail(f, want, ln, "line %lu: longer than %d bytes", ln, MNG_AUDIT_LINE_MAX);
		return 0;
	}
	if (!l->newline) {
		r->bad_lines++;
		mng_diags_add(diags, f->name, (unsigned)ln, 0, "partial last line without newline");
		fail(f, want, ln,
		     "line %lu: partial last line without newline (write interrupted or log cut)",
		     ln);
		return 0;
	}
	rc = mng_audit_line_parse(l->p, l->len, &rec, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		r->bad_lines++;
		mng_diags_add(diags, f->name, (unsigned)ln, 0, "%s", err);
		fail(f, want, ln, "line %lu: %s", ln, err);
		return 0;
	}
	rc = mng_audit_line_hash(l->p, l->len, hash);
	if (rc < 0)
		return rc;
	chain_step(f, &rec, hash, ln, prev_line);
	if (r->records >= MNG_REPORT_RECORDS_MAX) {
		mng_diags_add(diags, f->name, (unsigned)ln, 0,
			      "more than %llu records in all: the rest is not read",
			      MNG_REPORT_RECORDS_MAX);
		return 1;
	}
	/* the values: the line is known to be one flat object of strings, null and seq */
	tok = json_tokener_new_ex(2);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, l->p, (int)l->len);
	json_tokener_free(tok);
	if (!o)
		return -ENOMEM;
	v.seq = rec.seq;
	v.time = sget(o, "time");
	v.host = sget(o, "host");
	v.event = rec.event;
	v.subject = sget(o, "subject");
	v.object = sget(o, "object");
	v.decision = sget(o, "decision");
	v.rule = sget(o, "rule");
	v.exemption = sget(o, "exemption");
	v.ticket = sget(o, "ticket");
	v.detail = sget(o, "detail");
	if (!f->has_host) {
		rc = find_host(r, v.host ? v.host : "", &f->host);
		if (rc == -E2BIG) {
			mng_diags_add(diags, f->name, (unsigned)ln, 0,
				      "more than %d terminals: this file is not counted",
				      MNG_REPORT_HOSTS_MAX);
			json_object_put(o);
			return 1;
		}
		if (rc < 0)
			goto out;
		f->has_host = true;
		r->hosts[f->host].n_files++;
	}
	f->records++;
	if (!f->first_time[0] || strcmp(v.time, f->first_time) < 0)
		snprintf(f->first_time, sizeof(f->first_time), "%s", v.time);
	if (strcmp(v.time, f->last_time) > 0)
		snprintf(f->last_time, sizeof(f->last_time), "%s", v.time);
	rc = tally(r, f->host, &v);
out:
	json_object_put(o);
	return rc;
}

int mng_report_add_fd(struct mng_report *r, int fd, const char *name, struct mng_diags *diags)
{
	unsigned long prev_line = 0;
	struct reader rd = {.fd = fd};
	struct rfile *f;
	struct line l;
	int rc;

	if (!r || r->finished || fd < 0 || !name)
		return -EINVAL;
	if (r->n_files >= MNG_REPORT_FILES_MAX)
		return -E2BIG;
	f = realloc(r->files, (r->n_files + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	r->files = f;
	f = &r->files[r->n_files];
	memset(f, 0, sizeof(*f));
	f->ok = true;
	f->name = strdup(name);
	if (!f->name)
		return -ENOMEM;
	r->n_files++;
	rd.cap = MNG_AUDIT_LINE_MAX + 1 + READ_CHUNK;
	rd.buf = malloc(rd.cap);
	if (!rd.buf)
		return -ENOMEM;
	while ((rc = rd_next(&rd, &l)) == 1) {
		rc = one_line(r, f, &l, rd.lineno, &prev_line, diags);
		if (rc != 0)
			break;
	}
	free(rd.buf);
	if (rc == 2) {
		mng_diags_add(diags, name, (unsigned)rd.lineno, 0,
			      "file larger than %llu bytes: the rest is not read",
			      MNG_REPORT_FILE_MAX);
		rc = 1;
	}
	if (rc == 1) {
		f->incomplete = true;
		r->incomplete = true;
		fail(f, f->chained ? f->last_seq + 1 : 1, rd.lineno,
		     "not read to the end (a cap was reached): the chain is not verified whole");
	}
	if (rc >= 0 && f->ok && f->chained == 0)
		fail(f, 1, 0, "no records: an empty file is not an audit log");
	return rc;
}

/* ---- linking ---- */

static int by_seq(const void *a, const void *b)
{
	const struct rfile *x = *(const struct rfile *const *)a,
			   *y = *(const struct rfile *const *)b;

	if (!x->chained != !y->chained)
		return x->chained ? -1 : 1;
	if (x->first_seq != y->first_seq)
		return x->first_seq < y->first_seq ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_time(const void *a, const void *b)
{
	const struct rrow *x = a, *y = b;
	int c = strcmp(x->time, y->time);

	if (c)
		return c;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

MNG_PRINTF(2, 3)
static void note(struct rhost *h, const char *fmt, ...)
{
	size_t used = strlen(h->chain_note);
	va_list ap;

	if (used + 3 >= sizeof(h->chain_note))
		return;
	if (used) {
		memcpy(h->chain_note + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(h->chain_note + used, sizeof(h->chain_note) - used, fmt, ap);
	va_end(ap);
}

static void link_host(struct mng_report *r, size_t hi, struct rfile **v, size_t n)
{
	struct rhost *h = &r->hosts[hi];
	size_t i, k;

	h->chain_ok = true;
	for (i = 0; i < n; i++)
		if (!v[i]->ok) {
			h->chain_ok = false;
			note(h, "%s: %s", v[i]->name, v[i]->reason);
		}
	qsort(v, n, sizeof(*v), by_seq);
	if (n > 0 && v[0]->chained && v[0]->first_seq > 1) {
		for (k = 0; k < h->n_prunes; k++)
			if (h->prunes[k].last_seq + 1 == v[0]->first_seq &&
			    !strcmp(h->prunes[k].hash, v[0]->start_prev))
				break;
		if (k < h->n_prunes)
			note(h,
			     "records 1-%" PRIu64
			     " were removed by retention (audit.prune, seq %" PRIu64 ")",
			     v[0]->first_seq - 1, h->prunes[k].at_seq);
		else
			note(h, "starts after record %" PRIu64 ": earlier files were not given",
			     v[0]->first_seq - 1);
	}
	for (i = 1; i < n; i++) {
		const struct rfile *a = v[i - 1], *b = v[i];

		if (!a->chained || !b->chained)
			continue;
		if (b->first_seq == a->last_seq + 1 && !strcmp(b->start_prev, a->last_hash))
			continue;
		h->chain_ok = false;
		if (b->first_seq <= a->last_seq)
			note(h, "%s overlaps %s (seq %" PRIu64 " given twice)", b->name, a->name,
			     b->first_seq);
		else if (b->first_seq == a->last_seq + 1)
			note(h, "%s does not continue %s (hash mismatch at seq %" PRIu64 ")",
			     b->name, a->name, b->first_seq);
		else
			note(h, "records %" PRIu64 "-%" PRIu64 " missing between %s and %s",
			     a->last_seq + 1, b->first_seq - 1, a->name, b->name);
	}
}

int mng_report_finish(struct mng_report *r)
{
	struct rfile **v;
	size_t hi, i, n;
	int t;

	if (!r || r->finished)
		return -EINVAL;
	v = calloc(r->n_files + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (hi = 0; hi < r->n_hosts; hi++) {
		for (i = 0, n = 0; i < r->n_files; i++)
			if (r->files[i].has_host && r->files[i].host == hi)
				v[n++] = &r->files[i];
		link_host(r, hi, v, n);
	}
	free(v);
	for (t = 0; t < TBL_COUNT; t++)
		if (r->t[t].n)
			qsort(r->t[t].v, r->t[t].n, sizeof(*r->t[t].v), by_time);
	r->finished = true;
	return 0;
}

/* ---- results ---- */

int mng_report_summary(const struct mng_report *r, struct mng_report_summary *ret)
{
	struct mng_report_summary s = {0};
	size_t i;

	if (!r || !ret || !r->finished)
		return -EINVAL;
	s.files = r->n_files;
	s.hosts = r->n_hosts;
	for (i = 0; i < r->n_hosts; i++)
		if (!r->hosts[i].chain_ok)
			s.hosts_failed++;
	/* a file no record of which could be read belongs to no terminal: it fails too */
	for (i = 0; i < r->n_files; i++)
		if (!r->files[i].has_host)
			s.hosts_failed++;
	s.records = r->records;
	s.in_period = r->in_period;
	s.blocked = r->t[TBL_BLOCKED].total;
	s.exemptions = r->t[TBL_EXEMPT].total;
	s.keyless = r->t[TBL_KEYLESS].total;
	s.keys = r->t[TBL_KEYS].total;
	s.print = r->t[TBL_PRINT].total;
	s.policy = r->t[TBL_POLICY].total;
	s.bad_lines = r->bad_lines;
	s.incomplete = r->incomplete;
	*ret = s;
	return 0;
}

int mng_report_host_blocked(const struct mng_report *r, const char *host, const char *cls,
			    uint64_t *ret_total, uint64_t *ret_class)
{
	size_t i, c;

	if (!r || !host || !ret_total)
		return -EINVAL;
	for (i = 0; i < r->n_hosts; i++) {
		const struct rhost *h = &r->hosts[i];

		if (strcmp(h->name, host))
			continue;
		*ret_total = h->blocked + h->rejected;
		if (ret_class) {
			*ret_class = 0;
			for (c = 0; cls && c < r->n_classes; c++)
				if (!strcmp(r->classes[c], cls))
					*ret_class = h->class_n[c];
		}
		return 0;
	}
	return -ENOENT;
}

int mng_report_host_status(const struct mng_report *r, size_t i, const char **ret_name,
			   bool *ret_ok, const char **ret_note)
{
	if (!r || !r->finished || !ret_name || !ret_ok || !ret_note)
		return -EINVAL;
	if (i >= r->n_hosts)
		return -ENOENT;
	*ret_name = r->hosts[i].name;
	*ret_ok = r->hosts[i].chain_ok;
	*ret_note = r->hosts[i].chain_note;
	return 0;
}

int mng_report_render(const struct mng_report *r, enum mng_report_format fmt, const char *generated,
		      const struct mng_diags *diags, char **ret_buf, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!r || !ret_buf || !ret_len || !r->finished)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	rc = fmt == MNG_REPORT_HTML ? report_render_html(r, generated, diags, f)
				    : report_render_csv(r, generated, diags, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

void mng_report_free(struct mng_report **rp)
{
	struct mng_report *r;
	size_t i;
	int t;

	if (!rp || !*rp)
		return;
	r = *rp;
	for (i = 0; i < r->n_files; i++)
		free(r->files[i].name);
	free(r->files);
	for (i = 0; i < r->n_hosts; i++) {
		free(r->hosts[i].name);
		free(r->hosts[i].prunes);
	}
	free(r->hosts);
	free(r->days);
	for (t = 0; t < TBL_COUNT; t++) {
		for (i = 0; i < r->t[t].n; i++)
			row_free(&r->t[t].v[i]);
		free(r->t[t].v);
	}
	free(r);
	*rp = NULL;
}
