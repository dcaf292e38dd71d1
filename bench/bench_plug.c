// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_plug - plug-to-decision latency and idle memory of a USB guard
 * daemon (mnguardd or usbguard-daemon) on a umockdev testbed.
 *
 *   bench_plug -s usbguard|mnguard|floor -r RULES [-x DAEMON] [-n PLUGS] [-w WARMUP]
 *              [-T START_TIMEOUT_S] [-k] [-v]
 *
 * -x names the daemon (usbguard-daemon by default; required for mnguard),
 * -n the timed plugs (default 25), -w the untimed warm-up plugs before
 * them (default 3), -k keeps the work directory, -v prints every plug and
 * where the daemon's resident memory is. Runs as root.
 *
 * The benchmark makes a mount namespace of its own in which /sys is an
 * empty tmpfs, and runs the daemon there under umockdev's preload library,
 * which redirects /sys to the testbed: nothing can reach the machine's real
 * devices. The testbed itself lives on a tmpfs (sysfs is memory-backed);
 * rules, audit log and state stay on the disk of the work directory. The
 * daemon loads RULES, sees one xHCI root hub (bus 2) and is then shown one
 * USB stick after another (a SanDisk Cruzer Blade that no benchmark rule
 * matches: the worst case, every rule is looked at before the implicit
 * block), each on a port of its own (2-1, 2-2, ...), each unplugged again
 * before the next.
 *
 * How a stick reaches each daemon:
 *  - usbguard-daemon (DeviceManagerBackend=umockdev) keeps a testbed of its
 *    own and watches USBGUARD_UMOCKDEV_DEVICEDIR with inotify (IN_CREATE);
 *    for a new umockdev file there it adds the devices to its testbed
 *    (umockdev_testbed_add_from_string, which sends an "add" uevent) and
 *    calls umockdev_testbed_uevent "add" as well. The plug is a link(2) of a
 *    finished file into that directory (one IN_CREATE, the whole content
 *    there); the unplug is its unlink. It does not forget a sysfs path it
 *    has seen, hence the new port for every plug.
 *  - mnguardd runs with UMOCKDEV_DIR set to a testbed that this program
 *    owns (libumockdev, loaded with dlopen) and makes the same two calls.
 *  - floor: this program as a minimal responder (-R), which receives the
 *    uevent through libudev and writes "0" to authorized, nothing else: the
 *    testbed's own cost, below which no daemon can go.
 *
 * What is timed, the same way for all: a watcher thread (real-time
 * priority when allowed) holds an inotify watch on the root hub's directory
 * in the testbed. When the stick's directory appears it watches that too.
 * t0 is the creation of the stick's "port" link, the last entry umockdev
 * makes before it sends the "add" uevent: the moment the device is complete
 * in sysfs, when a kernel would announce it. t1 is the first write or
 * rename of "authorized" after which the file holds "0" (the stick is
 * defined with authorized=1, so a block is a change that cannot be missed
 * or confused with the testbed's own writes). The latency is t1 - t0. A
 * plug whose directory the watcher saw only after the stick was complete
 * is not a sample (it is counted as "late" and another stick is plugged).
 * from_plug_ms is the time from the plug (link; add_from_string call) to
 * t1, testbed work included.
 *
 * For mnguardd the agent's audit log must show every stick blocked by no
 * rule ("rule":"implicit").
 *
 * Idle memory: VmRSS (and VmHWM, RssAnon, RssFile) of the daemon process
 * once it has loaded the policy and judged the root hub and has then been
 * left alone for a second.
 *
 * Output, one line of key=value pairs on stdout:
 *   side= rules= plugs= median_ms= p10_ms= p90_ms= min_ms= max_ms= from_plug_ms=
 *   uevent_call_ms= rss_kib= hwm_kib= anon_kib= file_kib= startup_ms= late=
 *   watcher=fifo|normal decision=block
 * Exit status 0 on success, 1 when something failed (diagnostics and the
 * daemon's output on stderr), 2 for a bad command line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

#define MAX_STICKS 120
#define PCI_PATH "/devices/pci0000:00/0000:00:14.0"
#define HUB_PATH PCI_PATH "/usb2"
#define PRELOAD "libumockdev-preload.so.0"
#define SETTLE_MS 50
#define DECISION_TIMEOUT_MS 20000

enum side { SIDE_USBGUARD, SIDE_MNGUARD, SIDE_FLOOR };

struct opts {
	enum side side;
	const char *rules;
	const char *daemon;
	unsigned plugs, warmup, start_timeout_s;
	bool keep, verbose;
};

/* libumockdev, loaded at run time (for the testbed we own: mnguard and floor sides). */
struct umd {
	void *lib;
	void *(*testbed_new)(void);
	char *(*get_root_dir)(void *tb);
	int (*add_from_string)(void *tb, const char *text, void **error);
	void (*uevent)(void *tb, const char *devpath, const char *action);
	void (*remove_device)(void *tb, const char *syspath);
	void (*object_unref)(void *obj);
	void (*g_free)(void *p);
};

/* What the watcher thread and the main thread share, under lock. */
struct watch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ifd, hub_wd, dev_wd;
	char hub_dir[PATH_MAX];
	char dev_dir[PATH_MAX];
	char expect[32];      /* the stick's directory name, "" when not armed */
	double t_dir, t0, t1; /* stick directory made, stick complete, decision seen */
	bool done, late, stop;
};

static char workdir[PATH_MAX];
static char testbeds[PATH_MAX]; /* a tmpfs in our mount namespace */
static bool keep_workdir;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static pid_t daemon_pid = -1;

static void stop_daemon(void)
{
	int i;

	if (daemon_pid <= 0)
		return;
	(void)kill(daemon_pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = -1;
			return;
		}
		usleep(10000);
	}
	(void)kill(daemon_pid, SIGKILL);
	(void)waitpid(daemon_pid, NULL, 0);
	daemon_pid = -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

static void remove_workdir(void)
{
	if (!workdir[0] || keep_workdir)
		return;
	if (testbeds[0])
		(void)umount2(testbeds, MNT_DETACH);
	(void)nftw(workdir, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_plug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	stop_daemon();
	if (workdir[0]) {
		char log[PATH_MAX + 16];
		char buf[4096];
		FILE *f;

		snprintf(log, sizeof(log), "%s/daemon.log", workdir);
		f = fopen(log, "re");
		if (f) {
			size_t n;

			fputs("bench_plug: daemon output:\n", stderr);
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, n, stderr);
			fclose(f);
		}
	}
	remove_workdir();
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void path_join(char *out, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(out, len, "%s/%s", a, b) >= len)
		die("path too long: %s/%s", a, b);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s: write: %s", path, strerror(errno));
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		die("%s: %s", path, strerror(errno));
}

/* The whole file, NUL-terminated, or NULL when it cannot be read. Caller frees. */
static char *read_all(const char *path, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	if (!buf)
		die("out of memory");
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out;
	ssize_t n;

	if (in < 0)
		die("%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0)
		die("%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("%s: short write", to);
	if (n < 0 || fchmod(out, mode) < 0 || close(out) < 0)
		die("copy %s -> %s: %s", from, to, strerror(errno));
	close(in);
}

/* Rules in a file: lines that are neither empty nor comments. */
static unsigned long count_rules(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned long n = 0;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		const char *p = line + strspn(line, " \t");

		if (*p && *p != '#' && *p != '\n')
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* ---- device definitions (umockdev text format) ---- */

static void hex(char *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

/*
 * The xHCI controller, its USB 2.0 root hub (1d6b:0002) and the hub's
 * interface with one port per stick (usb2-port<N>/connect_type, which the
 * sticks' "port" links point to, as in a real sysfs: both daemons read
 * port/connect_type, and usbguard-daemon retries for ~40 ms when it is
 * missing).
 */
static void hub_definition(char *out, size_t len)
{
	static const unsigned char desc[] = {
	    18, 1, 0x00, 0x02, 9, 0,  1, 64, 0x6b, 0x1d, 0x02, 0x00, 0x01, 0x06, 3,
	    2,	1, 1,	 9,    2, 25, 0, 1,  1,	   0,	 0xe0, 0,    9,	   4,	 0,
	    0,	1, 9,	 0,    0, 0,  7, 5,  0x81, 3,	 4,    0,    12};
	char h[2 * sizeof(desc) + 1];
	size_t off;
	unsigned i;
	int n;

	hex(h, desc, sizeof(desc));
	n = snprintf(out, len,
		     "P: " PCI_PATH "\n"
		     "E: DRIVER=xhci_hcd\nE: PCI_CLASS=C0330\nE: PCI_ID=8086:A12F\n"
		     "E: PCI_SLOT_NAME=0000:00:14.0\nE: SUBSYSTEM=pci\n"
		     "A: class=0x0c0330\nA: vendor=0x8086\nA: device=0xa12f\n"
		     "\n"
		     "P: " HUB_PATH "\n"
		     "E: BUSNUM=002\nE: DEVNAME=/dev/bus/usb/002/001\nE: DEVNUM=001\n"
		     "E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: PRODUCT=1d6b/2/601\n"
		     "E: SUBSYSTEM=usb\n"
		     "A: authorized=1\nA: authorized_default=1\nA: bConfigurationValue=1\n"
		     "A: bDeviceClass=09\nA: bNumInterfaces= 1\nA: busnum=2\n"
		     "H: descriptors=%s\n"
		     "A: devnum=1\nA: devpath=0\nA: idProduct=0002\nA: idVendor=1d6b\n"
		     "A: interface_authorized_default=1\nA: manufacturer=Linux 6.1.0 xhci-hcd\n"
		     "A: maxchild=%u\nA: product=xHCI Host Controller\nA: serial=0000:00:14.0\n"
		     "A: speed=480\nA: version= 2.00\n"
		     "\n"
		     "P: " HUB_PATH "/2-0:1.0\n"
		     "E: DEVTYPE=usb_interface\nE: DRIVER=hub\nE: INTERFACE=9/0/0\n"
		     "E: PRODUCT=1d6b/2/601\nE: SUBSYSTEM=usb\nE: TYPE=9/0/1\n"
		     "A: authorized=1\nA: bAlternateSetting= 0\nA: bInterfaceClass=09\n"
		     "A: bInterfaceNumber=00\nA: bInterfaceProtocol=00\nA: bInterfaceSubClass=00\n"
		     "A: bNumEndpoints=01\n",
		     h, MAX_STICKS);
	if (n < 0 || (size_t)n >= len)
		die("hub definition too long");
	off = (size_t)n;
	for (i = 1; i <= MAX_STICKS; i++) {
		n = snprintf(out + off, len - off, "A: usb2-port%u/connect_type=hotplug\n", i);
		if (n < 0 || (size_t)n >= len - off)
			die("hub definition too long");
		off += (size_t)n;
	}
}

/* A SanDisk Cruzer Blade (0781:5567, one 08:06:50 interface) on port 2-<port>. */
static void stick_definition(char *out, size_t len, unsigned port)
{
	static const unsigned char desc[] = {
	    18,	  1,	0x00, 0x02, 0, 0, 0,	64, 0x81, 0x07, 0x67, 0x55, 0x00,
	    0x01, 1,	2,    3,    1, 9, 2,	32, 0,	  1,	1,    0,    0x80,
	    50,	  9,	4,    0,    0, 2, 8,	6,  0x50, 0,	7,    5,    0x81,
	    2,	  0x00, 0x02, 0,    7, 5, 0x02, 2,  0x00, 0x02, 0};
	char h[2 * sizeof(desc) + 1];
	unsigned devnum = port + 1;

	hex(h, desc, sizeof(desc));
	snprintf(out, len,
		 "P: " HUB_PATH "/2-%u\n"
		 "E: BUSNUM=002\nE: DEVNAME=/dev/bus/usb/002/%03u\nE: DEVNUM=%03u\n"
		 "E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: PRODUCT=781/5567/100\nE: SUBSYSTEM=usb\n"
		 "A: authorized=1\nA: bConfigurationValue=1\nA: bDeviceClass=00\n"
		 "A: bNumInterfaces= 1\nA: busnum=2\n"
		 "H: descriptors=%s\n"
		 "A: devnum=%u\nA: devpath=%u\nA: idProduct=5567\nA: idVendor=0781\n"
		 "A: manufacturer=SanDisk\nA: maxchild=0\nA: product=Cruzer Blade\n"
		 "A: removable=removable\nA: serial=4C530001230512117593\nA: speed=480\n"
		 "A: version= 2.00\n"
		 "L: port=../2-0:1.0/usb2-port%u\n",
		 port, devnum, devnum, h, devnum, port, port);
}

/* ---- starting the daemon in a sandbox ---- */

/*
 * Fork and exec argv (in the benchmark's sandbox, see make_sandbox) with env
 * (NAME=value strings) added to the environment, stdout and stderr to
 * <workdir>/daemon.log. Returns the pid.
 */
static pid_t spawn_daemon(char *const argv[], char *const env[])
{
	char log[PATH_MAX];
	pid_t pid;

	path_join(log, sizeof(log), workdir, "daemon.log");
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		size_t i;

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		/* The daemon must not outlive the benchmark, however it ends. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(124);
		for (i = 0; env[i]; i++)
			if (putenv(env[i]) < 0)
				_exit(125);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	daemon_pid = pid;
	return pid;
}

/*
 * A mount namespace of our own (the daemons inherit it) in which /sys is an
 * empty tmpfs, so nothing that escapes umockdev's preload can reach the
 * machine's devices, and <workdir>/tb, where the testbeds live, is a tmpfs
 * as sysfs is memory-backed (a testbed on a disk file system makes every
 * attribute write a journalled rename). The audit logs, rules and state stay
 * on the disk that holds workdir, as /var/log and /etc would.
 */
static void make_sandbox(char *ret_tb, size_t len)
{
	path_join(ret_tb, len, workdir, "tb");
	if (mkdir(ret_tb, 0700) < 0)
		die("%s: %s", ret_tb, strerror(errno));
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("cannot make a private mount namespace: %s", strerror(errno));
	if (mount("mnguard-bench-sys", "/sys", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k") < 0)
		die("cannot mount a tmpfs on /sys: %s", strerror(errno));
	if (mount("mnguard-bench-tb", ret_tb, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") <
	    0)
		die("cannot mount a tmpfs on %s: %s", ret_tb, strerror(errno));
}

static void check_alive(const char *what)
{
	int status;

	if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
		daemon_pid = -1;
		die("the daemon exited (status %d) %s",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, what);
	}
}

/* VmRSS, VmHWM, RssAnon and RssFile of pid, in KiB. */
static void read_rss(pid_t pid, long *ret_rss, long *ret_hwm, long *ret_anon, long *ret_file)
{
	char path[64];
	char *text, *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = read_all(path, 1 << 16);
	if (!text)
		die("%s: %s", path, strerror(errno));
	p = strstr(text, "VmRSS:");
	*ret_rss = p ? strtol(p + 6, NULL, 10) : -1;
	p = strstr(text, "VmHWM:");
	*ret_hwm = p ? strtol(p + 6, NULL, 10) : -1;
	p = strstr(text, "RssAnon:");
	*ret_anon = p ? strtol(p + 8, NULL, 10) : -1;
	p = strstr(text, "RssFile:");
	*ret_file = p ? strtol(p + 8, NULL, 10) : -1;
	free(text);
	if (*ret_rss <= 0)
		die("no VmRSS in %s", path);
}

/* -v: where the resident memory of pid is, by mapped file ("[anon]" for none). */
static void print_rss_by_mapping(pid_t pid)
{
	struct entry {
		char name[160];
		long kib;
	} top[64];
	char path[64], *text, *line, *save = NULL, cur[160] = "[anon]";
	size_t n = 0, i;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	text = read_all(path, 16u << 20);
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long lo, hi;
		long kib;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			/* a mapping's first line: range perms offset dev inode [name] */
			if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %*u %159[^\n]", cur) != 1)
				snprintf(cur, sizeof(cur), "[anon]");
		} else if (sscanf(line, "Rss: %ld kB", &kib) == 1) {
			for (i = 0; i < n && strcmp(top[i].name, cur); i++)
				;
			if (i == n && n < sizeof(top) / sizeof(top[0])) {
				snprintf(top[n].name, sizeof(top[n].name), "%s", cur);
				top[n++].kib = 0;
			}
			if (i < n)
				top[i].kib += kib;
		}
	}
	free(text);
	fprintf(stderr, "resident memory by mapping (KiB, 64 and over):\n");
	for (i = 0; i < n; i++)
		if (top[i].kib >= 64)
			fprintf(stderr, "  %6ld  %s\n", top[i].kib, top[i].name);
}

/* ---- usbguard-daemon ---- */

static char ug_devs[PATH_MAX], ug_stage[PATH_MAX], ug_audit[PATH_MAX], ug_tmp[PATH_MAX];

static void usbguard_start(const struct opts *o, char *ret_root, size_t rootlen)
{
	char conf[PATH_MAX], rules[PATH_MAX], text[2 * PATH_MAX + 1024], hub[16384];
	char empty_tb[PATH_MAX], path[PATH_MAX];
	static char env_dev[PATH_MAX + 64], env_tmp[PATH_MAX + 16], env_umd[PATH_MAX + 16];
	static char env_pre[] = "LD_PRELOAD=" PRELOAD;
	char *env[5];
	char *argv[5];
	double start, deadline;

	path_join(ug_devs, sizeof(ug_devs), workdir, "devices");
	path_join(ug_stage, sizeof(ug_stage), workdir, "staging");
	path_join(ug_audit, sizeof(ug_audit), workdir, "audit.log");
	path_join(ug_tmp, sizeof(ug_tmp), testbeds, "usbguard");
	path_join(empty_tb, sizeof(empty_tb), workdir, "empty-testbed");
	path_join(conf, sizeof(conf), workdir, "usbguard-daemon.conf");
	path_join(rules, sizeof(rules), workdir, "rules.conf");
	if (mkdir(ug_devs, 0700) < 0 || mkdir(ug_stage, 0700) < 0 || mkdir(ug_tmp, 0700) < 0 ||
	    mkdir(empty_tb, 0700) < 0)
		die("mkdir in %s: %s", workdir, strerror(errno));
	path_join(path, sizeof(path), empty_tb, "sys");
	if (mkdir(path, 0755) < 0)
		die("%s: %s", path, strerror(errno));

	/* The daemon insists on root-owned 0600 files. */
	copy_file(o->rules, rules, 0600);
	snprintf(text, sizeof(text),
		 "RuleFile=%s\nImplicitPolicyTarget=block\nPresentDevicePolicy=apply-policy\n"
		 "PresentControllerPolicy=keep\nInsertedDevicePolicy=apply-policy\n"
		 "AuthorizedDefault=none\nRestoreControllerDeviceState=false\n"
		 "DeviceManagerBackend=umockdev\nIPCAllowedUsers=\nIPCAllowedGroups=\n"
		 "DeviceRulesWithPort=false\nAuditBackend=FileAudit\nAuditFilePath=%s\n"
		 "HidePII=false\n",
		 rules, ug_audit);
	write_file(conf, text, 0600);
	hub_definition(hub, sizeof(hub));
	path_join(path, sizeof(path), ug_devs, "controller.umockdev");
	write_file(path, hub, 0600);

	snprintf(env_dev, sizeof(env_dev), "USBGUARD_UMOCKDEV_DEVICEDIR=%s", ug_devs);
	snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", ug_tmp);
	snprintf(env_umd, sizeof(env_umd), "UMOCKDEV_DIR=%s", empty_tb);
	env[0] = env_dev;
	env[1] = env_tmp;
	env[2] = env_umd;
	env[3] = env_pre;
	env[4] = NULL;
	argv[0] = (char *)o->daemon;
	argv[1] = (char *)(getenv("BENCH_PLUG_DEBUG")
			       ? "-k"
			       : "-K"); /* -K: no console log, its lightest setting */
	argv[2] = (char *)"-c";
	argv[3] = conf;
	argv[4] = NULL;

	start = now_ms();
	spawn_daemon(argv, env);
	deadline = start + o->start_timeout_s * 1000.0;

	/* Ready: the root hub's policy decision is in the audit log. */
	for (;;) {
		char *audit = read_all(ug_audit, 1 << 20);
		bool ready = audit && strstr(audit, "type='Policy.Device.Update'") &&
			     strstr(audit, "device.system_name='" HUB_PATH "'");

		free(audit);
		if (ready)
			break;
		check_alive("before it was ready");
		if (now_ms() > deadline)
			die("usbguard-daemon not ready after %u s", o->start_timeout_s);
		sleep_ms(5);
	}

	/* Its testbed is the one umockdev directory in its TMPDIR. */
	{
		DIR *d = opendir(ug_tmp);
		struct dirent *e;

		ret_root[0] = 0;
		if (!d)
			die("%s: %s", ug_tmp, strerror(errno));
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "umockdev.", 9)) {
				if (ret_root[0])
					die("more than one testbed in %s", ug_tmp);
				path_join(ret_root, rootlen, ug_tmp, e->d_name);
			}
		closedir(d);
		if (!ret_root[0])
			die("usbguard-daemon made no testbed in %s", ug_tmp);
	}
}

static void usbguard_plug(unsigned port)
{
	char def[4096], name[64], staged[PATH_MAX], live[PATH_MAX];

	snprintf(name, sizeof(name), "stick-%u.umockdev", port);
	path_join(staged, sizeof(staged), ug_stage, name);
	path_join(live, sizeof(live), ug_devs, name);
	stick_definition(def, sizeof(def), port);
	write_file(staged, def, 0600);
	if (link(staged, live) < 0)
		die("link %s: %s", live, strerror(errno));
}

static void usbguard_unplug(unsigned port)
{
	char name[64], live[PATH_MAX];

	snprintf(name, sizeof(name), "stick-%u.umockdev", port);
	path_join(live, sizeof(live), ug_devs, name);
	if (unlink(live) < 0)
		die("unlink %s: %s", live, strerror(errno));
}

/* ---- mnguardd ---- */

static struct umd umd;
static void *testbed;
static char mg_sock[PATH_MAX];

static void *sym(const char *name)
{
	void *p = dlsym(umd.lib, name);

	if (!p)
		die("libumockdev: no %s: %s", name, dlerror());
	return p;
}

static void umockdev_load(void)
{
	umd.lib = dlopen("libumockdev.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!umd.lib)
		die("cannot load libumockdev.so.0 (Debian package libumockdev0): %s", dlerror());
	umd.testbed_new = (void *(*)(void))sym("umockdev_testbed_new");
	umd.get_root_dir = (char *(*)(void *))sym("umockdev_testbed_get_root_dir");
	umd.add_from_string =
	    (int (*)(void *, const char *, void **))sym("umockdev_testbed_add_from_string");
	umd.uevent = (void (*)(void *, const char *, const char *))sym("umockdev_testbed_uevent");
	umd.remove_device = (void (*)(void *, const char *))sym("umockdev_testbed_remove_device");
	umd.object_unref = (void (*)(void *))sym("g_object_unref");
	umd.g_free = (void (*)(void *))sym("g_free");
}

/* One request on the agent socket; true when the reply says ok. */
static bool mnguard_status_ok(void)
{
	static const char req[] = "{\"v\":1,\"id\":1,\"op\":\"status\"}";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char reply[65537];
	struct pollfd pfd;
	ssize_t n;
	int fd;
	bool ok = false;

	if (strlen(mg_sock) >= sizeof(sa.sun_path))
		die("socket path too long: %s", mg_sock);
	strcpy(sa.sun_path, mg_sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) != 1)
		goto out;
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0)
		goto out;
	reply[n] = 0;
	ok = strstr(reply, "\"ok\":true") || strstr(reply, "\"ok\": true");
out:
	close(fd);
	return ok;
}

/*
 * The testbed we own (mnguard and floor sides): umockdev_testbed_new()
 * makes it under TMPDIR and sets UMOCKDEV_DIR; the root hub goes in before
 * the daemon starts, as a present device.
 */
static void own_testbed(char *ret_root, size_t rootlen)
{
	char tmp[PATH_MAX], hub[16384], *root;

	path_join(tmp, sizeof(tmp), testbeds, "own");
	if (mkdir(tmp, 0700) < 0)
		die("%s: %s", tmp, strerror(errno));
	umockdev_load();
	if (setenv("TMPDIR", tmp, 1) < 0)
		die("setenv: %s", strerror(errno));
	testbed = umd.testbed_new();
	if (!testbed)
		die("umockdev_testbed_new failed");
	root = umd.get_root_dir(testbed);
	if ((size_t)snprintf(ret_root, rootlen, "%s", root) >= rootlen)
		die("testbed path too long");
	umd.g_free(root);
	hub_definition(hub, sizeof(hub));
	if (!umd.add_from_string(testbed, hub, NULL))
		die("umockdev could not add the root hub");
}

/*
 * The floor: this program itself as the daemon (-R), doing the least any
 * guard must do (receive the uevent through libudev, write "0" to
 * authorized), on the same testbed under the same preload. What the real
 * daemons take above it is their own work.
 */
static void floor_start(const struct opts *o, char *ret_root, size_t rootlen)
{
	static char env_umd[PATH_MAX + 16], env_pre[] = "LD_PRELOAD=" PRELOAD;
	char ready[PATH_MAX], *env[3], *argv[4];
	double deadline;
	struct stat st;

	own_testbed(ret_root, rootlen);
	path_join(ready, sizeof(ready), workdir, "ready");
	snprintf(env_umd, sizeof(env_umd), "UMOCKDEV_DIR=%s", ret_root);
	env[0] = env_umd;
	env[1] = env_pre;
	env[2] = NULL;
	argv[0] = (char *)"/proc/self/exe";
	argv[1] = (char *)"-R";
	argv[2] = ready;
	argv[3] = NULL;
	spawn_daemon(argv, env);
	deadline = now_ms() + o->start_timeout_s * 1000.0;
	while (stat(ready, &st) < 0) {
		check_alive("before it was ready");
		if (now_ms() > deadline)
			die("the floor responder was not ready after %u s", o->start_timeout_s);
		sleep_ms(5);
	}
}

/* -R READYFILE: the floor responder (runs under the preload, in the testbed). */
static int responder(const char *ready)
{
	struct udev *u = udev_new();
	struct udev_monitor *m = u ? udev_monitor_new_from_netlink(u, "kernel") : NULL;

	if (!m || udev_monitor_filter_add_match_subsystem_devtype(m, "usb", "usb_device") < 0 ||
	    udev_monitor_enable_receiving(m) < 0) {
		fprintf(stderr, "responder: cannot monitor uevents\n");
		return 1;
	}
	write_file(ready, "", 0600);
	for (;;) {
		struct pollfd pfd = {.fd = udev_monitor_get_fd(m), .events = POLLIN};
		struct udev_device *d;
		const char *action;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return 1;
		d = udev_monitor_receive_device(m);
		if (!d)
			continue;
		action = udev_device_get_action(d);
		if (action && !strcmp(action, "add")) {
			char path[PATH_MAX];
			int fd;

			snprintf(path, sizeof(path), "%s/authorized", udev_device_get_syspath(d));
			fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "0", 1) != 1)
					fprintf(stderr, "responder: %s: short write\n", path);
				close(fd);
			}
		}
		udev_device_unref(d);
	}
}

