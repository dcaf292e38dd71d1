/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * module.h - the inside of pam_mnguard.so, shared by its three files:
 * pam_mnguard.c (PAM entry points, the one -errno -> PAM_* mapping),
 * auth.c (what each PAM phase does) and fido.c (the security key).
 * None of these names leaves the module (pam_mnguard.map exports only
 * pam_sm_*).
 */
#ifndef MNG_PAM_MODULE_H
#define MNG_PAM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <security/pam_modules.h>

#include "config.h"
#include "cred.h"
#include "ipc.h"

#define MNG_PAM_PIN_MAX 63 /* bytes of a CTAP2 PIN (UTF-8) */
#define MNG_PAM_DEVICES_MAX 8
#define MNG_PAM_PATH_MAX 256 /* bytes of a key's device node path, NUL included */

/* Module arguments from the PAM service file. */
struct mng_pam_args {
	const char *config; /* config=PATH, default MNG_CONFIG_PATH */
	bool nouserok;
	bool debug;
	bool silent; /* PAM_SILENT: no information or error messages */
};

/*
 * Errors inside the module are -errno values. The ones with a meaning of
 * their own (pam_mnguard.c maps each to a PAM code):
 *   -ENOENT   the user has no credential (PAM_IGNORE only with nouserok)
 *   -EACCES   wrong PIN, missing flag, refused AAGUID, bad signature,
 *             counter regression, no key answered: PAM_AUTH_ERR
 *   -ECANCELED the conversation gave no PIN: PAM_AUTH_ERR
 *   -EPERM    not in the login group: PAM_PERM_DENIED
 *   -ENODEV, -ETIMEDOUT, -EBADR (unusable configuration or credential
 *             file): PAM_AUTHINFO_UNAVAIL
 *   anything else: PAM_SYSTEM_ERR
 */
int mng_pam_parse_args(pam_handle_t *pamh, int argc, const char **argv, struct mng_pam_args *ret);
int mng_pam_authenticate(pam_handle_t *pamh, const struct mng_pam_args *args);
int mng_pam_account(pam_handle_t *pamh, const struct mng_pam_args *args);
int mng_pam_session(pam_handle_t *pamh, const struct mng_pam_args *args, bool open);

/* Outcome of one attempt with the keys present (fido.c). */
enum mng_fido_result {
	MNG_FIDO_DENY = 0,	/* zero value: deny */
	MNG_FIDO_OK,		/* signature verified, flags as the credential demands */
	MNG_FIDO_NO_DEVICE,	/* no security key present */
	MNG_FIDO_NO_CRED,	/* no present key holds one of the credentials */
	MNG_FIDO_PIN_WRONG,	/* the key refused the PIN */
	MNG_FIDO_PIN_BLOCKED,	/* PIN blocked, or too many tries until replugged */
	MNG_FIDO_PIN_NEEDED,	/* the key needs a PIN that was not given, or has none set */
	MNG_FIDO_TIMEOUT,	/* no touch within the timeout */
	MNG_FIDO_BAD_SIGNATURE, /* the assertion does not verify with the stored key */
	MNG_FIDO_FLAGS,		/* UP or UV missing although required */
	MNG_FIDO_ERROR,		/* protocol or device error */
};

struct mng_fido_request {
	const char *rp_id;
	const struct mng_cred *const *creds; /* the user's usable credentials */
	size_t n;
	const char *pin; /* NULL: none (then no credential may demand uv) */
	int timeout_ms;	 /* for the whole exchange with one key */
	bool debug;
	pam_handle_t *pamh; /* for debug logging only */
};

struct mng_fido_outcome {
	enum mng_fido_result result;
	char path[MNG_PAM_PATH_MAX]; /* MNG_FIDO_OK: the device node of the key that answered */
	size_t cred;		     /* index into creds of the credential that answered */
	uint32_t counter;	     /* its signature counter */
	uint8_t flags;		     /* authenticator data flags */
	int fido_err;		     /* libfido2 code of the failure, FIDO_OK otherwise */
};

/*
 * mng_fido_assert - find a present key holding one of req->creds, get an
 * assertion over a fresh random challenge, verify it with the stored key
 * and check UP/UV as that credential demands. Never fails open: anything
 * unexpected is a result other than MNG_FIDO_OK. Returns 0 with
 * *ret filled, or -ENOMEM / -EIO when no attempt could be made.
 */
int mng_fido_assert(const struct mng_fido_request *req, struct mng_fido_outcome *ret);

/* mng_fido_result_name - a short English name for logs. */
const char *mng_fido_result_name(enum mng_fido_result r);

/* The USB device of a security key (keydev.c), for lock on key removal. */
struct mng_pam_keydev {
	char port[MNG_IPC_NAME_MAX + 1];     /* kernel name, "1-4.1.6" */
	char devnum[MNG_IPC_DEVNUM_MAX + 1]; /* device number, decimal */
	char serial[MNG_IPC_LABEL_MAX + 1];  /* "" when none or unusual */
};

/*
 * mng_pam_key_device - the USB device above the character device node
 * (the hidraw node libfido2 opened): /sys/dev/char/MAJOR:MINOR resolved,
 * then walked up to the first directory named like a USB device with a
 * devnum attribute. Returns 0 with *ret filled, -ENODEV (not a character
 * device, not below a USB device), or another -errno.
 */
int mng_pam_key_device(const char *node, struct mng_pam_keydev *ret);

#endif
