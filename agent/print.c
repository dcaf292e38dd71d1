// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * print.c - the print gate's decision (see print.h; mnguardd(8), PRINT GATE).
 *
 * MUST: the verdict starts as HOLD; only a printer rule or an exemption
 *       makes a printer usable, only clean content or an exemption lets a
 *       checked job print, and any error on the way leaves HOLD.
 * MUST: no document is parsed in this process: its text comes from
 *       mnguard-extract, run as an unprivileged user with no_new_privs,
 *       rlimits (CPU, address space, no file writes, no core) and a
 *       wall-clock timeout; a timeout, a crash, a non-zero exit, too much
 *       output or an "unreadable" report all count as sensitive.
 * MUST: the audit record holds digests, counts and names, never the text;
 *       a title that holds an individual or corporate number is withheld.
 * MUST: only root and the lp user (cupsd's backends) may ask.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "events.h"
#include "exempt.h"
#include "mynumber.h"
#include "print.h"
#include "sha256.h"

#ifndef MNG_EXTRACT_PATH
#define MNG_EXTRACT_PATH "/usr/local/libexec/mnguard/mnguard-extract"
#endif
#define EXTRACT_ENV "MNGUARD_EXTRACT" /* overrides the helper's path (tests) */
#define ERR_MAX 4096		      /* bytes of the helper's stderr kept */
#define GROUPS_MAX 64

/* journald MESSAGE_IDs, one per verdict */
static const char *const msgids[] = {
    [AGENT_PRINT_HOLD] = "6f0c1a3e8b2d4c5f9a7e1d3b5c7f9e21",
    [AGENT_PRINT_ALLOW] = "6f0c1a3e8b2d4c5f9a7e1d3b5c7f9e22",
    [AGENT_PRINT_CANCEL] = "6f0c1a3e8b2d4c5f9a7e1d3b5c7f9e23",
};

const char *agent_print_verdict_name(enum agent_print_verdict v)
{
	switch (v) {
	case AGENT_PRINT_ALLOW:
		return "allow";
	case AGENT_PRINT_CANCEL:
		return "cancel";
	default:
		return "hold";
	}
}

bool agent_print_peer_ok(const struct agent_peer *by)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (!by)
		return false;
	if (by->uid == 0)
		return true;
	if (getpwnam_r("lp", &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	return res->pw_uid == by->uid;
}

/* What the content check found. */
struct content {
	bool sensitive;
	char why[160];	 /* English, when sensitive */
	char format[32]; /* from the helper */
	long pages;	 /* -1 unknown */
	size_t individual, corporate;
	uint64_t size;
	char sha256[65];
};

static void sensitive(struct content *ct, const char *why)
{
	if (ct->sensitive)
		return;
	ct->sensitive = true;
	snprintf(ct->why, sizeof(ct->why), "%s", why);
}

/* SHA-256 of the whole file behind fd, read with pread. 0 or -errno. */
static int digest(int fd, uint64_t size, char ret[65])
{
	struct mng_sha256 ctx;
	uint8_t d[MNG_SHA256_LEN];
	char *buf = malloc(1u << 16);
	uint64_t off = 0;

	if (!buf)
		return -ENOMEM;
	mng_sha256_init(&ctx);
	while (off < size) {
		ssize_t n = pread(fd, buf, 1u << 16, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		(void)mng_sha256_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	(void)mng_sha256_final(&ctx, d);
	mng_sha256_hex(d, ret);
	return 0;
}

/* In the child: limits, an unprivileged identity, the helper. Never returns. */
static void child(int in, int out, int err, const char *path)
{
	static char *const envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL};
	char *const argv[] = {"mnguard-extract", NULL};
	struct rlimit cpu = {AGENT_PRINT_CPU_S, AGENT_PRINT_CPU_S + 1};
	struct rlimit as = {AGENT_PRINT_AS_MAX, AGENT_PRINT_AS_MAX};
	struct rlimit zero = {0, 0}, files = {16, 16};
	struct passwd *pw;

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	(void)syscall(SYS_close_range, 3u, ~0u, 0u);
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_AS, &as) < 0 ||
	    setrlimit(RLIMIT_FSIZE, &zero) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0 ||
	    setrlimit(RLIMIT_NOFILE, &files) < 0)
		_exit(126);
	if (geteuid() == 0) {
		uid_t uid = 65534;
		gid_t gid = 65534;

		pw = getpwnam("nobody");
		if (pw) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		}
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(126);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the helper's stdout (text, growing) and stderr (capped) until both close or time runs out.
 */
static int collect(int out, int err, char **ret_text, size_t *ret_len, char *errbuf, size_t errsize,
		   bool *ret_over)
{
	int64_t deadline = now_ms() + AGENT_PRINT_TIMEOUT_MS;
	size_t len = 0, cap = 1u << 16, elen = 0;
	char *text = malloc(cap + 1), sink[4096];
	struct pollfd p[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};

	*ret_over = false;
	if (!text)
		return -ENOMEM;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int64_t left = deadline - now_ms();
		int r, i;

		if (left <= 0) {
			free(text);
			return -ETIMEDOUT;
		}
		r = poll(p, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(text);
			return -errno;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i == 0) {
				if (len == cap) {
					char *nt;

					if (cap >= AGENT_PRINT_TEXT_MAX) {
						*ret_over = true;
						free(text);
						return -E2BIG;
					}
					cap *= 2;
					nt = realloc(text, cap + 1);
					if (!nt) {
						free(text);
						return -ENOMEM;
					}
					text = nt;
				}
				n = read(out, text + len, cap - len);
				if (n > 0)
					len += (size_t)n;
			} else {
				n = read(err, sink, sizeof(sink));
				if (n > 0 && elen + 1 < errsize) {
					size_t k = (size_t)n < errsize - 1 - elen
						       ? (size_t)n
						       : errsize - 1 - elen;

					memcpy(errbuf + elen, sink, k);
					elen += k;
				}
			}
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				p[i].fd = -1;
		}
	}
	errbuf[elen] = '\0';
	text[len] = '\0';
	*ret_text = text;
	*ret_len = len;
	return 0;
}

