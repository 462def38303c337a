#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-cosign-threshold: k-of-n sign-off with a config that says threshold = 2.
#  - `vouch cosign -c CONF` checks the primary's authenticity without the
#    threshold (the primary alone can never meet it) and cosigns;
#  - its refusals say what is wrong: an untrusted primary is not "the model
#    does not match", a changed file is; a trusted cosignature does not
#    stand in for an untrusted primary;
#  - `vouch sign` over a signed model removes the cosignatures of the old
#    payload and says who must sign again; re-signing the same payload
#    keeps them; the new version verifies once re-cosigned;
#  - VOUCH_CONFIG is honoured by cosign as by verify.
. "$VOUCH_SRC/tests/lib.sh"
newkey rel
newkey sec
newkey other
mkdir -p "$TMPDIR/trust"
cp "$TMPDIR/rel.pub" "$TMPDIR/trust/rel.pub"
cp "$TMPDIR/sec.pub" "$TMPDIR/trust/sec.pub"
CONF=$TMPDIR/vouch.conf
printf '[vouch]\ntrust = %s\nthreshold = 2\n' "$TMPDIR/trust" >"$CONF"
chmod 0644 "$CONF"
M=$TMPDIR/m
mkmodel "$M"

expect_rc 0 "$VOUCH" sign -k "$TMPDIR/rel.key" --name m --version 1 "$M"
expect_rc 1 "$VOUCH" verify -c "$CONF" "$M"
expect_out "threshold"
expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/sec.key" -c "$CONF" "$M/model.sig"
expect_out "cosigned $M/model.sig with key [0-9a-f]{64}: $M/model.sig.d/[0-9a-f]{64}\.sig"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$M"
[ "$(ls -A "$M/model.sig.d")" = "$(ls "$M/model.sig.d")" ] || fail "cosign left its work files in model.sig.d"
ok "cosign -c with threshold = 2: the primary is checked alone, 2 of 2 verify"

# Refusals that say what is wrong.
cp -a "$M" "$TMPDIR/t"
flip_byte "$TMPDIR/t/model.bin" 7
rm -rf "$TMPDIR/t/model.sig.d"
expect_rc 1 "$VOUCH" cosign -k "$TMPDIR/sec.key" -c "$CONF" "$TMPDIR/t/model.sig"
expect_out "model.bin: hash-mismatch"
expect_out "not cosigning: the model's files do not match the signature"
[ -e "$TMPDIR/t/model.sig.d" ] && fail "a refused cosign left model.sig.d behind"
cp -a "$M" "$TMPDIR/u"
rm -rf "$TMPDIR/u/model.sig.d"
"$VOUCH" sign -k "$TMPDIR/other.key" --name m "$TMPDIR/u" >/dev/null 2>&1 || fail "sign u"
expect_rc 1 "$VOUCH" cosign -k "$TMPDIR/sec.key" -c "$CONF" "$TMPDIR/u/model.sig"
expect_out "untrusted-key"
expect_out "not cosigning: its primary signature is not by a key the given trust accepts"
printf '%s\n' "$OUT" | grep -q "do not match" && fail "an untrusted primary reported as a content mismatch"
# A trusted cosignature does not stand in for an untrusted primary.
"$VOUCH" cosign -k "$TMPDIR/rel.key" "$TMPDIR/u/model.sig" >/dev/null 2>&1 || fail "content-only cosign of u"
expect_rc 1 "$VOUCH" cosign -k "$TMPDIR/sec.key" -c "$CONF" "$TMPDIR/u/model.sig"
expect_out "its primary signature is not by a key"
ok "refusals name the cause: files changed, or the primary is not trusted"

# A new version: the old cosignature is removed and the signer told.
head -c 1000 /dev/urandom >>"$M/model.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/rel.key" --name m --version 2 "$M"
expect_out "removed $M/model.sig.d/[0-9a-f]{64}\.sig: it cosigned the previous signature"
expect_out "1 cosignature removed: .*vouch cosign -k KEY $M/model.sig"
[ -z "$(ls -A "$M/model.sig.d" 2>/dev/null)" ] || fail "a stale cosignature is left"
expect_rc 1 "$VOUCH" verify -c "$CONF" "$M"
expect_out "threshold"
VOUCH_CONFIG=$CONF expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/sec.key" "$M/model.sig"
VOUCH_CONFIG=$CONF expect_rc 0 "$VOUCH" verify "$M"
ok "re-signing removes the old cosignatures; re-cosigned (VOUCH_CONFIG) it verifies"

# The same payload again (same files, version and SOURCE_DATE_EPOCH): kept.
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/rel.key" --name m --version 2 "$M"
printf '%s\n' "$OUT" | grep -q "removed" && fail "a cosignature of the same payload was removed"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$M"
ok "re-signing the identical payload keeps the cosignatures"
