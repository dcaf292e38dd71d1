# SPDX-License-Identifier: GPL-2.0-or-later
"""mnguard's real-kernel end-to-end suite: mnguardd inside a QEMU guest
(Debian kernel, busybox initramfs) with USB devices hot-plugged over QMP.

Each scenario asserts what the guest kernel shows (sysfs "authorized" and
driver links, /dev, /proc/partitions, /sys/class/net); the audit log is
checked in addition where the scenario is about a decision. Prints one
"PASS: name" / "FAIL: name" line per scenario and ends with
"N passed, M failed".

Usage: suite.py [--from-deb DIR] [--only N,N...] [--prepare-only]
(environment: MNG_AGENT, MNG_CTL, MNG_BUILD; MNG_VM_ACCEL=kvm|tcg forces the
accelerator, MNG_VM_CACHE the kernel cache, MNG_VM_KERNEL_REFRESH=1 asks the
mirror for a newer kernel even when one is cached)

--from-deb DIR runs the scenarios against the installed files of the
mnguard package in DIR (mnguard_*.deb, unpacked with dpkg -x into the
guest): /usr/sbin/mnguardd started as its systemd unit starts it,
/usr/sbin/mnguardctl, the shipped /etc/mnguard/mnguard.conf and rules, and
the package's udev rule run for every kernel event by a stand-in for udevd.
"""
import argparse
import hashlib
import os
import shlex
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mngvm  # noqa: E402
from mngvm import VMError, log  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU_STORAGE_ID = "46f4:0001"  # QEMU's usb-storage
MiB = 1 << 20


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def make_image(path, marker=b"", size=16 * MiB):
    with open(path, "wb") as f:
        f.truncate(size)
        f.write(marker)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def q(s):
    return shlex.quote(s)


class Guest:
    """A booted guest plus the bookkeeping of what the suite plugged in."""

    def __init__(self, vm, work, pkg=False):
        self.vm = vm
        self.work = work
        self.pkg = pkg  # the package's files (--from-deb)
        self.plugged = {}  # id -> is storage

    def sh(self, script, timeout=120, check=True):
        return self.vm.sh(script, timeout=timeout, check=check)

    def ok(self, script, msg, timeout=120):
        """script's status must be 0, else the scenario fails with msg and its output."""
        rc, out = self.sh(script, timeout=timeout, check=False)
        check(rc == 0, "%s\n%s" % (msg, out.strip()))
        return out

    def storage(self, dev_id, serial, image, read_only=False):
        self.vm.add_storage(dev_id, serial, image, read_only)
        self.plugged[dev_id] = True

    def device(self, driver, dev_id, **props):
        self.vm.add_device(driver, dev_id, **props)
        self.plugged[dev_id] = False

    def unplug(self, dev_id, wait=True):
        storage = self.plugged.pop(dev_id)
        self.vm.del_device(dev_id, wait=wait, storage=storage)

    def unplug_all(self):
        """Best effort (cleanup): a failure is logged, not raised."""
        for dev_id in list(self.plugged):
            try:
                self.unplug(dev_id)
            except VMError as e:
                log("cleanup: unplugging %s: %s" % (dev_id, e))

    def agent(self, name, local_rules):
        """Start mnguardd with a private configuration in /tmp/NAME: the
        shipped baseline policy plus local_rules as 50-local.rules. In the
        package mode the agent runs with the package's configuration, and
        local_rules is the terminal's /etc/mnguard/rules.d/50-local.rules, as
        an administrator writes it; /tmp/NAME links to the package's paths."""
        if self.pkg:
            self.ok("""pkg_view /tmp/%(n)s
cat >/etc/mnguard/rules.d/50-local.rules <<'RULES'
# rules of the VM suite's scenario
%(r)s
RULES
agent_start /tmp/%(n)s""" % {"n": name, "r": local_rules}, "mnguardd did not start")
            return "/tmp/" + name
        self.ok("""agent_config /tmp/%(n)s
cp /vm/baseline.rules /tmp/%(n)s/rules.d/90-mynumber-terminal.rules
cat >/tmp/%(n)s/rules.d/50-local.rules <<'RULES'
# rules of the VM suite's scenario
%(r)s
RULES
agent_start /tmp/%(n)s""" % {"n": name, "r": local_rules}, "mnguardd did not start")
        return "/tmp/" + name

    def ctl(self, adir):
        """mnguardctl talking to the scenario's agent (in the package mode
        through its default socket, which the shipped configuration uses)."""
        return "mnguardctl" if self.pkg else "mnguardctl --socket %s/mnguardd.sock" % adir

    def audit(self, adir):
        """The agent's audit records, as parsed JSON objects."""
        import json
        _, out = self.sh("cat %s/log/audit.log" % adir)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def stop_agent(self, adir):
        """Best effort (cleanup): a failure is logged, not raised."""
        try:
            rc, out = self.sh("agent_stop %s" % adir, check=False, timeout=60)
            if rc:
                log("cleanup: stopping the agent in %s: %s" % (adir, out.strip()))
        except VMError as e:
            log("cleanup: stopping the agent in %s: %s" % (adir, e))


