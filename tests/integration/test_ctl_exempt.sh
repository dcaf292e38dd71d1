#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguardctl exemption: usage errors (2), an agent that is not there (3), and
# token files that cannot be tokens (1), without any agent; the agent's side
# is tested by test_agent_exempt. Prints PASS:/FAIL: lines.
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S="--socket $T/none.sock"

rc() { # name, expected status, command...
	n=$1
	want=$2
	shift 2
	"$@" >"$T/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then echo "PASS: $n"; else
		echo "FAIL: $n (exit $got, expected $want)"
		sed 's/^/    /' "$T/out" | head -10
	fi
}

rc "exemption without a subcommand is a usage error" 2 $CTL exemption
rc "unknown subcommand" 2 $CTL exemption frobnicate
rc "redeem needs one argument" 2 $CTL $S exemption redeem
rc "redeem takes no --ticket" 2 $CTL $S exemption redeem mngx1.a.b --ticket X
rc "request takes one subject only" 2 $CTL $S exemption request --clipboard --printer q
rc "request --uses is 1..9" 2 $CTL $S exemption request --uses 10
rc "request --minutes is a number" 2 $CTL $S exemption request --minutes soon
rc "enter needs --ticket" 2 $CTL $S exemption enter 12345-12345-12345
rc "revoke needs a 32-hex id" 2 $CTL $S exemption revoke 1234
rc "revoke refuses upper case" 2 $CTL $S exemption revoke 0123456789ABCDEF0123456789abcdef
rc "redeem: no agent is exit 3" 3 $CTL $S exemption redeem mngx1.a.b
rc "list: no agent is exit 3" 3 $CTL $S exemption list
rc "request: no agent is exit 3" 3 $CTL exemption request --socket "$T/none.sock"
: >"$T/empty"
rc "an empty token file is refused" 1 $CTL $S exemption redeem "$T/empty"
head -c 20000 /dev/zero | tr '\0' 'A' >"$T/big"
rc "a token file over 16 KiB is refused" 1 $CTL $S exemption redeem "$T/big"
printf 'mngx1.a\0b\n' >"$T/nul"
rc "a token file with a NUL byte is refused" 1 $CTL $S exemption redeem "$T/nul"
rc "a missing token file is refused" 1 $CTL $S exemption redeem "$T/missing"
rc "help is exit 0" 0 $CTL exemption --help
