#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages on a fresh Debian 12: install mnguard, libpam-mnguard
# and mnguard-helpdesk with apt into a new debootstrap chroot (dependencies
# resolved by apt), check the installed files, permissions, units, udev rule,
# PAM profile, baseline rules, fallback script, kernel command line command
# and audit log rotation, run the programs there, then purge the packages and
# check that nothing is left but the audit logs.
#
# Needs root, debootstrap and the Debian mirror the host's apt uses
# (MNG_DEBIAN_MIRROR overrides it). The downloaded base system is kept in
# build/packaging/ (debootstrap --make-tarball) and the packages apt fetched
# in build/packaging/apt/, so a second run downloads nothing but apt's
# package lists (and those only once a day).
# Prints PASS:/FAIL: lines; "make check-deb" runs it after "make deb".
set -u

SRC=${MNG_SRCDIR:-$(pwd)}
DEBS=${MNG_DEB_DIR:-$SRC/build/deb}
WORK=${MNG_PACKAGING_WORK:-$SRC/build/packaging}
SUITE=bookworm
ROOT=$WORK/chroot
BASE_TGZ=$WORK/debootstrap-$SUITE-minbase.tgz
APT_CACHE=$WORK/apt
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

. "$(dirname "$0")/common.sh"
# mode_is PATH MODE OWNER:GROUP (inside the chroot)
mode_is() {
	[ "$(stat -c '%a %U:%G' "$ROOT$1" 2>/dev/null)" = "$2 $3" ]
}
if [ "$(id -u)" != 0 ]; then
	fail "the packaging test needs root (chroot, debootstrap)"
	finish
fi
for t in debootstrap chroot dpkg-deb; do
	command -v "$t" >/dev/null 2>&1 || { fail "$t is missing"; finish; }
done
set -- "$DEBS"/mnguard_*.deb "$DEBS"/libpam-mnguard_*.deb "$DEBS"/mnguard-helpdesk_*.deb
for d in "$@"; do
	[ -f "$d" ] || { fail "no package $d (run make deb)"; finish; }
done
pass "the three packages are built"
MIRROR=$(mirror)
[ -n "$MIRROR" ] || { fail "no Debian mirror found in the apt sources"; finish; }

mkdir -p "$WORK" "$APT_CACHE/archives/partial" "$APT_CACHE/lists/partial"
cleanup() {
	[ -d "$ROOT" ] && rm -rf "$ROOT"
}
trap cleanup EXIT
cleanup

# ---- a fresh Debian 12 ----
t0=$(date +%s)
if [ ! -s "$BASE_TGZ" ]; then
	echo "downloading the $SUITE base system once into $BASE_TGZ"
	if ! debootstrap --variant=minbase --make-tarball="$BASE_TGZ.tmp" "$SUITE" \
		"$WORK/tarball-work" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
		tail -n 20 "$WORK/debootstrap.log"
		rm -rf "$BASE_TGZ.tmp" "$WORK/tarball-work"
		fail "debootstrap --make-tarball"
		finish
	fi
	mv "$BASE_TGZ.tmp" "$BASE_TGZ"
	rm -rf "$WORK/tarball-work"
fi
if debootstrap --variant=minbase --unpack-tarball="$BASE_TGZ" "$SUITE" "$ROOT" "$MIRROR" \
	>"$WORK/debootstrap.log" 2>&1; then
	pass "fresh $SUITE chroot from the cached tarball ($(($(date +%s) - t0)) s)"
else
	tail -n 20 "$WORK/debootstrap.log"
	fail "debootstrap --unpack-tarball"
	finish
fi

