#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Part of make demo, run inside umockdev-run: start the real mnguardd on the
# testbed, show what it enforced (list-devices, and the kernel's own
# "authorized" files), stop it and verify its audit log.
# Usage: demo-agent.sh DEMO_DIR (absolute; holds rules.d/)
set -eu
CTL=${MNG_CTL:-build/default/mnguardctl}
AGENT=${MNG_AGENT:-build/default/mnguardd}
DIR=$1
SOCK=$DIR/mnguardd.sock
cat >"$DIR/mnguard.conf" <<CONF
rules_dir = $DIR/rules.d
audit_log = $DIR/log/audit.log
socket = $SOCK
state_dir = $DIR/state
helpdesk_contact = 情報政策課 ヘルプデスク 内線 1234
CONF
chmod 0644 "$DIR/mnguard.conf"

"$AGENT" --foreground --config "$DIR/mnguard.conf" >"$DIR/mnguardd.out" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
# Wait until the agent answers (it answers once every present device is judged).
i=0
until "$CTL" --socket "$SOCK" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "mnguardd did not come up:" >&2
		cat "$DIR/mnguardd.out" >&2
		exit 1
	fi
	sleep 0.1
done

echo "\$ mnguardctl list-devices"
"$CTL" --socket "$SOCK" list-devices
echo
echo "\$ mnguardctl status"
"$CTL" --socket "$SOCK" status || true
echo
echo "What the kernel interface now says (sysfs in the testbed):"
for d in /sys/bus/usb/devices/*; do
	n=$(basename "$d")
	if [ -f "$d/authorized" ]; then
		printf '  %-10s authorized=%s' "$n" "$(cat "$d/authorized")"
		[ -f "$d/authorized_default" ] &&
			printf '  authorized_default=%s interface_authorized_default=%s' \
				"$(cat "$d/authorized_default")" "$(cat "$d/interface_authorized_default" 2>/dev/null || echo -)"
		echo
	fi
done
stop
trap - EXIT
echo
echo "\$ mnguardctl audit verify $DIR/log/audit.log --anchor $DIR/state/audit.anchor"
"$CTL" audit verify "$DIR/log/audit.log" --anchor "$DIR/state/audit.anchor"
echo "Last records of the audit log:"
tail -n 4 "$DIR/log/audit.log" | cut -c1-220
