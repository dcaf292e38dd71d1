// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mynumber.c - individual and corporate numbers in UTF-8 text (see
 * mynumber.h for what counts as a number).
 *
 * MUST: invalid UTF-8 anywhere in the input sets invalid_utf8; it is never
 *       skipped without a trace (callers treat it as sensitive).
 * MUST: every byte of the input is looked at: no byte that can start a
 *       digit is passed over, whatever its alignment or what precedes it.
 * MUST: no read outside [buf, buf + len), whatever the input (truncated
 *       sequences at the end included); time is linear in len.
 * MUST: the digits found are never logged here (lib/ does not print).
 *
 * How it is fast: the input is checked for UTF-8 validity first by a
 * table-driven automaton whose whole transition row for a byte is one
 * 64-bit word (the state is a bit offset into it, so each byte costs one
 * load and one shift), with 16-byte all-ASCII blocks skipped. Then a search
 * for bytes that can start a digit (0x30-0x39, and 0xEF, the lead byte of
 * U+FF10-FF19) looks at 64 bytes per step with SSE2; only those bytes are
 * examined one by one. Digit runs are read by a small loop over digits and
 * single separators.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mynumber.h"
#include "utf8.h"

#define RUN_MAX 14 /* digits kept per run: more than 13 means "too long" */

/* ---- UTF-8 validity ---- */

/*
 * Automaton states, each a 6-bit field of a transition row: ACC a character
 * boundary; N1..N3 that many continuation bytes still needed; E0, ED, F0,
 * F4 the byte after those leads, whose range is narrower; REJ (sticky).
 */
enum { ACC = 0, N1 = 6, N2 = 12, N3 = 18, XE0 = 24, XED = 30, XF0 = 36, XF4 = 42, REJ = 48 };

#define ROW(acc, n1, n2, n3, e0, ed, f0, f4)                                                       \
	((uint64_t)(acc) << ACC | (uint64_t)(n1) << N1 | (uint64_t)(n2) << N2 |                    \
	 (uint64_t)(n3) << N3 | (uint64_t)(e0) << XE0 | (uint64_t)(ed) << XED |                    \
	 (uint64_t)(f0) << XF0 | (uint64_t)(f4) << XF4 | (uint64_t)REJ << REJ)

/* Rows per byte class: the next state for each current state. */
#define R_ASCII ROW(ACC, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_C80 ROW(REJ, ACC, N1, N2, REJ, N1, REJ, N2) /* 80-8F */
#define R_C90 ROW(REJ, ACC, N1, N2, REJ, N1, N2, REJ) /* 90-9F */
#define R_CA0 ROW(REJ, ACC, N1, N2, N1, REJ, N2, REJ) /* A0-BF */
#define R_L2 ROW(N1, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_E0 ROW(XE0, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_L3 ROW(N2, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_ED ROW(XED, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_F0 ROW(XF0, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_L4 ROW(N3, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_F4 ROW(XF4, REJ, REJ, REJ, REJ, REJ, REJ, REJ)
#define R_BAD ROW(REJ, REJ, REJ, REJ, REJ, REJ, REJ, REJ)

static const uint64_t utf8_rows[256] = {
    [0x00 ... 0x7f] = R_ASCII,
    [0x80 ... 0x8f] = R_C80,
    [0x90 ... 0x9f] = R_C90,
    [0xa0 ... 0xbf] = R_CA0,
    [0xc0 ... 0xc1] = R_BAD,
    [0xc2 ... 0xdf] = R_L2,
    [0xe0] = R_E0,
    [0xe1 ... 0xec] = R_L3,
    [0xed] = R_ED,
    [0xee ... 0xef] = R_L3,
    [0xf0] = R_F0,
    [0xf1 ... 0xf3] = R_L4,
    [0xf4] = R_F4,
    [0xf5 ... 0xff] = R_BAD,
};

/* The first invalid byte at or after from (a character boundary), the slow way; n if none. */
static size_t first_invalid_slow(const unsigned char *s, size_t n, size_t from)
{
	size_t i = from, l;

	while (i < n) {
		l = mng_utf8_len(s + i, n - i);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

static bool all_ascii16(const unsigned char *s)
{
#ifdef __SSE2__
	return _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)s)) == 0;
