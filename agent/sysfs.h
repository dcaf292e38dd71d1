/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysfs.h - the only code in mnguardd that writes USB, block and
 * Thunderbolt authorization state to the kernel. See sysfs.c for the
 * invariants it keeps.
 */
#ifndef MNG_AGENT_SYSFS_H
#define MNG_AGENT_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#define SYSFS_IFACE_NAMES_MAX 1024 /* bytes of the interface list in a result */

struct sysfs_result {
	unsigned ifaces_authorized;		/* interface directories written 1 */
	unsigned ifaces_blocked;		/* interface directories written 0 */
	char authorized[SYSFS_IFACE_NAMES_MAX]; /* their names, space separated (cut) */
};

/*
 * sysfs_allow - authorize dev (as judged, dev->syspath) with the interfaces
 * whose iface_allowed[i] (per dev->ifaces[i]) is set: re-check identity
 * through the directory fd, authorize the device, then write each interface
 * directory (1 only when sysfs_iface_decide says so, else 0), then ask the
 * kernel to probe drivers for the authorized ones. Returns 0, -ESTALE (a
 * different device is there now: nothing written), -ENOENT (gone), or
 * another -errno (the device is then deauthorized again before returning,
 * as far as the kernel lets us).
 */
int sysfs_allow(const struct mng_device *dev, const bool *iface_allowed, struct sysfs_result *ret);

/*
 * sysfs_block - authorized=0 on the device at syspath. No identity check:
 * blocking whatever is there now is always on the safe side (a device that
 * replaced the judged one gets its own event and judgement). Returns 0 or
 * -errno (-ENOENT: gone).
 */
int sysfs_block(const char *syspath);

/*
 * sysfs_reject - re-check identity, then write 1 to the device's "remove"
 * attribute (the kernel disconnects it until it is plugged in again).
 * Returns 0, -ESTALE, -ENOENT or another -errno.
 */
int sysfs_reject(const struct mng_device *dev);

/*
 * sysfs_iface_decide - may the interface directory <cfg>.<num> whose
 * current alternate setting has class triple cls:sub:proto be authorized?
 * Only when dev lists that interface, every alternate setting dev lists for
 * it is allowed, and one of them has exactly that triple.
 */
bool sysfs_iface_decide(const struct mng_device *dev, const bool *iface_allowed, unsigned cfg,
			unsigned num, uint8_t cls, uint8_t sub, uint8_t proto);

/*
 * sysfs_root_hub_lock - authorized_default=0 and interface_authorized_default=0
 * on the root hub directory at path (followed: /sys/bus/usb/devices/usbN is
 * the kernel's own link), read back. Returns 0 or -errno (-EIO: the value
 * did not stick).
 */
int sysfs_root_hub_lock(const char *path);

/*
 * sysfs_block_ro - open /dev/<name> and set it read-only (BLKROSET), read
 * back with BLKROGET. name is a kernel block device name (no '/').
 * Returns 0 or -errno (-ENOTBLK: not a block device node).
 */
int sysfs_block_ro(const char *name);

/*
 * sysfs_thunderbolt_block - authorized=0 on the Thunderbolt device at
 * syspath. Returns 1 when it was authorized and is now not, 0 when it was
 * not authorized, -EOPNOTSUPP for a host router (never deauthorized: that
 * would cut the port), -ENOENT when it has no authorized attribute, or
 * another -errno (the kernel refused: its security level may not support
 * deauthorization).
 */
int sysfs_thunderbolt_block(const char *syspath);

/* sysfs_read_authorized - the device's authorized value (0 or 1) or -errno. */
int sysfs_read_authorized(const char *syspath);

#endif
