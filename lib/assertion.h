/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * assertion.h - verification of an ES256 FIDO2 assertion against a stored
 * public key, with OpenSSL alone (pam_mnguard(8)): the authenticator data
 * taken apart, the relying party checked, the signature verified with the
 * key built straight from its stored point.
 */
#ifndef MNG_ASSERTION_H
#define MNG_ASSERTION_H

#include <stddef.h>
#include <stdint.h>

#define MNG_AUTHDATA_LEN 37 /* rpIdHash(32) flags(1) signCount(4), no extensions */

enum {
	MNG_AUTHDATA_UP = 0x01, /* user present */
	MNG_AUTHDATA_UV = 0x04, /* user verified */
	MNG_AUTHDATA_AT = 0x40, /* attested credential data (never in an assertion) */
	MNG_AUTHDATA_ED = 0x80, /* extension data */
};

/* What a verified assertion says. */
struct mng_assertion {
	uint8_t flags;	  /* MNG_AUTHDATA_* */
	uint32_t counter; /* signCount */
};

/*
 * mng_assertion_verify_es256 - verify one assertion as returned by the
 * authenticator: authdata_cbor (cbor_len bytes) is the CBOR byte string
 * holding the authenticator data, exactly MNG_AUTHDATA_LEN bytes (no
 * extensions were asked for, so none may come, nor attested credential
 * data); its rpIdHash must be SHA-256(rp_id); sig (DER ECDSA) must verify
 * over authenticator data || cdh (32 bytes) with spki, a stored es256 key
 * in its canonical DER form (the point is checked to lie on P-256).
 * Nothing is allocated for the caller. Returns 0 and fills *ret,
 * -EBADMSG (the signature does not verify), -EINVAL (malformed data, other
 * relying party, extensions, a key not in canonical form or off the curve),
 * -ENOMEM.
 */
int mng_assertion_verify_es256(const uint8_t *authdata_cbor, size_t cbor_len, const uint8_t *cdh,
			       const char *rp_id, const uint8_t *sig, size_t sig_len,
			       const uint8_t *spki, size_t spki_len, struct mng_assertion *ret);

#endif
