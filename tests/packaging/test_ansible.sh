#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Ansible role (packaging/ansible/) run by ansible-playbook against a
# fresh Debian 12 debootstrap chroot (community.general.chroot connection;
# Debian's "ansible" package carries it, "ansible-core" alone does not):
# the .debs installed with their dependencies, the trust keys placed, a
# signed bundle pushed and installed with mnguardctl policy install, and
# mnguardctl status checked by the role itself. A second run changes
# nothing; check mode changes nothing and does not fail; a newer bundle
# is installed; an older one makes the role fail with the agent's reason.
#
# mnguardd cannot run inside the chroot (no systemd, no devices of its
# own, and the host's sysfs must never be handed to it), so this test runs
# the real mnguardd on the host, inside a umockdev testbed, with every path
# of its configuration inside the chroot: its socket is the chroot's
# /run/mnguard/mnguardd.sock, its trust directory the chroot's
# /etc/mnguard/trust, its state the chroot's /var/lib/mnguard. The
# mnguardctl of the installed package, run by the role inside the chroot,
# therefore talks to a real agent that verifies with the keys the role
# placed: "check status" asserts that the agent answers, is not in
# fallback, and has the bundle's version in force. What the chroot cannot
# show is the systemd side (mnguard_manage_service is off here).
#
# Reuses the debootstrap tarball and apt cache of test_packaging.sh in
# build/packaging/. Needs root, debootstrap, ansible, umockdev.
# Prints PASS:/FAIL: lines; "make check-ansible" runs it after "make deb".
set -u

