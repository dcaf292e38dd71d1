/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_harness.h - run the real mnguardd against a umockdev testbed.
 *
 * The testbed holds the recorded device tree plus the demo devices, with
 * interface directories the harness adds; every device and interface
 * starts authorized (as on a machine whose kernel authorized everything
 * before the agent ran), so a block decision is visible as a 1 -> 0 change.
 * A temporary directory holds the configuration, rules.d, the audit log,
 * the state directory (anchor), the socket and a datagram socket that
 * receives sd_notify messages. The agent binary comes from $MNG_AGENT.
 */
#ifndef MNG_TEST_AGENT_HARNESS_H
#define MNG_TEST_AGENT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <umockdev.h>

#define H_USB1 "/sys/devices/pci0000:00/0000:00:14.0/usb1"
#define H_HUB H_USB1 "/1-4/1-4.1"
#define H_STICK H_HUB "/1-4.1.1"	/* unknown USB stick */
#define H_STICK_OK H_HUB "/1-4.1.2"	/* approved stick, serial 4C530001230598765432 */
#define H_KBD H_HUB "/1-4.1.3"		/* recorded keyboard */
#define H_COMPOSITE H_HUB "/1-4.1.4"	/* keyboard (if 0) + storage (if 1) */
#define H_PHONE H_HUB "/1-4.1.5"	/* MTP + RNDIS */
#define H_YUBIKEY H_HUB "/1-4.1.6"	/* HID + HID + CCID */
#define H_CAMERA H_USB1 "/1-8"		/* recorded integrated camera */
#define H_TRACKBALL H_USB1 "/1-4/1-4.2" /* recorded trackball */
#define H_APPROVED_SERIAL "4C530001230598765432"

struct harness {
	UMockdevTestbed *tb;
	char dir[64];
	char conf[128], rules[128], audit[128], anchor[128], sock[128], notify[128], log[128];
	int notify_fd;
	pid_t pid;
	bool watchdog; /* start the agent with WATCHDOG_USEC set */
};

/* Build the testbed and the temporary directory (no rules yet). */
void h_setup(struct harness *h);

/* Stop the agent if running, verify the audit log, remove everything. */
void h_teardown(struct harness *h);

/* Write rules.d/<name> (mode 0644). */
void h_rules(struct harness *h, const char *name, const char *text);

/* Copy the shipped baseline to rules.d/90-mynumber-terminal.rules. */
void h_rules_baseline(struct harness *h);

/* Write the configuration file (extra lines appended after the four paths). */
void h_config(struct harness *h, const char *extra);

/* Spawn mnguardd and wait for READY=1 (fails the test after 20 s or on exit). */
void h_start(struct harness *h);

/* Spawn mnguardd expecting it to refuse to start; returns its exit status, output in *out. */
int h_start_fail(struct harness *h, char **out);

/* Send a signal to the agent. */
void h_signal(struct harness *h, int sig);

/* SIGTERM, wait, assert a clean exit. */
void h_stop(struct harness *h);

/* Read a sysfs attribute ("" when missing) into a static buffer. */
const char *h_attr(const char *devpath, const char *attr);

/* Poll until the attribute reads want; false after timeout_ms. */
bool h_wait_attr(const char *devpath, const char *attr, const char *want, int timeout_ms);

/* Number of audit lines holding every non-NULL needle. */
size_t h_audit_count(struct harness *h, const char *n1, const char *n2, const char *n3);

/* Poll until h_audit_count(...) >= min; false after timeout_ms. */
bool h_wait_audit(struct harness *h, const char *n1, const char *n2, const char *n3, size_t min,
		  int timeout_ms);

/* Print the audit log and the agent's output (for a failing test). */
void h_dump(struct harness *h);

/* Assert the audit log and its anchor verify. */
void h_verify_audit(struct harness *h);

/* Add an interface directory <dev>:<cfg>.<num> with its class triple, authorized=1. */
void h_add_iface(struct harness *h, const char *devpath, const char *name, const char *cls,
		 const char *sub, const char *proto);

/*
 * Add a USB device below parent named name with the given ids and
 * interface triples ("cc:ss:pp" strings), authorized=1, with matching
 * interface directories; umockdev announces them ("add" uevents). Returns
 * the sysfs path (static).
 */
const char *h_add_usb(struct harness *h, const char *parent, const char *name, unsigned vendor,
		      unsigned product, const char *product_name, const char *const *ifaces,
		      size_t n_ifaces);

/*
 * The same without umockdev (which announces what it adds): the files and
 * links are made directly in the testbed, so no uevent ever tells the agent.
 * No interface directories. Returns the sysfs path (static).
 */
const char *h_add_usb_silent(struct harness *h, const char *parent, const char *name,
			     unsigned vendor, unsigned product, const char *const *ifaces,
			     size_t n_ifaces);

/* Add a block device (disk) below the given device directory. Sends no uevent. */
const char *h_add_block(struct harness *h, const char *parent, const char *name);

/* Send a uevent (add, remove, change) for path. */
void h_uevent(struct harness *h, const char *path, const char *action);

#endif
