// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_agent.c - the mnguardctl(8) commands that talk to the running agent
 * over its socket: status, list-devices, list-rules, allow-device,
 * block-device, reject-device, policy reload and watch.
 *
 * Exit codes (mnguardctl(8) EXIT STATUS): 0 done, 1 refused or failed (the
 * agent's reason is printed), 2 usage, 3 the agent cannot be reached.
 * Every string that came from a device or a rules file is printed with
 * control characters replaced by '?', so a device name cannot drive the
 * administrator's terminal.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "ipc.h"

#define TIMEOUT_MS 10000       /* an ordinary request */
#define SLOW_TIMEOUT_MS 120000 /* a reload or a permanent change re-judges every device */
#define JSON_OUT (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *socket_path = MNG_IPC_SOCKET_DEFAULT;

void ctl_set_socket(const char *path)
{
	socket_path = path;
}

/* ---- output helpers ---- */

/* Print text line by line, each line sanitised as ctl_put_field does. */
static void print_lines(FILE *f, const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;

	if (!copy)
		return;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ctl_put_field(f, line, 0);
		fputc('\n', f);
	}
	free(copy);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* ---- talking to the agent ---- */

/* Print why the request failed; the exit code tells unreachable (3) from refused (1). */
static int report(const char *cmd, int r, const struct mng_ipc_error *err)
{
	if (ctl_ipc_lost(r, err->remote)) {
		ctl_put_unreachable(cmd, socket_path, err->message);
		return CTL_EXIT_UNREACHABLE;
	}
	if (err->remote)
		ctl_put_refusal(cmd, err->message, false);
	else
		fprintf(stderr, "mnguardctl %s: %s\n", cmd, err->message);
	return CTL_EXIT_FAIL;
}

/* One request, one result. Returns an exit code; *ret set on CTL_EXIT_OK. */
static int request(const char *cmd, const struct mng_ipc_request *req, int timeout,
		   struct json_object **ret)
{
	struct mng_ipc_error err;
	int fd, r, code;

	code = ctl_connect(cmd, socket_path, &fd);
	if (code != CTL_EXIT_OK)
		return code;
	r = mng_ipc_call(fd, req, timeout, ret, &err);
	(void)close(fd);
	return r < 0 ? report(cmd, r, &err) : CTL_EXIT_OK;
}

static int list(const char *cmd, enum mng_ipc_op op, struct json_object **ret)
{
	struct mng_ipc_error err;
	int fd, r, code;

	code = ctl_connect(cmd, socket_path, &fd);
	if (code != CTL_EXIT_OK)
		return code;
	r = mng_ipc_list(fd, op, TIMEOUT_MS, ret, &err);
	(void)close(fd);
	return r < 0 ? report(cmd, r, &err) : CTL_EXIT_OK;
}

/* ---- option parsing shared by every command ---- */

enum { OPT_JSON = 1, OPT_PERMANENT = 2 };

struct opts {
	bool json, permanent;
	int first; /* index of the first operand */
};

static int parse_opts(int argc, char **argv, unsigned allowed, const char *usage, struct opts *o)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"permanent", no_argument, NULL, 'p'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!(allowed & OPT_JSON))
				goto bad;
			o->json = true;
			break;
		case 'p':
			if (!(allowed & OPT_PERMANENT))
				goto bad;
			o->permanent = true;
			break;
		case 's':
			if (!*optarg)
				goto bad;
			socket_path = optarg;
			break;
		case 'h':
			printf(_("usage: mnguardctl %s\n"), usage);
			return -1;
		default:
			goto bad;
		}
	}
	o->first = optind;
	return 0;
bad:
	fprintf(stderr, _("mnguardctl %s: unknown or misplaced option \"%s\"\n"), argv[0],
		argv[optind - 1]);
	fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
	return -2;
}

static int usage_exit(int r)
{
	return r == -1 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_OUT));
}

/* ---- status ---- */

