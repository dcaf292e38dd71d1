#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguard-session end to end: a real Xvfb, xclip and xsel as the
# applications, a real notification server (dunst) on a private session bus,
# and the real mnguardd on a umockdev testbed (so no device of this machine
# is touched). Covers: ASCII and full-width individual numbers withheld (the
# paste gives the notice), clean text, a wrong check digit and a corporate
# number passing, PRIMARY as well as CLIPBOARD, the audit records (counts,
# never the digits), a clipboard exemption allowing, "clipboard block"
# blocking everything, the Japanese notification of a blocked USB device
# (what, why, how to ask, whom to call) reaching the server, and the guard
# going on with its last policy while the agent is gone. Lock on key
# removal: the security key of the seat's session leaves (its sysfs
# directory removed, found by the next rescan), the agent's LockSession call
# reaches a stand-in for logind (tests/session/logind-stub.c on a private
# dbus-daemon with a system bus's policy; it is not logind, and nothing here
# shows a screen being locked) and the Japanese "key removed, session
# locked" notification reaches the server. The warning 10 minutes before an
# exemption ends arrives on time (a 605-second exemption: about 5 s after it
# was issued, from the exemption timer) and a revoked clipboard exemption
# stops allowing at once (long before the helper's 30-second refresh).
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
SESSION=${MNG_SESSION:-build/default/mnguard-session}
AGENT=${MNG_AGENT:-build/default/mnguardd}
CTL=${MNG_CTL:-build/default/mnguardctl}
HD=${MNG_HELPDESK:-build/default/mnguard-helpdesk}
BUILD=${MNG_BUILD:-build/default}
STUB=${MNG_LOGIND_STUB:-$BUILD/tests/logind-stub}
SRC=$(pwd)

if [ "${1:-}" != inner ]; then
	for t in Xvfb xclip xsel dunst dbus-daemon dbus-monitor umockdev-run localedef python3; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "FAIL: test_session needs $t (apt-get install xvfb xclip xsel dunst dbus umockdev locales)"
			exit 1
		fi
	done
	D=tests/data/umockdev
	exec umockdev-run -d "$D/usbguard-devices.umockdev" -d "$D/demo-devices.umockdev" -- \
		sh "$0" inner
fi

T=$(mktemp -d /tmp/mng-session-XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	[ -n "${2:-}" ] && printf '      %s\n' "$2"
}
check() { # name command...
	n=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n"; fi
}

# ---- the Japanese locale, built here (nothing installed system-wide) ----
mkdir -p "$T/locale"
localedef -i ja_JP -f UTF-8 "$T/locale/ja_JP.UTF-8" >/dev/null 2>&1
export LOCPATH="$T/locale"

# ---- X server, session bus, notification server ----
N=$((90 + $$ % 100))
Xvfb ":$N" -nolisten tcp -screen 0 640x480x24 >"$T/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
export DISPLAY=":$N"
i=0
until xsel -b -o >/dev/null 2>&1 || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
dbus-daemon --session --fork --print-address=1 --print-pid=1 >"$T/bus" 2>&1
DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p "$T/bus")
export DBUS_SESSION_BUS_ADDRESS
PIDS="$PIDS $(sed -n 2p "$T/bus")"
dbus-monitor --session "interface='org.freedesktop.Notifications',member='Notify'" \
	>"$T/notify.log" 2>&1 &
PIDS="$PIDS $!"
mkdir -p "$T/xdg/dunst"
printf '[global]\n    font = Monospace 8\n' >"$T/xdg/dunst/dunstrc"
XDG_CONFIG_HOME="$T/xdg" dunst >"$T/dunst.log" 2>&1 &
PIDS="$PIDS $!"

# ---- a private system bus and the stand-in for logind (not logind: it records LockSession) ----
dbus-daemon --config-file="$SRC/tests/session/system-bus.conf" --address="unix:path=$T/system_bus" \
	--nofork --nopidfile >"$T/system-bus.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until [ -S "$T/system_bus" ] || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/system_bus" "$STUB" "$T/lock-calls" "$T/stub-ready" \
	>"$T/stub.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until [ -e "$T/stub-ready" ] || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
[ -e "$T/stub-ready" ] || fail "logind stand-in on the private system bus" "$(cat "$T/stub.log" "$T/system-bus.log")"

