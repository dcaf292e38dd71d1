#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The print gate against a real, private cupsd: the mnguard backend installed
# with "mnguardctl print enforce" in front of the real socket backend, a raw
# sink on 127.0.0.1 as the printer, the real mnguardd (inside umockdev-run,
# so it sees an empty USB tree) deciding with the policy below, jobs
# submitted as nobody. Prints PASS:/FAIL: lines (tests/run-unit.sh).
# Needs root (cupsd, setpriv), cups, cups-client, cups-bsd, cups-ipp-utils
# (ipptool), python3, umockdev; SKIP when any is missing.
set -u
SRC=${MNG_SRCDIR:-$(pwd)}
BUILD=${MNG_BUILD:-build/default}
CTL=${MNG_CTL:-$BUILD/mnguardctl}
AGENT=${MNG_AGENT:-$BUILD/mnguardd}
BACKEND=${MNG_BACKEND:-$BUILD/cups/mnguard}
EXTRACT=${MNG_EXTRACT:-$BUILD/cups/mnguard-extract}
HELPDESK=${MNG_HELPDESK:-$BUILD/mnguard-helpdesk}
case $CTL in /*) ;; *) CTL=$SRC/$CTL ;; esac
case $AGENT in /*) ;; *) AGENT=$SRC/$AGENT ;; esac
case $BACKEND in /*) ;; *) BACKEND=$SRC/$BACKEND ;; esac
case $EXTRACT in /*) ;; *) EXTRACT=$SRC/$EXTRACT ;; esac
case $HELPDESK in /*) ;; *) HELPDESK=$SRC/$HELPDESK ;; esac
DATA=$SRC/tests/data/print

skip() {
	echo "SKIP: test_print: $*"
	echo "PASS: test_print skipped ($*)"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
for t in cupsd lpadmin lp lpstat cancel ipptool setpriv umockdev-run python3; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
[ -x /usr/lib/cups/backend/socket ] || skip "no CUPS socket backend"

T=$(mktemp -d /tmp/mng-print-XXXXXX)
chmod 0755 "$T"
failures=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}
check() { # name command...
	n=$1
	shift
	if "$@"; then pass "$n"; else fail "$n"; fi
}

CUPSD_PID=
AGENT_PID=
SINK_PID=
cleanup() {
	[ -n "$CUPSD_PID" ] && kill "$CUPSD_PID" 2>/dev/null
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	wait 2>/dev/null
	if [ "$failures" != 0 ] || [ -n "${MNG_KEEP:-}" ]; then
		echo "--- cupsd error_log (tail)"
		tail -n 60 "$T/log/error_log" 2>/dev/null
		echo "--- mnguardd"
		tail -n 30 "$T/agent.out" 2>/dev/null
		echo "--- audit"
		cut -c1-400 "$T/agent/log/audit.log" 2>/dev/null
	fi
	[ -n "${MNG_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# ---- the agent ----
mkdir -p "$T/agent/rules.d" "$T/agent/log" "$T/agent/state"
cat >"$T/agent/mnguard.conf" <<EOF
rules_dir = $T/agent/rules.d
audit_log = $T/agent/log/audit.log
socket = $T/agent/mnguardd.sock
state_dir = $T/agent/state
helpdesk_contact = 情報政策課 内線 1234
trust_dir = $T/agent/trust
machine_id_file = $T/agent/machine-id
print_extractor = $EXTRACT
EOF
# the help desk's keys; the terminal trusts its public key
mkdir -p "$T/hd" "$T/agent/trust/helpdesk"
"$HELPDESK" keygen --dir "$T/hd" >/dev/null 2>&1 || fail "helpdesk keygen"
cp "$T/hd/helpdesk.pub" "$T/agent/trust/helpdesk/"
chmod 0644 "$T/agent/trust/helpdesk/helpdesk.pub"
MID=0123456789abcdef0123456789abcdef
echo "$MID" >"$T/agent/machine-id"
chmod 0644 "$T/agent/machine-id"
cat >"$T/agent/rules.d/50-print.rules" <<EOF
# The approved printer: queue "office" on the test sink.
printer allow "office" uri "socket://127.0.0.1:*" ticket "CHG-PRINT-1"
# Labels carry no resident data: printed without a content check.
printer allow "labels" content-check off
printer block "*"
allow with-interface match-all { 03:*:* }
EOF
chmod 0644 "$T/agent/mnguard.conf" "$T/agent/rules.d/50-print.rules"
umockdev-run -- "$AGENT" --foreground --config "$T/agent/mnguard.conf" \
	>"$T/agent.out" 2>&1 &
AGENT_PID=$!
i=0
until "$CTL" --socket "$T/agent/mnguardd.sock" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then
		fail "mnguardd starts"
		exit 1
	fi
	sleep 0.1
done

# ---- the sink ----
mkdir -p "$T/sink"
python3 "$SRC/tests/print/sink.py" "$T/sink" &
SINK_PID=$!
i=0
until [ -s "$T/sink/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { fail "sink starts"; exit 1; }
	sleep 0.1
done
PORT=$(cat "$T/sink/port")

# ---- cupsd: private ServerRoot, ServerBin with the system's filters, the gate installed ----
C=$T/cups
mkdir -p "$C/root" "$C/bin/backend" "$C/spool/tmp" "$C/cache" "$C/state" "$T/log"
for d in filter daemon cgi-bin driver monitor notifier; do
	[ -e /usr/lib/cups/$d ] && ln -s /usr/lib/cups/$d "$C/bin/$d"
done
cp -a /usr/lib/cups/backend/socket "$C/bin/backend/socket"
ln -s socket "$C/bin/backend/lpd"
cp -a /usr/lib/cups/backend/ipp "$C/bin/backend/ipp"
ln -s ipp "$C/bin/backend/http"
chmod 0700 "$C/spool"
chown root:lp "$C/spool" 2>/dev/null
chmod 0710 "$C/spool"
chmod 1770 "$C/spool/tmp"
chown root:lp "$C/spool/tmp" "$C/cache" "$C/state" 2>/dev/null
chmod 0775 "$C/cache"
chmod 0755 "$C/state"
cat >"$C/root/cups-files.conf" <<EOF
ServerRoot $C/root
ServerBin $C/bin
DataDir /usr/share/cups
RequestRoot $C/spool
TempDir $C/spool/tmp
CacheDir $C/cache
StateDir $C/state
ErrorLog $T/log/error_log
AccessLog $T/log/access_log
PageLog $T/log/page_log
FileDevice Yes
User lp
Group lp
SystemGroup root
SetEnv MNGUARD_SOCKET $T/agent/mnguardd.sock
EOF
{
	cat <<EOF
Listen $T/cups.sock
LogLevel debug
WebInterface No
Browsing Off
DefaultShared No
PreserveJobHistory Yes
MaxJobTime 120
<Location />
  Order deny,allow
</Location>
<Location /admin>
  Order deny,allow
</Location>
EOF
	cat "$SRC/packaging/cups/mnguard-cupsd.conf"
} >"$C/root/cupsd.conf"
chmod 0644 "$C/root/cupsd.conf" "$C/root/cups-files.conf"

out=$("$CTL" print enforce --backend-dir "$C/bin/backend" --backend "$BACKEND" 2>&1)
check "print enforce installs the gate" test -f "$C/bin/backend/socket.real"
out2=$("$CTL" print enforce --backend-dir "$C/bin/backend" --backend "$BACKEND" 2>&1)
check "print enforce a second time changes nothing" test -z "$out2"
check "print status: every backend passes the gate" \
	"$CTL" print status --backend-dir "$C/bin/backend" --backend "$BACKEND"
check "lpd.real points at socket.real" test "$(readlink "$C/bin/backend/lpd.real")" = socket.real
check "http.real points at ipp.real" test "$(readlink "$C/bin/backend/http.real")" = ipp.real

cupsd -f -c "$C/root/cupsd.conf" -s "$C/root/cups-files.conf" >"$T/log/cupsd.out" 2>&1 &
CUPSD_PID=$!
export CUPS_SERVER=$T/cups.sock
i=0
until lpstat -r >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$CUPSD_PID" 2>/dev/null; then
		fail "cupsd starts"
		cat "$T/log/cupsd.out" "$T/log/error_log" 2>/dev/null | tail -20
		exit 1
	fi
	sleep 0.1
done
URI_BASE="ipp://$(printf %s "$T/cups.sock" | sed 's|/|%2F|g')"

# addq NAME URI (lpadmin may need a second try while cupsd settles)
addq() {
	lpadmin -p "$1" -E -v "$2" 2>>"$T/lpadmin.err" || { sleep 0.5; lpadmin -p "$1" -E -v "$2"; } ||
		fail "lpadmin $1"
}
addq office "socket://127.0.0.1:$PORT"
addq home "socket://127.0.0.1:$PORT"
addq labels "socket://127.0.0.1:$PORT"

mkdir -p "$T/docs"
cp "$DATA"/*.pdf "$DATA"/*.ps "$DATA"/*.txt "$T/docs/"
chmod 0755 "$T/docs"
chmod 0644 "$T/docs/"*

# submit FILE QUEUE [lp options...] as nobody: prints the job id
submit() {
	f=$1
	q=$2
	shift 2
	setpriv --reuid=nobody --regid=nogroup --clear-groups env CUPS_SERVER="$CUPS_SERVER" \
		lp -d "$q" -t "$(basename "$f")" "$@" "$T/docs/$f" 2>"$T/lp.err" |
		sed -n 's/^request id is [^ ]*-\([0-9]*\) .*/\1/p'
}

