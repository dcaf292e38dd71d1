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
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mnguardctl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %s\n", subcommands[i].synopsis);
	fprintf(f, "\n  --help, --version\n");
}

int main(int argc, char **argv)
{
	size_t i;

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
