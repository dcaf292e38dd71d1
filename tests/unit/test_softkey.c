// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_softkey.c - the software FIDO2 authenticator (tests/softkey), driven by the
 * real libfido2: through its io callbacks (libsoftkey.so opened with dlopen) and,
 * in a child process, through the LD_PRELOAD shim. Needs MNG_SOFTKEY (the .so) and
 * MNG_SOFTKEY_CTL (softkey-ctl).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
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
#include <cbor.h>
#include <libpamtest.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <fido.h>
#include <fido/es256.h>

#define RP "mnguard.test"
#define PIN "1234"

static const fido_dev_io_t *io;
static const char *ctl;
static const char *sk_so;
static char dir[] = "/tmp/mng-softkey-XXXXXX";
static char state_path[300];
static char dev_path[320];
static char *self_exe;

/* ---- helpers ---- */

static int run(const char *const *argv, char *out, size_t cap)
{
	int pfd[2], st;
	size_t got = 0;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[4096];
		ssize_t k = read(pfd[0], out ? out + got : tmp, out ? cap - 1 - got : sizeof(tmp));
		if (k <= 0)
			break;
		if (out)
			got += (size_t)k;
		if (out && got >= cap - 1)
			break;
	}
	if (out)
		out[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void ctl_set(const char *kv)
{
	const char *argv[] = {ctl, "set", state_path, kv, NULL};
	assert_int_equal(run(argv, NULL, 0), 0);
}

static void init_key(const char *pin)
{
	const char *a1[] = {ctl, "init", state_path, "--pin", pin, NULL};
	const char *a2[] = {ctl, "init", state_path, NULL};
	assert_int_equal(run(pin ? a1 : a2, NULL, 0), 0);
}

static fido_dev_t *open_dev(void)
{
	fido_dev_t *d = fido_dev_new();

	assert_non_null(d);
	assert_int_equal(fido_dev_set_io_functions(d, io), FIDO_OK);
	assert_int_equal(fido_dev_open(d, dev_path), FIDO_OK);
	return d;
}

static void close_dev(fido_dev_t **d)
{
	fido_dev_close(*d);
	fido_dev_free(d);
}

static void rand_cdh(unsigned char cdh[32])
{
	for (int i = 0; i < 32; i++)
		cdh[i] = (unsigned char)rand();
}

struct cred {
	unsigned char id[1024];
	size_t id_len;
	es256_pk_t *pk;
	uint8_t flags;
};

static int make_cred(fido_dev_t *d, const char *pin, struct cred *out, fido_cred_t **keep)
{
	fido_cred_t *c = fido_cred_new();
	unsigned char cdh[32], uid[8] = "alice-id";
	int r;

	rand_cdh(cdh);
	assert_int_equal(fido_cred_set_type(c, COSE_ES256), FIDO_OK);
	assert_int_equal(fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_cred_set_rp(c, RP, "mnguard"), FIDO_OK);
	assert_int_equal(fido_cred_set_user(c, uid, sizeof(uid), "alice", "Alice", NULL), FIDO_OK);
	r = fido_dev_make_cred(d, c, pin);
	if (r == FIDO_OK && out != NULL) {
		assert_true(fido_cred_id_len(c) <= sizeof(out->id));
		out->id_len = fido_cred_id_len(c);
		memcpy(out->id, fido_cred_id_ptr(c), out->id_len);
		out->pk = es256_pk_new();
		assert_int_equal(
		    es256_pk_from_ptr(out->pk, fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c)),
		    FIDO_OK);
		out->flags = fido_cred_flags(c);
	}
	if (keep != NULL)
		*keep = c;
	else
		fido_cred_free(&c);
	return r;
}

/* One assertion; returns libfido2's result, fills *ret_assert on success. */
static int get_assert(fido_dev_t *d, const char *rp, const struct cred *c, const char *pin,
		      fido_assert_t **ret_assert)
{
	fido_assert_t *a = fido_assert_new();
	unsigned char cdh[32];
	int r;

	rand_cdh(cdh);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_assert_set_rp(a, rp), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, c->id, c->id_len), FIDO_OK);
	r = fido_dev_get_assert(d, a, pin);
	if (r == FIDO_OK && ret_assert != NULL)
		*ret_assert = a;
	else
		fido_assert_free(&a);
	return r;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	init_key(PIN);
	return 0;
}

static int teardown(void **state)
{
	char p[340];

	(void)unlink(state_path);
	snprintf(p, sizeof(p), "%s.lock", state_path);
	(void)unlink(p);
	return 0;
}

