/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mynumber.h - the detector for individual numbers (個人番号, 12 digits,
 * mod-11 check digit last) and corporate numbers (法人番号, 13 digits, mod-9
 * check digit first) in UTF-8 text. Shared by the print gate, the clipboard
 * guard and audit; pure functions over a buffer, no allocation, no state.
 *
 * What counts as a number (mnguard.rules(5), DETECTOR):
 *  - A digit is an ASCII digit 0-9 or a full-width digit U+FF10..U+FF19;
 *    both may be mixed in one number.
 *  - A separator is exactly one of: space U+0020, hyphen-minus U+002D, full
 *    stop U+002E, no-break space U+00A0, hyphen U+2010, non-breaking hyphen
 *    U+2011, figure dash U+2012, en dash U+2013, minus sign U+2212,
 *    ideographic space U+3000, katakana prolonged sound mark U+30FC (typed
 *    for a dash by Japanese input methods), full-width hyphen-minus U+FF0D,
 *    full-width full stop U+FF0E.
 *  - A digit run is a maximal sequence of digits in which each two
 *    neighbouring digits are adjacent or have exactly one separator
 *    between them. Any grouping counts (4-4-4, 6-6, 1-4-4-4, one digit per
 *    group). Two separators in a row, any other character, an invalid byte
 *    or the end of the input end a run.
 *  - A run of exactly 12 digits whose check digit is right is an individual
 *    number; exactly 13 with a right check digit, a corporate number. A run
 *    of any other length never matches, even when a valid number is a part
 *    of it: "1 123456789018" is one run of 13 digits (checked as a corporate
 *    number), and 090-1234-5678 is a run of 11.
 *  - A run right after '+' or U+FF0B (full-width plus) is an international
 *    phone number and never matches ("+81 90 1234 5678").
 *  - Letters do not end or start runs: "T7123456789012" (an invoice
 *    registration number) holds the corporate number 7123456789012.
 *  - A keyword (個人番号, マイナンバー or 法人番号) is near a match when any
 *    byte of it lies within MNG_MN_KEYWORD_WINDOW bytes before the match's
 *    first byte or after its last byte (either keyword for either kind).
 *
 * Invalid UTF-8: MUST be reported, never skipped silently. An invalid or
 * truncated sequence, an overlong form, a surrogate or a code point past
 * U+10FFFF sets invalid_utf8 in the result; the offending bytes count as
 * "any other character" (they end a run), and scanning goes on, so numbers
 * elsewhere in the input are still counted. A caller deciding about content
 * (print, clipboard) MUST treat invalid_utf8 as sensitive, like a match:
 * text in another encoding (Shift_JIS, UTF-16) would otherwise hide its
 * digits from the detector. NUL bytes are ordinary characters (valid
 * UTF-8) that end a run.
 */
#ifndef MNG_MYNUMBER_H
#define MNG_MYNUMBER_H

#include <stdbool.h>
#include <stddef.h>

#define MNG_MN_INPUT_MAX ((size_t)1 << 30) /* bytes per mng_mynumber_scan call (1 GiB) */
#define MNG_MN_KEYWORD_WINDOW 64	   /* bytes either side of a match */

enum mng_mn_kind { MNG_MN_NONE = 0, MNG_MN_INDIVIDUAL, MNG_MN_CORPORATE };

struct mng_mn_match {
	size_t off, len;       /* bytes of the run, first digit to last digit */
	enum mng_mn_kind kind; /* MNG_MN_INDIVIDUAL or MNG_MN_CORPORATE */
	bool keyword;	       /* a keyword is near (MNG_MN_KEYWORD_WINDOW) */
};

struct mng_mn_result {
	size_t individual, corporate; /* counts of valid matches */
	size_t keyword_near;	      /* matches with a keyword within the window */
	bool invalid_utf8;	      /* the input was not valid UTF-8 */
	size_t first_invalid;	      /* offset of the first invalid byte, when invalid_utf8 */
};

/*
 * mng_mynumber_scan - find the individual and corporate numbers in len
 * bytes of UTF-8 text at buf (not NUL-terminated; NULs allowed; buf may be
 * NULL when len is 0). *ret receives the counts of every valid match and
 * whether the input was valid UTF-8. When matches is not NULL, the first
 * max_matches matches are written to it in input order (the counts still
 * cover them all). Nothing is allocated; the caller owns every buffer.
 * Returns 0. Errors: -EINVAL ret is NULL, buf is NULL with len > 0, or
 * matches is NULL with max_matches > 0; -E2BIG len over MNG_MN_INPUT_MAX
 * (scan a larger input in pieces that end at a line break). *ret and
 * matches are written only on success.
 */
int mng_mynumber_scan(const char *buf, size_t len, struct mng_mn_result *ret,
		      struct mng_mn_match *matches, size_t max_matches);

/*
 * mng_mynumber_individual_valid - true when the 12 ASCII digits at digits
 * form a valid individual number (the last is the mod-11 check digit of
 * the first eleven); false when any of them is not an ASCII digit or the
 * check digit is wrong. Reads exactly 12 bytes.
 */
bool mng_mynumber_individual_valid(const char digits[12]);

/*
 * mng_mynumber_corporate_valid - true when the 13 ASCII digits at digits
 * form a valid corporate number (the first is the mod-9 check digit of the
 * other twelve); false otherwise. Reads exactly 13 bytes.
 */
bool mng_mynumber_corporate_valid(const char digits[13]);

/*
 * mng_mynumber_digits - the digits of match m (found by mng_mynumber_scan
 * in the same buf and len) as ASCII, NUL-terminated, into ret_digits
 * (12 or 13 digits and the NUL). For tests and redaction; the digits are
 * personal data and MUST NOT be logged or audited. Returns the number of
 * digits. Errors: -EINVAL a match that does not lie in buf or does not
 * hold 12 or 13 digits.
 */
int mng_mynumber_digits(const char *buf, size_t len, const struct mng_mn_match *m,
			char ret_digits[14]);

/* mng_mn_kind_name - "individual", "corporate" or "none" (for audit records). */
const char *mng_mn_kind_name(enum mng_mn_kind kind);

#endif
