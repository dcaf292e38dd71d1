// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam_keydev.c - pam_mnguard's way from the hidraw node of a security
 * key to its USB device (pam_module/keydev.c), on a umockdev testbed: a
 * key behind a hub, one on a root port, a hidraw node not on USB, a node
 * that is not a character device, an unusual serial, a bad devnum.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <umockdev.h>

#include "../../pam_module/keydev.c"

/*
 * The hidraw device hidraw below parent with its node: umockdev records the
 * node's numbers from "dev" and DEVNAME and reports the file the test puts
 * at <root>/dev/<hidraw> as that character device.
 */
static void add_hidraw(UMockdevTestbed *tb, const char *parent, const char *hidraw, const char *dev)
{
	char devname[64], node[512];
	char *r, *root;
	FILE *f;

	snprintf(devname, sizeof(devname), "/dev/%s", hidraw);
	r = umockdev_testbed_add_device(tb, "hidraw", hidraw, parent, "dev", dev, NULL, "DEVNAME",
					devname, NULL);
	assert_non_null(r);
	g_free(r);
	root = umockdev_testbed_get_root_dir(tb); /* a copy, the caller frees it */
	snprintf(node, sizeof(node), "%s/dev/%s", root, hidraw);
	g_free(root);
	f = fopen(node, "we");
	assert_non_null(f);
	fclose(f);
}

/* A USB device name/parent with attributes, its interface, HID device and hidraw node. */
static void add_key(UMockdevTestbed *tb, const char *parent, const char *name, const char *devnum,
		    const char *serial, const char *hidraw, const char *dev)
{
	char iface[64], hid[64], *d, *i, *h;

	d = umockdev_testbed_add_device(tb, "usb", name, parent, "busnum", "1", "devnum", devnum,
					"idVendor", "1050", "idProduct", "0407", "serial", serial,
					NULL, "DEVTYPE", "usb_device", NULL);
	assert_non_null(d);
	snprintf(iface, sizeof(iface), "%s:1.0", name);
	i = umockdev_testbed_add_device(tb, "usb", iface, d, "bInterfaceClass", "03", NULL,
					"DEVTYPE", "usb_interface", NULL);
	assert_non_null(i);
	snprintf(hid, sizeof(hid), "0003:1050:0407.%s", devnum);
	h = umockdev_testbed_add_device(tb, "hid", hid, i, NULL, NULL);
	assert_non_null(h);
	add_hidraw(tb, h, hidraw, dev);
	g_free(d);
	g_free(i);
	g_free(h);
}

static void test_key_device(void **state)
{
	UMockdevTestbed *tb = umockdev_testbed_new();
	struct mng_pam_keydev k;
	char *hub, *plat, *other;
	char longserial[200];

	(void)state;
	assert_non_null(tb);
	hub = umockdev_testbed_add_device(tb, "usb", "usb1", NULL, "busnum", "1", "devnum", "1",
					  NULL, "DEVTYPE", "usb_device", NULL);
	add_key(tb, hub, "1-2", "7", "KEY-0001", "hidraw3", "243:3");
	assert_int_equal(mng_pam_key_device("/dev/hidraw3", &k), 0);
	assert_string_equal(k.port, "1-2");
	assert_string_equal(k.devnum, "7");
	assert_string_equal(k.serial, "KEY-0001");

	/* behind a hub: the key's own device, not the hub's */
	other = umockdev_testbed_add_device(tb, "usb", "1-4", hub, "busnum", "1", "devnum", "2",
					    NULL, "DEVTYPE", "usb_device", NULL);
	add_key(tb, other, "1-4.3", "12", "", "hidraw4", "243:4");
	memset(&k, 0x55, sizeof(k));
	assert_int_equal(mng_pam_key_device("/dev/hidraw4", &k), 0);
	assert_string_equal(k.port, "1-4.3");
	assert_string_equal(k.devnum, "12");
	assert_string_equal(k.serial, "");

	/* a serial with a control character is left out; one past the cap is cut */
	add_key(tb, hub, "1-5", "13", "bad\tserial", "hidraw5", "243:5");
	assert_int_equal(mng_pam_key_device("/dev/hidraw5", &k), 0);
	assert_string_equal(k.serial, "");
	memset(longserial, 'S', sizeof(longserial) - 1);
	longserial[sizeof(longserial) - 1] = '\0';
	add_key(tb, hub, "1-6", "14", longserial, "hidraw6", "243:6");
	assert_int_equal(mng_pam_key_device("/dev/hidraw6", &k), 0);
	assert_int_equal(strlen(k.serial), MNG_IPC_LABEL_MAX);

	/* a devnum that is not a number: not known */
	add_key(tb, hub, "1-7", "x1", "K", "hidraw7", "243:7");
	assert_int_equal(mng_pam_key_device("/dev/hidraw7", &k), -ENODEV);

	/* a hidraw node on no USB device (a platform device): not known */
	plat = umockdev_testbed_add_device(tb, "platform", "i2c-hid.0", NULL, NULL, NULL);
	assert_non_null(plat);
	add_hidraw(tb, plat, "hidraw9", "243:9");
	assert_int_equal(mng_pam_key_device("/dev/hidraw9", &k), -ENODEV);

	/* no such node, a regular file, bad arguments */
	assert_int_equal(mng_pam_key_device("/dev/hidraw42", &k), -ENOENT);
	assert_int_equal(mng_pam_key_device("/etc/hostname", &k), -ENODEV);
	assert_int_equal(mng_pam_key_device(NULL, &k), -EINVAL);
	assert_int_equal(mng_pam_key_device("/dev/hidraw3", NULL), -EINVAL);
	g_free(hub);
	g_free(other);
	g_free(plat);
	g_object_unref(tb);
}

/* The USB device name check: what a kernel name looks like, nothing else. */
static void test_usb_device_name(void **state)
{
	(void)state;
	assert_true(usb_device_name("1-2"));
	assert_true(usb_device_name("3-4.1.6"));
	assert_true(usb_device_name("12-10"));
	assert_false(usb_device_name("usb1"));
	assert_false(usb_device_name("1-2:1.0"));
	assert_false(usb_device_name("0-1"));
	assert_false(usb_device_name("1-"));
	assert_false(usb_device_name("1-2."));
	assert_false(usb_device_name("1-2/.."));
	assert_false(usb_device_name(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_device),
	    cmocka_unit_test(test_usb_device_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
