/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clipguard.h - mnguard-session's X11 clipboard guard: XFixes tells it
 * each new owner of CLIPBOARD and PRIMARY; under "block" it takes the
 * selection at once, under "block content mynumber" it reads the text
 * (UTF8_STRING, INCR, a size cap and a timeout), asks the detector, and
 * takes the selection when the text must not be pasted. While it owns a
 * selection it serves a notice in place of the content.
 *
 * MUST: text that could not be read whole, in time, or that is not valid
 *       UTF-8 is treated as holding a number (mng_clip_decide).
 * MUST: the content is read into memory only, never written anywhere, and
 *       wiped before it is freed; only counts leave this module.
 * MUST: a malicious X client can paste before the guard takes over (X11
 *       has no access control for selections): the guard is best effort,
 *       mnguard-session(1) says so.
 */
#ifndef MNG_SESSION_CLIPGUARD_H
#define MNG_SESSION_CLIPGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define CLIP_TEXT_MAX (16u << 20) /* bytes of selection text read and scanned */
#define CLIP_TIMEOUT_MS 2000	  /* to get the whole text from its owner */

struct clipguard;

/* What the guard did with one selection, for the report and the notification. */
struct clip_event {
	const char *selection; /* "CLIPBOARD" or "PRIMARY" */
	enum mng_clip_outcome outcome;
	struct mng_clip_content content;
	size_t bytes;	    /* text bytes read */
	uint32_t owner_pid; /* XRes client pid of the owner, 0 when unknown */
};

/* The policy the guard applies now (changed by clipguard_set_policy). */
struct clip_policy {
	enum mng_clip_action action;
	bool exempt;
};

typedef void (*clip_cb)(void *data, const struct clip_event *ev);

/*
 * clipguard_new - open display (NULL: $DISPLAY), check XFixes, create the
 * guard's window and watch both selections. notice_utf8 and notice_latin1
 * (borrowed, must outlive the guard) are served while the guard owns a
 * selection. cb is called for every selection the guard took. Returns 0 or
 * -errno (-ENOTSUP: no XFixes; -ECONNREFUSED: no display).
 */
int clipguard_new(const char *display, const char *notice_utf8, const char *notice_latin1,
		  clip_cb cb, void *data, struct clipguard **ret);
void clipguard_free(struct clipguard **g);

/* clipguard_fd - the X connection's descriptor, for poll. */
int clipguard_fd(const struct clipguard *g);

/* clipguard_set_policy - the policy for the next owners. */
void clipguard_set_policy(struct clipguard *g, const struct clip_policy *p);

/*
 * clipguard_dispatch - handle every pending X event and expire reads past
 * their deadline. Returns the milliseconds until the next deadline (-1:
 * none), or -EPIPE when the display connection is gone.
 */
int clipguard_dispatch(struct clipguard *g);

#endif
