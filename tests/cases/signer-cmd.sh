#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch sign --signer-cmd: an external command signs (how a cloud KMS plugs
# in).  A KMS stand-in script signs its stdin with `openssl pkeyutl` and an
# Ed25519 key vouch never sees; the bundle verifies with the given public
# key.  A command that fails, writes nothing, writes garbage, signs with
# another key, hangs or floods stdout is refused with exit 3, a message
# naming the command, and no signature file.
. "$VOUCH_SRC/tests/lib.sh"

# The "KMS": its key lives only in kms/, the script gets the message on stdin
# (as `aws kms sign` / `gcloud kms asymmetric-sign` would from a file) and
# prints the raw signature.  openssl cannot one-shot Ed25519 from a pipe, so
# the script spools stdin to a temporary file first.
mkdir kms
openssl genpkey -algorithm ed25519 -out kms/ed25519.pem 2>/dev/null || fail "openssl genpkey ed25519"
openssl pkey -in kms/ed25519.pem -pubout -out kms.pub || fail "openssl pkey -pubout"
openssl genpkey -algorithm ed25519 -out kms/other.pem 2>/dev/null || fail "openssl genpkey other"
cat >kms-sign <<'EOF'
#!/bin/sh
# kms-sign KEY [raw|base64]: sign stdin with KEY, like a cloud KMS client.
set -e
msg=$(mktemp)
trap 'rm -f "$msg"' EXIT
cat >"$msg"
if [ "${2:-raw}" = base64 ]; then
	openssl pkeyutl -sign -rawin -inkey "$1" -in "$msg" | base64
else
	openssl pkeyutl -sign -rawin -inkey "$1" -in "$msg"
fi
EOF
chmod +x kms-sign
mkmodel model
keyid=$(openssl pkey -pubin -in kms.pub -outform DER | sha256sum | cut -d' ' -f1)

# Raw signature on stdout.
expect_rc 0 "$VOUCH" sign --signer-cmd "./kms-sign kms/ed25519.pem" --signer-pubkey kms.pub model
expect_out "with key $keyid"
expect_rc 0 "$VOUCH" verify -p kms.pub model
expect_out "signed by $keyid"
ok "signer command (raw Ed25519 signature): signs, verifies"

# Base64 text (what `aws kms sign --output text` prints), wrapped or not.
expect_rc 0 "$VOUCH" sign --signer-cmd "./kms-sign kms/ed25519.pem base64" --signer-pubkey kms.pub \
	-o b64.sig model
expect_rc 0 "$VOUCH" verify -p kms.pub -s b64.sig model
rm -f b64.sig
ok "signer command (base64 output): signs, verifies"

# The command receives exactly the DSSE PAE of the bundle's payload.
expect_rc 0 "$VOUCH" sign --signer-cmd "tee got.bin | ./kms-sign kms/ed25519.pem" \
	--signer-pubkey kms.pub -o tee.sig model
"$PY" - tee.sig got.bin <<'PYEOF' || fail "the command did not receive the DSSE PAE of the payload"
import base64, json, sys
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
sys.exit(0 if open(sys.argv[2], "rb").read() == pae else 1)
PYEOF
rm -f tee.sig
ok "the command gets exactly the DSSE PAE on stdin"

# ECDSA P-256, as AWS KMS (DER) and Azure Key Vault (r||s, base64url) return it.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out kms/p256.pem 2>/dev/null ||
	fail "openssl genpkey P-256"
openssl pkey -in kms/p256.pem -pubout -out p256.pub
cat >kms-ecdsa <<'EOF2'
#!/bin/sh
# kms-ecdsa KEY der|p1363: ECDSA-SHA256 over stdin.
set -e
openssl dgst -sha256 -sign "$1" -out sig.der
if [ "$2" = p1363 ]; then
	# r||s, each left-padded to 32 bytes, base64url without padding
	openssl asn1parse -inform DER -in sig.der | sed -n 's/.*INTEGER *://p' |
		while read -r h; do printf '%064s' "$h" | tr ' ' 0; done |
		/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' |
		base64 -w0 | tr '+/' '-_' | tr -d '='
