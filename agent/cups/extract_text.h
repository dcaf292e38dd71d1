/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * extract_text.h - the parsers of mnguard-extract that are mnguard's own
 * (PDF text comes from poppler): the document's kind, a PJL header,
 * PostScript string literals, plain text in UTF-8 or Shift_JIS/CP932, and
 * the "is this text every character of which a font maps" test.
 *
 * Pure: buffer in, text and a verdict out; no I/O, no global state, no
 * glib, so the fuzz harness (tests/fuzz/fuzz_extract.c) runs exactly this
 * code.
 */
#ifndef MNG_EXTRACT_TEXT_H
#define MNG_EXTRACT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define EXTRACT_TEXT_MAX (768u << 20) /* bytes of text one document may give */

enum extract_kind {
	EXTRACT_TEXT = 0, /* anything else: plain text, or unreadable */
	EXTRACT_PDF,
	EXTRACT_POSTSCRIPT,
};

/* The verdict of a parser. */
enum extract_status {
	EXTRACT_UNREADABLE = 0, /* content cannot be judged (the zero value) */
	EXTRACT_OK,		/* out holds the text */
};

/* A growing output buffer, always NUL-terminated once anything was added. */
struct extract_out {
	char *data;
	size_t len, cap;
	bool failed; /* out of memory or over EXTRACT_TEXT_MAX */
};

/* extract_out_free - release out's buffer (out itself is the caller's). */
void extract_out_free(struct extract_out *out);

/*
 * extract_skip_pjl - the offset where the document starts after a PJL job
 * header (UEL "ESC%-12345X" then "@PJL" lines); 0 when there is none, len
 * when the header never ends.
 */
size_t extract_skip_pjl(const char *buf, size_t len);

/*
 * extract_kind - what buf (after any PJL header) is: PDF ("%PDF-" in the
 * first 1024 bytes), PostScript ("%!", or "^D%!"), else text. *ret_off is
 * where the parser should start (past a ^D).
 */
enum extract_kind extract_kind(const char *buf, size_t len, size_t *ret_off);

/*
 * extract_text_mapped - is s (len bytes) valid UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF, no NUL) whose every character a font
 * with a Unicode map gives: not U+FFFD, not a C0 control other than tab,
 * newline and carriage return, not a C1 control, not private use (BMP
 * U+E000..F8FF, planes 15 and 16)?
 */
bool extract_text_mapped(const char *s, size_t len);

/*
 * extract_postscript - the bytes of every string literal, (...) with its
 * escapes and <hex>, one per line, into out. Unreadable (with *ret_why
 * set) when the program defines fonts of their own encoding (Type 3,
 * Type 42, CID, Type 0, glyphshow) or the strings are not mapped text;
 * *ret_pages counts "%%Page:" comments. Returns the status; out->failed
 * says it ran out of memory (then unreadable).
 */
enum extract_status extract_postscript(const char *buf, size_t len, struct extract_out *out,
				       long *ret_pages, const char **ret_why);

/*
 * extract_plain - plain text: UTF-8 as it is, else CP932 (Shift_JIS)
 * converted to UTF-8. *ret_format is "text/utf-8" or "text/cp932".
 * Unreadable: NUL bytes, neither encoding, control characters.
 */
enum extract_status extract_plain(const char *buf, size_t len, struct extract_out *out,
				  const char **ret_format, const char **ret_why);

#endif
