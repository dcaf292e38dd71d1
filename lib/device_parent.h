/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device_parent.h - reading a USB device whose parent's hash the caller
 * already holds (defined in device.c, beside mng_device_read_sysfs).
 *
 * The agent keeps every present device, with its hash, in its table; when a
 * device is plugged in behind a hub it already knows, reading the hub's
 * attributes and descriptors again only to hash them costs a plug most of
 * its sysfs work and gives the same bytes.
 */
#ifndef MNG_DEVICE_PARENT_H
#define MNG_DEVICE_PARENT_H

#include "device.h"

/*
 * mng_device_read_sysfs_parent - mng_device_read_sysfs(), except that
 * parent_hash, when not NULL, is taken as the device's parent-hash instead
 * of reading the parent from sysfs. It must be the hash that
 * mng_device_read_sysfs() gave for the USB device in the parent directory of
 * syspath (the caller vouches for that: it is copied, not checked against
 * sysfs); it must be MNG_DEV_HASH_LEN base64 characters ending in '=', or
 * the call fails with -EINVAL. NULL reads the parent, exactly as
 * mng_device_read_sysfs() does. Everything else (what is read, the errors,
 * ownership, *ret written only on success) is as mng_device_read_sysfs().
 */
int mng_device_read_sysfs_parent(const char *syspath, const char *parent_hash,
				 struct mng_device *ret);

#endif
