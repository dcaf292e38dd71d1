#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: mnguard's rule parsing and judging against USBGuard's on the
# same generated rule files, as ratios; then bench/plug.sh, plug-to-decision
# latency and idle memory of mnguardd beside usbguard-daemon; bench/pam.sh,
# one FIDO2 login through PAM beside pam_u2f; bench/mynumber.sh, the
# individual-number detector beside grep -P. See bench/README.md.
#
# Environment: MNG_BUILD (build tree with bench/ and mnguardctl, default
# build/default), MNG_BENCH_DIR (where the rule files go, default build/bench),
# MNG_BENCH_SIZES (default "1000 10000 50000"), MNG_BENCH_REPEAT (runs per
# parse and per CLI measurement, the median is shown; default 7).
#
# Exit status 0 when everything ran and both sides saw the same rules and the
# same verdicts, whether or not the targets were met; 1 otherwise. bench/plug.sh
# reads MNG_BENCH_PLUGS and MNG_AGENT as well.
set -eu

cd "$(dirname "$0")/.."
B=${MNG_BUILD:-build/default}
D=${MNG_BENCH_DIR:-build/bench}
SIZES=${MNG_BENCH_SIZES:-"1000 10000 50000"}
R=${MNG_BENCH_REPEAT:-7}
CTL=$B/mnguardctl
PEER_CLI=usbguard-rule-parser

fail() {
	echo "bench: $*" >&2
	exit 1
}

# kv LINE KEY: the value of KEY=... in a line of key=value pairs.
kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ratio SLOW FAST: how many times faster FAST is, one decimal.
ratio() {
	awk -v s="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.1fx", s / f; else print "inf" }'
}

# lt A B: true when A < B (decimals).
lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

for x in "$B/bench/gen_rules" "$B/bench/bench_rules" "$B/bench/bench_usbguard" \
	"$B/bench/bench_exec" "$CTL"; do
	[ -x "$x" ] || fail "$x is missing: run 'make bench'"
done
command -v "$PEER_CLI" >/dev/null || fail "$PEER_CLI not found (Debian package usbguard)"
mkdir -p "$D"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
peer_ver=$(dpkg-query -W -f='${Version}' libusbguard1 2>/dev/null || echo unknown)
echo "== mnguard bench: rule parse and judge, mnguard vs USBGuard (libusbguard $peer_ver)"
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $R runs per parse and per command; judge: median per-call time over 15 batches"
echo

TAB=$(mktemp)
CLI=$(mktemp)
CHK=$(mktemp)
trap 'rm -f "$TAB" "$CLI" "$CHK" "$D"/out-*.txt' EXIT INT TERM

for n in $SIZES; do
	f=$D/rules-$n.rules
	"$B/bench/gen_rules" "$n" "$f" || fail "gen_rules $n failed"

	ours=$("$B/bench/bench_rules" -r "$R" "$f") || fail "bench_rules on $f failed: $ours"
	peer=$("$B/bench/bench_usbguard" -r "$R" "$f") || fail "bench_usbguard on $f failed: $peer"
	for line in "$ours" "$peer"; do
		side=$(kv "$line" side)
		[ "$(kv "$line" rules)" = "$n" ] ||
			fail "$side parsed $(kv "$line" rules) rules of $n in $f"
		[ "$(kv "$line" stick)" = none ] ||
			fail "$side: the stick matched $(kv "$line" stick) in $f (it must match none)"
		[ "$(kv "$line" control)" = ok ] ||
			fail "$side: control device: $(kv "$line" control) in $f"
	done
	echo "$n $(kv "$ours" parse_ms) $(kv "$peer" parse_ms) $(kv "$ours" judge_us) $(kv "$peer" judge_us)" >>"$TAB"

	# CLI to CLI: the whole process, file reading and output included.
	o=$("$B/bench/bench_exec" -r "$R" -o "$D/out-ours.txt" -- "$CTL" rules check "$f") ||
		fail "mnguardctl rules check $f failed ($o)"
	got=$(sed -n 's/.*: \([0-9][0-9]*\) rules$/\1/p' "$D/out-ours.txt")
	[ "$got" = "$n" ] || fail "mnguardctl rules check reported '$got' rules for $f, not $n"
	p=$("$B/bench/bench_exec" -r "$R" -o "$D/out-peer.txt" -- "$PEER_CLI" -f "$f") ||
		fail "$PEER_CLI -f $f failed ($p)"
	got2=$(grep -c '^OUTPUT: .' "$D/out-peer.txt" || true)
	[ "$got2" = "$n" ] || fail "$PEER_CLI -f printed $got2 rules for $f, not $n"
	echo "$n $(kv "$o" ms) $(kv "$p" ms)" >>"$CLI"
	printf '%7s | %7s | %11s | %10s | %20s | %7s | %11s | %-10s | %s\n' "$n" \
		"$(kv "$ours" rules)" "$(kv "$peer" rules)" "$got" "$got2" "$(kv "$ours" stick)" \
		"$(kv "$peer" stick)" "$(kv "$ours" control_at)" "$(kv "$peer" control_at)" >>"$CHK"
done

