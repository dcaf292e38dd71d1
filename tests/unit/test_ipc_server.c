// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipc_server.c - mnguardd's IPC server (agent/ipc_server.c with the
 * real event loop) against a fake agent core defined here (a test double of
 * agent/agent.h), driven through the real client library over the socket.
 *
 * Each test forks a server process from the prepared fake agent and talks
 * to it as root, and (fork + setresuid) as an unprivileged user.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

/* The server and the loop are compiled into the test; the agent is faked below. */
#include "../../agent/ipc_server.c"
#include "../../agent/loop.c"

#define N_RULES 50000
#define NOBODY 65534

/* ---- the fake agent core ---- */

struct agent {
	struct agent_device devs[4];
	size_t n_devs;
	struct mng_ruleset *rs;
	struct ipc_server *ipc;
	size_t reloads;
	int reload_events[4]; /* events broadcast by the n-th reload ([3]: every later one) */
	bool reload_fail;
};

static struct agent fake;
static char dir[] = "/tmp/mng-ipcsrv-XXXXXX";
static char sock[100];

void agent_get_status(const struct agent *a, struct agent_status *ret)
{
	size_t i;

	memset(ret, 0, sizeof(*ret));
	ret->pid = getpid();
	ret->started = time(NULL) - 90;
	ret->rules = mng_ruleset_count(a->rs);
	ret->rules_source = "/etc/mnguard/rules.d";
	ret->loaded = 86400;
	ret->fallback = a->reload_fail;
	ret->error = a->reload_fail ? "50.rules:3:7: bad \xff keyword" : NULL;
	ret->devices = a->n_devs;
	for (i = 0; i < a->n_devs; i++) {
		if (a->devs[i].target == MNG_TARGET_ALLOW)
			ret->allowed++;
		else
			ret->blocked++;
	}
}

size_t agent_device_count(const struct agent *a)
{
	return a->n_devs;
}

const struct agent_device *agent_device_at(const struct agent *a, size_t i)
{
	return i < a->n_devs ? &a->devs[i] : NULL;
}

const struct agent_device *agent_device_by_id(const struct agent *a, uint32_t id)
{
	size_t i;

	for (i = 0; i < a->n_devs; i++)
		if (a->devs[i].id == id)
			return &a->devs[i];
	return NULL;
}

const struct mng_ruleset *agent_ruleset(const struct agent *a)
{
	return a->rs;
}

int agent_device_set_target(struct agent *a, uint32_t id, enum mng_target target, bool permanent,
			    uid_t uid, char *err, size_t errlen)
{
	struct agent_device *d = (struct agent_device *)agent_device_by_id(a, id);

	if (!d)
		return -ENOENT;
	if (id == 3 && permanent) {
		snprintf(err, errlen, "cannot write 90-mnguardctl.rules: read-only file system");
		return -EROFS;
	}
	d->target = target;
	snprintf(d->rule, sizeof(d->rule), "%s", permanent ? "90-mnguardctl.rules:1" : "manual");
	return 0;
}

void agent_uid_subject(uid_t uid, char *buf, size_t size)
{
	snprintf(buf, size, "uid %u", (unsigned)uid);
}

/* policy-install: bundle_install.c is tested in test_agent_bundle */
int agent_policy_install(struct agent *a, int fd, const char *subject, char *msg, size_t msglen,
			 uint64_t *ret_version)
{
	snprintf(msg, msglen, "not in this test");
	return -EINVAL;
}

int agent_policy_reload(struct agent *a, uid_t uid, char *err, size_t errlen)
{
	char pad[1001], *text;
	size_t n = (size_t)a->reload_events[a->reloads < 3 ? a->reloads : 3], i;

	a->reloads++;
	if (a->reload_fail) {
		snprintf(err, errlen,
			 "50.rules:3:7: unknown keyword \"allw\"\n"
			 "50.rules:9:1: missing target");
		return -EINVAL;
	}
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "id", json_object_new_int64((int64_t)i));
		json_object_object_add(f, "detail", json_object_new_string(pad));
		if (mng_ipc_event_format("device.block", time(NULL), f, &text, NULL) == 0)
			ipc_server_broadcast(a->ipc, text);
		free(text);
		json_object_put(f);
	}
	return (int)mng_ruleset_count(a->rs);
}

static void set_dev(struct agent_device *d, uint32_t id, const char *port, uint16_t vid,
		    uint16_t pid, const char *name, enum mng_target t, const char *rule)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	snprintf(d->dev.syspath, sizeof(d->dev.syspath), "/devices/pci0000:00/usb1/%s", port);
	snprintf(d->dev.port, sizeof(d->dev.port), "%s", port);
	snprintf(d->dev.name, sizeof(d->dev.name), "%s", name);
	snprintf(d->dev.hash, sizeof(d->dev.hash), "hash-%u", id);
	d->dev.vendor = vid;
	d->dev.product = pid;
	d->target = t;
	snprintf(d->rule, sizeof(d->rule), "%s", rule);
}

