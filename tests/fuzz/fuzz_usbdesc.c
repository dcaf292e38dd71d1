// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_usbdesc.c - libFuzzer harness for the sysfs descriptor parser.
 *
 * The input is taken as the raw content of a "descriptors" attribute. Beyond
 * "no crash, no hang, no leak", it checks the parser's promises: on success
 * the whole buffer was consumed, the counts add up and every interface
 * entry is within the cap; on failure there is a diagnostic and the result
 * is untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usbdesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mng_usbdesc u, guard;
	struct mng_diags d = {0};
	size_t i, sum = 0;
	int r;

	memset(&u, 0x5a, sizeof(u));
	guard = u;
	r = mng_usbdesc_parse(data, size, "fuzz", &d, &u);
	if (r == 0) {
		if (u.bytes != size || u.n_ifaces > MNG_DEV_IFACE_MAX || u.n_descs == 0)
			abort();
		for (i = 0; i < 256; i++)
			sum += u.type_count[i];
		if (sum != u.n_descs || u.type_count[MNG_USB_DT_DEVICE] != 1 ||
		    u.type_count[MNG_USB_DT_INTERFACE] != u.n_ifaces)
			abort();
		if (mng_diags_count(&d) != 0)
			abort();
	} else {
		if (r != -EINVAL && r != -E2BIG)
			abort();
		if (mng_diags_count(&d) == 0 || memcmp(&u, &guard, sizeof(u)) != 0)
			abort();
	}
	mng_diags_clear(&d);
	return 0;
}
