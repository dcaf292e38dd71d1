// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ctl_key.c - "mnguardctl key list" and "mnguardctl key revoke"
 * ($MNG_CTL) on credential files made here with lib/cred: the table and
 * JSON listing, a broken file listed as its errors, revocation by label,
 * by id and of all of a user's keys, the atomic rewrite, the report to the
 * agent (a scripted socket), root only, and nothing matched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cred.h"
#include "file.h"
#include "ipc.h"

#define NOBODY 65534

static char dir[] = "/tmp/mng-ctlkey-XXXXXX";
static char creds[128], sock[128], outp[128], errp[128];
static char out[65536], errout[65536];
static const char *ctl;

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run mnguardctl with args (NULL-terminated), optionally as nobody. */
static int run_as(bool nobody, const char *const *args)
{
	const char *argv[20];
	size_t n = 0;
	int st = 0;
	pid_t pid;

	argv[n++] = ctl;
	for (; *args && n < 18; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		if (nobody && (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
			       setresuid(NOBODY, NOBODY, NOBODY) < 0))
			_exit(126);
		execv(ctl, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	slurp(outp, out, sizeof(out));
	slurp(errp, errout, sizeof(errout));
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int run(const char *const *args)
{
	return run_as(false, args);
}

/* One credential with a fresh P-256 key; id is n bytes of value fill. */
static void make_cred(struct mng_cred *c, const char *user, const char *label, uint8_t fill,
		      size_t n)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	unsigned char *der = NULL;
	int len;

	assert_non_null(k);
	len = i2d_PUBKEY(k, &der);
	assert_true(len > 0);
	memset(c, 0, sizeof(*c));
	snprintf(c->user, sizeof(c->user), "%s", user);
	c->id = malloc(n);
	assert_non_null(c->id);
	memset(c->id, fill, n);
	c->id_len = n;
	c->type = MNG_CRED_ES256;
	c->pk = malloc((size_t)len);
	assert_non_null(c->pk);
	memcpy(c->pk, der, (size_t)len);
	c->pk_len = (size_t)len;
	c->flags = MNG_CRED_F_UP | MNG_CRED_F_UV;
	memcpy(c->aaguid, "0123456789abcdef", 16);
	snprintf(c->label, sizeof(c->label), "%s", label);
	snprintf(c->enrolled, sizeof(c->enrolled), "2026-11-25T09:30:00Z");
	snprintf(c->operator_, sizeof(c->operator_), "窓口 佐藤");
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/*
 * taro: two keys ("blue", "red"), hanako: one ("窓口"), jiro: one whose
 * label holds a zero-width space (allowed; a bidirectional control is not:
 * test_list_broken_file).
 */
static void write_file(void)
{
	struct mng_credset set = {0};
	struct mng_cred c;
	static const struct {
		const char *user, *label;
		uint8_t fill;
		size_t n; /* bytes of the credential id */
	} v[] = {
	    {"taro", "blue", 0xa1, 48},
	    {"taro", "red", 0xb2, 48},
	    {"hanako", "窓口", 0xc3, 64},
	    {"jiro",
	     "evil\xe2\x80\x8b"
	     "label",
	     0xd4, 32},
	};
	size_t i;

	for (i = 0; i < MNG_ARRAY_SIZE(v); i++) {
		make_cred(&c, v[i].user, v[i].label, v[i].fill, v[i].n);
		assert_int_equal(mng_credset_add(&set, &c), 0);
		free(c.id);
		free(c.pk);
	}
	assert_int_equal(mng_credset_write(creds, &set), 0);
	mng_credset_clear(&set);
}

static size_t count_creds(void)
{
	struct mng_credset set = {0};
	size_t n;

	assert_int_equal(mng_credset_load(creds, getuid() == 0 ? MNG_FILE_TRUSTED : 0, &set, NULL),
			 0);
	n = set.n;
	mng_credset_clear(&set);
	return n;
}

static int setup(void **state)
{
	ctl = getenv("MNG_CTL");
	if (!ctl || !*ctl || !mkdtemp(dir))
		return -1;
	chmod(dir, 0755);
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_list(void **state)
{
	const char *table[] = {"key", "list", "--credentials", creds, NULL};
	const char *json[] = {"key", "list", "--json", "--credentials", creds, NULL};
	struct json_object *arr, *o;
	char *id = NULL;
	uint8_t raw[32];

	write_file();
	assert_int_equal(run(table), 0);
	assert_non_null(strstr(out, "USER"));
	assert_non_null(strstr(out, "taro"));
	assert_non_null(strstr(out, "blue"));
	assert_non_null(strstr(out, "窓口 佐藤"));
	assert_non_null(strstr(out, "up,uv"));
	assert_non_null(strstr(out, "30313233343536373839616263646566"));
	assert_non_null(strstr(out, "evil\xe2\x80\x8blabel"));
	/* short ids: 16 characters and a cut mark */
	memset(raw, 0xa1, sizeof(raw));
	assert_int_equal(mng_cred_id_encode(raw, 32, &id), 0);
	id[16] = '\0';
	assert_non_null(strstr(out, id));
	free(id);

	assert_int_equal(run(json), 0);
	arr = json_tokener_parse(out);
	assert_non_null(arr);
	assert_int_equal(json_object_array_length(arr), 4);
	o = json_object_array_get_idx(arr, 2);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "user")), "hanako");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "label")), "窓口");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "type")), "es256");
	assert_int_equal(strlen(json_object_get_string(json_object_object_get(o, "id"))),
			 (64 * 4 + 2) / 3);
	json_object_put(arr);

	/* usage errors */
	{
		const char *a[] = {"key", NULL};
		const char *b[] = {"key", "lst", NULL};
		const char *c[] = {"key", "list", "extra", NULL};

		assert_int_equal(run(a), 2);
		assert_int_equal(run(b), 2);
		assert_int_equal(run(c), 2);
	}
}

