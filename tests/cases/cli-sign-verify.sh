#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch sign / verify / inspect on the happy paths and the policy edges: a
# single file (sidecar) and a directory (model.sig) with configs, tokenizer,
# an empty __init__.py and subdirectories; files and shards serializations;
# small shards on a multi-shard file; expiry; ':' in a shard-signed name;
# symlinks and FIFOs; inspect (text, --json, --verify); the exit codes of
# vouch(1), EXIT STATUS (0 verified, 1 failed, 2 usage, 3 operational) and
# messages of the form "vouch: NAME: CAUSE".
. "$VOUCH_SRC/tests/lib.sh"

newkey k
newkey other

# expect_cause RC NAME CAUSE CMD...: exit RC and a line "vouch: NAME: CAUSE".
# bug MSG: a defect that should fail the case, checked after the rest ran.
BUGS=0
bug() { echo "BUG: $*" >&2; BUGS=$((BUGS + 1)); }

expect_cause() {
	rc=$1 name=$2 cause=$3; shift 3
	expect_rc "$rc" "$@"
	printf '%s\n' "$OUT" | grep -Fq -- "vouch: $name: $cause" ||
		{ printf '%s\n' "$OUT" >&2; fail "no 'vouch: $name: $cause' line from: $*"; }
}

# ---- a single file: sidecar F.sig ----
head -c 100000 /dev/urandom >weights.bin
expect_rc 0 "$VOUCH" sign -k k.key weights.bin
[ -f weights.bin.sig ] || fail "no sidecar weights.bin.sig"
expect_rc 0 "$VOUCH" verify -p k.pub weights.bin
expect_out '^vouch: weights\.bin: verified'
expect_out "signed by $(openssl pkey -pubin -in k.pub -outform DER | sha256sum | cut -d' ' -f1)"
expect_cause 1 weights.bin.sig untrusted-key "$VOUCH" verify -p other.pub weights.bin
# A sidecar binds content and the signed name: a copy under another name fails.
cp weights.bin renamed.bin; cp weights.bin.sig renamed.bin.sig
expect_cause 1 renamed.bin name-mismatch "$VOUCH" verify -p k.pub renamed.bin
flip_byte weights.bin 5000
expect_rc 1 "$VOUCH" verify -p k.pub weights.bin
expect_out 'hash-mismatch'
# The message must name the file, not the OMS resource name ".".
printf '%s\n' "$OUT" | grep -q '^vouch: weights\.bin: hash-mismatch' ||
	bug "single-file verify names the file '.': $OUT"
ok "single file with sidecar"

# ---- a directory: model.sig covers configs, tokenizer, empty files, subdirs ----
mkmodel model
mkdir -p model/sub/deeper
printf 'merges' >model/sub/deeper/merges.txt
expect_rc 0 "$VOUCH" sign -k k.key --name resnet --version 7 model
[ -f model/model.sig ] || fail "no model/model.sig"
expect_rc 0 "$VOUCH" verify -p k.pub model
expect_out '^vouch: model: verified \(model resnet, version 7'
expect_rc 0 "$VOUCH" inspect --json model/model.sig
printf '%s\n' "$OUT" >inspect.json
"$PY" - inspect.json <<'EOF' || fail "inspect --json lacks the signed files"
import json, sys
j = json.load(open(sys.argv[1]))
names = {r["name"].split(":")[0] for r in j["resources"]}
want = {"model.bin", "config.json", "tokenizer.json", "sub/extra.txt", "sub/deeper/merges.txt"}
assert want <= names, (want - names)
assert "__init__.py" not in names      # shards list no 0-byte file
EOF
# Every kind of file is covered: touch each and verification fails naming it.
for f in config.json tokenizer.json sub/extra.txt sub/deeper/merges.txt; do
	cp "model/$f" saved; printf 'X' >>"model/$f"
	expect_cause 1 "$f" size-mismatch "$VOUCH" verify -p k.pub model
	cp saved "model/$f"
