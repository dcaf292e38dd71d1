// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipc.c - the agent socket protocol (lib/ipc): round trips over a
 * SOCK_SEQPACKET socketpair, every malformed request form, replies, errors
 * and events, paging arithmetic, the client call against a scripted peer,
 * and the credential check.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "ipc.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* Parse text (strlen) and expect failure with code and a message containing want. */
static void expect_bad_n(const char *text, size_t len, int code, const char *want, uint32_t want_id)
{
	struct mng_ipc_request req = {.id = 0xdead};
	struct mng_ipc_error err;
	int r = mng_ipc_request_parse(text, len, &req, &err);

	if (r != -code || !strstr(err.message, want) || err.id != want_id)
		print_error("input %.80s: r=%d code=%d id=%u message \"%s\"\n", text, r, err.code,
			    err.id, err.message);
	assert_int_equal(r, -code);
	assert_int_equal(err.code, code);
	assert_false(err.remote);
	assert_non_null(strstr(err.message, want));
	assert_int_equal(err.id, want_id);
	assert_int_equal(req.id, 0xdead); /* untouched on error */
}

static void expect_bad(const char *text, int code, const char *want, uint32_t want_id)
{
	expect_bad_n(text, strlen(text), code, want, want_id);
}

static void test_request_round_trip(void **state)
{
	static const struct mng_ipc_request reqs[] = {
	    {.id = 1, .op = MNG_IPC_OP_STATUS},
	    {.id = 2, .op = MNG_IPC_OP_LIST_DEVICES, .offset = 7, .limit = 500},
	    {.id = 3, .op = MNG_IPC_OP_LIST_RULES, .offset = UINT32_MAX, .limit = 1},
	    {.id = 4, .op = MNG_IPC_OP_ALLOW_DEVICE, .device = 42, .permanent = true},
	    {.id = 5, .op = MNG_IPC_OP_BLOCK_DEVICE, .device = UINT32_MAX},
	    {.id = 6, .op = MNG_IPC_OP_REJECT_DEVICE, .device = 0},
	    {.id = 7, .op = MNG_IPC_OP_POLICY_RELOAD},
	    {.id = UINT32_MAX, .op = MNG_IPC_OP_WATCH},
	};
	char buf[MNG_IPC_MSG_MAX + 1];
	size_t i, len, got;
	int sv[2];

	pair(sv);
	for (i = 0; i < MNG_ARRAY_SIZE(reqs); i++) {
		struct mng_ipc_request out;
		struct mng_ipc_error err;
		char *text = NULL;

		assert_int_equal(mng_ipc_request_format(&reqs[i], &text, &len), 0);
		assert_int_equal(strlen(text), len);
		assert_int_equal(mng_ipc_send(sv[0], text, len, 0), 0);
		assert_int_equal(mng_ipc_recv(sv[1], buf, sizeof(buf), 0, &got), 0);
		assert_int_equal(got, len);
		assert_memory_equal(buf, text, len);
		memset(&out, 0x55, sizeof(out));
		assert_int_equal(mng_ipc_request_parse(buf, got, &out, &err), 0);
		assert_int_equal(out.id, reqs[i].id);
		assert_int_equal(out.op, reqs[i].op);
		assert_int_equal(out.offset, reqs[i].offset);
		assert_int_equal(out.limit, reqs[i].limit);
		assert_int_equal(out.device, reqs[i].device);
		assert_int_equal(out.permanent, reqs[i].permanent);
		free(text);
	}
	close(sv[0]);
	close(sv[1]);
}

static void test_request_defaults_and_whitespace(void **state)
{
	const char *t = " \n{ \"v\" : 1 , \"op\" : \"list-rules\" , \"id\" : 9 }\r\n\t";
	struct mng_ipc_request r;
	struct mng_ipc_error err;

	assert_int_equal(mng_ipc_request_parse(t, strlen(t), &r, &err), 0);
	assert_int_equal(r.op, MNG_IPC_OP_LIST_RULES);
	assert_int_equal(r.limit, MNG_IPC_PAGE_DEFAULT);
	assert_int_equal(r.offset, 0);
	t = "{\"v\":1,\"id\":0,\"op\":\"status\",\"args\":{}}";
	assert_int_equal(mng_ipc_request_parse(t, strlen(t), &r, &err), 0);
	t = "{\"v\":1,\"id\":1,\"op\":\"block-device\",\"args\":{\"id\":3}}";
	assert_int_equal(mng_ipc_request_parse(t, strlen(t), &r, &err), 0);
	assert_int_equal(r.device, 3);
	assert_false(r.permanent);
	/* A colon and an escaped quote inside strings are not syntax. */
	t = "{\"v\":1,\"id\":1,\"op\":\"status\",\"args\":{\"a\\\":b\":1}}";
	expect_bad(t, EINVAL, "unknown argument", 1);
}

static void test_request_version_and_op(void **state)
{
	expect_bad("{\"v\":2,\"id\":5,\"op\":\"status\"}", ENOTSUP,
		   "unsupported protocol version 2", 0);
	expect_bad("{\"v\":0,\"id\":5,\"op\":\"status\"}", ENOTSUP,
		   "unsupported protocol version 0", 0);
	expect_bad("{\"id\":5,\"op\":\"status\"}", EPROTO, "missing \"v\"", 0);
	expect_bad("{\"v\":\"1\",\"id\":5,\"op\":\"status\"}", EPROTO, "\"v\" must be", 0);
	expect_bad("{\"v\":1.0,\"id\":5,\"op\":\"status\"}", EPROTO, "\"v\" must be", 0);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"format-disk\"}", EINVAL, "unknown request", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"STATUS\"}", EINVAL, "unknown request", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"status\\u0000\"}", EINVAL, "\"op\" must be", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":3}", EINVAL, "\"op\" must be", 7);
	expect_bad("{\"v\":1,\"id\":7}", EINVAL, "\"op\" must be", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"status\",\"admin\":true}", EINVAL,
		   "unknown key \"admin\"", 7);
}

