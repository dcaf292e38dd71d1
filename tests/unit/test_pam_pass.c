// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pam_pass.c - the temporary access pass through the real PAM stack:
 * pam_mnguard.so loaded by libpam under pam_wrapper (libpamtest), talking
 * to the real mnguardd (helpers/agent_harness.c, umockdev testbed) with a
 * help desk key and a terminal key made here. A login token pasted at the
 * prompt, and a phone request answered with mng_phone_response, let a user
 * without a security key in, within the token's window and use count and
 * for that user only; login_pass = no, a misheard digit, a USB token, an
 * unreachable agent all deny.
 *
 * LD_PRELOAD must hold pam_wrapper before the program starts: main()
 * re-executes itself with it (as test_pam.c does).
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <security/pam_appl.h>

#include "exempt.h"
#include "helpers/agent_harness.h"
#include "phonecode.h"

#define MID "00112233445566778899aabbccddeeff"
#define USER "tanaka"

static struct harness H;
static EVP_PKEY *hd_key;
static uint8_t tkey[32];
static char svcdir[128];

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/*
 * A PAM service file "name" running pam_mnguard with config dir/conf;
 * pam_wrapper copies the service files when it loads, so they are written
 * before the re-exec (the configurations later, in group_setup).
 */
static int service(const char *dir, const char *name, const char *conf)
{
	char path[PATH_MAX + 64], text[3 * PATH_MAX];
	const char *mod = getenv("MNG_PAM");
	char modabs[PATH_MAX];
	FILE *f;

	if (!realpath(mod, modabs))
		return -1;
	snprintf(path, sizeof(path), "%s/svc/%s", dir, name);
	snprintf(text, sizeof(text), "auth required %s config=%s/%s\n", modabs, dir, conf);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int group_setup(void **state)
{
	struct harness *h = &H;
	char path[1200], conf[8192], hex[MNG_PHONE_KEY_HEX_LEN + 2];
	FILE *f;
	size_t i;

	hd_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(hd_key);
	for (i = 0; i < sizeof(tkey); i++)
		tkey[i] = (uint8_t)(0xa5 ^ i);
	h_setup(h);
	snprintf(svcdir, sizeof(svcdir), "%s", getenv("MNG_PASS_DIR"));
	snprintf(path, sizeof(path), "%s/trust", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/helpdesk", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/helpdesk/hd.pub", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, hd_key), 1);
	fclose(f);
	mng_phone_key_format(tkey, hex);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s/trust/terminal.key", h->dir);
	put(path, hex, 0600);
	snprintf(path, sizeof(path), "%s/machine-id", h->dir);
	put(path, MID "\n", 0644);
	snprintf(path, sizeof(path), "%s/credentials", h->dir);
	put(path, "# nobody has a key here\n", 0644);
	/* one file for the agent and the module (the module reads only its keys) */
	snprintf(conf, sizeof(conf),
		 "trust_dir = %s/trust\nmachine_id_file = %s/machine-id\nrp_id = mnguard.test\n"
		 "credentials = %s/credentials\ncounters = %s/counters\nlogin_group = root\n",
		 h->dir, h->dir, h->dir, h->dir);
	h_config(h, conf);
	h_rules(h, "50-local.rules", "allow id 0781:5567 serial \"" H_APPROVED_SERIAL "\"\n");
	snprintf(path, sizeof(path), "%s/main.conf", svcdir);
	snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), "socket = %s\n", h->sock);
	put(path, conf, 0644);
	/* the same with login_pass = no */
	snprintf(path, sizeof(path), "%s/nopass.conf", svcdir);
	snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), "login_pass = no\n");
	put(path, conf, 0644);
	/* an agent that is not there */
	snprintf(path, sizeof(path), "%s/noagent.conf", svcdir);
	snprintf(conf, sizeof(conf),
		 "trust_dir = %s/trust\nrp_id = mnguard.test\ncredentials = %s/credentials\n"
		 "socket = %s/nothing.sock\n",
		 h->dir, h->dir, h->dir);
	put(path, conf, 0644);
	h_start(h);
	*state = h;
	return 0;
}

static int group_teardown(void **state)
{
	h_teardown(&H);
	EVP_PKEY_free(hd_key);
	return 0;
}

