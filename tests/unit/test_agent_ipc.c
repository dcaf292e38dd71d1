// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent_ipc.c - the agent core behind the socket: status counts,
 * temporary and permanent allow/block/reject of a device (the rule file
 * 90-mnguardctl.rules, the reload that follows), the watch events, and the
 * audit records all of it leaves. Runs the real mnguardd in a umockdev
 * testbed (helpers/agent_harness.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h_setup(h);
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

static struct json_object *call(int fd, enum mng_ipc_op op, uint32_t device, bool permanent,
				int want_code)
{
	static uint32_t next_id = 100;
	struct mng_ipc_request req = {.id = next_id++,
				      .op = op,
				      .device = device,
				      .permanent = permanent,
				      .limit = MNG_IPC_PAGE_MAX};
	struct mng_ipc_error err = {0};
	struct json_object *res = NULL;
	int r = mng_ipc_call(fd, &req, T_MS, &res, &err);

	if (want_code == 0 && r < 0)
		fail_msg("%s failed: %d %s", mng_ipc_op_name(op), r, err.message);
	if (want_code != 0 && r != -want_code)
		fail_msg("%s gave %d, expected %d (%s)", mng_ipc_op_name(op), r, -want_code,
			 err.message);
	return res;
}

static int64_t get_int(struct json_object *o, const char *path1, const char *path2)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, path1, &v));
	if (path2)
		assert_true(json_object_object_get_ex(v, path2, &v));
	return json_object_get_int64(v);
}

/* The id the agent gave the device at port. */
static uint32_t device_id(int fd, const char *port)
{
	struct json_object *all = NULL;
	struct mng_ipc_error err = {0};
	size_t i;
	uint32_t id = 0;

	assert_int_equal(mng_ipc_list(fd, MNG_IPC_OP_LIST_DEVICES, T_MS, &all, &err), 0);
	for (i = 0; i < json_object_array_length(all); i++) {
		struct json_object *d = json_object_array_get_idx(all, i), *p = NULL;

		if (json_object_object_get_ex(d, "port", &p) &&
		    !strcmp(json_object_get_string(p), port))
			id = (uint32_t)get_int(d, "id", NULL);
	}
	json_object_put(all);
	if (!id)
		fail_msg("no device at port %s", port);
	return id;
}

