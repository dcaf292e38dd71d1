// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam.c - pam_mnguard.so end to end: the production module loaded by
 * libpam under pam_wrapper, talking through the real libfido2 to the
 * software authenticator (libsoftkey.so, preloaded), with credentials
 * enrolled by libfido2 in this test and written with mng_cred_format.
 *
 * LD_PRELOAD must hold pam_wrapper and the softkey before the program
 * starts, so main() prepares the test tree and the PAM service files and
 * re-executes itself with them. A fake agent on a private socket records
 * what the module reports. Every scenario that makes sense for a non-root
 * caller (a screen locker) runs again in a child with uid 65534.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include <fido.h>
#include <fido/es256.h>
#include <libpamtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <security/pam_appl.h>

#include "cred.h"
#include "ipc.h"

#define RP "mnguard.test"
#define PIN_A "1234"
#define PIN_B "567890"
#define NOBODY 65534
#define PAM_MODULE_DIR "/lib/x86_64-linux-gnu/security"

static char dir[64]; /* the test tree (MNG_PAM_TEST_DIR) */
static char key_a[300], key_b[300], key_n[300];
static char creds_text[16384];

/* ---- fake agent: records every request it receives ---- */

static pthread_mutex_t agent_lock = PTHREAD_MUTEX_INITIALIZER;
static char agent_log[65536];
static int agent_fd = -1;

static void *agent_main(void *arg)
{
	static char buf[MNG_IPC_MSG_MAX + 1];

	for (;;) {
		int c = accept4(agent_fd, NULL, NULL, SOCK_CLOEXEC);
		size_t len = 0;
		char *reply = NULL;
		size_t rlen = 0;

		if (c < 0)
			continue;
		if (mng_ipc_recv(c, buf, sizeof(buf), 0, &len) == 0) {
			pthread_mutex_lock(&agent_lock);
			if (strlen(agent_log) + len + 2 < sizeof(agent_log)) {
				strcat(agent_log, buf);
				strcat(agent_log, "\n");
			}
			pthread_mutex_unlock(&agent_lock);
			if (mng_ipc_reply_format(1, NULL, &reply, &rlen) == 0)
				(void)mng_ipc_send(c, reply, rlen, 0);
			free(reply);
		}
		close(c);
	}
	return NULL;
}

