#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each libFuzzer harness for RUNS executions over a copy of its seed
# corpus (the committed corpus is never modified). Usage: run.sh RUNS BIN...
set -eu
runs=$1
shift
status=0
for bin in "$@"; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	seed=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$seed" ] && cp -r "$seed"/. "$work"/
	echo "== fuzz_$name: $runs runs"
	if ! "$bin" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix=build/fuzz/ "$work" 2>"$work.log"; then
		status=1
		tail -50 "$work.log"
		echo "FAIL: fuzz_$name"
	else
		grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
		echo "PASS: fuzz_$name"
	fi
	rm -rf "$work" "$work.log"
done
exit $status
