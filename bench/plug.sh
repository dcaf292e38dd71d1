#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, second part: plug-to-decision latency and idle memory of the
# agent (mnguardd) beside usbguard-daemon, on the same umockdev testbed and
# the same rule files. See bench/README.md ("Plug to decision").
#
# Environment: MNG_BUILD (build tree, default build/default), MNG_BENCH_DIR
# (rule files, default build/bench), MNG_BENCH_SIZES (default
# "1000 10000 50000"; the first and the last size give the flatness ratio),
# MNG_BENCH_PLUGS (timed plugs per daemon and size, default 40),
# MNG_AGENT (default $MNG_BUILD/mnguardd).
#
# Needs root (both daemons do, and so does the private mount namespace the
# benchmark runs them in). Exit status 0 when everything ran and both
# daemons blocked every stick, whether or not the targets were met; 1 when
# something failed. Without root it says so and exits 0.
set -eu

cd "$(dirname "$0")/.."
B=${MNG_BUILD:-build/default}
D=${MNG_BENCH_DIR:-build/bench}
SIZES=${MNG_BENCH_SIZES:-"1000 10000 50000"}
P=${MNG_BENCH_PLUGS:-40}
AGENT=${MNG_AGENT:-$B/mnguardd}
PLUG=$B/bench/bench_plug
PEER=usbguard-daemon

fail() {
	echo "bench/plug.sh: $*" >&2
	exit 1
}

kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ratio SLOW FAST, one decimal
ratio() {
	awk -v s="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.1fx", s / f; else print "-" }'
}

mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi
}

echo
echo "== Plug to decision: mnguardd vs $PEER on a umockdev testbed"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: needs root (both daemons run as root, in a private mount namespace)"
	exit 0
fi
for x in "$PLUG" "$B/bench/gen_rules"; do
	[ -x "$x" ] || fail "$x is missing: run 'make bench'"
done
command -v "$PEER" >/dev/null || fail "$PEER not found (Debian package usbguard)"
have_agent=1
[ -x "$AGENT" ] || have_agent=0
mkdir -p "$D"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
peer_ver=$(dpkg-query -W -f='${Version}' usbguard 2>/dev/null || echo unknown)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$PEER $peer_ver (DeviceManagerBackend=umockdev, FileAudit); $P timed plugs per" \
	"daemon and size, median shown"
[ "$have_agent" = 1 ] || echo "mnguardd is not built ($AGENT): its columns stay empty"

TAB=$(mktemp)
trap 'rm -f "$TAB"' EXIT INT TERM

# The testbed's floor: a responder that only receives the uevent and writes
# authorized=0, no policy at all. It needs a rule file only for the command line.
f1=$D/rules-1.rules
"$B/bench/gen_rules" 1 "$f1" || fail "gen_rules 1 failed"
fl=$("$PLUG" -s floor -r "$f1" -n "$P" -w 5) || fail "the floor measurement failed"

for n in $SIZES; do
	f=$D/rules-$n.rules
	[ -s "$f" ] || "$B/bench/gen_rules" "$n" "$f" || fail "gen_rules $n failed"
	ug=$("$PLUG" -s usbguard -x "$PEER" -r "$f" -n "$P" -w 5) || fail "$PEER on $f failed"
	if [ "$have_agent" = 1 ]; then
		mg=$("$PLUG" -s mnguard -x "$AGENT" -r "$f" -n "$P" -w 5) || fail "mnguardd on $f failed"
	else
		mg="side=mnguard rules=$n median_ms=- p90_ms=- rss_kib=- decision=block"
	fi
	for line in "$ug" "$mg"; do
		[ "$(kv "$line" rules)" = "$n" ] ||
			fail "$(kv "$line" side): $f holds $(kv "$line" rules) rules, not $n"
		[ "$(kv "$line" decision)" = block ] ||
			fail "$(kv "$line" side) did not block the stick with $f"
	done
	echo "$n $(kv "$mg" median_ms) $(kv "$ug" median_ms) $(kv "$mg" rss_kib)" \
		"$(kv "$ug" rss_kib) $(kv "$mg" p90_ms) $(kv "$ug" p90_ms)" \
		"$(kv "$mg" from_plug_ms) $(kv "$ug" from_plug_ms) $(kv "$mg" late)" \
		"$(kv "$ug" late) $(kv "$ug" startup_ms) $(kv "$mg" startup_ms)" >>"$TAB"
