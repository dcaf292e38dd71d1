// SPDX-License-Identifier: GPL-2.0-or-later
/* test_config.c - mnguard.conf parser: values, every kind of error, bounds. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "diag.h"
#include "file.h"

static int parse(const char *text, struct mng_config *c, struct mng_diags *d)
{
	return mng_config_parse(text, strlen(text), "t.conf", c, d);
}

/* All diagnostics printed as the agent prints them, one string. */
static char *printed(const struct mng_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	mng_diags_print(d, f);
	fclose(f);
	return buf;
}

static void test_defaults(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};

	(void)state;
	assert_int_equal(mng_config_parse("", 0, "t.conf", &c, &d), 0);
	assert_string_equal(c.rules_dir, "/etc/mnguard/rules.d");
	assert_string_equal(c.audit_log, "/var/log/mnguard/audit.log");
	assert_string_equal(c.socket, "/run/mnguard/mnguardd.sock");
	assert_string_equal(c.state_dir, "/var/lib/mnguard");
	assert_string_equal(c.helpdesk_contact, "");
	assert_int_equal(mng_diags_count(&d), 0);
}

static void test_full(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	const char *text = "\xef\xbb\xbf# mnguard.conf\r\n"
			   "; another comment\n"
			   "\n"
			   "rules_dir = /etc/mnguard/rules.d.test\r\n"
			   "  audit_log=/var/log/a.log\n"
			   "socket = /run/x.sock ; inline comment\n"
			   "state_dir =\t/var/lib/x\n"
			   "helpdesk_contact = 情報政策課 ヘルプデスク 内線1234; #5\n";

	(void)state;
	assert_int_equal(parse(text, &c, &d), 0);
	assert_string_equal(c.rules_dir, "/etc/mnguard/rules.d.test");
	assert_string_equal(c.audit_log, "/var/log/a.log");
	assert_string_equal(c.socket, "/run/x.sock");
	assert_string_equal(c.state_dir, "/var/lib/x");
	/* ';' not preceded by a blank is part of the value */
	assert_string_equal(c.helpdesk_contact, "情報政策課 ヘルプデスク 内線1234; #5");
	assert_int_equal(mng_diags_count(&d), 0);
}

/* Every problem is reported with its line, and the struct is left alone. */
static void test_all_errors(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char *out;
	const char *text = "rules_dir = relative/path\n" /* 1 */
			   "colour = blue\n"		 /* 2 */
			   "socket = /run/a.sock\n"	 /* 3 */
			   "socket = /run/b.sock\n"	 /* 4 */
			   "[mnguardd]\n"		 /* 5 */
			   "just words\n"		 /* 6 */
			   "audit_log: /var/log/x\n"	 /* 7 */
			   "state_dir =\n"		 /* 8 */
			   "helpdesk_contact = a\x01"
			   "b\n"				 /* 9 */
			   "audit_log = /var/log/\xff\xfe.log\n" /* 10 */
			   "= /no/key\n";			 /* 11 */

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(parse(text, &c, &d), -EINVAL);
	assert_int_equal((unsigned char)c.rules_dir[0], 0x5a);
	out = printed(&d);
	assert_non_null(strstr(out, "t.conf:1: rules_dir: not an absolute path\n"));
	assert_non_null(strstr(out, "t.conf:2: unknown key 'colour'\n"));
	assert_non_null(strstr(out, "t.conf:4: duplicate key 'socket' (first set on line 3)\n"));
	assert_non_null(strstr(out, "t.conf:5: sections are not used in this file\n"));
	assert_non_null(strstr(out, "t.conf:6: expected 'key = value'\n"));
	assert_non_null(strstr(out, "t.conf:7: expected 'key = value'\n"));
	assert_non_null(strstr(out, "t.conf:8: state_dir: empty value"));
	assert_non_null(strstr(out, "t.conf:9: control character in line\n"));
	assert_non_null(strstr(out, "t.conf:10: invalid UTF-8 at byte 22\n"));
	assert_non_null(strstr(out, "t.conf:11: expected 'key = value'\n"));
	assert_int_equal(mng_diags_count(&d), 10);
	free(out);
	mng_diags_clear(&d);
}

