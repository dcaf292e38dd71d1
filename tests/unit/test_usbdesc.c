// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_usbdesc.c - the sysfs descriptor parser: USBGuard's decoded dump of a
 * real device, the recorded devices' descriptors, and hostile input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "usbdesc.h"
#include "helpers/testdata.h"

static int parse(const uint8_t *b, size_t n, struct mng_usbdesc *u, struct mng_diags *d)
{
	return mng_usbdesc_parse(b, n, "t.bin", d, u);
}

/* ---- descriptor-0001: compare with USBGuard's own decoded dump ---- */

static void test_descriptor_0001_matches_usbguard_dump(void **state)
{
	size_t blen, olen, k = 0;
	char *bin = test_data_read("tests/data/usbguard/descriptor-0001.bin", &blen);
	char *out = test_data_read("tests/data/usbguard/descriptor-0001.out", &olen);
	static struct mng_usbdesc u;
	unsigned counts_checked = 0;
	char *line, *save = NULL;
	int num = -1, alt = -1, cls = -1, sub = -1;

	assert_int_equal(parse((uint8_t *)bin, blen, &u, NULL), 0);
	assert_int_equal(u.vendor, 0x1004);
	assert_int_equal(u.product, 0x61fe);
	assert_int_equal(u.bcd_device, 0x0228);
	assert_int_equal(u.dev_class, 0xef);
	assert_false(u.root_hub);
	assert_int_equal(u.n_configs, 1);

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned t, c, v;

		if (sscanf(line, "Bytes parsed: %u", &v) == 1)
			assert_int_equal(u.bytes, v);
		if (sscanf(line, "Descriptor type 0x%x count: %u", &t, &c) == 2) {
			assert_true(t < 256);
			assert_int_equal(u.type_count[t], c);
			counts_checked++;
		}
		if (sscanf(line, " bInterfaceNumber: %u", &v) == 1)
			num = (int)v;
		if (sscanf(line, " bAlternateSetting: %u", &v) == 1)
			alt = (int)v;
		if (sscanf(line, " bInterfaceClass: %u", &v) == 1)
			cls = (int)v;
		if (sscanf(line, " bInterfaceSubClass: %u", &v) == 1)
			sub = (int)v;
		if (sscanf(line, " bInterfaceProtocol: %u", &v) == 1) {
			assert_true(k < u.n_ifaces);
			assert_int_equal(u.ifaces[k].number, num);
			assert_int_equal(u.ifaces[k].altsetting, alt);
			assert_int_equal(u.ifaces[k].cls, cls);
			assert_int_equal(u.ifaces[k].subcls, sub);
			assert_int_equal(u.ifaces[k].proto, v);
			assert_int_equal(u.ifaces[k].config, 1);
			k++;
		}
	}
	assert_int_equal(k, 6);
	assert_int_equal(u.n_ifaces, 6);
	assert_int_equal(counts_checked, 6);
	assert_int_equal(u.bytes, blen);
	free(bin);
	free(out);
}