done

echo
echo "Latency: from the moment the stick is complete in the testbed's sysfs to the moment its"
echo "'authorized' file holds 0 (median, ms); idle RSS after start-up and policy load (MiB)"
echo "(ratio = usbguard-daemon time / mnguardd time: how many times faster mnguardd is)"
echo
printf '%7s | %11s | %18s | %7s | %12s | %12s\n' rules "mnguardd ms" "usbguard-daemon ms" \
	ratio "mnguardd RSS" "usbguard RSS"
printf -- '--------+-------------+--------------------+---------+--------------+-------------\n'
while read -r n mm um mr ur _; do
	if [ "$mr" = - ]; then mrs=-; else mrs="$(mib "$mr") MiB"; fi
	printf '%7s | %11s | %18s | %7s | %12s | %12s\n' "$n" "$mm" "$um" "$(ratio "$um" "$mm")" \
		"$mrs" "$(mib "$ur") MiB"
done <"$TAB"
echo
printf '%7s | %11s | %18s |\n' "" "p90 ms" "p90 ms"
while read -r n _ _ _ _ mp up _; do
	printf '%7s | %11s | %18s |\n' "$n" "$mp" "$up"
done <"$TAB"
echo
echo "Testbed floor (a responder with no policy: uevent in, authorized=0 out): $(kv "$fl" median_ms) ms"
echo "Each side's time above the floor is its own work; usbguard-daemon's umockdev backend also"
echo "makes one umockdev_testbed_uevent call (median $(kv "$fl" uevent_call_ms) ms here) on its"
echo "device thread before it reads the first event, which is in its figure."
echo
echo "From the plug (mnguardd: umockdev_testbed_add_from_string called; usbguard-daemon: the"
echo "umockdev file linked into its device directory, which it parses and adds itself) to the"
echo "decision, median ms; start-up to policy loaded, ms; plugs seen late and replaced:"
while read -r n _ _ _ _ _ _ mf uf ml ul us ms; do
	echo "  $n rules: mnguardd $mf ms, usbguard-daemon $uf ms; start-up mnguardd $ms ms," \
		"usbguard-daemon $us ms; late $ml / $ul"
done <"$TAB"
echo

first=$(head -n 1 "$TAB")
last=$(tail -n 1 "$TAB")
nf=$(echo "$first" | cut -d' ' -f1)
nl=$(echo "$last" | cut -d' ' -f1)
flat() { # column
	awk -v a="$(echo "$first" | cut -d' ' -f"$1")" -v b="$(echo "$last" | cut -d' ' -f"$1")" \
		'BEGIN { if (a > 0 && b != "-") printf "%.2f", b / a; else print "-" }'
}
fm=$(flat 2)
fu=$(flat 3)
echo "Flatness (time at $nl rules / time at $nf rules): mnguardd $fm, usbguard-daemon $fu"
echo "For reference, the issue's figures for usbguard-daemon on such a machine: 2-3 ms at 1,000"
echo "rules, 8-9 ms at 10,000, 19-32 ms at 50,000; 13.8 MB RSS idle."
echo

echo "Targets:"
if [ "$have_agent" = 1 ]; then
	low=$(awk '{ r = $3 / $2; if (NR == 1 || r < m) m = r } END { printf "%.1f", m }' "$TAB")
	ok=0
	awk -v m="$low" 'BEGIN { exit !(m >= 10) }' && ok=1
	printf '  %s  latency at most 1/10 of usbguard-daemon'"'"'s at every size: lowest ratio %sx\n' \
		"$(verdict $ok)" "$low"
	maxr=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$TAB")
	ok=0
	[ "$maxr" -le 4096 ] && ok=1
	printf '  %s  idle RSS at most 4 MiB at every size: largest %s MiB\n' "$(verdict $ok)" \
		"$(mib "$maxr")"
	ok=0
	awk -v f="$fm" 'BEGIN { exit !(f <= 1.5) }' && ok=1
	printf '  %s  flat: time at %s rules at most 1.5x the time at %s rules: %s\n' \
		"$(verdict $ok)" "$nl" "$nf" "$fm"
else
	echo "  MISS  mnguardd is not built: nothing to compare"
fi
