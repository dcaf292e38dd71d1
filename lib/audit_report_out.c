// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit_report_out.c - the self-inspection report as CSV and as one
 * self-contained HTML page (see audit_report.h for both forms).
 *
 * MUST: every string that came from a log (or a file name) goes through
 *       put_text: in HTML it is escaped (& < > " '), in CSV it is quoted
 *       with quotes doubled and guarded against formula injection; in both,
 *       control characters and bidirectional overrides become U+FFFD.
 * MUST: the page loads nothing and runs nothing: no script, no external
 *       reference, and a Content-Security-Policy of default-src 'none'.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_report_int.h"
#include "utf8.h"

#define CHART_BUCKETS_MAX 1200 /* days or months on the time axis */
#define CHART_HOSTS_MAX 30     /* terminals in the per-terminal chart */
#define DAILY_MAX 120	       /* a longer span is drawn by month */

enum mode {
	M_HTML,
	M_CSV,
};

static const char repl[] = "\xef\xbf\xbd";

/* Is the character at s (valid UTF-8 of k bytes) shown as U+FFFD? */
static bool hidden(const unsigned char *s, size_t k)
{
	unsigned cp;

	if (k == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (k == 2) {
		cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return cp >= 0x80 && cp <= 0x9f; /* C1 controls */
	}
	if (k == 3) {
		cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c;
	}
	return false;
}

/* Could a spreadsheet take a field starting at s for a formula? */
static bool formula_start(const char *s)
{
	static const char *const wide[] = {"\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d",
					   "\xef\xbc\xa0"}; /* ＝ ＋ － ＠ */
	size_t i;

	while (*s == ' ')
		s++;
	if (!strcmp(s, "-"))
		return false; /* "none" in our tables; a lone minus is text */
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r' ||
	    *s == '|')
		return true;
	for (i = 0; i < MNG_ARRAY_SIZE(wide); i++)
		if (!strncmp(s, wide[i], 3))
			return true;
	return false;
}

/* The text s, made safe for the mode. In CSV: a whole quoted field. */
static void put_text(FILE *f, enum mode m, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0;

	if (m == M_CSV) {
		fputc('"', f);
		if (formula_start((const char *)p))
			fputc('\'', f);
	}
	while (i < n) {
		size_t k = mng_utf8_len(p + i, n - i);

		if (k == 0 || hidden(p + i, k)) {
			fputs(repl, f);
			i += k ? k : 1;
			continue;
		}
		if (k == 1) {
			char c = (char)p[i];

			if (m == M_CSV && c == '"')
				fputs("\"\"", f);
			else if (m == M_HTML && c == '&')
				fputs("&amp;", f);
			else if (m == M_HTML && c == '<')
				fputs("&lt;", f);
			else if (m == M_HTML && c == '>')
				fputs("&gt;", f);
			else if (m == M_HTML && c == '"')
				fputs("&quot;", f);
			else if (m == M_HTML && c == '\'')
				fputs("&#39;", f);
			else
				fputc(c, f);
		} else {
			fwrite(p + i, 1, k, f);
		}
		i += k;
	}
	if (m == M_CSV)
		fputc('"', f);
}

/* ---- tables shared by both forms ---- */

enum field {
	F_TIME,
	F_HOST,
	F_SEQ,
	F_EVENT,
	F_SUBJECT,
	F_OBJECT,
	F_DECISION,
	F_RULE,
	F_EXEMPTION,
	F_TICKET,
	F_DETAIL,
	F_EXTRA,
	F_EXTRA2,
};

struct col {
	enum field f;
	const char *key, *ja, *en;
};

struct tdef {
	const char *id, *ja, *en;
	struct col cols[12];
	size_t n;
};

#define C_TIME                                                                                     \
	{                                                                                          \
		F_TIME, "time", "日時", "Time (UTC)"                                               \
	}
#define C_HOST                                                                                     \
	{                                                                                          \
		F_HOST, "host", "端末", "Terminal"                                                 \
	}
#define C_SEQ                                                                                      \
	{                                                                                          \
		F_SEQ, "seq", "番号", "Seq"                                                        \
	}
#define C_EVENT                                                                                    \
	{                                                                                          \
		F_EVENT, "event", "事象", "Event"                                                  \
	}
#define C_SUBJECT                                                                                  \
	{                                                                                          \
		F_SUBJECT, "subject", "利用者", "Subject"                                          \
	}
#define C_OBJECT                                                                                   \
	{                                                                                          \
		F_OBJECT, "object", "対象", "Object"                                               \
	}
#define C_DECISION                                                                                 \
	{                                                                                          \
		F_DECISION, "decision", "判定", "Decision"                                         \
	}
#define C_RULE                                                                                     \
	{                                                                                          \
		F_RULE, "rule", "規則", "Rule"                                                     \
	}
#define C_EXEMPTION                                                                                \
	{                                                                                          \
		F_EXEMPTION, "exemption", "例外ID", "Exemption"                                    \
	}
#define C_TICKET                                                                                   \
	{                                                                                          \
		F_TICKET, "ticket", "チケット", "Ticket"                                           \
	}
#define C_DETAIL                                                                                   \
	{                                                                                          \
		F_DETAIL, "detail", "詳細", "Detail"                                               \
	}

static const struct tdef tdefs[TBL_COUNT] = {
    [TBL_POLICY] = {"policy",
		    "ポリシーの適用と変更",
		    "Policy loads and changes",
		    {C_TIME,
		     C_HOST,
		     C_SEQ,
		     C_EVENT,
		     C_DECISION,
		     {F_EXTRA, "version", "版", "Version"},
		     C_SUBJECT,
		     C_OBJECT,
		     C_DETAIL},
		    9},
    [TBL_BLOCKED] = {"blocked",
		     "ブロックされた接続",
		     "Blocked attempts",
		     {C_TIME,
		      C_HOST,
		      C_SEQ,
		      C_EVENT,
		      {F_EXTRA, "class", "種別", "Device class"},
		      C_OBJECT,
		      C_RULE,
		      C_SUBJECT,
		      C_DETAIL},
		     9},
    [TBL_EXEMPT] = {"exemptions",
		    "例外措置の発行と使用",
		    "Exemptions issued and used",
		    {C_TIME,
		     C_HOST,
		     C_SEQ,
		     C_EVENT,
		     C_EXEMPTION,
		     C_TICKET,
		     {F_EXTRA, "issuer", "発行者", "Issuer"},
		     {F_EXTRA2, "operator", "担当者", "Operator"},
		     C_SUBJECT,
		     C_OBJECT,
		     C_DETAIL},
		    11},
    [TBL_KEYLESS] = {"keyless",
		     "キーなしログイン（一時アクセスパス）",
		     "Key-less logins (temporary access pass)",
		     {C_TIME, C_HOST, C_SEQ, C_SUBJECT, C_EXEMPTION, C_TICKET, C_DETAIL},
		     7},
    [TBL_KEYS] = {"keys",
		  "FIDO2 キーの登録と失効",
		  "Key enrolments and revocations",
		  {C_TIME, C_HOST, C_SEQ, C_EVENT, C_SUBJECT, C_OBJECT, C_DETAIL},
		  7},
    [TBL_PRINT] = {"print",
		   "保留・取消された印刷",
		   "Print jobs held or cancelled",
		   {C_TIME, C_HOST, C_SEQ, C_EVENT, C_SUBJECT, C_OBJECT, C_RULE, C_EXEMPTION,
		    C_TICKET, C_DETAIL},
		   10},
    [TBL_AUDIT] = {"audit",
		   "監査ログの保守と改ざん検知",
		   "Audit log maintenance and tamper findings",
		   {C_TIME, C_HOST, C_SEQ, C_EVENT, C_OBJECT, C_DECISION, C_DETAIL},
		   7},
};

static const char *field_of(const struct mng_report *r, const struct rrow *w, enum field f)
{
	switch (f) {
	case F_TIME:
		return w->time;
	case F_HOST:
		return r->hosts[w->host].name;
	case F_EVENT:
		return w->event;
	case F_SUBJECT:
		return w->subject;
	case F_OBJECT:
		return w->object;
	case F_DECISION:
		return w->decision;
	case F_RULE:
		return w->rule;
	case F_EXEMPTION:
		return w->exemption;
	case F_TICKET:
		return w->ticket;
	case F_DETAIL:
		return w->detail;
	case F_EXTRA:
		return w->extra;
	case F_EXTRA2:
		return w->extra2;
	default:
		return NULL;
	}
}

static const char *class_ja(const char *k)
{
	static const char *const map[][2] = {
	    {"storage", "記憶媒体"},
	    {"mtp-ptp", "スマートフォン・カメラ"},
	    {"network", "ネットワーク"},
	    {"printer", "プリンタ"},
	    {"smartcard", "カードリーダ"},
	    {"wireless", "無線"},
	    {"vendor", "ベンダー固有"},
	    {"audio-video", "音声・映像"},
	    {"hid", "入力装置"},
	    {"hub", "ハブ"},
	    {"other", "その他"},
	    {"unknown", "不明"},
	    {"thunderbolt", "Thunderbolt"},
	};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(map); i++)
		if (!strcmp(k, map[i][0]))
			return map[i][1];
	return NULL;
}