SRC=${MNG_SRCDIR:-$(pwd)}
DEBS=${MNG_DEB_DIR:-$SRC/build/deb}
# Ansible resolves a relative path against the playbook, not here: make it absolute.
case "$DEBS" in /*) ;; *) DEBS=$SRC/$DEBS ;; esac
WORK=${MNG_PACKAGING_WORK:-$SRC/build/packaging}
BUILD=${MNG_BUILD:-build/default}
AGENT=${MNG_AGENT:-$SRC/$BUILD/mnguardd}
HD=${MNG_HELPDESK:-$SRC/$BUILD/mnguard-helpdesk}
CTL=${MNG_CTL:-$SRC/$BUILD/mnguardctl}
SUITE=bookworm
ROOT=$WORK/ansible-chroot
BASE_TGZ=$WORK/debootstrap-$SUITE-minbase.tgz
APT_CACHE=$WORK/apt
T=$WORK/ansible-work
UMOCK=$SRC/tests/data/umockdev

. "$(dirname "$0")/common.sh"
agent_pid=
cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	[ -d "$ROOT" ] && rm -rf "$ROOT"
}
if [ "$(id -u)" != 0 ]; then
	fail "the Ansible test needs root (chroot)"
	finish
fi
for t in debootstrap chroot ansible-playbook umockdev-run; do
	command -v "$t" >/dev/null 2>&1 || { fail "$t is missing (apt-get install ansible debootstrap umockdev)"; finish; }
done
ansible-doc -t connection community.general.chroot >/dev/null 2>&1 ||
	{ fail "the community.general.chroot connection is missing (Debian package ansible)"; finish; }
for d in "$DEBS"/mnguard_*.deb "$DEBS"/libpam-mnguard_*.deb; do
	[ -f "$d" ] || { fail "no package $d (run make deb)"; finish; }
done
for b in "$AGENT" "$HD" "$CTL"; do
	[ -x "$b" ] || { fail "no $b (run make)"; finish; }
done
MIRROR=$(mirror)
[ -n "$MIRROR" ] || { fail "no Debian mirror found in the apt sources"; finish; }
mkdir -p "$WORK" "$APT_CACHE/archives/partial" "$APT_CACHE/lists/partial"
trap cleanup EXIT
cleanup
rm -rf "$T"
mkdir -p "$T"

# ---- a fresh Debian 12 with python3 (what Ansible needs on a managed host) ----
if [ ! -s "$BASE_TGZ" ]; then
	debootstrap --variant=minbase --make-tarball="$BASE_TGZ.tmp" "$SUITE" \
		"$WORK/tarball-work" "$MIRROR" >"$T/debootstrap.log" 2>&1 &&
		mv "$BASE_TGZ.tmp" "$BASE_TGZ"
	rm -rf "$BASE_TGZ.tmp" "$WORK/tarball-work"
fi
if debootstrap --variant=minbase --unpack-tarball="$BASE_TGZ" "$SUITE" "$ROOT" "$MIRROR" \
	>"$T/debootstrap.log" 2>&1; then
	pass "fresh $SUITE chroot"
else
	tail -n 20 "$T/debootstrap.log"
	fail "debootstrap"
	finish
fi
echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
cp -a "$APT_CACHE/lists/." "$ROOT/var/lib/apt/lists/"
cp -a "$APT_CACHE/archives/." "$ROOT/var/cache/apt/archives/"
if [ -z "$(find "$APT_CACHE/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
	check "apt-get update in the chroot" in_root apt-get update -q
fi
if in_root apt-get install -y -q --no-install-recommends python3 python3-apt >"$T/python.log" 2>&1; then
	pass "python3 and python3-apt in the chroot (the managed host's side of Ansible)"
else
	tail -n 20 "$T/python.log"
	fail "python3 in the chroot"
	finish
fi
cp -a "$ROOT/var/cache/apt/archives/." "$APT_CACHE/archives/"
cp -a "$ROOT/var/lib/apt/lists/." "$APT_CACHE/lists/"

# ---- keys and bundles, as the help desk PC makes them ----
"$HD" keygen --dir "$T/keys" >/dev/null 2>&1
check "mnguard-helpdesk keygen" test -s "$T/keys/policy.key"
mkdir -p "$T/policy/rules.d" "$T/policy/trust/helpdesk"
cp "$SRC/rules/mynumber-terminal.rules" "$T/policy/rules.d/90-mynumber-terminal.rules"
printf 'allow with-interface 08:06:50 mode ro\n' >"$T/policy/rules.d/10-sticks.rules"
cp "$T/keys/helpdesk.pub" "$T/policy/trust/helpdesk/helpdesk.pub"
for v in 1 2 3; do
	"$HD" policy sign "$T/policy" --version $v --key "$T/keys/policy.key" \
		--out "$T/policy-$v.bundle" --log "$T/policies.csv" >/dev/null 2>&1
done
check "three bundles signed" test -s "$T/policy-1.bundle" -a -s "$T/policy-2.bundle" -a -s "$T/policy-3.bundle"

# ---- the agent: on the host, in a umockdev testbed, its paths in the chroot ----
mkdir -p "$ROOT/run/mnguard" "$ROOT/var/lib/mnguard" "$ROOT/var/log/mnguard" "$ROOT/etc/mnguard/rules.d"
chmod 0700 "$ROOT/var/lib/mnguard"
cat >"$T/agent.conf" <<CONF
rules_dir = $ROOT/etc/mnguard/rules.d
audit_log = $ROOT/var/log/mnguard/audit.log
socket = $ROOT/run/mnguard/mnguardd.sock
state_dir = $ROOT/var/lib/mnguard
trust_dir = $ROOT/etc/mnguard/trust
CONF
chmod 0644 "$T/agent.conf"
umockdev-run -d "$UMOCK/usbguard-devices.umockdev" -d "$UMOCK/demo-devices.umockdev" -- \
	"$AGENT" --foreground --config "$T/agent.conf" >"$T/agent.log" 2>&1 &
agent_pid=$!
i=0
until "$CTL" --socket "$ROOT/run/mnguard/mnguardd.sock" status >/dev/null 2>&1 ||
	[ $? = 1 ]; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$agent_pid" 2>/dev/null; then
		cat "$T/agent.log"
		fail "mnguardd in the testbed did not come up"
		finish
	fi
	sleep 0.1
done
pass "mnguardd runs in a umockdev testbed, its socket in the chroot"

# ---- the role ----
cat >"$T/inventory.yml" <<INV
terminals:
  hosts:
    $ROOT:
  vars:
    ansible_connection: community.general.chroot
    ansible_python_interpreter: /usr/bin/python3
    mnguard_install_from: debs
    mnguard_debs_dir: $DEBS
    mnguard_manage_service: false
    mnguard_policy_keys: [$T/keys/policy.pub]
    mnguard_helpdesk_keys: [$T/keys/helpdesk.pub]
INV
play() { # play LOG EXTRA-ARGS...: run the example playbook against the chroot
	log=$1
	shift
	ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
		ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" ANSIBLE_REMOTE_TEMP=/tmp/.ansible \
		ansible-playbook -i "$T/inventory.yml" "$SRC/packaging/ansible/site.yml" "$@" \
		>"$T/$log" 2>&1
}
recap() { # recap LOG FIELD: the number after FIELD= in the play recap
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$T/$1" | tail -n 1
}
status_version() {
	"$CTL" --socket "$ROOT/run/mnguard/mnguardd.sock" status --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["policy"]["version"])'
}

if play run1.log -e "mnguard_bundle=$T/policy-1.bundle"; then
	pass "first run: the role succeeds"
else
	tail -n 40 "$T/run1.log"
	fail "first run"
fi
check "first run changed something" test "$(recap run1.log changed)" -gt 0
check "mnguard and libpam-mnguard are installed from the .debs" sh -c \
	"chroot '$ROOT' dpkg-query -W -f='\${Status}\n' mnguard libpam-mnguard | grep -c 'install ok installed' | grep -qx 2"
check "policy key placed, root:root 0644" sh -c \
	"[ \"\$(stat -c '%a %U:%G' '$ROOT/etc/mnguard/trust/policy/policy.pub')\" = '644 root:root' ] &&
	 cmp -s '$ROOT/etc/mnguard/trust/policy/policy.pub' '$T/keys/policy.pub'"
check "help desk key placed" cmp -s "$ROOT/etc/mnguard/trust/helpdesk/helpdesk.pub" "$T/keys/helpdesk.pub"
check "the bundle is kept on the terminal, 0600" sh -c \
	"[ \"\$(stat -c '%a' '$ROOT/var/lib/mnguard-ansible/policy-1.bundle')\" = 600 ]"
check "the role's status check passed" grep -q "policy version 1 in force" "$T/run1.log"
check "the agent has version 1 in force" test "$(status_version)" = 1
check "the agent installed the bundle's files" test -f "$ROOT/var/lib/mnguard/policy/1/rules.d/10-sticks.rules"

play run2.log -e "mnguard_bundle=$T/policy-1.bundle"
check "second run succeeds" test $? = 0
check "second run changes nothing (idempotent)" test "$(recap run2.log changed)" = 0

play check.log --check --diff -e "mnguard_bundle=$T/policy-2.bundle"
check "check mode with a newer bundle succeeds" test $? = 0
check "check mode installs nothing" test "$(status_version)" = 1
check "check mode reports the bundle copy it would make" sh -c "test '$(recap check.log changed)' -gt 0"

printf 'stray\n' >"$T/stray.pub"
cp "$T/stray.pub" "$ROOT/etc/mnguard/trust/policy/stray.pub"
play run3.log -e "mnguard_bundle=$T/policy-3.bundle"
check "a newer bundle: the role succeeds" test $? = 0
check "version 3 in force" test "$(status_version)" = 3
check "a key not in the lists is removed" test ! -e "$ROOT/etc/mnguard/trust/policy/stray.pub"

play run4.log -e "mnguard_bundle=$T/policy-2.bundle"
check "an older bundle makes the role fail" test $? != 0
check "with the agent's reason" grep -q "older than the installed version 3" "$T/run4.log"
check "version 3 stays in force" test "$(status_version)" = 3

kill "$agent_pid" 2>/dev/null
wait "$agent_pid" 2>/dev/null
agent_pid=
check "the audit records of the rollout verify" \
	"$CTL" audit verify "$ROOT/var/log/mnguard/audit.log" --anchor "$ROOT/var/lib/mnguard/audit.anchor"
check "the audit log holds the installs and the refusal" sh -c \
	"grep -c '\"policy.bundle.install\"' '$ROOT/var/log/mnguard/audit.log' | grep -qx 2 &&
	 grep '\"policy.bundle.reject\"' '$ROOT/var/log/mnguard/audit.log' | grep -q 'no rollback'"
finish