/* ---- tests through libfido2 ---- */

static void test_getinfo(void **state)
{
	const char *argv[] = {
	    ctl, "init", state_path, "--pin", PIN, "--aaguid", "00112233445566778899aabbccddeeff",
	    NULL};
	fido_cbor_info_t *ci = fido_cbor_info_new();
	fido_dev_t *d;
	bool found = false;

	assert_int_equal(run(argv, NULL, 0), 0);
	d = open_dev();
	assert_true(fido_dev_is_fido2(d));
	assert_true(fido_dev_has_pin(d));
	assert_int_equal(fido_dev_get_cbor_info(d, ci), FIDO_OK);
	for (size_t i = 0; i < fido_cbor_info_versions_len(ci); i++)
		found |= strcmp(fido_cbor_info_versions_ptr(ci)[i], "FIDO_2_0") == 0;
	assert_true(found);
	assert_int_equal(fido_cbor_info_aaguid_len(ci), 16);
	assert_memory_equal(fido_cbor_info_aaguid_ptr(ci),
			    "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
	assert_int_equal(fido_cbor_info_protocols_len(ci), 1);
	assert_int_equal(fido_cbor_info_protocols_ptr(ci)[0], 1);
	fido_cbor_info_free(&ci);
	close_dev(&d);
}

static void test_makecred_packed_verifies(void **state)
{
	fido_dev_t *d = open_dev();
	fido_cred_t *c = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, &c), FIDO_OK);
	assert_string_equal(fido_cred_fmt(c), "packed");
	assert_true(fido_cred_x5c_len(c) > 0);
	assert_int_equal(fido_cred_verify(c), FIDO_OK);
	assert_true(cr.flags & 0x01); /* UP */
	assert_true(cr.flags & 0x04); /* UV by PIN */
	assert_int_equal(fido_cred_aaguid_len(c), 16);
	assert_memory_equal(fido_cred_aaguid_ptr(c), "mnguard-softkey1", 16);
	/* a PIN-protected key refuses makeCredential without the PIN */
	assert_int_equal(make_cred(d, NULL, NULL, NULL), FIDO_ERR_PIN_REQUIRED);
	fido_cred_free(&c);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_bad_attestation_switch(void **state)
{
	fido_dev_t *d;
	fido_cred_t *c = NULL;

	ctl_set("bad_attest=1");
	d = open_dev();
	assert_int_equal(make_cred(d, PIN, NULL, &c), FIDO_OK);
	assert_int_equal(fido_cred_verify(c), FIDO_ERR_INVALID_SIG);
	fido_cred_free(&c);
	close_dev(&d);
}