/* The value after "key " on a line of the helper's stderr, or NULL. */
static const char *err_line(const char *errbuf, const char *key, char *val, size_t size)
{
	size_t kl = strlen(key);
	const char *p = errbuf;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);

		if (ll > kl && !memcmp(p, key, kl)) {
			size_t n = ll - kl < size - 1 ? ll - kl : size - 1;
			size_t i;

			memcpy(val, p + kl, n);
			val[n] = '\0';
			for (i = 0; i < n; i++)
				if ((unsigned char)val[i] < 0x20)
					val[i] = ' ';
			return val;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Run the helper over the document and scan its text. Fills ct; errors make it sensitive. */
static void examine(int doc, struct content *ct)
{
	const char *path = getenv(EXTRACT_ENV);
	char procpath[64], errbuf[ERR_MAX], val[160], *text = NULL;
	int in = -1, po[2] = {-1, -1}, pe[2] = {-1, -1}, r, status = 0;
	struct mng_mn_result mr;
	size_t len = 0;
	bool over = false;
	pid_t pid;

	if (!path || !*path)
		path = MNG_EXTRACT_PATH;
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", doc);
	in = open(procpath, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		sensitive(ct, "the document cannot be reopened for reading");
		return;
	}
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		sensitive(ct, "no pipe for the extractor");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		sensitive(ct, "the extractor cannot be started");
		goto out;
	}
	if (pid == 0)
		child(in, po[1], pe[1], path);
	(void)close(po[1]);
	(void)close(pe[1]);
	po[1] = pe[1] = -1;
	r = collect(po[0], pe[0], &text, &len, errbuf, sizeof(errbuf), &over);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == -ETIMEDOUT) {
		sensitive(ct, "the extractor timed out");
		goto out;
	}
	if (over) {
		sensitive(ct, "more text than the gate reads");
		goto out;
	}
	if (r < 0) {
		sensitive(ct, "the extractor's output could not be read");
		goto out;
	}
	if (err_line(errbuf, "format ", val, sizeof(val)))
		snprintf(ct->format, sizeof(ct->format), "%.31s", val);
	if (err_line(errbuf, "pages ", val, sizeof(val))) {
		char *e;
		long n = strtol(val, &e, 10);

		if (e != val && n >= 0)
			ct->pages = n;
	}
	if (WIFSIGNALED(status)) {
		snprintf(val, sizeof(val), "the extractor was killed by signal %d",
			 WTERMSIG(status));
		sensitive(ct, val);
		goto out;
	}
	if (WEXITSTATUS(status) == 3) {
		char why[140];

		if (!err_line(errbuf, "unreadable: ", why, sizeof(why)))
			snprintf(why, sizeof(why), "unknown reason");
		snprintf(val, sizeof(val), "content cannot be judged: %.120s", why);
		sensitive(ct, val);
		goto out;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(val, sizeof(val), "the extractor failed (status %d)", WEXITSTATUS(status));
		sensitive(ct, val);
		goto out;
	}
	if (mng_mynumber_scan(text, len, &mr, NULL, 0) < 0) {
		sensitive(ct, "the text cannot be scanned");
		goto out;
	}
	ct->individual = mr.individual;
	ct->corporate = mr.corporate;
	if (mr.invalid_utf8)
		sensitive(ct, "the extracted text is not valid UTF-8");
	else if (mr.individual)
		sensitive(ct, "the document holds an individual number (My Number)");
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	if (in >= 0)
		(void)close(in);
	if (po[0] >= 0)
		(void)close(po[0]);
	if (po[1] >= 0)
		(void)close(po[1]);
	if (pe[0] >= 0)
		(void)close(pe[0]);
	if (pe[1] >= 0)
		(void)close(pe[1]);
}

