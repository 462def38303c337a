#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-cosig-rewrite: issue 15, defect 8 through the shim (a cosignature
# rewritten in place, seen by a long-lived process).  The shim's verdicts and
# authenticated bundles are cached per process, so the process that opened
# the model keeps running while bob's cosignature is rewritten.
#
# threshold = 2 of the trusted keys alice and bob; alice signs (vouch sign),
# bob cosigns (vouch cosign -> model.sig.d/KEYID.sig).  One python process
# under the shim opens model.bin, then rewrites bob's cosignature file in
# place itself (O_WRONLY|O_TRUNC: same inode, directory mtime unchanged:
# checked) with bob's valid cosignature of another model; later writes the
# original back; later garbage.
# Asserts: after each withdrawal the first open of a never-opened file and
# the reopen of model.bin fail with EACCES, with cause=threshold records;
# with the original written back both open again.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
newkey alice; newkey bob
mkdir -p "$TMPDIR/trust" "$PROT"
cp "$TMPDIR/alice.pub" "$TMPDIR/bob.pub" "$TMPDIR/trust/"
mkmodel "$PROT/m"
mkmodel "$PROT/other"
for d in m other; do
	expect_rc 0 "$VOUCH" sign -k "$TMPDIR/alice.key" "$PROT/$d"
	expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/bob.key" "$PROT/$d/model.sig"
done
set -- "$PROT"/m/model.sig.d/*.sig
[ $# -eq 1 ] && [ -f "$1" ] || fail "bob's cosignature: $*"
BOB=$1
FOREIGN=$PROT/other/model.sig.d/$(basename "$BOB")
pl_conf enforce "$PROT" "threshold = 2"

OUT=$(shim "$PY" - "$PROT/m" "$BOB" "$FOREIGN" 2>&1 <<'PYEOF'
import os, sys
m, bob, foreign = sys.argv[1:]
orig = open(bob, "rb").read()
other = open(foreign, "rb").read()

def state():
    return (os.stat(bob).st_ino, os.stat(os.path.dirname(bob)).st_mtime_ns)

def rewrite(data):
    before = state()
    fd = os.open(bob, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, data)
    os.close(fd)
    if state() != before:
        sys.exit("rewrite in place moved the inode or the directory mtime: %s -> %s" % (before, state()))

def opens(name):
    try:
        with open(os.path.join(m, name), "rb") as f:
            f.read()
        return "OK"
    except PermissionError:
        return "EACCES"

def want(name, r, what):
    got = opens(name)
    print("%s: %s -> %s" % (what, name, got))
    if got != r:
        sys.exit("FAIL %s: %s answered %s, wanted %s" % (what, name, got, r))

want("model.bin", "OK", "alice + bob")
rewrite(other)
want("config.json", "EACCES", "bob's cosignature replaced in place by one over another payload")
want("model.bin", "EACCES", "bob's cosignature replaced in place by one over another payload")
rewrite(orig)
want("model.bin", "OK", "original cosignature written back in place")
want("tokenizer.json", "OK", "original cosignature written back in place")
rewrite(b"garbage, not a bundle\n")
want("sub/extra.txt", "EACCES", "bob's cosignature overwritten with garbage")
want("model.bin", "EACCES", "bob's cosignature overwritten with garbage")
want("tokenizer.json", "EACCES", "bob's cosignature overwritten with garbage")
print("done")
PYEOF
)
printf '%s\n' "$OUT"
printf '%s\n' "$OUT" | grep -q '^done$' || fail "$(printf '%s\n' "$OUT" | tail -n 1)"
for f in config.json model.bin sub/extra.txt tokenizer.json; do
	syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=threshold mode=enforce path=$PROT/m/$f "
done
ok "one process under the shim: a cosignature rewritten in place is seen at the next open (threshold)"
