/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * textbuf.h - bounded text output shared by the modules that format into a
 * caller's buffer: an append-only buffer that stops (and says so) when full,
 * and the "message into err[errlen]" helper of the parsers that report one
 * error as text.
 *
 * MUST: nothing is written past buf[size - 1]; the text stays NUL-terminated.
 */
#ifndef MNG_TEXTBUF_H
#define MNG_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "mng.h"

/* A caller's buffer being filled: buf[size], len bytes used, full once a put did not fit. */
struct mng_textbuf {
	char *buf;
	size_t size, len;
	bool full;
};

/*
 * mng_textbuf_put - append the n bytes at s to o and NUL-terminate. Once a
 * put does not fit (the NUL included) nothing more is written and o->full
 * stays set. size must be at least 1.
 */
void mng_textbuf_put(struct mng_textbuf *o, const char *s, size_t n);

/*
 * mng_errbuf_set - format a message into err[errlen] (truncated to fit);
 * nothing happens when err is NULL or errlen is 0.
 */
void mng_errbuf_set(char *err, size_t errlen, const char *fmt, ...) MNG_PRINTF(3, 4);

#endif
