#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguardctl end to end: exit codes, diagnostics a person reads, and the
# verdicts the shipped baseline gives the devices of the umockdev testbed.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
D=tests/data/umockdev
TB="-d $D/usbguard-devices.umockdev -d $D/demo-devices.umockdev"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# rules.d as on a terminal: local approvals (50-) before the baseline (90-).
mkdir "$T/base.d" "$T/local.d"
cp rules/mynumber-terminal.rules "$T/base.d/90-mynumber-terminal.rules"
cp rules/mynumber-terminal.rules "$T/local.d/90-mynumber-terminal.rules"
cp rules/examples/50-local.rules "$T/local.d/50-local.rules"
BASE="--rules $T/base.d"
LOCAL="--rules $T/local.d"

check() { # name, command...: pass when the command succeeds
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then echo "PASS: $n"; else
		echo "FAIL: $n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

# ---- rules check ----
check "shipped rules are clean" $CTL rules check rules/mynumber-terminal.rules rules/examples/50-local.rules
printf 'allow id 1234:5678\nallow name "x\nallow with-interface 08:*\nblock\n' >"$T/bad.rules"
$CTL rules check "$T/bad.rules" >"$T/o" 2>"$T/e"
rc=$?
check "rules check exits 1 on errors" test "$rc" = 1
check "every error is reported, each with file:line:col" \
	sh -c "grep -q '^$T/bad.rules:2:[0-9]*: ' '$T/e' && grep -q '^$T/bad.rules:3:[0-9]*: ' '$T/e'"
check "good lines around the errors are not reported" sh -c "! grep -q ':[14]:[0-9]*: ' '$T/e'"
check "rules check reads stdin" sh -c "echo 'allow id 0781:5567 mode ro' | $CTL rules check -"
check "rules check - rejects a bad rule on stdin" sh -c "! echo 'allow id 0781' | $CTL rules check - 2>/dev/null"
$CTL rules check "$T/missing.rules" >/dev/null 2>&1
check "a missing file is an error (exit 1)" test $? = 1
$CTL rules >/dev/null 2>&1
check "usage error exits 2" test $? = 2
$CTL no-such-command >/dev/null 2>&1
check "unknown command exits 2" test $? = 2

# ---- generate-policy on the recorded tree: USBGuard's own hashes ----
umockdev-run -d $D/usbguard-devices.umockdev -- $CTL generate-policy >"$T/gen" 2>"$T/gen.err"
check "generate-policy runs in a umockdev testbed" test -s "$T/gen"
grep -v '^#' tests/data/usbguard/devices.expected-rules | cut -f2 | while read -r _ rest; do
	id=$(echo "$rest" | sed 's/^id \([^ ]*\) .*/\1/')
	h=$(echo "$rest" | sed 's/.* hash \("[^"]*"\).*/\1/')
	if grep -q "id $id .*hash $h" "$T/gen"; then echo "PASS: generate-policy hash of $id"; else
		echo "FAIL: generate-policy hash of $id (want $h)"
	fi
done
check "generated rules parse" $CTL rules check "$T/gen"

# ---- judge: the baseline against the testbed ----
umockdev-run $TB -- $CTL judge $BASE >"$T/j" 2>&1
row() { grep "^$1 " "$T/j"; }
# The verdict is the first of these words after the name column (names may hold spaces).
verdict() { row "$1" | cut -c50- | grep -oE '^ *(allow|allow,ro|allow-part|allow-part,ro|block|reject) ' | tr -d ' '; }
[ "$(verdict usb1)" = allow ] && echo "PASS: root hub allowed" || echo "FAIL: root hub allowed"
[ "$(verdict 1-4.2)" = allow ] && echo "PASS: trackball allowed" || echo "FAIL: trackball allowed"
[ "$(verdict 1-4.1.1)" = block ] && echo "PASS: USB stick blocked" || echo "FAIL: USB stick blocked"
n=$(grep -n '^block with-interface one-of { 08:\*:\* }' rules/mynumber-terminal.rules | cut -d: -f1)
row 1-4.1.1 | grep -q "90-mynumber-terminal.rules:$n\$" && echo "PASS: stick blocked by the mass-storage rule" ||
	echo "FAIL: stick blocked by the mass-storage rule (line $n)"
[ "$(verdict 1-4.1.4)" = allow-part ] && echo "PASS: keyboard+storage keeps only the keyboard" ||
	echo "FAIL: keyboard+storage keeps only the keyboard"
row 1-4.1.4 | grep -q ' 1/2 ' && echo "PASS: composite: 1 of 2 interfaces authorised" ||
	echo "FAIL: composite: 1 of 2 interfaces authorised"
[ "$(verdict 1-4.1.5)" = block ] && echo "PASS: phone (MTP+RNDIS) blocked" || echo "FAIL: phone blocked"
row 1-4.1.6 | grep -q 'allow .* 3/3 ' && echo "PASS: security key keeps HID and CCID" ||
	echo "FAIL: security key keeps HID and CCID"
[ "$(verdict 1-8)" = block ] && echo "PASS: camera blocked by the baseline" ||
	echo "FAIL: camera blocked by the baseline"
row 1-4.2 | grep -q '90-mynumber-terminal.rules:[0-9]' && echo "PASS: deciding rule named file:line" ||
	echo "FAIL: deciding rule named file:line"

# ---- judge with the local example rules: ro stick, group condition, expiry ----
umockdev-run $TB -- $CTL judge $LOCAL --time 2026-11-25T03:00:00Z >"$T/j" 2>&1
[ "$(verdict 1-4.1.2)" = allow,ro ] && echo "PASS: approved stick allowed read-only" ||
	echo "FAIL: approved stick allowed read-only"
row 1-4.1.2 | grep -q 'ticket "INC-2026-0042"' && echo "PASS: ticket shown with the rule" ||
	echo "FAIL: ticket shown with the rule"
[ "$(verdict 1-4.1.1)" = block ] && echo "PASS: other stick of the same model still blocked" ||
	echo "FAIL: other stick of the same model still blocked"
[ "$(verdict 1-8)" = block ] && echo "PASS: camera blocked with nobody logged in" ||
	echo "FAIL: camera blocked with nobody logged in"
umockdev-run $TB -- $CTL judge $LOCAL --time 2026-11-25T03:00:00Z --user tanaka \
	--group counter-staff >"$T/j" 2>&1
[ "$(verdict 1-8)" = allow ] && echo "PASS: camera allowed for group counter-staff" ||
	echo "FAIL: camera allowed for group counter-staff"
umockdev-run $TB -- $CTL judge $LOCAL --time 2027-04-01T00:00:00Z --user tanaka \
	--group counter-staff >"$T/j" 2>&1
[ "$(verdict 1-8)" = block ] && echo "PASS: camera rule expired" || echo "FAIL: camera rule expired"

# ---- a broken policy judges nothing ----
umockdev-run $TB -- $CTL judge --rules "$T/bad.rules" >"$T/j" 2>&1
rc=$?
check "judge refuses a broken policy (exit 1)" test "$rc" = 1
check "judge names the errors" grep -q "bad.rules:2:" "$T/j"
check "judge printed no verdicts for a broken policy" sh -c "! grep -q '^usb1 ' '$T/j'"
