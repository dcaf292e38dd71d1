// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_pam - CPU time of one FIDO2 login through the full PAM stack, for
 * pam_mnguard.so and for Debian's pam_u2f.so, with the same software key and
 * the same credential, the key's own CPU time taken out. Used by bench/pam.sh.
 *
 *   bench_pam [-r RUNS] [-w WARMUP] [-s mnguard|u2f] PAM_MNGUARD_SO LIBSOFTKEY_SO SOFTKEY_CTL
 *
 * As root. It builds a private tree (softkey state, credential files, PAM
 * service files), enrols one credential with pamu2fcfg under the softkey
 * shim, writes it both as pam_u2f's mapping line and as mnguard's
 * credential line, and re-executes itself with pam_wrapper and the softkey
 * preloaded. Then, WARMUP untimed logins and RUNS timed logins per module,
 * the two modules taking turns: pam_start, pam_authenticate, pam_end of
 * user root, the conversation answering the PIN. -s runs one side only (to
 * profile it).
 *
 * The software key runs inside the process, in libfido2's io callbacks
 * (softkey_io from libsoftkey.so). Before the first login those callbacks
 * are wrapped with ones that add the thread CPU time spent inside them to a
 * counter; a login's figure is the process CPU time (CLOCK_PROCESS_CPUTIME_ID,
 * user + system) across it minus what the key used meanwhile.
 *
 * Prints one line per module:
 *   side=mnguard runs=N net_us=.. gross_us=.. key_us=.. auth_net_us=.. p90_net_us=.. wall_ms=..
 *   key_calls=..
 * medians (p90: 90th percentile) of: net, the whole transaction minus the
 * key; gross, the whole transaction; key, the key's part; auth_net,
 * pam_authenticate alone minus the key; wall, the transaction's wall time;
 * key_calls, calls into the key's callbacks.
 * Exit status 0 when every login succeeded, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fido.h>
#include <security/pam_appl.h>

#include "cred.h"

#define RP "mnguard.test"
#define PIN "1234"
#define USER "root"
#define PAM_U2F "/lib/x86_64-linux-gnu/security/pam_u2f.so"
#define PAMU2FCFG "/usr/bin/pamu2fcfg"
#define RUNS_MAX 100000

static char dir[64];
static bool measuring; /* the work tree exists: every failure removes it */

static void remove_tree(void)
{
	char rm[128];

	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_pam: cannot remove %s\n", dir);
}

static __attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_pam: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (measuring)
		remove_tree();
	exit(1);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	(void)unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode))
		die("cannot write %s", p);
	close(fd);
}

/* Runs cmd through the shell; its output (up to cap - 1 bytes) in out. */
static int sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	if (!p)
		return -1;
	if (out && cap) {
		n = fread(out, 1, cap - 1, p);
		out[n] = '\0';
	}
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* P-256 SubjectPublicKeyInfo header; the point x||y follows */
static const uint8_t spki_p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

/* mnguard's credential line for pamu2fcfg's "user:keyHandle,publicKey,es256,+opts". */
static char *cred_line(const char *u2f, const char *aaguid)
{
	const char *kh = strchr(u2f, ':'), *pk, *end;
	uint8_t id[MNG_CRED_ID_MAX], point[65], der[sizeof(spki_p256) + 64];
	struct mng_cred c = {0};
	char *line = NULL;
	int idn, pkn, i;

	if (!kh || !(pk = strchr(++kh, ',')) || !(end = strchr(++pk, ',')) ||
	    strncmp(end, ",es256,", 7) != 0 || strlen(aaguid) < 32)
		die("unexpected pamu2fcfg output: %s", u2f);
	idn = mng_b64_decode(kh, (size_t)(pk - 1 - kh), 0, id, sizeof(id));
	pkn = mng_b64_decode(pk, (size_t)(end - pk), 0, point, sizeof(point));
	if (idn <= 0 || pkn != 64)
		die("bad key handle or public key in: %s", u2f);
	memcpy(der, spki_p256, sizeof(spki_p256));
	memcpy(der + sizeof(spki_p256), point, 64);
	snprintf(c.user, sizeof(c.user), "%s", USER);
	c.id = id;
	c.id_len = (size_t)idn;
	c.type = MNG_CRED_ES256;
	c.pk = der;
	c.pk_len = sizeof(der);
	c.flags = MNG_CRED_F_UP | MNG_CRED_F_UV;
	for (i = 0; i < 16; i++) {
		int h = hexval(aaguid[2 * i]), l = hexval(aaguid[2 * i + 1]);

		if (h < 0 || l < 0)
			die("bad aaguid %s", aaguid);
		c.aaguid[i] = (uint8_t)(h << 4 | l);
	}
	snprintf(c.label, sizeof(c.label), "softkey");
	snprintf(c.enrolled, sizeof(c.enrolled), "2026-11-25T09:30:00Z");
	snprintf(c.operator_, sizeof(c.operator_), "helpdesk01");
	if (mng_cred_format(&c, &line) < 0)
		die("%s", "mng_cred_format failed");
	return line;
}