static void test_request_bad_numbers(void **state)
{
	expect_bad("{\"v\":1,\"id\":-1,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":4294967296,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":99999999999999999999999999,\"op\":\"status\"}", EINVAL,
		   "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":1.5,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":1e400,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":\"1\",\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":true,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"op\":\"status\"}", EINVAL, "\"id\"", 0);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-rules\",\"args\":{\"limit\":0}}", EINVAL,
		   "args.limit", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-rules\",\"args\":{\"limit\":501}}", EINVAL,
		   "args.limit", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-rules\",\"args\":{\"limit\":\"5\"}}", EINVAL,
		   "args.limit", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-devices\",\"args\":{\"offset\":-1}}", EINVAL,
		   "args.offset", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-devices\",\"args\":{\"offset\":4294967296}}",
		   EINVAL, "args.offset", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"list-devices\",\"args\":{\"offset\":"
		   "18446744073709551616}}",
		   EINVAL, "args.offset", 3);
}

static void test_request_bad_args(void **state)
{
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\"}", EINVAL, "needs args.id", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\",\"args\":{}}", EINVAL,
		   "needs args.id", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\",\"args\":{\"id\":null}}", EINVAL,
		   "args.id", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\",\"args\":{\"id\":1,\"permanent\":1}}",
		   EINVAL, "args.permanent", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\",\"args\":{\"id\":1,\"all\":true}}",
		   EINVAL, "unknown argument \"all\"", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"allow-device\",\"args\":[1]}", EINVAL,
		   "\"args\" must be an object", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"status\",\"args\":{\"verbose\":true}}", EINVAL,
		   "unknown argument", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"policy-reload\",\"args\":\"now\"}", EINVAL,
		   "\"args\" must be an object", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"list-rules\",\"args\":{\"id\":1}}", EINVAL,
		   "unknown argument \"id\"", 4);
}

static void test_request_malformed_json(void **state)
{
	static const char deep_head[] = "{\"v\":1,\"id\":1,\"op\":\"status\",\"args\":{\"a\":";
	char *big, *deep;
	size_t i, n;

	expect_bad("", EPROTO, "empty", 0);
	expect_bad("[1,2]", EPROTO, "not a JSON object", 0);
	expect_bad("\"status\"", EPROTO, "not a JSON object", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"sta", EPROTO, "truncated", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"status\"", EPROTO, "truncated", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"status\"} {}", EPROTO, "JSON error", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"status\",}", EPROTO, "JSON error", 0);
	expect_bad("{'v':1,'id':1,'op':'status'}", EPROTO, "unexpected byte 0x27", 0);
	expect_bad("{\"v\":1,\"id\":NaN,\"op\":\"status\"}", EPROTO, "unexpected byte 0x4e", 0);
	expect_bad("{\"v\":1,\"id\":Infinity,\"op\":\"status\"}", EPROTO, "unexpected byte", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"status\",\"op\":\"watch\"}", EPROTO, "duplicate key",
		   0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"allow-device\",\"args\":{\"id\":1,\"id\":2}}",
		   EPROTO, "duplicate key", 0);
	expect_bad_n("{\"v\":1,\"id\":1,\"op\":\"status\"}\0", 29, EPROTO, "NUL byte", 0);
	expect_bad_n("{\"v\":1,\0\"id\":1,\"op\":\"status\"}", 29, EPROTO, "NUL byte", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"st\xff\"}", EPROTO, "UTF-8", 0);
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"\xc0\xaf\"}", EPROTO, "UTF-8", 0); /* overlong */
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"\xed\xa0\x80\"}", EPROTO, "UTF-8",
		   0); /* surrogate */
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"\xf4\x90\x80\x80\"}", EPROTO, "UTF-8", 0);

	/* Deep nesting, inside the size cap. */
	n = 10000;
	deep = malloc(sizeof(deep_head) + 2 * n + 4);
	assert_non_null(deep);
	memcpy(deep, deep_head, sizeof(deep_head) - 1);
	i = sizeof(deep_head) - 1;
	memset(deep + i, '[', n);
	memset(deep + i + n, ']', n);
	strcpy(deep + i + 2 * n, "}}");
	expect_bad(deep, EPROTO, "nesting too deep", 0);
	free(deep);

	/* 1 MiB: over the message cap, whatever it holds. */
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, ' ', 1 << 20);
	memcpy(big, "{\"v\":1,\"id\":1,\"op\":\"status\"}", 28);
	expect_bad_n(big, 1 << 20, EPROTO, "exceeds 65536", 0);
	free(big);
}

static void test_oversize_packet_is_consumed(void **state)
{
	char *big = malloc(100000), *buf = malloc(MNG_IPC_MSG_MAX + 1);
	const char *ok = "{\"v\":1,\"id\":2,\"op\":\"status\"}";
	size_t len = 0;
	int sv[2];

	assert_non_null(big);
	assert_non_null(buf);
	pair(sv);
	memset(big, 'x', 100000);
	assert_int_equal(mng_ipc_send(sv[0], big, MNG_IPC_MSG_MAX + 1, 0), -EMSGSIZE);
	assert_int_equal(mng_ipc_send(sv[0], big, 0, 0), -EINVAL);
	/* A raw sender is not bound by our cap: the receiver sees it and drops it. */
	assert_int_equal(send(sv[0], big, 100000, 0), 100000);
	assert_int_equal(send(sv[0], ok, strlen(ok), 0), (ssize_t)strlen(ok));
	assert_int_equal(mng_ipc_recv(sv[1], buf, MNG_IPC_MSG_MAX + 1, 0, &len), -EMSGSIZE);
	assert_int_equal(mng_ipc_recv(sv[1], buf, MNG_IPC_MSG_MAX + 1, 0, &len), 0);
	assert_string_equal(buf, ok);
	/* Exactly the cap passes. */
	assert_int_equal(send(sv[0], big, MNG_IPC_MSG_MAX, 0), MNG_IPC_MSG_MAX);
	assert_int_equal(mng_ipc_recv(sv[1], buf, MNG_IPC_MSG_MAX + 1, 0, &len), 0);
	assert_int_equal(len, MNG_IPC_MSG_MAX);
	assert_int_equal(mng_ipc_recv(sv[1], buf, MNG_IPC_MSG_MAX + 1, MSG_DONTWAIT, &len),
			 -EAGAIN);
	close(sv[0]);
	assert_int_equal(mng_ipc_recv(sv[1], buf, MNG_IPC_MSG_MAX + 1, 0, &len), -ECONNRESET);
	close(sv[1]);
	free(big);
	free(buf);
}

