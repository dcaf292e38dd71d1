// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_enroll.c - mnguard-helpdesk enroll ($MNG_HELPDESK) against the
 * software authenticator ($MNG_SOFTKEY preloaded, state made with
 * $MNG_SOFTKEY_CTL): the credential line it writes, the help desk log, a
 * wrong PIN, user verification and attestation faults, the attestation
 * chain against a trust directory (the softkey's own certificate, an
 * unrelated CA, an empty directory), and bad input refused before the key
 * is touched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cred.h"
#include "file.h"
#include "sha256.h"

#define PIN "1234"
#define HUGE 120000 /* a label near the kernel's cap on one argument (128 KiB) */
#define RP "login.city.example.jp"
#define SOFTKEY_AAGUID "6d6e67756172642d736f66746b657931"

struct env {
	char dir[64], state[128], creds[128], log[128], trust[128], empty[128], other[128];
	char out[8192], errout[8192];
};

static const char *helpdesk, *softkey, *softkey_ctl;

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run the help desk tool with the softkey preloaded, pin on its standard
 * input (NULL: empty), args after "enroll". Output lands in e->out and
 * e->errout. Returns the exit status.
 */
static int run(struct env *e, const char *pin, const char *const *args)
{
	char outp[160], errp[160];
	const char *argv[40];
	int p[2], st = 0;
	size_t n = 0;
	pid_t pid;

	argv[n++] = helpdesk;
	argv[n++] = "enroll";
	for (; *args && n < 38; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/out", e->dir);
	snprintf(errp, sizeof(errp), "%s/err", e->dir);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int er = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(p[0], 0);
		dup2(o, 1);
		dup2(er, 2);
		close(p[1]);
		setenv("LD_PRELOAD", softkey, 1);
		setenv("SOFTKEY_STATE", e->state, 1);
		setenv("HOME", e->dir, 1);
		execv(helpdesk, (char *const *)argv);
		_exit(127);
	}
	close(p[0]);
	if (pin) {
		assert_true(write(p[1], pin, strlen(pin)) == (ssize_t)strlen(pin));
		assert_int_equal(write(p[1], "\n", 1), 1);
	}
	close(p[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	read_file(outp, e->out, sizeof(e->out));
	read_file(errp, e->errout, sizeof(e->errout));
	if (!WIFEXITED(st))
		fail_msg("helpdesk died: %s", e->errout);
	return WEXITSTATUS(st);
}

static void softkey_set(struct env *e, const char *kv)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s set %s %s", softkey_ctl, e->state, kv);
	assert_int_equal(system(cmd), 0);
}

/* The softkey's attestation certificate (from its state file) as PEM in dir/softkey.pem. */
static void export_cert(struct env *e, const char *dir)
{
	char buf[16384], *line, path[200];
	unsigned char der[4096];
	const unsigned char *p = der;
	size_t n = 0, i;
	X509 *x;
	FILE *f;

	read_file(e->state, buf, sizeof(buf));
	line = strstr(buf, "\nattest_cert=");
	assert_non_null(line);
	line += strlen("\nattest_cert=");
	for (i = 0; line[i] && line[i] != '\n' && n < sizeof(der); i += 2) {
		unsigned v;

		assert_int_equal(sscanf(line + i, "%2x", &v), 1);
		der[n++] = (unsigned char)v;
	}
	x = d2i_X509(NULL, &p, (long)n);
	assert_non_null(x);
	snprintf(path, sizeof(path), "%s/softkey.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
}

/* A self-signed CA that signed nothing the softkey holds. */
static void write_other_ca(const char *dir)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	char path[200];
	FILE *f;

	assert_non_null(k);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"other CA", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	snprintf(path, sizeof(path), "%s/other.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char cmd[400];

	helpdesk = getenv("MNG_HELPDESK");
	softkey = getenv("MNG_SOFTKEY");
	softkey_ctl = getenv("MNG_SOFTKEY_CTL");
	if (!e || !helpdesk || !*helpdesk || !softkey || !*softkey || !softkey_ctl || !*softkey_ctl)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/mng-enroll-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->state, sizeof(e->state), "%s/softkey", e->dir);
	snprintf(e->creds, sizeof(e->creds), "%s/credentials", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/issued.csv", e->dir);
	snprintf(e->trust, sizeof(e->trust), "%s/trust", e->dir);
	snprintf(e->empty, sizeof(e->empty), "%s/empty", e->dir);
	snprintf(e->other, sizeof(e->other), "%s/other", e->dir);
	mkdir(e->trust, 0755);
	mkdir(e->empty, 0755);
	mkdir(e->other, 0755);
	snprintf(cmd, sizeof(cmd), "%s init %s --pin " PIN, softkey_ctl, e->state);
	if (system(cmd) != 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		print_error("cannot remove %s\n", e->dir);
	free(e);
	return 0;
}

static void load_creds(struct env *e, struct mng_credset *set)
{
	unsigned flags = getuid() == 0 ? MNG_FILE_TRUSTED : 0;

	assert_int_equal(mng_credset_load(e->creds, flags, set, NULL), 0);
}

static void test_enroll_writes_line(void **state)
{
	struct env *e = *state;
	const char *args[] = {"--user", "taro.yamada",	 "--label", "窓口キー 1", "--rp-id",
			      RP,	"--credentials", e->creds,  "--operator", "helpdesk_sato",
			      "--log",	e->log,		 NULL};
	struct mng_credset set = {0};
	uint8_t digest[MNG_SHA256_LEN];
	char hex[MNG_SHA256_HEX_LEN + 1], log[4096], *id = NULL, want[200];
	const unsigned char *p;
	struct stat st;
	EVP_PKEY *pk;

	assert_int_equal(run(e, PIN, args), 0);
	assert_non_null(strstr(e->out, "enrolled: user taro.yamada label \"窓口キー 1\" type es256 "
				       "aaguid " SOFTKEY_AAGUID " attestation packed"));
	assert_non_null(strstr(e->errout, "Touch your security key"));
	assert_null(strstr(e->out, PIN));
	assert_null(strstr(e->errout, PIN));
	assert_int_equal(stat(e->creds, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	load_creds(e, &set);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].user, "taro.yamada");
	assert_string_equal(set.v[0].label, "窓口キー 1");
	assert_string_equal(set.v[0].operator_, "helpdesk_sato");
	assert_int_equal(set.v[0].type, MNG_CRED_ES256);
	assert_int_equal(set.v[0].flags, MNG_CRED_F_UP | MNG_CRED_F_UV);
	assert_memory_equal(set.v[0].aaguid, "mnguard-softkey1", 16);
	assert_int_equal(strlen(set.v[0].enrolled), 20);
	assert_int_equal(set.v[0].enrolled[19], 'Z');
	p = set.v[0].pk;
	pk = d2i_PUBKEY(NULL, &p, (long)set.v[0].pk_len);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_base_id(pk), EVP_PKEY_EC);
	EVP_PKEY_free(pk);
	assert_int_equal(mng_cred_id_encode(set.v[0].id, set.v[0].id_len, &id), 0);
	assert_non_null(strstr(e->out, id));
	free(id);

	/* the help desk's own log: header, one line with the hash of the credential id */
	assert_int_equal(mng_sha256(set.v[0].id, set.v[0].id_len, digest), 0);
	mng_sha256_hex(digest, hex);
	read_file(e->log, log, sizeof(log));
	assert_non_null(strstr(log, "time,operator,action,user,label,aaguid,"));
	snprintf(want, sizeof(want),
		 ",\"helpdesk_sato\",\"enroll\",\"taro.yamada\",\"窓口キー 1\",\"" SOFTKEY_AAGUID
		 "\",\"%s\"\n",
		 hex);
	assert_non_null(strstr(log, want));
	assert_int_equal(stat(e->log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	mng_credset_clear(&set);

	/* the same key for the same user again: the key refuses (excluded), file unchanged */
	args[3] = "another";
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "already enrolled"));
	/* a second user with the same key, default label, default log under $HOME */
	{
		const char *a2[] = {"--user",	     "hanako", "--rp-id", RP,
				    "--credentials", e->creds, NULL};
		char path[200];

		assert_int_equal(run(e, PIN, a2), 0);
		load_creds(e, &set);
		assert_int_equal(set.n, 2);
		assert_string_equal(set.v[0].user, "taro.yamada");
		assert_string_equal(set.v[1].user, "hanako");
		assert_int_equal(strncmp(set.v[1].label, "key-", 4), 0);
		assert_int_equal(strlen(set.v[1].label), 12);
		assert_true(set.v[1].operator_[0] != '\0');
		mng_credset_clear(&set);
		snprintf(path, sizeof(path), "%s/.local/state/mnguard-helpdesk/issued.csv", e->dir);
		read_file(path, log, sizeof(log));
		assert_non_null(strstr(log, "\"enroll\",\"hanako\""));
	}
}

static void test_wrong_pin(void **state)
{
	struct env *e = *state;
	const char *args[] = {"--user", "taro",	 "--rp-id", RP,	 "--credentials",
			      e->creds, "--log", e->log,    NULL};
	struct stat st;

	assert_int_equal(run(e, "4321", args), 1);
	assert_non_null(strstr(e->errout, "wrong PIN"));
	assert_int_equal(stat(e->creds, &st), -1);
	assert_int_equal(stat(e->log, &st), -1);
	/* no PIN at all, and a PIN longer than CTAP allows */
	assert_int_equal(run(e, NULL, args), 1);
	assert_non_null(strstr(e->errout, "no usable PIN"));
	{
		char longpin[200];

		memset(longpin, '7', sizeof(longpin) - 1);
		longpin[sizeof(longpin) - 1] = '\0';
		assert_int_equal(run(e, longpin, args), 1);
		assert_non_null(strstr(e->errout, "no usable PIN"));
	}
	assert_int_equal(stat(e->creds, &st), -1);
	/* the right PIN still works afterwards */
	assert_int_equal(run(e, PIN, args), 0);
}

static void test_trust_dir(void **state)
{
	struct env *e = *state;
	const char *args[] = {"--user",	       "taro",	 "--rp-id", RP,
			      "--credentials", e->creds, "--log",   e->log,
			      "--trust-dir",   e->trust, NULL};
	struct mng_credset set = {0};
	struct stat st;

	export_cert(e, e->trust);
	write_other_ca(e->other);
	/* refused against an empty directory and against an unrelated CA */
	args[9] = e->empty;
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "holds no PEM certificate"));
	args[9] = e->other;
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "does not chain to a CA"));
	assert_int_equal(stat(e->creds, &st), -1);
	/* accepted against the softkey's CA */
	args[9] = e->trust;
	assert_int_equal(run(e, PIN, args), 0);
	load_creds(e, &set);
	assert_int_equal(set.n, 1);
	mng_credset_clear(&set);
	/* a directory that does not exist */
	args[1] = "hanako";
	args[9] = "/nonexistent/trust";
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "/nonexistent/trust"));
}

