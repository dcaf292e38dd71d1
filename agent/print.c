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
 * MUST: the event loop never waits for an extractor: each one is a child
 *       whose pipes, pidfd and timer are watched by the loop; at most
 *       AGENT_PRINT_RUNNING_MAX run at once, AGENT_PRINT_QUEUED_MAX more
 *       wait their turn, and a job beyond that is held (fail closed).
 * MUST: the extractor's path comes from mnguard.conf (print_extractor, a
 *       trusted file) or the build, never from the environment; the
 *       program is opened without following a symlink, must be a regular,
 *       root-owned file that is not group/other-writable, and that very
 *       open file is what runs (fexecve).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sys/epoll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "events.h"
#include "loop.h"
#include "exempt.h"
#include "mynumber.h"
#include "print.h"
#include "sha256.h"

#ifndef MNG_EXTRACT_PATH
#define MNG_EXTRACT_PATH "/usr/local/libexec/mnguard/mnguard-extract"
#endif
#define ERR_MAX 4096 /* bytes of the helper's stderr kept */
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
	bool busy; /* not examined: the gate had no room */
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
/* One job on its way through the gate. */
struct agent_print_req {
	struct agent *a;
	struct agent_print_req *next; /* in the waiting queue */
	char *printer, *user, *title, *uri;
	struct agent_print_job job; /* points at the copies above */
	struct agent_peer by;
	int doc; /* our own descriptor of the document */
	bool printer_ok, title_num;
	struct content ct;
	struct agent_print_result res;
	agent_print_done_fn done; /* NULL once detached */
	void *data;
	/* the extractor, while it runs */
	pid_t pid;
	int exe, out, err, pidfd, tfd;
	char *text;
	size_t len, cap, elen;
	char errbuf[ERR_MAX];
	bool over, timed_out, exited, running;
	int status;
};

/* The gate's load: shared by every job of this (single) agent process. */
static struct {
	size_t running, queued;
	struct agent_print_req *head, *tail; /* waiting, oldest first */
	struct agent_print_req *active;	     /* running (linked by next) */
} gate;

static void finish(struct agent_print_req *r);
static void start_next(void);

/*
 * The extractor's program, opened once per job: regular, root-owned, not
 * group/other-writable, executable. Returns the descriptor or -errno.
 */
static int extractor_open(const struct agent *a, char *why, size_t size)
{
	const char *path = a->cfg.print_extractor[0] ? a->cfg.print_extractor : MNG_EXTRACT_PATH;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(why, size, "the extractor cannot be opened (%s)", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || !(st.st_mode & S_IXOTH)) {
		snprintf(why, size, "the extractor is not a root-owned, write-protected program");
		(void)close(fd);
		return -EPERM;
	}
	return fd;
}

/*
 * In the child: limits, the unprivileged identity uid/gid, the helper (exe).
 * Nothing here allocates (the identity was looked up before the fork).
 * Never returns.
 */
static void child(int in, int out, int err, int exe, uid_t uid, gid_t gid)
{
	static char *const envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL};
	char *const argv[] = {"mnguard-extract", NULL};
	struct rlimit cpu = {AGENT_PRINT_CPU_S, AGENT_PRINT_CPU_S + 1};
	struct rlimit as = {AGENT_PRINT_AS_MAX, AGENT_PRINT_AS_MAX};
	struct rlimit zero = {0, 0}, files = {16, 16};
	sigset_t none;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	/* the program stays open as descriptor 3 (without close-on-exec) for fexecve */
	if (exe == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(exe, 3) < 0)
		_exit(126);
	(void)syscall(SYS_close_range, 4u, ~0u, 0u);
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_AS, &as) < 0 ||
	    setrlimit(RLIMIT_FSIZE, &zero) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0 ||
	    setrlimit(RLIMIT_NOFILE, &files) < 0)
		_exit(126);
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
			       setresuid(uid, uid, uid) < 0))
		_exit(126);
	/* set after the identity change, which clears it: the helper dies with the agent */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1)
		_exit(126);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(126);
	fexecve(3, argv, envp);
	_exit(127);
}

