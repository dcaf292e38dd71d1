// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbdesc.c - bounded parser for sysfs "descriptors" data.
 *
 * Why our own parser: libusb-1.0 only parses descriptors it fetched from a
 * device it opened itself; it has no call that takes a raw buffer. The agent
 * must judge a device from sysfs while it is still unauthorised (and the
 * tests judge umockdev recordings that have no device node at all), so the
 * bytes the kernel cached are all we have. The format is small and fixed
 * (USB 2.0 chapter 9.6), so a short parser with hard bounds is the safer
 * choice over a general one.
 *
 * What is accepted and what goes into the interface list follows
 * USBGuard 1.1.2, so that "with-interface" and the device hash agree with
 * it: every interface descriptor counts, in order, including every
 * alternate setting and every configuration; class-specific and other
 * unknown descriptors are skipped; a wrong size for a standard descriptor
 * or a descriptor out of place is an error, not something to guess around.
 *
 * MUST: never read past buf + len; every descriptor's bLength is checked
 *       against the bytes left before any field is read.
 * MUST: a bLength below 2 is an error (a zero length would never advance).
 * MUST: the work is linear in len, and len is capped at MNG_DEV_DESC_MAX.
 * MUST: *ret is written only when the whole buffer parsed.
 */
#include <errno.h>
#include <string.h>

#include "usbdesc.h"

struct parse_state {
	const char *name;
	struct mng_diags *diags;
	bool have_device, have_config, have_iface;
	uint8_t config_value;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static int fail(struct parse_state *st, size_t off, const char *msg, uint8_t type, uint8_t blen)
{
	if (st->diags)
		mng_diags_add(st->diags, st->name ? st->name : "descriptors", 0,
			      (unsigned)(off + 1), "%s (type 0x%02x, bLength %u)", msg, type, blen);
	return -EINVAL;
}

static int parse_device(struct parse_state *st, const uint8_t *d, size_t off, struct mng_usbdesc *u)
{
	if (d[0] != MNG_USB_DT_DEVICE_SIZE)
		return fail(st, off, "device descriptor has the wrong size", d[1], d[0]);
	if (st->have_device)
		return fail(st, off, "second device descriptor", d[1], d[0]);
	st->have_device = true;
	u->bcd_usb = le16(d + 2);
	u->dev_class = d[4];
	u->dev_subclass = d[5];
	u->dev_proto = d[6];
	u->vendor = le16(d + 8);
	u->product = le16(d + 10);
	u->bcd_device = le16(d + MNG_USB_DEVICE_BCD_OFFSET);
	u->num_configs = d[17];
	u->root_hub = u->vendor == 0x1d6b && u->product >= 0x0001 && u->product <= 0x0003;
	return 0;
}

static int parse_config(struct parse_state *st, const uint8_t *d, size_t off, struct mng_usbdesc *u)
{
	if (d[0] != MNG_USB_DT_CONFIG_SIZE)
		return fail(st, off, "configuration descriptor has the wrong size", d[1], d[0]);
	if (!st->have_device)
		return fail(st, off, "configuration descriptor before the device descriptor", d[1],
			    d[0]);
	st->have_config = true;
	st->have_iface = false; /* endpoints must follow an interface of this configuration */
	st->config_value = d[5];
	u->n_configs++;
	return 0;
}

static int parse_iface(struct parse_state *st, const uint8_t *d, size_t off, struct mng_usbdesc *u)
{
	struct mng_iface *i;

	if (d[0] != MNG_USB_DT_INTERFACE_SIZE)
		return fail(st, off, "interface descriptor has the wrong size", d[1], d[0]);
	if (!st->have_config)
		return fail(st, off, "interface descriptor outside a configuration", d[1], d[0]);
	if (u->n_ifaces >= MNG_DEV_IFACE_MAX) {
		if (st->diags)
			mng_diags_add(st->diags, st->name ? st->name : "descriptors", 0,
				      (unsigned)(off + 1), "more than %d interface descriptors",
				      MNG_DEV_IFACE_MAX);
		return -E2BIG;
	}
	st->have_iface = true;
	i = &u->ifaces[u->n_ifaces++];
	i->config = st->config_value;
	i->number = d[2];
	i->altsetting = d[3];
	i->cls = d[5];
	i->subcls = d[6];
	i->proto = d[7];
	return 0;
}

static int parse_endpoint(struct parse_state *st, const uint8_t *d, size_t off)
{
	if (d[0] != MNG_USB_DT_ENDPOINT_SIZE && d[0] != MNG_USB_DT_ENDPOINT_AUDIO_SIZE)
		return fail(st, off, "endpoint descriptor has the wrong size", d[1], d[0]);
	if (!st->have_iface)
		return fail(st, off, "endpoint descriptor outside an interface", d[1], d[0]);
	return 0;
}

int mng_usbdesc_parse(const uint8_t *buf, size_t len, const char *name, struct mng_diags *diags,
		      struct mng_usbdesc *ret)
{
	struct parse_state st = {.name = name, .diags = diags};
	struct mng_usbdesc u;
	size_t off = 0;
	int r;

	if (!ret || (!buf && len))
		return -EINVAL;
	if (len > MNG_DEV_DESC_MAX) {
		if (diags)
			mng_diags_add(diags, name ? name : "descriptors", 0, 0,
				      "descriptor data of %zu bytes exceeds the limit of %d", len,
				      MNG_DEV_DESC_MAX);
		return -E2BIG;
	}
	memset(&u, 0, sizeof(u));

	while (off < len) {
		const uint8_t *d = buf + off;
		size_t left = len - off;
		uint8_t blen, type;

		if (left < 2)
			return fail(&st, off, "truncated descriptor header", 0, 0);
		blen = d[0];
		type = d[1];
		if (blen < 2)
			return fail(&st, off, "descriptor length below the header size", type,
				    blen);
		if (blen > left)
			return fail(&st, off, "descriptor runs past the end of the data", type,
				    blen);
		if (off == 0 && type != MNG_USB_DT_DEVICE)
			return fail(&st, off, "data does not start with a device descriptor", type,
				    blen);

		switch (type) {
		case MNG_USB_DT_DEVICE:
			r = parse_device(&st, d, off, &u);
			break;
		case MNG_USB_DT_CONFIG:
			r = parse_config(&st, d, off, &u);
			break;
		case MNG_USB_DT_INTERFACE:
			r = parse_iface(&st, d, off, &u);
			break;
		case MNG_USB_DT_ENDPOINT:
			r = parse_endpoint(&st, d, off);
			break;
		default:
			/* string, IAD, class-specific, vendor: skipped by length */
			r = 0;
			break;
		}
		if (r < 0)
			return r;
		u.type_count[type]++;
		u.n_descs++;
		off += blen;
	}

	if (!st.have_device)
		return fail(&st, 0, "no device descriptor", 0, 0);
	u.bytes = off;
	*ret = u;
	return 0;
}