def audit_decisions(recs, serial):
    return [r for r in recs if r.get("event", "").startswith("device.") and
            ('serial "%s"' % serial) in r.get("object", "")]


# ---- scenarios ------------------------------------------------------------------

def s0_udev_rule(g):
    """Package mode only, before any agent has run: the package's udev rule,
    applied by the guest's stand-in for udevd, has locked every root hub
    the kernel added (authorized_default and interface_authorized_default 0)."""
    g.ok("""n=0
locked() { [ "$(cat $1/authorized_default)" = 0 ] && [ "$(cat $1/interface_authorized_default)" = 0 ]; }
for h in /sys/bus/usb/devices/usb*; do
	n=$((n + 1))
	wait_until 30 locked $h || {
		echo "$h: authorized_default=$(cat $h/authorized_default)" \
			"interface_authorized_default=$(cat $h/interface_authorized_default)"
		cat /tmp/udev-rules.log /tmp/udev-rules.err 2>/dev/null
		exit 1
	}
	grep -q "^add .*/$(basename $h) authorized_default=0" /tmp/udev-rules.log ||
		{ echo "$h: the rule did not act on it"; cat /tmp/udev-rules.log; exit 1; }
done
[ $n -ge 2 ] || { echo "only $n root hubs"; exit 1; }
! pidof mnguardd || { echo "an agent is running"; exit 1; }
[ ! -s /tmp/udev-rules.err ] || { cat /tmp/udev-rules.err; exit 1; }""",
         "the package's udev rule did not lock the root hubs")


def s1_unapproved_storage(g):
    """An unapproved usb-storage stick: authorized stays 0 and no SCSI disk
    ever appears, sampled continuously from before the plug to the end; the
    audit log says block."""
    img = os.path.join(g.work, "s1.img")
    make_image(img, b"MNGVM scenario 1\n")
    adir = g.agent("s1", "")
    try:
        before = g.sh("dmesg | grep -c 'Mass Storage device detected' || true")[1].strip()
        g.sh("watch_start s1 1 MNGVM-S1-NO")
        g.storage("s1", "MNGVM-S1-NO", img)
        g.ok("wait_until 60 present MNGVM-S1-NO", "the stick never appeared in sysfs")
        g.ok("wait_until 60 audit_decided %s MNGVM-S1-NO" % adir,
             "the agent recorded no decision for the stick")
        # keep sampling well past the decision: a late bind would show up
        g.ok("n=$(watch_samples s1); wait_until 60 watch_more s1 $((n + 150))",
             "the watcher stopped sampling")
        g.ok("watch_stop s1", "the kernel showed the unapproved stick authorized or a disk")
        g.ok("is_unauthorized MNGVM-S1-NO && no_disk MNGVM-S1-NO && ! sd_seen",
             "final state: authorized or a disk exists")
        after = g.sh("dmesg | grep -c 'Mass Storage device detected' || true")[1].strip()
        check(before == after, "usb-storage probed an interface (dmesg)")
        recs = audit_decisions(g.audit(adir), "MNGVM-S1-NO")
        check(recs and all(r["decision"] == "block" for r in recs),
              "audit records for the stick: %s" % recs)
    finally:
        g.stop_agent(adir)
        g.unplug_all()


def s2_allowed_ro(g):
    """A stick allowed by serial with mode ro: its disk appears, the marker
    written on the host reads back, a write fails with EROFS/EPERM, and the
    host image is unchanged afterwards."""
    img = os.path.join(g.work, "s2.img")
    marker = ("MNGVM-MARKER-2 %s\n" % os.urandom(8).hex()).encode()
    digest = make_image(img, marker)
    adir = g.agent("s2", 'allow id %s serial "MNGVM-S2-RO" mode ro ticket "VM-S2"' %
                   QEMU_STORAGE_ID)
    try:
        g.storage("s2", "MNGVM-S2-RO", img)
        g.ok("wait_until 60 has_disk MNGVM-S2-RO", "no disk appeared for the allowed stick")
        disk = g.sh("disk_of MNGVM-S2-RO")[1].strip()
        g.ok("wait_until 30 test -e /dev/%s" % disk, "no /dev node for " + disk)
        g.ok("is_authorized MNGVM-S2-RO", "the allowed stick is not authorized")
        g.ok("wait_until 30 grep -qx 1 /sys/block/%s/ro && [ \"$(blockdev --getro /dev/%s)\" = 1 ]"
             % (disk, disk), "the disk was not made read-only")
        rc, out = g.sh("dd if=/dev/%s bs=512 count=1 2>/dev/null | head -c %d"
                       % (disk, len(marker)))
        check(out.encode() == marker, "read %r, expected the host's marker %r" % (out, marker))
        rc, out = g.sh("dd if=/dev/zero of=/dev/%s bs=512 count=1 conv=fsync 2>&1" % disk,
                       check=False)
        check(rc != 0, "writing to the read-only disk succeeded:\n" + out)
        check("Operation not permitted" in out or "Read-only file system" in out,
              "the write failed, but not with EPERM/EROFS:\n" + out)
        rc, out = g.sh("printf X >/dev/%s && sync" % disk, check=False)
        check(rc != 0, "a buffered write to the read-only disk succeeded")
        recs = audit_decisions(g.audit(adir), "MNGVM-S2-RO")
        check(any(r["event"] == "device.allow" and r.get("ticket") == "VM-S2" for r in recs),
              "no device.allow record with the rule's ticket: %s" % recs)
    finally:
        g.stop_agent(adir)
        g.unplug_all()
    check(sha256(img) == digest, "the host image changed")