#else
	uint64_t a, b;

	memcpy(&a, s, 8);
	memcpy(&b, s + 8, 8);
	return ((a | b) & 0x8080808080808080ull) == 0;
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MNG_MN_NO_AVX2)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/*
 * UTF-8 validity with AVX2, 32 bytes at a time, by classifying each pair of
 * neighbouring bytes with three 16-entry tables (high nibble of the first
 * byte, its low nibble, high nibble of the second): each bit below is one
 * kind of error, and a pair is bad when one bit is set in all three
 * entries. Each error's condition is a product of nibble sets, so the AND
 * is exact. Third and fourth bytes of a sequence are checked apart: a byte
 * two after a lead E0-FF or three after F0-FF must be a continuation, and
 * only then may a continuation follow a continuation (bit 7).
 */
#define E_SHORT 0x01   /* lead C0-FF not followed by a continuation */
#define E_LONG 0x02    /* continuation after ASCII */
#define E_OL3 0x04     /* E0 80-9F: overlong */
#define E_SURR 0x08    /* ED A0-BF: surrogate */
#define E_OL2 0x10     /* C0, C1 */
#define E_BIG 0x20     /* F4 90-BF, F5-FF 90-BF: past U+10FFFF */
#define E_OL4 0x40     /* F0 80-8F: overlong; F5-FF 80-8F: past U+10FFFF */
#define E_CONT (-0x80) /* bit 7: continuation after continuation (allowed where expected) */
#define E_LO_ALL (E_SHORT | E_LONG | E_CONT)
#define E_HI2_CONT (E_LONG | E_CONT | E_OL2)

#define REP16(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)

/* True when the 32 bytes in (after the 32 bytes prev) hold an error. */
__attribute__((target("avx2"), always_inline)) static inline bool block_bad(__m256i prev,
									    __m256i in)
{
	const __m256i t_hi1 = REP16(E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG,
				    E_CONT, E_CONT, E_CONT, E_CONT, E_SHORT | E_OL2, E_SHORT,
				    E_SHORT | E_OL3 | E_SURR, E_SHORT | E_BIG | E_OL4);
	const __m256i t_lo1 = REP16(
	    E_LO_ALL | E_OL2 | E_OL3 | E_OL4, E_LO_ALL | E_OL2, E_LO_ALL, E_LO_ALL,
	    E_LO_ALL | E_BIG, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4 | E_SURR, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4);
	const __m256i t_hi2 = REP16(
	    E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2,
	    E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_HI2_CONT | E_OL3 | E_OL4,
	    E_HI2_CONT | E_OL3 | E_BIG, E_HI2_CONT | E_SURR | E_BIG, E_HI2_CONT | E_SURR | E_BIG,
	    E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2);
	const __m256i nib = _mm256_set1_epi8(0x0f), hibit = _mm256_set1_epi8((char)0x80);
	const __m256i third = _mm256_set1_epi8((char)(0xe0 - 0x80));
	const __m256i fourth = _mm256_set1_epi8((char)(0xf0 - 0x80));
	__m256i p1, p2, p3, sc, must, err, edge;

	if ((_mm256_movemask_epi8(in) | _mm256_movemask_epi8(prev)) == 0)
		return false; /* all ASCII after all ASCII */
	edge = _mm256_permute2x128_si256(prev, in, 0x21);
	p1 = _mm256_alignr_epi8(in, edge, 15);
	p2 = _mm256_alignr_epi8(in, edge, 14);
	p3 = _mm256_alignr_epi8(in, edge, 13);
	sc = _mm256_and_si256(
	    _mm256_and_si256(
		_mm256_shuffle_epi8(t_hi1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), nib)),
		_mm256_shuffle_epi8(t_lo1, _mm256_and_si256(p1, nib))),
	    _mm256_shuffle_epi8(t_hi2, _mm256_and_si256(_mm256_srli_epi16(in, 4), nib)));
	must = _mm256_and_si256(
	    _mm256_or_si256(_mm256_subs_epu8(p2, third), _mm256_subs_epu8(p3, fourth)), hibit);
	err = _mm256_xor_si256(sc, must);
	return !_mm256_testz_si256(err, err);
}