static void test_assert_verifies_and_counts(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL, *b = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_set_uv(a, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_set_up(a, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_OK);
	assert_int_equal(fido_assert_flags(a, 0) & 0x05, 0x05);
	assert_int_equal(fido_assert_id_len(a, 0), cr.id_len);
	assert_int_equal(get_assert(d, RP, &cr, PIN, &b), FIDO_OK);
	assert_true(fido_assert_sigcount(b, 0) > fido_assert_sigcount(a, 0));
	/* without a PIN: an assertion with UP but no UV */
	fido_assert_free(&b);
	assert_int_equal(get_assert(d, RP, &cr, NULL, &b), FIDO_OK);
	assert_int_equal(fido_assert_flags(b, 0) & 0x05, 0x01);
	assert_int_equal(fido_assert_set_uv(b, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_verify(b, 0, COSE_ES256, cr.pk), FIDO_ERR_INVALID_PARAM);
	/* another relying party, or a tampered id, finds no credential */
	assert_int_equal(get_assert(d, "evil.test", &cr, PIN, NULL), FIDO_ERR_NO_CREDENTIALS);
	cr.id[cr.id_len / 2] ^= 1;
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_ERR_NO_CREDENTIALS);
	fido_assert_free(&a);
	fido_assert_free(&b);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

/* An assertion with options.uv set, as a module that insists on UV asks for it. */
static int get_assert_uv(fido_dev_t *d, const struct cred *c, const char *pin,
			 fido_assert_t **ret_assert)
{
	fido_assert_t *a = fido_assert_new();
	unsigned char cdh[32];
	int r;

	rand_cdh(cdh);
	assert_int_equal(fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)), FIDO_OK);
	assert_int_equal(fido_assert_set_rp(a, RP), FIDO_OK);
	assert_int_equal(fido_assert_allow_cred(a, c->id, c->id_len), FIDO_OK);
	assert_int_equal(fido_assert_set_uv(a, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_set_up(a, FIDO_OPT_TRUE), FIDO_OK);
	r = fido_dev_get_assert(d, a, pin);
	if (r == FIDO_OK && ret_assert != NULL)
		*ret_assert = a;
	else
		fido_assert_free(&a);
	return r;
}

static void test_uv_option(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	/* uv requested together with the PIN: verified by the PIN */
	assert_int_equal(get_assert_uv(d, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_flags(a, 0) & 0x05, 0x05);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_OK);
	fido_assert_free(&a);
	/* uv requested without a PIN on a key with no built-in UV */
	assert_int_equal(get_assert_uv(d, &cr, NULL, NULL), FIDO_ERR_UNSUPPORTED_OPTION);
	close_dev(&d);
	/* a key with built-in UV (a fingerprint key) */
	ctl_set("builtin_uv=1");
	d = open_dev();
	assert_true(fido_dev_has_uv(d));
	assert_int_equal(get_assert_uv(d, &cr, NULL, &a), FIDO_OK);
	assert_int_equal(fido_assert_flags(a, 0) & 0x05, 0x05);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_counter_persists_across_opens(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL;
	struct cred cr;
	uint32_t first;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	first = fido_assert_sigcount(a, 0);
	fido_assert_free(&a);
	close_dev(&d);
	d = open_dev();
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_sigcount(a, 0), first + 1);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_pin_wrong_right_retries(void **state)
{
	fido_dev_t *d = open_dev();
	struct cred cr;
	int retries = -1;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, "9999", NULL), FIDO_ERR_PIN_INVALID);
	assert_int_equal(fido_dev_get_retry_count(d, &retries), FIDO_OK);
	assert_int_equal(retries, 7);
	assert_int_equal(get_assert(d, RP, &cr, "9998", NULL), FIDO_ERR_PIN_INVALID);
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_OK);
	assert_int_equal(fido_dev_get_retry_count(d, &retries), FIDO_OK);
	assert_int_equal(retries, 8);
	/* three wrong PINs in one power cycle block PIN auth until re-open */
	assert_int_equal(get_assert(d, RP, &cr, "0000", NULL), FIDO_ERR_PIN_INVALID);
	assert_int_equal(get_assert(d, RP, &cr, "0001", NULL), FIDO_ERR_PIN_INVALID);
	assert_int_equal(get_assert(d, RP, &cr, "0002", NULL), FIDO_ERR_PIN_AUTH_BLOCKED);
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_ERR_PIN_AUTH_BLOCKED);
	close_dev(&d);
	/* retries persisted: 8 - 3 */
	d = open_dev();
	assert_int_equal(fido_dev_get_retry_count(d, &retries), FIDO_OK);
	assert_int_equal(retries, 5);
	close_dev(&d);
	/* used up: blocked even for the right PIN */
	ctl_set("pin_retries=1");
	d = open_dev();
	assert_int_equal(get_assert(d, RP, &cr, "4444", NULL), FIDO_ERR_PIN_BLOCKED);
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_ERR_PIN_BLOCKED);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_set_and_change_pin(void **state)
{
	fido_dev_t *d;
	struct cred cr;

	init_key(NULL);
	d = open_dev();
	assert_false(fido_dev_has_pin(d));
	assert_int_equal(make_cred(d, NULL, &cr, NULL), FIDO_OK);
	assert_int_equal(fido_dev_set_pin(d, "5678", NULL), FIDO_OK);
	assert_int_equal(fido_dev_set_pin(d, "1111", "0000"), FIDO_ERR_PIN_INVALID);
	assert_int_equal(fido_dev_set_pin(d, "8765", "5678"), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, "8765", NULL), FIDO_OK);
	assert_int_equal(fido_dev_set_pin(d, "12", "8765"), FIDO_ERR_PIN_POLICY_VIOLATION);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_fault_no_uv_no_up(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	close_dev(&d);
	ctl_set("no_uv=1");
	d = open_dev();
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_flags(a, 0) & 0x04, 0);
	assert_int_equal(fido_assert_set_uv(a, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_ERR_INVALID_PARAM);
	fido_assert_free(&a);
	close_dev(&d);
	ctl_set("no_uv=0");
	ctl_set("no_up=1");
	d = open_dev();
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_flags(a, 0) & 0x05, 0x04);
	assert_int_equal(fido_assert_set_up(a, FIDO_OPT_TRUE), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_ERR_INVALID_PARAM);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_fault_bad_sig(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	ctl_set("bad_sig=1");
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_ERR_INVALID_SIG);
	fido_assert_free(&a);
	ctl_set("bad_sig=0");
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_OK);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_fault_counters(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL, *b = NULL;
	struct cred cr;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	ctl_set("counter=41");
	ctl_set("stale_counter=1");
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, PIN, &b), FIDO_OK);
	assert_int_equal(fido_assert_sigcount(a, 0), 41);
	assert_int_equal(fido_assert_sigcount(b, 0), 41);
	assert_int_equal(fido_assert_verify(b, 0, COSE_ES256, cr.pk), FIDO_OK);
	fido_assert_free(&a);
	fido_assert_free(&b);
	ctl_set("stale_counter=0");
	ctl_set("zero_counter=1");
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(get_assert(d, RP, &cr, PIN, &b), FIDO_OK);
	assert_int_equal(fido_assert_sigcount(a, 0), 0);
	assert_int_equal(fido_assert_sigcount(b, 0), 0);
	fido_assert_free(&a);
	fido_assert_free(&b);
	ctl_set("zero_counter=0");
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_int_equal(fido_assert_sigcount(a, 0), 42);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_keepalive_storm_and_touch_delay(void **state)
{
	fido_dev_t *d = open_dev();
	fido_assert_t *a = NULL;
	struct cred cr;
	int64_t t0;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	ctl_set("keepalive_storm=300");
	t0 = mono_ms();
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_true(mono_ms() - t0 >= 300);
	assert_int_equal(fido_assert_verify(a, 0, COSE_ES256, cr.pk), FIDO_OK);
	fido_assert_free(&a);
	ctl_set("keepalive_storm=0");
	ctl_set("touch_delay_ms=250");
	t0 = mono_ms();
	assert_int_equal(get_assert(d, RP, &cr, PIN, &a), FIDO_OK);
	assert_true(mono_ms() - t0 >= 250);
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void test_no_touch_host_timeout(void **state)
{
	fido_dev_t *d = open_dev();
	struct cred cr;
	int64_t t0, dt;
	int r;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	ctl_set("no_touch=1");
	assert_int_equal(fido_dev_set_timeout(d, 500), FIDO_OK);
	t0 = mono_ms();
	r = get_assert(d, RP, &cr, PIN, NULL);
	dt = mono_ms() - t0;
	/* libfido2 1.12 reports a read that timed out as FIDO_ERR_RX */
	assert_true(r == FIDO_ERR_RX || r == FIDO_ERR_ACTION_TIMEOUT ||
		    r == FIDO_ERR_USER_ACTION_TIMEOUT);
	assert_true(dt >= 400);
	assert_true(dt < 3000);
	close_dev(&d);
	/* the authenticator's own timeout */
	ctl_set("touch_timeout_ms=300");
	d = open_dev();
	t0 = mono_ms();
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_ERR_ACTION_TIMEOUT);
	assert_true(mono_ms() - t0 < 3000);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

static void *cancel_later(void *arg)
{
	usleep(300 * 1000);
	(void)fido_dev_cancel(arg);
	return NULL;
}

static void test_no_touch_cancel(void **state)
{
	fido_dev_t *d = open_dev();
	struct cred cr;
	pthread_t th;
	int64_t t0;

	assert_int_equal(make_cred(d, PIN, &cr, NULL), FIDO_OK);
	ctl_set("no_touch=1");
	assert_int_equal(fido_dev_set_timeout(d, 5000), FIDO_OK);
	assert_int_equal(pthread_create(&th, NULL, cancel_later, d), 0);
	t0 = mono_ms();
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_ERR_KEEPALIVE_CANCEL);
	assert_true(mono_ms() - t0 < 3000);
	pthread_join(th, NULL);
	/* the device still works afterwards */
	ctl_set("no_touch=0");
	assert_int_equal(get_assert(d, RP, &cr, PIN, NULL), FIDO_OK);
	es256_pk_free(&cr.pk);
	close_dev(&d);
}

