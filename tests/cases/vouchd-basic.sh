#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd-basic: vouchd alone (no mount, no preload) on a model filesystem of
# its own (a private tmpfs).  Plain `cat` of a signed file reads it; one
# flipped byte makes the open fail with EPERM and a LOG_ALERT record
# (cause hash-mismatch) naming the opener's pid, uid and comm; an unsigned
# file is denied not-signed; a file changed after it was verified (and
# cached) is denied at its next open; a file on the same filesystem outside
# the protected root is read with no record; a file on another filesystem is
# untouched; audit mode lets the tampered file through with the alert; a
# start whose root is on the filesystem holding / is refused (exit 3, naming
# the root), and so is one whose config lives on the model filesystem.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
vd_syslog_start

MFS=$TMPDIR/mfs; ROOT=$MFS/models
vd_fs "$MFS"
mkdir -p "$ROOT" "$MFS/other" "$TMPDIR/plain"
mkmodel "$ROOT/m"; vd_sign "$ROOT/m"
mkmodel "$ROOT/t"; vd_sign "$ROOT/t"
flip_byte "$ROOT/t/model.bin" 1000
mkdir "$ROOT/u"; head -c 5000 /dev/urandom >"$ROOT/u/weights.bin"     # never signed
mkmodel "$ROOT/late"; vd_sign "$ROOT/late"
head -c 4096 /dev/urandom >"$MFS/other/free.bin"                        # same fs, not protected
head -c 4096 /dev/urandom >"$TMPDIR/plain/elsewhere.bin"                # another fs
vd_conf "$ROOT"
vd_start
[ -n "$(vd_worker)" ] || fail "no worker process under the broker $VD_PID"
[ "$(vd_worker)" != "$VD_PID" ] || fail "the worker is the broker"

# 1. A signed file: cat reads the exact bytes; the record names cat.
vd_mark
vd_bg_rc cat "$ROOT/m/model.bin"
[ "$BG_RC" = 0 ] || fail "cat of a signed file: exit $BG_RC: $(cat "$TMPDIR/bg.err")"
cmp -s "$TMPDIR/bg.out" "$ROOT/m/model.bin" || fail "cat read other bytes"
vd_expect "$ROOT/m/model.bin" allow ok "$BG_PID" cat 0
cp "$ROOT/m/config.json" "$TMPDIR/cfg.copy" || fail "cp of a signed config.json"
ok "signed file: cat reads it (allow ok, pid $BG_PID comm cat)"

# 2. One flipped byte: EPERM at open, not a short read, and the alert.
vd_mark
vd_bg_rc cat "$ROOT/t/model.bin"
[ "$BG_RC" != 0 ] || fail "cat read the tampered file"
grep -q "Operation not permitted" "$TMPDIR/bg.err" || fail "cat's error is not EPERM: $(cat "$TMPDIR/bg.err")"
[ -s "$TMPDIR/bg.out" ] && fail "cat got $(wc -c <"$TMPDIR/bg.out") bytes of the tampered file"
vd_expect "$ROOT/t/model.bin" deny hash-mismatch "$BG_PID" cat 0
[ "$(vd_field "$VD_REC" mode)" = enforce ] || fail "mode not enforce in $VD_REC"
syslog_wait "^<81>vouch.*decision=deny cause=hash-mismatch mode=enforce path=$ROOT/t/model.bin .*pid=$BG_PID uid=0 comm=cat"
[ "$(vd_open "$ROOT/t/model.bin")" = EPERM ] || fail "python open of the tampered file: not EPERM"
# the rest of the tampered model is intact and still loads
[ "$(vd_open "$ROOT/t/config.json")" = OK ] || fail "the tampered model's intact config.json"
ok "one flipped byte: EPERM, no byte read, LOG_ALERT deny hash-mismatch naming cat pid $BG_PID (syslog and JSON)"

