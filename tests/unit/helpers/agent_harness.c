// SPDX-License-Identifier: GPL-2.0-or-later
/* agent_harness.c - run the real mnguardd against a umockdev testbed (see agent_harness.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_harness.h"
#include "audit.h"

#define READY_TIMEOUT_MS 20000

/* The harness whose agent runs: its notify socket is drained while tests wait. */
static struct harness *current;

/* Read and drop pending sd_notify messages, so the agent never blocks on a full queue. */
static void drain(void)
{
	char buf[4096];

	if (!current || current->notify_fd < 0)
		return;
	while (recv(current->notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return strdup("");
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return strdup("");
	buf[len] = '\0';
	return buf;
}

void h_add_iface(struct harness *h, const char *devpath, const char *name, const char *cls,
		 const char *sub, const char *proto)
{
	char *p = umockdev_testbed_add_device(h->tb, "usb", name, devpath, "bInterfaceClass", cls,
					      "bInterfaceSubClass", sub, "bInterfaceProtocol",
					      proto, "bAlternateSetting", " 0", "authorized", "1",
					      NULL, "DEVTYPE", "usb_interface", NULL);

	assert_non_null(p);
	g_free(p);
}

static void add_demo_ifaces(struct harness *h)
{
	h_add_iface(h, H_STICK, "1-4.1.1:1.0", "08", "06", "50");
	h_add_iface(h, H_STICK_OK, "1-4.1.2:1.0", "08", "06", "50");
	h_add_iface(h, H_COMPOSITE, "1-4.1.4:1.0", "03", "01", "01");
	h_add_iface(h, H_COMPOSITE, "1-4.1.4:1.1", "08", "06", "50");
	h_add_iface(h, H_PHONE, "1-4.1.5:1.0", "06", "01", "01");
	h_add_iface(h, H_PHONE, "1-4.1.5:1.1", "e0", "01", "03");
	h_add_iface(h, H_PHONE, "1-4.1.5:1.2", "0a", "00", "00");
	h_add_iface(h, H_YUBIKEY, "1-4.1.6:1.0", "03", "01", "01");
	h_add_iface(h, H_YUBIKEY, "1-4.1.6:1.1", "03", "00", "00");
	h_add_iface(h, H_YUBIKEY, "1-4.1.6:1.2", "0b", "00", "00");
	/* an interface whose current class contradicts the descriptors: never authorized */
	h_add_iface(h, H_TRACKBALL, "1-4.2:1.0", "08", "06", "50");
}

void h_setup(struct harness *h)
{
	static const char *const devs[] = {
	    H_USB1,	 H_USB1 "/1-4", H_HUB,	   H_STICK,  H_STICK_OK,  H_KBD,
	    H_COMPOSITE, H_PHONE,	H_YUBIKEY, H_CAMERA, H_TRACKBALL, H_USB1 "/1-4/1-4.4"};
	const char *src = getenv("MNG_SRCDIR");
	char path[512];
	GError *err = NULL;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	h->notify_fd = -1;
	if (!getenv("MNG_AGENT") || !getenv("MNG_AGENT")[0])
		fail_msg("MNG_AGENT is not set (run through make check-unit)");
	if (!src)
		src = ".";
	h->tb = umockdev_testbed_new();
	assert_non_null(h->tb);
	snprintf(path, sizeof(path), "%s/tests/data/umockdev/usbguard-devices.umockdev", src);
	if (!umockdev_testbed_add_from_file(h->tb, path, &err))
		fail_msg("%s: %s", path, err ? err->message : "?");
	snprintf(path, sizeof(path), "%s/tests/data/umockdev/demo-devices.umockdev", src);
	if (!umockdev_testbed_add_from_file(h->tb, path, &err))
		fail_msg("%s: %s", path, err ? err->message : "?");
	add_demo_ifaces(h);
	/* as if the kernel had authorized everything before the agent ran */
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		umockdev_testbed_set_attribute(h->tb, devs[i], "authorized", "1");
	umockdev_testbed_set_attribute(h->tb, H_USB1, "authorized_default", "1");
	umockdev_testbed_set_attribute(h->tb, H_USB1, "interface_authorized_default", "1");
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		umockdev_testbed_set_attribute(h->tb, devs[i], "remove", "0");

	snprintf(h->dir, sizeof(h->dir), "/tmp/mng-agent-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->conf, sizeof(h->conf), "%s/mnguard.conf", h->dir);
	snprintf(h->rules, sizeof(h->rules), "%s/rules.d", h->dir);
	snprintf(h->audit, sizeof(h->audit), "%s/log/audit.log", h->dir);
	snprintf(h->anchor, sizeof(h->anchor), "%s/state/audit.anchor", h->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/sock", h->dir);
	snprintf(h->notify, sizeof(h->notify), "%s/notify", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/agent.out", h->dir);
	assert_int_equal(mkdir(h->rules, 0755), 0);
	h_config(h, "helpdesk_contact = 情報政策課 ヘルプデスク 内線 1234\n");
}

void h_config(struct harness *h, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "# written by the agent test harness\n"
		 "rules_dir = %s\naudit_log = %s\nsocket = %s\nstate_dir = %s/state\n%s",
		 h->rules, h->audit, h->sock, h->dir, extra ? extra : "");
	write_file(h->conf, text, 0644);
}

void h_rules(struct harness *h, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", h->rules, name);
	write_file(path, text, 0644);
}

void h_rules_baseline(struct harness *h)
{
	const char *src = getenv("MNG_SRCDIR");
	char path[512], *text;

	snprintf(path, sizeof(path), "%s/rules/mynumber-terminal.rules", src ? src : ".");
	text = slurp(path);
	assert_true(strlen(text) > 100);
	h_rules(h, "90-mynumber-terminal.rules", text);
	free(text);
}

static void show_log(struct harness *h)
{
	char *out = slurp(h->log);

	fprintf(stderr, "---- mnguardd output ----\n%s-------------------------\n", out);
	free(out);
}

static pid_t spawn(struct harness *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pid_t pid;

	if (h->notify_fd < 0) {
		h->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(h->notify_fd >= 0);
		assert_true(strlen(h->notify) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, h->notify, strlen(h->notify) + 1);
		(void)unlink(h->notify);
		assert_int_equal(bind(h->notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("NOTIFY_SOCKET", h->notify, 1);
		if (h->watchdog)
			setenv("WATCHDOG_USEC", "100000", 1);
		else
			unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		execl(getenv("MNG_AGENT"), "mnguardd", "--foreground", "--config", h->conf,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Read notify datagrams for up to timeout_ms; true once one holds want. */
static bool wait_notify(struct harness *h, const char *want, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		struct pollfd p = {.fd = h->notify_fd, .events = POLLIN};
		char buf[4096];
		ssize_t n;
		int st;

		if (h->pid > 0 && waitpid(h->pid, &st, WNOHANG) == h->pid) {
			h->pid = -1;
			show_log(h);
			fail_msg("mnguardd exited (status %d) while waiting for %s", st, want);
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(h->notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, want))
			return true;
	}
	return false;
}

void h_start(struct harness *h)
{
	current = h;
	h->pid = spawn(h);
	if (!wait_notify(h, "READY=1", READY_TIMEOUT_MS)) {
		show_log(h);
		fail_msg("mnguardd did not send READY=1");
	}
	if (h->watchdog && !wait_notify(h, "WATCHDOG=1", 2000))
		fail_msg("mnguardd sent no WATCHDOG=1 within 2 s with WATCHDOG_USEC=100000");
}

int h_start_fail(struct harness *h, char **out)
{
	long end = now_ms() + READY_TIMEOUT_MS;
	pid_t pid = spawn(h);
	int st = 0;

	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fail_msg("mnguardd did not exit");
		}
		usleep(10000);
	}
	*out = slurp(h->log);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void h_signal(struct harness *h, int sig)
{
	assert_true(h->pid > 0);
	assert_int_equal(kill(h->pid, sig), 0);
}

void h_stop(struct harness *h)
{
	long end = now_ms() + 10000;
	int st = 0;

	if (h->pid <= 0)
		return;
	assert_int_equal(kill(h->pid, SIGTERM), 0);
	while (waitpid(h->pid, &st, WNOHANG) != h->pid) {
		drain();
		if (now_ms() > end) {
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			h->pid = -1;
			fail_msg("mnguardd did not stop on SIGTERM");
		}
		usleep(10000);
	}
	h->pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		show_log(h);
		fail_msg("mnguardd stopped with status %d", st);
	}
}

const char *h_attr(const char *devpath, const char *attr)
{
	static char buf[512];
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", devpath, attr);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

bool h_wait_attr(const char *devpath, const char *attr, const char *want, int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		drain();
		if (!strcmp(h_attr(devpath, attr), want))
			return true;
		if (now_ms() > end)
			return false;
		usleep(5000);
	}
}

size_t h_audit_count(struct harness *h, const char *n1, const char *n2, const char *n3)
{
	char *text = slurp(h->audit), *line, *save = NULL;
	size_t count = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((!n1 || strstr(line, n1)) && (!n2 || strstr(line, n2)) &&
		    (!n3 || strstr(line, n3)))
			count++;
	free(text);
	return count;
}

bool h_wait_audit(struct harness *h, const char *n1, const char *n2, const char *n3, size_t min,
		  int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	for (;;) {
		drain();
		if (h_audit_count(h, n1, n2, n3) >= min)
			return true;
		if (now_ms() > end)
			return false;
		usleep(5000);
	}
}

void h_dump(struct harness *h)
{
	char *text = slurp(h->audit);

	fprintf(stderr, "---- audit log ----\n%s-------------------\n", text);
	free(text);
	show_log(h);
}

void h_verify_audit(struct harness *h)
{
	struct mng_audit_report rep;

	assert_int_equal(mng_audit_verify(h->audit, h->anchor, &rep), 0);
	if (!rep.ok)
		fail_msg("audit log does not verify: %s", rep.reason);
	assert_true(rep.records >= 3);
}

static void hex_append(char *out, size_t size, const uint8_t *b, size_t n)
{
	size_t o = strlen(out), i;

	for (i = 0; i < n && o + 3 < size; i++, o += 2)
		snprintf(out + o, size - o, "%02X", b[i]);
}

/* Device descriptor, one configuration, one interface (no endpoints) per triple, as hex. */
static void descriptors_hex(char *hex, size_t size, unsigned vendor, unsigned product,
			    const char *const *ifaces, size_t n_ifaces)
{
	uint8_t dev[18] = {0x12, 0x01, 0x00,	      0x02,	   0x00,	   0x00,
			   0x00, 0x40, vendor & 0xff, vendor >> 8, product & 0xff, product >> 8,
			   0x00, 0x01, 0x01,	      0x02,	   0x00,	   0x01};
	uint8_t cfg[9] = {0x09, 0x02, 0, 0, (uint8_t)n_ifaces, 0x01, 0x00, 0x80, 0x32};
	unsigned total = 9 + 9 * (unsigned)n_ifaces;
	size_t i;

	hex[0] = '\0';
	cfg[2] = total & 0xff;
	cfg[3] = (uint8_t)(total >> 8);
	hex_append(hex, size, dev, sizeof(dev));
	hex_append(hex, size, cfg, sizeof(cfg));
	for (i = 0; i < n_ifaces; i++) {
		unsigned c, sc, pr;
		uint8_t itf[9] = {0x09, 0x04, (uint8_t)i, 0, 0, 0, 0, 0, 0};

		assert_int_equal(sscanf(ifaces[i], "%x:%x:%x", &c, &sc, &pr), 3);
		itf[5] = (uint8_t)c;
		itf[6] = (uint8_t)sc;
		itf[7] = (uint8_t)pr;
		hex_append(hex, size, itf, sizeof(itf));
	}
}

const char *h_add_usb(struct harness *h, const char *parent, const char *name, unsigned vendor,
		      unsigned product, const char *product_name, const char *const *ifaces,
		      size_t n_ifaces)
{
	static char syspath[512];
	char hex[2048], text[4096], ifname[64];
	GError *err = NULL;
	size_t i;

	descriptors_hex(hex, sizeof(hex), vendor, product, ifaces, n_ifaces);
	snprintf(syspath, sizeof(syspath), "%s/%s", parent, name);
	snprintf(text, sizeof(text),
		 "P: %s\nE: DEVTYPE=usb_device\nE: SUBSYSTEM=usb\nE: PRODUCT=%x/%x/100\n"
		 "A: authorized=1\nA: remove=0\nA: idVendor=%04x\nA: idProduct=%04x\n"
		 "A: product=%s\nA: serial=MNGTEST%s\nH: descriptors=%s\n",
		 syspath + 4, vendor, product, vendor, product, product_name, name, hex);
	if (!umockdev_testbed_add_from_string(h->tb, text, &err))
		fail_msg("adding %s: %s", syspath, err ? err->message : "?");
	for (i = 0; i < n_ifaces; i++) {
		char c[3], s[3], p[3];

		snprintf(ifname, sizeof(ifname), "%s:1.%zu", name, i);
		memcpy(c, ifaces[i], 2);
		memcpy(s, ifaces[i] + 3, 2);
		memcpy(p, ifaces[i] + 6, 2);
		c[2] = s[2] = p[2] = '\0';
		h_add_iface(h, syspath, ifname, c, s, p);
	}
	return syspath;
}

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

const char *h_add_usb_silent(struct harness *h, const char *parent, const char *name,
			     unsigned vendor, unsigned product, const char *const *ifaces,
			     size_t n_ifaces)
{
	static char syspath[512];
	char dir[900], link[1024], target[1024], text[256], *hex = NULL;
	gchar *root = umockdev_testbed_get_root_dir(h->tb);
	const char *p;
	uint8_t bin[1024];
	size_t i, n = 0, depth = 0;

	/* build the descriptors through the announced variant's encoder */
	hex = calloc(1, 4096);
	assert_non_null(hex);
	snprintf(syspath, sizeof(syspath), "%s/%s", parent, name);
	descriptors_hex(hex, 4096, vendor, product, ifaces, n_ifaces);
	for (i = 0; hex[i] && hex[i + 1] && n < sizeof(bin); i += 2) {
		unsigned b;

		assert_int_equal(sscanf(hex + i, "%2x", &b), 1);
		bin[n++] = (uint8_t)b;
	}
	free(hex);
	assert_true(strlen(root) + strlen(syspath) < sizeof(dir));
	snprintf(dir, sizeof(dir), "%s%s", root, syspath);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(text, sizeof(text), "DEVTYPE=usb_device\nPRODUCT=%x/%x/100\n", vendor, product);
	put(dir, "uevent", text, strlen(text));
	snprintf(text, sizeof(text), "%04x\n", vendor);
	put(dir, "idVendor", text, strlen(text));
	snprintf(text, sizeof(text), "%04x\n", product);
	put(dir, "idProduct", text, strlen(text));
	put(dir, "product", "Unannounced\n", 12);
	put(dir, "authorized", "1\n", 2);
	put(dir, "descriptors", bin, n);
	/* the links udev enumeration follows, relative as umockdev makes them */
	for (p = syspath + strlen("/sys/"); *p; p++)
		depth += *p == '/';
	depth++;
	target[0] = '\0';
	for (i = 0; i < depth; i++)
		strcat(target, "../");
	strcat(target, "bus/usb");
	snprintf(link, sizeof(link), "%s/subsystem", dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(link, sizeof(link), "%s/sys/bus/usb/devices/%s", root, name);
	snprintf(target, sizeof(target), "../../..%s", syspath + strlen("/sys"));
	assert_int_equal(symlink(target, link), 0);
	g_free(root);
	return syspath;
}

const char *h_add_block(struct harness *h, const char *parent, const char *name)
{
	static char syspath[512];
	char *p = umockdev_testbed_add_device(h->tb, "block", name, parent, "dev", "8:240", "ro",
					      "0", "size", "2048", NULL, "DEVTYPE", "disk",
					      "DEVNAME", name, NULL);

	assert_non_null(p);
	snprintf(syspath, sizeof(syspath), "%s", p);
	g_free(p);
	return syspath;
}

void h_uevent(struct harness *h, const char *path, const char *action)
{
	umockdev_testbed_uevent(h->tb, path, action);
}

static void rm_rf(const char *path)
{
	char cmd[300];

	if (strncmp(path, "/tmp/mng-agent-", 15))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

void h_teardown(struct harness *h)
{
	if (h->pid > 0)
		h_stop(h);
	if (h->notify_fd >= 0)
		close(h->notify_fd);
	if (current == h)
		current = NULL;
	if (h->tb)
		g_object_unref(h->tb);
	if (h->dir[0])
		rm_rf(h->dir);
	memset(h, 0, sizeof(*h));
}
