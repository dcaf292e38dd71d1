/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * print.h - the print gate's decision in mnguardd (print-check requests
 * from the CUPS backend "mnguard"; mnguardd(8), PRINT GATE).
 *
 * For each job: the printer allow-list from the policy (printer rules), then
 * the print exemptions of the job's user for that queue, then the content
 * of the document (its text, extracted by the helper mnguard-extract in a
 * separate unprivileged process, scanned for individual numbers). Every job
 * gets one audit record (print.allow, print.hold or print.cancel) with the
 * document's SHA-256, size, format, page count and title, the user, the
 * printer, the verdict and the deciding rule or exemption and ticket; never
 * the content, and never a title that holds a number.
 *
 * The content check runs beside the agent's event loop, never in it: a job
 * is submitted, its extractor runs as a child whose pipes and exit the loop
 * watches, and the answer comes through a callback once it is known. Device
 * events and other requests are served meanwhile.
 */
#ifndef MNG_AGENT_PRINT_H
#define MNG_AGENT_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "ipc.h"

#define AGENT_PRINT_DOC_MAX (256u << 20)   /* bytes of a document the gate checks */
#define AGENT_PRINT_TEXT_MAX (64u << 20)   /* bytes of extracted text it reads */
#define AGENT_PRINT_TIMEOUT_MS 30000	   /* wall clock for one extraction */
#define AGENT_PRINT_CPU_S 20		   /* CPU seconds for one extraction */
#define AGENT_PRINT_AS_MAX (1536ull << 20) /* address space of the extractor */
#define AGENT_PRINT_RUNNING_MAX 4	   /* extractors running at once */
#define AGENT_PRINT_QUEUED_MAX 16	   /* jobs waiting for one; more are held */

/* The verdict. The zero value never prints: hold is the fail-closed answer. */
enum agent_print_verdict {
	AGENT_PRINT_HOLD =
	    0,		   /* needs an exemption (or could not be decided); re-checked on release */
	AGENT_PRINT_ALLOW, /* print it */
	AGENT_PRINT_CANCEL, /* the printer is not approved: the job is cancelled */
};

/* What the backend says about the job (all NUL-terminated, checked by the IPC parser). */
struct agent_print_job {
	const char *printer; /* CUPS queue name */
	const char *user;    /* the job's user */
	const char *title;   /* may be "" */
	const char *uri;     /* device URI without userinfo, may be "" */
	uint32_t job;	     /* CUPS job id */
};

struct agent_print_result {
	enum agent_print_verdict verdict;
	char reason[512];    /* for the user, English */
	char reason_ja[512]; /* for the user, Japanese */
	char rule[320];	     /* "file:line" of the deciding printer rule, "" when none */
	char exemption[33];  /* exemption id, "" when none */
	char ticket[129];    /* the rule's or the exemption's ticket, "" when none */
	char sha256[65];     /* the document's SHA-256, hex ("" when it could not be read) */
	long pages;	     /* pages the extractor counted, -1 when unknown */
	bool sensitive;	     /* the content holds an individual number or cannot be judged */
	bool checked;	     /* the content was examined */
};

/* Is the peer allowed to ask (root or the lp user)? */
bool agent_print_peer_ok(const struct agent_peer *by);

struct agent_print_req;

/*
 * The answer: job and res are valid during the call only. Runs exactly once
 * per submitted job unless agent_print_detach came first.
 */
typedef void (*agent_print_done_fn)(void *data, const struct agent_print_job *job,
				    const struct agent_print_result *res);

/*
 * agent_print_submit - decide about job, whose document is the open
 * descriptor doc (a regular file; the gate keeps its own duplicate and
 * reads it with pread and through a fresh open of /proc/self/fd, so the
 * caller may close doc at once and its offset is left alone). by is the
 * caller (root or lp only). The job's strings are copied.
 *
 * When no extractor is needed (printer refused, "content-check off", the
 * document unusable, the gate overloaded) the decision is made, audited and
 * handed to done(data, ...) before this returns, and *ret is NULL.
 * Otherwise the extractor is started (or queued) on a->loop, *ret names
 * the pending job, and done runs from the loop when it is decided; the
 * audit record and journald entry are written just before.
 *
 * Returns 0 (done has run or will run; every error on the way is a hold),
 * -EPERM for a caller that is neither root nor lp, or -ENOMEM/-EBADF
 * (nothing decided, done never runs).
 */
int agent_print_submit(struct agent *a, const struct agent_print_job *job, int doc,
		       const struct agent_peer *by, agent_print_done_fn done, void *data,
		       struct agent_print_req **ret);

/*
 * agent_print_detach - the asker is gone (its connection closed): the job
 * is still checked and audited, but done is not called. NULL is allowed.
 */
void agent_print_detach(struct agent_print_req *req);

/* agent_print_load - extractors running now and jobs waiting for one. */
void agent_print_load(size_t *ret_running, size_t *ret_queued);

/* agent_print_verdict_name - "allow", "hold" or "cancel". */
const char *agent_print_verdict_name(enum agent_print_verdict v);

#endif
