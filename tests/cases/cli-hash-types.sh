#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-hash-types (issue 20): the three hash types model_signing allows.
#  [1] vouch sign --hash sha256|blake2b|blake3 verifies; a flipped byte is
#      hash-mismatch under each; blake2b shards, blake3 per file (--method
#      shards falls back, as the reference does), reported on stderr.
#  [2] the digests vouch signs are the reference tools' own: every blake3
#      resource equals Debian's b3sum of the file, every blake2b one b2sum's
#      (coreutils, BLAKE2b-512), and the root is SHA-256 over the raw digest
#      bytes in payload order (oms-spec §8, computed here in Python).
#  [3] an EC-key (the vectors' signing key) blake3 signature has exactly the
#      serialization the reference writes: method files, hash_type blake3,
#      one resource per file named by its path with algorithm blake3.
#  [4] a bundle built in this test with no vouch code at all (b3sum digests,
#      a statement in the reference form, the PAE signed by openssl with the
#      vectors' EC key) verifies; then each mutation, re-signed so that only
#      the manifest is wrong, is refused with its cause: a flipped digest
#      (hash-mismatch), a dropped resource (not-in-manifest), an added one
#      (missing), hash_type sha256 over blake3 digests (hash-mismatch),
#      blake2b with 32-byte digests (malformed), an unknown hash_type and
#      blake3 with shards (unsupported), a wrong root (malformed).
. "$VOUCH_SRC/tests/lib.sh"
command -v b3sum >/dev/null || fail "b3sum is not installed (make deps installs it)"
command -v b2sum >/dev/null || fail "b2sum (coreutils) is missing"
VEC=$VOUCH_DATA/oms-vectors
newkey k

# ---- [1] ----
for h in sha256 blake2b blake3; do
	mkmodel "m-$h"
	head -c 2500000 /dev/urandom >"m-$h/big.bin"
	expect_rc 0 "$VOUCH" sign -k k.key --hash "$h" --method shards --shard-size 1048576 "m-$h"
	case $h in blake3) expect_out "note: --hash blake3 signs one digest per file" ;; esac
	expect_rc 0 "$VOUCH" verify -p k.pub "m-$h"
	expect_out "m-$h: verified"
	cp -r "m-$h" "t-$h"
	flip_byte "t-$h/big.bin" 2000000
	expect_rc 1 "$VOUCH" verify -p k.pub "t-$h"
	expect_out "big\.bin: hash-mismatch"
done
expect_rc 2 "$VOUCH" sign -k k.key --hash md5 m-sha256
expect_out "--hash must be sha256, blake2b or blake3"
ok "[1] sha256, blake2b and blake3 signatures verify; a flipped byte is hash-mismatch under each"

# ---- [2] and [3] ----
cp -r "$VOUCH_DATA/golden-model" ec-model
expect_rc 0 "$VOUCH" sign -k "$VEC/keys/signing-key.pem" --hash blake3 ec-model
expect_rc 0 "$VOUCH" verify -p "$VEC/keys/signing-key-pub.pem" ec-model
for d in m-blake3 m-blake2b ec-model; do
	( cd "$d" && find . -type f ! -name model.sig | sed 's|^\./||' | sort | while read -r f; do
		printf '%s %s %s\n' "$f" "$(b3sum --no-names "$f")" "$(b2sum "$f" | cut -d' ' -f1)"
	done ) >"$d.oracle" || fail "oracle digests of $d"
done
"$PY" - <<'PYEOF' || fail "the signed digests are not the reference tools' own"
import base64, hashlib, json, sys

def statement(d):
    b = json.load(open(d + "/model.sig"))
    return json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))

def oracle(d):
    out = {}
    for line in open(d + ".oracle"):
        name, b3, b2 = line.split()
        out[name] = (b3, b2)
    return out

for d, kind in (("m-blake3", "blake3"), ("ec-model", "blake3"), ("m-blake2b", "blake2b")):
    st, want = statement(d), oracle(d)
    ser, res = st["predicate"]["serialization"], st["predicate"]["resources"]
    assert ser["hash_type"] == kind, ser
    root = hashlib.sha256()
    for r in res:
        root.update(bytes.fromhex(r["digest"]))
    assert st["subject"][0]["digest"]["sha256"] == root.hexdigest(), (d, "root")
    if kind == "blake3":
        # [3] the reference's form: per file, algorithm = hash_type, names = paths
        assert ser["method"] == "files" and "shard_size" not in ser, ser
        got = {r["name"]: r["digest"] for r in res}
        assert all(r["algorithm"] == "blake3" for r in res), res
        assert got == {n: v[0] for n, v in want.items()}, (d, got, want)
    else:
        # blake2b shards: each shard's digest is b2sum of those bytes
        assert ser["method"] == "shards", ser
        algo = "blake2b-sharded-%d" % ser["shard_size"]
        for r in res:
            assert r["algorithm"] == algo, r
            path, start, end = r["name"].rsplit(":", 2)
            with open(d + "/" + path, "rb") as f:
                f.seek(int(start))
                data = f.read(int(end) - int(start))
            assert r["digest"] == hashlib.blake2b(data).hexdigest(), r
            if int(start) == 0 and int(end) == len(open(d + "/" + path, "rb").read()):
                assert r["digest"] == want[path][1], (r, want[path])
