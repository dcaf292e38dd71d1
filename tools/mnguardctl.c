// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguardctl - command-line interface to mnguard.
 *
 * This file only dispatches; each subcommand group lives in its own
 * tools/ctl_*.c file. Exit codes are documented in mnguardctl(8).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef MNG_VERSION
#define MNG_VERSION "0.1"
#endif

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct subcommand subcommands[] = {
    {"rules", ctl_rules, "rules check FILE...          check rule files, report every error"},
    {"generate-policy", ctl_generate_policy,
     "generate-policy [--target T]   print one rule per present USB device"},
    {"judge", ctl_judge, "judge [--rules PATH]...      judge present devices, print a table"},
    {"audit", ctl_audit, "audit verify FILE [--anchor F]  verify the audit chain"},
    {"status", ctl_status, "status [--json]               the agent, its policy, device counts"},
    {"list-devices", ctl_list_devices,
     "list-devices [--json]         present USB devices and what the agent decided"},
    {"list-rules", ctl_list_rules, "list-rules [--json]           the rules in force"},
    {"allow-device", ctl_allow_device,
     "allow-device ID [--permanent] authorize a device now (admin)"},
    {"block-device", ctl_block_device,
     "block-device ID [--permanent] deauthorize a device now (admin)"},
    {"reject-device", ctl_reject_device,
     "reject-device ID [--permanent] remove a device now (admin)"},
    {"policy", ctl_policy, "policy reload                 load the rules again (admin)"},
    {"watch", ctl_watch, "watch [--json]                print the agent's events as they happen"},
    {"exemption", ctl_exemption,
     "exemption redeem|request|enter|list|revoke ...  help desk exemptions (revoke: admin)"},
    {"print", ctl_print,
     "print enforce|unenforce|status [--backend-dir DIR]  the print gate's CUPS backends (root)"},
    {"key", ctl_key,
     "key list|revoke ...           FIDO2 credentials: list, revoke USER [LABEL|--id ID] (root)"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mnguardctl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %s\n", subcommands[i].synopsis);
	fprintf(f, "\n  --socket PATH (before or after the command: the agent's socket)\n"
		   "  --help, --version\n");
}

int main(int argc, char **argv)
{
	size_t i;

	/* Global options before the command. */
	while (argc >= 2 && !strncmp(argv[1], "--socket", 8)) {
		if (argv[1][8] == '=' && argv[1][9]) {
			ctl_set_socket(argv[1] + 9);
			ctl_key_set_socket(argv[1] + 9);
			ctl_exempt_set_socket(argv[1] + 9);
			argv++;
			argc--;
		} else if (!argv[1][8] && argc >= 3 && argv[2][0]) {
			ctl_set_socket(argv[2]);
			ctl_key_set_socket(argv[2]);
			ctl_exempt_set_socket(argv[2]);
			argv += 2;
			argc -= 2;
		} else {
			fprintf(stderr, "mnguardctl: --socket needs a path\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mnguardctl %s\n", MNG_VERSION);
		return CTL_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mnguardctl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