__attribute__((target("avx2"), always_inline)) static inline __m256i
load_prev(const unsigned char *s, size_t b)
{
	return b ? _mm256_loadu_si256((const __m256i *)(s + b - 32)) : _mm256_setzero_si256();
}

/*
 * Validity is checked block by block (32 bytes, aligned to the start of
 * the input) as the search for digits moves on: checked is the end of the
 * blocks checked so far, bad the first block that failed when failed is set
 * (the padding block at n when only the end was cut short).
 */
struct check {
	size_t checked, bad;
	bool failed;
};

/* Check the full blocks from c->checked up to to (a multiple of 32). */
__attribute__((target("avx2"))) static void check_upto_avx2(const unsigned char *s, size_t n,
							    struct check *c, size_t to)
{
	for (; c->checked < to; c->checked += 32)
		if (!c->failed &&
		    block_bad(load_prev(s, c->checked),
			      _mm256_loadu_si256((const __m256i *)(s + c->checked)))) {
			c->bad = c->checked;
			c->failed = true;
		}
}

/* Check the rest of s, the last block padded with NULs (a sequence cut short fails on them). */
__attribute__((target("avx2"))) static void check_end_avx2(const unsigned char *s, size_t n,
							   struct check *c)
{
	unsigned char tail[32] = {0};

	check_upto_avx2(s, n, c, n & ~(size_t)31);
	if (c->failed)
		return;
	/* When n is a multiple of 32 this block is all padding, at offset n. */
	if (n > c->checked)
		memcpy(tail, s + c->checked, n - c->checked);
	if (block_bad(load_prev(s, c->checked), _mm256_loadu_si256((const __m256i *)tail))) {
		c->bad = c->checked;
		c->failed = true;
	}
}

/*
 * Next offset >= i whose byte may start a digit (0x30-0x39 or 0xEF), found
 * in full 32-byte blocks, each checked for UTF-8 on the way; or the first
 * offset >= i of the last, partial block when there is none.
 */
__attribute__((target("avx2"))) static size_t next_candidate_avx2(const unsigned char *s, size_t n,
								  size_t i, struct check *c)
{
	const __m256i bias = _mm256_set1_epi8((char)0x50), lim = _mm256_set1_epi8((char)0x8a),
		      ef = _mm256_set1_epi8((char)0xef), bc = _mm256_set1_epi8((char)0xbc),
		      bias_fw = _mm256_set1_epi8((char)0xf0);
	size_t b = i & ~(size_t)31;
	__m256i in, in1, in2, fw;
	uint32_t m;

	check_upto_avx2(s, n, c, b);
	for (; n - b >= 32; b += 32) {
		in = _mm256_loadu_si256((const __m256i *)(s + b));
		if (c->checked == b) {
			if (!c->failed && block_bad(load_prev(s, b), in)) {
				c->bad = b;
				c->failed = true;
			}
			c->checked = b + 32;
		}
		/*
		 * (x + 0x50) as a signed byte is below (int8)0x8a exactly when x
		 * is 0x30-0x39; (x + 0xf0) likewise when x is 0x90-0x99. Where
		 * the two bytes after the block's last are there too, only real
		 * full-width digits (EF BC 90-99) are candidates, else every EF.
		 */
		fw = _mm256_cmpeq_epi8(in, ef);
		if (n - b >= 34) {
			in1 = _mm256_loadu_si256((const __m256i *)(s + b + 1));
			in2 = _mm256_loadu_si256((const __m256i *)(s + b + 2));
			fw =
			    _mm256_and_si256(_mm256_and_si256(fw, _mm256_cmpeq_epi8(in1, bc)),
					     _mm256_cmpgt_epi8(lim, _mm256_add_epi8(in2, bias_fw)));
		}
		m = (uint32_t)_mm256_movemask_epi8(
		    _mm256_or_si256(_mm256_cmpgt_epi8(lim, _mm256_add_epi8(in, bias)), fw));
		if (b < i)
			m &= ~0u << (i - b);
		if (m)
			return b + (size_t)__builtin_ctz(m);
	}
	return b > i ? b : i;
}
#endif