static int group_setup(void **state)
{
	struct mng_diags diags = {0};
	size_t cap = (size_t)N_RULES * 160, len = 0, i;
	struct agent_device *d;
	char *text = malloc(cap);

	if (!text || !mkdtemp(dir) || chmod(dir, 0755) < 0)
		return -1;
	snprintf(sock, sizeof(sock), "%s/mnguardd.sock", dir);
	for (i = 0; i < N_RULES; i++)
		len += (size_t)snprintf(
		    text + len, cap - len,
		    "allow id 1d6b:%04zx serial \"S%zu\" name \"rule %zu of many\" "
		    "with-connect-type \"hotplug\"\n",
		    i % 0xffff, i, i);
	if (mng_ruleset_new(&fake.rs) < 0 ||
	    mng_ruleset_parse(fake.rs, text, len, "50-many.rules", &diags) != N_RULES)
		return -1;
	free(text);

	set_dev(&fake.devs[0], 1, "1-1", 0x047d, 0x2048, "Kensington\x01Mouse", MNG_TARGET_ALLOW,
		"50-hid.rules:3");
	fake.devs[0].dev.n_ifaces = 1;
	fake.devs[0].dev.ifaces[0] = (struct mng_iface){.cls = 3, .subcls = 1, .proto = 2};
	fake.devs[0].iface_allowed[0] = true;
	set_dev(&fake.devs[1], 2, "1-2", 0x0781, 0x5567, "Cruzer\xff\xfe", MNG_TARGET_BLOCK,
		"implicit");
	fake.devs[1].dev.n_ifaces = 1;
	fake.devs[1].dev.ifaces[0] = (struct mng_iface){.cls = 8, .subcls = 6, .proto = 0x50};
	set_dev(&fake.devs[2], 3, "1-3", 0x1234, 0x0001, "Combo", MNG_TARGET_ALLOW, "x.rules:9");
	fake.devs[2].dev.n_ifaces = 2;
	fake.devs[2].dev.ifaces[0] = (struct mng_iface){.cls = 3, .subcls = 1, .proto = 1};
	fake.devs[2].dev.ifaces[1] = (struct mng_iface){.cls = 8, .subcls = 6, .proto = 0x50};
	fake.devs[2].iface_allowed[0] = true;
	snprintf(fake.devs[2].ticket, sizeof(fake.devs[2].ticket), "INC-123");
	/* Every string at its cap and full of bytes JSON must escape. */
	d = &fake.devs[3];
	set_dev(d, 4, "", 0xffff, 0xffff, "", MNG_TARGET_REJECT, "");
	memset(d->dev.syspath, 1, sizeof(d->dev.syspath) - 1);
	memset(d->dev.name, '"', sizeof(d->dev.name) - 1);
	memset(d->dev.serial, 0x1f, sizeof(d->dev.serial) - 1);
	memset(d->dev.port, 0xff, sizeof(d->dev.port) - 1);
	memset(d->rule, '\\', sizeof(d->rule) - 1);
	memset(d->ticket, 2, sizeof(d->ticket) - 1);
	d->dev.n_ifaces = MNG_DEV_IFACE_MAX;
	fake.n_devs = 4;
	return 0;
}

static int group_teardown(void **state)
{
	mng_ruleset_free(&fake.rs);
	(void)unlink(sock);
	(void)rmdir(dir);
	return 0;
}

/* ---- the server process ---- */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static void idle(void *data)
{
	if (stop)
		loop_quit(data);
}

static pid_t server_pid;

static pid_t start_server(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct loop *l = NULL;

		close(p[0]);
		signal(SIGTERM, on_term);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
		if (getppid() == 1)
			_exit(4);
		signal(SIGPIPE, SIG_IGN);
		if (loop_new(&l) < 0 || ipc_server_new(&fake, l, sock, &fake.ipc) < 0)
			_exit(2);
		if (write(p[1], "r", 1) != 1)
			_exit(2);
		close(p[1]);
		if (loop_run(l, 20, idle, l) < 0)
			_exit(3);
		ipc_server_free(&fake.ipc);
		loop_free(&l);
		mng_ruleset_free(&fake.rs);
		exit(0); /* under ASan this checks the server for leaks */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	server_pid = pid;
	return pid;
}

static void stop_server(pid_t pid)
{
	int st = 0;

	server_pid = 0;
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The server removed its socket. */
	assert_int_equal(access(sock, F_OK), -1);
}

/* After each test: a server a failed assertion left behind is killed. */
/*
 * The session and report calls: "echo" as the user makes the fake fail
 * with EBUSY and a message naming what reached the core, so a test sees
 * the arguments and the caller's credentials the server passed on.
 */
static int fake_report(const char *what, const char *user, const char *a1, const char *a2,
		       const char *a3, const struct agent_peer *by, char *err, size_t errlen)
{
	if (strcmp(user, "echo"))
		return 0;
	snprintf(err, errlen, "%s %s [%s] [%s] [%s] uid %u pid %d", what, user, a1, a2, a3, by->uid,
		 (int)by->pid);
	return -EBUSY;
}

int agent_session_open(struct agent *a, const char *user, const char *seat, const char *tty,
		       const char *service, const struct mng_ipc_session_extra *x,
		       const struct agent_peer *by, char *err, size_t errlen)
{
	(void)x;
	return fake_report("open", user, seat, tty, service, by, err, errlen);
}

int agent_session_close(struct agent *a, const char *user, const char *seat, const char *tty,
			const char *service, const struct agent_peer *by, char *err, size_t errlen)
{
	return fake_report("close", user, seat, tty, service, by, err, errlen);
}

int agent_auth_report(struct agent *a, const char *event, const char *user, const char *label,
		      const char *detail, const struct agent_peer *by, char *err, size_t errlen)
{
	return fake_report(event, user, label, detail, "", by, err, errlen);
}

void agent_session_rejudge(struct agent *a)
{
}

/* exemptions (agent/exempt.h): only the routing is tested here, see test_agent_exempt.c */
bool agent_exempt_user_of(uid_t uid, char *buf, size_t size)
{
	snprintf(buf, size, "%s", uid == 0 ? "root" : "someone");
	return true;
}

int agent_exempt_find(struct agent *a, enum mng_exempt_scope scope, const char *user,
		      const char *object, bool consume, struct agent_exempt_hit *ret)
{
	return 0;
}

int agent_exempt_redeem(struct agent *a, const char *token, const struct agent_exempt_caller *by,
			char ret_id[MNG_EXEMPT_ID_LEN + 1], char *msg)
{
	snprintf(msg, AGENT_EXEMPT_MSG_MAX, "the token was not signed by a trusted help desk key");
	return -EPERM;
}

int agent_exempt_request(struct agent *a, const struct agent_exempt_ask *ask,
			 const struct agent_exempt_caller *by, char *code, size_t codesize,
			 char *object, size_t objsize, char *msg)
{
	snprintf(code, codesize, "10000-00000-00000-00000");
	snprintf(object, objsize, "%s", ask->printer ? ask->printer : "");
	return 0;
}

int agent_exempt_enter(struct agent *a, const char *response, const char *ticket,
		       const struct agent_exempt_caller *by, char ret_id[MNG_EXEMPT_ID_LEN + 1],
		       char *msg)
{
	snprintf(msg, AGENT_EXEMPT_MSG_MAX, "you have no phone request waiting for a response");
	return -ENOENT;
}

int agent_exempt_revoke(struct agent *a, const char *id, const struct agent_exempt_caller *by,
			char *msg)
{
	return 0;
}

int agent_exempt_login_request(struct agent *a, const char *user,
			       const struct agent_exempt_caller *by, char *code, size_t codesize,
			       char *msg)
{
	snprintf(msg, AGENT_EXEMPT_MSG_MAX, "only root (the PAM module) may ask for a login pass");
	return -EPERM;
}

