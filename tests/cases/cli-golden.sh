#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Golden signatures (signify regress style): the committed throwaway key
# tests/keys/golden.key, the fixed model tests/data/golden-model/, a fixed
# SOURCE_DATE_EPOCH, --name and --version.  A fresh `vouch sign` must
# reproduce the committed .sig files byte for byte (Ed25519 is
# deterministic), the committed ones must verify (with vouch, and
# independently with Python + OpenSSL), and every forgery must fail.
. "$VOUCH_SRC/tests/lib.sh"

DATA=$VOUCH_SRC/tests/data
KEYID=24dfcb0e0f3436b7c7c9e946e3b8013452a030545035c2f73a3035e1e76b58e1
export SOURCE_DATE_EPOCH=1767225600

[ -f "$KEYS/golden.key" ] && [ -f "$KEYS/golden.pub" ] || fail "tests/keys/golden.* missing"
grep -q "$KEYID" "$KEYS/README" || fail "tests/keys/README does not give the golden key id"
grep -qi 'public test key\|PUBLIC TEST KEYS' "$KEYS/README" || fail "tests/keys/README does not say the key is public"
id=$(openssl pkey -pubin -in "$KEYS/golden.pub" -outform DER | sha256sum | cut -d' ' -f1)
[ "$id" = "$KEYID" ] || fail "golden.pub has key id $id, not $KEYID"

# A copy of the fixed model under the same folder name (the subject name),
# and of the key (git does not keep mode 0600).
cp -R "$DATA/golden-model" golden-model
cp "$KEYS/golden.key" golden.key; chmod 600 golden.key
cp "$KEYS/golden.pub" golden.pub
[ -f golden-model/__init__.py ] && [ ! -s golden-model/__init__.py ] ||
	fail "golden-model/__init__.py must exist and be empty"

# ---- a fresh signature reproduces the committed one byte for byte ----
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 3 --shard-size 4096 \
	-o shards.sig golden-model
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 3 --method files \
	-o files.sig golden-model
expect_rc 0 "$VOUCH" sign -k golden.key --name golden-weights --version 3 \
	-o file.sig golden-model/model.bin
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 3 --hash blake3 \
	-o blake3.sig golden-model
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 3 --hash blake2b --shard-size 4096 \
	-o blake2b.sig golden-model
for pair in shards.sig:golden-model.sig files.sig:golden-model.files.sig file.sig:golden-model.bin.sig \
	    blake3.sig:golden-model.blake3.sig blake2b.sig:golden-model.blake2b.sig; do
	new=${pair%%:*} old=$DATA/${pair#*:}
	cmp "$new" "$old" || { diff "$new" "$old" >&2; fail "$new differs from the committed $old"; }
done
# Signing in place (DIR/model.sig) gives the same bytes as -o.
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 3 --shard-size 4096 golden-model
cmp golden-model/model.sig "$DATA/golden-model.sig" || fail "in-place model.sig differs from the golden one"
rm golden-model/model.sig
# ... and each fixed input matters: another time, name or version changes it.
expect_rc 0 env SOURCE_DATE_EPOCH=1767225601 "$VOUCH" sign -k golden.key --name golden \
	--version 3 --shard-size 4096 -o other.sig golden-model
cmp -s other.sig "$DATA/golden-model.sig" && fail "SOURCE_DATE_EPOCH does not change the signature"
expect_rc 0 "$VOUCH" sign -k golden.key --name golden --version 4 --shard-size 4096 -o other.sig golden-model
cmp -s other.sig "$DATA/golden-model.sig" && fail "--version does not change the signature"
ok "fresh signatures reproduce the committed ones byte for byte"

# ---- the committed signatures verify ----
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.sig" golden-model
expect_out "verified \\(model golden, version 3, signed by $KEYID\\)"
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.files.sig" golden-model
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.blake3.sig" golden-model
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.blake2b.sig" golden-model
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.bin.sig" golden-model/model.bin
expect_out "model golden-weights, version 3"
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.sig" "$DATA/golden-model"
cp "$DATA/golden-model.sig" golden-model/model.sig
expect_rc 0 "$VOUCH" verify -p golden.pub golden-model
expect_rc 0 "$VOUCH" inspect --verify -p golden.pub golden-model/model.sig
expect_out "^VERIFIED: .*$KEYID"
rm golden-model/model.sig
ok "committed signatures verify"

# Independently of vouch: the DSSE signature with OpenSSL over the PAE, the
# root digest and every resource digest recomputed from the files.
"$PY" - "$DATA" golden.pub <<'EOF' || fail "independent verification of the golden signatures failed"
import base64, hashlib, json, os, subprocess, sys, tempfile
data, pub = sys.argv[1], sys.argv[2]
model = os.path.join(data, "golden-model")
for name in ("golden-model.sig", "golden-model.files.sig", "golden-model.bin.sig"):
    b = json.load(open(os.path.join(data, name)))
    assert set(b) == {"mediaType", "verificationMaterial", "dsseEnvelope"}, b.keys()
    assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    env = b["dsseEnvelope"]
    assert env["payloadType"] == "application/vnd.in-toto+json"
    assert len(env["signatures"]) == 1 and env["signatures"][0]["keyid"] == ""
    p = base64.b64decode(env["payload"], validate=True)
    t = env["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d " % (len(t), t, len(p)) + p
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "pae"), "wb").write(pae)
        open(os.path.join(d, "sig"), "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
        subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub,
                        "-in", os.path.join(d, "pae"), "-sigfile", os.path.join(d, "sig")],
                       check=True, stdout=subprocess.DEVNULL)
    st = json.loads(p)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://model_signing/signature/v1.0"
    res = st["predicate"]["resources"]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
    assert st["subject"][0]["digest"]["sha256"] == root, name
    single = name == "golden-model.bin.sig"
    assert st["subject"][0]["name"] == ("model.bin" if single else "golden-model"), st["subject"]
    ser = st["predicate"]["serialization"]
    for r in res:
        if ser["method"] == "shards":
            path, start, end = r["name"].split(":")
            start, end = int(start), int(end)
            assert r["algorithm"] == "sha256-sharded-%d" % ser["shard_size"]
        else:
            path, start, end = r["name"], 0, None
            assert r["algorithm"] == "sha256"
        f = os.path.join(data, "golden-model", "model.bin") if path == "." else os.path.join(model, path)
        blob = open(f, "rb").read()[start:end]
        assert hashlib.sha256(blob).hexdigest() == r["digest"], r["name"]
    if not single:
        assert ser["ignore_paths"] == sorted(ser["ignore_paths"]), ser["ignore_paths"]
