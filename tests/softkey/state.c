// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The software authenticator's state file: a small "key=value" text file that
 * holds the device secret, the attestation key and certificate, the PIN hash and
 * retries, the signature counter and the fault switches.
 *
 * MUST: the file is replaced atomically (temporary file, fsync, rename, fsync of the
 *       directory), so a crash never leaves a half-written counter or retry count.
 * MUST: the parser accepts only known keys with well-formed values under hard caps
 *       (file size, line length, hex lengths, numbers); anything else refuses the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "softkey.h"

#define LINE_MAX_LEN 8192u

/* "mnguard-softkey1" */
static const uint8_t default_aaguid[16] = {0x6d, 0x6e, 0x67, 0x75, 0x61, 0x72, 0x64, 0x2d,
					   0x73, 0x6f, 0x66, 0x74, 0x6b, 0x65, 0x79, 0x31};

void softkey_pin_hash(const char *pin, size_t len, uint8_t out[16])
{
	uint8_t h[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)pin, len, h);
	memcpy(out, h, 16);
	OPENSSL_cleanse(h, sizeof(h));
}

void softkey_state_wipe(struct softkey_state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

static int make_cert(EVP_PKEY *pk, struct softkey_state *st)
{
	X509 *x = NULL;
	X509_NAME *n = NULL;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int len, r = -EIO;

	if ((x = X509_new()) == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 20L * 365 * 24 * 3600) == NULL)
		goto out;
	if ((n = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"mnguard test",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC,
					(const unsigned char *)"Authenticator Attestation", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"mnguard softkey", -1, -1, 0))
		goto out;
	if (X509_set_subject_name(x, n) != 1 || X509_set_issuer_name(x, n) != 1 ||
	    X509_set_pubkey(x, pk) != 1)
		goto out;
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:FALSE")) ==
		NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		goto out;
	if (X509_sign(x, pk, EVP_sha256()) <= 0)
		goto out;
	if ((len = i2d_X509(x, &der)) <= 0 || (size_t)len > sizeof(st->attest_cert))
		goto out;
	memcpy(st->attest_cert, der, (size_t)len);
	st->attest_cert_len = (size_t)len;
	r = 0;
out:
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	X509_NAME_free(n);
	X509_free(x);
	return r;
}

/*
 * Fills *st with a fresh authenticator: random device secret, new attestation key
 * and self-signed certificate, the given PIN (NULL: none), the given AAGUID (NULL:
 * the softkey default), counter 0 and every fault switch off.
 */
