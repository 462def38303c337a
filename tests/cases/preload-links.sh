#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-links: the shim decides by what the file is, not by the name used.
# A tampered protected file reached through a symlink, a bind mount (of the
# tree, and of the single file) and a hard link that all live outside the
# protected root is refused; so is one on a mount nested under the root and
# on an overlayfs root whose files report other device numbers.  A name under
# the root that leads outside it (a planted symlink) is refused too, by
# absolute and by relative path, and the record names the link (the name
# asked for decides).  Runs in a private mount namespace.
if [ -z "${PRELOAD_LINKS_NS:-}" ]; then
	PRELOAD_LINKS_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
OUT_DIR=$TMPDIR/elsewhere
mkdir -p "$OUT_DIR"
head -c 5000 /dev/urandom >"$OUT_DIR/plain.bin"

# Symlinks outside the root, into it.
ln -s "$PROT/t/model.bin" "$OUT_DIR/sym-bad"
ln -s "$PROT/m/model.bin" "$OUT_DIR/sym-good"
ln -s "$PROT/t" "$OUT_DIR/symdir"
try_denied open "$OUT_DIR/sym-bad"
try_denied fopen "$OUT_DIR/symdir/model.bin"
try_ok open "$OUT_DIR/sym-good"
ok "symlinks"

# Hard links outside the root (same filesystem, another name).
ln "$PROT/t/model.bin" "$OUT_DIR/hard-bad"
ln "$PROT/m/model.bin" "$OUT_DIR/hard-good"
try_denied open "$OUT_DIR/hard-bad"
try_denied openat "$OUT_DIR/hard-bad"
try_ok open "$OUT_DIR/hard-good"
syslog_wait "decision=deny cause=hash-mismatch .*ino=$(stat -c %i "$PROT/t/model.bin") "
# A link made after the process already looked (the index must notice).
expect_rc 0 shim "$PY" -c "
import os
open('$OUT_DIR/plain.bin','rb').read()
try:
    open('$OUT_DIR/hard-bad','rb')
    raise SystemExit('first hard link opened')
except PermissionError:
    pass
os.link('$PROT/t/tokenizer.json', '$OUT_DIR/late-good')
open('$OUT_DIR/late-good','rb').read()
# tamper through the new link, then open by it
with open('$OUT_DIR/late-good','r+b') as f: f.write(b'X')
try:
    open('$OUT_DIR/late-good','rb')
    raise SystemExit('tampered late hard link opened')
except PermissionError:
    print('late link denied')"
expect_out 'late link denied'
ok "hard links"

# Bind mounts outside the root: the whole tree, and one file.
mkdir -p "$OUT_DIR/bind" "$OUT_DIR/sub-bind"
: >"$OUT_DIR/file-bind"
mount --bind "$PROT" "$OUT_DIR/bind" || fail "mount --bind"
mount --bind "$PROT/t" "$OUT_DIR/sub-bind" || fail "mount --bind"
mount --bind "$PROT/t/model.bin" "$OUT_DIR/file-bind" || fail "mount --bind file"
try_denied open "$OUT_DIR/bind/t/model.bin"
try_denied open "$OUT_DIR/sub-bind/model.bin"
try_denied open "$OUT_DIR/file-bind"
try_ok open "$OUT_DIR/bind/m/model.bin"
try_ok open "$OUT_DIR/plain.bin"
# A bind mount made while the process runs (after it read the mount table).
mkdir -p "$OUT_DIR/late"
expect_rc 0 shim "$PY" - "$PROT" "$OUT_DIR" <<'PYEOF'
import subprocess, sys
prot, out = sys.argv[1:]
open(out + "/plain.bin", "rb").read()
open(out + "/bind/m/model.bin", "rb").read()
subprocess.run(["mount", "--bind", prot, out + "/late"], check=True)
try:
    open(out + "/late/t/model.bin", "rb")
    sys.exit("tampered file opened through a bind mount made later")
except PermissionError:
    print("late bind denied")
open(out + "/late/m/model.bin", "rb").read()
PYEOF
expect_out 'late bind denied'
ok "bind mounts"

# A filesystem mounted below the root is protected too; one elsewhere is not.
mkdir -p "$PROT/nested" "$OUT_DIR/tmpfs"
mount -t tmpfs nested "$PROT/nested" || fail "mount tmpfs"
mount -t tmpfs other "$OUT_DIR/tmpfs" || fail "mount tmpfs"
mkmodel "$PROT/nested/n"
pl_sign "$PROT/nested/n"
cp "$PROT/nested/n/model.bin" "$OUT_DIR/tmpfs/copy.bin"
try_ok open "$PROT/nested/n/model.bin"
try_ok open "$OUT_DIR/tmpfs/copy.bin"
flip_byte "$PROT/nested/n/model.bin" 7
try_denied open "$PROT/nested/n/model.bin"
ok "mounts below the root"

# An overlayfs root with its lower layer on tmpfs: its files report the
# layers' device numbers, not the overlay's.
mkdir -p "$TMPDIR/lower" "$TMPDIR/upper" "$TMPDIR/work" "$TMPDIR/ovl"
mount -t tmpfs lower "$TMPDIR/lower" || fail "mount tmpfs"
mkmodel "$TMPDIR/lower/o"
pl_sign "$TMPDIR/lower/o"
mount -t overlay ovl -o "lowerdir=$TMPDIR/lower,upperdir=$TMPDIR/upper,workdir=$TMPDIR/work" "$TMPDIR/ovl" ||
	fail "mount overlay"
[ "$(stat -c %d "$TMPDIR/ovl/o/model.bin")" != "$(stat -c %d "$TMPDIR/ovl")" ] ||
	fail "overlay file and root report the same device: the case is not exercised"
pl_conf enforce "$PROT:$TMPDIR/ovl"
try_ok open "$TMPDIR/ovl/o/model.bin"
flip_byte "$TMPDIR/ovl/o/model.bin" 3          # copy-up: the upper layer's file now
[ "$(stat -c %d "$TMPDIR/ovl/o/model.bin")" != "$(stat -c %d "$TMPDIR/ovl")" ] || fail "overlay dev"
try_denied open "$TMPDIR/ovl/o/model.bin"
try_ok open "$TMPDIR/ovl/o/config.json"
ok "overlayfs"

# A name under the root that leads outside it.
ln -s "$OUT_DIR/plain.bin" "$PROT/m/planted.bin"
try_denied open "$PROT/m/planted.bin"
OUT=$(cd "$PROT/m" && shim "$TRY" open planted.bin openat planted.bin 2>&1)
[ "$OUT" = "open errno=13
openat errno=13" ] || fail "relative planted symlink: $OUT"
OUT=$(cd "$OUT_DIR" && shim "$TRY" open "../prot/m/planted.bin" open plain.bin 2>&1)
[ "$OUT" = "open errno=13
open ok off=0" ] || fail "relative ../ planted symlink: $OUT"
syslog_wait "decision=deny cause=symlink mode=enforce path=$PROT/m/planted.bin .*detail=\"is a symlink"
# ... while the same file by its own name is nobody's business.
try_ok open "$OUT_DIR/plain.bin"
ok "names under the root leading out"
