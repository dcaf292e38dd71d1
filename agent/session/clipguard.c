// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * clipguard.c - the X11 clipboard guard of mnguard-session (see
 * clipguard.h for the contract and its MUST lines).
 *
 * For each of CLIPBOARD and PRIMARY: XFixes reports a new owner; the guard
 * asks that owner for UTF8_STRING into a property of its own window (INCR
 * transfers are followed chunk by chunk), bounded by CLIP_TEXT_MAX bytes
 * and CLIP_TIMEOUT_MS. An owner that refuses UTF8_STRING is asked for
 * TARGETS: one that offers text but would not give it is treated as
 * unreadable, one that offers no text at all (an image) holds nothing the
 * detector could read. Taking a selection is XSetSelectionOwner on the
 * guard's window; from then on every paste gets the notice.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/XRes.h>
#include <X11/extensions/Xfixes.h>

#include "clipguard.h"

enum want { W_NONE = 0, W_TEXT, W_TARGETS };

struct sel {
	Atom atom, prop;
	const char *name;
	bool owned;	  /* the guard owns it now */
	enum want want;	  /* what is being read from the owner */
	bool incr;	  /* an INCR transfer is under way */
	Window owner;	  /* the owner being read */
	int64_t deadline; /* CLOCK_MONOTONIC ms */
	uint32_t owner_pid;
	unsigned char *buf;
	size_t len;
	bool overflow;
};