# 3. Unsigned: not-signed.
vd_mark
vd_bg_rc cat "$ROOT/u/weights.bin"
[ "$BG_RC" != 0 ] && grep -q "Operation not permitted" "$TMPDIR/bg.err" || fail "unsigned file: $(cat "$TMPDIR/bg.err")"
vd_expect "$ROOT/u/weights.bin" deny not-signed "$BG_PID" cat
# writing a new file under the root at run time is refused (every open is
# decided; one open for writing is refused: docs/vouchd.md, "Writes")
head -c 100 /dev/urandom >"$ROOT/u/new.bin" 2>/dev/null && fail "a file was written under the root"
[ "$(vd_open "$ROOT/u/new.bin")" = EPERM ] || fail "a new unsigned file is readable"
ok "unsigned files: EPERM, deny not-signed; writing a new one under the root: EPERM"

# 4. Changed after it was verified and cached: the next open is refused.
[ "$(vd_open "$ROOT/late/model.bin")" = OK ] || fail "late/model.bin before the change"
[ "$(vd_open "$ROOT/late/model.bin")" = OK ] || fail "late/model.bin (cached)"
vd_mark
# in place: the write open itself is refused, the bytes stay the signed ones
flip_byte "$ROOT/late/model.bin" 4242 2>/dev/null && fail "a write open of a verified model was allowed"
vd_expect "$ROOT/late/model.bin" deny io-error
[ "$(vd_open "$ROOT/late/model.bin")" = OK ] || fail "late/model.bin after the refused write"
# a changed copy renamed over it (a rename opens nothing): denied
cp "$ROOT/late/model.bin" "$MFS/other/late.new"
flip_byte "$MFS/other/late.new" 4242
mv "$MFS/other/late.new" "$ROOT/late/model.bin"
vd_mark
[ "$(vd_open "$ROOT/late/model.bin")" = EPERM ] || fail "a changed file renamed over a cached one still opens"
vd_expect "$ROOT/late/model.bin" deny hash-mismatch
ok "changed after a cached allow: the write in place is refused; a changed copy renamed over is denied"

# 5. Same filesystem, outside the protected root: read, no record.
vd_mark
vd_bg_rc cat "$MFS/other/free.bin"
[ "$BG_RC" = 0 ] && cmp -s "$TMPDIR/bg.out" "$MFS/other/free.bin" || fail "a file outside the root on the marked fs: $(cat "$TMPDIR/bg.err")"
ls "$MFS/other" >/dev/null || fail "listing a directory outside the root"
vd_norec "$MFS/other/free.bin"
ok "outside the protected root on the marked filesystem: read, no record"

# 6. Another filesystem: untouched (no record, no delay worth a record).
vd_mark
[ "$(vd_open "$TMPDIR/plain/elsewhere.bin")" = OK ] || fail "a file on another filesystem"
cp "$ROOT/t/model.bin" "$TMPDIR/plain/copy.bin" 2>/dev/null && fail "cp read the tampered file"
cp "$TMPDIR/plain/elsewhere.bin" "$TMPDIR/plain/e2.bin" || fail "cp on another fs"
vd_norec "$TMPDIR/plain/elsewhere.bin"
ok "another filesystem: untouched"

# 7. SIGHUP reloads; a signed model added while running, and still enforcing.
# (signed in a staging dir outside the root, then moved in: the signer's
# reads of an unsigned model under the root are refused like anyone's)
mkdir -p "$MFS/stage"; mkmodel "$MFS/stage/n"; vd_sign "$MFS/stage/n"
mv "$MFS/stage/n" "$ROOT/n" || fail "publishing a model by rename"
[ "$(vd_open "$ROOT/n/model.bin")" = OK ] || fail "a signed model moved in while running"
reloads() { cat "$VD_AUDIT" "$VD_ERR" "$SYSLOG" | grep -c "reload"; }
c=$(reloads)
kill -HUP "$VD_PID"
for _ in $(seq 100); do [ "$(reloads)" -gt "$c" ] && break; sleep 0.05; done
[ "$(reloads)" -gt "$c" ] || fail "no reload reported after SIGHUP"
kill -0 "$VD_PID" || fail "vouchd died on SIGHUP"
[ "$(vd_open "$ROOT/n/model.bin")" = OK ] || fail "new signed model after SIGHUP"
[ "$(vd_open "$ROOT/t/model.bin")" = EPERM ] || fail "tampered file after SIGHUP"
ok "SIGHUP reloads; still enforcing"
vd_stop
[ "$(vd_open "$ROOT/t/model.bin")" = OK ] || fail "after a clean stop the mark must be gone"
ok "SIGTERM: broker and worker exit, the mark goes with them"