int agent_exempt_login_pass(struct agent *a, const char *user, const char *secret,
			    const char *ticket, const struct agent_exempt_caller *by, char *msg)
{
	snprintf(msg, AGENT_EXEMPT_MSG_MAX, "only root (the PAM module) may check a login pass");
	return -EPERM;
}

int agent_exempt_visible(struct agent *a, const struct agent_exempt_caller *by, size_t from,
			 struct agent_exempt_view *ret)
{
	return -ENOENT;
}

size_t agent_exempt_visible_count(struct agent *a, const struct agent_exempt_caller *by)
{
	return 0;
}

/* print-check: root only here; the verdict comes from the printer name, the reason shows the document */
bool agent_print_peer_ok(const struct agent_peer *by)
{
	return by && by->uid == 0;
}

const char *agent_print_verdict_name(enum agent_print_verdict v)
{
	return v == AGENT_PRINT_ALLOW ? "allow" : v == AGENT_PRINT_CANCEL ? "cancel" : "hold";
}

/* decided at once, so the answer comes through done before submit returns */
int agent_print_submit(struct agent *a, const struct agent_print_job *job, int doc,
		       const struct agent_peer *by, agent_print_done_fn done, void *data,
		       struct agent_print_req **ret)
{
	struct agent_print_result res;
	char head[32] = "";
	ssize_t n = pread(doc, head, sizeof(head) - 1, 0);

	*ret = NULL;
	memset(&res, 0, sizeof(res));
	res.verdict = !strcmp(job->printer, "office") ? AGENT_PRINT_ALLOW : AGENT_PRINT_CANCEL;
	res.pages = 1;
	snprintf(res.reason, sizeof(res.reason), "%s job %u user %s title %s doc %s", job->printer,
		 job->job, job->user, job->title, n > 0 ? head : "-");
	done(data, job, &res);
	return 0;
}

void agent_print_detach(struct agent_print_req *req)
{
}

/* mnguard-session's ops (agent/session_ops.c is tested with the real agent in test_session.sh) */
int session_ops_new(struct agent *a, struct ipc_server *s, struct loop *l,
		    struct session_ops **ret)
{
	*ret = NULL;
	return 0;
}

void session_ops_free(struct session_ops **so)
{
}

struct json_object *session_ops_policy(struct session_ops *so, uid_t uid, int *ret_err, char *msg,
				       size_t msglen)
{
	*ret_err = EPERM;
	snprintf(msg, msglen, "no session ops in this test");
	return NULL;
}

int session_ops_clip_report(struct session_ops *so, const struct mng_ipc_request *req,
			    const struct agent_peer *by, char *msg, size_t msglen)
{
	return -EPERM;
}

bool session_ops_concerns(struct session_ops *so, uid_t uid, const char *event_json)
{
	return false;
}

void session_ops_print(struct session_ops *so, const struct agent_print_job *job,
		       const struct agent_print_result *res)
{
}

void session_ops_exempt_granted(struct session_ops *so, uid_t uid, const char *id)
{
}

static int teardown(void **state)
{
	int st;

	if (server_pid > 0) {
		(void)kill(server_pid, SIGKILL);
		(void)waitpid(server_pid, &st, 0);
		server_pid = 0;
	}
	(void)unlink(sock);
	return 0;
}

static int connect_ok(void)
{
	int fd = -1;

	assert_int_equal(mng_ipc_connect(sock, &fd), 0);
	return fd;
}

static struct json_object *call_ok(int fd, struct mng_ipc_request req)
{
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	int r = mng_ipc_call(fd, &req, 10000, &res, &err);