/* The document: a regular file under the cap, its digest, then its content. */
static void check_content(int doc, struct content *ct)
{
	struct stat st;

	if (fstat(doc, &st) < 0 || !S_ISREG(st.st_mode)) {
		sensitive(ct, "the document is not a regular file");
		return;
	}
	ct->size = (uint64_t)st.st_size;
	if (st.st_size < 0 || (uint64_t)st.st_size > AGENT_PRINT_DOC_MAX) {
		sensitive(ct, "the document is larger than 256 MiB");
		return;
	}
	if (digest(doc, ct->size, ct->sha256) < 0) {
		ct->sha256[0] = '\0';
		sensitive(ct, "the document cannot be read");
		return;
	}
	examine(doc, ct);
}

/* Groups of user for group() conditions: names into g, pointers into ptr. */
static size_t user_groups(const char *user, char g[GROUPS_MAX][64], const char *ptr[GROUPS_MAX])
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t gids[GROUPS_MAX];
	int n = GROUPS_MAX, i;
	size_t k = 0;

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return 0;
	if (getgrouplist(user, res->pw_gid, gids, &n) < 0)
		n = GROUPS_MAX;
	for (i = 0; i < n && k < GROUPS_MAX; i++) {
		struct group gr, *gres = NULL;
		char gbuf[4096];

		if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &gres) != 0 || !gres)
			continue;
		snprintf(g[k], 64, "%s", gres->gr_name);
		ptr[k] = g[k];
		k++;
	}
	return k;
}

/*
 * An active print exemption of user for printer; consume takes one use
 * (persisted and audited exemption.use by the exemption store). 1 found
 * (id and ticket filled), 0 none; an error counts as none.
 */