done
printf 'x' >model/__init__.py
expect_cause 1 __init__.py size-mismatch "$VOUCH" verify -p k.pub model
: >model/__init__.py
flip_byte model/config.json 2
expect_cause 1 config.json hash-mismatch "$VOUCH" verify -p k.pub model
flip_byte model/config.json 2
expect_rc 0 "$VOUCH" verify -p k.pub model
ok "directory with configs, tokenizer, empty __init__.py and subdirs"

# The signed name can be required; a signature of the wrong kind is refused.
expect_rc 0 "$VOUCH" verify -p k.pub --expect-name resnet model
expect_cause 1 model name-mismatch "$VOUCH" verify -p k.pub --expect-name vgg model
cp weights.bin.sig wrongkind.sig
expect_rc 1 "$VOUCH" verify -p k.pub -s wrongkind.sig model        # a file's signature for a dir
expect_out 'vouch: model: malformed'
expect_rc 1 "$VOUCH" verify -p k.pub -s model/model.sig weights.bin  # a dir's signature for a file
expect_out 'vouch: weights\.bin: malformed'
# Relative spellings of the same model: DIR/, and . from inside.
expect_rc 0 "$VOUCH" verify -p k.pub model/
( cd model && "$VOUCH" verify -p ../k.pub . >/dev/null 2>&1 ) || fail "verify . inside the model failed"

# ---- --method files ----
mkmodel filesm
expect_rc 0 "$VOUCH" sign -k k.key --method files filesm
expect_rc 0 "$VOUCH" inspect --json filesm/model.sig
printf '%s\n' "$OUT" >files.json
"$PY" - files.json <<'EOF' || fail "files serialization is not as expected"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["serialization"]["method"] == "files", j["serialization"]
names = {r["name"] for r in j["resources"]}
assert "__init__.py" in names and "model.bin" in names, names   # files lists empty files
assert all(r["algorithm"] == "sha256" for r in j["resources"])
EOF
expect_rc 0 "$VOUCH" verify -p k.pub filesm
flip_byte filesm/model.bin 123
expect_cause 1 model.bin hash-mismatch "$VOUCH" verify -p k.pub filesm
ok "--method files"

# ---- shards: a multi-shard file with --shard-size 4096 ----
mkdir sharded
head -c 20000 /dev/urandom >sharded/big.bin           # 4 full shards + 3616 bytes
printf 'cfg' >sharded/config.json
expect_rc 0 "$VOUCH" sign -k k.key --shard-size 4096 sharded
expect_rc 0 "$VOUCH" inspect --json sharded/model.sig
printf '%s\n' "$OUT" >shards.json
"$PY" - shards.json <<'EOF' || fail "shard names/sizes are not as model_signing makes them"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["serialization"]
assert s["method"] == "shards" and s["shard_size"] == 4096, s
big = [r["name"] for r in j["resources"] if r["name"].startswith("big.bin:")]
assert big == ["big.bin:0:4096", "big.bin:4096:8192", "big.bin:8192:12288",
               "big.bin:12288:16384", "big.bin:16384:20000"], big
assert all(r["algorithm"] == "sha256-sharded-4096" for r in j["resources"])
EOF
expect_rc 0 "$VOUCH" verify -p k.pub sharded
flip_byte sharded/big.bin 9000                         # third shard
expect_cause 1 big.bin hash-mismatch "$VOUCH" verify -p k.pub sharded
expect_out 'bytes 8192-12288'
flip_byte sharded/big.bin 9000
expect_rc 0 "$VOUCH" verify -p k.pub sharded
expect_rc 2 "$VOUCH" sign -k k.key --shard-size 100 sharded
expect_rc 2 "$VOUCH" sign -k k.key --shard-size abc sharded
ok "shards, --shard-size 4096"

