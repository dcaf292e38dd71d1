// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_device.c - the USB device model read from a umockdev testbed holding
 * a recorded device tree, compared byte for byte with what USBGuard 1.1.2
 * derived for the same tree; then damaged attributes, removed devices and
 * broken descriptors.
 *
 * Runs inside umockdev-wrapper (tests/run-unit.sh arranges it), so /sys is
 * the testbed that each test builds afresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <umockdev.h>

#include "device.h"
#include "usbdesc.h"
#include "helpers/testdata.h"

#define USB1 "/sys/devices/pci0000:00/0000:00:14.0/usb1"
#define HUB USB1 "/1-4"
#define BALL HUB "/1-4.2"
#define CAMERA USB1 "/1-8"
#define KBD HUB "/1-4.1/1-4.1.3"

static int setup(void **state)
{
	const char *src = getenv("MNG_SRCDIR");
	char path[4096];
	UMockdevTestbed *tb;
	GError *err = NULL;
	const char *pre = getenv("LD_PRELOAD");

	if (!pre || !strstr(pre, "libumockdev-preload")) {
		fprintf(stderr, "test_device must run under umockdev-wrapper\n");
		return -1;
	}
	tb = umockdev_testbed_new();
	snprintf(path, sizeof(path), "%s/tests/data/umockdev/usbguard-devices.umockdev",
		 src ? src : ".");
	if (!umockdev_testbed_add_from_file(tb, path, &err)) {
		fprintf(stderr, "%s: %s\n", path, err ? err->message : "?");
		g_clear_error(&err);
		g_object_unref(tb);
		return -1;
	}
	*state = tb;
	return 0;
}

static int teardown(void **state)
{
	g_object_unref(*state);
	return 0;
}

/* Write a file straight into the testbed's tree (for what set_attribute cannot do). */
static char *tb_path(UMockdevTestbed *tb, const char *syspath, const char *name)
{
	char *root = umockdev_testbed_get_root_dir(tb);
	char *p = g_strdup_printf("%s%s/%s", root, syspath, name);

	g_free(root);
	return p;
}

static void read_ok(const char *syspath, struct mng_device *d)
{
	int r = mng_device_read_sysfs(syspath, d);

	if (r < 0)
		fail_msg("%s: %s", syspath, strerror(-r));
}

static char *rule_of(const char *syspath, const char *target)
{
	static struct mng_device d;
	char *rule = NULL;

	read_ok(syspath, &d);
	assert_int_equal(mng_device_format_rule(&d, target, &rule), 0);
	return rule;
}

/* ---- conformance with USBGuard ---- */

static void test_enumerate_parents_first(void **state)
{
	char **paths = NULL;
	size_t n = 0, i, j;

	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	assert_int_equal(n, 7);
	assert_string_equal(paths[0], USB1);
	for (i = 0; i < n; i++) {
		/* every device's parent USB device (if listed) comes earlier */
		for (j = i + 1; j < n; j++) {
			size_t l = strlen(paths[j]);

			assert_false(strncmp(paths[i], paths[j], l) == 0 && paths[i][l] == '/');
		}
	}
	mng_device_paths_free(paths, n);
	mng_device_paths_free(NULL, 0);
}

static void test_recorded_tree_matches_usbguard_rules(void **state)
{
	char *exp = test_data_read("tests/data/usbguard/devices.expected-rules", NULL);
	char **paths = NULL;
	size_t n = 0, i, matched = 0;

	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	for (i = 0; i < n; i++) {
		char key[4200], *line, *nl, *rule;

		/* expected lines are "<devpath>\t<rule>", devpath without "/sys" */
		snprintf(key, sizeof(key), "\n%s\t", paths[i] + 4);
		line = strstr(exp, key);
		if (!line)
			continue;
		line += strlen(key);
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rule = rule_of(paths[i], "device");
		assert_string_equal(rule, line);
		if (nl)
			*nl = '\n';
		free(rule);
		matched++;
	}
	assert_int_equal(matched, 6);
	mng_device_paths_free(paths, n);
	free(exp);
}

