// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keydev.c - which USB device a security key is: from the hidraw node
 * libfido2 opened to the USB device above it in sysfs (its kernel name,
 * device number and serial), so that the agent can lock the session when
 * that device is removed (mnguardd(8) LOCK ON KEY REMOVAL).
 *
 * MUST: only a character device node is followed, through
 *       /sys/dev/char/MAJOR:MINOR, and the walk up stops at /sys/devices;
 *       every value read is capped and checked, and anything unexpected
 *       means "not known" (the login itself never depends on it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ipc.h"
#include "module.h"

#define SYSFS_DEVICES "/sys/devices/"
#define DEPTH_MAX 16 /* directories walked up from the hidraw node */

/* Read the one-line attribute dir/name into buf (size bytes); -errno on failure. */
static int attr(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX + 32];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	(void)close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A USB device's kernel name: BUS-PORT[.PORT...], digits only otherwise. */
static bool usb_device_name(const char *s)
{
	const char *p = s;

	if (*p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '-' || !*p)
		return false;
	for (; *p; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return false;
	return p[-1] != '.' && strlen(s) <= MNG_IPC_NAME_MAX;
}

int mng_pam_key_device(const char *node, struct mng_pam_keydev *ret)
{
	char link[64], *real = NULL, *slash;
	struct mng_pam_keydev k = {0};
	struct stat st;
	int depth, r = -ENODEV;

	if (!node || !ret)
		return -EINVAL;
	if (stat(node, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	if (strncmp(real, SYSFS_DEVICES, strlen(SYSFS_DEVICES)))
		goto out;
	for (depth = 0; depth < DEPTH_MAX; depth++) {
		char devnum[16], *end;
		long v;

		slash = strrchr(real, '/');
		if (!slash || (size_t)(slash - real) < strlen(SYSFS_DEVICES) - 1)
			break;
		if (usb_device_name(slash + 1) &&
		    attr(real, "devnum", devnum, sizeof(devnum)) == 0) {
			errno = 0;
			v = strtol(devnum, &end, 10);
			if (errno || end == devnum || *end || v < 1 || v > 999)
				break;
			snprintf(k.port, sizeof(k.port), "%s", slash + 1);
			snprintf(k.devnum, sizeof(k.devnum), "%ld", v);
			/* the serial is for the audit record only: left out when unusual */
			if (attr(real, "serial", k.serial, sizeof(k.serial)) < 0 ||
			    !mng_ipc_text_ok(k.serial, MNG_IPC_CS_TEXT))
				k.serial[0] = '\0';
			*ret = k;
			r = 0;
			break;
		}
		*slash = '\0';
	}
out:
	free(real);
	return r;
}
