// SPDX-License-Identifier: GPL-2.0-or-later
/* test_mynumber.c - the individual/corporate number detector (lib/mynumber). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mynumber.h"
#include "helpers/testdata.h"
#include "utf8.h"

#define MAXM 64

struct scan {
	struct mng_mn_result r;
	struct mng_mn_match m[MAXM];
	size_t n; /* matches found */
};

static void scan_n(const char *text, size_t len, struct scan *s)
{
	memset(s, 0xa5, sizeof(*s));
	assert_int_equal(mng_mynumber_scan(text, len, &s->r, s->m, MAXM), 0);
	s->n = s->r.individual + s->r.corporate;
}

static void scan(const char *text, struct scan *s)
{
	scan_n(text, strlen(text), s);
}

/* Number of matches in text (asserting valid UTF-8). */
static size_t count(const char *text)
{
	struct scan s;

	scan(text, &s);
	assert_false(s.r.invalid_utf8);
	return s.n;
}

/* The digits of match k of s over text. */
static const char *digits_of(const char *text, size_t len, const struct scan *s, size_t k)
{
	static char d[14];

	assert_true(k < s->n);
	assert_true(mng_mynumber_digits(text, len, &s->m[k], d) >= 12);
	return d;
}

/* ---- the shared vectors ---- */

static void test_vectors(void **state)
{
	char *data, *line, *save = NULL, kind[16], input[32], valid[8], text[256];
	size_t rows = 0, yes = 0, l;
	struct scan s;
	bool ok;

	data = test_data_read("tests/data/mynumber-vectors.tsv", NULL);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%15s %31s %7s", kind, input, valid), 3);
		l = strlen(input);
		ok = !strcmp(valid, "yes");
		if (!strcmp(kind, "individual")) {
			assert_int_equal(l == 12 && mng_mynumber_individual_valid(input), ok);
		} else {
			assert_string_equal(kind, "corporate");
			assert_int_equal(l == 13 && mng_mynumber_corporate_valid(input), ok);
		}
		/* The bare digits, and the same inside Japanese text. */
		scan(input, &s);
		assert_int_equal(!strcmp(kind, "individual") ? s.r.individual : s.r.corporate, ok);
		if (ok) {
			assert_int_equal(s.n, 1);
			assert_int_equal(s.m[0].off, 0);
			assert_int_equal(s.m[0].len, l);
			assert_string_equal(digits_of(input, l, &s, 0), input);
			assert_false(s.m[0].keyword);
		}
		snprintf(text, sizeof(text), "申請者の番号は%sです。", input);
		scan(text, &s);
		assert_int_equal(!strcmp(kind, "individual") ? s.r.individual : s.r.corporate, ok);
		if (ok)
			assert_int_equal(s.m[0].off, strlen("申請者の番号は"));
		rows++;
		yes += ok;
	}
	free(data);
	assert_int_equal(rows, 71);
	assert_int_equal(yes, 39);
}

static void test_check_digit_functions(void **state)
{
	assert_true(mng_mynumber_individual_valid("123456789018"));
	assert_false(mng_mynumber_individual_valid("123456789019"));
	assert_false(mng_mynumber_individual_valid("12345678901a"));
	assert_false(mng_mynumber_individual_valid("１２３４５６"));
	assert_false(mng_mynumber_individual_valid(NULL));
	assert_true(mng_mynumber_corporate_valid("7123456789012"));
	assert_false(mng_mynumber_corporate_valid("8123456789012"));
	assert_false(mng_mynumber_corporate_valid("712345678901 "));
	assert_false(mng_mynumber_corporate_valid(NULL));
	/* Remainder 0 and 1 give check digit 0. */
	assert_true(mng_mynumber_individual_valid("000000000000"));
	assert_true(mng_mynumber_individual_valid("123456789000"));
	assert_string_equal(mng_mn_kind_name(MNG_MN_INDIVIDUAL), "individual");
	assert_string_equal(mng_mn_kind_name(MNG_MN_CORPORATE), "corporate");
	assert_string_equal(mng_mn_kind_name(MNG_MN_NONE), "none");
}

