// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fido.c - the security key side of pam_mnguard: find the key, get an
 * assertion, verify it (see module.h).
 *
 * MUST: the challenge is fresh (RAND_bytes) for every attempt and the RP ID
 *       comes from the configuration only.
 * MUST: an assertion counts only after it was verified with the public key
 *       stored at enrolment (es256: mng_assertion_verify_es256, which checks
 *       the rpIdHash, the absence of extensions and the signature; eddsa and
 *       rs256: fido_assert_verify), for a credential id of this user, and
 *       after UP, UV when asked for, and the flags the credential demands
 *       were seen in the signed authenticator data.
 * MUST: the PIN is sent only to a key known to hold one of the user's
 *       credentials (with several keys present, a silent probe without
 *       user presence and without PIN finds it first), so a wrong guess
 *       never costs another key a PIN retry.
 * MUST: every libfido2 object is freed on every path; buffers holding the
 *       challenge are wiped.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "assertion.h"
#include "module.h"

#define UP_BIT 0x01
#define UV_BIT 0x04

const char *mng_fido_result_name(enum mng_fido_result r)
{
	switch (r) {
	case MNG_FIDO_OK:
		return "verified";
	case MNG_FIDO_NO_DEVICE:
		return "no security key present";
	case MNG_FIDO_NO_CRED:
		return "no present key holds a credential of the user";
	case MNG_FIDO_PIN_WRONG:
		return "wrong PIN";
	case MNG_FIDO_PIN_BLOCKED:
		return "PIN blocked";
	case MNG_FIDO_PIN_NEEDED:
		return "the key needs a PIN";
	case MNG_FIDO_TIMEOUT:
		return "no touch within the timeout";
	case MNG_FIDO_BAD_SIGNATURE:
		return "signature does not verify";
	case MNG_FIDO_FLAGS:
		return "user presence or verification missing";
	case MNG_FIDO_ERROR:
		return "security key error";
	case MNG_FIDO_DENY:
	default:
		return "denied";
	}
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static bool wants_uv(const struct mng_fido_request *req)
{
	size_t i;

	for (i = 0; i < req->n; i++)
		if (req->creds[i]->flags & MNG_CRED_F_UV)
			return true;
	return false;
}

/* An assertion request over the user's allow-list; cdh may be NULL (probe). */
static fido_assert_t *new_assert(const struct mng_fido_request *req, const unsigned char *cdh,
				 fido_opt_t up, fido_opt_t uv)
{
	fido_assert_t *a = fido_assert_new();
	unsigned char zero[32] = {0};
	size_t i;

	if (!a)
		return NULL;
	if (fido_assert_set_rp(a, req->rp_id) != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh ? cdh : zero, 32) != FIDO_OK ||
	    fido_assert_set_up(a, up) != FIDO_OK || fido_assert_set_uv(a, uv) != FIDO_OK)
		goto fail;
	for (i = 0; i < req->n; i++)
		if (fido_assert_allow_cred(a, req->creds[i]->id, req->creds[i]->id_len) != FIDO_OK)
			goto fail;
	return a;
fail:
	fido_assert_free(&a);
	return NULL;
}

/* Does the key at dev hold one of the credentials? Silent: no UP, no PIN. */
static bool probe(fido_dev_t *dev, const struct mng_fido_request *req)
{
	fido_assert_t *a = new_assert(req, NULL, FIDO_OPT_FALSE, FIDO_OPT_OMIT);
	int r;

	if (!a)
		return false;
	r = fido_dev_get_assert(dev, a, NULL);
	fido_assert_free(&a);
	if (req->debug)
		pam_syslog(req->pamh, LOG_DEBUG, "probe: %s", fido_strerr(r));
	return r == FIDO_OK;
}

/*
 * The DER SubjectPublicKeyInfo header of a canonical eddsa key (the only
 * form lib/cred.c accepts for it): the raw key follows, and goes to
 * libfido2 without OpenSSL's decoders.
 */