PYEOF
ok "[2] blake3 digests are b3sum's, blake2b digests b2sum's (and hashlib's per shard), root = SHA-256 of the digests"
ok "[3] an EC-key --hash blake3 signature has the reference's serialization (files, blake3, one per file)"

# ---- [4] ----
mkdir ind
head -c 1500000 /dev/urandom >ind/weights.bin
printf '{"layers": 2}\n' >ind/config.json
( cd ind && for f in config.json weights.bin; do printf '%s %s\n' "$f" "$(b3sum --no-names "$f")"; done ) >ind.digests
# build NAME EDIT: ind-NAME/ with a bundle whose statement EDIT changed
# (Python, over the dict st), signed anew with the vectors' EC key.
build() {
	rm -rf "ind-$1" && cp -r ind "ind-$1" || fail "copy ind-$1"
	"$PY" - "$VEC/keys/signing-key-pub.pem" "ind-$1" "$2" <<'PYEOF' >"ind-$1/pae.bin" || fail "statement $1"
import hashlib, json, sys
pub, d, edit = sys.argv[1:4]
res = []
for line in open("ind.digests"):
    name, dg = line.split()
    res.append({"name": name, "algorithm": "blake3", "digest": dg})
st = {"_type": "https://in-toto.io/Statement/v1",
      "subject": [{"name": "ind", "digest": {}}],
      "predicateType": "https://model_signing/signature/v1.0",
      "predicate": {"serialization": {"method": "files", "hash_type": "blake3",
                                      "allow_symlinks": False,
                                      "ignore_paths": ["model.sig", "pae.bin", "payload"]},
                    "resources": res}}
exec(edit)
if not st["subject"][0]["digest"]:
    root = hashlib.sha256()
    for r in st["predicate"]["resources"]:
        root.update(bytes.fromhex(r["digest"]))
    st["subject"][0]["digest"]["sha256"] = root.hexdigest()
payload = json.dumps(st, separators=(",", ":")).encode()
open(d + "/payload", "wb").write(payload)
t = b"application/vnd.in-toto+json"
sys.stdout.buffer.write(b"DSSEv1 %d %s %d " % (len(t), t, len(payload)) + payload)
PYEOF
	# The vectors' key is P-384: ECDSA with SHA-384, as the reference signs.
	openssl dgst -sha384 -sign "$VEC/keys/signing-key.pem" -out "ind-$1/sig.der" "ind-$1/pae.bin" ||
		fail "signing $1"
	"$PY" - "$VEC/keys/signing-key-pub.pem" "ind-$1" <<'PYEOF' || fail "bundle $1"
import base64, hashlib, json, sys
pub, d = sys.argv[1:3]
b = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": hashlib.sha256(open(pub, "rb").read()).hexdigest()},
                              "tlogEntries": []},
     "dsseEnvelope": {"payload": base64.b64encode(open(d + "/payload", "rb").read()).decode(),
                      "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": base64.b64encode(open(d + "/sig.der", "rb").read()).decode()}]}}
json.dump(b, open(d + "/model.sig", "w"))
PYEOF
	rm -f "ind-$1/payload" "ind-$1/pae.bin" "ind-$1/sig.der"
}
# refused NAME CAUSE EDIT
refused() {
	build "$1" "$3"
	expect_rc 1 "$VOUCH" verify -p "$VEC/keys/signing-key-pub.pem" "ind-$1"
	expect_out "$2"
}
build good "pass"
expect_rc 0 "$VOUCH" verify -p "$VEC/keys/signing-key-pub.pem" ind-good
expect_out "ind-good: verified"
ok "[4] a blake3 bundle built from b3sum digests with no vouch code verifies"
R='st["predicate"]["resources"]'
refused flip "weights\.bin: hash-mismatch" "$R[1]['digest'] = $R[1]['digest'][:-1] + ('0' if $R[1]['digest'][-1] != '0' else '1')"
refused drop "weights\.bin: not-in-manifest" "del $R[1]"
refused add "extra\.bin: missing" "$R.append({'name': 'extra.bin', 'algorithm': 'blake3', 'digest': '00' * 32})"
refused relabel "hash-mismatch" "st['predicate']['serialization']['hash_type'] = 'sha256'
for r in $R: r['algorithm'] = 'sha256'"
refused short2b "malformed .*blake2b digest" "st['predicate']['serialization']['hash_type'] = 'blake2b'
for r in $R: r['algorithm'] = 'blake2b'"
refused md5 "unsupported .*hash_type md5" "st['predicate']['serialization']['hash_type'] = 'md5'"
refused b3shards "unsupported .*blake3 with method shards" "st['predicate']['serialization'].update(method='shards', shard_size=1048576)
for r in $R: r.update(name=r['name'] + ':0:1', algorithm='blake3-sharded-1048576')"
refused root "malformed" "st['subject'][0]['digest']['sha256'] = '00' * 32"
ok "[4] flipped, dropped, added, relabelled, short, unknown, sharded-blake3 and wrong-root manifests refused with their causes"
