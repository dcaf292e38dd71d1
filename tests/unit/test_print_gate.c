// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_print_gate.c - the print gate's decision (agent/print.c) in the real
 * mnguardd under the agent harness, asked over the socket as the CUPS
 * backend asks (print-check with the document as a descriptor).
 *
 * The extractor is a small shell program written by each test (selected by
 * mnguard.conf print_extractor), so the decision table is tested apart
 * from PDF parsing: "cat" passes the document through as its text, others
 * fail, are killed, say "unreadable" or take their time.
 *
 * Covered: printer refused (cancel), clean (allow), individual number
 * (hold), number in the title (hold, title withheld), every extractor
 * failure (hold), an untrusted extractor program (hold, never run), a
 * print exemption (allow once, then hold), a caller that is neither root
 * nor lp (refused), device events served while a slow check runs, and the
 * overload answer (hold "busy") once 4 run and 16 wait.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "exempt.h"
#include "helpers/agent_harness.h"
#include "ipc.h"

#define T_MS 10000
#define MID "0123456789abcdef0123456789abcdef"
#define MYNUMBER "123456789018" /* synthetic, valid check digit */
#define RULES                                                                                      \
	"printer allow \"office\" ticket \"CHG-1\"\n"                                              \
	"printer block \"*\"\n"

static EVP_PKEY *hd_key;

/* extractors (shell); each ends by reporting format and pages as mnguard-extract does */
static const char x_cat[] = "#!/bin/sh\necho 'format text/utf-8' >&2\necho 'pages 1' >&2\n"
			    "exec cat\n";
static const char x_fail[] = "#!/bin/sh\ncat >/dev/null\nexit 1\n";
static const char x_kill[] = "#!/bin/sh\ncat >/dev/null\nkill -9 $$\n";
static const char x_unreadable[] = "#!/bin/sh\ncat >/dev/null\n"
				   "echo 'unreadable: image-only page' >&2\nexit 3\n";
static const char x_slow[] = "#!/bin/sh\nsleep 3\necho 'format text/utf-8' >&2\nexec cat\n";
static const char x_flood[] = "#!/bin/sh\ncat >/dev/null\nexec yes\n";

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The harness, the trust directory, and the agent configured with extractor (mode). */
static void start(struct harness *h, const char *extractor, mode_t mode)
{
	char path[256], conf[1024];
	FILE *f;

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
	snprintf(path, sizeof(path), "%s/machine-id", h->dir);
	put(path, MID "\n", 0644);
	snprintf(path, sizeof(path), "%s/extract", h->dir);
	put(path, extractor, mode);
	snprintf(conf, sizeof(conf),
		 "trust_dir = %s/trust\nmachine_id_file = %s/machine-id\n"
		 "helpdesk_contact = ext 1234\nprint_extractor = %s/extract\n",
		 h->dir, h->dir, h->dir);
	h_config(h, conf);
	h_rules(h, "50-print.rules", RULES);
	h_start(h);
}

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

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

