// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam_u2f_compare.c - pam_mnguard.so side by side with Debian's
 * pam_u2f.so (libpam-u2f), both loaded by libpam under pam_wrapper and both
 * talking through the real libfido2 to the same software authenticator
 * (libsoftkey.so, preloaded), with the same credential.
 *
 * The credential is made once by pamu2fcfg, pam_u2f's own enrolment tool,
 * under the softkey shim; its key handle and public key are then written
 * into mnguard's credential file as well. pam_u2f is configured as strictly
 * as it allows: userpresence=1 userverification=1 pinverification=1 cue, the
 * mapping line carrying +presence+verification+pin.
 *
 * One row runs pam_u2f with PIN verification only (the +pin line that
 * "pamu2fcfg -N" writes, no userverification=1): pam_u2f then checks the UV
 * flag nowhere, while pam_mnguard always requires it.
 *
 * Every row of the table is a scenario run against both modules; the PAM
 * result of each is asserted, so a change of behaviour on either side fails
 * the test. After each row the key is reset and both modules must accept
 * again, so a deny can never come from a previous row's leftovers. The
 * table is printed at the end.
 *
 * LD_PRELOAD must hold pam_wrapper and the softkey before the program
 * starts, so main() prepares the tree and re-executes itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "cred.h"

#define RP "mnguard.test"
#define PIN "1234"
#define USER "root" /* pam_u2f wants a passwd entry and a file owned by it or root */
#define PAM_MODULE_DIR "/lib/x86_64-linux-gnu/security"
#define PAM_U2F PAM_MODULE_DIR "/pam_u2f.so"
#define PAMU2FCFG "/usr/bin/pamu2fcfg"
#define MNG_TIMEOUT_S 2	     /* pam_mnguard's fido_timeout in the no-touch row */
#define KEY_TOUCH_LIMIT 6000 /* the key's own wait for a touch there (ms) */

static char dir[64];  /* the test tree (MNG_U2F_TEST_DIR) */
static char key[300]; /* softkey state file */

/* ---- helpers ---- */

static void put(const char *name, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	(void)unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode))
		fail_msg("cannot write %s: %s", p, strerror(errno));
	close(fd);
}

/* Runs a command line through the shell and returns its first output line. */
static int sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
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

static void key_set(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' set '%s' %s", getenv("MNG_SOFTKEY_CTL"), key, args);
	if (sh(cmd, NULL, 0) != 0)
		fail_msg("%s failed", cmd);
}

/* ---- the conversation ---- */

enum conv_mode { CONV_PIN, CONV_NULL_ANSWER, CONV_FAIL };

struct conv {
	enum conv_mode mode;
	int prompts;
};

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv *c = data;
	struct pam_response *r;
	int i;

	if (c->mode == CONV_FAIL)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		c->prompts++;
		if (c->mode == CONV_PIN)
			r[i].resp = strdup(PIN);
	}
	*resp = r;
	return PAM_SUCCESS;
}

struct outcome {
	int rc;
	long ms;
};

/* One pam_authenticate of USER on service; the PAM code and the wall time. */
static struct outcome login(const char *service, enum conv_mode mode)
{
	struct pam_testcase tc[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
	struct conv c = {.mode = mode};
	struct timespec a, b;
	struct outcome o;

	clock_gettime(CLOCK_MONOTONIC, &a);
	(void)_pamtest_conv(service, USER, conv_fn, &c, tc, 1, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	o.rc = tc[0].op_rv;
	o.ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	return o;
}

static const char *pam_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_AUTHINFO_UNAVAIL:
		return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SYSTEM_ERR:
		return "PAM_SYSTEM_ERR";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_CONV_ERR:
		return "PAM_CONV_ERR";
	case PAM_IGNORE:
		return "PAM_IGNORE";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_ABORT:
		return "PAM_ABORT";
	case PAM_BUF_ERR:
		return "PAM_BUF_ERR";
	default:
		return "PAM_other";
	}
}

/* ---- the table ---- */

struct row {
	const char *name;
	const char *key_on;  /* softkey-ctl set arguments for the scenario (NULL: none) */
	const char *key_off; /* and to undo them */
	const char *mng_svc, *u2f_svc;
	enum conv_mode conv;
	int mng_want, u2f_want; /* the PAM codes each module must return */
	const char *gap;	/* what the difference means */
};

/* what each row observed */
struct seen {
	struct outcome mng, u2f;
	bool ran;
};

