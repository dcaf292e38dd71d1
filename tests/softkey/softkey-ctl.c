// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * softkey-ctl: creates and edits the state file of the software authenticator.
 *
 *   softkey-ctl init STATE [--pin PIN] [--aaguid HEX]
 *   softkey-ctl set STATE KEY=VALUE...
 *   softkey-ctl show STATE
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "softkey.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: softkey-ctl init STATE [--pin PIN] [--aaguid HEX]\n"
		"       softkey-ctl set STATE KEY=VALUE...\n"
		"       softkey-ctl show STATE\n"
		"keys: pin, pin_retries, counter, aaguid, no_uv, no_up, bad_sig, bad_attest,\n"
		"      stale_counter, zero_counter, no_touch, builtin_uv, keepalive_storm,\n"
		"      touch_delay_ms, touch_timeout_ms\n");
}

static int cmd_init(int argc, char **argv)
{
	struct softkey_state st;
	const char *pin = NULL, *aaguid = NULL;
	int r;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) {
			pin = argv[++i];
		} else if (strcmp(argv[i], "--aaguid") == 0 && i + 1 < argc) {
			aaguid = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if ((r = softkey_state_new(&st, pin, NULL)) < 0) {
		fprintf(stderr, "softkey-ctl: cannot make a key: %s\n", strerror(-r));
		return 1;
	}
	if (aaguid != NULL && softkey_state_set(&st, "aaguid", aaguid) < 0) {
		fprintf(stderr, "softkey-ctl: bad --aaguid \"%s\": want 32 hex digits\n", aaguid);
		softkey_state_wipe(&st);
		return 2;
	}
	r = softkey_state_save(argv[2], &st);
	softkey_state_wipe(&st);
	if (r < 0) {
		fprintf(stderr, "softkey-ctl: %s: %s\n", argv[2], strerror(-r));
		return 1;
	}
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	struct softkey_state st;
	int lk, r, rc = 0;

	if (argc < 4) {
		usage();
		return 2;
	}
	if ((lk = softkey_state_lock(argv[2])) < 0) {
		fprintf(stderr, "softkey-ctl: %s: %s\n", argv[2], strerror(-lk));
		return 1;
	}
	if ((r = softkey_state_load(argv[2], &st)) < 0) {
		fprintf(stderr, "softkey-ctl: %s: cannot load: %s\n", argv[2], strerror(-r));
		softkey_state_unlock(lk);
		return 1;
	}
	for (int i = 3; i < argc && rc == 0; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL) {
			fprintf(stderr, "softkey-ctl: \"%s\": want KEY=VALUE\n", argv[i]);
			rc = 2;
			break;
		}
		*eq = '\0';
		if (strcmp(argv[i], "secret") == 0 || strcmp(argv[i], "attest_key") == 0 ||
		    softkey_state_set(&st, argv[i], eq + 1) < 0) {
			fprintf(stderr, "softkey-ctl: bad setting \"%s\"\n", argv[i]);
			rc = 2;
		}
		*eq = '=';
	}
	if (rc == 0 && (r = softkey_state_save(argv[2], &st)) < 0) {
		fprintf(stderr, "softkey-ctl: %s: %s\n", argv[2], strerror(-r));
		rc = 1;
	}
	softkey_state_wipe(&st);
	softkey_state_unlock(lk);
	return rc;
}

static int cmd_show(char **argv)
{
	struct softkey_state st;
	char *text;
	int r;

	if ((r = softkey_state_load(argv[2], &st)) < 0) {
		fprintf(stderr, "softkey-ctl: %s: cannot load: %s\n", argv[2], strerror(-r));
		return 1;
	}
	r = softkey_state_format(&st, false, &text);
	softkey_state_wipe(&st);
	if (r < 0) {
		fprintf(stderr, "softkey-ctl: %s\n", strerror(-r));
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(argv[1], "set") == 0)
		return cmd_set(argc, argv);
	if (strcmp(argv[1], "show") == 0 && argc == 3)
		return cmd_show(argv);
	usage();
	return 2;
}