/*
 * devices.generate-policy is the output of usbguard 1.1.2's own
 * generate-policy over the same recording: all 7 devices, keyboard included.
 * Its default puts via-port only on devices without a serial number.
 */
static void test_recorded_tree_matches_usbguard_generate_policy(void **state)
{
	char *exp = test_data_read("tests/data/usbguard/devices.generate-policy", NULL);
	static struct mng_device d;
	char **paths = NULL;
	size_t n = 0, i;
	char *line = exp;

	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	for (i = 0; i < n; i++) {
		char *rule = NULL, *nl;
		bool found = false;

		read_ok(paths[i], &d);
		if (d.serial[0])
			d.port[0] = '\0';
		assert_int_equal(mng_device_format_rule(&d, "allow", &rule), 0);
		for (line = exp; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (strlen(rule) == (size_t)(nl ? nl - line : (ptrdiff_t)strlen(line)) &&
			    !strncmp(rule, line, strlen(rule)))
				found = true;
		}
		if (!found)
			fail_msg("no usbguard line for: %s", rule);
		free(rule);
	}
	assert_int_equal(n, 7);
	mng_device_paths_free(paths, n);
	free(exp);
}

static void test_device_fields(void **state)
{
	static struct mng_device d;

	read_ok(CAMERA, &d);
	assert_string_equal(d.syspath, CAMERA);
	assert_int_equal(d.vendor, 0x5986);
	assert_int_equal(d.product, 0x0706);
	assert_string_equal(d.name, "Integrated Camera");
	assert_string_equal(d.serial, "");
	assert_string_equal(d.port, "1-8");
	assert_string_equal(d.connect_type, "");
	assert_true(d.descriptors_ok);
	assert_int_equal(d.n_ifaces, 13);
	assert_int_equal(d.ifaces[12].number, 1);
	assert_int_equal(d.ifaces[12].altsetting, 11);
	assert_int_equal(strlen(d.hash), MNG_DEV_HASH_LEN);
}

/* ---- the root hub special case ---- */

static void patch_bcd(UMockdevTestbed *tb, const char *syspath, const char *hexdesc)
{
	uint8_t b[256];
	size_t n = 0;

	while (hexdesc[2 * n] && n < sizeof(b)) {
		unsigned v;

		assert_int_equal(sscanf(hexdesc + 2 * n, "%2x", &v), 1);
		b[n++] = (uint8_t)v;
	}
	b[MNG_USB_DEVICE_BCD_OFFSET] ^= 0x11;
	umockdev_testbed_set_attribute_binary(tb, syspath, "descriptors", b, (gint)n);
}

static void test_root_hub_hash_ignores_bcd_device(void **state)
{
	static struct mng_device a, b;

	read_ok(USB1, &a);
	patch_bcd(*state, USB1,
		  "12010002090001406B1D020015040302010109021900010100E0000904000001090000000705810"
		  "304000C");
	read_ok(USB1, &b);
	assert_string_equal(a.hash, b.hash);
	assert_string_equal(a.hash, "jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=");

	/* ...but for any other device bcdDevice is part of the hash */
	read_ok(BALL, &a);
	patch_bcd(*state, BALL,
		  "12010002000000087D04482000060102000109022200010100A03209040000010301020009211101"
		  "00012252000705810308000A");
	read_ok(BALL, &b);
	assert_true(b.descriptors_ok);
	assert_string_not_equal(a.hash, b.hash);
}

static void test_root_hub_parent_hash_is_controller_path(void **state)
{
	static struct mng_device d;

	read_ok(USB1, &d);
	/* base64(SHA-256("/devices/pci0000:00/0000:00:14.0")) */
	assert_string_equal(d.parent_hash, "rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=");
}

/* ---- damaged attributes ---- */