HID_KBD_REPORT = (
    "\\x05\\x01\\x09\\x06\\xa1\\x01\\x05\\x07\\x19\\xe0\\x29\\xe7\\x15\\x00\\x25\\x01"
    "\\x75\\x01\\x95\\x08\\x81\\x02\\x95\\x01\\x75\\x08\\x81\\x03\\x95\\x05\\x75\\x01"
    "\\x05\\x08\\x19\\x01\\x29\\x05\\x91\\x02\\x95\\x01\\x75\\x03\\x91\\x03\\x95\\x06"
    "\\x75\\x08\\x15\\x00\\x25\\x65\\x05\\x07\\x19\\x00\\x29\\x65\\x81\\x00\\xc0")


def s3_per_interface(g):
    """Per-interface enforcement on a real composite device: a keyboard +
    mass-storage gadget (the BadUSB shape) on dummy_hcd, allowed with
    allow-interface 03:*:*. The HID interface gets usbhid; the storage
    interface stays unauthorized with no driver and no disk. dummy_hcd's
    root hub, appearing while the agent runs, is locked on arrival."""
    adir = g.agent("s3", 'allow id 1d6b:0104 serial "MNGVM-S3-COMBO" '
                   'with-interface all-of { 03:*:* 08:*:* } allow-interface 03:*:* '
                   'ticket "VM-S3"')
    try:
        g.sh("watch_start s3 1")
        # the root hub of the new controller must keep its hub interface
        # (the agent judges it; a lost hub interface hides all its ports)
        g.ok("""modprobe -a dummy_hcd libcomposite usb_f_hid usb_f_mass_storage
hub=
for h in /sys/bus/usb/devices/usb*; do
	case "$(readlink -f $h)" in *dummy_hcd*) hub=$h ;; esac
done
[ -n "$hub" ] || { echo "no dummy_hcd root hub"; exit 1; }
echo "$hub" >/tmp/s3.hub
wait_until 30 eval '[ "$(cat $hub/authorized_default)" = 0 ] && [ "$(cat $hub/interface_authorized_default)" = 0 ]' ||
	{ echo "dummy_hcd's root hub not locked: $(cat $hub/authorized_default) $(cat $hub/interface_authorized_default)"; exit 1; }
i="$hub/$(basename $hub | sed 's/usb//')-0:1.0"
wait_until 60 test -e "$i/driver" || {
	echo "the new root hub's interface has no driver (authorized=$(cat $i/authorized))"
	dmesg | grep "$(basename $i)" | tail -n 3
	exit 1
}
""", "the new root hub was not locked by the agent")
        g.ok("""set -e
grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs none /sys/kernel/config
dd if=/dev/zero of=/tmp/s3.img bs=1M count=4 2>/dev/null
G=/sys/kernel/config/usb_gadget/mngvm
mkdir $G
echo 0x1d6b >$G/idVendor
echo 0x0104 >$G/idProduct
mkdir $G/strings/0x409
echo MNGVM-S3-COMBO >$G/strings/0x409/serialnumber
echo "MNGVM keyboard and storage" >$G/strings/0x409/product
mkdir $G/functions/hid.usb0
echo 1 >$G/functions/hid.usb0/protocol
echo 1 >$G/functions/hid.usb0/subclass
echo 8 >$G/functions/hid.usb0/report_length
printf '%s' >$G/functions/hid.usb0/report_desc
mkdir $G/functions/mass_storage.usb0
echo /tmp/s3.img >$G/functions/mass_storage.usb0/lun.0/file
mkdir $G/configs/c.1
ln -s $G/functions/hid.usb0 $G/configs/c.1/
ln -s $G/functions/mass_storage.usb0 $G/configs/c.1/
ls /sys/class/udc | head -n 1 >$G/UDC
""" % HID_KBD_REPORT, "could not build the composite gadget")
        g.ok("""wait_until 60 present MNGVM-S3-COMBO || {
	ls /sys/bus/usb/devices; cat /sys/kernel/config/usb_gadget/mngvm/UDC
	grep -v '"event":"hub.lock"' %s/log/audit.log | tail -n 5 | cut -c1-300
	dmesg | tail -n 30
	exit 1
}""" % adir, "the composite never appeared")
        g.ok("wait_until 60 audit_has %s device.allow MNGVM-S3-COMBO" % adir,
             "no device.allow record for the composite")
        out = g.ok("""d=$(usbdev MNGVM-S3-COMBO); p=$(basename $d)
hid= ; ms=
for i in $d/$p:*; do
	c=$(cat $i/bInterfaceClass)
	case $c in 03) hid=$i ;; 08) ms=$i ;; esac
done
[ -n "$hid" ] && [ -n "$ms" ] || { echo "interfaces: $(ls -d $d/$p:*)"; exit 1; }
wait_until 60 test -e $hid/driver || {
	echo "HID interface has no driver (authorized=$(cat $hid/authorized))"
	grep -F MNGVM-S3 %s/log/audit.log | cut -c1-400
	dmesg | tail -n 25
	exit 1
}
echo "hid $(basename $hid) authorized=$(cat $hid/authorized) driver=$(basename $(readlink $hid/driver))"
echo "storage $(basename $ms) authorized=$(cat $ms/authorized) driver=$(test -e $ms/driver && basename $(readlink $ms/driver) || echo none)"
""" % adir, "the composite's interfaces are not as expected")
        check("driver=usbhid" in out and "hid " in out and "authorized=1" in out.split("\n")[0],
              "the HID interface is not bound to usbhid:\n" + out)
        check("storage " in out and "authorized=0 driver=none" in out,
              "the storage interface is authorized or has a driver:\n" + out)
        # The generic USB driver may probe a device after the agent has
        # authorized it (the "add" uevent comes first) and set its
        # configuration again, which recreates the interfaces unauthorized.
        # Rebinding it does the same on demand: the agent must authorize the
        # HID interface again, and only that one.
        out = g.ok("""d=$(usbdev MNGVM-S3-COMBO); p=$(basename $d)
echo $p >/sys/bus/usb/drivers/usb/unbind
echo $p >/sys/bus/usb/drivers/usb/bind
wait_until 60 eval 'test -e $d/$p:1.0/driver && test "$(cat $d/$p:1.0/authorized)" = 1' || {
	echo "after the rebind: HID authorized=$(cat $d/$p:1.0/authorized 2>&1)"; exit 1; }
echo "storage authorized=$(cat $d/$p:1.1/authorized) driver=$(test -e $d/$p:1.1/driver && echo yes || echo none)"
""", "the HID interface stayed unauthorized after the generic driver set the configuration again")
        check("authorized=0 driver=none" in out,
              "after the rebind the storage interface is authorized or bound:\n" + out)
        g.ok("is_authorized MNGVM-S3-COMBO", "the composite itself is not authorized")
        g.ok("n=$(watch_samples s3); wait_until 60 watch_more s3 $((n + 100))",
             "the watcher stopped sampling")
        g.ok("watch_stop s3", "a SCSI disk appeared behind the blocked storage interface")
        recs = audit_decisions(g.audit(adir), "MNGVM-S3-COMBO")
        check(any(r["event"] == "device.allow" and r.get("ticket") == "VM-S3" for r in recs),
              "the allow record lacks the rule's ticket: %s" % recs)
    finally:
        g.sh("""G=/sys/kernel/config/usb_gadget/mngvm
[ -d $G ] && echo "" >$G/UDC
wait_until 30 absent MNGVM-S3-COMBO""", check=False)
        g.stop_agent(adir)


