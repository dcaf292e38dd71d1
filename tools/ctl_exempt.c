// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_exempt.c - mnguardctl exemption redeem|request|enter|list|revoke
 * (mnguardctl(8) EXEMPTIONS): the terminal side of the help desk's
 * temporary exemptions. Every check is the agent's; this file reads the
 * token, passes it on, and prints the agent's answer.
 *
 * Exit codes: 0 done, 1 refused (the agent's reason is printed), 2 usage,
 * 3 the agent cannot be reached.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "file.h"
#include "ipc.h"

#define TIMEOUT_MS 60000 /* a redeem re-judges every device */
#define JSON_OUT (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
#define TOKEN_FILE_MAX (4 * MNG_IPC_SECRET_MAX) /* a token file, whitespace included */

static const char *socket_path = MNG_IPC_SOCKET_DEFAULT;

static const char usage_text[] =
    "exemption redeem TOKEN|FILE|-\n"
    "       mnguardctl exemption request [--device ID | --printer QUEUE | --clipboard]\n"
    "                                    [--minutes N] [--uses N]\n"
    "       mnguardctl exemption enter RESPONSE --ticket TICKET\n"
    "       mnguardctl exemption list [--json]\n"
    "       mnguardctl exemption revoke ID\n"
    "       (each also takes --socket PATH)";

void ctl_exempt_set_socket(const char *path)
{
	socket_path = path;
}

static int usage(FILE *f, int code)
{
	fprintf(f, _("usage: mnguardctl %s\n"), usage_text);
	return code;
}

/* member key of o when it is a string, else "" */
static const char *jstr(struct json_object *o, const char *key)
{
	const char *v = ctl_json_str(o, key);

	return v ? v : "";
}

/* Send req; prints the agent's refusal. Returns an exit code, *ret set on CTL_EXIT_OK. */
static int call(const char *cmd, const struct mng_ipc_request *req, struct json_object **ret)
{
	struct mng_ipc_error err;
	char name[32];
	int fd, r;

	snprintf(name, sizeof(name), "exemption %s", cmd);
	r = ctl_connect(name, socket_path, &fd);
	if (r != CTL_EXIT_OK)
		return r;
	r = mng_ipc_call(fd, req, TIMEOUT_MS, ret, &err);
	(void)close(fd);
	if (r == 0)
		return CTL_EXIT_OK;
	if (ctl_ipc_lost(r, err.remote)) {
		ctl_put_unreachable(name, socket_path, err.message);
		return CTL_EXIT_UNREACHABLE;
	}
	ctl_put_refusal(name, err.message, true);
	return CTL_EXIT_FAIL;
}

/* Options shared by the subcommands; which ones a subcommand takes is checked by it. */
struct xopts {
	bool json, clipboard, has_device;
	uint32_t device, minutes, uses;
	const char *printer, *ticket;
	int first;
};

static bool parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static int parse_xopts(int argc, char **argv, struct xopts *o)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},	       {"clipboard", no_argument, NULL, 'c'},
	    {"device", required_argument, NULL, 'd'},  {"printer", required_argument, NULL, 'p'},
	    {"minutes", required_argument, NULL, 'm'}, {"uses", required_argument, NULL, 'u'},
	    {"ticket", required_argument, NULL, 't'},  {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'c':
			o->clipboard = true;
			break;
		case 'd':
			if (!parse_u32(optarg, UINT32_MAX, &o->device))
				goto bad;
			o->has_device = true;
			break;
		case 'p':
			o->printer = optarg;
			break;
		case 'm':
			if (!parse_u32(optarg, 24 * 60, &o->minutes) || !o->minutes)
				goto bad;
			break;
		case 'u':
			if (!parse_u32(optarg, 9, &o->uses) || !o->uses)
				goto bad;
			break;
		case 't':
			o->ticket = optarg;
			break;
		case 's':
			if (!*optarg)
				goto bad;
			socket_path = optarg;
			break;
		case 'h':
			return -1;
		default:
			goto bad;
		}
	}
	o->first = optind;
	return 0;
bad:
	fprintf(stderr, _("mnguardctl exemption %s: bad or unknown option \"%s\"\n"), argv[0],
		argv[optind - 1]);
	return -2;
}

