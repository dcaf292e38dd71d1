// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent.c - mnguardd end to end against a umockdev testbed: what it
 * writes to sysfs at start, on hot-plug, on rescan and on reload, what it
 * does with a broken policy or configuration, and what it audits.
 * Every scenario ends with the audit log verified against its anchor.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/agent_harness.h"

#define T_MS 10000 /* how long a test waits for any one effect */

/* The approved stick, read-only, with a ticket (as the shipped example). */
static const char local_ro[] =
    "allow id 0781:5567 serial \"" H_APPROVED_SERIAL "\" mode ro ticket \"INC-2026-0042\"\n";
static const char *const net_ifaces[] = {"02:06:00", "0a:00:00"};
static const char *const kbd_ifaces[] = {"03:01:01"};
static const char *const disk_ifaces[] = {"08:06:50"};

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

/* Stop the agent and check the audit trail it leaves. */
static void stop_and_verify(struct harness *h)
{
	h_stop(h);
	h_verify_audit(h);
	assert_int_equal(h_audit_count(h, "\"event\":\"agent.start\"", NULL, NULL), 1);
	assert_int_equal(h_audit_count(h, "\"event\":\"agent.stop\"", NULL, NULL), 1);
}

#define ASSERT_ATTR(dev, attr, want)                                                               \
	do {                                                                                       \
		if (!h_wait_attr(dev, attr, want, T_MS))                                           \
			fail_msg("%s/%s is \"%s\", expected \"%s\"", dev, attr, h_attr(dev, attr), \
				 want);                                                            \
	} while (0)

#define ASSERT_AUDIT(h, a, b, c)                                                                   \
	do {                                                                                       \
		if (!h_wait_audit(h, a, b, c, 1, T_MS)) {                                          \
			h_dump(h);                                                                 \
			fail_msg("no audit record with %s / %s / %s", a, b ? b : "-",              \
				 c ? c : "-");                                                     \
		}                                                                                  \
	} while (0)

/* The recorded tree plus the demo devices under the shipped baseline. */
static void test_start_baseline(void **state)
{
	struct harness *h = *state;

	h_rules_baseline(h);
	h_rules(h, "50-local.rules", local_ro);
	h->watchdog = true;
	h_start(h);

	/* every root hub: nothing new gets a driver without the agent */
	assert_string_equal(h_attr(H_USB1, "authorized_default"), "0");
	assert_string_equal(h_attr(H_USB1, "interface_authorized_default"), "0");
	ASSERT_AUDIT(h, "\"event\":\"hub.lock\"", "\"object\":\"usb1\"", "\"decision\":\"ok\"");

	/* hubs, keyboards, the trackball, the security key: allowed */
	ASSERT_ATTR(H_USB1, "authorized", "1");
	ASSERT_ATTR(H_HUB, "authorized", "1");
	ASSERT_ATTR(H_KBD, "authorized", "1");
	ASSERT_ATTR(H_TRACKBALL, "authorized", "1");
	ASSERT_ATTR(H_YUBIKEY, "authorized", "1");
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.0/authorized", "1");
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.1/authorized", "1");
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.2/authorized", "1");
	/* an interface whose class is not what the descriptors declared stays off */
	ASSERT_ATTR(H_TRACKBALL, "1-4.2:1.0/authorized", "0");

	/* BadUSB composite: the keyboard interface only */
	ASSERT_ATTR(H_COMPOSITE, "authorized", "1");
	ASSERT_ATTR(H_COMPOSITE, "1-4.1.4:1.0/authorized", "1");
	ASSERT_ATTR(H_COMPOSITE, "1-4.1.4:1.1/authorized", "0");

	/* storage, phone (MTP + RNDIS), camera: blocked */
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_ATTR(H_PHONE, "authorized", "0");
	ASSERT_ATTR(H_CAMERA, "authorized", "0");

	/* the approved stick (no block device yet): allowed, read-only mode */
	ASSERT_ATTR(H_STICK_OK, "authorized", "1");
	ASSERT_ATTR(H_STICK_OK, "1-4.1.2:1.0/authorized", "1");

	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.1 ",
		     "90-mynumber-terminal.rules:36\"");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "serial \\\"" H_APPROVED_SERIAL,
		     "\"ticket\":\"INC-2026-0042\"");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.5 ", "\"decision\":\"block\"");
	/* the record names the interface classes (the self-inspection report counts by class) */
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", " interfaces 08:06:50",
		     "\"decision\":\"block\"");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "port 1-4.1.4 ",
		     "interfaces authorized: 1-4.1.4:1.0\"");
	ASSERT_AUDIT(h, "\"event\":\"policy.load\"", "\"decision\":\"ok\"", NULL);
	/* one decision per device at start */
	assert_int_equal(h_audit_count(h, "\"event\":\"device.", NULL, NULL), 12);
	stop_and_verify(h);
	/* stopping changes nothing */
	assert_string_equal(h_attr(H_KBD, "authorized"), "1");
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");
}