# ---- the agent ----
mkdir -p "$T/rules.d" "$T/log" "$T/state" "$T/trust/helpdesk" "$T/keys"
printf 'allow\nclipboard block content mynumber\n' >"$T/rules.d/00-test.rules"
MID=0123456789abcdef0123456789abcdef
echo "$MID" >"$T/machine-id"
"$HD" keygen --dir "$T/keys/k" >/dev/null 2>&1
cp "$T/keys/k/helpdesk.pub" "$T/trust/helpdesk/helpdesk.pub"
cat >"$T/mnguard.conf" <<CONF
rules_dir = $T/rules.d
audit_log = $T/log/audit.log
socket = $T/sock
state_dir = $T/state
trust_dir = $T/trust
machine_id_file = $T/machine-id
helpdesk_contact = 情報政策課 ヘルプデスク 内線 1234
lock_on_key_removal = yes
CONF
chmod 0644 "$T/mnguard.conf"
start_agent() {
	DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/system_bus" "$AGENT" --foreground --config "$T/mnguard.conf" >>"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	i=0
	until "$CTL" --socket "$T/sock" status >/dev/null 2>&1 || [ $i -gt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
start_agent
# root is the user at seat0 (as pam_mnguard reports a graphical login)
python3 - "$T/sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
# with the logind session and the security key of its login (the demo YubiKey at 1-4.1.6)
s.send(b'{"v":1,"id":1,"op":"session-open","args":{"user":"root","seat":"seat0","tty":":0","service":"gdm-password","session":"c7","key_port":"1-4.1.6","key_devnum":"24","key_serial":"YK-0001"}}')
print(s.recv(65536).decode())
PY
[ -s "$T/log/audit.log" ] || fail "agent started" "$(cat "$T/agent.log")"

# ---- the session helper, in Japanese ----
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$SESSION" --socket "$T/sock" --localedir "$BUILD/locale" \
	>"$T/session.log" 2>&1 &
SESSION_PID=$!
PIDS="$PIDS $SESSION_PID"
sleep 0.5

# copy TEXT with xclip (or xsel with $2 = xsel, selection $3), then read what a paste gives
copy() {
	case "${2:-xclip}" in
	xclip) printf '%s' "$1" | xclip -selection "${3:-clipboard}" -i ;;
	xsel) printf '%s' "$1" | xsel "--${3:-clipboard}" -i ;;
	esac
}
paste() { xclip -selection "${1:-clipboard}" -o 2>/dev/null; }
# wait until the paste shows the notice (or 3 s)
withheld() {
	i=0
	while [ $i -lt 60 ]; do
		case "$(paste "${1:-clipboard}")" in *'[mnguard]'*) return 0 ;; esac
		i=$((i + 1))
		sleep 0.05
	done
	return 1
}
# the paste still gives the copied text after the guard had time to look (1 s)
kept() {
	sleep 1
	[ "$(paste "${2:-clipboard}")" = "$1" ]
}

copy "個人番号: 1234 5678 9018"
if withheld; then pass "ASCII individual number withheld (xclip)"; else fail "ASCII individual number withheld (xclip)" "$(paste)"; fi
out=$(paste)
case "$out" in *9018*) fail "the paste holds no digit of it" "$out" ;; *) pass "the paste holds no digit of it" ;; esac
case "$out" in *個人番号*) pass "the notice is in Japanese" ;; *) fail "the notice is in Japanese" "$out" ;; esac

copy "マイナンバー １２３４５６７８９０１８ です"
if withheld; then pass "full-width individual number withheld"; else fail "full-width individual number withheld" "$(paste)"; fi

copy "234567890121" xsel clipboard
if withheld; then pass "number copied with xsel withheld"; else fail "number copied with xsel withheld" "$(paste)"; fi

copy "note 123456789018" xclip primary
if withheld primary; then pass "PRIMARY guarded too"; else fail "PRIMARY guarded too" "$(paste primary)"; fi

copy "会議は3時から、会議室Bで"
check "clean text passes unchanged" kept "会議は3時から、会議室Bで"
copy "123456789012"
check "12 digits with a wrong check digit pass" kept "123456789012"
copy "T7123456789012"
check "a corporate number (public) passes" kept "T7123456789012"

# a large text (INCR transfer) with a number at its end
python3 -c 'print("x" * 600000 + " 123456789018")' >"$T/big.txt"
xclip -selection clipboard -i <"$T/big.txt"
if withheld; then pass "number at the end of 600 kB (INCR) withheld"; else fail "number at the end of 600 kB (INCR) withheld"; fi

