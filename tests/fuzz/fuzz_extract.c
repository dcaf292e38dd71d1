// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_extract.c - libFuzzer harness for mnguard-extract's own parsers
 * (agent/cups/extract_text.c: PJL header, kind detection, PostScript
 * strings, plain text in UTF-8 or CP932, the mapped-text test), run the
 * way main() of mnguard-extract runs them.
 *
 * Properties checked besides the sanitizers: an OK verdict always comes
 * with mapped text (valid UTF-8, no NUL, no control or private-use
 * characters); an unreadable verdict always has a reason; the output is
 * NUL-terminated at its length; plain UTF-8 input that is mapped comes out
 * unchanged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/cups/extract_text.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(enum extract_status st, const struct extract_out *out, const char *why)
{
	if (st == EXTRACT_OK) {
		if (!out->data || out->data[out->len] != '\0' ||
		    !extract_text_mapped(out->data, out->len) || memchr(out->data, 0, out->len))
			abort();
	} else if (!why || !*why) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *why = NULL, *format = NULL;
	struct extract_out out = {0};
	enum extract_status st;
	size_t off, koff;
	long pages = -1;

	off = extract_skip_pjl(buf, size);
	if (off > size)
		abort();
	switch (extract_kind(buf + off, size - off, &koff)) {
	case EXTRACT_PDF:
		break; /* poppler's, not ours */
	case EXTRACT_POSTSCRIPT:
		if (koff > size - off)
			abort();
		st = extract_postscript(buf + off + koff, size - off - koff, &out, &pages, &why);
		check(st, &out, why);
		if (pages < 0)
			abort();
		break;
	default:
		st = extract_plain(buf + off, size - off, &out, &format, &why);
		check(st, &out, why);
		if (!format)
			abort();
		if (st == EXTRACT_OK && !strcmp(format, "text/utf-8") &&
		    (out.len != size - off || memcmp(out.data, buf + off, out.len)))
			abort();
		break;
	}
	extract_out_free(&out);
	/* the parsers on the raw input too, whatever its kind */
	st = extract_postscript(buf, size, &out, &pages, &why);
	check(st, &out, why);
	extract_out_free(&out);
	st = extract_plain(buf, size, &out, &format, &why);
	check(st, &out, why);
	extract_out_free(&out);
	return 0;
}
