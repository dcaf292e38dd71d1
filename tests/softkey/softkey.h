/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * softkey: a software CTAP2 authenticator for tests (a test double of a hardware
 * FIDO2 security key). It speaks CTAPHID frames through libfido2's io callbacks
 * (fido_dev_set_io_functions), so the real libfido2 drives it unmodified.
 *
 * Layers: state.c (the state file), crypto.c (OpenSSL), ctap2.c (CBOR commands),
 * softkey.c (CTAPHID framing, keepalives, cancel, the io callbacks), shim.c (the
 * LD_PRELOAD overrides that make libfido2 find the device "softkey:0").
 */
#ifndef MNG_SOFTKEY_H
#define MNG_SOFTKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fido.h>
#include <openssl/evp.h>

#define SOFTKEY_PATH_PREFIX "softkey:"
#define SOFTKEY_ENV_STATE "SOFTKEY_STATE"
#define SOFTKEY_PIN_RETRIES_MAX 8u
#define SOFTKEY_PIN_MIN 4u
#define SOFTKEY_PIN_MAX 63u
#define SOFTKEY_STATE_MAX (64u * 1024u) /* state file size cap */
#define SOFTKEY_MSG_MAX 7609u		/* CTAPHID: 57 + 128 * 59 */
#define SOFTKEY_CRED_ID_MAX 1024u
#define SOFTKEY_DELAY_MAX 600000u /* cap of every *_ms switch: ten minutes */

/* Everything the authenticator keeps between power cycles (the state file). */
struct softkey_state {
	uint8_t aaguid[16];
	uint8_t secret[32];	 /* wraps credential keys */
	uint8_t attest_key[256]; /* DER (SEC1) P-256 private key */
	size_t attest_key_len;
	uint8_t attest_cert[2048]; /* DER X.509, self-signed */
	size_t attest_cert_len;
	bool pin_set;
	uint8_t pin_hash[16]; /* LEFT(SHA-256(PIN), 16) */
	unsigned pin_retries;
	uint32_t counter;
	uint64_t issued; /* credentials made so far (informational) */
	/* fault switches */
	bool no_uv, no_up, bad_sig, bad_attest, stale_counter, zero_counter, no_touch;
	bool builtin_uv; /* report and honour a built-in UV method (options.uv) */
	unsigned keepalive_storm_ms, touch_delay_ms, touch_timeout_ms;
};

/* state.c */
int softkey_state_new(struct softkey_state *st, const char *pin, const uint8_t *aaguid);
int softkey_state_parse(const char *buf, size_t len, struct softkey_state *st);
int softkey_state_load(const char *path, struct softkey_state *st);
int softkey_state_format(const struct softkey_state *st, bool secrets, char **ret_text);
int softkey_state_save(const char *path, const struct softkey_state *st);
int softkey_state_set(struct softkey_state *st, const char *key, const char *value);
int softkey_state_lock(const char *path);
void softkey_state_unlock(int fd);
void softkey_state_wipe(struct softkey_state *st);
void softkey_pin_hash(const char *pin, size_t len, uint8_t out[16]);

/* crypto.c: all return 0 / a key on success, -errno / NULL on failure. */
int softkey_sha256(const void *p, size_t n, uint8_t out[32]);
int softkey_hmac256(const uint8_t *key, size_t klen, const uint8_t *p, size_t n, uint8_t out[32]);
/* AES-256-CBC with IV 0 and no padding (PIN protocol 1); n a multiple of 16, <= 1024. */
int softkey_aes_cbc(bool enc, const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out);
/* Affine coordinates of a P-256 public key / a P-256 public key from them (checked
 * to be on the curve). The key returned is owned by the caller. */
int softkey_ec_point(EVP_PKEY *pk, uint8_t x[32], uint8_t y[32]);
EVP_PKEY *softkey_ec_from_point(const uint8_t x[32], const uint8_t y[32]);
/* DER ECDSA-SHA-256 signature over a || b into sig (*sig_len: capacity in, length out). */
int softkey_ec_sign(EVP_PKEY *pk, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		    uint8_t *sig, size_t *sig_len);
EVP_PKEY *softkey_key_from_der(const uint8_t *der, size_t len);
/* Credential id holding pk for the relying party rp_hash (id: SOFTKEY_CRED_ID_MAX bytes),
 * and the way back; unwrap returns NULL for an id of another device or relying party. */