# attrs JOB QUEUE: job-state, reasons and message as ipptool shows them
attrs() {
	ipptool -d job="$1" "$URI_BASE/printers/$2" "$SRC/tests/print/job-attrs.test" -t -v 2>/dev/null
	ipptool -d job="$1" -c "$URI_BASE/printers/$2" "$SRC/tests/print/job-attrs.test" 2>/dev/null
}

# wait_state JOB QUEUE STATE...: until the job is in one of the states (30 s)
wait_state() {
	j=$1
	q=$2
	shift 2
	k=0
	while [ $k -lt 300 ]; do
		s=$(ipptool -d job="$j" -c "$URI_BASE/printers/$q" "$SRC/tests/print/job-attrs.test" \
			2>/dev/null | sed -n '2s/^\([a-z-]*\),.*/\1/p')
		for want in "$@"; do
			[ "$s" = "$want" ] && return 0
		done
		k=$((k + 1))
		sleep 0.1
	done
	echo "job $j on $q is in state '$s', not $*" >&2
	return 1
}

sink_count() { ls "$T/sink" | grep -c '^job-.*\.bin$'; }
audit_has() { grep -c "\"event\":\"print.$1\".*job $2 " "$T/agent/log/audit.log"; }

# 1. a clean PDF prints: its bytes arrive at the sink unchanged
before=$(sink_count)
j1=$(submit clean.pdf office)
[ -n "$j1" ] || { fail "lp works"; cat "$T/lp.err" "$T/lpadmin.err"; exit 1; }
check "clean PDF prints (job completed)" wait_state "$j1" office completed
check "clean PDF: the sink received the document's bytes" \
	cmp -s "$T/docs/clean.pdf" "$T/sink/job-$((before + 1)).bin"