/* Every individual number with eleven equal digits: exactly one check digit fits. */
static void test_one_check_digit_each(void **state)
{
	char d[13];
	int a, c, n;

	for (a = 0; a < 10; a++) {
		n = 0;
		for (c = 0; c < 10; c++) {
			memset(d, '0' + a, 11);
			d[11] = (char)('0' + c);
			d[12] = 0;
			n += mng_mynumber_individual_valid(d);
		}
		assert_int_equal(n, 1);
	}
}

/* ---- realistic text ---- */

static const char juminhyo[] = "住民票の写し\n"
			       "氏名　山田　花子　　生年月日　昭和55年4月1日　性別　女\n"
			       "住所　東京都千代田区霞が関1丁目2番3号　〒100-0013\n"
			       "世帯主　山田　太郎　　続柄　妻\n"
			       "住民となった年月日　平成22年10月1日\n"
			       "個人番号　123456789018\n"
			       "住民票コード　12345678901\n"
			       "上記のとおり住民票に記載されていることを証明する。\n"
			       "令和8年11月26日　千代田区長　印\n";

static void test_juminhyo_paragraph(void **state)
{
	struct scan s;

	scan(juminhyo, &s);
	assert_false(s.r.invalid_utf8);
	assert_int_equal(s.r.individual, 1);
	assert_int_equal(s.r.corporate, 0);
	assert_int_equal(s.r.keyword_near, 1);
	assert_true(s.m[0].keyword);
	assert_int_equal(s.m[0].kind, MNG_MN_INDIVIDUAL);
	assert_memory_equal(juminhyo + s.m[0].off, "123456789018", 12);
}

static void test_form_full_width(void **state)
{
	const char *t = "申請書\n個人番号：１２３４ ５６７８ ９０１８\n氏名：マイナ　太郎\n";
	struct scan s;

	scan(t, &s);
	assert_int_equal(s.r.individual, 1);
	assert_true(s.m[0].keyword);
	assert_int_equal(s.m[0].off, strlen("申請書\n個人番号："));
	assert_int_equal(s.m[0].len, 12 * 3 + 2);
	assert_string_equal(digits_of(t, strlen(t), &s, 0), "123456789018");
	/* The same with the full-width space and a wrong check digit. */
	assert_int_equal(count("個人番号：１２３４　５６７８　９０１８"), 1);
	assert_int_equal(count("個人番号：１２３４　５６７８　９０１７"), 0);
}

static void test_corporate_and_invoice_numbers(void **state)
{
	struct scan s;

	scan("法人番号 7000012050002（国税庁）", &s);
	assert_int_equal(s.r.corporate, 1);
	assert_true(s.m[0].keyword);
	assert_int_equal(s.m[0].kind, MNG_MN_CORPORATE);
	/* An invoice registration number is T and the corporate number. */
	scan("適格請求書発行事業者 登録番号：T7123456789012", &s);
	assert_int_equal(s.r.corporate, 1);
	assert_false(s.m[0].keyword);
	assert_int_equal(count("7-1234-5678-9012"), 1);
	assert_int_equal(count("7123 4567 89012"), 1);
}

static void test_not_numbers(void **state)
{
	static const char *const texts[] = {
	    /* phone numbers */
	    "電話 03-1234-5678",
	    "携帯 090-1234-5678",
	    "+81-90-1234-5678",
	    "+81 3 1234 5678",
	    "+819012345670 / ＋８１ ９０ １２３４ ５６７０",
	    "TEL:0120-123-456 FAX:03-1234-5679",
	    /* dates */
	    "2026-11-26",
	    "令和8年11月26日",
	    "2026.11.26 10:30",
	    "2026年11月26日(木)",
	    /* amounts with commas and postcodes */
	    "1,234,567,890,123円",
	    "123,456,789,018",
	    "〒100-0013 東京都千代田区霞が関1-2-3",
	    "〒１００－０００１",
	    /* a valid number inside a longer run */
	    "1234567890181",
	    "9123456789018",
	    "口座番号 12345678901812345",
	    "1 2 3 4 5 6 7 8 9 0 1 8 7",
	    "1234-5678-9018-0",
	    "71234567890123",
	    "７１２３４５６７８９０１２３",
	    /* two separators in a row, or a separator that is not one */
	    "1234  5678  9018",
	    "1234 - 5678 - 9018",
	    "1234,5678,9018",
	    "1234/5678/9018",
	    "1234:5678:9018",
	    "1234\t5678\t9018",
	    "1234\n5678\n9018",
	    "1234_5678_9018",
	    "1234\xe2\x80\x94"
	    "5678\xe2\x80\x94"
	    "9018", /* U+2014 em dash */
	    "1234\xef\xbc\x8c"
	    "5678\xef\xbc\x8c"
	    "9018", /* U+FF0C full-width comma */
	    /* digits that are not ours */
	    "一二三四五六七八九〇一八",
	    "\xd9\xa1\xd9\xa2\xd9\xa3", /* Arabic-Indic */
	    "",
	    "0",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (count(texts[i]) != 0)
			fail_msg("text %zu \"%s\" matched", i, texts[i]);
	}
}