/* "記憶媒体+入力装置" for "storage+hid". */
static void put_class_ja(FILE *f, const char *label)
{
	char part[MNG_REPORT_CLASS_MAX];
	const char *p = label;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, "+");
		const char *ja;

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		ja = class_ja(part);
		if (!first)
			fputc('+', f);
		put_text(f, M_HTML, ja ? ja : part);
		first = false;
		p += n;
		if (*p)
			p++;
	}
}

static const char *host_status(const struct rhost *h)
{
	return h->chain_ok ? "OK" : "FAILED";
}

static void policy_text(const struct rhost *h, const struct policy_state *st, char *buf,
			size_t size)
{
	if (!st->time[0])
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%s (%s)", st->text, st->time);
}

/* Seq range and times of terminal h over its files. */
static void host_span(const struct mng_report *r, size_t hi, uint64_t *first, uint64_t *last,
		      uint64_t *records, const char **t0, const char **t1)
{
	size_t i;

	*first = *last = *records = 0;
	*t0 = *t1 = "";
	for (i = 0; i < r->n_files; i++) {
		const struct rfile *f = &r->files[i];

		if (!f->has_host || f->host != hi || !f->chained)
			continue;
		if (!*first || f->first_seq < *first)
			*first = f->first_seq;
		if (f->last_seq > *last)
			*last = f->last_seq;
		*records += f->records;
		if (!(*t0)[0] || strcmp(f->first_time, *t0) < 0)
			*t0 = f->first_time;
		if (strcmp(f->last_time, *t1) > 0)
			*t1 = f->last_time;
	}
}

