/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usbdesc.h - bounded parser for the raw USB descriptors that Linux exposes
 * in a device's sysfs "descriptors" attribute.
 *
 * The attribute holds the device descriptor followed by every configuration
 * descriptor the kernel read, each with its interface, endpoint and
 * class-specific descriptors, exactly as the device sent them. The parser
 * is pure: a buffer goes in, a struct mng_usbdesc and diagnostics come out.
 */
#ifndef MNG_USBDESC_H
#define MNG_USBDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "diag.h"

#define MNG_USB_DT_DEVICE 0x01
#define MNG_USB_DT_CONFIG 0x02
#define MNG_USB_DT_STRING 0x03
#define MNG_USB_DT_INTERFACE 0x04
#define MNG_USB_DT_ENDPOINT 0x05
#define MNG_USB_DT_IAD 0x0b

#define MNG_USB_DT_DEVICE_SIZE 18
#define MNG_USB_DT_CONFIG_SIZE 9
#define MNG_USB_DT_INTERFACE_SIZE 9
#define MNG_USB_DT_ENDPOINT_SIZE 7
#define MNG_USB_DT_ENDPOINT_AUDIO_SIZE 9

/* Byte offset of bcdDevice inside the device descriptor. */
#define MNG_USB_DEVICE_BCD_OFFSET 12

struct mng_usbdesc {
	/* From the device descriptor (host byte order). */
	uint16_t bcd_usb, vendor, product, bcd_device;
	uint8_t dev_class, dev_subclass, dev_proto;
	uint8_t num_configs; /* bNumConfigurations as declared */
	/* Linux root hub (idVendor 1d6b, idProduct 0001..0003). */
	bool root_hub;
	size_t n_configs; /* configuration descriptors seen */
	size_t n_descs;	  /* descriptors parsed, all types */
	size_t bytes;	  /* bytes consumed: the whole buffer on success */
	size_t type_count[256];
	/* Every interface descriptor (every alternate setting of every
	 * interface of every configuration) in the order they appear. */
	size_t n_ifaces;
	struct mng_iface ifaces[MNG_DEV_IFACE_MAX];
};

/*
 * mng_usbdesc_parse - parse len bytes of sysfs "descriptors" data.
 *
 * On success fills *ret and returns 0. The rules are USBGuard 1.1.2's, so
 * that the interface list and the set of accepted inputs agree with it:
 * every descriptor's bLength is at least 2 and fits in the buffer; device,
 * configuration and interface descriptors have exactly their standard
 * size, endpoints 7 or 9 bytes; exactly one device descriptor and it comes
 * first (stricter than USBGuard, which tolerates unknown descriptors before
 * it); a configuration needs the device descriptor, an interface needs a
 * configuration, an endpoint needs an interface of the current
 * configuration; any other descriptor type is skipped by its bLength.
 *
 * Errors: -EINVAL when the data is malformed or truncated (one diagnostic
 * "name:0:OFFSET+1: message" is added to diags, which may be NULL),
 * -E2BIG when len exceeds MNG_DEV_DESC_MAX or there are more than
 * MNG_DEV_IFACE_MAX interface descriptors. *ret is untouched on error.
 * name is only used in diagnostics and may be NULL.
 */
int mng_usbdesc_parse(const uint8_t *buf, size_t len, const char *name, struct mng_diags *diags,
		      struct mng_usbdesc *ret);

#endif