static void test_reply_and_error_round_trip(void **state)
{
	struct json_object *res = json_object_new_object(), *big;
	struct mng_ipc_message m;
	char *text = NULL, why[128], *huge;
	size_t len;

	json_object_object_add(res, "rules", json_object_new_int(12));
	json_object_object_add(res, "name", mng_ipc_json_string("caf\xc3\xa9 \x01", 100));
	assert_int_equal(mng_ipc_reply_format(77, res, &text, &len), 0);
	assert_int_equal(mng_ipc_message_parse(text, len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_REPLY);
	assert_int_equal(m.id, 77);
	assert_true(json_object_equal(m.body, res));
	mng_ipc_message_clear(&m);
	assert_null(m.body);
	free(text);

	/* NULL result is {}; a non-object is refused. */
	assert_int_equal(mng_ipc_reply_format(1, NULL, &text, &len), 0);
	assert_string_equal(text, "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{}}");
	free(text);
	big = json_object_new_array();
	assert_int_equal(mng_ipc_reply_format(1, big, &text, &len), -EINVAL);
	json_object_put(big);

	/* Too large for one message. */
	huge = malloc(70000);
	memset(huge, 'a', 69999);
	huge[69999] = '\0';
	json_object_object_add(res, "big", json_object_new_string(huge));
	text = NULL;
	assert_int_equal(mng_ipc_reply_format(1, res, &text, &len), -E2BIG);
	assert_null(text);
	json_object_put(res);

	assert_int_equal(mng_ipc_error_format(5, EPERM, "permission denied", &text, &len), 0);
	assert_int_equal(mng_ipc_message_parse(text, len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_ERROR);
	assert_int_equal(m.id, 5);
	assert_int_equal(m.error.code, EPERM);
	assert_true(m.error.remote);
	assert_string_equal(m.error.message, "permission denied");
	assert_null(m.body);
	free(text);

	/* An errno outside the protocol goes out as EIO; bad bytes become U+FFFD. */
	assert_int_equal(mng_ipc_error_format(0, EROFS, "bad \xff\xfe name\x1b[2J", &text, &len),
			 0);
	assert_non_null(strstr(text, "\"code\":\"EIO\""));
	assert_int_equal(mng_ipc_message_parse(text, len, &m, why, sizeof(why)), 0);
	assert_string_equal(m.error.message, "bad \xef\xbf\xbd\xef\xbf\xbd name\x1b[2J");
	free(text);

	/* A 1 MiB message is cut to the cap and still fits one packet. */
	huge = realloc(huge, 1 << 20);
	memset(huge, 'm', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	assert_int_equal(mng_ipc_error_format(9, EINVAL, huge, &text, &len), 0);
	assert_true(len <= MNG_IPC_MSG_MAX);
	assert_int_equal(mng_ipc_message_parse(text, len, &m, why, sizeof(why)), 0);
	assert_int_equal(strlen(m.error.message), MNG_IPC_ERRMSG_MAX - 1);
	free(text);
	free(huge);
}

static void test_event_format(void **state)
{
	struct json_object *f = json_object_new_object(), *v;
	struct mng_ipc_message m;
	char *text = NULL, why[128];
	size_t len;

	json_object_object_add(f, "id", json_object_new_int(3));
	assert_int_equal(mng_ipc_event_format("device.allow", 0, f, &text, &len), 0);
	assert_string_equal(text, "{\"v\":1,\"event\":{\"type\":\"device.allow\",\"time\":"
				  "\"1970-01-01T00:00:00Z\",\"id\":3}}");
	assert_int_equal(mng_ipc_message_parse(text, len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_EVENT);
	assert_true(json_object_object_get_ex(m.body, "id", &v));
	assert_int_equal(json_object_get_int(v), 3);
	mng_ipc_message_clear(&m);
	free(text);
	assert_int_equal(mng_ipc_event_format("Device Allow", 0, f, &text, &len), -EINVAL);
	assert_int_equal(mng_ipc_event_format("", 0, NULL, &text, &len), -EINVAL);
	json_object_object_add(f, "time", json_object_new_string("x"));
	assert_int_equal(mng_ipc_event_format("device.block", 0, f, &text, &len), -EINVAL);
	json_object_put(f);
}

static void expect_bad_msg(const char *text, const char *want)
{
	struct mng_ipc_message m = {0};
	char why[128] = "";

	assert_int_equal(mng_ipc_message_parse(text, strlen(text), &m, why, sizeof(why)), -EPROTO);
	if (!strstr(why, want))
		print_error("%s: got \"%s\"\n", text, why);
	assert_non_null(strstr(why, want));
	assert_null(m.body);
}

static void test_message_parse_malformed(void **state)
{
	struct mng_ipc_message m;
	char why[128];
	const char *t;

	expect_bad_msg("{\"v\":2,\"id\":1,\"ok\":true,\"result\":{}}", "protocol version");
	expect_bad_msg("{\"id\":1,\"ok\":true,\"result\":{}}", "protocol version");
	expect_bad_msg("{\"v\":1,\"ok\":true,\"result\":{}}", "\"id\"");
	expect_bad_msg("{\"v\":1,\"id\":1,\"result\":{}}", "\"ok\"");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":\"yes\",\"result\":{}}", "\"ok\"");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":true}", "malformed reply");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":true,\"result\":[]}", "malformed reply");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{},\"x\":1}", "malformed reply");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"EPERM\"}}",
		       "malformed error");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":1,\"message\":\"\"}}",
		       "malformed error");
	expect_bad_msg("{\"v\":1,\"event\":{\"type\":\"device.allow\"}}", "malformed event");
	expect_bad_msg("{\"v\":1,\"event\":{\"type\":\"a\",\"time\":\"t\"},\"id\":1}",
		       "malformed event");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"a\":1,\"a\":2}}", "duplicate");
	expect_bad_msg("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"a\":\"\xc3\"}}", "UTF-8");

	/* An error code from a newer agent still reads as a failure. */
	t = "{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"ENEWTHING\",\"message\":\"m\"}}";
	assert_int_equal(mng_ipc_message_parse(t, strlen(t), &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_ERROR);
	assert_int_equal(m.error.code, EIO);
}

