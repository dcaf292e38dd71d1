// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extract_text.c - mnguard-extract's own parsers (see extract_text.h).
 *
 * MUST: anything that might hide text is unreadable, never empty text:
 *       fonts with their own encoding, string bytes that are not mapped
 *       text, plain text in neither UTF-8 nor CP932, NUL bytes.
 * MUST: every loop is bounded by the input; output never passes
 *       EXTRACT_TEXT_MAX (then it is unreadable).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract_text.h"

void extract_out_free(struct extract_out *out)
{
	free(out->data);
	out->data = NULL;
	out->len = out->cap = 0;
}

/* room for n more bytes (and the NUL); false when out has failed */
static bool reserve(struct extract_out *out, size_t n)
{
	size_t want, cap;
	char *nd;

	if (out->failed)
		return false;
	if (n > EXTRACT_TEXT_MAX || out->len > EXTRACT_TEXT_MAX - n) {
		out->failed = true;
		return false;
	}
	want = out->len + n + 1;
	if (want <= out->cap)
		return true;
	cap = out->cap ? out->cap : 4096;
	while (cap < want)
		cap *= 2;
	nd = realloc(out->data, cap);
	if (!nd) {
		out->failed = true;
		return false;
	}
	out->data = nd;
	out->cap = cap;
	out->data[out->len] = '\0';
	return true;
}

static void add(struct extract_out *out, const char *s, size_t n)
{
	if (!reserve(out, n))
		return;
	memcpy(out->data + out->len, s, n);
	out->len += n;
	out->data[out->len] = '\0';
}

static void add_c(struct extract_out *out, char c)
{
	add(out, &c, 1);
}

