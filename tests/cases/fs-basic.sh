#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-basic: vouchfs serves a signed model read-only.  Listings, stat and
# reads of verified files work and return the source bytes; signatures are
# readable; a tampered file, an unsigned file and a file no signature covers
# fail with EACCES, each with a LOG_ALERT record and a JSON-lines record
# naming the file, the cause and the opening process (its thread group id,
# even when a non-main thread opens); every kind of write answers EROFS;
# symlinks never lead out of the source.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
mkdir "$SRC/t"
cp -r "$SRC/m/." "$SRC/t/"
flip_byte "$SRC/t/model.bin" 1000
printf 'not signed\n' >"$SRC/loose.bin"
printf 'added\n' >"$SRC/m/added.bin"
ln -s /etc/passwd "$SRC/m/abs-link"
ln -s ../../../../../../../etc/passwd "$SRC/m/up-link"
ln -s /etc "$SRC/etc-dir"
ln -s model.bin "$SRC/m/in-link"
AUDIT=$TMPDIR/audit.jsonl
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --audit-log "$AUDIT"

# Listings and stat match the source.
[ "$(ls -A "$MNT/m" | sort)" = "$(ls -A "$SRC/m" | sort)" ] || fail "listing differs"
[ "$(ls "$MNT/m/sub")" = "extra.txt" ] || fail "subdirectory listing"
for f in model.bin config.json tokenizer.json __init__.py sub/extra.txt model.sig; do
	[ "$(stat -c '%s %a %U' "$MNT/m/$f")" = "$(stat -c '%s %a %U' "$SRC/m/$f")" ] \
		|| fail "stat of $f differs"
	cmp "$MNT/m/$f" "$SRC/m/$f" || fail "$f: bytes differ through the mount"
done
# A link is never shown as one (the client would follow it to another name):
# it is a regular file whose open is denied, allow_symlinks being off.
[ -f "$MNT/m/in-link" ] && [ ! -L "$MNT/m/in-link" ] || fail "in-root link not shown as a regular file"
[ "$(fs_errno "$MNT/m/in-link")" = EACCES ] || fail "a link inside the model is followed"
ok "listings, stat and verified reads (signature readable)"

# Denials: EACCES for the opener, a record for the auditor.
[ "$(fs_errno "$MNT/t/model.bin")" = "$FS_TAMPERED" ] || fail "tampered file readable"
[ "$(fs_errno "$MNT/m/added.bin")" = EACCES ] || fail "unsigned extra file readable"
[ "$(fs_errno "$MNT/loose.bin")" = EACCES ] || fail "file no signature covers is readable"
[ "$(fs_errno "$MNT/t/config.json")" = OK ] || fail "an intact file beside a tampered one"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$SRC/t/model.bin .*comm=python3"
syslog_wait "decision=deny cause=symlink mode=enforce path=$SRC/m/in-link .*detail=\"is a symlink"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=not-in-manifest .*path=$SRC/m/added.bin"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=not-signed .*path=$SRC/loose.bin"
ok "tampered, unsigned and uncovered files: EACCES and LOG_ALERT records"

# The opener is the process (tgid), not the FUSE-reported thread.
out=$("$PY" - "$MNT/t/model.bin" <<'PYEOF'
import os, sys, threading
res = {}
def opener():
    res["tid"] = threading.get_native_id()
    try:
        open(sys.argv[1], "rb").close(); res["r"] = "OK"
    except PermissionError:
        res["r"] = "EACCES"
t = threading.Thread(target=opener); t.start(); t.join()
print(os.getpid(), res["tid"], res["r"])
PYEOF
)
set -- $out
[ "$3" = EACCES ] || fail "threaded open: $out"
[ "$1" != "$2" ] || fail "the thread id equals the pid: test proves nothing"
syslog_wait "decision=deny cause=hash-mismatch .*path=$SRC/t/model.bin .*pid=$1 uid=0 comm=python3"
grep -q "pid=$2 " "$SYSLOG" && fail "a record names the thread id $2"
grep "\"path\":\"$SRC/t/model.bin\"" "$AUDIT" | grep "\"pid\":$1," | grep -q '"decision":"deny","cause":"hash-mismatch"' \
	|| { cat "$AUDIT" >&2; fail "no JSON record with pid $1"; }
ok "records name the thread group id $1 (thread $2 opened)"

