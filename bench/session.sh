#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/session.sh: copy-to-redaction latency of mnguard-session. Under a
# private Xvfb, tests/session/latency.c acts as the copying application: it
# sets CLIPBOARD to a text holding an individual number, serves it to the
# guard, and times XSetSelectionOwner -> SelectionClear (the guard took the
# selection), 200 times (MNG_BENCH_COPIES). Prints the median and p99.
# The guard runs without an agent (its built-in policy, block content
# mynumber, is the one measured); the report to the agent is sent after the
# selection is taken and is not part of the latency.
#
# Environment: MNG_BUILD (build tree, default build/default),
# MNG_BENCH_COPIES (default 200). Exit status 0 when every copy was taken.
set -eu

cd "$(dirname "$0")/.."
B=${MNG_BUILD:-build/default}
N=${MNG_BENCH_COPIES:-200}
for t in Xvfb; do
	command -v "$t" >/dev/null || { echo "bench/session.sh: $t is missing (apt-get install xvfb)"; exit 1; }
done
[ -x "$B/mnguard-session" ] && [ -x "$B/tests/session-latency" ] ||
	{ echo "bench/session.sh: build first (make)"; exit 1; }
T=$(mktemp -d)
D=$((150 + $$ % 100))
Xvfb ":$D" -nolisten tcp >"$T/xvfb.log" 2>&1 &
xp=$!
sp=
trap 'kill $sp $xp 2>/dev/null; rm -rf "$T"' EXIT INT TERM
sleep 0.5
DISPLAY=":$D" "$B/mnguard-session" --socket "$T/none.sock" --no-notify >"$T/session.log" 2>&1 &
sp=$!
sleep 0.3
echo "Clipboard guard (mnguard-session): copy-to-redaction latency over $N copies"
DISPLAY=":$D" "$B/tests/session-latency" "$N" >"$T/out"
grep -E '^(median|p99|not taken)' "$T/out" | sed 's/^/  /'