static const char *const seps[] = {
    " ",      "-",	".",	  "\u00a0", "\u2010", "\u2011", "\u2012",
    "\u2013", "\u2212", "\u3000", "\u30fc", "\uff0d", "\uff0e",
};

static void test_every_separator(void **state)
{
	char t[128];
	struct scan s;
	size_t i, sl;

	for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		sl = strlen(seps[i]);
		snprintf(t, sizeof(t), "番号:1234%s5678%s9018。", seps[i], seps[i]);
		scan(t, &s);
		assert_int_equal(s.r.individual, 1);
		assert_int_equal(s.m[0].off, strlen("番号:"));
		assert_int_equal(s.m[0].len, 12 + 2 * sl);
		assert_string_equal(digits_of(t, strlen(t), &s, 0), "123456789018");
		/* Two of them in a row end the run. */
		snprintf(t, sizeof(t), "1234%s%s5678%s9018", seps[i], seps[i], seps[i]);
		assert_int_equal(count(t), 0);
		/* Separators before and after do not belong to it. */
		snprintf(t, sizeof(t), "%s123456789018%s", seps[i], seps[i]);
		scan(t, &s);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.m[0].off, sl);
		assert_int_equal(s.m[0].len, 12);
		/* A digit after one separator joins the run: 13 digits. */
		snprintf(t, sizeof(t), "123456789018%s5", seps[i]);
		assert_int_equal(count(t), 0);
		snprintf(t, sizeof(t), "5%s123456789018", seps[i]);
		assert_int_equal(count(t), 0);
		/* Mixed separators. */
		snprintf(t, sizeof(t), "1234%s5678-9018", seps[i]);
		assert_int_equal(count(t), 1);
	}
}

static void test_groupings_and_mixed_width(void **state)
{
	static const char *const texts[] = {
	    "123456789018",	  "1234 5678 9018",	      "123456-789018",
	    "123-456-789-018",	  "12.34.56.78.90.18",	      "1 2 3 4 5 6 7 8 9 0 1 8",
	    "1234567 89018",	  "１２３４５６７８９０１８", "１２３４ー５６７８ー９０１８",
	    "1２3４5６7８9０1８", "１２３４-5678－９０１８",  "1234\u00a05678\u30009018",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct scan s;

		scan(texts[i], &s);
		if (s.r.individual != 1)
			fail_msg("text %zu \"%s\": %zu matches", i, texts[i], s.r.individual);
		assert_int_equal(s.m[0].off, 0);
		assert_int_equal(s.m[0].len, strlen(texts[i]));
		assert_string_equal(digits_of(texts[i], strlen(texts[i]), &s, 0), "123456789018");
	}
}

static void test_several_matches_in_order(void **state)
{
	const char *t = "個人番号 123456789018、法人番号 7123456789012、"
			"マイナンバー 234567890121 と 1234567890 と 987654321093";
	struct scan s;

	scan(t, &s);
	assert_int_equal(s.r.individual, 3);
	assert_int_equal(s.r.corporate, 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.m[0].kind, MNG_MN_INDIVIDUAL);
	assert_int_equal(s.m[1].kind, MNG_MN_CORPORATE);
	assert_string_equal(digits_of(t, strlen(t), &s, 1), "7123456789012");
	assert_string_equal(digits_of(t, strlen(t), &s, 3), "987654321093");
	assert_true(s.m[0].off < s.m[1].off && s.m[1].off < s.m[2].off && s.m[2].off < s.m[3].off);
}