def s4_net_mtp(g):
    """usb-net (RNDIS/CDC Ethernet) and usb-mtp stay blocked: authorized 0,
    no interface bound, and no network interface appears (sampled
    continuously)."""
    root = os.path.join(g.work, "s4-mtp")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "resident-data.txt"), "w") as f:
        f.write("MNGVM scenario 4\n")
    adir = g.agent("s4", "")
    try:
        nets = g.sh("ls /sys/class/net")[1].split()
        g.sh("watch_start s4 1 MNGVM-S4-NET MNGVM-S4-MTP")
        g.device("usb-net", "s4n", serial="MNGVM-S4-NET")
        g.device("usb-mtp", "s4m", serial="MNGVM-S4-MTP", rootdir=root, desc="MNGVM phone")
        for s in ("MNGVM-S4-NET", "MNGVM-S4-MTP"):
            g.ok("wait_until 60 present %s" % s, s + " never appeared")
            g.ok("wait_until 60 audit_decided %s %s" % (adir, s),
                 "the agent recorded no decision for " + s)
        g.ok("n=$(watch_samples s4); wait_until 60 watch_more s4 $((n + 150))",
             "the watcher stopped sampling")
        g.ok("watch_stop s4", "the kernel showed a blocked device authorized or bound")
        g.ok("is_unauthorized MNGVM-S4-NET && is_unauthorized MNGVM-S4-MTP",
             "usb-net or usb-mtp is authorized")
        out = g.sh("ifaces MNGVM-S4-NET; ifaces MNGVM-S4-MTP")[1]
        check("usb" not in out and "cdc" not in out and "rndis" not in out,
              "an interface has a driver:\n" + out)
        after = g.sh("ls /sys/class/net")[1].split()
        check(after == nets, "network interfaces changed: %s -> %s" % (nets, after))
        for s in ("MNGVM-S4-NET", "MNGVM-S4-MTP"):
            recs = audit_decisions(g.audit(adir), s)
            check(recs and all(r["decision"] == "block" for r in recs),
                  "audit records for %s: %s" % (s, recs))
    finally:
        g.stop_agent(adir)
        g.unplug_all()