int ctl_status(int argc, char **argv)
{
	static const char usage[] = "status [--json] [--socket PATH]";
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_STATUS};
	struct json_object *res = NULL, *pol = NULL, *dev = NULL;
	int64_t up;
	struct opts o;
	bool fallback;
	int r;

	r = parse_opts(argc, argv, OPT_JSON, usage, &o);
	if (r < 0)
		return usage_exit(r);
	if (o.first != argc) {
		fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
		return CTL_EXIT_USAGE;
	}
	r = request(argv[0], &req, TIMEOUT_MS, &res);
	if (r != CTL_EXIT_OK)
		return r;
	(void)json_object_object_get_ex(res, "policy", &pol);
	(void)json_object_object_get_ex(res, "devices", &dev);
	fallback = jbool(pol, "fallback");
	if (o.json) {
		print_json(res);
	} else {
		/* long long, not PRId64: a msgid cannot hold a macro that differs by target. */
		up = ctl_json_int(res, "uptime_s");
		printf(_("agent:   mnguardd %s, pid %lld, up "),
		       ctl_json_str(res, "version") ?: "?", (long long)ctl_json_int(res, "pid"));
		if (up >= 86400)
			printf(_("%lldd "), (long long)(up / 86400));
		printf("%02" PRId64 ":%02" PRId64 ":%02" PRId64 "\n", up % 86400 / 3600,
		       up % 3600 / 60, up % 60);
		printf(_("policy:  %lld rules from "), (long long)ctl_json_int(pol, "rules"));
		ctl_put_field(stdout, ctl_json_str(pol, "source"), 0);
		printf(_(", loaded %s\n"), ctl_json_str(pol, "loaded") ?: "?");
		if (ctl_json_int(pol, "version") > 0)
			printf(_("policy:  signed bundle version %lld (policy key %s)\n"),
			       (long long)ctl_json_int(pol, "version"),
			       ctl_json_str(pol, "kid") ?: "?");
		else
			fputs(_("policy:  no signed bundle installed\n"), stdout);
		if (fallback) {
			fputs(_("policy:  FALLBACK in force (hubs and keyboards/mice only): "),
			      stdout);
			ctl_put_field(stdout, ctl_json_str(pol, "error") ?: _("reason unknown"), 0);
			printf("\n");
		}
		printf(_("devices: %lld present, %lld allowed, %lld blocked\n"),
		       (long long)ctl_json_int(dev, "total"),
		       (long long)ctl_json_int(dev, "allowed"),
		       (long long)ctl_json_int(dev, "blocked"));
	}
	json_object_put(res);
	return fallback ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* ---- list-devices ---- */

static void device_row(struct json_object *d)
{
	struct json_object *ifs = NULL, *al = NULL;
	size_t n = 0, ok = 0, i;
	const char *target = ctl_json_str(d, "target") ?: "?";
	char buf[32];

	if (json_object_object_get_ex(d, "interfaces", &ifs) &&
	    json_object_is_type(ifs, json_type_array))
		n = json_object_array_length(ifs);
	if (json_object_object_get_ex(d, "ifaces_allowed", &al) &&
	    json_object_is_type(al, json_type_array))
		for (i = 0; i < json_object_array_length(al); i++)
			ok += json_object_get_boolean(json_object_array_get_idx(al, i)) ? 1 : 0;
	printf("%-5" PRId64 " ", ctl_json_int(d, "id"));
	ctl_put_field(stdout, ctl_json_str(d, "port"), 10);
	printf(" ");
	ctl_put_field(stdout, ctl_json_str(d, "vendor"), 4);
	printf(":");
	ctl_put_field(stdout, ctl_json_str(d, "product"), 4);
	printf("  ");
	ctl_put_field(stdout, ctl_json_str(d, "name"), 28);
	printf(" ");
	(void)snprintf(buf, sizeof(buf), "%s%s", target, jbool(d, "read_only") ? ",ro" : "");
	ctl_put_field(stdout, buf, 9);
	printf(" ");
	(void)snprintf(buf, sizeof(buf), "%zu/%zu", ok, n);
	ctl_put_field(stdout, buf, 7);
	printf(" ");
	ctl_put_field(stdout, ctl_json_str(d, "ticket") ?: "-", 16);
	printf(" ");
	/* Last and never cut: a rule location is useless without its line number. */
	ctl_put_field(stdout, ctl_json_str(d, "rule"), 0);
	printf("\n");
}

/*
 * The list commands: options, the paged request, then either the whole list
 * as JSON or a table (header, when not NULL, then row() for each entry).
 */
static int list_command(int argc, char **argv, enum mng_ipc_op op, const char *usage,
			void (*header)(void), void (*row)(struct json_object *))
{
	struct json_object *all = NULL;
	struct opts o;
	size_t i;
	int r;

	r = parse_opts(argc, argv, OPT_JSON, usage, &o);
	if (r < 0)
		return usage_exit(r);
	if (o.first != argc) {
		fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
		return CTL_EXIT_USAGE;
	}
	r = list(argv[0], op, &all);
	if (r != CTL_EXIT_OK)
		return r;
	if (o.json) {
		print_json(all);
	} else {
		if (header)
			header();
		for (i = 0; i < json_object_array_length(all); i++)
			row(json_object_array_get_idx(all, i));
	}
	json_object_put(all);
	return CTL_EXIT_OK;
}

/* The columns device_row() prints; the words are translated, the widths kept. */
static void device_heading(void)
{
	ctl_put_heading(stdout, _("ID"), 5);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("PORT"), 10);
	fputc(' ', stdout);
	ctl_put_heading(stdout, "VID:PID", 9);
	fputs("  ", stdout);
	ctl_put_heading(stdout, _("NAME"), 28);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("TARGET"), 9);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("IFACES"), 7);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("TICKET"), 16);
	fputc(' ', stdout);
	fputs(_("RULE"), stdout);
	fputc('\n', stdout);
}

