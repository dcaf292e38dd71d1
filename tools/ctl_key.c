// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_key.c - "mnguardctl key list" and "mnguardctl key revoke": the FIDO2
 * credential file that pam_mnguard(8) reads (format in lib/cred.h).
 *
 * list prints one line a credential (or a JSON array with --json); a file
 * with any error is listed as its errors, exit 1, because the module then
 * refuses every login. revoke removes the credentials of one user (all, the
 * one with a label, or the one with a credential id), rewrites the file
 * atomically under an exclusive lock and tells the agent (auth-report
 * "key.revoke") so that mnguardd audits it.
 *
 * MUST: the file is read with the trusted-file checks (root-owned, not
 *       group/other-writable, no symlink); a file that fails them or does
 *       not parse whole is never rewritten.
 * MUST: revoke runs only as root and rewrites only when something matched.
 * MUST: every string from the file reaches the terminal through
 *       put_text (ctl_put_field, bidirectional controls masked too).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cred.h"
#include "ctl.h"
#include "diag.h"
#include "file.h"
#include "ipc.h"

#define SHORT_ID 16 /* characters of the base64url id that list shows */

static const char *key_socket = MNG_IPC_SOCKET_DEFAULT;

void ctl_key_set_socket(const char *path)
{
	key_socket = path;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mnguardctl key list [--credentials FILE] [--json]\n"
		"       mnguardctl key revoke USER [LABEL | --id CREDID] [--credentials FILE]\n");
}

/*
 * Print a file string through ctl_put_field, with the bidirectional
 * controls (U+200E/F, U+202A..E, U+2066..9, U+061C) shown as '?' first:
 * they are printable UTF-8 to the file's grammar but would let a label
 * reorder what an administrator reads.
 */
static void put_text(const char *s, size_t width)
{
	char buf[4 * MNG_CRED_TEXT_MAX + 1];
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p && o + 1 < sizeof(buf)) {
		if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) {
			buf[o++] = '?';
			p += 3;
		} else if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
			buf[o++] = '?';
			p += 3;
		} else if (p[0] == 0xd8 && p[1] == 0x9c) {
			buf[o++] = '?';
			p += 2;
		} else {
			buf[o++] = (char)*p++;
		}
	}
	buf[o] = '\0';
	ctl_put_field(stdout, buf, width);
}

static void flags_text(unsigned flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", flags & MNG_CRED_F_UP ? "up" : "",
		 (flags & MNG_CRED_F_UP) && (flags & MNG_CRED_F_UV) ? "," : "",
		 flags & MNG_CRED_F_UV ? "uv" : "",
		 (flags & (MNG_CRED_F_UP | MNG_CRED_F_UV)) && (flags & MNG_CRED_F_ZERO_OK) ? ","
											   : "",
		 flags & MNG_CRED_F_ZERO_OK ? "zero-counter-ok" : "");
	if (!buf[0])
		snprintf(buf, size, "-");
}

static void aaguid_text(const uint8_t a[16], char out[33])
{
	size_t i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", a[i]);
}

/* Load path as pam_mnguard does; print the errors. Returns 0 or CTL_EXIT_FAIL. */
static int load(const char *path, struct mng_credset *set)
{
	struct mng_diags diags = {0};
	int r = mng_credset_load(path, MNG_FILE_TRUSTED, set, &diags);

	if (r < 0) {
		mng_diags_print(&diags, stderr);
		if (!diags.n)
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		fprintf(stderr,
			"mnguardctl key: %s is refused whole: pam_mnguard denies every "
			"login while it is\n",
			path);
	}
	mng_diags_clear(&diags);
	return r < 0 ? CTL_EXIT_FAIL : 0;
}

static struct json_object *cred_json(const struct mng_cred *c, const char *id)
{
	struct json_object *o = json_object_new_object();
	char flags[64], aaguid[33];

	if (!o)
		return NULL;
	flags_text(c->flags, flags, sizeof(flags));
	aaguid_text(c->aaguid, aaguid);
	json_object_object_add(o, "user", json_object_new_string(c->user));
	json_object_object_add(o, "label", mng_ipc_json_string(c->label, MNG_CRED_TEXT_MAX));
	json_object_object_add(o, "type", json_object_new_string(mng_cred_type_name(c->type)));
	json_object_object_add(o, "flags", json_object_new_string(flags));
	json_object_object_add(o, "aaguid", json_object_new_string(aaguid));
	json_object_object_add(o, "enrolled", json_object_new_string(c->enrolled));
	json_object_object_add(o, "operator", mng_ipc_json_string(c->operator_, MNG_CRED_TEXT_MAX));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "line", json_object_new_int64(c->line));
	return o;
}

