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

/*
 * agent_print_check - decide about job, whose document is the open
 * descriptor doc (a regular file; read with pread and through a fresh
 * open of /proc/self/fd, so its offset is left alone). by is the caller
 * (root or lp only). Fills *ret, appends the job's audit record and sends
 * its journald entry. Returns 0 (the verdict is in ret, hold when anything
 * went wrong), or -EPERM for a caller that is neither root nor lp (nothing
 * is decided, nothing audited but the refusal).
 */
int agent_print_check(struct agent *a, const struct agent_print_job *job, int doc,
		      const struct agent_peer *by, struct agent_print_result *ret);

/* agent_print_verdict_name - "allow", "hold" or "cancel". */
const char *agent_print_verdict_name(enum agent_print_verdict v);

#endif
