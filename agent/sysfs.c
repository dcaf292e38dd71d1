// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysfs.c - writing authorization state to the kernel.
 *
 * MUST: a device is opened once as a directory (O_DIRECTORY|O_NOFOLLOW|
 *       O_CLOEXEC) and everything about it is read and written relative to
 *       that fd (openat, O_NOFOLLOW), so a device that is unplugged and
 *       replaced while we work cannot redirect a write to another device.
 * MUST: before anything is authorized or removed, idVendor, idProduct and
 *       serial are read again through that fd and compared with what was
 *       judged; a mismatch or a vanished device means nothing is written.
 * MUST: an interface directory is authorized only when the policy allowed
 *       every alternate setting the device declares for that interface and
 *       the directory's current class triple is one of them; anything that
 *       cannot be read or matched stays unauthorized.
 * MUST: when authorizing fails half way, the device is deauthorized again.
 * MUST: a block device is made read-only only through a node that fstat
 *       shows to be a block device, and the result is read back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mng.h"
#include "sysfs.h"

#define ATTR_MAX 512
#define DRIVERS_PROBE "/sys/bus/usb/drivers_probe"

static int read_attr_at(int dfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	int fd, r = 0;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	if (r < 0)
		return r;
	if (len + 1 >= size)
		return -E2BIG;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (memchr(buf, '\0', len))
		return -EINVAL;
	return (int)len;
}