def s5_cold_plug(g):
    """Cold plug with usbcore.authorized_default=0: two sticks present at
    boot get no driver before the agent starts (sampled from before the USB
    modules load); the agent judges both at start: the approved one gets its
    disk, the other stays blocked."""
    g.ok("""watch_start s5 1 MNGVM-S5-OK MNGVM-S5-NO
modprobe usbcore
p=$(cat /sys/module/usbcore/parameters/authorized_default)
[ "$p" = 0 ] || { echo "usbcore.authorized_default is $p"; exit 1; }
modprobe -a xhci-pci usb-storage uas sd_mod crct10dif_generic usbhid hid-generic
wait_until 60 present MNGVM-S5-OK && wait_until 60 present MNGVM-S5-NO
for h in /sys/bus/usb/devices/usb*; do echo "$h authorized_default=$(cat $h/authorized_default)"; done
""", "the cold-plugged sticks did not appear unauthorized")
    g.ok("n=$(watch_samples s5); wait_until 60 watch_more s5 $((n + 150))",
         "the watcher stopped sampling")
    g.ok("watch_stop s5", "a stick got authorized or a disk before the agent ran")
    g.ok("is_unauthorized MNGVM-S5-OK && is_unauthorized MNGVM-S5-NO && ! sd_seen",
         "state before the agent: authorized or a disk")
    adir = g.agent("s5", 'allow id %s serial "MNGVM-S5-OK"' % QEMU_STORAGE_ID)
    try:
        g.ok("wait_until 60 is_authorized MNGVM-S5-OK && wait_until 60 has_disk MNGVM-S5-OK",
             "the approved stick was not authorized at agent start")
        g.ok("is_unauthorized MNGVM-S5-NO && no_disk MNGVM-S5-NO",
             "the unapproved stick was authorized at agent start")
        recs = g.audit(adir)
        ok = audit_decisions(recs, "MNGVM-S5-OK")
        no = audit_decisions(recs, "MNGVM-S5-NO")
        check(ok and ok[0]["decision"] == "allow", "audit for the approved stick: %s" % ok)
        check(no and no[0]["decision"] == "block", "audit for the unapproved stick: %s" % no)
    finally:
        g.stop_agent(adir)


def s6_fail_closed(g):
    """kill -9 of the agent while devices are being plugged: no unapproved
    device is ever authorized (sampled continuously), devices plugged while
    it is dead stay unauthorized, and the restarted agent reconciles: the
    approved ones get authorized, the others stay blocked. The audit chain
    still verifies."""
    img = os.path.join(g.work, "s6.img")
    make_image(img, b"MNGVM scenario 6\n")
    rules = "\n".join('allow id %s serial "%s"' % (QEMU_STORAGE_ID, s)
                      for s in ("MNGVM-S6-OK1", "MNGVM-S6-OK2"))
    adir = g.agent("s6", rules)
    bad = ["MNGVM-S6-NO1", "MNGVM-S6-NO2", "MNGVM-S6-NO3"]
    try:
        g.sh("watch_start s6 0 " + " ".join(bad))
        g.storage("s6n1", "MNGVM-S6-NO1", img, read_only=True)
        g.storage("s6k1", "MNGVM-S6-OK1", img, read_only=True)
        g.storage("s6n2", "MNGVM-S6-NO2", img, read_only=True)
        g.sh("kill -9 $(cat %s/pid)" % adir)
        g.storage("s6k2", "MNGVM-S6-OK2", img, read_only=True)
        g.storage("s6n3", "MNGVM-S6-NO3", img, read_only=True)
        g.device("usb-kbd", "s6kbd", serial="MNGVM-S6-KBD")
        g.ok("! agent_alive %s" % adir, "the agent survived kill -9")
        for s in bad + ["MNGVM-S6-OK1", "MNGVM-S6-OK2", "MNGVM-S6-KBD"]:
            g.ok("wait_until 60 present " + s, s + " never appeared")
        g.ok("n=$(watch_samples s6); wait_until 60 watch_more s6 $((n + 100))",
             "the watcher stopped sampling")
        g.ok("is_unauthorized MNGVM-S6-OK2 && is_unauthorized MNGVM-S6-KBD && "
             "is_unauthorized MNGVM-S6-NO3 && no_disk MNGVM-S6-OK2",
             "a device plugged while the agent was dead got authorized")
        g.sh("agent_start %s" % adir)
        g.ok("""for s in MNGVM-S6-OK1 MNGVM-S6-OK2 MNGVM-S6-KBD; do
	wait_until 60 is_authorized $s || { echo "$s not authorized after restart"; exit 1; }
done
wait_until 60 has_disk MNGVM-S6-OK1 && wait_until 60 has_disk MNGVM-S6-OK2 ||
	{ echo "approved sticks have no disk"; exit 1; }
d=$(usbdev MNGVM-S6-KBD); wait_until 60 test -e $d/$(basename $d):1.0/driver ||
	{ echo "the keyboard has no driver"; exit 1; }
for s in MNGVM-S6-NO1 MNGVM-S6-NO2 MNGVM-S6-NO3; do
	is_unauthorized $s && no_disk $s || { echo "$s authorized after restart"; exit 1; }
done""", "the restarted agent did not reconcile")
        g.ok("watch_stop s6", "an unapproved device was authorized at some point")
        g.ok("mnguardctl audit verify %s/log/audit.log --anchor %s/state/audit.anchor" %
             (adir, adir), "the audit chain does not verify after kill -9 and restart")
    finally:
        g.stop_agent(adir)
        g.unplug_all()


