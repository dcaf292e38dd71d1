#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mnguardctl audit report end to end, on the logs a collector holds:
#  - two terminals' logs written by the real mnguardd (in umockdev testbeds,
#    each in its own UTS namespace so that each has its own host name);
#  - a fleet written by tests/integration/audit_fleet.py, an independent
#    writer of the format (checked first with "mnguardctl audit verify"):
#    a rotation, a head removed by retention, hostile strings, a tampered log.
# The CSV is read back with Python's csv module; the HTML is rendered by
# Debian's chromium headless: a screenshot that must not be blank and the
# DOM after rendering, which must hold the charts and the numbers and must
# not have run the <script> a log line carries. chromium missing = FAIL.
# Prints PASS:/FAIL: lines (counted by tests/run-unit.sh).
set -u
CTL=${MNG_CTL:-build/default/mnguardctl}
BUILD=${MNG_BUILD:-build/default}
AGENT=${MNG_AGENT:-$BUILD/mnguardd}
T=$(mktemp -d)
failures=0
AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "${MNG_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}
check() { # name, command...: pass when the command succeeds
	n=$1
	shift
	if "$@" >"$T/out" 2>&1; then pass "$n"; else
		fail "$n"
		sed 's/^/    /' "$T/out" | head -20
	fi
}

# ---- the real agent on two terminals ----
agent_run() { # host
	d="$T/agent-$1"
	mkdir -p "$d/rules.d" "$d/log" "$d/state"
	cat >"$d/mnguard.conf" <<EOF
rules_dir = $d/rules.d
audit_log = $d/log/audit.log
socket = $d/mnguardd.sock
state_dir = $d/state
EOF
	cp rules/mynumber-terminal.rules "$d/rules.d/90-mynumber-terminal.rules"
	chmod 0644 "$d/mnguard.conf" "$d/rules.d/90-mynumber-terminal.rules"
	unshare --uts sh -c "hostname '$1' && exec umockdev-run \
		-d tests/data/umockdev/demo-devices.umockdev -- \
		'$AGENT' --foreground --config '$d/mnguard.conf'" >"$d/out" 2>&1 &
	AGENT_PID=$!
	i=0
	until "$CTL" --socket "$d/mnguardd.sock" status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$AGENT_PID" 2>/dev/null; then
			sed 's/^/    /' "$d/out" | tail -5
			return 1
		fi
		sleep 0.1
	done
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
	mkdir -p "$T/collector/$1"
	cp "$d/log/audit.log" "$T/collector/$1/audit.log"
}
if [ "$(id -u)" = 0 ] && [ -x "$AGENT" ] && command -v unshare >/dev/null &&
	command -v umockdev-run >/dev/null; then
	check "mnguardd writes the audit log of terminal term-a" agent_run term-a
	check "mnguardd writes the audit log of terminal term-b" agent_run term-b
	check "the agent's logs carry their host names" sh -c \
		"grep -q '\"host\":\"term-a\"' '$T/collector/term-a/audit.log' &&
		 grep -q '\"host\":\"term-b\"' '$T/collector/term-b/audit.log'"
else
	fail "the real agent needs root, unshare, umockdev-run and $AGENT"
fi

# ---- the fleet of the independent writer ----
check "audit_fleet.py writes a fleet" python3 tests/integration/audit_fleet.py "$T/collector"
check "the independent writer's files verify (pc-001 across its rotation)" \
	"$CTL" audit verify "$T/collector/pc-001/audit.log.1" "$T/collector/pc-001/audit.log"
check "the independent writer's files verify (pc-002, pc-003)" sh -c \
	"'$CTL' audit verify '$T/collector/pc-002/audit.log' &&
	 '$CTL' audit verify '$T/collector/pc-003/audit.log'"
check "audit verify finds the tampered log of pc-004" sh -c \
	"! '$CTL' audit verify '$T/collector/pc-004/audit.log'"

# ---- CSV ----
P="--from 2025-04-01 --to 2025-06-30"
"$CTL" audit report $P --out "$T/r.csv" "$T/collector" 2>"$T/csv.err"
rc=$?
check "report exits 1 when a terminal fails verification" test "$rc" = 1
check "report names the failing terminal and record on stderr" \
	grep -q "pc-004: FAILED: .*pc-004/audit.log: line 3: record 3 was edited" "$T/csv.err"