/* Counts cover every match; only max_matches are written. */
static void test_max_matches(void **state)
{
	const char *t = "123456789018、234567890121、123456789000、7123456789012";
	struct mng_mn_match m[3];
	struct mng_mn_result r;

	memset(m, 0x5a, sizeof(m));
	assert_int_equal(mng_mynumber_scan(t, strlen(t), &r, m, 2), 0);
	assert_int_equal(r.individual, 3);
	assert_int_equal(r.corporate, 1);
	assert_int_equal(m[1].off, 15);
	assert_int_equal(m[2].off, 0x5a5a5a5a5a5a5a5aull); /* untouched */
	assert_int_equal(mng_mynumber_scan(t, strlen(t), &r, NULL, 0), 0);
	assert_int_equal(r.individual, 3);
}

static void test_keyword_window(void **state)
{
	char t[512];
	struct scan s;
	size_t gap;

	/* A keyword that ends exactly W bytes before the number is near; one byte further is not.
	 */
	for (gap = MNG_MN_KEYWORD_WINDOW - 2; gap <= MNG_MN_KEYWORD_WINDOW + 2; gap++) {
		snprintf(t, sizeof(t), "個人番号%*s123456789018", (int)gap, "");
		/* the keyword's last byte lies gap + 1 bytes before the number */
		scan(t, &s);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.m[0].keyword, gap + 1 <= MNG_MN_KEYWORD_WINDOW);
		assert_int_equal(s.r.keyword_near, gap + 1 <= MNG_MN_KEYWORD_WINDOW);
		/* and after the number */
		snprintf(t, sizeof(t), "123456789018%*sマイナンバー", (int)gap, "");
		scan(t, &s);
		assert_int_equal(s.m[0].keyword, gap + 1 <= MNG_MN_KEYWORD_WINDOW);
	}
	scan("個人番号ではなく 電話 123456789018", &s);
	assert_true(s.m[0].keyword);
	scan("マイナンバ 123456789018 法人番", &s); /* cut keywords do not count */
	assert_false(s.m[0].keyword);
}

/* ---- bad input ---- */

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *t;
		size_t len, first_invalid, matches;
	} cases[] = {
	    {"\xff", 1, 0, 0},
	    {"abc\x80", 4, 3, 0},
	    {"123456789018\xff", 13, 12, 1},
	    {"\xc0\xb1"
	     "23456789018",
	     13, 0, 0}, /* overlong '1' is no digit */
	    {"1234\xff"
	     "5678"
	     "9018",
	     13, 4, 0},
	    {"1234\xef\xbc"
	     "5678"
	     "9018",
	     14, 4, 0}, /* cut full-width character */
	    {"\xe3\x81"
	     "123456789018",
	     14, 0, 1},					 /* cut sequence before */
	    {"123456789018\xe3\x81", 14, 12, 1},	 /* cut at the end */
	    {"\xed\xa0\x80 123456789018", 16, 0, 1},	 /* surrogate */
	    {"\xf4\x90\x80\x80 123456789018", 17, 0, 1}, /* past U+10FFFF */
	    {"\xe0\x80\xb1", 3, 0, 0},			 /* overlong */
	    {"\x82\x50\x82\x51 123456789018", 17, 0, 1}, /* Shift_JIS "１２" */
	    {"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"
	     "\xef\xbc\x97\xef\xbc\x98\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91\xef\xbc\x98\xfe",
	     37, 36, 1},
	};
	struct scan s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_n(cases[i].t, cases[i].len, &s);
		if (!s.r.invalid_utf8 || s.r.first_invalid != cases[i].first_invalid ||
		    s.n != cases[i].matches)
			fail_msg("case %zu: invalid %d at %zu, %zu matches", i, s.r.invalid_utf8,
				 s.r.first_invalid, s.n);
	}
}