static int exemption(struct agent *a, const char *user, const char *printer, bool consume,
		     char id[33], char ticket[129])
{
	struct agent_exempt_hit hit;

	memset(&hit, 0, sizeof(hit));
	if (agent_exempt_find(a, MNG_EXEMPT_SCOPE_PRINT, user, printer, consume, &hit) != 1)
		return 0;
	snprintf(id, 33, "%s", hit.id);
	snprintf(ticket, 129, "%s", hit.ticket);
	return 1;
}

static void say(struct agent_print_result *ret, const struct agent *a, const char *en,
		const char *ja)
{
	const char *hd = a->cfg.helpdesk_contact;

	if (hd[0]) {
		snprintf(ret->reason, sizeof(ret->reason), "%s Help desk: %s.", en, hd);
		snprintf(ret->reason_ja, sizeof(ret->reason_ja), "%s 問い合わせ先: %s", ja, hd);
	} else {
		snprintf(ret->reason, sizeof(ret->reason), "%s", en);
		snprintf(ret->reason_ja, sizeof(ret->reason_ja), "%s", ja);
	}
}

/* The audit record and journald entry of one job. */
static void report(struct agent *a, const struct agent_print_job *job, const struct content *ct,
		   const struct agent_print_result *res, const struct agent_peer *by,
		   bool title_withheld)
{
	char subject[160], object[512], detail[1024];
	struct mng_audit_rec rec = {0};
	enum agent_print_verdict v = res->verdict;
	char event[32];
	int r = -EBADF;

	snprintf(event, sizeof(event), "print.%s", agent_print_verdict_name(v));
	snprintf(subject, sizeof(subject), "%s (by uid %u pid %d)", job->user, (unsigned)by->uid,
		 (int)by->pid);
	snprintf(object, sizeof(object), "printer \"%s\" job %" PRIu32 " title \"%s\"",
		 job->printer, job->job,
		 title_withheld ? "(withheld: holds a number)" : job->title);
	snprintf(detail, sizeof(detail),
		 "sha256=%s bytes=%" PRIu64 " format=%s pages=%ld content=%s%s%s individual=%zu "
		 "corporate=%zu uri=\"%s\"; %s",
		 ct->sha256[0] ? ct->sha256 : "-", ct->size, ct->format[0] ? ct->format : "-",
		 ct->pages,
		 !res->checked	 ? "not-checked"
		 : ct->sensitive ? "sensitive"
				 : "clean",
		 ct->sensitive ? ": " : "", ct->sensitive ? ct->why : "", ct->individual,
		 ct->corporate, job->uri, res->reason);
	rec.event = event;
	rec.subject = subject;
	rec.object = object;
	rec.decision = agent_print_verdict_name(v);
	rec.rule = res->rule[0] ? res->rule : NULL;
	rec.exemption = res->exemption[0] ? res->exemption : NULL;
	rec.ticket = res->ticket[0] ? res->ticket : NULL;
	rec.detail = detail;
	if (a->audit)
		r = mng_audit_append(a->audit, &rec);
	if (r < 0) {
		a->audit_failed = true;
		EVENTS_JOURNAL_MESSAGE(LOG_CRIT, "audit.error", NULL,
				       "audit log append failed for %s: %s", event, strerror(-r));
	}
	EVENTS_JOURNAL_MESSAGE(v == AGENT_PRINT_ALLOW ? LOG_INFO : LOG_WARNING, event, msgids[v],
			       "%s: %s by %s -> %s: %s", event, object, subject,
			       agent_print_verdict_name(v), detail);
}

/* Does the title hold a number? Then it is withheld from the log (and counts as sensitive). */
static bool title_has_number(const char *title)
{
	struct mng_mn_result mr;

	if (mng_mynumber_scan(title, strlen(title), &mr, NULL, 0) < 0)
		return true;
	return mr.individual || mr.corporate || mr.invalid_utf8;
}