	if (r < 0)
		print_error("%s: %s\n", mng_ipc_op_name(req.op), err.message);
	assert_int_equal(r, 0);
	return res;
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static struct json_object *list_all(int fd, enum mng_ipc_op op)
{
	struct json_object *all = NULL;
	struct mng_ipc_error err;
	int r = mng_ipc_list(fd, op, 10000, &all, &err);

	if (r < 0)
		print_error("list: %s\n", err.message);
	assert_int_equal(r, 0);
	return all;
}

/* Send raw bytes and read the one packet that comes back. */
static void raw_exchange(int fd, const void *buf, size_t len, struct mng_ipc_message *m)
{
	static char in[MNG_IPC_MSG_MAX + 1];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char why[160];
	size_t n;

	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(mng_ipc_recv(fd, in, sizeof(in), 0, &n), 0);
	assert_int_equal(mng_ipc_message_parse(in, n, m, why, sizeof(why)), 0);
}

/* ---- tests ---- */

static void test_status(void **state)
{
	pid_t pid = start_server();
	int fd = connect_ok();
	struct json_object *res =
	    call_ok(fd, (struct mng_ipc_request){.id = 1, .op = MNG_IPC_OP_STATUS});
	struct json_object *p, *d;

	assert_string_equal(get_string(res, "version"), "0.1");
	assert_int_equal(get_int(res, "pid"), pid);
	assert_true(get_int(res, "uptime_s") >= 90);
	assert_true(json_object_object_get_ex(res, "policy", &p));
	assert_int_equal(get_int(p, "rules"), N_RULES);
	assert_string_equal(get_string(p, "source"), "/etc/mnguard/rules.d");
	assert_string_equal(get_string(p, "loaded"), "1970-01-02T00:00:00Z");
	assert_false(json_object_get_boolean(json_object_object_get(p, "fallback")));
	assert_false(json_object_object_get_ex(p, "error", NULL));
	assert_true(json_object_object_get_ex(res, "devices", &d));
	assert_int_equal(get_int(d, "total"), 4);
	assert_int_equal(get_int(d, "allowed"), 2);
	assert_int_equal(get_int(d, "blocked"), 2);
	json_object_put(res);
	close(fd);
	stop_server(pid);
}

static void test_list_devices(void **state)
{
	pid_t pid = start_server();
	int fd = connect_ok();
	struct json_object *all = list_all(fd, MNG_IPC_OP_LIST_DEVICES), *e, *v, *res;

	assert_int_equal(json_object_array_length(all), 4);
	e = json_object_array_get_idx(all, 0);
	assert_int_equal(get_int(e, "id"), 1);
	assert_string_equal(get_string(e, "vendor"), "047d");
	assert_string_equal(get_string(e, "product"), "2048");
	assert_string_equal(get_string(e, "port"), "1-1");
	assert_string_equal(get_string(e, "name"), "Kensington\x01Mouse");
	assert_string_equal(get_string(e, "target"), "allow");
	assert_string_equal(get_string(e, "rule"), "50-hid.rules:3");
	assert_false(json_object_object_get_ex(e, "ticket", NULL));
	assert_true(json_object_object_get_ex(e, "interfaces", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "03:01:02");
	/* Invalid UTF-8 from a device descriptor comes out as U+FFFD. */
	e = json_object_array_get_idx(all, 1);
	assert_string_equal(get_string(e, "name"), "Cruzer\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(get_string(e, "target"), "block");
	e = json_object_array_get_idx(all, 2);
	assert_string_equal(get_string(e, "ticket"), "INC-123");
	assert_true(json_object_object_get_ex(e, "ifaces_allowed", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_get_boolean(json_object_array_get_idx(v, 0)));
	assert_false(json_object_get_boolean(json_object_array_get_idx(v, 1)));
	/* The entry with every field at its cap still fits in a message. */
	e = json_object_array_get_idx(all, 3);
	assert_int_equal(strlen(get_string(e, "syspath")), 4095);
	assert_string_equal(get_string(e, "target"), "reject");
	assert_true(json_object_object_get_ex(e, "interfaces", &v));
	assert_int_equal(json_object_array_length(v), MNG_DEV_IFACE_MAX);
	json_object_put(all);

	/* A window: offset 1, limit 1. */
	res = call_ok(fd, (struct mng_ipc_request){
			      .id = 9, .op = MNG_IPC_OP_LIST_DEVICES, .offset = 1, .limit = 1});
	assert_int_equal(get_int(res, "total"), 4);
	assert_int_equal(get_int(res, "offset"), 1);
	assert_true(json_object_object_get_ex(res, "devices", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_int_equal(get_int(json_object_array_get_idx(v, 0), "id"), 2);
	json_object_put(res);
	/* Past the end: an empty page, not an error. */
	res = call_ok(fd, (struct mng_ipc_request){
			      .id = 10, .op = MNG_IPC_OP_LIST_DEVICES, .offset = 99, .limit = 5});
	assert_true(json_object_object_get_ex(res, "devices", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(res);
	close(fd);
	stop_server(pid);
}

static void test_list_50000_rules(void **state)
{
	char want[256], raw[MNG_IPC_MSG_MAX + 1], *text;
	struct json_object *all, *e;
	struct timespec a, b;
	size_t i, len;
	pid_t pid = start_server();
	int fd = connect_ok();
	struct mng_ipc_message m;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	all = list_all(fd, MNG_IPC_OP_LIST_RULES);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	print_message("list-rules: %d rules in %.0f ms\n", N_RULES, ms);
	assert_int_equal(json_object_array_length(all), N_RULES);
	for (i = 0; i < N_RULES; i++) {
		e = json_object_array_get_idx(all, i);
		assert_int_equal(get_int(e, "index"), i);
		assert_int_equal(get_int(e, "line"), i + 1);
		assert_string_equal(get_string(e, "file"), "50-many.rules");
		assert_int_equal(mng_ruleset_format(fake.rs, i, want, sizeof(want)) > 0, 1);
		assert_string_equal(get_string(e, "rule"), want);
	}
	json_object_put(all);

	/* One page asked for 500 and got fewer, in a reply under the cap. */
	assert_int_equal(mng_ipc_request_format(
			     &(struct mng_ipc_request){
				 .id = 3, .op = MNG_IPC_OP_LIST_RULES, .offset = 100, .limit = 500},
			     &text, &len),
			 0);
	assert_int_equal(mng_ipc_send(fd, text, len, 0), 0);
	free(text);
	assert_int_equal(mng_ipc_recv(fd, raw, sizeof(raw), 0, &len), 0);
	assert_true(len <= MNG_IPC_MSG_MAX);
	assert_true(len > MNG_IPC_MSG_MAX - 1024); /* filled, not stopped at an arbitrary count */
	assert_int_equal(mng_ipc_message_parse(raw, len, &m, want, sizeof(want)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_REPLY);
	assert_true(json_object_object_get_ex(m.body, "rules", &e));
	assert_true(json_object_array_length(e) < 500);
	assert_true(json_object_array_length(e) > 100);
	assert_int_equal(get_int(json_object_array_get_idx(e, 0), "index"), 100);
	mng_ipc_message_clear(&m);
	close(fd);
	stop_server(pid);
}

static void test_root_changes_device(void **state)
{
	pid_t pid = start_server();
	int fd = connect_ok();
	struct json_object *res, *all;
	struct mng_ipc_request req = {.id = 4, .op = MNG_IPC_OP_ALLOW_DEVICE, .device = 2};
	struct mng_ipc_error err;

	res = call_ok(fd, req);
	assert_int_equal(get_int(res, "id"), 2);
	assert_string_equal(get_string(res, "target"), "allow");
	json_object_put(res);
	all = list_all(fd, MNG_IPC_OP_LIST_DEVICES);
	assert_string_equal(get_string(json_object_array_get_idx(all, 1), "target"), "allow");
	assert_string_equal(get_string(json_object_array_get_idx(all, 1), "rule"), "manual");
	json_object_put(all);

	req = (struct mng_ipc_request){.id = 5, .op = MNG_IPC_OP_BLOCK_DEVICE, .device = 999};
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -ENOENT);
	assert_true(err.remote);
	assert_int_equal(err.id, 5);
	assert_string_equal(err.message, "no device with id 999");

	/* An agent failure comes back with its reason; EROFS travels as EIO. */
	req = (struct mng_ipc_request){
	    .id = 6, .op = MNG_IPC_OP_REJECT_DEVICE, .device = 3, .permanent = true};
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -EIO);
	assert_non_null(strstr(err.message, "read-only file system"));
	close(fd);
	stop_server(pid);
}

/* print-check: the document travels as a descriptor; none, or more than one, is refused. */
static void test_print_check(void **state)
{
	pid_t pid = start_server();
	int fd = connect_ok(), doc = memfd_create("doc", MFD_CLOEXEC), r;
	struct mng_ipc_request req = {.id = 7, .op = MNG_IPC_OP_PRINT_CHECK, .job = 42};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	struct mng_ipc_message m;
	char *text = NULL;
	size_t len;
	int two[2];

	assert_true(doc >= 0);
	assert_int_equal(write(doc, "%PDF-1.4", 8), 8);
	snprintf(req.printer, sizeof(req.printer), "office");
	snprintf(req.user, sizeof(req.user), "taro");
	snprintf(req.title, sizeof(req.title), "見本");
	assert_int_equal(mng_ipc_call_fd(fd, &req, doc, 10000, &res, &err), 0);
	assert_string_equal(get_string(res, "verdict"), "allow");
	assert_string_equal(get_string(res, "reason"), "office job 42 user taro title 見本 doc %PDF-1.4");
	json_object_put(res);
	snprintf(req.printer, sizeof(req.printer), "home");
	assert_int_equal(mng_ipc_call_fd(fd, &req, doc, 10000, &res, &err), 0);
	assert_string_equal(get_string(res, "verdict"), "cancel");
	json_object_put(res);

	/* without the document */
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -EINVAL);
	assert_non_null(strstr(err.message, "document"));
	/* a bad field: a user that is not a user name, a printer with a space */
	snprintf(req.user, sizeof(req.user), "Taro Yamada");
	assert_int_equal(mng_ipc_call_fd(fd, &req, doc, 10000, &res, &err), -EINVAL);
	snprintf(req.user, sizeof(req.user), "taro");
	snprintf(req.printer, sizeof(req.printer), "a b");
	assert_int_equal(mng_ipc_call_fd(fd, &req, doc, 10000, &res, &err), -EINVAL);

	/* two descriptors in one packet: refused, both closed by the server */
	snprintf(req.printer, sizeof(req.printer), "office");
	assert_int_equal(mng_ipc_request_format(&req, &text, &len), 0);
	{
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(2 * sizeof(int))];
		} ctl;
		struct iovec iov = {.iov_base = text, .iov_len = len};
		struct msghdr mh = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
		struct cmsghdr *c;

		assert_int_equal(pipe(two), 0);
		memset(&ctl, 0, sizeof(ctl));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(c), two, sizeof(two));
		assert_int_equal(sendmsg(fd, &mh, 0), (ssize_t)len);
		(void)close(two[1]);
	}
	free(text);
	{
		static char in[MNG_IPC_MSG_MAX + 1];
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char why[160];
		size_t n;

		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(mng_ipc_recv(fd, in, sizeof(in), 0, &n), 0);
		assert_int_equal(mng_ipc_message_parse(in, n, &m, why, sizeof(why)), 0);
	}
	assert_int_equal(m.kind, MNG_IPC_MSG_ERROR);
	assert_int_equal(m.error.code, EPROTO);
	mng_ipc_message_clear(&m);
	/* the server closed its copies: the pipe's read end sees EOF */
	{
		char b;

		r = (int)read(two[0], &b, 1);
		assert_int_equal(r, 0);
		(void)close(two[0]);
	}
	(void)close(doc);
	close(fd);
	stop_server(pid);
}

/* Child: drop to nobody, then check what the agent lets it do. Exit code names the failure. */
static int unprivileged_client(void)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_ALLOW_DEVICE, .device = 2};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	int fd;

	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0 || getuid() != NOBODY)
		return 10;
	if (mng_ipc_connect(sock, &fd) < 0)
		return 11;
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != -EPERM || !err.remote ||
	    strcmp(err.message, "permission denied: needs root or group mnguard-admin"))
		return 12;
	req.op = MNG_IPC_OP_BLOCK_DEVICE;
	req.permanent = true;
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != -EPERM)
		return 13;
	req = (struct mng_ipc_request){.id = 2, .op = MNG_IPC_OP_POLICY_RELOAD};
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != -EPERM)
		return 14;
	req = (struct mng_ipc_request){.id = 3, .op = MNG_IPC_OP_STATUS};
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != 0)
		return 15;
	json_object_put(res);
	if (mng_ipc_list(fd, MNG_IPC_OP_LIST_DEVICES, 10000, &res, &err) != 0 ||
	    json_object_array_length(res) != 4)
		return 16;
	json_object_put(res);
	req = (struct mng_ipc_request){.id = 4, .op = MNG_IPC_OP_WATCH};
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != 0)
		return 17;
	json_object_put(res);
	close(fd);
	return 0;
}