static void mnguard_start(const struct opts *o, char *ret_root, size_t rootlen)
{
	char conf[PATH_MAX], rules_dir[PATH_MAX], rules[PATH_MAX], state[PATH_MAX];
	char audit[PATH_MAX], text[4 * PATH_MAX + 256];
	static char env_umd[PATH_MAX + 16], env_pre[] = "LD_PRELOAD=" PRELOAD;
	char *env[3], *argv[5];
	double start, deadline;

	path_join(rules_dir, sizeof(rules_dir), workdir, "rules.d");
	path_join(rules, sizeof(rules), rules_dir, "50-bench.rules");
	path_join(state, sizeof(state), workdir, "state");
	path_join(audit, sizeof(audit), workdir, "audit.log");
	path_join(mg_sock, sizeof(mg_sock), workdir, "mnguardd.sock");
	path_join(conf, sizeof(conf), workdir, "mnguard.conf");
	if (mkdir(rules_dir, 0755) < 0 || mkdir(state, 0700) < 0)
		die("mkdir in %s: %s", workdir, strerror(errno));
	copy_file(o->rules, rules, 0644);
	snprintf(text, sizeof(text),
		 "rules_dir=%s\naudit_log=%s\nsocket=%s\nstate_dir=%s\n"
		 "helpdesk_contact=bench\n",
		 rules_dir, audit, mg_sock, state);
	write_file(conf, text, 0644);

	own_testbed(ret_root, rootlen);
	snprintf(env_umd, sizeof(env_umd), "UMOCKDEV_DIR=%s", ret_root);
	env[0] = env_umd;
	env[1] = env_pre;
	env[2] = NULL;
	argv[0] = (char *)o->daemon;
	argv[1] = (char *)"--foreground";
	argv[2] = (char *)"--config";
	argv[3] = conf;
	argv[4] = NULL;
	start = now_ms();
	spawn_daemon(argv, env);
	deadline = start + o->start_timeout_s * 1000.0;
	/* Ready: the agent answers a status request (it has loaded the policy by then). */
	while (!mnguard_status_ok()) {
		check_alive("before it was ready");
		if (now_ms() > deadline)
			die("mnguardd not ready after %u s", o->start_timeout_s);
		sleep_ms(5);
	}
}