/*
 * The configuration's attestation_trust_dir applies when --trust-dir is not
 * given, and --trust-dir overrides it.
 */
static void test_trust_dir_from_config(void **state)
{
	struct env *e = *state;
	char conf[160];
	const char *args[] = {"--user", "taro",	 "--credentials", e->creds, "--config",
			      conf,	"--log", e->log,	  NULL,	    NULL,
			      NULL};
	struct mng_credset set = {0};
	struct stat st;
	FILE *f;

	export_cert(e, e->trust);
	write_other_ca(e->other);
	snprintf(conf, sizeof(conf), "%s/mnguard.conf", e->dir);
	/* an unrelated CA in the configuration: refused, nothing written */
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "rp_id = " RP "\nattestation_trust_dir = %s\n", e->other);
	fclose(f);
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "does not chain to a CA"));
	assert_int_equal(stat(e->creds, &st), -1);
	/* --trust-dir wins over the configuration */
	args[8] = "--trust-dir";
	args[9] = e->trust;
	assert_int_equal(run(e, PIN, args), 0);
	load_creds(e, &set);
	assert_int_equal(set.n, 1);
	mng_credset_clear(&set);
	/* the softkey's CA in the configuration: accepted */
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "rp_id = " RP "\nattestation_trust_dir = %s\n", e->trust);
	fclose(f);
	args[1] = "hanako";
	args[8] = NULL;
	assert_int_equal(run(e, PIN, args), 0);
	load_creds(e, &set);
	assert_int_equal(set.n, 2);
	mng_credset_clear(&set);
	/* an empty directory in the configuration: refused */
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "rp_id = " RP "\nattestation_trust_dir = %s\n", e->empty);
	fclose(f);
	args[1] = "jiro";
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "holds no PEM certificate"));
	load_creds(e, &set);
	assert_int_equal(set.n, 2);
	mng_credset_clear(&set);
}

