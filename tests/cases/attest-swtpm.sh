#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attest-swtpm (issue 23, parts 2 and 3) against a real TPM 2.0 emulator:
#  - enroll: credential activation against the swtpm EK certificate, which
#    chains to the test's local CA; another CA is refused;
#  - vouchfs with attest = yes and tpm_tcti = swtpm:...: torch and numpy load
#    two signed models; a tampered one is refused and not measured;
#  - tpm2_nvread (tpm2-tools, independent of vouch) reads the NV index: it
#    equals the last register in the log, and the index's attributes are the
#    documented ones;
#  - quote -> verify lists exactly those two models with versions and signer;
#    an edited or removed log entry, a quote replayed for another nonce, and a
#    quote checked with an AK of another TPM are refused; a model outside
#    --allow (or not signed by --trust) exits 1.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
. "$VOUCH_SRC/tests/swtpm-lib.sh"
"$PY" -c 'import torch, numpy' 2>/dev/null || fail "python3-torch/numpy missing (make deps)"
FS_HOOK=swtpm_stop_all
fs_syslog_start

swtpm_start tpm1
T1=$TCTI; CA1=$EKCA
expect_rc 0 "$VOUCH" attest enroll --tcti "$T1" --ek-ca "$CA1" -o "$TMPDIR/ak.pem"
expect_out "enrolled"
grep -q "BEGIN PUBLIC KEY" "$TMPDIR/ak.pem" || fail "no AK PEM"
ok "enroll: the AK is activated against the EK certificate, chained to the local CA"

swtpm_start tpm2                    # another TPM, its own CA
T2=$TCTI; CA2=$EKCA
export TPM2TOOLS_TCTI=$T1
expect_rc 1 "$VOUCH" attest enroll --tcti "$T1" --ek-ca "$CA2" -o "$TMPDIR/wrong.pem"
expect_out "does not chain"
"$VOUCH" attest enroll --tcti "$T2" --ek-ca "$CA2" -o "$TMPDIR/ak2.pem" >/dev/null 2>&1 \
	|| fail "enroll on the second TPM"
ok "enroll: an EK certificate from another CA is refused"

# Two models, loaded by real clients through vouchfs.
SRC=$TMPDIR/src; MNT=$TMPDIR/mnt; mkdir -p "$SRC/resnet" "$SRC/emb" "$SRC/bad" "$MNT"
"$PY" - "$SRC" <<'PYEOF'
import sys, torch, numpy as np
torch.save({"w": torch.arange(12.0).reshape(3, 4)}, sys.argv[1] + "/resnet/model.pt")
np.save(sys.argv[1] + "/emb/table.npy", np.arange(100, dtype=np.float32))
np.save(sys.argv[1] + "/bad/table.npy", np.arange(100, dtype=np.float32))
PYEOF
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
"$VOUCH" sign -k "$TMPDIR/k.key" --name resnet --version 4 "$SRC/resnet" >/dev/null 2>&1 || fail sign
"$VOUCH" sign -k "$TMPDIR/k.key" --name emb --version 2 "$SRC/emb" >/dev/null 2>&1 || fail sign
"$VOUCH" sign -k "$TMPDIR/k.key" --name bad "$SRC/bad" >/dev/null 2>&1 || fail sign
flip_byte "$SRC/bad/table.npy" 200
LOG=$TMPDIR/run/measurements.log
cat >"$TMPDIR/vouch.conf" <<EOF
[vouch]
trust = $TMPDIR/trust
attest = yes
measurement_log = $LOG
tpm_tcti = $T1
EOF
chmod 0644 "$TMPDIR/vouch.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"
"$PY" - "$MNT" <<'PYEOF' || fail "clients"
import sys, torch, numpy as np
m = sys.argv[1]
assert torch.load(m + "/resnet/model.pt")["w"].shape == (3, 4)
assert np.load(m + "/emb/table.npy")[99] == 99
assert np.load(m + "/emb/table.npy", mmap_mode="r")[1] == 1
try:
    np.load(m + "/bad/table.npy"); sys.exit("tampered model loaded")
except PermissionError:
    pass
PYEOF
[ "$(grep -vc '^#' "$LOG")" -eq 2 ] || { cat "$LOG" >&2; fail "wanted 2 log entries"; }
grep -q 'unanchored\|tpm-error' "$LOG" && { cat "$LOG" >&2; fail "entries not anchored"; }
ok "torch and numpy loaded two models: two entries, anchored in the TPM"