static void test_json_string(void **state)
{
	struct json_object *j;

	j = mng_ipc_json_string("a\xff"
				"b\xe2\x82",
				100);
	assert_string_equal(json_object_get_string(j), "a\xef\xbf\xbd"
						       "b\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(j);
	/* Cut at a character boundary: "a€" is 4 bytes, max 3 keeps "a". */
	j = mng_ipc_json_string("a\xe2\x82\xac", 3);
	assert_string_equal(json_object_get_string(j), "a");
	json_object_put(j);
	j = mng_ipc_json_string(NULL, 10);
	assert_string_equal(json_object_get_string(j), "");
	json_object_put(j);
}

static void test_paging_arithmetic(void **state)
{
	uint32_t next = 12345;

	assert_int_equal(mng_ipc_page_end(0, 100, 50000), 100);
	assert_int_equal(mng_ipc_page_end(49950, 100, 50000), 50000);
	assert_int_equal(mng_ipc_page_end(60000, 100, 50000), 50000);
	assert_int_equal(mng_ipc_page_end(UINT32_MAX, UINT32_MAX, SIZE_MAX),
			 2 * (size_t)UINT32_MAX);
	assert_int_equal(mng_ipc_page_end(10, 0, 50), 10);

	assert_int_equal(mng_ipc_page_next(0, 500, 50000, &next), 1);
	assert_int_equal(next, 500);
	assert_int_equal(mng_ipc_page_next(500, 391, 50000, &next), 1); /* an early stop */
	assert_int_equal(next, 891);
	next = 7;
	assert_int_equal(mng_ipc_page_next(49800, 200, 50000, &next), 0);
	assert_int_equal(mng_ipc_page_next(0, 0, 0, &next), 0);
	/* The listing shrank while paging: past the end is the end. */
	assert_int_equal(mng_ipc_page_next(900, 0, 10, &next), 0);
	assert_int_equal(next, 7);
	/* No progress, more than there is, absurd totals. */
	assert_int_equal(mng_ipc_page_next(0, 0, 10, &next), -EPROTO);
	assert_int_equal(mng_ipc_page_next(5, 6, 10, &next), -EPROTO);
	assert_int_equal(mng_ipc_page_next(900, 1, 10, &next), -EPROTO);
	assert_int_equal(mng_ipc_page_next(0, 500, (uint64_t)MNG_IPC_LIST_MAX + 1, &next), -EPROTO);
	assert_int_equal(mng_ipc_page_next(0, 500, UINT64_MAX, &next), -EPROTO);
	assert_int_equal(next, 7);
}

static void test_admin_match(void **state)
{
	const gid_t g[] = {100, 998, 27};

	assert_true(mng_ipc_admin_match(0, 0, NULL, 0, false, 0));
	assert_false(mng_ipc_admin_match(1000, 1000, g, 3, false, 998));
	assert_true(mng_ipc_admin_match(1000, 1000, g, 3, true, 998));
	assert_true(mng_ipc_admin_match(1000, 998, NULL, 0, true, 998));
	assert_false(mng_ipc_admin_match(1000, 1000, g, 3, true, 999));
	assert_false(mng_ipc_admin_match(1000, 1000, g, 2, true, 27));
	assert_false(mng_ipc_admin_match(65534, 65534, NULL, 0, true, 0)); /* gid 0 is not uid 0 */
	assert_true(mng_ipc_admin_match(65534, 0, NULL, 0, true, 0));
}

static void test_peer_root(void **state)
{
	bool admin = false;
	uid_t uid = 42;
	int sv[2];

	pair(sv);
	assert_int_equal(mng_ipc_peer_is_admin(sv[0], NULL, &admin, &uid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(admin, getuid() == 0);
	assert_int_equal(mng_ipc_peer_is_admin(-1, NULL, &admin, &uid), -EBADF);
	close(sv[0]);
	close(sv[1]);
}

static void test_names(void **state)
{
	assert_string_equal(mng_ipc_op_name(MNG_IPC_OP_LIST_DEVICES), "list-devices");
	assert_null(mng_ipc_op_name(MNG_IPC_OP_NONE));
	assert_null(mng_ipc_op_name((enum mng_ipc_op)99));
	assert_int_equal(mng_ipc_op_from_name("watch", 5), MNG_IPC_OP_WATCH);
	assert_int_equal(mng_ipc_op_from_name("watc", 4), MNG_IPC_OP_NONE);
	assert_true(mng_ipc_op_needs_admin(MNG_IPC_OP_POLICY_RELOAD));
	assert_true(mng_ipc_op_needs_admin(MNG_IPC_OP_ALLOW_DEVICE));
	assert_true(mng_ipc_op_needs_admin(MNG_IPC_OP_NONE));
	assert_true(mng_ipc_op_needs_admin((enum mng_ipc_op)99));
	assert_false(mng_ipc_op_needs_admin(MNG_IPC_OP_STATUS));
	assert_false(mng_ipc_op_needs_admin(MNG_IPC_OP_WATCH));
	assert_string_equal(mng_ipc_errno_name(ENOTSUP), "ENOTSUP");
	assert_string_equal(mng_ipc_errno_name(12345), "EIO");
	assert_int_equal(mng_ipc_errno_from_name("EBUSY"), EBUSY);
}

/* ---- the client call against a scripted peer ---- */

/* Fork a peer that reads one request per script line and sends the given packets. */
static pid_t script(int fd, const char *const *packets, size_t n, bool read_first)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[MNG_IPC_MSG_MAX + 1];
		size_t len, i;

		if (read_first && mng_ipc_recv(fd, buf, sizeof(buf), 0, &len) < 0)
			_exit(1);
		for (i = 0; i < n; i++) {
			if (!strcmp(packets[i], "READ")) {
				if (mng_ipc_recv(fd, buf, sizeof(buf), 0, &len) < 0)
					_exit(1);
			} else if (!strcmp(packets[i], "SLEEP")) {
				(void)poll(NULL, 0, 2000);
			} else if (mng_ipc_send(fd, packets[i], strlen(packets[i]), 0) < 0) {
				_exit(1);
			}
		}
		_exit(0);
	}
	return pid;
}

static int call_script(const char *const *packets, size_t n, int timeout, struct json_object **res,
		       struct mng_ipc_error *err)
{
	struct mng_ipc_request req = {.id = 7, .op = MNG_IPC_OP_STATUS};
	int sv[2], r, st;
	pid_t pid;

	pair(sv);
	pid = script(sv[1], packets, n, true);
	close(sv[1]);
	*res = NULL;
	r = mng_ipc_call(sv[0], &req, timeout, res, err);
	close(sv[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return r;
}

static void test_call(void **state)
{
	const char *ok[] = {
	    "{\"v\":1,\"event\":{\"type\":\"device.allow\",\"time\":\"t\"}}",
	    "{\"v\":1,\"id\":6,\"ok\":true,\"result\":{\"stale\":true}}",
	    "{\"v\":1,\"id\":7,\"ok\":true,\"result\":{\"pid\":1}}",
	};
	const char *perm[] = {"{\"v\":1,\"id\":7,\"ok\":false,\"error\":{\"code\":\"EPERM\","
			      "\"message\":\"permission denied: needs root\"}}"};
	const char *bad[] = {"{\"v\":1,\"id\":7,\"ok\":true,\"result\":5}"};
	const char *slow[] = {"SLEEP"};
	struct json_object *res, *v;
	struct mng_ipc_error err;
	struct timespec a, b;

	assert_int_equal(call_script(ok, 3, 5000, &res, &err), 0);
	assert_true(json_object_object_get_ex(res, "pid", &v));
	assert_false(json_object_object_get_ex(res, "stale", &v));
	json_object_put(res);

	assert_int_equal(call_script(perm, 1, 5000, &res, &err), -EPERM);
	assert_true(err.remote);
	assert_int_equal(err.id, 7);
	assert_string_equal(err.message, "permission denied: needs root");
	assert_null(res);

	assert_int_equal(call_script(bad, 1, 5000, &res, &err), -EPROTO);
	assert_false(err.remote);
	assert_non_null(strstr(err.message, "malformed reply"));

	assert_int_equal(call_script(NULL, 0, 5000, &res, &err), -ECONNRESET);
	assert_false(err.remote);

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(call_script(slow, 1, 200, &res, &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 1500);
	assert_non_null(strstr(err.message, "no reply"));
}

static void test_list_bad_pages(void **state)
{
	const char *shifted[] = {
	    "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"total\":3,\"offset\":1,"
	    "\"rules\":[1]}}"};
	const char *stuck[] = {
	    "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"total\":3,\"offset\":0,\"rules\":[1]}}",
	    "READ",
	    "{\"v\":1,\"id\":2,\"ok\":true,\"result\":{\"total\":3,\"offset\":1,\"rules\":[]}}",
	};
	const char *good[] = {
	    "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"total\":3,\"offset\":0,\"rules\":[1,2]}}",
	    "READ",
	    "{\"v\":1,\"id\":2,\"ok\":true,\"result\":{\"total\":3,\"offset\":2,\"rules\":[3]}}",
	};
	const char *lie[] = {"{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"total\":99999999,"
			     "\"offset\":0,\"rules\":[1]}}"};
	struct {
		const char *const *p;
		size_t n;
		int want;
	} cases[] = {{shifted, 1, -EPROTO}, {stuck, 3, -EPROTO}, {good, 3, 0}, {lie, 1, -EPROTO}};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(cases); i++) {
		struct json_object *all = NULL;
		struct mng_ipc_error err;
		int sv[2], st;
		pid_t pid;

		pair(sv);
		pid = script(sv[1], cases[i].p, cases[i].n, true);
		close(sv[1]);
		assert_int_equal(mng_ipc_list(sv[0], MNG_IPC_OP_LIST_RULES, 5000, &all, &err),
				 cases[i].want);
		if (cases[i].want == 0) {
			assert_int_equal(json_object_array_length(all), 3);
			assert_int_equal(json_object_get_int(json_object_array_get_idx(all, 2)), 3);
			json_object_put(all);
		} else {
			assert_null(all);
			assert_false(err.remote);
		}
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	assert_int_equal(mng_ipc_list(-1, MNG_IPC_OP_STATUS, 10, NULL, &(struct mng_ipc_error){0}),
			 -EINVAL);
}

static void test_connect_errors(void **state)
{
	char longp[200];
	int fd = -1;

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(mng_ipc_connect(longp, &fd), -ENAMETOOLONG);
	assert_int_equal(mng_ipc_connect("/nonexistent/mnguard.sock", &fd), -ENOENT);
	assert_int_equal(mng_ipc_connect("", &fd), -EINVAL);
	assert_int_equal(fd, -1);
}

/* ---- session-open, session-close, auth-report ---- */

static void parse_ok(const char *t, struct mng_ipc_request *r)
{
	struct mng_ipc_error err;
	int rc = mng_ipc_request_parse(t, strlen(t), r, &err);

	if (rc < 0)
		print_error("%s: %s\n", t, err.message);
	assert_int_equal(rc, 0);
}

static void test_session_and_report_round_trip(void **state)
{
	struct mng_ipc_request in = {.id = 11, .op = MNG_IPC_OP_SESSION_OPEN}, out;
	struct mng_ipc_error err;
	char *text = NULL;
	size_t len;

	strcpy(in.user, "taro.yamada");
	strcpy(in.seat, "seat0");
	strcpy(in.tty, "/dev/tty1");
	strcpy(in.service, "gdm-password");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), 0);
	assert_non_null(strstr(text, "\"op\":\"session-open\""));
	assert_int_equal(mng_ipc_request_parse(text, len, &out, &err), 0);
	free(text);
	assert_int_equal(out.op, MNG_IPC_OP_SESSION_OPEN);
	assert_string_equal(out.user, "taro.yamada");
	assert_string_equal(out.seat, "seat0");
	assert_string_equal(out.tty, "/dev/tty1");
	assert_string_equal(out.service, "gdm-password");

	/* empty optional fields are left out and read back empty */
	in = (struct mng_ipc_request){.id = 12, .op = MNG_IPC_OP_SESSION_CLOSE};
	strcpy(in.user, "_svc");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), 0);
	assert_null(strstr(text, "seat"));
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(mng_ipc_request_parse(text, len, &out, &err), 0);
	free(text);
	assert_int_equal(out.op, MNG_IPC_OP_SESSION_CLOSE);
	assert_string_equal(out.user, "_svc");
	assert_string_equal(out.seat, "");
	assert_string_equal(out.tty, "");

	/* auth-report with a Japanese label and detail */
	in = (struct mng_ipc_request){.id = 13, .op = MNG_IPC_OP_AUTH_REPORT};
	strcpy(in.event, "login.clone-suspected");
	strcpy(in.user, "hanako");
	strcpy(in.label, "窓口キー 2");
	strcpy(in.detail, "counter 41 after 57");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), 0);
	assert_int_equal(mng_ipc_request_parse(text, len, &out, &err), 0);
	free(text);
	assert_string_equal(out.event, "login.clone-suspected");
	assert_string_equal(out.label, "窓口キー 2");
	assert_string_equal(out.detail, "counter 41 after 57");

	/* format refuses what parse would refuse */
	strcpy(in.event, "login.maybe");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), -EINVAL);
	strcpy(in.event, "login.ok");
	strcpy(in.user, "Root");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), -EINVAL);
	strcpy(in.user, "root");
	strcpy(in.label, "a\tb");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), -EINVAL);
	in.label[0] = '\0';
	in.event[0] = '\0';
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), -EINVAL);
}

