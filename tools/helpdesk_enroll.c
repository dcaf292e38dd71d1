// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helpdesk_enroll.c - "mnguard-helpdesk enroll": make a FIDO2 credential
 * on the one key plugged in, verify its attestation, and add it to the
 * credential file that pam_mnguard(8) reads (mnguard-helpdesk(1)).
 *
 * MUST: the relying party id comes from --rp-id or the rp_id key of the
 *       configuration, never from the host name; without one, nothing is
 *       enrolled.
 * MUST: every credential gets a fresh random challenge and user id; user
 *       verification is required (and checked in the returned flags)
 *       unless --no-uv; user presence always.
 * MUST: the PIN is read without echo and wiped on every path.
 * MUST: the credential file is changed only after the attestation passed,
 *       under the writer's lock, atomically; a file with any error is not
 *       rewritten.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "config.h"
#include "cred.h"
#include "diag.h"
#include "file.h"
#include "helpdesk.h"
#include "ipc.h"
#include "sha256.h"

#define CONFIG_DEFAULT "/etc/mnguard/mnguard.conf"
#define TIMEOUT_DEFAULT 30 /* seconds for the touch when no configuration says */
#define DEVS_MAX 16

struct opts {
	const char *user, *label, *rp_id, *config, *credentials, *trust_dir, *operator_;
	const char *log, *socket;
	bool no_uv;
	int type; /* COSE_ES256 or COSE_EDDSA */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mnguard-helpdesk enroll --user U [--label L] [--rp-id ID | --config FILE]\n"
		"         [--credentials FILE] [--trust-dir DIR] [--operator NAME] [--no-uv]\n"
		"         [--type es256|eddsa] [--log FILE] [--socket PATH]\n");
}

static void err(const char *fmt, ...) MNG_PRINTF(1, 2);
static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mnguard-helpdesk enroll: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {"label", required_argument, NULL, 'l'},
	    {"rp-id", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {"credentials", required_argument, NULL, 'C'},
	    {"trust-dir", required_argument, NULL, 't'},
	    {"operator", required_argument, NULL, 'o'},
	    {"no-uv", no_argument, NULL, 'n'},
	    {"type", required_argument, NULL, 'T'},
	    {"log", required_argument, NULL, 'L'},
	    {"socket", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->type = COSE_ES256;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->user = optarg;
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'r':
			o->rp_id = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->credentials = optarg;
			break;
		case 't':
			o->trust_dir = optarg;
			break;
		case 'o':
			o->operator_ = optarg;
			break;
		case 'n':
			o->no_uv = true;
			break;
		case 'T':
			if (!strcmp(optarg, "es256"))
				o->type = COSE_ES256;
			else if (!strcmp(optarg, "eddsa"))
				o->type = COSE_EDDSA;
			else
				return HD_EXIT_USAGE;
			break;
		case 'L':
			o->log = optarg;
			break;
		case 'S':
			o->socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return HD_EXIT_USAGE;
		}
	}
	if (optind != argc || !o->user || (o->rp_id && o->config))
		return HD_EXIT_USAGE;
	return 0;
}

/* The rp id and the touch timeout: --rp-id, else the configuration's rp_id. */
static int settings(const struct opts *o, struct mng_config *cfg, const char **ret_rp)
{
	struct mng_diags diags = {0};
	const char *path = o->config ? o->config : CONFIG_DEFAULT;
	int r;

	mng_config_defaults(cfg);
	cfg->fido_timeout = TIMEOUT_DEFAULT;
	if (o->rp_id && !o->config) {
		*ret_rp = o->rp_id;
		return 0;
	}
	r = mng_config_load(path, 0, cfg, &diags);
	if (r < 0) {
		mng_diags_print(&diags, stderr);
		mng_diags_clear(&diags);
		err("no relying party id: give --rp-id, or --config with rp_id set (%s: %s)", path,
		    strerror(-r));
		return HD_EXIT_FAIL;
	}
	mng_diags_clear(&diags);
	if (!cfg->rp_id[0]) {
		err("%s sets no rp_id: give --rp-id or set rp_id there", path);
		return HD_EXIT_FAIL;
	}
	*ret_rp = cfg->rp_id;
	return 0;
}