# apt inside the chroot: the host's mirror, the kept package cache.
echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
cp -a "$APT_CACHE/lists/." "$ROOT/var/lib/apt/lists/"
cp -a "$APT_CACHE/archives/." "$ROOT/var/cache/apt/archives/"
fresh=$(find "$APT_CACHE/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)
if [ -z "$fresh" ]; then
	check "apt-get update in the chroot" in_root apt-get update -q
fi

# What a fresh system holds, to compare with after the purge.
snapshot() {
	(cd "$ROOT" && find . -xdev \
		\( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./run \
		-o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
		-o -path ./var/log/apt -o -path ./var/log/dpkg.log -o -path ./var/log/alternatives.log \
		-o -path ./var/log/mnguard -o -path ./etc/ld.so.cache \) -prune -o -print | sort) |
		grep -vx './etc/gshadow-' # groupadd's backup of /etc/gshadow is the shadow tools' own
}
# logrotate is on every standard Debian system; it belongs to the fresh one.
check "apt-get install logrotate (part of the fresh system)" \
	in_root apt-get install -y -q --no-install-recommends logrotate
# A terminal that prints has CUPS before mnguard comes: the print gate's
# diversions take its backends over, a CUPS reinstall keeps them, the purge
# gives them back.
if in_root apt-get install -y -q --no-install-recommends cups cups-daemon \
	>"$WORK/cups.log" 2>&1; then
	pass "apt-get install cups (part of the fresh system)"
else
	tail -n 20 "$WORK/cups.log"
	fail "apt-get install cups"
fi
CB=/usr/lib/cups/backend
CA=/usr/lib/cups/backend-available
backend_sums() { # the real backends as a fresh system has them
	chroot "$ROOT" sh -c "cd $CB && for n in ipp ipps http https lpd socket usb; do
		if [ -L \$n ]; then echo \"\$n -> \$(readlink \$n)\"
		elif [ -e \$n ]; then echo \"\$n \$(sha256sum <\$n | cut -c1-64) \$(stat -c %a \$n)\"; fi
	done"
}
backend_sums >"$WORK/backends-before.list"
snapshot >"$WORK/before.list"

# ---- install with apt: dependencies come from the mirror ----
mkdir -p "$ROOT/tmp/debs"
cp "$@" "$ROOT/tmp/debs/"
set --
for d in "$ROOT"/tmp/debs/*.deb; do
	set -- "$@" "/tmp/debs/${d##*/}"
done
if in_root apt-get install -y -q --no-install-recommends "$@" \
	>"$WORK/install.log" 2>&1; then
	pass "apt-get install mnguard libpam-mnguard mnguard-helpdesk (dependencies resolved)"
else
	tail -n 30 "$WORK/install.log"
	fail "apt-get install of the packages"
	finish
fi
cp -a "$ROOT/var/cache/apt/archives/." "$APT_CACHE/archives/"
cp -a "$ROOT/var/lib/apt/lists/." "$APT_CACHE/lists/"
for p in mnguard libpam-mnguard mnguard-helpdesk; do
	check "$p is installed" sh -c "chroot '$ROOT' dpkg-query -W -f='\${Status}' $p |
		grep -qx 'install ok installed'"
done

# ---- files and permissions ----
for f in /usr/sbin/mnguardd /usr/sbin/mnguardctl /usr/sbin/mnguard-kernel-cmdline \
	/usr/bin/mnguard-helpdesk /usr/libexec/mnguard/mnguard-fallback /usr/bin/mnguard-session; do
	check "$f 0755 root:root" mode_is "$f" 755 root:root
done
for f in /lib/systemd/system/mnguardd.service /lib/systemd/system/mnguard-fallback.service \
	/lib/udev/rules.d/70-mnguard.rules /usr/share/pam-configs/mnguard \
	/etc/logrotate.d/mnguard /etc/mnguard/mnguard.conf \
	/etc/mnguard/rules.d/90-mynumber-terminal.rules \
	"/lib/$MULTIARCH/security/pam_mnguard.so" /usr/share/man/man8/mnguardd.8.gz \
	/usr/share/man/man8/mnguard-kernel-cmdline.8.gz /usr/share/man/man8/pam_mnguard.8.gz \
	/usr/share/man/man1/mnguard-helpdesk.1.gz /usr/share/man/man5/mnguard.rules.5.gz \
	/usr/share/locale/ja/LC_MESSAGES/mnguard.mo /etc/xdg/autostart/mnguard-session.desktop \
	/usr/share/man/man1/mnguard-session.1.gz; do
	check "$f 0644 root:root" mode_is "$f" 644 root:root
