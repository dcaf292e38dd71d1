#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes demo-devices.umockdev: synthetic USB devices that the demo and the
tests plug in behind the recorded dock's hub (usbguard-devices.umockdev), so
that the baseline policy meets storage, a BadUSB composite, a phone and a
security key. The descriptors are built from the USB 2.0 specification's
layouts; the ids are the real ones of such products, serials are invented."""
import sys

HUB = "/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4.1"


def dev_desc(vid, pid, cls=0, sub=0, proto=0, bcd=0x0100, iser=3):
    return bytes([18, 1, 0x00, 0x02, cls, sub, proto, 64,
                  vid & 0xff, vid >> 8, pid & 0xff, pid >> 8,
                  bcd & 0xff, bcd >> 8, 1, 2, iser, 1])


def iface(num, alt, cls, sub, proto, eps):
    d = bytes([9, 4, num, alt, len(eps), cls, sub, proto, 0])
    for addr, attr, size in eps:
        d += bytes([7, 5, addr, attr, size & 0xff, size >> 8, 0])
    return d


def config(ifaces, n_ifaces):
    body = b"".join(ifaces)
    total = 9 + len(body)
    return bytes([9, 2, total & 0xff, total >> 8, n_ifaces, 1, 0, 0x80, 50]) + body


DEVICES = [
    # (port, devnum, vid, pid, manufacturer, product, serial, device class triple, interfaces)
    ("1-4.1.1", 20, 0x0781, 0x5567, "SanDisk", "Cruzer Blade", "4C530001230512345678", (0, 0, 0),
     [iface(0, 0, 0x08, 0x06, 0x50, [(0x81, 2, 512), (0x02, 2, 512)])]),
    ("1-4.1.2", 21, 0x0781, 0x5567, "SanDisk", "Cruzer Blade", "4C530001230598765432", (0, 0, 0),
     [iface(0, 0, 0x08, 0x06, 0x50, [(0x81, 2, 512), (0x02, 2, 512)])]),
    ("1-4.1.4", 22, 0x16c0, 0x27db, "Generic", "USB Keyboard", "", (0, 0, 0),
     [iface(0, 0, 0x03, 0x01, 0x01, [(0x81, 3, 8)]),
      iface(1, 0, 0x08, 0x06, 0x50, [(0x82, 2, 64), (0x03, 2, 64)])]),
    ("1-4.1.5", 23, 0x18d1, 0x4ee7, "Google", "Pixel 7", "27281FDH20084S", (0, 0, 0),
     [iface(0, 0, 0x06, 0x01, 0x01, [(0x81, 2, 512), (0x01, 2, 512), (0x82, 3, 28)]),
      iface(1, 0, 0xe0, 0x01, 0x03, [(0x83, 3, 8)]),
      iface(2, 0, 0x0a, 0x00, 0x00, [(0x84, 2, 512), (0x02, 2, 512)])]),
    ("1-4.1.6", 24, 0x1050, 0x0407, "Yubico", "YubiKey OTP+FIDO+CCID", "", (0, 0, 0),
     [iface(0, 0, 0x03, 0x01, 0x01, [(0x81, 3, 8)]),
      iface(1, 0, 0x03, 0x00, 0x00, [(0x04, 3, 64), (0x84, 3, 64)]),
      iface(2, 0, 0x0b, 0x00, 0x00, [(0x02, 2, 64), (0x82, 2, 64), (0x83, 3, 8)])]),
]


def main(out):
    lines = []
    for port, devnum, vid, pid, mfr, prod, serial, dcls, ifs in DEVICES:
        desc = dev_desc(vid, pid, *dcls, iser=3 if serial else 0) + config(ifs, len(ifs))
        hx = desc.hex().upper()
        path = f"{HUB}/{port}"
        lines += [f"P: {path}",
                  f"N: bus/usb/001/{devnum:03d}={hx}",
                  "E: BUSNUM=001", f"E: DEVNAME=/dev/bus/usb/001/{devnum:03d}",
                  f"E: DEVNUM={devnum:03d}", "E: DEVTYPE=usb_device", "E: DRIVER=usb",
                  f"E: PRODUCT={vid:x}/{pid:x}/100", "E: SUBSYSTEM=usb",
                  "E: MAJOR=189", f"E: MINOR={devnum - 1}",
                  "A: authorized=0", "A: bConfigurationValue=", "A: bDeviceClass=00",
                  "A: bDeviceProtocol=00", "A: bDeviceSubClass=00", "A: bMaxPacketSize0=64",
                  f"A: bNumInterfaces= {len(ifs)}", "A: bcdDevice=0100", "A: busnum=1",
                  f"H: descriptors={hx}", f"A: dev=189:{devnum - 1}", f"A: devnum={devnum}",
                  f"A: devpath={port.split('-', 1)[1]}", f"A: idProduct={pid:04x}",
                  f"A: idVendor={vid:04x}", f"A: manufacturer={mfr}", "A: maxchild=0",
                  f"A: product={prod}", "A: removable=removable", "A: speed=480",
                  "A: version= 2.00"]
        if serial:
            lines.append(f"A: serial={serial}")
        lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-devices.umockdev")
