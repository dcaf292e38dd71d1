#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/pam.sh: CPU time of one FIDO2 login through the full PAM stack
# (pam_wrapper + libpam + module + libfido2 + software key), the key's own CPU
# time taken out, for pam_mnguard.so and for Debian's pam_u2f.so with the same
# key and credential; prints the ratio ours / theirs against the target 1.0.
# See bench/README.md, "FIDO2 login through PAM".
#
# Environment: MNG_BUILD (build tree, default build/default), MNG_BENCH_PAM_RUNS
# (timed logins per module, at least 50, default 60).
#
# Exit status 0 when every login succeeded, whether or not the target was met;
# 1 otherwise. Needs root (pam_mnguard reads only root-owned files).
set -eu

cd "$(dirname "$0")/.."
B=${MNG_BUILD:-build/default}
R=${MNG_BENCH_PAM_RUNS:-60}
BIN=$B/bench/bench_pam
MOD=$B/pam_mnguard.so
SK=$B/tests/libsoftkey.so
SKCTL=$B/tests/softkey-ctl

fail() {
	echo "bench/pam.sh: $*" >&2
	exit 1
}

kv() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

case $R in
'' | *[!0-9]*) fail "MNG_BENCH_PAM_RUNS must be a number" ;;
esac
[ "$R" -ge 50 ] || fail "MNG_BENCH_PAM_RUNS must be at least 50"
[ "$(id -u)" = 0 ] || fail "needs root (pam_mnguard reads only root-owned files)"

# 'make bench' builds the benchmark programs; the module and the key come with 'make'.
missing=""
for x in "$BIN" "$MOD" "$SK" "$SKCTL"; do
	[ -e "$x" ] || missing="$missing $x"
done
if [ -n "$missing" ]; then
	echo "building$missing"
	# shellcheck disable=SC2086
	make --no-print-directory $missing >/dev/null || fail "cannot build$missing"
fi

ver=$(dpkg-query -W -f='${Version}' libpam-u2f 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "== mnguard bench: one FIDO2 login through PAM, pam_mnguard vs pam_u2f (libpam-u2f $ver)"
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median of $R logins per module after 5 warm-ups each, the modules taking turns; CPU time"
echo "(user + system) of pam_start + pam_authenticate + pam_end minus the software key's own"
echo

out=$("$BIN" -r "$R" -w 5 "$MOD" "$SK" "$SKCTL") || fail "bench_pam failed: $out"
ours=$(printf '%s\n' "$out" | grep '^side=mnguard ' || true)
peer=$(printf '%s\n' "$out" | grep '^side=u2f ' || true)
if [ -z "$ours" ] || [ -z "$peer" ]; then
	fail "bench_pam printed: $out"
fi

printf '%-12s | %12s | %12s | %13s | %12s | %14s | %9s | %9s\n' module "net CPU us" "p90 net us" \
	"auth only us" "gross CPU us" "key's CPU us" "key calls" "wall ms"
printf -- '-------------+--------------+--------------+---------------+--------------+----------------+-----------+----------\n'
for line in "$ours" "$peer"; do
	side=$(kv "$line" side)
	[ "$side" = mnguard ] && name=pam_mnguard || name=pam_u2f
	printf '%-12s | %12s | %12s | %13s | %12s | %14s | %9s | %9s\n' "$name" \
		"$(kv "$line" net_us)" "$(kv "$line" p90_net_us)" "$(kv "$line" auth_net_us)" \
		"$(kv "$line" gross_us)" "$(kv "$line" key_us)" "$(kv "$line" key_calls)" \
		"$(kv "$line" wall_ms)"
done
echo

ratio=$(awk -v o="$(kv "$ours" net_us)" -v p="$(kv "$peer" net_us)" \
	'BEGIN { if (p > 0) printf "%.2f", o / p; else print "inf" }')
if awk -v r="$ratio" 'BEGIN { exit !(r != "inf" && r <= 1.0) }'; then
	verdict=PASS
else
	verdict=MISS
fi
echo "Target:"
printf '  %s  CPU of one login, pam_mnguard / pam_u2f <= 1.0: %s\n' "$verdict" "$ratio"
