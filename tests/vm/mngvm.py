# SPDX-License-Identifier: GPL-2.0-or-later
"""The machinery of mnguard's VM suite: a Debian kernel, a busybox initramfs
holding mnguardd and mnguardctl, a QEMU guest driven over QMP, and a command
channel to the guest on its second serial port.

Nothing here waits for a fixed time: every wait is "until this condition or
this deadline", and the guest answers each command with its exit status.
Only the Python 3 standard library is used.
"""
import base64
import json
import lzma
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What the guest needs, by module name; dependencies are resolved from the
# kernel's own modules.dep.
MODULES = [
    "usbcore", "xhci-pci", "usb-storage", "uas", "sd_mod", "crct10dif_generic",
    "usbhid", "hid-generic", "cdc_ether", "rndis_host", "usbnet",
    "configfs", "libcomposite", "usb_f_hid", "usb_f_mass_storage", "dummy_hcd",
]

KERNEL_PKG_RE = re.compile(r"^linux-image-6\.1\.0-(\d+)-amd64$")


class VMError(Exception):
    pass


def log(msg):
    print("# vm: " + msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw).stdout


# ---- the kernel ----------------------------------------------------------------

def newest_kernel_package():
    """The newest linux-image-6.1.0-N-amd64 the configured mirror offers."""
    out = run(["apt-cache", "pkgnames", "linux-image-6.1.0-"])
    best = None
    for name in out.split():
        m = KERNEL_PKG_RE.match(name)
        if m and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), name)
    if not best:
        raise VMError("apt-cache knows no linux-image-6.1.0-*-amd64 package")
    return best[1]


def extract_vmlinux(bzimage, out):
    """The uncompressed ELF kernel inside a bzImage (xz payload): it boots
    through its PVH entry point, faster than the bzImage under TCG."""
    data = open(bzimage, "rb").read()
    at = data.find(b"\xfd7zXZ\x00")
    if at < 0:
        raise VMError("no xz payload in " + bzimage)
    elf = lzma.LZMADecompressor().decompress(data[at:])
    if elf[:4] != b"\x7fELF":
        raise VMError("the payload of %s is not an ELF kernel" % bzimage)
    with open(out + ".tmp", "wb") as f:
        f.write(elf)
    os.rename(out + ".tmp", out)