static void test_nul_and_bom(void **state)
{
	static const char text[] = "socket = /run/a\0b.sock\n"
				   "\xef\xbb\xbfstate_dir = /x\n";
	struct mng_config c;
	struct mng_diags d = {0};
	char *out;

	(void)state;
	assert_int_equal(mng_config_parse(text, sizeof(text) - 1, "t.conf", &c, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "t.conf:1: NUL byte in line\n"));
	assert_non_null(strstr(out, "t.conf:2: byte order mark inside the file\n"));
	free(out);
	mng_diags_clear(&d);
}

static void test_lengths(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char line[600], *out;
	int n;

	(void)state;
	/* the socket path must fit sun_path */
	n = snprintf(line, sizeof(line), "socket = /%0107d\n", 0);
	assert_true(n > 0);
	assert_int_equal(parse(line, &c, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "t.conf:1: socket: value longer than 107 bytes\n"));
	free(out);
	mng_diags_clear(&d);

	/* 107 bytes is fine */
	snprintf(line, sizeof(line), "socket = /%0106d\n", 0);
	assert_int_equal(parse(line, &c, &d), 0);
	assert_int_equal(strlen(c.socket), 107);

	/* a line over the cap is an error, never a silently cut value */
	snprintf(line, sizeof(line), "rules_dir = /%0300d\n", 0);
	assert_int_equal(parse(line, &c, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "t.conf:1: line longer than 196 bytes\n"));
	free(out);
	mng_diags_clear(&d);

	/* exactly at the cap: parsed, value checked */
	memset(line, 0, sizeof(line));
	n = snprintf(line, sizeof(line), "rules_dir = /");
	memset(line + n, 'a', MNG_CONFIG_LINE_MAX - (size_t)n);
	assert_int_equal(parse(line, &c, &d), 0);
	assert_int_equal(strlen(c.rules_dir), MNG_CONFIG_LINE_MAX - strlen("rules_dir = "));
}

static void test_huge_inputs(void **state)
{
	size_t big = 1u << 20, i;
	char *buf = malloc(big);
	struct mng_config c;
	struct mng_diags d = {0};

	(void)state;
	assert_non_null(buf);
	/* a 1 MiB line: the file is over the cap, refused at once */
	memset(buf, 'x', big);
	assert_int_equal(mng_config_parse(buf, big, "t.conf", &c, &d), -EFBIG);
	assert_int_equal(mng_diags_count(&d), 1);
	mng_diags_clear(&d);

	/* 64 KiB of bad lines: every one counted, the list stays capped */
	for (i = 0; i + 4 <= MNG_CONFIG_FILE_MAX; i += 4)
		memcpy(buf + i, "x=1\n", 4);
	assert_int_equal(mng_config_parse(buf, MNG_CONFIG_FILE_MAX, "t.conf", &c, &d), -EINVAL);
	assert_int_equal(mng_diags_count(&d), MNG_CONFIG_FILE_MAX / 4);
	assert_true(d.dropped > 0);
	mng_diags_clear(&d);

	/* 64 KiB of NUL bytes: one line, one error */
	memset(buf, 0, MNG_CONFIG_FILE_MAX);
	assert_int_equal(mng_config_parse(buf, MNG_CONFIG_FILE_MAX, "t.conf", &c, &d), -EINVAL);
	assert_int_equal(mng_diags_count(&d), 1);
	mng_diags_clear(&d);
	free(buf);
}

static void test_unknown_key_shown_cut(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char line[200], *out;

	(void)state;
	snprintf(line, sizeof(line), "%0150d = 1\n", 7);
	assert_int_equal(parse(line, &c, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "unknown key '000"));
	assert_non_null(strstr(out, "...'\n"));
	assert_true(strlen(out) < 120);
	free(out);
	mng_diags_clear(&d);
}