def s7_event_storm(g):
    """An event storm: 48 plugs and unplugs of sticks and keyboards back to
    back over QMP on qemu-xhci's 8+8 ports; afterwards every present device's
    sysfs state matches the policy and every removed one is gone."""
    img = os.path.join(g.work, "s7.img")
    make_image(img, b"MNGVM scenario 7\n")
    allowed = ["MNGVM-S7-S%02d" % i for i in range(0, 40, 2)]
    rules = "\n".join('allow id %s serial "%s"' % (QEMU_STORAGE_ID, s) for s in allowed)
    adir = g.agent("s7", rules)
    present = []  # (dev id, serial, kind)
    ops = 0
    n_st = n_kb = 0
    try:
        t0 = time.monotonic()
        for _ in range(6):
            for dev_id, serial, kind in [p for p in present if p[2] == "st"][:2]:
                g.unplug(dev_id, wait=False)
                present.remove((dev_id, serial, kind))
                ops += 1
            for _ in range(3):
                serial = "MNGVM-S7-S%02d" % n_st
                g.storage("s7st%d" % n_st, serial, img, read_only=True)
                present.append(("s7st%d" % n_st, serial, "st"))
                n_st += 1
                ops += 1
            for _ in range(2):
                serial = "MNGVM-S7-K%02d" % n_kb
                g.device("usb-kbd", "s7kb%d" % n_kb, serial=serial)
                present.append(("s7kb%d" % n_kb, serial, "kb"))
                n_kb += 1
                ops += 1
            kbs = [p for p in present if p[2] == "kb"]
            if len(kbs) > 2:
                g.unplug(kbs[0][0], wait=False)
                present.remove(kbs[0])
                ops += 1
        log("storm: %d QMP plug/unplug operations in %.1fs" % (ops, time.monotonic() - t0))
        check(ops >= 40, "only %d operations" % ops)
        gone = ["MNGVM-S7-S%02d" % i for i in range(n_st)] + \
            ["MNGVM-S7-K%02d" % i for i in range(n_kb)]
        gone = [s for s in gone if s not in [p[1] for p in present]]
        want_on = [p[1] for p in present if p[2] == "kb" or p[1] in allowed]
        want_off = [p[1] for p in present if p[2] == "st" and p[1] not in allowed]
        script = """ok=1
for s in %s; do present $s && is_authorized $s || { echo "$s: not authorized"; ok=0; }; done
for s in %s; do present $s && is_unauthorized $s && no_disk $s || { echo "$s: authorized or has a disk"; ok=0; }; done
for s in %s; do absent $s || { echo "$s: still present"; ok=0; }; done
for s in %s; do has_disk $s || { echo "$s: no disk (authorized=$(authorized $s), interfaces: $(ifaces $s | tr '\\n' ' '))"; ok=0; }; done
[ $ok = 1 ]""" % (" ".join(want_on), " ".join(want_off), " ".join(gone),
                  " ".join(s for s in want_on if s.startswith("MNGVM-S7-S")))
        with open(os.path.join(g.work, "s7-check.sh"), "w") as f:
            f.write(script)
        g.ok("""cat >/tmp/s7check.sh <<'EOF'
%s
EOF
wait_until 180 eval '. /tmp/s7check.sh >/tmp/s7check.out 2>&1' || { cat /tmp/s7check.out; exit 1; }""" % script,
             "the sysfs state after the storm does not match the policy", timeout=240)
        g.ok("agent_alive %s" % adir, "the agent died in the storm")
        out = g.ok("""for s in %s; do d=$(usbdev $s); echo "$s $(basename $d) $(cat $d/authorized)"; done""" %
                   " ".join(p[1] for p in present), "listing the present devices")
        log("after the storm:\n" + out.strip())
    finally:
        g.stop_agent(adir)
        g.unplug_all()


