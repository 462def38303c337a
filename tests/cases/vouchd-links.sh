#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd-links: names under fanotify (issue 18 item 2).  A permission event
# carries the file opened, not the name used: the kernel has followed any
# symlink already.  Each of the bypass issue's cases, through vouchd alone:
#   - a symlink in model a to model b's (signed, intact) file: denied, cause
#     symlink, LOG_ALERT
#   - a symlink in model a to a *.sig: denied
#   - a symlink made while vouchd runs and opened at once, 200 times (make,
#     open through it, remove): never allowed
#   - the Hugging Face hub cache (snapshots/REV/f -> ../../blobs/SHA, signed
#     with --allow-symlinks --symlink-root REPO): allow_symlinks = yes loads,
#     a tampered blob is refused; allow_symlinks = no refuses with an alert
#   - a hard link made outside the root (same filesystem) to a protected
#     tampered file, before the start and while running: denied
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
vd_syslog_start

MFS=$TMPDIR/mfs; ROOT=$MFS/models
vd_fs "$MFS"
mkdir -p "$ROOT" "$MFS/other"
for m in a b t; do mkmodel "$ROOT/$m"; vd_sign "$ROOT/$m"; done
flip_byte "$ROOT/t/model.bin" 1000
ln "$ROOT/t/model.bin" "$MFS/other/hard-before.bin" || fail "hard link"

# The hub cache (raw files: the layout, not the loaders, is under test).
HUB=$ROOT/hub; REPO=$HUB/models--org--name
mkdir -p "$REPO/refs" "$REPO/blobs"
eval "$("$PY" - "$REPO" <<'PYEOF'
import hashlib, json, os, sys
repo = sys.argv[1]
def blob(data):
    sha = hashlib.sha256(data).hexdigest()
    open(os.path.join(repo, "blobs", sha), "wb").write(data)
    return sha
rev = hashlib.sha1(b"revision 1").hexdigest()
snap = os.path.join(repo, "snapshots", rev); os.makedirs(snap)
cfg = blob(json.dumps({"model_type": "toy"}).encode())
w = blob(os.urandom(200000))
for name, sha in (("config.json", cfg), ("model.bin", w)):
    os.symlink("../../blobs/" + sha, os.path.join(snap, name))
open(os.path.join(repo, "refs", "main"), "w").write(rev)
print("REV=%s CFG=%s W=%s" % (rev, cfg, w))
PYEOF
)" || fail "building the hub cache"
SNAP=$REPO/snapshots/$REV
vd_sign "$SNAP" --allow-symlinks --symlink-root "$REPO"
cp "$REPO/blobs/$W" "$TMPDIR/w.orig"

vd_conf "$ROOT" "allow_symlinks = yes"
vd_start

# 1. The hub cache with allow_symlinks = yes.
vd_mark
[ "$(vd_open "$SNAP/model.bin")" = OK ] || fail "hub: snapshots/REV/model.bin with allow_symlinks = yes"
[ "$(vd_open "$SNAP/config.json")" = OK ] || fail "hub: snapshots/REV/config.json"
cmp -s "$SNAP/model.bin" "$TMPDIR/w.orig" || fail "hub: other bytes"
vd_bg_rc cat "$SNAP/model.bin"
[ "$BG_RC" = 0 ] || fail "hub: cat through the snapshot link"
# A blob replaced by a tampered one (written beside the root, renamed in:
# an open for writing under the root would be refused itself).
cp "$REPO/blobs/$W" "$MFS/blob.new"; flip_byte "$MFS/blob.new" 5; mv "$MFS/blob.new" "$REPO/blobs/$W"
vd_mark
[ "$(vd_open "$SNAP/model.bin")" = EPERM ] || fail "hub: a tampered blob loads through its snapshot link"
r=$(vd_rec "$SNAP/model.bin" 2>/dev/null || vd_rec "$REPO/blobs/$W")
[ "$(vd_field "$r" decision)" = deny ] && [ "$(vd_field "$r" severity)" = alert ] || fail "hub: tampered blob record: $r"
echo "hub tampered blob: $(vd_field "$r" cause) on $(vd_field "$r" path)"
cp "$TMPDIR/w.orig" "$MFS/blob.new"; mv "$MFS/blob.new" "$REPO/blobs/$W"
[ "$(vd_open "$SNAP/model.bin")" = OK ] || fail "hub: restored blob"
ok "hub cache, allow_symlinks = yes: snapshot links load; a tampered blob is refused and logged"

# ... and under allow_symlinks = yes a link from model a to model b's file
# is verified under its own name, a/evil.bin: not in a's signature.
ln -s ../b/model.bin "$ROOT/a/evil.bin"
vd_mark
vd_bg_rc cat "$ROOT/a/evil.bin"
[ "$BG_RC" != 0 ] || fail "allow_symlinks = yes: a link into another model was read"
vd_expect "$ROOT/a/evil.bin" deny not-in-manifest "$BG_PID" cat
rm "$ROOT/a/evil.bin"
ok "allow_symlinks = yes: a link from model a into model b is refused (not-in-manifest under the link's name)"

# From here on: allow_symlinks = no (the default).
vd_stop
vd_conf "$ROOT"
vd_start

