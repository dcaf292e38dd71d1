// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_phonecode.c - phone codes: request and response round trips, every
 * single wrong digit and every swap of adjacent digits caught (and the
 * group named), the MAC bound to request, user, ticket and terminal key,
 * per-terminal keys, the terminal key file, and garbage input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/hmac.h>

#include "file.h"
#include "phonecode.h"

static const uint8_t master[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char mid_a[] = "0123456789abcdef0123456789abcdef";
static const char mid_b[] = "fedcba9876543210fedcba9876543210";

/* An independent Damm check over the group number and digits. */
static int damm(unsigned group, const char *d, size_t n)
{
	static const int t[10][10] = {
	    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
	};
	int x = t[0][group];
	size_t i;

	for (i = 0; i < n; i++)
		x = t[x][d[i] - '0'];
	return x;
}

/* Build a code from data digits with our own check digits. */
static void build(const char *data, unsigned groups, char *out)
{
	unsigned g;
	size_t o = 0;

	for (g = 0; g < groups; g++) {
		if (g)
			out[o++] = '-';
		memcpy(out + o, data + 4 * g, 4);
		o += 4;
		out[o++] = (char)('0' + damm(g + 1, data + 4 * g, 4));
	}
	out[o] = '\0';
}

static struct mng_phone_request sample(void)
{
	struct mng_phone_request r = {MNG_EXEMPT_SCOPE_USB, 120, 1, 4711, 12345678};

	return r;
}

static void test_damm_reference(void **state)
{
	/* The published example: 572 has check digit 4. */
	assert_int_equal(damm(0, "572", 3), 4);
	assert_int_equal(damm(0, "5724", 4), 0);
}

static void test_request_format(void **state)
{
	struct mng_phone_request r = sample();
	char buf[MNG_PHONE_REQUEST_SIZE], want[32];

	assert_int_equal(mng_phone_request_encode(&r, buf, sizeof(buf)), 23);
	build("1081471112345678", 4, want);
	assert_string_equal(buf, want);
	assert_int_equal(mng_phone_request_encode(&r, buf, sizeof(buf) - 1), -ENOBUFS);
}

static void test_request_round_trip(void **state)
{
	enum mng_exempt_scope s;
	uint32_t m, u;

	for (s = MNG_EXEMPT_SCOPE_USB; s <= MNG_EXEMPT_SCOPE_LOGIN; s++)
		for (m = 15; m <= 1440; m += 15)
			for (u = 1; u <= 9; u++) {
				struct mng_phone_request r = {s, m, u, (m * 7 + u) % 10000,
							      (uint64_t)m * 1000003u % 100000000},
							 back;
				char buf[MNG_PHONE_REQUEST_SIZE], err[128];

				assert_int_equal(mng_phone_request_encode(&r, buf, sizeof(buf)),
						 23);
				assert_int_equal(
				    mng_phone_request_decode(buf, &back, err, sizeof(err)), 0);
				assert_memory_equal(&r, &back, sizeof(r));
			}
}

static void test_request_new(void **state)
{
	struct mng_phone_request a, b;

	assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_PRINT, 60, 2, "lab-printer", &a),
			 0);
	assert_int_equal(a.subject, mng_phone_subject("lab-printer"));
	assert_true(a.nonce < MNG_PHONE_NONCE_MOD);
	assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_PRINT, 60, 2, "lab-printer", &b),
			 0);
	assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_LOGIN, 30, 1, NULL, &a), 0);
	assert_int_equal(a.subject, 0);
	assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_NONE, 30, 1, NULL, &a), -EINVAL);
	assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_USB, 20, 1, NULL, &a), -EINVAL);
}

static void test_request_nonce_varies(void **state)
{
	struct mng_phone_request r;
	uint64_t seen[16];
	int i, j, same = 0;

	for (i = 0; i < 16; i++) {
		assert_int_equal(mng_phone_request_new(MNG_EXEMPT_SCOPE_USB, 15, 1, "x", &r), 0);
		seen[i] = r.nonce;
		for (j = 0; j < i; j++)
			same += seen[j] == seen[i];
	}
	assert_int_equal(same, 0);
}

