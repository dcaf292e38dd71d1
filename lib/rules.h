/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.h - the USB rule language: USBGuard's rule language plus mnguard's
 * extensions (mode, allow-interface, user()/group(), expires, ticket), and
 * the printer rules of the print gate ("printer allow|block ...", a line
 * USBGuard would reject, so the superset stays exact).
 * The language is described in mnguard.rules(5).
 *
 * A ruleset is parsed from text (mng_ruleset_parse) and then judges devices
 * (mng_ruleset_judge). The first rule whose attributes and conditions match
 * and whose target is allow, block or reject decides; when none does, the
 * device is blocked.
 *
 * MUST: a parse with any error appends nothing to the ruleset.
 * MUST: every verdict that is not the result of a matching allow rule is
 *       MNG_TARGET_BLOCK or MNG_TARGET_REJECT; any error while judging gives
 *       MNG_TARGET_BLOCK and a negative return.
 * MUST: no input can make the parser recurse without bound, allocate without
 *       bound or loop without bound (see the MNG_RULES_*_MAX caps).
 * MUST: a printer that no printer rule allows is refused: no printer rule
 *       at all means every printer is refused.
 * MUST: the clipboard policy is never allow unless a clipboard rule says
 *       allow: no matching clipboard rule means "block content mynumber".
 */
#ifndef MNG_RULES_H
#define MNG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "device.h"
#include "diag.h"
#include "mynumber.h"

#define MNG_RULES_LINE_MAX (64u * 1024) /* bytes per line, newline excluded */
#define MNG_RULES_MAX 100000		/* rules per ruleset */
#define MNG_RULES_VALUES_MAX 4096	/* values in one { ... } set */
#define MNG_RULES_STRING_MAX 4096	/* bytes of one string after unescaping */
#define MNG_RULES_CONDS_MAX 64		/* conditions after one "if" */
#define MNG_RULES_TICKET_MAX 128	/* bytes of a ticket label */
#define MNG_RULES_QUEUE_MAX 127		/* bytes of a printer queue name or pattern */
#define MNG_RULES_URI_MAX 1024		/* bytes of a printer device URI or pattern */

enum mng_target {
	MNG_TARGET_BLOCK = 0,
	MNG_TARGET_ALLOW,
	MNG_TARGET_REJECT,
	MNG_TARGET_MATCH,
	MNG_TARGET_DEVICE,
};

struct mng_ruleset; /* opaque, owns its rules */

/*
 * mng_ruleset_new - create an empty ruleset. *ret is set on success and must
 * be released with mng_ruleset_free(). Returns 0 or -ENOMEM.
 */
int mng_ruleset_new(struct mng_ruleset **ret);

/*
 * mng_ruleset_parse - parse a whole rules file held in buf (len bytes; any
 * bytes, NUL included, need not be NUL-terminated) and append its rules to
 * rs in file order. filename is used in diagnostics and copied. Every error
 * is added to diags (which may be NULL) as filename:line:col: message, and
 * parsing goes on with the next line so that all errors are reported.
 * Returns the number of rules appended, -EINVAL if there was any error (then
 * nothing is appended), -ENOMEM when memory ran out (nothing appended).
 */
int mng_ruleset_parse(struct mng_ruleset *rs, const char *buf, size_t len, const char *filename,
		      struct mng_diags *diags);

/* mng_ruleset_count - number of rules in rs (0 for NULL). */
size_t mng_ruleset_count(const struct mng_ruleset *rs);

/* mng_ruleset_free - free rs and everything it owns; accepts NULL and *rs == NULL. */
void mng_ruleset_free(struct mng_ruleset **rs);

/*
 * mng_ruleset_format - write rule i of rs in normalised form (USBGuard's
 * form, extensions after it) to buf as a NUL-terminated string. Returns the
 * length written, -ENOBUFS if it did not fit in size bytes (buf then holds a
 * truncated, still NUL-terminated prefix when size > 0), -EINVAL for a bad
 * argument or index. Parsing the output gives back the same rule.
 */
int mng_ruleset_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size);

