// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * device.c - the USB device model read from sysfs, its USBGuard-compatible
 * hash, enumeration of present devices, and formatting a device as a rule.
 *
 * Facts this file reproduces from USBGuard 1.1.2 (Debian 12 build, which
 * links libsodium, i.e. SHA-256), checked byte for byte against the rules
 * that usbguard-daemon derived for a recorded device tree:
 *   hash        = base64(SHA-256(product || idVendor || idProduct || serial ||
 *                 descriptors)), the strings exactly as sysfs gives them
 *                 minus the trailing newline, with no separators; the
 *                 descriptors are every parsed descriptor in order (the whole
 *                 attribute), except that for a Linux root hub (1d6b:0001..3)
 *                 bcdDevice is hashed as zero, so a kernel update does not
 *                 change the hash of the root hubs.
 *   parent-hash = the parent USB device's hash; for a root hub, whose sysfs
 *                 parent is the host controller, the SHA-256 of the parent's
 *                 sysfs path without the "/sys" prefix, e.g.
 *                 "/devices/pci0000:00/0000:00:14.0".
 *   via-port    = the sysfs directory name ("1-4.2", "usb1").
 *   with-connect-type = the "port/connect_type" attribute, "" if absent.
 * Strings in rules are quoted; '"' and '\' are backslash-escaped and every
 * byte outside printable ASCII is written as \xHH (lowercase), valid UTF-8
 * included.
 *
 * MUST: every file is opened O_RDONLY|O_CLOEXEC|O_NOFOLLOW relative to the
 *       device's directory fd, checked to be a regular file, and read with a
 *       cap; a longer file is an error, never silently truncated.
 * MUST: a serial or product longer than 253 bytes (USBGuard's limit), or
 *       with a NUL byte, and an idVendor/idProduct that is not exactly four
 *       lowercase hex digits (the kernel's format, which the hash covers
 *       verbatim) make the read fail; identity is never guessed.
 * MUST: a device whose descriptors cannot be read or parsed is returned with
 *       descriptors_ok == false, no interfaces and an empty hash, so no rule
 *       with a hash or an interface list can match it.
 * MUST: only paths under /sys/devices/ without "." or ".." components or
 *       empty components are accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libudev.h>

#include "device.h"
#include "mng.h"
#include "sha256.h"
#include "usbdesc.h"

#define SYSFS_PREFIX "/sys"
#define USB_STRING_MAX 253 /* USBGuard's USB_GENERIC_STRING_MAX_LENGTH */
#define UEVENT_MAX 4096
#define ENUM_MAX 4096

/* ---- reading sysfs ---- */

/*
 * Read the whole file name (relative to dirfd) into buf, at most cap bytes.
 * buf must hold cap + 1 bytes; the data is NUL-terminated for convenience.
 * -E2BIG when the file holds more than cap bytes.
 */
static int read_file_at(int dirfd, const char *name, uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len > cap) {
			r = -E2BIG;
			goto out;
		}
		n = read(fd, buf + len, cap + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
out:
	close(fd);
	return r;
}

/*
 * Read a text attribute: one trailing newline is dropped, NUL bytes are
 * refused, more than max bytes is -E2BIG. optional: a missing file reads "".
 * out must hold max + 1 bytes.
 */
static int read_text_at(int dirfd, const char *name, bool optional, char *out, size_t max)
{
	uint8_t buf[UEVENT_MAX + 1];
	size_t len = 0;
	int r;

	if (max + 1 > UEVENT_MAX)
		return -EINVAL;
	r = read_file_at(dirfd, name, buf, max + 1, &len);
	if (r == -ENOENT && optional) {
		out[0] = '\0';
		return 0;
	}
	if (r < 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > max)
		return -E2BIG;
	if (memchr(buf, '\0', len))
		return -EINVAL;
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

static int read_hex16_at(int dirfd, const char *name, char out[5], uint16_t *ret)
{
	unsigned v = 0;
	int r, i;

	r = read_text_at(dirfd, name, false, out, 4);
	if (r < 0)
		return r;
	if (strlen(out) != 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		char c = out[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	*ret = (uint16_t)v;
	return 0;
}

/* 1 if the directory's uevent says DEVTYPE=usb_device, 0 if not, -errno. */
static int is_usb_device_at(int dirfd)
{
	uint8_t buf[UEVENT_MAX + 1];
	const char *p;
	size_t len = 0;
	int r;

	r = read_file_at(dirfd, "uevent", buf, UEVENT_MAX, &len);
	if (r < 0)
		return r;
	for (p = (const char *)buf; p < (const char *)buf + len;) {
		const char *nl = memchr(p, '\n', (size_t)((const char *)buf + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)((const char *)buf + len - p);

		if (l == strlen("DEVTYPE=usb_device") && !memcmp(p, "DEVTYPE=usb_device", l))
			return 1;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static bool syspath_ok(const char *path)
{
	const char *p, *c;
	size_t len;

	if (!path)
		return false;
	len = strnlen(path, sizeof(((struct mng_device *)0)->syspath));
	if (len >= sizeof(((struct mng_device *)0)->syspath))
		return false;
	if (strncmp(path, SYSFS_PREFIX "/devices/", strlen(SYSFS_PREFIX "/devices/")))
		return false;
	for (p = path + 1;; p = c + 1) {
		size_t l;

		c = strchr(p, '/');
		l = c ? (size_t)(c - p) : strlen(p);
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!c)
			break;
	}
	return true;
}

/* ---- hashing ---- */

_Static_assert(MNG_DEV_HASH_LEN == MNG_SHA256_B64_LEN, "a device hash is a base64 SHA-256");

static int hash_string(const char *s, char out[MNG_DEV_HASH_LEN + 1])
{
	uint8_t md[MNG_SHA256_LEN];
	int r;

	r = mng_sha256(s, strlen(s), md);
	if (r < 0)
		return r;
	mng_sha256_base64(md, out);
	return 0;
}

static int hash_device(const struct mng_device *d, const char *vid, const char *pid,
		       const uint8_t *desc, size_t len, bool root_hub,
		       char out[MNG_DEV_HASH_LEN + 1])
{
	uint8_t first[MNG_USB_DT_DEVICE_SIZE], md[MNG_SHA256_LEN];
	struct mng_sha256 ctx;
	int r = -EIO;

	if (len < MNG_USB_DT_DEVICE_SIZE)
		return r;
	memcpy(first, desc, sizeof(first));
	if (root_hub) {
		first[MNG_USB_DEVICE_BCD_OFFSET] = 0;
		first[MNG_USB_DEVICE_BCD_OFFSET + 1] = 0;
	}
	mng_sha256_init(&ctx);
	(void)mng_sha256_update(&ctx, d->name, strlen(d->name));
	(void)mng_sha256_update(&ctx, vid, strlen(vid));
	(void)mng_sha256_update(&ctx, pid, strlen(pid));
	(void)mng_sha256_update(&ctx, d->serial, strlen(d->serial));
	(void)mng_sha256_update(&ctx, first, sizeof(first));
	(void)mng_sha256_update(&ctx, desc + sizeof(first), len - sizeof(first));
	/* an update error (none is possible with these sizes) is reported by final */
	r = mng_sha256_final(&ctx, md);
	if (r < 0)
		return r;
	mng_sha256_base64(md, out);
	return 0;
}

/* ---- one device ---- */

static int read_descriptors(int dirfd, struct mng_device *d, const char *vid, const char *pid)
{
	struct mng_usbdesc *u = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	buf = malloc(MNG_DEV_DESC_MAX + 1);
	u = malloc(sizeof(*u));
	if (!buf || !u) {
		r = -ENOMEM;
		goto out;
	}
	r = read_file_at(dirfd, "descriptors", buf, MNG_DEV_DESC_MAX, &len);
	if (r < 0)
		goto out;
	r = mng_usbdesc_parse(buf, len, NULL, NULL, u);
	if (r < 0)
		goto out;
	r = hash_device(d, vid, pid, buf, len, u->root_hub, d->hash);
	if (r < 0)
		goto out;
	memcpy(d->ifaces, u->ifaces, u->n_ifaces * sizeof(u->ifaces[0]));
	d->n_ifaces = u->n_ifaces;
	d->descriptors_ok = true;
out:
	free(buf);
	free(u);
	return r;
}

/* how read_one() fills parent_hash */
enum parent_mode {
	PARENT_NONE,  /* leave it empty (reading the parent itself) */
	PARENT_READ,  /* read the parent device from sysfs */
	PARENT_KNOWN, /* the caller knows it */
};

static int read_one(const char *syspath, struct mng_device *d, enum parent_mode pm,
		    const char *parent_hash);

static int read_parent_hash(const char *syspath, struct mng_device *d)
{
	char parent[sizeof(d->syspath)];
	struct mng_device *p = NULL;
	char *slash;
	int fd, r;

	snprintf(parent, sizeof(parent), "%s", syspath);
	slash = strrchr(parent, '/');
	if (!slash || slash - parent < (ptrdiff_t)strlen(SYSFS_PREFIX "/devices"))
		return -EINVAL;
	*slash = '\0';

	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = is_usb_device_at(fd);
	close(fd);
	if (r == -ENOENT)
		r = 0; /* no uevent: not a USB device */
	if (r < 0)
		return r;
	if (r == 0)
		return hash_string(parent + strlen(SYSFS_PREFIX), d->parent_hash);

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/*
	 * A parent that cannot be read leaves parent-hash empty (no rule with
	 * a parent-hash matches then); it does not make this device unreadable.
	 */
	r = read_one(parent, p, PARENT_NONE, NULL);
	if (r >= 0)
		memcpy(d->parent_hash, p->hash, sizeof(d->parent_hash)); /* "" if unparsable */
	else if (r != -ENOMEM)
		r = 0;
	free(p);
	return r;
}

static int read_one(const char *syspath, struct mng_device *d, enum parent_mode pm,
		    const char *parent_hash)
{
	char vid[5], pid[5];
	const char *base;
	int fd, r;

	if (!syspath_ok(syspath))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	snprintf(d->syspath, sizeof(d->syspath), "%s", syspath);
	base = strrchr(syspath, '/') + 1;
	if (strlen(base) >= sizeof(d->port))
		return -ENAMETOOLONG;
	snprintf(d->port, sizeof(d->port), "%s", base);

	fd = open(syspath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = is_usb_device_at(fd);
	if (r == 0)
		r = -ENODEV;
	if (r < 0)
		goto out;
	r = read_hex16_at(fd, "idVendor", vid, &d->vendor);
	if (r < 0)
		goto out;
	r = read_hex16_at(fd, "idProduct", pid, &d->product);
	if (r < 0)
		goto out;
	r = read_text_at(fd, "serial", true, d->serial, USB_STRING_MAX);
	if (r < 0)
		goto out;
	r = read_text_at(fd, "product", true, d->name, USB_STRING_MAX);
	if (r < 0)
		goto out;
	r = read_text_at(fd, "port/connect_type", true, d->connect_type,
			 sizeof(d->connect_type) - 1);
	if (r == -ENOTDIR)
		r = 0; /* no port link at all: no connect type */
	if (r < 0)
		goto out;

	/* Unreadable or malformed descriptors leave descriptors_ok false. */
	if (read_descriptors(fd, d, vid, pid) < 0) {
		d->descriptors_ok = false;
		d->n_ifaces = 0;
		d->hash[0] = '\0';
	}

	if (pm == PARENT_READ)
		r = read_parent_hash(syspath, d);
	else if (pm == PARENT_KNOWN)
		memcpy(d->parent_hash, parent_hash, MNG_DEV_HASH_LEN + 1);
out:
	close(fd);
	return r;
}

/* a device hash as read_one() writes it: 43 base64 characters and one '=' */
static bool hash_text_ok(const char *h)
{
	size_t i;

	for (i = 0; i < MNG_DEV_HASH_LEN - 1; i++)
		if (!((h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '+' || h[i] == '/'))
			return false;
	return h[MNG_DEV_HASH_LEN - 1] == '=' && h[MNG_DEV_HASH_LEN] == '\0';
}

static int read_sysfs(const char *syspath, enum parent_mode pm, const char *parent_hash,
		      struct mng_device *ret)
{
	struct mng_device *d;
	int r;

	if (!ret)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = read_one(syspath, d, pm, parent_hash);
	if (r >= 0)
		*ret = *d;
	free(d);
	return r < 0 ? r : 0;
}

int mng_device_read_sysfs(const char *syspath, struct mng_device *ret)
{
	return read_sysfs(syspath, PARENT_READ, NULL, ret);
}

int mng_device_read_sysfs_parent(const char *syspath, const char *parent_hash,
				 struct mng_device *ret)
{
	if (!parent_hash)
		return read_sysfs(syspath, PARENT_READ, NULL, ret);
	if (strnlen(parent_hash, MNG_DEV_HASH_LEN + 1) != MNG_DEV_HASH_LEN ||
	    !hash_text_ok(parent_hash))
		return -EINVAL;
	return read_sysfs(syspath, PARENT_KNOWN, parent_hash, ret);
}

/* ---- enumeration ---- */

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mng_device_paths_free(char **paths, size_t n)
{
	size_t i;

	if (!paths)
		return;
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int mng_device_enumerate(char ***ret_paths, size_t *ret_n)
{
	struct udev *udev = NULL;
	struct udev_enumerate *e = NULL;
	struct udev_list_entry *it;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int r;

	if (!ret_paths || !ret_n)
		return -EINVAL;
	udev = udev_new();
	if (!udev)
		return -ENOMEM;
	e = udev_enumerate_new(udev);
	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	r = udev_enumerate_add_match_subsystem(e, "usb");
	if (r < 0)
		goto out;
	r = udev_enumerate_scan_devices(e);
	if (r < 0)
		goto out;

	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e))
	{
		const char *sp = udev_list_entry_get_name(it);
		struct udev_device *ud;
		const char *type;
		bool usb_dev;

		if (!sp)
			continue;
		ud = udev_device_new_from_syspath(udev, sp);
		if (!ud)
			continue; /* gone meanwhile */
		type = udev_device_get_devtype(ud);
		usb_dev = type && !strcmp(type, "usb_device");
		udev_device_unref(ud);
		if (!usb_dev)
			continue;
		if (n == ENUM_MAX) {
			r = -E2BIG;
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **np = realloc(paths, ncap * sizeof(*np));

			if (!np) {
				r = -ENOMEM;
				goto out;
			}
			paths = np;
			cap = ncap;
		}
		paths[n] = strdup(sp);
		if (!paths[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	/* A parent's path is a prefix of its children's: sorting puts it first. */
	if (n)
		qsort(paths, n, sizeof(*paths), cmp_path);
	*ret_paths = paths;
	*ret_n = n;
	paths = NULL;
	r = 0;
out:
	mng_device_paths_free(paths, n);
	udev_enumerate_unref(e);
	udev_unref(udev);
	return r;
}

/* ---- rule formatting ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void MNG_PRINTF(2, 3) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

/* " key "escaped"" the way USBGuard quotes strings. */
static void sb_attr_str(struct sbuf *b, const char *key, const char *val)
{
	const unsigned char *s;

	sb_printf(b, " %s \"", key);
	for (s = (const unsigned char *)val; *s; s++) {
		if (*s == '"' || *s == '\\') {
			char esc[2] = {'\\', (char)*s};

			sb_add(b, esc, 2);
		} else if (*s >= 0x20 && *s < 0x7f) {
			sb_add(b, (const char *)s, 1);
		} else {
			sb_printf(b, "\\x%02x", *s);
		}
	}
	sb_add(b, "\"", 1);
}

static bool target_ok(const char *t)
{
	static const char *const targets[] = {"allow", "block", "reject", "match", "device"};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(targets); i++)
		if (!strcmp(t, targets[i]))
			return true;
	return false;
}

int mng_device_format_rule(const struct mng_device *dev, const char *target, char **ret)
{
	struct sbuf b = {0};
	size_t i;

	if (!dev || !target || !ret || !target_ok(target))
		return -EINVAL;
	if (dev->n_ifaces > MNG_DEV_IFACE_MAX)
		return -EINVAL;
	/* the struct's strings are bounded; refuse one that lost its NUL */
	if (strnlen(dev->serial, sizeof(dev->serial)) == sizeof(dev->serial) ||
	    strnlen(dev->name, sizeof(dev->name)) == sizeof(dev->name) ||
	    strnlen(dev->port, sizeof(dev->port)) == sizeof(dev->port) ||
	    strnlen(dev->connect_type, sizeof(dev->connect_type)) == sizeof(dev->connect_type) ||
	    strnlen(dev->hash, sizeof(dev->hash)) == sizeof(dev->hash) ||
	    strnlen(dev->parent_hash, sizeof(dev->parent_hash)) == sizeof(dev->parent_hash))
		return -EINVAL;

	sb_puts(&b, target);
	sb_printf(&b, " id %04x:%04x", dev->vendor, dev->product);
	sb_attr_str(&b, "serial", dev->serial);
	sb_attr_str(&b, "name", dev->name);
	if (dev->hash[0])
		sb_attr_str(&b, "hash", dev->hash);
	if (dev->parent_hash[0])
		sb_attr_str(&b, "parent-hash", dev->parent_hash);
	if (dev->port[0])
		sb_attr_str(&b, "via-port", dev->port);
	if (dev->n_ifaces == 1) {
		sb_printf(&b, " with-interface %02x:%02x:%02x", dev->ifaces[0].cls,
			  dev->ifaces[0].subcls, dev->ifaces[0].proto);
	} else if (dev->n_ifaces > 1) {
		sb_puts(&b, " with-interface {");
		for (i = 0; i < dev->n_ifaces; i++)
			sb_printf(&b, " %02x:%02x:%02x", dev->ifaces[i].cls, dev->ifaces[i].subcls,
				  dev->ifaces[i].proto);
		sb_puts(&b, " }");
	}
	sb_attr_str(&b, "with-connect-type", dev->connect_type);

	if (b.err) {
		free(b.p);
		return b.err;
	}
	*ret = b.p;
	return 0;
}