/* ---- raw CTAPHID frames ---- */

static void *raw_open(void)
{
	void *h = io->open(dev_path);
	assert_non_null(h);
	return h;
}

static void frame(void *h, uint32_t cid, uint8_t b4, const uint8_t *p, size_t n, size_t bcnt)
{
	uint8_t f[65] = {0};

	f[1] = (uint8_t)(cid >> 24);
	f[2] = (uint8_t)(cid >> 16);
	f[3] = (uint8_t)(cid >> 8);
	f[4] = (uint8_t)cid;
	f[5] = b4;
	if (b4 & 0x80) {
		f[6] = (uint8_t)(bcnt >> 8);
		f[7] = (uint8_t)bcnt;
		memcpy(f + 8, p, n);
	} else {
		memcpy(f + 6, p, n);
	}
	assert_int_equal(io->write(h, f, sizeof(f)), 65);
}

static uint32_t raw_init(void *h)
{
	uint8_t nonce[8] = "nonce!!!", r[64];

	frame(h, 0xffffffff, 0x86, nonce, 8, 8);
	assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(r[4], 0x86);
	assert_memory_equal(r + 7, nonce, 8);
	assert_true(r[23] & 0x04); /* CBOR capability */
	return (uint32_t)r[15] << 24 | (uint32_t)r[16] << 16 | (uint32_t)r[17] << 8 | r[18];
}

