// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipc_client.c - the JSON-free notifications: what mng_ipc_notify_format
 * writes is what the agent's strict parser reads (hostile strings included)
 * and the same request mng_ipc_request_format gives; bad fields are refused
 * before anything is sent; the reply scanner accepts only a well-formed
 * reply to the request and maps error codes, against a fake agent.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "ipc.h"

static struct mng_ipc_request session(enum mng_ipc_op op, const char *user, const char *seat,
				      const char *tty, const char *service)
{
	struct mng_ipc_request r = {.id = 7, .op = op};

	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.seat, sizeof(r.seat), "%s", seat);
	snprintf(r.tty, sizeof(r.tty), "%s", tty);
	snprintf(r.service, sizeof(r.service), "%s", service);
	return r;
}

static struct mng_ipc_request report(const char *event, const char *user, const char *label,
				     const char *detail)
{
	struct mng_ipc_request r = {.id = 4000000000u, .op = MNG_IPC_OP_AUTH_REPORT};

	snprintf(r.event, sizeof(r.event), "%s", event);
	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.label, sizeof(r.label), "%s", label);
	snprintf(r.detail, sizeof(r.detail), "%s", detail);
	return r;
}

/* Format with the client, parse with the agent's parser, compare with the JSON formatter. */
static void round_trip(const struct mng_ipc_request *req)
{
	char buf[8192], *text = NULL;
	struct mng_ipc_request a, b;
	struct mng_ipc_error err;
	size_t len = 0;
	int n;

	n = mng_ipc_notify_format(req, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(strlen(buf), (size_t)n);
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(mng_ipc_request_parse(buf, (size_t)n, &a, &err), 0);
	assert_int_equal(a.id, req->id);
	assert_int_equal(a.op, req->op);
	assert_string_equal(a.user, req->user);
	if (req->op == MNG_IPC_OP_AUTH_REPORT) {
		assert_string_equal(a.event, req->event);
		assert_string_equal(a.label, req->label);
		assert_string_equal(a.detail, req->detail);
	} else {
		assert_string_equal(a.seat, req->seat);
		assert_string_equal(a.tty, req->tty);
		assert_string_equal(a.service, req->service);
	}
	assert_int_equal(mng_ipc_request_format(req, &text, &len), 0);
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(mng_ipc_request_parse(text, len, &b, &err), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(text);
}

static void test_format_round_trip(void **state)
{
	char label[MNG_IPC_LABEL_MAX + 1], detail[MNG_IPC_DETAIL_MAX + 1];
	struct mng_ipc_request r;

	(void)state;
	r = session(MNG_IPC_OP_SESSION_OPEN, "taro", "seat0", "tty1", "login");
	round_trip(&r);
	r = session(MNG_IPC_OP_SESSION_CLOSE, "_a.b-c9", "", "pts/0\"\\x", "");
	round_trip(&r);
	r = report("login.ok", "a2345678901234567890123456789012", "窓口 \"キー\" \\ 1", "");
	round_trip(&r);
	/* every byte that needs escaping, at the caps */
	memset(label, '"', MNG_IPC_LABEL_MAX);
	label[MNG_IPC_LABEL_MAX] = '\0';
	memset(detail, '\\', MNG_IPC_DETAIL_MAX);
	detail[MNG_IPC_DETAIL_MAX] = '\0';
	r = report("login.clone-suspected", "u", label, detail);
	round_trip(&r);
	/* the largest UTF-8 sequences and a bidirectional control (text, not a control) */
	r = report("key.enroll", "u", "\xf4\x8f\xbf\xbf\xe2\x80\xae/", "\xc2\xa0\xef\xbf\xbd");
	round_trip(&r);
}

static void test_format_refusals(void **state)
{
	struct mng_ipc_request r;
	char small[40], buf[4096];

	(void)state;
	r = session(MNG_IPC_OP_SESSION_OPEN, "Taro", "", "", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = session(MNG_IPC_OP_SESSION_OPEN, "", "", "", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = session(MNG_IPC_OP_SESSION_OPEN, "taro", "seat 0", "", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = session(MNG_IPC_OP_SESSION_OPEN, "taro", "", "tty 1", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = session(MNG_IPC_OP_SESSION_OPEN, "taro", "", "", "log/in");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = report("login.fine", "taro", "", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = report("login.ok", "taro", "a\nb", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = report("login.ok", "taro", "", "\xff");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	r = report("login.ok", "taro", "", "\xe0\x80\x80"); /* overlong */
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	/* a field without its NUL */
	r = report("login.ok", "taro", "", "");
	memset(r.label, 'x', sizeof(r.label));
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	/* other ops are not this formatter's */
	r = session(MNG_IPC_OP_STATUS, "taro", "", "", "");
	assert_int_equal(mng_ipc_notify_format(&r, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mng_ipc_notify_format(NULL, buf, sizeof(buf)), -EINVAL);
	/* too small a buffer: refused, still NUL-terminated */
	r = report("login.ok", "taro", "label", "detail");
	assert_int_equal(mng_ipc_notify_format(&r, small, sizeof(small)), -ENOBUFS);
	assert_true(strlen(small) < sizeof(small));
}

static void test_text_clean(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(mng_ipc_text_clean("a\x01\x7f"
					    "b",
					    out, 15, true),
			 4);
	assert_string_equal(out, "a  b");
	assert_int_equal(mng_ipc_text_clean("a\x01", out, 15, false), 2);
	assert_string_equal(out, "a\x01");
	/* invalid bytes become U+FFFD; cut at a character boundary */
	assert_int_equal(mng_ipc_text_clean("\xff"
					    "a",
					    out, 15, true),
			 4);
	assert_string_equal(out, "\xef\xbf\xbd"
				 "a");
	assert_int_equal(mng_ipc_text_clean("ab\xe7\xaa\x93", out, 4, true), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(mng_ipc_text_clean(NULL, out, 15, true), 0);
	assert_string_equal(out, "");
}

/*
 * A fake agent on path: accepts one connection per answer list entry,
 * reads the request, sends the packets of that entry (NULL-terminated).
 */
static pid_t fake_agent(const char *path, const char *const *const *answers, size_t n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t i, j;

		for (i = 0; i < n; i++) {
			char buf[MNG_IPC_MSG_MAX + 1];
			struct mng_ipc_request req;
			struct mng_ipc_error err;
			int cfd = accept(lfd, NULL, NULL);
			ssize_t got;

			if (cfd < 0)
				_exit(2);
			got = recv(cfd, buf, sizeof(buf) - 1, 0);
			if (got <= 0 || mng_ipc_request_parse(buf, (size_t)got, &req, &err) < 0)
				_exit(3);
			for (j = 0; answers[i][j]; j++)
				if (send(cfd, answers[i][j], strlen(answers[i][j]), MSG_NOSIGNAL) <
				    0)
					_exit(4);
			/* keep the connection until the client has read */
			(void)recv(cfd, buf, sizeof(buf), 0);
			close(cfd);
		}
		_exit(0);
	}
	close(lfd);
	return pid;
}

static char *fmt_reply(uint32_t id)
{
	struct json_object *o = json_object_new_object();
	char *t = NULL;
	size_t len;

	assert_int_equal(mng_ipc_reply_format(id, o, &t, &len), 0);
	json_object_put(o);
	return t;
}

static char *fmt_error(uint32_t id, int code)
{
	char *t = NULL;
	size_t len;

	assert_int_equal(mng_ipc_error_format(id, code, "no \"way\"", &t, &len), 0);
	return t;
}

static void test_replies(void **state)
{
	char dir[] = "/tmp/mng-ipcc-XXXXXX", path[64], deep[64];
	char *ok = fmt_reply(1), *other = fmt_reply(2), *eperm = fmt_error(1, EPERM);
	char *einval0 = fmt_error(0, EINVAL), *eio = fmt_error(1, EIO), *ev = NULL;
	struct json_object *fields = json_object_new_object();
	size_t len, i;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(mng_ipc_event_format("device.plug", 1700000000, fields, &ev, &len), 0);
	json_object_put(fields);
	for (i = 0; i < 20; i++)
		deep[i] = '[';
	snprintf(deep + 20, sizeof(deep) - 20, "1]]]]]]]]]]]]]]]]]]]");
	{
		const char *const a0[] = {ok, NULL};
		const char *const a1[] = {ev, other, ok, NULL}; /* an event and another id first */
		const char *const a2[] = {eperm, NULL};
		const char *const a3[] = {einval0, NULL}; /* an error about no request id */
		const char *const a4[] = {eio, NULL};
		const char *const a5[] = {"{\"v\":1,\"id\":1,\"ok\":true,\"result\":{}", NULL};
		const char *const a6[] = {"{\"v\":2,\"id\":1,\"ok\":true,\"result\":{}}", NULL};
		const char *const a7[] = {"{\"v\":1,\"id\":1,\"ok\":false,\"error\":{}}", NULL};
		const char *const a8[] = {"{\"v\":1,\"id\":1,\"result\":{}}", NULL};
		char d9[128];
		const char *const a9[] = {d9, NULL};
		const char *const a10[] = {
		    "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"x\":\"\x01\"}}", NULL};
		const char *const a11[] = {"{\"v\":1,\"id\":1,\"ok\":true,\"result\":{}} x", NULL};
		const char *const a12[] = {
		    "{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"EBUSY\",\"message\":"
		    "\"\\u00e9\\\"\"}}",
		    NULL};
		const char *const *const answers[] = {a0, a1, a2, a3,  a4,  a5, a6,
						      a7, a8, a9, a10, a11, a12};

		snprintf(d9, sizeof(d9), "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"a\":%s}}",
			 deep);
		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/s", dir);
		pid = fake_agent(path, answers, MNG_ARRAY_SIZE(answers));
		assert_int_equal(
		    mng_ipc_session_notify(path, true, "taro", "seat0", "tty1", "login"), 0);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", "k", "d"), 0);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", "k", NULL), -EPERM);
		assert_int_equal(mng_ipc_session_notify(path, false, "taro", NULL, NULL, NULL),
				 -EINVAL);
		assert_int_equal(mng_ipc_auth_report(path, "login.deny", "taro", NULL, "\x1b"),
				 -EIO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL),
				 -EPROTO);
		assert_int_equal(mng_ipc_auth_report(path, "login.ok", "taro", NULL, NULL), -EBUSY);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(path);
	rmdir(dir);
	free(ok);
	free(other);
	free(eperm);
	free(einval0);
	free(eio);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_format_refusals),
	    cmocka_unit_test(test_text_clean),
	    cmocka_unit_test(test_replies),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
