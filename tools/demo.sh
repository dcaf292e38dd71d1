#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: judge the shipped baseline policy (plus the example local rules)
# against a recorded device tree in a umockdev testbed, and print what the
# terminal would do with each device. Nothing on this machine is changed.
set -eu
CTL=${MNG_CTL:-build/default/mnguardctl}
D=tests/data/umockdev
TB="-d $D/usbguard-devices.umockdev -d $D/demo-devices.umockdev"
# A rules.d laid out as on a terminal: local approvals first, the baseline last.
RD=build/demo/rules.d
rm -rf build/demo
mkdir -p "$RD"
cp rules/examples/50-local.rules "$RD/50-local.rules"
cp rules/mynumber-terminal.rules "$RD/90-mynumber-terminal.rules"
RULES="--rules $RD"

echo "== mnguard demo: USB policy on a My Number terminal (個人番号利用事務系端末)"
echo
echo "-- 1. Check the policy files (mnguardctl rules check)"
$CTL rules check "$RD"
echo
echo "-- 2. Devices in the testbed: a recorded ThinkPad with its dock, plus a USB stick,"
echo "      an approved stick, a keyboard that is also a stick, a phone and a security key"
echo "      (mnguardctl generate-policy, USBGuard-compatible hashes)"
# shellcheck disable=SC2086
umockdev-run $TB -- $CTL generate-policy --no-hash | cut -c1-150
echo
echo "-- 3. Verdicts with nobody logged in (mnguardctl judge)"
# shellcheck disable=SC2086
umockdev-run $TB -- $CTL judge $RULES
echo
echo "-- 4. The same devices while a member of group counter-staff is logged in"
# shellcheck disable=SC2086
umockdev-run $TB -- $CTL judge $RULES --user tanaka --group counter-staff
echo
echo "-- 5. A broken rule is reported with file:line:col and the policy is not loaded"
printf 'allow id 0781:5567 serial "unterminated\nallow with-interface 08:*\n' > "$RD/60-typo.rules"
if $CTL rules check "$RD/60-typo.rules"; then
	echo "unexpected: the broken file was accepted" >&2
	exit 1
fi
echo
echo "-- 6. The real agent (mnguardd) on the same testbed: it enforces through sysfs"
rm -f "$RD/60-typo.rules"
# shellcheck disable=SC2086
umockdev-run $TB -- sh tools/demo-agent.sh "$(pwd)/build/demo"
echo
echo "Legend: allow = authorised; allow-part = only the listed interfaces get a driver"
echo "(the rest stay unauthorised); ro = block devices are set read-only; block ="
echo "authorized stays 0; IFACES = interfaces authorised / interfaces present."