static void test_unprivileged_refused(void **state)
{
	struct json_object *all;
	int st = 0, fd;
	pid_t pid, child;

	if (getuid() != 0)
		skip(); /* needs setresuid */
	pid = start_server();
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(unprivileged_client());
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* Nothing changed. */
	fd = connect_ok();
	all = list_all(fd, MNG_IPC_OP_LIST_DEVICES);
	assert_string_equal(get_string(json_object_array_get_idx(all, 1), "target"), "block");
	assert_string_equal(get_string(json_object_array_get_idx(all, 1), "rule"), "implicit");
	json_object_put(all);
	close(fd);
	stop_server(pid);
}

/* What reaches the core for the session and report ops, and from whom. */
static int report_client(void)
{
	struct mng_ipc_request req = {.id = 5, .op = MNG_IPC_OP_SESSION_OPEN};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	char want[200];
	int fd;

	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0 || getuid() != NOBODY)
		return 10;
	/* not an admin op: the core decides, and sees uid 65534 */
	if (mng_ipc_connect(sock, &fd) < 0)
		return 11;
	strcpy(req.user, "echo");
	strcpy(req.seat, "seat0");
	if (mng_ipc_call(fd, &req, 10000, &res, &err) != -EBUSY)
		return 12;
	snprintf(want, sizeof(want), "open echo [seat0] [] [] uid %d pid %d", NOBODY,
		 (int)getpid());
	if (strcmp(err.message, want))
		return 13;
	close(fd);
	if (mng_ipc_auth_report(sock, "login.pin-wrong", "alice", "k", "x") != 0)
		return 14;
	return 0;
}

static void test_session_and_report_ops(void **state)
{
	struct mng_ipc_request req = {.id = 3, .op = MNG_IPC_OP_AUTH_REPORT};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	char want[200];
	pid_t pid, child;
	int fd, st = 0;

	pid = start_server();
	assert_int_equal(mng_ipc_session_notify(sock, true, "alice", "seat0", "tty1", "login"), 0);
	assert_int_equal(mng_ipc_session_notify(sock, false, "alice", "seat0", "tty1", "login"), 0);
	assert_int_equal(mng_ipc_auth_report(sock, "login.ok", "alice", "key 1", NULL), 0);
	fd = connect_ok();
	strcpy(req.event, "key.revoke");
	strcpy(req.user, "echo");
	strcpy(req.label, "lost key");
	strcpy(req.detail, "ticket INC-7");
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -EBUSY);
	assert_true(err.remote);
	snprintf(want, sizeof(want), "key.revoke echo [lost key] [ticket INC-7] [] uid %u pid %d",
		 getuid(), (int)getpid());
	assert_string_equal(err.message, want);
	req = (struct mng_ipc_request){.id = 4, .op = MNG_IPC_OP_SESSION_CLOSE};
	strcpy(req.user, "echo");
	strcpy(req.tty, "pts/3");
	strcpy(req.service, "sshd");
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -EBUSY);
	snprintf(want, sizeof(want), "close echo [] [pts/3] [sshd] uid %u pid %d", getuid(),
		 (int)getpid());
	assert_string_equal(err.message, want);
	close(fd);
	if (getuid() == 0) {
		child = fork();
		assert_true(child >= 0);
		if (child == 0)
			_exit(report_client());
		assert_int_equal(waitpid(child, &st, 0), child);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	stop_server(pid);
}

