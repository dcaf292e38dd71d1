#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each unit test binary given on the command line inside umockdev's
# preload (so tests may build device testbeds), prints cmocka's own output,
# and ends with one summary line: "N passed, M failed".
set -u
passed=0
failed=0
failed_names=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MNG_SRCDIR="${MNG_SRCDIR:-$(pwd)}"
wrap=""
command -v umockdev-wrapper >/dev/null 2>&1 && wrap="umockdev-wrapper"
for t in "$@"; do
	echo "== $(basename "$t")"
	if timeout 600 $wrap "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names="$failed_names $(basename "$t")"
	fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