int softkey_state_new(struct softkey_state *st, const char *pin, const uint8_t *aaguid)
{
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	int len = 0, r = -EIO;

	memset(st, 0, sizeof(*st));
	memcpy(st->aaguid, aaguid ? aaguid : default_aaguid, 16);
	st->pin_retries = SOFTKEY_PIN_RETRIES_MAX;
	st->touch_timeout_ms = 30000;
	if (pin != NULL) {
		size_t n = strlen(pin);
		if (n < SOFTKEY_PIN_MIN || n > SOFTKEY_PIN_MAX)
			return -EINVAL;
		softkey_pin_hash(pin, n, st->pin_hash);
		st->pin_set = true;
	}
	if (RAND_bytes(st->secret, sizeof(st->secret)) != 1)
		goto out;
	if ((pk = EVP_EC_gen("P-256")) == NULL)
		goto out;
	if ((len = i2d_PrivateKey(pk, &der)) <= 0 || (size_t)len > sizeof(st->attest_key))
		goto out;
	memcpy(st->attest_key, der, (size_t)len);
	st->attest_key_len = (size_t)len;
	r = make_cert(pk, st);
out:
	if (der != NULL)
		OPENSSL_clear_free(der, len > 0 ? (size_t)len : 0);
	EVP_PKEY_free(pk);
	if (r < 0)
		softkey_state_wipe(st);
	return r;
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

/* Exactly want bytes when want != 0, else 1..cap bytes. */
static int parse_hex(const char *v, uint8_t *out, size_t cap, size_t want, size_t *ret_len)
{
	size_t n = strlen(v);

	if (n % 2 != 0 || n / 2 > cap || (want != 0 && n / 2 != want) || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (ret_len)
		*ret_len = n / 2;
	return 0;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *ret)
{
	uint64_t x = 0;

	if (*v == '\0' || strlen(v) > 20)
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -EINVAL;
		if (x > (max - (uint64_t)(*v - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (uint64_t)(*v - '0');
	}
	*ret = x;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0)
		*ret = true;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

struct flag_key {
	const char *name;
	size_t off;
};

#define FLAG(f)                                                                                    \
	{                                                                                          \
#f, offsetof(struct softkey_state, f)                                              \
	}
static const struct flag_key flag_keys[] = {
    FLAG(no_uv),	 FLAG(no_up),	     FLAG(bad_sig),  FLAG(bad_attest),
    FLAG(stale_counter), FLAG(zero_counter), FLAG(no_touch), FLAG(builtin_uv),
};
#define MS(f)                                                                                      \
	{                                                                                          \
#f, offsetof(struct softkey_state, f)                                              \
	}
static const struct flag_key ms_keys[] = {
    {"keepalive_storm", offsetof(struct softkey_state, keepalive_storm_ms)},
    MS(keepalive_storm_ms),
    MS(touch_delay_ms),
    MS(touch_timeout_ms),
};

/*
 * Sets one key of *st from its text value, as in the state file and in
 * "softkey-ctl set": the fault switches (0/1), the *_ms delays, pin (the PIN
 * itself; empty removes it; retries are reset), pin_hash, pin_retries, counter,
 * issued, aaguid, secret, attest_key, attest_cert. -EINVAL for an unknown key or
 * a malformed value; *st is unchanged then.
 */
int softkey_state_set(struct softkey_state *st, const char *key, const char *value)
{
	uint64_t u;
	size_t n;
	int r;

	for (size_t i = 0; i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++)
		if (strcmp(key, flag_keys[i].name) == 0)
			return parse_bool(value, (bool *)((char *)st + flag_keys[i].off));
	for (size_t i = 0; i < sizeof(ms_keys) / sizeof(ms_keys[0]); i++)
		if (strcmp(key, ms_keys[i].name) == 0) {
			if ((r = parse_u64(value, SOFTKEY_DELAY_MAX, &u)) < 0)
				return r;
			*(unsigned *)((char *)st + ms_keys[i].off) = (unsigned)u;
			return 0;
		}
	if (strcmp(key, "pin") == 0) {
		n = strlen(value);
		if (n == 0) {
			st->pin_set = false;
			memset(st->pin_hash, 0, sizeof(st->pin_hash));
		} else {
			if (n < SOFTKEY_PIN_MIN || n > SOFTKEY_PIN_MAX)
				return -EINVAL;
			softkey_pin_hash(value, n, st->pin_hash);
			st->pin_set = true;
		}
		st->pin_retries = SOFTKEY_PIN_RETRIES_MAX;
		return 0;
	}
	if (strcmp(key, "pin_hash") == 0) {
		uint8_t h[16];
		if (*value == '\0') {
			st->pin_set = false;
			memset(st->pin_hash, 0, sizeof(st->pin_hash));
			return 0;
		}
		if ((r = parse_hex(value, h, sizeof(h), sizeof(h), NULL)) < 0)
			return r;
		memcpy(st->pin_hash, h, sizeof(h));
		st->pin_set = true;
		return 0;
	}
	if (strcmp(key, "pin_retries") == 0) {
		if ((r = parse_u64(value, SOFTKEY_PIN_RETRIES_MAX, &u)) < 0)
			return r;
		st->pin_retries = (unsigned)u;
		return 0;
	}
	if (strcmp(key, "counter") == 0) {
		if ((r = parse_u64(value, UINT32_MAX, &u)) < 0)
			return r;
		st->counter = (uint32_t)u;
		return 0;
	}
	if (strcmp(key, "issued") == 0)
		return parse_u64(value, UINT64_MAX, &st->issued);
	if (strcmp(key, "aaguid") == 0)
		return parse_hex(value, st->aaguid, sizeof(st->aaguid), 16, NULL);
	if (strcmp(key, "secret") == 0)
		return parse_hex(value, st->secret, sizeof(st->secret), 32, NULL);
	if (strcmp(key, "attest_key") == 0) {
		uint8_t buf[sizeof(st->attest_key)];
		if ((r = parse_hex(value, buf, sizeof(buf), 0, &n)) < 0)
			return r;
		memcpy(st->attest_key, buf, n);
		st->attest_key_len = n;
		OPENSSL_cleanse(buf, sizeof(buf));
		return 0;
	}
	if (strcmp(key, "attest_cert") == 0) {
		uint8_t buf[sizeof(st->attest_cert)];
		if ((r = parse_hex(value, buf, sizeof(buf), 0, &n)) < 0)
			return r;
		memcpy(st->attest_cert, buf, n);
		st->attest_cert_len = n;
		return 0;
	}
	return -EINVAL;
}

/*
 * Parses a state file image. Lines are "key=value", "#" comments or blank; the
 * secret, attestation key and certificate are required. -EINVAL for anything
 * malformed (NUL bytes, over-long lines, unknown keys, bad values), -EFBIG past
 * SOFTKEY_STATE_MAX. On error *st is wiped.
 */
int softkey_state_parse(const char *buf, size_t len, struct softkey_state *st)
{
	char line[LINE_MAX_LEN + 1];
	bool have_secret = false, have_key = false, have_cert = false;
	size_t pos = 0;
	int r = 0;

	if (len > SOFTKEY_STATE_MAX)
		return -EFBIG;
	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->pin_retries = SOFTKEY_PIN_RETRIES_MAX;
	st->touch_timeout_ms = 30000;
	memcpy(st->aaguid, default_aaguid, 16);
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		char *eq;

		if (n > LINE_MAX_LEN) {
			r = -EINVAL;
			break;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			r = -EINVAL;
			break;
		}
		*eq = '\0';
		if (strcmp(line, "version") == 0) {
			if (strcmp(eq + 1, "1") != 0) {
				r = -EINVAL;
				break;
			}
			continue;
		}
		if (strcmp(line, "pin") == 0) { /* only the hash is ever stored */
			r = -EINVAL;
			break;
		}
		if ((r = softkey_state_set(st, line, eq + 1)) < 0)
			break;
		have_secret |= strcmp(line, "secret") == 0;
		have_key |= strcmp(line, "attest_key") == 0;
		have_cert |= strcmp(line, "attest_cert") == 0;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (r == 0 && (!have_secret || !have_key || !have_cert))
		r = -EINVAL;
	if (r < 0)
		softkey_state_wipe(st);
	return r;
}

/* Reads and parses the state file at path (regular file, size-capped). */
int softkey_state_load(const char *path, struct softkey_state *st)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (sb.st_size > (off_t)SOFTKEY_STATE_MAX) {
		r = -EFBIG;
		goto out;
	}
	if ((buf = malloc(SOFTKEY_STATE_MAX + 1)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf + got, SOFTKEY_STATE_MAX + 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		got += (size_t)k;
		if (got > SOFTKEY_STATE_MAX) {
			r = -EFBIG;
			goto out;
		}
	}
	r = softkey_state_parse(buf, got, st);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, got);
		free(buf);
	}
	close(fd);
	return r;
}

static int append(char **p, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char **p, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*p + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EIO;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		size_t ncap = *cap * 2 + (size_t)n;
		char *q = malloc(ncap);
		if (q == NULL)
			return -ENOMEM;
		memcpy(q, *p, *len);
		OPENSSL_cleanse(*p, *cap);
		free(*p);
		*p = q;
		*cap = ncap;
	}
}

static int append_hex(char **p, size_t *len, size_t *cap, const char *key, const uint8_t *v,
		      size_t n)
{
	int r = append(p, len, cap, "%s=", key);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = append(p, len, cap, "%02x", v[i]);
	return r ? r : append(p, len, cap, "\n");
}

/*
 * Formats *st as a state file (secrets == true) or, for "softkey-ctl show", without
 * the device secret, attestation key and PIN hash. *ret_text is malloc'd, NUL-
 * terminated, owned by the caller (wipe it when it holds secrets).
 */
int softkey_state_format(const struct softkey_state *st, bool secrets, char **ret_text)
{
	size_t len = 0, cap = 4096;
	char *p = malloc(cap);
	int r;

	if (p == NULL)
		return -ENOMEM;
	p[0] = '\0';
	r = append(&p, &len, &cap,
		   "# mnguard softkey state: a software test authenticator, not a security key\n"
		   "version=1\n");
	if (!r)
		r = append_hex(&p, &len, &cap, "aaguid", st->aaguid, 16);
	if (!r && secrets)
		r = append_hex(&p, &len, &cap, "secret", st->secret, 32);
	if (!r && secrets)
		r = append_hex(&p, &len, &cap, "attest_key", st->attest_key, st->attest_key_len);
	if (!r)
		r = append_hex(&p, &len, &cap, "attest_cert", st->attest_cert, st->attest_cert_len);
	if (!r && secrets && st->pin_set)
		r = append_hex(&p, &len, &cap, "pin_hash", st->pin_hash, 16);
	if (!r && !secrets)
		r = append(&p, &len, &cap, "pin=%s\n", st->pin_set ? "set" : "unset");
	if (!r)
		r = append(&p, &len, &cap, "pin_retries=%u\ncounter=%u\nissued=%llu\n",
			   st->pin_retries, (unsigned)st->counter, (unsigned long long)st->issued);
	for (size_t i = 0; !r && i < sizeof(flag_keys) / sizeof(flag_keys[0]); i++)
		r = append(&p, &len, &cap, "%s=%d\n", flag_keys[i].name,
			   *(const bool *)((const char *)st + flag_keys[i].off) ? 1 : 0);
	for (size_t i = 1; !r && i < sizeof(ms_keys) / sizeof(ms_keys[0]); i++)
		r = append(&p, &len, &cap, "%s=%u\n", ms_keys[i].name,
			   *(const unsigned *)((const char *)st + ms_keys[i].off));
	if (r < 0) {
		OPENSSL_cleanse(p, cap);
		free(p);
		return r;
	}
	*ret_text = p;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Writes *st to path atomically: a 0600 temporary file in the same directory,
 * fsync, rename over path, fsync of the directory.
 */
int softkey_state_save(const char *path, const struct softkey_state *st)
{
	char *text = NULL, *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd = -1, r;

	if ((r = softkey_state_format(st, true, &text)) < 0)
		return r;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || (r = write_all(fd, text, strlen(text))) < 0 || fsync(fd) < 0) {
		r = r ? r : -errno;
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		(void)unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(tmp);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return r;
}

/* Takes an exclusive lock on "path.lock" (created 0600); returns its fd. */
int softkey_state_lock(const char *path)
{
	char *lp;
	int fd;

	if (asprintf(&lp, "%s.lock", path) < 0)
		return -ENOMEM;
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(lp);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	return fd;
}

void softkey_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
