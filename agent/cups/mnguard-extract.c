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
 * A PJL header before PDF or PostScript is skipped.
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
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <poppler.h>

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

/* Is every code point of s (valid UTF-8) one that a Unicode-mapped font gives? */
static bool text_mapped(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!g_utf8_validate(s, -1, NULL))
		return false;
	for (; *p; p = (const unsigned char *)g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char((const char *)p);

		if (c == 0xfffd || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
		    (c >= 0x7f && c < 0xa0) || (c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000)
			return false;
	}
	return true;
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
		if (!text_mapped(text)) {
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

/* PostScript: the bytes of every string literal, (...) and <hex>, each on its own line. */
static int do_ps(const char *buf, size_t len)
{
	static const char *const own_fonts[] = {"/FontType 3", "/FontType 42", "/CIDFontType",
						"glyphshow", "/FontType 0"};
	GString *out = g_string_new(NULL);
	size_t i, k;
	long pages = 0;

	for (k = 0; k < G_N_ELEMENTS(own_fonts); k++)
		if (g_strstr_len(buf, (gssize)len, own_fonts[k]))
			unreadable("PostScript with fonts of their own encoding");
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '%') {
			if (i + 7 < len && !memcmp(buf + i, "%%Page:", 7))
				pages++;
			while (i < len && buf[i] != '\n' && buf[i] != '\r')
				i++;
		} else if (c == '(') {
			int depth = 1;

			for (i++; i < len && depth > 0; i++) {
				c = buf[i];
				if (c == '\\' && i + 1 < len) {
					char e = buf[++i];

					if (e >= '0' && e <= '7') {
						int v = e - '0', d;

						for (d = 0; d < 2 && i + 1 < len &&
							    buf[i + 1] >= '0' && buf[i + 1] <= '7';
						     d++)
							v = v * 8 + (buf[++i] - '0');
						g_string_append_c(out, (char)v);
					} else if (e == 'n') {
						g_string_append_c(out, '\n');
					} else if (e == '\r' || e == '\n') {
						/* line continuation */
					} else if (strchr("rtbf", e)) {
						g_string_append_c(out, ' ');
					} else {
						g_string_append_c(out, e);
					}
					continue;
				}
				if (c == '(')
					depth++;
				else if (c == ')' && --depth == 0)
					break;
				g_string_append_c(out, c);
			}
			g_string_append_c(out, '\n');
		} else if (c == '<' && i + 1 < len && buf[i + 1] != '<') {
			int hi = -1;

			for (i++; i < len && buf[i] != '>'; i++) {
				int v = g_ascii_xdigit_value(buf[i]);

				if (v < 0)
					continue;
				if (hi < 0) {
					hi = v;
				} else {
					g_string_append_c(out, (char)(hi * 16 + v));
					hi = -1;
				}
			}
			g_string_append_c(out, '\n');
		}
	}
	fprintf(stderr, "format postscript\npages %ld\n", pages);
	if (!text_mapped(out->str) || strlen(out->str) != out->len)
		unreadable("PostScript strings that are not text");
	put(out->str, out->len);
	g_string_free(out, TRUE);
	return 0;
}

static int do_text(const char *buf, size_t len)
{
	iconv_t cd;
	char *in = (char *)buf, *outbuf, *o;
	size_t inleft = len, outsize = len * 3 + 16, outleft = outsize;

	if (memchr(buf, '\0', len))
		unreadable("binary data");
	if (g_utf8_validate(buf, (gssize)len, NULL)) {
		fprintf(stderr, "format text/utf-8\npages 1\n");
		if (!text_mapped(buf))
			unreadable("text with control characters");
		put(buf, len);
		return 0;
	}
	cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		unreadable("no CP932 converter");
	outbuf = o = malloc(outsize + 1);
	if (!outbuf)
		_exit(1);
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 || inleft)
		unreadable("text that is neither UTF-8 nor Shift_JIS/CP932");
	iconv_close(cd);
	*o = '\0';
	fprintf(stderr, "format text/cp932\npages 1\n");
	if (!text_mapped(outbuf))
		unreadable("text with control characters");
	put(outbuf, (size_t)(o - outbuf));
	free(outbuf);
	return 0;
}

/* skip a PJL job header: UEL, then @PJL lines, up to the data */
static size_t skip_pjl(const char *buf, size_t len)
{
	static const char uel[] = "\033%-12345X";
	size_t i = 0;

	if (len < sizeof(uel) - 1 || memcmp(buf, uel, sizeof(uel) - 1))
		return 0;
	i = sizeof(uel) - 1;
	while (i + 4 <= len && !memcmp(buf + i, "@PJL", 4)) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (!nl)
			return len;
		i = (size_t)(nl - buf) + 1;
	}
	return i;
}

int main(int argc, char **argv)
{
	size_t len, off;
	char *buf;
	const char *p;

	(void)argc;
	(void)argv;
	buf = slurp(&len);
	off = skip_pjl(buf, len);
	p = buf + off;
	len -= off;
	if (len >= 5 &&
	    (!memcmp(p, "%PDF-", 5) || (memmem(p, len < 1024 ? len : 1024, "%PDF-", 5) != NULL)))
		return do_pdf(p, len);
	if (len >= 2 && !memcmp(p, "%!", 2))
		return do_ps(p, len);
	if (len >= 2 && !memcmp(p, "\004%!", 3))
		return do_ps(p + 1, len - 1);
	return do_text(p, len);
}