check "clean PDF: audit print.allow with rule and sha256" \
	sh -c "grep '\"event\":\"print.allow\"' '$T/agent/log/audit.log' | grep 'job $j1 ' |
		grep -q 'sha256=$(sha256sum "$T/docs/clean.pdf" | cut -c1-64) .*pages=1 content=clean'"

# 1b. the job's user is the caller's real uid (PeerCred), whatever the client claims
audit_user() { # JOB: the user named in the job's audit record subject
	grep "\"event\":\"print\.[a-z]*\".*job $1 " "$T/agent/log/audit.log" | head -n 1 |
		sed -n 's/.*"subject":"\([^ "]*\) (by uid.*/\1/p'
}
check "clean PDF: the audit record names the real user (nobody)" test "$(audit_user "$j1")" = nobody
js=$(setpriv --reuid=daemon --regid=daemon --clear-groups env CUPS_SERVER="$CUPS_SERVER" \
	lp -U nobody -d office -t spoof-lp "$T/docs/clean.pdf" 2>"$T/lp-spoof.err" </dev/null |
	sed -n 's/^request id is [^ ]*-\([0-9]*\) .*/\1/p')
if [ -n "$js" ]; then
	wait_state "$js" office completed pending-held >/dev/null 2>&1
	check "lp -U nobody by daemon: the job is daemon's" test "$(audit_user "$js")" = daemon