static void test_bad_ids(void **state)
{
	static const char *const bad[] = {"zzzz\n", "047D\n", "47d\n", "\n", "", "x47\n", "0 7d\n"};
	static struct mng_device d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		umockdev_testbed_set_attribute(*state, BALL, "idVendor", bad[i]);
		assert_int_equal(mng_device_read_sysfs(BALL, &d), -EINVAL);
	}
	umockdev_testbed_set_attribute(*state, BALL, "idVendor", "047d5\n");
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -E2BIG);
	umockdev_testbed_set_attribute(*state, BALL, "idVendor", "047d\n");
	read_ok(BALL, &d);
	assert_int_equal(d.vendor, 0x047d);
	umockdev_testbed_set_attribute(*state, BALL, "idProduct", "20 8\n");
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -EINVAL);
}

static void test_oversize_serial(void **state)
{
	static struct mng_device d;
	size_t big = 1024 * 1024;
	char *s = malloc(big + 1);

	assert_non_null(s);
	memset(s, 'S', big);
	s[253] = '\n';
	s[254] = '\0';
	umockdev_testbed_set_attribute(*state, BALL, "serial", s);
	read_ok(BALL, &d);
	assert_int_equal(strlen(d.serial), 253);

	s[253] = 'S';
	umockdev_testbed_set_attribute(*state, BALL, "serial", s);
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -E2BIG);

	s[big] = '\0'; /* a 1 MiB line */
	umockdev_testbed_set_attribute(*state, BALL, "serial", s);
	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -E2BIG);
	assert_int_equal(((unsigned char *)&d)[0], 0x5a); /* untouched on error */
	free(s);
}

/*
 * The expected name and hash come from running usbguard 1.1.2's
 * generate-policy over this recording with the same bytes written into the
 * trackball's product and serial attributes.
 */
static void test_control_bytes_and_invalid_utf8_escaped_like_usbguard(void **state)
{
	static const char product[] = "A\001B\tC\\\"D\\\\E\377F\303\251G\343\201\202H\177I\302J\n";
	char *rule;

	umockdev_testbed_set_attribute(*state, BALL, "product", product);
	umockdev_testbed_set_attribute(*state, BALL, "serial", "12\n");
	rule = rule_of(BALL, "allow");
	assert_non_null(strstr(rule, " serial \"12\" name \"A\\x01B\\x09C\\\\\\\"D\\\\\\\\E\\xffF"
				     "\\xc3\\xa9G\\xe3\\x81\\x82H\\x7fI\\xc2J\" hash "
				     "\"MXuRtfMeRZ9/D3oYwnZjrG76DHpeytFNGnvHcWioFBI=\" "));
	free(rule);
}

static void test_nul_in_product_is_refused(void **state)
{
	static struct mng_device d;
	uint8_t v[] = {'A', 0, 'B', '\n'};

	umockdev_testbed_set_attribute_binary(*state, BALL, "product", v, sizeof(v));
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -EINVAL);
}

static void test_missing_optional_attributes(void **state)
{
	static struct mng_device d;
	char *p = tb_path(*state, CAMERA, "product");

	assert_int_equal(unlink(p), 0);
	g_free(p);
	read_ok(CAMERA, &d);
	assert_string_equal(d.name, "");
	assert_true(d.descriptors_ok);
}

static void test_symlinked_attribute_is_refused(void **state)
{
	static struct mng_device d;
	char *p = tb_path(*state, BALL, "product");
	char *t = tb_path(*state, CAMERA, "product");

	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(mng_device_read_sysfs(BALL, &d), -ELOOP);
	g_free(p);
	g_free(t);
}

static void test_connect_type(void **state)
{
	static struct mng_device d;
	char *dir = tb_path(*state, CAMERA, "port");
	char *f = g_strdup_printf("%s/connect_type", dir);
	char *rule;

	(void)unlink(dir); /* the recording's dangling "port" link */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_true(g_file_set_contents(f, "hotplug\n", -1, NULL));
	read_ok(CAMERA, &d);
	assert_string_equal(d.connect_type, "hotplug");
	rule = rule_of(CAMERA, "allow");
	assert_non_null(strstr(rule, " with-connect-type \"hotplug\""));
	free(rule);

	assert_true(g_file_set_contents(f, "a connect type much longer than 31 bytes\n", -1, NULL));
	assert_int_equal(mng_device_read_sysfs(CAMERA, &d), -E2BIG);
	g_free(f);
	g_free(dir);
}