# Read-only: every way of changing the tree answers EROFS.
for cmd in "touch $MNT/m/new" "cp /etc/hostname $MNT/m/new" "cp /etc/hostname $MNT/m/config.json" \
	"rm -f $MNT/m/config.json" "mv $MNT/m/config.json $MNT/m/c2" "mkdir $MNT/m/d" \
	"chmod 777 $MNT/m/model.bin" "truncate -s 0 $MNT/m/model.bin" "ln $MNT/m/model.bin $MNT/m/hl" \
	"ln -s x $MNT/m/sl" "rmdir $MNT/m/sub" "touch -d 2000-01-01 $MNT/m/model.bin"; do
	expect_rc 1 $cmd
	expect_out "Read-only file system"
done
out=$("$PY" - "$MNT/m/model.bin" <<'PYEOF'
import errno, os, sys
p = sys.argv[1]
for what, fn in [("rdwr", lambda: os.open(p, os.O_RDWR)),
                 ("wronly", lambda: os.open(p, os.O_WRONLY)),
                 ("setxattr", lambda: os.setxattr(p, "user.x", b"1")),
                 ("utime", lambda: os.utime(p, (0, 0)))]:
    try:
        fn(); print(what, "OK")
    except OSError as e:
        print(what, errno.errorcode[e.errno])
PYEOF
)
[ "$(printf '%s\n' "$out" | grep -vc EROFS)" -eq 0 ] || fail "not EROFS: $out"
cmp "$SRC/m/config.json" "$MNT/m/config.json" || fail "source changed"
ok "writes, creates, renames, chmod, truncate, links, setxattr: EROFS"

# Symlinks: never followed out of the source, by vouchfs or by a client.
for l in m/abs-link m/up-link etc-dir/passwd; do
	r=$(fs_errno "$MNT/$l")
	[ "$r" = OK ] && fail "$l: read through a link out of the source"
done
[ "$(stat -c %F "$MNT/m/abs-link")" = "regular empty file" ] || fail "a link is shown as a link"
syslog_wait "decision=deny cause=symlink mode=enforce path=$SRC/m/abs-link "
ok "links out of the source are not followed, and shown as denied regular files"

# A directory or file swapped for a link after the kernel cached the names
# (timeout=30): the open reaches vouchfs for the old name, and resolving it
# beneath the pinned root never follows the link, even to identical bytes.
R=$TMPDIR/race; RM=$TMPDIR/race-mnt; EVIL=$TMPDIR/evil
mkdir -p "$R/d" "$RM" "$EVIL"
printf 'weights\n' >"$R/d/f.bin"; printf 'weights\n' >"$R/g.bin"; printf 'weights\n' >"$R/h.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$R"
cp "$R/d/f.bin" "$EVIL/f.bin"; cp "$R/g.bin" "$EVIL/g.bin"
fs_mount "$R" "$RM" --trust "$TMPDIR/trust" -o timeout=30
cmp "$RM/d/f.bin" "$R/d/f.bin" && cmp "$RM/g.bin" "$R/g.bin" && cmp "$RM/h.bin" "$R/h.bin" \
	|| fail "race setup"
mv "$R/d" "$R/d.orig"; ln -s "$EVIL" "$R/d"
mv "$R/g.bin" "$R/g.orig"; ln -s "$EVIL/g.bin" "$R/g.bin"
mv "$R/h.bin" "$R/h.orig"; ln -s h.orig "$R/h.bin"     # inside the root, same bytes
[ "$(fs_errno "$RM/d/f.bin")" = EACCES ] || fail "followed a directory swapped for a link"
[ "$(fs_errno "$RM/g.bin")" = EACCES ] || fail "followed a file swapped for a link out of the root"
[ "$(fs_errno "$RM/h.bin")" = EACCES ] || fail "followed a file swapped for a link inside the root"
ok "names swapped for links under cached entries: EACCES, never followed"

# In place: a source hidden by its own mount is still served (pinned).
IP=$TMPDIR/inplace
fs_model "$IP"
ln "$IP/model.bin" "$TMPDIR/inplace-hardlink"   # to tamper with it later
cp "$IP/model.bin" "$TMPDIR/good.bin"
fs_mount "$IP" "$IP" --trust "$TMPDIR/trust"
pin=$(awk -v m="$IP" '$4 == m && $5 ~ /^\/run\/vouchfs\// { print $5 }' /proc/self/mountinfo)
[ -n "$pin" ] || fail "no private pin of the in-place source under /run/vouchfs"
cmp "$IP/model.bin" "$TMPDIR/good.bin" || fail "in place: bytes differ"
flip_byte "$TMPDIR/inplace-hardlink" 5
[ "$(fs_errno "$IP/model.bin")" = "$FS_TAMPERED" ] || fail "in place: tampered file readable"
fs_stop "$FS_PID" "$IP"
[ -e "$pin" ] && fail "pin $pin left after a clean stop"
ok "in-place mount: served from the pin, tamper denied, clean stop removes the pin"