# 2. A link from model a to model b's file (b itself is signed and intact).
vd_mark
ln -s ../b/model.bin "$ROOT/a/evil.bin"
vd_bg_rc cat "$ROOT/a/evil.bin"
[ "$BG_RC" != 0 ] && grep -q "Operation not permitted" "$TMPDIR/bg.err" || fail "a link into another model: read"
r=$(grep -F '"decision":"deny"' "$VD_AUDIT" | tail -n +1 | grep -F "\"pid\":$BG_PID," | head -n 1)
[ -n "$r" ] || { tail -n 20 "$VD_AUDIT" >&2; fail "no deny record for cat $BG_PID through a.evil.bin"; }
[ "$(vd_field "$r" cause)" = symlink ] && [ "$(vd_field "$r" severity)" = alert ] || fail "link into another model: $r"
grep -F "evil.bin" "$VD_AUDIT" >/dev/null || fail "no record names the link a/evil.bin"
rm "$ROOT/a/evil.bin"
[ "$(vd_open "$ROOT/b/model.bin")" = OK ] || fail "b/model.bin after the link is gone"
ok "a symlink from one model to another model's file: EPERM, deny symlink (LOG_ALERT) naming the link"

# 3. A link to a *.sig.
vd_mark
ln -s ../b/model.sig "$ROOT/a/notes.txt"
vd_bg_rc cat "$ROOT/a/notes.txt"
[ "$BG_RC" != 0 ] || fail "a link to b's model.sig was read"
r=$(grep -F '"decision":"deny"' "$VD_AUDIT" | grep -F "\"pid\":$BG_PID," | head -n 1)
[ -n "$r" ] && [ "$(vd_field "$r" severity)" = alert ] || fail "no alert for the link to a .sig"
echo "link to a .sig: $(vd_field "$r" cause) on $(vd_field "$r" path)"
rm "$ROOT/a/notes.txt"
ok "a symlink to a *.sig: denied, alert"

# 4. Made while running, opened at once: 200 rounds, never allowed.
vd_mark
expect_rc 0 "$PY" - "$ROOT" <<'PYEOF'
import errno, os, sys
root = sys.argv[1]
got = {}
for i in range(200):
    link = os.path.join(root, "a", "race%d.bin" % (i % 7))
    os.symlink("../b/model.bin" if i % 2 else os.path.join(root, "b", "config.json"), link)
    try:
        with open(link, "rb") as f:
            f.read()
        r = "READ"
    except OSError as e:
        r = errno.errorcode[e.errno]
    got[r] = got.get(r, 0) + 1
    os.unlink(link)
print(got)
sys.exit(1 if "READ" in got else 0)
PYEOF
printf '%s\n' "$OUT"
[ "$(vd_open "$ROOT/b/model.bin")" = OK ] || fail "b/model.bin after the races"
ok "a symlink made while vouchd runs, opened at once: 200/200 refused ($OUT)"

# 5. Hard links from outside the root to a protected tampered file.
vd_mark
[ "$(vd_open "$MFS/other/hard-before.bin")" = EPERM ] || fail "a hard link (made before the start) outside the root to a tampered file reads"
ln "$ROOT/t/model.bin" "$MFS/other/hard-after.bin"
[ "$(vd_open "$MFS/other/hard-after.bin")" = EPERM ] || fail "a hard link made while running, outside the root, to a tampered file reads"
n=$(tail -n +"$((VD_MARK + 1))" "$VD_AUDIT" | grep -c '"decision":"deny"')
[ "$n" -ge 2 ] || { tail -n +"$((VD_MARK + 1))" "$VD_AUDIT" >&2; fail "hard links: $n deny records, wanted 2"; }
vd_bg_rc "$PY" -c 'import os, sys; os.link(sys.argv[1], sys.argv[2]); open(sys.argv[2], "rb").read()' \
	"$ROOT/t/model.bin" "$MFS/other/hard-race.bin"
[ "$BG_RC" != 0 ] || fail "link-then-open at once outside the root read the tampered file"
ok "hard links outside the root to a tampered protected file (before, during, link-then-open): denied"

# 6. The hub cache with allow_symlinks = no: refused, with an alert.
vd_mark
vd_bg_rc cat "$SNAP/model.bin"
[ "$BG_RC" != 0 ] && grep -q "Operation not permitted" "$TMPDIR/bg.err" || fail "hub with allow_symlinks = no: read"
r=$(grep -F '"decision":"deny"' "$VD_AUDIT" | grep -F "\"pid\":$BG_PID," | head -n 1)
[ -n "$r" ] && [ "$(vd_field "$r" severity)" = alert ] || { tail -n 20 "$VD_AUDIT" >&2; fail "hub, allow_symlinks = no: no alert for cat $BG_PID"; }
echo "hub, allow_symlinks = no: $(vd_field "$r" cause) on $(vd_field "$r" path)"
[ "$(vd_field "$r" cause)" = symlink ] || fail "hub, allow_symlinks = no: cause $(vd_field "$r" cause), wanted symlink"
ok "hub cache, allow_symlinks = no: refused with an alert (cause symlink)"
