#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages that building and testing mnguard needs,
# but only those that are missing, so a prepared machine pays nothing.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev mandoc \
libssl-dev libjson-c-dev libudev-dev libcmocka-dev \
libfido2-dev libcbor-dev libpam0g-dev libpam-wrapper libpamtest0-dev libpam-u2f pamu2fcfg gettext \
umockdev libumockdev-dev usbguard libusbguard-dev \
qemu-system-x86 busybox-static kmod \
cups cups-daemon cups-client cups-bsd cups-ipp-utils libcups2-dev libpoppler-glib-dev poppler-utils \
debhelper lintian debootstrap fakeroot dpkg-dev \
xvfb xclip xsel dunst dbus-daemon dbus-bin locales libx11-dev libxfixes-dev libxres-dev libnotify-dev libsystemd-dev \
systemd rsyslog rsyslog-relp rsyslog-gnutls chromium openssl ansible"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "mnguard: missing Debian packages:$missing" >&2
	echo "mnguard: run as root, or: apt-get install -y$missing" >&2
	exit 1
fi
echo "mnguard: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# usbguard's maintainer scripts try to start the daemon; no daemon is wanted here.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.mnguard
chmod 0755 /usr/sbin/policy-rc.d.mnguard
if [ ! -e /usr/sbin/policy-rc.d ]; then
	cp /usr/sbin/policy-rc.d.mnguard /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.mnguard' EXIT
else
	trap 'rm -f /usr/sbin/policy-rc.d.mnguard' EXIT
fi
apt-get install -y -q --no-install-recommends $missing
