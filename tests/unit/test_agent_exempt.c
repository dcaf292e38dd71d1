// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_exempt.c - help desk exemptions end to end in the real
 * mnguardd under umockdev (helpers/agent_harness.c): tokens signed here
 * with a fresh Ed25519 key (mng_exempt_sign) and phone responses made with
 * mng_phone_response, redeemed over the agent socket. Every refusal of
 * issue 6 gives a clear message, is audited and leaves the unknown stick
 * unauthorized; a valid USB token authorizes it read-only, the expiry
 * timer deauthorizes it with no outside event, a restart keeps it, a
 * revocation undoes it, and the phone round trip works while a misheard
 * digit is refused.
 */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "exempt.h"
#include "helpers/agent_harness.h"
#include "ipc.h"
#include "phonecode.h"

#define T_MS 10000
#define MID "0123456789abcdef0123456789abcdef"
#define OTHER_MID "fedcba9876543210fedcba9876543210"
#define STICK_SERIAL "4C530001230512345678"
#define STICK_RULE "allow id 0781:5567 serial \"" STICK_SERIAL "\" mode ro"

static EVP_PKEY *hd_key, *rogue_key;
static uint8_t tkey[32];

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

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	char path[256], conf[1024], hex[MNG_PHONE_KEY_HEX_LEN + 2];
	FILE *f;

	if (!h)
		return -1;
	h_setup(h);
	snprintf(path, sizeof(path), "%s/trust", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/helpdesk", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/helpdesk/helpdesk.pub", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, hd_key), 1);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	/* the policy key directory is never looked at for exemptions */
	snprintf(path, sizeof(path), "%s/trust/policy", h->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/trust/policy/policy.pub", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, rogue_key), 1);
	fclose(f);
	mng_phone_key_format(tkey, hex);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s/trust/terminal.key", h->dir);
	put(path, hex, 0600);
	snprintf(path, sizeof(path), "%s/machine-id", h->dir);
	put(path, MID "\n", 0644);
	snprintf(conf, sizeof(conf),
		 "trust_dir = %s/trust\nmachine_id_file = %s/machine-id\n"
		 "exemption_max_lifetime = 8h\n",
		 h->dir, h->dir);
	h_config(h, conf);
	h_rules(h, "50-local.rules", "allow id 0781:5567 serial \"" H_APPROVED_SERIAL "\"\n");
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

/* ---- tokens ---- */

static struct mng_exempt base(enum mng_exempt_scope scope, const char *object)
{
	struct mng_exempt e;
	time_t now = time(NULL);

	memset(&e, 0, sizeof(e));
	assert_int_equal(mng_exempt_id_new(e.id), 0);
	e.issued = now - 60;
	e.not_before = now - 60;
	e.not_after = now + 3600;
	snprintf(e.terminal, sizeof(e.terminal), "%s", MID);
	snprintf(e.user, sizeof(e.user), "root");
	e.scope = scope;
	snprintf(e.object, sizeof(e.object), "%s", object);
	e.uses = 1;
	snprintf(e.ticket, sizeof(e.ticket), "INC-2026-0777");
	snprintf(e.reason, sizeof(e.reason), "data hand-over to the tax office");
	snprintf(e.by, sizeof(e.by), "helpdesk-yamada");
	return e;
}

/* A token for e signed with key (caller frees). */
static char *sign(const struct mng_exempt *e, EVP_PKEY *key)
{
	char *text = NULL;
	int r = mng_exempt_sign(e, key, &text);

	if (r < 0)
		fail_msg("mng_exempt_sign: %s", strerror(-r));
	return text;
}

/* ---- talking to the agent ---- */

/* One request; 0 or -errno with the agent's message in msg. *ret_res may be NULL. */
static int call(struct harness *h, struct mng_ipc_request *req, char *msg, size_t msglen,
		struct json_object **ret_res)
{
	struct mng_ipc_error err;
	struct json_object *res = NULL;
	int fd = -1, r;

	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	req->id = 7;
	r = mng_ipc_call(fd, req, 30000, &res, &err);
	close(fd);
	if (msg) {
		const char *m = r < 0 ? err.message : "";
		size_t n = strnlen(m, msglen - 1);

		memcpy(msg, m, n);
		msg[n] = '\0';
	}
	if (ret_res)
		*ret_res = res;
	else
		json_object_put(res);
	return r;
}

static int redeem(struct harness *h, const char *token, char *msg, size_t msglen)
{
	static struct mng_ipc_request req;

	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_REDEEM;
	if (strlen(token) >= sizeof(req.secret)) {
		/* not even sendable: the protocol's cap */
		snprintf(msg, msglen, "token longer than %zu bytes", sizeof(req.secret) - 1);
		return -EINVAL;
	}
	snprintf(req.secret, sizeof(req.secret), "%s", token);
	return call(h, &req, msg, msglen, NULL);
}

static void seat_user_root(struct harness *h)
{
	assert_int_equal(mng_ipc_session_notify(h->sock, true, "root", "seat0", "tty1", "login"),
			 0);
}

static void expect_refused(struct harness *h, const char *token, const char *fragment)
{
	char msg[1024];
	int r = redeem(h, token, msg, sizeof(msg));

	if (r == 0)
		fail_msg("a token that should be refused (\"%s\") was accepted", fragment);
	if (!strstr(msg, fragment))
		fail_msg("refusal \"%s\" does not say \"%s\"", msg, fragment);
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

/* ---- tests ---- */

/* Every refusal of issue 6 item 7: a clear message, audited, nothing applied. */
static void test_refusals(void **state)
{
	struct harness *h = *state;
	struct mng_exempt e;
	char *good, *bad, msg[1024];
	size_t n, rejects;
	struct mng_ipc_request req;

	h_start(h);
	seat_user_root(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");

	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	good = sign(&e, hd_key);
	n = strlen(good);

	/* an untrusted key (the policy key is not a help desk key either) */
	bad = sign(&e, rogue_key);
	expect_refused(h, bad, "not signed by a trusted help desk key");
	free(bad);
	/* a forged signature under the trusted kid: the last signature character changed */
	bad = strdup(good);
	bad[n - 1] = bad[n - 1] == 'A' ? 'Q' : 'A';
	expect_refused(h, bad, "signature is wrong");
	free(bad);
	/* one byte altered anywhere: in the payload */
	bad = strdup(good);
	bad[10] = bad[10] == 'x' ? 'y' : 'x';
	redeem(h, bad, msg, sizeof(msg));
	assert_true(strstr(msg, "signature is wrong") || strstr(msg, "damaged"));
	free(bad);
	/* truncated */
	bad = strndup(good, n / 2);
	expect_refused(h, bad, "damaged or incomplete");
	free(bad);
	/* oversized: more than the token cap reaches the agent as a refusal too */
	bad = calloc(1, 4097);
	memcpy(bad, "mngx1.", 6);
	memset(bad + 6, 'A', 4090);
	expect_refused(h, bad, "");
	assert_int_not_equal(redeem(h, bad, msg, sizeof(msg)), 0);
	free(bad);
	bad = calloc(1, 70000);
	memset(bad, 'A', 69999);
	assert_int_equal(redeem(h, bad, msg, sizeof(msg)), -EINVAL);
	free(bad);

	/* expired, not yet valid */
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	e.not_before = time(NULL) - 7200;
	e.issued = e.not_before;
	e.not_after = time(NULL) - 60;
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "expired");
	free(bad);
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	e.not_before = time(NULL) + 3600;
	e.not_after = time(NULL) + 7200;
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "not valid yet");
	free(bad);
	/* longer than exemption_max_lifetime (8 h) */
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	e.not_after = e.not_before + 9 * 3600;
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "does not apply");
	free(bad);
	/* wrong terminal, wrong user, "*" terminal not allowed here */
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	snprintf(e.terminal, sizeof(e.terminal), OTHER_MID);
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "does not apply");
	free(bad);
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	snprintf(e.terminal, sizeof(e.terminal), "*");
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "does not apply");
	free(bad);
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	snprintf(e.user, sizeof(e.user), "taro");
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "does not apply");
	free(bad);
	/* a token for another scope: a login pass is not redeemed here */
	e = base(MNG_EXEMPT_SCOPE_LOGIN, "");
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "login prompt");
	free(bad);
	/* ... and a USB token is no login pass */
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_LOGIN_PASS;
	snprintf(req.user, sizeof(req.user), "root");
	snprintf(req.secret, sizeof(req.secret), "%s", good);
	assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	assert_non_null(strstr(msg, "does not apply"));
	/* revoked before it was redeemed */
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_REVOKE;
	snprintf(req.exemption, sizeof(req.exemption), "%s", e.id);
	e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	memcpy(req.exemption, e.id, sizeof(req.exemption));
	assert_int_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	bad = sign(&e, hd_key);
	expect_refused(h, bad, "revoked");
	free(bad);

	/* nothing of that was applied */
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");
	assert_int_equal(h_audit_count(h, "\"event\":\"exemption.redeem\"", NULL, NULL), 0);
	rejects = h_audit_count(h, "\"event\":\"exemption.reject\"", NULL, NULL);
	assert_true(rejects >= 14);

	/* replay: the good one works once (a print exemption: nothing to plug) */
	e = base(MNG_EXEMPT_SCOPE_PRINT, "office-a4");
	free(good);
	good = sign(&e, hd_key);
	assert_int_equal(redeem(h, good, msg, sizeof(msg)), 0);
	expect_refused(h, good, "already redeemed");
	ASSERT_AUDIT(h, "\"event\":\"exemption.redeem\"", e.id, "\"ticket\":\"INC-2026-0777\"");
	ASSERT_AUDIT(h, "\"event\":\"exemption.reject\"", "replay refused", NULL);
	/* and the print exemption is not a USB one */
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");
	/* exemption-check answers for the caller */
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_CHECK;
	snprintf(req.scope, sizeof(req.scope), "print");
	snprintf(req.object, sizeof(req.object), "office-a4");
	{
		struct json_object *res = NULL, *v;

		assert_int_equal(call(h, &req, msg, sizeof(msg), &res), 0);
		assert_true(json_object_object_get_ex(res, "allowed", &v));
		assert_true(json_object_get_boolean(v));
		assert_string_equal(json_str(res, "id"), e.id);
		json_object_put(res);
		snprintf(req.object, sizeof(req.object), "other-queue");
		assert_int_equal(call(h, &req, msg, sizeof(msg), &res), 0);
		assert_true(json_object_object_get_ex(res, "allowed", &v));
		assert_false(json_object_get_boolean(v));
		json_object_put(res);
	}
	free(good);
	h_stop(h);
	h_verify_audit(h);
}