/*
 * mng_ruleset_location - the file (borrowed from rs, valid until rs is freed)
 * and line that rule i came from. Returns 0 or -EINVAL.
 */
int mng_ruleset_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
			 unsigned *ret_line);

struct mng_judge_ctx {
	time_t now;		   /* for localtime(), expires, rule-applied(...) */
	const char *user;	   /* logged-in user at the seat, or NULL */
	const char *const *groups; /* that user's groups */
	size_t n_groups;
	const struct mng_device *const *allowed; /* devices currently allowed (allowed-matches) */
	size_t n_allowed;
};

struct mng_verdict {
	enum mng_target target; /* only BLOCK, ALLOW or REJECT */
	const char *file;   /* deciding rule's file (borrowed from rs), NULL = no rule matched */
	unsigned line;	    /* its line */
	bool read_only;	    /* mode ro */
	const char *ticket; /* borrowed, or NULL */
	const char *label;  /* borrowed (first label value), or NULL */
	size_t n_ifaces;    /* == dev->n_ifaces */
	bool iface_allowed[MNG_DEV_IFACE_MAX]; /* per dev->ifaces[i]; all false unless target ALLOW
						*/
};

/*
 * mng_ruleset_judge - judge dev against rs and fill *ret.
 *
 * Rules are tried in order. A rule matches when it has not expired, all its
 * attributes match the device and its conditions hold. The first matching
 * rule whose target is allow, block or reject decides. Rules with target
 * match or device never decide and are passed over (see mnguard.rules(5)).
 * No deciding rule means block (ret->file == NULL). A device whose
 * descriptors could not be read (dev->descriptors_ok false) is never
 * allowed: an allow verdict for it becomes block.
 *
 * Only the rules that could match dev are looked at (an index built by
 * mng_ruleset_parse() names them), so the time taken depends on how many
 * rules name dev's values, not on the size of rs; the outcome is exactly
 * that of trying every rule in order.
 *
 * Updates the per-rule state that rule-applied and rule-evaluated read, so
 * rs is not const; calls on one ruleset must not run concurrently.
 * Allocates nothing. Returns 0, or a negative errno on error (bad argument,
 * no randomness for random()); *ret is then a BLOCK verdict (when ret is not
 * NULL).
 */
int mng_ruleset_judge(struct mng_ruleset *rs, const struct mng_device *dev,
		      const struct mng_judge_ctx *ctx, struct mng_verdict *ret);

/* ---- printers (the print gate) ---- */

/* mng_ruleset_printer_count - number of printer rules in rs (0 for NULL). */
size_t mng_ruleset_printer_count(const struct mng_ruleset *rs);

/*
 * mng_ruleset_printer_format - printer rule i of rs in normalised form
 * ("printer allow \"q\" uri \"...\" content-check off if ... expires ...
 * ticket ...") into buf, as mng_ruleset_format. Returns the length, -ENOBUFS
 * or -EINVAL.
 */
int mng_ruleset_printer_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size);

/* mng_ruleset_printer_location - file (borrowed) and line of printer rule i; 0 or -EINVAL. */
int mng_ruleset_printer_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
				 unsigned *ret_line);

struct mng_printer_verdict {
	enum mng_target target; /* only BLOCK or ALLOW */
	bool content_check;	/* ALLOW: the document's content must be checked */
	const char *file;	/* deciding rule's file (borrowed), NULL = no rule matched */
	unsigned line;
	const char *ticket; /* borrowed, or NULL */
};

/*
 * mng_ruleset_judge_printer - may a job go to the CUPS queue named queue,
 * whose device URI is uri (userinfo already removed; may be NULL or "":
 * then a rule that names a uri does not match)? ctx->user and ctx->groups
 * are the job's user and that user's groups (user()/group() conditions);
 * ctx->now is used for localtime() and expires. Printer rules are tried in
 * order; the first that has not expired, whose queue pattern and uri
 * pattern (shell globs, fnmatch(3) without flags) match and whose
 * conditions hold decides. No matching rule means BLOCK (ret->file NULL).
 * An allow rule checks content unless it says "content-check off".
 * Allocates nothing and changes nothing. Returns 0, or -EINVAL (bad
 * argument or a condition that cannot be evaluated) with a BLOCK verdict.
 */
