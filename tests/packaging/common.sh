# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the packaging tests (test_packaging.sh, test_ansible.sh), which
# source it after setting ROOT (the chroot) and SUITE (the Debian release).
# PASS:/FAIL: lines and the closing "N passed, M failed" line that
# tests/run-unit.sh counts; running a command inside the chroot; the
# Debian mirror the host's apt uses.

passed=0
failed=0
pass() {
	echo "PASS: $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
check() { # check NAME COMMAND...: PASS when COMMAND succeeds
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}
in_root() { # in_root COMMAND...: run it in the chroot with a clean environment
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
# The Debian mirror the host's apt uses (deb822 or one-line sources);
# MNG_DEBIAN_MIRROR overrides it.
mirror() {
	[ -n "${MNG_DEBIAN_MIRROR:-}" ] && { echo "$MNG_DEBIAN_MIRROR"; return; }
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
	done | head -n 1 | grep . && return
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$SUITE" '$1 == "deb" && $3 == s && $2 ~ /\/debian\/?$/ { print $2; exit }'
}