/* A valid USB token: the stick read-only at once, then deauthorized by the timer alone. */
static void test_usb_token_expires(void **state)
{
	struct harness *h = *state;
	struct mng_exempt e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	char *token, msg[1024];
	time_t t0;

	e.not_after = time(NULL) + 6;
	token = sign(&e, hd_key);
	h_start(h);
	seat_user_root(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	if (redeem(h, token, msg, sizeof(msg)) != 0)
		fail_msg("redeem refused: %s", msg);
	/* applied before the answer came back */
	assert_string_equal(h_attr(H_STICK, "authorized"), "1");
	ASSERT_AUDIT(h, "\"event\":\"exemption.redeem\"", e.id, "\"ticket\":\"INC-2026-0777\"");
	ASSERT_AUDIT(h, "\"event\":\"exemption.use\"", e.id, "4C530001230512345678");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "port 1-4.1.1 ", "mode ro");
	ASSERT_AUDIT(h, "\"event\":\"device.allow\"", "port 1-4.1.1 ", e.id);
	t0 = time(NULL);
	/* nothing else happens: the timer must fire on its own */
	if (!h_wait_attr(H_STICK, "authorized", "0", 15000)) {
		h_dump(h);
		fail_msg("the stick was not deauthorized at expiry");
	}
	assert_true(time(NULL) >= e.not_after - 1);
	assert_true(time(NULL) - t0 < 15);
	ASSERT_AUDIT(h, "\"event\":\"exemption.expire\"", e.id, "\"ticket\":\"INC-2026-0777\"");
	ASSERT_AUDIT(h, "\"event\":\"device.block\"", "port 1-4.1.1 ", NULL);
	free(token);
	h_stop(h);
	h_verify_audit(h);
}