static const uint8_t eddsa_spki[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
				       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/*
 * eddsa and rs256: the stored DER public key as libfido2 wants it for
 * fido_assert_verify (es256 goes through lib/assertion.c).
 */
static int verify(const fido_assert_t *a, const struct mng_cred *c)
{
	const unsigned char *p = c->pk;
	EVP_PKEY *evp = NULL;
	eddsa_pk_t *ed = NULL;
	rs256_pk_t *rs = NULL;
	int r = FIDO_ERR_INTERNAL;

	switch (c->type) {
	case MNG_CRED_EDDSA:
		if (c->pk_len != sizeof(eddsa_spki) + 32 ||
		    memcmp(c->pk, eddsa_spki, sizeof(eddsa_spki)))
			return FIDO_ERR_INVALID_ARGUMENT;
		if ((ed = eddsa_pk_new()) &&
		    eddsa_pk_from_ptr(ed, c->pk + sizeof(eddsa_spki), 32) == FIDO_OK)
			r = fido_assert_verify(a, 0, COSE_EDDSA, ed);
		break;
	case MNG_CRED_RS256:
		evp = d2i_PUBKEY(NULL, &p, (long)c->pk_len);
		if (!evp)
			return FIDO_ERR_INVALID_ARGUMENT;
		if ((rs = rs256_pk_new()) && rs256_pk_from_EVP_PKEY(rs, evp) == FIDO_OK)
			r = fido_assert_verify(a, 0, COSE_RS256, rs);
		break;
	default:
		break;
	}
	eddsa_pk_free(&ed);
	rs256_pk_free(&rs);
	EVP_PKEY_free(evp);
	return r;
}

/* Which of the user's credentials answered; -1 when none of them. */
static long answered(const fido_assert_t *a, const struct mng_fido_request *req)
{
	const unsigned char *id = fido_assert_id_ptr(a, 0);
	size_t len = fido_assert_id_len(a, 0), i;

	if (!id || len == 0)
		return req->n == 1 ? 0 : -1; /* CTAP2 may omit it for a single allowed id */
	for (i = 0; i < req->n; i++)
		if (req->creds[i]->id_len == len && !memcmp(req->creds[i]->id, id, len))
			return (long)i;
	return -1;
}

static enum mng_fido_result map_error(int r)
{
	switch (r) {
	case FIDO_ERR_NO_CREDENTIALS:
		return MNG_FIDO_NO_CRED;
	case FIDO_ERR_PIN_INVALID:
		return MNG_FIDO_PIN_WRONG;
	case FIDO_ERR_PIN_BLOCKED:
	case FIDO_ERR_PIN_AUTH_BLOCKED:
	case FIDO_ERR_UV_BLOCKED:
		return MNG_FIDO_PIN_BLOCKED;
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_PIN_NOT_SET:
	case FIDO_ERR_UNSUPPORTED_OPTION:
		return MNG_FIDO_PIN_NEEDED;
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
	case FIDO_ERR_KEEPALIVE_CANCEL:
		return MNG_FIDO_TIMEOUT;
	case FIDO_ERR_OPERATION_DENIED:
		return MNG_FIDO_DENY;
	default:
		return MNG_FIDO_ERROR;
	}
}

/* One full attempt on one open key. */
static void attempt(fido_dev_t *dev, const struct mng_fido_request *req,
		    struct mng_fido_outcome *out)
{
	unsigned char challenge[32], cdh[SHA256_DIGEST_LENGTH];
	fido_opt_t uv = wants_uv(req) ? FIDO_OPT_TRUE : FIDO_OPT_OMIT;
	fido_assert_t *a = NULL;
	struct timespec start;
	const struct mng_cred *c;
	uint32_t counter;
	uint8_t flags;
	long idx;
	int r;

	out->result = MNG_FIDO_ERROR;
	if (RAND_bytes(challenge, sizeof(challenge)) != 1)
		goto out;
	SHA256(challenge, sizeof(challenge), cdh);
	a = new_assert(req, cdh, FIDO_OPT_TRUE, uv);
	if (!a)
		goto out;
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	r = fido_dev_get_assert(dev, a, req->pin);
	out->fido_err = r;
	if (req->debug)
		pam_syslog(req->pamh, LOG_DEBUG, "get_assert: %s after %ld ms", fido_strerr(r),
			   elapsed_ms(&start));
	if (r != FIDO_OK) {
		out->result = map_error(r);
		/* libfido2 reports its own timeout as a receive error */
		if (out->result == MNG_FIDO_ERROR && req->timeout_ms > 0 &&
		    elapsed_ms(&start) >= req->timeout_ms - 50)
			out->result = MNG_FIDO_TIMEOUT;
		if (out->result == MNG_FIDO_TIMEOUT)
			(void)fido_dev_cancel(dev);
		goto out;
	}
	if (fido_assert_count(a) != 1 || (idx = answered(a, req)) < 0)
		goto out;
	c = req->creds[idx];
	if (c->type == MNG_CRED_ES256) {
		/* the rpIdHash, no extensions, the signature; flags and counter as signed */
		struct mng_assertion as = {0};

		r = mng_assertion_verify_es256(
		    fido_assert_authdata_ptr(a, 0), fido_assert_authdata_len(a, 0), cdh, req->rp_id,
		    fido_assert_sig_ptr(a, 0), fido_assert_sig_len(a, 0), c->pk, c->pk_len, &as);
		out->fido_err = r == 0		? FIDO_OK
				: r == -EBADMSG ? FIDO_ERR_INVALID_SIG
						: FIDO_ERR_INVALID_ARGUMENT;
		if (r == -EBADMSG) {
			out->result = MNG_FIDO_BAD_SIGNATURE;
			goto out;
		}
		if (r < 0)
			goto out;
		flags = as.flags;
		counter = as.counter;
	} else {
		/* fido_assert_verify checks the rpIdHash, the flags asked for, the signature */
		r = verify(a, c);
		out->fido_err = r;
		if (r == FIDO_ERR_INVALID_SIG) {
			out->result = MNG_FIDO_BAD_SIGNATURE;
			goto out;
		}
		flags = fido_assert_flags(a, 0);
		counter = fido_assert_sigcount(a, 0);
	}
	out->flags = flags;
	/* UP was asked for always, UV whenever a credential wants it */
	if (!(flags & UP_BIT) || (uv == FIDO_OPT_TRUE && !(flags & UV_BIT)) ||
	    ((c->flags & MNG_CRED_F_UP) && !(flags & UP_BIT)) ||
	    ((c->flags & MNG_CRED_F_UV) && !(flags & UV_BIT))) {
		out->result = MNG_FIDO_FLAGS;
		goto out;
	}
	if (out->fido_err != FIDO_OK)
		goto out;
	out->cred = (size_t)idx;
	out->counter = counter;
	out->result = MNG_FIDO_OK;
out:
	fido_assert_free(&a);
	explicit_bzero(challenge, sizeof(challenge));
	explicit_bzero(cdh, sizeof(cdh));
}

int mng_fido_assert(const struct mng_fido_request *req, struct mng_fido_outcome *ret)
{
	struct mng_fido_outcome out = {.result = MNG_FIDO_NO_DEVICE};
	fido_dev_info_t *list = NULL;
	size_t n = 0, i;
	int r;

	if (!req || !ret || !req->rp_id || !req->creds || req->n == 0)
		return -EINVAL;
	if (wants_uv(req) && !req->pin)
		return -EINVAL;
	fido_init(0);
	list = fido_dev_info_new(MNG_PAM_DEVICES_MAX);
	if (!list)
		return -ENOMEM;
	r = fido_dev_info_manifest(list, MNG_PAM_DEVICES_MAX, &n);
	if (r != FIDO_OK) {
		fido_dev_info_free(&list, MNG_PAM_DEVICES_MAX);
		return -EIO;
	}
	for (i = 0; i < n; i++) {
		const fido_dev_info_t *di = fido_dev_info_ptr(list, i);
		fido_dev_t *dev = fido_dev_new();

		if (!dev) {
			fido_dev_info_free(&list, MNG_PAM_DEVICES_MAX);
			return -ENOMEM;
		}
		r = fido_dev_open(dev, fido_dev_info_path(di));
		if (req->debug)
			pam_syslog(req->pamh, LOG_DEBUG, "open %s: %s", fido_dev_info_path(di),
				   fido_strerr(r));
		if (r != FIDO_OK) {
			fido_dev_free(&dev);
			out.result = MNG_FIDO_ERROR;
			out.fido_err = r;
			continue;
		}
		if (req->timeout_ms > 0)
			(void)fido_dev_set_timeout(dev, req->timeout_ms);
		if (n > 1 && !probe(dev, req)) {
			out.result = MNG_FIDO_NO_CRED;
		} else {
			out = (struct mng_fido_outcome){0};
			attempt(dev, req, &out);
			if (out.result == MNG_FIDO_OK)
				(void)snprintf(out.path, sizeof(out.path), "%s",
					       fido_dev_info_path(di));
		}
		(void)fido_dev_close(dev);
		fido_dev_free(&dev);
		if (out.result != MNG_FIDO_NO_CRED)
			break;
	}
	fido_dev_info_free(&list, MNG_PAM_DEVICES_MAX);
	*ret = out;
	return 0;
}