/* Offset of the first invalid sequence the slow way (mng_utf8_len), or n. */
static size_t ref_first_invalid(const unsigned char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		l = mng_utf8_len(s + i, n - i);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

/*
 * Every sequence of two bytes and every three bytes starting with a lead
 * byte, after a prefix that puts it across a 32- or 64-byte block boundary
 * or not,
 * is judged as mng_utf8_len judges it, with the same first invalid offset.
 */
static void test_utf8_matches_reference(void **state)
{
	static const size_t prefixes[] = {0, 29, 30, 31, 61, 62, 63};
	unsigned char buf[128];
	struct mng_mn_result r;
	unsigned a, b, c;
	size_t p, pre, n, want;

	for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		pre = prefixes[p];
		memset(buf, 'x', sizeof(buf));
		for (a = 0x80; a < 256; a++)
			for (b = 0; b < 256; b++)
				for (c = 0; c < (a >= 0xe0 ? 256u : 1u); c++) {
					buf[pre] = (unsigned char)a;
					buf[pre + 1] = (unsigned char)b;
					buf[pre + 2] = (unsigned char)c;
					n = pre + (a >= 0xe0 ? 3 : 2) + (c & 1) * 40;
					want = ref_first_invalid(buf, n);
					assert_int_equal(
					    mng_mynumber_scan((const char *)buf, n, &r, NULL, 0),
					    0);
					if (r.invalid_utf8 != (want < n) ||
					    (want < n && r.first_invalid != want))
						fail_msg(
						    "%02x %02x %02x at %zu (n %zu): %d %zu, want "
						    "%zu",
						    a, b, c, pre, n, r.invalid_utf8,
						    r.first_invalid, want);
				}
	}
}

/* Random bytes biased towards UTF-8 leads and continuations, against the reference. */
static void test_utf8_random(void **state)
{
	static const unsigned char pool[] = {'1',  ' ',	 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc2,
					     0xdf, 0xe0, 0xe3, 0xed, 0xef, 0xf0, 0xf4, 0xf5};
	unsigned char buf[300];
	struct mng_mn_result r;
	uint64_t x = 88172645463325252ull;
	size_t i, k, n, want;

	for (k = 0; k < 200000; k++) {
		n = k % sizeof(buf);
		for (i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (x >> 40) % 4 ? (unsigned char)"個人番号"[(x >> 8) % 12]
					       : pool[(x >> 20) % sizeof(pool)];
		}
		want = ref_first_invalid(buf, n);
		assert_int_equal(mng_mynumber_scan((const char *)buf, n, &r, NULL, 0), 0);
		assert_int_equal(r.invalid_utf8, want < n);
		if (want < n)
			assert_int_equal(r.first_invalid, want);
	}
}

/*
 * Put text at byte offset pos of buf: whole characters of fill (cycled)
 * and then 'x' up to pos, text, then whole characters of fill for at least
 * after bytes more. Returns the length.
 */
static size_t place(char *buf, const char *fill, size_t pos, const char *text, size_t after)
{
	size_t len = 0, fl = strlen(fill), f = 0, w;

	for (;;) {
		w = mng_utf8_len((const unsigned char *)fill + f, fl - f);
		assert_true(w > 0);
		if (len + w > pos)
			break;
		memcpy(buf + len, fill + f, w);
		len += w;
		f = (f + w) % fl;
	}
	memset(buf + len, 'x', pos - len);
	len = pos;
	memcpy(buf + len, text, strlen(text));
	len += strlen(text);
	for (f = 0; after > 0; after -= w < after ? w : after) {
		w = mng_utf8_len((const unsigned char *)fill + f, fl - f);
		memcpy(buf + len, fill + f, w);
		len += w;
		f = (f + w) % fl;
	}
	return len;
}

/*
 * A number of each spelling at every offset across the first blocks of the
 * vector scan (64 bytes each), inside fillers that exercise it: Japanese
 * prose, ASCII, full-width brackets (EF BC 88) and letters or half-width
 * katakana whose last byte is 90-99 two after an EF (EF BD 99, EF BE 95),
 * which look like full-width digits to its first test. Also with the input
 * ending right after the number.
 */
