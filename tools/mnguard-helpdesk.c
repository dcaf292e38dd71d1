// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguard-helpdesk - the help desk's tool (mnguard-helpdesk(1)).
 *
 * This file only dispatches; each subcommand lives in its own
 * tools/helpdesk_*.c file. Exit codes are in helpdesk.h.
 */
#include <stdio.h>
#include <string.h>

#include "helpdesk.h"

#ifndef MNG_VERSION
#define MNG_VERSION "0.1"
#endif

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct subcommand subcommands[] = {
    {"enroll", hd_enroll,
     "enroll --user U [--label L] [--rp-id ID | --config FILE] [--credentials FILE]\n"
     "         [--trust-dir DIR] [--operator NAME] [--no-uv] [--type es256|eddsa]\n"
     "         [--log FILE] [--socket PATH]\n"
     "                 make a credential on the plugged-in key, verify its attestation,\n"
     "                 add it to the credential file"},
    {"keygen", hd_keygen,
     "keygen [--dir DIR]\n"
     "                 make the help desk key, the policy key and the phone master secret"},
    {"issue", hd_issue,
     "issue --terminal MACHINE-ID|* --user U --scope usb|print|clipboard|login\n"
     "         [--rule RULE | --printer QUEUE] [--not-before T] [--not-after T | --for DURATION]\n"
     "         [--uses N] --ticket T --reason TEXT [--operator NAME] [--key FILE]\n"
     "         [--out FILE] [--log FILE] [--max-lifetime DURATION] [--allow-any-terminal]\n"
     "                 sign an exemption token"},
    {"phone", hd_phone,
     "phone respond REQUEST-CODE --terminal MACHINE-ID --user U --ticket T\n"
     "         [--reason TEXT] [--operator NAME] [--master FILE] [--log FILE]\n"
     "         [--max-lifetime DURATION]\n"
     "       phone terminal-key --terminal MACHINE-ID [--master FILE]\n"
     "                 answer a phone request code; print a terminal's phone key"},
    {"policy", hd_policy,
     "policy sign DIR --version N [--key FILE] [--out FILE] [--created T]\n"
     "                 check the rules in DIR and sign them, with mnguard.conf and the\n"
     "                 help desk keys, into a policy bundle"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mnguard-helpdesk COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %s\n", subcommands[i].synopsis);
	fprintf(f, "\n  --help, --version\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HD_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mnguard-helpdesk %s\n", MNG_VERSION);
		return HD_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mnguard-helpdesk: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return HD_EXIT_USAGE;
}