static void test_request_encode_ranges(void **state)
{
	struct mng_phone_request bad[] = {
	    {MNG_EXEMPT_SCOPE_NONE, 15, 1, 0, 0},	 {5, 15, 1, 0, 0},
	    {MNG_EXEMPT_SCOPE_USB, 0, 1, 0, 0},		 {MNG_EXEMPT_SCOPE_USB, 10, 1, 0, 0},
	    {MNG_EXEMPT_SCOPE_USB, 1455, 1, 0, 0},	 {MNG_EXEMPT_SCOPE_USB, 15, 0, 0, 0},
	    {MNG_EXEMPT_SCOPE_USB, 15, 10, 0, 0},	 {MNG_EXEMPT_SCOPE_USB, 15, 1, 10000, 0},
	    {MNG_EXEMPT_SCOPE_USB, 15, 1, 0, 100000000},
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mng_phone_request_encode(&bad[i], buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mng_phone_request_encode(NULL, buf, sizeof(buf)), -EINVAL);
}

/* Position of the k-th digit (0-based) in a hyphenated code. */
static size_t digit_pos(size_t k)
{
	return k + k / 5;
}

static void test_request_every_single_digit_error(void **state)
{
	struct mng_phone_request r = sample(), back;
	char code[MNG_PHONE_REQUEST_SIZE], bad[MNG_PHONE_REQUEST_SIZE], err[128], want[16];
	size_t k;
	int d, caught = 0;

	assert_int_equal(mng_phone_request_encode(&r, code, sizeof(code)), 23);
	for (k = 0; k < 20; k++)
		for (d = 0; d < 10; d++) {
			strcpy(bad, code);
			if (bad[digit_pos(k)] == '0' + d)
				continue;
			bad[digit_pos(k)] = (char)('0' + d);
			err[0] = '\0';
			assert_int_equal(mng_phone_request_decode(bad, &back, err, sizeof(err)),
					 -EBADMSG);
			snprintf(want, sizeof(want), "group %zu", k / 5 + 1);
			assert_non_null(strstr(err, want));
			caught++;
		}
	assert_int_equal(caught, 20 * 9);
}

static void test_request_every_transposition(void **state)
{
	struct mng_phone_request r, back;
	char code[MNG_PHONE_REQUEST_SIZE], bad[MNG_PHONE_REQUEST_SIZE];
	size_t k;
	int n, caught = 0;

	/* Several requests so that most adjacent pairs differ somewhere. */
	for (n = 0; n < 200; n++) {
		assert_int_equal(mng_phone_request_new(1 + n % 4, 15 * (1 + n % 96), 1 + n % 9,
						       n % 2 ? "x" : "y", &r),
				 0);
		assert_int_equal(mng_phone_request_encode(&r, code, sizeof(code)), 23);
		for (k = 0; k + 1 < 20; k++) {
			char a = code[digit_pos(k)], b = code[digit_pos(k + 1)];

			if (a == b)
				continue;
			strcpy(bad, code);
			bad[digit_pos(k)] = b;
			bad[digit_pos(k + 1)] = a;
			assert_int_equal(mng_phone_request_decode(bad, &back, NULL, 0), -EBADMSG);
			caught++;
		}
	}
	assert_true(caught > 200 * 10);
}

static void test_request_separators(void **state)
{
	struct mng_phone_request r = sample(), back;
	char code[MNG_PHONE_REQUEST_SIZE], alt[64], err[128];
	size_t i, o = 0;

	assert_int_equal(mng_phone_request_encode(&r, code, sizeof(code)), 23);
	for (i = 0; code[i]; i++)
		if (code[i] != '-')
			alt[o++] = code[i];
	alt[o] = '\0';
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	strcpy(alt, code);
	alt[5] = ' ';
	alt[11] = '\t';
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), 0);
	snprintf(alt, sizeof(alt), "  %s  ", code);
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), 0);
	/* Other characters are refused, and named by position. */
	strcpy(alt, code);
	alt[5] = '.';
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "character 6"));
	strcpy(alt, code);
	alt[3] = 'O';
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), -EBADMSG);
	/* Full-width digits are not digits here. */
	snprintf(alt, sizeof(alt), "\xef\xbc\x91%s", code + 1);
	assert_int_equal(mng_phone_request_decode(alt, &back, err, sizeof(err)), -EBADMSG);
}