done
check "mnguard-session autostarts from its installed path" \
	grep -qx 'Exec=/usr/bin/mnguard-session' "$ROOT/etc/xdg/autostart/mnguard-session.desktop"
check "/var/lib/mnguard 0700 root:root" mode_is /var/lib/mnguard 700 root:root
check "/var/log/mnguard 0750 root:root" mode_is /var/log/mnguard 750 root:root
check "/etc/mnguard/rules.d 0755 root:root" mode_is /etc/mnguard/rules.d 755 root:root
writable=$(chroot "$ROOT" sh -c 'dpkg -L mnguard libpam-mnguard mnguard-helpdesk |
	while read -r f; do [ -e "$f" ] && find "$f" -maxdepth 0 ! -type l \( -perm -0002 -o ! -user root \) ; done')
if [ -z "$writable" ]; then
	pass "no packaged file is world-writable or owned by anyone but root"
else
	fail "world-writable or not root-owned: $writable"
fi
for g in mnguard-admin mnguard-users; do
	check "group $g exists" in_root getent group "$g"
done
conffiles=$(chroot "$ROOT" dpkg-query -W -f='${Conffiles}\n' mnguard | awk 'NF { print $1 }' | sort | tr '\n' ' ')
if [ "$conffiles" = "/etc/logrotate.d/mnguard /etc/mnguard/mnguard.conf /etc/mnguard/rules.d/90-mynumber-terminal.rules /etc/xdg/autostart/mnguard-session.desktop " ]; then
	pass "conffiles: logrotate, mnguard.conf, the baseline policy, the autostart entry"
else
	fail "conffiles are: $conffiles"
fi

# ---- the print gate in place of the CUPS backends ----
GATE=/usr/libexec/mnguard/mnguard-backend
check "$GATE and mnguard-extract 0755 root:root" sh -c \
	"[ \"\$(stat -c '%a %U:%G' '$ROOT$GATE' '$ROOT/usr/libexec/mnguard/mnguard-extract' | sort -u)\" = '755 root:root' ]"
divs=$(chroot "$ROOT" dpkg-divert --list 2>/dev/null | grep -c 'by mnguard$')
check "seven CUPS backends diverted by mnguard (dpkg-divert --list: $divs)" test "$divs" = 7
gate_checks() { # WHEN: every backend name runs the gate, every .real the real backend
	check "$1: $CB/ipp is the gate" cmp -s "$ROOT$GATE" "$ROOT$CB/ipp"
	check "$1: $CB/ipp.real is CUPS's backend" sh -c \
		"test -f '$ROOT$CB/ipp.real' && ! cmp -s '$ROOT$GATE' '$ROOT$CB/ipp.real'"
	# CUPS's ipps, http and https are links to ipp: diverted, they lead to the
	# gate again, and the gate runs ipp.real for them
	for n in ipps http https; do
		check "$1: $CB/$n is the gate" cmp -s "$ROOT$GATE" "$ROOT$CB/$n"
		check "$1: $CB/$n.real is CUPS's link to ipp (the gate runs ipp.real)" \
			test "$(readlink "$ROOT$CB/$n.real")" = ipp
	done
	for n in lpd socket usb; do
		check "$1: $CB/$n is the gate (cups's link to $CA/$n)" sh -c \
			"cmp -s '$ROOT$GATE' '$ROOT$CB/$n' && test '$ROOT$CB/$n' -ef '$ROOT$CA/$n'"
		check "$1: $CB/$n.real leads to CUPS's $n" sh -c \
			"test '$ROOT$CB/$n.real' -ef '$ROOT$CA/$n.real' && ! cmp -s '$ROOT$GATE' '$ROOT$CA/$n.real'"
	done
	check "$1: lpd and usb gates run as root (0744), ipp as lp (0755)" sh -c \
		"[ \"\$(stat -c %a '$ROOT$CA/lpd' '$ROOT$CA/usb' '$ROOT$CB/ipp' | tr '\n' ' ')\" = '744 744 755 ' ]"
	check "$1: mnguardctl print status: every backend passes the gate" in_root mnguardctl print status
}
gate_checks "after install"
check "mnguardctl print status names the package's diversions" sh -c \
	"chroot '$ROOT' mnguardctl print status | grep -q 'ipp.*enforced (mnguard package, dpkg-divert)'"
check "mnguardctl print enforce agrees (nothing to change)" sh -c \
	"out=\$(chroot '$ROOT' mnguardctl print enforce) && test -z \"\$out\""
check "mnguardctl print unenforce refuses the package's diversions" sh -c \
	"! chroot '$ROOT' mnguardctl print unenforce && cmp -s '$ROOT$GATE' '$ROOT$CB/ipp'"
check "the cupsd snippet is shipped" test -s "$ROOT/usr/share/mnguard/cups/mnguard-cupsd.conf"
if in_root apt-get install -y -q --reinstall --no-install-recommends cups cups-daemon \
	>"$WORK/cups-reinstall.log" 2>&1; then
	pass "apt-get install --reinstall cups cups-daemon"
else
	tail -n 20 "$WORK/cups-reinstall.log"
	fail "apt-get install --reinstall cups cups-daemon"
fi
gate_checks "after a CUPS reinstall"

# ---- first install: a local baseline from the devices present ----
BL=$ROOT/etc/mnguard/rules.d/50-baseline.rules
check "postinst wrote 50-baseline.rules" test -f "$BL"
check "50-baseline.rules is 0644 root:root" mode_is /etc/mnguard/rules.d/50-baseline.rules 644 root:root
check "50-baseline.rules says where it came from" grep -q 'generate-policy' "$BL"
present=$(chroot "$ROOT" mnguardctl generate-policy 2>/dev/null | grep -c '^allow' || true)
inbl=$(grep -c '^allow' "$BL" || true)
if [ "$present" = "$inbl" ]; then
	pass "the baseline allows the $present USB devices the chroot sees"
else
	fail "baseline has $inbl rules, generate-policy gives $present"
fi
# A reinstall (configure with the old version) keeps the administrator's file.
echo '# edited by the administrator' >>"$BL"
in_root dpkg-reconfigure mnguard >/dev/null 2>&1 || in_root sh -c 'dpkg --configure -a' >/dev/null 2>&1
check "an upgrade or reconfigure leaves 50-baseline.rules alone" grep -q 'edited by the administrator' "$BL"

# ---- the programs run ----
if out=$(in_root mnguardctl rules check /etc/mnguard/rules.d 2>&1); then
	pass "mnguardctl rules check /etc/mnguard/rules.d ($(echo "$out" | tr '\n' ' '))"
else
	fail "mnguardctl rules check /etc/mnguard/rules.d: $out"
fi
check "mnguardd --help" sh -c "chroot '$ROOT' mnguardd --help | grep -q 'usage: mnguardd'"
check "mnguardd --version" sh -c "chroot '$ROOT' mnguardd --version | grep -q '^mnguardd '"
check "mnguard-helpdesk --help" in_root mnguard-helpdesk --help
check "mnguardctl --help" in_root mnguardctl --help

# ---- units ----
U=$ROOT/lib/systemd/system/mnguardd.service
for l in Type=notify Restart=always WatchdogSec=30 ProtectSystem=strict NoNewPrivileges=yes \
	'RestrictAddressFamilies=AF_UNIX AF_NETLINK' 'CapabilityBoundingSet=CAP_SYS_ADMIN CAP_NET_ADMIN' \
	'ExecStart=/usr/sbin/mnguardd --foreground' OnFailure=mnguard-fallback.service \
	'Before=display-manager.service systemd-user-sessions.service getty.target'; do
	check "mnguardd.service: $l" grep -qx "$l" "$U"
done
check "mnguardd.service is enabled (multi-user.target.wants)" \
	test -L "$ROOT/etc/systemd/system/multi-user.target.wants/mnguardd.service"
check "mnguard-fallback.service is not enabled" sh -c \
	"! find '$ROOT/etc/systemd/system' -name mnguard-fallback.service | grep -q ."
check "mnguard-fallback.service runs the installed script" \
	grep -qx 'ExecStart=/usr/libexec/mnguard/mnguard-fallback' \
	"$ROOT/lib/systemd/system/mnguard-fallback.service"
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in mnguardd mnguard-fallback; do
		if out=$(systemd-analyze security --offline=yes --root="$ROOT" --threshold=25 \
			"$u.service" 2>&1); then
			pass "systemd-analyze security $u.service: $(echo "$out" | sed -n 's/.*exposure level for [^:]*: //p')"
		else
			fail "systemd-analyze security $u.service: $(echo "$out" | tail -n 1)"
		fi
	done
fi
check "udev rule sets authorized_default=0" \
	grep -q 'ATTR{authorized_default}="0"' "$ROOT/lib/udev/rules.d/70-mnguard.rules"
check "udev rule sets interface_authorized_default=0" \
	grep -q 'ATTR{interface_authorized_default}="0"' "$ROOT/lib/udev/rules.d/70-mnguard.rules"

# ---- PAM: the profile is offered, off by default, and works when enabled ----
check "pam-auth-update knows the profile" test -f "$ROOT/usr/share/pam-configs/mnguard"
check "common-auth does not use pam_mnguard after install (Default: no)" \
	sh -c "! grep -q pam_mnguard '$ROOT/etc/pam.d/common-auth'"
in_root pam-auth-update --enable mnguard >/dev/null 2>&1
check "pam-auth-update --enable mnguard: auth line after the password" sh -c \
	"awk '/pam_permit.so/ { p = 1 } p && /pam_mnguard.so nouserok/ { f = 1 } END { exit !f }' \
	'$ROOT/etc/pam.d/common-auth'"
check "pam-auth-update --enable mnguard: session line" \
	grep -q 'optional.*pam_mnguard.so' "$ROOT/etc/pam.d/common-session"

# ---- the fallback script on a made-up sysfs ----
FS=$ROOT/tmp/sysfs
D=$FS/bus/usb/devices
mkdir -p "$D"
: >"$FS/bus/usb/drivers_probe"
mkdev() { # mkdev NAME AUTHORIZED DESCRIPTOR-BYTES(octal escapes) then interfaces CLASS:SUB:PROTO...
	n=$1 a=$2 desc=$3
	shift 3
	mkdir -p "$D/$n"
	echo "$a" >"$D/$n/authorized"
	echo 1234 >"$D/$n/idVendor"
	echo 5678 >"$D/$n/idProduct"
	printf "$desc" >"$D/$n/descriptors"
	i=0
	for c in "$@"; do
		mkdir -p "$D/$n:1.$i"
		echo 0 >"$D/$n:1.$i/authorized"
		echo "${c%%:*}" >"$D/$n:1.$i/bInterfaceClass"
		c=${c#*:}
		echo "${c%%:*}" >"$D/$n:1.$i/bInterfaceSubClass"
		echo "${c#*:}" >"$D/$n:1.$i/bInterfaceProtocol"
		i=$((i + 1))
	done
}
DEVD='\022\001\000\002\000\000\000\100\064\022\170\126\000\001\001\002\003\001'
CONF='\011\002\040\000\001\001\000\200\062'
IF_KBD='\011\004\000\000\001\003\001\001\000'
IF_MSC='\011\004\001\000\002\010\006\120\000'
mkdir -p "$D/usb1"
echo -1 >"$D/usb1/authorized_default"
echo 1 >"$D/usb1/interface_authorized_default"
echo 1 >"$D/usb1/authorized"
mkdev 1-1 0 "$DEVD$CONF$IF_KBD" 03:01:01
mkdev 1-2 1 "$DEVD$CONF$IF_MSC" 08:06:50
mkdev 1-3 0 "$DEVD$CONF$IF_KBD$IF_MSC" 03:01:01 08:06:50
mkdev 1-4 0 "$DEVD$CONF\011\004\000\000\001\377\000\000\000" ff:00:00
mkdev 1-5 0 '\002\001\377' 03:01:01
in_root env MNG_SYSFS=/tmp/sysfs /usr/libexec/mnguard/mnguard-fallback --once >"$WORK/fallback.log" 2>&1
check "fallback: root hub authorized_default=0" grep -qx 0 "$D/usb1/authorized_default"
check "fallback: root hub interface_authorized_default=0" grep -qx 0 "$D/usb1/interface_authorized_default"
check "fallback: keyboard authorized" grep -qx 1 "$D/1-1/authorized"
check "fallback: keyboard interface authorized" grep -qx 1 "$D/1-1:1.0/authorized"
# (each write replaces the stand-in file: it holds the last interface probed)
check "fallback: authorized interfaces sent to drivers_probe" grep -qx '1-[13]:1.0' "$FS/bus/usb/drivers_probe"
check "fallback: authorized storage device deauthorized" grep -qx 0 "$D/1-2/authorized"
check "fallback: keyboard+storage composite authorized" grep -qx 1 "$D/1-3/authorized"
check "fallback: composite keeps its keyboard interface" grep -qx 1 "$D/1-3:1.0/authorized"
check "fallback: composite loses its storage interface" grep -qx 0 "$D/1-3:1.1/authorized"
check "fallback: vendor-specific device stays blocked" grep -qx 0 "$D/1-4/authorized"
check "fallback: truncated descriptors stay blocked" grep -qx 0 "$D/1-5/authorized"
check "fallback: its actions are recorded for the audit log" \
	grep -q ' blocked 1-2 ' "$ROOT/var/lib/mnguard/fallback.log"
# Behind a root hub that does not hold interface_authorized_default=0 nothing is authorized.
rm -rf "$FS"
mkdir -p "$D"
mkdir -p "$D/usb1"
echo 1 >"$D/usb1/authorized"
echo -1 >"$D/usb1/authorized_default"
mkdev 1-1 0 "$DEVD$CONF$IF_KBD" 03:01:01
in_root env MNG_SYSFS=/tmp/sysfs /usr/libexec/mnguard/mnguard-fallback --once >/dev/null 2>&1
rc=$?
check "fallback: no interface_authorized_default, the keyboard stays blocked" grep -qx 0 "$D/1-1/authorized"
check "fallback: and says it failed (exit 1)" test "$rc" = 1
rm -rf "$FS"

# ---- kernel command line opt-in ----
check "mnguard-kernel-cmdline enable --no-update" in_root mnguard-kernel-cmdline enable --no-update
check "it writes /etc/default/grub.d/mnguard.cfg" \
	grep -q 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX usbcore.authorized_default=0"' \
	"$ROOT/etc/default/grub.d/mnguard.cfg"
check "mnguard-kernel-cmdline status says configured" sh -c \
	"chroot '$ROOT' mnguard-kernel-cmdline status | grep -q 'configured: yes'"
check "mnguard-kernel-cmdline refuses an unknown command" sh -c \
	"chroot '$ROOT' mnguard-kernel-cmdline frobnicate; test \$? = 2"

# ---- audit log rotation keeps one chain ----
T=/tmp/audit-test
mkdir -p "$ROOT$T/state"
chmod 0700 "$ROOT$T" "$ROOT$T/state"
cat >"$ROOT$T/mnguard.conf" <<EOF
rules_dir = /etc/mnguard/rules.d
audit_log = $T/audit.log
state_dir = $T/state
socket = $T/mnguardd.sock
EOF
run_agent() { # start mnguardd in the chroot, wait for its socket, stop it
	chroot "$ROOT" mnguardd --foreground --config "$T/mnguard.conf" >>"$WORK/agent.log" 2>&1 &
	apid=$!
	i=0
	while [ ! -S "$ROOT$T/mnguardd.sock" ] && [ $i -lt 100 ] && kill -0 "$apid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM "$apid" 2>/dev/null
	wait "$apid"
}
run_agent
check "mnguardd starts in the chroot and writes its audit log" test -s "$ROOT$T/audit.log"
sed "s|/var/log/mnguard/audit.log|$T/audit.log|" "$ROOT/etc/logrotate.d/mnguard" >"$ROOT$T/logrotate.conf"
check "logrotate rotates the audit log" in_root logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf"
check "the rotated file is audit.log.1, nothing took its place" sh -c \
	"test -s '$ROOT$T/audit.log.1' && test ! -e '$ROOT$T/audit.log'"
run_agent
if out=$(in_root mnguardctl audit verify "$T/audit.log.1" "$T/audit.log" --anchor "$T/state/audit.anchor" 2>&1); then
	pass "audit verify across the rotation: $(echo "$out" | tr '\n' ' ')"
else
	fail "audit verify across the rotation: $out"
fi
check "the new file starts with a chain.start that links to the old one" sh -c \
	"head -n 1 '$ROOT$T/audit.log' | grep -q '\"event\":\"chain.start\"' &&
	 head -n 1 '$ROOT$T/audit.log' | grep -vq '\"seq\":1,'"
rm -rf "${ROOT:?}$T"
mkdir -p "$ROOT/var/log/mnguard"
echo '{"kept":"as evidence"}' >"$ROOT/var/log/mnguard/audit.log"

# ---- purge: nothing left but the logs ----
if in_root apt-get purge -y -q mnguard libpam-mnguard mnguard-helpdesk \
	>"$WORK/purge.log" 2>&1 && in_root apt-get autoremove --purge -y -q >>"$WORK/purge.log" 2>&1; then
	pass "apt-get purge and autoremove --purge"
else
	tail -n 30 "$WORK/purge.log"
	fail "apt-get purge"
fi
for p in mnguard libpam-mnguard mnguard-helpdesk; do
	check "$p is gone from dpkg" sh -c "! chroot '$ROOT' dpkg-query -W -f='\${Status}' $p 2>/dev/null |
		grep -q installed"
done
check "no pam_mnguard line is left in /etc/pam.d" sh -c "! grep -rq pam_mnguard '$ROOT/etc/pam.d'"
for g in mnguard-admin mnguard-users; do
	check "group $g removed" sh -c "! chroot '$ROOT' getent group $g"
done
check "the kernel command line snippet is gone" test ! -e "$ROOT/etc/default/grub.d/mnguard.cfg"
check "mnguard-session and its autostart entry are gone" sh -c \
	"test ! -e '$ROOT/usr/bin/mnguard-session' && test ! -e '$ROOT/etc/xdg/autostart/mnguard-session.desktop'"
check "the audit logs are kept" test -s "$ROOT/var/log/mnguard/audit.log"
check "no diversion is left" sh -c "! chroot '$ROOT' dpkg-divert --list | grep -q mnguard"
backend_sums >"$WORK/backends-after.list"
if diff -u "$WORK/backends-before.list" "$WORK/backends-after.list" >"$WORK/backends.diff"; then
	pass "the purge gives CUPS its own backends back, with their modes"
else
	fail "CUPS's backends differ after the purge:"
	cat "$WORK/backends.diff"
fi
rm -rf "$ROOT/tmp/debs"
snapshot >"$WORK/after.list"
if diff -u "$WORK/before.list" "$WORK/after.list" >"$WORK/leftover.diff"; then
	pass "after the purge the file system is as before, but for the logs"
else
	fail "left behind after the purge:"
	grep '^[+-]\.' "$WORK/leftover.diff"
fi

finish
