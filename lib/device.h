/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device.h - the USB device model that policy rules are judged against.
 *
 * One struct mng_device holds what USBGuard's rule language can talk about
 * (id, serial, name, hash, parent-hash, via-port, with-interface,
 * with-connect-type) plus the interface list needed for per-interface
 * decisions. It is filled from a sysfs device directory (works under
 * umockdev) and is plain data: the policy code reads it, nothing else.
 *
 * MUST: every string here is NUL-terminated and capped at MNG_DEV_STR_MAX
 *       bytes; the interface list is capped at MNG_DEV_IFACE_MAX entries.
 *       A device whose descriptors cannot be read or parsed is still
 *       returned (with n_ifaces == 0 and descriptors_ok == false) so that
 *       the caller can judge it, and a judgement of such a device can only
 *       end in block.
 */
#ifndef MNG_DEVICE_H
#define MNG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MNG_DEV_STR_MAX 256
#define MNG_DEV_IFACE_MAX 256
#define MNG_DEV_HASH_LEN 44 /* base64 of a 32-byte digest */
#define MNG_DEV_DESC_MAX 65536

/* One interface (one alternate setting of one interface of a configuration). */
struct mng_iface {
	uint8_t cls, subcls, proto;
	uint8_t config;	  /* bConfigurationValue it belongs to */
	uint8_t number;	  /* bInterfaceNumber */
	uint8_t altsetting; /* bAlternateSetting */
};

struct mng_device {
	char syspath[4096];		 /* the sysfs directory it was read from; "" if none */
	uint16_t vendor, product;	 /* idVendor, idProduct */
	char serial[MNG_DEV_STR_MAX];	 /* "" when the device has none */
	char name[MNG_DEV_STR_MAX];	 /* "product" string */
	char port[MNG_DEV_STR_MAX];	 /* via-port: sysfs name, e.g. "1-4.2" or "usb1" */
	char connect_type[32];		 /* "hotplug", "hardwired", "unknown" or "" */
	char hash[MNG_DEV_HASH_LEN + 1]; /* USBGuard-compatible device hash */
	char parent_hash[MNG_DEV_HASH_LEN + 1];
	bool descriptors_ok; /* descriptors were read and parsed whole */
	size_t n_ifaces;
	struct mng_iface ifaces[MNG_DEV_IFACE_MAX]; /* USBGuard's with-interface order */
};

/*
 * mng_device_read_sysfs - read the USB device at syspath, a directory under
 * /sys/devices/ whose uevent says DEVTYPE=usb_device (root hubs included),
 * into *ret: ids, serial, product name, via-port (the directory name),
 * connect type (port/connect_type, "" if absent), the interface list from
 * "descriptors", and hash and parent-hash computed exactly as USBGuard 1.1.2
 * computes them. The caller owns *ret; nothing is allocated.
 * Returns 0, or -ENOENT (device gone), -ENODEV (not a usb_device),
 * -EINVAL (bad path, malformed id, NUL in a string), -E2BIG (an attribute
 * over its cap), -ELOOP (an attribute is a symlink), -ENOMEM, -EIO; *ret is
 * written only on success. Broken descriptors are not an error: the device
 * comes back with descriptors_ok false, no interfaces and an empty hash. A
 * parent USB device that cannot be read leaves parent_hash empty.
 */
int mng_device_read_sysfs(const char *syspath, struct mng_device *ret);

/*
 * mng_device_read_sysfs_parent - mng_device_read_sysfs(), except that
 * parent_hash, when not NULL, is taken as the device's parent-hash instead
 * of reading the parent from sysfs (the agent holds the hash of every
 * present device; reading the hub again on every plug gives the same bytes).
 * It must be the hash that mng_device_read_sysfs() gave for the USB device
 * in the parent directory of syspath (the caller vouches for that: it is
 * copied, not checked against sysfs); it must be MNG_DEV_HASH_LEN base64
 * characters ending in '=', or the call fails with -EINVAL. NULL reads the
 * parent, exactly as mng_device_read_sysfs() does. Everything else (what is
 * read, the errors, ownership, *ret written only on success) is as
 * mng_device_read_sysfs().
 */
int mng_device_read_sysfs_parent(const char *syspath, const char *parent_hash,
				 struct mng_device *ret);

/*
 * mng_device_enumerate - list the syspaths of present USB devices
 * (subsystem usb, devtype usb_device) through libudev, sorted so that every
 * parent comes before its children. *ret_paths is a malloc'd array of
 * *ret_n malloc'd strings; free it with mng_device_paths_free. Returns 0,
 * -E2BIG past 4096 devices, -ENOMEM or another -errno from libudev.
 */
int mng_device_enumerate(char ***ret_paths, size_t *ret_n);

/* mng_device_paths_free - free what mng_device_enumerate returned; NULL is fine. */
void mng_device_paths_free(char **paths, size_t n);

/*
 * mng_device_format_rule - write dev as one USBGuard rule line without a
 * newline: "<target> id VVVV:PPPP serial ".." name ".." hash ".."
 * parent-hash ".." via-port ".." with-interface ... with-connect-type ".."".
 * target is one of allow, block, reject, match, device. hash, parent-hash
 * and via-port are left out when empty (clear them in a copy to leave them
 * out on purpose), with-interface when there are no interfaces; a single
 * interface is written bare, several as "{ a b }". Strings are quoted and
 * escaped as USBGuard does. *ret is malloc'd, the caller frees it.
 * Returns 0, -EINVAL (bad target or a string without its NUL), -ENOMEM.
 */
int mng_device_format_rule(const struct mng_device *dev, const char *target, char **ret);

#endif