/*
 * session-open carries the logind session and the key's USB device
 * (pam_mnguard, lock on key removal): round trip, the JSON-free formatter
 * giving the same packet, and every field refused out of its charset or
 * cap, or on session-close.
 */
static void test_session_open_key(void **state)
{
	struct mng_ipc_request in = {.id = 21, .op = MNG_IPC_OP_SESSION_OPEN}, out;
	struct mng_ipc_error err;
	char *text = NULL, buf[MNG_IPC_MSG_MAX + 1], big[200];
	size_t len;

	(void)state;
	strcpy(in.user, "hanako");
	strcpy(in.seat, "seat0");
	strcpy(in.session, "c12");
	strcpy(in.key_port, "1-4.1.6");
	strcpy(in.key_devnum, "17");
	strcpy(in.key_serial, "キー 0001");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), 0);
	assert_int_equal(mng_ipc_notify_format(&in, buf, sizeof(buf)), (int)len);
	assert_memory_equal(buf, text, len);
	assert_int_equal(mng_ipc_request_parse(text, len, &out, &err), 0);
	free(text);
	assert_string_equal(out.session, "c12");
	assert_string_equal(out.key_port, "1-4.1.6");
	assert_string_equal(out.key_devnum, "17");
	assert_string_equal(out.key_serial, "キー 0001");

	/* session-close does not carry them: left out by both formatters */
	in.op = MNG_IPC_OP_SESSION_CLOSE;
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), 0);
	assert_null(strstr(text, "key_port"));
	assert_null(strstr(text, "\"session\""));
	free(text);
	assert_true(mng_ipc_notify_format(&in, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "key_port"));
	expect_bad(
	    "{\"v\":1,\"id\":2,\"op\":\"session-close\",\"args\":{\"user\":\"a\",\"key_port\":"
	    "\"1-1\"}}",
	    EINVAL, "unknown argument \"key_port\"", 2);
	expect_bad(
	    "{\"v\":1,\"id\":2,\"op\":\"session-close\",\"args\":{\"user\":\"a\",\"session\":"
	    "\"1\"}}",
	    EINVAL, "unknown argument \"session\"", 2);

	/* out of charset */
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_devnum\":"
	    "\"1a\"}}",
	    EINVAL, "args.key_devnum", 3);
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_devnum\":"
	    "\"-1\"}}",
	    EINVAL, "args.key_devnum", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"session\":"
		   "\"c 1\"}}",
		   EINVAL, "args.session", 3);
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_port\":"
	    "\"../1-1\"}}",
	    EINVAL, "args.key_port", 3);
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_serial\":"
	    "\"a\\u0007b\"}}",
	    EINVAL, "args.key_serial", 3);
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_serial\":"
	    "\"\xff\"}}",
	    EPROTO, "UTF-8", 0); /* refused before the id is read */
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_devnum\":"
	    "17}}",
	    EINVAL, "args.key_devnum must be a string", 3);
	/* over the caps: 4 digits, a 65-byte session id */
	expect_bad(
	    "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"key_devnum\":"
	    "\"1234\"}}",
	    EINVAL, "longer than 3 bytes", 3);
	memset(big, 'x', 65);
	big[65] = '\0';
	snprintf(buf, sizeof(buf),
		 "{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"session\":"
		 "\"%s\"}}",
		 big);
	expect_bad(buf, EINVAL, "longer than 64 bytes", 3);
	/* the formatters refuse the same */
	in.op = MNG_IPC_OP_SESSION_OPEN;
	strcpy(in.key_devnum, "1a");
	assert_int_equal(mng_ipc_request_format(&in, &text, &len), -EINVAL);
	assert_int_equal(mng_ipc_notify_format(&in, buf, sizeof(buf)), -EINVAL);
}