static char *rule_file(struct harness *h)
{
	char path[300], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/90-mnguardctl.rules", h->rules);
	f = fopen(path, "r");
	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void test_status_and_targets(void **state)
{
	struct harness *h = *state;
	struct json_object *res;
	char path[300], *rules;
	struct stat st;
	int fd = -1;

	h_rules_baseline(h);
	h_start(h);
	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);

	res = call(fd, MNG_IPC_OP_STATUS, 0, false, 0);
	assert_int_equal(get_int(res, "devices", "total"), 12);
	assert_int_equal(get_int(res, "devices", "allowed"), 8);
	assert_int_equal(get_int(res, "devices", "blocked"), 4);
	assert_true(get_int(res, "policy", "rules") >= 10);
	json_object_put(res);

	/* temporary: the stick now, "manual" in the audit */
	json_object_put(call(fd, MNG_IPC_OP_ALLOW_DEVICE, device_id(fd, "1-4.1.1"), false, 0));
	assert_true(h_wait_attr(H_STICK, "authorized", "1", T_MS));
	assert_int_equal(
	    h_audit_count(h, "\"event\":\"device.allow\"", "port 1-4.1.1 ", "\"rule\":\"manual\""),
	    1);
	assert_int_equal(h_audit_count(h, "\"subject\":\"uid 0 (root)\"", "port 1-4.1.1 ", NULL),
			 1);

	/* permanent block: a rule naming the stick, then a reload that applies it */
	json_object_put(call(fd, MNG_IPC_OP_BLOCK_DEVICE, device_id(fd, "1-4.1.1"), true, 0));
	assert_true(h_wait_attr(H_STICK, "authorized", "0", T_MS));
	rules = rule_file(h);
	assert_non_null(strstr(rules, "block id 0781:5567 serial \"4C530001230512345678\""));
	assert_non_null(strstr(rules, "via-port \"1-4.1.1\""));
	assert_non_null(strstr(rules, "# added by uid 0 (root) at "));
	assert_null(strstr(rules, "parent-hash"));
	free(rules);
	snprintf(path, sizeof(path), "%s/90-mnguardctl.rules", h->rules);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_true(h_wait_audit(h, "\"event\":\"policy.load\"", NULL, NULL, 2, T_MS));
	assert_int_equal(h_audit_count(h, "\"event\":\"device.block\"", "port 1-4.1.1 ",
				       "90-mnguardctl.rules:2\""),
			 1);

	/* permanent allow of the phone: decided by the new rule from now on */
	json_object_put(call(fd, MNG_IPC_OP_ALLOW_DEVICE, device_id(fd, "1-4.1.5"), true, 0));
	assert_true(h_wait_attr(H_PHONE, "authorized", "1", T_MS));
	assert_int_equal(h_audit_count(h, "\"event\":\"device.allow\"", "port 1-4.1.5 ",
				       "90-mnguardctl.rules:4\""),
			 1);

	/* reject: the kernel is asked to remove the camera */
	json_object_put(call(fd, MNG_IPC_OP_REJECT_DEVICE, device_id(fd, "1-8"), false, 0));
	assert_true(h_wait_attr(H_CAMERA, "remove", "1", T_MS));
	assert_int_equal(h_audit_count(h, "\"event\":\"device.reject\"", "port 1-8 ", NULL), 1);

	/* no such device */
	json_object_put(call(fd, MNG_IPC_OP_ALLOW_DEVICE, 99999, false, ENOENT));
	/* a reload keeps the rule file's decisions */
	res = call(fd, MNG_IPC_OP_POLICY_RELOAD, 0, false, 0);
	json_object_put(res);
	assert_true(h_wait_attr(H_PHONE, "authorized", "1", T_MS));
	assert_true(h_wait_attr(H_STICK, "authorized", "0", T_MS));
	close(fd);
	h_stop(h);
	h_verify_audit(h);
}

static void test_watch_events(void **state)
{
	struct harness *h = *state;
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_WATCH};
	struct mng_ipc_error err = {0};
	struct json_object *res = NULL;
	char buf[MNG_IPC_MSG_MAX];
	struct timeval tv = {.tv_sec = T_MS / 1000};
	bool seen = false;
	int fd = -1, ctl = -1, i;

	h_rules_baseline(h);
	h_start(h);
	assert_int_equal(mng_ipc_connect(h->sock, &fd), 0);
	assert_int_equal(mng_ipc_call(fd, &req, T_MS, &res, &err), 0);
	json_object_put(res);
	/* never wait for an event forever */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(mng_ipc_connect(h->sock, &ctl), 0);
	json_object_put(call(ctl, MNG_IPC_OP_ALLOW_DEVICE, device_id(ctl, "1-4.1.1"), false, 0));
	for (i = 0; i < 50 && !seen; i++) {
		struct mng_ipc_message m = {0};
		size_t len = 0;

		if (mng_ipc_recv(fd, buf, sizeof(buf), 0, &len) < 0)
			break;
		if (mng_ipc_message_parse(buf, len, &m, NULL, 0) == 0 &&
		    m.kind == MNG_IPC_MSG_EVENT) {
			struct json_object *t = NULL, *p = NULL, *r = NULL;

			if (json_object_object_get_ex(m.body, "type", &t) &&
			    !strcmp(json_object_get_string(t), "device.allow") &&
			    json_object_object_get_ex(m.body, "port", &p) &&
			    !strcmp(json_object_get_string(p), "1-4.1.1")) {
				assert_true(json_object_object_get_ex(m.body, "rule", &r));
				assert_string_equal(json_object_get_string(r), "manual");
				assert_true(json_object_object_get_ex(m.body, "time", &r));
				assert_true(json_object_object_get_ex(m.body, "vendor", &r));
				assert_string_equal(json_object_get_string(r), "0781");
				seen = true;
			}
		}
		mng_ipc_message_clear(&m);
	}
	assert_true(seen);
	close(fd);
	close(ctl);
	h_stop(h);
	h_verify_audit(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_status_and_targets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