else
	check "lp -U nobody by daemon: refused (no job, nothing audited as nobody)" \
		sh -c "! grep -q 'spoof-lp' '$T/agent/log/audit.log'"
fi
ji=$(setpriv --reuid=daemon --regid=daemon --clear-groups env CUPS_SERVER="$CUPS_SERVER" \
	ipptool -c -d user=nobody -d title=spoof-ipp -f "$T/docs/clean.pdf" \
	"$URI_BASE/printers/office" "$SRC/tests/print/print-as.test" 2>/dev/null </dev/null |
	sed -n '2s/^\([0-9][0-9]*\).*/\1/p')
if [ -n "$ji" ]; then
	wait_state "$ji" office completed pending-held >/dev/null 2>&1
	check "ipptool requesting-user-name=nobody by daemon: the job is daemon's" \
		test "$(audit_user "$ji")" = daemon
else
	check "ipptool requesting-user-name=nobody by daemon: refused" \
		sh -c "! grep -q 'spoof-ipp' '$T/agent/log/audit.log'"
fi

# 2. a PDF with a full-width individual number is held
j2=$(submit mynumber-fullwidth.pdf office)
check "full-width My Number PDF is held" wait_state "$j2" office pending-held
msg=$(attrs "$j2" office)
check "held job shows the reason (Japanese and English)" \
	sh -c "printf '%s' '$msg' | grep -q '個人番号' && printf '%s' '$msg' | grep -q 'individual number'"
check "held job: audit print.hold, content sensitive, no digits logged" \
	sh -c "grep '\"event\":\"print.hold\"' '$T/agent/log/audit.log' | grep 'job $j2 ' |
		grep -q 'individual=1' && ! grep -q '１２３４\\|123456789018' '$T/agent/log/audit.log'"

# 3. an unapproved printer: cancelled, the reason visible
j3=$(submit clean.pdf home)
check "unapproved printer: job cancelled" wait_state "$j3" home canceled aborted
msg=$(attrs "$j3" home)
check "unapproved printer: reason in job-printer-state-message" \
	sh -c "printf '%s' '$msg' | grep -q 'not approved'"
check "unapproved printer: audit print.cancel" test "$(audit_has cancel "$j3")" -ge 1

# 4. -o raw is still checked
j4=$(submit mynumber-fullwidth.pdf office -o raw)
check "-o raw job with a My Number is held" wait_state "$j4" office pending-held
j5=$(submit mynumber.ps office -o raw)
check "-o raw PostScript with a My Number is held" wait_state "$j5" office pending-held
j6=$(submit mynumber-sjis.txt office -o raw)
check "-o raw Shift_JIS text with a My Number is held" wait_state "$j6" office pending-held
j7=$(submit image-only.pdf office)
check "image-only PDF is held (cannot be judged)" wait_state "$j7" office pending-held
j8=$(submit no-unicode-map.pdf office)
check "PDF without a Unicode map is held" wait_state "$j8" office pending-held
before=$(sink_count)
j9=$(submit clean.txt office -o raw)
check "-o raw clean text prints" wait_state "$j9" office completed
check "-o raw clean text reached the sink" test "$(sink_count)" -gt "$before"
j10=$(submit mynumber-fullwidth.pdf labels)
check "content-check off queue prints without a check" wait_state "$j10" labels completed
check "content-check off: audited as not-checked" \
	sh -c "grep '\"event\":\"print.allow\"' '$T/agent/log/audit.log' | grep 'job $j10 ' | grep -q 'content=not-checked'"

