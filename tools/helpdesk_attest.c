// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_attest.c - is the credential a key just made really from a key
 * of a trusted make? libfido2 checks the attestation signature (packed,
 * fido-u2f); this file adds the certificate chain check against the CA
 * certificates of a trust directory, with OpenSSL's X509_STORE.
 *
 * MUST: with a trust directory, only an x5c attestation whose leaf chains
 *       to one of its certificates passes; "none" and self attestation are
 *       refused, and so is an empty or unreadable directory.
 * MUST: the trust directory is read with caps (HD_TRUST_FILES files of at
 *       most HD_TRUST_FILE_MAX bytes); symlinks are not followed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "file.h"
#include "helpdesk.h"
#include "mng.h"

static int fail(char *why, size_t whylen, int r, const char *fmt, ...) MNG_PRINTF(4, 5);
static int fail(char *why, size_t whylen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return r;
}

/* Add every PEM certificate in buf to store; the number added. */
static size_t add_pem(X509_STORE *store, const char *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	size_t n = 0;
	X509 *x;

	if (!bio)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	ERR_clear_error(); /* the end of the data reads as an error */
	BIO_free(bio);
	return n;
}

/* The CA certificates of dir (regular files, no symlinks). Returns the count or -errno. */
static int load_store(const char *dir, X509_STORE *store, char *why, size_t whylen)
{
	struct dirent *de;
	size_t files = 0, certs = 0;
	int dfd;
	DIR *d;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(why, whylen, -errno, "trust directory %s: %s", dir, strerror(errno));
	d = fdopendir(dfd);
	if (!d) {
		(void)close(dfd);
		return fail(why, whylen, -ENOMEM, "trust directory %s: out of memory", dir);
	}
	while ((de = readdir(d))) {
		char *buf = NULL;
		size_t len = 0;

		if (de->d_name[0] == '.')
			continue;
		if (++files > HD_TRUST_FILES) {
			closedir(d);
			return fail(why, whylen, -E2BIG, "trust directory %s: more than %d files",
				    dir, HD_TRUST_FILES);
		}
		/* O_NOFOLLOW through the reader: a symlink is skipped */
		if (mng_file_read_at(dfd, de->d_name, HD_TRUST_FILE_MAX, 0, &buf, &len, NULL) < 0)
			continue;
		certs += add_pem(store, buf, len);
		free(buf);
	}
	closedir(d);
	if (!certs)
		return fail(why, whylen, -ENOENT, "trust directory %s holds no PEM certificate",
			    dir);
	return (int)certs;
}

static int check_chain(const fido_cred_t *cred, const char *dir, char *why, size_t whylen)
{
	const unsigned char *p = fido_cred_x5c_ptr(cred);
	size_t len = fido_cred_x5c_len(cred);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = NULL;
	int r;

	if (!store || !ctx) {
		r = fail(why, whylen, -ENOMEM, "out of memory");
		goto out;
	}
	r = load_store(dir, store, why, whylen);
	if (r < 0)
		goto out;
	if (!p || !len || len > HD_TRUST_FILE_MAX || !(leaf = d2i_X509(NULL, &p, (long)len))) {
		r = fail(why, whylen, -EINVAL, "the attestation certificate does not parse");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1) {
		r = fail(why, whylen, -ENOMEM, "out of memory");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		r = fail(why, whylen, -EPERM,
			 "the attestation certificate does not chain to a CA in %s: %s", dir,
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_free(leaf);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

int hd_attest_check(const fido_cred_t *cred, const char *trust_dir, const char **ret_fmt, char *why,
		    size_t whylen)
{
	const char *fmt = fido_cred_fmt(cred);
	bool x5c = fido_cred_x5c_ptr(cred) && fido_cred_x5c_len(cred);
	int r;

	if (!fmt)
		return fail(why, whylen, -EINVAL, "the key sent no attestation format");
	if (!strcmp(fmt, "none")) {
		if (trust_dir)
			return fail(why, whylen, -EPERM,
				    "the key sent no attestation (format \"none\"); a trust "
				    "directory is configured, so it is refused");
		*ret_fmt = fmt;
		return 0;
	}
	if (strcmp(fmt, "packed") && strcmp(fmt, "fido-u2f"))
		return fail(why, whylen, -EINVAL, "attestation format \"%.32s\" is not supported",
			    fmt);
	r = x5c ? fido_cred_verify(cred) : fido_cred_verify_self(cred);
	if (r != FIDO_OK)
		return fail(why, whylen, -EPERM, "the attestation does not verify: %s",
			    fido_strerr(r));
	if (trust_dir) {
		if (!x5c)
			return fail(why, whylen, -EPERM,
				    "self attestation cannot be checked against %s: refused",
				    trust_dir);
		r = check_chain(cred, trust_dir, why, whylen);
		if (r < 0)
			return r;
	}
	*ret_fmt = fmt;
	return 0;
}