static void close_fd(struct agent_print_req *r, int *fd)
{
	if (*fd < 0)
		return;
	if (r->a->loop)
		loop_del(r->a->loop, *fd);
	(void)close(*fd);
	*fd = -1;
}

static void kill_child(struct agent_print_req *r)
{
	if (r->pid > 0 && !r->exited)
		(void)kill(r->pid, SIGKILL);
}

/* Stop reading the helper's output (too much, or out of time); wait for its exit only. */
static void stop_reading(struct agent_print_req *r)
{
	close_fd(r, &r->out);
	close_fd(r, &r->err);
}
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

/* The helper is done (exited, output read or abandoned): judge what it said. */
static void conclude(struct agent_print_req *r)
{
	struct content *ct = &r->ct;
	char val[160];
	struct mng_mn_result mr;
	int status = r->status;

	r->errbuf[r->elen] = '\0';
	if (r->timed_out) {
		sensitive(ct, "the extractor timed out");
		return;
	}
	if (r->over) {
		sensitive(ct, "more text than the gate reads");
		return;
	}
	if (err_line(r->errbuf, "format ", val, sizeof(val)))
		snprintf(ct->format, sizeof(ct->format), "%.31s", val);
	if (err_line(r->errbuf, "pages ", val, sizeof(val))) {
		char *e;
		long n = strtol(val, &e, 10);

		if (e != val && n >= 0)
			ct->pages = n;
	}
	if (WIFSIGNALED(status)) {
		snprintf(val, sizeof(val), "the extractor was killed by signal %d",
			 WTERMSIG(status));
		sensitive(ct, val);
		return;
	}
	if (!WIFEXITED(status)) {
		sensitive(ct, "the extractor's end is unknown");
		return;
	}
	if (WEXITSTATUS(status) == 3) {
		char why[140];

		if (!err_line(r->errbuf, "unreadable: ", why, sizeof(why)))
			snprintf(why, sizeof(why), "unknown reason");
		snprintf(val, sizeof(val), "content cannot be judged: %.120s", why);
		sensitive(ct, val);
		return;
	}
	if (WEXITSTATUS(status) != 0) {
		/* its stderr is not quoted: it might echo the document */
		snprintf(val, sizeof(val), "the extractor failed (status %d)", WEXITSTATUS(status));
		sensitive(ct, val);
		return;
	}
	if (!r->text || mng_mynumber_scan(r->text, r->len, &mr, NULL, 0) < 0) {
		sensitive(ct, "the text cannot be scanned");
		return;
	}
	ct->individual = mr.individual;
	ct->corporate = mr.corporate;
	if (mr.invalid_utf8)
		sensitive(ct, "the extracted text is not valid UTF-8");
	else if (mr.individual)
		sensitive(ct, "the document holds an individual number (My Number)");
}

/* Release what the extractor held; the job leaves the running set. */
static void extractor_done(struct agent_print_req *r)
{
	stop_reading(r);
	close_fd(r, &r->pidfd);
	close_fd(r, &r->tfd);
	if (r->exe >= 0)
		(void)close(r->exe);
	r->exe = -1;
	if (r->text) {
		explicit_bzero(r->text, r->len);
		free(r->text);
		r->text = NULL;
	}
	if (r->running) {
		struct agent_print_req **pp;

		for (pp = &gate.active; *pp; pp = &(*pp)->next)
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		r->next = NULL;
		r->running = false;
		gate.running--;
	}
}

/* Everything about the helper is known once its output is closed and it has been reaped. */
static void maybe_finish(struct agent_print_req *r)
{
	if (r->out >= 0 || r->err >= 0 || !r->exited)
		return;
	conclude(r);
	extractor_done(r);
	finish(r);
	start_next();
}

static void read_out(struct agent_print_req *r)
{
	ssize_t n;

	if (r->len == r->cap) {
		char *nt;

		if (r->cap >= AGENT_PRINT_TEXT_MAX) {
			r->over = true;
			kill_child(r);
			stop_reading(r);
			return;
		}
		nt = realloc(r->text, r->cap * 2 + 1);
		if (!nt) {
			r->over = true; /* cannot be read whole: sensitive */
			kill_child(r);
			stop_reading(r);
			return;
		}
		r->text = nt;
		r->cap *= 2;
	}
	n = read(r->out, r->text + r->len, r->cap - r->len);
	if (n > 0) {
		r->len += (size_t)n;
		r->text[r->len] = '\0';
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close_fd(r, &r->out);
	}
}