/* ---- CSV ---- */

static void csv_title(FILE *f, const char *id, const char *ja, const char *en)
{
	fprintf(f, "\"[%s] %s %s\"\r\n", id, ja, en);
}

static void csv_end(FILE *f)
{
	fputs("\r\n", f);
}

static void csv_kv(FILE *f, const char *k, const char *v)
{
	fprintf(f, "%s,", k);
	put_text(f, M_CSV, v);
	fputs("\r\n", f);
}

static void csv_kn(FILE *f, const char *k, uint64_t v)
{
	fprintf(f, "%s,%" PRIu64 "\r\n", k, v);
}

int report_render_csv(const struct mng_report *r, const char *generated,
		      const struct mng_diags *diags, FILE *f)
{
	struct mng_report_summary s;
	char buf[300];
	size_t i, c;
	int t;

	(void)mng_report_summary(r, &s);
	fputs("\xef\xbb\xbf", f);
	csv_title(f, "report", "自己点検報告書", "Self-inspection report");
	fputs("key,value\r\n", f);
	csv_kv(f, "period_from", r->from[0] ? r->from : "-");
	csv_kv(f, "period_to", r->to[0] ? r->to : "-");
	csv_kv(f, "generated", generated ? generated : "-");
	csv_kn(f, "files", s.files);
	csv_kn(f, "terminals", s.hosts);
	csv_kn(f, "terminals_failed", s.hosts_failed);
	csv_kv(f, "verification", s.hosts_failed ? "FAILED" : "OK");
	csv_kn(f, "records", s.records);
	csv_kn(f, "records_in_period", s.in_period);
	csv_kn(f, "unreadable_lines", s.bad_lines);
	csv_kv(f, "complete", s.incomplete ? "no: a cap was reached" : "yes");
	for (t = 0; t < TBL_COUNT; t++) {
		snprintf(buf, sizeof(buf), "%s_rows_kept", tdefs[t].id);
		csv_kn(f, buf, r->t[t].n);
		snprintf(buf, sizeof(buf), "%s_total", tdefs[t].id);
		csv_kn(f, buf, r->t[t].total);
	}
	csv_end(f);

	csv_title(f, "chains", "監査ログの検証", "Audit chain verification per terminal");
	fputs("host,status,files,records,first_seq,last_seq,first_time,last_time,note\r\n", f);
	for (i = 0; i < r->n_hosts; i++) {
		const struct rhost *h = &r->hosts[i];
		uint64_t a, b, n;
		const char *t0, *t1;

		host_span(r, i, &a, &b, &n, &t0, &t1);
		put_text(f, M_CSV, h->name);
		fprintf(f, ",%s,%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", host_status(h),
			h->n_files, n, a, b);
		put_text(f, M_CSV, t0);
		fputc(',', f);
		put_text(f, M_CSV, t1);
		fputc(',', f);
		put_text(f, M_CSV, h->chain_note);
		fputs("\r\n", f);
	}
	csv_end(f);

	csv_title(f, "files", "ファイルごとの検証", "Verification per file");
	fputs("file,host,status,records,first_seq,last_seq,segments,first_bad_seq,first_bad_line,"
	      "reason\r\n",
	      f);
	for (i = 0; i < r->n_files; i++) {
		const struct rfile *fl = &r->files[i];

		put_text(f, M_CSV, fl->name);
		fputc(',', f);
		put_text(f, M_CSV, fl->has_host ? r->hosts[fl->host].name : "");
		fprintf(f, ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%lu,",
			fl->ok ? "OK" : "FAILED", fl->records, fl->first_seq, fl->last_seq,
			fl->segments, fl->bad_seq, fl->bad_line);
		put_text(f, M_CSV, fl->reason);
		fputs("\r\n", f);
	}
	csv_end(f);

	csv_title(f, "terminals", "端末ごとの状況", "Per terminal");
	fputs("host,records_in_period,blocked,rejected,exemptions_redeemed,exemptions_used,"
	      "keyless_logins,keys_enrolled,keys_revoked,print_held,print_cancelled,policy_errors,"
	      "policy_at_start,policy_at_end,bundle_version\r\n",
	      f);
	for (i = 0; i < r->n_hosts; i++) {
		const struct rhost *h = &r->hosts[i];

		put_text(f, M_CSV, h->name);
		fprintf(f,
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
			h->in_period, h->blocked, h->rejected, h->exempt_redeem, h->exempt_use,
			h->keyless, h->key_enroll, h->key_revoke, h->print_hold, h->print_cancel,
			h->policy_errors);
		policy_text(h, &h->pol_start, buf, sizeof(buf));
		put_text(f, M_CSV, buf);
		fputc(',', f);
		policy_text(h, &h->pol_end, buf, sizeof(buf));
		put_text(f, M_CSV, buf);
		fputc(',', f);
		put_text(f, M_CSV, h->version[0] ? h->version : "-");
		fputs("\r\n", f);
	}
	csv_end(f);

	csv_title(f, "blocked_by_class", "デバイス種別ごとのブロック",
		  "Blocked attempts per device class");
	fputs("class,count\r\n", f);
	for (c = 0; c < r->n_classes; c++) {
		put_text(f, M_CSV, r->classes[c]);
		fprintf(f, ",%" PRIu64 "\r\n", r->class_n[c]);
	}
	csv_end(f);

	csv_title(f, "blocked_by_terminal_class", "端末・種別ごとのブロック",
		  "Blocked attempts per terminal and device class");
	fputs("host,class,count\r\n", f);
	for (i = 0; i < r->n_hosts; i++)
		for (c = 0; c < r->n_classes; c++) {
			if (!r->hosts[i].class_n[c])
				continue;
			put_text(f, M_CSV, r->hosts[i].name);
			fputc(',', f);
			put_text(f, M_CSV, r->classes[c]);
			fprintf(f, ",%" PRIu64 "\r\n", r->hosts[i].class_n[c]);
		}
	csv_end(f);

	csv_title(f, "blocked_by_day", "日ごとのブロック", "Blocked attempts per day (UTC)");
	fputs("day,count\r\n", f);
	for (i = 0; i < r->n_days; i++)
		fprintf(f, "%s,%" PRIu64 "\r\n", r->days[i].day, r->days[i].n);
	csv_end(f);

	for (t = 0; t < TBL_COUNT; t++) {
		const struct tdef *d = &tdefs[t];

		csv_title(f, d->id, d->ja, d->en);
		for (c = 0; c < d->n; c++)
			fprintf(f, "%s%s", c ? "," : "", d->cols[c].key);
		fputs("\r\n", f);
		for (i = 0; i < r->t[t].n; i++) {
			const struct rrow *w = &r->t[t].v[i];

			for (c = 0; c < d->n; c++) {
				if (c)
					fputc(',', f);
				if (d->cols[c].f == F_SEQ)
					fprintf(f, "%" PRIu64, w->seq);
				else
					put_text(f, M_CSV, field_of(r, w, d->cols[c].f));
			}
			fputs("\r\n", f);
		}
		csv_end(f);
	}

	csv_title(f, "unreadable_lines", "読めなかった行", "Lines that are not records");
	fputs("file,line,message\r\n", f);
	for (i = 0; diags && i < diags->n; i++) {
		put_text(f, M_CSV, diags->v[i].file);
		fprintf(f, ",%u,", diags->v[i].line);
		put_text(f, M_CSV, diags->v[i].msg);
		fputs("\r\n", f);
	}
	if (diags && diags->dropped) {
		fprintf(f, "\"(more)\",0,\"%zu more not listed\"\r\n", diags->dropped);
	}
	return ferror(f) ? -ENOMEM : 0;
}