/* mng_ipc_session_notify_extra: bad values are refused before anything is sent. */
static void test_session_notify_extra_args(void **state)
{
	struct mng_ipc_session_extra x = {.session = "3", .key_port = "1-2", .key_devnum = "5"};
	char dir[] = "/tmp/mng-extra-XXXXXX", path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", "seat0", NULL, NULL, &x),
			 -ENOENT);
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", NULL, NULL, NULL, NULL),
			 -ENOENT);
	x.key_devnum = "5x";
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", NULL, NULL, NULL, &x),
			 -EINVAL);
	x.key_devnum = "5";
	x.session = "a/b";
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", NULL, NULL, NULL, &x),
			 -EINVAL);
	x.session = NULL;
	x.key_serial = "\x1b[2J";
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", NULL, NULL, NULL, &x),
			 -EINVAL);
	x.key_serial = "\xc3";
	assert_int_equal(mng_ipc_session_notify_extra(path, "alice", NULL, NULL, NULL, &x),
			 -EINVAL);
	x.key_serial = NULL;
	assert_int_equal(mng_ipc_session_notify_extra(path, "Alice", NULL, NULL, NULL, &x),
			 -EINVAL);
	assert_int_equal(rmdir(dir), 0);
}

static void test_session_and_report_bad(void **state)
{
	char big[2 * MNG_IPC_DETAIL_MAX + 200], *huge;
	struct mng_ipc_request r;
	size_t n;

	parse_ok("{\"v\":1,\"id\":1,\"op\":\"session-open\",\"args\":{\"user\":\"a\"}}", &r);
	assert_string_equal(r.user, "a");
	expect_bad("{\"v\":1,\"id\":1,\"op\":\"session-open\"}", EINVAL, "needs args.user", 1);
	expect_bad("{\"v\":1,\"id\":2,\"op\":\"session-close\",\"args\":{\"seat\":\"seat0\"}}",
		   EINVAL, "needs args.user", 2);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"Bob\"}}", EINVAL,
		   "args.user holds", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"9lives\"}}",
		   EINVAL, "args.user holds", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":\"\"}}", EINVAL,
		   "args.user holds", 3);
	expect_bad("{\"v\":1,\"id\":3,\"op\":\"session-open\",\"args\":{\"user\":"
		   "\"a234567890123456789012345678901234\"}}",
		   EINVAL, "longer than 32", 3);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"seat\":"
		   "\"seat 0\"}}",
		   EINVAL, "args.seat holds", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"tty\":"
		   "\"tty 1\"}}",
		   EINVAL, "args.tty holds", 4);
	expect_bad("{\"v\":1,\"id\":4,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"service\":"
		   "\"su/x\"}}",
		   EINVAL, "args.service holds", 4);
	expect_bad("{\"v\":1,\"id\":5,\"op\":\"session-open\",\"args\":{\"user\":\"a\",\"uid\":0}}",
		   EINVAL, "unknown argument \"uid\"", 5);
	expect_bad("{\"v\":1,\"id\":5,\"op\":\"session-open\",\"args\":{\"user\":7}}", EINVAL,
		   "args.user must be a string", 5);
	expect_bad("{\"v\":1,\"id\":5,\"op\":\"session-open\",\"args\":[]}", EINVAL,
		   "must be an object", 5);
	/* a NUL byte inside a string is refused (escaped) or not JSON at all (raw) */
	expect_bad("{\"v\":1,\"id\":6,\"op\":\"session-open\",\"args\":{\"user\":\"a\\u0000b\"}}",
		   EINVAL, "without NUL", 6);
	expect_bad_n("{\"v\":1,\"id\":6,\"op\":\"session-open\",\"args\":{\"user\":\"a\0b\"}}", 58,
		     EPROTO, "", 0);
	/* auth-report */
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"user\":\"a\"}}", EINVAL,
		   "needs args.event", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"event\":\"login.ok\"}}",
		   EINVAL, "needs args.user", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"event\":\"device.allow\","
		   "\"user\":\"a\"}}",
		   EINVAL, "args.event holds", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"event\":\"login.ok\","
		   "\"user\":\"a\",\"label\":\"x\\ny\"}}",
		   EINVAL, "args.label holds", 7);
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"event\":\"login.ok\","
		   "\"user\":\"a\",\"detail\":\"\\u001b[2J\"}}",
		   EINVAL, "args.detail holds", 7);
	/* invalid UTF-8 never gets that far */
	expect_bad("{\"v\":1,\"id\":7,\"op\":\"auth-report\",\"args\":{\"event\":\"login.ok\","
		   "\"user\":\"a\",\"detail\":\"\xff\xfe\"}}",
		   EPROTO, "", 0);
	/* a detail one byte over its cap */
	n = (size_t)snprintf(big, sizeof(big),
			     "{\"v\":1,\"id\":8,\"op\":\"auth-report\",\"args\":{\"event\":"
			     "\"login.ok\",\"user\":\"a\",\"detail\":\"");
	memset(big + n, 'd', MNG_IPC_DETAIL_MAX + 1);
	strcpy(big + n + MNG_IPC_DETAIL_MAX + 1, "\"}}");
	expect_bad(big, EINVAL, "args.detail is longer than 512", 8);
	big[n + MNG_IPC_DETAIL_MAX] = '"';
	strcpy(big + n + MNG_IPC_DETAIL_MAX + 1, "}}");
	parse_ok(big, &r);
	assert_int_equal(strlen(r.detail), MNG_IPC_DETAIL_MAX);
	/* a 1 MiB user name is refused for size before anything else */
	huge = malloc(1 << 20);
	assert_non_null(huge);
	memset(huge, 'a', 1 << 20);
	memcpy(huge, "{\"v\":1,\"id\":9,\"op\":\"session-open\",\"args\":{\"user\":\"", 48);
	expect_bad_n(huge, 1 << 20, EPROTO, "", 0);
	free(huge);
}

