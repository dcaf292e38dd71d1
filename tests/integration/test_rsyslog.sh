#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Central logs with the shipped rsyslog configuration, for real, on loopback:
#
#   mnguardd (umockdev testbed, host name "term-a")
#     -> journald's native socket -> systemd-journald (started by hand)
#     -> rsyslogd "terminal" (packaging/rsyslog/mnguard-forward.conf:
#        imjournal + imfile on the audit log, omrelp with TLS)
#     -> rsyslogd "collector" (packaging/rsyslog/mnguard-collector.conf:
#        imrelp with TLS, mmjsonparse, files per terminal)
#
# This machine runs no journald, so the test starts /lib/systemd/systemd-journald
# itself inside a private mount namespace whose /run is a fresh tmpfs: the
# agent's journal writer (lib/journal.c, fixed path /run/systemd/journal/socket)
# reaches that journald, and imjournal reads the journal files it writes
# under /run/log/journal. Both rsyslogd run there too. TLS uses a throwaway
# CA made here with openssl; each side checks the other's certificate name.
#
# What passing proves: every entry mnguardd sent arrives at the collector as
# JSON with all its fields (MESSAGE_ID, MNGUARD_EVENT, MNGUARD_AUDIT_SEQ and
# the device fields, plus journald's _HOSTNAME), one per audit record; the
# collector's copy of the audit log is byte-identical to the terminal's and
# verifies with "mnguardctl audit verify"; and "mnguardctl audit report" reads
# the collector's tree. Not proven here: delivery across a collector outage
# (the queues) and certificate revocation.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
BUILD=${MNG_BUILD:-build/default}
AGENT=${MNG_AGENT:-$BUILD/mnguardd}
SRC=$(pwd)
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