sleep 0.5
n=$(grep -c '"event":"clipboard.redact"' "$T/log/audit.log")
[ "$n" -ge 5 ] && pass "redactions audited as clipboard.redact ($n)" || fail "redactions audited as clipboard.redact ($n)"
grep '"clipboard.redact"' "$T/log/audit.log" | grep -q 'individual=1 ' &&
	pass "audit record counts the number" || fail "audit record counts the number"
if grep '"clipboard' "$T/log/audit.log" | grep -Eq '9018|90121|1234 5678'; then
	fail "no digits of the content in the audit log"
else
	pass "no digits of the content in the audit log"
fi
grep '"clipboard.redact"' "$T/log/audit.log" | grep -q 'owner_pid=[1-9]' &&
	pass "owner pid (XRes) recorded as a hint" || fail "owner pid (XRes) recorded as a hint"
grep -q 'クリップボードの内容を保留しました' "$T/notify.log" &&
	pass "redaction notification (Japanese) reached the server" ||
	fail "redaction notification (Japanese) reached the server" "$(tail -5 "$T/notify.log")"

# ---- a blocked USB device: the notification says what, why, how to ask, whom to call ----
printf 'block id 0781:5567\nallow\nclipboard block content mynumber\n' >"$T/rules.d/00-test.rules"
"$CTL" --socket "$T/sock" policy reload >/dev/null 2>&1
i=0
until grep -q 'USB機器をブロックしました' "$T/notify.log" || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
grep -q 'USB機器をブロックしました' "$T/notify.log" && pass "device notification: Japanese summary" ||
	fail "device notification: Japanese summary" "$(tail -20 "$T/notify.log")"
grep -q 'Cruzer Blade (0781:5567)' "$T/notify.log" && pass "device notification: what (name, ids)" ||
	fail "device notification: what (name, ids)"
grep -q '理由: 規則 .*00-test.rules:1' "$T/notify.log" && pass "device notification: why (the rule)" ||
	fail "device notification: why (the rule)"
grep -q 'mnguardctl exemption request --device [0-9]' "$T/notify.log" &&
	pass "device notification: how to ask" || fail "device notification: how to ask"
grep -q '問い合わせ先: 情報政策課 ヘルプデスク 内線 1234' "$T/notify.log" &&
	pass "device notification: help desk contact" || fail "device notification: help desk contact"

# ---- the security key of the seat's session is removed: locked, audited, told ----
KEYDIR="$UMOCKDEV_DIR/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4.1/1-4.1.6"
[ -d "$KEYDIR" ] || fail "the demo security key is in the testbed" "$KEYDIR"
rm -rf "$KEYDIR"
"$CTL" --socket "$T/sock" policy reload >/dev/null 2>&1 # its rescan finds the key gone
i=0
until grep -q 'セキュリティキーが取り外されました' "$T/notify.log" || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
[ "$(cat "$T/lock-calls" 2>/dev/null)" = "LockSession c7 pid $AGENT_PID uid 0" ] &&
	pass "key removed: LockSession(c7) from the agent reached the bus" ||
	fail "key removed: LockSession(c7) from the agent reached the bus" "$(cat "$T/lock-calls" 2>&1)"
grep '"event":"session.lock"' "$T/log/audit.log" | grep '"decision":"lock"' | grep -q 'c7' &&
	pass "key removed: session.lock audited" || fail "key removed: session.lock audited"
grep -q 'セキュリティキーが取り外されました' "$T/notify.log" &&
	grep -q '画面をロックしました' "$T/notify.log" &&
	pass "key removed: Japanese notification reached the server" ||
	fail "key removed: Japanese notification reached the server" "$(tail -5 "$T/notify.log")"

# ---- the warning 10 minutes before an exemption ends comes on time ----
"$HD" issue --terminal "$MID" --user root --scope clipboard --for 605s --ticket INC-10 \
	--reason "test" --key "$T/keys/k/helpdesk.key" --out "$T/tok10" --log "$T/hd.log" >/dev/null 2>&1
t0=$(date +%s)
"$CTL" --socket "$T/sock" exemption redeem "$T/tok10" >/dev/null 2>&1 ||
	fail "short exemption redeemed"