static void read_err(struct agent_print_req *r)
{
	char sink[4096];
	ssize_t n = read(r->err, sink, sizeof(sink));

	if (n > 0) {
		size_t room = sizeof(r->errbuf) - 1 - r->elen,
		       k = (size_t)n < room ? (size_t)n : room;

		memcpy(r->errbuf + r->elen, sink, k);
		r->elen += k;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close_fd(r, &r->err);
	}
}

/* The loop's callback for every descriptor of a running extractor. */
static void on_extractor(void *data, int fd, uint32_t revents)
{
	struct agent_print_req *r = data;

	(void)revents;
	if (fd == r->out) {
		read_out(r);
	} else if (fd == r->err) {
		read_err(r);
	} else if (fd == r->pidfd) {
		int st = 0;
		pid_t p = waitpid(r->pid, &st, WNOHANG);

		if (p == r->pid || (p < 0 && errno == ECHILD)) {
			r->status = p == r->pid ? st : -1;
			r->exited = true;
			close_fd(r, &r->pidfd);
		}
	} else if (fd == r->tfd) {
		r->timed_out = true;
		kill_child(r);
		stop_reading(r);
		close_fd(r, &r->tfd);
	}
	maybe_finish(r);
}

/*
 * Start the extractor over r's document. 0 when it runs (the loop takes
 * it from here), or -errno with the content marked sensitive and nothing
 * left running.
 */
static int extractor_start(struct agent_print_req *r)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = AGENT_PRINT_TIMEOUT_MS / 1000,
			 .tv_nsec = (AGENT_PRINT_TIMEOUT_MS % 1000) * 1000000L}};
	struct loop *l = r->a->loop;
	char procpath[64], why[160];
	int in = -1, po[2] = {-1, -1}, pe[2] = {-1, -1}, ret = -EIO;
	uid_t nobody_uid = 65534;
	gid_t nobody_gid = 65534;

	if (!l) {
		sensitive(&r->ct, "the print gate has no event loop");
		return -EINVAL;
	}
	r->exe = extractor_open(r->a, why, sizeof(why));
	if (r->exe < 0) {
		sensitive(&r->ct, why);
		return r->exe;
	}
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", r->doc);
	in = open(procpath, O_RDONLY | O_CLOEXEC);
	r->cap = 1u << 16;
	r->text = malloc(r->cap + 1);
	if (in < 0 || !r->text) {
		sensitive(&r->ct, "the document cannot be reopened for reading");
		goto fail;
	}
	r->text[0] = '\0';
	if (pipe2(po, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(pe, O_CLOEXEC | O_NONBLOCK) < 0) {
		sensitive(&r->ct, "no pipe for the extractor");
		goto fail;
	}
	/* the child's ends block as usual */
	if (fcntl(po[1], F_SETFL, 0) < 0 || fcntl(pe[1], F_SETFL, 0) < 0) {
		sensitive(&r->ct, "no pipe for the extractor");
		goto fail;
	}
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->tfd < 0 || timerfd_settime(r->tfd, 0, &its, NULL) < 0) {
		sensitive(&r->ct, "no timer for the extractor");
		goto fail;
	}
	{
		struct passwd pw, *res = NULL;
		char pwbuf[1024];

		if (getpwnam_r("nobody", &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res) {
			nobody_uid = res->pw_uid;
			nobody_gid = res->pw_gid;
		}
	}
	r->pid = fork();
	if (r->pid < 0) {
		sensitive(&r->ct, "the extractor cannot be started");
		goto fail;
	}
	if (r->pid == 0)
		child(in, po[1], pe[1], r->exe, nobody_uid, nobody_gid);
	r->running = true;
	gate.running++;
	r->next = gate.active;
	gate.active = r;
	(void)close(in);
	(void)close(po[1]);
	(void)close(pe[1]);
	in = po[1] = pe[1] = -1;
	r->out = po[0];
	r->err = pe[0];
	po[0] = pe[0] = -1;
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	if (r->pidfd < 0 || loop_add(l, r->pidfd, EPOLLIN, on_extractor, r) < 0 ||
	    loop_add(l, r->out, EPOLLIN, on_extractor, r) < 0 ||
	    loop_add(l, r->err, EPOLLIN, on_extractor, r) < 0 ||
	    loop_add(l, r->tfd, EPOLLIN, on_extractor, r) < 0) {
		int st;

		sensitive(&r->ct, "the extractor cannot be watched");
		/* killed, so this wait is short */
		(void)kill(r->pid, SIGKILL);
		while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
			;
		r->exited = true;
		extractor_done(r);
		return -EIO;
	}
	return 0;
fail:
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
	extractor_done(r);
	return ret;
}

