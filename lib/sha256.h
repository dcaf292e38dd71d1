/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256.h - SHA-256 (FIPS 180-4) and the two text forms mnguard writes a
 * digest in: lowercase hex (the audit chain) and padded base64 (USBGuard's
 * device hash).
 *
 * It exists so that the agent needs no cryptographic library for hashing:
 * the agent's only uses of a digest are the device hash and the audit
 * chain, and a whole libcrypto costs it more memory than everything else it
 * maps together. Signatures (exemption tokens, policy bundles) still use
 * OpenSSL elsewhere.
 *
 * A context is plain data on the caller's stack: init, any number of
 * updates, one final. Nothing is allocated.
 */
#ifndef MNG_SHA256_H
#define MNG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define MNG_SHA256_LEN 32     /* bytes of a digest */
#define MNG_SHA256_BLOCK 64   /* bytes of one compression block */
#define MNG_SHA256_HEX_LEN 64 /* characters of the hex form, NUL excluded */
#define MNG_SHA256_B64_LEN 44 /* characters of the base64 form, NUL excluded */

struct mng_sha256 {
	uint32_t h[8];		       /* chaining value */
	uint64_t total;		       /* bytes hashed so far */
	uint8_t buf[MNG_SHA256_BLOCK]; /* a partial block */
	uint32_t nbuf;		       /* bytes held in buf, < MNG_SHA256_BLOCK */
	int err;		       /* first error of an update, reported by final */
};

/* mng_sha256_init - start a new digest in *ctx (any previous content is overwritten). */
void mng_sha256_init(struct mng_sha256 *ctx);

/*
 * mng_sha256_update - hash len more bytes of data (data may be NULL when len
 * is 0). Returns 0, -EINVAL for a NULL ctx or a NULL data with len > 0, or
 * -EOVERFLOW when the message would pass 2^61 - 1 bytes (the 2^64-bit limit
 * of FIPS 180-4). After an error the context is spoiled: final fails too.
 */
int mng_sha256_update(struct mng_sha256 *ctx, const void *data, size_t len);

/*
 * mng_sha256_final - finish the digest into ret_digest and wipe *ctx (it
 * must be initialised again before reuse). Returns 0, or the error an
 * earlier update returned (-EINVAL, -EOVERFLOW), in which case ret_digest is
 * not written; *ctx is wiped either way.
 */
int mng_sha256_final(struct mng_sha256 *ctx, uint8_t ret_digest[MNG_SHA256_LEN]);

/*
 * mng_sha256 - the digest of len bytes of data in one call. Returns 0 or
 * -EINVAL (data NULL with len > 0); ret_digest is written only on success.
 */
int mng_sha256(const void *data, size_t len, uint8_t ret_digest[MNG_SHA256_LEN]);

/* mng_sha256_hex - a digest as 64 lowercase hex digits and a NUL. */
void mng_sha256_hex(const uint8_t digest[MNG_SHA256_LEN], char ret[MNG_SHA256_HEX_LEN + 1]);

/*
 * mng_sha256_base64 - a digest in base64 (RFC 4648, standard alphabet, one
 * '=' of padding): 44 characters and a NUL, as USBGuard writes its hashes.
 */
void mng_sha256_base64(const uint8_t digest[MNG_SHA256_LEN], char ret[MNG_SHA256_B64_LEN + 1]);

#endif