sleep 1.5
if grep -q '例外の期限まであと10分です' "$T/notify.log"; then
	fail "no expiry warning while more than 10 minutes are left"
else
	pass "no expiry warning while more than 10 minutes are left"
fi
i=0
until grep -q '例外の期限まであと10分です' "$T/notify.log" || [ $i -gt 150 ]; do
	i=$((i + 1))
	sleep 0.1
done
dt=$(($(date +%s) - t0))
grep -q '例外の期限まであと10分です' "$T/notify.log" && [ "$dt" -le 10 ] &&
	pass "expiry warning 10 minutes before the end, on time (${dt} s after issue)" ||
	fail "expiry warning 10 minutes before the end, on time (${dt} s after issue)"

# ---- a revoked clipboard exemption stops allowing at once ----
copy "個人番号 123456789018"
check "the short exemption allows the number" kept "個人番号 123456789018"
id10=$("$CTL" --socket "$T/sock" exemption list 2>/dev/null | awk '/INC-10/ {print $1; exit}')
[ -z "$id10" ] && id10=$("$CTL" --socket "$T/sock" exemption list 2>/dev/null | awk '/clipboard/ {print $1; exit}')
"$CTL" --socket "$T/sock" exemption revoke "$id10" >/dev/null 2>&1
t0=$(date +%s)
copy "個人番号 123456789018"
if withheld; then
	pass "revoked at once: the number is withheld again ($(($(date +%s) - t0)) s, refresh is 30 s)"
else
	fail "revoked at once: the number is withheld again" "$(paste)"
fi
grep -q '例外が取り消されました' "$T/notify.log" && pass "revocation notification (Japanese)" ||
	fail "revocation notification (Japanese)"

# ---- a clipboard exemption allows ----
"$HD" issue --terminal "$MID" --user root --scope clipboard --for 1h --ticket INC-9 \
	--reason "test" --key "$T/keys/k/helpdesk.key" --out "$T/tok" --log "$T/hd.log" >/dev/null 2>&1
"$CTL" --socket "$T/sock" exemption redeem "$T/tok" >/dev/null 2>&1 ||
	fail "exemption redeemed" "$(cat "$T/tok" 2>&1 | head -2)"
sleep 0.5
copy "個人番号 123456789018"
check "a clipboard exemption allows the number" kept "個人番号 123456789018"
grep -q '例外が許可されました' "$T/notify.log" && pass "exemption notification" ||
	fail "exemption notification"
id=$("$CTL" --socket "$T/sock" exemption list 2>/dev/null | awk '/INC-9/ && /active/ {print $1; exit}')
[ -n "$id" ] && "$CTL" --socket "$T/sock" exemption revoke "$id" >"$T/revoke.log" 2>&1

# ---- clipboard block: nothing moves between applications ----
printf 'allow\nclipboard block\n' >"$T/rules.d/00-test.rules"
"$CTL" --socket "$T/sock" policy reload >/dev/null 2>&1
sleep 0.5
copy "hello"
if withheld; then pass "clipboard block: clean text blocked too"; else fail "clipboard block: clean text blocked too" "$(paste) id=$id $(cat "$T/revoke.log")"; "$CTL" --socket "$T/sock" exemption list; fi
sleep 0.3
grep -q '"event":"clipboard.block"' "$T/log/audit.log" && pass "blocks audited as clipboard.block" ||
	fail "blocks audited as clipboard.block"

# ---- the agent goes away: the last policy stays ----
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
copy "plain words"
if withheld; then pass "agent unreachable: last policy (block) kept"; else fail "agent unreachable: last policy (block) kept" "$(paste)"; fi
kill -0 "$SESSION_PID" 2>/dev/null && pass "the session helper survives the agent's absence" ||
	fail "the session helper survives the agent's absence" "$(cat "$T/session.log")"

# ---- no agent from the start: individual numbers are withheld ----
kill "$SESSION_PID"
wait "$SESSION_PID" 2>/dev/null
LANG=C "$SESSION" --socket "$T/none.sock" --no-notify >"$T/session2.log" 2>&1 &
PIDS="$PIDS $!"
sleep 0.5
copy "ok 123456789018"
if withheld; then pass "never reached the agent: numbers withheld"; else fail "never reached the agent: numbers withheld" "$(paste)"; fi
copy "just text"
check "never reached the agent: clean text passes" kept "just text"
exit 0
