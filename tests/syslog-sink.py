#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real syslog receiver for tests: binds a Unix datagram socket (default
/dev/log, which nothing else serves on this machine) and appends every record
it receives, one per line, to FILE.  Usage: syslog-sink.py FILE [SOCKET]"""
import os, signal, socket, sys

out, path = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "/dev/log")
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(out, "ab", buffering=0) as f:
    f.write(b"")
    while True:
        data = s.recv(65536)
        f.write(data.rstrip(b"\n").replace(b"\n", b"\\n") + b"\n")
