// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CTAP2 commands of the software authenticator: authenticatorGetInfo,
 * authenticatorMakeCredential (ES256, "packed" attestation with an x5c chain of
 * one self-signed certificate), authenticatorGetAssertion (non-resident
 * credentials from an allow list) and authenticatorClientPIN protocol 1
 * (getRetries, getKeyAgreement, setPIN, changePIN, getPINToken).
 *
 * Credential ids carry their own wrapped private key (crypto.c), so nothing per
 * credential is stored.
 *
 * MUST: a credential id is used only when it unwraps under this device's secret and
 *       the request's rpIdHash.
 * MUST: PIN retries are decremented and persisted before the PIN hash is compared;
 *       a correct PIN restores them; retries 0 blocks every PIN operation.
 * MUST: every request field is type- and length-checked; a malformed request gets a
 *       CTAP error status, never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "softkey.h"

#define CMD_MAKECRED 0x01
#define CMD_GETASSERT 0x02
#define CMD_GETINFO 0x04
#define CMD_CLIENTPIN 0x06
#define CMD_RESET 0x07
#define CMD_NEXTASSERT 0x08

#define F_UP 0x01
#define F_UV 0x04
#define F_AT 0x40

#define LIST_MAX 64u /* allow/exclude list entries */
#define STR_MAX 256u /* rp id and other strings */

/* ---- CBOR helpers ---- */

/* Adds k: v to map; always drops the caller's references to k and v. */
static bool map_put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	bool ok = map != NULL && k != NULL && v != NULL &&
		  cbor_map_add(map, (struct cbor_pair){.key = k, .value = v});

	if (k != NULL)
		cbor_decref(&k);
	if (v != NULL)
		cbor_decref(&v);
	return ok;
}

static bool arr_put(cbor_item_t *arr, cbor_item_t *v)
{
	bool ok = arr != NULL && v != NULL && cbor_array_push(arr, v);

	if (v != NULL)
		cbor_decref(&v);
	return ok;
}

static cbor_item_t *bytes(const uint8_t *p, size_t n)
{
	return cbor_build_bytestring(p, n);
}

/* COSE_Key of a P-256 public key; alg -7 (ES256) or -25 (ECDH-ES+HKDF-256). */
static cbor_item_t *cose_key(EVP_PKEY *pk, uint8_t alg_neg)
{
	uint8_t x[32], y[32];
	cbor_item_t *m;

	if (softkey_ec_point(pk, x, y) < 0 || (m = cbor_new_definite_map(5)) == NULL)
		return NULL;
	if (!map_put(m, cbor_build_uint8(1), cbor_build_uint8(2)) ||
	    !map_put(m, cbor_build_uint8(3), cbor_build_negint8(alg_neg)) ||
	    !map_put(m, cbor_build_negint8(0), cbor_build_uint8(1)) ||
	    !map_put(m, cbor_build_negint8(1), bytes(x, 32)) ||
	    !map_put(m, cbor_build_negint8(2), bytes(y, 32))) {
		cbor_decref(&m);
		return NULL;
	}
	return m;
}

/* Serializes status byte + map into out; consumes map. */
static int reply(uint8_t status, cbor_item_t *map, uint8_t *out, size_t *out_len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	out[0] = status;
	*out_len = 1;
	if (map == NULL)
		return 0;
	n = cbor_serialize_alloc(map, &buf, &cap);
	cbor_decref(&map);
	if (n == 0 || n + 1 > SOFTKEY_MSG_MAX) {
		free(buf);
		out[0] = CTAP1_ERR_OTHER;
		return 0;
	}
	memcpy(out + 1, buf, n);
	*out_len = n + 1;
	free(buf);
	return 0;
}

static int status_only(uint8_t status, uint8_t *out, size_t *out_len)
{
	return reply(status, NULL, out, out_len);
}

/* Integer key of a request map; -1 when the key is not a small unsigned int. */
static int ukey(const cbor_item_t *k)
{
	if (!cbor_isa_uint(k) || cbor_get_int(k) > 255)
		return -1;
	return (int)cbor_get_int(k);
}

static bool get_bytes(const cbor_item_t *v, const uint8_t **p, size_t *n)
{
	if (!cbor_isa_bytestring(v) || !cbor_bytestring_is_definite(v))
		return false;
	*p = cbor_bytestring_handle(v);
	*n = cbor_bytestring_length(v);
	return *p != NULL || *n == 0;
}

/* Text string of at most STR_MAX bytes without NUL, copied into buf. */
static bool get_text(const cbor_item_t *v, char *buf, size_t cap)
{
	size_t n;

	if (!cbor_isa_string(v) || !cbor_string_is_definite(v))
		return false;
	n = cbor_string_length(v);
	if (n >= cap || n > STR_MAX || (n > 0 && memchr(cbor_string_handle(v), 0, n) != NULL))
		return false;
	if (n > 0)
		memcpy(buf, cbor_string_handle(v), n);
	buf[n] = '\0';
	return true;
}

