// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_bundle.c - signed policy bundles in the real mnguardd under
 * umockdev (helpers/agent_harness.c): bundles signed here with a fresh
 * policy key (mng_bundle_sign) and passed over the agent socket as a
 * descriptor (policy-install). Version 2 installs and the unknown stick's
 * verdict changes; version 1 afterwards is refused (no rollback) and the
 * same version is a no-op; a tampered bundle, a rogue signer and the help
 * desk key as signer are refused; each step is audited; the installed
 * version survives a restart and shows in status. With
 * require_signed_policy the agent starts in fallback without a bundle,
 * loads only the bundle's files once one is installed (the local rule
 * file is audited as not loaded), and keeps the policy in force when an
 * installed file is altered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bundle.h"
#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000
#define LOCAL_RULES "allow id 0781:5567 serial \"" H_APPROVED_SERIAL "\"\n"
#define STICKS_RULES "allow with-interface 08:06:50\n"

static EVP_PKEY *pol_key, *hd_key, *rogue_key;

#define ASSERT_ATTR(dev, attr, want)                                                               \
	do {                                                                                       \
		if (!h_wait_attr(dev, attr, want, T_MS)) {                                         \
			h_dump(h);                                                                 \
			fail_msg("%s/%s is \"%s\", expected \"%s\"", dev, attr, h_attr(dev, attr), \
				 want);                                                            \
		}                                                                                  \
	} while (0)

#define ASSERT_AUDIT(h, a, b, c)                                                                   \
	do {                                                                                       \
		if (!h_wait_audit(h, a, b, c, 1, T_MS)) {                                          \
			h_dump(h);                                                                 \
			fail_msg("no audit record with %s / %s / %s", a, b ? b : "-",              \
				 c ? c : "-");                                                     \
		}                                                                                  \
	} while (0)

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
}

