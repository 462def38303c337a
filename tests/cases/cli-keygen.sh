#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch keygen: an encrypted key pair from a passphrase file, file modes,
# never overwriting (nor following a symlink at) either target, the public
# key readable by OpenSSL, key id = SHA-256 of the DER public key, the
# passphrase checked when signing, and no way to pass a passphrase in argv
# or the environment.
. "$VOUCH_SRC/tests/lib.sh"

printf 'correct horse battery\n' >pass
printf 'wrong horse\n' >wrong

# Encrypted key from a passphrase file.
expect_rc 0 "$VOUCH" keygen --passphrase-file pass -o enc
expect_out '^public key: enc\.pub'
expect_out '^key id: [0-9a-f]{64}$'
keyid=$(printf '%s\n' "$OUT" | sed -n 's/^key id: //p')
[ -f enc.key ] && [ -f enc.pub ] || fail "keygen did not write enc.key and enc.pub"
[ "$(stat -c %a enc.key)" = 600 ] || fail "enc.key has mode $(stat -c %a enc.key), wanted 600"
pubmode=$(stat -c %a enc.pub)
[ $((0$pubmode & 022)) -eq 0 ] || fail "enc.pub is group/world-writable ($pubmode)"
# The secret key is not the unencrypted form (no warning, not marked so).
case $OUT in *unencrypted*|*"NOT encrypted"*) fail "an encrypted key was reported as unencrypted" ;; esac
ok "encrypted key written, key 0600"

# The public key is a PEM SubjectPublicKeyInfo OpenSSL reads, and the key id
# is the hex SHA-256 of its DER encoding.
openssl pkey -pubin -in enc.pub -noout 2>err.txt || { cat err.txt >&2; fail "openssl cannot read enc.pub"; }
openssl pkey -pubin -in enc.pub -text -noout | grep -q 'ED25519' || fail "enc.pub is not an Ed25519 key"
der_id=$(openssl pkey -pubin -in enc.pub -outform DER | sha256sum | cut -d' ' -f1)
[ "$der_id" = "$keyid" ] || fail "key id $keyid is not sha256(DER) $der_id"
ok "public key readable by openssl, key id = sha256(DER SPKI)"

# Refuses to overwrite either file, and changes neither.
cp enc.key enc.key.orig; cp enc.pub enc.pub.orig
expect_rc 3 "$VOUCH" keygen --no-passphrase -o enc
expect_out 'vouch: enc\.(key|pub): .*(exists|refus)'
cmp -s enc.key enc.key.orig && cmp -s enc.pub enc.pub.orig || fail "keygen changed an existing key"
mv enc.pub only.pub.keep
expect_rc 3 "$VOUCH" keygen --no-passphrase -o enc          # only .key exists
expect_out 'enc\.key'
cmp -s enc.key enc.key.orig || fail "keygen overwrote enc.key"
[ ! -e enc.pub ] || fail "keygen wrote enc.pub although enc.key exists"
mv only.pub.keep enc.pub
: >lone.pub                                                          # only .pub exists
expect_rc 3 "$VOUCH" keygen --no-passphrase -o lone
expect_out 'lone\.pub'
[ ! -s lone.pub ] || fail "keygen overwrote lone.pub"
[ ! -e lone.key ] || fail "keygen left lone.key behind after failing on lone.pub"
ok "refuses to overwrite PREFIX.key or PREFIX.pub"

# Refuses a symlink at either target path (dangling or not), without
# writing through it.
ln -s "$TMPDIR/victim1" sl.key
expect_rc 3 "$VOUCH" keygen --no-passphrase -o sl
[ ! -e victim1 ] || fail "keygen wrote through a symlink at sl.key"
[ ! -e sl.pub ] || fail "keygen left sl.pub behind"
ln -s "$TMPDIR/victim2" sp.pub
expect_rc 3 "$VOUCH" keygen --no-passphrase -o sp
[ ! -e victim2 ] || fail "keygen wrote through a symlink at sp.pub"
[ ! -e sp.key ] || fail "keygen left sp.key behind after failing on sp.pub"
: >existing; ln -s "$TMPDIR/existing" se.key
expect_rc 3 "$VOUCH" keygen --no-passphrase -o se
[ ! -s existing ] || fail "keygen wrote through a symlink to an existing file"
ok "refuses a symlink at the target path"

# The encrypted key signs only with the right passphrase file.
mkdir m; printf 'weights' >m/w.bin
expect_rc 3 "$VOUCH" sign -k enc.key --passphrase-file wrong m
expect_out '^vouch: enc\.key: .*passphrase'
[ ! -e m/model.sig ] || fail "a signature was written with the wrong passphrase"
expect_rc 3 "$VOUCH" sign -k enc.key --passphrase-file "$TMPDIR/nonexistent" m
expect_out 'nonexistent'
expect_rc 3 "$VOUCH" sign -k enc.key m </dev/null                   # no terminal
[ ! -e m/model.sig ] || fail "a signature was written without a passphrase"
expect_rc 0 "$VOUCH" sign -k enc.key --passphrase-file pass m
expect_rc 0 "$VOUCH" verify -p enc.pub m
expect_out "signed by $keyid"
ok "encrypted key signs only with the right passphrase"

# An empty passphrase file is refused for keygen (use --no-passphrase).
: >empty
expect_rc 3 "$VOUCH" keygen --passphrase-file empty -o emptypw
[ ! -e emptypw.key ] || fail "keygen accepted an empty passphrase"

# --no-passphrase warns, and the key then signs without asking.
expect_rc 0 "$VOUCH" keygen --no-passphrase -o plain
expect_out 'warning: .*plain\.key.*(NOT encrypted|unencrypted)'
[ "$(stat -c %a plain.key)" = 600 ] || fail "plain.key has mode $(stat -c %a plain.key)"
expect_rc 2 "$VOUCH" keygen --no-passphrase --passphrase-file pass -o both
ok "--no-passphrase warns"

# No passphrase from argv or the environment: --help offers no such option,
# an argument that looks like a passphrase is taken as a file name (or
# refused), and environment variables are ignored.
for cmd in keygen sign; do
	expect_rc 0 "$VOUCH" $cmd --help
	printf '%s\n' "$OUT" | grep -- '--pass' | grep -v -- '--passphrase-file' |
		grep -q . && fail "vouch $cmd --help offers a passphrase option other than --passphrase-file"
	printf '%s\n' "$OUT" | grep -Eiq 'VOUCH_PASS|environment' && fail "vouch $cmd --help mentions a passphrase variable"
done
expect_rc 3 "$VOUCH" keygen --passphrase 'hunter2' -o argv
[ ! -e argv.key ] || fail "a passphrase was accepted from argv"
expect_rc 2 "$VOUCH" keygen -P hunter2 -o argv2
for var in VOUCH_PASSPHRASE VOUCH_PASS PASSPHRASE; do
	OUT=$(env "$var=hunter2" "$VOUCH" keygen -o "env$var" </dev/null 2>&1) &&
		fail "keygen took a passphrase from \$$var"
	[ ! -e "env$var.key" ] || fail "keygen wrote a key with \$$var set and no terminal"
done
OUT=$(VOUCH_PASSPHRASE='correct horse battery' "$VOUCH" sign -k enc.key m </dev/null 2>&1) &&
	fail "sign took the passphrase from the environment"
ok "no passphrase from argv or the environment"
