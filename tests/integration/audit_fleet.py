#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the audit logs of a small fleet, as a collector would hold them,
for test_audit_report.sh: one directory per terminal, in the format of
lib/audit.h (one JSON object a line, keys in order, each "prev" the SHA-256
of the line before). This is a second, independent writer of the format:
the test first checks that "mnguardctl audit verify" accepts every file.

  audit_fleet.py OUTDIR          writes OUTDIR/<host>/audit.log*
  audit_fleet.py --chain FILE    writes one old chain (for audit prune)

Terminals:
  pc-001  two files (audit.log.1, audit.log): a rotation, linked
  pc-002  one file; strings that try HTML, formula and bidi injection
  pc-003  head removed by retention: the oldest file starts at seq 101 and
          an audit.prune record names seq 1-100 and the hash it continues
  pc-004  one record edited after writing (tampered)
"""
import datetime
import hashlib
import json
import os
import sys

ZERO = "0" * 64


class Chain:
    def __init__(self, host, seq=0, prev=ZERO):
        self.host = host
        self.seq = seq
        self.prev = prev
        self.lines = []

    def add(self, when, event, subject=None, obj=None, decision=None, rule=None,
            exemption=None, ticket=None, detail=None):
        self.seq += 1
        rec = {"seq": self.seq, "time": when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
               "host": self.host, "event": event, "subject": subject, "object": obj,
               "decision": decision}
        for k, v in (("rule", rule), ("exemption", exemption), ("ticket", ticket),
                     ("detail", detail)):
            if v is not None:
                rec[k] = v
        rec["prev"] = self.prev
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
        self.prev = hashlib.sha256(line.encode()).hexdigest()
        self.lines.append(line)
        return self.seq

    def start(self, when, detail="new chain"):
        return self.add(when, "chain.start", obj="/var/log/mnguard/audit.log",
                        decision="ok", detail=detail)

    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            for line in self.lines:
                f.write(line + "\n")
        self.lines = []


def dev(vid_pid, serial, name, ifaces):
    return 'id %s serial "%s" name "%s" port 1-2 hash abc= interfaces %s' % (
        vid_pid, serial, name, ifaces)


STORAGE = dev("0781:5567", "4C530001", "Cruzer Blade", "08:06:50")
PHONE = dev("18d1:4ee1", "HT7A1", "Pixel", "06:01:01")
NETDEV = dev("0b95:1790", "0001", "AX88179", "ff:ff:00,02:06:00,0a:00:00")
BADUSB = dev("1234:5678", "X1", "Keyboard", "03:01:01,08:06:50")


def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


def terminal_common(c, day, n_block, cls=STORAGE):
    for i in range(n_block):
        c.add(t(day) + datetime.timedelta(minutes=i), "device.block", "sato", cls, "block",
              rule="implicit", detail="no rule allows it")


def fleet(out):
    # pc-001: March (outside the period) and April-June; rotated in May
    c = Chain("pc-001")
    c.start(t("2025-03-01 08:00:00"))
    c.add(t("2025-03-01 08:00:01"), "policy.load", None, "/etc/mnguard/rules.d", "ok",
          detail="40 rules")
    terminal_common(c, "2025-03-15 10:00:00", 5)  # before the period: not counted
    c.add(t("2025-04-01 08:00:00"), "policy.bundle.install", "uid 0 (root)", "bundle",
          "ok", detail="version 7, kid pol-2025")
    c.add(t("2025-04-01 08:00:01"), "policy.load", "uid 0 (root)", "/etc/mnguard/rules.d",
          "ok", detail="42 rules")
    terminal_common(c, "2025-04-02 09:00:00", 3)
    c.add(t("2025-04-03 09:00:00"), "device.block", "sato", PHONE, "block", rule="implicit")
    c.add(t("2025-04-04 09:00:00"), "device.reject", "sato", BADUSB, "reject",
          rule="/etc/mnguard/rules.d/90-mynumber-terminal.rules:12")
    c.add(t("2025-04-10 10:00:00"), "exemption.redeem", "uid 1000 (sato) pid 42",
          "usb: allow id 0781:5567 serial \"4C530001\"", "redeem", exemption="ex-0001",
          ticket="INC-123", detail='token for user sato until 2025-04-10T12:00:00Z, 1 uses; '
          'issuer key hd-2025a, operator "yamada"; reason "tax data for the ward office"')
    c.add(t("2025-04-10 10:05:00"), "exemption.use", "sato", "usb: allow id 0781:5567",
          "use", exemption="ex-0001", ticket="INC-123", detail="device allowed; 0 of 1 uses left")
    c.add(t("2025-04-11 08:30:00"), "login.pass", "suzuki", "login", "ok",
          exemption="ex-0002", ticket="INC-124",
          detail="key-less login with a temporary access pass (token)")
    last = c.seq
    c.write(os.path.join(out, "pc-001", "audit.log.1"))
    c.start(t("2025-05-01 00:00:00"),
            detail='continues the chain after record %d of the rotated log "audit.log.1"' % last)
    c.add(t("2025-05-02 09:00:00"), "key.enroll", "uid 0 (root)", "user suzuki label key-2",
          "ok", detail="enrolled by helpdesk operator yamada")
    c.add(t("2025-05-03 09:00:00"), "key.revoke", "uid 0 (root)", "user tanaka label key-1",
          "ok", detail="lost key")
    c.add(t("2025-05-04 09:00:00"), "print.hold", "sato (by uid 7 pid 9)",
          'printer "office" job 12 title "(withheld: holds a number)"', "hold",
          rule="rules.d/50-print.rules:3",
          detail="sha256=ab bytes=10 format=text/plain pages=1 content=sensitive")
    c.add(t("2025-05-05 09:00:00"), "print.cancel", "sato (by uid 7 pid 9)",
          'printer "home" job 13 title "memo"', "cancel", detail="printer not allowed")
    terminal_common(c, "2025-06-30 23:59:00", 1, NETDEV)
    terminal_common(c, "2025-07-01 00:00:01", 2)  # after the period: not counted
    c.write(os.path.join(out, "pc-001", "audit.log"))

    # pc-002: hostile strings
    c = Chain("pc-002")
    c.start(t("2025-04-01 07:00:00"))
    c.add(t("2025-04-01 07:00:01"), "policy.load", None, "/etc/mnguard/rules.d", "ok",
          detail="42 rules")
    c.add(t("2025-04-05 11:00:00"), "device.block", "=cmd|' /C calc'!A0",
          dev("dead:beef", "<script>alert(1)</script>", "x interfaces 03:01:01 \u202egnp.exe",
              "08:06:50"), "block", rule="implicit",
          detail="<img src=x onerror=alert(2)> & \"quotes\" 'single'")
    terminal_common(c, "2025-05-20 12:00:00", 2, BADUSB)
    c.add(t("2025-05-21 12:00:00"), "exemption.redeem", "+SUM(1,2)", "printer: office",
          "redeem", exemption="ex-9", ticket="@INC-9",
          detail='phone for user kato until 2025-05-21T17:00:00Z, 1 uses; issuer phone, '
          'operator "<b>x</b>"; reason "-2+3"')
    c.write(os.path.join(out, "pc-002", "audit.log"))

    # pc-003: head pruned by retention, recorded
    c = Chain("pc-003")
    c.start(t("2019-01-01 00:00:00"))
    for i in range(99):
        c.add(t("2019-01-02 00:00:00") + datetime.timedelta(minutes=i), "agent.rescan",
              None, None, "ok")
    first_last, first_hash = c.seq, c.prev
    c.lines = []  # this file was removed by retention
    c.start(t("2025-04-01 06:00:00"),
            detail='continues the chain after record %d of the rotated log "audit.log.9"'
            % first_last)
    c.add(t("2025-04-01 06:00:05"), "audit.prune", "uid 0 (mnguardctl audit prune)",
          "audit.log.9", "ok",
          detail='file "audit.log.9" seq 1-%d last_sha256 %s last_time '
          '2019-01-02T01:38:00.000000Z; retention 1830 days, cutoff 2020-04-01T06:00:00.000000Z'
          % (first_last, first_hash))
    terminal_common(c, "2025-06-01 10:00:00", 4, PHONE)
    c.write(os.path.join(out, "pc-003", "audit.log"))

    # pc-004: tampered (record 3 edited after writing)
    c = Chain("pc-004")
    c.start(t("2025-04-01 06:00:00"))
    terminal_common(c, "2025-04-15 10:00:00", 3)
    lines = list(c.lines)
    lines[2] = lines[2].replace('"sato"', '"nobody"')
    c.lines = lines
    c.write(os.path.join(out, "pc-004", "audit.log"))


def old_chain(path):
    """audit.log.2 (2015, all past a 5-year retention) and audit.log.1 (2016) and the
    start of audit.log (now): the files of one terminal, linked."""
    d = os.path.dirname(path)
    c = Chain("pc-old")
    c.start(t("2015-01-01 00:00:00"))
    c.add(t("2015-01-02 00:00:00"), "agent.start", None, None, "ok")
    last = c.seq
    c.write(os.path.join(d, "audit.log.2"))
    c.start(t("2016-01-01 00:00:00"),
            detail='continues the chain after record %d of the rotated log "audit.log.2"' % last)
    c.add(t("2016-01-02 00:00:00"), "agent.stop", None, None, "ok")
    last = c.seq
    c.write(os.path.join(d, "audit.log.1"))
    now = datetime.datetime.utcnow()
    c.start(now, detail='continues the chain after record %d of the rotated log "audit.log.1"'
            % last)
    c.write(path)
    with open(os.path.join(d, "anchor"), "w") as f:
        f.write('{"seq":%d,"sha256":"%s"}\n' % (c.seq, c.prev))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--chain":
        old_chain(sys.argv[2])
    elif len(sys.argv) == 2:
        fleet(sys.argv[1])
    else:
        sys.exit("usage: audit_fleet.py OUTDIR | --chain FILE")
