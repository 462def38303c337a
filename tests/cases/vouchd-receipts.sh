#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd with receipts = yes (issue 18, item 5): a 4 GiB model verified
# once is, after vouchd restarts, opened without hashing (the record says
# content=receipt, and its elapsed time is a small fraction of the hash's).
# What a receipt must not survive, each tried while vouchd is down:
#  - the model rewritten in place, same size, mtime put back: hashed again
#    and denied (hash-mismatch);
#  - the signer's key revoked: denied (revoked-key), never from a receipt;
# and receipts = no writes none.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"

M=$TMPDIR/mfs
vd_fs "$M" 4700m
mkdir -p "$M/models/big" "$TMPDIR/state"
# Zeros are cheap to make and to hash-verify: the point is the size.
truncate -s 4G "$M/models/big/weights.bin"
printf '{"hidden": 16}\n' >"$M/models/big/config.json"
vd_sign "$M/models/big" --name big --version 1

# ---- receipts = no: none written ---------------------------------------
vd_conf "$M/models" "state_dir = $TMPDIR/state"
vd_start
[ "$(vd_open "$M/models/big/config.json")" = OK ] || fail "config.json refused"
vd_stop
[ -z "$(ls -A "$TMPDIR/state/receipts" 2>/dev/null)" ] || fail "receipts = no wrote receipts"
ok "receipts = no: no receipt written"

# ---- first open hashes, the restart does not ----------------------------
vd_conf "$M/models" "state_dir = $TMPDIR/state" "receipts = yes"
vd_start
vd_mark
[ "$(vd_open "$M/models/big/weights.bin")" = OK ] || fail "the 4 GiB model was refused"
vd_expect "$M/models/big/weights.bin" allow ok
first=$VD_REC
[ -z "$(vd_field "$first" content)" ] || fail "the first open did not hash: $first"
hash_ms=$(vd_field "$first" elapsed_ms)
vd_stop
[ -n "$(ls -A "$TMPDIR/state/receipts" 2>/dev/null)" ] || fail "no receipt written"
vd_start
vd_mark
t0=$(date +%s%N)
[ "$(vd_open "$M/models/big/config.json")" = OK ] || fail "config.json refused after restart"
vd_mark
t0=$(date +%s%N)
exec 3<"$M/models/big/weights.bin" || fail "the 4 GiB model was refused after the restart"
t1=$(date +%s%N)
exec 3<&-
vd_expect "$M/models/big/weights.bin" allow ok
[ "$(vd_field "$VD_REC" content)" = receipt ] || fail "reopen after restart was hashed: $VD_REC"
rc_ms=$(vd_field "$VD_REC" elapsed_ms)
echo "4 GiB: first open hashed in $hash_ms ms; after restart, from the receipt: decided in $rc_ms ms, open took $(( (t1 - t0) / 1000 )) us"
"$PY" -c "import sys; h, r = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if r * 20 < h else 1)" "$hash_ms" "$rc_ms" ||
	fail "the receipt decision ($rc_ms ms) is not far below the hash ($hash_ms ms)"
ok "after a restart the 4 GiB model opens from its receipt: no hash ($rc_ms ms vs $hash_ms ms)"

# ---- rewritten in place while vouchd is down ------------------------------
vd_stop
mt=$(stat -c %y "$M/models/big/weights.bin")
printf 'X' | dd of="$M/models/big/weights.bin" bs=1 seek=1000 conv=notrunc status=none
touch -d "$mt" "$M/models/big/weights.bin"
vd_start
vd_mark
[ "$(vd_open "$M/models/big/weights.bin")" = EPERM ] || fail "the rewritten model was served"
vd_expect "$M/models/big/weights.bin" deny hash-mismatch
[ -z "$(vd_field "$VD_REC" content)" ] || fail "the rewritten model was decided from a receipt: $VD_REC"
ok "a model rewritten in place (size and mtime kept) is hashed again and denied"
vd_stop
printf '\0' | dd of="$M/models/big/weights.bin" bs=1 seek=1000 conv=notrunc status=none

# ---- the signer revoked while vouchd is down --------------------------------
"$VOUCH" trust revoke --trust "$TMPDIR/trust" "$TMPDIR/k.pub" >/dev/null 2>&1 || fail "vouch trust revoke"
vd_start
vd_mark
[ "$(vd_open "$M/models/big/weights.bin")" = EPERM ] || fail "a model signed by a revoked key was served"
vd_expect "$M/models/big/weights.bin" deny revoked-key
ok "a revoked signer is denied after a restart, whatever receipts say"
vd_stop