/* mode ro: BLKROSET cannot work in the testbed, so the stick must end deauthorized. */
static void test_ro_fails_closed(void **state)
{
	struct harness *h = *state;
	const char *dev;
	char path[512], blk[600];

	h_rules_baseline(h);
	h_rules(h, "50-local.rules",
		"allow id 0781:5567 serial \"" H_APPROVED_SERIAL
		"\" mode ro\nallow id 1234:5678 mode ro\n");
	/* present at start, with its disk already there */
	h_add_block(h, H_STICK_OK "/1-4.1.2:1.0", "sdmngtest0");
	h_start(h);
	ASSERT_ATTR(H_STICK_OK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.2 ",
		     "read-only mode could not be set on sdmngtest0");

	/* hot-plugged: allowed first, deauthorized when its disk shows up */
	dev = h_add_usb(h, H_HUB, "1-4.1.7", 0x1234, 0x5678, "Stick", disk_ifaces, 1);
	snprintf(path, sizeof(path), "%s", dev);
	umockdev_testbed_set_attribute(h->tb, path, "authorized", "0");
	h_uevent(h, path, "add");
	ASSERT_ATTR(path, "authorized", "1");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "port 1-4.1.7 ", "mode ro");
	snprintf(blk, sizeof(blk), "%s/1-4.1.7:1.0", path);
	dev = h_add_block(h, blk, "sdmngtest1");
	snprintf(blk, sizeof(blk), "%s", dev);
	h_uevent(h, blk, "add");
	ASSERT_ATTR(path, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.7 ",
		     "read-only mode could not be set on sdmngtest1");
	stop_and_verify(h);
}

/* Hot-plug: a network adapter is blocked, a keyboard allowed, removal audited. */
static void test_hotplug(void **state)
{
	struct harness *h = *state;
	char net[512], kbd[512];

	h_rules_baseline(h);
	h_start(h);
	snprintf(
	    net, sizeof(net), "%s",
	    h_add_usb(h, H_HUB, "1-4.1.7", 0x0bda, 0x8153, "USB 10/100/1000 LAN", net_ifaces, 2));
	h_uevent(h, net, "add");
	ASSERT_ATTR(net, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "id 0bda:8153", "port 1-4.1.7 ");

	snprintf(kbd, sizeof(kbd), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.8", 0x16c0, 0x05df, "Keyboard", kbd_ifaces, 1));
	umockdev_testbed_set_attribute(h->tb, kbd, "authorized", "0");
	umockdev_testbed_set_attribute(h->tb, H_STICK, "authorized", "0");
	h_uevent(h, kbd, "add");
	ASSERT_ATTR(kbd, "authorized", "1");
	ASSERT_ATTR(kbd, "1-4.1.8:1.0/authorized", "1");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "id 16c0:05df", "port 1-4.1.8 ");

	/* someone authorizes a blocked device behind the agent's back: a change event */
	umockdev_testbed_set_attribute(h->tb, H_STICK, "authorized", "1");
	h_uevent(h, H_STICK, "change");
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.1 ", "blocked again");

	h_uevent(h, net, "remove");
	umockdev_testbed_remove_device(h->tb, net);
	ASSERT_AUDIT(h, "\"event\":\"device.remove\"", "port 1-4.1.7 ", NULL);
	/* a root hub that appears later is locked at once */
	umockdev_testbed_set_attribute(h->tb, H_USB1, "authorized_default", "1");
	h_uevent(h, H_USB1, "add");
	ASSERT_ATTR(H_USB1, "authorized_default", "0");
	stop_and_verify(h);
	assert_int_equal(h_audit_count(h, "\"event\":\"device.remove\"", NULL, NULL), 1);
}