/*
 * Every stick must have been blocked by no rule at all ("rule":"implicit"
 * in the agent's audit log): the worst case the benchmark promises, where
 * the whole policy is looked at.
 */
static void mnguard_check_audit(unsigned sticks)
{
	char path[PATH_MAX];
	char *text, *line, *save = NULL;
	unsigned implicit = 0;

	path_join(path, sizeof(path), workdir, "audit.log");
	text = read_all(path, 64u << 20);
	if (!text)
		die("%s: %s", path, strerror(errno));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "\"event\":\"device.block\"") || !strstr(line, "Cruzer Blade"))
			continue;
		if (!strstr(line, "\"rule\":\"implicit\""))
			die("a rule matched the stick, the benchmark needs none to: %s", line);
		implicit++;
	}
	free(text);
	if (implicit < sticks)
		die("the audit log shows %u implicit blocks of the stick for %u plugs", implicit,
		    sticks);
}

/* Add the stick to our testbed; returns how long the explicit uevent call took, in ms. */
static double own_plug(unsigned port)
{
	double t;

	char def[4096], sys[PATH_MAX];

	stick_definition(def, sizeof(def), port);
	snprintf(sys, sizeof(sys), "/sys" HUB_PATH "/2-%u", port);
	if (!umd.add_from_string(testbed, def, NULL))
		die("umockdev could not add the stick on port 2-%u", port);
	/* As usbguard-daemon's umockdev backend does (add_from_string sends one "add" too). */
	t = now_ms();
	umd.uevent(testbed, sys, "add");
	return now_ms() - t;
}

