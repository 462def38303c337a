#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/receipts.sh - issue 18 item 5: the first open of a verified 4 GiB
# model after a vouchfs restart, with `receipts = yes` (served from its
# receipt: no hashing) vs without (hashed), each through a new vouchfs
# process on the same data, measured in the same run.
#   first open after restart, receipts   target <= 1 ms
#   first open after restart, no receipts (the hash time; reported)
# Data (generated once under $BENCH_DIR, default /var/tmp/vouch-bench): a
# 4 GiB file, signed once; read once before timing (warm page cache, as in
# bench/fs.sh, so the baseline is the hash, not the disk).
# Environment: BENCH_DIR, REPS (default 5), VOUCH, VOUCHFS.  Needs root.
# Exit status: 0 target met, 1 missed, 2 setup error.
set -eu
LC_ALL=C; export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOUCH=${VOUCH:-$ROOT/build/bin/vouch}
VOUCHFS=${VOUCHFS:-$ROOT/build/bin/vouchfs}
BENCH_DIR=${BENCH_DIR:-/var/tmp/vouch-bench}
REPS=${REPS:-5}
PY=/usr/bin/python3
DATA=$BENCH_DIR/receipts-v1

die() { echo "bench/receipts.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (vouchfs mounts with mount(2))"
[ -x "$VOUCH" ] && [ -x "$VOUCHFS" ] || die "build first: make"
command -v openssl >/dev/null || die "openssl missing"
if [ ! -e "$DATA/.complete" ]; then
	echo "generating bench data under $DATA (once) ..."
	rm -rf "$DATA" "$DATA-key"; mkdir -p "$DATA/four" "$DATA-key"
	openssl enc -aes-128-ctr -pass pass:vouch-receipts -nosalt -pbkdf2 </dev/zero 2>/dev/null |
		head -c $((4096 * 1048576)) >"$DATA/four/weights.bin"
	[ "$(stat -c %s "$DATA/four/weights.bin")" -eq $((4096 * 1048576)) ] || die "short write"
	printf '{"small": true}\n' >"$DATA/four/config.json"
	"$VOUCH" keygen --no-passphrase -o "$DATA-key/k" >/dev/null 2>&1 || die "keygen"
	"$VOUCH" sign -k "$DATA-key/k.key" "$DATA/four" >/dev/null 2>&1 || die "sign"
	touch "$DATA/.complete"
fi
# A receipt is written only for a file unchanged for 2 s before its hash.
sleep 2

W=$(mktemp -d /tmp/vouch-bench-rcpt.XXXXXX)
MNT=$W/mnt
cleanup() {
	[ -n "${KEEP_AUDIT:-}" ] && cp "$W/audit.jsonl" "$KEEP_AUDIT"
	"$VOUCHFS" --unmount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$MNT" "$W/trust"
cp "$DATA-key/k.pub" "$W/trust/"
for r in yes no; do
	printf '[vouch]\ntrust = %s\nstate_dir = %s/state\naudit_log = %s/audit.jsonl\nreceipts = %s\n' \
		"$W/trust" "$W" "$W" "$r" >"$W/$r.conf"
	chmod 0644 "$W/$r.conf"
done

"$PY" - "$DATA" "$MNT" "$W" "$REPS" "$VOUCHFS" <<'PYEOF'
import json, os, statistics, subprocess, sys, time
data, mnt, w, reps, vouchfs = sys.argv[1:6]
reps = int(reps)
f_b, f_m = data + "/four/weights.bin", mnt + "/four/weights.bin"
audit = w + "/audit.jsonl"
proc = None

def mount(conf):
    global proc
    umount()
    proc = subprocess.Popen([vouchfs, "-f", "-c", conf, data, mnt],
                            stderr=open(w + "/vouchfs.err", "a"))
    for _ in range(400):
        if any(l.split()[4] == mnt for l in open("/proc/self/mountinfo")):
            try:
                os.listdir(mnt); return
            except OSError:
                pass
        time.sleep(0.01)
    raise SystemExit("vouchfs did not mount")

def umount():
    global proc
    if proc:
        subprocess.run([vouchfs, "--unmount", mnt], check=True)
        proc.wait(); proc = None

def t_open(path):
    t = time.perf_counter(); fd = os.open(path, os.O_RDONLY); t = time.perf_counter() - t
    os.close(fd); return t

def last_record(path):
    for l in reversed(open(audit).read().splitlines()):
        if l.startswith("{") and '"path":"%s"' % path in l:
            return json.loads(l)
    raise SystemExit("no record for " + path)

buf = bytearray(1 << 20)
with open(f_b, "rb", buffering=0) as f:
    while f.readinto(buf):
        pass
# The receipt: one verifying open with receipts on.
mount(w + "/yes.conf"); t_open(f_m); umount()
rc, nr, el = [], [], []
for i in range(reps):
    for conf, out in ((w + "/yes.conf", rc), (w + "/no.conf", nr)):
        if conf.endswith("no.conf") and i >= 2:
            continue            # two hashes of 4 GiB are enough for the baseline
        mount(conf)
        out.append(t_open(f_m) * 1e3)
        umount()
        r = last_record(f_b)
        want = "receipt" if out is rc else None
        if r.get("decision") != "allow" or r.get("content") != want:
            raise SystemExit("unexpected record: %s" % r)
        if out is rc:
            el.append(r["elapsed_ms"])
med = statistics.median
ok = med(rc) <= 1.0
print()
print("%-46s %10s %10s %8s %10s" % ("metric", "receipts", "hashed", "ratio", "target"))
print("%-46s %10.3f %10.3f %8.5f %10s  %s" % ("first open 4 GiB after restart (ms)", med(rc), med(nr),
      med(rc) / med(nr), "<= 1 ms", "ok" if ok else "MISSED"))
print("%-46s %10.3f %10s %8s %10s" % ("  of which vouch's decision (record, ms)", med(el), "", "",
      "(report)"))
print("  (the rest: the opener's FUSE lookups on a fresh mount; the decision is mostly the")
print("   signature's authentication, which a receipt does not skip)")
print("receipts: %d restarts (record content=receipt each); hashed: %d restarts, receipts = no." %
      (len(rc), len(nr)))
sys.exit(0 if ok else 1)
PYEOF