# ---- expiry (a property of the signature: reported on the .sig, like a key window) ----
mkdir exp; printf 'w' >exp/w.bin
expect_rc 0 env SOURCE_DATE_EPOCH=1577836800 "$VOUCH" sign -k k.key --expires 2021-01-01T00:00:00Z exp
expect_cause 1 exp/model.sig expired "$VOUCH" verify -p k.pub exp
expect_rc 0 "$VOUCH" inspect exp/model.sig
expect_out '^expires: +2021-01-01T00:00:00Z'
expect_rc 0 "$VOUCH" sign -k k.key --expires 2099-01-01T00:00:00+02:00 exp
expect_rc 0 "$VOUCH" verify -p k.pub exp
# Signed in the future (beyond the clock skew): refused too.
expect_rc 0 env SOURCE_DATE_EPOCH=4102444800 "$VOUCH" sign -k k.key exp
expect_cause 1 exp/model.sig expired "$VOUCH" verify -p k.pub exp
expect_rc 0 "$VOUCH" sign -k k.key exp
expect_rc 2 "$VOUCH" sign -k k.key --expires 'next tuesday' exp
expect_rc 2 "$VOUCH" sign -k k.key --expires 2025-01-01T00:00:00Z exp   # before signed_at
ok "--expires"

# ---- a name containing ':' cannot be shard-signed ----
mkdir colon; printf 'a' >'colon/a:b.bin'
expect_rc 3 "$VOUCH" sign -k k.key colon
expect_out "a:b\.bin: .*':'"
[ ! -e colon/model.sig ] || fail "a model.sig was written for a ':' name with shards"
expect_rc 0 "$VOUCH" sign -k k.key --method files colon
expect_rc 0 "$VOUCH" verify -p k.pub colon
ok "':' refused for shards, allowed with --method files"

# ---- symlinks ----
mkdir links; printf 'real' >links/real.bin; ln -s real.bin links/alias.bin
expect_rc 3 "$VOUCH" sign -k k.key links
expect_out 'alias\.bin: .*symlink'
[ ! -e links/model.sig ] || fail "signed a model containing a symlink without --allow-symlinks"
expect_rc 0 "$VOUCH" sign -k k.key --allow-symlinks links
expect_cause 1 alias.bin symlink "$VOUCH" verify -p k.pub links
expect_rc 0 "$VOUCH" verify -p k.pub --allow-symlinks links
# Allowed, but a link escaping the root is still refused.
mkdir escape; printf 'outside' >outside.bin; printf 'in' >escape/in.bin
ln -s ../outside.bin escape/out.bin
expect_rc 3 "$VOUCH" sign -k k.key --allow-symlinks escape
expect_out 'out\.bin: .*outside'
ln -s /etc/passwd escape/abs.bin; rm escape/out.bin
expect_rc 3 "$VOUCH" sign -k k.key --allow-symlinks escape
[ ! -e escape/model.sig ] || fail "signed a model whose symlink escapes the root"
# --symlink-root widens the root on purpose (Hugging Face cache layout).
rm escape/abs.bin; ln -s ../outside.bin escape/out.bin
expect_rc 0 "$VOUCH" sign -k k.key --allow-symlinks --symlink-root "$TMPDIR" escape
expect_rc 2 "$VOUCH" sign -k k.key --symlink-root "$TMPDIR" escape
ok "symlinks refused unless --allow-symlinks, escaping links refused"

# A FIFO inside a model is refused (and does not hang).
mkdir fifo; printf 'w' >fifo/w.bin; mkfifo fifo/pipe
expect_rc 3 timeout 20 "$VOUCH" sign -k k.key fifo
expect_out 'pipe: .*(FIFO|not a regular)'
rm fifo/pipe; expect_rc 0 "$VOUCH" sign -k k.key fifo; mkfifo fifo/pipe
expect_cause 1 pipe symlink timeout 20 "$VOUCH" verify -p k.pub fifo
# A FIFO as the model path itself.
mkfifo lone.pipe
expect_rc 3 timeout 20 "$VOUCH" sign -k k.key lone.pipe
ok "FIFO refused"

# The model path itself a symlink: refused by sign and verify.
ln -s model model.link
expect_rc 3 "$VOUCH" sign -k k.key model.link
expect_out 'model\.link: .*symlink'
expect_cause 1 model.link symlink "$VOUCH" verify -p k.pub model.link
ln -s weights.bin weights.link
expect_rc 3 "$VOUCH" sign -k k.key weights.link
[ ! -e weights.link.sig ] || fail "signed through a symlinked path"
ok "a symlinked model path refused"