/* Copy s into dst (size bytes) without leading and trailing whitespace; false when too long. */
static bool trimmed(const char *s, char *dst, size_t size)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static int do_redeem(int argc, char **argv, const struct xopts *o)
{
	struct mng_ipc_request *req;
	struct json_object *res = NULL;
	const char *arg, *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r, code;

	if (o->first != argc - 1 || o->json || o->clipboard || o->has_device || o->printer ||
	    o->ticket || o->minutes || o->uses)
		return usage(stderr, CTL_EXIT_USAGE);
	arg = argv[o->first];
	req = calloc(1, sizeof(*req));
	if (!req)
		return CTL_EXIT_FAIL;
	req->id = 1;
	req->op = MNG_IPC_OP_EXEMPTION_REDEEM;
	if (!strncmp(arg, "mngx1", 5)) {
		buf = strdup(arg);
	} else {
		r = mng_file_read(arg, TOKEN_FILE_MAX, 0, &buf, &len, &why);
		if (r < 0) {
			fprintf(stderr, "mnguardctl exemption redeem: %s: %s\n", arg,
				r == -EFBIG ? _("too large to be a token")
					    : (why ? why : strerror(-r)));
			free(req);
			return CTL_EXIT_FAIL;
		}
	}
	if (!buf || (len && strlen(buf) != len) ||
	    !trimmed(buf, req->secret, sizeof(req->secret)) || !req->secret[0]) {
		fprintf(stderr,
			_("mnguardctl exemption redeem: that is not a token (empty, NUL "
			  "bytes, or longer than %d bytes)\n"),
			MNG_IPC_SECRET_MAX);
		free(buf);
		free(req);
		return CTL_EXIT_FAIL;
	}
	free(buf);
	code = call("redeem", req, &res);
	explicit_bzero(req, sizeof(*req));
	free(req);
	if (code != CTL_EXIT_OK)
		return code;
	printf(_("exemption %s redeemed and in force\n"), jstr(res, "id"));
	json_object_put(res);
	return CTL_EXIT_OK;
}

static int do_request(int argc, char **argv, const struct xopts *o)
{
	struct mng_ipc_request *req;
	struct json_object *res = NULL;
	int code, kinds = (o->has_device ? 1 : 0) + (o->printer ? 1 : 0) + (o->clipboard ? 1 : 0);

	if (o->first != argc || kinds > 1 || o->json || o->ticket)
		return usage(stderr, CTL_EXIT_USAGE);
	req = calloc(1, sizeof(*req));
	if (!req)
		return CTL_EXIT_FAIL;
	req->id = 1;
	req->op = MNG_IPC_OP_EXEMPTION_REQUEST;
	snprintf(req->scope, sizeof(req->scope), "%s",
		 o->printer	? "print"
		 : o->clipboard ? "clipboard"
				: "usb");
	req->has_device = o->has_device;
	req->device = o->device;
	if (o->printer && strlen(o->printer) >= sizeof(req->object)) {
		free(req);
		return usage(stderr, CTL_EXIT_USAGE);
	}
	if (o->printer)
		snprintf(req->object, sizeof(req->object), "%s", o->printer);
	req->minutes = o->minutes;
	req->uses = o->uses;
	code = call("request", req, &res);
	free(req);
	if (code != CTL_EXIT_OK)
		return code;
	printf(_("Request code: %s\n"), jstr(res, "code"));
	if (jstr(res, "object")[0]) {
		fputs(_("For: "), stdout);
		ctl_put_field(stdout, jstr(res, "object"), 0);
		printf("\n");
	}
	fputs(_("Read the request code to the help desk, then type the response code they give:\n"
		"  mnguardctl exemption enter RESPONSE --ticket TICKET\n"),
	      stdout);
	json_object_put(res);
	return CTL_EXIT_OK;
}

static int do_enter(int argc, char **argv, const struct xopts *o)
{
	struct mng_ipc_request *req;
	struct json_object *res = NULL;
	int code;

	if (o->first != argc - 1 || !o->ticket || o->json || o->clipboard || o->has_device ||
	    o->printer || o->minutes || o->uses)
		return usage(stderr, CTL_EXIT_USAGE);
	req = calloc(1, sizeof(*req));
	if (!req)
		return CTL_EXIT_FAIL;
	req->id = 1;
	req->op = MNG_IPC_OP_EXEMPTION_ENTER;
	if (!trimmed(argv[o->first], req->secret, sizeof(req->secret)) ||
	    !trimmed(o->ticket, req->ticket, sizeof(req->ticket)) || !req->ticket[0]) {
		fputs(_("mnguardctl exemption enter: response or ticket too long\n"), stderr);
		free(req);
		return CTL_EXIT_USAGE;
	}
	code = call("enter", req, &res);
	free(req);
	if (code != CTL_EXIT_OK)
		return code;
	printf(_("exemption %s in force\n"), jstr(res, "id"));
	json_object_put(res);
	return CTL_EXIT_OK;
}

