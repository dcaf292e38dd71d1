// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rules_lex.c - lexical layer of the rule parser (see rules_lex.h):
 * blanks, keywords, quoted strings with USBGuard's escapes, device ids,
 * interface types, times of day, durations and ISO 8601 instants.
 *
 * MUST: no scanner reads past the end of its line; strings are capped at
 *       MNG_RULES_STRING_MAX bytes after unescaping.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "rules_lex.h"

bool rl_fail(struct pctx *c, const struct cur *k, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return false;
	c->err = true;
	c->errcol = (unsigned)(at - k->beg) + 1;
	va_start(ap, fmt);
	(void)vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool rl_oom(struct pctx *c, const struct cur *k)
{
	c->oom = true;
	return rl_fail(c, k, k->p, "out of memory");
}

bool rl_kw(struct cur *k, const char *w)
{
	const char *p = k->p;

	/* byte by byte: most calls fail on the first byte */
	while (*w) {
		if (p >= k->end || *p != *w)
			return false;
		p++;
		w++;
	}
	k->p = p;
	return true;
}

/* letters, digits, '-' and '_' */
const bool rl_word_chars[256] = {
    ['-'] = true, ['_'] = true, ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true,
    ['4'] = true, ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
    ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
    ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true,
    ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true,
    ['y'] = true, ['z'] = true, ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true,
    ['E'] = true, ['F'] = true, ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true,
    ['K'] = true, ['L'] = true, ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true,
    ['Q'] = true, ['R'] = true, ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true,
    ['W'] = true, ['X'] = true, ['Y'] = true, ['Z'] = true,
};

size_t rl_word_len(const struct cur *k)
{
	const char *p = k->p;

	while (p < k->end && rl_word_chars[(unsigned char)*p])
		p++;
	return (size_t)(p - k->p);
}

/* hex digit values plus one; 0 for every other byte */
static const uint8_t hex1[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,  ['6'] = 7,	['7'] = 8,
    ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int rl_hexval(char ch)
{
	return (int)hex1[(unsigned char)ch] - 1;
}

/* n (at most 8) hex digits at p, known to be readable; false if one is not a hex digit */
static inline bool hex_fixed(const char *p, int n, unsigned *ret)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		unsigned h = hex1[(unsigned char)p[i]];

		if (!h)
			return false;
		v = v << 4 | (h - 1);
	}
	*ret = v;
	return true;
}

bool rl_scratch_push(struct scratch *s, const void *v, size_t size)
{
	if (s->cap - s->len < size) {
		size_t ncap = s->cap ? s->cap * 2 : 4096;
		unsigned char *nv;

		while (ncap - s->len < size)
			ncap *= 2;
		nv = realloc(s->v, ncap);
		if (!nv)
			return false;
		s->v = nv;
		s->cap = ncap;
	}
	memcpy(s->v + s->len, v, size);
	s->len += size;
	return true;
}

/* ---- values ---- */

/* nonzero when one of the 8 bytes of w is b (exact as a test, not as a position) */
static inline uint64_t has_byte(uint64_t w, unsigned char b)
{
	uint64_t y = w ^ (0x0101010101010101ull * b);

	return (y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull;
}

/* bytes that end the fast scan of a string: the closing quote, an escape, a CR */
static const bool str_special[256] = {['"'] = true, ['\\'] = true, ['\r'] = true};

/*
 * A quoted string. USBGuard's grammar admits \xHH, \" and \\ plus escapes its
 * unescaper then rejects; the accepted set is exactly \" \\ \xHH. Any byte but
 * CR and LF may appear raw, NUL included. Returns 1, 0 (no string here) or -1.
 */
int rl_parse_string(struct pctx *c, struct cur *k, struct strval *ret)
{
	const char *start = k->p, *p;
	size_t n = 0;
	char *out;

	if (k->p >= k->end || *k->p != '"')
		return 0;
	/* the common case: no escape and no CR before the closing quote, one copy */
	p = start + 1;
#ifdef __SSE2__
	while (k->end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
					   _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);

		if (m) {
			p += __builtin_ctz(m);
			goto scanned;
		}
		p += 16;
	}
#endif
	while (k->end - p >= 8) {
		uint64_t w, m;

		memcpy(&w, p, 8);
		m = has_byte(w, '"') | has_byte(w, '\\') | has_byte(w, '\r');
		if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* the lowest flagged byte is always a true match */
			p += __builtin_ctzll(m) / 8;
#endif
			break;
		}
		p += 8;
	}
	for (; p < k->end && !str_special[(unsigned char)*p]; p++)
		;