static void test_block_edges(void **state)
{
	static const char *const fills[] = {
	    "住民基本台帳の事務、",
	    "abc def. ",
	    "（第五条）：",
	    "\xef\xbd\x99\xef\xbe\x95\xef\xbd\x90ｱ",
	};
	static const struct {
		const char *t;
		enum mng_mn_kind kind;
	} nums[] = {
	    {"123456789018", MNG_MN_INDIVIDUAL},
	    {"１２３４５６７８９０１８", MNG_MN_INDIVIDUAL},
	    {"1２3４-5６7８ 9０1８", MNG_MN_INDIVIDUAL},
	    {"１２３４－５６７８－９０１８", MNG_MN_INDIVIDUAL},
	    {"7123\xe3\x80\x80"
	     "4567\xe3\x80\x80"
	     "89012",
	     MNG_MN_CORPORATE},
	    {"７１２３４５６７８９０１２", MNG_MN_CORPORATE},
	};
	char buf[512];
	size_t f, k, pos, len, after;
	struct scan s;

	for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++)
		for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
			for (pos = 0; pos < 200; pos++)
				for (after = 0; after <= 70; after += 70) {
					len = place(buf, fills[f], pos, nums[k].t, after);
					scan_n(buf, len, &s);
					if (s.r.invalid_utf8 || s.n != 1 || s.m[0].off != pos ||
					    s.m[0].len != strlen(nums[k].t) ||
					    s.m[0].kind != nums[k].kind)
						fail_msg("fill %zu number %zu at %zu (+%zu): "
							 "invalid %d, "
							 "%zu matches, first at %zu",
							 f, k, pos, after, s.r.invalid_utf8, s.n,
							 s.n ? s.m[0].off : 0);
				}
}

/*
 * An invalid byte or a cut sequence at every offset across the first
 * blocks, after Japanese prose or ASCII, with a number after it: the first
 * invalid offset is exact and the number is still found.
 */
static void test_invalid_at_block_edges(void **state)
{
	static const char *const fills[] = {"住民基本台帳の事務、", "abc def. "};
	static const struct {
		const char *t;
		size_t num; /* offset of the number in t */
	} bad[] = {
	    {"\xff 123456789018", 2},
	    {"\xe3\x81 123456789018", 3},
	    {"\xef\xbc"
	     "123456789018",
	     2}, /* an ASCII digit two after EF */
	    {"\xc0\xb1 123456789018", 3},
	    {"\xed\xa0\x80 123456789018", 4},
	    {"\x80 １２３４５６７８９０１８", 2},
	};
	char buf[512];
	size_t f, k, pos, len;
	struct scan s;

	for (f = 0; f < sizeof(fills) / sizeof(fills[0]); f++)
		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
			for (pos = 0; pos < 200; pos++) {
				len = place(buf, fills[f], pos, bad[k].t, 40);
				scan_n(buf, len, &s);
				if (!s.r.invalid_utf8 || s.r.first_invalid != pos || s.n != 1 ||
				    s.m[0].off != pos + bad[k].num)
					fail_msg("fill %zu case %zu at %zu: invalid %d at %zu, %zu "
						 "matches",
						 f, k, pos, s.r.invalid_utf8, s.r.first_invalid,
						 s.n);
				/* The input ending inside the bad sequence or number. */
				len = pos + bad[k].num - 1;
				scan_n(buf, len, &s);
				if (!s.r.invalid_utf8 || s.r.first_invalid != pos || s.n != 0)
					fail_msg("fill %zu case %zu cut at %zu: invalid %d at %zu",
						 f, k, len, s.r.invalid_utf8, s.r.first_invalid);
			}
}

static void test_nul_bytes(void **state)
{
	static const char t[] = "\0"
				"123456789018"
				"\0"
				"1234\0"
				"56789018"
				"\0\0"
				"7123456789012";
	struct scan s;

	scan_n(t, sizeof(t) - 1, &s);
	assert_false(s.r.invalid_utf8);
	assert_int_equal(s.r.individual, 1);
	assert_int_equal(s.r.corporate, 1);
	assert_int_equal(s.m[0].off, 1);
	assert_int_equal(s.m[1].off, sizeof(t) - 1 - 13);
}