/* ---- HTML ---- */

static const char css[] =
    "body{font-family:'Noto Sans CJK JP','Noto Sans JP','Hiragino Sans','Yu Gothic',"
    "Meiryo,sans-serif;margin:24px;color:#1b1b1b;background:#fff;font-size:14px}"
    "h1{font-size:22px;border-bottom:3px solid #1d4e89;padding-bottom:6px}"
    "h2{font-size:18px;margin-top:32px;border-left:6px solid #1d4e89;padding-left:8px}"
    "h3{font-size:15px;margin-top:20px}"
    ".en{color:#555;font-weight:normal;font-size:85%}"
    "table{border-collapse:collapse;margin:8px 0;max-width:100%}"
    "th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top;text-align:left}"
    "th{background:#e8eef6}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.wrap{max-width:420px;overflow-wrap:anywhere}"
    ".ok{color:#0a6b2a;font-weight:bold}.bad{color:#b00020;font-weight:bold}"
    ".verdict{font-size:18px;padding:8px 12px;border:2px solid;display:inline-block}"
    ".note{color:#444;font-size:90%}"
    "svg{background:#fafafa;border:1px solid #ddd;margin:6px 0}"
    "svg .bar{fill:#1d4e89}svg text{font-size:11px;fill:#222}"
    "svg .axis{stroke:#555;stroke-width:1}svg .grid{stroke:#ddd;stroke-width:1}"
    "@media print{body{margin:0}h2{break-after:avoid}}";

static void h_text(FILE *f, const char *s)
{
	put_text(f, M_HTML, s);
}

static void h_heading(FILE *f, int level, const char *id, const char *ja, const char *en)
{
	fprintf(f, "<h%d id=\"%s\">%s <span class=\"en\">%s</span></h%d>\n", level, id, ja, en,
		level);
}

static void h_th(FILE *f, const char *ja, const char *en)
{
	fprintf(f, "<th>%s<br><span class=\"en\">%s</span></th>", ja, en);
}

static void h_num(FILE *f, uint64_t n)
{
	fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", n);
}

static void h_cell(FILE *f, const char *s)
{
	fputs("<td class=\"wrap\">", f);
	h_text(f, s && s[0] ? s : "-");
	fputs("</td>", f);
}