/* The credential check itself, with a group that exists (nogroup) standing in for the admin group.
 */
static void test_peer_groups(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, cfd, st;
	bool admin = true;
	uid_t uid = 0;
	pid_t child;
	char c;

	if (getuid() != 0 || !getgrnam("nogroup") || getgrnam("nogroup")->gr_gid != NOBODY)
		skip();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	(void)unlink(sock);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(chmod(sock, 0666), 0);
	assert_int_equal(listen(lfd, 4), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		gid_t g = NOBODY;
		int fd;

		if (setgroups(1, &g) < 0 || setresgid(100, 100, 100) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0 || mng_ipc_connect(sock, &fd) < 0)
			_exit(1);
		if (read(fd, &c, 1) < 0) /* until the parent is done */
			_exit(1);
		_exit(0);
	}
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(cfd >= 0);
	/* Supplementary group nogroup: an admin when nogroup is the admin group. */
	assert_int_equal(mng_ipc_peer_is_admin(cfd, "nogroup", &admin, &uid), 0);
	assert_true(admin);
	assert_int_equal(uid, NOBODY);
	/* Primary gid 100 (users). */
	if (getgrgid(100)) {
		assert_int_equal(mng_ipc_peer_is_admin(cfd, getgrgid(100)->gr_name, &admin, &uid),
				 0);
		assert_true(admin);
	}
	assert_int_equal(mng_ipc_peer_is_admin(cfd, "root", &admin, &uid), 0);
	assert_false(admin);
	/* An absent group means only root. */
	assert_int_equal(mng_ipc_peer_is_admin(cfd, "mnguard-no-such-group", &admin, &uid), 0);
	assert_false(admin);
	close(cfd);
	assert_int_equal(waitpid(child, &st, 0), child);
	close(lfd);
	(void)unlink(sock);
}

static void test_garbage_gets_errors(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int code;
		uint32_t id;
		const char *msg;
	} cases[] = {
#define B(s) s, sizeof(s) - 1
	    {B("hello"), EPROTO, 0, "unexpected byte"},
	    {B("\0\0\0\0"), EPROTO, 0, "NUL byte"},
	    {B("{\"v\":1,\"id\":1,\"op\":\"\xff\"}"), EPROTO, 0, "UTF-8"},
	    {B("{\"v\":2,\"id\":8,\"op\":\"status\"}"), ENOTSUP, 0,
	     "unsupported protocol version 2"},
	    {B("{\"v\":1,\"id\":8,\"op\":\"rm -rf\"}"), EINVAL, 8, "unknown request"},
	    {B("{\"v\":1,\"id\":8,\"op\":\"status\",\"x\":1}"), EINVAL, 8, "unknown key"},
	    {B("{\"v\":1,\"id\":8,\"op\":\"status\""), EPROTO, 0, "truncated"},
	    {B("{\"v\":1,\"id\":8,\"op\":\"status\",\"args\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}"),
	     EPROTO, 0, "nesting too deep"},
#undef B
	};
	pid_t pid = start_server();
	int fd = connect_ok(), other = connect_ok();
	struct mng_ipc_message m;
	struct json_object *res;
	char *big;
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(cases); i++) {
		raw_exchange(fd, cases[i].bytes, cases[i].len, &m);
		assert_int_equal(m.kind, MNG_IPC_MSG_ERROR);
		assert_int_equal(m.error.code, cases[i].code);
		assert_int_equal(m.id, cases[i].id);
		if (!strstr(m.error.message, cases[i].msg))
			print_error("case %zu: %s\n", i, m.error.message);
		assert_non_null(strstr(m.error.message, cases[i].msg));
	}
	/* Larger than a message: the server sees MSG_TRUNC and says so. */
	big = malloc(200000);
	assert_non_null(big);
	memset(big, '{', 200000);
	raw_exchange(fd, big, 200000, &m);
	assert_int_equal(m.error.code, EPROTO);
	assert_non_null(strstr(m.error.message, "too large"));
	free(big);
	/* Same connection still served, and so is everybody else. */
	res = call_ok(fd, (struct mng_ipc_request){.id = 11, .op = MNG_IPC_OP_STATUS});
	json_object_put(res);
	res = call_ok(other, (struct mng_ipc_request){.id = 12, .op = MNG_IPC_OP_STATUS});
	json_object_put(res);
	close(fd);
	close(other);
	stop_server(pid);
}