/* The one key plugged in, opened. */
static int open_key(fido_dev_t **ret)
{
	fido_dev_info_t *list = fido_dev_info_new(DEVS_MAX);
	fido_dev_t *dev = NULL;
	size_t n = 0;
	int r, status = HD_EXIT_FAIL;

	if (!list) {
		err("out of memory");
		return HD_EXIT_FAIL;
	}
	r = fido_dev_info_manifest(list, DEVS_MAX, &n);
	if (r != FIDO_OK || n == 0) {
		err("no security key found: plug in the key to enroll");
		goto out;
	}
	if (n > 1) {
		err("%zu security keys are plugged in: leave only the one to enroll", n);
		goto out;
	}
	dev = fido_dev_new();
	if (!dev) {
		err("out of memory");
		goto out;
	}
	r = fido_dev_open(dev, fido_dev_info_path(fido_dev_info_ptr(list, 0)));
	if (r != FIDO_OK) {
		err("cannot open the security key: %s", fido_strerr(r));
		fido_dev_free(&dev);
		goto out;
	}
	*ret = dev;
	status = 0;
out:
	fido_dev_info_free(&list, DEVS_MAX);
	return status;
}

/* Does the key list algorithm cose among those it supports (CTAP 2.1 getInfo)? */
static bool key_supports(fido_dev_t *dev, int cose)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	bool ok = cose == COSE_ES256; /* every FIDO2 key does ES256 */
	size_t i;

	if (ci && fido_dev_get_cbor_info(dev, ci) == FIDO_OK)
		for (i = 0; i < fido_cbor_info_algorithm_count(ci); i++)
			if (fido_cbor_info_algorithm_cose(ci, i) == cose)
				ok = true;
	fido_cbor_info_free(&ci);
	return ok;
}

/* The credential's public key as a DER SubjectPublicKeyInfo. */
static int pubkey_der(const fido_cred_t *cred, int type, uint8_t **ret, size_t *ret_len)
{
	const unsigned char *p = fido_cred_pubkey_ptr(cred);
	size_t len = fido_cred_pubkey_len(cred);
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	int n;

	if (type == COSE_ES256) {
		es256_pk_t *pk = es256_pk_new();

		if (pk && es256_pk_from_ptr(pk, p, len) == FIDO_OK)
			pkey = es256_pk_to_EVP_PKEY(pk);
		es256_pk_free(&pk);
	} else {
		eddsa_pk_t *pk = eddsa_pk_new();

		if (pk && eddsa_pk_from_ptr(pk, p, len) == FIDO_OK)
			pkey = eddsa_pk_to_EVP_PKEY(pk);
		eddsa_pk_free(&pk);
	}
	if (!pkey)
		return -EINVAL;
	n = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (n <= 0)
		return -EINVAL;
	*ret = malloc((size_t)n);
	if (!*ret) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	memcpy(*ret, der, (size_t)n);
	*ret_len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

/* The credential file as it is now: empty when it does not exist yet. */
static int load_existing(const char *path, struct mng_credset *set)
{
	struct mng_diags diags = {0};
	int r;

	r = mng_credset_load(path, geteuid() == 0 ? MNG_FILE_TRUSTED : 0, set, &diags);
	if (r == -ENOENT) {
		mng_diags_clear(&diags);
		memset(set, 0, sizeof(*set));
		return 0;
	}
	if (r < 0) {
		mng_diags_print(&diags, stderr);
		err("%s cannot be used (%s): nothing enrolled", path, strerror(-r));
	}
	mng_diags_clear(&diags);
	return r < 0 ? HD_EXIT_FAIL : 0;
}

/* Set up cred for makeCredential: challenge, rp, user, options, exclusions. */
static int prepare(fido_cred_t *cred, const struct opts *o, const char *rp,
		   const struct mng_credset *set)
{
	unsigned char cdh[32], uid[32];
	size_t i;
	int r;

	if (RAND_bytes(cdh, sizeof(cdh)) != 1 || RAND_bytes(uid, sizeof(uid)) != 1)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_cred_set_type(cred, o->type)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata_hash(cred, cdh, sizeof(cdh))) != FIDO_OK ||
	    (r = fido_cred_set_rp(cred, rp, rp)) != FIDO_OK ||
	    (r = fido_cred_set_user(cred, uid, sizeof(uid), o->user, o->user, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_rk(cred, FIDO_OPT_FALSE)) != FIDO_OK ||
	    (r = fido_cred_set_uv(cred, o->no_uv ? FIDO_OPT_OMIT : FIDO_OPT_TRUE)) != FIDO_OK)
		return r;
	/* the same key twice for one user is refused by the key itself */
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].user, o->user) &&
		    (r = fido_cred_exclude(cred, set->v[i].id, set->v[i].id_len)) != FIDO_OK)
			return r;
	return FIDO_OK;
}