/* Sends a whole CBOR message; returns the status byte of the reply (or 0x100 + ERROR code). */
static int raw_cbor(void *h, uint32_t cid, const uint8_t *msg, size_t n)
{
	uint8_t r[64];
	size_t off = n < 57 ? n : 57;
	uint8_t seq = 0;

	frame(h, cid, 0x90, msg, off, n);
	while (off < n) {
		size_t c = n - off < 59 ? n - off : 59;
		frame(h, cid, seq++, msg + off, c, 0);
		off += c;
	}
	for (;;) {
		if (io->read(h, r, 64, 2000) != 64)
			return -1;
		if (r[4] == 0xbb)
			continue;
		if (r[4] == 0xbf)
			return 0x100 + r[7];
		return r[7];
	}
}

static void test_raw_framing_errors(void **state)
{
	void *h = raw_open();
	uint8_t r[64], big[8000];
	uint32_t cid = raw_init(h);

	/* nothing pending: read returns at once */
	assert_int_equal(io->read(h, r, 64, -1), -1);
	/* PING echoes across frames */
	memset(big, 0xab, 200);
	frame(h, cid, 0x81, big, 57, 200);
	frame(h, cid, 0, big, 59, 0);
	frame(h, cid, 1, big, 59, 0);
	frame(h, cid, 2, big, 25, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(io->read(h, r, 64, 0), -1);
	/* too long */
	frame(h, cid, 0x90, big, 57, 7610);
	assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(r[4], 0xbf);
	assert_int_equal(r[7], 0x03);
	/* wrong sequence */
	frame(h, cid, 0x90, big, 57, 100);
	frame(h, cid, 5, big, 43, 0);
	assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(r[4], 0xbf);
	assert_int_equal(r[7], 0x04);
	/* a stray continuation is ignored; broadcast CBOR is refused; MSG unsupported */
	frame(h, cid, 3, big, 59, 0);
	assert_int_equal(io->read(h, r, 64, 0), -1);
	frame(h, 0xffffffff, 0x90, big, 1, 1);
	assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(r[7], 0x0b);
	frame(h, cid, 0x83, big, 5, 5);
	assert_int_equal(io->read(h, r, 64, 100), 64);
	assert_int_equal(r[7], 0x01);
	/* short writes are rejected */
	assert_int_equal(io->write(h, big, 10), -1);
	io->close(h);
}

static int raw_get_assert(void *h, uint32_t cid, const unsigned char *rp, size_t rp_len,
			  size_t cdh_len)
{
	cbor_item_t *m = cbor_new_definite_map(2);
	unsigned char *buf = NULL, cdh[32] = {0}, msg[256];
	size_t cap = 0, len;
	int r;

	assert_true(cbor_map_add(
	    m, (struct cbor_pair){cbor_move(cbor_build_uint8(1)),
				  cbor_move(cbor_build_stringn((const char *)rp, rp_len))}));
	assert_true(
	    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_uint8(2)),
					       cbor_move(cbor_build_bytestring(cdh, cdh_len))}));
	len = cbor_serialize_alloc(m, &buf, &cap);
	assert_true(len > 0 && len < sizeof(msg));
	msg[0] = 0x02;
	memcpy(msg + 1, buf, len);
	r = raw_cbor(h, cid, msg, len + 1);
	free(buf);
	cbor_decref(&m);
	return r;
}