# tpm2-tools, independently: the index holds the log's last register.
IDX=0x0100a723
last=$(tail -1 "$LOG" | cut -f2)
nv=$(tpm2_nvread -C $IDX -s 32 $IDX 2>"$TMPDIR/nvread.err" | od -An -tx1 | tr -d ' \n') \
	|| { cat "$TMPDIR/nvread.err" >&2; fail "tpm2_nvread"; }
[ "$nv" = "$last" ] || fail "tpm2_nvread says $nv, the log's last register is $last"
tpm2_nvreadpublic $IDX >"$TMPDIR/nvpub" 2>&1 || fail "tpm2_nvreadpublic"
val=$(sed -n 's/^ *value: \(0x[0-9A-Fa-f]\{8\}\)$/\1/p' "$TMPDIR/nvpub")
# TPM_NT (bits 7:4) = 4 extend; AUTHWRITE 0x4, POLICY_DELETE 0x400, AUTHREAD 0x40000,
# NO_DA 0x2000000, CLEAR_STCLEAR 0x8000000, WRITTEN 0x20000000, PLATFORMCREATE 0x40000000
[ -n "$val" ] && [ $(( (val >> 4) & 0xf )) -eq 4 ] || { cat "$TMPDIR/nvpub" >&2; fail "not an extend index"; }
for bit in 0x4 0x400 0x40000 0x2000000 0x8000000 0x20000000 0x40000000; do
	[ $(( val & bit )) -ne 0 ] || { cat "$TMPDIR/nvpub" >&2; fail "index attributes $val lack $bit"; }
done
ok "tpm2_nvread: the NV index equals the log's last register; extend type, clear_stclear, policy_delete"

# Quote and verify.
N1=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); N2=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
expect_rc 0 "$VOUCH" attest quote -c "$TMPDIR/vouch.conf" --nonce "$N1" -o "$TMPDIR/q.json"
expect_rc 0 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" --trust "$TMPDIR/trust" \
	--allow 'resnet>=4' --allow emb "$TMPDIR/q.json"
expect_out "2 models loaded, all within"
printf '%s\n' "$OUT" | grep -Ec '^  (resnet version 4|emb version 2) sha256:[0-9a-f]{64} signers [0-9a-f]{64} ' \
	| grep -qx 2 || { printf '%s\n' "$OUT" >&2; fail "verify does not list exactly resnet 4 and emb 2"; }
[ "$(printf '%s\n' "$OUT" | grep -c '^  ')" -eq 2 ] || fail "verify lists more than two models"
ok "quote -> verify: exactly resnet v4 and emb v2, with digests and signer"

edit() {   # edit SCRIPT: the quote with its log changed by a python expression over `log`
	"$PY" - "$TMPDIR/q.json" "$TMPDIR/q2.json" "$1" <<'PYEOF'
import json, sys
q = json.load(open(sys.argv[1])); log = q["log"]
exec(sys.argv[3])
q["log"] = log; json.dump(q, open(sys.argv[2], "w"))
PYEOF
}
edit 'log[1] = log[1].replace("\"version\":4", "\"version\":5")'
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" "$TMPDIR/q2.json"
expect_out "does not replay"
edit 'del log[2]'
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" "$TMPDIR/q2.json"
expect_out "does not replay to the certified"
edit 'del log[1]'
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" "$TMPDIR/q2.json"
ok "an edited or removed log entry is refused"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N2" "$TMPDIR/q.json"
expect_out "another nonce"
ok "a quote replayed for another nonce is refused"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak2.pem" --nonce "$N1" "$TMPDIR/q.json"
expect_out "not signed by this AK"
ok "an AK not enrolled against this TPM's EK is refused"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" --allow resnet "$TMPDIR/q.json"
expect_out "emb version 2 .*NOT ALLOWED"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" --allow 'resnet>=5' --allow emb \
	"$TMPDIR/q.json"
newkey other; mkdir -p "$TMPDIR/other"; cp "$TMPDIR/other.pub" "$TMPDIR/other/"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" --trust "$TMPDIR/other" \
	"$TMPDIR/q.json"
expect_out "NOT SIGNED BY --trust"
ok "a model outside --allow, below its version, or not signed by --trust: exit 1"

# Bad input: a clear error, no crash.
head -c 200 "$TMPDIR/q.json" >"$TMPDIR/trunc.json"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/ak.pem" --nonce "$N1" "$TMPDIR/trunc.json"
expect_out "not a vouch quote"
expect_rc 1 "$VOUCH" attest verify --ak "$TMPDIR/k.pub" --nonce "$N1" "$TMPDIR/q.json"
expect_out "not signed by this AK"
ok "truncated quote, an AK of the wrong type: refused with a reason"
exit 0