#ifdef __SSE2__
scanned:
#endif
	if (p < k->end && *p == '"') {
		n = (size_t)(p - start - 1);
		if (n > MNG_RULES_STRING_MAX)
			return rl_fail(c, k, start, "string longer than %u bytes",
				       MNG_RULES_STRING_MAX),
			       -1;
		out = ARENA_STR(&c->rs->arena, n + 1);
		if (!out)
			return rl_oom(c, k), -1;
		memcpy(out, start + 1, n);
		out[n] = '\0';
		ret->s = out;
		ret->len = (uint32_t)n;
		k->p = p + 1;
		return 1;
	}
	n = 0;
	for (p = start + 1;; p++) {
		if (p >= k->end)
			return rl_fail(c, k, start, "unterminated string"), -1;
		if (*p == '"')
			break;
		if (*p == '\r' || *p == '\n')
			return rl_fail(c, k, p, "carriage return inside a string"), -1;
		if (*p == '\\') {
			if (p + 1 >= k->end)
				return rl_fail(c, k, start, "unterminated string"), -1;
			if (p[1] == 'x') {
				if (p + 3 >= k->end || rl_hexval(p[2]) < 0 || rl_hexval(p[3]) < 0)
					return rl_fail(c, k, p,
						       "\\x must be followed by two hex digits"),
					       -1;
				p += 3;
			} else if (p[1] == '"' || p[1] == '\\') {
				p++;
			} else {
				return rl_fail(
					   c, k, p,
					   "unknown escape sequence (only \\\", \\\\ and \\xHH)"),
				       -1;
			}
		}
		if (++n > MNG_RULES_STRING_MAX)
			return rl_fail(c, k, start, "string longer than %u bytes",
				       MNG_RULES_STRING_MAX),
			       -1;
	}
	out = ARENA_STR(&c->rs->arena, n + 1);
	if (!out)
		return rl_oom(c, k), -1;
	ret->s = out;
	ret->len = (uint32_t)n;
	for (p = start + 1; *p != '"'; p++) {
		if (*p == '\\') {
			if (p[1] == 'x') {
				*out++ = (char)(rl_hexval(p[2]) << 4 | rl_hexval(p[3]));
				p += 3;
				continue;
			}
			p++;
		}
		*out++ = *p;
	}
	*out = '\0';
	k->p = p + 1;
	return 1;
}