static void test_list_broken_file(void **state)
{
	const char *table[] = {"key", "list", "--credentials", creds, NULL};
	char *big;
	FILE *f;

	f = fopen(creds, "w");
	assert_non_null(f);
	fprintf(f, "# comment\n"
		   "Taro\tAAAA\tes256\tAAAA\tup\t00\tl\t2026-01-01T00:00:00Z\top\n"
		   "jiro\tAAAA\tes999\tAAAA\tup\t00\tl\t2026-01-01T00:00:00Z\top\n");
	fclose(f);
	chmod(creds, 0644);
	assert_int_equal(run(table), 1);
	assert_non_null(strstr(errout, ":2:"));
	assert_non_null(strstr(errout, ":3:"));
	assert_non_null(strstr(errout, "refused whole"));
	/* a right-to-left override in a label: refused, never shown */
	f = fopen(creds, "w");
	assert_non_null(f);
	fprintf(f, "jiro\tAAAA\tes256\tAAAA\tup\t00\tevil\xe2\x80\xaelabel\t"
		   "2026-01-01T00:00:00Z\top\n");
	fclose(f);
	chmod(creds, 0644);
	assert_int_equal(run(table), 1);
	assert_non_null(strstr(errout, "bidirectional control character"));
	assert_null(strstr(out, "\xe2\x80\xae"));
	assert_null(strstr(errout, "\xe2\x80\xae"));
	/* a NUL byte and a line of 1 MiB */
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'a', 1 << 20);
	big[10] = '\0';
	f = fopen(creds, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, 1 << 20, f), 1 << 20);
	fclose(f);
	free(big);
	assert_int_equal(run(table), 1);
	assert_non_null(strstr(errout, creds));
	/* missing file */
	unlink(creds);
	assert_int_equal(run(table), 1);
	/* group-writable: refused like pam_mnguard refuses it (root runs the test) */
	if (getuid() == 0) {
		write_file();
		chmod(creds, 0664);
		assert_int_equal(run(table), 1);
		chmod(creds, 0644);
		assert_int_equal(run(table), 0);
	}
}

/* A scripted agent: answer every request ok, append "event user label\n" to a file. */
static pid_t fake_agent(const char *record)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	unlink(sock);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[MNG_IPC_MSG_MAX + 1], *text = NULL;
		size_t len, tl;

		for (;;) {
			struct mng_ipc_request r;
			struct mng_ipc_error e;
			FILE *f;
			int c = accept(lfd, NULL, NULL);

			if (c < 0)
				_exit(1);
			if (mng_ipc_recv(c, buf, sizeof(buf), 0, &len) == 0 &&
			    mng_ipc_request_parse(buf, len, &r, &e) == 0 &&
			    (f = fopen(record, "a"))) {
				fprintf(f, "%s %s %s|%s\n", r.event, r.user, r.label, r.detail);
				fclose(f);
				if (mng_ipc_reply_format(r.id, NULL, &text, &tl) == 0)
					(void)mng_ipc_send(c, text, tl, 0);
				free(text);
				text = NULL;
			}
			close(c);
		}
	}
	close(lfd);
	return pid;
}