static char *token(const char *user, enum mng_exempt_scope scope, const char *object, int64_t nbf,
		   int64_t exp, uint32_t uses)
{
	struct mng_exempt e;
	char *text = NULL;

	memset(&e, 0, sizeof(e));
	assert_int_equal(mng_exempt_id_new(e.id), 0);
	e.issued = e.not_before = nbf;
	e.not_after = exp;
	snprintf(e.terminal, sizeof(e.terminal), MID);
	snprintf(e.user, sizeof(e.user), "%s", user);
	e.scope = scope;
	snprintf(e.object, sizeof(e.object), "%s", object);
	e.uses = uses;
	snprintf(e.ticket, sizeof(e.ticket), "INC-LOGIN-1");
	snprintf(e.reason, sizeof(e.reason), "key lost, new one ordered");
	snprintf(e.by, sizeof(e.by), "helpdesk-sato");
	assert_true(mng_exempt_sign(&e, hd_key, &text) > 0);
	return text;
}

/* ---- the conversation ---- */

struct conv {
	const char *pass;	/* answer to the first hidden prompt ("" = ask for a phone code) */
	const char *ticket;	/* phone: the ticket typed in */
	const char *mac_ticket; /* phone: the ticket the response is made for */
	int misheard;		/* phone: change one digit of the response */
	int prompts;
	char code[64];
	char said[4096];
};

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv *c = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		const char *m = msg[i]->msg;

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			c->prompts++;
			r[i].resp = strdup(c->pass ? c->pass : "");
			break;
		case PAM_PROMPT_ECHO_ON:
			c->prompts++;
			if (strstr(m, "Response code")) {
				struct mng_phone_request pr;
				char resp_code[MNG_PHONE_RESPONSE_SIZE], err[200];

				if (mng_phone_request_decode(c->code, &pr, err, sizeof(err)) < 0 ||
				    mng_phone_response(tkey, &pr, USER, c->mac_ticket, resp_code,
						       sizeof(resp_code)) < 0)
					snprintf(resp_code, sizeof(resp_code), "none");
				else if (c->misheard)
					resp_code[1] =
					    resp_code[1] == '9' ? '0' : (char)(resp_code[1] + 1);
				r[i].resp = strdup(resp_code);
			} else {
				r[i].resp = strdup(c->ticket ? c->ticket : "");
			}
			break;
		default:
			if (strlen(m) == 23 && strspn(m, "0123456789-") == 23)
				snprintf(c->code, sizeof(c->code), "%s", m);
			if (strlen(c->said) + strlen(m) + 2 < sizeof(c->said)) {
				strcat(c->said, m);
				strcat(c->said, "\n");
			}
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int login(const char *svc, const char *user, struct conv *c)
{
	struct pam_testcase tc[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};

	enum pamtest_err e = _pamtest_conv(svc, user, conv_fn, c, tc, 1, NULL);

	/* a PAM stack that did not even start must not read as PAM_SUCCESS */
	if (e != PAMTEST_ERR_OK && e != PAMTEST_ERR_CASE)
		fail_msg("libpamtest: %s", pamtest_strerror(e));
	return tc[0].op_rv;
}

/* ---- tests ---- */

static void test_token_uses(void **state)
{
	struct harness *h = *state;
	time_t now = time(NULL);
	char *t = token(USER, MNG_EXEMPT_SCOPE_LOGIN, "", now - 60, now + 3600, 2);
	struct conv c;

	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_SUCCESS);
	assert_non_null(strstr(c.said, "Logged in with a temporary access pass"));
	assert_true(h_wait_audit(h, "\"event\":\"login.pass\"", "\"ticket\":\"INC-LOGIN-1\"", USER,
				 1, 10000));
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_SUCCESS);
	/* two uses: the third login is refused */
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	assert_non_null(strstr(c.said, "temporary access pass was refused"));
	assert_true(h_wait_audit(h, "\"event\":\"exemption.reject\"", "used up", NULL, 1, 10000));
	assert_int_equal(h_audit_count(h, "\"event\":\"login.pass\"", NULL, NULL), 2);
	free(t);
}

static void test_window_user_scope(void **state)
{
	time_t now = time(NULL);
	char *t;
	struct conv c;

	/* expired */
	t = token(USER, MNG_EXEMPT_SCOPE_LOGIN, "", now - 7200, now - 10, 1);
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	free(t);
	/* not yet */
	t = token(USER, MNG_EXEMPT_SCOPE_LOGIN, "", now + 600, now + 3600, 1);
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	free(t);
	/* another user's pass */
	t = token("sato", MNG_EXEMPT_SCOPE_LOGIN, "", now - 60, now + 3600, 1);
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	/* ... which still works for sato */
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", "sato", &c), PAM_SUCCESS);
	free(t);
	/* a USB token is no login pass */
	t = token(USER, MNG_EXEMPT_SCOPE_USB, "allow id 1234:5678", now - 60, now + 3600, 1);
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	/* a pasted token cut short */
	t[strlen(t) - 20] = '\0';
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	free(t);
	/* a PIN typed out of habit is not a pass: the usual refusal */
	memset(&c, 0, sizeof(c));
	c.pass = "1234";
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
}