int ctl_list_devices(int argc, char **argv)
{
	return list_command(argc, argv, MNG_IPC_OP_LIST_DEVICES,
			    "list-devices [--json] [--socket PATH]", device_heading, device_row);
}

/* ---- list-rules ---- */

static void rule_row(struct json_object *e)
{
	char loc[64];

	printf("%-6" PRId64 " ", ctl_json_int(e, "index"));
	ctl_put_field(stdout, ctl_json_str(e, "file"), 0);
	(void)snprintf(loc, sizeof(loc), ":%" PRId64, ctl_json_int(e, "line"));
	printf("%s  ", loc);
	ctl_put_field(stdout, ctl_json_str(e, "rule"), 0);
	printf("%s\n", jbool(e, "truncated") ? " [...]" : "");
}

int ctl_list_rules(int argc, char **argv)
{
	return list_command(argc, argv, MNG_IPC_OP_LIST_RULES,
			    "list-rules [--json] [--socket PATH]", NULL, rule_row);
}

/* ---- allow-device, block-device, reject-device ---- */

static bool parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static int set_target(int argc, char **argv, enum mng_ipc_op op)
{
	char usage[96];
	struct mng_ipc_request req = {.id = 1, .op = op};
	struct json_object *res = NULL;
	struct opts o;
	int r;

	(void)snprintf(usage, sizeof(usage), "%s ID [--permanent] [--socket PATH]", argv[0]);
	r = parse_opts(argc, argv, OPT_PERMANENT, usage, &o);
	if (r < 0)
		return usage_exit(r);
	if (o.first != argc - 1 || !parse_id(argv[o.first], &req.device)) {
		fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
		fputs(_("(ID is a number from list-devices)\n"), stderr);
		return CTL_EXIT_USAGE;
	}
	req.permanent = o.permanent;
	r = request(argv[0], &req, o.permanent ? SLOW_TIMEOUT_MS : TIMEOUT_MS, &res);
	if (r != CTL_EXIT_OK)
		return r;
	printf("device %" PRIu32 ": %s%s\n", req.device, ctl_json_str(res, "target") ?: "?",
	       o.permanent ? " (rule appended to 90-mnguardctl.rules)" : " (until removed)");
	json_object_put(res);
	return CTL_EXIT_OK;
}

int ctl_allow_device(int argc, char **argv)
{
	return set_target(argc, argv, MNG_IPC_OP_ALLOW_DEVICE);
}

int ctl_block_device(int argc, char **argv)
{
	return set_target(argc, argv, MNG_IPC_OP_BLOCK_DEVICE);
}

int ctl_reject_device(int argc, char **argv)
{
	return set_target(argc, argv, MNG_IPC_OP_REJECT_DEVICE);
}

/* ---- policy reload, policy install ---- */

/* policy install BUNDLE: the agent reads the bundle from the descriptor passed with the request. */
static int policy_install(const char *path)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_POLICY_INSTALL};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	struct stat st;
	int r, fd, bfd;

	bfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (bfd < 0 || fstat(bfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "mnguardctl policy install: %s: %s\n", path,
			bfd < 0 ? strerror(errno) : "not a regular file");
		if (bfd >= 0)
			(void)close(bfd);
		return CTL_EXIT_FAIL;
	}
	r = ctl_connect("policy install", socket_path, &fd);
	if (r != CTL_EXIT_OK) {
		(void)close(bfd);
		return r;
	}
	r = mng_ipc_call_fd(fd, &req, bfd, SLOW_TIMEOUT_MS, &res, &err);
	(void)close(fd);
	(void)close(bfd);
	if (r < 0 && err.remote) {
		fprintf(stderr, "mnguardctl policy install: %s: not installed:\n", path);
		print_lines(stderr, err.message);
		return CTL_EXIT_FAIL;
	}
	if (r < 0)
		return report("policy install", r, &err);
	printf("%s\n", ctl_json_str(res, "message") ?: "installed");
	json_object_put(res);
	return CTL_EXIT_OK;
}