/* Before the re-exec: the tree, the enrolment, the service files, the environment. */
static int prepare(char **argv, const char *mod, const char *sk, const char *skctl)
{
	static const char *const wrappers[] = {"/usr/lib/x86_64-linux-gnu/libpam_wrapper.so",
					       "/usr/lib64/libpam_wrapper.so",
					       "/usr/lib/libpam_wrapper.so"};
	char tmpl[] = "/tmp/mng-bench-pam-XXXXXX", modabs[PATH_MAX], skabs[PATH_MAX];
	char ctlabs[PATH_MAX], key[128], cmd[2 * PATH_MAX + 512], u2f[8192], show[4096];
	char text[2 * PATH_MAX + 512], *preload = NULL, *line, *a;
	const char *wrap = NULL, *old = getenv("LD_PRELOAD");
	size_t i;

	if (geteuid() != 0)
		die("%s", "needs root (pam_mnguard reads only root-owned files)");
	for (i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (access(wrappers[i], R_OK) == 0)
			wrap = wrappers[i];
	if (!wrap)
		die("%s", "libpam_wrapper.so not found (Debian package libpam-wrapper)");
	if (access(PAM_U2F, R_OK) != 0 || access(PAMU2FCFG, X_OK) != 0)
		die("%s",
		    "pam_u2f.so or pamu2fcfg missing (Debian packages libpam-u2f, pamu2fcfg)");
	if (!realpath(mod, modabs) || !realpath(sk, skabs) || !realpath(skctl, ctlabs))
		die("%s", "pam_mnguard.so, libsoftkey.so or softkey-ctl not found");
	if (!mkdtemp(tmpl) || chmod(tmpl, 0755) < 0)
		die("%s", "cannot make the work directory");
	snprintf(dir, sizeof(dir), "%s", tmpl);
	measuring = true; /* from here on a failure removes the tree */
	for (i = 0; i < 4; i++) {
		static const char *const sub[] = {"svc", "etc", "var", "keys"};
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdir(p, 0755) < 0)
			die("cannot make %s", p);
	}

	/* one key, one credential (pamu2fcfg reads a PIN only from a terminal: PIN after) */
	snprintf(key, sizeof(key), "%s/keys/key.state", dir);
	snprintf(cmd, sizeof(cmd), "'%s' init '%s' >/dev/null", ctlabs, key);
	if (sh(cmd, NULL, 0) != 0)
		die("%s failed", cmd);
	snprintf(cmd, sizeof(cmd),
		 "LD_PRELOAD='%s' SOFTKEY_STATE='%s' " PAMU2FCFG " -u " USER " -o " RP " -i " RP
		 " -N -V </dev/null",
		 skabs, key);
	if (sh(cmd, u2f, sizeof(u2f)) != 0 || strncmp(u2f, USER ":", strlen(USER) + 1) != 0)
		die("%s failed", cmd);
	u2f[strcspn(u2f, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "'%s' set '%s' pin=" PIN " >/dev/null", ctlabs, key);
	if (sh(cmd, NULL, 0) != 0)
		die("%s failed", cmd);
	snprintf(cmd, sizeof(cmd), "'%s' show '%s'", ctlabs, key);
	if (sh(cmd, show, sizeof(show)) != 0 || !(a = strstr(show, "aaguid=")))
		die("%s failed", cmd);
	line = cred_line(u2f, a + 7);
	snprintf(text, sizeof(text), "%s\n", line);
	free(line);
	put("etc/credentials", text, 0644);
	strcat(u2f, "\n");
	put("etc/u2f_keys", u2f, 0644);

	snprintf(text, sizeof(text),
		 "rp_id = " RP "\ncredentials = %s/etc/credentials\ncounters = %s/var/counters\n"
		 "socket = %s/no-agent.sock\nfido_timeout = 10\n",
		 dir, dir, dir);
	put("etc/mnguard.conf", text, 0644);
	snprintf(text, sizeof(text), "auth required %s config=%s/etc/mnguard.conf\n", modabs, dir);
	put("svc/bench-mnguard", text, 0644);
	snprintf(text, sizeof(text),
		 "auth required " PAM_U2F " authfile=%s/etc/u2f_keys origin=" RP " appid=" RP
		 " userpresence=1 userverification=1 pinverification=1 cue\n",
		 dir);
	put("svc/bench-u2f", text, 0644);
	put("svc/other", "auth required /lib/x86_64-linux-gnu/security/pam_deny.so\n", 0644);

	if (asprintf(&preload, "%s %s%s%s", wrap, skabs, old ? " " : "", old ? old : "") < 0)
		return 1;
	setenv("LD_PRELOAD", preload, 1);
	setenv("PAM_WRAPPER", "1", 1);
	snprintf(text, sizeof(text), "%s/svc", dir);
	setenv("PAM_WRAPPER_SERVICE_DIR", text, 1);
	setenv("SOFTKEY_STATE", key, 1);
	setenv("MNG_BENCH_PAM_DIR", dir, 1);
	setenv("LC_ALL", "C", 1);
	execv("/proc/self/exe", argv);
	die("exec: %s", strerror(errno));
	return 1;
}

/* ---- the key's own CPU time ---- */

static fido_dev_io_t key_io; /* the softkey's callbacks */
static uint64_t key_ns;	     /* CPU time spent inside them */
static uint64_t key_calls;   /* and how many calls */

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *timed_open(const char *path)
{
	uint64_t t = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	void *h = key_io.open(path);

	key_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t;
	key_calls++;
	return h;
}

static void timed_close(void *h)
{
	uint64_t t = cpu_ns(CLOCK_THREAD_CPUTIME_ID);

	key_io.close(h);
	key_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t;
	key_calls++;
}

static int timed_read(void *h, unsigned char *buf, size_t len, int ms)
{
	uint64_t t = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	int r = key_io.read(h, buf, len, ms);

	key_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t;
	key_calls++;
	return r;
}

static int timed_write(void *h, const unsigned char *buf, size_t len)
{
	uint64_t t = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	int r = key_io.write(h, buf, len);

	key_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t;
	key_calls++;
	return r;
}

/*
 * Replace the callbacks in libsoftkey's softkey_io table (read-only after
 * relocation, so the page is made writable for the four stores). The shim
 * hands that table to libfido2 on every open, so every later login goes
 * through the timed versions.
 */
static void wrap_key_io(void)
{
	fido_dev_io_t *io = dlsym(RTLD_DEFAULT, "softkey_io");
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;

	if (!io || pg <= 0)
		die("%s", "softkey_io not found: is libsoftkey.so preloaded?");
	lo = (uintptr_t)io & ~((uintptr_t)pg - 1);
	hi = ((uintptr_t)io + sizeof(*io) + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) < 0)
		die("mprotect: %s", strerror(errno));
	key_io = *io;
	io->open = timed_open;
	io->close = timed_close;
	io->read = timed_read;
	io->write = timed_write;
	(void)mprotect((void *)lo, hi - lo, PROT_READ);
}