int agent_print_check(struct agent *a, const struct agent_print_job *job, int doc,
		      const struct agent_peer *by, struct agent_print_result *ret)
{
	char gnames[GROUPS_MAX][64];
	const char *gptr[GROUPS_MAX];
	struct mng_judge_ctx ctx = {0};
	struct mng_printer_verdict pv;
	struct content ct = {.pages = -1};
	bool printer_ok, title_num;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->verdict = AGENT_PRINT_HOLD;
	ret->pages = -1;
	if (!agent_print_peer_ok(by))
		return -EPERM;
	title_num = title_has_number(job->title);

	/* 1. the printer allow-list */
	ctx.now = time(NULL);
	ctx.user = job->user;
	ctx.n_groups = user_groups(job->user, gnames, gptr);
	ctx.groups = gptr;
	r = mng_ruleset_judge_printer(a->rules, job->printer, job->uri, &ctx, &pv);
	printer_ok = r == 0 && pv.target == MNG_TARGET_ALLOW;
	if (pv.file)
		snprintf(ret->rule, sizeof(ret->rule), "%s:%u", pv.file, pv.line);
	if (pv.ticket)
		snprintf(ret->ticket, sizeof(ret->ticket), "%s", pv.ticket);

	/*
	 * 2. the content: always digested; examined for an approved printer
	 * unless its rule says "content-check off" (a refused job is not
	 * parsed at all)
	 */
	if (printer_ok && (pv.content_check || title_num)) {
		check_content(doc, &ct);
		ret->checked = true;
		if (title_num)
			sensitive(&ct, "the job title holds a number");
	} else {
		struct stat st;

		if (fstat(doc, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size <= AGENT_PRINT_DOC_MAX) {
			ct.size = (uint64_t)st.st_size;
			if (digest(doc, ct.size, ct.sha256) < 0)
				ct.sha256[0] = '\0';
		}
	}
	ret->sensitive = ct.sensitive;
	ret->pages = ct.pages;
	snprintf(ret->sha256, sizeof(ret->sha256), "%s", ct.sha256);

	/* 3. the decision; an exemption covers its queue: the printer and the content */
	if (!printer_ok) {
		if (exemption(a, job->user, job->printer, true, ret->exemption, ret->ticket) == 1) {
			ret->verdict = AGENT_PRINT_ALLOW;
			say(ret, a, "Printed under a print exemption.",
			    "印刷の例外承認により印刷しました。");
		} else {
			ret->verdict = AGENT_PRINT_CANCEL;
			say(ret, a,
			    "mnguard: this printer is not approved for this terminal; the job was "
			    "cancelled.",
			    "mnguard: このプリンターはこの端末での使用が許可されていないため、"
			    "印刷を取り消しました。");
		}
	} else if (ct.sensitive) {
		if (exemption(a, job->user, job->printer, true, ret->exemption, ret->ticket) == 1) {
			ret->verdict = AGENT_PRINT_ALLOW;
			say(ret, a, "Printed under a print exemption.",
			    "印刷の例外承認により印刷しました。");
		} else if (ct.individual || title_num) {
			ret->verdict = AGENT_PRINT_HOLD;
			say(ret, a,
			    "mnguard: the document holds an individual number (My Number); the job "
			    "is held until a print exemption is entered, then release it.",
			    "mnguard: "
			    "個人番号（マイナンバー）を含む文書のため、印刷を保留しました。"
			    "印刷の例外承認を受けてから、保留を解除してください。");
		} else {
			ret->verdict = AGENT_PRINT_HOLD;
			say(ret, a,
			    "mnguard: the document's content cannot be checked (for example "
			    "scanned "
			    "images); the job is held until a print exemption is entered.",
			    "mnguard: 文書の内容を確認できないため（画像のみのページなど）、"
			    "印刷を保留しました。印刷の例外承認を受けてから、保留を解除してください"
			    "。");
		}
	} else {
		ret->verdict = AGENT_PRINT_ALLOW;
		say(ret, a, "Allowed.", "許可しました。");
	}
	report(a, job, &ct, ret, by, title_num);
	return 0;
}