static void test_load_trusted(void **state)
{
	char dir[] = "/tmp/mng-config-XXXXXX", path[300], link[300], *out;
	const char *text = "socket = /run/t.sock\n";
	struct mng_config c;
	struct mng_diags d = {0};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mnguard.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	if (geteuid() == 0) {
		assert_int_equal(mng_config_load(path, MNG_FILE_TRUSTED, &c, &d), 0);
		assert_string_equal(c.socket, "/run/t.sock");
	}
	/* group/other-writable: refused */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(mng_config_load(path, MNG_FILE_TRUSTED, &c, &d), -EPERM);
	out = printed(&d);
	assert_non_null(strstr(out, path));
	free(out);
	mng_diags_clear(&d);
	assert_int_equal(chmod(path, 0644), 0);
	/* a symlink: refused */
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(mng_config_load(link, MNG_FILE_TRUSTED, &c, &d), -ELOOP);
	mng_diags_clear(&d);
	/* missing: an error naming the file */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mng_config_load(path, MNG_FILE_TRUSTED, &c, &d), -ENOENT);
	assert_int_equal(mng_diags_count(&d), 1);
	mng_diags_clear(&d);
	unlink(link);
	rmdir(dir);
}

/* The FIDO2 login keys of pam_mnguard(8): defaults, values, errors. */
static void test_fido_keys(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	const char *text = "rp_id = terminal.city.example.lg.jp\n"
			   "credentials = /etc/mnguard/creds\n"
			   "counters = /var/lib/x/counters\n"
			   "fido_timeout = 2\n"
			   "aaguid_allow = 0123456789abcdef0123456789abcdef, "
			   "fedcba9876543210fedcba9876543210\n"
			   "aaguid_allow = 00000000000000000000000000000001\n"
			   "login_group = mn_users-1\n";
	const char *bad = "rp_id = Terminal.example\n"
			  "credentials = relative\n"
			  "fido_timeout = 0\n"
			  "fido_timeout = 601\n"
			  "aaguid_allow = 0123\n"
			  "aaguid_allow = 0123456789ABCDEF0123456789abcdef\n"
			  "login_group = 1users\n"
			  "rp_id = a..b\n"
			  "aaguid_allow =\n";
	char *out, big[200 * 34];
	size_t i;

	(void)state;
	assert_int_equal(mng_config_parse("", 0, "t.conf", &c, &d), 0);
	assert_string_equal(c.rp_id, "");
	assert_string_equal(c.credentials, "/etc/mnguard/credentials");
	assert_string_equal(c.counters, "/var/lib/mnguard/counters");
	assert_int_equal(c.fido_timeout, 30);
	assert_int_equal(c.n_aaguid_allow, 0);
	assert_string_equal(c.login_group, "mnguard-users");

	assert_int_equal(parse(text, &c, &d), 0);
	assert_int_equal(mng_diags_count(&d), 0);
	assert_string_equal(c.rp_id, "terminal.city.example.lg.jp");
	assert_string_equal(c.credentials, "/etc/mnguard/creds");
	assert_string_equal(c.counters, "/var/lib/x/counters");
	assert_int_equal(c.fido_timeout, 2);
	assert_int_equal(c.n_aaguid_allow, 3);
	assert_int_equal(c.aaguid_allow[0][0], 0x01);
	assert_int_equal(c.aaguid_allow[1][0], 0xfe);
	assert_int_equal(c.aaguid_allow[2][15], 0x01);
	assert_string_equal(c.login_group, "mn_users-1");

	assert_int_equal(parse(bad, &c, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "t.conf:1: rp_id: not a lower-case host name\n"
				 "t.conf:2: credentials: not an absolute path\n"
				 "t.conf:3: fido_timeout: expected seconds, 1..600\n"
				 "t.conf:4: duplicate key 'fido_timeout' (first set on line 3)\n"
				 "t.conf:5: aaguid_allow: an AAGUID is 32 lower-case hex digits\n"
				 "t.conf:6: aaguid_allow: an AAGUID is 32 lower-case hex digits\n"
				 "t.conf:7: login_group: not a group name\n"
				 "t.conf:8: duplicate key 'rp_id' (first set on line 1)\n"
				 "t.conf:9: aaguid_allow: empty value\n");
	free(out);
	mng_diags_clear(&d);

	/* more AAGUIDs than the cap, five a line */
	big[0] = '\0';
	for (i = 0; i < 14; i++)
		strcat(big, "aaguid_allow = "
			    "00000000000000000000000000000001,00000000000000000000000000000002,"
			    "00000000000000000000000000000003,00000000000000000000000000000004,"
			    "00000000000000000000000000000005\n");
	assert_int_equal(parse(big, &c, &d), -EINVAL);
	out = printed(&d);
	assert_non_null(strstr(out, "t.conf:13: aaguid_allow: more than 64 AAGUIDs"));
	free(out);
	mng_diags_clear(&d);
}

/* attestation_trust_dir: optional (empty when unset), absolute, once, capped. */
static void test_trust_dir(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char line[300], *out;

	(void)state;
	assert_int_equal(mng_config_parse("", 0, "t.conf", &c, &d), 0);
	assert_string_equal(c.attestation_trust_dir, "");
	assert_int_equal(parse("attestation_trust_dir = /etc/mnguard/attestation-ca\n", &c, &d), 0);
	assert_string_equal(c.attestation_trust_dir, "/etc/mnguard/attestation-ca");
	assert_int_equal(parse("attestation_trust_dir = ca\n"
			       "attestation_trust_dir =\n"
			       "attestation_trust_dir = /a\n",
			       &c, &d),
			 -EINVAL);
	out = printed(&d);
	assert_string_equal(
	    out, "t.conf:1: attestation_trust_dir: not an absolute path\n"
		 "t.conf:2: duplicate key 'attestation_trust_dir' (first set on line 1)\n"
		 "t.conf:3: duplicate key 'attestation_trust_dir' (first set on line 1)\n");
	free(out);
	mng_diags_clear(&d);
	/* the line cap (196 bytes) bounds this key's value to 172 bytes */
	snprintf(line, sizeof(line), "attestation_trust_dir = /%0172d\n", 0);
	assert_int_equal(parse(line, &c, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "t.conf:1: line longer than 196 bytes\n");
	free(out);
	mng_diags_clear(&d);
	snprintf(line, sizeof(line), "attestation_trust_dir = /%0171d\n", 0);
	assert_int_equal(parse(line, &c, &d), 0);
	assert_int_equal(strlen(c.attestation_trust_dir), 172);
}

/* lock_on_key_removal: off by default, every boolean spelling, a bad value and a duplicate refused.
 */
static void test_lock_on_key_removal(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char *out;

	(void)state;
	assert_int_equal(mng_config_parse("", 0, "t.conf", &c, &d), 0);
	assert_false(c.lock_on_key_removal);
	assert_int_equal(parse("lock_on_key_removal = yes\n", &c, &d), 0);
	assert_true(c.lock_on_key_removal);
	assert_int_equal(parse("lock_on_key_removal = on\n", &c, &d), 0);
	assert_true(c.lock_on_key_removal);
	assert_int_equal(parse("lock_on_key_removal = no\n", &c, &d), 0);
	assert_false(c.lock_on_key_removal);

	c.lock_on_key_removal = true; /* a refused file leaves *ret untouched */
	assert_int_equal(parse("lock_on_key_removal = always\n"
			       "lock_on_key_removal = yes\n"
			       "lock_on_key_removal =\n",
			       &c, &d),
			 -EINVAL);
	assert_true(c.lock_on_key_removal);
	out = printed(&d);
	assert_string_equal(
	    out, "t.conf:1: lock_on_key_removal: expected yes or no\n"
		 "t.conf:2: duplicate key 'lock_on_key_removal' (first set on line 1)\n"
		 "t.conf:3: duplicate key 'lock_on_key_removal' (first set on line 1)\n");
	free(out);
	mng_diags_clear(&d);
}

/* The exemption keys: defaults, every accepted spelling, every refusal. */
static void test_exemption_keys(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char *out;

	(void)state;
	assert_int_equal(mng_config_parse("", 0, "t.conf", &c, &d), 0);
	assert_string_equal(c.trust_dir, "/etc/mnguard/trust");
	assert_string_equal(c.machine_id_file, "/etc/machine-id");
	assert_int_equal(c.exemption_max_lifetime, 8 * 3600);
	assert_false(c.exemption_any_terminal);
	assert_true(c.login_pass);

	assert_int_equal(parse("trust_dir = /srv/trust\n"
			       "machine_id_file = /srv/machine-id\n"
			       "exemption_max_lifetime = 90m\n"
			       "exemption_any_terminal = yes\n"
			       "login_pass = off\n",
			       &c, &d),
			 0);
	assert_string_equal(c.trust_dir, "/srv/trust");
	assert_string_equal(c.machine_id_file, "/srv/machine-id");
	assert_int_equal(c.exemption_max_lifetime, 90 * 60);
	assert_true(c.exemption_any_terminal);
	assert_false(c.login_pass);

	/* every unit, and the 7-day cap exactly */
	assert_int_equal(parse("exemption_max_lifetime = 45\n", &c, &d), 0);
	assert_int_equal(c.exemption_max_lifetime, 45);
	assert_int_equal(parse("exemption_max_lifetime = 45s\n", &c, &d), 0);
	assert_int_equal(c.exemption_max_lifetime, 45);
	assert_int_equal(parse("exemption_max_lifetime = 2d\n", &c, &d), 0);
	assert_int_equal(c.exemption_max_lifetime, 2 * 86400);
	assert_int_equal(parse("exemption_max_lifetime = 7d\n", &c, &d), 0);
	assert_int_equal(c.exemption_max_lifetime, 7 * 86400);
	assert_int_equal(parse("exemption_max_lifetime = 604800\n", &c, &d), 0);

	assert_int_equal(parse("exemption_max_lifetime = 8d\n"
			       "trust_dir = trust\n"
			       "exemption_any_terminal = maybe\n"
			       "login_pass =\n"
			       "machine_id_file = /a\n"
			       "machine_id_file = /b\n",
			       &c, &d),
			 -EINVAL);
	out = printed(&d);
	assert_string_equal(
	    out,
	    "t.conf:1: exemption_max_lifetime: expected a duration of 1s..7d (a number with s, "
	    "m, h or d)\n"
	    "t.conf:2: trust_dir: not an absolute path\n"
	    "t.conf:3: exemption_any_terminal: expected yes or no\n"
	    "t.conf:4: login_pass: expected yes or no\n"
	    "t.conf:6: duplicate key 'machine_id_file' (first set on line 5)\n");
	free(out);
	mng_diags_clear(&d);

	/* zero, a leading zero, a sign, two units, a unit alone, a huge number: all refused */
	{
		static const char *const bad[] = {"0",
						  "0h",
						  "08h",
						  "-1h",
						  "+1h",
						  "1hh",
						  "h",
						  "1 h",
						  "1H",
						  "1.5h",
						  "1w",
						  "604801",
						  "99999999999999999999999h"};
		char line[128];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(line, sizeof(line), "exemption_max_lifetime = %s\n", bad[i]);
			assert_int_equal(parse(line, &c, &d), -EINVAL);
			assert_int_equal(mng_diags_count(&d), 1);
			mng_diags_clear(&d);
		}
	}
}

/*
 * A long digit run must not wrap around into the accepted range
 * (4294967297 = 2^32 + 1): the value cap refuses it before any arithmetic.
 */
static void test_timeout_no_wrap(void **state)
{
	struct mng_config c;
	struct mng_diags d = {0};
	char *out;

	(void)state;
	assert_int_equal(parse("fido_timeout = 4294967297\n", &c, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "t.conf:1: fido_timeout: value longer than 3 bytes\n");
	free(out);
	mng_diags_clear(&d);
	assert_int_equal(parse("fido_timeout = 18446744073709551617\n", &c, &d), -EINVAL);
	mng_diags_clear(&d);
	assert_int_equal(parse("fido_timeout = x4294967297\n", &c, &d), -EINVAL);
	mng_diags_clear(&d);
	assert_int_equal(parse("fido_timeout = 601\n", &c, &d), -EINVAL);
	out = printed(&d);
	assert_string_equal(out, "t.conf:1: fido_timeout: expected seconds, 1..600\n");
	free(out);
	mng_diags_clear(&d);
	assert_int_equal(parse("fido_timeout = 600\n", &c, &d), 0);
	assert_int_equal(c.fido_timeout, 600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_all_errors),
	    cmocka_unit_test(test_nul_and_bom),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_huge_inputs),
	    cmocka_unit_test(test_unknown_key_shown_cut),
	    cmocka_unit_test(test_load_trusted),
	    cmocka_unit_test(test_fido_keys),
	    cmocka_unit_test(test_trust_dir),
	    cmocka_unit_test(test_exemption_keys),
	    cmocka_unit_test(test_lock_on_key_removal),
	    cmocka_unit_test(test_timeout_no_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