/* A document in a memfd holding text (len bytes); -1 on failure (no cmocka: children call it). */
static int doc_of(const char *text, size_t len)
{
	int fd = memfd_create("doc", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, text, len) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* print-check as the backend sends it; 0 with the result, or -errno (no cmocka asserts). */
static int check(struct harness *h, const char *printer, const char *title, const char *text,
		 uint32_t job, struct json_object **ret)
{
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	int sock = -1, doc = doc_of(text, strlen(text)), r;

	*ret = NULL;
	if (doc < 0)
		return -EIO;
	memset(&req, 0, sizeof(req));
	req.id = 9;
	req.op = MNG_IPC_OP_PRINT_CHECK;
	req.job = job;
	snprintf(req.printer, sizeof(req.printer), "%s", printer);
	snprintf(req.user, sizeof(req.user), "root");
	snprintf(req.title, sizeof(req.title), "%s", title);
	snprintf(req.uri, sizeof(req.uri), "socket://127.0.0.1:9100");
	r = mng_ipc_connect(h->sock, &sock);
	if (r < 0) {
		close(doc);
		return r;
	}
	r = mng_ipc_call_fd(sock, &req, doc, 60000, ret, &err);
	close(sock);
	close(doc);
	return r;
}

/* The verdict of one job, with its audit record checked for the event and needle. */
static void expect(struct harness *h, const char *printer, const char *title, const char *text,
		   uint32_t job, const char *verdict, const char *needle)
{
	struct json_object *res = NULL;
	char jobtag[32];

	assert_int_equal(check(h, printer, title, text, job, &res), 0);
	if (strcmp(json_str(res, "verdict"), verdict)) {
		h_dump(h);
		fail_msg("job %u: verdict %s (%s), expected %s", job, json_str(res, "verdict"),
			 json_str(res, "reason"), verdict);
	}
	json_object_put(res);
	snprintf(jobtag, sizeof(jobtag), " job %u ", job);
	if (h_audit_count(h,
			  verdict[0] == 'a'   ? "\"print.allow\""
			  : verdict[0] == 'h' ? "\"print.hold\""
					      : "\"print.cancel\"",
			  jobtag, needle) != 1) {
		h_dump(h);
		fail_msg("job %u: no single %s audit record with \"%s\"", job, verdict,
			 needle ? needle : "-");
	}
}

/* The table: printer, content, title. */
static void test_decisions(void **state)
{
	struct harness *h = *state;
	char *big;

	start(h, x_cat, 0755);
	expect(h, "home", "", "hello", 1, "cancel", "content=not-checked");
	expect(h, "office", "report", "hello, world\n", 2, "allow", "content=clean");
	expect(h, "office", "report", "個人番号 " MYNUMBER "\n", 3, "hold", "individual=1");
	expect(h, "office", "番号 " MYNUMBER, "hello\n", 4, "hold", "withheld");
	/* invalid UTF-8 text cannot be judged */
	expect(h, "office", "", "caf\xc3\x28\n", 5, "hold", "not valid UTF-8");
	/* a corporate number alone prints (only individual numbers are held) */
	expect(h, "office", "", "法人番号 1234567890123 and text\n", 6, "allow", NULL);
	/* one 1 MiB line, no newline, clean */
	big = malloc((1u << 20) + 1);
	assert_non_null(big);
	memset(big, 'a', 1u << 20);
	big[1u << 20] = '\0';
	expect(h, "office", "", big, 7, "allow", "bytes=1048576");
	free(big);
	/* the digits never reach the log */
	assert_int_equal(h_audit_count(h, MYNUMBER, NULL, NULL), 0);
	/* the rule and ticket are named */
	assert_true(h_audit_count(h, "50-print.rules:1", "CHG-1", "job 2 ") == 1);
}

static void extractor_case(void **state, const char *x, mode_t mode, const char *needle)
{
	struct harness *h = *state;

	start(h, x, mode);
	expect(h, "office", "", "hello, world\n", 1, "hold", needle);
	expect(h, "home", "", "hello, world\n", 2, "cancel", "content=not-checked");
}

static void test_extractor_fails(void **state)
{
	extractor_case(state, x_fail, 0755, "failed (status 1)");
}

static void test_extractor_killed(void **state)
{
	extractor_case(state, x_kill, 0755, "killed by signal 9");
}

static void test_extractor_unreadable(void **state)
{
	extractor_case(state, x_unreadable, 0755, "image-only page");
}

static void test_extractor_floods(void **state)
{
	extractor_case(state, x_flood, 0755, "more text than the gate reads");
}

/* a program others could have changed is never run */
static void test_extractor_untrusted(void **state)
{
	extractor_case(state, x_cat, 0777, "not a root-owned, write-protected program");
}

/* a print exemption for root on office: one use, then held again */
static void test_exemption(void **state)
{
	struct harness *h = *state;
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	struct json_object *res = NULL;
	struct mng_exempt e;
	time_t now = time(NULL);
	char *token = NULL;
	int sock;

	start(h, x_cat, 0755);
	memset(&e, 0, sizeof(e));
	assert_int_equal(mng_exempt_id_new(e.id), 0);
	e.issued = e.not_before = now - 60;
	e.not_after = now + 3600;
	snprintf(e.terminal, sizeof(e.terminal), "%s", MID);
	snprintf(e.user, sizeof(e.user), "root");
	e.scope = MNG_EXEMPT_SCOPE_PRINT;
	snprintf(e.object, sizeof(e.object), "office");
	e.uses = 1;
	snprintf(e.ticket, sizeof(e.ticket), "INC-PRINT-9");
	snprintf(e.reason, sizeof(e.reason), "certificate of residence");
	snprintf(e.by, sizeof(e.by), "helpdesk");
	assert_true(mng_exempt_sign(&e, hd_key, &token) > 0);
	memset(&req, 0, sizeof(req));
	req.id = 3;
	req.op = MNG_IPC_OP_EXEMPTION_REDEEM;
	snprintf(req.secret, sizeof(req.secret), "%s", token);
	free(token);
	assert_int_equal(mng_ipc_connect(h->sock, &sock), 0);
	if (mng_ipc_call(sock, &req, 10000, &res, &err) < 0)
		fail_msg("redeem: %s", err.message);
	json_object_put(res);
	close(sock);

	expect(h, "office", "", "個人番号 " MYNUMBER "\n", 1, "allow", "INC-PRINT-9");
	assert_int_equal(h_audit_count(h, "\"print.allow\"", e.id, " job 1 "), 1);
	expect(h, "office", "", "個人番号 " MYNUMBER "\n", 2, "hold", "individual=1");
}

/* only root and lp may ask: nobody is refused and nothing is decided */
static void test_caller(void **state)
{
	struct harness *h = *state;
	pid_t pid;
	int status;

	start(h, x_cat, 0755);
	assert_int_equal(chmod(h->dir, 0711), 0); /* nobody reaches the socket */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct json_object *res = NULL;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		_exit(check(h, "office", "", "hello\n", 1, &res) == -EPERM ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(h_audit_count(h, "\"print.", " job 1 ", NULL), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A child that asks about job and exits 0 when the verdict is want. */
static pid_t check_in_child(struct harness *h, uint32_t job, const char *want)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct json_object *res = NULL;
		int r = check(h, "office", "", "hello\n", job, &res);

		_exit(r == 0 && !strcmp(json_str(res, "verdict"), want) ? 0 : 1);
	}
	return pid;
}

/* a device plugged in while a slow check runs is decided at once */
static void test_async(void **state)
{
	static const char *const storage[] = {"08:06:50"};
	struct harness *h = *state;
	const char *stick;
	double t0, t_dev, t_job;
	pid_t pid;
	int status;

	start(h, x_slow, 0755);
	t0 = now_s();
	pid = check_in_child(h, 1, "allow");
	usleep(300 * 1000); /* the check is running */
	stick = h_add_usb(h, H_HUB, "1-4.1.7", 0x0781, 0x5581, "Stick", storage, 1);
	if (!h_wait_attr(stick, "authorized", "0", 2000)) {
		h_dump(h);
		fail_msg("the device was not decided while the print check ran");
	}
	t_dev = now_s() - t0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	t_job = now_s() - t0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("device decided after %.2f s, slow print check answered after %.2f s\n",
		      t_dev, t_job);
	assert_true(t_dev < t_job);
	assert_true(t_job >= 2.9);
}

/* 4 run, 16 wait, the next one is held at once as busy */
static void test_overload(void **state)
{
	struct harness *h = *state;
	struct json_object *res = NULL;
	pid_t pids[20];
	double t0;
	int i, status;

	start(h, x_slow, 0755);
	for (i = 0; i < 20; i++) {
		pids[i] = check_in_child(h, (uint32_t)(i + 1), "allow");
		usleep(20 * 1000);
	}
	usleep(300 * 1000);
	t0 = now_s();
	assert_int_equal(check(h, "office", "", "hello\n", 99, &res), 0);
	assert_string_equal(json_str(res, "verdict"), "hold");
	assert_non_null(strstr(json_str(res, "reason"), "busy"));
	json_object_put(res);
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(h_audit_count(h, "\"print.hold\"", " job 99 ", "gate is busy"), 1);
	/* the waiting ones are all answered (5 rounds of 3 s), allowed */
	for (i = 0; i < 20; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_decisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extractor_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extractor_killed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extractor_unreadable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extractor_floods, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extractor_untrusted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exemption, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_caller, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_async, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overload, setup, teardown),
	};
	int r;

	hd_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!hd_key)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(hd_key);
	return r;
}
