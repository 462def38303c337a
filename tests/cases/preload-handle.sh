#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-handle: issue 15, defect 7 (open_by_handle_at, shim).  An fd on a
# protected filesystem whose location cannot be established is denied, not
# free: with the file's dentry dropped (echo 2 > /proc/sys/vm/drop_caches),
# open_by_handle_at gives a disconnected fd whose /proc/self/fd path reads
# "/", which the shim used to treat as "not under a protected root".
#
# Asserts: a tampered protected file opened by handle after the dentry was
# dropped is EACCES, with a deny record for its inode, cause=unlocated (or
# cause=hash-mismatch naming its path, if the shim can establish it), and
# its bytes are never returned; a good protected file opened the same way is
# either allowed with exactly its signed bytes or denied cause=unlocated
# (which one is printed); with the dentry cached (the path readable) the
# tampered file is still EACCES and the good one is never served other bytes.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
HO=$VOUCH_BUILD/tests/handle-open
[ -x "$HO" ] || fail "missing $HO (make)"
[ "$(id -u)" = 0 ] || skip "open_by_handle_at and drop_caches need root"
syslog_start
pl_setup
# The shim's own refusals (unlocated) are standard records: JSON log too.
pl_conf enforce "$PROT" "audit_log = $TMPDIR/audit.jsonl"

T=$PROT/t/model.bin; M=$PROT/m/model.bin
cp "$T" "$TMPDIR/tampered.bin"; cp "$M" "$TMPDIR/good.bin"
INO_T=$(stat -c %i "$T"); INO_M=$(stat -c %i "$M")
expect_rc 0 "$HO" save "$T" "$TMPDIR/t.handle"
expect_rc 0 "$HO" save "$M" "$TMPDIR/m.handle"
expect_rc 0 "$HO" save "$PROT/m/config.json" "$TMPDIR/probe.handle"
drop() { sync; echo 2 >/proc/sys/vm/drop_caches; }

# Without the shim: does a dropped dentry really give a path of "/" here?
drop
OUT=$("$HO" open "$TMPDIR/probe.handle" "$PROT/m/config.json")
echo "probe without the shim, dentry dropped: $OUT"
[ "$OUT" = "ok path=/ bytes=same" ] ||
	skip "open_by_handle_at after drop_caches still names the file ($OUT): the unlocated case cannot be made here"

# The tampered file, dentry dropped.
drop
OUT=$(shim "$HO" open "$TMPDIR/t.handle" "$TMPDIR/tampered.bin")
echo "tampered file by handle, dentry dropped: $OUT"
case $OUT in
"errno=13") ;;
ok*bytes=same) fail "open_by_handle_at of a tampered protected file returned its tampered bytes: $OUT" ;;
*) fail "open_by_handle_at of a tampered protected file: $OUT (wanted errno=13)" ;;
esac
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=(unlocated|hash-mismatch) mode=enforce .*ino=$INO_T "
if grep -q "decision=deny cause=hash-mismatch .*ino=$INO_T " "$SYSLOG"; then
	syslog_wait "decision=deny cause=hash-mismatch mode=enforce path=$T .*ino=$INO_T "
	ok "tampered by handle, dentry dropped: EACCES, cause=hash-mismatch (path established)"
else
	grep -q "\"decision\":\"deny\",\"cause\":\"unlocated\".*\"ino\":$INO_T," "$TMPDIR/audit.jsonl" ||
		{ cat "$TMPDIR/audit.jsonl" >&2; fail "the shim's unlocated refusal is not in the JSON audit log"; }
	ok "tampered by handle, dentry dropped: EACCES, cause=unlocated (syslog and the JSON log)"
fi

# The good file, dentry dropped: allowed with its own bytes, or unlocated.
drop
OUT=$(shim "$HO" open "$TMPDIR/m.handle" "$TMPDIR/good.bin")
echo "good file by handle, dentry dropped: $OUT"
case $OUT in
"ok path="*" bytes=same") ok "good by handle, dentry dropped: allowed with its signed bytes ($OUT)" ;;
"errno=13")
	syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=unlocated mode=enforce .*ino=$INO_M "
	ok "good by handle, dentry dropped: EACCES, cause=unlocated" ;;
*) fail "good file by handle: $OUT" ;;
esac

# Dentries cached (the files were just opened by name): the path is known.
cat "$T" "$M" >/dev/null
OUT=$(shim "$HO" open "$TMPDIR/t.handle" "$TMPDIR/tampered.bin")
echo "tampered file by handle, dentry cached: $OUT"
[ "$OUT" = "errno=13" ] || fail "tampered file by handle with its dentry cached: $OUT"
OUT=$(shim "$HO" open "$TMPDIR/m.handle" "$TMPDIR/good.bin")
echo "good file by handle, dentry cached: $OUT"
case $OUT in
"ok path=$M bytes=same"|"errno=13") ;;
*) fail "good file by handle with its dentry cached: $OUT" ;;
esac
ok "dentry cached: tampered EACCES, the good file never serves other bytes"