# The start-up floor of each command: a file of one rule.
f1=$D/rules-1.rules
"$B/bench/gen_rules" 1 "$f1" || fail "gen_rules 1 failed"
o1=$("$B/bench/bench_exec" -r "$R" -- "$CTL" rules check "$f1") || fail "mnguardctl on $f1 ($o1)"
p1=$("$B/bench/bench_exec" -r "$R" -- "$PEER_CLI" -f "$f1") || fail "$PEER_CLI on $f1 ($p1)"

echo "Library: parse a whole file into a rule set; judge one device that matches no rule"
echo "(ratio = USBGuard time / mnguard time: how many times faster mnguard is)"
echo
printf '%7s | %13s | %17s | %7s | %13s | %17s | %7s\n' rules "ours parse ms" \
	"usbguard parse ms" ratio "ours judge us" "usbguard judge us" ratio
printf -- '--------+---------------+-------------------+---------+---------------+-------------------+--------\n'
while read -r n op pp oj pj; do
	printf '%7s | %13.3f | %17.3f | %7s | %13.3f | %17.3f | %7s\n' "$n" "$op" "$pp" \
		"$(ratio "$pp" "$op")" "$oj" "$pj" "$(ratio "$pj" "$oj")"
done <"$TAB"
echo
echo "CLI to CLI: 'mnguardctl rules check FILE' vs 'usbguard-rule-parser -f FILE', whole process"
echo
printf '%7s | %22s | %26s | %7s\n' rules "mnguardctl rules check" "usbguard-rule-parser -f ms" ratio
printf -- '--------+------------------------+----------------------------+--------\n'
while read -r n om pm; do
	printf '%7s | %19.3f ms | %26.3f | %7s\n' "$n" "$om" "$pm" "$(ratio "$pm" "$om")"
done <"$CLI"
printf '%7s | %19.3f ms | %26.3f | %7s   (process start-up floor, not in the targets)\n' 1 \
	"$(kv "$o1" ms)" "$(kv "$p1" ms)" "$(ratio "$(kv "$p1" ms)" "$(kv "$o1" ms)")"
echo
echo "Checks: rules each side parsed; rule the stick matched (none = implicit block); where the"
echo "control device (the stick with another serial) matched: the last rule, on both sides"
echo
printf '%7s | %-57s | %-21s | %s\n' "" "rules parsed by" "stick matched" \
	"control device matched"
printf '%7s | %7s | %11s | %10s | %20s | %7s | %11s | %-10s | %s\n' rules mnguard libusbguard \
	mnguardctl usbguard-rule-parser mnguard libusbguard mnguard libusbguard
printf -- '--------+---------+-------------+------------+----------------------+---------+-------------+------------+------------\n'
cat "$CHK"
echo

# Targets (from the issue). Printed, never fatal.
verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi
}
min_ratio() { # column numbers of slow and fast in FILE
	awk -v s="$2" -v f="$3" 'NR == 1 || $s / $f < m { m = $s / $f } END { printf "%.4f", m }' "$1"
}
j10k=$(awk '$1 == 10000 { print $4 }' "$TAB")
p50k=$(awk '$1 == 50000 { print $2 }' "$TAB")
pr=$(min_ratio "$TAB" 3 2)
jr=$(min_ratio "$TAB" 5 4)
cr=$(min_ratio "$CLI" 3 2)

echo "Targets:"
if [ -n "$j10k" ]; then
	ok=0; lt "$j10k" 50 && ok=1
	printf '  %s  judge one device against 10,000 rules < 50 us: %s us\n' "$(verdict $ok)" "$j10k"
fi
if [ -n "$p50k" ]; then
	ok=0; lt "$p50k" 100 && ok=1
	printf '  %s  parse 50,000 rules < 100 ms: %s ms\n' "$(verdict $ok)" "$p50k"
fi
ok=1; lt "$pr" 10 && ok=0
printf '  %s  parse >= 10x faster than libusbguard at every size: lowest %.1fx\n' "$(verdict $ok)" "$pr"
ok=1; lt "$jr" 10 && ok=0
printf '  %s  judge >= 10x faster than libusbguard at every size: lowest %.1fx\n' "$(verdict $ok)" "$jr"
ok=1; lt "$cr" 10 && ok=0
printf '  %s  rules check >= 10x faster than usbguard-rule-parser -f at every size: lowest %.1fx\n' \
	"$(verdict $ok)" "$cr"

# Plug to decision and idle memory: mnguardd beside usbguard-daemon on a
# umockdev testbed, on the same rule files (bench/plug.sh).
MNG_BUILD=$B MNG_BENCH_DIR=$D MNG_BENCH_SIZES=$SIZES sh bench/plug.sh ||
	fail "the plug-to-decision benchmark failed"

# One FIDO2 login through PAM: CPU time of pam_mnguard beside pam_u2f with the
# same software key (bench/pam.sh).
MNG_BUILD=$B sh bench/pam.sh || fail "the PAM login benchmark failed"

# The individual-number detector beside grep -P and a check-digit filter, on
# clean and on number-heavy Japanese text (bench/mynumber.sh).
MNG_BUILD=$B sh bench/mynumber.sh || fail "the individual-number detector benchmark failed"

# Copy-to-redaction latency of the clipboard guard under Xvfb, median and p99
# over 200 copies (bench/session.sh).
MNG_BUILD=$B sh bench/session.sh || fail "the clipboard guard benchmark failed"