/* Kept across a restart (no second use taken); revoked: undone at once. */
static void test_restart_and_revoke(void **state)
{
	struct harness *h = *state;
	struct mng_exempt e = base(MNG_EXEMPT_SCOPE_USB, STICK_RULE);
	struct mng_ipc_request req;
	struct json_object *all = NULL;
	struct mng_ipc_error err;
	char *token, msg[1024], path[512];
	int fd;

	token = sign(&e, hd_key);
	h_start(h);
	seat_user_root(h);
	if (redeem(h, token, msg, sizeof(msg)) != 0)
		fail_msg("redeem refused: %s", msg);
	ASSERT_ATTR(H_STICK, "authorized", "1");
	h_stop(h);
	snprintf(path, sizeof(path), "%s/state/exemptions/%s.ex", h->dir, e.id);
	assert_int_equal(access(path, F_OK), 0);

	h_start(h);
	seat_user_root(h); /* the harness has no logind: the seat user comes from the session */
	ASSERT_ATTR(H_STICK, "authorized", "1");
	assert_int_equal(h_audit_count(h, "\"event\":\"exemption.use\"", e.id, NULL), 1);
	/* the list shows it, its one use taken */
	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	assert_int_equal(mng_ipc_list(fd, MNG_IPC_OP_EXEMPTION_LIST, T_MS, &all, &err), 0);
	close(fd);
	assert_int_equal(json_object_array_length(all), 1);
	assert_string_equal(json_str(json_object_array_get_idx(all, 0), "id"), e.id);
	assert_string_equal(json_str(json_object_array_get_idx(all, 0), "state"), "active");
	assert_string_equal(json_str(json_object_array_get_idx(all, 0), "uses_left"), "0");
	json_object_put(all);

	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_REVOKE;
	memcpy(req.exemption, e.id, sizeof(req.exemption));
	assert_int_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	ASSERT_AUDIT(h, "\"event\":\"exemption.revoke\"", e.id, "\"ticket\":\"INC-2026-0777\"");
	expect_refused(h, token, "revoked");
	free(token);
	h_stop(h);

	/* a tampered record is dropped and audited at start */
	{
		struct mng_exempt t = base(MNG_EXEMPT_SCOPE_PRINT, "q1");
		char text[512];

		snprintf(text, sizeof(text),
			 "mnguard-exemption 1\nkind phone\nstate active\nuses-left 5\n"
			 "redeemed 1\nredeemed-by root\nid %s\nscope print\nobject q1\nuser root\n"
			 "nbf %lld\nexp %lld\nuses 5\nticket FORGED\nmac %064d\n",
			 t.id, (long long)t.not_before, (long long)t.not_after, 0);
		snprintf(path, sizeof(path), "%s/state/exemptions/%s.ex", h->dir, t.id);
		put(path, text, 0600);
		h_start(h);
		ASSERT_AUDIT(h, "\"event\":\"exemption.reject\"", "MAC is wrong", NULL);
		assert_int_not_equal(access(path, F_OK), 0);
		h_stop(h);
	}
	h_verify_audit(h);
}

