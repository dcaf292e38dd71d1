// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ipc.c - arbitrary bytes as an agent socket packet: the request
 * parser (as mnguardd runs it) and the agent-message parser (as mnguardctl
 * runs it) must neither crash nor leak, must answer consistently, and what
 * they accept must survive a format/parse round trip.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const struct mng_ipc_request *req)
{
	struct mng_ipc_request again;
	struct mng_ipc_error err;
	char *text = NULL;
	size_t len;

	if (req->op == MNG_IPC_OP_NONE || !mng_ipc_op_name(req->op))
		abort();
	if ((req->op == MNG_IPC_OP_LIST_DEVICES || req->op == MNG_IPC_OP_LIST_RULES) &&
	    (req->limit < 1 || req->limit > MNG_IPC_PAGE_MAX))
		abort();
	if (mng_ipc_request_format(req, &text, &len) != 0)
		abort();
	if (mng_ipc_request_parse(text, len, &again, &err) != 0)
		abort();
	if (again.id != req->id || again.op != req->op || again.offset != req->offset ||
	    again.limit != req->limit || again.device != req->device ||
	    again.permanent != req->permanent)
		abort();
	/* the text fields of session-open/close and auth-report survive too */
	if (strcmp(again.user, req->user) || strcmp(again.seat, req->seat) ||
	    strcmp(again.tty, req->tty) || strcmp(again.service, req->service) ||
	    strcmp(again.event, req->event) || strcmp(again.label, req->label) ||
	    strcmp(again.detail, req->detail))
		abort();
	if (mng_ipc_op_self_authorized(req->op) && !mng_ipc_user_name_ok(req->user))
		abort();
	free(text);
}

static void check_refusal(int r, const struct mng_ipc_error *err)
{
	struct mng_ipc_message m;
	char *text = NULL, why[160];
	size_t len;

	if (r != -err->code || (err->code != EPROTO && err->code != EINVAL && err->code != ENOTSUP))
		abort();
	if (!memchr(err->message, '\0', sizeof(err->message)) || !err->message[0])
		abort();
	/* The server's error reply for it must be a valid message naming the same code. */
	if (mng_ipc_error_format(err->id, err->code, err->message, &text, &len) != 0)
		abort();
	if (mng_ipc_message_parse(text, len, &m, why, sizeof(why)) != 0)
		abort();
	if (m.kind != MNG_IPC_MSG_ERROR || m.error.code != err->code || m.id != err->id)
		abort();
	mng_ipc_message_clear(&m);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_ipc_request req;
	struct mng_ipc_error err;
	struct mng_ipc_message m;
	struct json_object *j;
	char why[160], *copy;
	int r;

	r = mng_ipc_request_parse(data, size, &req, &err);
	if (r == 0)
		check_request(&req);
	else
		check_refusal(r, &err);

	r = mng_ipc_message_parse(data, size, &m, why, sizeof(why));
	if (r == 0) {
		if (m.kind == MNG_IPC_MSG_ERROR ? m.body != NULL
						: !json_object_is_type(m.body, json_type_object))
			abort();
		if (m.kind == MNG_IPC_MSG_ERROR && !m.error.remote)
			abort();
		mng_ipc_message_clear(&m);
	} else if (r != -EPROTO || !why[0]) {
		abort();
	}

	/* Any bytes, made a JSON string, must give a valid message. */
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	j = mng_ipc_json_string(copy, 4096);
	if (j) {
		struct json_object *o = json_object_new_object();
		char *text = NULL;
		size_t len;

		json_object_object_add(o, "s", j);
		if (mng_ipc_reply_format(1, o, &text, &len) != 0)
			abort();
		if (mng_ipc_message_parse(text, len, &m, why, sizeof(why)) != 0)
			abort();
		mng_ipc_message_clear(&m);
		free(text);
		json_object_put(o);
	}
	free(copy);
	return 0;
}