struct clipguard {
	Display *dpy;
	Window win;
	int fixes_event;
	bool have_xres;
	Atom utf8, targets, incr, text, timestamp, atom_pair;
	struct sel sel[2];
	struct clip_policy policy;
	const char *notice_utf8, *notice_latin1;
	clip_cb cb;
	void *data;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop_buf(struct sel *s)
{
	if (s->buf) {
		explicit_bzero(s->buf, s->len);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
	s->overflow = false;
	s->incr = false;
	s->want = W_NONE;
}

/* The pid of the client that made window w (XRes), 0 when unknown. */
static uint32_t owner_pid(struct clipguard *g, Window w)
{
	XResClientIdSpec spec = {.client = w, .mask = XRES_CLIENT_ID_PID_MASK};
	XResClientIdValue *ids = NULL;
	long n = 0, i;
	uint32_t pid = 0;

	if (!g->have_xres || XResQueryClientIds(g->dpy, 1, &spec, &n, &ids) != Success)
		return 0;
	for (i = 0; i < n; i++) {
		pid_t p = XResGetClientPid(&ids[i]);

		if (p > 0) {
			pid = (uint32_t)p;
			break;
		}
	}
	XResClientIdsDestroy(n, ids);
	return pid;
}

static void take(struct clipguard *g, struct sel *s)
{
	XSetSelectionOwner(g->dpy, s->atom, g->win, CurrentTime);
	s->owned = XGetSelectionOwner(g->dpy, s->atom) == g->win;
	XFlush(g->dpy);
}

static void report(struct clipguard *g, struct sel *s, enum mng_clip_outcome o,
		   const struct mng_clip_content *ct)
{
	struct clip_event ev = {
	    .selection = s->name, .outcome = o, .bytes = s->len, .owner_pid = s->owner_pid};

	if (ct)
		ev.content = *ct;
	if (g->cb)
		g->cb(g->data, &ev);
}

/* The read of s ended (complete: every byte came, within the caps). */
static void finish(struct clipguard *g, struct sel *s, bool text, bool complete)
{
	struct mng_clip_content ct = {.text = text, .complete = complete && !s->overflow};
	enum mng_clip_outcome o;

	if (ct.text && ct.complete &&
	    mng_mynumber_scan((const char *)s->buf, s->len, &ct.scan, NULL, 0) < 0)
		ct.scan_failed = true;
	o = mng_clip_decide(g->policy.action, g->policy.exempt, &ct);
	if (o != MNG_CLIP_PASS) {
		take(g, s);
		report(g, s, o, &ct);
	}
	drop_buf(s);
}

static void append(struct sel *s, const unsigned char *p, size_t n)
{
	unsigned char *nb;

	if (s->overflow || n == 0)
		return;
	if (n > CLIP_TEXT_MAX - s->len) {
		s->overflow = true;
		return;
	}
	nb = malloc(s->len + n);
	if (!nb) {
		s->overflow = true;
		return;
	}
	if (s->buf) {
		memcpy(nb, s->buf, s->len);
		explicit_bzero(s->buf, s->len);
		free(s->buf);
	}
	memcpy(nb + s->len, p, n);
	s->buf = nb;
	s->len += n;
}

/* A new owner of s: decide at once (block), or start reading its text. */
static void on_owner(struct clipguard *g, struct sel *s, Window owner, Time when)
{
	drop_buf(s);
	if (owner == g->win) {
		s->owned = true;
		return;
	}
	s->owned = false;
	if (owner == None)
		return;
	s->owner = owner;
	s->owner_pid = owner_pid(g, owner);
	if (g->policy.action == MNG_CLIP_ALLOW || g->policy.exempt)
		return;
	if (g->policy.action != MNG_CLIP_REDACT) {
		take(g, s);
		report(g, s, MNG_CLIP_DENY, NULL);
		return;
	}
	s->want = W_TEXT;
	s->deadline = now_ms() + CLIP_TIMEOUT_MS;
	XDeleteProperty(g->dpy, g->win, s->prop);
	XConvertSelection(g->dpy, s->atom, g->utf8, s->prop, g->win, when);
	XFlush(g->dpy);
}

/* Read (and delete) the property of s; false when it cannot be read. */
static bool read_prop(struct clipguard *g, struct sel *s, Atom *ret_type, bool *ret_empty)
{
	unsigned char *data = NULL;
	unsigned long n = 0, after = 0;
	Atom type = None;
	int fmt = 0;
	size_t bytes;

	if (XGetWindowProperty(g->dpy, g->win, s->prop, 0, (long)(CLIP_TEXT_MAX / 4 + 1), True,
			       AnyPropertyType, &type, &fmt, &n, &after, &data) != Success)
		return false;
	*ret_type = type;
	bytes = fmt == 32 ? n * sizeof(long) : fmt == 16 ? n * 2 : n;
	*ret_empty = n == 0;
	if (type == g->incr) {
		/* the size hint is not content */
	} else if (s->want == W_TARGETS) {
		Atom *a = (Atom *)data;
		unsigned long i;
		bool text = false;

		for (i = 0; fmt == 32 && i < n; i++) {
			char *name = XGetAtomName(g->dpy, a[i]);

			if (a[i] == g->utf8 || a[i] == XA_STRING || a[i] == g->text ||
			    (name && !strncmp(name, "text/plain", 10)))
				text = true;
			if (name)
				XFree(name);
		}
		*ret_empty = !text;
	} else {
		append(s, data, bytes);
		if (after)
			s->overflow = true;
	}
	if (data) {
		explicit_bzero(data, bytes);
		XFree(data);
	}
	return true;
}

static void on_selection_notify(struct clipguard *g, struct sel *s, const XSelectionEvent *e)
{
	Atom type;
	bool empty;

	if (s->want == W_NONE)
		return;
	if (e->property == None) {
		if (s->want == W_TEXT) {
			s->want = W_TARGETS; /* no text: does it offer any? */
			XConvertSelection(g->dpy, s->atom, g->targets, s->prop, g->win, e->time);
			XFlush(g->dpy);
			return;
		}
		finish(g, s, true, false); /* not even TARGETS: unreadable */
		return;
	}
	if (!read_prop(g, s, &type, &empty)) {
		finish(g, s, true, false);
		return;
	}
	if (s->want == W_TARGETS) {
		/* it offers text but would not give UTF8_STRING: unreadable */
		finish(g, s, !empty, false);
		return;
	}
	if (type == g->incr) {
		s->incr =
		    true; /* the chunks follow as PropertyNotify, the deletion asked for them */
		XFlush(g->dpy);
		return;
	}
	finish(g, s, true, true);
}

static void on_property(struct clipguard *g, struct sel *s, const XPropertyEvent *e)
{
	Atom type;
	bool empty;

	if (!s->incr || e->state != PropertyNewValue)
		return;
	if (!read_prop(g, s, &type, &empty)) {
		finish(g, s, true, false);
		return;
	}
	XFlush(g->dpy);
	if (empty)
		finish(g, s, true, true);
	else if (s->overflow)
		finish(g, s, true, false);
}

/* Serve the notice to a paste from our selection. */
static void on_request(struct clipguard *g, const XSelectionRequestEvent *r)
{
	XSelectionEvent ev = {.type = SelectionNotify,
			      .display = r->display,
			      .requestor = r->requestor,
			      .selection = r->selection,
			      .target = r->target,
			      .property = r->property ? r->property : r->target,
			      .time = r->time};

	if (r->target == g->targets) {
		Atom list[] = {g->targets, g->utf8, XA_STRING, g->text, g->timestamp};

		XChangeProperty(g->dpy, r->requestor, ev.property, XA_ATOM, 32, PropModeReplace,
				(unsigned char *)list, (int)(sizeof(list) / sizeof(list[0])));
	} else if (r->target == g->utf8 || r->target == g->text) {
		XChangeProperty(g->dpy, r->requestor, ev.property, g->utf8, 8, PropModeReplace,
				(const unsigned char *)g->notice_utf8, (int)strlen(g->notice_utf8));
	} else if (r->target == XA_STRING) {
		XChangeProperty(g->dpy, r->requestor, ev.property, XA_STRING, 8, PropModeReplace,
				(const unsigned char *)g->notice_latin1,
				(int)strlen(g->notice_latin1));
	} else if (r->target == g->timestamp) {
		long t = (long)CurrentTime;

		XChangeProperty(g->dpy, r->requestor, ev.property, XA_INTEGER, 32, PropModeReplace,
				(unsigned char *)&t, 1);
	} else {
		ev.property = None;
	}
	XSendEvent(g->dpy, r->requestor, False, NoEventMask, (XEvent *)&ev);
	XFlush(g->dpy);
}

static struct sel *sel_of(struct clipguard *g, Atom a)
{
	if (a == g->sel[0].atom)
		return &g->sel[0];
	if (a == g->sel[1].atom)
		return &g->sel[1];
	return NULL;
}

static struct sel *sel_of_prop(struct clipguard *g, Atom a)
{
	if (a == g->sel[0].prop)
		return &g->sel[0];
	if (a == g->sel[1].prop)
		return &g->sel[1];
	return NULL;
}

static int on_x_error(Display *d, XErrorEvent *e)
{
	(void)d;
	(void)e; /* a window that went away mid-transfer: the read times out */
	return 0;
}

int clipguard_new(const char *display, const char *notice_utf8, const char *notice_latin1,
		  clip_cb cb, void *data, struct clipguard **ret)
{
	struct clipguard *g;
	int ev_base, err_base, major = 0, minor = 0;
	size_t i;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->dpy = XOpenDisplay(display);
	if (!g->dpy) {
		free(g);
		return -ECONNREFUSED;
	}
	(void)XSetErrorHandler(on_x_error);
	if (!XFixesQueryExtension(g->dpy, &ev_base, &err_base) ||
	    !XFixesQueryVersion(g->dpy, &major, &minor) || major < 1) {
		XCloseDisplay(g->dpy);
		free(g);
		return -ENOTSUP;
	}
	g->have_xres = XResQueryExtension(g->dpy, &major, &minor) &&
		       XResQueryVersion(g->dpy, &major, &minor) &&
		       (major > 1 || (major == 1 && minor >= 2));
	g->fixes_event = ev_base + XFixesSelectionNotify;
	g->win = XCreateSimpleWindow(g->dpy, DefaultRootWindow(g->dpy), -10, -10, 1, 1, 0, 0, 0);
	XSelectInput(g->dpy, g->win, PropertyChangeMask);
	g->utf8 = XInternAtom(g->dpy, "UTF8_STRING", False);
	g->targets = XInternAtom(g->dpy, "TARGETS", False);
	g->incr = XInternAtom(g->dpy, "INCR", False);
	g->text = XInternAtom(g->dpy, "TEXT", False);
	g->timestamp = XInternAtom(g->dpy, "TIMESTAMP", False);
	g->sel[0].atom = XInternAtom(g->dpy, "CLIPBOARD", False);
	g->sel[0].prop = XInternAtom(g->dpy, "MNGUARD_CLIPBOARD", False);
	g->sel[0].name = "CLIPBOARD";
	g->sel[1].atom = XA_PRIMARY;
	g->sel[1].prop = XInternAtom(g->dpy, "MNGUARD_PRIMARY", False);
	g->sel[1].name = "PRIMARY";
	g->policy.action = MNG_CLIP_REDACT; /* until the agent says otherwise */
	g->notice_utf8 = notice_utf8;
	g->notice_latin1 = notice_latin1;
	g->cb = cb;
	g->data = data;
	for (i = 0; i < 2; i++)
		XFixesSelectSelectionInput(g->dpy, DefaultRootWindow(g->dpy), g->sel[i].atom,
					   XFixesSetSelectionOwnerNotifyMask);
	XFlush(g->dpy);
	/* what is in the selections already is judged like a new copy */
	for (i = 0; i < 2; i++) {
		Window w = XGetSelectionOwner(g->dpy, g->sel[i].atom);

		if (w != None)
			on_owner(g, &g->sel[i], w, CurrentTime);
	}
	*ret = g;
	return 0;
}

void clipguard_free(struct clipguard **gp)
{
	struct clipguard *g;

	if (!gp || !*gp)
		return;
	g = *gp;
	drop_buf(&g->sel[0]);
	drop_buf(&g->sel[1]);
	XDestroyWindow(g->dpy, g->win);
	XCloseDisplay(g->dpy);
	free(g);
	*gp = NULL;
}

int clipguard_fd(const struct clipguard *g)
{
	return ConnectionNumber(g->dpy);
}

void clipguard_set_policy(struct clipguard *g, const struct clip_policy *p)
{
	g->policy = *p;
}

int clipguard_dispatch(struct clipguard *g)
{
	int64_t now, next = -1;
	size_t i;

	while (XPending(g->dpy) > 0) {
		XEvent ev;
		struct sel *s;

		XNextEvent(g->dpy, &ev);
		if (ev.type == g->fixes_event) {
			XFixesSelectionNotifyEvent *fe = (XFixesSelectionNotifyEvent *)&ev;

			s = sel_of(g, fe->selection);
			if (s)
				on_owner(g, s, fe->owner, fe->selection_timestamp);
		} else if (ev.type == SelectionNotify) {
			s = sel_of(g, ev.xselection.selection);
			if (s && ev.xselection.requestor == g->win)
				on_selection_notify(g, s, &ev.xselection);
		} else if (ev.type == PropertyNotify) {
			s = sel_of_prop(g, ev.xproperty.atom);
			if (s && ev.xproperty.window == g->win)
				on_property(g, s, &ev.xproperty);
		} else if (ev.type == SelectionRequest) {
			s = sel_of(g, ev.xselectionrequest.selection);
			if (s && s->owned)
				on_request(g, &ev.xselectionrequest);
		} else if (ev.type == SelectionClear) {
			s = sel_of(g, ev.xselectionclear.selection);
			if (s)
				s->owned = false;
		}
	}
	now = now_ms();
	for (i = 0; i < 2; i++) {
		struct sel *s = &g->sel[i];

		if (s->want == W_NONE)
			continue;
		if (now >= s->deadline) {
			finish(g, s, true, false); /* too slow: treated as unreadable */
			continue;
		}
		if (next < 0 || s->deadline - now < next)
			next = s->deadline - now;
	}
	XFlush(g->dpy);
	return next > INT32_MAX ? INT32_MAX : (int)next;
}
