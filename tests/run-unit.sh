#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test given on the command line and ends with one summary line,
# "N passed, M failed", counting individual test cases:
#  - cmocka binaries run inside umockdev's preload (so they can build device
#    testbeds); their own "[  PASSED  ] n test(s)" / "[  FAILED  ] n test(s)"
#    lines are counted;
#  - shell tests (*.sh) print "PASS: name" / "FAIL: name" lines, counted too.
# A test program that crashes or exits non-zero without reporting a failure
# counts as one failure, so a crash can never pass unseen.
set -u
passed=0
failed=0
failed_names=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MNG_SRCDIR="${MNG_SRCDIR:-$(pwd)}"
# Leaks inside glibc itself (tests/lsan.supp says which), not in mnguard.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$MNG_SRCDIR/tests/lsan.supp:print_suppressions=0}"
wrap=""
command -v umockdev-wrapper >/dev/null 2>&1 && wrap="umockdev-wrapper"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	name=$(basename "$t")
	echo "== $name"
	case "$t" in
	*.sh) timeout 900 sh "$t" >"$log" 2>&1 ;;
	*) timeout 900 $wrap "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	p=$((p + $(grep -c '^PASS: ' "$log")))
	f=$((f + $(grep -c '^FAIL: ' "$log")))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$name: exited with status $rc"
		f=1
	fi
	if [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "$name: reported no test results"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" != 0 ] && failed_names="$failed_names $name"
done
[ -n "$failed_names" ] && echo "failed in:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
