#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-fork: fork-safety.  While threads keep verifications in flight
# (touching a 16 MiB model so every open re-hashes it), the main thread
# forks children that must still decide correctly (good opens, tampered is
# EACCES; the churned file either, as it changes under its hash) and exit
# promptly: no lock inherited from a vanished thread may hang them.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
mkdir -p "$PROT/big"
head -c 16777216 /dev/urandom >"$PROT/big/model.bin"
pl_sign "$PROT/big"
expect_rc 0 timeout 60 env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$PY" - "$PROT" <<'PYEOF'
import errno, os, sys, threading, time
prot = sys.argv[1]
stop = False
def churn():
    n = 0
    while not stop:
        os.utime(prot + "/big/model.bin")      # new mtime: the next open re-hashes
        with open(prot + "/big/model.bin", "rb") as f:
            f.read(1)
        n += 1
threads = [threading.Thread(target=churn, daemon=True) for _ in range(3)]
for t in threads: t.start()
time.sleep(0.2)
bad = 0
for i in range(30):
    pid = os.fork()
    if pid == 0:
        rc = 0
        try:
            open(prot + "/m/model.bin", "rb").read()
        except OSError as e:
            rc = 3
        try:
            # its times move under the hash (the churn): allowed, or
            # refused as changed while verified, never a hang
            open(prot + "/big/model.bin", "rb").read(1)
        except PermissionError as e:
            if e.errno != errno.EACCES: rc = 6
        try:
            open(prot + "/t/model.bin", "rb")
            rc = 4
        except PermissionError as e:
            if e.errno != errno.EACCES: rc = 5
        os._exit(rc)
    deadline = time.time() + 20
    while True:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            break
        if time.time() > deadline:
            os.kill(pid, 9); os.waitpid(pid, 0)
            stop = True
            sys.exit("child %d hung after fork" % i)
        time.sleep(0.01)
    if os.waitstatus_to_exitcode(st) != 0:
        bad += 1
        print("child", i, "exit", os.waitstatus_to_exitcode(st))
stop = True
for t in threads: t.join()
print("forks ok" if not bad else "forks bad %d" % bad)
sys.exit(1 if bad else 0)
PYEOF
expect_out 'forks ok'
ok "30 forks while verifications run in other threads"
