#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Trust lifecycle through the CLI: k-of-n cosignatures, name binding, the
# trust store (add, revoke, remove, windows, roles), expiry, anti-rollback,
# and the configuration errors that must stop vouch rather than weaken it.
. "$VOUCH_SRC/tests/lib.sh"

for k in a b c; do newkey $k; done
mkdir trust && chmod 755 trust
for k in a b c; do "$VOUCH" trust --trust trust add $k.pub >/dev/null || fail "trust add $k"; done
expect_rc 3 "$VOUCH" trust --trust trust add a.pub; expect_out "already trusted"
ida=$("$VOUCH" trust --trust trust list | awk 'NR==1{print $1}')

# --- k of n: 2-of-3 ------------------------------------------------------
mkmodel m
"$VOUCH" sign -k a.key --name m m >/dev/null
expect_rc 1 "$VOUCH" verify --trust trust --threshold 2 m
expect_out "model.sig: threshold \(1 distinct trusted signer, 2 required\)"
expect_rc 0 "$VOUCH" cosign -k a.key m/model.sig            # the same signer again
expect_rc 1 "$VOUCH" verify --trust trust --threshold 2 m
expect_out "threshold"
expect_rc 0 "$VOUCH" cosign -k b.key m/model.sig
expect_rc 0 "$VOUCH" verify --trust trust --threshold 2 m
expect_rc 1 "$VOUCH" verify --trust trust --threshold 3 m
expect_rc 0 "$VOUCH" inspect m/model.sig
[ "$(printf '%s\n' "$OUT" | grep -c '^signer')" -ge 1 ] || fail "inspect lists no signer"
# a cosignature over another payload counts for nothing
mkmodel other; "$VOUCH" sign -k c.key --name other other >/dev/null
"$VOUCH" cosign -k c.key other/model.sig >/dev/null
cp other/model.sig.d/*.sig m/model.sig.d/foreign.sig
expect_rc 1 "$VOUCH" verify --trust trust --threshold 3 m; expect_out "threshold"
rm m/model.sig.d/foreign.sig
# only *.sig files in SIG.d/ are cosignatures (the files served unverified as
# signatures follow the same rule): b's renamed to notes.txt counts for nothing
for f in m/model.sig.d/*.sig; do mv "$f" "${f%.sig}.txt"; done
expect_rc 1 "$VOUCH" verify --trust trust --threshold 2 m; expect_out "threshold"
for f in m/model.sig.d/*.txt; do mv "$f" "${f%.txt}.sig"; done
expect_rc 0 "$VOUCH" verify --trust trust --threshold 2 m
# a cosignature file that is not a bundle is ignored (and logged), not fatal
echo 'not json' > m/model.sig.d/junk.sig
expect_rc 0 "$VOUCH" verify --trust trust --threshold 2 m
rm m/model.sig.d/junk.sig
# cosign refuses if the files changed
cp -r m m-changed; printf 'x' >> m-changed/config.json
expect_rc 1 "$VOUCH" cosign -k c.key m-changed/model.sig; expect_out "not cosigning"
[ -e "m-changed/model.sig.d/$(ls m/model.sig.d | head -1)" ] || true
ok "k-of-n"

# --- name binding --------------------------------------------------------
mkdir -p srv; mkmodel srv/A; mkmodel srv/B
"$VOUCH" sign -k a.key --name model-a srv/A >/dev/null
"$VOUCH" sign -k a.key --name model-b srv/B >/dev/null
expect_rc 0 "$VOUCH" verify -p a.pub --expect-name model-b srv/B
rm -rf srv/B && cp -r srv/A srv/B                       # A's whole directory over B
expect_rc 1 "$VOUCH" verify -p a.pub --expect-name model-b srv/B; expect_out "name-mismatch"
cat > bind.conf <<EOC
[vouch]
protect = $PWD/srv
trust = $PWD/trust
[models]
$PWD/srv/A = model-a
$PWD/srv/B = model-b
EOC
chmod 644 bind.conf
expect_rc 0 "$VOUCH" verify -c bind.conf srv/A
expect_rc 1 "$VOUCH" verify -c bind.conf srv/B; expect_out "name-mismatch"
printf '[vouch]\nprotect = %s/srv\ntrust = %s/trust\nrequire_binding = yes\n[models]\n%s/srv/A = model-a\n' \
	"$PWD" "$PWD" "$PWD" > req.conf; chmod 644 req.conf
mkmodel srv/C; "$VOUCH" sign -k a.key --name model-c srv/C >/dev/null
expect_rc 1 "$VOUCH" verify -c req.conf srv/C; expect_out "require_binding"
ok "name binding"

# --- trust store: revoke, windows, roles, remove ----------------------------
mkmodel r; "$VOUCH" sign -k a.key --name r r >/dev/null
expect_rc 0 "$VOUCH" verify --trust trust r
idA=$("$VOUCH" keygen --help >/dev/null; openssl pkey -pubin -in a.pub -outform DER | sha256sum | cut -c1-64)
expect_rc 0 "$VOUCH" trust --trust trust revoke "$idA"
expect_rc 1 "$VOUCH" verify --trust trust r; expect_out "revoked-key"
expect_rc 0 "$VOUCH" trust --trust trust list; expect_out "$idA .*REVOKED"
expect_rc 3 "$VOUCH" trust --trust trust add a.pub; expect_out "revoked"
rm trust/revoked
printf 'not_after = 2020-01-01T00:00:00Z\n' > "trust/$idA.ini"
expect_rc 1 "$VOUCH" verify --trust trust r; expect_out "expired \(key .* validity window"
printf 'models = bert-*\n' > "trust/$idA.ini"
expect_rc 1 "$VOUCH" verify --trust trust r; expect_out "untrusted-key \(key .* may not sign model r"
printf 'models = r, bert-*\n' > "trust/$idA.ini"
expect_rc 0 "$VOUCH" verify --trust trust r
printf 'colour = blue\n' > "trust/$idA.ini"
expect_rc 3 "$VOUCH" verify --trust trust r; expect_out "$idA.ini:1: .*colour"
rm "trust/$idA.ini"
ok "trust store"

# --- expiry and time -------------------------------------------------------
mkmodel e
SOURCE_DATE_EPOCH=1500000000 "$VOUCH" sign -k a.key --expires 2018-01-01T00:00:00Z e >/dev/null
expect_rc 1 "$VOUCH" verify -p a.pub e; expect_out "expired \(.*expired at 2018"
SOURCE_DATE_EPOCH=$(( $(date +%s) + 7200 )) "$VOUCH" sign -k a.key e >/dev/null
expect_rc 1 "$VOUCH" verify -p a.pub e; expect_out "in the future"
SOURCE_DATE_EPOCH=$(( $(date +%s) + 60 )) "$VOUCH" sign -k a.key e >/dev/null
expect_rc 0 "$VOUCH" verify -p a.pub e                 # within clock_skew
ok "expiry"

# --- anti-rollback -----------------------------------------------------------
mkdir st && chmod 700 st
printf '[vouch]\ntrust = %s/trust\nstate_dir = %s/st\n' "$PWD" "$PWD" > rb.conf; chmod 644 rb.conf
mkmodel v; "$VOUCH" sign -k b.key --name llm --version 1 v >/dev/null; cp -r v v1
"$VOUCH" sign -k b.key --name llm --version 2 v >/dev/null
expect_rc 0 "$VOUCH" verify -c rb.conf --record v
expect_rc 0 "$VOUCH" state --state-dir st show; expect_out "llm +version 2"
expect_rc 1 "$VOUCH" verify -c rb.conf v1; expect_out "rollback \(version 1 is below version 2"
echo garbage > st/"$(ls st | head -1)"
expect_rc 1 "$VOUCH" verify -c rb.conf v; expect_out "malformed \(state file .* corrupt"
expect_rc 0 "$VOUCH" state --state-dir st reset llm
expect_rc 0 "$VOUCH" verify -c rb.conf v1
ok "anti-rollback"

# --- configuration errors: refuse rather than run with less protection ------
cfg() { printf "$1" > bad.conf; chmod 644 bad.conf; }
cfg '[vouch]\ntrust = /nonexistent\nthreshold = 9\n'
expect_rc 3 "$VOUCH" verify -c bad.conf r
mkdir ww && cp a.pub ww/ && chmod 777 ww
cfg "[vouch]\ntrust = $PWD/ww\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "writable"
mkdir nk && echo "hello" > nk/x.pem
cfg "[vouch]\ntrust = $PWD/nk\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "nk/x.pem: not a PEM public key"
mkdir rv && cp b.pub rv/ && printf '# comment\n\nnot-a-key-id\n' > rv/revoked
cfg "[vouch]\ntrust = $PWD/rv\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "rv/revoked:3: not a key id"
cfg "[vouch]\ntrust = $PWD/trust\nthreshold = 5\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "threshold 5 is larger"
cfg "[vouch]\nprotect = $PWD/srv\ntrust = $PWD/trust\n[models]\n/elsewhere/x = y\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "bad.conf:5: \[models\] /elsewhere/x is outside"
mkdir sw && chmod 777 sw
cfg "[vouch]\ntrust = $PWD/trust\nstate_dir = $PWD/sw\n"
expect_rc 3 "$VOUCH" verify -c bad.conf r; expect_out "state_dir must be owned by root"
ok "configuration errors"
