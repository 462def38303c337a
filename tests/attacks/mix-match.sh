#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/mix-match: validly signed pieces put together wrongly.  Each row is
# one attack on a model of its own, opened through every front end (the CLI:
# `vouch verify` of the model, its line for the file):
#   other-model     a signed file of model mb dropped over ma/model.bin
#                   (same size)                              hash-mismatch
#   other-version   version 1's signed model.bin dropped into version 2
#                                                            hash-mismatch
#   swapped         two signed files of one model (same size) exchanged
#                                                            hash-mismatch
#   sidecar-copied  a.sig copied as evil.sig next to the attacker's file
#                   evil (no model.sig above: sidecars)      name-mismatch
#   bundle-moved    ma's model.sig moved into mc/, which [models] binds to mc
#                                                            name-mismatch
#   model-moved     model mb, whole and intact, copied to bound/, which
#                   [models] binds to another name           name-mismatch
#   pair-renamed    a + a.sig renamed together to b + b.sig  name-mismatch
#   cosig-other     threshold = 2: a cosignature by the second key of
#                   another payload copied into model.sig.d/ threshold
# Proves: every front end refuses each one with that cause, logged at alert,
# and no reader gets a byte of it; the honest originals (mb, a correctly
# cosigned model) are served.  Control: read directly, each file is not the
# one signed for its name (or holds the attacker's bytes).
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 256m
newkey k2
cp "$TMPDIR/k2.pub" "$TMPDIR/trust/k2.pub"

at_model "$ROOT/ma" --name ma
at_model "$ROOT/mb" --name mb
cp "$ROOT/mb/model.bin" "$TMPDIR/mb.ref"
cp "$ROOT/mb/model.bin" "$ROOT/ma/model.bin"                  # other-model
at_model "$ROOT/v1" --name mv --version 1
at_model "$ROOT/v2" --name mv --version 2
cp "$ROOT/v1/model.bin" "$ROOT/v2/model.bin"                  # other-version
mkdir -p "$ROOT/ms"
head -c 100000 /dev/urandom >"$ROOT/ms/a.bin"; head -c 100000 /dev/urandom >"$ROOT/ms/b.bin"
at_sign "$ROOT/ms"
mv "$ROOT/ms/a.bin" "$STASH/t"; mv "$ROOT/ms/b.bin" "$ROOT/ms/a.bin"; mv "$STASH/t" "$ROOT/ms/b.bin"  # swapped
mkdir -p "$ROOT/sc"
printf 'weights a\n' >"$ROOT/sc/a"; at_sign "$ROOT/sc/a" --name sc
at_evil "$ROOT/sc/evil"; cp "$ROOT/sc/a.sig" "$ROOT/sc/evil.sig"   # sidecar-copied
at_model "$ROOT/mc" --name mc
cp "$ROOT/ma/model.sig" "$ROOT/mc/model.sig"                  # bundle-moved
cp -a "$ROOT/mb" "$ROOT/bound"                                # model-moved
mkdir -p "$ROOT/pair"
printf 'weights a\n' >"$ROOT/pair/a"; at_sign "$ROOT/pair/a" --name pm
mv "$ROOT/pair/a" "$ROOT/pair/b"; mv "$ROOT/pair/a.sig" "$ROOT/pair/b.sig"   # pair-renamed
# Threshold 2: c2 signed by k and cosigned by k2 (honest); cx signed by k,
# with c2's cosignature (another payload) copied in.
at_model "$ROOT/c2" --name c2
"$VOUCH" cosign -k "$TMPDIR/k2.key" -p "$TMPDIR/k.pub" "$ROOT/c2/model.sig" >/dev/null 2>&1 || fail "cosign c2"
at_model "$ROOT/cx" --name cx
mkdir -p "$ROOT/cx/model.sig.d"; cp "$ROOT/c2/model.sig.d/"*.sig "$ROOT/cx/model.sig.d/"

BIND="[models]
$ROOT/mc = mc
$ROOT/mb = mb
$ROOT/bound = other
$ROOT/pair/* = pm"
at_conf "$BIND"

# name  REL  CLI-TARGET(- = the model directory)  CAUSE
ROWS="
other-model     ma/model.bin        -       hash-mismatch
other-version   v2/model.bin        -       hash-mismatch
swapped         ms/a.bin            -       hash-mismatch
sidecar-copied  sc/evil             sc/evil name-mismatch
bundle-moved    mc/model.bin        -       name-mismatch
model-moved     bound/model.bin     -       name-mismatch
pair-renamed    pair/b              pair/b  name-mismatch
"
# Controls: the attacks are real.
at_control sc/evil
for r in ma/model.bin v2/model.bin ms/a.bin pair/b; do
	cmp -s "$ROOT/$r" "$TMPDIR/mb.ref" && [ "$r" != ma/model.bin ] && fail "control $r"
done
cmp -s "$ROOT/ma/model.bin" "$TMPDIR/mb.ref" || fail "control: ma/model.bin is not mb's"
cmp -s "$ROOT/bound/model.bin" "$TMPDIR/mb.ref" || fail "control: bound/ is not a copy of mb"
ok "controls: the planted files are in place (sc/evil holds the attacker's bytes)"

for fe in $AT_FES; do
	at_conf "$BIND"
	at_start "$fe"
	fe_expect_allow "$fe" mb/model.bin "$TMPDIR/mb.ref"
	while read -r name rel tgt cause; do
		[ -n "$name" ] || continue
		[ "$tgt" = - ] && AT_CLI_TARGET="" || AT_CLI_TARGET=$tgt
		if fe_expect_deny "$fe" "$rel" "$cause"; then
			at_note "$fe" "mix and match: $name" "denied ($AT_CAUSE)"
		else
			at_note "$fe" "mix and match: $name" "FAILED: $AT_GOT"
		fi
	done <<EOF
$ROWS
EOF
	AT_CLI_TARGET=""
	at_stop "$fe"
	# Threshold 2: the honest cosigned model loads, the copied cosignature
	# does not count.
	at_conf "threshold = 2" "$BIND"
	at_start "$fe"
	cp "$ROOT/c2/model.bin" "$TMPDIR/c2.ref"
	fe_expect_allow "$fe" c2/model.bin "$TMPDIR/c2.ref"
	if fe_expect_deny "$fe" cx/model.bin threshold; then
		at_note "$fe" "mix and match: cosig-other" "denied (threshold)"
	else
		at_note "$fe" "mix and match: cosig-other" "FAILED: $AT_GOT"
	fi
	at_stop "$fe"
done
at_done "mix and match: every front end refuses every combination, with its cause"
