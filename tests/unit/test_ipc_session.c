// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipc_session.c - the protocol of mnguard-session (lib/ipc.h):
 * session-policy, clipboard-report and session-watch are open to every uid
 * (the agent answers for the caller's own uid), clipboard-report's
 * arguments round-trip through format and parse, and every bad argument
 * (unknown key, wrong value, count or pid out of range, wrong type,
 * content smuggled in a key, a 1 MiB string) is refused with EINVAL.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc.h"

static int parse(const char *text, struct mng_ipc_request *req, struct mng_ipc_error *err)
{
	memset(req, 0, sizeof(*req));
	return mng_ipc_request_parse(text, strlen(text), req, err);
}

static void test_ops_open_to_users(void **state)
{
	static const enum mng_ipc_op ops[] = {
	    MNG_IPC_OP_SESSION_POLICY, MNG_IPC_OP_CLIPBOARD_REPORT, MNG_IPC_OP_SESSION_WATCH};
	static const char *const names[] = {"session-policy", "clipboard-report", "session-watch"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_string_equal(mng_ipc_op_name(ops[i]), names[i]);
		assert_int_equal(mng_ipc_op_from_name(names[i], strlen(names[i])), ops[i]);
		assert_false(mng_ipc_op_needs_admin(ops[i]));
		assert_true(mng_ipc_op_self_authorized(ops[i]));
	}
}

static void test_report_round_trip(void **state)
{
	struct mng_ipc_request req = {.id = 7, .op = MNG_IPC_OP_CLIPBOARD_REPORT}, back;
	struct mng_ipc_error err;
	char *text = NULL;
	size_t len;

	(void)state;
	strcpy(req.clip_event, "redact");
	strcpy(req.selection, "PRIMARY");
	req.individual = 3;
	req.corporate = 1;
	req.bytes = 600013;
	req.owner_pid = 4242;
	req.invalid_utf8 = true;
	assert_int_equal(mng_ipc_request_format(&req, &text, &len), 0);
	assert_null(strstr(text, "content"));
	assert_int_equal(mng_ipc_request_parse(text, len, &back, &err), 0);
	assert_int_equal(back.op, MNG_IPC_OP_CLIPBOARD_REPORT);
	assert_int_equal(back.id, 7);
	assert_string_equal(back.clip_event, "redact");
	assert_string_equal(back.selection, "PRIMARY");
	assert_int_equal(back.individual, 3);
	assert_int_equal(back.corporate, 1);
	assert_int_equal(back.bytes, 600013);
	assert_int_equal(back.owner_pid, 4242);
	assert_true(back.invalid_utf8);
	assert_false(back.unread);
	free(text);

	/* format refuses what parse would refuse */
	strcpy(req.clip_event, "copy");
	assert_int_equal(mng_ipc_request_format(&req, &text, &len), -EINVAL);
	strcpy(req.clip_event, "block");
	req.owner_pid = MNG_IPC_PID_MAX + 1;
	assert_int_equal(mng_ipc_request_format(&req, &text, &len), -EINVAL);
	req.owner_pid = 0;
	req.individual = MNG_IPC_COUNT_MAX + 1;
	assert_int_equal(mng_ipc_request_format(&req, &text, &len), -EINVAL);
}

static void test_report_refusals(void **state)
{
	static const char *const bad[] = {
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\"}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":[]}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"selection\":\"CLIPBOARD\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"paste\","
	    "\"selection\":\"CLIPBOARD\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"SECONDARY\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"text\":\"123456789018\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"individual\":1000001}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"individual\":-1}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"owner_pid\":4194305}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"bytes\":\"12\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"unread\":1}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\","
	    "\"selection\":\"CLIPBOARD\",\"invalid_utf8\":\"yes\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"redact\\u0000\","
	    "\"selection\":\"CLIPBOARD\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"session-policy\",\"args\":{\"user\":\"root\"}}",
	    "{\"v\":1,\"id\":1,\"op\":\"session-watch\",\"args\":{\"uid\":0}}",
	};
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.op = MNG_IPC_OP_STATUS;
		if (parse(bad[i], &req, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(err.code, EINVAL);
		assert_int_equal(err.id, 1);
	}
	assert_int_equal(parse("{\"v\":1,\"id\":2,\"op\":\"session-policy\"}", &req, &err), 0);
	assert_int_equal(req.op, MNG_IPC_OP_SESSION_POLICY);
	assert_int_equal(
	    parse("{\"v\":1,\"id\":3,\"op\":\"session-watch\",\"args\":{}}", &req, &err), 0);
	assert_int_equal(req.op, MNG_IPC_OP_SESSION_WATCH);
}

static void test_report_huge_value(void **state)
{
	size_t big = 1024 * 1024, n;
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	char *t = malloc(big + 200);

	(void)state;
	assert_non_null(t);
	n = (size_t)sprintf(t,
			    "{\"v\":1,\"id\":1,\"op\":\"clipboard-report\",\"args\":{\"event\":\"");
	memset(t + n, 'r', big);
	strcpy(t + n + big, "\",\"selection\":\"CLIPBOARD\"}}");
	assert_true(mng_ipc_request_parse(t, strlen(t), &req, &err) < 0);
	assert_int_equal(err.code, EPROTO); /* over MNG_IPC_MSG_MAX */
	free(t);
	assert_true(mng_ipc_clip_event_ok("block"));
	assert_false(mng_ipc_clip_event_ok("BLOCK"));
	assert_false(mng_ipc_clip_event_ok(NULL));
	assert_true(mng_ipc_selection_ok("PRIMARY"));
	assert_false(mng_ipc_selection_ok("primary"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ops_open_to_users),
	    cmocka_unit_test(test_report_round_trip),
	    cmocka_unit_test(test_report_refusals),
	    cmocka_unit_test(test_report_huge_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
