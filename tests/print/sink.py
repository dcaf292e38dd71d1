#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A raw print sink for the print gate's tests: listens on 127.0.0.1, writes
# what each connection sends to DIR/job-N.bin (N counts from 1), and the
# port it got to DIR/port. Usage: sink.py DIR
import os
import socket
import sys

d = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(8)
with open(os.path.join(d, 'port.tmp'), 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
os.rename(os.path.join(d, 'port.tmp'), os.path.join(d, 'port'))
n = 0
while True:
    c, _ = s.accept()
    n += 1
    tmp = os.path.join(d, 'job-%d.part' % n)
    with open(tmp, 'wb') as f:
        while True:
            b = c.recv(65536)
            if not b:
                break
            f.write(b)
    c.close()
    os.rename(tmp, os.path.join(d, 'job-%d.bin' % n))
