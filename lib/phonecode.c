// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * phonecode.c - request and response codes read over the phone, their
 * check digits, the per-terminal key and the response MAC. The formats are
 * described in phonecode.h.
 *
 * MUST: a response is accepted only when its digits equal, compared in
 *       constant time, the MAC computed here over the terminal's own
 *       request, the user and the ticket under the terminal's key.
 * MUST: the master secret never leaves the help desk: a terminal key is a
 *       one-way function of it and the machine-id.
 * MUST: every key, MAC and key-file buffer is wiped before it is released.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "file.h"
#include "mng.h"
#include "phonecode.h"
#include "sha256.h"
#include "textbuf.h"

#define GROUP_DATA 4		   /* data digits per group */
#define GROUP_LEN (GROUP_DATA + 1) /* and the check digit */
#define REQ_GROUPS 4
#define RESP_GROUPS 3
#define REQ_DIGITS (REQ_GROUPS * GROUP_DATA)   /* 16 */
#define RESP_DIGITS (RESP_GROUPS * GROUP_DATA) /* 12 */
#define RESP_MOD 1000000000000ull	       /* 10^12 */

static const char key_label[] = "mnguard phone v1";	      /* NUL included in the MAC */
static const char resp_label[] = "mnguard phone response v1"; /* NUL included in the MAC */

/*
 * The Damm algorithm's quasigroup of order 10 (weakly totally
 * anti-symmetric, zero diagonal): a number's check digit is the interim
 * digit after all its digits, and a number with its check digit ends at 0.
 */
