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
 * How it is fast: on CPUs with AVX2 (checked at run time) there is one
 * pass over 64-byte blocks. Each block gets a cheap "busy" test: UTF-8
 * validity by three nibble-table lookups per byte pair (the bytes one, two
 * and three before each are loaded from memory rather than shuffled in),
 * and one range test per byte for a digit (30-39, or 90-99 two after an
 * EF). A block that is neither wrong nor holds a digit, nearly every block
 * of prose, costs nothing more; a busy one is looked at again exactly and
 * its digits are read as runs. The loop keeps its constants in registers
 * by leaving everything else to other functions. Other CPUs check
 * validity first by a table-driven automaton whose whole transition row
 * for a byte is one 64-bit word (the state is a bit offset into it, so
 * each byte costs one load and one shift), with 16-byte all-ASCII blocks
 * skipped, then search for bytes that can start a digit (0x30-0x39, and
 * 0xEF, the lead byte of U+FF10-FF19) 64 bytes per step with SSE2. Digit
 * runs are read by a small loop over digits and single separators.
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
 * UTF-8 validity with AVX2, 32 bytes at a time (the method of Keiser and
 * Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte"), by
 * classifying each pair of neighbouring bytes with three 16-entry tables
 * (high nibble of the first byte, its low nibble, high nibble of the
 * second): each bit below is one kind of error, and a pair is bad when
 * one bit is set in all three entries. Each error's condition is a product
 * of nibble sets, so the AND is exact. Third and fourth bytes of a
 * sequence are checked apart: a byte two after a lead E0-FF or three after
 * F0-FF must be a continuation, and only then may a continuation follow a
 * continuation (bit 7).
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

/* The constants of the vector code (see half_errors, half_busy and block_busy_avx2). */
struct vconst {
	__m256i t_hi1, t_lo1, t_hi2, nib, hibit, third, fourth, ef, bc, fw_bias, dig_bias, dig_min,
	    unfinished;
};

__attribute__((target("avx2"), always_inline)) static inline void vconst_init(struct vconst *k)
{
	k->t_hi1 = REP16(E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_CONT,
			 E_CONT, E_CONT, E_CONT, E_SHORT | E_OL2, E_SHORT, E_SHORT | E_OL3 | E_SURR,
			 E_SHORT | E_BIG | E_OL4);
	k->t_lo1 = REP16(
	    E_LO_ALL | E_OL2 | E_OL3 | E_OL4, E_LO_ALL | E_OL2, E_LO_ALL, E_LO_ALL,
	    E_LO_ALL | E_BIG, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4,
	    E_LO_ALL | E_BIG | E_OL4 | E_SURR, E_LO_ALL | E_BIG | E_OL4, E_LO_ALL | E_BIG | E_OL4);
	k->t_hi2 = REP16(E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2,
			 E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2,
			 E_HI2_CONT | E_OL3 | E_OL4, E_HI2_CONT | E_OL3 | E_BIG,
			 E_HI2_CONT | E_SURR | E_BIG, E_HI2_CONT | E_SURR | E_BIG, E_SHORT | E_OL2,
			 E_SHORT | E_OL2, E_SHORT | E_OL2, E_SHORT | E_OL2);
	k->nib = _mm256_set1_epi8(0x0f);
	k->hibit = _mm256_set1_epi8((char)0x80);
	k->third = _mm256_set1_epi8((char)(0xe0 - 0x80));
	k->fourth = _mm256_set1_epi8((char)(0xf0 - 0x80));
	k->ef = _mm256_set1_epi8((char)0xef);
	k->bc = _mm256_set1_epi8((char)0xbc);
	k->fw_bias = _mm256_set1_epi8((char)(0x76 - 0x90));
	k->dig_bias = _mm256_set1_epi8(0x76 - 0x30);
	k->dig_min = _mm256_set1_epi8(0x75);
	/* Past these in the last three bytes, a sequence is unfinished. */
	k->unfinished = _mm256_setr_epi8(
	    (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff,
	    (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff,
	    (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff,
	    (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff, (char)0xff,
	    (char)0xff, (char)(0xf0 - 1), (char)(0xe0 - 1), (char)(0xc0 - 1));
	/*
	 * Opaque to the compiler from here: kept in registers or spilled
	 * once, never rebuilt inside the loop.
	 */
	__asm__("" : "+x"(k->t_hi1), "+x"(k->t_lo1), "+x"(k->t_hi2), "+x"(k->nib));
	__asm__("" : "+x"(k->hibit), "+x"(k->third), "+x"(k->fourth), "+x"(k->ef));
	__asm__("" : "+x"(k->bc), "+x"(k->fw_bias), "+x"(k->dig_bias), "+x"(k->dig_min));
	__asm__("" : "+x"(k->unfinished));
}

/*
 * The bytes of in that are 0x30-0x39 (bias 0x46) or 0x90-0x99 (bias
 * 0xe6): x + bias as a signed byte is then 0x76-0x7f, above 0x75.
 */
__attribute__((target("avx2"), always_inline)) static inline __m256i
in_range(const struct vconst *k, __m256i in, __m256i bias)
{
	return _mm256_cmpgt_epi8(_mm256_add_epi8(in, bias), k->dig_min);
}

/* ASCII digits of in. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
ascii_digits(const struct vconst *k, __m256i in)
{
	return in_range(k, in, k->dig_bias);
}

/*
 * The UTF-8 error bits of the 32 bytes in at p (zero where nothing is
 * wrong), from the byte before each (p1), two before (p2) and three before
 * (p3), which are read from memory: the three bytes before p must be
 * readable. *fw receives the bytes of in that end a full-width digit
 * (EF BC 90-99).
 */
__attribute__((target("avx2"), always_inline)) static inline __m256i
half_errors(const struct vconst *k, const unsigned char *p, __m256i in, __m256i *fw)
{
	const __m256i p1 = _mm256_loadu_si256((const __m256i *)(p - 1));
	const __m256i p2 = _mm256_loadu_si256((const __m256i *)(p - 2));
	const __m256i p3 = _mm256_loadu_si256((const __m256i *)(p - 3));
	__m256i sc, must;

	sc = _mm256_and_si256(
	    _mm256_and_si256(
		_mm256_shuffle_epi8(k->t_hi1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), k->nib)),
		_mm256_shuffle_epi8(k->t_lo1, _mm256_and_si256(p1, k->nib))),
	    _mm256_shuffle_epi8(k->t_hi2, _mm256_and_si256(_mm256_srli_epi16(in, 4), k->nib)));
	must = _mm256_and_si256(
	    _mm256_or_si256(_mm256_subs_epu8(p2, k->third), _mm256_subs_epu8(p3, k->fourth)),
	    k->hibit);
	*fw = _mm256_and_si256(
	    _mm256_and_si256(_mm256_cmpeq_epi8(p2, k->ef), _mm256_cmpeq_epi8(p1, k->bc)),
	    in_range(k, in, k->fw_bias));
	return _mm256_xor_si256(sc, must);
}

static size_t take_run(const unsigned char *s, size_t len, size_t i, struct mng_mn_result *r,
		       struct mng_mn_match *matches, size_t max_matches);

/*
 * Where the vector scan stands: b the next block, bad the first block that
 * held a UTF-8 error (SIZE_MAX while none did); after a block with digits,
 * m marks its ASCII digits and f the last bytes of its full-width digits
 * (bit k for byte b + k).
 */
struct vscan {
	size_t b, bad;
	uint64_t m, f;
};

/*
 * Check the 64 bytes at p (block offset b; the three bytes before p are
 * read too) for UTF-8 validity, recording the block in st->bad when it is
 * the first bad one, and mark its digits in st->m and st->f; true when it
 * holds digits. Called only for the blocks that block_busy_avx2 found
 * busy, so it may be slow; it makes its own constants, so that the loop
 * calling it keeps its own in registers.
 */
__attribute__((target("avx2"), noinline)) static bool block_avx2(const unsigned char *p, size_t b,
								 struct vscan *st)
{
	struct vconst k;
	__m256i lo, hi, err, fl, fh;

	vconst_init(&k);
	lo = _mm256_loadu_si256((const __m256i *)p);
	hi = _mm256_loadu_si256((const __m256i *)(p + 32));
	err = _mm256_or_si256(half_errors(&k, p, lo, &fl), half_errors(&k, p + 32, hi, &fh));
	if (!_mm256_testz_si256(err, err) && st->bad == SIZE_MAX)
		st->bad = b;
	st->m = (uint32_t)_mm256_movemask_epi8(ascii_digits(&k, lo)) |
		(uint64_t)(uint32_t)_mm256_movemask_epi8(ascii_digits(&k, hi)) << 32;
	st->f = (uint32_t)_mm256_movemask_epi8(fl) | (uint64_t)(uint32_t)_mm256_movemask_epi8(fh)
							 << 32;
	return st->m || st->f;
}

/*
 * Nonzero where the 32 bytes in at p may hold a UTF-8 error or a digit:
 * half_errors without its full-width digits, and a single range test per
 * byte instead: 90-99 where the byte two before is EF (the last byte of a
 * full-width digit, or rarely of EF BD 90-99, EF BE 90-99 and the like),
 * 30-39 elsewhere. An ASCII digit two after an EF is a UTF-8 error, which
 * makes the block busy anyway.
 */
__attribute__((target("avx2"), always_inline)) static inline __m256i
half_busy(const struct vconst *k, const unsigned char *p, __m256i in)
{
	const __m256i p1 = _mm256_loadu_si256((const __m256i *)(p - 1));
	const __m256i p2 = _mm256_loadu_si256((const __m256i *)(p - 2));
	const __m256i p3 = _mm256_loadu_si256((const __m256i *)(p - 3));
	__m256i sc, must, bias;

	sc = _mm256_and_si256(
	    _mm256_and_si256(
		_mm256_shuffle_epi8(k->t_hi1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), k->nib)),
		_mm256_shuffle_epi8(k->t_lo1, _mm256_and_si256(p1, k->nib))),
	    _mm256_shuffle_epi8(k->t_hi2, _mm256_and_si256(_mm256_srli_epi16(in, 4), k->nib)));
	must = _mm256_and_si256(
	    _mm256_or_si256(_mm256_subs_epu8(p2, k->third), _mm256_subs_epu8(p3, k->fourth)),
	    k->hibit);
	bias = _mm256_blendv_epi8(k->dig_bias, k->fw_bias, _mm256_cmpeq_epi8(p2, k->ef));
	return _mm256_or_si256(_mm256_xor_si256(sc, must), in_range(k, in, bias));
}

/*
 * True when the 64 bytes at p (the 32 before p are read too) may hold a
 * UTF-8 error or a digit. An all-ASCII block can only be wrong through a
 * sequence left unfinished before it, so only its digits are looked for.
 */
__attribute__((target("avx2"), always_inline)) static inline bool
block_busy_avx2(const struct vconst *k, const unsigned char *p)
{
	__m256i lo, hi, any;

	lo = _mm256_loadu_si256((const __m256i *)p);
	hi = _mm256_loadu_si256((const __m256i *)(p + 32));
	if (__builtin_expect(!_mm256_movemask_epi8(_mm256_or_si256(lo, hi)), 0))
		any = _mm256_or_si256(
		    _mm256_or_si256(ascii_digits(k, lo), ascii_digits(k, hi)),
		    _mm256_subs_epu8(_mm256_loadu_si256((const __m256i *)(p - 32)), k->unfinished));
	else
		any = _mm256_or_si256(half_busy(k, p, lo), half_busy(k, p + 32, hi));
	return !_mm256_testz_si256(any, any);
}

/*
 * Go through the full blocks from st->b (at least 64) up to end (a
 * multiple of 64): true at the first that holds digits (st->b its
 * offset, st->m and st->f set), false when there is none (st->b == end).
 * Kept apart from the reading of runs, and calling block_avx2 only for
 * busy blocks, so that the loop keeps its constants in registers.
 */
__attribute__((target("avx2"), noinline)) static bool next_digits_avx2(const unsigned char *s,
								       size_t end, struct vscan *st)
{
	struct vconst k;
	size_t b;

	vconst_init(&k);
	for (b = st->b; b < end; b += 64)
		if (__builtin_expect(block_busy_avx2(&k, s + b), 0) && block_avx2(s + b, b, st)) {
			st->b = b;
			return true;
		}
	st->b = end;
	return false;
}

/*
 * The block at st->b from a copy: the first block (with NULs before it)
 * or the last (the rest of s, possibly nothing, with NULs after it, so
 * that a sequence cut short by the end fails on them).
 */
__attribute__((target("avx2"), noinline)) static bool copy_digits_avx2(const unsigned char *s,
								       size_t n, struct vscan *st)
{
	unsigned char tmp[32 + 64];
	size_t b = st->b, len = n - b < 64 ? n - b : 64;
	struct vconst k;

	vconst_init(&k);
	memset(tmp, 0, sizeof(tmp));
	if (b >= 32)
		memcpy(tmp, s + b - 32, 32);
	if (len)
		memcpy(tmp + 32, s + b, len);
	return block_avx2(tmp + 32, b, st);
}

/*
 * One pass over s in 64-byte blocks: each block is checked for UTF-8
 * validity, and the digits that start in it (or, full-width ones, end in
 * it) are read as runs in input order; a run may reach into later blocks,
 * whose digits before its end are then passed over. The first block and
 * the last (short or empty) are read from a copy. Returns the offset of
 * the first block that held a UTF-8 error (n for the empty last block when
 * the input ends with a cut sequence and its length is a multiple of 64),
 * or SIZE_MAX when there was none.
 */
__attribute__((target("avx2"))) static size_t scan_avx2(const unsigned char *s, size_t n,
							struct mng_mn_result *r,
							struct mng_mn_match *matches,
							size_t max_matches)
{
	struct vscan st = {.b = 0, .bad = SIZE_MAX};
	size_t full = n & ~(size_t)63, i = 0, b, k;
	uint64_t m;
	bool hit;

	for (;;) {
		b = st.b;
		if (b == 0 || b == full) {
			hit = copy_digits_avx2(s, n, &st);
		} else {
			hit = next_digits_avx2(s, full, &st);
			b = st.b;
			if (!hit)
				continue; /* on to the last block */
		}
		if (hit) {
			/* A full-width digit ending at b or b + 1 starts in the block before. */
			for (k = 0; k < 2; k++)
				if ((st.f >> k & 1) && b + k >= i + 2)
					i = take_run(s, n, b + k - 2, r, matches, max_matches);
			m = st.m | st.f >> 2;
			while (m && i < b + 64) {
				if (i > b)
					m &= ~0ull << (i - b);
				if (!m)
					break;
				k = (size_t)__builtin_ctzll(m);
				i = take_run(s, n, b + k, r, matches, max_matches);
			}
		}
		if (b == full)
			break;
		st.b = b + 64;
	}
	return st.bad;
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
		size_t p, k;

		p = scan_avx2(s, len, &r, matches, max_matches);
		if (p != SIZE_MAX) {
			/*
			 * Every block before p passed, so the text before it is
			 * valid but for a sequence the block's start may cut:
			 * look for the first invalid byte the slow way from the
			 * last byte before p that is not a continuation.
			 */
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