def s8_policy_tightening(g):
    """Policy tightening: with an allowed stick present and its disk in use,
    a reloaded policy that blocks it deauthorizes it and its disk disappears
    from /dev, /sys/block and /proc/partitions."""
    img = os.path.join(g.work, "s8.img")
    make_image(img, b"MNGVM scenario 8\n")
    adir = g.agent("s8", 'allow id %s serial "MNGVM-S8-OK"' % QEMU_STORAGE_ID)
    try:
        g.storage("s8", "MNGVM-S8-OK", img)
        g.ok("wait_until 60 has_disk MNGVM-S8-OK", "the allowed stick got no disk")
        disk = g.sh("disk_of MNGVM-S8-OK")[1].strip()
        g.ok("is_authorized MNGVM-S8-OK && wait_until 30 grep -qw %s /proc/partitions" % disk,
             "the allowed stick's disk is not in /proc/partitions")
        g.ok("""cat >%s/rules.d/50-local.rules <<'RULES'
# tightened: nothing allowed locally any more
RULES
%s policy reload""" % (adir, g.ctl(adir)), "policy reload failed")
        g.ok("wait_until 60 is_unauthorized MNGVM-S8-OK", "the stick is still authorized")
        g.ok("wait_until 60 eval '! grep -qw %s /proc/partitions && [ ! -e /sys/block/%s ] && "
             "[ ! -e /dev/%s ]'" % (disk, disk, disk), "the disk did not disappear")
        recs = audit_decisions(g.audit(adir), "MNGVM-S8-OK")
        check(recs and recs[0]["decision"] == "allow" and recs[-1]["decision"] == "block",
              "audit records for the stick: %s" % recs)
    finally:
        g.stop_agent(adir)
        g.unplug_all()


PKG_ONLY = [("0", "vm-0-deb-udev-rule", s0_udev_rule)]
HOTPLUG = [
    ("1", "vm-1-unapproved-storage", s1_unapproved_storage),
    ("2", "vm-2-allowed-ro", s2_allowed_ro),
    ("3", "vm-3-per-interface", s3_per_interface),
    ("4", "vm-4-net-mtp-blocked", s4_net_mtp),
    ("8", "vm-8-policy-tightening", s8_policy_tightening),
    ("6", "vm-6-fail-closed", s6_fail_closed),
    ("7", "vm-7-event-storm", s7_event_storm),
]
COLD = [("5", "vm-5-cold-plug", s5_cold_plug)]


# ---- driver ---------------------------------------------------------------------

class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def result(self, name, ok, why=""):
        if ok:
            self.passed += 1
            print("PASS: %s" % name, flush=True)
        else:
            self.failed += 1
            for line in why.strip().splitlines():
                print("#   " + line)
            print("FAIL: %s" % name, flush=True)

    def group(self, scenarios, boot):
        """Boot a guest with boot(), run scenarios on it in order."""
        if not scenarios:
            return
        try:
            g = boot()
        except Exception as e:  # noqa: BLE001 - reported as the scenarios' failure
            for _, name, _ in scenarios:
                self.result(name, False, "the guest did not boot: %s" % e)
            return
        try:
            for idx, (_, name, fn) in enumerate(scenarios):
                t0 = time.monotonic()
                try:
                    fn(g)
                    ok, why = True, ""
                except Fail as e:
                    ok, why = False, str(e)
                except VMError as e:
                    ok, why = False, "%s\nguest console:\n%s" % (e, g.vm.console_tail())
                except Exception:  # noqa: BLE001
                    ok, why = False, traceback.format_exc()
                log("%s: %.1fs" % (name, time.monotonic() - t0))
                self.result(name, ok, why)
                if g.vm.proc.poll() is not None or g.vm.ready is None:
                    for rest in scenarios[idx + 1:]:
                        self.result(rest[1], False, "the guest is gone")
                    break
        finally:
            g.vm.stop()


# What the package mode needs from the mnguard package, by installed path.
PKG_FILES = ["usr/sbin/mnguardd", "usr/sbin/mnguardctl", "etc/mnguard/mnguard.conf",
             "etc/mnguard/rules.d/90-mynumber-terminal.rules",
             "lib/udev/rules.d/70-mnguard.rules", "lib/systemd/system/mnguardd.service"]


def prepare_package(debdir, work):
    """The mnguard package of debdir unpacked into work/deb-root, and what
    the guest needs besides its files: (root, [(name, bytes, mode)])."""
    debs = sorted(f for f in os.listdir(debdir)
                  if f.startswith("mnguard_") and f.endswith(".deb"))
    if len(debs) != 1:
        raise VMError("expected one mnguard_*.deb in %s, found %s (run make deb)" % (debdir, debs))
    root = os.path.join(work, "deb-root")
    mngvm.unpack_deb(os.path.join(debdir, debs[0]), root)
    missing = [f for f in PKG_FILES if not os.path.exists(os.path.join(root, f))]
    if missing:
        raise VMError("%s does not install %s" % (debs[0], ", ".join(missing)))
    env = mngvm.unit_guest_env(os.path.join(root, "lib/systemd/system/mnguardd.service"))
    rule = os.path.join(root, "lib/udev/rules.d/70-mnguard.rules")
    udev, honoured, skipped = mngvm.udev_rules_sh(rule)
    if skipped or not honoured:
        raise VMError("the guest's udev stand-in cannot honour 70-mnguard.rules line(s) %s; "
                      "extend mngvm.udev_rule_sh" % (skipped or "(none)"))
    log("package %s: %d files; udev rule lines %s honoured; agent started as: %s" % (
        debs[0], sum(len(f) for _, _, f in os.walk(root)), honoured,
        env.splitlines()[0].split("=", 1)[1].strip("'")))
    return root, [("/vm/unit.env", env.encode(), 0o644),
                  ("/vm/udev-rules.sh", udev.encode(), 0o755)]