/* ---- devices that go away, paths that are not devices ---- */

static void test_device_removed_after_enumerate(void **state)
{
	static struct mng_device d;
	char **paths = NULL;
	size_t n = 0, i, gone = 0;

	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	umockdev_testbed_remove_device(*state, BALL);
	for (i = 0; i < n; i++) {
		int r = mng_device_read_sysfs(paths[i], &d);

		if (!strcmp(paths[i], BALL)) {
			assert_int_equal(r, -ENOENT);
			gone++;
		} else {
			assert_int_equal(r, 0);
		}
	}
	assert_int_equal(gone, 1);
	mng_device_paths_free(paths, n);
	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	assert_int_equal(n, 6);
	mng_device_paths_free(paths, n);
}

static void test_bad_paths(void **state)
{
	static const char *const bad[] = {
	    "",
	    "relative/usb1",
	    "/sys/class/usb1",
	    "/sys/devices/pci0000:00/0000:00:14.0/usb1/",
	    "/sys/devices/pci0000:00/../pci0000:00/0000:00:14.0/usb1",
	    "/sys/devices/pci0000:00/./0000:00:14.0/usb1",
	    "/sys/devices//pci0000:00/0000:00:14.0/usb1",
	    "/tmp/usb1",
	};
	static struct mng_device d;
	char *longp = malloc(8192);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mng_device_read_sysfs(bad[i], &d), -EINVAL);
	assert_int_equal(mng_device_read_sysfs(NULL, &d), -EINVAL);
	assert_int_equal(mng_device_read_sysfs(USB1, NULL), -EINVAL);
	assert_non_null(longp);
	memset(longp, 'a', 8191);
	memcpy(longp, "/sys/devices/", 13);
	longp[8191] = '\0';
	assert_int_equal(mng_device_read_sysfs(longp, &d), -EINVAL);
	free(longp);
	/* the PCI host controller is a device, but not a USB device */
	assert_int_equal(mng_device_read_sysfs("/sys/devices/pci0000:00/0000:00:14.0", &d),
			 -ENODEV);
	assert_int_equal(mng_device_read_sysfs("/sys/devices/pci0000:00/nothere", &d), -ENOENT);
}

/* ---- broken descriptors ---- */

static void test_truncated_descriptors(void **state)
{
	static const uint8_t trunc[] = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x7d, 0x04,
					0x48, 0x20, 0x00, 0x06, 0x01, 0x02, 0x00, 0x01, 0x09, 0x02};
	static struct mng_device d;
	char *rule = NULL;

	umockdev_testbed_set_attribute_binary(*state, BALL, "descriptors", (guint8 *)trunc,
					      sizeof(trunc));
	read_ok(BALL, &d);
	assert_false(d.descriptors_ok);
	assert_int_equal(d.n_ifaces, 0);
	assert_string_equal(d.hash, "");
	assert_string_equal(d.name, "Kensington Eagle Trackball");
	assert_string_equal(d.parent_hash, "2y2qS3rcuMr1Ye5knWsbD8CGzPtrs+eiRR/haro7+Ng=");
	assert_int_equal(mng_device_format_rule(&d, "block", &rule), 0);
	assert_null(strstr(rule, " hash "));
	assert_null(strstr(rule, "with-interface"));
	free(rule);

	/* empty, and a 1 MiB one (over the cap) */
	umockdev_testbed_set_attribute_binary(*state, BALL, "descriptors", (guint8 *)trunc, 0);
	read_ok(BALL, &d);
	assert_false(d.descriptors_ok);
	{
		size_t big = 1024 * 1024;
		guint8 *b = calloc(1, big);

		assert_non_null(b);
		memcpy(b, trunc, 18);
		umockdev_testbed_set_attribute_binary(*state, BALL, "descriptors", b, (gint)big);
		read_ok(BALL, &d);
		assert_false(d.descriptors_ok);
		free(b);
	}
}

