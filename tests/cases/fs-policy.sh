#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-policy: the trust rules of vouch.conf through a live vouchfs mount, with
# the same decision the CLI makes (tests/cases/cli-policy.sh):
#   k of n    threshold = 2 of 3 trusted keys: one signer -> EACCES
#             (threshold), the same signer twice -> EACCES, two -> opens; a
#             cosignature over another payload or a junk file in SIG.d counts
#             for nothing
#   binding   [models] maps B's path to model-b: A's whole directory (files
#             and signature, same trusted key) copied over B -> name-mismatch;
#             require_binding = yes denies a path no entry covers
#   expiry    a signature past `expires` -> expired; a verdict cached while it
#             was valid is not served after the expiry or after a key's
#             not_after passes (clock_skew = 0)
#   rollback  v2 opened through the mount records version 2 in state_dir; v1's
#             files and signature put back -> EACCES (rollback)
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start
for k in a b c; do newkey $k; done
mkdir -m 755 trust
for k in a b c; do "$VOUCH" trust --trust trust add $k.pub >/dev/null || fail "trust add $k"; done
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -c1-64; }

# conf FILE SRC [LINES...]: a config for a mount of SRC.
conf() {
	f=$1; shift 2
	{ printf '[vouch]\ntrust = %s/trust\n' "$TMPDIR"; for l in "$@"; do printf '%s\n' "$l"; done; } >"$f"
	chmod 644 "$f"
}
# want RESULT PATH [SYSLOG-PATTERN]: one open through the mount.
want() {
	got=$(fs_errno "$2")
	[ "$got" = "$1" ] || { cat "$TMPDIR/vouchfs.err" >&2; fail "open $2: $got, wanted $1"; }
	[ $# -lt 3 ] || syslog_wait "$3"
}

# --- k of n -------------------------------------------------------------------
mkdir -p kn knm
mkmodel kn/m
"$VOUCH" sign -k a.key --name m kn/m >/dev/null
conf kn.conf kn "threshold = 2"
fs_mount "$TMPDIR/kn" "$TMPDIR/knm" -c "$TMPDIR/kn.conf"
want EACCES knm/m/model.bin "decision=deny cause=threshold .*path=$TMPDIR/kn/m/model.bin .*1 distinct trusted signer, 2 required"
expect_rc 0 "$VOUCH" cosign -k a.key kn/m/model.sig
want EACCES knm/m/config.json "decision=deny cause=threshold .*path=$TMPDIR/kn/m/config.json "
ok "2 of 3: one signer, and the same signer twice, are denied through the mount (threshold)"
mkmodel other; "$VOUCH" sign -k c.key --name other other >/dev/null
"$VOUCH" cosign -k b.key other/model.sig >/dev/null
cp other/model.sig.d/*.sig kn/m/model.sig.d/foreign.sig
echo 'not json' >kn/m/model.sig.d/junk.sig
want EACCES knm/m/model.bin "decision=deny cause=threshold .*path=$TMPDIR/kn/m/model.bin "
syslog_wait "cosignature .*model.sig.d/foreign.sig ignored: it signs another payload"
syslog_wait "cosignature .*model.sig.d/junk.sig ignored: malformed"
rm kn/m/model.sig.d/foreign.sig kn/m/model.sig.d/junk.sig
ok "a cosignature over another payload and a file that is not a bundle count for nothing, and are logged"
expect_rc 0 "$VOUCH" cosign -k b.key kn/m/model.sig
want OK knm/m/model.bin "decision=allow cause=ok .*path=$TMPDIR/kn/m/model.bin "
want OK knm/m/sub/extra.txt
expect_rc 0 "$VOUCH" inspect kn/m/model.sig
[ "$(printf '%s\n' "$OUT" | grep -c '^signer')" -eq 3 ] || fail "inspect does not list all three signatures"
expect_out "^signer [23]: .*model.sig.d/$(keyid b.pub).sig"
ok "2 of 3: a second distinct signer's cosignature opens the model; inspect lists both"

# --- name binding ---------------------------------------------------------------
mkdir -p nb nbm
mkmodel nb/A; mkmodel nb/B; mkmodel nb/C
"$VOUCH" sign -k a.key --name model-a nb/A >/dev/null
"$VOUCH" sign -k a.key --name model-b nb/B >/dev/null
"$VOUCH" sign -k a.key --name model-c nb/C >/dev/null
conf nb.conf nb "[models]" "$TMPDIR/nb/A = model-a" "$TMPDIR/nb/B = model-b"
fs_mount "$TMPDIR/nb" "$TMPDIR/nbm" -c "$TMPDIR/nb.conf"
want OK nbm/A/model.bin
want OK nbm/B/model.bin
want OK nbm/C/model.bin        # no entry covers C and require_binding is off
rm -rf nb/B && cp -a nb/A nb/B    # A's files and signature over B's path
want EACCES nbm/B/model.bin "decision=deny cause=name-mismatch .*path=$TMPDIR/nb/B/model.bin "
want OK nbm/A/model.bin
expect_rc 1 "$VOUCH" verify -c nb.conf nb/B; expect_out "name-mismatch"
conf nb.conf nb "require_binding = yes" "[models]" "$TMPDIR/nb/A = model-a" "$TMPDIR/nb/B = model-b"
fs_hup "$FS_PID" "$TMPDIR/nbm"
want EACCES nbm/C/model.bin "decision=deny cause=name-mismatch .*path=$TMPDIR/nb/C/model.bin .*require_binding"
want OK nbm/A/config.json
ok "name binding: A served in B's place is denied (mount and CLI); require_binding denies an unbound path"

# --- expiry and key windows -------------------------------------------------------
mkdir -p ex exm
mkmodel ex/old; mkmodel ex/soon; mkmodel ex/win
SOURCE_DATE_EPOCH=1500000000 "$VOUCH" sign -k a.key --expires 2018-01-01T00:00:00Z ex/old >/dev/null
now=$(date +%s)
"$VOUCH" sign -k a.key --expires "$(date -u -d "@$((now + 3))" +%Y-%m-%dT%H:%M:%SZ)" ex/soon >/dev/null
"$VOUCH" sign -k c.key ex/win >/dev/null
printf 'not_after = %s\n' "$(date -u -d "@$((now + 3))" +%Y-%m-%dT%H:%M:%SZ)" >"trust/$(keyid c.pub).ini"
conf ex.conf ex "clock_skew = 0"
fs_mount "$TMPDIR/ex" "$TMPDIR/exm" -c "$TMPDIR/ex.conf"
want EACCES exm/old/model.bin "decision=deny cause=expired .*path=$TMPDIR/ex/old/model.bin .*expired at 2018"
want OK exm/soon/model.bin
want OK exm/win/model.bin
want OK exm/soon/model.bin     # cached
while [ "$(date +%s)" -le $((now + 4)) ]; do sleep 0.2; done
want EACCES exm/soon/model.bin "decision=deny cause=expired .*path=$TMPDIR/ex/soon/model.bin "
want EACCES exm/win/model.bin "decision=deny cause=expired .*path=$TMPDIR/ex/win/model.bin .*validity window"
rm "trust/$(keyid c.pub).ini"
ok "expired signatures are denied; verdicts cached before an expiry or a key's not_after are not served after it"

# --- anti-rollback ------------------------------------------------------------------
mkdir -p rb rbm && mkdir -m 700 st
mkmodel rb/llm
"$VOUCH" sign -k b.key --name llm --version 1 rb/llm >/dev/null
cp -a rb/llm v1
"$VOUCH" sign -k b.key --name llm --version 2 rb/llm >/dev/null
conf rb.conf rb "state_dir = $TMPDIR/st"
fs_mount "$TMPDIR/rb" "$TMPDIR/rbm" -c "$TMPDIR/rb.conf"
want OK rbm/llm/model.bin "decision=allow cause=ok .*path=$TMPDIR/rb/llm/model.bin .*version=2"
expect_rc 0 "$VOUCH" state --state-dir st show; expect_out "llm +version 2"
rm -rf rb/llm && cp -a v1 rb/llm
want EACCES rbm/llm/model.bin "decision=deny cause=rollback .*path=$TMPDIR/rb/llm/model.bin .*version 1 is below version 2"
want EACCES rbm/llm/config.json
expect_rc 1 "$VOUCH" verify -c rb.conf rb/llm; expect_out "rollback"
ok "anti-rollback: v2 loaded through the mount, v1 put back is denied (mount and CLI)"
expect_rc 0 "$VOUCH" state --state-dir st reset llm
syslog_wait "<(81|33|9)>.*reset"
fs_hup "$FS_PID" "$TMPDIR/rbm"
want OK rbm/llm/model.bin "decision=allow cause=ok .*path=$TMPDIR/rb/llm/model.bin .*version=1"
ok "state reset (logged at alert) lets v1 load again, recorded anew"