size_t extract_skip_pjl(const char *buf, size_t len)
{
	static const char uel[] = "\033%-12345X";
	size_t i;

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

enum extract_kind extract_kind(const char *buf, size_t len, size_t *ret_off)
{
	*ret_off = 0;
	if (len >= 5 && memmem(buf, len < 1024 ? len : 1024, "%PDF-", 5))
		return EXTRACT_PDF;
	if (len >= 2 && !memcmp(buf, "%!", 2))
		return EXTRACT_POSTSCRIPT;
	if (len >= 3 && !memcmp(buf, "\004%!", 3)) {
		*ret_off = 1;
		return EXTRACT_POSTSCRIPT;
	}
	return EXTRACT_TEXT;
}

/* One UTF-8 sequence at s (n bytes left): its code point, or -1 when it is not valid. */
static long utf8_next(const unsigned char *s, size_t n, size_t *ret_len)
{
	long c;
	size_t k, i;

	if (s[0] < 0x80) {
		*ret_len = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4;
		c = s[0] & 0x07;
	} else {
		return -1;
	}
	if (n < k)
		return -1;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*ret_len = k;
	return c;
}

bool extract_text_mapped(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0;

	while (i < len) {
		long c = utf8_next(p + i, len - i, &k);

		if (c < 0 || c == 0 || c == 0xfffd ||
		    (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || (c >= 0x7f && c < 0xa0) ||
		    (c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000)
			return false;
		i += k;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* (...) starting after the '(' at *pi; leaves *pi on the closing ')' or at len. */
static void ps_literal(const char *buf, size_t len, size_t *pi, struct extract_out *out)
{
	size_t i = *pi;
	int depth = 1;

	for (; i < len && depth > 0; i++) {
		char c = buf[i];

		if (c == '\\' && i + 1 < len) {
			char e = buf[++i];

			if (e >= '0' && e <= '7') {
				int v = e - '0', d;

				for (d = 0;
				     d < 2 && i + 1 < len && buf[i + 1] >= '0' && buf[i + 1] <= '7';
				     d++)
					v = v * 8 + (buf[++i] - '0');
				add_c(out, (char)(v & 0xff));
			} else if (e == 'n') {
				add_c(out, '\n');
			} else if (e == '\r' || e == '\n') {
				/* line continuation */
			} else if (e == 'r' || e == 't' || e == 'b' || e == 'f') {
				add_c(out, ' ');
			} else {
				add_c(out, e);
			}
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			break;
		add_c(out, c);
	}
	*pi = i;
}

enum extract_status extract_postscript(const char *buf, size_t len, struct extract_out *out,
				       long *ret_pages, const char **ret_why)
{
	static const char *const own_fonts[] = {"/FontType 3", "/FontType 42", "/CIDFontType",
						"glyphshow", "/FontType 0"};
	size_t i, k;
	long pages = 0;

	*ret_pages = 0;
	for (k = 0; k < sizeof(own_fonts) / sizeof(own_fonts[0]); k++)
		if (memmem(buf, len, own_fonts[k], strlen(own_fonts[k]))) {
			*ret_why = "PostScript with fonts of their own encoding";
			return EXTRACT_UNREADABLE;
		}
	reserve(out, 0);
	for (i = 0; i < len && !out->failed; i++) {
		char c = buf[i];

		if (c == '%') {
			if (i + 7 < len && !memcmp(buf + i, "%%Page:", 7))
				pages++;
			while (i < len && buf[i] != '\n' && buf[i] != '\r')
				i++;
		} else if (c == '(') {
			i++;
			ps_literal(buf, len, &i, out);
			add_c(out, '\n');
		} else if (c == '<' && i + 1 < len && buf[i + 1] != '<') {
			int hi = -1;

			for (i++; i < len && buf[i] != '>'; i++) {
				int v = hexval(buf[i]);

				if (v < 0)
					continue;
				if (hi < 0) {
					hi = v;
				} else {
					add_c(out, (char)(hi * 16 + v));
					hi = -1;
				}
			}
			add_c(out, '\n');
		}
	}
	*ret_pages = pages;
	if (out->failed) {
		*ret_why = "more PostScript text than the extractor holds";
		return EXTRACT_UNREADABLE;
	}
	if (!extract_text_mapped(out->data, out->len)) {
		*ret_why = "PostScript strings that are not text";
		return EXTRACT_UNREADABLE;
	}
	return EXTRACT_OK;
}

enum extract_status extract_plain(const char *buf, size_t len, struct extract_out *out,
				  const char **ret_format, const char **ret_why)
{
	iconv_t cd;
	char *in = (char *)buf, *o;
	size_t inleft = len, outleft, r;

	*ret_format = "text/utf-8";
	if (memchr(buf, '\0', len)) {
		*ret_why = "binary data";
		return EXTRACT_UNREADABLE;
	}
	if (extract_text_mapped(buf, len)) {
		add(out, buf, len);
		if (out->failed) {
			*ret_why = "more text than the extractor holds";
			return EXTRACT_UNREADABLE;
		}
		return EXTRACT_OK;
	}
	/* valid UTF-8 with control characters is not CP932 either */
	{
		size_t i = 0, k = 0;
		bool valid = true;

		while (i < len && valid) {
			valid = utf8_next((const unsigned char *)buf + i, len - i, &k) >= 0;
			i += k;
		}
		if (valid) {
			*ret_why = "text with control characters";
			return EXTRACT_UNREADABLE;
		}
	}
	*ret_format = "text/cp932";
	if (len > EXTRACT_TEXT_MAX / 3 || !reserve(out, len * 3 + 16)) {
		*ret_why = "more text than the extractor holds";
		return EXTRACT_UNREADABLE;
	}
	cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1) {
		*ret_why = "no CP932 converter";
		return EXTRACT_UNREADABLE;
	}
	o = out->data;
	outleft = out->cap - 1;
	r = iconv(cd, &in, &inleft, &o, &outleft);
	iconv_close(cd);
	if (r == (size_t)-1 || inleft) {
		*ret_why = "text that is neither UTF-8 nor Shift_JIS/CP932";
		return EXTRACT_UNREADABLE;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	if (!extract_text_mapped(out->data, out->len)) {
		*ret_why = "text with control characters";
		return EXTRACT_UNREADABLE;
	}
	return EXTRACT_OK;
}