static void test_request_wrong_lengths(void **state)
{
	struct mng_phone_request r = sample(), back;
	char code[MNG_PHONE_REQUEST_SIZE], bad[64], err[128];

	assert_int_equal(mng_phone_request_encode(&r, code, sizeof(code)), 23);
	/* A dropped digit in group 2, separators kept: that group is named. */
	snprintf(bad, sizeof(bad), "%.6s%s", code, code + 7);
	assert_int_equal(mng_phone_request_decode(bad, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "group 2 has 4 digits"));
	/* An extra digit. */
	snprintf(bad, sizeof(bad), "%s1", code);
	assert_int_equal(mng_phone_request_decode(bad, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "group 4 has 6 digits"));
	/* Only three groups. */
	snprintf(bad, sizeof(bad), "%.17s", code);
	assert_int_equal(mng_phone_request_decode(bad, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "expected 20 digits"));
	assert_int_equal(mng_phone_request_decode("", &back, err, sizeof(err)), -EBADMSG);
	assert_int_equal(mng_phone_request_decode(NULL, &back, err, sizeof(err)), -EBADMSG);
}

static void test_request_huge_input(void **state)
{
	struct mng_phone_request back;
	size_t n = 1 << 20;
	char *big = malloc(n + 1), err[128];

	assert_non_null(big);
	memset(big, '1', n);
	big[n] = '\0';
	assert_int_equal(mng_phone_request_decode(big, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "longer than"));
	memset(big, ' ', n);
	assert_int_equal(mng_phone_request_decode(big, &back, err, sizeof(err)), -EBADMSG);
	free(big);
}

static void test_request_fields_out_of_range(void **state)
{
	struct mng_phone_request back;
	char code[32], err[128];

	build("0081471112345678", 4, code); /* scope digit 0 */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "scope"));
	build("5081471112345678", 4, code); /* scope digit 5: a later format */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), -EBADMSG);
	build("1001471112345678", 4, code); /* 0 steps */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "duration"));
	build("1971471112345678", 4, code); /* 97 steps */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), -EBADMSG);
	build("1960471112345678", 4, code); /* 0 uses */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "uses"));
	build("1969999999999999", 4, code); /* all maxima */
	assert_int_equal(mng_phone_request_decode(code, &back, err, sizeof(err)), 0);
	assert_int_equal(back.minutes, 1440);
	assert_int_equal(back.uses, 9);
	assert_int_equal(back.subject, 9999);
	assert_int_equal(back.nonce, 99999999);
}

static void test_groups_swapped(void **state)
{
	struct mng_phone_request r = sample(), back;
	char code[MNG_PHONE_REQUEST_SIZE], bad[MNG_PHONE_REQUEST_SIZE];

	assert_int_equal(mng_phone_request_encode(&r, code, sizeof(code)), 23);
	/* Groups 2 and 3 read in the wrong order. */
	snprintf(bad, sizeof(bad), "%.6s%.6s%.6s%s", code, code + 12, code + 6, code + 18);
	assert_int_equal(mng_phone_request_decode(bad, &back, NULL, 0), -EBADMSG);
}

static void test_subject(void **state)
{
	/* SHA-256("abc") starts ba7816bf: 3128432319 % 10000. */
	assert_int_equal(mng_phone_subject("abc"), 2319);
	assert_int_equal(mng_phone_subject(""), 0);
	assert_int_equal(mng_phone_subject(NULL), 0);
	assert_true(mng_phone_subject("allow id 0781:5567 serial \"A\"") !=
			mng_phone_subject("allow id 0781:5567 serial \"B\"") ||
		    mng_phone_subject("allow id 0781:5567 serial \"C\"") !=
			mng_phone_subject("allow id 0781:5567 serial \"B\""));
}

static void test_terminal_key(void **state)
{
	uint8_t a[32], a2[32], b[32], other[32], want[32], master2[32];
	uint8_t msg[17 + 32];
	unsigned int len = 0;

	assert_int_equal(mng_phone_terminal_key(master, mid_a, a), 0);
	assert_int_equal(mng_phone_terminal_key(master, mid_a, a2), 0);
	assert_int_equal(mng_phone_terminal_key(master, mid_b, b), 0);
	assert_memory_equal(a, a2, 32);
	assert_memory_not_equal(a, b, 32);
	memcpy(master2, master, 32);
	master2[0] ^= 1;
	assert_int_equal(mng_phone_terminal_key(master2, mid_a, other), 0);
	assert_memory_not_equal(a, other, 32);
	/* The documented derivation. */
	memcpy(msg, "mnguard phone v1", 17);
	memcpy(msg + 17, mid_a, 32);
	assert_non_null(HMAC(EVP_sha256(), master, 32, msg, sizeof(msg), want, &len));
	assert_memory_equal(a, want, 32);
	assert_int_equal(mng_phone_terminal_key(master, "0123456789ABCDEF0123456789abcdef", a),
			 -EINVAL);
	assert_int_equal(mng_phone_terminal_key(master, "0123456789abcdef", a), -EINVAL);
	assert_int_equal(mng_phone_terminal_key(master, NULL, a), -EINVAL);
}