/* Round up to 1, 2 or 5 times a power of ten. */
static uint64_t nice_max(uint64_t v)
{
	uint64_t p = 1;

	if (v < 1)
		return 1;
	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		if (p > UINT64_MAX / 10)
			return v;
		p *= 10;
	}
}

struct bucket {
	char label[11]; /* YYYY-MM-DD or YYYY-MM */
	uint64_t n;
};

static bool parse_day(const char *s, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	if (sscanf(s, "%4d-%2d-%2d", &tm->tm_year, &tm->tm_mon, &tm->tm_mday) != 3)
		return false;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_hour = 12;
	return true;
}

/* Buckets from the first to the last day (the period's, or the data's), by day or month. */
static int time_buckets(const struct mng_report *r, struct bucket **ret, size_t *ret_n,
			bool *ret_daily)
{
	char first[11], last[11];
	struct tm a, b;
	time_t ta, tb;
	struct bucket *v;
	size_t n = 0, i, cap;
	bool daily;

	if (r->n_days == 0 && (!r->from[0] || !r->to[0])) {
		*ret = NULL;
		*ret_n = 0;
		*ret_daily = true;
		return 0;
	}
	snprintf(first, sizeof(first), "%.10s", r->from[0] ? r->from : r->days[0].day);
	snprintf(last, sizeof(last), "%.10s", r->to[0] ? r->to : r->days[r->n_days - 1].day);
	if (r->n_days && strcmp(r->days[0].day, first) < 0)
		memcpy(first, r->days[0].day, 11);
	if (r->n_days && strcmp(r->days[r->n_days - 1].day, last) > 0)
		memcpy(last, r->days[r->n_days - 1].day, 11);
	if (!parse_day(first, &a) || !parse_day(last, &b))
		return -EINVAL;
	ta = timegm(&a);
	tb = timegm(&b);
	daily = (tb - ta) / 86400 < DAILY_MAX;
	cap = daily ? DAILY_MAX + 1 : CHART_BUCKETS_MAX;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (n < cap) {
		struct tm cur;

		if (!gmtime_r(&ta, &cur))
			break;
		if (daily)
			strftime(v[n].label, sizeof(v[n].label), "%Y-%m-%d", &cur);
		else
			strftime(v[n].label, sizeof(v[n].label), "%Y-%m", &cur);
		n++;
		if (strncmp(v[n - 1].label, last, daily ? 10 : 7) >= 0)
			break;
		if (daily) {
			ta += 86400;
		} else {
			cur.tm_mday = 1;
			cur.tm_mon++;
			ta = timegm(&cur);
		}
	}
	for (i = 0; i < r->n_days; i++) {
		size_t k;

		for (k = 0; k < n; k++)
			if (!strncmp(v[k].label, r->days[i].day, daily ? 10 : 7)) {
				v[k].n += r->days[i].n;
				break;
			}
	}
	*ret = v;
	*ret_n = n;
	*ret_daily = daily;
	return 0;
}

static int chart_time(const struct mng_report *r, FILE *f)
{
	const int W = 1000, H = 280, L = 56, R = 16, T = 16, B = 56;
	struct bucket *v = NULL;
	uint64_t max = 0, ymax;
	size_t n = 0, i, every;
	bool daily = true;
	double bw;
	int rc;

	rc = time_buckets(r, &v, &n, &daily);
	if (rc < 0)
		return rc;
	if (n == 0) {
		fputs("<p>記録なし <span class=\"en\">No blocked attempts.</span></p>\n", f);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (v[i].n > max)
			max = v[i].n;
	ymax = nice_max(max);
	bw = (double)(W - L - R) / (double)n;
	every = n / 12 + 1;
	fprintf(f,
		"<svg id=\"chart-time\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
		"%d\" xmlns=\"http://www.w3.org/2000/svg\" data-buckets=\"%zu\" data-unit=\"%s\">"
		"<title>ブロックされた接続の推移 Blocked attempts over time</title>\n",
		W, H, W, H, n, daily ? "day" : "month");
	for (i = 0; i <= 4; i++) {
		double y = T + (double)(H - T - B) * (double)i / 4.0;

		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%" PRIu64 "</text>\n",
			L, y, W - R, y, L - 6, y + 4, ymax - ymax * i / 4);
	}
	for (i = 0; i < n; i++) {
		double h = (double)(H - T - B) * (double)v[i].n / (double)ymax;
		double x = L + bw * (double)i;

		fprintf(
		    f,
		    "<rect class=\"bar\" data-label=\"%s\" data-n=\"%" PRIu64
		    "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: %" PRIu64
		    "</title></rect>\n",
		    v[i].label, v[i].n, x + bw * 0.1, (double)(H - B) - h,
		    bw * 0.8 > 0.5 ? bw * 0.8 : 0.5, h, v[i].label, v[i].n);
		if (v[i].n && n <= 62)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%" PRIu64
				"</text>\n",
				x + bw / 2, (double)(H - B) - h - 3, v[i].n);
		if (i % every == 0)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
				"transform=\"rotate(-40 %.1f %d)\">%s</text>\n",
				x + bw / 2, H - B + 14, x + bw / 2, H - B + 14, v[i].label);
	}
	fprintf(f,
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></svg>\n",
		L, H - B, W - R, H - B, L, T, L, H - B);
	fprintf(f, "<p class=\"note\">%s <span class=\"en\">%s</span></p>\n",
		daily ? "日ごと（UTC）" : "月ごと（UTC）",
		daily ? "per day (UTC)" : "per month (UTC)");
	free(v);
	return 0;
}