static void agent_start(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.sock", dir);
	agent_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(agent_fd >= 0);
	assert_int_equal(bind(agent_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(chmod(sa.sun_path, 0777), 0); /* the uid 65534 child reports too */
	assert_int_equal(listen(agent_fd, 16), 0);
	assert_int_equal(pthread_create(&t, NULL, agent_main, NULL), 0);
	pthread_detach(t);
}

static void agent_clear(void)
{
	pthread_mutex_lock(&agent_lock);
	agent_log[0] = '\0';
	pthread_mutex_unlock(&agent_lock);
}

static bool agent_saw(const char *what)
{
	bool r;

	pthread_mutex_lock(&agent_lock);
	r = strstr(agent_log, what) != NULL;
	pthread_mutex_unlock(&agent_lock);
	return r;
}

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

static void ctl(const char *state, const char *args)
{
	char cmd[1024];
	bool init = strncmp(args, "--", 2) == 0;

	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' %s >/dev/null", getenv("MNG_SOFTKEY_CTL"),
		 init ? "init" : "set", state, args);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
	/* the unprivileged child uses the keys too (state and lock files) */
	snprintf(cmd, sizeof(cmd), "chown -R %d:%d '%s/keys'", NOBODY, NOBODY, dir);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

static void use_key(const char *state)
{
	if (state)
		setenv("SOFTKEY_STATE", state, 1);
	else
		unsetenv("SOFTKEY_STATE");
}

/* Enrol a credential for user on the key at state; append its line to creds_text. */
static void enroll(const char *state, const char *pin, const char *user, const char *label,
		   unsigned flags)
{
	unsigned char cdh[32] = {1, 2, 3}, uid[8] = {9, 9};
	fido_dev_info_t *list = fido_dev_info_new(1);
	fido_dev_t *dev = fido_dev_new();
	fido_cred_t *cred = fido_cred_new();
	es256_pk_t *es = es256_pk_new();
	EVP_PKEY *evp = NULL;
	unsigned char *der = NULL;
	struct mng_cred c = {0};
	char *line = NULL;
	size_t n = 0;
	int len, r;

	use_key(state);
	assert_int_equal(fido_dev_info_manifest(list, 1, &n), FIDO_OK);
	assert_int_equal(n, 1);
	assert_int_equal(fido_dev_open(dev, fido_dev_info_path(fido_dev_info_ptr(list, 0))),
			 FIDO_OK);
	assert_int_equal(fido_cred_set_type(cred, COSE_ES256), FIDO_OK);
	assert_int_equal(fido_cred_set_clientdata_hash(cred, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_cred_set_rp(cred, RP, "mnguard test"), FIDO_OK);
	assert_int_equal(fido_cred_set_user(cred, uid, sizeof(uid), user, NULL, NULL), FIDO_OK);
	r = fido_dev_make_cred(dev, cred, pin);
	if (r != FIDO_OK)
		fail_msg("make_cred: %s", fido_strerr(r));
	assert_int_equal(
	    es256_pk_from_ptr(es, fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred)), FIDO_OK);
	evp = es256_pk_to_EVP_PKEY(es);
	assert_non_null(evp);
	len = i2d_PUBKEY(evp, &der);
	assert_true(len > 0);
	snprintf(c.user, sizeof(c.user), "%s", user);
	c.id = (uint8_t *)fido_cred_id_ptr(cred);
	c.id_len = fido_cred_id_len(cred);
	c.type = MNG_CRED_ES256;
	c.pk = der;
	c.pk_len = (size_t)len;
	c.flags = flags;
	assert_int_equal(fido_cred_aaguid_len(cred), 16);
	memcpy(c.aaguid, fido_cred_aaguid_ptr(cred), 16);
	snprintf(c.label, sizeof(c.label), "%s", label);
	snprintf(c.enrolled, sizeof(c.enrolled), "2026-11-25T09:30:00Z");
	snprintf(c.operator_, sizeof(c.operator_), "helpdesk01");
	assert_int_equal(mng_cred_format(&c, &line), 0);
	strcat(creds_text, line);
	strcat(creds_text, "\n");
	free(line);
	OPENSSL_free(der);
	EVP_PKEY_free(evp);
	es256_pk_free(&es);
	fido_cred_free(&cred);
	fido_dev_close(dev);
	fido_dev_free(&dev);
	fido_dev_info_free(&list, 1);
}

/* Counts file descriptors opened and left without FD_CLOEXEC. */
static bool fd_before[4096];
static int leaked_fds;

static void fd_snapshot(void)
{
	int fd;

	for (fd = 0; fd < 4096; fd++)
		fd_before[fd] = fcntl(fd, F_GETFD) >= 0;
}

static void fd_check(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int own = d ? dirfd(d) : -1;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;

		if (e->d_name[0] == '.' || fd == own || fd >= 4096 || fd_before[fd])
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			char p[64], target[256] = "";

			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			(void)!readlink(p, target, sizeof(target) - 1);
			fprintf(stderr, "fd %d (%s) is not close-on-exec\n", fd, target);
			leaked_fds++;
		}
	}
	closedir(d);
}

/* ---- the conversation ---- */

enum conv_mode { CONV_PIN, CONV_NULL_ANSWER, CONV_FAIL };

struct conv {
	const char *pin;
	enum conv_mode mode;
	int prompts;
	char said[2048]; /* every info and error message, one a line */
};

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv *c = data;
	struct pam_response *r;
	int i;

	fd_check(); /* the module is at work: its descriptors are open now */
	if (c->mode == CONV_FAIL)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			c->prompts++;
			if (c->mode == CONV_PIN && c->pin)
				r[i].resp = strdup(c->pin);
			break;
		case PAM_TEXT_INFO:
		case PAM_ERROR_MSG:
			if (strlen(c->said) + strlen(msg[i]->msg) + 2 < sizeof(c->said)) {
				strcat(c->said, msg[i]->msg);
				strcat(c->said, "\n");
			}
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Run one PAM operation for user on service with flags; returns its PAM code. */
static int run_flags(const char *service, const char *user, enum pamtest_ops op, int flags,
		     struct conv *c)
{
	struct pam_testcase tc[] = {pam_test_flags(op, PAM_SUCCESS, flags)};

