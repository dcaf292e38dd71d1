// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * textbuf.c - bounded text output (see textbuf.h).
 *
 * MUST: nothing is written past buf[size - 1]; the text stays NUL-terminated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "textbuf.h"

void mng_textbuf_put(struct mng_textbuf *o, const char *s, size_t n)
{
	if (o->full || n >= o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void mng_errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