int softkey_cred_wrap(const struct softkey_state *st, EVP_PKEY *pk, const uint8_t rp_hash[32],
		      uint8_t *id, size_t *id_len);
EVP_PKEY *softkey_cred_unwrap(const struct softkey_state *st, const uint8_t rp_hash[32],
			      const uint8_t *id, size_t id_len);

/* One open handle ("power cycle"): the PIN session. */
struct softkey_session {
	char *path;	    /* state file */
	EVP_PKEY *ka;	    /* key agreement key, renewed after a wrong PIN */
	uint8_t token[32];  /* pinToken of this power cycle */
	unsigned pin_fails; /* consecutive wrong PINs in this power cycle */
};

enum softkey_job_kind { SOFTKEY_JOB_MAKECRED = 1, SOFTKEY_JOB_ASSERT, SOFTKEY_JOB_TOUCH };

/* A request that has been checked and now waits for keepalives and a touch. */
struct softkey_job {
	enum softkey_job_kind kind;
	uint8_t cdh[32];
	uint8_t rp_hash[32];
	bool up, uv;
	EVP_PKEY *cred; /* assertion: the unwrapped credential key */
	uint8_t cred_id[SOFTKEY_CRED_ID_MAX];
	size_t cred_id_len;
	uint8_t touch_status; /* SOFTKEY_JOB_TOUCH: status after the touch */
	bool need_touch, no_touch;
	unsigned storm_ms, touch_delay_ms, touch_timeout_ms;
};

/* ctap2.c */
int softkey_session_init(struct softkey_session *s, const char *path);
void softkey_session_clear(struct softkey_session *s);
int softkey_ctap2_request(struct softkey_session *s, const uint8_t *req, size_t len,
			  struct softkey_job *job, uint8_t *out, size_t *out_len);
void softkey_ctap2_complete(struct softkey_session *s, struct softkey_job *job, uint8_t *out,
			    size_t *out_len);
void softkey_job_clear(struct softkey_job *job);

/* softkey.c: io callbacks for fido_dev_set_io_functions(); open("softkey:0") uses
 * $SOFTKEY_STATE, open("softkey:/abs/path") that file. */
void *softkey_open(const char *path);
void softkey_close(void *handle);
int softkey_read(void *handle, unsigned char *buf, size_t len, int ms);
int softkey_write(void *handle, const unsigned char *buf, size_t len);
extern const fido_dev_io_t softkey_io;

/* CTAP status codes used here */
#define CTAP2_OK 0x00
#define CTAP1_ERR_INVALID_COMMAND 0x01
#define CTAP1_ERR_INVALID_PARAMETER 0x02
#define CTAP1_ERR_INVALID_LENGTH 0x03
#define CTAP2_ERR_CBOR_UNEXPECTED_TYPE 0x11
#define CTAP2_ERR_INVALID_CBOR 0x12
#define CTAP2_ERR_MISSING_PARAMETER 0x14
#define CTAP2_ERR_LIMIT_EXCEEDED 0x15
#define CTAP2_ERR_CREDENTIAL_EXCLUDED 0x19
#define CTAP2_ERR_UNSUPPORTED_ALGORITHM 0x26
#define CTAP2_ERR_UNSUPPORTED_OPTION 0x2b
#define CTAP2_ERR_INVALID_OPTION 0x2c
#define CTAP2_ERR_KEEPALIVE_CANCEL 0x2d
#define CTAP2_ERR_NO_CREDENTIALS 0x2e
#define CTAP2_ERR_NOT_ALLOWED 0x30
#define CTAP2_ERR_PIN_INVALID 0x31
#define CTAP2_ERR_PIN_BLOCKED 0x32
#define CTAP2_ERR_PIN_AUTH_INVALID 0x33
#define CTAP2_ERR_PIN_AUTH_BLOCKED 0x34
#define CTAP2_ERR_PIN_NOT_SET 0x35
#define CTAP2_ERR_PIN_REQUIRED 0x36
#define CTAP2_ERR_PIN_POLICY_VIOLATION 0x37
#define CTAP2_ERR_ACTION_TIMEOUT 0x3a
#define CTAP1_ERR_OTHER 0x7f

#endif