static void test_parent_with_broken_descriptors(void **state)
{
	static const uint8_t junk[] = {0x00, 0x00};
	static struct mng_device d;

	umockdev_testbed_set_attribute_binary(*state, HUB, "descriptors", (guint8 *)junk,
					      sizeof(junk));
	read_ok(BALL, &d);
	assert_true(d.descriptors_ok);
	assert_string_equal(d.parent_hash, "");
}

static void test_parent_with_bad_attributes(void **state)
{
	static struct mng_device d;

	umockdev_testbed_set_attribute(*state, HUB, "idVendor", "nope\n");
	read_ok(BALL, &d);
	assert_true(d.descriptors_ok);
	assert_string_equal(d.parent_hash, "");
	assert_string_equal(d.hash, "D3deklX12Ir3kJPfUZ5AQNwHeZn1bwtPkQkw6e+8B38=");
	assert_int_equal(mng_device_read_sysfs(HUB, &d), -EINVAL);
}

/* ---- a parent hash the caller already holds ---- */

/* Given the parent's own hash, every device reads exactly as with the parent read from sysfs. */
static void test_known_parent_hash_same_result(void **state)
{
	static struct mng_device full, fast, parent;
	char **paths = NULL;
	size_t n = 0, i;

	assert_int_equal(mng_device_enumerate(&paths, &n), 0);
	for (i = 0; i < n; i++) {
		char pp[4096], *slash;
		const char *known = NULL;

		read_ok(paths[i], &full);
		snprintf(pp, sizeof(pp), "%s", paths[i]);
		slash = strrchr(pp, '/');
		*slash = '\0';
		if (mng_device_read_sysfs(pp, &parent) == 0)
			known = parent.hash; /* not for a root hub: its parent is the controller */
		else
			assert_string_equal(paths[i], USB1);
		assert_int_equal(mng_device_read_sysfs_parent(paths[i], known, &fast), 0);
		assert_memory_equal(&full, &fast, sizeof(full));
		/* NULL reads the parent: the same again */
		assert_int_equal(mng_device_read_sysfs_parent(paths[i], NULL, &fast), 0);
		assert_memory_equal(&full, &fast, sizeof(full));
	}
	mng_device_paths_free(paths, n);
}

/* The known hash is taken as given: the parent is not read at all. */
static void test_known_parent_hash_is_not_reread(void **state)
{
	static const char other[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	static struct mng_device hub, d;
	char *p = tb_path(*state, HUB, "descriptors");

	read_ok(HUB, &hub);
	/* the hub's descriptors broken: reading it now would leave parent-hash empty */
	assert_true(g_file_set_contents(p, "\x12\x01", 2, NULL));
	g_free(p);
	read_ok(BALL, &d);
	assert_string_equal(d.parent_hash, "");
	assert_int_equal(mng_device_read_sysfs_parent(BALL, hub.hash, &d), 0);
	assert_string_equal(d.parent_hash, hub.hash);
	assert_string_equal(d.hash, "D3deklX12Ir3kJPfUZ5AQNwHeZn1bwtPkQkw6e+8B38=");
	assert_int_equal(mng_device_read_sysfs_parent(BALL, other, &d), 0);
	assert_string_equal(d.parent_hash, other);
	/* the device's own errors are still errors */
	umockdev_testbed_set_attribute(*state, BALL, "idVendor", "nope\n");
	assert_int_equal(mng_device_read_sysfs_parent(BALL, hub.hash, &d), -EINVAL);
	assert_string_equal(d.parent_hash, other); /* *ret untouched on failure */
}

static void test_known_parent_hash_must_look_like_one(void **state)
{
	static const char *const bad[] = {
	    "",
	    "AAAA",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 43, no '=' */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* 44, no '=' */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", /* 45 */
	    "AAAAAAAAAAAAAAAAAAAAA\"AAAAAAAAAAAAAAAAAAAAA=", /* a quote */
	    "AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA=",  /* a space */
	    "AAAAAAAAAAAAAAAAAAAAA\xc3\xa9"
	    "AAAAAAAAAAAAAAAAAAAA=",			    /* UTF-8 */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A", /* '=' not last */
	};
	static struct mng_device d;
	char nul[MNG_DEV_HASH_LEN + 1];
	size_t i;

	memset(&d, 0x5a, sizeof(d));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mng_device_read_sysfs_parent(BALL, bad[i], &d) != -EINVAL)
			fail_msg("accepted parent hash \"%s\"", bad[i]);
	/* a NUL inside */
	memset(nul, 'A', sizeof(nul));
	nul[10] = '\0';
	nul[MNG_DEV_HASH_LEN - 1] = '=';
	nul[MNG_DEV_HASH_LEN] = '\0';
	assert_int_equal(mng_device_read_sysfs_parent(BALL, nul, &d), -EINVAL);
	assert_int_equal(d.vendor, 0x5a5a); /* untouched */
	assert_int_equal(mng_device_read_sysfs_parent(
			     BALL, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL),
			 -EINVAL);
	assert_int_equal(mng_device_read_sysfs_parent("/sys/devices/../x", NULL, &d), -EINVAL);
}