/* The device id the agent gave the unknown stick. */
static uint32_t stick_id(struct harness *h)
{
	struct json_object *all = NULL, *v;
	struct mng_ipc_error err;
	uint32_t id = 0;
	size_t i;
	int fd;

	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	assert_int_equal(mng_ipc_list(fd, MNG_IPC_OP_LIST_DEVICES, T_MS, &all, &err), 0);
	close(fd);
	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *d = json_object_array_get_idx(all, i);

		if (!strcmp(json_str(d, "serial"), STICK_SERIAL) &&
		    json_object_object_get_ex(d, "id", &v))
			id = (uint32_t)json_object_get_int64(v);
	}
	json_object_put(all);
	assert_true(id > 0);
	return id;
}

/* Phone request and response: a misheard digit and a wrong ticket refused, then it works. */
static void test_phone_round_trip(void **state)
{
	struct harness *h = *state;
	struct mng_ipc_request req;
	struct mng_phone_request pr;
	struct json_object *res = NULL;
	char code[64], resp[MNG_PHONE_RESPONSE_SIZE], bad[MNG_PHONE_RESPONSE_SIZE], msg[1024];
	char err[256];

	h_start(h);
	seat_user_root(h);
	ASSERT_ATTR(H_STICK, "authorized", "0");
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_REQUEST;
	snprintf(req.scope, sizeof(req.scope), "usb");
	req.has_device = true;
	req.device = stick_id(h);
	req.minutes = 30;
	req.uses = 2;
	if (call(h, &req, msg, sizeof(msg), &res) != 0)
		fail_msg("request refused: %s", msg);
	snprintf(code, sizeof(code), "%s", json_str(res, "code"));
	assert_non_null(strstr(json_str(res, "object"), STICK_SERIAL));
	assert_non_null(strstr(json_str(res, "object"), "mode ro"));
	json_object_put(res);
	assert_int_equal(mng_phone_request_decode(code, &pr, err, sizeof(err)), 0);
	assert_int_equal(pr.scope, MNG_EXEMPT_SCOPE_USB);
	assert_int_equal(pr.minutes, 30);
	assert_int_equal(pr.uses, 2);
	assert_true(h_wait_audit(h, "\"event\":\"exemption.request\"", code, NULL, 1, T_MS));

	assert_int_equal(mng_phone_response(tkey, &pr, "root", "INC-2026-0900", resp, sizeof(resp)),
			 17);
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_ENTER;
	snprintf(req.ticket, sizeof(req.ticket), "INC-2026-0900");
	/* one digit misheard */
	snprintf(bad, sizeof(bad), "%s", resp);
	bad[7] = bad[7] == '9' ? '0' : (char)(bad[7] + 1);
	snprintf(req.secret, sizeof(req.secret), "%s", bad);
	assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	if (!strstr(msg, "misheard") || !strstr(msg, "group 2"))
		fail_msg("misheard digit: \"%s\"", msg);
	/* the right digits with another ticket */
	snprintf(req.secret, sizeof(req.secret), "%s", resp);
	snprintf(req.ticket, sizeof(req.ticket), "INC-2026-0901");
	assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	assert_non_null(strstr(msg, "does not answer"));
	assert_string_equal(h_attr(H_STICK, "authorized"), "0");
	/* right */
	snprintf(req.ticket, sizeof(req.ticket), "INC-2026-0900");
	if (call(h, &req, msg, sizeof(msg), NULL) != 0)
		fail_msg("enter refused: %s", msg);
	ASSERT_ATTR(H_STICK, "authorized", "1");
	ASSERT_AUDIT(h, "\"event\":\"exemption.redeem\"", "\"ticket\":\"INC-2026-0900\"", "phone");
	/* the request is spent: the same response again finds nothing */
	assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	assert_non_null(strstr(msg, "no phone request"));
	h_stop(h);
	h_verify_audit(h);
}