static void test_key_faults(void **state)
{
	struct env *e = *state;
	const char *args[] = {"--user", "taro",	 "--rp-id", RP,	  "--credentials",
			      e->creds, "--log", e->log,    NULL, NULL};
	struct mng_credset set = {0};
	struct stat st;

	/* a key that never verifies the user: refused, unless --no-uv */
	softkey_set(e, "no_uv=1");
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "verif"));
	assert_int_equal(stat(e->creds, &st), -1);
	args[8] = "--no-uv";
	assert_int_equal(run(e, PIN, args), 0);
	load_creds(e, &set);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.v[0].flags, MNG_CRED_F_UP);
	mng_credset_clear(&set);
	softkey_set(e, "no_uv=0");
	/* a forged attestation signature */
	softkey_set(e, "bad_attest=1");
	args[1] = "hanako";
	args[8] = NULL;
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "attestation does not verify"));
	softkey_set(e, "bad_attest=0");
	/* no user presence */
	softkey_set(e, "no_up=1");
	assert_int_equal(run(e, PIN, args), 1);
	softkey_set(e, "no_up=0");
	load_creds(e, &set);
	assert_int_equal(set.n, 1);
	mng_credset_clear(&set);
}

static void test_rp_id_and_config(void **state)
{
	struct env *e = *state;
	char conf[160];
	const char *noargs[] = {"--user", "taro",  "--credentials", e->creds, "--config",
				conf,	  "--log", e->log,	    NULL};
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/mnguard.conf", e->dir);
	/* no rp id anywhere: nothing happens (never the host name) */
	assert_int_equal(run(e, PIN, noargs), 1);
	assert_non_null(strstr(e->errout, "relying party"));
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "helpdesk_contact = 内線 1234\n");
	fclose(f);
	assert_int_equal(run(e, PIN, noargs), 1);
	assert_non_null(strstr(e->errout, "sets no rp_id"));
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "rp_id = " RP "\n");
	fclose(f);
	assert_int_equal(run(e, PIN, noargs), 0);
	/* --rp-id and --config together is a usage error */
	{
		const char *both[] = {"--user", "taro", "--rp-id", RP, "--config", conf, NULL};

		assert_int_equal(run(e, PIN, both), 2);
	}
}