/* ---- PAM, reached through pam_wrapper (preloaded) ---- */

static typeof(pam_start) *p_start;
static typeof(pam_authenticate) *p_authenticate;
static typeof(pam_end) *p_end;

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && !(r[i].resp = strdup(PIN))) {
			free(r);
			return PAM_BUF_ERR;
		}
	*resp = r;
	return PAM_SUCCESS;
}

struct sample {
	uint64_t net, gross, key, auth_net, wall, calls;
};

/* One login on service; 0 when it succeeded. */
static int login(const char *service, struct sample *s)
{
	struct pam_conv conv = {conv_fn, NULL};
	pam_handle_t *h = NULL;
	uint64_t t0, t1, a0, a1, w0, k0, k1, ka0, ka1, c0 = key_calls;
	int rc;

	w0 = cpu_ns(CLOCK_MONOTONIC);
	k0 = key_ns;
	t0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	rc = p_start(service, USER, &conv, &h);
	if (rc != PAM_SUCCESS)
		return -1;
	ka0 = key_ns;
	a0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	rc = p_authenticate(h, 0);
	a1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	ka1 = key_ns;
	(void)p_end(h, rc);
	t1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	k1 = key_ns;
	s->gross = t1 - t0;
	s->key = k1 - k0;
	s->net = s->gross - s->key;
	s->auth_net = (a1 - a0) - (ka1 - ka0);
	s->wall = cpu_ns(CLOCK_MONOTONIC) - w0;
	s->calls = key_calls - c0;
	return rc == PAM_SUCCESS ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of field off of n samples. */
static double quant(const struct sample *s, size_t n, size_t off, double q)
{
	uint64_t *v = calloc(n, sizeof(*v));
	double r;
	size_t i;

	if (!v)
		die("%s", "out of memory");
	for (i = 0; i < n; i++)
		memcpy(&v[i], (const char *)&s[i] + off, sizeof(uint64_t));
	qsort(v, n, sizeof(*v), cmp_u64);
	r = (double)v[(size_t)(q * (double)(n - 1) + 0.5)];
	free(v);
	return r;
}

static void report(const char *side, const struct sample *s, size_t n)
{
	printf("side=%s runs=%zu net_us=%.1f gross_us=%.1f key_us=%.1f auth_net_us=%.1f "
	       "p90_net_us=%.1f wall_ms=%.2f key_calls=%.0f\n",
	       side, n, quant(s, n, offsetof(struct sample, net), 0.5) / 1e3,
	       quant(s, n, offsetof(struct sample, gross), 0.5) / 1e3,
	       quant(s, n, offsetof(struct sample, key), 0.5) / 1e3,
	       quant(s, n, offsetof(struct sample, auth_net), 0.5) / 1e3,
	       quant(s, n, offsetof(struct sample, net), 0.9) / 1e3,
	       quant(s, n, offsetof(struct sample, wall), 0.5) / 1e6,
	       quant(s, n, offsetof(struct sample, calls), 0.5));
}

static int measure(long runs, long warm, const char *only)
{
	bool do_ours = !only || !strcmp(only, "mnguard"), do_peer = !only || !strcmp(only, "u2f");
	struct sample *ours = calloc((size_t)runs, sizeof(*ours));
	struct sample *peer = calloc((size_t)runs, sizeof(*peer));
	struct sample junk;
	int bad = 0;
	long i;

	p_start = (typeof(p_start))dlsym(RTLD_DEFAULT, "pam_start");
	p_authenticate = (typeof(p_authenticate))dlsym(RTLD_DEFAULT, "pam_authenticate");
	p_end = (typeof(p_end))dlsym(RTLD_DEFAULT, "pam_end");
	if (!ours || !peer || !p_start || !p_authenticate || !p_end)
		die("%s", "pam_wrapper's pam_start/pam_authenticate/pam_end not found");
	wrap_key_io();
	for (i = 0; i < warm; i++)
		if ((do_ours && login("bench-mnguard", &junk) < 0) ||
		    (do_peer && login("bench-u2f", &junk) < 0))
			die("%s", "a warm-up login failed");
	/* take turns, so that both see the same machine */
	for (i = 0; i < runs; i++) {
		bad += do_ours && login("bench-mnguard", &ours[i]) < 0;
		bad += do_peer && login("bench-u2f", &peer[i]) < 0;
	}
	if (key_calls == 0)
		die("%s",
		    "the softkey's callbacks were never called: its time cannot be taken out");
	if (do_ours)
		report("mnguard", ours, (size_t)runs);
	if (do_peer)
		report("u2f", peer, (size_t)runs);
	if (bad)
		fprintf(stderr, "bench_pam: %d logins failed\n", bad);
	free(ours);
	free(peer);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *d = getenv("MNG_BENCH_PAM_DIR");
	const char *only = NULL;
	long runs = 60, warm = 5;
	char *end;
	int opt, r;

	while ((opt = getopt(argc, argv, "r:w:s:")) != -1) {
		long *p = opt == 'r' ? &runs : opt == 'w' ? &warm : NULL;

		if (opt == 's' && (!strcmp(optarg, "mnguard") || !strcmp(optarg, "u2f"))) {
			only = optarg;
			continue;
		}
		if (!p)
			goto usage;
		errno = 0;
		*p = strtol(optarg, &end, 10);
		if (errno || *end || *p < (opt == 'r' ? 1 : 0) || *p > RUNS_MAX)
			goto usage;
	}
	if (argc - optind != 3)
		goto usage;
	if (!d)
		return prepare(argv, argv[optind], argv[optind + 1], argv[optind + 2]);
	snprintf(dir, sizeof(dir), "%s", d);
	measuring = true;
	r = measure(runs, warm, only);
	remove_tree();
	return r;
usage:
	fprintf(stderr, "usage: bench_pam [-r RUNS] [-w WARMUP] [-s mnguard|u2f] PAM_MNGUARD_SO "
			"LIBSOFTKEY_SO SOFTKEY_CTL\n");
	return 2;
}