static int write_attr_at(int dfd, const char *name, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, value, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

static int open_dev_dir(const char *syspath)
{
	int fd = open(syspath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* 0 when the device behind dfd is the one judged, -ESTALE / -ENOENT / -errno otherwise. */
static int identity_check(int dfd, const struct mng_device *dev)
{
	char buf[ATTR_MAX], want[8];
	int r;

	r = read_attr_at(dfd, "idVendor", buf, sizeof(buf));
	if (r < 0)
		return r == -ENOENT ? -ENOENT : r;
	snprintf(want, sizeof(want), "%04x", dev->vendor);
	if (strcmp(buf, want))
		return -ESTALE;
	r = read_attr_at(dfd, "idProduct", buf, sizeof(buf));
	if (r < 0)
		return r;
	snprintf(want, sizeof(want), "%04x", dev->product);
	if (strcmp(buf, want))
		return -ESTALE;
	r = read_attr_at(dfd, "serial", buf, sizeof(buf));
	if (r == -ENOENT)
		buf[0] = '\0';
	else if (r < 0)
		return r;
	if (strcmp(buf, dev->serial))
		return -ESTALE;
	return 0;
}

static int parse_hex8(const char *s, uint8_t *ret)
{
	unsigned v = 0;
	int i;

	if (strlen(s) != 2)
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	*ret = (uint8_t)v;
	return 0;
}

/*
 * The prefix of a device's interface names: its port ("1-4.2" has
 * "1-4.2:1.0"), except for a root hub, whose port is "usbN" and whose
 * interfaces are "N-0:1.0". Returns the prefix length, or 0 when it does not fit.
 */
static size_t iface_prefix(const char *port, char *buf, size_t size)
{
	int n;

	if (!strncmp(port, "usb", 3) && port[3] &&
	    strspn(port + 3, "0123456789") == strlen(port + 3))
		n = snprintf(buf, size, "%s-0", port + 3);
	else
		n = snprintf(buf, size, "%s", port);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* "<prefix>:<cfg>.<num>" with decimal numbers: 0 and the numbers, or -EINVAL. */
static int parse_iface_name(const char *name, const char *port, unsigned *cfg, unsigned *num)
{
	char prefix[MNG_DEV_STR_MAX + 4];
	size_t pl = iface_prefix(port, prefix, sizeof(prefix));
	const char *p;
	unsigned long v[2];
	int i;

	if (!pl || strncmp(name, prefix, pl) || name[pl] != ':')
		return -EINVAL;
	p = name + pl + 1;
	for (i = 0; i < 2; i++) {
		char *end;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno || v[i] > 255 || end - p > 3)
			return -EINVAL;
		p = end;
		if (i == 0 && *p++ != '.')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*cfg = (unsigned)v[0];
	*num = (unsigned)v[1];
	return 0;
}

bool sysfs_iface_decide(const struct mng_device *dev, const bool *iface_allowed, unsigned cfg,
			unsigned num, uint8_t cls, uint8_t sub, uint8_t proto)
{
	bool listed = false, triple = false;
	size_t i;

	if (!dev->descriptors_ok)
		return false;
	for (i = 0; i < dev->n_ifaces && i < MNG_DEV_IFACE_MAX; i++) {
		const struct mng_iface *f = &dev->ifaces[i];

		if (f->config != cfg || f->number != num)
			continue;
		listed = true;
		if (!iface_allowed[i])
			return false;
		if (f->cls == cls && f->subcls == sub && f->proto == proto)
			triple = true;
	}
	return listed && triple;
}

/* Decide one interface directory from its current attributes. */
static bool iface_dir_allowed(int dfd, const char *name, const struct mng_device *dev,
			      const bool *iface_allowed)
{
	static const char *const attrs[3] = {"bInterfaceClass", "bInterfaceSubClass",
					     "bInterfaceProtocol"};
	uint8_t t[3];
	unsigned cfg, num;
	char buf[ATTR_MAX];
	int ifd, i;
	bool ok = true;

	if (parse_iface_name(name, dev->port, &cfg, &num) < 0)
		return false;
	ifd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ifd < 0)
		return false;
	for (i = 0; i < 3 && ok; i++)
		ok = read_attr_at(ifd, attrs[i], buf, sizeof(buf)) >= 0 &&
		     parse_hex8(buf, &t[i]) == 0;
	(void)close(ifd);
	return ok && sysfs_iface_decide(dev, iface_allowed, cfg, num, t[0], t[1], t[2]);
}

static void names_add(char *list, size_t size, const char *name)
{
	size_t l = strlen(list);

	if (l + strlen(name) + 2 > size)
		return;
	snprintf(list + l, size - l, "%s%s", l ? " " : "", name);
}

/*
 * Write every interface directory of the device: 1 where allowed (when
 * allow_pass), 0 everywhere else. With allow_pass false only the zeros are
 * written (used before the device is authorized).
 */
static int write_ifaces(int dfd, const struct mng_device *dev, const bool *iface_allowed,
			bool allow_pass, struct sysfs_result *res)
{
	struct dirent *de;
	int r = 0, fd2;
	DIR *d;

	fd2 = dup(dfd);
	if (fd2 < 0)
		return -errno;
	d = fdopendir(fd2);
	if (!d) {
		r = -errno;
		(void)close(fd2);
		return r;
	}
	rewinddir(d); /* the dup shares its offset with dfd, which an earlier pass moved */
	while ((de = readdir(d))) {
		unsigned cfg, num;
		char path[MNG_DEV_STR_MAX + 32];
		bool allow;
		int w;

		if (parse_iface_name(de->d_name, dev->port, &cfg, &num) < 0)
			continue;
		allow = iface_dir_allowed(dfd, de->d_name, dev, iface_allowed);
		if (allow && !allow_pass)
			continue;
		snprintf(path, sizeof(path), "%s/authorized", de->d_name);
		w = write_attr_at(dfd, path, allow ? "1" : "0");
		if (w < 0) {
			/* an allowed interface that cannot be authorized just stays off */
			if (!allow && r == 0)
				r = w;
			continue;
		}
		if (!res || !allow_pass)
			continue;
		if (allow) {
			res->ifaces_authorized++;
			names_add(res->authorized, sizeof(res->authorized), de->d_name);
		} else {
			res->ifaces_blocked++;
		}
	}
	(void)closedir(d);
	return r;
}

/* Ask the kernel to bind drivers to the interfaces just authorized (needed on 6.1). */
static void probe_drivers(const char *names)
{
	char buf[SYSFS_IFACE_NAMES_MAX];
	char *save = NULL, *tok;
	int fd;

	if (!names[0])
		return;
	fd = open(DRIVERS_PROBE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no such file (old kernel, test bed): binding happens on its own */
	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		(void)!write(fd, tok, strlen(tok));
	(void)close(fd);
}

int sysfs_allow(const struct mng_device *dev, const bool *iface_allowed, struct sysfs_result *ret)
{
	struct sysfs_result res = {0};
	int dfd, r;

	dfd = open_dev_dir(dev->syspath);
	if (dfd < 0)
		return dfd;
	r = identity_check(dfd, dev);
	if (r < 0)
		goto out;
	/* An already configured device: take away what is not allowed first. */
	r = write_ifaces(dfd, dev, iface_allowed, false, NULL);
	if (r < 0 && r != -ENOENT)
		goto fail;
	r = write_attr_at(dfd, "authorized", "1");
	if (r < 0)
		goto fail;
	/* Authorizing configured the device: its interfaces exist now. */
	r = write_ifaces(dfd, dev, iface_allowed, true, &res);
	if (r < 0 && r != -ENOENT)
		goto fail;
	r = 0;
	probe_drivers(res.authorized);
	if (ret)
		*ret = res;
	goto out;
fail:
	(void)write_attr_at(dfd, "authorized", "0");
out:
	(void)close(dfd);
	return r;
}

int sysfs_block(const char *syspath)
{
	int dfd, r;

	dfd = open_dev_dir(syspath);
	if (dfd < 0)
		return dfd;
	r = write_attr_at(dfd, "authorized", "0");
	(void)close(dfd);
	return r;
}

int sysfs_reject(const struct mng_device *dev)
{
	int dfd, r;

	dfd = open_dev_dir(dev->syspath);
	if (dfd < 0)
		return dfd;
	r = identity_check(dfd, dev);
	if (r == 0)
		r = write_attr_at(dfd, "remove", "1");
	(void)close(dfd);
	return r;
}

int sysfs_read_authorized(const char *syspath)
{
	char buf[16];
	int dfd, r;

	dfd = open_dev_dir(syspath);
	if (dfd < 0)
		return dfd;
	r = read_attr_at(dfd, "authorized", buf, sizeof(buf));
	(void)close(dfd);
	if (r < 0)
		return r;
	if (!strcmp(buf, "0"))
		return 0;
	if (!strcmp(buf, "1"))
		return 1;
	return -EINVAL;
}

int sysfs_root_hub_lock(const char *path)
{
	static const char *const attrs[2] = {"authorized_default", "interface_authorized_default"};
	char buf[16];
	int dfd, i, r = 0;

	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		int w = write_attr_at(dfd, attrs[i], "0");

		if (w == 0)
			w = read_attr_at(dfd, attrs[i], buf, sizeof(buf));
		if (w >= 0 && strcmp(buf, "0"))
			w = -EIO;
		if (w < 0 && r == 0)
			r = w;
	}
	(void)close(dfd);
	return r;
}

int sysfs_block_ro(const char *name)
{
	char node[300];
	struct stat st;
	int fd, one = 1, ro = 0, r = 0;

	if (!name[0] || strchr(name, '/') || strlen(name) > 255 || !strcmp(name, "..") ||
	    !strcmp(name, "."))
		return -EINVAL;
	snprintf(node, sizeof(node), "/dev/%s", name);
	fd = open(node, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISBLK(st.st_mode))
		r = -ENOTBLK;
	else if (ioctl(fd, BLKROSET, &one) < 0)
		r = -errno;
	else if (ioctl(fd, BLKROGET, &ro) < 0)
		r = -errno;
	else if (ro != 1)
		r = -EIO;
	(void)close(fd);
	return r;
}

int sysfs_thunderbolt_block(const char *syspath)
{
	const char *base = strrchr(syspath, '/');
	size_t bl;
	char buf[16];
	int dfd, r;

	base = base ? base + 1 : syspath;
	bl = strlen(base);
	if (bl >= 2 && !strcmp(base + bl - 2, "-0"))
		return -EOPNOTSUPP; /* host router */
	dfd = open(syspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = read_attr_at(dfd, "authorized", buf, sizeof(buf));
	if (r < 0)
		goto out;
	if (!strcmp(buf, "0")) {
		r = 0;
		goto out;
	}
	r = write_attr_at(dfd, "authorized", "0");
	if (r == 0)
		r = read_attr_at(dfd, "authorized", buf, sizeof(buf));
	if (r >= 0)
		r = strcmp(buf, "0") ? -EIO : 1;
out:
	(void)close(dfd);
	return r;
}
