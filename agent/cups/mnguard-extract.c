// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguard-extract - the text of a print document, for the print gate.
 *
 * mnguardd runs this helper for every job whose content is checked, so that
 * no PDF or PostScript parser ever runs inside the root agent. The agent
 * starts it as an unprivileged user, with no_new_privs, resource limits
 * (CPU, address space, no file writes) and a wall-clock timeout, and reads:
 *
 *   stdin   the document (any bytes)
 *   stdout  its text, UTF-8
 *   stderr  "format NAME" and "pages N" lines, then, when the content cannot
 *           be judged, one "unreadable: REASON" line
 *   status  0 text extracted; 3 content cannot be judged (the agent treats
 *           it as sensitive); anything else, a signal or a timeout is a
 *           failure (also sensitive)
 *
 * Formats: PDF (poppler-glib), PostScript (the bytes of its string
 * literals), plain text (UTF-8, or Shift_JIS/CP932 converted with iconv).
 * A PJL header before PDF or PostScript is skipped. Everything but PDF is
 * parsed by extract_text.c (pure, fuzzed by tests/fuzz/fuzz_extract.c).
 *
 * MUST: anything that might hide text is reported as unreadable, never as
 *       empty text: a PDF that poppler cannot open (damaged, encrypted), a
 *       page with images but no text, a page whose text has characters
 *       without a Unicode mapping (U+FFFD, private use, control
 *       characters), PostScript with fonts whose encoding is its own
 *       (Type 3, Type 42, CID) or string bytes that are not text, plain
 *       text that is neither UTF-8 nor CP932, binary data.
 * MUST: input is capped (EXTRACT_INPUT_MAX); more is unreadable.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <poppler.h>

#include "extract_text.h"

#define EXTRACT_INPUT_MAX (256u << 20) /* bytes of a document */
#define EXIT_UNREADABLE 3

static void unreadable(const char *why)
{
	fprintf(stderr, "unreadable: %s\n", why);
	fflush(stderr);
	fflush(stdout);
	_exit(EXIT_UNREADABLE);
}

static void put(const char *s, size_t n)
{
	if (n && fwrite(s, 1, n, stdout) != n)
		_exit(1);
}

/* the whole of stdin, NUL-terminated; unreadable when over the cap */
static char *slurp(size_t *ret_len)
{
	size_t len = 0, cap = 1u << 16;
	char *buf = malloc(cap + 1);

	if (!buf)
		_exit(1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= EXTRACT_INPUT_MAX)
				unreadable("document larger than 256 MiB");
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				_exit(1);
			buf = nb;
		}
		n = read(0, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(1);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			return false;
	return true;
}

static int do_pdf(const char *buf, size_t len)
{
	GBytes *bytes = g_bytes_new_static(buf, len);
	GError *gerr = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	int n, i;

	if (!doc)
		unreadable("PDF cannot be opened (damaged or encrypted)");
	n = poppler_document_get_n_pages(doc);
	fprintf(stderr, "format pdf\npages %d\n", n);
	for (i = 0; i < n; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		GList *images;
		char *text;
		bool has_images;

		if (!page)
			unreadable("a PDF page cannot be read");
		text = poppler_page_get_text(page);
		images = poppler_page_get_image_mapping(page);
		has_images = images != NULL;
		poppler_page_free_image_mapping(images);
		if (!text)
			unreadable("a PDF page's text cannot be read");
		if (has_images && blank(text)) {
			fprintf(stderr, "page %d holds images and no text\n", i + 1);
			unreadable("image-only page");
		}
		if (!extract_text_mapped(text, strlen(text))) {
			fprintf(stderr, "page %d\n", i + 1);
			unreadable("PDF text without a Unicode mapping (font without ToUnicode)");
		}
		put(text, strlen(text));
		put("\n\f", 2);
		g_free(text);
		g_object_unref(page);
	}
	g_object_unref(doc);
	g_bytes_unref(bytes);
	return 0;
}

/* The result of one of extract_text.h's parsers: the text, or unreadable. */
static int emit(enum extract_status st, struct extract_out *out, const char *why)
{
	if (st != EXTRACT_OK)
		unreadable(why ? why : "unknown reason");
	put(out->data, out->len);
	extract_out_free(out);
	return 0;
}

int main(int argc, char **argv)
{
	struct extract_out out = {0};
	const char *why = NULL, *format = NULL, *p;
	enum extract_status st;
	size_t len, off;
	long pages = 0;
	char *buf;

	(void)argc;
	(void)argv;
	buf = slurp(&len);
	off = extract_skip_pjl(buf, len);
	p = buf + off;
	len -= off;
	switch (extract_kind(p, len, &off)) {
	case EXTRACT_PDF:
		return do_pdf(p, len);
	case EXTRACT_POSTSCRIPT:
		st = extract_postscript(p + off, len - off, &out, &pages, &why);
		fprintf(stderr, "format postscript\npages %ld\n", pages);
		return emit(st, &out, why);
	default:
		st = extract_plain(p, len, &out, &format, &why);
		fprintf(stderr, "format %s\npages 1\n", format);
		return emit(st, &out, why);
	}
}