static void setup_common(struct harness *h, const char *extra_conf)
{
	char path[256], conf[512];

	h_setup(h);
	snprintf(path, sizeof(path), "%s/trust", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/policy", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/helpdesk", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/policy/policy.pub", h->dir);
	write_pub(pol_key, path);
	snprintf(path, sizeof(path), "%s/trust/helpdesk/desk.pub", h->dir);
	write_pub(hd_key, path);
	snprintf(conf, sizeof(conf), "trust_dir = %s/trust\n%s", h->dir, extra_conf);
	h_config(h, conf);
	h_rules(h, "50-local.rules", LOCAL_RULES);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	setup_common(h, "");
	*state = h;
	return 0;
}

static int setup_signed(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	setup_common(h, "require_signed_policy = yes\n");
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	h_teardown(h);
	free(h);
	return 0;
}

/* A bundle of one rules file (and, when hd, the help desk key), written to <dir>/<name>. */
static void bundle_file(struct harness *h, EVP_PKEY *key, uint64_t version, const char *rules,
			const char *name, char *path, size_t size)
{
	struct mng_bundle_input in = {MNG_BUNDLE_KIND_RULES, 0644, "rules.d/10-central.rules",
				      rules, strlen(rules)};
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256];
	int fd;

	assert_int_equal(
	    mng_bundle_sign(version, time(NULL), &in, 1, key, &buf, &len, err, sizeof(err)), 0);
	snprintf(path, size, "%s/%s", h->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

/* policy-install with path passed as the descriptor: 0 or -errno, message in msg. */
static int install(struct harness *h, const char *path, char *msg, size_t msglen,
		   bool *ret_installed)
{
	struct mng_ipc_request req = {.id = 9, .op = MNG_IPC_OP_POLICY_INSTALL};
	struct json_object *res = NULL, *v;
	struct mng_ipc_error err;
	int fd = -1, bfd, r;

	bfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(bfd >= 0);
	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	r = mng_ipc_call_fd(fd, &req, bfd, 30000, &res, &err);
	close(fd);
	close(bfd);
	snprintf(msg, msglen, "%s",
		 r < 0 ? err.message
		       : (json_object_object_get_ex(res, "message", &v) ? json_object_get_string(v)
									: ""));
	if (r == 0 && ret_installed)
		*ret_installed =
		    json_object_object_get_ex(res, "installed", &v) && json_object_get_boolean(v);
	json_object_put(res);
	return r;
}

static struct json_object *status(struct harness *h)
{
	struct mng_ipc_request req = {.id = 3, .op = MNG_IPC_OP_STATUS};
	struct json_object *res = NULL, *pol = NULL;
	struct mng_ipc_error err;
	int fd = -1;

	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	assert_int_equal(mng_ipc_call(fd, &req, 30000, &res, &err), 0);
	close(fd);
	assert_true(json_object_object_get_ex(res, "policy", &pol));
	json_object_get(pol);
	json_object_put(res);
	return pol;
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static void test_install_and_rollback(void **state)
{
	struct harness *h = *state;
	char path[256], msg[MNG_IPC_ERRMSG_MAX];
	struct json_object *pol;
	bool installed = false;
	uint8_t *buf;
	int fd;

	/* installing is an administrator's op, like policy-reload */
	assert_true(mng_ipc_op_needs_admin(MNG_IPC_OP_POLICY_INSTALL));
	assert_false(mng_ipc_op_self_authorized(MNG_IPC_OP_POLICY_INSTALL));
	h_start(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	pol = status(h);
	assert_int_equal(jint(pol, "version"), 0);
	json_object_put(pol);

	/* what an install cut short by a crash leaves is swept by the next one */
	snprintf(path, sizeof(path), "%s/state/policy", h->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/state/policy/.new-9", h->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/state/policy/.new-9/junk", h->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/state/policy/77", h->dir);
	assert_int_equal(mkdir(path, 0700), 0);

	/* version 2: the sticks are allowed; the local file still follows */
	bundle_file(h, pol_key, 2, STICKS_RULES, "v2.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), &installed), 0);
	assert_true(installed);
	assert_non_null(strstr(msg, "version 2 installed"));
	ASSERT_ATTR(H_STICK, "authorized", "1");
	ASSERT_AUDIT(h, "policy.bundle.verify", "version 2", NULL);
	ASSERT_AUDIT(h, "policy.bundle.install", "version 2", NULL);
	pol = status(h);
	assert_int_equal(jint(pol, "version"), 2);
	json_object_put(pol);
	snprintf(path, sizeof(path), "%s/state/policy/.new-9", h->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/state/policy/77", h->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/state/policy/2/rules.d/10-central.rules", h->dir);
	assert_int_equal(access(path, F_OK), 0);

	/* version 1 afterwards: refused, nothing changes */
	bundle_file(h, pol_key, 1, "block\n", "v1.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), -EINVAL);
	assert_non_null(strstr(msg, "older than the installed version 2"));
	ASSERT_AUDIT(h, "policy.bundle.reject", "no rollback", NULL);
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");

	/* the same version again: a no-op */
	bundle_file(h, pol_key, 2, "block\n", "v2b.bundle", path, sizeof(path));
	installed = true;
	assert_int_equal(install(h, path, msg, sizeof(msg), &installed), 0);
	assert_false(installed);
	assert_non_null(strstr(msg, "already installed"));
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");

	/* tampered: one byte of the rules changed after signing */
	bundle_file(h, pol_key, 3, "block\n", "v3.bundle", path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	buf = calloc(1, 4096);
	assert_non_null(buf);
	{
		ssize_t n = read(fd, buf, 4096);
		char *p;

		assert_true(n > 0);
		p = memmem(buf, (size_t)n, "\n\nblock\n", 8);
		assert_non_null(p);
		p[2] = 'B';
		assert_int_equal(pwrite(fd, buf, (size_t)n, 0), n);
	}
	free(buf);
	close(fd);
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), -EPERM);
	assert_non_null(strstr(msg, "SHA-256"));
	ASSERT_AUDIT(h, "policy.bundle.reject", "SHA-256", NULL);

	/* a rogue signer, and the help desk key as signer */
	bundle_file(h, rogue_key, 4, "block\n", "rogue.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), -EPERM);
	assert_non_null(strstr(msg, "no trusted key"));
	bundle_file(h, hd_key, 4, "block\n", "hd.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), -EPERM);
	/* a bundle whose rules do not parse is refused before anything changes */
	bundle_file(h, pol_key, 5, "allow id zz:zz\n", "bad.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), -EINVAL);
	assert_non_null(strstr(msg, "10-central.rules:1:"));
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");
	pol = status(h);
	assert_int_equal(jint(pol, "version"), 2);
	json_object_put(pol);

	/* a restart keeps version 2 and its verdicts */
	h_stop(h);
	h_start(h);
	ASSERT_ATTR(H_STICK, "authorized", "1");
	pol = status(h);
	assert_int_equal(jint(pol, "version"), 2);
	json_object_put(pol);
	h_verify_audit(h);
}

static void test_require_signed(void **state)
{
	struct harness *h = *state;
	char path[256], msg[MNG_IPC_ERRMSG_MAX], file[512];
	struct json_object *pol, *v;
	int fd;

	/* no bundle: fallback, and the stick the local rule allows stays blocked */
	h_start(h);
	ASSERT_AUDIT(h, "policy.fallback", "require_signed_policy", NULL);
	ASSERT_ATTR(H_STICK_OK, "authorized", "0");
	pol = status(h);
	assert_true(json_object_object_get_ex(pol, "fallback", &v) && json_object_get_boolean(v));
	json_object_put(pol);

	/* a bundle that allows hubs and keyboards only: the local file is not loaded */
	bundle_file(h, pol_key, 1,
		    "allow with-interface match-all { 09:*:* }\n"
		    "allow with-interface one-of { 03:*:* }\nblock\n",
		    "v1.bundle", path, sizeof(path));
	assert_int_equal(install(h, path, msg, sizeof(msg), NULL), 0);
	ASSERT_AUDIT(h, "policy.unsigned", "50-local.rules", NULL);
	ASSERT_ATTR(H_STICK_OK, "authorized", "0");
	pol = status(h);
	assert_true(json_object_object_get_ex(pol, "fallback", &v) && !json_object_get_boolean(v));
	assert_int_equal(jint(pol, "version"), 1);
	json_object_put(pol);

	/* an installed file altered: the reload is refused, the policy in force stays */
	snprintf(file, sizeof(file), "%s/state/policy/1/rules.d/10-central.rules", h->dir);
	fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, STICKS_RULES, strlen(STICKS_RULES)),
			 (ssize_t)strlen(STICKS_RULES));
	close(fd);
	h_signal(h, SIGHUP);
	ASSERT_AUDIT(h, "policy.error", "SHA-256 differs", NULL);
	assert_string_equal(h_attr(H_STICK_OK, "authorized"), "0");
	pol = status(h);
	assert_int_equal(jint(pol, "version"), 1);
	json_object_put(pol);
	h_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_install_and_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_require_signed, setup_signed, teardown),
	};
	int r;

	pol_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	hd_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pol_key || !hd_key || !rogue_key)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(pol_key);
	EVP_PKEY_free(hd_key);
	EVP_PKEY_free(rogue_key);
	return r;
}