static bool text_eq(const cbor_item_t *v, const char *s)
{
	size_t n = strlen(s);

	return cbor_isa_string(v) && cbor_string_is_definite(v) && cbor_string_length(v) == n &&
	       memcmp(cbor_string_handle(v), s, n) == 0;
}

/* Looks up a text key in a map; NULL when absent. */
static const cbor_item_t *map_text(const cbor_item_t *m, const char *key)
{
	struct cbor_pair *p = cbor_map_handle(m);

	for (size_t i = 0; i < cbor_map_size(m); i++)
		if (text_eq(p[i].key, key))
			return p[i].value;
	return NULL;
}

/* Request map: top-level keys 1..15, each at most once. */
struct req {
	cbor_item_t *root;
	const cbor_item_t *v[16];
};

static uint8_t req_parse(const uint8_t *p, size_t n, struct req *q)
{
	struct cbor_load_result res;
	struct cbor_pair *pairs;

	memset(q, 0, sizeof(*q));
	if (n == 0)
		return CTAP2_OK; /* no parameters */
	q->root = cbor_load(p, n, &res);
	if (q->root == NULL || res.error.code != CBOR_ERR_NONE || res.read != n)
		return CTAP2_ERR_INVALID_CBOR;
	if (!cbor_isa_map(q->root) || !cbor_map_is_definite(q->root))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	pairs = cbor_map_handle(q->root);
	for (size_t i = 0; i < cbor_map_size(q->root); i++) {
		int k = ukey(pairs[i].key);
		if (k < 0 || k >= 16)
			continue; /* unknown keys are ignored */
		if (q->v[k] != NULL)
			return CTAP2_ERR_INVALID_CBOR;
		q->v[k] = pairs[i].value;
	}
	return CTAP2_OK;
}

static void req_free(struct req *q)
{
	if (q->root != NULL)
		cbor_decref(&q->root);
}

/* options map: each known option a bool; "up"/"uv"/"rk" -> -1 absent, 0, 1. */
static uint8_t parse_options(const cbor_item_t *m, int *up, int *uv, int *rk)
{
	struct cbor_pair *p;

	*up = *uv = *rk = -1;
	if (m == NULL)
		return CTAP2_OK;
	if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		int *dst = NULL;
		if (text_eq(p[i].key, "up"))
			dst = up;
		else if (text_eq(p[i].key, "uv"))
			dst = uv;
		else if (text_eq(p[i].key, "rk"))
			dst = rk;
		if (!cbor_is_bool(p[i].value))
			return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
		if (dst != NULL)
			*dst = cbor_get_bool(p[i].value) ? 1 : 0;
	}
	return CTAP2_OK;
}

/* ---- state access ---- */

static uint8_t state_read(struct softkey_session *s, struct softkey_state *st)
{
	return softkey_state_load(s->path, st) < 0 ? CTAP1_ERR_OTHER : CTAP2_OK;
}

/* ---- user verification through pinAuth ---- */

/*
 * pinAuth/pinProtocol of makeCredential or getAssertion. Sets *uv on a good pinAuth.
 * An empty pinAuth is the "touch" probe: *touch_probe is set.
 */
static uint8_t check_pin_auth(struct softkey_session *s, const struct softkey_state *st,
			      const cbor_item_t *auth, const cbor_item_t *proto,
			      const uint8_t cdh[32], bool *uv, bool *touch_probe)
{
	const uint8_t *a;
	size_t n;
	uint8_t mac[32];

	*uv = false;
	*touch_probe = false;
	if (auth == NULL)
		return CTAP2_OK;
	if (!get_bytes(auth, &a, &n))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (n == 0) {
		*touch_probe = true;
		return CTAP2_OK;
	}
	if (proto == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!cbor_isa_uint(proto))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (cbor_get_int(proto) != 1)
		return CTAP2_ERR_PIN_AUTH_INVALID;
	if (!st->pin_set)
		return CTAP2_ERR_PIN_NOT_SET;
	if (n != 16 || softkey_hmac256(s->token, sizeof(s->token), cdh, 32, mac) < 0 ||
	    CRYPTO_memcmp(mac, a, 16) != 0)
		return CTAP2_ERR_PIN_AUTH_INVALID;
	*uv = true;
	return CTAP2_OK;
}

static void job_timing(struct softkey_job *job, const struct softkey_state *st, bool touch)
{
	job->need_touch = touch;
	job->no_touch = touch && st->no_touch;
	job->storm_ms = st->keepalive_storm_ms;
	job->touch_delay_ms = st->touch_delay_ms;
	job->touch_timeout_ms = st->touch_timeout_ms;
}

/* ---- commands ---- */