else
	cat sig.der
fi
EOF2
chmod +x kms-ecdsa
expect_rc 0 "$VOUCH" sign --signer-cmd "./kms-ecdsa kms/p256.pem der" --signer-pubkey p256.pub \
	-o ec1.sig model
expect_rc 0 "$VOUCH" verify -p p256.pub -s ec1.sig model
expect_rc 0 "$VOUCH" sign --signer-cmd "./kms-ecdsa kms/p256.pem p1363" --signer-pubkey p256.pub \
	-o ec2.sig model
expect_rc 0 "$VOUCH" verify -p p256.pub -s ec2.sig model
"$PY" - ec2.sig <<'PYEOF' || fail "an r||s signature was not stored as DER"
import base64, json, sys
sig = base64.b64decode(json.load(open(sys.argv[1]))["dsseEnvelope"]["signatures"][0]["sig"])
sys.exit(0 if sig[0] == 0x30 and len(sig) != 64 else 1)
PYEOF
rm -f ec1.sig ec2.sig sig.der
ok "signer command (ECDSA P-256, DER or base64url r||s): signs DER, verifies"

# Tampering after signing is caught as usual.
flip_byte model/config.json 2
expect_rc 1 "$VOUCH" verify -p kms.pub model
flip_byte model/config.json 2
expect_rc 0 "$VOUCH" verify -p kms.pub model

# Refusals: exit 3, the command named, no signature written.
refuse() { # CMD PATTERN
	rm -f model/model.sig
	expect_rc 3 "$VOUCH" sign --signer-cmd "$1" --signer-pubkey kms.pub model
	expect_out "^vouch: .*signer command '.*'.*$2"
	[ ! -e model/model.sig ] || fail "a signature was written for --signer-cmd '$1'"
}
refuse "./kms-sign kms/other.pem" "not a valid ed25519 signature by key $keyid"
refuse "./kms-sign kms/other.pem base64" "not a valid"
refuse "head -c 64 /dev/urandom" "not a valid"
refuse "cat >/dev/null; echo 'this is not a signature'" "not a valid"
refuse "cat >/dev/null; exit 1" "exit status 1"
refuse "exit 0" "wrote no signature"
refuse "no-such-kms-client-xyz" "exit status 127"
refuse "kill -9 \$\$" "signal 9"
refuse "head -c 1000000 /dev/zero" "more than"
ok "wrong key, garbage, failure, empty output, missing command, signal, flood: refused"

# A hanging command is killed at the timeout (60 s); only run when asked,
# it makes the case a minute longer.
if [ "${VOUCH_SLOW_TESTS:-0}" = 1 ]; then
	start=$(date +%s)
	refuse "sleep 600" "did not finish"
	[ $(( $(date +%s) - start )) -lt 90 ] || fail "the timeout did not kill the command"
	ok "a hanging command is killed at the timeout"
fi

# Usage: --signer-cmd needs --signer-pubkey and takes no passphrase file.
expect_rc 2 "$VOUCH" sign --signer-cmd "./kms-sign kms/ed25519.pem" model
expect_out 'signer-pubkey'
expect_rc 2 "$VOUCH" sign --signer-pubkey kms.pub -k kms/ed25519.pem model
printf 'x\n' >pw
expect_rc 2 "$VOUCH" sign --signer-cmd "./kms-sign kms/ed25519.pem" --signer-pubkey kms.pub \
	--passphrase-file pw model
expect_rc 2 "$VOUCH" sign --signer-cmd true --signer-pubkey kms.pub -k kms/ed25519.pem model
expect_rc 3 "$VOUCH" sign --signer-cmd true --signer-pubkey "$TMPDIR/missing.pub" model
expect_out 'missing\.pub'
expect_rc 0 "$VOUCH" sign --help
expect_out '--signer-cmd CMD'
expect_out '--signer-pubkey PEM'
ok "usage errors: exit 2; a missing public key: exit 3"