/* The same, one byte at a time with the automaton (any CPU). */
static size_t utf8_first_invalid_dfa(const unsigned char *s, size_t n)
{
	uint64_t st = ACC;
	size_t i = 0, good = 0, end;

	while (i < n) {
		if ((st & 63) == ACC) {
			good = i;
			while (i + 16 <= n && all_ascii16(s + i))
				i += 16;
			good = i;
			if (i == n)
				break;
		}
		end = n - i > 64 ? i + 64 : n;
#pragma GCC unroll 8
		for (; i < end; i++)
			st = utf8_rows[s[i]] >> (st & 63);
		if ((st & 63) == REJ)
			return first_invalid_slow(s, n, good);
		if ((st & 63) == ACC)
			good = i;
	}
	if ((st & 63) != ACC)
		return first_invalid_slow(s, n, good);
	return n;
}

/* ---- digits and separators ---- */

/* Value of the digit at s[i] (width to *w), or -1. */
static inline int digit_at(const unsigned char *s, size_t n, size_t i, size_t *w)
{
	if (i >= n)
		return -1;
	if ((unsigned)(s[i] - '0') < 10u) {
		*w = 1;
		return s[i] - '0';
	}
	if (s[i] == 0xef && n - i >= 3 && s[i + 1] == 0xbc && (unsigned)(s[i + 2] - 0x90) < 10u) {
		*w = 3;
		return s[i + 2] - 0x90;
	}
	return -1;
}

/* Width of the separator at s[i], or 0. */
static inline size_t sep_at(const unsigned char *s, size_t n, size_t i)
{
	unsigned char a, b, c;

	if (i >= n)
		return 0;
	a = s[i];
	if (a == ' ' || a == '-' || a == '.')
		return 1;
	if (a < 0xc2 || n - i < 2)
		return 0;
	b = s[i + 1];
	if (a == 0xc2)
		return b == 0xa0 ? 2 : 0; /* U+00A0 */
	if (n - i < 3)
		return 0;
	c = s[i + 2];
	if (a == 0xe2)
		return (b == 0x80 && c >= 0x90 && c <= 0x93) || /* U+2010..2013 */
			       (b == 0x88 && c == 0x92)		/* U+2212 */
			   ? 3
			   : 0;
	if (a == 0xe3)
		return (b == 0x80 && c == 0x80) ||	/* U+3000 */
			       (b == 0x83 && c == 0xbc) /* U+30FC */
			   ? 3
			   : 0;
	if (a == 0xef)
		return b == 0xbc && (c == 0x8d || c == 0x8e) ? 3 : 0; /* U+FF0D, U+FF0E */
	return 0;
}

/* Next offset >= i holding a byte that may start a digit (0x30-0x39 or 0xEF), or n. */
static size_t next_candidate(const unsigned char *s, size_t n, size_t i)
{
#ifdef __SSE2__
	const __m128i bias = _mm_set1_epi8((char)0x50), lim = _mm_set1_epi8((char)0x8a),
		      ef = _mm_set1_epi8((char)0xef);
	__m128i v;
	uint64_t m;
	int k;

	/* (b + 0x50) as a signed byte is below (int8)0x8a exactly when b is 0x30-0x39. */
#define CAND(p)                                                                                    \
	(v = _mm_loadu_si128((const __m128i *)(p)),                                                \
	 (uint64_t)(unsigned)_mm_movemask_epi8(                                                    \
	     _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(v, bias), lim), _mm_cmpeq_epi8(v, ef))))
	while (n - i >= 64) {
		m = CAND(s + i);
		m |= CAND(s + i + 16) << 16;
		m |= CAND(s + i + 32) << 32;
		m |= CAND(s + i + 48) << 48;
		if (m)
			return i + (size_t)__builtin_ctzll(m);
		i += 64;
	}
	while (n - i >= 16) {
		k = (int)CAND(s + i);
		if (k)
			return i + (size_t)__builtin_ctz((unsigned)k);
		i += 16;
	}
#undef CAND
#endif
	for (; i < n; i++)
		if ((unsigned)(s[i] - '0') < 10u || s[i] == 0xef)
			return i;
	return n;
}

