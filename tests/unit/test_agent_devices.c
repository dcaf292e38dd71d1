// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_devices.c - the hashes in the agent's device table. The agent
 * takes a plugged device's parent-hash from the table entry of its parent
 * (a hub or root hub it already judged) instead of reading the parent from
 * sysfs again; the device list must still carry exactly the hashes
 * USBGuard derived for the recorded tree, and exactly what reading sysfs
 * from scratch gives for every other device, present at start or plugged
 * later. Runs the real mnguardd in a umockdev testbed
 * (helpers/agent_harness.c).
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
#include <json-c/json.h>

#include "device.h"
#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000

static const char *const kbd_ifaces[] = {"03:01:01"};

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h_setup(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	h_teardown(h);
	free(h);
	return 0;
}

static const char *get_str(struct json_object *d, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(d, key, &v));
	return json_object_get_string(v);
}

/* The device list as the agent reports it (caller puts it). */
static struct json_object *list_devices(struct harness *h)
{
	struct json_object *all = NULL;
	struct mng_ipc_error err = {0};
	int fd = -1;

	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	if (mng_ipc_list(fd, MNG_IPC_OP_LIST_DEVICES, T_MS, &all, &err) < 0)
		fail_msg("list-devices failed: %s", err.message);
	close(fd);
	return all;
}

static struct json_object *find_dev(struct json_object *all, const char *syspath)
{
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *d = json_object_array_get_idx(all, i);

		if (!strcmp(get_str(d, "syspath"), syspath))
			return d;
	}
	fail_msg("the agent does not list %s", syspath);
	return NULL;
}

/* The quoted value after key in a rule line, into out. */
static void rule_value(const char *rule, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), " %s \"", key);
	p = strstr(rule, pat);
	if (!p)
		fail_msg("no %s in %s", key, rule);
	p += strlen(pat);
	e = strchr(p, '"');
	assert_non_null(e);
	assert_true((size_t)(e - p) < size);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

/* Every listed device: hash and parent-hash equal a fresh read of sysfs. */
static void assert_list_equals_sysfs(struct json_object *all)
{
	static struct mng_device d;
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *e = json_object_array_get_idx(all, i);
		const char *sp = get_str(e, "syspath");
		int r = mng_device_read_sysfs(sp, &d);

		if (r < 0)
			fail_msg("%s: %s", sp, strerror(-r));
		assert_string_equal(get_str(e, "hash"), d.hash);
		if (strcmp(get_str(e, "parent_hash"), d.parent_hash))
			fail_msg("%s: the agent has parent-hash \"%s\", sysfs gives \"%s\"", sp,
				 get_str(e, "parent_hash"), d.parent_hash);
	}
}

/* At start: the recorded tree carries USBGuard's own hashes, the rest what sysfs gives. */
static void test_start_hashes_equal_usbguard(void **state)
{
	struct harness *h = *state;
	const char *src = getenv("MNG_SRCDIR");
	struct json_object *all;
	char path[4096], line[4096];
	size_t checked = 0;
	FILE *f;

	h_rules_baseline(h);
	h_start(h);
	all = list_devices(h);
	assert_int_equal(json_object_array_length(all), 12);

	snprintf(path, sizeof(path), "%s/tests/data/usbguard/devices.expected-rules",
		 src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (is MNG_SRCDIR set?)", path);
	while (fgets(line, sizeof(line), f)) {
		char sp[4200], hash[64], parent[64];
		struct json_object *d;
		char *tab;

		if (line[0] == '#' || !(tab = strchr(line, '\t')))
			continue;
		*tab = '\0';
		snprintf(sp, sizeof(sp), "/sys%s", line);
		rule_value(tab + 1, "hash", hash, sizeof(hash));
		rule_value(tab + 1, "parent-hash", parent, sizeof(parent));
		d = find_dev(all, sp);
		assert_string_equal(get_str(d, "hash"), hash);
		if (strcmp(get_str(d, "parent_hash"), parent))
			fail_msg("%s: the agent has parent-hash \"%s\", USBGuard \"%s\"", sp,
				 get_str(d, "parent_hash"), parent);
		checked++;
	}
	fclose(f);
	assert_int_equal(checked, 6);
	assert_list_equals_sysfs(all);
	json_object_put(all);
	h_stop(h);
	h_verify_audit(h);
}

/*
 * Plugged later behind a hub and behind a root hub the agent knows: the
 * parent-hash is the parent's hash from the table, equal to a fresh read.
 */
static void test_plugged_parent_hash_from_table(void **state)
{
	struct harness *h = *state;
	struct json_object *all, *hub, *root, *d;
	char kbd[512], kbd2[512];

	h_rules_baseline(h);
	h_start(h);
	snprintf(kbd, sizeof(kbd), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.7", 0x16c0, 0x05df, "Keyboard", kbd_ifaces, 1));
	h_uevent(h, kbd, "add");
	snprintf(kbd2, sizeof(kbd2), "%s",
		 h_add_usb(h, H_USB1, "1-9", 0x16c0, 0x05e0, "Keyboard 2", kbd_ifaces, 1));
	h_uevent(h, kbd2, "add");
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "port 1-4.1.7 ", NULL, 1, T_MS));
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "port 1-9 ", NULL, 1, T_MS));

	all = list_devices(h);
	hub = find_dev(all, H_HUB);
	root = find_dev(all, H_USB1);
	d = find_dev(all, kbd);
	assert_int_equal(strlen(get_str(hub, "hash")), MNG_DEV_HASH_LEN);
	assert_string_equal(get_str(d, "parent_hash"), get_str(hub, "hash"));
	d = find_dev(all, kbd2);
	assert_string_equal(get_str(d, "parent_hash"), get_str(root, "hash"));
	assert_list_equals_sysfs(all);
	json_object_put(all);
	h_stop(h);
	h_verify_audit(h);
}