static void test_raw_bad_cbor(void **state)
{
	void *h = raw_open();
	uint32_t cid = raw_init(h);
	static uint8_t msg[7609];
	size_t n;

	/* invalid CBOR after the command byte */
	msg[0] = 0x02;
	msg[1] = 0xff;
	assert_int_equal(raw_cbor(h, cid, msg, 2), 0x12);
	/* not a map */
	msg[1] = 0x01;
	assert_int_equal(raw_cbor(h, cid, msg, 2), 0x11);
	/* deep nesting: [[[[...]]]] filling the largest message */
	n = sizeof(msg);
	msg[0] = 0x01;
	memset(msg + 1, 0x81, n - 2);
	msg[n - 1] = 0x80;
	assert_true(raw_cbor(h, cid, msg, n) > 0);
	/* a map with huge claimed size */
	msg[0] = 0x02;
	msg[1] = 0xbb;
	memset(msg + 2, 0xff, 8);
	assert_int_equal(raw_cbor(h, cid, msg, 10), 0x12);
	/* unknown command, empty CBOR message */
	msg[0] = 0x40;
	assert_int_equal(raw_cbor(h, cid, msg, 1), 0x01);
	assert_int_equal(raw_cbor(h, cid, msg, 0), 0x03);
	/* getAssertion: an rp id with invalid UTF-8 is invalid CBOR; one with a NUL byte
	 * or a 31-byte clientDataHash is refused */
	{
		static const unsigned char bad_utf8[] = {'a', 0xc3, 0x28, 'b'};
		static const unsigned char with_nul[] = {'a', 0, 'b'};
		assert_int_equal(raw_get_assert(h, cid, bad_utf8, sizeof(bad_utf8), 32), 0x12);
		assert_int_equal(raw_get_assert(h, cid, with_nul, sizeof(with_nul), 32), 0x11);
		assert_int_equal(raw_get_assert(h, cid, (const unsigned char *)RP, strlen(RP), 31),
				 0x03);
		assert_int_equal(raw_get_assert(h, cid, (const unsigned char *)RP, strlen(RP), 32),
				 0x2e);
	}
	io->close(h);
}

static void test_raw_random_frames(void **state)
{
	void *h = raw_open();
	uint8_t f[64], r[64];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		for (int j = 0; j < 64; j++)
			f[j] = (uint8_t)rand();
		if (i % 3 == 0) { /* keep a valid-looking channel sometimes */
			f[0] = 0x5c;
			f[1] = f[2] = 0;
			f[3] = 1;
		}
		assert_int_equal(io->write(h, f, 64), 64);
		while (io->read(h, r, 64, 0) == 64)
			;
	}
	io->close(h);
}

/* ---- state file ---- */

static void test_bad_state_files(void **state)
{
	const char *argv[] = {ctl, "show", state_path, NULL};
	char out[8192];
	FILE *f;
	char *big;
	int fd;

	assert_int_equal(run(argv, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "pin=set"));
	assert_null(strstr(out, "secret="));
	assert_null(strstr(out, "pin_hash="));
	/* a NUL byte */
	f = fopen(state_path, "a");
	assert_non_null(f);
	fputc(0, f);
	fclose(f);
	assert_int_equal(run(argv, out, sizeof(out)), 1);
	assert_null(io->open(dev_path));
	/* a 1 MiB line */
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	fd = open(state_path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, 1 << 20), 1 << 20);
	close(fd);
	free(big);
	assert_int_equal(run(argv, out, sizeof(out)), 1);
	/* unknown key, bad values, missing secret */
	init_key(PIN);
	{
		const char *a1[] = {ctl, "set", state_path, "frobnicate=1", NULL};
		const char *a2[] = {ctl, "set", state_path, "counter=99999999999", NULL};
		const char *a3[] = {ctl, "set", state_path, "pin=12", NULL};
		const char *a4[] = {ctl, "set", state_path, "no_uv=maybe", NULL};
		assert_int_equal(run(a1, NULL, 0), 2);
		assert_int_equal(run(a2, NULL, 0), 2);
		assert_int_equal(run(a3, NULL, 0), 2);
		assert_int_equal(run(a4, NULL, 0), 2);
	}
	f = fopen(state_path, "w");
	fputs("version=1\ncounter=1\n", f);
	fclose(f);
	assert_int_equal(run(argv, out, sizeof(out)), 1);
	/* a missing file: fido_dev_open fails cleanly */
	(void)unlink(state_path);
	{
		fido_dev_t *d = fido_dev_new();
		assert_int_equal(fido_dev_set_io_functions(d, io), FIDO_OK);
		assert_int_not_equal(fido_dev_open(d, dev_path), FIDO_OK);
		fido_dev_free(&d);
	}
}