# 5. a temporary queue cannot be created by a user
# (the system's test expects success: it must fail, with cupsd refusing the operation)
if setpriv --reuid=nobody --regid=nogroup --clear-groups env CUPS_SERVER="$CUPS_SERVER" \
	ipptool -q -d name=tmpq -d device="socket://127.0.0.1:$PORT" -d user=nobody \
	"$URI_BASE/" /usr/share/cups/ipptool/cups-create-local-printer.test; then
	fail "CUPS-Create-Local-Printer refused for nobody"
else
	check "CUPS-Create-Local-Printer refused for nobody" \
		grep -q "Forbidden for CUPS-Create-Local-Printer" "$T/log/error_log"
fi
check "no temporary queue exists" sh -c "! lpstat -p tmpq >/dev/null 2>&1"

# 6. a released job is checked again: still held without an exemption
lp -i "$j2" -H resume >/dev/null 2>&1
sleep 0.5
check "released job is checked again and held again" wait_state "$j2" office pending-held
check "released job: a second audit record" test "$(audit_has hold "$j2")" -ge 2

# 7. a held job prints after a print exemption (a signed token, redeemed by the user)
"$HELPDESK" issue --terminal "$MID" --user nobody --scope print --printer office --for 1h \
	--uses 1 --ticket INC-PRINT-7 --reason "住民票の写しの印刷" --operator helpdesk \
	--key "$T/hd/helpdesk.key" --out "$T/docs/token" --log "$T/hd/issued.csv" >/dev/null 2>&1 ||
	fail "helpdesk issues a print token"
chmod 0644 "$T/docs/token"
check "nobody redeems the print exemption" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CTL" --socket "$T/agent/mnguardd.sock" exemption redeem "$T/docs/token"
before=$(sink_count)
lp -i "$j2" -H resume >/dev/null 2>&1
check "held job prints after the exemption" wait_state "$j2" office completed
check "the exempted job's bytes reached the sink" \
	cmp -s "$T/docs/mynumber-fullwidth.pdf" "$T/sink/job-$((before + 1)).bin"
check "exempted job: audit print.allow with exemption id and ticket" \
	sh -c "grep '\"event\":\"print.allow\"' '$T/agent/log/audit.log' | grep 'job $j2 ' |
		grep '\"exemption\":\"[0-9a-f]\{32\}\"' | grep -q '\"ticket\":\"INC-PRINT-7\"'"
check "exemption use audited" grep -q '"event":"exemption.use"' "$T/agent/log/audit.log"
j12=$(submit mynumber-fullwidth.pdf office)
check "the one-use exemption is spent: the next such job is held" wait_state "$j12" office pending-held

# 8. the agent unreachable: held, never printed
kill "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
before=$(sink_count)
j11=$(submit clean.pdf office)
check "agent down: even a clean job is held" wait_state "$j11" office pending-held
check "agent down: nothing reached the sink" test "$(sink_count)" = "$before"

# ---- end: every job has an audit record, the chain verifies, the spool is empty ----
for j in $j1 $j2 $j3 $j4 $j5 $j6 $j7 $j8 $j9 $j10 $j12; do
	if ! grep -q "\"event\":\"print\.[a-z]*\".*job $j " "$T/agent/log/audit.log"; then
		fail "job $j has an audit record"
	fi
done
pass "every checked job has an audit record"
check "audit verify passes" "$CTL" audit verify "$T/agent/log/audit.log" --anchor "$T/agent/state/audit.anchor"
cancel -a -x >/dev/null 2>&1 || cancel -a >/dev/null 2>&1
sleep 1
check "spool holds no document afterwards" sh -c "! ls '$C/spool' | grep -q '^d'"

check "print unenforce restores the backends" \
	sh -c "'$CTL' print unenforce --backend-dir '$C/bin/backend' --backend '$BACKEND' >/dev/null &&
		cmp -s /usr/lib/cups/backend/socket '$C/bin/backend/socket' &&
		test \"\$(readlink '$C/bin/backend/lpd')\" = socket && ! test -e '$C/bin/backend/socket.real'"
[ "$failures" = 0 ]
