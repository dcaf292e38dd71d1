// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * latency.c - copy-to-redaction latency of mnguard-session (bench/session.sh).
 *
 * Acts as the copying application: owns CLIPBOARD with a text holding an
 * individual number, serves it as UTF8_STRING to whoever asks (the guard),
 * and measures the time from XSetSelectionOwner to the SelectionClear that
 * tells it the guard took the selection. Prints one line per copy (ms) and
 * then "median" and "p99". Usage: session-latency COPIES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, i, lost = 0;
	Display *d = XOpenDisplay(NULL);
	Atom clip, utf8, targets;
	double *ms;
	Window w;

	if (!d || n <= 0 || n > 100000) {
		fprintf(stderr, "session-latency: no display or bad count\n");
		return 1;
	}
	ms = calloc((size_t)n, sizeof(*ms));
	clip = XInternAtom(d, "CLIPBOARD", False);
	utf8 = XInternAtom(d, "UTF8_STRING", False);
	targets = XInternAtom(d, "TARGETS", False);
	w = XCreateSimpleWindow(d, DefaultRootWindow(d), 0, 0, 1, 1, 0, 0, 0);
	for (i = 0; i < n; i++) {
		const char *text = "個人番号 1234 5678 9018";
		double t0, deadline;
		int done = 0;

		XSetSelectionOwner(d, clip, w, CurrentTime);
		XFlush(d);
		t0 = now_ms();
		deadline = t0 + 5000;
		while (!done && now_ms() < deadline) {
			XEvent ev;

			if (!XPending(d)) {
				struct timespec ts = {0, 50000};

				nanosleep(&ts, NULL);
				continue;
			}
			XNextEvent(d, &ev);
			if (ev.type == SelectionRequest) {
				XSelectionRequestEvent *r = &ev.xselectionrequest;
				XSelectionEvent se = {.type = SelectionNotify,
						      .requestor = r->requestor,
						      .selection = r->selection,
						      .target = r->target,
						      .property = r->property,
						      .time = r->time};

				if (r->target == utf8)
					XChangeProperty(
					    d, r->requestor, r->property, utf8, 8, PropModeReplace,
					    (const unsigned char *)text, (int)strlen(text));
				else if (r->target == targets)
					XChangeProperty(d, r->requestor, r->property, XA_ATOM, 32,
							PropModeReplace, (unsigned char *)&utf8, 1);
				else
					se.property = None;
				XSendEvent(d, r->requestor, False, 0, (XEvent *)&se);
				XFlush(d);
			} else if (ev.type == SelectionClear) {
				ms[i] = now_ms() - t0;
				done = 1;
			}
		}
		if (!done) {
			lost++;
			ms[i] = 5000;
		}
		printf("%.3f\n", ms[i]);
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	printf("median %.3f ms\np99 %.3f ms\nnot taken %d of %d\n", ms[n / 2],
	       ms[(size_t)((n - 1) * 0.99)], lost, n);
	free(ms);
	XCloseDisplay(d);
	return lost ? 1 : 0;
}