/* ---- the LD_PRELOAD shim, in a child process ---- */

static int shim_child(void)
{
	fido_dev_info_t *di = fido_dev_info_new(4);
	fido_dev_t *d;
	struct cred cr;
	fido_assert_t *a = NULL;
	size_t n = 0;
	int ok;

	if (fido_dev_info_manifest(di, 4, &n) != FIDO_OK || n != 1)
		return 10;
	if (strcmp(fido_dev_info_path(fido_dev_info_ptr(di, 0)), "softkey:0") != 0 ||
	    strstr(fido_dev_info_product_string(fido_dev_info_ptr(di, 0)), "softkey") == NULL)
		return 11;
	/* the fido_dev_new_with_info() path */
	d = fido_dev_new_with_info(fido_dev_info_ptr(di, 0));
	if (d == NULL || fido_dev_open_with_info(d) != FIDO_OK)
		return 12;
	fido_dev_close(d);
	fido_dev_free(&d);
	/* the fido_dev_open(path) path, as pam_u2f uses it */
	d = fido_dev_new();
	if (fido_dev_open(d, fido_dev_info_path(fido_dev_info_ptr(di, 0))) != FIDO_OK)
		return 13;
	if (make_cred(d, PIN, &cr, NULL) != FIDO_OK)
		return 14;
	if (get_assert(d, RP, &cr, PIN, &a) != FIDO_OK)
		return 15;
	fido_assert_set_uv(a, FIDO_OPT_TRUE);
	ok = fido_assert_verify(a, 0, COSE_ES256, cr.pk) == FIDO_OK;
	fido_assert_free(&a);
	es256_pk_free(&cr.pk);
	fido_dev_close(d);
	fido_dev_free(&d);
	fido_dev_info_free(&di, 4);
	return ok ? 0 : 16;
}

