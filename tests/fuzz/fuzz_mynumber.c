// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_mynumber.c - arbitrary bytes through mng_mynumber_scan, checked
 * against a slow reference written here from the definition in
 * mynumber.h: the input is decoded one character at a time with
 * mng_utf8_len (an invalid byte is one "other" character), runs are
 * gathered character by character, and check digits come from
 * mng_mynumber_*_valid. Both must find the same matches (offset, length,
 * kind, keyword), the same counts, and the same first invalid byte. The
 * scan must neither crash nor read outside the input (ASan).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mynumber.h"
#include "utf8.h"

#define MAXM 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The code point of the character at s[i] (width to *w), or -1 for an invalid byte. */
static long decode(const uint8_t *s, size_t n, size_t i, size_t *w)
{
	size_t l = mng_utf8_len(s + i, n - i), k;
	long cp;

	*w = l ? l : 1;
	if (!l)
		return -1;
	if (l == 1)
		return s[i];
	cp = s[i] & (0xff >> (l + 1));
	for (k = 1; k < l; k++)
		cp = cp << 6 | (s[i + k] & 0x3f);
	return cp;
}

static int ref_digit(long cp)
{
	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp >= 0xff10 && cp <= 0xff19)
		return (int)(cp - 0xff10);
	return -1;
}

static bool ref_sep(long cp)
{
	static const long seps[] = {0x20,   0x2d,   0x2e,   0xa0,   0x2010, 0x2011, 0x2012,
				    0x2013, 0x2212, 0x3000, 0x30fc, 0xff0d, 0xff0e};
	size_t k;

	for (k = 0; k < sizeof(seps) / sizeof(seps[0]); k++)
		if (cp == seps[k])
			return true;
	return false;
}

static bool ref_keyword(const uint8_t *s, size_t n, size_t off, size_t end)
{
	static const char *const kws[] = {"個人番号", "マイナンバー", "法人番号"};
	size_t k, p, kl;

	for (k = 0; k < 3; k++) {
		kl = strlen(kws[k]);
		for (p = 0; p + kl <= n; p++)
			if (!memcmp(s + p, kws[k], kl) && p < end + MNG_MN_KEYWORD_WINDOW &&
			    p + kl + MNG_MN_KEYWORD_WINDOW > off)
				return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mng_mn_match got[MAXM], want[MAXM];
	size_t n = 0, i, w, w2, w3, start, end, nd, first_bad = size;
	struct mng_mn_result r;
	long cp, cp2, cp3, before = -2;
	char d[14], d2[14];
	int v;

	if (mng_mynumber_scan((const char *)data, size, &r, got, MAXM) != 0)
		abort();

	/* The reference, one character at a time. */
	for (i = 0; i < size;) {
		cp = decode(data, size, i, &w);
		if (cp < 0 && first_bad == size)
			first_bad = i;
		if (ref_digit(cp) < 0) {
			before = cp;
			i += w;
			continue;
		}
		start = i;
		nd = 0;
		for (;;) {
			if (nd < 13)
				d[nd] = (char)('0' + ref_digit(cp));
			nd++;
			end = i + w;
			if (end >= size)
				break;
			cp2 = decode(data, size, end, &w2);
			if (ref_digit(cp2) >= 0) {
				i = end, cp = cp2, w = w2;
				continue;
			}
			if (ref_sep(cp2) && end + w2 < size) {
				cp3 = decode(data, size, end + w2, &w3);
				if (ref_digit(cp3) >= 0) {
					i = end + w2, cp = cp3, w = w3;
					continue;
				}
			}
			break;
		}
		d[nd < 13 ? nd : 13] = '\0';
		if (before != '+' && before != 0xff0b && (nd == 12 || nd == 13)) {
			v = nd == 12 ? mng_mynumber_individual_valid(d)
				     : mng_mynumber_corporate_valid(d);
			if (v && n < MAXM)
				want[n] = (struct mng_mn_match){
				    .off = start,
				    .len = end - start,
				    .kind = nd == 12 ? MNG_MN_INDIVIDUAL : MNG_MN_CORPORATE,
				    .keyword = ref_keyword(data, size, start, end)};
			n += v;
		}
		before = -2; /* the last digit */
		i = end;
	}

	if (r.individual + r.corporate != n || r.invalid_utf8 != (first_bad < size))
		abort();
	if (r.invalid_utf8 && r.first_invalid != first_bad)
		abort();
	for (i = 0; i < n && i < MAXM; i++) {
		if (got[i].off != want[i].off || got[i].len != want[i].len ||
		    got[i].kind != want[i].kind || got[i].keyword != want[i].keyword)
			abort();
		if (mng_mynumber_digits((const char *)data, size, &got[i], d2) !=
		    (got[i].kind == MNG_MN_INDIVIDUAL ? 12 : 13))
			abort();
		if (got[i].kind == MNG_MN_INDIVIDUAL ? !mng_mynumber_individual_valid(d2)
						     : !mng_mynumber_corporate_valid(d2))
			abort();
	}
	return 0;
}