static int make_credential(fido_dev_t *dev, fido_cred_t *cred, const struct opts *o)
{
	char pin[HD_PIN_MAX + 1];
	bool use_pin = fido_dev_has_pin(dev);
	int r;

	if (!o->no_uv && !use_pin && !fido_dev_has_uv(dev)) {
		err("the key has neither a PIN nor built-in user verification: set a PIN on it "
		    "first (or enroll with --no-uv)");
		return HD_EXIT_FAIL;
	}
	if (use_pin) {
		r = hd_read_pin("セキュリティキーの PIN を入力してください / Security key PIN: ",
				pin, sizeof(pin));
		if (r < 0) {
			err("no usable PIN read (1 to %d bytes, one line)", HD_PIN_MAX);
			return HD_EXIT_FAIL;
		}
	}
	fprintf(stderr, "セキュリティキーに触れてください / Touch your security key\n");
	r = fido_dev_make_cred(dev, cred, use_pin ? pin : NULL);
	explicit_bzero(pin, sizeof(pin));
	if (r == FIDO_ERR_PIN_INVALID) {
		err("wrong PIN: nothing enrolled (the key counts the failed tries)");
		return HD_EXIT_FAIL;
	}
	if (r == FIDO_ERR_CREDENTIAL_EXCLUDED) {
		err("this key is already enrolled for user %s", o->user);
		return HD_EXIT_FAIL;
	}
	if (r != FIDO_OK) {
		err("the key did not make a credential: %s", fido_strerr(r));
		return HD_EXIT_FAIL;
	}
	return 0;
}

/* Check what came back and fill c (id and pk malloc'd). */
static int build_cred(const fido_cred_t *cred, const struct opts *o, const char *label,
		      const char *operator_, struct mng_cred *c)
{
	uint8_t flags = fido_cred_flags(cred);
	const char *why = NULL;

	if (!(flags & 0x01)) {
		err("the key did not report user presence: refused");
		return HD_EXIT_FAIL;
	}
	if (!o->no_uv && !(flags & 0x04)) {
		err("the key did not verify the user (no UV flag): refused");
		return HD_EXIT_FAIL;
	}
	if (fido_cred_aaguid_len(cred) != 16 || !fido_cred_id_len(cred) ||
	    fido_cred_id_len(cred) > MNG_CRED_ID_MAX) {
		err("the key returned a malformed credential");
		return HD_EXIT_FAIL;
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->user, sizeof(c->user), "%s", o->user);
	c->type = o->type == COSE_EDDSA ? MNG_CRED_EDDSA : MNG_CRED_ES256;
	c->flags = MNG_CRED_F_UP | (o->no_uv ? 0 : MNG_CRED_F_UV);
	memcpy(c->aaguid, fido_cred_aaguid_ptr(cred), 16);
	snprintf(c->label, sizeof(c->label), "%s", label);
	snprintf(c->operator_, sizeof(c->operator_), "%s", operator_);
	hd_now_rfc3339(c->enrolled, sizeof(c->enrolled));
	c->id_len = fido_cred_id_len(cred);
	c->id = malloc(c->id_len);
	if (!c->id || pubkey_der(cred, o->type, &c->pk, &c->pk_len) < 0) {
		err("cannot convert the credential's public key");
		return HD_EXIT_FAIL;
	}
	memcpy(c->id, fido_cred_id_ptr(cred), c->id_len);
	if (mng_cred_check(c, &why) < 0) {
		err("the credential does not fit the file: %s", why ? why : "invalid");
		return HD_EXIT_FAIL;
	}
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* A label or operator as the file wants it: 1..64 bytes of printable UTF-8. */
static bool text_ok(const char *s)
{
	struct json_object *j;
	const unsigned char *p;
	bool ok;

	if (!*s || strlen(s) > MNG_CRED_TEXT_MAX)
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			return false;
	/* valid UTF-8 comes back unchanged */
	j = mng_ipc_json_string(s, MNG_CRED_TEXT_MAX);
	ok = j && !strcmp(json_object_get_string(j), s);
	json_object_put(j);
	return ok;
}

/* Checks the file applies to the text fields, done before the key is touched. */
static int check_names(const struct opts *o, const char *label, const char *operator_,
		       const struct mng_credset *set)
{
	size_t i;

	if (!mng_ipc_user_name_ok(o->user)) {
		err("\"%s\" is not a valid user name", o->user);
		return HD_EXIT_USAGE;
	}
	if (!text_ok(label) || !text_ok(operator_)) {
		err("label and operator must be 1 to %d bytes of printable UTF-8",
		    MNG_CRED_TEXT_MAX);
		return HD_EXIT_USAGE;
	}
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].user, o->user) && !strcmp(set->v[i].label, label)) {
			err("user %s already has a key labelled \"%s\": choose another --label",
			    o->user, label);
			return HD_EXIT_FAIL;
		}
	return 0;
}

