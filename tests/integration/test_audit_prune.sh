#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguardctl audit prune end to end: a terminal's log directory with files of
# 2015 and 2016 (written by tests/integration/audit_fleet.py) and a current
# log; the retention from mnguard.conf (audit_retention) or --retention; the
# removal recorded as audit.prune; verify and report across what remains; a
# log held by another writer (the agent) is left alone.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
T=$(mktemp -d)
failures=0
trap '[ -n "${MNG_KEEP:-}" ] || rm -rf "$T"' EXIT
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}
check() {
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then pass "$n"; else
		fail "$n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}
if [ "$(id -u)" != 0 ]; then
	fail "audit prune reads mnguard.conf as a trusted file: run as root"
	exit 1
fi
setup() { # retention line or ""
	rm -rf "$T/log" "$T/state"
	mkdir -p "$T/log" "$T/state"
	python3 tests/integration/audit_fleet.py --chain "$T/log/audit.log" &&
		mv "$T/log/anchor" "$T/state/audit.anchor" &&
		printf 'audit_log = %s\nstate_dir = %s\n%s\n' "$T/log/audit.log" "$T/state" "$1" \
			>"$T/mnguard.conf" && chmod 0644 "$T/mnguard.conf"
}
C="--config $T/mnguard.conf"

setup ""
check "the old files verify as one chain" "$CTL" audit verify "$T/log/audit.log.2" \
	"$T/log/audit.log.1" "$T/log/audit.log" --anchor "$T/state/audit.anchor"

"$CTL" audit prune $C --dry-run >"$T/dry" 2>&1
check "dry run: exit 0" test $? = 0
check "dry run: both old files would go (default 5y = 1830 days)" sh -c \
	"grep -q 'retention 1830 days' '$T/dry' && grep -q '^would remove audit.log.2' '$T/dry' &&
	 grep -q '^would remove audit.log.1' '$T/dry'"
check "dry run: nothing removed" test -e "$T/log/audit.log.2"

flock -o "$T/log/audit.log" sleep 3 &
HOLDER=$!
sleep 0.3
"$CTL" audit prune $C >"$T/busy" 2>&1
rc=$?
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
check "a log held by the agent: exit 1, nothing removed" sh -c \
	"test $rc = 1 && grep -q 'mnguardd holds' '$T/busy' && test -e '$T/log/audit.log.2'"

"$CTL" audit prune $C >"$T/run" 2>&1
check "prune: exit 0" test $? = 0
check "prune: the 2015 and 2016 files are gone, the current log stays" sh -c \
	"test ! -e '$T/log/audit.log.2' && test ! -e '$T/log/audit.log.1' && test -s '$T/log/audit.log'"
check "prune: two audit.prune records name the files, seq ranges and hashes" sh -c \
	"test \$(grep -c '\"event\":\"audit.prune\"' '$T/log/audit.log') = 2 &&
	 grep -q 'file \\\\\"audit.log.2\\\\\" seq 1-2 last_sha256 [0-9a-f]\\{64\\}' '$T/log/audit.log'"
check "the remaining log verifies, with its anchor" "$CTL" audit verify "$T/log/audit.log" \
	--anchor "$T/state/audit.anchor"
"$CTL" audit report "$T/log" >"$T/r.csv" 2>"$T/r.err"
check "audit report: verified (exit 0), the head removed by retention" sh -c \
	"test $? = 0 && grep -q 'records 1-4 were removed by retention (audit.prune, seq' '$T/r.csv'"
"$CTL" audit prune $C >"$T/again" 2>&1
check "prune again: nothing to remove" grep -q "nothing to remove" "$T/again"

setup "audit_retention = 20y"
"$CTL" audit prune $C >/dev/null 2>&1
check "audit_retention = 20y keeps 2015" test -e "$T/log/audit.log.2"
"$CTL" audit prune $C --retention forever >"$T/f" 2>&1
check "--retention forever removes nothing" sh -c "grep -q forever '$T/f' && test -e '$T/log/audit.log.2'"
"$CTL" audit prune $C --retention 3y >/dev/null 2>&1
check "--retention 3y overrides the file" test ! -e "$T/log/audit.log.2"
"$CTL" audit prune $C --retention 5 >/dev/null 2>&1
check "--retention without a unit is a usage error (2)" test $? = 2
setup "audit_retention = 5 years"
"$CTL" audit prune $C >"$T/bad" 2>&1
check "a bad audit_retention in mnguard.conf: exit 1 with file:line" sh -c \
	"test $? = 1 && grep -q 'mnguard.conf:3: audit_retention' '$T/bad'"
chmod 0666 "$T/mnguard.conf"
"$CTL" audit prune $C >/dev/null 2>&1
check "a world-writable mnguard.conf is refused" test $? = 1
[ "$failures" = 0 ]
