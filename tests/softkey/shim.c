// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim that plugs the software authenticator into an unmodified
 * libfido2 (and so into any program or PAM module that uses it):
 *  - fido_dev_info_manifest() reports one device, "softkey:0", when $SOFTKEY_STATE
 *    is set (and defers to libfido2 otherwise);
 *  - fido_dev_open() on a "softkey:" path installs the softkey io callbacks with
 *    fido_dev_set_io_functions() and then calls the real fido_dev_open();
 *  - fido_dev_new_with_info() does the same for a device taken from the manifest,
 *    so fido_dev_open_with_info() works too.
 * Everything else is the real libfido2 talking CTAPHID to the authenticator.
 *
 * MUST: only paths starting with "softkey:" are diverted; every other device is
 *       handed to the real libfido2 untouched.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "softkey.h"

#define SOFTKEY_MANUFACTURER "mnguard"
#define SOFTKEY_PRODUCT "mnguard softkey (software FIDO2 test authenticator)"

static bool is_softkey(const char *path)
{
	return path != NULL && strncmp(path, SOFTKEY_PATH_PREFIX, strlen(SOFTKEY_PATH_PREFIX)) == 0;
}

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

int fido_dev_info_manifest(fido_dev_info_t *devlist, size_t ilen, size_t *olen)
{
	int (*real)(fido_dev_info_t *, size_t, size_t *);
	const char *st = getenv(SOFTKEY_ENV_STATE);

	if (olen == NULL)
		return FIDO_ERR_INVALID_ARGUMENT;
	*olen = 0;
	if (st != NULL && st[0] != '\0') {
		if (ilen == 0)
			return FIDO_OK;
		if (fido_dev_info_set(devlist, 0, SOFTKEY_PATH_PREFIX "0", SOFTKEY_MANUFACTURER,
				      SOFTKEY_PRODUCT, &softkey_io, NULL) != FIDO_OK)
			return FIDO_ERR_INTERNAL;
		*olen = 1;
		return FIDO_OK;
	}
	if ((real = (int (*)(fido_dev_info_t *, size_t, size_t *))next_sym(
		 "fido_dev_info_manifest")) == NULL)
		return FIDO_ERR_INTERNAL;
	return real(devlist, ilen, olen);
}

int fido_dev_open(fido_dev_t *dev, const char *path)
{
	int (*real)(fido_dev_t *, const char *);
	int r;

	if ((real = (int (*)(fido_dev_t *, const char *))next_sym("fido_dev_open")) == NULL)
		return FIDO_ERR_INTERNAL;
	if (is_softkey(path) && (r = fido_dev_set_io_functions(dev, &softkey_io)) != FIDO_OK)
		return r;
	return real(dev, path);
}

fido_dev_t *fido_dev_new_with_info(const fido_dev_info_t *di)
{
	fido_dev_t *(*real)(const fido_dev_info_t *);
	fido_dev_t *dev;

	if ((real = (fido_dev_t * (*)(const fido_dev_info_t *))
		 next_sym("fido_dev_new_with_info")) == NULL)
		return NULL;
	if ((dev = real(di)) == NULL)
		return NULL;
	/* With io callbacks but no transport, libfido2 would ask the HID layer for
	 * report sizes; owning the io functions avoids that. */
	if (is_softkey(fido_dev_info_path(di)) &&
	    fido_dev_set_io_functions(dev, &softkey_io) != FIDO_OK)
		fido_dev_free(&dev);
	return dev;
}