static void test_revoke(void **state)
{
	char record[160], rec[4096], *id = NULL;
	uint8_t raw[64];
	struct stat st1, st2;
	pid_t agent;
	int s;

	snprintf(record, sizeof(record), "%s/record", dir);
	write_file();
	agent = fake_agent(record);
	{
		const char *a[] = {"--socket",	    sock,  "key", "revoke", "taro", "red",
				   "--credentials", creds, NULL};

		assert_int_equal(stat(creds, &st1), 0);
		assert_int_equal(run(a), 0);
		assert_non_null(strstr(out, "revoked: user taro label \"red\""));
		assert_int_equal(count_creds(), 3);
		assert_int_equal(stat(creds, &st2), 0);
		assert_true(st1.st_ino != st2.st_ino); /* replaced by rename, not edited */
		assert_int_equal(st2.st_mode & 07777, 0644);
	}
	/* nothing matched: exit 1, file untouched */
	{
		const char *a[] = {"key", "revoke",   "taro", "red", "--credentials",
				   creds, "--socket", sock,   NULL};
		const char *b[] = {"key", "revoke",   "nobody_here", "--credentials",
				   creds, "--socket", sock,	     NULL};

		assert_int_equal(run(a), 1);
		assert_non_null(strstr(errout, "matched"));
		assert_int_equal(run(b), 1);
		assert_int_equal(stat(creds, &st1), 0);
		assert_int_equal(st1.st_ino, st2.st_ino);
	}
	/* by credential id */
	memset(raw, 0xc3, sizeof(raw));
	assert_int_equal(mng_cred_id_encode(raw, 64, &id), 0);
	{
		const char *a[] = {"key",	    "revoke", "hanako",	  "--id", id,
				   "--credentials", creds,    "--socket", sock,	  NULL};
		const char *wrong[] = {"key",		"revoke", "taro",     "--id", id,
				       "--credentials", creds,	  "--socket", sock,   NULL};

		assert_int_equal(run(wrong), 1); /* another user's id */
		assert_int_equal(run(a), 0);
		assert_non_null(strstr(out, "revoked: user hanako"));
	}
	free(id);
	assert_int_equal(count_creds(), 2);
	/* all of a user's keys */
	{
		const char *a[] = {"key", "revoke",   "taro", "--credentials",
				   creds, "--socket", sock,   NULL};

		assert_int_equal(run(a), 0);
		assert_int_equal(count_creds(), 1);
	}
	/* what the agent was told: one key.revoke per removed credential */
	kill(agent, SIGKILL);
	waitpid(agent, &s, 0);
	slurp(record, rec, sizeof(rec));
	assert_non_null(strstr(rec, "key.revoke taro red|credential "));
	assert_non_null(strstr(rec, "key.revoke hanako 窓口|"));
	assert_non_null(strstr(rec, "key.revoke taro blue|"));
	assert_null(strstr(rec, "jiro"));

	/* no agent: the revocation stands, with a warning */
	{
		const char *a[] = {"key", "revoke",   "jiro", "--credentials",
				   creds, "--socket", sock,   NULL};

		assert_int_equal(run(a), 0);
		assert_non_null(strstr(errout, "did not record it"));
		assert_int_equal(count_creds(), 0);
	}
	/* usage */
	{
		const char *a[] = {"key", "revoke", NULL};
		const char *b[] = {"key", "revoke", "Taro", NULL};
		const char *c[] = {"key", "revoke", "taro", "red", "--id", "AAAA", NULL};
		const char *d[] = {"key", "revoke", "taro", "--json", NULL};

		assert_int_equal(run(a), 2);
		assert_int_equal(run(b), 2);
		assert_int_equal(run(c), 2);
		assert_int_equal(run(d), 2);
	}
}

static void test_revoke_needs_root(void **state)
{
	const char *a[] = {"key", "revoke", "taro", "--credentials", creds, "--socket", sock, NULL};
	const char *l[] = {"key", "list", "--credentials", creds, NULL};

	if (getuid() != 0)
		skip();
	write_file();
	assert_int_equal(run_as(true, a), 1);
	assert_non_null(strstr(errout, "needs root"));
	assert_int_equal(count_creds(), 4);
	/* anyone may list a file they can read */
	assert_int_equal(run_as(true, l), 0);
	assert_non_null(strstr(out, "hanako"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_list_broken_file),
	    cmocka_unit_test(test_revoke),
	    cmocka_unit_test(test_revoke_needs_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
