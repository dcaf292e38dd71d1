#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Entry of the real-kernel end-to-end suite (make check-vm, and make check
# through EXTRA_CHECKS): mnguardd in a QEMU guest with hot-plugged USB
# devices. Prints one PASS:/FAIL: line per scenario and ends with
# "N passed, M failed". See tests/vm/README.
#
# A sanitizer build (make check SANITIZE=1) is not booted: its agent would
# need the ASan runtime and its shadow memory inside the guest, and TCG makes
# it several times slower than the ten-minute budget allows. There the suite
# only prepares the kernel and an initramfs with those binaries (one PASS or
# FAIL line) and says that it skipped the scenarios.
set -u
here=$(dirname "$0")
py=/usr/bin/python3
[ -x "$py" ] || py=python3
# --from-deb DIR: the packaged programs, never a sanitizer build.
case " $* " in *" --from-deb "*) exec "$py" "$here/suite.py" "$@" ;; esac
agent=${MNG_AGENT:-${MNG_BUILD:-build/default}/mnguardd}
if [ -x "$agent" ] && ldd "$agent" 2>/dev/null | grep -q 'libasan'; then
	echo "SKIP: vm suite (sanitizer build): scenarios run in the non-sanitizer build only"
	exec "$py" "$here/suite.py" --prepare-only
fi
exec "$py" "$here/suite.py" "$@"
