#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/mynumber.sh: throughput of the individual-number detector
# (mng_mynumber_scan) beside `grep -P` with an equivalent pattern piped into a
# check-digit filter (awk), on generated clean text (Japanese prose) and dirty
# text (forms full of numbers). Both sides must find the same numbers at the
# same byte offsets, or the run fails. See bench/README.md, "Individual-number
# detector".
#
# Environment: MNG_BUILD (build tree, default build/default), MNG_BENCH_DIR
# (where the corpora go, default build/bench), MNG_BENCH_MN_MIB (size of each
# corpus in MiB, default 32), MNG_BENCH_REPEAT (runs per measurement, the
# median is shown; default 7).
#
# Exit status 0 when both sides ran and agreed, whether or not the targets
# were met; 1 otherwise.
set -eu

cd "$(dirname "$0")/.."
B=${MNG_BUILD:-build/default}
D=${MNG_BENCH_DIR:-build/bench}
MIB=${MNG_BENCH_MN_MIB:-32}
R=${MNG_BENCH_REPEAT:-7}
BIN=$B/bench/bench_mynumber

fail() {
	echo "bench/mynumber.sh: $*" >&2
	exit 1
}

kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# mbs BYTES MS: 10^6 bytes per second, one decimal.
mbs() {
	awk -v b="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%.1f", b / 1e3 / ms; else print "inf" }'
}

ratio() {
	awk -v s="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.1f", s / f; else print "inf" }'
}

ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'
}

case $MIB in
'' | *[!0-9]*) fail "MNG_BENCH_MN_MIB must be a number" ;;
esac
if [ ! -x "$BIN" ]; then
	make --no-print-directory "$BIN" >/dev/null || fail "cannot build $BIN"
fi
echo 1 | LC_ALL=C.UTF-8 grep -qP '\d' 2>/dev/null || fail "grep -P does not work here (GNU grep with PCRE needed)"
mkdir -p "$D"

# The same definition as mynumber.h: a digit is 0-9 or U+FF10-FF19; a run is
# digits with at most one separator between neighbours; it must not follow a
# digit (or a digit and a separator), nor '+' or U+FF0B, nor go on after the
# 12th or 13th digit. grep -o prints the leftmost-longest run of 12 or 13
# digits; awk keeps those whose check digit is right.
DG='[0-9\x{FF10}-\x{FF19}]'
SP='[ .\x{00A0}\x{2010}-\x{2013}\x{2212}\x{3000}\x{30FC}\x{FF0D}\x{FF0E}-]'
PAT="(?<![0-9\x{FF10}-\x{FF19}+\x{FF0B}])(?<!$DG$SP)$DG(?:$SP?$DG){11,12}(?!$SP?$DG)"

FILTER=$D/mn-filter.awk
PEER=$D/mn-grep.sh
cat >"$FILTER" <<'EOF'
# grep -ob lines "OFFSET:TEXT" -> "OFFSET DIGITS" for valid numbers only.
{
	i = index($0, ":"); off = substr($0, 1, i - 1); s = substr($0, i + 1)
	gsub(/０/, "0", s); gsub(/１/, "1", s); gsub(/２/, "2", s); gsub(/３/, "3", s)
	gsub(/４/, "4", s); gsub(/５/, "5", s); gsub(/６/, "6", s); gsub(/７/, "7", s)
	gsub(/８/, "8", s); gsub(/９/, "9", s); gsub(/[^0-9]/, "", s)
	n = length(s); sum = 0
	if (n == 12) {
		# weights 2..7 then 2..6 from the digit left of the check digit
		for (k = 1; k <= 11; k++) sum += substr(s, 12 - k, 1) * (k <= 6 ? k + 1 : k - 5)
		sum %= 11
		if ((sum <= 1 ? 0 : 11 - sum) == substr(s, 12, 1) + 0) print off, s
	} else if (n == 13) {
		# weights 1, 2, 1, 2, ... from the last digit; the check digit is first
		for (k = 1; k <= 12; k++) sum += substr(s, 14 - k, 1) * (k % 2 ? 1 : 2)
		if (9 - sum % 9 == substr(s, 1, 1) + 0) print off, s
	}
}
EOF
cat >"$PEER" <<EOF
#!/bin/sh
# grep -P with the detector's pattern, then the check-digit filter.
LC_ALL=C.UTF-8 grep -obP '$PAT' "\$1" | LC_ALL=C awk -f '$FILTER'
EOF

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "== mnguard bench: individual-number detector vs grep -P + awk check digits ($(grep -V | head -n 1))"
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpora of $MIB MiB each; median of $R runs; MB/s = 10^6 bytes per second of CPU time"
echo "(user + system; wall time in brackets); grep's time includes the awk filter and process start"
echo

