/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * utf8.h - the one UTF-8 validity check every parser and writer in lib/ uses.
 */
#ifndef MNG_UTF8_H
#define MNG_UTF8_H

#include <stddef.h>

/*
 * mng_utf8_len - length (1-4) of the valid UTF-8 sequence at s, where n > 0
 * bytes are available; 0 when there is none. Overlong forms, UTF-16
 * surrogates, code points past U+10FFFF and truncated sequences are invalid.
 * ASCII, control characters included, is valid (callers decide about those).
 */
size_t mng_utf8_len(const unsigned char *s, size_t n);

#endif