int hd_enroll(int argc, char **argv)
{
	struct mng_credset set = {0};
	struct mng_config cfg;
	struct mng_cred c = {0};
	struct opts o;
	fido_dev_t *dev = NULL;
	fido_cred_t *cred = NULL;
	const char *rp = NULL, *path, *fmt = "none", *operator_;
	char why[512], label[MNG_CRED_TEXT_MAX + 1] = "", aaguid[33], *idtxt = NULL;
	char idhash[MNG_SHA256_HEX_LEN + 1];
	uint8_t digest[MNG_SHA256_LEN];
	struct passwd *pw;
	int status, lock = -1, r;

	fido_init(0);
	status = parse_opts(argc, argv, &o);
	if (status < 0)
		return HD_EXIT_OK;
	if (status) {
		usage(stderr);
		return status;
	}
	status = settings(&o, &cfg, &rp);
	if (status)
		return status;
	path = o.credentials ? o.credentials : cfg.credentials;
	pw = getpwuid(getuid());
	operator_ = o.operator_ ? o.operator_ : pw ? pw->pw_name : NULL;
	if (!operator_) {
		err("who is enrolling? give --operator NAME");
		return HD_EXIT_USAGE;
	}
	lock = hd_lock(path);
	if (lock < 0) {
		err("cannot lock %s.lock: %s", path, strerror(-lock));
		return HD_EXIT_FAIL;
	}
	status = load_existing(path, &set);
	if (status)
		goto out;
	/* the default label is made unique below, once the credential id is known */
	if (o.label)
		snprintf(label, sizeof(label), "%s", o.label);
	status = check_names(&o, o.label ? o.label : "key", operator_, &set);
	if (status)
		goto out;
	status = open_key(&dev);
	if (status)
		goto out;
	status = HD_EXIT_FAIL;
	fido_dev_set_timeout(dev,
			     (int)(cfg.fido_timeout ? cfg.fido_timeout : TIMEOUT_DEFAULT) * 1000);
	if (o.type == COSE_EDDSA && !key_supports(dev, COSE_EDDSA)) {
		err("this key does not offer EdDSA: enroll with --type es256");
		goto out;
	}
	cred = fido_cred_new();
	if (!cred || prepare(cred, &o, rp, &set) != FIDO_OK) {
		err("cannot set up the request");
		goto out;
	}
	status = make_credential(dev, cred, &o);
	if (status)
		goto out;
	status = HD_EXIT_FAIL;
	/* --trust-dir, else the configuration's attestation_trust_dir, if read and set */
	r = hd_attest_check(cred,
			    o.trust_dir			   ? o.trust_dir
			    : cfg.attestation_trust_dir[0] ? cfg.attestation_trust_dir
							   : NULL,
			    &fmt, why, sizeof(why));
	if (r < 0) {
		err("%s: nothing enrolled", why);
		goto out;
	}
	(void)mng_sha256(fido_cred_id_ptr(cred), fido_cred_id_len(cred), digest);
	mng_sha256_hex(digest, idhash);
	if (!o.label)
		snprintf(label, sizeof(label), "key-%.8s", idhash);
	status = build_cred(cred, &o, label, operator_, &c);
	if (status)
		goto out;
	status = HD_EXIT_FAIL;
	r = mng_credset_add(&set, &c);
	if (r < 0) {
		err("cannot add the credential: %s", strerror(-r));
		goto out;
	}
	r = mng_credset_write(path, &set);
	if (r < 0) {
		err("cannot write %s: %s (unchanged)", path, strerror(-r));
		goto out;
	}
	hex(c.aaguid, 16, aaguid);
	(void)mng_cred_id_encode(c.id, c.id_len, &idtxt);
	printf("enrolled: user %s label \"%s\" type %s aaguid %s attestation %s\n", c.user, c.label,
	       mng_cred_type_name(c.type), aaguid, fmt);
	printf("credential id %s\nadded to %s\n", idtxt ? idtxt : "?", path);
	r = hd_log_action(o.log, operator_, "enroll", c.user, c.label, aaguid, idhash);
	if (r < 0)
		fprintf(stderr,
			"mnguard-helpdesk enroll: warning: the help desk log was not "
			"written: %s\n",
			strerror(-r));
	/* where the agent runs (enrolling on a terminal), it audits the enrolment */
	snprintf(why, sizeof(why), "aaguid %s attestation %s operator %s", aaguid, fmt, operator_);
	(void)mng_ipc_auth_report(o.socket, "key.enroll", c.user, c.label, why);
	status = HD_EXIT_OK;
out:
	free(idtxt);
	free(c.id);
	free(c.pk);
	fido_cred_free(&cred);
	if (dev) {
		(void)fido_dev_close(dev);
		fido_dev_free(&dev);
	}
	mng_credset_clear(&set);
	if (lock >= 0)
		(void)close(lock);
	return status;
}
