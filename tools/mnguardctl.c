// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mnguardctl - command-line interface to mnguard.
 *
 * This file only dispatches; each subcommand group lives in its own
 * tools/ctl_*.c file. Exit codes are documented in mnguardctl(8).
 */
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef LOCALEDIR
#error "LOCALEDIR must be defined at build time (the Makefile passes it)"
#endif

#ifndef MNG_VERSION
#define MNG_VERSION "0.1"
#endif

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct subcommand subcommands[] = {
    {"rules", ctl_rules, N_("rules check FILE...          check rule files, report every error")},
    {"generate-policy", ctl_generate_policy,
     N_("generate-policy [--target T]   print one rule per present USB device")},
    {"judge", ctl_judge, N_("judge [--rules PATH]...      judge present devices, print a table")},
    {"audit", ctl_audit, N_("audit verify FILE [--anchor F]  verify the audit chain")},
    {"status", ctl_status,
     N_("status [--json]               the agent, its policy, device counts")},
    {"list-devices", ctl_list_devices,
     N_("list-devices [--json]         present USB devices and what the agent decided")},
    {"list-rules", ctl_list_rules, N_("list-rules [--json]           the rules in force")},
    {"allow-device", ctl_allow_device,
     N_("allow-device ID [--permanent] authorize a device now (admin)")},
    {"block-device", ctl_block_device,
     N_("block-device ID [--permanent] deauthorize a device now (admin)")},
    {"reject-device", ctl_reject_device,
     N_("reject-device ID [--permanent] remove a device now (admin)")},
    {"policy", ctl_policy, N_("policy reload                 load the rules again (admin)")},
    {"watch", ctl_watch,
     N_("watch [--json]                print the agent's events as they happen")},
    {"exemption", ctl_exemption,
     N_("exemption redeem|request|enter|list|revoke ...  help desk exemptions (revoke: admin)")},
    {"print", ctl_print,
     N_("print enforce|unenforce|status [--backend-dir DIR]  the print gate's CUPS backends "
	"(root)")},
    {"key", ctl_key,
     N_("key list|revoke ...           FIDO2 credentials: list, revoke USER [LABEL|--id ID] "
	"(root)")},
};

static void usage(FILE *f)
{
	size_t i;

	fputs(_("usage: mnguardctl COMMAND [ARGS...]\n\ncommands:\n"), f);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %s\n", _(subcommands[i].synopsis));
	fputs(_("\n  --socket PATH (before or after the command: the agent's socket)\n"
		"  --help, --version\n"),
	      f);
}

/*
 * Messages in the user's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), from
 * the catalogue installed under LOCALEDIR, which is fixed at build time and
 * never taken from the environment. Numbers are read and written as in the
 * C locale whatever the user's locale says: rule files hold "1.5", not "1,5".
 */
static void init_locale(void)
{
	(void)setlocale(LC_ALL, "");
	(void)setlocale(LC_NUMERIC, "C");
	(void)bindtextdomain("mnguard", LOCALEDIR);
	(void)bind_textdomain_codeset("mnguard", "UTF-8");
	(void)textdomain("mnguard");
}

int main(int argc, char **argv)
{
	size_t i;

	init_locale();

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
			fputs(_("mnguardctl: --socket needs a path\n"), stderr);
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
	fprintf(stderr, _("mnguardctl: unknown command \"%s\"\n"), argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