/* ---- formatting ---- */

static void test_format_rule_forms(void **state)
{
	static struct mng_device d;
	char *rule = NULL;

	memset(&d, 0, sizeof(d));
	d.vendor = 0xabcd;
	d.product = 0x0001;
	assert_int_equal(mng_device_format_rule(&d, "allow", &rule), 0);
	assert_string_equal(rule,
			    "allow id abcd:0001 serial \"\" name \"\" with-connect-type \"\"");
	free(rule);

	d.n_ifaces = 2;
	d.ifaces[0] = (struct mng_iface){.cls = 3, .subcls = 1, .proto = 1};
	d.ifaces[1] = (struct mng_iface){.cls = 8, .subcls = 6, .proto = 0x50};
	snprintf(d.port, sizeof(d.port), "1-1");
	assert_int_equal(mng_device_format_rule(&d, "block", &rule), 0);
	assert_string_equal(rule, "block id abcd:0001 serial \"\" name \"\" via-port \"1-1\" "
				  "with-interface { 03:01:01 08:06:50 } with-connect-type \"\"");
	free(rule);

	rule = (char *)0x1;
	assert_int_equal(mng_device_format_rule(&d, "permit", &rule), -EINVAL);
	assert_int_equal(mng_device_format_rule(&d, "", &rule), -EINVAL);
	assert_int_equal(mng_device_format_rule(NULL, "allow", &rule), -EINVAL);
	assert_ptr_equal(rule, (char *)0x1);

	memset(d.name, 'n', sizeof(d.name)); /* lost its NUL */
	assert_int_equal(mng_device_format_rule(&d, "allow", &rule), -EINVAL);
	d.name[0] = '\0';
	d.n_ifaces = MNG_DEV_IFACE_MAX + 1;
	assert_int_equal(mng_device_format_rule(&d, "allow", &rule), -EINVAL);
}

/* every test gets a fresh testbed holding the recording */
#define TB(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TB(test_enumerate_parents_first),
	    TB(test_recorded_tree_matches_usbguard_rules),
	    TB(test_recorded_tree_matches_usbguard_generate_policy),
	    TB(test_device_fields),
	    TB(test_root_hub_hash_ignores_bcd_device),
	    TB(test_root_hub_parent_hash_is_controller_path),
	    TB(test_bad_ids),
	    TB(test_oversize_serial),
	    TB(test_control_bytes_and_invalid_utf8_escaped_like_usbguard),
	    TB(test_nul_in_product_is_refused),
	    TB(test_missing_optional_attributes),
	    TB(test_symlinked_attribute_is_refused),
	    TB(test_connect_type),
	    TB(test_device_removed_after_enumerate),
	    TB(test_bad_paths),
	    TB(test_truncated_descriptors),
	    TB(test_parent_with_broken_descriptors),
	    TB(test_parent_with_bad_attributes),
	    TB(test_known_parent_hash_same_result),
	    TB(test_known_parent_hash_is_not_reread),
	    TB(test_known_parent_hash_must_look_like_one),
	    cmocka_unit_test(test_format_rule_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