static void own_unplug(unsigned port)
{
	char sys[PATH_MAX];

	snprintf(sys, sizeof(sys), "/sys" HUB_PATH "/2-%u", port);
	umd.uevent(testbed, sys, "remove");
	umd.remove_device(testbed, sys);
}

/* ---- the watcher ---- */

/* Called with w->lock held: has "authorized" become "0"? */
static void check_authorized(struct watch *w, double t)
{
	char path[PATH_MAX + 16], buf[8];
	int fd;
	ssize_t n;

	if (w->done || !w->dev_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/authorized", w->dev_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n >= 1 && buf[0] == '0') {
		w->t1 = t;
		w->done = true;
		pthread_cond_signal(&w->cond);
	}
}

static void *watcher(void *arg)
{
	struct watch *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd pfd = {.fd = w->ifd, .events = POLLIN};
		ssize_t len;
		char *p;
		double t;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		len = read(w->ifd, buf, sizeof(buf));
		t = now_ms();
		if (len <= 0)
			continue;
		pthread_mutex_lock(&w->lock);
		for (p = buf; p < buf + len;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			p += sizeof(*e) + e->len;
			if (!w->expect[0] || w->done)
				continue;
			if (e->wd == w->hub_wd && (e->mask & IN_CREATE) && e->len &&
			    !strcmp(e->name, w->expect) && w->dev_wd < 0) {
				char link[PATH_MAX + 8];
				struct stat st;

				w->t_dir = t;
				path_join(w->dev_dir, sizeof(w->dev_dir), w->hub_dir, w->expect);
				w->dev_wd = inotify_add_watch(w->ifd, w->dev_dir,
							      IN_MODIFY | IN_CLOSE_WRITE |
								  IN_MOVED_TO | IN_CREATE);
				/* Whatever happened before the watch is seen late: say so. */
				snprintf(link, sizeof(link), "%s/port", w->dev_dir);
				if (lstat(link, &st) == 0) {
					w->t0 = now_ms();
					w->late = true;
				}
				check_authorized(w, now_ms());
				if (w->done)
					w->late = true;
			} else if (e->wd == w->dev_wd && e->len && !strcmp(e->name, "port") &&
				   (e->mask & IN_CREATE) && w->t0 == 0) {
				w->t0 = t;
			} else if (e->wd == w->dev_wd && e->len && !strcmp(e->name, "authorized")) {
				check_authorized(w, t);
			}
		}
		if (w->done && w->t0 == 0) {
			w->t0 = w->t_dir;
			w->late = true;
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static double quantile(const double *v, unsigned n, double q)
{
	unsigned i = (unsigned)(q * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_plug -s usbguard|mnguard|floor -r RULES [-x DAEMON] [-n PLUGS] "
		"[-w WARMUP] [-T START_TIMEOUT_S] [-k] [-v]\n");
	exit(2);
}

static unsigned parse_uint(const char *s, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		usage();
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	struct opts o = {.plugs = 25, .warmup = 3, .start_timeout_s = 300};
	static struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .dev_wd = -1};
	static double lat[MAX_STICKS], from_plug[MAX_STICKS], ucall[MAX_STICKS];
	char root[PATH_MAX], tmpl[PATH_MAX];
	const char *side = NULL, *base;
	pthread_condattr_t ca;
	pthread_t thr;
	long rss, hwm, anon, file;
	double t_start, startup;
	unsigned port, valid = 0, late = 0;
	bool fifo;
	int c;

	if (argc == 3 && !strcmp(argv[1], "-R"))
		return responder(argv[2]);
	while ((c = getopt(argc, argv, "s:r:x:n:w:T:kv")) != -1) {
		switch (c) {
		case 's':
			side = optarg;
			break;
		case 'r':
			o.rules = optarg;
			break;
		case 'x':
			o.daemon = optarg;
			break;
		case 'n':
			o.plugs = parse_uint(optarg, MAX_STICKS);
			break;
		case 'w':
			o.warmup = parse_uint(optarg, MAX_STICKS);
			break;
		case 'T':
			o.start_timeout_s = parse_uint(optarg, 3600);
			break;
		case 'k':
			o.keep = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!side || !o.rules || optind != argc || o.plugs == 0 || o.plugs + o.warmup > MAX_STICKS)
		usage();
	if (!strcmp(side, "usbguard")) {
		o.side = SIDE_USBGUARD;
		if (!o.daemon)
			o.daemon = "usbguard-daemon";
	} else if (!strcmp(side, "mnguard")) {
		o.side = SIDE_MNGUARD;
		if (!o.daemon)
			usage();
	} else if (!strcmp(side, "floor")) {
		o.side = SIDE_FLOOR;
	} else {
		usage();
	}
	if (geteuid() != 0)
		die("must run as root (the daemons need it, and so does the /sys sandbox)");
	/*
	 * Under the preload ourselves, on both sides alike: umockdev_testbed_uevent
	 * looks the device up through libudev, which must see the testbed, and
	 * the watcher's file reads then cost the same whichever daemon runs.
	 */
	{
		const char *pre = getenv("LD_PRELOAD");

		if (!pre || !strstr(pre, "libumockdev-preload")) {
			if (setenv("LD_PRELOAD", PRELOAD, 1) < 0)
				die("setenv: %s", strerror(errno));
			execv("/proc/self/exe", argv);
			die("re-exec under %s: %s", PRELOAD, strerror(errno));
		}
	}
	keep_workdir = o.keep;
	signal(SIGPIPE, SIG_IGN);

	base = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/mnguard-plug.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		die("mkdtemp %s: %s", tmpl, strerror(errno));
	snprintf(workdir, sizeof(workdir), "%s", tmpl);
	make_sandbox(testbeds, sizeof(testbeds));

	t_start = now_ms();
	if (o.side == SIDE_USBGUARD)
		usbguard_start(&o, root, sizeof(root));
	else if (o.side == SIDE_MNGUARD)
		mnguard_start(&o, root, sizeof(root));
	else
		floor_start(&o, root, sizeof(root));
	startup = now_ms() - t_start;

	/* Idle: left alone for a second after start-up and policy load. */
	sleep_ms(1000);
	check_alive("while idle");
	read_rss(daemon_pid, &rss, &hwm, &anon, &file);
	if (o.verbose)
		print_rss_by_mapping(daemon_pid);

	w.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w.ifd < 0)
		die("inotify_init1: %s", strerror(errno));
	snprintf(w.hub_dir, sizeof(w.hub_dir), "%s/sys" HUB_PATH, root);
	w.hub_wd = inotify_add_watch(w.ifd, w.hub_dir, IN_CREATE);
	if (w.hub_wd < 0)
		die("inotify %s: %s", w.hub_dir, strerror(errno));
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	if (pthread_create(&thr, NULL, watcher, &w))
		die("pthread_create failed");
	/*
	 * The watcher sleeps in poll() and wakes for a few microseconds per
	 * event; real-time priority makes it see each event when it happens,
	 * not when a busy CPU gets round to it.
	 */
	{
		struct sched_param sp = {.sched_priority = 50};

		fifo = pthread_setschedparam(thr, SCHED_FIFO, &sp) == 0;
	}

	/*
	 * Warm-up plugs first, then plugs until o.plugs samples are in. A plug
	 * whose stick the watcher saw complete only late (its clock would start
	 * late) is not a sample; it is counted, and another stick is plugged.
	 */
	for (port = 1; valid < o.plugs; port++) {
		double t_plug, t_ucall = 0;
		struct timespec dl;
		bool ok, counted;
		int rc = 0;

		if (port > MAX_STICKS)
			die("only %u of %u plugs were timed cleanly (%u seen late)", valid, o.plugs,
			    late);
		pthread_mutex_lock(&w.lock);
		snprintf(w.expect, sizeof(w.expect), "2-%u", port);
		w.t_dir = w.t0 = w.t1 = 0;
		w.done = w.late = false;
		w.dev_dir[0] = 0;
		w.dev_wd = -1;
		pthread_mutex_unlock(&w.lock);

		t_plug = now_ms();
		if (o.side == SIDE_USBGUARD)
			usbguard_plug(port);
		else
			t_ucall = own_plug(port);

		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += DECISION_TIMEOUT_MS / 1000;
		pthread_mutex_lock(&w.lock);
		while (!w.done && rc == 0)
			rc = pthread_cond_timedwait(&w.cond, &w.lock, &dl);
		ok = w.done;
		if (w.dev_wd >= 0)
			(void)inotify_rm_watch(w.ifd, w.dev_wd);
		w.dev_wd = -1;
		w.expect[0] = 0;
		counted = ok && port > o.warmup;
		if (counted && w.late) {
			late++;
		} else if (counted) {
			lat[valid] = w.t1 - w.t0;
			from_plug[valid] = w.t1 - t_plug;
			ucall[valid] = t_ucall;
			valid++;
		}
		if (ok && o.verbose)
			fprintf(stderr,
				"plug 2-%u: %.3f ms (%.3f ms from the plug; directory made %.3f ms "
				"after the plug, complete %.3f ms after that)%s%s\n",
				port, w.t1 - w.t0, w.t1 - t_plug, w.t_dir - t_plug, w.t0 - w.t_dir,
				port <= o.warmup ? " warm-up" : "",
				w.late ? " seen late, not a sample" : "");
		pthread_mutex_unlock(&w.lock);
		if (!ok) {
			check_alive("during a plug");
			die("no block decision for the stick on port 2-%u within %d ms", port,
			    DECISION_TIMEOUT_MS);
		}

		/* Let the daemon finish its own follow-up work, then unplug. */
		sleep_ms(SETTLE_MS);
		if (o.side == SIDE_USBGUARD) {
			char dev[PATH_MAX + 16];
			struct stat st;
			double until = now_ms() + 10000;

			usbguard_unplug(port);
			snprintf(dev, sizeof(dev), "%s/2-%u", w.hub_dir, port);
			while (stat(dev, &st) == 0) {
				if (now_ms() > until)
					die("usbguard-daemon did not remove 2-%u", port);
				sleep_ms(1);
			}
		} else {
			own_unplug(port);
		}
		sleep_ms(SETTLE_MS);
	}
	check_alive("after the plugs");
	if (o.side == SIDE_MNGUARD)
		mnguard_check_audit(port - 1);

	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_mutex_unlock(&w.lock);
	pthread_join(thr, NULL);
	stop_daemon();
	if (testbed)
		umd.object_unref(testbed);
	remove_workdir();

	{
		double m = median(lat, o.plugs);
		double fp = median(from_plug, o.plugs);
		double uc = median(ucall, o.plugs);

		printf("side=%s rules=%lu plugs=%u median_ms=%.3f p10_ms=%.3f p90_ms=%.3f "
		       "min_ms=%.3f max_ms=%.3f from_plug_ms=%.3f uevent_call_ms=%.3f rss_kib=%ld "
		       "hwm_kib=%ld anon_kib=%ld file_kib=%ld startup_ms=%.0f late=%u watcher=%s "
		       "decision=block\n",
		       side, count_rules(o.rules), o.plugs, m, quantile(lat, o.plugs, 0.1),
		       quantile(lat, o.plugs, 0.9), lat[0], lat[o.plugs - 1], fp, uc, rss, hwm,
		       anon, file, startup, late, fifo ? "fifo" : "normal");
	}
	return 0;
}