	fd_snapshot();
	(void)_pamtest_conv(service, user, conv_fn, c, tc, 1, NULL);
	fd_check();
	return tc[0].op_rv;
}

static int run(const char *service, const char *user, enum pamtest_ops op, struct conv *c)
{
	return run_flags(service, user, op, 0, c);
}

static int login(const char *service, const char *user, const char *pin, struct conv *c)
{
	memset(c, 0, sizeof(*c));
	c->pin = pin;
	return run(service, user, PAMTEST_AUTHENTICATE, c);
}

static char *counters(void)
{
	static char buf[8192];
	char p[512];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/var/counters", dir);
	buf[0] = '\0';
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* stderr into a file while the module runs: pam_wrapper writes pam_syslog there */
static int capture_fd = -1;

static void capture_begin(void)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/stderr.log", dir);
	fflush(stderr);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	capture_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	assert_true(capture_fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

static char *capture_end(void)
{
	static char buf[65536];
	char p[128];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(capture_fd, 2);
	close(capture_fd);
	snprintf(p, sizeof(p), "%s/stderr.log", dir);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	fputs(buf, stderr);
	return buf;
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* ---- scenarios ---- */

static void test_pin_and_touch(void **state)
{
	struct timespec t0;
	struct conv c;
	char before[8192];

	use_key(key_a);
	agent_clear();
	snprintf(before, sizeof(before), "%s", counters());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
	fprintf(stderr, "login with PIN and touch: %ld ms\n", ms_since(&t0));
	assert_int_equal(c.prompts, 1);
	assert_non_null(strstr(c.said, "Touch your security key"));
	assert_string_not_equal(counters(), before); /* the new counter was stored */
	assert_true(agent_saw("login.ok"));
	assert_int_equal(leaked_fds, 0);
}

/* PAM_SILENT: the PIN is still asked, nothing else is said. */
static void test_silent(void **state)
{
	struct conv c = {.pin = PIN_A};

	use_key(key_a);
	assert_int_equal(run_flags("mng", "tanaka", PAMTEST_AUTHENTICATE, PAM_SILENT, &c),
			 PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	assert_string_equal(c.said, "");
	c = (struct conv){.pin = "0000"};
	assert_int_equal(run_flags("mng", "tanaka", PAMTEST_AUTHENTICATE, PAM_SILENT, &c),
			 PAM_AUTH_ERR);
	assert_string_equal(c.said, "");
}

static void test_either_key(void **state)
{
	struct conv c;

	use_key(key_b);
	assert_int_equal(login("mng", "tanaka", PIN_B, &c), PAM_SUCCESS);
	use_key(key_a);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
	/* key B's PIN on key A is wrong */
	assert_int_equal(login("mng", "tanaka", PIN_B, &c), PAM_AUTH_ERR);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
}

static void test_wrong_pin(void **state)
{
	struct conv c;

	use_key(key_a);
	agent_clear();
	assert_int_equal(login("mng", "tanaka", "0000", &c), PAM_AUTH_ERR);
	assert_non_null(strstr(c.said, "Wrong PIN."));
	assert_true(agent_saw("login.pin-wrong"));
	/* a PIN of a length no key accepts is not even sent */
	assert_int_equal(login("mng", "tanaka", "12", &c), PAM_AUTH_ERR);
	assert_null(strstr(c.said, "Touch"));
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
}

static void test_conversation_gives_nothing(void **state)
{
	struct conv c = {.mode = CONV_NULL_ANSWER};
	char before[8192];

	use_key(key_a);
	snprintf(before, sizeof(before), "%s", counters());
	assert_int_equal(run("mng", "tanaka", PAMTEST_AUTHENTICATE, &c), PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 1);
	assert_null(strstr(c.said, "Touch")); /* no fallback to a touch-only login */
	c = (struct conv){.mode = CONV_FAIL};
	assert_int_equal(run("mng", "tanaka", PAMTEST_AUTHENTICATE, &c), PAM_AUTH_ERR);
	assert_string_equal(counters(), before);
}

static void test_no_uv_denied(void **state)
{
	struct conv c;

	ctl(key_a, "no_uv=1");
	use_key(key_a);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	ctl(key_a, "no_uv=0 no_up=1");
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	ctl(key_a, "no_up=0");
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
}

static void test_bad_signature(void **state)
{
	struct conv c;

	ctl(key_a, "bad_sig=1");
	use_key(key_a);
	agent_clear();
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	assert_true(agent_saw("login.bad-signature"));
	ctl(key_a, "bad_sig=0");
}

static void test_counter_regression(void **state)
{
	struct conv c;
	char before[8192];

	use_key(key_a);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
	ctl(key_a, "stale_counter=1");
	agent_clear();
	snprintf(before, sizeof(before), "%s", counters());
	capture_begin();
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	/* logged (syslog, LOG_AUTHPRIV) and reported to the agent */
	assert_non_null(
	    strstr(capture_end(), "MNGUARD_EVENT=login.clone-suspected user=\"tanaka\""));
	assert_true(agent_saw("login.clone-suspected"));
	assert_non_null(strstr(c.said, "copied"));
	assert_string_equal(counters(), before);
	ctl(key_a, "stale_counter=0 zero_counter=1");
	/* a key reporting 0 is refused unless its entry says zero-counter-ok */
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	/* a counter set back below the stored one (a copy made earlier) */
	ctl(key_a, "zero_counter=0 counter=2");
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	assert_string_equal(counters(), before);
	ctl(key_a, "counter=100000");
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
	assert_non_null(strstr(counters(), "\t100001\n"));
}

/* A key that always reports 0 logs in only where its entry says zero-counter-ok. */
static void test_zero_counter_ok(void **state)
{
	struct conv c;

	ctl(key_a, "zero_counter=1");
	use_key(key_a);
	assert_int_equal(login("mng", "kimura", PIN_A, &c), PAM_SUCCESS);
	assert_int_equal(login("mng", "kimura", PIN_A, &c), PAM_SUCCESS);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	/* once a counter above 0 was stored, 0 is a regression even for this key */
	ctl(key_a, "zero_counter=0");
	assert_int_equal(login("mng", "kimura", PIN_A, &c), PAM_SUCCESS);
	ctl(key_a, "zero_counter=1");
	assert_int_equal(login("mng", "kimura", PIN_A, &c), PAM_AUTH_ERR);
	ctl(key_a, "zero_counter=0");
}

static void test_aaguid_refused(void **state)
{
	struct conv c;

	use_key(key_a);
	agent_clear();
	assert_int_equal(login("mng-aaguid", "tanaka", PIN_A, &c), PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 0);
	assert_true(agent_saw("login.aaguid-refused"));
}

static void test_untrusted_credential_file(void **state)
{
	struct conv c;

	use_key(key_a);
	/* refused, and nouserok does not turn a refused file into PAM_IGNORE */
	assert_int_equal(login("mng-link", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-link", "sato", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-gw", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-ow", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-bad", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-norp", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(login("mng-badarg", "tanaka", PIN_A, &c), PAM_SERVICE_ERR);
	assert_int_equal(c.prompts, 0);
}

static void test_nouserok(void **state)
{
	struct conv c;

	use_key(key_a);
	assert_int_equal(login("mng", "sato", PIN_A, &c), PAM_AUTH_ERR);
	/*
	 * mng-nouserok is "auth [success=done ignore=ignore default=die]" then
	 * pam_permit: success here means the module returned PAM_IGNORE.
	 */
	assert_int_equal(login("mng-nouserok", "sato", PIN_A, &c), PAM_SUCCESS);
	assert_int_equal(c.prompts, 0);
	assert_int_equal(login("mng-nouserok", "Sato", PIN_A, &c), PAM_SUCCESS);
	assert_int_equal(c.prompts, 0);
	/* a user who has a key still needs it with nouserok */
	assert_int_equal(login("mng-nouserok", "tanaka", "0000", &c), PAM_AUTH_ERR);
}

static void test_timeout(void **state)
{
	struct timespec t0;
	struct conv c;
	long ms;

	ctl(key_a, "no_touch=1");
	use_key(key_a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(login("mng-to", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	ms = ms_since(&t0);
	fprintf(stderr, "no touch: denied after %ld ms (fido_timeout = 2 s)\n", ms);
	assert_true(ms < 2000 + 1500);
	assert_non_null(strstr(c.said, "not touched in time"));
	ctl(key_a, "no_touch=0");
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_SUCCESS);
}

static void test_no_device(void **state)
{
	struct conv c;

	use_key(NULL);
	assert_int_equal(login("mng", "tanaka", PIN_A, &c), PAM_AUTHINFO_UNAVAIL);
	assert_non_null(strstr(c.said, "No security key found"));
}

static void test_account_and_session(void **state)
{
	struct conv c = {0};

	assert_int_equal(run("mng", "root", PAMTEST_ACCOUNT, &c), PAM_SUCCESS);
	assert_int_equal(run("mng", "nobody", PAMTEST_ACCOUNT, &c), PAM_PERM_DENIED);
	assert_int_equal(run("mng", "no-such-user", PAMTEST_ACCOUNT, &c), PAM_PERM_DENIED);
	agent_clear();
	assert_int_equal(run("mng", "tanaka", PAMTEST_OPEN_SESSION, &c), PAM_SUCCESS);
	assert_true(agent_saw("session-open"));
	assert_true(agent_saw("tanaka"));
	/* no agent: the session still opens */
	assert_int_equal(run("mng-link", "tanaka", PAMTEST_OPEN_SESSION, &c), PAM_SUCCESS);
}

/* The same module in a process without root, as a screen locker runs it. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "uid 65534: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
			bad++;                                                                     \
		}                                                                                  \
	} while (0)

static void test_unprivileged(void **state)
{
	char before[8192];
	int status;
	pid_t pid;

	snprintf(before, sizeof(before), "%s", counters());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct conv c;
		int bad = 0;

		if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(100);
		use_key(key_n);
		CHECK(login("mng", "nobody", PIN_A, &c) == PAM_SUCCESS);
		CHECK(login("mng", "nobody", "0000", &c) == PAM_AUTH_ERR);
		CHECK(login("mng", "nobody", PIN_A, &c) == PAM_SUCCESS);
		c = (struct conv){.mode = CONV_NULL_ANSWER};
		CHECK(run("mng", "nobody", PAMTEST_AUTHENTICATE, &c) == PAM_AUTH_ERR);
		CHECK(login("mng-link", "nobody", PIN_A, &c) == PAM_AUTHINFO_UNAVAIL);
		CHECK(login("mng-gw", "nobody", PIN_A, &c) == PAM_AUTHINFO_UNAVAIL);
		CHECK(login("mng-aaguid", "nobody", PIN_A, &c) == PAM_AUTH_ERR);
		CHECK(login("mng-nouserok", "sato", PIN_A, &c) == PAM_SUCCESS); /* ignored */
		CHECK(leaked_fds == 0);
		_exit(bad > 99 ? 99 : bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* without root the counter is checked but the file is not rewritten */
	assert_string_equal(counters(), before);
}

/* ---- the test tree ---- */

/* name, configuration, extra arguments; "nouserok" services continue to pam_permit on IGNORE */
static const char *const services[][3] = {
    {"mng", "main.conf", ""},
    {"mng-nouserok", "main.conf", " nouserok"},
    {"mng-to", "to.conf", ""},
    {"mng-aaguid", "aaguid.conf", ""},
    {"mng-link", "link.conf", " nouserok"},
    {"mng-gw", "gw.conf", ""},
    {"mng-ow", "ow.conf", ""},
    {"mng-bad", "bad.conf", ""},
    {"mng-norp", "norp.conf", ""},
    {"mng-badarg", "main.conf", " nosuchoption"},
};

static void write_conf(const char *name, const char *extra, bool with_rp)
{
	char text[2048], p[64];

	snprintf(text, sizeof(text),
		 "%s"
		 "credentials = %s/etc/credentials\n"
		 "counters = %s/var/counters\n"
		 "socket = %s/agent.sock\n"
		 "fido_timeout = 10\n"
		 "login_group = root\n"
		 "%s",
		 with_rp ? "rp_id = " RP "\n" : "", dir, dir, dir, extra);
	snprintf(p, sizeof(p), "etc/%s", name);
	put(p, text, 0644);
}

static int setup(void **state)
{
	char p[512], q[2048];

	snprintf(key_a, sizeof(key_a), "%s/keys/a.state", dir);
	snprintf(key_b, sizeof(key_b), "%s/keys/b.state", dir);
	snprintf(key_n, sizeof(key_n), "%s/keys/n.state", dir);
	ctl(key_a, "--pin " PIN_A);
	ctl(key_b, "--pin " PIN_B);
	ctl(key_n, "--pin " PIN_A);
	enroll(key_a, PIN_A, "tanaka", "key A", MNG_CRED_F_UP | MNG_CRED_F_UV);
	enroll(key_b, PIN_B, "tanaka", "key B", MNG_CRED_F_UP | MNG_CRED_F_UV);
	enroll(key_n, PIN_A, "nobody", "locker key", MNG_CRED_F_UP | MNG_CRED_F_UV);
	enroll(key_a, PIN_A, "kimura", "counterless key",
	       MNG_CRED_F_UP | MNG_CRED_F_UV | MNG_CRED_F_ZERO_OK);
	/* enrolment wrote the state files as root: give them back */
	ctl(key_a, "no_uv=0");
	ctl(key_b, "no_uv=0");
	ctl(key_n, "no_uv=0");

	put("etc/credentials", creds_text, 0644);
	put("etc/cred-gw", creds_text, 0664);
	put("etc/cred-ow", creds_text, 0646);
	put("etc/cred-bad", "tanaka\tAA\tes256\n", 0644);
	snprintf(p, sizeof(p), "%s/etc/credentials", dir);
	snprintf(q, sizeof(q), "%s/etc/cred-link", dir);
	(void)unlink(q);
	assert_int_equal(symlink(p, q), 0);

	write_conf("main.conf", "", true);
	write_conf("norp.conf", "", false);
	write_conf("to.conf", "", true);
	/* to.conf: fido_timeout 2 (the key may appear only once) */
	snprintf(q, sizeof(q),
		 "rp_id = " RP "\ncredentials = %s/etc/credentials\ncounters = %s/var/counters\n"
		 "socket = %s/agent.sock\nfido_timeout = 2\n",
		 dir, dir, dir);
	put("etc/to.conf", q, 0644);
	write_conf("aaguid.conf", "aaguid_allow = 00112233445566778899aabbccddeeff\n", true);
	snprintf(q, sizeof(q),
		 "rp_id = " RP "\ncredentials = %s/etc/cred-link\ncounters = %s/var/counters\n"
		 "socket = %s/nothing.sock\n",
		 dir, dir, dir);
	put("etc/link.conf", q, 0644);
	snprintf(q, sizeof(q), "rp_id = " RP "\ncredentials = %s/etc/cred-gw\n", dir);
	put("etc/gw.conf", q, 0644);
	snprintf(q, sizeof(q), "rp_id = " RP "\ncredentials = %s/etc/cred-ow\n", dir);
	put("etc/ow.conf", q, 0644);
	snprintf(q, sizeof(q), "rp_id = " RP "\ncredentials = %s/etc/cred-bad\n", dir);
	put("etc/bad.conf", q, 0644);
	agent_start();
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Before the re-exec: the tree, the service files, the environment. */
static int prepare_and_reexec(char **argv)
{
	static const char *const wrappers[] = {"/usr/lib/x86_64-linux-gnu/libpam_wrapper.so",
					       "/usr/lib64/libpam_wrapper.so",
					       "/usr/lib/libpam_wrapper.so"};
	const char *mod = getenv("MNG_PAM"), *sk = getenv("MNG_SOFTKEY"),
		   *skctl = getenv("MNG_SOFTKEY_CTL"), *old = getenv("LD_PRELOAD"), *wrap = NULL;
	char tmpl[] = "/tmp/mng-pam-XXXXXX", modabs[PATH_MAX], skabs[PATH_MAX], ctlabs[PATH_MAX];
	char svcdir[128];
	char *preload = NULL;
	size_t i;

	if (!mod || !*mod || !sk || !*sk || !skctl || !*skctl) {
		fprintf(stderr, "test_pam: MNG_PAM, MNG_SOFTKEY and MNG_SOFTKEY_CTL must be set "
				"(make check-unit sets them)\n");
		return 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "test_pam: needs root (the files must be root-owned)\n");
		return 1;
	}
	for (i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (access(wrappers[i], R_OK) == 0)
			wrap = wrappers[i];
	if (!wrap || !realpath(mod, modabs) || !realpath(sk, skabs) || !realpath(skctl, ctlabs) ||
	    !mkdtemp(tmpl)) {
		fprintf(stderr, "test_pam: pam_wrapper, module or softkey not found\n");
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
		if (i == 3 && chown(p, NOBODY, NOBODY) < 0)
			return 1;
	}
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		char args[600], text[4 * (PATH_MAX + 700)], name[64];

		snprintf(args, sizeof(args), "config=%s/etc/%s%s", dir, services[i][1],
			 services[i][2]);
		if (strstr(args, "nouserok"))
			snprintf(text, sizeof(text),
				 "auth [success=done ignore=ignore default=die] %s %s\n"
				 "auth required %s/pam_permit.so\n"
				 "account required %s %s\nsession required %s %s\n",
				 modabs, args, PAM_MODULE_DIR, modabs, args, modabs, args);
		else
			snprintf(text, sizeof(text),
				 "auth required %s %s\naccount required %s %s\n"
				 "session required %s %s\n",
				 modabs, args, modabs, args, modabs, args);
		snprintf(name, sizeof(name), "svc/%s", services[i][0]);
		put(name, text, 0644);
	}
	if (asprintf(&preload, "%s %s%s%s", wrap, skabs, old ? " " : "", old ? old : "") < 0)
		return 1;
	setenv("LD_PRELOAD", preload, 1);
	setenv("PAM_WRAPPER", "1", 1);
	/* pam_wrapper reads this name; RTLD_DEEPBIND breaks ASan builds */
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	snprintf(svcdir, sizeof(svcdir), "%s/svc", dir);
	setenv("PAM_WRAPPER_SERVICE_DIR", svcdir, 1);
	setenv("MNG_SOFTKEY_CTL", ctlabs, 1);
	setenv("MNG_PAM_TEST_DIR", dir, 1);
	setenv("LANGUAGE", "en", 1);
	setenv("LC_ALL", "C", 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "test_pam: exec: %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_and_touch),
	    cmocka_unit_test(test_silent),
	    cmocka_unit_test(test_either_key),
	    cmocka_unit_test(test_wrong_pin),
	    cmocka_unit_test(test_conversation_gives_nothing),
	    cmocka_unit_test(test_no_uv_denied),
	    cmocka_unit_test(test_bad_signature),
	    cmocka_unit_test(test_counter_regression),
	    cmocka_unit_test(test_zero_counter_ok),
	    cmocka_unit_test(test_aaguid_refused),
	    cmocka_unit_test(test_untrusted_credential_file),
	    cmocka_unit_test(test_nouserok),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_no_device),
	    cmocka_unit_test(test_account_and_session),
	    cmocka_unit_test(test_unprivileged),
	};
	const char *d = getenv("MNG_PAM_TEST_DIR");

	if (!d)
		return prepare_and_reexec(argv);
	snprintf(dir, sizeof(dir), "%s", d);
	return cmocka_run_group_tests(tests, setup, teardown);
}