static int get_info(struct softkey_session *s, uint8_t *out, size_t *out_len)
{
	struct softkey_state st;
	cbor_item_t *m, *ver, *opt, *proto, *trans;
	bool ok;

	if (state_read(s, &st) != CTAP2_OK)
		return status_only(CTAP1_ERR_OTHER, out, out_len);
	m = cbor_new_definite_map(6);
	ver = cbor_new_definite_array(1);
	opt = cbor_new_definite_map(st.builtin_uv ? 5 : 4);
	proto = cbor_new_definite_array(1);
	trans = cbor_new_definite_array(1);
	ok = m && ver && opt && proto && trans;
	ok = ok && arr_put(ver, cbor_build_string("FIDO_2_0"));
	ok = ok && map_put(opt, cbor_build_string("rk"), cbor_build_bool(false));
	ok = ok && map_put(opt, cbor_build_string("up"), cbor_build_bool(true));
	/* canonical CTAP2 order (shorter keys first), which libfido2 checks */
	if (st.builtin_uv)
		ok = ok && map_put(opt, cbor_build_string("uv"), cbor_build_bool(true));
	ok = ok && map_put(opt, cbor_build_string("plat"), cbor_build_bool(false));
	ok = ok && map_put(opt, cbor_build_string("clientPin"), cbor_build_bool(st.pin_set));
	ok = ok && arr_put(proto, cbor_build_uint8(1));
	ok = ok && arr_put(trans, cbor_build_string("usb"));
	if (ok) { /* map_put() consumes its items even when it fails */
		ok = map_put(m, cbor_build_uint8(1), ver) && ok;
		ok = map_put(m, cbor_build_uint8(3), bytes(st.aaguid, 16)) && ok;
		ok = map_put(m, cbor_build_uint8(4), opt) && ok;
		ok = map_put(m, cbor_build_uint8(5), cbor_build_uint16(1200)) && ok;
		ok = map_put(m, cbor_build_uint8(6), proto) && ok;
		ok = map_put(m, cbor_build_uint8(9), trans) && ok;
		ver = opt = proto = trans = NULL;
	}
	softkey_state_wipe(&st);
	if (ver)
		cbor_decref(&ver);
	if (opt)
		cbor_decref(&opt);
	if (proto)
		cbor_decref(&proto);
	if (trans)
		cbor_decref(&trans);
	if (!ok) {
		if (m)
			cbor_decref(&m);
		return status_only(CTAP1_ERR_OTHER, out, out_len);
	}
	return reply(CTAP2_OK, m, out, out_len);
}

/* Checks a PublicKeyCredentialDescriptor list; returns the first id that unwraps. */
static uint8_t scan_list(const struct softkey_state *st, const cbor_item_t *list,
			 const uint8_t rp_hash[32], EVP_PKEY **ret_key, const uint8_t **ret_id,
			 size_t *ret_len)
{
	cbor_item_t **items;

	*ret_key = NULL;
	if (list == NULL)
		return CTAP2_OK;
	if (!cbor_isa_array(list) || !cbor_array_is_definite(list))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (cbor_array_size(list) > LIST_MAX)
		return CTAP2_ERR_LIMIT_EXCEEDED;
	items = cbor_array_handle(list);
	for (size_t i = 0; i < cbor_array_size(list); i++) {
		const cbor_item_t *d = items[i], *id, *type;
		const uint8_t *p;
		size_t n;

		if (!cbor_isa_map(d) || !cbor_map_is_definite(d))
			return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
		if ((id = map_text(d, "id")) == NULL || (type = map_text(d, "type")) == NULL)
			return CTAP2_ERR_MISSING_PARAMETER;
		if (!get_bytes(id, &p, &n) || !cbor_isa_string(type))
			return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
		if (*ret_key == NULL && text_eq(type, "public-key") &&
		    (*ret_key = softkey_cred_unwrap(st, rp_hash, p, n)) != NULL) {
			*ret_id = p;
			*ret_len = n;
		}
	}
	return CTAP2_OK;
}

