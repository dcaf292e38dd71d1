// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config.c - libFuzzer harness for the mnguard.conf parser.
 *
 * Any bytes are parsed as a configuration. The parser must not crash,
 * leak or read past the input; a success must give NUL-terminated values
 * with absolute paths and a socket path that fits sun_path, and a failure
 * must come with at least one diagnostic and leave the output untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p, size_t size, size_t max)
{
	size_t len = strnlen(p, size);

	if (len == size || len == 0 || len > max || p[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_config c;
	struct mng_diags d = {0};
	int r;

	memset(&c, 0xa5, sizeof(c));
	r = mng_config_parse((const char *)data, size, "fuzz.conf", &c, &d);
	if (r == 0) {
		if (mng_diags_count(&d) != 0)
			abort();
		check_path(c.rules_dir, sizeof(c.rules_dir), MNG_CONFIG_VALUE_MAX);
		check_path(c.audit_log, sizeof(c.audit_log), MNG_CONFIG_VALUE_MAX);
		check_path(c.socket, sizeof(c.socket), MNG_CONFIG_SOCKET_MAX);
		check_path(c.state_dir, sizeof(c.state_dir), MNG_CONFIG_VALUE_MAX);
		if (strnlen(c.helpdesk_contact, sizeof(c.helpdesk_contact)) ==
		    sizeof(c.helpdesk_contact))
			abort();
		/* optional: empty, or an absolute path */
		if (c.attestation_trust_dir[0])
			check_path(c.attestation_trust_dir, sizeof(c.attestation_trust_dir),
				   MNG_CONFIG_VALUE_MAX);
		else if (strnlen(c.attestation_trust_dir, sizeof(c.attestation_trust_dir)) != 0)
			abort();
	} else {
		if (mng_diags_count(&d) == 0 || (unsigned char)c.rules_dir[0] != 0xa5)
			abort();
	}
	mng_diags_clear(&d);
	return 0;
}
