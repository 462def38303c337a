#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch sign / verify of a Hugging Face hub cache snapshot (issue 15): the
# layout hub/models--org--name/{blobs/<sha256>, snapshots/<rev>/<file> ->
# ../../blobs/<sha256>, refs/main}.  With --allow-symlinks --symlink-root
# the model directory, a snapshot signs and verifies; without the flags its
# links are refused (symlink); a tampered blob is hash-mismatch, a link
# retargeted to another blob fails its digest or size, a link out of the
# symlink root is symlink; two revisions sharing blobs both verify.
. "$VOUCH_SRC/tests/lib.sh"

newkey k

M=hub/models--org--name
mkdir -p "$M/blobs" "$M/refs"

# blob FILE: move FILE into blobs/ under its sha256, print the sha.
blob() {
	s=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$M/blobs/$s"
	echo "$s"
}
# snapshot REV NAME=SHA...: snapshots/REV/NAME -> ../../blobs/SHA (NAME may
# have a directory part, as the hub's do: then one ../ more per level).
snapshot() {
	rev=$1; shift
	for ns in "$@"; do
		name=${ns%%=*} sha=${ns#*=}
		up=../..
		case "$name" in */*) up=../../.. ;; esac
		mkdir -p "$(dirname "$M/snapshots/$rev/$name")"
		ln -s "$up/blobs/$sha" "$M/snapshots/$rev/$name"
	done
}
# expect_cause RC NAME CAUSE CMD...: exit RC and a line "vouch: NAME: CAUSE".
expect_cause() {
	rc=$1 name=$2 cause=$3; shift 3
	expect_rc "$rc" "$@"
	printf '%s\n' "$OUT" | grep -Fq -- "vouch: $name: $cause" ||
		{ printf '%s\n' "$OUT" >&2; fail "no 'vouch: $name: $cause' line from: $*"; }
}

head -c 300000 /dev/urandom >w1; W1=$(blob w1)
head -c 300000 /dev/urandom >w2; W2=$(blob w2)           # same size, other bytes
printf '{"hidden": 16}\n' >cfg; CFG=$(blob cfg)
printf '{"vocab": ["a", "b"]}\n' >tok; TOK=$(blob tok)
R1=0123456789abcdef0123456789abcdef01234567
R2=89abcdef0123456789abcdef0123456789abcdef
snapshot $R1 model.bin=$W1 config.json=$CFG tokenizer/tokenizer.json=$TOK
printf '%s' $R1 >"$M/refs/main"
S1=$M/snapshots/$R1
HUB="--allow-symlinks --symlink-root $M"

# ---- sign and verify a snapshot ----
expect_rc 0 "$VOUCH" sign $HUB -k k.key --name org/name --version 1 "$S1"
[ -f "$S1/model.sig" ] || fail "no $S1/model.sig"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
expect_out "^vouch: $S1: verified \\(model org/name, version 1"
# An absolute --symlink-root, and the snapshot named through refs/main.
expect_rc 0 "$VOUCH" verify --allow-symlinks --symlink-root "$PWD/$M" -p k.pub \
	"$M/snapshots/$(cat "$M/refs/main")"
expect_rc 0 "$VOUCH" inspect --json "$S1/model.sig"
printf '%s\n' "$OUT" >inspect.json
"$PY" - inspect.json <<'EOF' || fail "the snapshot's files are not signed under their own names"
import json, sys
j = json.load(open(sys.argv[1]))
names = {r["name"].split(":")[0] for r in j["resources"]}
assert names == {"model.bin", "config.json", "tokenizer/tokenizer.json"}, names
assert j["serialization"]["allow_symlinks"] is True, j["serialization"]
EOF
ok "a hub snapshot signs and verifies with --allow-symlinks --symlink-root"

# ---- the links are refused without the flags ----
expect_rc 1 "$VOUCH" verify -p k.pub "$S1"
expect_out 'vouch: (model\.bin|config\.json|tokenizer/tokenizer\.json): symlink'
# --allow-symlinks alone: the root is the snapshot, and the blobs are outside it.
expect_rc 1 "$VOUCH" verify --allow-symlinks -p k.pub "$S1"
expect_out ': symlink \(symlink leads outside the allowed root\)'
# --symlink-root alone is a usage error, as for vouch sign.
expect_rc 2 "$VOUCH" verify --symlink-root "$M" -p k.pub "$S1"
expect_out 'symlink-root needs --allow-symlinks'
# A root that does not exist is an operational error, named.
expect_rc 3 "$VOUCH" verify --allow-symlinks --symlink-root nowhere -p k.pub "$S1"
expect_out 'nowhere'
ok "without the flags (or with the wrong root) the links are refused"

# ---- a tampered blob ----
cp "$M/blobs/$W1" saved
flip_byte "$M/blobs/$W1" 4000
expect_cause 1 model.bin hash-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
cp saved "$M/blobs/$W1"
printf 'X' >>"$M/blobs/$CFG"
expect_cause 1 config.json size-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
"$PY" -c 'import sys; p = sys.argv[1]; d = open(p, "rb").read()[:-1]; open(p, "wb").write(d)' \
	"$M/blobs/$CFG"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
ok "a tampered blob is hash-mismatch (size-mismatch when it grew)"

# ---- a snapshot link retargeted to another blob ----
ln -sfn "../../blobs/$W2" "$S1/model.bin"                 # same size: the digest differs
expect_cause 1 model.bin hash-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
ln -sfn "../../blobs/$CFG" "$S1/model.bin"                # another size
expect_cause 1 model.bin size-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
ln -sfn "../../blobs/$W1" "$S1/model.bin"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
ok "a snapshot link retargeted to another blob fails its digest or size"

# ---- a link out of the symlink root ----
mkdir -p hub/models--evil--other/blobs
cp "$M/blobs/$W1" "hub/models--evil--other/blobs/$W1"   # the very same bytes
ln -sfn "../../../models--evil--other/blobs/$W1" "$S1/model.bin"
expect_cause 1 model.bin symlink "$VOUCH" verify $HUB -p k.pub "$S1"
expect_out 'symlink leads outside the allowed root'
ln -sfn "$PWD/$M/blobs/$W1" "$S1/model.bin"              # absolute, inside: fine
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
ln -sfn /etc/passwd "$S1/model.bin"
expect_cause 1 model.bin symlink "$VOUCH" verify $HUB -p k.pub "$S1"
ln -sfn "../../blobs/$W1" "$S1/model.bin"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
# A link into the model directory but outside blobs/ still resolves inside
# the root: it is checked by content, like any other (here: refs/main).
ln -sfn ../../refs/main "$S1/model.bin"
expect_cause 1 model.bin size-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
ln -sfn "../../blobs/$W1" "$S1/model.bin"
# Signing refuses a link out of the root too.
ln -s /etc/hostname "$S1/stray"
expect_rc 3 "$VOUCH" sign $HUB -k k.key -o stray.sig "$S1"
expect_out 'stray: symlink leads outside the allowed root'
rm "$S1/stray"
ok "a link out of the symlink root is symlink (verify and sign)"

# ---- two revisions sharing blobs ----
snapshot $R2 model.bin=$W1 config.json=$CFG tokenizer/tokenizer.json=$TOK extra.bin=$W2
S2=$M/snapshots/$R2
expect_rc 0 "$VOUCH" sign $HUB -k k.key --name org/name --version 2 "$S2"
printf '%s' $R2 >"$M/refs/main"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
expect_out 'verified \(model org/name, version 1'
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S2"
expect_out 'verified \(model org/name, version 2'
# A shared blob tampered fails both; a blob only R2 uses fails only R2.
flip_byte "$M/blobs/$TOK" 3
expect_cause 1 tokenizer/tokenizer.json hash-mismatch "$VOUCH" verify $HUB -p k.pub "$S1"
expect_cause 1 tokenizer/tokenizer.json hash-mismatch "$VOUCH" verify $HUB -p k.pub "$S2"
flip_byte "$M/blobs/$TOK" 3
flip_byte "$M/blobs/$W2" 3
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
expect_cause 1 extra.bin hash-mismatch "$VOUCH" verify $HUB -p k.pub "$S2"
flip_byte "$M/blobs/$W2" 3
# A link added to a signed snapshot is not in its manifest.
ln -s "../../blobs/$W2" "$S1/extra.bin"
expect_cause 1 extra.bin not-in-manifest "$VOUCH" verify $HUB -p k.pub "$S1"
rm "$S1/extra.bin"
expect_rc 0 "$VOUCH" verify $HUB -p k.pub "$S1"
ok "two revisions sharing blobs both verify, and fail together on a shared blob"