static struct row rows[] = {
    {"normal login (PIN + touch)", NULL, NULL, "mng", "u2f", CONV_PIN, PAM_SUCCESS, PAM_SUCCESS,
     "both accept"},
    {"key never sets UV, PIN required", "no_uv=1", "no_uv=0", "mng", "u2f", CONV_PIN, PAM_AUTH_ERR,
     PAM_AUTH_ERR, "both deny (pam_u2f: only with userverification=1)"},
    {"same, pam_u2f PIN only (+pin)", "no_uv=1", "no_uv=0", "mng", "u2f-pin", CONV_PIN,
     PAM_AUTH_ERR, PAM_SUCCESS, "closed: UV flag always required"},
    {"key never sets UP", "no_up=1", "no_up=0", "mng", "u2f", CONV_PIN, PAM_AUTH_ERR, PAM_AUTH_ERR,
     "both deny"},
    {"stale counter (key repeats it)", "stale_counter=1", "stale_counter=0", "mng", "u2f", CONV_PIN,
     PAM_AUTH_ERR, PAM_SUCCESS, "closed: counter must increase"},
    {"counter always 0", "zero_counter=1", "zero_counter=0", "mng", "u2f", CONV_PIN, PAM_AUTH_ERR,
     PAM_SUCCESS, "closed: 0 only with zero-counter-ok"},
    {"bad signature", "bad_sig=1", "bad_sig=0", "mng", "u2f", CONV_PIN, PAM_AUTH_ERR, PAM_AUTH_ERR,
     "both deny"},
    {"AAGUID not on the allow-list", NULL, NULL, "mng-aaguid", "u2f", CONV_PIN, PAM_AUTH_ERR,
     PAM_SUCCESS, "closed: pam_u2f has no allow-list"},
    {"credential file group-writable", NULL, NULL, "mng-gw", "u2f-gw", CONV_PIN,
     PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, "closed: pam_u2f only warns"},
    {"credential file is a symlink", NULL, NULL, "mng-link", "u2f-link", CONV_PIN,
     PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, "closed: O_NOFOLLOW"},
    {"conversation answers NULL", NULL, NULL, "mng", "u2f", CONV_NULL_ANSWER, PAM_AUTH_ERR,
     PAM_AUTH_ERR, "both deny"},
    {"conversation fails", NULL, NULL, "mng", "u2f", CONV_FAIL, PAM_AUTH_ERR, PAM_AUTH_ERR,
     "both deny"},
    {"no touch (key waits 6 s)", "no_touch=1 touch_timeout_ms=6000",
     "no_touch=0 touch_timeout_ms=30000", "mng-to", "u2f", CONV_PIN, PAM_AUTHINFO_UNAVAIL,
     PAM_AUTH_ERR, "closed: own timeout (pam_u2f waits for the key)"},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static struct seen seen[NROWS];

static void run_row(void **state)
{
	const struct row *r = *state;
	struct seen *s = &seen[r - rows];
	struct outcome ok_m, ok_u;

	/* pam_mnguard has seen the key's latest counter (pam_u2f's logins move it) */
	assert_int_equal(login("mng", CONV_PIN).rc, PAM_SUCCESS);
	if (r->key_on)
		key_set(r->key_on);
	s->mng = login(r->mng_svc, r->conv);
	s->u2f = login(r->u2f_svc, r->conv);
	if (r->key_off)
		key_set(r->key_off);
	s->ran = true;
	fprintf(stderr, "%s: pam_mnguard %s (%ld ms), pam_u2f %s (%ld ms)\n", r->name,
		pam_name(s->mng.rc), s->mng.ms, pam_name(s->u2f.rc), s->u2f.ms);
	assert_string_equal(pam_name(s->mng.rc), pam_name(r->mng_want));
	assert_int_equal(s->mng.rc, r->mng_want);
	assert_string_equal(pam_name(s->u2f.rc), pam_name(r->u2f_want));
	assert_int_equal(s->u2f.rc, r->u2f_want);
	if (r->key_on && strstr(r->key_on, "no_touch")) {
		/* ours gives up at fido_timeout; pam_u2f waits for the key's own limit */
		assert_true(s->mng.ms < MNG_TIMEOUT_S * 1000 + 1500);
		assert_true(s->u2f.ms >= KEY_TOUCH_LIMIT - 500);
	}
	/* the key is back to normal: both accept again */
	ok_m = login("mng", CONV_PIN);
	ok_u = login("u2f", CONV_PIN);
	assert_int_equal(ok_m.rc, PAM_SUCCESS);
	assert_int_equal(ok_u.rc, PAM_SUCCESS);
}

static void print_table(void)
{
	size_t i;

	printf("\npam_mnguard vs pam_u2f %s, same softkey, same credential "
	       "(pam_u2f: userpresence=1 userverification=1 pinverification=1 cue)\n\n",
	       getenv("MNG_U2F_VERSION") ? getenv("MNG_U2F_VERSION") : "");
	printf("| %-33s | %-33s | %-33s | %s\n", "scenario", "pam_mnguard", "pam_u2f", "gap");
	printf("|%s|%s|%s|%s\n", "-----------------------------------",
	       "-----------------------------------", "-----------------------------------",
	       "------------------------------");
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		const struct seen *s = &seen[i];
		char m[64], u[64];

		if (!s->ran)
			continue;
		snprintf(m, sizeof(m), "%s %s", s->mng.rc == PAM_SUCCESS ? "accept" : "deny",
			 s->mng.rc == PAM_SUCCESS ? "" : pam_name(s->mng.rc));
		snprintf(u, sizeof(u), "%s %s", s->u2f.rc == PAM_SUCCESS ? "accept" : "deny",
			 s->u2f.rc == PAM_SUCCESS ? "" : pam_name(s->u2f.rc));
		if (r->key_on && strstr(r->key_on, "no_touch")) {
			snprintf(m + strlen(m), sizeof(m) - strlen(m), " %.1f s",
				 (double)s->mng.ms / 1000);
			snprintf(u + strlen(u), sizeof(u) - strlen(u), " %.1f s",
				 (double)s->u2f.ms / 1000);
		}
		printf("| %-33s | %-33s | %-33s | %s%s\n", r->name, m, u, r->gap,
		       s->mng.rc == r->mng_want && s->u2f.rc == r->u2f_want ? "" : "  (CHANGED)");
	}
	printf("\n");
	fflush(stdout);
}