static void test_auth_names(void **state)
{
	assert_int_equal(mng_ipc_op_from_name("auth-report", 11), MNG_IPC_OP_AUTH_REPORT);
	assert_string_equal(mng_ipc_op_name(MNG_IPC_OP_SESSION_CLOSE), "session-close");
	assert_false(mng_ipc_op_needs_admin(MNG_IPC_OP_SESSION_OPEN));
	assert_false(mng_ipc_op_needs_admin(MNG_IPC_OP_AUTH_REPORT));
	assert_true(mng_ipc_op_self_authorized(MNG_IPC_OP_SESSION_CLOSE));
	assert_false(mng_ipc_op_self_authorized(MNG_IPC_OP_ALLOW_DEVICE));
	assert_false(mng_ipc_op_self_authorized(MNG_IPC_OP_STATUS));
	assert_true(mng_ipc_auth_event_ok("key.enroll"));
	assert_true(mng_ipc_auth_event_ok("login.bad-signature"));
	assert_false(mng_ipc_auth_event_ok("login.ok "));
	assert_false(mng_ipc_auth_event_ok(""));
	assert_false(mng_ipc_auth_event_ok(NULL));
	assert_true(mng_ipc_user_name_ok("a"));
	assert_true(mng_ipc_user_name_ok("_a.b-c9"));
	assert_true(mng_ipc_user_name_ok("a2345678901234567890123456789012"));
	assert_false(mng_ipc_user_name_ok("a23456789012345678901234567890123"));
	assert_false(mng_ipc_user_name_ok("-a"));
	assert_false(mng_ipc_user_name_ok("a b"));
	assert_false(mng_ipc_user_name_ok("\xe5\xa4\xaa"));
	assert_false(mng_ipc_user_name_ok(NULL));
}

