#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writers (the review's two bypasses, issue 18): a file open for writing
# anywhere cannot be verified, because stores through a shared mapping into
# an already dirtied page change its bytes without changing its size or
# times, and the verdict cache keys on those.
#  - vouchd decides every open, write-only ones too: O_WRONLY and O_RDWR
#    opens of a signed model are refused (io-error, "open for writing"), by
#    root and by the file's owner; so no writable mapping can be made under
#    vouchd;
#  - an io_uring worker created while its task sits in openat(O_WRONLY)
#    (whose /proc/TID/syscall then says O_WRONLY) opening a tampered model
#    O_RDONLY is refused (a front end trusting that file would let it by);
#  - a writable shared mapping made before vouchd started: every open is
#    refused while it lives; the unsigned bytes it stores are then denied
#    (hash-mismatch), never served from a cache;
#  - the same writer against vouchfs (a mapping of the source file): opens
#    through the mount are refused while it lives.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
MW=$VOUCH_BUILD/tests/map-writer
ULO=$VOUCH_BUILD/tests/uring-linked-open
[ -x "$MW" ] && [ -x "$ULO" ] || fail "test helpers not built"

M=$TMPDIR/mfs
vd_fs "$M"
mkdir -p "$M/models/m" "$M/models/t"
head -c 200000 /dev/urandom >"$M/models/m/w.bin"
head -c 200000 /dev/urandom >"$M/models/t/w.bin"
vd_sign "$M/models/m"
vd_sign "$M/models/t"
flip_byte "$M/models/t/w.bin" 100
chown 65534 "$M/models/m/w.bin" "$M/models/t/w.bin"
chmod 0755 "$TMPDIR"
N=$TMPDIR/nobody                     # where uid 65534 may make files
mkdir -p "$N"; chown 65534 "$N"
vd_conf "$M/models"
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
openf() { # FLAGS PATH: errno name of os.open(PATH, FLAGS), or OK
	"$PY" -c 'import os, sys, errno
try:
    os.close(os.open(sys.argv[2], getattr(os, sys.argv[1])))
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$1" "$2"
}

# ---- write-capable opens are decided, and refused ---------------------------
vd_start
[ "$(vd_open "$M/models/m/w.bin")" = OK ] || fail "the signed model is refused"
vd_mark
for fl in O_WRONLY O_RDWR; do
	got=$(openf "$fl" "$M/models/m/w.bin")
	[ "$got" = EPERM ] || fail "root: $fl open of a signed model: $got, wanted EPERM"
	got=$(as_nobody "$PY" -c 'import os, sys, errno
try:
    os.close(os.open(sys.argv[1], os.'"$fl"')); print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$M/models/m/w.bin")
	[ "$got" = EPERM ] || fail "owner: $fl open of a signed model: $got, wanted EPERM"
done
vd_expect "$M/models/m/w.bin" deny io-error
case "$(vd_field "$VD_REC" detail)" in *"open for writing"*) ;; *) fail "detail: $VD_REC" ;; esac
got=$(as_nobody "$MW" "$M/models/m/w.bin" "$N/ready1" "$N/store1")
[ "$got" = "open: Operation not permitted" ] || fail "a writable mapping could be made under vouchd: $got"
[ "$(vd_open "$M/models/m/w.bin")" = OK ] || fail "the model is refused after the writers left"
ok "O_WRONLY and O_RDWR opens of a signed model are refused (root and owner); no writable mapping"

# ---- the io_uring register trick ---------------------------------------------
got=$(as_nobody "$ULO" "$M/models/t/w.bin" "$N/fifo" 2>&1)
echo "uring-linked-open: $got"
case "$got" in "refused: Operation not permitted"*) ;; *) fail "io_uring worker open of a tampered model: $got" ;; esac
ok "an io_uring worker made inside openat(O_WRONLY) opening a tampered model: refused"
vd_stop

# ---- a writable mapping made before vouchd ------------------------------------
as_nobody "$MW" "$M/models/m/w.bin" "$N/ready2" "$N/store2" >"$TMPDIR/mw.out" &
MWP=$!
VD_HOOK="kill $MWP"
for _ in $(seq 200); do [ -e "$N/ready2" ] && break; sleep 0.02; done
[ -e "$N/ready2" ] || { cat "$TMPDIR/mw.out"; fail "map-writer did not start"; }
vd_start
vd_mark
[ "$(vd_open "$M/models/m/w.bin")" = EPERM ] || fail "served while a writable mapping lives"
vd_expect "$M/models/m/w.bin" deny io-error
touch "$N/store2"
sleep 0.2
[ "$(vd_open "$M/models/m/w.bin")" = EPERM ] || fail "served after the mapping stored unsigned bytes"
rm -f "$N/store2"
wait "$MWP"
VD_HOOK=":"
vd_mark
[ "$(vd_open "$M/models/m/w.bin")" = EPERM ] || fail "the stored unsigned bytes were served"
vd_expect "$M/models/m/w.bin" deny hash-mismatch
ok "a writable mapping from before: refused while it lives; its bytes denied after (hash-mismatch)"
vd_stop

# ---- vouchfs: the same writer on the source ---------------------------------
. "$VOUCH_SRC/tests/fs-lib.sh"
trap 'fs_cleanup; vd_cleanup' EXIT
S=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$S/m" "$MNT"
head -c 200000 /dev/urandom >"$S/m/w.bin"
vd_sign "$S/m"
chown 65534 "$S/m/w.bin"
fs_mount "$S" "$MNT" -c "$VD_CONF" --trust "$TMPDIR/trust" --audit-log "$TMPDIR/fs-audit.jsonl"
[ "$(fs_errno "$MNT/m/w.bin")" = OK ] || fail "vouchfs: the signed model is refused"
as_nobody "$MW" "$S/m/w.bin" "$N/ready3" "$N/store3" >"$TMPDIR/mw3.out" &
MWP=$!
for _ in $(seq 200); do [ -e "$N/ready3" ] && break; sleep 0.02; done
[ -e "$N/ready3" ] || { cat "$TMPDIR/mw3.out"; kill $MWP; fail "map-writer did not start on the source"; }
got=$(fs_errno "$MNT/m/w.bin")
touch "$N/store3"; sleep 0.1; rm -f "$N/store3"; wait $MWP
[ "$got" = EACCES ] || fail "vouchfs served a file with a writable mapping of its source: $got"
grep -q '"cause":"io-error".*open for writing' "$TMPDIR/fs-audit.jsonl" || fail "vouchfs: no io-error record"
[ "$(fs_errno "$MNT/m/w.bin")" = EACCES ] || fail "vouchfs served the bytes the mapping stored"
ok "vouchfs: refused while the source has a writable mapping, and its stored bytes after"