def main():
    ap = argparse.ArgumentParser(description="mnguard's real-kernel end-to-end suite")
    ap.add_argument("--only", help="run only these scenarios (numbers, comma-separated)")
    ap.add_argument("--prepare-only", action="store_true",
                    help="prepare the kernel and the initramfs, boot nothing")
    ap.add_argument("--from-deb", metavar="DIR",
                    help="take the programs, configuration, rules and udev rule from "
                    "DIR/mnguard_*.deb instead of the build tree")
    opts = ap.parse_args()
    only = set(opts.only.split(",")) if opts.only else None
    prepare_only = opts.prepare_only
    pkg = opts.from_deb is not None
    build = os.environ.get("MNG_BUILD", "build/default")
    agent = os.environ.get("MNG_AGENT") or os.path.join(build, "mnguardd")
    ctl = os.environ.get("MNG_CTL") or os.path.join(build, "mnguardctl")
    cache = os.environ.get("MNG_VM_CACHE", os.path.join(SRC, "build", "vm-cache"))
    work = os.path.abspath(os.path.join(build, "vm-deb" if pkg else "vm"))
    os.makedirs(work, exist_ok=True)
    runner = Runner()
    hot = [s for s in (PKG_ONLY if pkg else []) + HOTPLUG if not only or s[0] in only]
    cold = [s for s in COLD if not only or s[0] in only]
    t_start = time.monotonic()
    try:
        tree, blobs, extra = None, [], []
        if pkg:
            tree, blobs = prepare_package(opts.from_deb, work)
            agent = os.path.join(tree, "usr/sbin/mnguardd")
            ctl = os.path.join(tree, "usr/sbin/mnguardctl")
        else:
            extra = [(os.path.join(SRC, "rules", "mynumber-terminal.rules"), "/vm/baseline.rules")]
        for b in (agent, ctl):
            if not os.access(b, os.X_OK):
                raise VMError("%s is not built" % b)
        kdir = mngvm.prepare_kernel(cache)
        accel = mngvm.choose_accel(kdir, cache)
        initrd = os.path.join(work, "initrd")
        mngvm.build_initramfs(initrd, kdir, agent, ctl, extra=extra, tree=tree, blobs=blobs)
    except Exception as e:  # noqa: BLE001 - every failure to prepare fails loudly
        for name in ["vm-prepare"] if prepare_only else [s[1] for s in hot + cold]:
            runner.result(name, False, "VM setup failed: %s" % e)
        print("%d passed, %d failed" % (runner.passed, runner.failed))
        return 1
    if prepare_only:
        runner.result("vm-prepare", True)
        print("%d passed, %d failed" % (runner.passed, runner.failed))
        return 0

    def boot_hotplug():
        vm = mngvm.VM(work, kdir, initrd, accel, "hotplug")
        g = Guest(vm, work, pkg)
        g.ok("modprobe -a xhci-pci usb-storage uas sd_mod crct10dif_generic usbhid hid-generic "
             "cdc_ether rndis_host && wait_until 30 test -e /sys/bus/usb/devices/usb2",
             "loading the USB modules failed")
        return g

    def boot_cold():
        imgs = []
        args = []
        for i, serial in enumerate(("MNGVM-S5-OK", "MNGVM-S5-NO")):
            img = os.path.join(work, "s5-%d.img" % i)
            make_image(img, b"MNGVM scenario 5\n")
            imgs.append(img)
            args += ["-blockdev", "driver=raw,node-name=cold%d,file.driver=file,"
                     "file.filename=%s,read-only=on" % (i, img),
                     "-device", "usb-storage,bus=xhci.0,drive=cold%d,serial=%s" % (i, serial)]
        vm = mngvm.VM(work, kdir, initrd, accel, "cold", append="usbcore.authorized_default=0",
                      args=args)
        return Guest(vm, work, pkg)

    runner.group(hot, boot_hotplug)
    runner.group(cold, boot_cold)
    log("suite time %.0fs (accel %s%s)" % (time.monotonic() - t_start, accel,
                                          ", from " + opts.from_deb if pkg else ""))
    print("%d passed, %d failed" % (runner.passed, runner.failed))
    return 0 if runner.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