bool rl_hexn(const char *p, const char *end, int n, unsigned *ret)
{
	unsigned v = 0;
	int i;

	if (end - p < n)
		return false;
	for (i = 0; i < n; i++) {
		int h = rl_hexval(p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (unsigned)h;
	}
	*ret = v;
	return true;
}

/* VVVV:PPPP, VVVV:* or *:* (hex in any case). */
int rl_parse_id(struct pctx *c, struct cur *k, struct idval *ret)
{
	const char *p = k->p, *start = k->p;
	unsigned v = 0, pr = 0;
	struct idval id = {0};

	/* the common form VVVV:PPPP */
	if (k->end - p >= 9 && p[4] == ':' && hex_fixed(p, 4, &v) && hex_fixed(p + 5, 4, &pr)) {
		id.vendor = (uint16_t)v;
		id.product = (uint16_t)pr;
		memcpy(id.text, p, 9);
		*ret = id;
		k->p = p + 9;
		return 1;
	}
	if (p < k->end && *p == '*') {
		id.any |= ID_ANY_VENDOR;
		p++;
	} else if (rl_hexn(p, k->end, 4, &v)) {
		p += 4;
	} else {
		return 0;
	}
	if (p >= k->end || *p != ':')
		return 0;
	p++;
	if (p < k->end && *p == '*') {
		id.any |= ID_ANY_PRODUCT;
		p++;
	} else if (rl_hexn(p, k->end, 4, &pr)) {
		p += 4;
	} else {
		return 0;
	}
	if ((id.any & ID_ANY_VENDOR) && !(id.any & ID_ANY_PRODUCT))
		return rl_fail(c, k, start, "invalid device id: a product id needs a vendor id"),
		       -1;
	id.vendor = (uint16_t)v;
	id.product = (uint16_t)pr;
	memcpy(id.text, start, (size_t)(p - start));
	*ret = id;
	k->p = p;
	return 1;
}

/* CC:SS:PP, CC:SS:* or CC:*:* */
int rl_parse_iface(struct pctx *c, struct cur *k, struct ifval *ret)
{
	const char *p = k->p, *start = k->p;
	unsigned v[3] = {0, 0, 0};
	bool star[3] = {false, false, false};
	int i;

	/* the common form CC:SS:PP */
	if (k->end - p >= 8 && p[2] == ':' && p[5] == ':' && hex_fixed(p, 2, &v[0]) &&
	    hex_fixed(p + 3, 2, &v[1]) && hex_fixed(p + 6, 2, &v[2])) {
		ret->cls = (uint8_t)v[0];
		ret->sub = (uint8_t)v[1];
		ret->proto = (uint8_t)v[2];
		ret->mask = IF_CLASS | IF_SUBCLASS | IF_PROTO;
		k->p = p + 8;
		return 1;
	}
	for (i = 0; i < 3; i++) {
		if (i) {
			if (p >= k->end || *p != ':')
				return 0;
			p++;
		}
		if (i && p < k->end && *p == '*') {
			star[i] = true;
			p++;
		} else if (rl_hexn(p, k->end, 2, &v[i])) {
			p += 2;
		} else {
			return 0;
		}
	}
	if (star[1] && !star[2])
		return rl_fail(c, k, start,
			       "invalid interface type (use CC:SS:PP, CC:SS:* or CC:*:*)"),
		       -1;
	ret->cls = (uint8_t)v[0];
	ret->sub = (uint8_t)v[1];
	ret->proto = (uint8_t)v[2];
	ret->mask = IF_CLASS | (star[1] ? 0 : IF_SUBCLASS) | (star[2] ? 0 : IF_PROTO);
	k->p = p;
	return 1;
}

/* HH:MM with an optional :SS, read like strptime("%H:%M"); trailing text is ignored. */
bool rl_daytime(const char *s, const char *end, uint32_t *ret)
{
	unsigned h = 0, m = 0, sec = 0;
	int n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (n = 0; n < 2 && s < end && *s >= '0' && *s <= '9'; n++, s++)
		h = h * 10 + (unsigned)(*s - '0');
	if (!n || h > 23 || s >= end || *s++ != ':')
		return false;
	for (n = 0; n < 2 && s < end && *s >= '0' && *s <= '9'; n++, s++)
		m = m * 10 + (unsigned)(*s - '0');
	if (!n || m > 59)
		return false;
	if (end - s >= 3 && s[0] == ':' && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' && s[2] <= '9')
		sec = (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
	*ret = h * 3600 + m * 60 + sec;
	return true;
}

/* HH:MM:SS, HH:MM, or a number of seconds (trailing text ignored, as USBGuard does). */
bool rl_duration(const char *s, const char *end, uint32_t *ret)
{
	uint32_t t;
	unsigned v = 0;
	int n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (rl_daytime(s, end, &t)) {
		*ret = t;
		return true;
	}
	for (n = 0; s < end && *s >= '0' && *s <= '9'; n++, s++) {
		if (n == 9)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (!n)
		return false;
	*ret = v;
	return true;
}

static int rl_days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t rl_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool rl_num(const char *s, int n, int *ret)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM). Returns the offset of the first bad byte, or -1. */
int rl_parse_iso(const struct strval *v, int64_t *ret)
{
	const char *s = v->s;
	int n = (int)v->len, Y, M, D, h, m, sec = 0, oh = 0, om = 0, sign = 0, i = 0;

	if (n < 16 || !rl_num(s, 4, &Y))
		return 0;
	if (s[4] != '-' || !rl_num(s + 5, 2, &M) || M < 1 || M > 12)
		return 4;
	if (s[7] != '-' || !rl_num(s + 8, 2, &D) || D < 1 || D > rl_days_in_month(Y, M))
		return 7;
	if (s[10] != 'T' || !rl_num(s + 11, 2, &h) || h > 23)
		return 10;
	if (s[13] != ':' || !rl_num(s + 14, 2, &m) || m > 59)
		return 13;
	i = 16;
	if (i < n && s[i] == ':') {
		if (n - i < 3 || !rl_num(s + i + 1, 2, &sec) || sec > 59)
			return i;
		i += 3;
	}
	if (i >= n)
		return i;
	if (s[i] == 'Z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (n - i < 6 || !rl_num(s + i + 1, 2, &oh) || oh > 23 || s[i + 3] != ':' ||
		    !rl_num(s + i + 4, 2, &om) || om > 59)
			return i;
		i += 6;
	} else {
		return i;
	}
	if (i != n)
		return i;
	*ret = rl_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return -1;
}
