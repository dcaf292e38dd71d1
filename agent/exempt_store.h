/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exempt_store.h - the record file of one stored exemption, as mnguardd
 * keeps it in <state_dir>/exemptions/<id>.ex (mnguardd(8) FILES).
 *
 * A record is text: the line "mnguard-exemption 1", then one "key value"
 * line per field, each key once, in any order, every line ending in a
 * newline, nothing else:
 *
 *   kind        token | phone | revoked-id
 *   state       active | used | revoked | expired
 *   uses-left   0..1000
 *   redeemed    Unix seconds (0 for revoked-id)
 *   redeemed-by the user who redeemed it ("-" for revoked-id)
 *   devices     optional (token, phone, scope usb): the hashes of the
 *               devices it allowed, so that a restart does not count them again
 *   token       kind token: the token text exactly as the help desk signed it
 *   id, scope, object, user, nbf, exp, uses, ticket, mac
 *               kind phone: the exemption granted by a phone response,
 *               bound by an HMAC-SHA256 under the terminal key (mac, 64 hex)
 *   id, exp     kind revoked-id: an id revoked before it was redeemed,
 *               remembered until exp
 *
 * The parser is pure (buffer in, record and message out) so that it can be
 * fuzzed; it checks only the form. The agent then re-verifies the content:
 * the token's signature, or the phone record's MAC (exempt.c).
 *
 * MUST: a record with an unknown, missing or repeated key, a value out of
 *       range, a NUL byte, a line without its newline or more than
 *       XSTORE_FILE_MAX bytes is refused whole.
 */
#ifndef MNG_AGENT_EXEMPT_STORE_H
#define MNG_AGENT_EXEMPT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/exempt.h"

#define XSTORE_FILE_MAX 8192 /* bytes of one record file */
#define XSTORE_MAGIC "mnguard-exemption 1"
#define XSTORE_DEVICES_MAX 16 /* device hashes remembered per record */
#define XSTORE_HASH_MAX 64    /* bytes of one device hash (base64) */

enum xstore_kind {
	XSTORE_NONE = 0,
	XSTORE_TOKEN,	   /* a signed token, redeemed */
	XSTORE_PHONE,	   /* granted by a phone response */
	XSTORE_REVOKED_ID, /* revoked before it was ever redeemed */
};

enum xstore_state {
	XSTORE_INVALID = 0,
	XSTORE_ACTIVE,	/* in force while its window is open */
	XSTORE_USED,	/* every use taken: kept against replay until exp */
	XSTORE_REVOKED, /* revoked: kept against replay until exp */
	XSTORE_EXPIRED, /* its window closed (removed once audited) */
};

struct xstore_rec {
	enum xstore_kind kind;
	enum xstore_state state;
	uint32_t uses_left;
	int64_t redeemed;
	char redeemed_by[MNG_EXEMPT_USER_MAX + 1];
	char *token;	     /* XSTORE_TOKEN: malloc'd text, NULL otherwise */
	struct mng_exempt e; /* PHONE: every field; REVOKED_ID: id and not_after; TOKEN: zero */
	char mac[65];	     /* XSTORE_PHONE: lowercase hex */
	char devices[XSTORE_DEVICES_MAX][XSTORE_HASH_MAX + 1];
	size_t n_devices;
};

/*
 * xstore_parse - parse a record file (len bytes, any bytes). Fills *ret
 * (ret->token malloc'd, freed by xstore_rec_clear) and returns 0, or
 * returns -EBADMSG with err naming the line and the problem, -EFBIG over
 * XSTORE_FILE_MAX, -ENOMEM. *ret is untouched on failure.
 */
int xstore_parse(const char *buf, size_t len, struct xstore_rec *ret, char *err, size_t errlen);

/*
 * xstore_format - the text of r (as xstore_parse reads it) in a malloc'd
 * NUL-terminated *ret_text. Returns its length, -EINVAL when a field
 * cannot be written (a newline in a value, a kind or state out of range),
 * -ENOMEM.
 */
int xstore_format(const struct xstore_rec *r, char **ret_text);

/* xstore_rec_clear - wipe and free what r holds; r may be used again. */
void xstore_rec_clear(struct xstore_rec *r);

/*
 * xstore_phone_mac - the MAC that binds a phone record's fields (id,
 * scope, object, user, nbf, exp, uses, ticket) under the terminal key, as
 * 64 lowercase hex digits. Returns 0 or -EIO.
 */
int xstore_phone_mac(const uint8_t key[32], const struct mng_exempt *e, char ret[65]);

const char *xstore_kind_name(enum xstore_kind k);
const char *xstore_state_name(enum xstore_state s);

#endif
