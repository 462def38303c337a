#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch sign --pkcs11: a key that never leaves a PKCS#11 token.  A SoftHSM2
# token is made in TMPDIR (private config and token dir), an ECDSA P-256 key
# pair is generated on it, the public key is exported to PEM and trusted;
# signing a model with the token key verifies, tampering fails, a wrong PIN
# fails with a clear message and writes nothing, and the default module
# (p11-kit-proxy) finds the same token.  Ed25519: the case tries it and
# records what Debian 12's engine (libp11 0.4.12) can do with it.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/pkcs11-lib.sh"
p11_token vouch-test signer
ok "SoftHSM2 token with an ECDSA P-256 key; public key exported to PEM"

printf '0000\n' >badpin
URI='pkcs11:token=vouch-test;object=signer;type=private'
mkmodel model

# Sign with the token key; the signature verifies with the exported key.
expect_rc 0 "$VOUCH" sign --pkcs11 "$URI" --pkcs11-module "$MOD" --passphrase-file pin model
keyid=$(openssl pkey -pubin -in signer.pem -outform DER | sha256sum | cut -d' ' -f1)
expect_out "with key $keyid"
[ -f model/model.sig ] || fail "no model/model.sig"
expect_rc 0 "$VOUCH" verify -p signer.pem model
expect_out "signed by $keyid"
# Independently of vouch: the DSSE signature is DER ECDSA-SHA256 over the
# PAE, as OMS/model_signing expect, and OpenSSL verifies it.
"$PY" - model/model.sig <<'PYEOF' || fail "cannot take the bundle apart"
import base64, json, sys
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
payload = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
open("pae.bin", "wb").write(pae)
open("sig.der", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
PYEOF
openssl asn1parse -inform DER -in sig.der >/dev/null 2>&1 || fail "the signature is not DER"
openssl dgst -sha256 -verify signer.pem -signature sig.der pae.bin >/dev/null ||
	fail "OpenSSL does not verify the token's signature over the DSSE PAE"
ok "signed on the token (DER ECDSA P-256 over the PAE), verifies with the exported public key"

# The token key and only it: another key does not verify, tampering fails.
newkey other
expect_rc 1 "$VOUCH" verify -p other.pub model
flip_byte model/model.bin 1000
expect_rc 1 "$VOUCH" verify -p signer.pem model
expect_out 'hash-mismatch'
flip_byte model/model.bin 1000
expect_rc 0 "$VOUCH" verify -p signer.pem model
ok "tampered model fails; untrusted key fails"

# A wrong PIN: exit 3, a message that says so, no signature written.
rm -f model/model.sig
expect_rc 3 "$VOUCH" sign --pkcs11 "$URI" --pkcs11-module "$MOD" --passphrase-file badpin model
expect_out '^vouch: pkcs11: .*(PIN incorrect|login)'
[ ! -e model/model.sig ] || fail "a signature was written with a wrong PIN"
# No PIN and no terminal: refused, never an unauthenticated attempt.
expect_rc 3 "$VOUCH" sign --pkcs11 "$URI" --pkcs11-module "$MOD" model </dev/null
expect_out 'PIN.*(terminal|passphrase-file)'
[ ! -e model/model.sig ] || fail "a signature was written without a PIN"
ok "wrong or missing PIN: exit 3, clear message, nothing written"

# Other operational errors name what is wrong.
expect_rc 3 "$VOUCH" sign --pkcs11 'pkcs11:token=vouch-test;object=nosuch;type=private' \
	--pkcs11-module "$MOD" --passphrase-file pin model
expect_out 'nosuch.*(not found|no usable)'
expect_rc 3 "$VOUCH" sign --pkcs11 "$URI" --pkcs11-module "$TMPDIR/none.so" --passphrase-file pin model
expect_out 'none\.so'
[ ! -e model/model.sig ] || fail "a signature was written after an error"
# Usage: exactly one signer; a URI, not a file name.
expect_rc 2 "$VOUCH" sign --pkcs11 "$URI" -k other.key model
expect_rc 2 "$VOUCH" sign --pkcs11 signer.der model
expect_rc 2 "$VOUCH" sign --pkcs11-module "$MOD" -k other.key model
expect_rc 2 "$VOUCH" sign model
expect_rc 0 "$VOUCH" sign --help
expect_out '--pkcs11 URI'
expect_out '--pkcs11-module'
ok "bad object / module: exit 3 naming it; usage errors: exit 2"

# pin-value in the URI works (RFC 7512) but is warned about: argv is public.
expect_rc 0 "$VOUCH" sign --pkcs11 "$URI;pin-value=1234" --pkcs11-module "$MOD" -o pv.sig model
expect_out 'warning: .*pin-value.*visible'
expect_rc 0 "$VOUCH" verify -p signer.pem -s pv.sig model
rm -f pv.sig
ok "pin-value in the URI works, with a warning"

# The default module is p11-kit-proxy, which loads every registered module
# (Debian registers SoftHSM2); it finds the same token by its label.
if [ -e /usr/share/p11-kit/modules/softhsm2.module ]; then
	expect_rc 0 "$VOUCH" sign --pkcs11 "$URI" --passphrase-file pin -o proxy.sig model
	expect_rc 0 "$VOUCH" verify -p signer.pem -s proxy.sig model
	ok "default module (p11-kit-proxy) reaches the SoftHSM2 token"
else
	echo "note: softhsm2 is not registered with p11-kit; default-module check skipped"
fi

# Ed25519.  SoftHSM2 2.6 has CKM_EDDSA and pkcs11-tool can make the key, but
# libp11 0.4.12 (Debian 12's engine) has no EdDSA support: it cannot
# enumerate the private keys of a token holding one, so it cannot sign with
# it (nor, on that token, with any other key).  The token above stays
# ECDSA-only; a second token tries Ed25519 and the case records the outcome,
# so a newer engine that can do it shows up here.
softhsm2-util --init-token --free --label vouch-ed --pin 1234 --so-pin 5678 >/dev/null ||
	fail "softhsm2-util --init-token vouch-ed"
if p11 --token-label vouch-ed --login --pin 1234 --keypairgen --key-type EC:edwards25519 \
	--label ed --id 02 >/dev/null 2>&1; then
	rm -f model/model.sig
	OUT=$("$VOUCH" sign --pkcs11 'pkcs11:token=vouch-ed;object=ed;type=private' \
		--pkcs11-module "$MOD" --passphrase-file pin model 2>&1); rc=$?
	if [ $rc -eq 0 ]; then
		p11 --token-label vouch-ed --read-object --type pubkey --label ed -o ed.der >/dev/null 2>&1
		openssl pkey -pubin -inform DER -in ed.der -out ed.pem 2>/dev/null ||
			fail "signed with the Ed25519 token key, but its public key cannot be exported"
		expect_rc 0 "$VOUCH" verify -p ed.pem model
		ok "Ed25519 on the token: this engine signs with it"
	else
		[ $rc -eq 3 ] || { printf '%s\n' "$OUT" >&2; fail "Ed25519 token key: exit $rc, wanted 0 or 3"; }
		[ ! -e model/model.sig ] || fail "a signature was written although signing failed"
		printf '%s\n' "$OUT"
		ok "Ed25519 on the token: the engine cannot use it (exit 3, nothing written); ECDSA P-256 is what --pkcs11 signs with"
	fi
else
	echo "note: pkcs11-tool cannot make an Ed25519 key on this SoftHSM2"
fi