cat >"$T/check_csv.py" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
sections, cur = {}, None
for r in rows:
    if len(r) == 1 and r[0].startswith("["):
        cur = r[0][1:r[0].index("]")]
        sections[cur] = []
    elif r and cur:
        sections[cur].append(r)
def table(name):
    head, *body = sections[name]
    return [dict(zip(head, b)) for b in body]
chains = {r["host"]: r for r in table("chains")}
terms = {r["host"]: r for r in table("terminals")}
cls = {r["class"]: int(r["count"]) for r in table("blocked_by_class")}
exe = table("exemptions")
want = [
    ("chain pc-001 OK over 2 files", chains["pc-001"]["status"] == "OK" and chains["pc-001"]["files"] == "2"),
    ("chain pc-003 OK, head pruned", chains["pc-003"]["status"] == "OK" and "removed by retention" in chains["pc-003"]["note"]),
    ("chain pc-004 FAILED at record 3", chains["pc-004"]["status"] == "FAILED" and "record 3 was edited" in chains["pc-004"]["note"]),
    ("agent terminals verified", all(chains[h]["status"] == "OK" for h in sys.argv[2:])),
    ("pc-001 blocked in the period (March and July left out)", terms["pc-001"]["blocked"] == "5" and terms["pc-001"]["rejected"] == "1"),
    ("pc-001 bundle version 7 in force", terms["pc-001"]["bundle_version"] == "7"),
    ("pc-001 policy at period start is March's", terms["pc-001"]["policy_at_start"].startswith("40 rules")),
    ("classes", cls.get("storage") == 7 and cls.get("mtp-ptp") == 5 and cls.get("storage+hid") == 3 and cls.get("network+vendor") == 1),
    ("exemption with ticket, issuer, operator", any(r["ticket"] == "INC-123" and r["issuer"] == "key hd-2025a" and r["operator"] == "yamada" for r in exe)),
    ("key-less login", table("keyless")[0]["subject"] == "suzuki"),
    ("keys", sorted(r["event"] for r in table("keys")) == ["key.enroll", "key.revoke"]),
    ("print held and cancelled", sorted(r["event"] for r in table("print")) == ["print.cancel", "print.hold"]),
    ("formula guarded", any(r["subject"] == "'=cmd|' /C calc'!A0" for r in table("blocked")) and any(r["ticket"] == "'@INC-9" for r in exe)),
    ("no raw bidi override", "\u202e" not in open(sys.argv[1], encoding="utf-8").read()),
]
bad = 0
for name, ok in want:
    print(("PASS: csv: " if ok else "FAIL: csv: ") + name)
    bad += not ok
raw = open(sys.argv[1], "rb").read()
ok = raw.count(b"\n") == raw.count(b"\r\n")
print(("PASS: " if ok else "FAIL: ") + "csv: every line ends with CRLF")
EOF
agents=""
[ -d "$T/collector/term-a" ] && agents="term-a term-b"
python3 "$T/check_csv.py" "$T/r.csv" $agents || fail "csv checks ran"

if [ -n "$agents" ]; then
	"$CTL" audit report "$T/collector/term-a" "$T/collector/term-b" >"$T/agents.csv" 2>"$T/err"
	check "the real agent's logs: exit 0 (verified, no bad line)" test $? = 0
	# the agent's device records carry no interface list yet: class "unknown"
	check "the real agent's logs: blocked attempts counted per terminal" sh -c \
		"grep -Eq '^\"term-a\",[0-9]+,[1-9][0-9]*,' '$T/agents.csv' &&
		 grep -Eq '^\"term-b\",[0-9]+,[1-9][0-9]*,' '$T/agents.csv'"
fi

# ---- HTML in a real browser ----
"$CTL" audit report $P --format html --out "$T/r.html" "$T/collector" 2>/dev/null
check "the HTML report is written" test -s "$T/r.html"
check "the HTML holds no <script> and no external reference" sh -c \
	"! grep -qi '<script' '$T/r.html' && ! grep -Eqi '(src|href)=\"?(https?:)?//' '$T/r.html'"