/* The document: a regular file under the cap and its digest. false: sensitive, do not extract. */
static bool document_ok(int doc, struct content *ct)
{
	struct stat st;

	if (fstat(doc, &st) < 0 || !S_ISREG(st.st_mode)) {
		sensitive(ct, "the document is not a regular file");
		return false;
	}
	ct->size = (uint64_t)st.st_size;
	if (st.st_size < 0 || (uint64_t)st.st_size > AGENT_PRINT_DOC_MAX) {
		sensitive(ct, "the document is larger than 256 MiB");
		return false;
	}
	if (digest(doc, ct->size, ct->sha256) < 0) {
		ct->sha256[0] = '\0';
		sensitive(ct, "the document cannot be read");
		return false;
	}
	return true;
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

/* 3. the decision, the audit record, the answer; r is freed. */
static void finish(struct agent_print_req *r)
{
	struct agent_print_result *ret = &r->res;
	struct agent *a = r->a;
	const struct agent_print_job *job = &r->job;

	ret->sensitive = r->ct.sensitive;
	ret->pages = r->ct.pages;
	snprintf(ret->sha256, sizeof(ret->sha256), "%s", r->ct.sha256);
	/* an exemption covers its queue: the printer and the content */
	if (!r->printer_ok) {
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
	} else if (r->ct.sensitive) {
		if (exemption(a, job->user, job->printer, true, ret->exemption, ret->ticket) == 1) {
			ret->verdict = AGENT_PRINT_ALLOW;
			say(ret, a, "Printed under a print exemption.",
			    "印刷の例外承認により印刷しました。");
		} else if (r->ct.individual || r->title_num) {
			ret->verdict = AGENT_PRINT_HOLD;
			say(ret, a,
			    "mnguard: the document holds an individual number (My Number); the job "
			    "is held until a print exemption is entered, then release it.",
			    "mnguard: "
			    "個人番号（マイナンバー）を含む文書のため、印刷を保留しました。"
			    "印刷の例外承認を受けてから、保留を解除してください。");
		} else if (r->ct.busy) {
			ret->verdict = AGENT_PRINT_HOLD;
			say(ret, a,
			    "mnguard: the print gate is busy checking other jobs; the job is held, "
			    "release it again in a moment.",
			    "mnguard: 他の印刷の確認中で混み合っているため、印刷を保留しました。"
			    "しばらくしてから保留を解除してください。");
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
	report(a, job, &r->ct, ret, &r->by, r->title_num);
	if (r->done)
		r->done(r->data, job, ret);
	if (r->doc >= 0)
		(void)close(r->doc);
	free(r->printer);
	free(r->user);
	free(r->title);
	free(r->uri);
	free(r);
}

/* Start waiting jobs while there is room. */
static void start_next(void)
{
	while (gate.head && gate.running < AGENT_PRINT_RUNNING_MAX) {
		struct agent_print_req *r = gate.head;

		gate.head = r->next;
		if (!gate.head)
			gate.tail = NULL;
		gate.queued--;
		r->next = NULL;
		if (extractor_start(r) < 0)
			finish(r);
	}
}

void agent_print_load(size_t *ret_running, size_t *ret_queued)
{
	*ret_running = gate.running;
	*ret_queued = gate.queued;
}

int agent_print_submit(struct agent *a, const struct agent_print_job *job, int doc,
		       const struct agent_peer *by, agent_print_done_fn done, void *data,
		       struct agent_print_req **ret)
{
	char gnames[GROUPS_MAX][64];
	const char *gptr[GROUPS_MAX];
	struct mng_judge_ctx ctx = {0};
	struct mng_printer_verdict pv;
	struct agent_print_req *r;
	int k;

	*ret = NULL;
	if (!agent_print_peer_ok(by))
		return -EPERM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->a = a;
	r->done = done;
	r->data = data;
	r->by = *by;
	r->exe = r->out = r->err = r->pidfd = r->tfd = -1;
	r->ct.pages = -1;
	r->res.verdict = AGENT_PRINT_HOLD;
	r->res.pages = -1;
	r->printer = strdup(job->printer ? job->printer : "");
	r->user = strdup(job->user ? job->user : "");
	r->title = strdup(job->title ? job->title : "");
	r->uri = strdup(job->uri ? job->uri : "");
	r->doc = doc >= 0 ? fcntl(doc, F_DUPFD_CLOEXEC, 3) : -1;
	if (!r->printer || !r->user || !r->title || !r->uri || r->doc < 0) {
		k = r->doc < 0 && doc >= 0 ? -errno : -ENOMEM;
		if (doc < 0)
			k = -EBADF;
		if (r->doc >= 0)
			(void)close(r->doc);
		free(r->printer);
		free(r->user);
		free(r->title);
		free(r->uri);
		free(r);
		return k;
	}
	r->job = (struct agent_print_job){.printer = r->printer,
					  .user = r->user,
					  .title = r->title,
					  .uri = r->uri,
					  .job = job->job};
	r->title_num = title_has_number(r->title);

	/* 1. the printer allow-list */
	ctx.now = time(NULL);
	ctx.user = r->user;
	ctx.n_groups = user_groups(r->user, gnames, gptr);
	ctx.groups = gptr;
	memset(&pv, 0, sizeof(pv));
	k = mng_ruleset_judge_printer(a->rules, r->printer, r->uri, &ctx, &pv);
	r->printer_ok = k == 0 && pv.target == MNG_TARGET_ALLOW;
	if (pv.file)
		snprintf(r->res.rule, sizeof(r->res.rule), "%s:%u", pv.file, pv.line);
	if (pv.ticket)
		snprintf(r->res.ticket, sizeof(r->res.ticket), "%s", pv.ticket);

	/*
	 * 2. the content: always digested; examined for an approved printer
	 * unless its rule says "content-check off" (a refused job is not
	 * parsed at all). The extractor runs when there is room, waits when
	 * there is a place in the queue, and the job is held otherwise.
	 */
	if (!r->printer_ok || !(pv.content_check || r->title_num)) {
		struct stat st;

		if (fstat(r->doc, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size <= AGENT_PRINT_DOC_MAX) {
			r->ct.size = (uint64_t)st.st_size;
			if (digest(r->doc, r->ct.size, r->ct.sha256) < 0)
				r->ct.sha256[0] = '\0';
		}
		finish(r);
		return 0;
	}
	r->res.checked = true;
	if (r->title_num)
		sensitive(&r->ct, "the job title holds a number");
	if (!document_ok(r->doc, &r->ct)) {
		finish(r);
		return 0;
	}
	if (gate.running < AGENT_PRINT_RUNNING_MAX && !gate.head) {
		if (extractor_start(r) < 0) {
			finish(r);
			return 0;
		}
	} else if (gate.queued < AGENT_PRINT_QUEUED_MAX) {
		if (gate.tail)
			gate.tail->next = r;
		else
			gate.head = r;
		gate.tail = r;
		gate.queued++;
	} else {
		r->ct.busy = true;
		sensitive(&r->ct, "the print gate is busy (too many jobs being checked)");
		finish(r);
		return 0;
	}
	*ret = r;
	return 0;
}

void agent_print_detach(struct agent_print_req *r)
{
	if (r) {
		r->done = NULL;
		r->data = NULL;
	}
}