static int by_blocked(const void *a, const void *b, void *arg)
{
	const struct mng_report *r = arg;
	const struct rhost *x = &r->hosts[*(const size_t *)a], *y = &r->hosts[*(const size_t *)b];
	uint64_t nx = x->blocked + x->rejected, ny = y->blocked + y->rejected;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int chart_hosts(const struct mng_report *r, FILE *f)
{
	const int W = 1000, L = 220, R = 60, row = 22, T = 8;
	size_t *idx, i, n, shown;
	uint64_t max = 0, ymax, rest = 0;
	int H;

	if (r->n_hosts == 0)
		return 0;
	idx = calloc(r->n_hosts, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < r->n_hosts; i++)
		idx[i] = i;
	qsort_r(idx, r->n_hosts, sizeof(*idx), by_blocked, (void *)r);
	n = r->n_hosts;
	shown = n > CHART_HOSTS_MAX ? CHART_HOSTS_MAX : n;
	for (i = 0; i < n; i++) {
		uint64_t c = r->hosts[idx[i]].blocked + r->hosts[idx[i]].rejected;

		if (c > max)
			max = c;
		if (i >= shown)
			rest += c;
	}
	ymax = nice_max(max);
	H = T * 2 + row * (int)(shown + (rest ? 1 : 0));
	fprintf(f,
		"<svg id=\"chart-terminal\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
		"%d %d\" xmlns=\"http://www.w3.org/2000/svg\" data-terminals=\"%zu\">"
		"<title>端末別のブロック Blocked attempts per terminal</title>\n",
		W, H, W, H, shown);
	for (i = 0; i < shown; i++) {
		const struct rhost *h = &r->hosts[idx[i]];
		uint64_t c = h->blocked + h->rejected;
		double w = (double)(W - L - R) * (double)c / (double)ymax;
		int y = T + row * (int)i;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 8, y + 15);
		h_text(f, h->name);
		fprintf(f, "</text><rect class=\"bar\" data-host=\"");
		h_text(f, h->name);
		fprintf(f,
			"\" data-n=\"%" PRIu64
			"\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>",
			c, L, y + 3, w, row - 6);
		h_text(f, h->name);
		fprintf(
		    f, ": %" PRIu64 "</title></rect><text x=\"%.1f\" y=\"%d\">%" PRIu64 "</text>\n",
		    c, L + w + 4, y + 15, c);
	}
	if (rest)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">他 %zu 台 (others)</text>"
			"<text x=\"%d\" y=\"%d\">%" PRIu64 "</text>\n",
			L - 8, T + row * (int)shown + 15, n - shown, L + 4,
			T + row * (int)shown + 15, rest);
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></svg>\n", L, T,
		L, H - T);
	free(idx);
	return 0;
}