static void test_api_errors(void **state)
{
	struct mng_mn_result r = {.individual = 77};
	struct mng_mn_match m[1];
	char d[14];

	assert_int_equal(mng_mynumber_scan("1", 1, NULL, NULL, 0), -EINVAL);
	assert_int_equal(mng_mynumber_scan(NULL, 1, &r, NULL, 0), -EINVAL);
	assert_int_equal(mng_mynumber_scan("1", 1, &r, NULL, 1), -EINVAL);
	/* The length is refused before a byte is read. */
	assert_int_equal(mng_mynumber_scan("1", MNG_MN_INPUT_MAX + 1, &r, m, 1), -E2BIG);
	assert_int_equal(r.individual, 77); /* not written on failure */
	assert_int_equal(mng_mynumber_scan(NULL, 0, &r, NULL, 0), 0);
	assert_int_equal(r.individual, 0);
	assert_false(r.invalid_utf8);

	m[0] = (struct mng_mn_match){.off = 2, .len = 12};
	assert_int_equal(mng_mynumber_digits("x 123456789018", 14, &m[0], d), 12);
	assert_string_equal(d, "123456789018");
	m[0].off = 3;
	assert_int_equal(mng_mynumber_digits("x 123456789018", 15, &m[0], d), -EINVAL);
	m[0] = (struct mng_mn_match){.off = 0, .len = 5};
	assert_int_equal(mng_mynumber_digits("12345", 5, &m[0], d), -EINVAL);
	m[0] = (struct mng_mn_match){.off = 0, .len = 13};
	assert_int_equal(mng_mynumber_digits("12345a7890123", 13, &m[0], d), -EINVAL);
	m[0] = (struct mng_mn_match){.off = SIZE_MAX, .len = 2};
	assert_int_equal(mng_mynumber_digits("12", 2, &m[0], d), -EINVAL);
	assert_int_equal(mng_mynumber_digits(NULL, 2, &m[0], d), -EINVAL);
}

/* 16 MiB of prose with numbers about every 4 KiB (across block edges too), then digits only. */
static void test_16mib(void **state)
{
	const size_t len = 16u << 20;
	const char *fill = "住民基本台帳の事務、", *t;
	size_t i, pos = 0, next = 4093, placed = 0, fl = strlen(fill), *want;
	struct mng_mn_match *m;
	struct mng_mn_result r;
	char *buf;

	buf = malloc(len);
	want = calloc(len / 4096 + 1, sizeof(*want));
	m = calloc(len / 4096 + 1, sizeof(*m));
	assert_true(buf && want && m);
	while (pos + 64 < len) {
		if (pos < next) {
			memcpy(buf + pos, fill, fl);
			pos += fl;
			continue;
		}
		t = placed % 2 ? "（１２３４ ５６７８ ９０１８）" : " 123456789018 ";
		want[placed] = pos + (placed % 2 ? 3 : 1);
		placed++;
		memcpy(buf + pos, t, strlen(t));
		pos += strlen(t);
		next += 4096;
	}
	memset(buf + pos, '\n', len - pos);
	assert_int_equal(mng_mynumber_scan(buf, len, &r, m, placed), 0);
	assert_false(r.invalid_utf8);
	assert_int_equal(r.individual, placed);
	assert_int_equal(r.corporate, 0);
	for (i = 0; i < placed; i++)
		assert_int_equal(m[i].off, want[i]);

	/* 16 MiB of digits: one run, no match. */
	memset(buf, '7', len);
	assert_int_equal(mng_mynumber_scan(buf, len, &r, m, placed), 0);
	assert_int_equal(r.individual + r.corporate, 0);
	assert_false(r.invalid_utf8);
	/* Full-width digits, the last one cut short. */
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(buf + i, "\xef\xbc\x91", 3);
	buf[len - 1] = (char)0xef; /* len is 3k + 1 */
	assert_int_equal(mng_mynumber_scan(buf, len, &r, m, placed), 0);
	assert_int_equal(r.individual + r.corporate, 0);
	assert_true(r.invalid_utf8);
	assert_int_equal(r.first_invalid, len / 3 * 3);
	free(want);
	free(m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_check_digit_functions),
	    cmocka_unit_test(test_one_check_digit_each),
	    cmocka_unit_test(test_juminhyo_paragraph),
	    cmocka_unit_test(test_form_full_width),
	    cmocka_unit_test(test_corporate_and_invoice_numbers),
	    cmocka_unit_test(test_not_numbers),
	    cmocka_unit_test(test_every_separator),
	    cmocka_unit_test(test_groupings_and_mixed_width),
	    cmocka_unit_test(test_several_matches_in_order),
	    cmocka_unit_test(test_max_matches),
	    cmocka_unit_test(test_keyword_window),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_utf8_matches_reference),
	    cmocka_unit_test(test_utf8_random),
	    cmocka_unit_test(test_block_edges),
	    cmocka_unit_test(test_invalid_at_block_edges),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_api_errors),
	    cmocka_unit_test(test_16mib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