/* ---- the test tree ---- */

/* P-256 SubjectPublicKeyInfo header; the uncompressed point 04||x||y follows */
static const uint8_t spki_p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The mnguard credential line for the credential pamu2fcfg printed
 * ("user:keyHandle,publicKey,es256,+options"; both base64, the public key
 * the raw P-256 point x||y) and the key's AAGUID (32 hex digits).
 */
static char *cred_line_from_u2f(const char *u2f, const char *aaguid_hex)
{
	const char *kh = strchr(u2f, ':'), *pk, *end;
	uint8_t id[MNG_CRED_ID_MAX], point[65], der[sizeof(spki_p256) + 64];
	struct mng_cred c = {0};
	char *line = NULL;
	int idn, pkn, i;

	assert_non_null(kh);
	kh++;
	assert_non_null(pk = strchr(kh, ','));
	pk++;
	assert_non_null(end = strchr(pk, ','));
	assert_non_null(strstr(end, ",es256,+presence+verification+pin"));
	idn = mng_b64_decode(kh, (size_t)(pk - 1 - kh), 0, id, sizeof(id));
	pkn = mng_b64_decode(pk, (size_t)(end - pk), 0, point, sizeof(point));
	assert_true(idn > 0);
	assert_int_equal(pkn, 64);
	memcpy(der, spki_p256, sizeof(spki_p256));
	memcpy(der + sizeof(spki_p256), point, 64);
	snprintf(c.user, sizeof(c.user), "%s", USER);
	c.id = id;
	c.id_len = (size_t)idn;
	c.type = MNG_CRED_ES256;
	c.pk = der;
	c.pk_len = sizeof(der);
	c.flags = MNG_CRED_F_UP | MNG_CRED_F_UV;
	assert_int_equal(strlen(aaguid_hex), 32);
	for (i = 0; i < 16; i++) {
		int h = hexval(aaguid_hex[2 * i]), l = hexval(aaguid_hex[2 * i + 1]);

		assert_true(h >= 0 && l >= 0);
		c.aaguid[i] = (uint8_t)(h << 4 | l);
	}
	snprintf(c.label, sizeof(c.label), "softkey");
	snprintf(c.enrolled, sizeof(c.enrolled), "2026-11-25T09:30:00Z");
	snprintf(c.operator_, sizeof(c.operator_), "helpdesk01");
	assert_int_equal(mng_cred_format(&c, &line), 0);
	return line;
}