static void html_rows(const struct mng_report *r, FILE *f, int t)
{
	const struct tdef *d = &tdefs[t];
	const struct rtable *tb = &r->t[t];
	size_t i, c, shown = tb->n > MNG_REPORT_HTML_ROWS ? MNG_REPORT_HTML_ROWS : tb->n;

	h_heading(f, 2, d->id, d->ja, d->en);
	fprintf(f, "<p>件数 <span class=\"en\">Records</span>: <b id=\"count-%s\">%" PRIu64 "</b>",
		d->id, tb->total);
	if (shown < tb->total)
		fprintf(f,
			" — 先頭 %zu 件を表示 <span class=\"en\">(first %zu shown; the CSV "
			"holds up to %d)</span>",
			shown, shown, MNG_REPORT_ROWS_MAX);
	fputs("</p>\n", f);
	if (!shown)
		return;
	fprintf(f, "<table id=\"table-%s\"><tr>", d->id);
	for (c = 0; c < d->n; c++)
		h_th(f, d->cols[c].ja, d->cols[c].en);
	fputs("</tr>\n", f);
	for (i = 0; i < shown; i++) {
		const struct rrow *w = &tb->v[i];

		fputs("<tr>", f);
		for (c = 0; c < d->n; c++) {
			if (d->cols[c].f == F_SEQ)
				h_num(f, w->seq);
			else
				h_cell(f, field_of(r, w, d->cols[c].f));
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_summary(const struct mng_report *r, const char *generated, FILE *f,
			 const struct mng_report_summary *s)
{
	h_heading(f, 2, "summary", "概要", "Summary");
	if (s->hosts_failed)
		fprintf(
		    f,
		    "<p class=\"verdict bad\" id=\"verdict\">検証に失敗した端末があります: %zu 台 "
		    "<span class=\"en\">VERIFICATION FAILED for %zu terminal(s)</span></p>\n",
		    s->hosts_failed, s->hosts_failed);
	else if (s->hosts)
		fputs("<p class=\"verdict ok\" id=\"verdict\">すべての監査ログの連鎖を検証しました "
		      "<span class=\"en\">Every audit chain verified</span></p>\n",
		      f);
	else
		fputs("<p class=\"verdict bad\" id=\"verdict\">監査ログがありません "
		      "<span class=\"en\">No audit records were given</span></p>\n",
		      f);
	fputs("<table class=\"kv\">\n", f);
	fputs("<tr><th>対象期間 <span class=\"en\">Period (UTC)</span></th><td>", f);
	h_text(f, r->from[0] ? r->from : "-");
	fputs(" – ", f);
	h_text(f, r->to[0] ? r->to : "-");
	fputs("</td></tr>\n<tr><th>作成日時 <span class=\"en\">Generated</span></th><td>", f);
	h_text(f, generated ? generated : "-");
	fputs("</td></tr>\n", f);
#define KV(ja, en, id, v)                                                                          \
	fprintf(f,                                                                                 \
		"<tr><th>%s <span class=\"en\">%s</span></th><td class=\"n\" id=\"%s\">%" PRIu64   \
		"</td></tr>\n",                                                                    \
		ja, en, id, (uint64_t)(v))
	KV("端末数", "Terminals", "n-hosts", s->hosts);
	KV("ファイル数", "Files", "n-files", s->files);
	KV("検証失敗の端末", "Terminals failing verification", "n-failed", s->hosts_failed);
	KV("記録数（全期間）", "Records (all times)", "n-records", s->records);
	KV("記録数（対象期間）", "Records in the period", "n-period", s->in_period);
	KV("ブロックされた接続", "Blocked attempts", "n-blocked", s->blocked);
	KV("例外措置の記録", "Exemption records", "n-exemptions", s->exemptions);
	KV("キーなしログイン", "Key-less logins", "n-keyless", s->keyless);
	KV("キーの登録・失効", "Key enrolments and revocations", "n-keys", s->keys);
	KV("保留・取消された印刷", "Print jobs held or cancelled", "n-print", s->print);
	KV("読めなかった行", "Unreadable lines", "n-bad", s->bad_lines);
#undef KV
	fputs("</table>\n", f);
	if (s->incomplete)
		fputs("<p class=\"bad\">上限に達したため一部を読んでいません "
		      "<span class=\"en\">Incomplete: a size or count cap was reached "
		      "(see the unreadable lines)</span></p>\n",
		      f);
}

static void html_chains(const struct mng_report *r, FILE *f)
{
	size_t i;

	h_heading(f, 2, "chains", "監査ログの検証", "Audit chain verification");
	fputs("<p class=\"note\">各端末の監査ログは、連番と直前の記録の SHA-256 による連鎖で"
	      "改ざん・欠落を検出します。<span class=\"en\">Each record carries the SHA-256 of "
	      "the record before it; a terminal is OK when every file and every link between "
	      "its files verifies.</span></p>\n",
	      f);
	fputs("<table id=\"table-chains\"><tr>", f);
	h_th(f, "端末", "Terminal");
	h_th(f, "結果", "Result");
	h_th(f, "ファイル数", "Files");
	h_th(f, "記録数", "Records");
	h_th(f, "連番", "Seq range");
	h_th(f, "最初の記録", "First record");
	h_th(f, "最後の記録", "Last record");
	h_th(f, "所見", "Findings");
	fputs("</tr>\n", f);
	for (i = 0; i < r->n_hosts; i++) {
		const struct rhost *h = &r->hosts[i];
		uint64_t a, b, n;
		const char *t0, *t1;

		host_span(r, i, &a, &b, &n, &t0, &t1);
		fputs("<tr>", f);
		h_cell(f, h->name);
		fprintf(f, "<td class=\"%s\">%s</td>", h->chain_ok ? "ok" : "bad",
			h->chain_ok ? "OK 検証済" : "FAILED 不合格");
		h_num(f, h->n_files);
		h_num(f, n);
		fprintf(f, "<td>%" PRIu64 "–%" PRIu64 "</td>", a, b);
		h_cell(f, t0);
		h_cell(f, t1);
		h_cell(f, h->chain_note);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	h_heading(f, 3, "files", "ファイルごとの検証", "Per file");
	fputs("<table id=\"table-files\"><tr>", f);
	h_th(f, "ファイル", "File");
	h_th(f, "端末", "Terminal");
	h_th(f, "結果", "Result");
	h_th(f, "記録数", "Records");
	h_th(f, "連番", "Seq range");
	h_th(f, "最初の不良記録", "First bad record");
	h_th(f, "理由", "Reason");
	fputs("</tr>\n", f);
	for (i = 0; i < r->n_files; i++) {
		const struct rfile *fl = &r->files[i];

		fputs("<tr>", f);
		h_cell(f, fl->name);
		h_cell(f, fl->has_host ? r->hosts[fl->host].name : "");
		fprintf(f, "<td class=\"%s\">%s</td>", fl->ok ? "ok" : "bad",
			fl->ok ? "OK" : "FAILED");
		h_num(f, fl->records);
		fprintf(f, "<td>%" PRIu64 "–%" PRIu64 "</td>", fl->first_seq, fl->last_seq);
		if (fl->ok)
			fputs("<td>-</td>", f);
		else
			fprintf(f, "<td>seq %" PRIu64 ", line %lu</td>", fl->bad_seq, fl->bad_line);
		h_cell(f, fl->reason);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_terminals(const struct mng_report *r, FILE *f)
{
	char buf[300];
	size_t i;

	h_heading(f, 2, "terminals", "端末ごとの状況とポリシー", "Per terminal, policy in force");
	fputs("<table id=\"table-terminals\"><tr>", f);
	h_th(f, "端末", "Terminal");
	h_th(f, "ブロック", "Blocked");
	h_th(f, "拒否", "Rejected");
	h_th(f, "例外 発行/使用", "Exemptions redeemed/used");
	h_th(f, "キーなしログイン", "Key-less logins");
	h_th(f, "キー 登録/失効", "Keys enrolled/revoked");
	h_th(f, "印刷 保留/取消", "Print held/cancelled");
	h_th(f, "期間開始時のポリシー", "Policy at period start");
	h_th(f, "期間終了時のポリシー", "Policy at period end");
	h_th(f, "版", "Bundle version");
	fputs("</tr>\n", f);
	for (i = 0; i < r->n_hosts; i++) {
		const struct rhost *h = &r->hosts[i];

		fputs("<tr>", f);
		h_cell(f, h->name);
		h_num(f, h->blocked);
		h_num(f, h->rejected);
		fprintf(f, "<td class=\"n\">%" PRIu64 " / %" PRIu64 "</td>", h->exempt_redeem,
			h->exempt_use);
		h_num(f, h->keyless);
		fprintf(f, "<td class=\"n\">%" PRIu64 " / %" PRIu64 "</td>", h->key_enroll,
			h->key_revoke);
		fprintf(f, "<td class=\"n\">%" PRIu64 " / %" PRIu64 "</td>", h->print_hold,
			h->print_cancel);
		policy_text(h, &h->pol_start, buf, sizeof(buf));
		h_cell(f, buf);
		policy_text(h, &h->pol_end, buf, sizeof(buf));
		h_cell(f, buf);
		h_cell(f, h->version);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static int html_blocked(const struct mng_report *r, FILE *f)
{
	size_t c;
	int rc;

	h_heading(f, 2, "blocked-charts", "ブロックされた接続の集計", "Blocked attempts: charts");
	h_heading(f, 3, "blocked-time", "推移", "Over time");
	rc = chart_time(r, f);
	if (rc < 0)
		return rc;
	h_heading(f, 3, "blocked-terminal", "端末別", "Per terminal");
	rc = chart_hosts(r, f);
	if (rc < 0)
		return rc;
	h_heading(f, 3, "blocked-class", "デバイス種別", "Per device class");
	fputs("<table id=\"table-classes\"><tr>", f);
	h_th(f, "種別", "Device class");
	h_th(f, "件数", "Count");
	fputs("</tr>\n", f);
	for (c = 0; c < r->n_classes; c++) {
		fputs("<tr><td>", f);
		put_class_ja(f, r->classes[c]);
		fputs(" <span class=\"en\">(", f);
		h_text(f, r->classes[c]);
		fputs(")</span></td>", f);
		h_num(f, r->class_n[c]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	return 0;
}

int report_render_html(const struct mng_report *r, const char *generated,
		       const struct mng_diags *diags, FILE *f)
{
	struct mng_report_summary s;
	size_t i;
	int rc, t;

	(void)mng_report_summary(r, &s);
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>自己点検報告書 Self-inspection report (mnguard)</title>\n"
		"<style>%s</style>\n</head>\n<body>\n",
		css);
	fputs("<h1>自己点検報告書 <span class=\"en\">Self-inspection report: "
	      "device, print and login controls (mnguard audit logs)</span></h1>\n",
	      f);
	html_summary(r, generated, f, &s);
	html_chains(r, f);
	html_terminals(r, f);
	rc = html_blocked(r, f);
	if (rc < 0)
		return rc;
	for (t = 0; t < TBL_COUNT; t++)
		html_rows(r, f, t);
	h_heading(f, 2, "unreadable", "読めなかった行", "Lines that are not records");
	if (!diags || (!diags->n && !diags->dropped)) {
		fputs("<p>なし <span class=\"en\">None.</span></p>\n", f);
	} else {
		fputs("<table id=\"table-unreadable\"><tr>", f);
		h_th(f, "ファイル", "File");
		h_th(f, "行", "Line");
		h_th(f, "内容", "Message");
		fputs("</tr>\n", f);
		for (i = 0; i < diags->n && i < MNG_REPORT_HTML_ROWS; i++) {
			fputs("<tr>", f);
			h_cell(f, diags->v[i].file);
			h_num(f, diags->v[i].line);
			h_cell(f, diags->v[i].msg);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		if (diags->dropped)
			fprintf(
			    f, "<p>ほか %zu 件 <span class=\"en\">%zu more not listed</span></p>\n",
			    diags->dropped, diags->dropped);
	}
	fputs("<p class=\"note\">mnguard audit report. 時刻はすべて UTC です "
	      "<span class=\"en\">All times are UTC.</span></p>\n</body>\n</html>\n",
	      f);
	return ferror(f) ? -ENOMEM : 0;
}