static void test_watchers(void **state)
{
	static char buf[MNG_IPC_MSG_MAX + 1];
	struct mng_ipc_request reload = {.id = 20, .op = MNG_IPC_OP_POLICY_RELOAD};
	struct json_object *res, *v;
	struct timespec a, b;
	struct mng_ipc_message m;
	int slow, good, admin, r, got = 0, events = 0;
	char why[128];
	size_t len;
	pid_t pid;

	fake.reload_events[0] = 100;
	fake.reload_events[1] = 5000;
	pid = start_server();
	fake.reload_events[0] = fake.reload_events[1] = 0;
	slow = connect_ok();
	good = connect_ok();
	admin = connect_ok();
	json_object_put(call_ok(slow, (struct mng_ipc_request){.id = 1, .op = MNG_IPC_OP_WATCH}));
	res = call_ok(good, (struct mng_ipc_request){.id = 1, .op = MNG_IPC_OP_WATCH});
	assert_true(json_object_get_boolean(json_object_object_get(res, "watching")));
	json_object_put(res);

	/* 100 events: both watchers keep up. */
	res = call_ok(admin, reload);
	assert_int_equal(get_int(res, "rules"), N_RULES);
	json_object_put(res);
	while (got < 100 && mng_ipc_recv(good, buf, sizeof(buf), MSG_DONTWAIT, &len) == 0) {
		assert_int_equal(mng_ipc_message_parse(buf, len, &m, why, sizeof(why)), 0);
		assert_int_equal(m.kind, MNG_IPC_MSG_EVENT);
		assert_string_equal(get_string(m.body, "type"), "device.block");
		assert_int_equal(get_int(m.body, "id"), got);
		mng_ipc_message_clear(&m);
		got++;
	}
	assert_int_equal(got, 100);
	close(good);

	/* 5000 events of 1 KiB: the watcher that never reads is dropped, the agent does not wait.
	 */
	clock_gettime(CLOCK_MONOTONIC, &a);
	reload.id = 21;
	res = call_ok(admin, reload);
	clock_gettime(CLOCK_MONOTONIC, &b);
	json_object_put(res);
	assert_true(b.tv_sec - a.tv_sec < 5);
	for (;;) {
		r = mng_ipc_recv(slow, buf, sizeof(buf), 0, &len);
		if (r < 0)
			break;
		assert_int_equal(mng_ipc_message_parse(buf, len, &m, why, sizeof(why)), 0);
		if (m.kind == MNG_IPC_MSG_EVENT)
			events++;
		mng_ipc_message_clear(&m);
	}
	assert_int_equal(r, -ECONNRESET);
	print_message("slow watcher dropped after %d of 5100 events\n", events);
	assert_true(events >= 100);
	assert_true(events < 5100);
	/* The agent still answers. */
	res = call_ok(admin, (struct mng_ipc_request){.id = 22, .op = MNG_IPC_OP_STATUS});
	assert_true(json_object_object_get_ex(res, "devices", &v));
	json_object_put(res);
	close(slow);
	close(admin);
	stop_server(pid);
}

static void test_reload_failure(void **state)
{
	struct mng_ipc_request req = {.id = 30, .op = MNG_IPC_OP_POLICY_RELOAD};
	struct json_object *res = NULL, *p;
	struct mng_ipc_error err;
	pid_t pid;
	int fd;

	fake.reload_fail = true;
	pid = start_server();
	fake.reload_fail = false;
	fd = connect_ok();
	assert_int_equal(mng_ipc_call(fd, &req, 10000, &res, &err), -EINVAL);
	assert_string_equal(err.message,
			    "50.rules:3:7: unknown keyword \"allw\"\n50.rules:9:1: missing target");
	res = call_ok(fd, (struct mng_ipc_request){.id = 31, .op = MNG_IPC_OP_STATUS});
	assert_true(json_object_object_get_ex(res, "policy", &p));
	assert_true(json_object_get_boolean(json_object_object_get(p, "fallback")));
	assert_string_equal(get_string(p, "error"), "50.rules:3:7: bad \xef\xbf\xbd keyword");
	json_object_put(res);
	close(fd);
	stop_server(pid);
}

static void test_client_cap(void **state)
{
	static char buf[MNG_IPC_MSG_MAX + 1];
	int fds[CLIENTS_MAX], extra, i, r = -1;
	struct mng_ipc_message m;
	char why[128];
	size_t len;
	pid_t pid = start_server();

	for (i = 0; i < CLIENTS_MAX; i++) {
		fds[i] = connect_ok();
		json_object_put(
		    call_ok(fds[i], (struct mng_ipc_request){.id = 1, .op = MNG_IPC_OP_STATUS}));
	}
	extra = connect_ok();
	assert_int_equal(mng_ipc_recv(extra, buf, sizeof(buf), 0, &len), 0);
	assert_int_equal(mng_ipc_message_parse(buf, len, &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MNG_IPC_MSG_ERROR);
	assert_int_equal(m.error.code, EBUSY);
	assert_int_equal(mng_ipc_recv(extra, buf, sizeof(buf), 0, &len), -ECONNRESET);
	close(extra);
	/* Once one leaves, a newcomer is served. */
	close(fds[0]);
	for (i = 0; i < 100 && r != 0; i++) {
		struct mng_ipc_request req = {.id = 2, .op = MNG_IPC_OP_STATUS};
		struct json_object *res = NULL;
		struct mng_ipc_error err;

		extra = connect_ok();
		r = mng_ipc_call(extra, &req, 10000, &res, &err);
		json_object_put(res);
		close(extra);
		if (r != 0)
			(void)poll(NULL, 0, 20);
	}
	assert_int_equal(r, 0);
	for (i = 1; i < CLIENTS_MAX; i++)
		close(fds[i]);
	stop_server(pid);
}

/* ---- mnguardctl against the server ---- */

static const char *ctl_path(void)
{
	static char path[4096];
	const char *ctl = getenv("MNG_CTL"), *src = getenv("MNG_SRCDIR");

	if (!ctl)
		ctl = "build/default/mnguardctl";
	if (ctl[0] != '/' && src)
		snprintf(path, sizeof(path), "%s/%s", src, ctl);
	else
		snprintf(path, sizeof(path), "%s", ctl);
	return access(path, X_OK) == 0 ? path : NULL;
}

/* Run mnguardctl with args (NULL-terminated) as uid; stdout+stderr into out. Returns its exit code.
 */
static int run_ctl(uid_t uid, char *out, size_t outsz, const char *arg0, ...)
{
	const char *argv[16] = {"mnguardctl", arg0};
	size_t n = 2, got = 0;
	int p[2], st = 0;
	ssize_t k;
	va_list ap;
	pid_t pid;

	va_start(ap, arg0);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (uid != 0 && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
				 setresuid(uid, uid, uid) < 0))
			_exit(99);
		execv(ctl_path(), (char **)argv);
		_exit(98);
	}
	close(p[1]);
	while (got + 1 < outsz && (k = read(p[0], out + got, outsz - 1 - got)) > 0)
		got += (size_t)k;
	out[got] = '\0';
	while ((k = read(p[0], &st, sizeof(st))) > 0) /* drain the rest */
		;
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_ctl_commands(void **state)
{
	static char out[8 << 20];
	struct json_object *j;
	pid_t pid;

	if (!ctl_path())
		skip();
	fake.reload_events[0] = 3;
	pid = start_server();
	fake.reload_events[0] = 0;

	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "status", NULL), 0);
	assert_non_null(strstr(out, "50000 rules from /etc/mnguard/rules.d"));
	assert_non_null(strstr(out, "devices: 4 present, 2 allowed, 2 blocked"));

	assert_int_equal(run_ctl(0, out, sizeof(out), "list-devices", "--socket", sock, NULL), 0);
	assert_non_null(strstr(out, "ID    PORT"));
	assert_non_null(strstr(out, "Kensington?Mouse")); /* control byte shown as '?' */
	assert_non_null(strstr(out, "047d:2048"));
	assert_non_null(strstr(out, "allow     1/1"));
	assert_non_null(strstr(out, "INC-123"));
	assert_null(strchr(out, '\x01'));
	assert_null(strchr(out, '\x1f'));
	assert_int_equal(count_lines(out), 5);

	assert_int_equal(
	    run_ctl(0, out, sizeof(out), "--socket", sock, "list-devices", "--json", NULL), 0);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_true(json_object_is_type(j, json_type_array));
	assert_int_equal(json_object_array_length(j), 4);
	json_object_put(j);

	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "list-rules", NULL), 0);
	assert_int_equal(count_lines(out), N_RULES);
	assert_non_null(strstr(out, "49999  50-many.rules:50000  allow id 1d6b:"));

	/* An unprivileged user is refused a change, with the reason, exit 1. */
	assert_int_equal(
	    run_ctl(NOBODY, out, sizeof(out), "--socket", sock, "allow-device", "2", NULL), 1);
	assert_non_null(strstr(out, "permission denied: needs root or group mnguard-admin"));
	assert_int_equal(
	    run_ctl(NOBODY, out, sizeof(out), "--socket", sock, "policy", "reload", NULL), 1);
	assert_non_null(strstr(out, "permission denied"));
	assert_int_equal(run_ctl(NOBODY, out, sizeof(out), "--socket", sock, "status", NULL), 0);

	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "allow-device", "2",
				 "--permanent", NULL),
			 0);
	assert_string_equal(out, "device 2: allow (rule appended to 90-mnguardctl.rules)\n");
	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "block-device", "77", NULL),
			 1);
	assert_non_null(strstr(out, "no device with id 77"));
	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "reject-device", NULL), 2);
	assert_int_equal(
	    run_ctl(0, out, sizeof(out), "--socket", sock, "reject-device", "-1", NULL), 2);

	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "policy", "reload", NULL),
			 0);
	assert_string_equal(out, "policy reloaded: 50000 rules\n");

	/* Not reachable: exit 3. */
	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", "/nonexistent/s", "status", NULL),
			 3);
	assert_non_null(strstr(out, "not reachable"));
	stop_server(pid);

	/* Fallback: status exits 1 so monitoring can alert; reload prints the diagnostics. */
	fake.reload_fail = true;
	pid = start_server();
	fake.reload_fail = false;
	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "status", NULL), 1);
	assert_non_null(strstr(out, "FALLBACK"));
	assert_int_equal(run_ctl(0, out, sizeof(out), "--socket", sock, "policy", "reload", NULL),
			 1);
	assert_non_null(
	    strstr(out, "50.rules:3:7: unknown keyword \"allw\"\n50.rules:9:1: missing"));
	stop_server(pid);
}

