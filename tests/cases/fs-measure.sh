#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-measure (issue 23, part 1): with attest = yes, vouchfs appends the first
# verification in a boot of each (model, version, statement digest) to
# measurement_log, once, however many files and opens; denials are not
# measured; the log survives a daemon restart without a second entry; two
# daemons measuring at once share it under one lock (no duplicate, one
# chain); with no TPM every entry says "unanchored" and a warning is logged.
# Each entry's register replays: SHA-256(previous || SHA-256(event)).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt; SRC2=$TMPDIR/src2; MNT2=$TMPDIR/mnt2
mkdir -p "$SRC" "$MNT" "$SRC2" "$MNT2"
fs_model "$SRC/alpha"
mkmodel "$SRC/beta"; "$VOUCH" sign -k "$TMPDIR/k.key" --name beta --version 7 "$SRC/beta" >/dev/null 2>&1
mkmodel "$SRC/bad"; "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/bad" >/dev/null 2>&1
flip_byte "$SRC/bad/model.bin" 10
mkmodel "$SRC2/gamma"; "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC2/gamma" >/dev/null 2>&1
cp -a "$SRC/alpha" "$SRC2/alpha"               # the same model served by a second daemon
LOG=$TMPDIR/run/measurements.log
cat >"$TMPDIR/vouch.conf" <<EOF
[vouch]
trust = $TMPDIR/trust
attest = yes
measurement_log = $LOG
tpm_tcti = device:$TMPDIR/no-such-tpm
EOF
chmod 0644 "$TMPDIR/vouch.conf"

fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"
P1=$FS_PID
for f in model.bin config.json tokenizer.json sub/extra.txt model.bin; do
	[ "$(fs_errno "$MNT/alpha/$f")" = OK ] || fail "alpha/$f not served"
done
[ "$(fs_errno "$MNT/beta/model.bin")" = OK ] || fail "beta not served"
[ "$(fs_errno "$MNT/bad/model.bin")" = EACCES ] || fail "tampered model served"
entries() { grep -vc '^#' "$LOG"; }
[ -f "$LOG" ] || fail "no measurement log at $LOG"
[ "$(entries)" -eq 2 ] || { cat "$LOG" >&2; fail "$(entries) entries after two models, wanted 2"; }
head -1 "$LOG" | grep -q "^#vouch-measurements v1 boot_id=$(cat /proc/sys/kernel/random/boot_id) " \
	|| fail "header lacks this boot's id"
ok "two models, many files and opens: two entries; the denied model none"
syslog_wait 'attest: no TPM .*unanchored'
ok "no TPM: warning logged"

# Restart: the log stays, nothing is measured twice.
fs_stop "$P1" "$MNT"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"
P1=$FS_PID
[ "$(fs_errno "$MNT/alpha/model.bin")" = OK ] || fail "alpha not served after restart"
[ "$(entries)" -eq 2 ] || { cat "$LOG" >&2; fail "restart measured again"; }
ok "daemon restart: no second entry"

# A second daemon, in parallel: alpha again (no entry), gamma (one entry).
fs_mount "$SRC2" "$MNT2" -c "$TMPDIR/vouch.conf"
fs_errno "$MNT2/alpha/model.bin" >/dev/null & a=$!
fs_errno "$MNT2/gamma/model.bin" >/dev/null & b=$!
fs_errno "$MNT/beta/config.json" >/dev/null & c=$!
wait "$a" "$b" "$c"
[ "$(fs_errno "$MNT2/gamma/config.json")" = OK ] || fail "gamma not served"
[ "$(entries)" -eq 3 ] || { cat "$LOG" >&2; fail "$(entries) entries after a third model, wanted 3"; }
ok "two daemons share the log: three models, three entries"

cat >"$TMPDIR/replay.py" <<'PYEOF'
import hashlib, json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b""
reg = bytes(32); seen = set(); n = 0
for l in lines[1:-1]:
    ev, r, anchor = l.split(b"\t")
    reg = hashlib.sha256(reg + hashlib.sha256(ev).digest()).digest()
    assert reg.hex().encode() == r, "register does not replay"
    assert anchor == b"unanchored", anchor
    e = json.loads(ev); n += 1
    assert e["seq"] == n, e
    assert e["digest"].startswith("sha256:") and len(e["digest"]) == 71
    assert len(e["signers"]) == 1 and len(e["signers"][0]) == 64
    assert e["path"].endswith("/" + e["model"]) or "/" + e["model"] + "/" in e["path"], e
    k = (e["model"], e["version"], e["digest"]); assert k not in seen; seen.add(k)
print(sorted((m, v) for m, v, _ in seen))
PYEOF
got=$("$PY" "$TMPDIR/replay.py" "$LOG") || { cat "$LOG" >&2; fail "log does not replay"; }
[ "$got" = "[('alpha', 1), ('beta', 7), ('gamma', 1)]" ] || fail "log holds $got"
ok "entries: seq, digest, signer, path; registers replay; $got"
[ "$(stat -c %a "$LOG")" = 644 ] || fail "log mode $(stat -c %a "$LOG")"
exit 0