static void write_conf(const char *name, const char *cred, const char *extra)
{
	char text[2048], p[64];

	snprintf(text, sizeof(text),
		 "rp_id = " RP "\n"
		 "credentials = %s/etc/%s\n"
		 "counters = %s/var/counters\n"
		 "socket = %s/no-agent.sock\n"
		 "fido_timeout = 10\n"
		 "%s",
		 dir, cred, dir, dir, extra);
	snprintf(p, sizeof(p), "etc/%s", name);
	put(p, text, 0644);
}

static int setup(void **state)
{
	const char *ctl = getenv("MNG_SOFTKEY_CTL");
	char cmd[2048], u2f[8192], pinonly[8192], show[4096], aaguid[33] = "", p[512], q[512],
							      *line, *a;

	snprintf(key, sizeof(key), "%s/keys/key.state", dir);
	setenv("SOFTKEY_STATE", key, 1); /* read by the shim only */
	/* pamu2fcfg asks for a PIN only on a terminal: enrol first, then set the PIN */
	snprintf(cmd, sizeof(cmd), "'%s' init '%s' >/dev/null", ctl, key);
	assert_int_equal(sh(cmd, NULL, 0), 0);
	snprintf(cmd, sizeof(cmd),
		 "SOFTKEY_STATE='%s' " PAMU2FCFG " -u " USER " -o " RP " -i " RP
		 " -N -V </dev/null",
		 key);
	assert_int_equal(sh(cmd, u2f, sizeof(u2f)), 0);
	u2f[strcspn(u2f, "\n")] = '\0';
	assert_true(strncmp(u2f, USER ":", strlen(USER) + 1) == 0);
	key_set("pin=" PIN);
	snprintf(cmd, sizeof(cmd), "'%s' show '%s'", ctl, key);
	assert_int_equal(sh(cmd, show, sizeof(show)), 0);
	assert_non_null(a = strstr(show, "aaguid="));
	memcpy(aaguid, a + 7, 32);

	strcat(u2f, "\n");
	put("etc/u2f_keys", u2f, 0644);
	put("etc/u2f-gw", u2f, 0664);
	/* what pamu2fcfg -N alone writes: PIN, no user verification */
	snprintf(pinonly, sizeof(pinonly), "%s", u2f);
	assert_non_null(a = strstr(pinonly, "+verification"));
	memmove(a, a + strlen("+verification"), strlen(a + strlen("+verification")) + 1);
	put("etc/u2f-pin", pinonly, 0644);
	line = cred_line_from_u2f(u2f, aaguid);
	snprintf(cmd, sizeof(cmd), "%s\n", line);
	free(line);
	put("etc/credentials", cmd, 0644);
	put("etc/cred-gw", cmd, 0664);
	snprintf(p, sizeof(p), "%s/etc/credentials", dir);
	snprintf(q, sizeof(q), "%s/etc/cred-link", dir);
	assert_int_equal(symlink(p, q), 0);
	snprintf(p, sizeof(p), "%s/etc/u2f_keys", dir);
	snprintf(q, sizeof(q), "%s/etc/u2f-link", dir);
	assert_int_equal(symlink(p, q), 0);

	write_conf("main.conf", "credentials", "");
	write_conf("gw.conf", "cred-gw", "");
	write_conf("link.conf", "cred-link", "");
	write_conf("aaguid.conf", "credentials",
		   "aaguid_allow = 00112233445566778899aabbccddeeff\n");
	snprintf(cmd, sizeof(cmd),
		 "rp_id = " RP "\ncredentials = %s/etc/credentials\n"
		 "counters = %s/var/counters\nsocket = %s/no-agent.sock\nfido_timeout = %d\n",
		 dir, dir, dir, MNG_TIMEOUT_S);
	put("etc/to.conf", cmd, 0644);

	/* both modules must work before any scenario means anything */
	assert_int_equal(login("mng", CONV_PIN).rc, PAM_SUCCESS);
	assert_int_equal(login("u2f", CONV_PIN).rc, PAM_SUCCESS);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	print_table();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* service name, module argument naming a file, that file under the tree */
static const char *const services[][3] = {
    {"mng", "config", "etc/main.conf"},	     {"mng-gw", "config", "etc/gw.conf"},
    {"mng-link", "config", "etc/link.conf"}, {"mng-aaguid", "config", "etc/aaguid.conf"},
    {"mng-to", "config", "etc/to.conf"},     {"u2f", "authfile", "etc/u2f_keys"},
    {"u2f-gw", "authfile", "etc/u2f-gw"},    {"u2f-link", "authfile", "etc/u2f-link"},
    {"u2f-pin", "authfile", "etc/u2f-pin"},
};

/* Before the re-exec: the tree, the service files, the environment. */
static int prepare_and_reexec(char **argv)
{
	static const char *const wrappers[] = {"/usr/lib/x86_64-linux-gnu/libpam_wrapper.so",
					       "/usr/lib64/libpam_wrapper.so",
					       "/usr/lib/libpam_wrapper.so"};
	const char *mod = getenv("MNG_PAM"), *sk = getenv("MNG_SOFTKEY"),
		   *skctl = getenv("MNG_SOFTKEY_CTL"), *old = getenv("LD_PRELOAD"), *wrap = NULL;
	char tmpl[] = "/tmp/mng-u2f-XXXXXX", modabs[PATH_MAX], skabs[PATH_MAX], ctlabs[PATH_MAX];
	char svcdir[128], ver[64] = "";
	char *preload = NULL;
	size_t i;

	if (!mod || !*mod || !sk || !*sk || !skctl || !*skctl) {
		fprintf(stderr, "test_pam_u2f_compare: MNG_PAM, MNG_SOFTKEY and MNG_SOFTKEY_CTL "
				"must be set (make check-unit sets them)\n");
		return 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr,
			"test_pam_u2f_compare: needs root (the files must be root-owned)\n");
		return 1;
	}
	if (access(PAM_U2F, R_OK) != 0 || access(PAMU2FCFG, X_OK) != 0) {
		fprintf(stderr,
			"test_pam_u2f_compare: %s and %s are needed (Debian packages "
			"libpam-u2f and pamu2fcfg; make check installs them)\n",
			PAM_U2F, PAMU2FCFG);
		return 1;
	}
	for (i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (access(wrappers[i], R_OK) == 0)
			wrap = wrappers[i];
	if (!wrap || !realpath(mod, modabs) || !realpath(sk, skabs) || !realpath(skctl, ctlabs) ||
	    !mkdtemp(tmpl)) {
		fprintf(stderr, "test_pam_u2f_compare: pam_wrapper, module or softkey not found\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (chmod(dir, 0755) < 0)
		return 1;
	for (i = 0; i < 4; i++) {
		static const char *const sub[] = {"svc", "etc", "var", "keys"};
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdir(p, 0755) < 0)
			return 1;
	}
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		char args[600], text[2 * PATH_MAX + 1400], name[64];
		bool u2f = strncmp(services[i][0], "u2f", 3) == 0;

		snprintf(args, sizeof(args), "%s=%s/%s", services[i][1], dir, services[i][2]);
		if (u2f)
			snprintf(text, sizeof(text),
				 "auth required " PAM_U2F " %s origin=" RP " appid=" RP
				 " userpresence=1%s pinverification=1 cue\n",
				 args,
				 strcmp(services[i][0], "u2f-pin") ? " userverification=1" : "");
		else
			snprintf(text, sizeof(text), "auth required %s %s\n", modabs, args);
		snprintf(name, sizeof(name), "svc/%s", services[i][0]);
		put(name, text, 0644);
	}
	put("svc/other", "auth required " PAM_MODULE_DIR "/pam_deny.so\n", 0644);
	if (asprintf(&preload, "%s %s%s%s", wrap, skabs, old ? " " : "", old ? old : "") < 0)
		return 1;
	(void)sh("dpkg-query -W -f='${Version}' libpam-u2f 2>/dev/null", ver, sizeof(ver));
	setenv("MNG_U2F_VERSION", ver, 1);
	setenv("LD_PRELOAD", preload, 1);
	setenv("PAM_WRAPPER", "1", 1);
	/* pam_wrapper reads this name; RTLD_DEEPBIND breaks ASan builds */
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	snprintf(svcdir, sizeof(svcdir), "%s/svc", dir);
	setenv("PAM_WRAPPER_SERVICE_DIR", svcdir, 1);
	setenv("MNG_SOFTKEY_CTL", ctlabs, 1);
	setenv("MNG_U2F_TEST_DIR", dir, 1);
	setenv("LANGUAGE", "en", 1);
	setenv("LC_ALL", "C", 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "test_pam_u2f_compare: exec: %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[NROWS];
	const char *d = getenv("MNG_U2F_TEST_DIR");
	size_t i;

	if (!d)
		return prepare_and_reexec(argv);
	snprintf(dir, sizeof(dir), "%s", d);
	for (i = 0; i < NROWS; i++)
		tests[i] = (struct CMUnitTest){
		    .name = rows[i].name, .test_func = run_row, .initial_state = &rows[i]};
	return _cmocka_run_group_tests("pam_u2f_compare", tests, NROWS, setup, teardown);
}