# ---- inspect ----
expect_rc 0 "$VOUCH" inspect model/model.sig
expect_out 'UNVERIFIED'
expect_out '^model: +resnet$'
expect_out '^version: +7$'
expect_out '^signed_at: +2026-01-01T00:00:00Z$'
expect_out '^resources: +[0-9]+$'
expect_rc 0 "$VOUCH" inspect --json model/model.sig
printf '%s\n' "$OUT" >model.json
"$PY" - model.json <<'EOF' || fail "inspect --json lacks model/version/signed_at/resources"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["model"] == "resnet", j.get("model")
assert j["version"] == 7, j.get("version")
assert j["signed_at"] == "2026-01-01T00:00:00Z", j.get("signed_at")
assert isinstance(j["resources"], list) and j["resources"], j.get("resources")
for r in j["resources"]:
    assert set(r) >= {"name", "algorithm", "digest"}, r
    assert len(r["digest"]) == 64
assert j["verified"] is False
EOF
expect_rc 0 "$VOUCH" inspect --verify -p k.pub model/model.sig
expect_out '^VERIFIED: .*signed by key [0-9a-f]{64}'
expect_rc 0 "$VOUCH" inspect --verify --json -p k.pub model/model.sig
printf '%s\n' "$OUT" | sed -n '/^{/,$p' >v.json
"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["verified"] is True and len(j["verified_keyid"]) == 64, j' v.json ||
	fail "inspect --verify --json does not say verified"
expect_rc 1 "$VOUCH" inspect --verify -p k.pub weights.bin.sig
expect_out 'hash-mismatch'
expect_rc 1 "$VOUCH" inspect --verify -p other.pub model/model.sig
expect_out 'untrusted-key'
printf '%s\n' "$OUT" | grep -q '^VERIFIED' && fail "inspect --verify printed VERIFIED for an untrusted key"
expect_rc 2 "$VOUCH" inspect -p k.pub model/model.sig            # trust without --verify
expect_cause 3 nonexistent.sig not-signed "$VOUCH" inspect nonexistent.sig
ok "inspect, inspect --json, inspect --verify"

# ---- exit codes: 2 usage, 3 operational ----
expect_rc 2 "$VOUCH"
expect_rc 2 "$VOUCH" frobnicate
expect_rc 2 "$VOUCH" verify -p k.pub
expect_rc 2 "$VOUCH" verify -p k.pub model weights.bin
expect_rc 2 "$VOUCH" verify --no-such-option -p k.pub model
expect_rc 2 "$VOUCH" verify -p k.pub --threshold 0 model
expect_rc 2 "$VOUCH" sign model
expect_rc 2 "$VOUCH" sign -k k.key
expect_rc 2 "$VOUCH" sign -k k.key --method zip model
expect_rc 2 "$VOUCH" sign -k k.key --version -1 model
expect_rc 2 "$VOUCH" sign -k k.key --version 9007199254740992 model   # 2^53
expect_rc 2 "$VOUCH" sign -k k.key --name '' model
expect_rc 2 "$VOUCH" keygen
expect_rc 0 "$VOUCH" --help
for c in keygen sign verify inspect; do expect_rc 0 "$VOUCH" "$c" --help; done
expect_rc 3 "$VOUCH" verify -p "$TMPDIR/nokey.pub" model
expect_out 'nokey\.pub'
expect_rc 3 "$VOUCH" verify -p k.key model                         # not a public key
expect_out 'k\.key'
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/noconf" model
expect_out 'noconf'
expect_rc 3 "$VOUCH" verify -p k.pub "$TMPDIR/no-such-model"       # nothing to verify
expect_out 'no-such-model: io-error \(No such file or directory\)'
expect_rc 3 "$VOUCH" sign -k "$TMPDIR/nokey.key" model
expect_rc 3 "$VOUCH" sign -k k.pub model
expect_rc 3 "$VOUCH" sign -k k.key "$TMPDIR/nothing"
expect_out 'nothing'
mkdir nosig; printf 'w' >nosig/w.bin
expect_cause 1 nosig/model.sig not-signed "$VOUCH" verify -p k.pub nosig
ok "exit codes 0/1/2/3"

[ "$BUGS" -eq 0 ] || fail "$BUGS bug(s) reported above"