int ctl_policy(int argc, char **argv)
{
	static const char usage[] = "policy reload [--socket PATH]\n"
				    "       mnguardctl policy install BUNDLE [--socket PATH]";
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_POLICY_RELOAD};
	struct json_object *res = NULL;
	struct mng_ipc_error err;
	struct opts o;
	int r, fd;

	r = parse_opts(argc, argv, 0, usage, &o);
	if (r < 0)
		return usage_exit(r);
	if (o.first == argc - 2 && !strcmp(argv[o.first], "install"))
		return policy_install(argv[o.first + 1]);
	if (o.first != argc - 1 || strcmp(argv[o.first], "reload")) {
		fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
		return CTL_EXIT_USAGE;
	}
	r = ctl_connect("policy reload", socket_path, &fd);
	if (r != CTL_EXIT_OK)
		return r;
	r = mng_ipc_call(fd, &req, SLOW_TIMEOUT_MS, &res, &err);
	(void)close(fd);
	if (r == -EINVAL && err.remote) {
		fprintf(stderr, "mnguardctl policy reload: the new policy was not loaded, the "
				"old one stays in force:\n");
		print_lines(stderr, err.message);
		return CTL_EXIT_FAIL;
	}
	if (r < 0)
		return report("policy reload", r, &err);
	printf("policy reloaded: %" PRId64 " rules\n", ctl_json_int(res, "rules"));
	json_object_put(res);
	return CTL_EXIT_OK;
}

/* ---- watch ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = 1;
}

static void event_line(struct json_object *ev)
{
	const char *s;
	char buf[32];

	printf("%s %-14s", ctl_json_str(ev, "time") ?: "?", ctl_json_str(ev, "type") ?: "?");
	if (ctl_json_int(ev, "id") >= 0)
		printf(" id=%" PRId64, ctl_json_int(ev, "id"));
	if ((s = ctl_json_str(ev, "port"))) {
		printf(" port=");
		ctl_put_field(stdout, s, 0);
	}
	if (ctl_json_str(ev, "vendor") && ctl_json_str(ev, "product")) {
		(void)snprintf(buf, sizeof(buf), " %.4s:%.4s", ctl_json_str(ev, "vendor"),
			       ctl_json_str(ev, "product"));
		ctl_put_field(stdout, buf, 0);
	}
	if ((s = ctl_json_str(ev, "name"))) {
		printf(" \"");
		ctl_put_field(stdout, s, 0);
		printf("\"");
	}
	if ((s = ctl_json_str(ev, "target"))) {
		printf(" -> ");
		ctl_put_field(stdout, s, 0);
	}
	if ((s = ctl_json_str(ev, "decision"))) {
		printf(" decision=");
		ctl_put_field(stdout, s, 0);
	}
	if ((s = ctl_json_str(ev, "rule"))) {
		printf(" rule=");
		ctl_put_field(stdout, s, 0);
	}
	if ((s = ctl_json_str(ev, "ticket"))) {
		printf(" ticket=");
		ctl_put_field(stdout, s, 0);
	}
	if ((s = ctl_json_str(ev, "detail"))) {
		printf(" (");
		ctl_put_field(stdout, s, 200);
		printf(")");
	}
	printf("\n");
}

int ctl_watch(int argc, char **argv)
{
	static const char usage[] = "watch [--json] [--socket PATH]";
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_WATCH};
	struct json_object *res = NULL;
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recv returns EINTR */
	struct mng_ipc_error err;
	struct mng_ipc_message m;
	char *buf, why[160];
	struct opts o;
	size_t len;
	int r, fd;

	r = parse_opts(argc, argv, OPT_JSON, usage, &o);
	if (r < 0)
		return usage_exit(r);
	if (o.first != argc) {
		fprintf(stderr, _("usage: mnguardctl %s\n"), usage);
		return CTL_EXIT_USAGE;
	}
	r = ctl_connect(argv[0], socket_path, &fd);
	if (r != CTL_EXIT_OK)
		return r;
	r = mng_ipc_call(fd, &req, TIMEOUT_MS, &res, &err);
	if (r < 0) {
		(void)close(fd);
		return report(argv[0], r, &err);
	}
	json_object_put(res);
	buf = malloc(MNG_IPC_MSG_MAX + 1);
	if (!buf) {
		(void)close(fd);
		fprintf(stderr, "mnguardctl watch: out of memory\n");
		return CTL_EXIT_FAIL;
	}
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	while (!interrupted) {
		r = mng_ipc_recv(fd, buf, MNG_IPC_MSG_MAX + 1, 0, &len);
		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		if (mng_ipc_message_parse(buf, len, &m, why, sizeof(why)) < 0) {
			fprintf(stderr, "mnguardctl watch: malformed message from the agent: %s\n",
				why);
			continue;
		}
		if (m.kind == MNG_IPC_MSG_EVENT) {
			if (o.json)
				printf("%s\n", buf);
			else
				event_line(m.body);
			(void)fflush(stdout);
		}
		mng_ipc_message_clear(&m);
	}
	free(buf);
	(void)close(fd);
	if (interrupted)
		return CTL_EXIT_OK;
	fprintf(stderr, "mnguardctl watch: the agent closed the connection (%s)\n",
		r == -ECONNRESET ? "agent stopped, or this watcher fell behind" : strerror(-r));
	return CTL_EXIT_UNREACHABLE;
}
