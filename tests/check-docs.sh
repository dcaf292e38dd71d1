#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Documentation checks: every man page is clean under mandoc -Tlint, and
# every mnguardctl and mnguard-helpdesk subcommand and long option, and
# every rule keyword the parser accepts, is documented. Prints PASS:/FAIL: lines.
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
fail() { echo "FAIL: $*"; }
pass() { echo "PASS: $*"; }

for m in docs/*.[1-8] packaging/man/*.[1-8]; do
	if out=$(mandoc -Tlint -Wwarning "$m" 2>&1) && [ -z "$out" ]; then
		pass "mandoc lint $m"
	else
		fail "mandoc lint $m"
		echo "$out"
	fi
done

# Subcommands, as mnguardctl --help lists them.
for c in $("$CTL" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
	if grep -q "^\.Cm $c\b" docs/mnguardctl.8; then
		pass "mnguardctl.8 documents command $c"
	else
		fail "mnguardctl.8 does not document command $c"
	fi
done

# Long options from the option tables in tools/ctl_*.c.
for o in $(sed -n 's/.*{"\([a-z][a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' tools/ctl_*.c | sort -u); do
	[ "$o" = help ] && continue
	if grep -q "Fl -$o\b" docs/mnguardctl.8; then
		pass "mnguardctl.8 documents --$o"
	else
		fail "mnguardctl.8 does not document --$o"
	fi
done

# mnguard-helpdesk: its commands (from --help) and the long options of
# tools/helpdesk_*.c are in mnguard-helpdesk.1.
HD=${MNG_HELPDESK:-build/default/mnguard-helpdesk}
if [ -x "$HD" ]; then
	for c in $("$HD" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
		if grep -q "^\.Cm $c\b" docs/mnguard-helpdesk.1; then
			pass "mnguard-helpdesk.1 documents command $c"
		else
			fail "mnguard-helpdesk.1 does not document command $c"
		fi
	done
else
	fail "mnguard-helpdesk not built ($HD)"
fi
for o in $(sed -n 's/.*{"\([a-z][a-z-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' tools/helpdesk_*.c | sort -u); do
	[ "$o" = help ] && continue
	if grep -q "Fl -$o\b" docs/mnguard-helpdesk.1; then
		pass "mnguard-helpdesk.1 documents --$o"
	else
		fail "mnguard-helpdesk.1 does not document --$o"
	fi
done

# Rule language keywords (USBGuard's and mnguard's extensions).
for k in allow block reject match device id hash parent-hash name serial via-port \
	with-interface with-connect-type label all-of one-of none-of equals equals-ordered \
	match-all localtime allowed-matches rule-applied rule-evaluated random true false \
	mode allow-interface user group expires ticket; do
	if grep -q "\b$k\b" docs/mnguard.rules.5 2>/dev/null; then
		pass "mnguard.rules.5 documents $k"
	else
		fail "mnguard.rules.5 does not document $k"
	fi
done