static void test_switched_off_and_no_agent(void **state)
{
	time_t now = time(NULL);
	char *t = token(USER, MNG_EXEMPT_SCOPE_LOGIN, "", now - 60, now + 3600, 1);
	struct conv c;

	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng-nopass", USER, &c), PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 0); /* not even offered */
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng-noagent", USER, &c), PAM_AUTH_ERR);
	/* the token was never used: it still works */
	memset(&c, 0, sizeof(c));
	c.pass = t;
	assert_int_equal(login("mng", USER, &c), PAM_SUCCESS);
	free(t);
}

static void test_phone(void **state)
{
	struct harness *h = *state;
	struct conv c;

	/* a misheard digit */
	memset(&c, 0, sizeof(c));
	c.pass = "";
	c.ticket = c.mac_ticket = "INC-PHONE-7";
	c.misheard = 1;
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	assert_int_equal(strlen(c.code), 23);
	assert_true(
	    h_wait_audit(h, "\"event\":\"exemption.reject\"", "check digit", NULL, 1, 10000));
	/* the response made for another ticket */
	memset(&c, 0, sizeof(c));
	c.pass = "";
	c.ticket = "INC-PHONE-8";
	c.mac_ticket = "INC-PHONE-9";
	assert_int_equal(login("mng", USER, &c), PAM_AUTH_ERR);
	/* right */
	memset(&c, 0, sizeof(c));
	c.pass = "";
	c.ticket = c.mac_ticket = "INC-PHONE-10";
	assert_int_equal(login("mng", USER, &c), PAM_SUCCESS);
	assert_true(h_wait_audit(h, "\"event\":\"login.pass\"", "\"ticket\":\"INC-PHONE-10\"", NULL,
				 1, 10000));
}

/* Before the re-exec: pam_wrapper preloaded, a service directory. */
static int reexec(char **argv)
{
	static const char *const wrappers[] = {"/usr/lib/x86_64-linux-gnu/libpam_wrapper.so",
					       "/usr/lib64/libpam_wrapper.so",
					       "/usr/lib/libpam_wrapper.so"};
	const char *old = getenv("LD_PRELOAD"), *wrap = NULL;
	char tmpl[] = "/tmp/mng-pass-XXXXXX", *preload = NULL, svc[64];
	size_t i;

	if (!getenv("MNG_PAM") || !getenv("MNG_AGENT")) {
		fprintf(stderr, "test_pam_pass: MNG_PAM and MNG_AGENT must be set\n");
		return 1;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "test_pam_pass: needs root (the files must be root-owned)\n");
		return 1;
	}
	for (i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (access(wrappers[i], R_OK) == 0)
			wrap = wrappers[i];
	if (!wrap || !mkdtemp(tmpl) || chmod(tmpl, 0755) < 0) {
		fprintf(stderr, "test_pam_pass: pam_wrapper not found\n");
		return 1;
	}
	snprintf(svc, sizeof(svc), "%s/svc", tmpl);
	if (mkdir(svc, 0755) < 0 || service(tmpl, "mng", "main.conf") < 0 ||
	    service(tmpl, "mng-nopass", "nopass.conf") < 0 ||
	    service(tmpl, "mng-noagent", "noagent.conf") < 0) {
		fprintf(stderr, "test_pam_pass: cannot write the service files\n");
		return 1;
	}
	if (asprintf(&preload, "%s%s%s", wrap, old ? " " : "", old ? old : "") < 0)
		return 1;
	setenv("LD_PRELOAD", preload, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", svc, 1);
	setenv("MNG_PASS_DIR", tmpl, 1);
	setenv("MNG_PASS_REEXEC", "1", 1);
	setenv("LANGUAGE", "en", 1);
	setenv("LC_ALL", "C", 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "test_pam_pass: exec: %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_uses),
	    cmocka_unit_test(test_window_user_scope),
	    cmocka_unit_test(test_switched_off_and_no_agent),
	    cmocka_unit_test(test_phone),
	};
	char cmd[300];
	int r;

	if (!getenv("MNG_PASS_REEXEC"))
		return reexec(argv);
	r = cmocka_run_group_tests(tests, group_setup, group_teardown);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", getenv("MNG_PASS_DIR"));
	if (system(cmd) != 0)
		r = r ? r : 1;
	return r;
}
