# SPDX-License-Identifier: Apache-2.0
# A private SoftHSM2 token for the PKCS#11 cases.  Source after lib.sh.
# p11_token LABEL KEYLABEL: a token LABEL (PIN 1234) in $TMPDIR/tokens with an
# ECDSA P-256 key pair KEYLABEL, its public key in $TMPDIR/KEYLABEL.pem, the
# PIN in $TMPDIR/pin.  Nothing outside TMPDIR is touched.
MOD=/usr/lib/softhsm/libsofthsm2.so
command -v softhsm2-util >/dev/null && [ -e "$MOD" ] || skip "softhsm2 not installed (make deps)"
command -v pkcs11-tool >/dev/null || skip "opensc (pkcs11-tool) not installed (make deps)"
[ -e "$(openssl version -e | sed 's/^ENGINESDIR: "\(.*\)"$/\1/')/pkcs11.so" ] ||
	skip "libengine-pkcs11-openssl not installed (make deps)"
export SOFTHSM2_CONF=$TMPDIR/softhsm2.conf
p11() { pkcs11-tool --module "$MOD" "$@"; }
p11_token() {
	mkdir -p "$TMPDIR/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$TMPDIR" >"$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label "$1" --pin 1234 --so-pin 5678 >/dev/null ||
		fail "softhsm2-util --init-token $1"
	p11 --token-label "$1" --login --pin 1234 --keypairgen --key-type EC:prime256v1 \
		--label "$2" --id 01 >/dev/null 2>&1 || fail "pkcs11-tool --keypairgen EC:prime256v1"
	p11 --token-label "$1" --read-object --type pubkey --label "$2" -o "$TMPDIR/$2.der" >/dev/null 2>&1 ||
		fail "pkcs11-tool --read-object pubkey"
	openssl pkey -pubin -inform DER -in "$TMPDIR/$2.der" -out "$TMPDIR/$2.pem" ||
		fail "exported key is not DER SPKI"
	printf '1234\n' >"$TMPDIR/pin"
}