def module_paths(root, version, names):
    """Module files (relative to root) for names and their dependencies, in
    load order, as kmod's modprobe --show-depends resolves them."""
    paths = []
    if shutil.which("modprobe") and shutil.which("depmod"):
        run(["depmod", "-b", root, version])
        for name in names:
            out = run(["modprobe", "--show-depends", "-d", root, "-S", version, name])
            for line in out.splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "insmod":
                    rel = os.path.relpath(parts[1], root)
                    if rel not in paths:
                        paths.append(rel)
        return paths
    # Without kmod: busybox's depmod writes the same modules.dep.
    run(["busybox", "depmod", "-b", root, version])
    moddir = "lib/modules/" + version
    deps = {}
    with open(os.path.join(root, moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
    byname = {os.path.basename(m)[:-3].replace("-", "_"): m for m in deps}
    for name in names:
        mod = byname.get(name.replace("-", "_"))
        if not mod:
            continue  # built in
        for m in list(reversed(deps[mod])) + [mod]:
            rel = moddir + "/" + m
            if rel not in paths:
                paths.append(rel)
    return paths


def prepare_kernel(cache):
    """A cached kernel (vmlinux + the modules the suite needs) in cache/<pkg>/;
    downloaded with apt-get download and unpacked with dpkg -x when the cache
    has none. Raises VMError when nothing is cached and the download fails."""
    os.makedirs(cache, exist_ok=True)
    cached = sorted((d for d in os.listdir(cache)
                     if KERNEL_PKG_RE.match(d) and os.path.exists(os.path.join(cache, d, "ok"))),
                    key=lambda d: int(KERNEL_PKG_RE.match(d).group(1)))
    if cached and not os.environ.get("MNG_VM_KERNEL_REFRESH"):
        pkg = cached[-1]
    else:
        try:
            pkg = newest_kernel_package()
        except (subprocess.CalledProcessError, VMError, OSError) as e:
            raise VMError("cannot find a kernel package: %s" % e)
    kdir = os.path.join(cache, pkg)
    if os.path.exists(os.path.join(kdir, "ok")):
        return kdir
    log("downloading %s (apt-get download)" % pkg)
    shutil.rmtree(kdir, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="kernel.", dir=cache)
    try:
        try:
            run(["apt-get", "download", pkg], cwd=tmp)
        except subprocess.CalledProcessError as e:
            raise VMError("apt-get download %s failed (network?):\n%s" % (pkg, e.stdout))
        deb = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if len(deb) != 1:
            raise VMError("apt-get download %s left no package" % pkg)
        root = os.path.join(tmp, "root")
        run(["dpkg", "-x", os.path.join(tmp, deb[0]), root])
        versions = os.listdir(os.path.join(root, "lib/modules"))
        if len(versions) != 1:
            raise VMError("unexpected module directories in %s: %s" % (pkg, versions))
        version = versions[0]
        os.makedirs(kdir)
        extract_vmlinux(os.path.join(root, "boot", "vmlinuz-" + version),
                        os.path.join(kdir, "vmlinux"))
        paths = module_paths(root, version, MODULES)
        for rel in paths:
            dst = os.path.join(kdir, "root", rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(root, rel), dst)
        for f in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
            src = os.path.join(root, "lib/modules", version, f)
            if os.path.exists(src):
                shutil.copy2(src, os.path.join(kdir, "root/lib/modules", version, f))
        # modules.dep etc. for the subset, for the guest's busybox modprobe
        if shutil.which("depmod"):
            run(["depmod", "-b", os.path.join(kdir, "root"), version])
        else:
            run(["busybox", "depmod", "-b", os.path.join(kdir, "root"), version])
        with open(os.path.join(kdir, "version"), "w") as f:
            f.write(version + "\n")
        open(os.path.join(kdir, "ok"), "w").close()
        log("kernel %s cached (%d modules)" % (version, len(paths)))
        return kdir
    except BaseException:
        shutil.rmtree(kdir, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the initramfs -------------------------------------------------------------

class Cpio:
    """A newc cpio archive, every entry owned by root."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b""):
        name = name.lstrip("/")
        if name in self.seen:
            return
        self.seen.add(name)
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        self.ino += 1
        self.f.write(hdr.encode() + nb)
        self.f.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
        self.f.write(data)
        self.f.write(b"\0" * ((4 - len(data) % 4) % 4))

    def dir(self, name):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFREG | mode, data)

    def copy(self, src, name=None, mode=None):
        st = os.stat(src)
        with open(src, "rb") as f:
            self.file(name or src, f.read(), mode if mode is not None else st.st_mode & 0o755)

    def tree(self, root):
        """Everything below root, with the modes it has there (owner root)."""
        for dirpath, dirnames, files in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            if rel != ".":
                self._entry(rel, stat.S_IFDIR | (os.lstat(dirpath).st_mode & 0o7777))
            for fn in sorted(files + [d for d in dirnames
                                      if os.path.islink(os.path.join(dirpath, d))]):
                src = os.path.join(dirpath, fn)
                name = os.path.normpath(os.path.join(rel, fn))
                st = os.lstat(src)
                if stat.S_ISLNK(st.st_mode):
                    self._entry(name, stat.S_IFLNK | 0o777, os.readlink(src).encode())
                elif stat.S_ISREG(st.st_mode):
                    with open(src, "rb") as f:
                        self._entry(name, stat.S_IFREG | (st.st_mode & 0o7777), f.read())

    def symlink(self, name, target):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.close()


# ---- the installed package ---------------------------------------------------

def unpack_deb(deb, root):
    """The files of deb, as dpkg -x puts them under root (emptied first)."""
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    run(["dpkg", "-x", deb, root])


def unit_directives(path):
    """The [Service] directives of a systemd unit file, as {key: [values]}."""
    out = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            key, eq, value = line.partition("=")
            if eq and section == "Service":
                out.setdefault(key.strip(), []).append(value.strip())
    return out


def unit_guest_env(path):
    """What the guest needs to start the agent the way the unit does: its
    ExecStart, its UMask and the directories systemd creates for it
    (StateDirectory=, LogsDirectory=, RuntimeDirectory= with their modes),
    as shell assignments. Raises VMError when the unit has no ExecStart."""
    d = unit_directives(path)
    execs = d.get("ExecStart", [])
    if len(execs) != 1 or not execs[0].startswith("/"):
        raise VMError("%s: expected one ExecStart= with an absolute path, found %s" % (path, execs))
    dirs = []
    for kind, base in (("State", "/var/lib"), ("Logs", "/var/log"), ("Runtime", "/run")):
        mode = d.get(kind + "DirectoryMode", ["0755"])[-1]
        for names in d.get(kind + "Directory", []):
            dirs += ["%s/%s:%s" % (base, n, mode) for n in names.split()]
    for v in [execs[0]] + dirs:
        if not re.fullmatch(r"[A-Za-z0-9_./:= -]+", v):
            raise VMError("%s: a value the guest would not run as written: %r" % (path, v))
    return ("UNIT_EXEC='%s'\nUNIT_UMASK='%s'\nUNIT_DIRS='%s'\n" %
            (execs[0], d.get("UMask", ["0022"])[-1], " ".join(dirs)))


UDEV_TOKEN_RE = re.compile(
    r'\s*([A-Z_]+)(?:\{([A-Za-z0-9_]+)\})?\s*(==|!=|=)\s*"([^"\\]*)"\s*(?:,|$)')
UDEV_VALUE_RE = re.compile(r"[A-Za-z0-9_.*?:/|-]*")


def udev_rule_sh(line):
    """One udev rule line as a busybox sh function body, for the subset the
    guest's stand-in honours (matches on ACTION, SUBSYSTEM, ENV{},
    ATTR{} and TEST; ATTR{} assignments); None for anything else."""
    pos = 0
    tests = []
    acts = []
    while pos < len(line):
        m = UDEV_TOKEN_RE.match(line, pos)
        if not m or not UDEV_VALUE_RE.fullmatch(m.group(4)):
            return None
        pos = m.end()
        key, arg, op, val = m.groups()
        if op in ("==", "!="):
            if key in ("ACTION", "SUBSYSTEM") and not arg:
                subject = '"$%s"' % key
            elif key == "ENV" and arg:
                subject = '"$%s"' % arg
            elif key == "ATTR" and arg:
                subject = '"$(cat "/sys$DEVPATH/%s" 2>/dev/null)"' % arg
            elif key == "TEST" and not arg and op == "==" and re.fullmatch(r"[A-Za-z0-9_]+", val):
                tests.append('\t[ -e "/sys$DEVPATH/%s" ] || return 0' % val)
                continue
            else:
                return None
            hit, miss = ("", "return 0") if op == "==" else ("return 0", "")
            tests.append("\tcase %s in %s) %s ;; *) %s ;; esac" % (subject, val or '""', hit or ":",
                                                                   miss or ":"))
        elif key == "ATTR" and arg and op == "=":
            acts.append("\tprintf '%%s' '%s' >\"/sys$DEVPATH/%s\" &&\n"
                        "\t\techo \"$ACTION $DEVPATH %s=%s\" >>/tmp/udev-rules.log ||\n"
                        "\t\techo \"$ACTION $DEVPATH %s=%s failed\" >>/tmp/udev-rules.err"
                        % (val, arg, arg, val, arg, val))
        else:
            return None
    if not acts:
        return None
    return "\n".join(tests + acts)


def udev_rules_sh(path):
    """A program for busybox's "uevent" (the guest has no udevd) that applies
    the udev rules file at path to every kernel event; returns (script,
    honoured line numbers, [(line number, text)] of lines it cannot honour)."""
    funcs = []
    honoured = []
    skipped = []
    with open(path) as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        body = udev_rule_sh(line)
        if body is None:
            skipped.append((no, line))
            continue
        honoured.append(no)
        funcs.append("# %s:%d\nrule_%d() {\n%s\n}\nrule_%d\n" %
                     (os.path.basename(path), no, no, body, no))
    script = ("#!/bin/sh\n# Generated by the VM suite from %s: the guest's stand-in for udevd\n"
              "# (busybox uevent runs it for each kernel event, one at a time).\n"
              % os.path.basename(path)) + "\n".join(funcs)
    return script, honoured, skipped


def ldd_libraries(binary):
    out = run(["ldd", binary])
    libs = []
    for line in out.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m and os.path.exists(m.group(1)):
            libs.append(m.group(1))
    return libs


def build_initramfs(out, kdir, agent, ctl, extra=(), tree=None, blobs=()):
    """The guest's root: busybox, the agent and mnguardctl with their ldd
    libraries, the cached modules, /init and the suite's guest scripts.
    With tree (an unpacked package), every file, directory and link of tree
    goes in with its mode, and agent and ctl are taken from there; blobs are
    (name, bytes, mode) written as given."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if "statically linked" not in run(["file", "-L", busybox]):
        raise VMError("%s is not static: install busybox-static" % busybox)
    c = Cpio(out + ".tmp")
    for d in ("proc", "sys", "dev", "tmp", "run", "etc", "root", "sbin", "usr/bin", "usr/sbin"):
        c.dir(d)
    c.copy(busybox, "/bin/busybox", 0o755)
    c.symlink("/bin/sh", "busybox")
    c.file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("/etc/group", b"root:x:0:\nmnguard-admin:x:990:\n")
    c.copy(os.path.join(HERE, "guest", "init"), "/init", 0o755)
    c.copy(os.path.join(HERE, "guest", "lib.sh"), "/vm/lib.sh", 0o644)
    if tree:
        c.tree(tree)
    else:
        c.copy(agent, "/usr/sbin/mnguardd", 0o755)
        c.copy(ctl, "/usr/bin/mnguardctl", 0o755)
    for lib in sorted(set(ldd_libraries(agent) + ldd_libraries(ctl))):
        c.copy(os.path.realpath(lib), lib, 0o755)
    root = os.path.join(kdir, "root")
    for dirpath, _, files in os.walk(root):
        for fn in files:
            src = os.path.join(dirpath, fn)
            c.copy(src, "/" + os.path.relpath(src, root), 0o644)
    for src, name in extra:
        c.copy(src, name, 0o644)
    for name, data, mode in blobs:
        c.file(name, data, mode)
    c.close()
    os.rename(out + ".tmp", out)


# ---- KVM or TCG ----------------------------------------------------------------

def choose_accel(kdir, cache):
    """kvm only when a tiny boot under KVM reaches the kernel's panic for a
    missing root within a few seconds; else tcg. Cached per host boot."""
    if os.environ.get("MNG_VM_ACCEL"):
        return os.environ["MNG_VM_ACCEL"]
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        os.close(fd)
    except OSError:
        return "tcg"
    try:
        boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
    except OSError:
        boot_id = "unknown"
    stamp = os.path.join(cache, "accel." + boot_id)
    if os.path.exists(stamp):
        return open(stamp).read().strip()
    con = tempfile.NamedTemporaryFile(prefix="kvmprobe.", dir=cache, delete=False)
    con.close()
    accel = "tcg"
    try:
        p = subprocess.Popen(["qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-display", "none",
                              "-no-reboot", "-monitor", "none", "-kernel",
                              os.path.join(kdir, "vmlinux"), "-append",
                              "console=ttyS0 panic=-1 quiet", "-serial", "file:" + con.name],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if b"Kernel panic" in open(con.name, "rb").read():
            accel = "kvm"
    finally:
        os.unlink(con.name)
    with open(stamp, "w") as f:
        f.write(accel + "\n")
    log("KVM %s: using %s" % ("works" if accel == "kvm" else "does not boot a kernel", accel))
    return accel


# ---- the guest -----------------------------------------------------------------

class VM:
    """One QEMU guest: QMP for devices, ttyS1 for commands, ttyS0 to a log."""

    def __init__(self, workdir, kdir, initrd, accel, name, append="", args=()):
        self.workdir = workdir
        self.name = name
        self.qmp_path = os.path.join(workdir, name + ".qmp")
        self.ctl_path = os.path.join(workdir, name + ".ctl")
        self.console = os.path.join(workdir, name + ".console.log")
        for p in (self.qmp_path, self.ctl_path):
            if os.path.exists(p):
                os.unlink(p)
        cmd = ["qemu-system-x86_64", "-accel", accel, "-m", "768", "-smp", "2",
               "-display", "none", "-no-reboot", "-nodefaults", "-vga", "none",
               "-kernel", os.path.join(kdir, "vmlinux"), "-initrd", initrd,
               "-append", "console=ttyS0 panic=-1 quiet loglevel=4 " + append,
               "-serial", "file:" + self.console,
               "-chardev", "socket,id=ctl,path=%s,server=on,wait=on" % self.ctl_path,
               "-serial", "chardev:ctl",
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
               "-device", "qemu-xhci,id=xhci,p2=8,p3=8"] + list(args)
        self.qerr = open(os.path.join(workdir, name + ".qemu.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.qerr, stderr=subprocess.STDOUT)
        self.events = []
        self.lock = threading.Condition()
        self.replies = {}
        self.results = {}
        self.ready = False
        self.seq = 0
        self.ctl = self._connect(self.ctl_path)
        self.ctl_buf = b""
        threading.Thread(target=self._ctl_reader, daemon=True).start()
        self.qmp = self._connect(self.qmp_path)
        self.qmp_file = self.qmp.makefile("rb")
        greeting = json.loads(self.qmp_file.readline())
        if "QMP" not in greeting:
            raise VMError("no QMP greeting")
        threading.Thread(target=self._qmp_reader, daemon=True).start()
        self.command("qmp_capabilities")
        self.wait(lambda: self.ready, 120, "the guest's command channel")

    def _connect(self, path):
        deadline = time.monotonic() + 30
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise VMError("QEMU did not start (see %s)" % self.qerr.name)
                time.sleep(0.02)

    def _ctl_reader(self):
        while True:
            try:
                data = self.ctl.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.ready = None
                    self.lock.notify_all()
                return
            self.ctl_buf += data
            while b"\n" in self.ctl_buf:
                line, self.ctl_buf = self.ctl_buf.split(b"\n", 1)
                line = line.strip(b"\r")
                with self.lock:
                    if line == b"@@READY":
                        self.ready = True
                    elif line.startswith(b"@@R "):
                        parts = line.split(b" ")
                        out = base64.b64decode(parts[3]) if len(parts) > 3 else b""
                        self.results[int(parts[1])] = (int(parts[2]),
                                                       out.decode("utf-8", "replace"))
                    self.lock.notify_all()

    def _qmp_reader(self):
        while True:
            try:
                line = self.qmp_file.readline()
                msg = json.loads(line) if line else None
            except (OSError, ValueError):
                msg = None
            if msg is None:
                break
            with self.lock:
                if "event" in msg:
                    self.events.append(msg)
                elif "id" in msg:
                    self.replies[msg["id"]] = msg
                self.lock.notify_all()
        with self.lock:
            self.ready = None
            self.lock.notify_all()

    def wait(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                v = cond()
                if v:
                    return v
                if self.ready is None:
                    raise VMError("the guest went away while waiting for %s" % what)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise VMError("timed out after %ds waiting for %s" % (timeout, what))
                self.lock.wait(min(left, 1.0))

    def command(self, execute, **arguments):
        """One QMP command; its return value, or VMError with QMP's error."""
        with self.lock:
            self.seq += 1
            qid = self.seq
        msg = {"execute": execute, "id": qid}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.sendall(json.dumps(msg).encode() + b"\n")
        rep = self.wait(lambda: self.replies.pop(qid, None), 60, "QMP " + execute)
        if "error" in rep:
            raise VMError("QMP %s %s: %s" % (execute, json.dumps(arguments),
                                              rep["error"].get("desc")))
        return rep.get("return")

    def sh(self, script, timeout=120, check=True):
        """Run script in the guest (busybox sh, with lib.sh sourced); returns
        (status, output). With check, a non-zero status raises VMError."""
        with self.lock:
            self.seq += 1
            cid = self.seq
        line = "%d %s\n" % (cid, base64.b64encode(script.encode()).decode())
        self.ctl.sendall(line.encode())
        rc, out = self.wait(lambda: self.results.pop(cid, None), timeout,
                            "guest command: " + script.strip().splitlines()[0][:80])
        if check and rc != 0:
            raise VMError("guest command failed (%d): %s\n%s" % (rc, script.strip()[:300], out))
        return rc, out

    # ---- devices ----
    def add_storage(self, dev_id, serial, image, read_only=False):
        self.command("blockdev-add", driver="raw", **{"node-name": "n-" + dev_id},
                     file={"driver": "file", "filename": image}, **{"read-only": read_only})
        self.command("device_add", driver="usb-storage", id=dev_id, bus="xhci.0",
                     serial=serial, drive="n-" + dev_id)

    def add_device(self, driver, dev_id, **props):
        self.command("device_add", driver=driver, id=dev_id, bus="xhci.0", **props)

    def del_device(self, dev_id, wait=True, storage=None):
        self.command("device_del", id=dev_id)
        if wait:
            def deleted():
                for e in self.events:
                    if e["event"] == "DEVICE_DELETED" and e.get("data", {}).get("device") == dev_id:
                        self.events.remove(e)
                        return True
                return False
            self.wait(deleted, 30, "removal of " + dev_id)
            if storage:
                self.command("blockdev-del", **{"node-name": "n-" + dev_id})

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.command("quit")
        except (VMError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for s in (self.ctl, self.qmp):
            try:
                s.close()
            except OSError:
                pass
        self.qerr.close()

    def console_tail(self, n=40):
        try:
            with open(self.console, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""
