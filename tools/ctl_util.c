// SPDX-License-Identifier: GPL-2.0-or-later
/* ctl_util.c - output helpers shared by mnguardctl's commands (see ctl.h). */
#include <stdbool.h>
#include <stdio.h>

#include "ctl.h"

/*
 * Print s padded or cut to width columns (0: no limit, no padding), one
 * column per character; C0 and C1 control characters, DEL and invalid UTF-8
 * become '?'. A cut is marked with '~'.
 */
/*
 * Unicode bidirectional controls (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) can make a device name display as something else.
 */
static int is_bidi_control(const unsigned char *p)
{
	if (p[0] != 0xe2)
		return 0;
	if (p[1] == 0x80)
		return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae);
	if (p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return 0;
}

void ctl_put_field(FILE *f, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t cols = 0;

	while (*p) {
		size_t n = 0, k, adv;
		bool shown = true;

		if (*p >= 0x20 && *p < 0x7f)
			n = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4;
		for (k = 1; k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		/* Whole characters that must not reach the terminal become one '?'. */
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			shown = false; /* C1 controls, U+0080..U+009F */
		if (n == 3 && is_bidi_control(p))
			shown = false; /* would reorder what the table shows */
		adv = n ? n : 1;
		if (width && cols + 1 == width && p[adv]) {
			fputc('~', f); /* the last column, and more follows */
			cols++;
			break;
		}
		if (n && shown)
			fwrite(p, 1, n, f);
		else
			fputc('?', f);
		p += adv;
		cols++;
	}
	for (; width && cols < width; cols++)
		fputc(' ', f);
}