static uint8_t make_cred(struct softkey_session *s, const struct req *q, struct softkey_job *job)
{
	struct softkey_state st;
	const cbor_item_t *rp_id, *uid;
	const uint8_t *cdh, *p;
	char rp[STR_MAX + 1];
	size_t n;
	int up, uv, rk;
	bool pin_uv, probe, es256 = false;
	EVP_PKEY *ex = NULL;
	uint8_t r;

	if (q->v[1] == NULL || q->v[2] == NULL || q->v[3] == NULL || q->v[4] == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!get_bytes(q->v[1], &cdh, &n))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (n != 32)
		return CTAP1_ERR_INVALID_LENGTH;
	if (!cbor_isa_map(q->v[2]) || !cbor_map_is_definite(q->v[2]) || !cbor_isa_map(q->v[3]) ||
	    !cbor_map_is_definite(q->v[3]) || !cbor_isa_array(q->v[4]) ||
	    !cbor_array_is_definite(q->v[4]))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if ((rp_id = map_text(q->v[2], "id")) == NULL || (uid = map_text(q->v[3], "id")) == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!get_text(rp_id, rp, sizeof(rp)) || !get_bytes(uid, &p, &n))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (n > 64)
		return CTAP1_ERR_INVALID_LENGTH;
	if (cbor_array_size(q->v[4]) > LIST_MAX)
		return CTAP2_ERR_LIMIT_EXCEEDED;
	for (size_t i = 0; i < cbor_array_size(q->v[4]); i++) {
		cbor_item_t *e = cbor_array_handle(q->v[4])[i];
		const cbor_item_t *alg, *type;
		if (!cbor_isa_map(e) || !cbor_map_is_definite(e))
			return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
		if ((alg = map_text(e, "alg")) == NULL || (type = map_text(e, "type")) == NULL)
			return CTAP2_ERR_MISSING_PARAMETER;
		if (cbor_isa_negint(alg) && cbor_get_int(alg) == 6 && text_eq(type, "public-key"))
			es256 = true;
	}
	if ((r = parse_options(q->v[7], &up, &uv, &rk)) != CTAP2_OK)
		return r;
	if (up == 0) /* makeCredential always tests user presence */
		return CTAP2_ERR_INVALID_OPTION;
	if (state_read(s, &st) != CTAP2_OK)
		return CTAP1_ERR_OTHER;
	memcpy(job->cdh, cdh, 32);
	if (softkey_sha256(rp, strlen(rp), job->rp_hash) < 0) {
		r = CTAP1_ERR_OTHER;
		goto out;
	}
	if ((r = check_pin_auth(s, &st, q->v[8], q->v[9], cdh, &pin_uv, &probe)) != CTAP2_OK)
		goto out;
	if (probe) {
		job->kind = SOFTKEY_JOB_TOUCH;
		job->touch_status = st.pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
		job_timing(job, &st, true);
		job->storm_ms = 0;
		goto out;
	}
	if (!es256) {
		r = CTAP2_ERR_UNSUPPORTED_ALGORITHM;
		goto out;
	}
	if (rk == 1) {
		r = CTAP2_ERR_UNSUPPORTED_OPTION;
		goto out;
	}
	{
		const uint8_t *xid;
		size_t xlen;
		if ((r = scan_list(&st, q->v[5], job->rp_hash, &ex, &xid, &xlen)) != CTAP2_OK)
			goto out;
		if (ex != NULL) {
			r = CTAP2_ERR_CREDENTIAL_EXCLUDED;
			goto out;
		}
	}
	if (!pin_uv && uv == 1 && !st.builtin_uv) {
		r = CTAP2_ERR_UNSUPPORTED_OPTION;
		goto out;
	}
	if (!pin_uv && uv != 1 && st.pin_set) {
		r = CTAP2_ERR_PIN_REQUIRED;
		goto out;
	}
	job->kind = SOFTKEY_JOB_MAKECRED;
	job->up = true;
	job->uv = pin_uv || uv == 1;
	job_timing(job, &st, true);
out:
	EVP_PKEY_free(ex);
	softkey_state_wipe(&st);
	return r;
}

static uint8_t get_assert(struct softkey_session *s, const struct req *q, struct softkey_job *job)
{
	struct softkey_state st;
	const uint8_t *cdh, *id = NULL;
	char rp[STR_MAX + 1];
	size_t n, id_len = 0;
	int up, uv, rk;
	bool pin_uv, probe;
	uint8_t r;

	if (q->v[1] == NULL || q->v[2] == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!get_text(q->v[1], rp, sizeof(rp)) || !get_bytes(q->v[2], &cdh, &n))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (n != 32)
		return CTAP1_ERR_INVALID_LENGTH;
	if ((r = parse_options(q->v[5], &up, &uv, &rk)) != CTAP2_OK)
		return r;
	if (rk != -1)
		return CTAP2_ERR_INVALID_OPTION;
	if (state_read(s, &st) != CTAP2_OK)
		return CTAP1_ERR_OTHER;
	memcpy(job->cdh, cdh, 32);
	if (softkey_sha256(rp, strlen(rp), job->rp_hash) < 0) {
		r = CTAP1_ERR_OTHER;
		goto out;
	}
	if ((r = check_pin_auth(s, &st, q->v[6], q->v[7], cdh, &pin_uv, &probe)) != CTAP2_OK)
		goto out;
	if (probe) {
		job->kind = SOFTKEY_JOB_TOUCH;
		job->touch_status = st.pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
		job_timing(job, &st, true);
		job->storm_ms = 0;
		goto out;
	}
	if ((r = scan_list(&st, q->v[3], job->rp_hash, &job->cred, &id, &id_len)) != CTAP2_OK)
		goto out;
	if (job->cred == NULL) {
		r = CTAP2_ERR_NO_CREDENTIALS;
		goto out;
	}
	if (!pin_uv && uv == 1 && !st.builtin_uv) {
		r = CTAP2_ERR_UNSUPPORTED_OPTION;
		goto out;
	}
	memcpy(job->cred_id, id, id_len);
	job->cred_id_len = id_len;
	job->kind = SOFTKEY_JOB_ASSERT;
	job->up = up != 0;
	job->uv = pin_uv || uv == 1;
	job_timing(job, &st, job->up || (uv == 1 && !pin_uv));
out:
	softkey_state_wipe(&st);
	return r;
}

