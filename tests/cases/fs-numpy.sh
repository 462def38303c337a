#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-numpy: numpy.load() of a signed .npy through vouchfs, read whole and
# memory-mapped (np.load(mmap_mode='r') maps the file MAP_SHARED, which works
# only without direct_io); a tampered .npy fails both ways with EACCES.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
"$PY" -c 'import numpy' 2>/dev/null || fail "python3-numpy missing (make deps)"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/emb" "$MNT"
"$PY" - "$SRC/emb" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(3)
a = rng.standard_normal((512, 384)).astype(np.float32)   # 768 KiB: several reads
np.save(sys.argv[1] + "/embeddings.npy", a)
np.save(sys.argv[1] + "/tampered.npy", a)
PYEOF
cp "$SRC/emb/embeddings.npy" "$TMPDIR/ref.npy"
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/emb"
flip_byte "$SRC/emb/tampered.npy" 400000
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust"

LOAD='
import sys, numpy as np
ref = np.load(sys.argv[2])
for mode in (None, "r"):
    try:
        a = np.load(sys.argv[1], mmap_mode=mode)
        print(mode, "equal" if np.array_equal(a, ref) else "different",
              type(a).__name__)
    except PermissionError as e:
        print(mode, "PermissionError", e.errno)
'
expect_rc 0 "$PY" -c "$LOAD" "$MNT/emb/embeddings.npy" "$TMPDIR/ref.npy"
expect_out "^None equal ndarray$"
expect_out "^r equal memmap$"
ok "np.load and np.load(mmap_mode='r') of the verified file: equal arrays"

expect_rc 0 "$PY" -c "$LOAD" "$MNT/emb/tampered.npy" "$TMPDIR/ref.npy"
expect_out "^None PermissionError 13$"
expect_out "^r PermissionError 13$"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$SRC/emb/tampered.npy .*comm=python3"
ok "tampered .npy: PermissionError both ways, LOG_ALERT record"