/* Five wrong responses cancel the request. */
static void test_phone_tries(void **state)
{
	struct harness *h = *state;
	struct mng_ipc_request req;
	struct mng_phone_request pr;
	struct json_object *res = NULL;
	char resp[MNG_PHONE_RESPONSE_SIZE], msg[1024], err[256];
	int i;

	h_start(h);
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_REQUEST;
	snprintf(req.scope, sizeof(req.scope), "print");
	snprintf(req.object, sizeof(req.object), "office-a4");
	if (call(h, &req, msg, sizeof(msg), &res) != 0)
		fail_msg("request refused: %s", msg);
	assert_int_equal(mng_phone_request_decode(json_str(res, "code"), &pr, err, sizeof(err)), 0);
	json_object_put(res);
	memset(&req, 0, sizeof(req));
	req.op = MNG_IPC_OP_EXEMPTION_ENTER;
	for (i = 0; i < 5; i++) {
		snprintf(req.ticket, sizeof(req.ticket), "WRONG-%d", i);
		assert_int_equal(
		    mng_phone_response(tkey, &pr, "root", req.ticket, resp, sizeof(resp)), 17);
		snprintf(req.ticket, sizeof(req.ticket), "OTHER-%d", i);
		snprintf(req.secret, sizeof(req.secret), "%s", resp);
		assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	}
	assert_int_equal(mng_phone_response(tkey, &pr, "root", "OK-1", resp, sizeof(resp)), 17);
	snprintf(req.ticket, sizeof(req.ticket), "OK-1");
	snprintf(req.secret, sizeof(req.secret), "%s", resp);
	assert_int_not_equal(call(h, &req, msg, sizeof(msg), NULL), 0);
	assert_non_null(strstr(msg, "no phone request"));
	h_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usb_token_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_and_revoke, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_phone_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_phone_tries, setup, teardown),
	};
	int r;

	hd_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!hd_key || !rogue_key)
		return 1;
	for (r = 0; r < 32; r++)
		tkey[r] = (uint8_t)(r * 7 + 3);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(hd_key);
	EVP_PKEY_free(rogue_key);
	return r;
}