static void row(struct json_object *e)
{
	printf("%-32s  %-7s %-9s %-7s %-4" PRId64 "/%-4" PRId64 " ", jstr(e, "id"),
	       jstr(e, "state"), jstr(e, "scope"), jstr(e, "kind"), ctl_json_int(e, "uses_left"),
	       ctl_json_int(e, "uses"));
	ctl_put_field(stdout, jstr(e, "user"), 12);
	printf(" %s  ", jstr(e, "not_after"));
	ctl_put_field(stdout, jstr(e, "ticket"), 16);
	printf("  ");
	ctl_put_field(stdout, jstr(e, "object"), 60);
	printf("\n");
}

/* The table's heading: the columns row() prints, words translated, widths kept. */
static void list_heading(void)
{
	ctl_put_heading(stdout, _("ID"), 32);
	fputs("  ", stdout);
	ctl_put_heading(stdout, _("STATE"), 7);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("SCOPE"), 9);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("KIND"), 7);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("LEFT/USES"), 9);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("USER"), 12);
	fputc(' ', stdout);
	ctl_put_heading(stdout, _("UNTIL"), 20);
	fputs("  ", stdout);
	ctl_put_heading(stdout, _("TICKET"), 16);
	fputs("  ", stdout);
	fputs(_("OBJECT"), stdout);
	fputc('\n', stdout);
}

static int do_list(int argc, char **argv, const struct xopts *o)
{
	struct json_object *all = NULL;
	struct mng_ipc_error err;
	size_t i;
	int fd, r;

	if (o->first != argc || o->clipboard || o->has_device || o->printer || o->ticket ||
	    o->minutes || o->uses)
		return usage(stderr, CTL_EXIT_USAGE);
	r = ctl_connect("exemption list", socket_path, &fd);
	if (r != CTL_EXIT_OK)
		return r;
	r = mng_ipc_list(fd, MNG_IPC_OP_EXEMPTION_LIST, TIMEOUT_MS, &all, &err);
	(void)close(fd);
	if (r < 0 && !err.remote) {
		ctl_put_unreachable("exemption list", socket_path, err.message);
		return CTL_EXIT_UNREACHABLE;
	}
	if (r < 0) {
		ctl_put_refusal("exemption list", err.message, false);
		return CTL_EXIT_FAIL;
	}
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(all, JSON_OUT));
	} else {
		list_heading();
		for (i = 0; i < json_object_array_length(all); i++)
			row(json_object_array_get_idx(all, i));
	}
	json_object_put(all);
	return CTL_EXIT_OK;
}

static int do_revoke(int argc, char **argv, const struct xopts *o)
{
	struct mng_ipc_request req = {.id = 1, .op = MNG_IPC_OP_EXEMPTION_REVOKE};
	struct json_object *res = NULL;
	int code;

	if (o->first != argc - 1 || o->json || o->clipboard || o->has_device || o->printer ||
	    o->ticket || o->minutes || o->uses || strlen(argv[o->first]) != MNG_IPC_XID_LEN ||
	    strspn(argv[o->first], "0123456789abcdef") != MNG_IPC_XID_LEN) {
		fputs(_("(ID is the 32 lowercase hex digits exemption list shows)\n"), stderr);
		return usage(stderr, CTL_EXIT_USAGE);
	}
	memcpy(req.exemption, argv[o->first], MNG_IPC_XID_LEN + 1);
	code = call("revoke", &req, &res);
	if (code != CTL_EXIT_OK)
		return code;
	printf(_("exemption %s revoked\n"), jstr(res, "id"));
	json_object_put(res);
	return CTL_EXIT_OK;
}

int ctl_exemption(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **, const struct xopts *);
	} subs[] = {{"redeem", do_redeem},
		    {"request", do_request},
		    {"enter", do_enter},
		    {"list", do_list},
		    {"revoke", do_revoke}};
	struct xopts o;
	size_t i;
	int r;

	if (argc < 2)
		return usage(stderr, CTL_EXIT_USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, CTL_EXIT_OK);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		r = parse_xopts(argc - 1, argv + 1, &o);
		if (r == -1)
			return usage(stdout, CTL_EXIT_OK);
		if (r < 0)
			return usage(stderr, CTL_EXIT_USAGE);
		o.first += 1; /* indexes into argv + 1 */
		return subs[i].fn(argc, argv, &o);
	}
	fprintf(stderr, _("mnguardctl exemption: unknown subcommand \"%s\"\n"), argv[1]);
	return usage(stderr, CTL_EXIT_USAGE);
}