print("independent check ok")
EOF
ok "golden signatures verify independently (OpenSSL + Python)"

# ---- forgeries fail ----
newkey mallory
# (a) the payload edited, signature kept.
"$PY" "$VOUCH_SRC/tests/resign.py" "$DATA/golden-model.sig" forged.sig - \
	'st["predicate"]["https://vouch.dev/metadata/v1"]["version"] = 4'
expect_rc 1 "$VOUCH" verify -p golden.pub -s forged.sig golden-model
expect_out 'vouch: forged\.sig: bad-signature'
# (b) another key's signature over the edited payload, the bundle still
# hinting at the golden key.
openssl genpkey -algorithm ed25519 -out mallory.pem 2>/dev/null
"$PY" "$VOUCH_SRC/tests/resign.py" "$DATA/golden-model.sig" forged.sig mallory.pem \
	'st["predicate"]["https://vouch.dev/metadata/v1"]["version"] = 4'
expect_rc 1 "$VOUCH" verify -p golden.pub -s forged.sig golden-model
expect_out 'vouch: forged\.sig: bad-signature'
# (c) the same model honestly signed by another key: not trusted.
expect_rc 0 "$VOUCH" sign -k mallory.key --name golden --version 3 --shard-size 4096 -o mallory.sig golden-model
expect_rc 1 "$VOUCH" verify -p golden.pub -s mallory.sig golden-model
expect_out 'vouch: mallory\.sig: untrusted-key'
# (d) the signature of one golden bundle moved into another.
"$PY" - "$DATA/golden-model.sig" "$DATA/golden-model.files.sig" forged.sig <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a["dsseEnvelope"]["signatures"] = b["dsseEnvelope"]["signatures"]
json.dump(a, open(sys.argv[3], "w"), indent=2)
EOF
expect_rc 1 "$VOUCH" verify -p golden.pub -s forged.sig golden-model
expect_out 'vouch: forged\.sig: bad-signature'
# (e) the golden signature over a modified model.
flip_byte golden-model/model.bin 5000
expect_rc 1 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.sig" golden-model
expect_out 'vouch: model\.bin: hash-mismatch'
expect_rc 1 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.files.sig" golden-model
expect_out 'vouch: model\.bin: hash-mismatch'
flip_byte golden-model/model.bin 5000
# (f) a one-byte change anywhere in the committed bundle's signature.
"$PY" - "$DATA/golden-model.sig" forged.sig <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1])); s = b["dsseEnvelope"]["signatures"][0]
sig = bytearray(base64.b64decode(s["sig"])); sig[-1] ^= 0x80
s["sig"] = base64.b64encode(bytes(sig)).decode()
json.dump(b, open(sys.argv[2], "w"), indent=2)
EOF
expect_rc 1 "$VOUCH" verify -p golden.pub -s forged.sig golden-model
expect_out 'vouch: forged\.sig: bad-signature'
expect_rc 0 "$VOUCH" verify -p golden.pub -s "$DATA/golden-model.sig" golden-model
ok "forgeries fail"