/* ---- the recorded devices ---- */

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (h[0] && h[1] && h[0] != '\n' && n < max) {
		unsigned v;

		assert_int_equal(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static void test_recorded_devices_parse(void **state)
{
	static uint8_t buf[MNG_DEV_DESC_MAX];
	static struct mng_usbdesc u;
	size_t len, seen = 0;
	char *rec = test_data_read("tests/data/umockdev/usbguard-devices.umockdev", &len);
	const char *p = rec;

	while ((p = strstr(p, "\nH: descriptors=")) != NULL) {
		size_t n;

		p += strlen("\nH: descriptors=");
		n = unhex(p, buf, sizeof(buf));
		assert_int_equal(parse(buf, n, &u, NULL), 0);
		assert_int_equal(u.bytes, n);
		assert_true(u.n_ifaces >= 1);
		if (u.vendor == 0x5986 && u.product == 0x0706) {
			size_t i;

			/* the camera: video control, then 12 alternate settings of streaming */
			assert_int_equal(u.n_ifaces, 13);
			assert_int_equal(u.ifaces[0].cls, 0x0e);
			assert_int_equal(u.ifaces[0].subcls, 0x01);
			for (i = 1; i < 13; i++) {
				assert_int_equal(u.ifaces[i].cls, 0x0e);
				assert_int_equal(u.ifaces[i].subcls, 0x02);
				assert_int_equal(u.ifaces[i].number, 1);
				assert_int_equal(u.ifaces[i].altsetting, i - 1);
			}
		}
		if (u.vendor == 0x1d6b)
			assert_true(u.root_hub);
		seen++;
	}
	assert_int_equal(seen, 7);
	free(rec);
}

/* ---- hostile input ---- */

static const uint8_t dev_desc[18] = {18,   1,	 0x00, 0x02, 0,	   0, 0, 64, 0x34,
				     0x12, 0x78, 0x56, 0x00, 0x01, 1, 2, 3,  1};
static const uint8_t cfg_desc[9] = {9, 2, 0, 0, 1, 1, 0, 0x80, 50};
static const uint8_t if_desc[9] = {9, 4, 0, 0, 1, 8, 6, 0x50, 0};
static const uint8_t ep_desc[7] = {7, 5, 0x81, 2, 0, 2, 0};

struct blob {
	uint8_t b[4096];
	size_t n;
};

static void put(struct blob *x, const uint8_t *d, size_t n)
{
	assert_true(x->n + n <= sizeof(x->b));
	memcpy(x->b + x->n, d, n);
	x->n += n;
}

static struct blob good_blob(void)
{
	struct blob x = {.n = 0};

	put(&x, dev_desc, sizeof(dev_desc));
	put(&x, cfg_desc, sizeof(cfg_desc));
	put(&x, if_desc, sizeof(if_desc));
	put(&x, ep_desc, sizeof(ep_desc));
	return x;
}

static void expect_bad(const uint8_t *b, size_t n, int err, unsigned col)
{
	struct mng_diags d = {0};
	static struct mng_usbdesc u, before;

	memset(&u, 0xa5, sizeof(u));
	before = u;
	assert_int_equal(parse(b, n, &u, &d), err);
	assert_memory_equal(&u, &before, sizeof(u)); /* untouched on error */
	assert_true(mng_diags_count(&d) >= 1);
	assert_string_equal(d.v[0].file, "t.bin");
	assert_int_equal(d.v[0].line, 0);
	if (col)
		assert_int_equal(d.v[0].col, col);
	assert_true(strlen(d.v[0].msg) > 0);
	mng_diags_clear(&d);
}

static void test_good_minimal(void **state)
{
	struct blob x = good_blob();
	static struct mng_usbdesc u;

	assert_int_equal(parse(x.b, x.n, &u, NULL), 0);
	assert_int_equal(u.vendor, 0x1234);
	assert_int_equal(u.product, 0x5678);
	assert_int_equal(u.n_ifaces, 1);
	assert_int_equal(u.ifaces[0].cls, 8);
	assert_int_equal(u.ifaces[0].subcls, 6);
	assert_int_equal(u.ifaces[0].proto, 0x50);
	assert_int_equal(u.n_descs, 4);
}

static void test_empty_and_tiny(void **state)
{
	uint8_t b[2] = {0, 0};

	expect_bad(b, 0, -EINVAL, 0);
	expect_bad(b, 1, -EINVAL, 1);
	assert_int_equal(mng_usbdesc_parse(NULL, 5, NULL, NULL, &(struct mng_usbdesc){0}), -EINVAL);
}

static void test_zero_and_one_length_do_not_loop(void **state)
{
	struct blob x = good_blob();
	size_t at = x.n;
	uint8_t z[4] = {0, 0x24, 1, 0x24};

	put(&x, z, 2);
	expect_bad(x.b, x.n, -EINVAL, (unsigned)at + 1);
	x.n = at;
	put(&x, z + 2, 2);
	expect_bad(x.b, x.n, -EINVAL, (unsigned)at + 1);
}

static void test_every_truncation(void **state)
{
	size_t blen, cut;
	char *bin = test_data_read("tests/data/usbguard/descriptor-0001.bin", &blen);
	static struct mng_usbdesc u;
	size_t boundaries = 0;

	for (cut = 0; cut < blen; cut++) {
		struct mng_diags d = {0};
		int r = parse((uint8_t *)bin, cut, &u, &d);

		if (r == 0) {
			/* only a cut on a descriptor boundary after the device descriptor parses */
			assert_true(cut >= 18);
			assert_int_equal(u.bytes, cut);
			boundaries++;
		} else {
			assert_int_equal(r, -EINVAL);
			assert_true(mng_diags_count(&d) >= 1);
		}
		mng_diags_clear(&d);
	}
	assert_true(boundaries > 10);
	free(bin);
}

static void test_past_end(void **state)
{
	struct blob x = good_blob();

	x.b[18 + 9] = 200; /* interface claims 200 bytes */
	expect_bad(x.b, x.n, -EINVAL, 28);
}

static void test_wrong_sizes(void **state)
{
	struct blob x;
	uint8_t big_if[10] = {10, 4, 0, 0, 0, 3, 1, 1, 0, 0};
	uint8_t ep8[8] = {8, 5, 0x81, 3, 8, 0, 10, 0};
	uint8_t ep9[9] = {9, 5, 0x81, 1, 8, 0, 1, 0, 0};
	uint8_t cfg10[10] = {10, 2, 0, 0, 1, 1, 0, 0x80, 50, 0};
	static struct mng_usbdesc u;

	x = good_blob();
	x.b[0] = 17;
	x.n = 17;
	expect_bad(x.b, x.n, -EINVAL, 1);

	x = good_blob();
	x.n = 27;
	put(&x, big_if, sizeof(big_if));
	expect_bad(x.b, x.n, -EINVAL, 28);

	x = good_blob();
	put(&x, ep8, sizeof(ep8));
	expect_bad(x.b, x.n, -EINVAL, 44);

	x = good_blob();
	x.n = 18;
	put(&x, cfg10, sizeof(cfg10));
	expect_bad(x.b, x.n, -EINVAL, 19);

	/* a 9-byte (audio) endpoint is legal */
	x = good_blob();
	put(&x, ep9, sizeof(ep9));
	assert_int_equal(parse(x.b, x.n, &u, NULL), 0);
}

static void test_out_of_order(void **state)
{
	struct blob x = {.n = 0};
	uint8_t unk[3] = {3, 0x24, 0};

	/* not starting with the device descriptor */
	put(&x, unk, 3);
	put(&x, dev_desc, 18);
	expect_bad(x.b, x.n, -EINVAL, 1);

	/* configuration first */
	x.n = 0;
	put(&x, cfg_desc, 9);
	expect_bad(x.b, x.n, -EINVAL, 1);

	/* interface without configuration */
	x.n = 0;
	put(&x, dev_desc, 18);
	put(&x, if_desc, 9);
	expect_bad(x.b, x.n, -EINVAL, 19);

	/* endpoint without interface */
	x.n = 0;
	put(&x, dev_desc, 18);
	put(&x, cfg_desc, 9);
	put(&x, ep_desc, 7);
	expect_bad(x.b, x.n, -EINVAL, 28);

	/* endpoint after a new configuration but before its interface */
	x = good_blob();
	put(&x, cfg_desc, 9);
	put(&x, ep_desc, 7);
	expect_bad(x.b, x.n, -EINVAL, 53);

	/* a second device descriptor */
	x = good_blob();
	put(&x, dev_desc, 18);
	expect_bad(x.b, x.n, -EINVAL, 44);
}

static void test_all_configurations_and_alt_settings_count(void **state)
{
	struct blob x = {.n = 0};
	uint8_t cfg2[9] = {9, 2, 0, 0, 1, 2, 0, 0x80, 50};
	uint8_t if_alt[9] = {9, 4, 0, 1, 0, 3, 1, 2, 0};
	uint8_t iad[8] = {8, 0x0b, 0, 2, 0x0e, 3, 0, 0};
	static struct mng_usbdesc u;

	put(&x, dev_desc, 18);
	put(&x, cfg_desc, 9);
	put(&x, iad, 8);
	put(&x, if_desc, 9);
	put(&x, ep_desc, 7);
	put(&x, if_alt, 9);
	put(&x, cfg2, 9);
	put(&x, if_alt, 9);
	assert_int_equal(parse(x.b, x.n, &u, NULL), 0);
	assert_int_equal(u.n_configs, 2);
	assert_int_equal(u.n_ifaces, 3);
	assert_int_equal(u.ifaces[0].config, 1);
	assert_int_equal(u.ifaces[1].altsetting, 1);
	assert_int_equal(u.ifaces[1].cls, 3);
	assert_int_equal(u.ifaces[2].config, 2);
	assert_int_equal(u.type_count[0x0b], 1);
}

static void test_interface_cap(void **state)
{
	static uint8_t b[18 + 9 + 9 * (MNG_DEV_IFACE_MAX + 1)];
	static struct mng_usbdesc u;
	size_t i, n = 0;

	memcpy(b, dev_desc, 18);
	memcpy(b + 18, cfg_desc, 9);
	n = 27;
	for (i = 0; i < MNG_DEV_IFACE_MAX; i++, n += 9)
		memcpy(b + n, if_desc, 9);
	assert_int_equal(parse(b, n, &u, NULL), 0);
	assert_int_equal(u.n_ifaces, MNG_DEV_IFACE_MAX);
	memcpy(b + n, if_desc, 9);
	n += 9;
	expect_bad(b, n, -E2BIG, (unsigned)(n - 9 + 1));
}

static void test_size_cap_and_huge_input(void **state)
{
	size_t big = 1024 * 1024;
	uint8_t *b = malloc(big);
	static struct mng_usbdesc u;
	size_t n;

	assert_non_null(b);
	memset(b, 0xff, big);
	expect_bad(b, big, -E2BIG, 0);
	expect_bad(b, MNG_DEV_DESC_MAX + 1, -E2BIG, 0);

	/* exactly at the cap: a device descriptor then 2-byte vendor descriptors */
	memcpy(b, dev_desc, 18);
	for (n = 18; n + 2 <= MNG_DEV_DESC_MAX; n += 2) {
		b[n] = 2;
		b[n + 1] = 0xff;
	}
	assert_int_equal(parse(b, n, &u, NULL), 0);
	assert_int_equal(u.n_descs, 1 + (n - 18) / 2);
	assert_int_equal(u.n_ifaces, 0);
	free(b);
}

static void test_random_input_never_crashes(void **state)
{
	static uint8_t b[512];
	static struct mng_usbdesc u;
	uint32_t s = 12345;
	unsigned it, ok = 0;

	for (it = 0; it < 20000; it++) {
		size_t n, i;
		struct mng_diags d = {0};
		int r;

		s = s * 1103515245u + 12345u;
		n = (s >> 8) % sizeof(b);
		for (i = 0; i < n; i++) {
			s = s * 1103515245u + 12345u;
			b[i] = (uint8_t)(s >> 16);
		}
		/* give the parser a fair start half of the time */
		if (it & 1 && n >= 18)
			memcpy(b, dev_desc, 18);
		r = parse(b, n, &u, &d);
		assert_true(r == 0 || r == -EINVAL || r == -E2BIG);
		if (r == 0)
			ok++;
		else
			assert_true(mng_diags_count(&d) >= 1);
		mng_diags_clear(&d);
	}
	(void)ok;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptor_0001_matches_usbguard_dump),
	    cmocka_unit_test(test_recorded_devices_parse),
	    cmocka_unit_test(test_good_minimal),
	    cmocka_unit_test(test_empty_and_tiny),
	    cmocka_unit_test(test_zero_and_one_length_do_not_loop),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_past_end),
	    cmocka_unit_test(test_wrong_sizes),
	    cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_all_configurations_and_alt_settings_count),
	    cmocka_unit_test(test_interface_cap),
	    cmocka_unit_test(test_size_cap_and_huge_input),
	    cmocka_unit_test(test_random_input_never_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