static void test_shim_preload(void **state)
{
	char pre[4096], *old = getenv("LD_PRELOAD");
	const char *argv[] = {self_exe, "--shim-child", NULL};
	pid_t pid;
	int st;

	snprintf(pre, sizeof(pre), "%s%s%s", old ? old : "", old ? " " : "", sk_so);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("LD_PRELOAD", pre, 1);
		setenv("SOFTKEY_STATE", state_path, 1);
		execv(self_exe, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define PAM_U2F "/lib/x86_64-linux-gnu/security/pam_u2f.so"
#define PAMU2FCFG "/usr/bin/pamu2fcfg"

/* Runs argv with the shim (and extra environment) preloaded; returns the exit status. */
static int run_preloaded(const char *const *argv, const char *extra_preload, char *out, size_t cap)
{
	char pre[4096], *old = getenv("LD_PRELOAD");
	int pfd[2], st;
	size_t got = 0;
	pid_t pid;

	snprintf(pre, sizeof(pre), "%s%s%s%s%s", old ? old : "", old ? " " : "",
		 extra_preload ? extra_preload : "", extra_preload ? " " : "", sk_so);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		setenv("LD_PRELOAD", pre, 1);
		setenv("SOFTKEY_STATE", state_path, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], out + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == cap - 1)
			break;
	}
	out[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *user_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	return pw->pw_name;
}

static void test_pamu2fcfg_enrols(void **state)
{
	const char *argv[] = {PAMU2FCFG, "-u", "alice", "-o", "pam://mnguard", NULL};
	char out[4096];

	if (access(argv[0], X_OK) != 0)
		skip();
	init_key(NULL); /* pamu2fcfg asks for a PIN on a terminal only */
	assert_int_equal(run_preloaded(argv, NULL, out, sizeof(out)), 0);
	assert_true(strncmp(out, "alice:", 6) == 0);
	assert_non_null(strstr(out, ",es256,+presence"));
}

static int pam_child(const char *user, const char *expect)
{
	struct pam_testcase tests[] = {
	    pam_test(PAMTEST_AUTHENTICATE, atoi(expect)),
	};
	enum pamtest_err r = run_pamtest("softkey-u2f", user, NULL, tests, NULL);

	return r == PAMTEST_ERR_OK ? 0 : 30 + (int)r;
}

/* Debian's pam_u2f.so, dlopen()ed by libpam inside pam_wrapper, finds and uses the
 * softkey through the shim: a login works, and a corrupted signature is refused. */
static void test_pam_u2f_login(void **state)
{
	const char *user = user_name();
	const char *enrol[] = {PAMU2FCFG, "-u", user, "-o", "pam://mnguard", NULL};
	char line[4096], path[400], svc[400], other[400], good[16], bad[16], out[256];
	const char *child_ok[] = {self_exe, "--pam-child", user, good, NULL};
	const char *child_bad[] = {self_exe, "--pam-child", user, bad, NULL};
	FILE *f;

	if (access(PAMU2FCFG, X_OK) != 0 || access(PAM_U2F, R_OK) != 0 ||
	    access("/usr/lib/x86_64-linux-gnu/libpam_wrapper.so", R_OK) != 0)
		skip();
	init_key(NULL);
	assert_int_equal(run_preloaded(enrol, NULL, line, sizeof(line)), 0);
	snprintf(path, sizeof(path), "%s/u2f_keys", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", line);
	fclose(f);
	snprintf(svc, sizeof(svc), "%s/softkey-u2f", dir);
	f = fopen(svc, "w");
	assert_non_null(f);
	fprintf(f,
		"auth required " PAM_U2F " authfile=%s origin=pam://mnguard appid=pam://mnguard\n",
		path);
	fclose(f);
	snprintf(other, sizeof(other), "%s/other", dir);
	f = fopen(other, "w");
	assert_non_null(f);
	fputs("auth required /lib/x86_64-linux-gnu/security/pam_deny.so\n", f);
	fclose(f);
	snprintf(good, sizeof(good), "%d", PAM_SUCCESS);
	snprintf(bad, sizeof(bad), "%d", PAM_AUTH_ERR);
	setenv("PAM_WRAPPER", "1", 1);
	/* pam_wrapper opens libpam with RTLD_DEEPBIND, which ASan refuses; this
	 * (oddly named) switch of pam_wrapper turns that off */
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", dir, 1);
	assert_int_equal(run_preloaded(child_ok, "libpam_wrapper.so", out, sizeof(out)), 0);
	{ /* the login really used the key: pam_u2f's assertions moved the counter past
	   * the enrolment's 1 (it probes with up=false first, then asks for the touch) */
		const char *show[] = {ctl, "show", state_path, NULL};
		char *c;
		assert_int_equal(run(show, line, sizeof(line)), 0);
		assert_non_null(c = strstr(line, "\ncounter="));
		assert_true(strtoul(c + 9, NULL, 10) >= 2);
	}
	ctl_set("bad_sig=1");
	assert_int_equal(run_preloaded(child_bad, "libpam_wrapper.so", out, sizeof(out)), 0);
	unsetenv("PAM_WRAPPER");
	unsetenv("UID_WRAPPER_DISABLE_DEEPBIND");
	unsetenv("PAM_WRAPPER_SERVICE_DIR");
	(void)unlink(path);
	(void)unlink(svc);
	(void)unlink(other);
}

int main(int argc, char **argv)
{
	void *h;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_getinfo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_makecred_packed_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_attestation_switch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_assert_verifies_and_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counter_persists_across_opens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uv_option, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pin_wrong_right_retries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_and_change_pin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_no_uv_no_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_bad_sig, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_storm_and_touch_delay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_touch_host_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_touch_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_raw_framing_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_raw_bad_cbor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_raw_random_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_state_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shim_preload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pamu2fcfg_enrols, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pam_u2f_login, setup, teardown),
	};
	int r;

	fido_init(0);
	if (argc == 2 && strcmp(argv[1], "--shim-child") == 0) {
		const char *st = getenv("SOFTKEY_STATE");
		if (st == NULL || strlen(st) >= sizeof(state_path))
			return 20;
		strcpy(state_path, st);
		return shim_child();
	}
	if (argc == 4 && strcmp(argv[1], "--pam-child") == 0)
		return pam_child(argv[2], argv[3]);
	sk_so = getenv("MNG_SOFTKEY");
	ctl = getenv("MNG_SOFTKEY_CTL");
	if (sk_so == NULL || ctl == NULL || *sk_so == '\0' || *ctl == '\0') {
		fprintf(stderr, "test_softkey: MNG_SOFTKEY and MNG_SOFTKEY_CTL must be set\n");
		return 1;
	}
	if ((self_exe = realpath("/proc/self/exe", NULL)) == NULL)
		return 1;
	if ((h = dlopen(sk_so, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (io = dlsym(h, "softkey_io")) == NULL) {
		fprintf(stderr, "test_softkey: %s: %s\n", sk_so, dlerror());
		return 1;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	snprintf(dev_path, sizeof(dev_path), "softkey:%s", state_path);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	(void)rmdir(dir);
	free(self_exe);
	return r;
}