/* ---- check digits ---- */

static bool all_digits(const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned)((unsigned char)d[i] - '0') >= 10u)
			return false;
	return true;
}

/* Digits as values 0-9. The check digit of an individual number: d[0..10] weighted from the right.
 */
static int individual_check(const unsigned char *d)
{
	unsigned sum = 0, n, q;

	for (n = 1; n <= 11; n++) {
		q = n <= 6 ? n + 1 : n - 5;
		sum += d[11 - n] * q;
	}
	sum %= 11;
	return sum <= 1 ? 0 : (int)(11 - sum);
}

/* The check digit of a corporate number: d[1..12], weight 1 for odd n from the right, 2 for even.
 */
static int corporate_check(const unsigned char *d)
{
	unsigned sum = 0, n;

	for (n = 1; n <= 12; n++)
		sum += d[13 - n] * (n % 2 ? 1u : 2u);
	return (int)(9 - sum % 9);
}

bool mng_mynumber_individual_valid(const char digits[12])
{
	unsigned char d[12];
	size_t i;

	if (!digits || !all_digits(digits, 12))
		return false;
	for (i = 0; i < 12; i++)
		d[i] = (unsigned char)(digits[i] - '0');
	return individual_check(d) == d[11];
}

bool mng_mynumber_corporate_valid(const char digits[13])
{
	unsigned char d[13];
	size_t i;

	if (!digits || !all_digits(digits, 13))
		return false;
	for (i = 0; i < 13; i++)
		d[i] = (unsigned char)(digits[i] - '0');
	return corporate_check(d) == d[0];
}

/* ---- keywords ---- */

static const struct {
	const char *s;
	size_t len;
} keywords[] = {
    {"\xe5\x80\x8b\xe4\xba\xba\xe7\x95\xaa\xe5\x8f\xb7", 12}, /* 個人番号 */
    {"\xe3\x83\x9e\xe3\x82\xa4\xe3\x83\x8a\xe3\x83\xb3\xe3\x83\x90\xe3\x83\xbc",
     18},						      /* マイナンバー */
    {"\xe6\xb3\x95\xe4\xba\xba\xe7\x95\xaa\xe5\x8f\xb7", 12}, /* 法人番号 */
};

/* True when a keyword has a byte in [off - W, end + W). */
static bool keyword_near(const unsigned char *s, size_t n, size_t off, size_t end)
{
	size_t k, lo, hi, klen;

	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		klen = keywords[k].len;
		/* A keyword starting in [lo, end + W) reaches the window. */
		lo = off > MNG_MN_KEYWORD_WINDOW + klen - 1 ? off - MNG_MN_KEYWORD_WINDOW - klen + 1
							    : 0;
		hi = n - end > MNG_MN_KEYWORD_WINDOW + klen - 1
			 ? end + MNG_MN_KEYWORD_WINDOW + klen - 1
			 : n;
		if (hi - lo >= klen && memmem(s + lo, hi - lo, keywords[k].s, klen))
			return true;
	}
	return false;
}

/* ---- scanning ---- */

/*
 * The byte at i may start a digit: read the maximal run starting there,
 * record it when it is a valid number, and return the offset after it
 * (after the byte, when it is no digit).
 */
static size_t take_run(const unsigned char *s, size_t len, size_t i, struct mng_mn_result *r,
		       struct mng_mn_match *matches, size_t max_matches)
{
	unsigned char d[RUN_MAX];
	size_t j, w, sw, start, end, count = 0;
	enum mng_mn_kind kind;
	bool kw;
	int v;

	v = digit_at(s, len, i, &w);
	if (v < 0)
		return i + 1; /* 0xEF of something other than a digit */
	/* Digits, each next one adjacent or after one separator. */
	start = i;
	for (;;) {
		if (count < RUN_MAX)
			d[count++] = (unsigned char)v;
		end = i + w;
		v = digit_at(s, len, end, &w);
		if (v >= 0) {
			i = end;
			continue;
		}
		sw = sep_at(s, len, end);
		if (sw && (v = digit_at(s, len, end + sw, &w)) >= 0) {
			i = end + sw;
			continue;
		}
		break;
	}