static void test_response_round_trip(void **state)
{
	struct mng_phone_request r = sample();
	char resp[MNG_PHONE_RESPONSE_SIZE], err[128];
	uint8_t k[32];

	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	assert_int_equal(mng_phone_response(k, &r, "tanaka", "INC-123", resp, sizeof(resp)), 17);
	assert_int_equal(strlen(resp), 17);
	assert_true(resp[5] == '-' && resp[11] == '-');
	assert_int_equal(
	    mng_phone_response_check(k, &r, "tanaka", "INC-123", resp, err, sizeof(err)), 0);
	assert_int_equal(mng_phone_response(k, &r, "tanaka", "INC-123", resp, sizeof(resp) - 1),
			 -ENOBUFS);
}

static void test_response_binding(void **state)
{
	struct mng_phone_request r = sample(), r2;
	char resp[MNG_PHONE_RESPONSE_SIZE], err[128];
	uint8_t k[32], kb[32];

	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	assert_int_equal(mng_phone_terminal_key(master, mid_b, kb), 0);
	assert_int_equal(mng_phone_response(k, &r, "tanaka", "INC-123", resp, sizeof(resp)), 17);
	assert_int_equal(
	    mng_phone_response_check(k, &r, "suzuki", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	assert_int_equal(
	    mng_phone_response_check(k, &r, "tanaka", "INC-124", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	assert_int_equal(
	    mng_phone_response_check(k, &r, "tanaka", "inc-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	assert_int_equal(
	    mng_phone_response_check(kb, &r, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	assert_non_null(strstr(err, "does not match"));
	r2 = r;
	r2.nonce++;
	assert_int_equal(
	    mng_phone_response_check(k, &r2, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	r2 = r;
	r2.minutes += 15;
	assert_int_equal(
	    mng_phone_response_check(k, &r2, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	r2 = r;
	r2.scope = MNG_EXEMPT_SCOPE_LOGIN;
	assert_int_equal(
	    mng_phone_response_check(k, &r2, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	r2 = r;
	r2.uses = 2;
	assert_int_equal(
	    mng_phone_response_check(k, &r2, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	r2 = r;
	r2.subject = 4712;
	assert_int_equal(
	    mng_phone_response_check(k, &r2, "tanaka", "INC-123", resp, err, sizeof(err)),
	    -EKEYREJECTED);
	/* Bad arguments are refused, never accepted. */
	assert_int_equal(mng_phone_response_check(k, &r, "", "INC-123", resp, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(mng_phone_response_check(k, &r, "tanaka", "", resp, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(mng_phone_response_check(k, &r, "tanaka", "a\nb", resp, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
	    mng_phone_response_check(NULL, &r, "tanaka", "INC-1", resp, err, sizeof(err)), -EINVAL);
	assert_int_equal(mng_phone_response(k, &r, "tanaka", NULL, resp, sizeof(resp)), -EINVAL);
}

static void test_response_every_single_digit_error(void **state)
{
	struct mng_phone_request r = sample();
	char resp[MNG_PHONE_RESPONSE_SIZE], bad[MNG_PHONE_RESPONSE_SIZE], err[128], want[16];
	uint8_t k[32];
	size_t kk;
	int d, caught = 0;

	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	assert_int_equal(mng_phone_response(k, &r, "tanaka", "INC-123", resp, sizeof(resp)), 17);
	for (kk = 0; kk < 15; kk++)
		for (d = 0; d < 10; d++) {
			strcpy(bad, resp);
			if (bad[digit_pos(kk)] == '0' + d)
				continue;
			bad[digit_pos(kk)] = (char)('0' + d);
			assert_int_equal(mng_phone_response_check(k, &r, "tanaka", "INC-123", bad,
								  err, sizeof(err)),
					 -EBADMSG);
			snprintf(want, sizeof(want), "group %zu", kk / 5 + 1);
			assert_non_null(strstr(err, want));
			caught++;
		}
	assert_int_equal(caught, 15 * 9);
}

static void test_response_every_transposition(void **state)
{
	struct mng_phone_request r = sample();
	char resp[MNG_PHONE_RESPONSE_SIZE], bad[MNG_PHONE_RESPONSE_SIZE], ticket[16];
	uint8_t k[32];
	size_t kk;
	int n, caught = 0;

	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	for (n = 0; n < 100; n++) {
		snprintf(ticket, sizeof(ticket), "INC-%d", n);
		assert_int_equal(mng_phone_response(k, &r, "tanaka", ticket, resp, sizeof(resp)),
				 17);
		for (kk = 0; kk + 1 < 15; kk++) {
			char a = resp[digit_pos(kk)], b = resp[digit_pos(kk + 1)];
			int e;

			if (a == b)
				continue;
			strcpy(bad, resp);
			bad[digit_pos(kk)] = b;
			bad[digit_pos(kk + 1)] = a;
			e = mng_phone_response_check(k, &r, "tanaka", ticket, bad, NULL, 0);
			assert_int_equal(e, -EBADMSG);
			caught++;
		}
	}
	assert_true(caught > 100 * 8);
}

static void test_response_garbage(void **state)
{
	struct mng_phone_request r = sample();
	char err[128];
	uint8_t k[32];
	static const char *const bad[] = {"",
					  "1",
					  "12345-12345",
					  "abcde-abcde-abcde",
					  "12345-12345-12345-12345",
					  "١٢٣٤٥-12345-12345",
					  "12345\n12345\n12345"};
	size_t i;

	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    mng_phone_response_check(k, &r, "tanaka", "INC-123", bad[i], err, sizeof(err)),
		    -EBADMSG);
	/* Well-formed digits that are not the MAC. */
	{
		char code[32];

		build("000000000000", 3, code);
		assert_int_equal(
		    mng_phone_response_check(k, &r, "tanaka", "INC-123", code, err, sizeof(err)),
		    -EKEYREJECTED);
	}
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/mng-phone-XXXXXX", path[128], link[128], hex[65];
	uint8_t k[32], back[32];
	int fd;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(mng_phone_terminal_key(master, mid_a, k), 0);
	mng_phone_key_format(k, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(mng_phone_key_parse(hex, 64, back), 0);
	assert_memory_equal(k, back, 32);
	snprintf(path, sizeof(path), "%s/terminal.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, hex, 64), 64);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	memset(back, 0, sizeof(back));
	assert_int_equal(mng_phone_key_read(path, 0, back), 0);
	assert_memory_equal(k, back, 32);
	if (geteuid() == 0) {
		assert_int_equal(mng_phone_key_read(path, MNG_FILE_TRUSTED, back), 0);
		assert_int_equal(chmod(path, 0640), 0);
		assert_int_equal(mng_phone_key_read(path, MNG_FILE_TRUSTED, back), -EPERM);
		assert_int_equal(chmod(path, 0620), 0);
		assert_int_equal(mng_phone_key_read(path, MNG_FILE_TRUSTED, back), -EPERM);
		assert_int_equal(chmod(path, 0600), 0);
		snprintf(link, sizeof(link), "%s/link.key", dir);
		assert_int_equal(symlink(path, link), 0);
		assert_int_equal(mng_phone_key_read(link, MNG_FILE_TRUSTED, back), -ELOOP);
		assert_int_equal(mng_phone_key_read(link, 0, back), 0);
		unlink(link);
	}
	unlink(path);
	/* Bad content. */
	assert_int_equal(mng_phone_key_parse(hex, 63, back), -EINVAL);
	hex[10] = 'g';
	assert_int_equal(mng_phone_key_parse(hex, 64, back), -EINVAL);
	assert_int_equal(mng_phone_key_parse("", 0, back), -EINVAL);
	assert_int_equal(mng_phone_key_read(path, 0, back), -ENOENT);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_damm_reference),
	    cmocka_unit_test(test_request_format),
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_request_new),
	    cmocka_unit_test(test_request_nonce_varies),
	    cmocka_unit_test(test_request_encode_ranges),
	    cmocka_unit_test(test_request_every_single_digit_error),
	    cmocka_unit_test(test_request_every_transposition),
	    cmocka_unit_test(test_request_separators),
	    cmocka_unit_test(test_request_wrong_lengths),
	    cmocka_unit_test(test_request_huge_input),
	    cmocka_unit_test(test_request_fields_out_of_range),
	    cmocka_unit_test(test_groups_swapped),
	    cmocka_unit_test(test_subject),
	    cmocka_unit_test(test_terminal_key),
	    cmocka_unit_test(test_response_round_trip),
	    cmocka_unit_test(test_response_binding),
	    cmocka_unit_test(test_response_every_single_digit_error),
	    cmocka_unit_test(test_response_every_transposition),
	    cmocka_unit_test(test_response_garbage),
	    cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