check "the log's <script> is shown as text" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/r.html"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	fail "chromium is installed (Debian package chromium)"
else
	chrome() {
		timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" \
			--window-size=1280,2000 "$@" 2>>"$T/chromium.err"
	}
	chrome --screenshot="$T/r.png" "file://$T/r.html" >/dev/null
	printf '<!DOCTYPE html><html><body></body></html>' >"$T/blank.html"
	chrome --screenshot="$T/blank.png" "file://$T/blank.html" >/dev/null
	check "chromium renders a screenshot of the report" test -s "$T/r.png"
	cat >"$T/png.py" <<'EOF'
import struct, sys, zlib
def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h, ct = 8, b"", 0, 0, 0
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ct = struct.unpack(">IIBB", body[:10])
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = {2: 3, 6: 4}[ct]
    raw, stride, out, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(line)); prev = line
    return w, h, bpp, out
w, h, bpp, rows = pixels(sys.argv[1])
colours = set()
blue = 0
for r in rows[::4]:
    for x in range(0, w * bpp, bpp * 4):
        px = r[x:x + 3]
        colours.add(bytes(px))
        if px == b"\x1d\x4e\x89":
            blue += 1
_, _, _, blank = pixels(sys.argv[2])
bc = {bytes(r[x:x + 3]) for r in blank[::4] for x in range(0, len(r), bpp * 4)}
print("colours %d (blank page: %d), chart-blue samples %d" % (len(colours), len(bc), blue))
sys.exit(0 if len(colours) > 20 and len(bc) <= 3 and blue > 50 else 1)
EOF
	check "the screenshot is not blank: many colours and the charts' blue bars" \
		python3 "$T/png.py" "$T/r.png" "$T/blank.png"
	sed 's/^/    /' "$T/out"
	chrome --dump-dom "file://$T/r.html" >"$T/dom.html"
	check "the DOM has the time chart with a bar per day of the period" sh -c \
		"grep -q 'id=\"chart-time\"' '$T/dom.html' &&
		 test \$(grep -o 'class=\"bar\" data-label=\"2025-[0-9-]*\"' '$T/dom.html' | wc -l) = 91"
	check "the DOM has the per-terminal chart with pc-001's 6 blocked attempts" \
		grep -q 'data-host="pc-001" data-n="6"' "$T/dom.html"
	check "the DOM shows the number of blocked attempts (summary)" \
		grep -q 'id="n-blocked">16<' "$T/dom.html"
	check "the DOM shows the failed verification" grep -q 'VERIFICATION FAILED for 1 terminal' \
		"$T/dom.html"
	check "the log's script did not run (no element it would make, text kept)" sh -c \
		"! grep -qi '<script' '$T/dom.html' &&
		 grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' '$T/dom.html' &&
		 ! grep -q '<img src=\"x\"' '$T/dom.html'"
fi

# ---- usage and bad input ----
"$CTL" audit report --from 2025-02-30 "$T/collector" >/dev/null 2>&1
check "an impossible date is a usage error (2)" test $? = 2
"$CTL" audit report --from 2025-06-01 --to 2025-05-01 "$T/collector" >/dev/null 2>&1
check "from after to is a usage error (2)" test $? = 2
"$CTL" audit report --format pdf "$T/collector" >/dev/null 2>&1
check "an unknown format is a usage error (2)" test $? = 2
"$CTL" audit report >/dev/null 2>&1
check "no input is a usage error (2)" test $? = 2
mkdir -p "$T/junk"
head -c 200000 /dev/urandom >"$T/junk/audit.log"
printf '\0\0\0\n' >>"$T/junk/audit.log"
"$CTL" audit report "$T/junk" >/dev/null 2>"$T/junk.err"
rc=$?
check "random bytes: exit 1, no crash" test "$rc" = 1
check "random bytes: bad lines named file:line" grep -q "junk/audit.log:[0-9]*:" "$T/junk.err"
"$CTL" audit report "$T/collector/pc-002" >"$T/ok.csv" 2>/dev/null
check "a verified terminal alone: exit 0" test $? = 0

[ "$failures" = 0 ]