/*
 * The proof that a plug does not read the parent again: after the hub's
 * descriptors are damaged in sysfs (no event tells the agent), a reader
 * going to sysfs would give an empty parent-hash; the agent still gives the
 * hub's hash it judged the hub with.
 */
static void test_plug_does_not_reread_parent(void **state)
{
	struct harness *h = *state;
	static struct mng_device fresh;
	struct json_object *all, *hub, *d;
	char kbd[512], hub_hash[64];

	h_rules_baseline(h);
	h_start(h);
	all = list_devices(h);
	snprintf(hub_hash, sizeof(hub_hash), "%s", get_str(find_dev(all, H_HUB), "hash"));
	json_object_put(all);

	umockdev_testbed_set_attribute(h->tb, H_HUB, "descriptors", "broken");
	snprintf(kbd, sizeof(kbd), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.7", 0x16c0, 0x05df, "Keyboard", kbd_ifaces, 1));
	h_uevent(h, kbd, "add");
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "port 1-4.1.7 ", NULL, 1, T_MS));
	assert_int_equal(mng_device_read_sysfs(kbd, &fresh), 0);
	assert_string_equal(fresh.parent_hash, "");

	all = list_devices(h);
	hub = find_dev(all, H_HUB);
	d = find_dev(all, kbd);
	assert_string_equal(get_str(hub, "hash"), hub_hash);
	assert_string_equal(get_str(d, "parent_hash"), hub_hash);
	json_object_put(all);
	h_stop(h);
	h_verify_audit(h);
}

/*
 * Guards the "bind" re-judgement: the kernel announces a USB device before
 * its generic driver probes it, and that probe sets the configuration again,
 * recreating every interface unauthorized. The agent must judge the device
 * again on "bind": an allowed keyboard gets its interface back, a blocked
 * stick stays blocked.
 */
static void test_bind_rejudges(void **state)
{
	static const char *const stick_ifaces[] = {"08:06:50"};
	struct harness *h = *state;
	char kbd[512], stick[512], kif[600], sif[600];

	h_rules_baseline(h);
	h_start(h);
	snprintf(kbd, sizeof(kbd), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.7", 0x16c0, 0x05df, "Keyboard", kbd_ifaces, 1));
	h_uevent(h, kbd, "add");
	snprintf(stick, sizeof(stick), "%s",
		 h_add_usb(h, H_USB1, "1-9", 0x0781, 0x5567, "Stick", stick_ifaces, 1));
	h_uevent(h, stick, "add");
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "port 1-4.1.7 ", NULL, 1, T_MS));
	assert_true(h_wait_audit(h, "\"event\":\"device.block\"", "port 1-9 ", NULL, 1, T_MS));
	snprintf(kif, sizeof(kif), "%s/1-4.1.7:1.0", kbd);
	snprintf(sif, sizeof(sif), "%s/1-9:1.0", stick);
	assert_true(h_wait_attr(kif, "authorized", "1", T_MS));
	assert_true(h_wait_attr(stick, "authorized", "0", T_MS));

	/* the probe recreated the interfaces unauthorized, then the kernel says "bind" */
	umockdev_testbed_set_attribute(h->tb, kif, "authorized", "0");
	h_uevent(h, kbd, "bind");
	if (!h_wait_attr(kif, "authorized", "1", T_MS))
		fail_msg("the keyboard's interface stayed unauthorized after bind");

	/* a bind of a blocked device must not open it */
	umockdev_testbed_set_attribute(h->tb, stick, "authorized", "1");
	umockdev_testbed_set_attribute(h->tb, sif, "authorized", "1");
	h_uevent(h, stick, "bind");
	if (!h_wait_attr(stick, "authorized", "0", T_MS))
		fail_msg("a blocked stick was left authorized after bind");
	h_stop(h);
	h_verify_audit(h);
}

/*
 * A root hub's interface is named "N-0:1.0", not after its port "usbN".
 * When something sets interface_authorized_default=0 before the kernel
 * creates that interface (the udev rule, or the agent's own lock), the
 * interface starts unauthorized and every port behind the controller is
 * dead until the agent authorizes it: it must recognise the name.
 */
static void test_root_hub_interface(void **state)
{
	struct harness *h = *state;
	char rif[300];

	h_rules_baseline(h);
	h_add_iface(h, H_USB1, "1-0:1.0", "09", "00", "00");
	snprintf(rif, sizeof(rif), "%s/1-0:1.0", H_USB1);
	umockdev_testbed_set_attribute(h->tb, rif, "authorized", "0");
	h_start(h);
	if (!h_wait_attr(rif, "authorized", "1", T_MS))
		fail_msg("the root hub's interface 1-0:1.0 was left unauthorized at start");
	assert_true(h_wait_audit(h, "\"event\":\"device.allow\"", "port usb1 ",
				 "interfaces authorized: 1-0:1.0", 1, T_MS));

	/* and again when the kernel re-probes the hub */
	umockdev_testbed_set_attribute(h->tb, rif, "authorized", "0");
	h_uevent(h, H_USB1, "bind");
	if (!h_wait_attr(rif, "authorized", "1", T_MS))
		fail_msg("the root hub's interface stayed unauthorized after bind");
	h_stop(h);
	h_verify_audit(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_hashes_equal_usbguard, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plugged_parent_hash_from_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plug_does_not_reread_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_rejudges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_hub_interface, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