	/* After '+' or U+FF0B, the run is an international phone number. */
	if ((start >= 1 && s[start - 1] == '+') ||
	    (start >= 3 && s[start - 3] == 0xef && s[start - 2] == 0xbc && s[start - 1] == 0x8b))
		return end;
	kind = MNG_MN_NONE;
	if (count == 12 && individual_check(d) == d[11])
		kind = MNG_MN_INDIVIDUAL;
	else if (count == 13 && corporate_check(d) == d[0])
		kind = MNG_MN_CORPORATE;
	if (kind == MNG_MN_NONE)
		return end;

	j = r->individual + r->corporate;
	if (kind == MNG_MN_INDIVIDUAL)
		r->individual++;
	else
		r->corporate++;
	kw = keyword_near(s, len, start, end);
	if (kw)
		r->keyword_near++;
	if (j < max_matches)
		matches[j] = (struct mng_mn_match){
		    .off = start, .len = end - start, .kind = kind, .keyword = kw};
	return end;
}

int mng_mynumber_scan(const char *buf, size_t len, struct mng_mn_result *ret,
		      struct mng_mn_match *matches, size_t max_matches)
{
	const unsigned char *s = (const unsigned char *)buf;
	struct mng_mn_result r = {0};
	size_t i = 0, bad = len;

	if (!ret || (!buf && len) || (!matches && max_matches))
		return -EINVAL;
	if (len > MNG_MN_INPUT_MAX)
		return -E2BIG;

#ifdef HAVE_AVX2_PATH
	if (__builtin_cpu_supports("avx2")) {
		struct check c = {.checked = 0, .bad = len, .failed = false};
		size_t p, k;

		/* One pass: each block is checked for UTF-8 as the search reaches it. */
		for (;;) {
			i = next_candidate_avx2(s, len, i, &c);
			if (len - i < 32)
				i = next_candidate(s, len, i);
			if (i >= len)
				break;
			i = take_run(s, len, i, &r, matches, max_matches);
		}
		check_end_avx2(s, len, &c);
		if (c.failed) {
			/*
			 * Every block before c.bad passed, so the text before it
			 * is valid but for a sequence the block's start may cut:
			 * look for the first invalid byte the slow way from the
			 * last byte before c.bad that is not a continuation.
			 */
			p = c.bad;
			for (k = 0; p > 0 && k < 4; k++) {
				p--;
				if ((s[p] & 0xc0) != 0x80)
					break;
			}
			bad = first_invalid_slow(s, len, p);
		}
		goto out;
	}
#endif
	bad = utf8_first_invalid_dfa(s, len);
	for (;;) {
		i = next_candidate(s, len, i);
		if (i >= len)
			break;
		i = take_run(s, len, i, &r, matches, max_matches);
	}
#ifdef HAVE_AVX2_PATH
out:
#endif
	if (bad < len) {
		r.invalid_utf8 = true;
		r.first_invalid = bad;
	}
	*ret = r;
	return 0;
}

int mng_mynumber_digits(const char *buf, size_t len, const struct mng_mn_match *m,
			char ret_digits[14])
{
	const unsigned char *s = (const unsigned char *)buf;
	char out[14];
	size_t i, end, w, count = 0;
	int v;

	if (!buf || !m || !ret_digits || m->off > len || m->len > len - m->off)
		return -EINVAL;
	end = m->off + m->len;
	for (i = m->off; i < end;) {
		v = digit_at(s, end, i, &w);
		if (v < 0) {
			w = sep_at(s, end, i);
			if (!w)
				return -EINVAL;
			i += w;
			continue;
		}
		if (count >= 13)
			return -EINVAL;
		out[count++] = (char)('0' + v);
		i += w;
	}
	if (count < 12)
		return -EINVAL;
	out[count] = '\0';
	memcpy(ret_digits, out, count + 1);
	return (int)count;
}

const char *mng_mn_kind_name(enum mng_mn_kind kind)
{
	switch (kind) {
	case MNG_MN_INDIVIDUAL:
		return "individual";
	case MNG_MN_CORPORATE:
		return "corporate";
	case MNG_MN_NONE:
		break;
	}
	return "none";
}