static int do_list(const char *path, bool json)
{
	struct mng_credset set = {0};
	struct json_object *arr = NULL;
	size_t i;
	int r;

	r = load(path, &set);
	if (r)
		return r;
	if (json)
		arr = json_object_new_array();
	else
		printf("%-16s %-20s %-6s %-20s %-32s %-20s %-16s %s\n", "USER", "LABEL", "TYPE",
		       "FLAGS", "AAGUID", "ENROLLED", "OPERATOR", "ID");
	for (i = 0; i < set.n; i++) {
		const struct mng_cred *c = &set.v[i];
		char flags[64], aaguid[33], *id = NULL;

		if (mng_cred_id_encode(c->id, c->id_len, &id) < 0) {
			fprintf(stderr, "mnguardctl key: out of memory\n");
			r = CTL_EXIT_FAIL;
			break;
		}
		if (json) {
			if (!arr || json_object_array_add(arr, cred_json(c, id)) < 0)
				r = CTL_EXIT_FAIL;
			free(id);
			continue;
		}
		flags_text(c->flags, flags, sizeof(flags));
		aaguid_text(c->aaguid, aaguid);
		put_text(c->user, 16);
		putchar(' ');
		put_text(c->label, 20);
		printf(" %-6s %-20s %s ", mng_cred_type_name(c->type), flags, aaguid);
		put_text(c->enrolled, 20);
		putchar(' ');
		put_text(c->operator_, 16);
		printf(" %.*s%s\n", SHORT_ID, id, strlen(id) > SHORT_ID ? "~" : "");
		free(id);
	}
	if (json && r == 0)
		printf("%s\n", json_object_to_json_string_ext(
				   arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	mng_credset_clear(&set);
	return r;
}

/*
 * Lock "<path>.lock" exclusively (the enrolment tool takes the same lock),
 * so that two writers never lose each other's change. Returns the fd or -errno.
 */
static int lock_file(const char *path)
{
	char lock[4096];
	int fd;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static bool matches(const struct mng_cred *c, const char *user, const char *label, const char *id)
{
	char *enc = NULL;
	bool ok;

	if (strcmp(c->user, user))
		return false;
	if (label)
		return !strcmp(c->label, label);
	if (!id)
		return true;
	if (mng_cred_id_encode(c->id, c->id_len, &enc) < 0)
		return false;
	ok = !strcmp(enc, id);
	free(enc);
	return ok;
}

static int do_revoke(const char *path, const char *user, const char *label, const char *id)
{
	struct mng_credset set = {0}, keep = {0};
	size_t i, removed = 0;
	int r, lfd, status = CTL_EXIT_OK;

	if (geteuid() != 0) {
		fprintf(stderr, "mnguardctl key revoke: permission denied: needs root\n");
		return CTL_EXIT_FAIL;
	}
	lfd = lock_file(path);
	if (lfd < 0) {
		fprintf(stderr, "mnguardctl key revoke: cannot lock %s.lock: %s\n", path,
			strerror(-lfd));
		return CTL_EXIT_FAIL;
	}
	status = load(path, &set);
	if (status)
		goto out;
	for (i = 0; i < set.n; i++) {
		if (!matches(&set.v[i], user, label, id)) {
			r = mng_credset_add(&keep, &set.v[i]);
			if (r < 0) {
				fprintf(stderr, "mnguardctl key revoke: %s\n", strerror(-r));
				status = CTL_EXIT_FAIL;
				goto out;
			}
		}
	}
	removed = set.n - keep.n;
	if (!removed) {
		fprintf(stderr,
			"mnguardctl key revoke: no credential of user \"%s\"%s%s%s matched\n", user,
			label ? " with label \""
			: id  ? " with id "
			      : "",
			label ? label
			: id  ? id
			      : "",
			label ? "\"" : "");
		status = CTL_EXIT_FAIL;
		goto out;
	}
	r = mng_credset_write(path, &keep);
	if (r < 0) {
		fprintf(stderr, "mnguardctl key revoke: cannot rewrite %s: %s (unchanged)\n", path,
			strerror(-r));
		status = CTL_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		const struct mng_cred *c = &set.v[i];
		char *enc = NULL, detail[160];
		int ar;

		if (!matches(c, user, label, id) || mng_cred_id_encode(c->id, c->id_len, &enc) < 0)
			continue;
		printf("revoked: user %s label \"", c->user);
		put_text(c->label, 0);
		printf("\" type %s id %.*s%s (line %u)\n", mng_cred_type_name(c->type), SHORT_ID,
		       enc, strlen(enc) > SHORT_ID ? "~" : "", c->line);
		snprintf(detail, sizeof(detail), "credential %.*s removed from %s by mnguardctl",
			 SHORT_ID, enc, path);
		ar = mng_ipc_auth_report(key_socket, "key.revoke", c->user, c->label, detail);
		if (ar < 0)
			fprintf(stderr,
				"mnguardctl key revoke: the agent did not record it (%s); the "
				"revocation stands\n",
				strerror(-ar));
		free(enc);
	}
out:
	mng_credset_clear(&set);
	mng_credset_clear(&keep);
	close(lfd);
	return status;
}

int ctl_key(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"credentials", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"id", required_argument, NULL, 'i'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = MNG_CRED_PATH, *id = NULL, *label = NULL, *user;
	bool json = false, list;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (strcmp(argv[1], "list") && strcmp(argv[1], "revoke")) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	list = !strcmp(argv[1], "list");
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'i':
			id = optarg;
			break;
		case 's':
			key_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind + 1;
	argv += optind + 1;
	if (list) {
		if (argc != 0 || id) {
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
		return do_list(path, json);
	}
	if (json || argc < 1 || argc > 2 || (argc == 2 && id)) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	user = argv[0];
	if (argc == 2)
		label = argv[1];
	if (!mng_ipc_user_name_ok(user)) {
		fprintf(stderr, "mnguardctl key revoke: \"%s\" is not a valid user name\n", user);
		return CTL_EXIT_USAGE;
	}
	return do_revoke(path, user, label, id);
}