/* A listening socket whose owner never accepts: the helpers give up in time. */
static void test_notify_client(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/mng-notify-XXXXXX", path[64], longdet[4000];
	struct timespec t0, t1;
	long ms;
	int lfd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	/* nobody there */
	assert_int_equal(mng_ipc_session_notify(path, true, "alice", "seat0", "tty1", "login"),
			 -ENOENT);
	assert_int_equal(mng_ipc_auth_report(path, "login.ok", "alice", "k", "d"), -ENOENT);
	/* bad arguments: nothing is sent */
	assert_int_equal(mng_ipc_session_notify(path, true, "Alice", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(mng_ipc_session_notify(path, true, "alice", "seat 0", NULL, NULL),
			 -EINVAL);
	assert_int_equal(mng_ipc_session_notify(path, false, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(mng_ipc_auth_report(path, "login.fine", "alice", NULL, NULL), -EINVAL);
	assert_int_equal(mng_ipc_auth_report(NULL, "login.ok", "", NULL, NULL), -EINVAL);
	assert_int_equal(mng_ipc_session_notify("", true, "alice", NULL, NULL, NULL), -EINVAL);

	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mng_ipc_session_notify(path, true, "alice", "seat0", "tty1", "login"),
			 -ETIMEDOUT);
	/* a detail with control bytes and invalid UTF-8, longer than the cap, still goes out */
	memset(longdet, '\x01', sizeof(longdet) - 1);
	longdet[sizeof(longdet) - 1] = '\0';
	longdet[5] = '\xff';
	assert_int_equal(mng_ipc_auth_report(path, "login.deny", "alice", "\x1b[31m", longdet),
			 -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 2 * MNG_IPC_NOTIFY_TIMEOUT_MS - 20);
	assert_true(ms < 2 * MNG_IPC_NOTIFY_TIMEOUT_MS + 1000);
	/* what arrived is a well-formed request with the cleaned detail */
	{
		char buf[MNG_IPC_MSG_MAX + 1];
		struct mng_ipc_request r;
		struct mng_ipc_error err;
		size_t len;
		int cfd;

		cfd = accept(lfd, NULL, NULL);
		assert_true(cfd >= 0);
		assert_int_equal(mng_ipc_recv(cfd, buf, sizeof(buf), 0, &len), 0);
		assert_int_equal(mng_ipc_request_parse(buf, len, &r, &err), 0);
		assert_int_equal(r.op, MNG_IPC_OP_SESSION_OPEN);
		close(cfd);
		cfd = accept(lfd, NULL, NULL);
		assert_true(cfd >= 0);
		assert_int_equal(mng_ipc_recv(cfd, buf, sizeof(buf), 0, &len), 0);
		assert_int_equal(mng_ipc_request_parse(buf, len, &r, &err), 0);
		assert_int_equal(r.op, MNG_IPC_OP_AUTH_REPORT);
		assert_string_equal(r.label, " [31m");
		assert_true(strlen(r.detail) <= MNG_IPC_DETAIL_MAX);
		assert_true(strlen(r.detail) > 400);
		assert_non_null(strstr(r.detail, "\xef\xbf\xbd")); /* U+FFFD for the bad byte */
		close(cfd);
	}
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_request_defaults_and_whitespace),
	    cmocka_unit_test(test_request_version_and_op),
	    cmocka_unit_test(test_request_bad_numbers),
	    cmocka_unit_test(test_request_bad_args),
	    cmocka_unit_test(test_request_malformed_json),
	    cmocka_unit_test(test_oversize_packet_is_consumed),
	    cmocka_unit_test(test_reply_and_error_round_trip),
	    cmocka_unit_test(test_event_format),
	    cmocka_unit_test(test_message_parse_malformed),
	    cmocka_unit_test(test_json_string),
	    cmocka_unit_test(test_paging_arithmetic),
	    cmocka_unit_test(test_admin_match),
	    cmocka_unit_test(test_peer_root),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_call),
	    cmocka_unit_test(test_list_bad_pages),
	    cmocka_unit_test(test_connect_errors),
	    cmocka_unit_test(test_session_and_report_round_trip),
	    cmocka_unit_test(test_session_and_report_bad),
	    cmocka_unit_test(test_session_open_key),
	    cmocka_unit_test(test_session_notify_extra_args),
	    cmocka_unit_test(test_auth_names),
	    cmocka_unit_test(test_notify_client),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