# 8. Audit mode: the tampered file is read, the alert still written.
vd_start --mode audit
vd_mark
vd_bg_rc cat "$ROOT/t/model.bin"
[ "$BG_RC" = 0 ] && cmp -s "$TMPDIR/bg.out" "$ROOT/t/model.bin" || fail "audit mode: tampered file not read"
vd_expect "$ROOT/t/model.bin" allow-audit hash-mismatch "$BG_PID" cat
[ "$(vd_field "$VD_REC" severity)" = alert ] || fail "audit-mode record not at LOG_ALERT: $VD_REC"
[ "$(vd_field "$VD_REC" mode)" = audit ] || fail "mode not audit: $VD_REC"
vd_stop
ok "audit mode: allowed, alert written"

# 9. --disarm: root asks, enforcement stops, logged at alert.
vd_start
[ "$(vd_open "$ROOT/t/model.bin")" = EPERM ] || fail "enforcing before --disarm"
expect_rc 0 "$VOUCHD" --disarm --control "$VD_CTL"
for _ in $(seq 100); do kill -0 "$VD_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$VD_PID" 2>/dev/null && fail "vouchd still runs after --disarm"
grep -q "DISARMED by pid" "$VD_ERR" || fail "--disarm not logged"
syslog_wait "^<25>.*vouchd\[[0-9]+\]: vouchd: DISARMED by pid" 2
[ "$(vd_open "$ROOT/t/model.bin")" = OK ] || fail "disarmed, yet the mark stays"
# nobody may disarm
chmod 755 "$TMPDIR"
vd_start
if id nobody >/dev/null 2>&1; then
	cp "$VOUCHD" "$TMPDIR/vouchd-copy"; chmod 755 "$TMPDIR/vouchd-copy"
	expect_rc 3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$TMPDIR/vouchd-copy" --disarm --control "$VD_CTL"
	kill -0 "$VD_PID" || fail "a non-root --disarm stopped vouchd"
fi
vd_stop
ok "--disarm (root only) stops enforcement, logged at alert"

# 10. Roots vouchd must refuse: exit 3, naming the root and why.
mkdir -p "$TMPDIR/rootfs-models"
vd_conf "$TMPDIR/rootfs-models"
expect_rc 3 "$VOUCHD" -f -c "$VD_CONF" --control "$VD_CTL"
expect_out "$TMPDIR/rootfs-models"
expect_out "holds /"
vd_conf "$ROOT,$TMPDIR/rootfs-models"      # one good root does not excuse a bad one
expect_rc 3 "$VOUCHD" -f -c "$VD_CONF" --control "$VD_CTL"
expect_out "$TMPDIR/rootfs-models"
[ "$(vd_open "$ROOT/t/model.bin")" = OK ] || fail "a refused start left a mark on the model fs"
# the config on the model filesystem: refused too
vd_conf "$ROOT"; cp "$VD_CONF" "$MFS/vouchd.conf"
expect_rc 3 "$VOUCHD" -f -c "$MFS/vouchd.conf" --control "$VD_CTL"
expect_out "$ROOT"
expect_out "configuration"
[ "$(vd_open "$ROOT/t/model.bin")" = OK ] || fail "a refused start left a mark on the model fs"
pgrep -f -- "--control $VD_CTL" >/dev/null && fail "a refused vouchd still runs: $(pgrep -af -- "--control $VD_CTL")"
ok "a root on the filesystem holding / (or holding the config) is refused: exit 3, root named"