/* ---- clientPIN ---- */

static int ka_ensure(struct softkey_session *s)
{
	if (s->ka == NULL)
		s->ka = EVP_EC_gen("P-256");
	return s->ka == NULL ? -EIO : 0;
}

static void ka_renew(struct softkey_session *s)
{
	EVP_PKEY_free(s->ka);
	s->ka = NULL;
	(void)ka_ensure(s);
}

/* shared secret = SHA-256(x of ECDH(ka, platform key)) */
static uint8_t ecdh_shared(struct softkey_session *s, const cbor_item_t *cose, uint8_t out[32])
{
	const uint8_t *x = NULL, *y = NULL, *p;
	struct cbor_pair *pairs;
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t z[32];
	size_t n, zlen = sizeof(z);
	uint8_t r = CTAP1_ERR_INVALID_PARAMETER;

	if (cose == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!cbor_isa_map(cose) || !cbor_map_is_definite(cose))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	pairs = cbor_map_handle(cose);
	for (size_t i = 0; i < cbor_map_size(cose); i++) {
		if (!cbor_isa_negint(pairs[i].key))
			continue;
		if (cbor_get_int(pairs[i].key) == 1 && get_bytes(pairs[i].value, &p, &n) && n == 32)
			x = p;
		if (cbor_get_int(pairs[i].key) == 2 && get_bytes(pairs[i].value, &p, &n) && n == 32)
			y = p;
	}
	if (x == NULL || y == NULL || ka_ensure(s) < 0)
		return r;
	if ((peer = softkey_ec_from_point(x, y)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new(s->ka, NULL)) == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 || EVP_PKEY_derive(ctx, z, &zlen) != 1 ||
	    zlen != 32 || softkey_sha256(z, 32, out) < 0)
		goto out;
	r = CTAP2_OK;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

/* Compares a pinHashEnc against the stored PIN, with the retry bookkeeping. */
static uint8_t pin_verify(struct softkey_session *s, const uint8_t shared[32],
			  const cbor_item_t *hash_enc)
{
	struct softkey_state st;
	const uint8_t *p;
	uint8_t h[16];
	size_t n;
	bool good;
	int lk;
	uint8_t r;

	if (hash_enc == NULL)
		return CTAP2_ERR_MISSING_PARAMETER;
	if (!get_bytes(hash_enc, &p, &n))
		return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
	if (n != 16)
		return CTAP1_ERR_INVALID_LENGTH;
	if (s->pin_fails >= 3)
		return CTAP2_ERR_PIN_AUTH_BLOCKED;
	if ((lk = softkey_state_lock(s->path)) < 0)
		return CTAP1_ERR_OTHER;
	if (softkey_state_load(s->path, &st) < 0) {
		r = CTAP1_ERR_OTHER;
		goto out;
	}
	if (!st.pin_set) {
		r = CTAP2_ERR_PIN_NOT_SET;
		goto out;
	}
	if (st.pin_retries == 0) {
		r = CTAP2_ERR_PIN_BLOCKED;
		goto out;
	}
	st.pin_retries--;
	if (softkey_state_save(s->path, &st) < 0) {
		r = CTAP1_ERR_OTHER;
		goto out;
	}
	good =
	    softkey_aes_cbc(false, shared, p, 16, h) == 0 && CRYPTO_memcmp(h, st.pin_hash, 16) == 0;
	if (!good) {
		ka_renew(s);
		s->pin_fails++;
		r = st.pin_retries == 0 ? CTAP2_ERR_PIN_BLOCKED
		    : s->pin_fails >= 3 ? CTAP2_ERR_PIN_AUTH_BLOCKED
					: CTAP2_ERR_PIN_INVALID;
		goto out;
	}
	s->pin_fails = 0;
	st.pin_retries = SOFTKEY_PIN_RETRIES_MAX;
	r = softkey_state_save(s->path, &st) < 0 ? CTAP1_ERR_OTHER : CTAP2_OK;
out:
	OPENSSL_cleanse(h, sizeof(h));
	softkey_state_wipe(&st);
	softkey_state_unlock(lk);
	return r;
}

/* Decrypts newPinEnc and stores the new PIN (under the caller's lock). */
static uint8_t pin_store(struct softkey_session *s, const uint8_t shared[32], const uint8_t *enc,
			 size_t n)
{
	struct softkey_state st;
	uint8_t pad[1024];
	size_t len;
	uint8_t r;

	if (n < 64 || n % 16 != 0 || n > sizeof(pad))
		return CTAP1_ERR_INVALID_LENGTH;
	if (softkey_aes_cbc(false, shared, enc, n, pad) < 0)
		return CTAP1_ERR_OTHER;
	len = strnlen((const char *)pad, n);
	if (len < SOFTKEY_PIN_MIN || len > SOFTKEY_PIN_MAX) {
		r = CTAP2_ERR_PIN_POLICY_VIOLATION;
		goto out;
	}
	if (softkey_state_load(s->path, &st) < 0) {
		r = CTAP1_ERR_OTHER;
		goto out;
	}
	softkey_pin_hash((const char *)pad, len, st.pin_hash);
	st.pin_set = true;
	st.pin_retries = SOFTKEY_PIN_RETRIES_MAX;
	r = softkey_state_save(s->path, &st) < 0 ? CTAP1_ERR_OTHER : CTAP2_OK;
	softkey_state_wipe(&st);
out:
	OPENSSL_cleanse(pad, sizeof(pad));
	return r;
}

static uint8_t client_pin(struct softkey_session *s, const struct req *q, uint8_t *out,
			  size_t *out_len)
{
	struct softkey_state st;
	uint8_t shared[32], mac[32], enc[32];
	const uint8_t *auth, *newp, *hashp;
	size_t alen, nlen, hlen;
	cbor_item_t *m;
	uint64_t sub;
	uint8_t r;
	int lk;

	if (q->v[1] == NULL || q->v[2] == NULL)
		return status_only(CTAP2_ERR_MISSING_PARAMETER, out, out_len);
	if (!cbor_isa_uint(q->v[1]) || !cbor_isa_uint(q->v[2]))
		return status_only(CTAP2_ERR_CBOR_UNEXPECTED_TYPE, out, out_len);
	if (cbor_get_int(q->v[1]) != 1)
		return status_only(CTAP1_ERR_INVALID_PARAMETER, out, out_len);
	sub = cbor_get_int(q->v[2]);
	switch (sub) {
	case 1: /* getRetries */
		if (state_read(s, &st) != CTAP2_OK)
			return status_only(CTAP1_ERR_OTHER, out, out_len);
		m = cbor_new_definite_map(1);
		if (!map_put(m, cbor_build_uint8(3), cbor_build_uint8((uint8_t)st.pin_retries))) {
			if (m)
				cbor_decref(&m);
			m = NULL;
		}
		softkey_state_wipe(&st);
		return m ? reply(CTAP2_OK, m, out, out_len)
			 : status_only(CTAP1_ERR_OTHER, out, out_len);
	case 2: /* getKeyAgreement */
		if (ka_ensure(s) < 0 || (m = cbor_new_definite_map(1)) == NULL)
			return status_only(CTAP1_ERR_OTHER, out, out_len);
		if (!map_put(m, cbor_build_uint8(1), cose_key(s->ka, 24))) {
			cbor_decref(&m);
			return status_only(CTAP1_ERR_OTHER, out, out_len);
		}
		return reply(CTAP2_OK, m, out, out_len);
	case 3: /* setPIN */
	case 4: /* changePIN */
		if (q->v[3] == NULL || q->v[4] == NULL || q->v[5] == NULL ||
		    (sub == 4 && q->v[6] == NULL))
			return status_only(CTAP2_ERR_MISSING_PARAMETER, out, out_len);
		if (!get_bytes(q->v[4], &auth, &alen) || !get_bytes(q->v[5], &newp, &nlen) ||
		    (sub == 4 && !get_bytes(q->v[6], &hashp, &hlen)))
			return status_only(CTAP2_ERR_CBOR_UNEXPECTED_TYPE, out, out_len);
		if (nlen > 1024)
			return status_only(CTAP1_ERR_INVALID_LENGTH, out, out_len);
		if (state_read(s, &st) != CTAP2_OK)
			return status_only(CTAP1_ERR_OTHER, out, out_len);
		r = CTAP2_OK;
		if (sub == 3 && st.pin_set)
			r = CTAP2_ERR_NOT_ALLOWED;
		else if (sub == 4 && !st.pin_set)
			r = CTAP2_ERR_PIN_NOT_SET;
		softkey_state_wipe(&st);
		if (r == CTAP2_OK)
			r = ecdh_shared(s, q->v[3], shared);
		if (r == CTAP2_OK) {
			uint8_t *buf = malloc(nlen + 16);
			if (buf == NULL) {
				r = CTAP1_ERR_OTHER;
			} else {
				memcpy(buf, newp, nlen);
				if (sub == 4 && hlen == 16)
					memcpy(buf + nlen, hashp, 16);
				if (softkey_hmac256(shared, 32, buf, nlen + (sub == 4 ? 16 : 0),
						    mac) < 0 ||
				    alen != 16 || CRYPTO_memcmp(mac, auth, 16) != 0 ||
				    (sub == 4 && hlen != 16))
					r = CTAP2_ERR_PIN_AUTH_INVALID;
				free(buf);
			}
		}
		if (r == CTAP2_OK && sub == 4)
			r = pin_verify(s, shared, q->v[6]);
		if (r == CTAP2_OK) {
			if ((lk = softkey_state_lock(s->path)) < 0)
				r = CTAP1_ERR_OTHER;
			else {
				r = pin_store(s, shared, newp, nlen);
				softkey_state_unlock(lk);
			}
		}
		OPENSSL_cleanse(shared, sizeof(shared));
		return status_only(r, out, out_len);
	case 5: /* getPINToken */
		r = ecdh_shared(s, q->v[3], shared);
		if (r == CTAP2_OK)
			r = pin_verify(s, shared, q->v[6]);
		if (r == CTAP2_OK &&
		    softkey_aes_cbc(true, shared, s->token, sizeof(s->token), enc) < 0)
			r = CTAP1_ERR_OTHER;
		OPENSSL_cleanse(shared, sizeof(shared));
		if (r != CTAP2_OK)
			return status_only(r, out, out_len);
		m = cbor_new_definite_map(1);
		if (!map_put(m, cbor_build_uint8(2), bytes(enc, sizeof(enc)))) {
			if (m)
				cbor_decref(&m);
			return status_only(CTAP1_ERR_OTHER, out, out_len);
		}
		return reply(CTAP2_OK, m, out, out_len);
	default:
		return status_only(CTAP1_ERR_INVALID_PARAMETER, out, out_len);
	}
}

/* ---- entry points ---- */

/*
 * Sets up a power cycle for the state file at path: a fresh pinToken; the key
 * agreement key is made on first use. s owns a copy of path.
 */
int softkey_session_init(struct softkey_session *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	if ((s->path = strdup(path)) == NULL)
		return -ENOMEM;
	if (RAND_bytes(s->token, sizeof(s->token)) != 1) {
		free(s->path);
		s->path = NULL;
		return -EIO;
	}
	return 0;
}

void softkey_session_clear(struct softkey_session *s)
{
	EVP_PKEY_free(s->ka);
	free(s->path);
	OPENSSL_cleanse(s, sizeof(*s));
}

void softkey_job_clear(struct softkey_job *job)
{
	EVP_PKEY_free(job->cred);
	OPENSSL_cleanse(job, sizeof(*job));
}

/*
 * Handles one CTAPHID_CBOR request. Returns 0 with the response (status byte, then
 * CBOR) in out, or 1 when *job was filled and the request now waits for its
 * keepalives and touch (then softkey_ctap2_complete() makes the response).
 * out must hold SOFTKEY_MSG_MAX bytes.
 */
int softkey_ctap2_request(struct softkey_session *s, const uint8_t *req, size_t len,
			  struct softkey_job *job, uint8_t *out, size_t *out_len)
{
	struct req q;
	uint8_t r;
	int ret;

	memset(job, 0, sizeof(*job));
	if (len == 0)
		return status_only(CTAP1_ERR_INVALID_LENGTH, out, out_len);
	switch (req[0]) {
	case CMD_GETINFO:
		return get_info(s, out, out_len);
	case CMD_MAKECRED:
	case CMD_GETASSERT:
	case CMD_CLIENTPIN:
		break;
	case CMD_NEXTASSERT:
		return status_only(CTAP2_ERR_NOT_ALLOWED, out, out_len);
	default:
		return status_only(CTAP1_ERR_INVALID_COMMAND, out, out_len);
	}
	if ((r = req_parse(req + 1, len - 1, &q)) != CTAP2_OK) {
		req_free(&q);
		return status_only(r, out, out_len);
	}
	if (req[0] == CMD_CLIENTPIN) {
		ret = client_pin(s, &q, out, out_len);
		req_free(&q);
		return ret;
	}
	r = req[0] == CMD_MAKECRED ? make_cred(s, &q, job) : get_assert(s, &q, job);
	req_free(&q);
	if (r != CTAP2_OK) {
		softkey_job_clear(job);
		return status_only(r, out, out_len);
	}
	return 1;
}

static size_t auth_data(uint8_t *ad, const uint8_t rp_hash[32], uint8_t flags, uint32_t counter)
{
	memcpy(ad, rp_hash, 32);
	ad[32] = flags;
	ad[33] = (uint8_t)(counter >> 24);
	ad[34] = (uint8_t)(counter >> 16);
	ad[35] = (uint8_t)(counter >> 8);
	ad[36] = (uint8_t)counter;
	return 37;
}

/*
 * Finishes a job after its touch: takes the next signature counter (persisted),
 * applies the fault switches and writes the response into out.
 */
void softkey_ctap2_complete(struct softkey_session *s, struct softkey_job *job, uint8_t *out,
			    size_t *out_len)
{
	struct softkey_state st;
	uint8_t ad[37 + 16 + 2 + SOFTKEY_CRED_ID_MAX + 128], sig[80], id[SOFTKEY_CRED_ID_MAX];
	size_t adl, sigl = sizeof(sig), idl = 0;
	unsigned char *pkc = NULL;
	EVP_PKEY *key = NULL, *att = NULL;
	cbor_item_t *m = NULL, *cose = NULL, *st_map = NULL, *x5c = NULL, *cred = NULL;
	uint8_t flags = 0, r = CTAP1_ERR_OTHER;
	size_t pkl = 0, pkcap = 0;
	int lk;

	if (job->kind == SOFTKEY_JOB_TOUCH) {
		status_only(job->touch_status, out, out_len);
		return;
	}
	if ((lk = softkey_state_lock(s->path)) < 0) {
		status_only(CTAP1_ERR_OTHER, out, out_len);
		return;
	}
	if (softkey_state_load(s->path, &st) < 0) {
		softkey_state_unlock(lk);
		status_only(CTAP1_ERR_OTHER, out, out_len);
		return;
	}
	if (st.zero_counter) {
		st.counter = 0;
	} else if (!st.stale_counter) {
		st.counter++;
	}
	if (job->kind == SOFTKEY_JOB_MAKECRED)
		st.issued++;
	if ((!st.zero_counter || job->kind == SOFTKEY_JOB_MAKECRED) &&
	    softkey_state_save(s->path, &st) < 0)
		goto out;
	if (job->up && !st.no_up)
		flags |= F_UP;
	if (job->uv && !st.no_uv)
		flags |= F_UV;
	if (job->kind == SOFTKEY_JOB_MAKECRED) {
		if ((key = EVP_EC_gen("P-256")) == NULL ||
		    softkey_cred_wrap(&st, key, job->rp_hash, id, &idl) < 0 ||
		    (cose = cose_key(key, 6)) == NULL)
			goto out;
		if ((pkl = cbor_serialize_alloc(cose, &pkc, &pkcap)) == 0 || pkl > 128)
			goto out;
		adl = auth_data(ad, job->rp_hash, flags | F_AT, st.counter);
		memcpy(ad + adl, st.aaguid, 16);
		ad[adl + 16] = (uint8_t)(idl >> 8);
		ad[adl + 17] = (uint8_t)idl;
		memcpy(ad + adl + 18, id, idl);
		memcpy(ad + adl + 18 + idl, pkc, pkl);
		adl += 18 + idl + pkl;
		if ((att = softkey_key_from_der(st.attest_key, st.attest_key_len)) == NULL ||
		    softkey_ec_sign(att, ad, adl, job->cdh, 32, sig, &sigl) < 0)
			goto out;
		if (st.bad_attest)
			sig[sigl - 1] ^= 0x01;
		m = cbor_new_definite_map(3);
		st_map = cbor_new_definite_map(3);
		x5c = cbor_new_definite_array(1);
		if (!arr_put(x5c, bytes(st.attest_cert, st.attest_cert_len)) ||
		    !map_put(st_map, cbor_build_string("alg"), cbor_build_negint8(6)) ||
		    !map_put(st_map, cbor_build_string("sig"), bytes(sig, sigl)))
			goto out;
		if (!map_put(st_map, cbor_build_string("x5c"), x5c)) {
			x5c = NULL;
			goto out;
		}
		x5c = NULL;
		if (!map_put(m, cbor_build_uint8(1), cbor_build_string("packed")) ||
		    !map_put(m, cbor_build_uint8(2), bytes(ad, adl))) {
			goto out;
		}
		if (!map_put(m, cbor_build_uint8(3), st_map)) {
			st_map = NULL;
			goto out;
		}
		st_map = NULL;
	} else {
		adl = auth_data(ad, job->rp_hash, flags, st.counter);
		if (softkey_ec_sign(job->cred, ad, adl, job->cdh, 32, sig, &sigl) < 0)
			goto out;
		if (st.bad_sig)
			sig[sigl - 1] ^= 0x01;
		m = cbor_new_definite_map(3);
		cred = cbor_new_definite_map(2);
		if (!map_put(cred, cbor_build_string("id"),
			     bytes(job->cred_id, job->cred_id_len)) ||
		    !map_put(cred, cbor_build_string("type"), cbor_build_string("public-key")))
			goto out;
		if (!map_put(m, cbor_build_uint8(1), cred)) {
			cred = NULL;
			goto out;
		}
		cred = NULL;
		if (!map_put(m, cbor_build_uint8(2), bytes(ad, adl)) ||
		    !map_put(m, cbor_build_uint8(3), bytes(sig, sigl)))
			goto out;
	}
	r = CTAP2_OK;
out:
	softkey_state_unlock(lk);
	if (r == CTAP2_OK) {
		reply(CTAP2_OK, m, out, out_len);
		m = NULL;
	} else {
		status_only(r, out, out_len);
	}
	if (m)
		cbor_decref(&m);
	if (cose)
		cbor_decref(&cose);
	if (st_map)
		cbor_decref(&st_map);
	if (x5c)
		cbor_decref(&x5c);
	if (cred)
		cbor_decref(&cred);
	free(pkc);
	EVP_PKEY_free(key);
	EVP_PKEY_free(att);
	OPENSSL_cleanse(id, sizeof(id));
	softkey_state_wipe(&st);
}