static const uint8_t damm[10][10] = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3}, {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6}, {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7}, {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

/* The interim Damm digit over the group number and n digits (ASCII). */
static int damm_run(unsigned group, const char *d, size_t n)
{
	unsigned x = damm[0][group % 10];
	size_t i;

	for (i = 0; i < n; i++)
		x = damm[x][d[i] - '0'];
	return (int)x;
}

/* Write ngroups groups of digits (ASCII, GROUP_DATA each) with check digits to buf. */
static int write_groups(const char *digits, unsigned ngroups, char *buf, size_t size)
{
	size_t need = (size_t)ngroups * (GROUP_LEN + 1), o = 0;
	unsigned g;

	if (!buf || size < need)
		return -ENOBUFS;
	for (g = 0; g < ngroups; g++) {
		const char *d = digits + g * GROUP_DATA;

		if (g)
			buf[o++] = '-';
		memcpy(buf + o, d, GROUP_DATA);
		o += GROUP_DATA;
		buf[o++] = (char)('0' + damm_run(g + 1, d, GROUP_DATA));
	}
	buf[o] = '\0';
	return (int)o;
}

/*
 * Read ngroups check-digited groups from text into digits (the data digits,
 * ASCII, NUL-terminated). Returns 0 or -EBADMSG with err saying what.
 */
static int read_groups(const char *text, unsigned ngroups, char *digits, char *err, size_t errlen)
{
	char all[MNG_PHONE_TEXT_MAX + 1];
	size_t lens[MNG_PHONE_TEXT_MAX], n = 0, groups = 0, i, len, want = ngroups * GROUP_LEN;
	bool in_group = false;
	char bad[64] = "";
	size_t o = 0, nbad = 0;
	unsigned g;

	if (!text) {
		mng_errbuf_set(err, errlen, "no code");
		return -EBADMSG;
	}
	len = strnlen(text, MNG_PHONE_TEXT_MAX + 1);
	if (len > MNG_PHONE_TEXT_MAX) {
		mng_errbuf_set(err, errlen, "code longer than %d characters", MNG_PHONE_TEXT_MAX);
		return -EBADMSG;
	}
	for (i = 0; i < len; i++) {
		char c = text[i];

		if (c >= '0' && c <= '9') {
			if (!in_group)
				lens[groups++] = 0;
			in_group = true;
			lens[groups - 1]++;
			all[n++] = c;
		} else if (c == ' ' || c == '-' || c == '\t') {
			in_group = false;
		} else {
			mng_errbuf_set(err, errlen, "character %zu is not a digit, space or hyphen",
				       i + 1);
			return -EBADMSG;
		}
	}
	if (n != want) {
		if (groups == ngroups) {
			for (i = 0; i < groups; i++)
				if (lens[i] != GROUP_LEN) {
					mng_errbuf_set(err, errlen,
						       "group %zu has %zu digits, expected %d",
						       i + 1, lens[i], GROUP_LEN);
					return -EBADMSG;
				}
		}
		mng_errbuf_set(err, errlen, "expected %zu digits (%u groups of %d), got %zu", want,
			       ngroups, GROUP_LEN, n);
		return -EBADMSG;
	}
	/* The digit count is right: groups are taken by position. */
	for (g = 0; g < ngroups; g++) {
		const char *d = all + g * GROUP_LEN;

		if (damm_run(g + 1, d, GROUP_LEN) != 0) {
			o += (size_t)snprintf(bad + o, sizeof(bad) - o, "%s%u", nbad ? ", " : "",
					      g + 1);
			nbad++;
		}
		memcpy(digits + g * GROUP_DATA, d, GROUP_DATA);
	}
	digits[ngroups * GROUP_DATA] = '\0';
	if (nbad) {
		mng_errbuf_set(err, errlen, "check digit wrong in group%s %s: read %s again",
			       nbad > 1 ? "s" : "", bad, nbad > 1 ? "them" : "it");
		return -EBADMSG;
	}
	return 0;
}

static bool request_ok(const struct mng_phone_request *r)
{
	return r && r->scope >= MNG_EXEMPT_SCOPE_USB && r->scope <= MNG_EXEMPT_SCOPE_LOGIN &&
	       r->minutes >= MNG_PHONE_MINUTES_STEP && r->minutes <= MNG_PHONE_MINUTES_MAX &&
	       r->minutes % MNG_PHONE_MINUTES_STEP == 0 && r->uses >= 1 &&
	       r->uses <= MNG_PHONE_USES_MAX && r->subject < MNG_PHONE_SUBJECT_MOD &&
	       r->nonce < MNG_PHONE_NONCE_MOD;
}

/* The 16 data digits of a request (ASCII and a NUL). */
static int request_digits(const struct mng_phone_request *r, char out[REQ_DIGITS + 1])
{
	char tmp[64];

	if (!request_ok(r))
		return -EINVAL;
	/* request_ok() bounds every field, so this is exactly REQ_DIGITS digits. */
	if (snprintf(tmp, sizeof(tmp), "%u%02u%u%04u%08llu", (unsigned)r->scope,
		     r->minutes / MNG_PHONE_MINUTES_STEP, r->uses, r->subject,
		     (unsigned long long)r->nonce) != REQ_DIGITS)
		return -EINVAL;
	memcpy(out, tmp, REQ_DIGITS + 1);
	return 0;
}

uint32_t mng_phone_subject(const char *object)
{
	uint8_t d[MNG_SHA256_LEN];

	if (!object || !*object || mng_sha256(object, strlen(object), d) < 0)
		return 0;
	return ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) %
	       MNG_PHONE_SUBJECT_MOD;
}