static void test_ctl_watch(void **state)
{
	static char out[1 << 16];
	int p[2], st = 0, fd, i;
	size_t got = 0;
	ssize_t k;
	pid_t pid, w;

	if (!ctl_path())
		skip();
	for (i = 0; i < 4; i++)
		fake.reload_events[i] = 3;
	pid = start_server();
	memset(fake.reload_events, 0, sizeof(fake.reload_events));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		dup2(p[1], 1);
		execl(ctl_path(), "mnguardctl", "watch", "--socket", sock, (char *)NULL);
		_exit(98);
	}
	close(p[1]);
	/* Reload (3 events each) until the watcher, once registered, has printed them. */
	for (i = 0; i < 100 && count_lines(out) < 3; i++) {
		struct pollfd pp = {.fd = p[0], .events = POLLIN};

		fd = connect_ok();
		json_object_put(
		    call_ok(fd, (struct mng_ipc_request){.id = 1, .op = MNG_IPC_OP_POLICY_RELOAD}));
		close(fd);
		while (poll(&pp, 1, 200) == 1 && count_lines(out) < 3 &&
		       (k = read(p[0], out + got, sizeof(out) - 1 - got)) > 0) {
			got += (size_t)k;
			out[got] = '\0';
		}
	}
	assert_true(count_lines(out) >= 3);
	assert_non_null(strstr(out, "device.block"));
	assert_non_null(strstr(out, " id=2 "));
	assert_int_equal(kill(w, SIGINT), 0);
	assert_int_equal(waitpid(w, &st, 0), w);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(p[0]);
	stop_server(pid);
}

static void test_socket_path(void **state)
{
	struct ipc_server *s = NULL;
	struct loop *l = NULL;
	char longp[200];
	struct stat st;
	int fd;

	assert_int_equal(loop_new(&l), 0);
	/* A regular file is not replaced. */
	fd = open(sock, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ipc_server_new(&fake, l, sock, &s), -EEXIST);
	assert_null(s);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(unlink(sock), 0);
	/* A stale socket is. */
	assert_int_equal(ipc_server_new(&fake, l, sock, &s), 0);
	ipc_server_free(&s);
	assert_int_equal(ipc_server_new(&fake, l, sock, &s), 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	close(fd);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	ipc_server_free(&s);
	assert_null(s);
	assert_int_equal(access(sock, F_OK), -1);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(ipc_server_new(&fake, l, longp, &s), -ENAMETOOLONG);
	ipc_server_free(NULL);
	loop_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_status, teardown),
	    cmocka_unit_test_teardown(test_list_devices, teardown),
	    cmocka_unit_test_teardown(test_list_50000_rules, teardown),
	    cmocka_unit_test_teardown(test_root_changes_device, teardown),
	    cmocka_unit_test_teardown(test_print_check, teardown),
	    cmocka_unit_test_teardown(test_unprivileged_refused, teardown),
	    cmocka_unit_test_teardown(test_session_and_report_ops, teardown),
	    cmocka_unit_test_teardown(test_peer_groups, teardown),
	    cmocka_unit_test_teardown(test_garbage_gets_errors, teardown),
	    cmocka_unit_test_teardown(test_watchers, teardown),
	    cmocka_unit_test_teardown(test_reload_failure, teardown),
	    cmocka_unit_test_teardown(test_client_cap, teardown),
	    cmocka_unit_test_teardown(test_socket_path, teardown),
	    cmocka_unit_test_teardown(test_ctl_commands, teardown),
	    cmocka_unit_test_teardown(test_ctl_watch, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