# ---- what the test needs (CI installs: rsyslog rsyslog-relp rsyslog-gnutls systemd openssl) ----
MODDIR=/usr/lib/x86_64-linux-gnu/rsyslog
missing=""
command -v rsyslogd >/dev/null || missing="$missing rsyslog"
[ -e "$MODDIR/omrelp.so" ] && [ -e "$MODDIR/imrelp.so" ] || missing="$missing rsyslog-relp"
[ -e "$MODDIR/lmnsd_gtls.so" ] || missing="$missing rsyslog-gnutls"
[ -x /lib/systemd/systemd-journald ] || missing="$missing systemd"
command -v openssl >/dev/null || missing="$missing openssl"
if [ -n "$missing" ] || [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	fail "rsyslog test prerequisites (root, unshare, packages:$missing)"
	exit 1
fi

# ---- a throwaway CA, the collector's and the terminal's certificates ----
mkdir -p "$T/pki"
cert() { # name, CN/SAN
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/pki/$1.key" -subj "/CN=$2" \
		-out "$T/pki/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" \
			>"$T/pki/$1.ext" &&
		openssl x509 -req -in "$T/pki/$1.csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" \
			-CAcreateserial -days 2 -out "$T/pki/$1.pem" -extfile "$T/pki/$1.ext" \
			2>/dev/null
}
check "openssl makes a throwaway CA" openssl req -x509 -new -newkey rsa:2048 -nodes \
	-keyout "$T/pki/ca.key" -days 2 -subj "/CN=mnguard test CA" -out "$T/pki/ca.pem"
check "openssl makes the collector's certificate (localhost)" cert collector localhost
check "openssl makes the terminal's certificate (term-a.terminals.test)" \
	cert terminal term-a.terminals.test
check "the certificates verify against the CA" \
	openssl verify -CAfile "$T/pki/ca.pem" "$T/pki/collector.pem" "$T/pki/terminal.pem"

# ---- the configurations: the shipped files, with this test's names and paths ----
PORT=$((20000 + $$ % 20000))
mkdir -p "$T/agent/rules.d" "$T/agent/log" "$T/agent/state" "$T/send" "$T/recv" "$T/central"
sed -e "s|collector.example.lg.jp|localhost|g" -e "s|port=\"2514\"|port=\"$PORT\"|" \
	-e "s|/etc/mnguard/rsyslog/ca.pem|$T/pki/ca.pem|" \
	-e "s|/etc/mnguard/rsyslog/terminal.pem|$T/pki/terminal.pem|" \
	-e "s|/etc/mnguard/rsyslog/terminal.key|$T/pki/terminal.key|" \
	-e "s|/var/log/mnguard/audit.log|$T/agent/log/audit.log|" \
	packaging/rsyslog/mnguard-forward.conf >"$T/send/mnguard.conf"
printf 'global(workDirectory="%s")\ninclude(file="%s")\n' "$T/send" "$T/send/mnguard.conf" \
	>"$T/send/rsyslog.conf"
sed -e "s|\\*.terminals.example.lg.jp|*.terminals.test|" -e "s|port=\"2514\"|port=\"$PORT\"|" \
	-e "s|/etc/mnguard/rsyslog/ca.pem|$T/pki/ca.pem|" \
	-e "s|/etc/mnguard/rsyslog/collector.pem|$T/pki/collector.pem|" \
	-e "s|/etc/mnguard/rsyslog/collector.key|$T/pki/collector.key|" \
	-e "s|/var/log/mnguard-central|$T/central|g" \
	packaging/rsyslog/mnguard-collector.conf >"$T/recv/mnguard.conf"
printf 'global(workDirectory="%s")\ninclude(file="%s")\n' "$T/recv" "$T/recv/mnguard.conf" \
	>"$T/recv/rsyslog.conf"
check "rsyslogd accepts the terminal's configuration" rsyslogd -N1 -f "$T/send/rsyslog.conf"
check "rsyslogd accepts the collector's configuration" rsyslogd -N1 -f "$T/recv/rsyslog.conf"
check "both sides use TLS with certificate names checked" sh -c \
	"grep -c 'tls=\"on\" tls.authMode=\"name\"' '$T/send/mnguard.conf' | grep -qx 2 &&
	 grep -q 'tls=\"on\" tls.authMode=\"name\"' '$T/recv/mnguard.conf'"

cat >"$T/agent/mnguard.conf" <<EOF2
rules_dir = $T/agent/rules.d
audit_log = $T/agent/log/audit.log
socket = $T/agent/mnguardd.sock
state_dir = $T/agent/state
EOF2
cp rules/mynumber-terminal.rules "$T/agent/rules.d/90-mynumber-terminal.rules"
chmod 0644 "$T/agent/mnguard.conf" "$T/agent/rules.d/90-mynumber-terminal.rules"

# ---- the run, inside a private mount and UTS namespace ----
cat >"$T/run.sh" <<EOF2
set -u
mount -t tmpfs mnguard-test-run /run || exit 10
mkdir -p /run/systemd/journal /run/log/journal
hostname term-a
/lib/systemd/systemd-journald >"$T/journald.out" 2>&1 &
J=\$!
i=0; until [ -S /run/systemd/journal/socket ]; do i=\$((i+1)); [ \$i -gt 50 ] && exit 11; sleep 0.1; done
rsyslogd -n -f "$T/recv/rsyslog.conf" -i "$T/recv/pid" >"$T/recv/out" 2>&1 &
R=\$!
rsyslogd -n -f "$T/send/rsyslog.conf" -i "$T/send/pid" >"$T/send/out" 2>&1 &
S=\$!
cd "$SRC"
umockdev-run -d tests/data/umockdev/demo-devices.umockdev -- \
	"$AGENT" --foreground --config "$T/agent/mnguard.conf" >"$T/agent.out" 2>&1 &
A=\$!
i=0
until "$CTL" --socket "$T/agent/mnguardd.sock" status >/dev/null 2>&1; do
	i=\$((i+1)); [ \$i -gt 100 ] && break; sleep 0.1
done
"$CTL" --socket "$T/agent/mnguardd.sock" policy reload >/dev/null 2>&1
sleep 1
kill \$A; wait \$A
# wait until the collector has every line of the audit log and an event per record
want=\$(wc -l <"$T/agent/log/audit.log")
i=0
while [ \$i -lt 300 ]; do
	got=\$(cat "$T/central/term-a/audit.log" 2>/dev/null | wc -l)
	ev=\$(cat "$T/central/term-a/events.json" 2>/dev/null | wc -l)
	[ "\$got" -ge "\$want" ] && [ "\$ev" -ge \$((want - 1)) ] && break
	i=\$((i+1)); sleep 0.1
done
kill \$S \$R \$J
wait
exit 0
EOF2
check "journald, two rsyslogd and mnguardd run in a private namespace" \
	timeout 120 unshare -m -u --propagation private sh "$T/run.sh"
check "mnguardd wrote its audit log (device decisions included)" \
	grep -q '"event":"device.block"' "$T/agent/log/audit.log"
check "the collector holds term-a's audit log, byte for byte" \
	cmp "$T/agent/log/audit.log" "$T/central/term-a/audit.log"
check "the collector's copy verifies as a chain" "$CTL" audit verify "$T/central/term-a/audit.log"
cat >"$T/fields.py" <<'EOF2'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ev = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
ids = {"device.block": "33b24e909cbc4cc4bf015bc48be3d178", "device.allow": "0a0ccdfa2e1c43b694446566253615ab",
       "policy.load": "da1771ffccb64e7297fbd03f574b0aad", "agent.start": "8eaf8481f4624838bc6490552578feb8"}
common = ["MESSAGE", "PRIORITY", "MESSAGE_ID", "SYSLOG_IDENTIFIER", "MNGUARD_EVENT", "MNGUARD_AUDIT_SEQ",
          "MNGUARD_SUBJECT", "MNGUARD_TICKET", "MNGUARD_EXEMPTION", "_HOSTNAME", "_PID"]
device = ["MNGUARD_DEVICE_ID", "MNGUARD_VENDOR", "MNGUARD_PRODUCT", "MNGUARD_SERIAL", "MNGUARD_RULE"]
bad = []
seqs = {}
for e in ev:
    for k in common:
        if k not in e:
            bad.append("entry %s lacks %s" % (e.get("MNGUARD_EVENT"), k))
    if e.get("MNGUARD_EVENT", "").startswith("device."):
        bad += ["%s lacks %s" % (e["MNGUARD_EVENT"], k) for k in device if not e.get(k) and k != "MNGUARD_SERIAL"]
    if e.get("MNGUARD_EVENT") in ids and e.get("MESSAGE_ID") != ids[e["MNGUARD_EVENT"]]:
        bad.append("wrong MESSAGE_ID for " + e["MNGUARD_EVENT"])
    if e.get("_HOSTNAME") != "term-a" or e.get("SYSLOG_IDENTIFIER") != "mnguardd":
        bad.append("host or identifier wrong: %s %s" % (e.get("_HOSTNAME"), e.get("SYSLOG_IDENTIFIER")))
    seqs[int(e.get("MNGUARD_AUDIT_SEQ", "0"))] = e
for r in log:
    if r["event"] == "chain.start":
        continue  # written by the audit module itself, not an agent event
    e = seqs.get(r["seq"])
    if not e:
        bad.append("audit record %d (%s) has no journal entry at the collector" % (r["seq"], r["event"]))
    elif e["MNGUARD_EVENT"] != r["event"]:
        bad.append("seq %d: %s in the journal, %s in the log" % (r["seq"], e["MNGUARD_EVENT"], r["event"]))
    elif r["event"].startswith("device.") and e["MNGUARD_VENDOR"] + ":" + e["MNGUARD_PRODUCT"] not in r["object"]:
        bad.append("seq %d: device ids differ" % r["seq"])
print("%d journal entries, %d audit records" % (len(ev), len(log)))
print("\n".join(bad[:20]))
sys.exit(1 if bad or not ev else 0)
EOF2
check "every audit record's event arrived with all its fields (JSON, MESSAGE_IDs, device ids)" \
	python3 "$T/fields.py" "$T/agent/log/audit.log" "$T/central/term-a/events.json"
sed 's/^/    /' "$T/out" | head -3
check "the terminal authenticated with its certificate (no TLS error logged)" sh -c \
	"! grep -Eqi 'error.*(tls|certificate|handshake)' '$T/send/out' '$T/recv/out'"
"$CTL" audit report "$T/central" >"$T/report.csv" 2>"$T/report.err"
check "audit report reads the collector's tree (exit 0: verified)" test $? = 0
check "the report counts term-a's blocked devices" grep -Eq '^"term-a",[0-9]+,[1-9]' "$T/report.csv"
if [ "$failures" != 0 ]; then
	for f in journald.out send/out recv/out agent.out; do
		echo "--- $f"
		tail -n 15 "$T/$f" 2>/dev/null
	done
fi
[ "$failures" = 0 ]