TAB=$(mktemp)
trap 'rm -f "$TAB" "$D"/mn-ours-*.txt "$D"/mn-peer-*.txt' EXIT INT TERM
for c in clean dirty; do
	f=$D/mn-$c.txt
	"$BIN" gen "$c" "$MIB" "$f" || fail "bench_mynumber gen $c failed"
	ours=$("$BIN" scan -r "$R" -o "$D/mn-ours-$c.txt" "$f") || fail "bench_mynumber scan $f failed"
	peer=$("$BIN" run -r "$R" -o "$D/mn-peer-$c.txt" -- sh "$PEER" "$f") ||
		fail "grep -P | awk on $f failed ($peer)"
	sort -o "$D/mn-ours-$c.txt" "$D/mn-ours-$c.txt"
	sort -o "$D/mn-peer-$c.txt" "$D/mn-peer-$c.txt"
	if ! cmp -s "$D/mn-ours-$c.txt" "$D/mn-peer-$c.txt"; then
		echo "mnguard and grep found different numbers in $f (first differences):" >&2
		diff "$D/mn-ours-$c.txt" "$D/mn-peer-$c.txt" | head -n 10 >&2 || true
		fail "the two sides disagree on $c text"
	fi
	found=$(wc -l <"$D/mn-ours-$c.txt")
	[ "$(kv "$ours" invalid_utf8)" = 0 ] || fail "the $c corpus is not valid UTF-8"
	bytes=$(kv "$ours" bytes)
	echo "$c $bytes $found $(kv "$ours" individual) $(kv "$ours" corporate) $(kv "$ours" keyword)" \
		"$(kv "$ours" cpu_mb_s) $(kv "$ours" mb_s) $(mbs "$bytes" "$(kv "$peer" cpu_ms)")" \
		"$(mbs "$bytes" "$(kv "$peer" ms)")" >>"$TAB"
done

printf '%-6s | %8s | %7s | %7s | %8s | %21s | %19s | %6s\n' text matches indiv. corp. keyword \
	"mnguard MB/s" "grep+awk MB/s" ratio
printf -- '-------+----------+---------+---------+----------+-----------------------+---------------------+-------\n'
while read -r c bytes found ind cor kw ocpu owall pcpu pwall; do
	printf '%-6s | %8s | %7s | %7s | %8s | %8s (%8s) | %7s (%8s) | %5sx\n' "$c" "$found" "$ind" \
		"$cor" "$kw" "$ocpu" "$owall" "$pcpu" "$pwall" "$(ratio "$ocpu" "$pcpu")"
done <"$TAB"
echo "both sides found the same numbers at the same byte offsets in both texts"
echo

verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi
}
clean_mbs=$(awk '$1 == "clean" { print $7 }' "$TAB")
echo "Targets:"
ok=0; ge "$clean_mbs" 1000 && ok=1
printf '  %s  >= 1 GB/s per core on clean text: %s MB/s\n' "$(verdict $ok)" "$clean_mbs"
while read -r c bytes found ind cor kw ocpu owall pcpu pwall; do
	r=$(ratio "$ocpu" "$pcpu")
	ok=0; ge "$r" 10 && ok=1
	printf '  %s  >= 10x grep -P + check digits on %s text: %sx\n' "$(verdict $ok)" "$c" "$r"
done <"$TAB"
