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

#endif