static void test_bad_input(void **state)
{
	struct env *e = *state;
	char *huge = malloc(HUGE);
	const char *args[] = {"--user",	       "taro",	 "--rp-id", RP,
			      "--credentials", e->creds, "--log",   e->log,
			      "--label",       "ok",	 NULL};
	char before[4096], after[4096];
	FILE *f;

	assert_non_null(huge);
	memset(huge, 'L', HUGE - 1);
	huge[HUGE - 1] = '\0';
	args[9] = huge;
	assert_int_equal(run(e, PIN, args), 2);
	free(huge);
	args[9] = "tab\there";
	assert_int_equal(run(e, PIN, args), 2);
	args[9] = "\xff\xfe";
	assert_int_equal(run(e, PIN, args), 2);
	args[9] = "esc\x1b[2J";
	assert_int_equal(run(e, PIN, args), 2);
	args[9] = "ok";
	args[1] = "Root";
	assert_int_equal(run(e, PIN, args), 2);
	args[1] = "a23456789012345678901234567890123";
	assert_int_equal(run(e, PIN, args), 2);
	{
		const char *none[] = {"--label", "x", NULL};
		const char *extra[] = {"--user", "taro", "--rp-id", RP, "stray", NULL};
		const char *type[] = {"--user", "taro", "--rp-id", RP, "--type", "rs1", NULL};

		assert_int_equal(run(e, PIN, none), 2);
		assert_int_equal(run(e, PIN, extra), 2);
		assert_int_equal(run(e, PIN, type), 2);
	}
	/* an existing credential file with an error is not touched */
	f = fopen(e->creds, "w");
	assert_non_null(f);
	fprintf(f, "taro\tnot-base64!\tes256\tx\tup\t00\tl\t2026-01-01T00:00:00Z\top\n");
	fclose(f);
	chmod(e->creds, 0644);
	read_file(e->creds, before, sizeof(before));
	args[1] = "taro";
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, e->creds));
	assert_non_null(strstr(e->errout, ":1:"));
	read_file(e->creds, after, sizeof(after));
	assert_string_equal(before, after);
	/* a label already used by that user */
	unlink(e->creds);
	assert_int_equal(run(e, PIN, args), 0);
	args[1] = "taro";
	assert_int_equal(run(e, PIN, args), 1);
	assert_non_null(strstr(e->errout, "already has a key labelled \"ok\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enroll_writes_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_pin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_dir_from_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rp_id_and_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};

	if (!getenv("MNG_HELPDESK") || !*getenv("MNG_HELPDESK") || !getenv("MNG_SOFTKEY") ||
	    !*getenv("MNG_SOFTKEY")) {
		printf("test_enroll: MNG_HELPDESK or MNG_SOFTKEY not set: skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