/* SIGUSR1 (and a lost event) means a full rescan that loses nothing. */
static void test_rescan(void **state)
{
	struct harness *h = *state;
	char net[512];

	h_rules_baseline(h);
	h_start(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	/* events that never arrive: a new device, a device gone, a device re-authorized */
	snprintf(net, sizeof(net), "%s",
		 h_add_usb_silent(h, H_HUB, "1-4.1.7", 0x0bda, 0x8153, net_ifaces, 2));
	umockdev_testbed_remove_device(h->tb, H_PHONE);
	umockdev_testbed_set_attribute(h->tb, H_STICK, "authorized", "1");
	usleep(100000); /* let any stray event pass: the state must come from the rescan */
	assert_string_equal(h_attr(net, "authorized"), "1");
	h_signal(h, SIGUSR1);
	ASSERT_AUDIT(h, "\"event\":\"agent.rescan\"", "SIGUSR1", NULL);
	ASSERT_ATTR(net, "authorized", "0");
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.7 ", NULL);
	ASSERT_AUDIT(h, "\"event\":\"device.remove\"", "port 1-4.1.5 ", "found by rescan");
	/* devices that did not change keep their decision and are not re-audited */
	assert_int_equal(h_audit_count(h, "\"event\":\"device.allow\"", "port 1-4.1.3 ", NULL), 1);
	ASSERT_ATTR(H_KBD, "authorized", "1");
	stop_and_verify(h);
}

/* SIGHUP with a broken rules file: the old policy stays, for old and new devices. */
static void test_reload_broken_keeps_policy(void **state)
{
	struct harness *h = *state;
	char kbd[512], disk[512], path[256];

	h_rules_baseline(h);
	h_rules(h, "50-local.rules", "allow id 0781:5567 serial \"" H_APPROVED_SERIAL "\"\n");
	h_start(h);
	ASSERT_ATTR(H_STICK_OK, "authorized", "1");

	h_rules(h, "60-broken.rules", "allow id 0781:zzzz\n");
	h_signal(h, SIGHUP);
	ASSERT_AUDIT(h, "\"event\":\"policy.error\"", "60-broken.rules:1:", NULL);
	assert_int_equal(h_audit_count(h, "\"event\":\"policy.load\"", NULL, NULL), 1);
	ASSERT_ATTR(H_STICK_OK, "authorized", "1");

	/* new devices are judged by the old policy */
	snprintf(kbd, sizeof(kbd), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.7", 0x16c0, 0x05df, "Keyboard", kbd_ifaces, 1));
	umockdev_testbed_set_attribute(h->tb, kbd, "authorized", "0");
	h_uevent(h, kbd, "add");
	snprintf(disk, sizeof(disk), "%s",
		 h_add_usb(h, H_HUB, "1-4.1.8", 0x0951, 0x1666, "DataTraveler", disk_ifaces, 1));
	h_uevent(h, disk, "add");
	ASSERT_ATTR(kbd, "authorized", "1");
	ASSERT_ATTR(disk, "authorized", "0");

	/* a good reload takes the approval away again */
	snprintf(path, sizeof(path), "%s/60-broken.rules", h->rules);
	assert_int_equal(unlink(path), 0);
	h_rules(h, "50-local.rules", "# no local approvals\n");
	h_signal(h, SIGHUP);
	ASSERT_AUDIT(h, "\"event\":\"policy.load\"", NULL, NULL);
	if (!h_wait_audit(h, "\"event\":\"policy.load\"", NULL, NULL, 2, T_MS))
		fail_msg("no second policy.load");
	ASSERT_ATTR(H_STICK_OK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.2 ", NULL);
	stop_and_verify(h);
}

/* A broken policy at start: the built-in fallback (hubs, keyboards, mice). */
static void test_fallback_at_start(void **state)
{
	struct harness *h = *state;

	h_rules(h, "10-broken.rules", "allow with-interface { 03:*:* \nblock\n");
	h_start(h);
	ASSERT_AUDIT(h, "\"event\":\"policy.fallback\"", "10-broken.rules:1:", NULL);
	ASSERT_ATTR(H_USB1, "authorized", "1");
	ASSERT_ATTR(H_HUB, "authorized", "1");
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_ATTR(H_STICK_OK, "authorized", "0");
	ASSERT_ATTR(H_PHONE, "authorized", "0");
	ASSERT_ATTR(H_COMPOSITE, "authorized", "1");
	ASSERT_ATTR(H_COMPOSITE, "1-4.1.4:1.0/authorized", "1");
	ASSERT_ATTR(H_COMPOSITE, "1-4.1.4:1.1/authorized", "0");
	/* the security key keeps its keyboard interface only */
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.0/authorized", "1");
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.1/authorized", "0");
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.2/authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "port 1-4.1.4 ", "\"rule\":\"fallback\"");

	/* fixing the policy leaves fallback */
	h_rules(h, "10-broken.rules", "# fixed\n");
	h_rules_baseline(h);
	h_signal(h, SIGHUP);
	ASSERT_AUDIT(h, "\"event\":\"policy.load\"", NULL, NULL);
	ASSERT_ATTR(H_YUBIKEY, "1-4.1.6:1.2/authorized", "1");
	stop_and_verify(h);
}

/* Thunderbolt: every device but the host router deauthorized, at start and on plug. */
static void test_thunderbolt(void **state)
{
	struct harness *h = *state;
	char *dom, *host, *dev, *off, *late;

	h_rules_baseline(h);
	dom = umockdev_testbed_add_device(h->tb, "thunderbolt", "domain0", NULL, "security", "user",
					  NULL, "DEVTYPE", "thunderbolt_domain", NULL);
	host = umockdev_testbed_add_device(h->tb, "thunderbolt", "0-0", dom, "authorized", "1",
					   NULL, "DEVTYPE", "thunderbolt_device", NULL);
	dev = umockdev_testbed_add_device(h->tb, "thunderbolt", "0-1", host, "authorized", "1",
					  "device_name", "Dock", NULL, "DEVTYPE",
					  "thunderbolt_device", NULL);
	off = umockdev_testbed_add_device(h->tb, "thunderbolt", "0-3", host, "authorized", "0",
					  NULL, "DEVTYPE", "thunderbolt_device", NULL);
	assert_non_null(dom);
	assert_non_null(host);
	assert_non_null(dev);
	assert_non_null(off);
	h_start(h);
	ASSERT_ATTR(dev, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"thunderbolt.block\"", "0-1\"", "deauthorized");
	assert_string_equal(h_attr(host, "authorized"), "1");
	assert_string_equal(h_attr(off, "authorized"), "0");
	assert_int_equal(h_audit_count(h, "\"event\":\"thunderbolt.block\"", NULL, NULL), 1);

	/* plugged in later (umockdev announces it) */
	late = umockdev_testbed_add_device(h->tb, "thunderbolt", "0-301", dev, "authorized", "1",
					   NULL, "DEVTYPE", "thunderbolt_device", NULL);
	assert_non_null(late);
	ASSERT_ATTR(late, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"thunderbolt.block\"", "0-301\"", "deauthorized");
	stop_and_verify(h);
	g_free(dom);
	g_free(host);
	g_free(dev);
	g_free(off);
	g_free(late);
}

/* A broken configuration or an audit log that cannot be opened: no start. */
static void test_refuses_to_start(void **state)
{
	struct harness *h = *state;
	char extra[300], *out = NULL;
	struct stat st;

	h_rules_baseline(h);
	h_config(h, "colour = blue\nsocket = /run/other.sock\n");
	assert_int_equal(h_start_fail(h, &out), 1);
	assert_non_null(strstr(out, "mnguard.conf:6: unknown key 'colour'"));
	assert_non_null(
	    strstr(out, "mnguard.conf:7: duplicate key 'socket' (first set on line 4)"));
	assert_non_null(strstr(out, "refusing to start"));
	free(out);
	assert_int_equal(stat(h->audit, &st), -1);

	/* the audit log's directory is a regular file */
	snprintf(extra, sizeof(extra), "%s/log", h->dir);
	(void)mkdir(extra, 0700);
	snprintf(extra, sizeof(extra), "%s/log/blocker", h->dir);
	h_rules(h, "../log/blocker", "not a directory\n");
	h_config(h, "");
	{
		char conf[1024];

		snprintf(conf, sizeof(conf),
			 "rules_dir = %s\naudit_log = %s/audit.log\nsocket = %s\nstate_dir = "
			 "%s/state\n",
			 h->rules, extra, h->sock, h->dir);
		h_rules(h, "../mnguard.conf", conf);
	}
	assert_int_equal(h_start_fail(h, &out), 1);
	assert_non_null(strstr(out, "refusing to start"));
	free(out);
	/* no device was touched */
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");
	assert_string_equal(h_attr(H_USB1, "authorized_default"), "1");
}

/*
 * What the fallback unit did while the agent was down reaches the audit log
 * at the next start (one agent.fallback-ran record naming its actions), and
 * the record file is removed; a record file that fails the trusted-file
 * checks is reported as unreadable, never read, and removed too.
 */
static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_fallback_unit_audited(void **state)
{
	struct harness *h = *state;
	char dir[256], log[300];

	snprintf(dir, sizeof(dir), "%s/state", h->dir);
	(void)mkdir(dir, 0700);
	snprintf(log, sizeof(log), "%s/fallback.log", dir);
	write_file(log,
		   "2026-11-26T01:00:00Z mnguardd is not running: authorizing hubs, keyboards and "
		   "mice only\n"
		   "2026-11-26T01:00:01Z authorized 1-4.1.3 (046d:c31c): 1 hub/keyboard/mouse "
		   "interface(s) only\n"
		   "2026-11-26T01:00:02Z blocked 1-4.1.5 (0781:5567): no hub, keyboard or mouse "
		   "interface\n",
		   0600);
	h_rules_baseline(h);
	h_start(h);
	ASSERT_AUDIT(h, "\"event\":\"agent.fallback-ran\"", "3 lines",
		     "authorized 1-4.1.3 (046d:c31c)");
	ASSERT_AUDIT(h, "\"event\":\"agent.fallback-ran\"", "blocked 1-4.1.5 (0781:5567)", NULL);
	assert_int_equal(access(log, F_OK), -1);
	h_stop(h);

	/* group-writable: not trusted, not read, still reported and removed */
	write_file(log, "2026-11-26T02:00:00Z authorized 9-9 (dead:beef): forged\n", 0666);
	h_start(h);
	ASSERT_AUDIT(h, "\"event\":\"agent.fallback-ran\"", "was not read", NULL);
	if (h_wait_audit(h, "dead:beef", NULL, NULL, 1, 200))
		fail_msg("an untrusted fallback record was read into the audit log");
	assert_int_equal(access(log, F_OK), -1);
	h_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_baseline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ro_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hotplug, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rescan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_broken_keeps_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fallback_at_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thunderbolt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_to_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fallback_unit_audited, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
