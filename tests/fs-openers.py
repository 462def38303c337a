#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Many first opens at once, for the fs-* cases and bench/fs.sh.

fs-openers.py N PATH [SMALL]
  Forks N processes that block on one pipe, then opens PATH in all of them
  at the same moment (the pipe closes), reads 1 MiB at the start, middle and
  end, and reports per process: errno or OK, when the open started and
  ended (CLOCK_MONOTONIC, shared by all processes), and the bytes' SHA-256.
  With SMALL: 0.1 s after the release (while the N opens wait on PATH's
  hash) the parent opens and reads SMALL once and reports that latency.
Prints one JSON object."""
import errno, hashlib, json, os, sys, time

n, path = int(sys.argv[1]), sys.argv[2]
small = sys.argv[3] if len(sys.argv) > 3 else None
MiB = 1 << 20

def probe(p):
    t0 = time.monotonic()
    fd = os.open(p, os.O_RDONLY)
    data = os.read(fd, MiB)
    os.close(fd)
    return time.monotonic() - t0, len(data)

gate_r, gate_w = os.pipe()
res_r, res_w = os.pipe()
kids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(gate_w); os.close(res_r)
        os.read(gate_r, 1)                      # EOF when the parent releases
        rec = {"pid": os.getpid(), "t0": time.monotonic()}
        try:
            fd = os.open(path, os.O_RDONLY)
            rec["t1"] = time.monotonic()
            size = os.fstat(fd).st_size
            h = hashlib.sha256()
            for off in (0, max(0, size // 2 - MiB // 2), max(0, size - MiB)):
                h.update(os.pread(fd, MiB, off))
            os.close(fd)
            rec["r"] = "OK"
            rec["sha"] = h.hexdigest()
        except OSError as e:
            rec["t1"] = time.monotonic()
            rec["r"] = errno.errorcode.get(e.errno, str(e.errno))
        os.write(res_w, (json.dumps(rec) + "\n").encode())
        os._exit(0)
    kids.append(pid)
os.close(gate_r); os.close(res_w)
out = {}
if small:
    out["idle_small_s"] = sorted(probe(small)[0] for _ in range(5))[2]
release = time.monotonic()
os.close(gate_w)
if small:
    time.sleep(0.1)
    t, _ = probe(small)
    out["busy_small_s"] = t
    out["busy_small_end"] = time.monotonic() - release
buf = b""
while True:
    chunk = os.read(res_r, 65536)
    if not chunk:
        break
    buf += chunk
for pid in kids:
    os.waitpid(pid, 0)
recs = [json.loads(l) for l in buf.decode().splitlines()]
out["n"] = len(recs)
out["results"] = sorted(set(r["r"] for r in recs))
out["sha"] = sorted(set(r.get("sha", "") for r in recs))
out["last_start"] = max(r["t0"] for r in recs) - release
out["first_end"] = min(r["t1"] for r in recs) - release
out["last_end"] = max(r["t1"] for r in recs) - release
out["pids"] = sorted(r["pid"] for r in recs)
print(json.dumps(out))
