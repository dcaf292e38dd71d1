/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bundle.h - signed policy bundles: one file that carries a versioned set of
 * rule files, an optional mnguard.conf and the trusted help desk keys,
 * signed with the policy key (mnguard-helpdesk(1) "policy sign",
 * mnguardctl(8) "policy install").
 *
 * Format (all text lines end with one "\n"; no CR, no tab, single spaces):
 *
 *     mnguard-policy-bundle 1
 *     version N          1..MNG_BUNDLE_VERSION_MAX, decimal, no leading zero
 *     created T          Unix seconds, 0..MNG_BUNDLE_TIME_MAX, no leading zero
 *     kid K              16 lowercase hex: the signer's key id (exempt.h)
 *     files C            1..MNG_BUNDLE_FILES_MAX
 *     file KIND MODE SIZE SHA256 PATH      C lines, PATH in strictly
 *                                          ascending byte order
 *     (an empty line)
 *     the contents of the C files, concatenated in the order of the list
 *     signature S        86 base64url characters (64 bytes, no padding)
 *
 * KIND is "rules", "conf" or "helpdesk-key"; MODE four octal digits with
 * the owner read bit and no bit outside 0644; SIZE decimal bytes (no
 * leading zero, at most MNG_BUNDLE_FILE_MAX); SHA256 64 lowercase hex of
 * the file's bytes. PATH depends on KIND:
 *     rules         rules.d/NAME.rules
 *     conf          mnguard.conf (at most one)
 *     helpdesk-key  trust/helpdesk/NAME.pub (a PEM Ed25519 public key)
 * NAME is 1..64 of [A-Za-z0-9._-], starting with a letter, digit or "_"
 * (so no dot file, no "..", no "/"). At least one rules file.
 * The Ed25519 signature covers every byte before "signature ". Nothing may
 * follow its newline. A bundle is at most MNG_BUNDLE_MAX bytes.
 *
 * MUST: the parser refuses anything that is not exactly this form, names
 *       the line, field or file in its message, and checks every length
 *       and count against its cap before it uses it.
 * MUST: mng_bundle_verify succeeds only when the signature verifies under
 *       a key from the policy trust directory whose kid is the bundle's;
 *       the same key found among the help desk keys (the directory given,
 *       or a helpdesk-key file of the bundle) is refused as a signer.
 * MUST: a parsed bundle is never trusted; only mng_bundle_verify's is.
 */
#ifndef MNG_BUNDLE_H
#define MNG_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "sha256.h"

#define MNG_BUNDLE_MAX (16u << 20)	       /* bytes of a whole bundle */
#define MNG_BUNDLE_FILE_MAX (4u << 20)	       /* bytes of one file in it */
#define MNG_BUNDLE_FILES_MAX 256	       /* files in one bundle */
#define MNG_BUNDLE_NAME_MAX 64		       /* bytes of NAME in a path */
#define MNG_BUNDLE_PATH_MAX 96		       /* bytes of a whole path */
#define MNG_BUNDLE_VERSION_MAX 999999999999ull /* twelve digits */
#define MNG_BUNDLE_TIME_MAX 99999999999ll      /* created: eleven digits */
#define MNG_BUNDLE_MAGIC "mnguard-policy-bundle 1"

enum mng_bundle_kind {
	MNG_BUNDLE_KIND_NONE = 0,
	MNG_BUNDLE_KIND_RULES,
	MNG_BUNDLE_KIND_CONF,
	MNG_BUNDLE_KIND_HELPDESK_KEY,
};

struct mng_bundle_file {
	enum mng_bundle_kind kind;
	unsigned mode;
	char path[MNG_BUNDLE_PATH_MAX + 1];
	const char *name; /* points into path: the last component */
	size_t size;
	uint8_t sha256[MNG_SHA256_LEN];
	const uint8_t *data; /* size bytes inside the bundle's own copy */
};

struct mng_bundle {
	uint64_t version;
	int64_t created;
	char kid[17];
	size_t n_files;
	struct mng_bundle_file *files; /* in path order */
	uint8_t *raw;		       /* the whole bundle, owned */
	size_t raw_len;
	size_t signed_len; /* bytes covered by the signature */
	uint8_t sig[64];
};

/* One file handed to mng_bundle_sign (borrowed). */
struct mng_bundle_input {
	enum mng_bundle_kind kind;
	unsigned mode;
	const char *path;
	const void *data;
	size_t size;
};

/* mng_bundle_kind_name - "rules", "conf", "helpdesk-key"; NULL for NONE. */
const char *mng_bundle_kind_name(enum mng_bundle_kind k);

/*
 * mng_bundle_path_check - whether path is a valid PATH for kind (the rules
 * above). Returns 0 or -EINVAL with err (errlen bytes, may be NULL) saying
 * why, in English.
 */
int mng_bundle_path_check(enum mng_bundle_kind kind, const char *path, char *err, size_t errlen);

/*
 * mng_bundle_parse - parse len bytes at buf (any bytes) strictly WITHOUT
 * checking the signature: for showing a bundle, never for trusting it. The
 * SHA-256 of every file is checked, and every helpdesk-key file must hold
 * an Ed25519 public key. *ret is a new bundle with its own copy of the
 * bytes (mng_bundle_free). Returns 0, -E2BIG (len over MNG_BUNDLE_MAX),
 * -EBADMSG (malformed: err names the line, field or file), -ENOMEM.
 */
int mng_bundle_parse(const void *buf, size_t len, struct mng_bundle **ret, char *err,
		     size_t errlen);

/*
 * mng_bundle_verify - mng_bundle_parse, then find the key with the
 * bundle's kid in policy_dir (mng_exempt_trust_key, file_flags as there)
 * and verify the signature. A signer whose kid is also found in
 * helpdesk_dir (may be NULL) or is the kid of a helpdesk-key file of the
 * bundle is refused. Returns 0 and *ret; -E2BIG, -EBADMSG as parse;
 * -ENOKEY (no policy key has that kid); -EKEYREJECTED (bad signature, or
 * a help desk key as signer); -EPERM / -errno from the trust directory;
 * -ENOMEM. err says which.
 */
int mng_bundle_verify(const void *buf, size_t len, const char *policy_dir, const char *helpdesk_dir,
		      unsigned file_flags, struct mng_bundle **ret, char *err, size_t errlen);

/*
 * mng_bundle_sign - build and sign a bundle of the n files (any order:
 * they are written in path order) with key (an Ed25519 private EVP_PKEY,
 * borrowed). The result parses with mng_bundle_parse. *ret_buf is malloc'd
 * (caller frees) and *ret_len its length. Returns 0, -EINVAL (a field,
 * path, kind, mode or count out of range, a duplicate path, no rules file,
 * a helpdesk-key file that is not an Ed25519 public key or is the signer's
 * own key, key not an Ed25519 private key: err says which), -E2BIG (over
 * MNG_BUNDLE_MAX), -ENOMEM, -EIO.
 */
int mng_bundle_sign(uint64_t version, int64_t created, const struct mng_bundle_input *files,
		    size_t n, EVP_PKEY *key, uint8_t **ret_buf, size_t *ret_len, char *err,
		    size_t errlen);

/* mng_bundle_file_find - the file of b with exactly this path, or NULL. */
const struct mng_bundle_file *mng_bundle_file_find(const struct mng_bundle *b, const char *path);

/* mng_bundle_free - release *b (NULL accepted) and set it to NULL. */
void mng_bundle_free(struct mng_bundle **b);

#endif