static int random_bytes(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom((uint8_t *)buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return 0;
}

int mng_phone_request_new(enum mng_exempt_scope scope, uint32_t minutes, uint32_t uses,
			  const char *object, struct mng_phone_request *ret)
{
	struct mng_phone_request r = {scope, minutes, uses, mng_phone_subject(object), 0};
	uint64_t rnd;
	int e;

	if (!ret || !request_ok(&r))
		return -EINVAL;
	e = random_bytes(&rnd, sizeof(rnd));
	if (e < 0)
		return e;
	r.nonce = rnd % MNG_PHONE_NONCE_MOD; /* bias below 2^-37 */
	*ret = r;
	return 0;
}

int mng_phone_request_encode(const struct mng_phone_request *r, char *buf, size_t size)
{
	char d[REQ_DIGITS + 1];

	if (request_digits(r, d) < 0)
		return -EINVAL;
	return write_groups(d, REQ_GROUPS, buf, size);
}

int mng_phone_request_decode(const char *text, struct mng_phone_request *ret, char *err,
			     size_t errlen)
{
	char d[REQ_DIGITS + 1];
	struct mng_phone_request r;
	int e;

	if (!ret)
		return -EINVAL;
	e = read_groups(text, REQ_GROUPS, d, err, errlen);
	if (e < 0)
		return e;
	r.scope = (enum mng_exempt_scope)(d[0] - '0');
	r.minutes = (uint32_t)((d[1] - '0') * 10 + (d[2] - '0')) * MNG_PHONE_MINUTES_STEP;
	r.uses = (uint32_t)(d[3] - '0');
	r.subject = (uint32_t)strtoul((char[]){d[4], d[5], d[6], d[7], 0}, NULL, 10);
	r.nonce = strtoull(d + 8, NULL, 10);
	if (r.scope < MNG_EXEMPT_SCOPE_USB || r.scope > MNG_EXEMPT_SCOPE_LOGIN) {
		mng_errbuf_set(err, errlen, "group 1: unknown scope digit %c", d[0]);
		return -EBADMSG;
	}
	if (r.minutes < MNG_PHONE_MINUTES_STEP || r.minutes > MNG_PHONE_MINUTES_MAX) {
		mng_errbuf_set(err, errlen, "group 1: duration out of range");
		return -EBADMSG;
	}
	if (r.uses < 1) {
		mng_errbuf_set(err, errlen, "group 1: uses must be 1-%d", MNG_PHONE_USES_MAX);
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

static bool valid_hex_id(const char *s)
{
	size_t i;

	if (!s || strnlen(s, MNG_EXEMPT_TERM_LEN + 1) != MNG_EXEMPT_TERM_LEN)
		return false;
	for (i = 0; i < MNG_EXEMPT_TERM_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int mng_phone_terminal_key(const uint8_t master[32], const char *machine_id, uint8_t ret[32])
{
	uint8_t msg[sizeof(key_label) + MNG_EXEMPT_TERM_LEN], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!master || !ret || !valid_hex_id(machine_id))
		return -EINVAL;
	memcpy(msg, key_label, sizeof(key_label)); /* with its NUL */
	memcpy(msg + sizeof(key_label), machine_id, MNG_EXEMPT_TERM_LEN);
	if (!HMAC(EVP_sha256(), master, MNG_PHONE_KEY_LEN, msg, sizeof(msg), mac, &maclen) ||
	    maclen != MNG_PHONE_KEY_LEN) {
		OPENSSL_cleanse(mac, sizeof(mac));
		ERR_clear_error();
		return -EIO;
	}
	memcpy(ret, mac, MNG_PHONE_KEY_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

static bool valid_ticket(const char *s)
{
	size_t i, n;

	if (!s)
		return false;
	n = strnlen(s, MNG_EXEMPT_TICKET_MAX + 1);
	if (n == 0 || n > MNG_EXEMPT_TICKET_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < ' ' || s[i] > '~')
			return false;
	return true;
}

/* The 12 data digits of the response (ASCII and a NUL). */
static int response_digits(const uint8_t tkey[32], const struct mng_phone_request *r,
			   const char *user, const char *ticket, char out[RESP_DIGITS + 1])
{
	uint8_t msg[sizeof(resp_label) + REQ_DIGITS + 1 + MNG_EXEMPT_USER_MAX + 1 +
		    MNG_EXEMPT_TICKET_MAX];
	uint8_t mac[EVP_MAX_MD_SIZE];
	char d[REQ_DIGITS + 1];
	unsigned int maclen = 0;
	size_t ul, tl, o = 0;
	uint64_t v = 0;
	int i;

	if (!tkey || request_digits(r, d) < 0 || !user || !valid_ticket(ticket))
		return -EINVAL;
	ul = strnlen(user, MNG_EXEMPT_USER_MAX + 1);
	tl = strlen(ticket);
	if (ul == 0 || ul > MNG_EXEMPT_USER_MAX)
		return -EINVAL;
	memcpy(msg, resp_label, sizeof(resp_label));
	o = sizeof(resp_label);
	memcpy(msg + o, d, REQ_DIGITS);
	o += REQ_DIGITS;
	msg[o++] = '\0';
	memcpy(msg + o, user, ul);
	o += ul;
	msg[o++] = '\0';
	memcpy(msg + o, ticket, tl);
	o += tl;
	if (!HMAC(EVP_sha256(), tkey, MNG_PHONE_KEY_LEN, msg, o, mac, &maclen) || maclen < 8) {
		OPENSSL_cleanse(mac, sizeof(mac));
		ERR_clear_error();
		return -EIO;
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | mac[i];
	OPENSSL_cleanse(mac, sizeof(mac));
	{
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%012llu", (unsigned long long)(v % RESP_MOD));
		memcpy(out, tmp, RESP_DIGITS + 1);
		OPENSSL_cleanse(tmp, sizeof(tmp));
	}
	v = 0;
	return 0;
}

int mng_phone_response(const uint8_t tkey[32], const struct mng_phone_request *r, const char *user,
		       const char *ticket, char *buf, size_t size)
{
	char d[RESP_DIGITS + 1];
	int e;

	e = response_digits(tkey, r, user, ticket, d);
	if (e < 0)
		return e;
	e = write_groups(d, RESP_GROUPS, buf, size);
	OPENSSL_cleanse(d, sizeof(d));
	return e;
}

int mng_phone_response_check(const uint8_t tkey[32], const struct mng_phone_request *r,
			     const char *user, const char *ticket, const char *response, char *err,
			     size_t errlen)
{
	char got[RESP_DIGITS + 1], want[RESP_DIGITS + 1];
	int e;

	e = response_digits(tkey, r, user, ticket, want);
	if (e < 0) {
		mng_errbuf_set(err, errlen,
			       e == -EINVAL ? "bad request, user or ticket" : "MAC failed");
		return e;
	}
	e = read_groups(response, RESP_GROUPS, got, err, errlen);
	if (e == 0 && CRYPTO_memcmp(got, want, RESP_DIGITS) != 0) {
		mng_errbuf_set(
		    err, errlen,
		    "response does not match this request, user and ticket on this terminal");
		e = -EKEYREJECTED;
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return e;
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

int mng_phone_key_parse(const char *text, size_t len, uint8_t ret[32])
{
	uint8_t k[MNG_PHONE_KEY_LEN];
	size_t i;

	if (!text || !ret)
		return -EINVAL;
	if (len == MNG_PHONE_KEY_HEX_LEN + 1 && text[MNG_PHONE_KEY_HEX_LEN] == '\n')
		len--;
	if (len != MNG_PHONE_KEY_HEX_LEN)
		return -EINVAL;
	for (i = 0; i < MNG_PHONE_KEY_LEN; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(k, sizeof(k));
			return -EINVAL;
		}
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(ret, k, sizeof(k));
	OPENSSL_cleanse(k, sizeof(k));
	return 0;
}

int mng_phone_key_read(const char *path, unsigned file_flags, uint8_t ret[32])
{
	int fd, r, oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (!path || !ret)
		return -EINVAL;
	if (file_flags & MNG_FILE_TRUSTED)
		oflags |= O_NOFOLLOW | O_NONBLOCK;
	fd = open(path, oflags);
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if ((file_flags & MNG_FILE_TRUSTED) && (fstat(fd, &st) < 0 || (st.st_mode & 077))) {
		(void)close(fd);
		return -EPERM;
	}
	r = mng_file_read_fd(fd, 128, file_flags, &buf, &len, NULL);
	(void)close(fd);
	if (r < 0)
		return r;
	r = mng_phone_key_parse(buf, len, ret);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

void mng_phone_key_format(const uint8_t key[32], char ret[MNG_PHONE_KEY_HEX_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < MNG_PHONE_KEY_LEN; i++) {
		ret[2 * i] = hexd[key[i] >> 4];
		ret[2 * i + 1] = hexd[key[i] & 15];
	}
	ret[MNG_PHONE_KEY_HEX_LEN] = '\0';
}