int mng_ruleset_judge_printer(const struct mng_ruleset *rs, const char *queue, const char *uri,
			      const struct mng_judge_ctx *ctx, struct mng_printer_verdict *ret);

/* ---- the clipboard (mnguard-session) ---- */

/* A clipboard policy. The zero value blocks every transfer. */
enum mng_clip_action {
	MNG_CLIP_BLOCK = 0, /* "clipboard block": no transfer between applications */
	MNG_CLIP_REDACT,    /* "clipboard block content mynumber" (also the default) */
	MNG_CLIP_ALLOW,	    /* "clipboard allow" */
};

/* mng_ruleset_clipboard_count - number of clipboard rules in rs (0 for NULL). */
size_t mng_ruleset_clipboard_count(const struct mng_ruleset *rs);

/* mng_ruleset_clipboard_location - file (borrowed) and line of clipboard rule i; 0 or -EINVAL. */
int mng_ruleset_clipboard_location(const struct mng_ruleset *rs, size_t i, const char **ret_file,
				   unsigned *ret_line);

/*
 * mng_ruleset_clipboard_format - clipboard rule i of rs in normalised form
 * ("clipboard block content mynumber if ... expires ... ticket ...") into
 * buf, as mng_ruleset_format. Returns the length, -ENOBUFS or -EINVAL.
 */
int mng_ruleset_clipboard_format(const struct mng_ruleset *rs, size_t i, char *buf, size_t size);

struct mng_clip_verdict {
	enum mng_clip_action action;
	const char *file; /* deciding rule's file (borrowed), NULL = no rule matched (default) */
	unsigned line;
	const char *ticket; /* borrowed, or NULL */
};

/*
 * mng_ruleset_judge_clipboard - the clipboard policy for the desktop user
 * ctx->user (with ctx->groups; ctx->now for localtime() and expires).
 * Clipboard rules are tried in order; the first that has not expired and
 * whose conditions hold decides. None: MNG_CLIP_REDACT with file NULL.
 * Allocates nothing and changes nothing. Returns 0, or -EINVAL (bad
 * argument, or a condition that cannot be evaluated) with MNG_CLIP_BLOCK.
 */
int mng_ruleset_judge_clipboard(const struct mng_ruleset *rs, const struct mng_judge_ctx *ctx,
				struct mng_clip_verdict *ret);

/* mng_clip_action_name - "block", "block-content-mynumber" or "allow" (the wire names). */
const char *mng_clip_action_name(enum mng_clip_action a);

/* mng_clip_action_parse - the reverse of mng_clip_action_name; 0 or -EINVAL (*ret untouched). */
int mng_clip_action_parse(const char *s, enum mng_clip_action *ret);

/* What the clipboard guard learnt about one selection's content. */
struct mng_clip_content {
	bool text;	    /* the owner offered text (UTF8_STRING, STRING or TEXT) */
	bool complete;	    /* all of it was read, within the size cap and the timeout */
	bool scan_failed;   /* mng_mynumber_scan returned an error */
	struct mng_mn_result scan; /* its result, when text && complete && !scan_failed */
};

/* The guard's decision about one selection. The zero value serves the notice. */
enum mng_clip_outcome {
	MNG_CLIP_DENY = 0, /* policy block: take the selection, serve the notice */
	MNG_CLIP_REDACTED, /* sensitive or unreadable text: take it, serve the notice */
	MNG_CLIP_PASS,	   /* leave the selection with its owner */
};

/*
 * mng_clip_decide - the guard's decision for content ct under action,
 * exempt telling whether a clipboard exemption of the user is in force.
 * allow or an exemption: PASS. block: DENY. block content mynumber:
 * REDACTED when the text holds an individual number (12 digits, right
 * check digit), is not valid UTF-8, or could not be read whole or
 * scanned; PASS for clean text, for corporate numbers (published, not
 * personal data) and for content offered in no text form. ct NULL: DENY.
 */
enum mng_clip_outcome mng_clip_decide(enum mng_clip_action action, bool exempt,
				      const struct mng_clip_content *ct);

#endif
