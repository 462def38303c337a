#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Issue 22 through the CLI (docs/provenance.md): documents signed with a
# model, `vouch sbom`, `vouch query`.
#  - a real torch model (a state_dict saved by /usr/bin/python3) gets an SBOM
#    from `vouch sbom --python /usr/bin/python3` that lists Debian's torch
#    1.13.0a0+gitunknown as pkg:pypi/torch@1.13.0a0%2Bgitunknown, valid
#    against the published CycloneDX 1.6 schema (python3-jsonschema, an
#    independent reader; schemas in tests/data/provenance with their origin);
#    the handwritten SPDX 2.3 SBOM is valid against SPDX's 2.3 schema;
#  - signed with the SBOM and an in-toto SLSA provenance statement by the
#    reference EC key with --method files: the bundle is exactly the strict
#    shape Sigstore clients accept, the documents are ordinary signed
#    resources whose digests match, the DSSE signature verifies with openssl
#    over the PAE, and the metadata lists each document (type, name, digest);
#  - vouch query: --dep 'torch<2.6' finds it (a pre-release with a local
#    label IS below 2.6), 'torch>=2.6' does not, a purl does; --cve by OSV id
#    and by alias finds it, a model whose SBOM lists the fixed 2.6.0+cpu is
#    not listed; --builder and --source filter; --json lines carry the path,
#    name, version, signer key id, component, version and advisory;
#  - a changed SBOM fails vouch verify and query reports the model
#    unverified (never its claims); a model signed by an untrusted key too;
#    a single file's documents go to F.vouch/ and are checked the same way;
#  - bad input: huge, deeply nested, non-UTF-8, duplicate-key documents,
#    wrong formats, malformed OSV ranges, versions no ordering can compare:
#    each a clear error (file and cause), no crash, nothing written.
. "$VOUCH_SRC/tests/lib.sh"

D=$VOUCH_DATA/provenance
VEC=$VOUCH_DATA/oms-vectors
"$PY" -c 'import torch' 2>/dev/null || skip "no torch for $PY (python3-torch)"
"$PY" -c 'import jsonschema' 2>/dev/null || skip "no python3-jsonschema (make deps)"
command -v openssl >/dev/null || skip "no openssl"
newkey k
newkey other

# ---- a real torch model and its SBOM ----
mkdir m
"$PY" - m <<'PYEOF' || fail "cannot save a torch model"
import sys, torch
torch.manual_seed(0)
torch.save(torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).state_dict(),
           sys.argv[1] + "/model.pt")
open(sys.argv[1] + "/config.json", "w").write('{"layers": 3}\n')
PYEOF
expect_rc 0 "$VOUCH" sbom --python "$PY" -o sbom.cdx.json m
grep -q '"purl": "pkg:pypi/torch@1.13.0a0%2Bgitunknown"' sbom.cdx.json ||
	fail "the SBOM does not list Debian's torch as pkg:pypi/torch@1.13.0a0%2Bgitunknown"
grep -q '"name": "model.pt"' sbom.cdx.json || fail "the SBOM does not list model.pt"
expect_rc 0 "$PY" "$D/validate.py" "$D/schemas" cyclonedx-1.6 sbom.cdx.json
expect_rc 0 "$PY" "$D/validate.py" "$D/schemas" spdx-2.3 "$D/sbom.spdx.json"
# The validator does refuse: a component type the schema does not know.
sed 's/"type": "library"/"type": "librarry"/' sbom.cdx.json >bad.cdx.json
expect_rc 1 "$PY" "$D/validate.py" "$D/schemas" cyclonedx-1.6 bad.cdx.json
# The same SBOM with --python an interpreter that fails, or is missing.
expect_rc 3 "$VOUCH" sbom --python /bin/false m
expect_out 'exit status 1'
expect_rc 3 "$VOUCH" sbom --python /nonexistent/python m
expect_out 'cannot be run'
ok "vouch sbom: torch 1.13.0a0+gitunknown, valid CycloneDX 1.6; SPDX 2.3 sample valid"

# ---- signing with documents; the interop check ----
expect_rc 0 "$VOUCH" sign -k "$VEC/keys/signing-key.pem" --method files --name resnet \
	--sbom sbom.cdx.json --provenance "$D/provenance.intoto.json" --attach model-card=m/config.json m
cmp -s sbom.cdx.json m/.vouch/sbom.cdx.json || fail "the SBOM was not copied byte for byte"
[ -f m/.vouch/provenance.json ] && [ -f m/.vouch/model-card.json ] || fail "documents not in m/.vouch"
"$PY" - m <<'PYEOF' || fail "the bundle with documents is not what Sigstore clients accept"
import base64, hashlib, json, os, sys
d = sys.argv[1]
b = json.load(open(os.path.join(d, "model.sig")))
def keys(o, want, where):
    assert isinstance(o, dict) and set(o) == set(want), (where, sorted(o) if isinstance(o, dict) else o)
keys(b, ["mediaType", "verificationMaterial", "dsseEnvelope"], "bundle")
keys(b["verificationMaterial"], ["publicKey", "tlogEntries"], "verificationMaterial")
env = b["dsseEnvelope"]
keys(env, ["payload", "payloadType", "signatures"], "dsseEnvelope")
assert len(env["signatures"]) == 1 and env["signatures"][0]["keyid"] == ""
P = base64.b64decode(env["payload"], validate=True)
st = json.loads(P)
assert st["predicateType"] == "https://model_signing/signature/v1.0"
res = st["predicate"]["resources"]
names = [r["name"] for r in res]
for want in (".vouch/sbom.cdx.json", ".vouch/provenance.json", ".vouch/model-card.json", "model.pt"):
    assert want in names, (want, names)
for r in res:
    assert r["digest"] == hashlib.sha256(open(os.path.join(d, r["name"]), "rb").read()).hexdigest(), r
root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
assert st["subject"][0]["digest"]["sha256"] == root
docs = st["predicate"]["https://vouch.dev/metadata/v1"]["documents"]
by = {x["type"]: x for x in docs}
assert set(by) == {"sbom", "provenance", "model-card"}, docs
assert by["sbom"]["format"] == "cyclonedx" and by["sbom"]["name"] == ".vouch/sbom.cdx.json", docs
assert by["provenance"]["format"] == "in-toto+slsa-provenance-v1", docs
for x in docs:
    assert x["digest"]["sha256"] == hashlib.sha256(open(os.path.join(d, x["name"]), "rb").read()).hexdigest(), x
T = env["payloadType"].encode()
open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(T), T, len(P), P))
open("sig.der", "wb").write(base64.b64decode(env["signatures"][0]["sig"], validate=True))
PYEOF
expect_rc 0 openssl dgst -sha384 -verify "$VEC/keys/signing-key-pub.pem" -signature sig.der pae.bin
expect_rc 0 "$VOUCH" verify -p "$VEC/keys/signing-key-pub.pem" m
ok "signed with SBOM, provenance, model card: strict bundle, documents signed, openssl verifies"
PUB=$VEC/keys/signing-key-pub.pem
KEYID=$("$VOUCH" verify -p "$PUB" m | sed -n 's/.*signed by \([0-9a-f]*\)).*/\1/p')
[ ${#KEYID} -eq 64 ] || fail "no key id from vouch verify"

# A model whose SBOM lists the fixed torch (SPDX), same key.
mkdir fixed
cp m/model.pt m/config.json fixed/
expect_rc 0 "$VOUCH" sign -k "$VEC/keys/signing-key.pem" --sbom "$D/sbom.spdx.json" fixed
# A model signed by a key the query does not trust.
mkdir stranger
cp m/model.pt stranger/
expect_rc 0 "$VOUCH" sign -k other.key --sbom sbom.cdx.json stranger
# A single file with a sidecar: documents in F.vouch/.
mkdir single
cp m/model.pt single/w.pt
expect_rc 0 "$VOUCH" sign -k "$VEC/keys/signing-key.pem" --sbom sbom.cdx.json single/w.pt
[ -f single/w.pt.vouch/sbom.cdx.json ] || fail "a single file's SBOM is not in F.vouch/"
expect_rc 0 "$VOUCH" verify -p "$PUB" single/w.pt

# ---- vouch query ----
expect_rc 0 "$VOUCH" query -p "$PUB" --dep 'torch<2.6' .
expect_out '^verified +\./m +resnet +1 .*torch 1\.13\.0a0\+gitunknown'
expect_out '^verified +\./single/w\.pt'
printf '%s\n' "$OUT" | grep -q '\./fixed' && fail "torch<2.6 listed the model with torch 2.6.0+cpu"
expect_out '^unverified +\./stranger .*untrusted-key'
expect_rc 0 "$VOUCH" query -p "$PUB" --dep 'torch>=2.6' .
expect_out '\./fixed .*torch 2\.6\.0\+cpu'
printf '%s\n' "$OUT" | grep -q '^verified *\./m ' && fail "torch>=2.6 listed the 1.13 model"
expect_rc 1 "$VOUCH" query -p "$PUB" --dep 'torch>=3,<4' m fixed
expect_rc 0 "$VOUCH" query -p "$PUB" --dep pkg:pypi/torch m
expect_rc 1 "$VOUCH" query -p "$PUB" --dep 'pkg:npm/torch' m
expect_rc 0 "$VOUCH" query -p "$PUB" --dep 'pkg:pypi/torch@1.13.0a0%2Bgitunknown' m
for id in CVE-2025-32434 GHSA-53q9-r3pm-6pq6; do
	expect_rc 0 "$VOUCH" query -p "$PUB" --cve "$id" --osv "$D/osv" m fixed single
	expect_out '^verified +m .*torch 1\.13\.0a0\+gitunknown +GHSA-53q9-r3pm-6pq6'
	printf '%s\n' "$OUT" | grep -q 'fixed' && fail "--cve $id listed the model with the fixed torch"
done
expect_rc 1 "$VOUCH" query -p "$PUB" --cve CVE-2025-32434 --osv "$D/osv" fixed
expect_rc 1 "$VOUCH" query -p "$PUB" --cve CVE-0000-00001 --osv "$D/osv" m fixed
expect_rc 3 "$VOUCH" query -p "$PUB" --cve CVE-1999-0001 --osv "$D/osv" m
expect_out 'no OSV record has id or alias CVE-1999-0001'
expect_rc 0 "$VOUCH" query -p "$PUB" --builder https://ci.example.com/runners/gpu-01 \
	--source git+https://git.example.com/ml/ .
expect_out '\./m '
expect_rc 1 "$VOUCH" query -p "$PUB" --builder https://ci.example.com/runners/gpu-0 m
expect_rc 1 "$VOUCH" query -p "$PUB" --source https://evil.example.com/ m
expect_rc 0 "$VOUCH" query -p "$PUB" --json --cve CVE-2025-32434 --osv "$D/osv" m
printf '%s\n' "$OUT" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
assert len(rows) == 1, rows
r = rows[0]
assert r["status"] == "match" and r["path"] == "m" and r["name"] == "resnet" and r["version"] == 1, r
assert r["signers"] == [sys.argv[1]], r
assert r["component"] == "torch" and r["component_version"] == "1.13.0a0+gitunknown", r
assert r["purl"] == "pkg:pypi/torch@1.13.0a0%2Bgitunknown" and r["advisory"] == "GHSA-53q9-r3pm-6pq6", r
assert r["builder"] == "https://ci.example.com/runners/gpu-01", r
' "$KEYID" || fail "--json row: $OUT"
# Default roots: the config's protected roots.
mkdir trust && cp "$PUB" trust/
cat >vouch.conf <<CONF
[vouch]
protect = $TMPDIR/m
trust = $TMPDIR/trust
CONF
expect_rc 0 "$VOUCH" query -c vouch.conf --dep torch
expect_out "$TMPDIR/m .*torch"
ok "query: torch<2.6, >=2.6, purls, --cve by id and alias, fixed not listed, builder, source, json, config roots"

# ---- tampering: never trusted for its claims ----
cp -a m m.orig
printf ' ' >>m/.vouch/sbom.cdx.json
expect_rc 1 "$VOUCH" verify -p "$PUB" m
expect_out '\.vouch/sbom\.cdx\.json: (size|hash)-mismatch'
expect_rc 1 "$VOUCH" query -p "$PUB" --dep torch m
expect_out '^unverified +m .*hash-mismatch: document \.vouch/sbom\.cdx\.json differs'
expect_rc 1 "$VOUCH" query -p "$PUB" --json m
expect_out '"status":"unverified"'
# Same size, one byte changed: still caught (the digest, not the size).
rm -rf m && cp -a m.orig m
"$PY" - m/.vouch/sbom.cdx.json <<'PYEOF'
import sys
p = sys.argv[1]; b = open(p, "rb").read()
open(p, "wb").write(b.replace(b"1.13.0a0+gitunknown", b"2.99.0a0+gitunknown", 1))
PYEOF
expect_rc 1 "$VOUCH" query -p "$PUB" --dep 'torch>=2.6' m
expect_out 'unverified .*hash-mismatch'
# The document replaced by a symlink to a good copy: refused.
rm -rf m && cp -a m.orig m
mv m/.vouch/sbom.cdx.json sbom.copy && ln -s "$TMPDIR/sbom.copy" m/.vouch/sbom.cdx.json
expect_rc 1 "$VOUCH" query -p "$PUB" --dep torch m
expect_out 'unverified .*symlink'
rm -rf m && cp -a m.orig m
# A weight changed: only --hash sees it (documents are always hashed).
flip_byte m/model.pt 100
expect_rc 0 "$VOUCH" query -p "$PUB" --dep torch m
expect_rc 1 "$VOUCH" query -p "$PUB" --hash --dep torch m
expect_out 'unverified .*hash-mismatch'
rm -rf m && cp -a m.orig m
printf 'x' >>single/w.pt.vouch/sbom.cdx.json
expect_rc 1 "$VOUCH" query -p "$PUB" --dep torch single
expect_out 'unverified +single/w\.pt .*hash-mismatch'
ok "a changed, replaced or symlinked document: unverified; --hash covers weights"

# ---- bad documents at signing: refused, nothing written ----
mkdir victim && cp m/config.json victim/
bad_doc() { # NAME OPTION PATTERN
	expect_rc 3 "$VOUCH" sign -k k.key $2 victim
	expect_out "$3"
	[ ! -e victim/model.sig ] && [ ! -e victim/.vouch ] || fail "$1: something was written"
	ok "refused: $1"
}
head -c 17000000 /dev/zero | tr '\0' ' ' >huge.json
bad_doc huge "--sbom huge.json" 'huge\.json: larger than 16 MiB'
"$PY" -c 'print("[" * 100000 + "]" * 100000)' >deep.json
bad_doc "deeply nested" "--attach scan=deep.json" 'deep\.json: scan document refused: nested deeper than 64'
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","name":"\377"}' >nonutf8.json
bad_doc non-UTF-8 "--sbom nonutf8.json" 'nonutf8\.json: sbom document refused: not valid JSON.*(UTF-8|decode)'
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[],"components":[{"type":"library","name":"torch","version":"9"}]}' >dup.json
bad_doc "duplicate key" "--sbom dup.json" 'dup\.json: sbom document refused: not valid JSON.*duplicate'
printf '{"bomFormat":"CycloneDX","specVersion":"1.4"}' >old.json
bad_doc "CycloneDX 1.4" "--sbom old.json" 'specVersion "1\.4" is not 1\.5 or 1\.6'
printf '{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT"}' >spdx22.json
bad_doc "SPDX 2.2" "--sbom spdx22.json" 'spdxVersion "SPDX-2\.2" is not'
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","purl":"torch"}]}' >badpurl.json
bad_doc "a bad purl" "--sbom badpurl.json" "component x: 'torch' is not a package URL"
sed 's#https://slsa.dev/provenance/v1#https://slsa.dev/provenance/v0.2#' "$D/provenance.intoto.json" >prov02.json
bad_doc "SLSA v0.2" "--provenance prov02.json" 'is not SLSA provenance v1'
printf '{"buildDefinition":{"buildType":"x","externalParameters":{}},"runDetails":{}}' >nobuilder.json
bad_doc "provenance without builder" "--provenance nobuilder.json" 'runDetails\.builder\.id is missing'
printf '"just a string"' >str.json
bad_doc "a string document" "--attach card=str.json" "str\.json: card document refused: not valid JSON.*expected"
bad_doc "an attach type" "--attach Card=str.json" "document type 'Card'"
ln -s "$D/sbom.spdx.json" link.json
bad_doc "a symlinked document" "--sbom link.json" 'link\.json: is a symlink'
bad_doc "a second sbom" "--sbom $D/sbom.spdx.json --attach sbom=sbom.cdx.json" 'a second sbom document'

# ---- bad OSV records, incomparable versions ----
mkdir osv-bad
printf '{"id":"BAD-1","aliases":["CVE-2025-32434"],"affected":[{"package":{"ecosystem":"PyPI","name":"torch"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"2.6.0"}]}]}]}' >osv-bad/a.json
expect_rc 3 "$VOUCH" query -p "$PUB" --cve CVE-2025-32434 --osv osv-bad m
expect_out 'osv-bad/a\.json: affected\[0\]: a ECOSYSTEM range without an introduced event'
printf '{"id":"BAD-2","affected":[{"package":{"ecosystem":"PyPI","name":"torch"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"2.6"}]}]}]}' >osv-bad/a.json
expect_rc 3 "$VOUCH" query -p "$PUB" --cve BAD-2 --osv osv-bad m
expect_out 'exactly one of'
printf '{"id":"BAD-3","affected":[{"package":{"ecosystem":"PyPI","name":"torch"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"two point six"}]}]}]}' >osv-bad/a.json
expect_rc 3 "$VOUCH" query -p "$PUB" --cve BAD-3 --osv osv-bad m
expect_out "'two point six' is not a PEP 440 version"
printf '{"id":"BAD-4","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0"}]}]}]}' >osv-bad/a.json
expect_rc 3 "$VOUCH" query -p "$PUB" --cve BAD-4 --osv osv-bad m
expect_out "'1\.0' is not a SemVer version"
printf '{"id": "BAD-5", "id": "CVE-X"}' >osv-bad/a.json
expect_rc 3 "$VOUCH" query -p "$PUB" --cve BAD-5 --osv osv-bad m
expect_out 'osv-bad/a\.json: not valid JSON.*duplicate'
# A version in a signed SBOM no ordering reads: an error naming it, exit 3.
"$PY" - "$D/sbom.spdx.json" <<'PYEOF' >weird.spdx.json
import json, sys
d = json.load(open(sys.argv[1]))
d["packages"][0]["versionInfo"] = "banana"
d["packages"][0]["externalRefs"][0]["referenceLocator"] = "pkg:pypi/torch@banana"
json.dump(d, sys.stdout)
PYEOF
mkdir weird && cp m/config.json weird/
expect_rc 0 "$VOUCH" sign -k k.key --sbom weird.spdx.json weird
expect_rc 3 "$VOUCH" query -p k.pub --dep 'torch<2.6' weird
expect_out "weird: 'banana' is not a PEP 440 version"
expect_rc 3 "$VOUCH" query -p k.pub --cve CVE-2025-32434 --osv "$D/osv" weird
expect_out "torch banana against GHSA-53q9-r3pm-6pq6"
expect_rc 1 "$VOUCH" query -p k.pub --dep 'numpy<1' weird
# Constraints that cannot be read: usage errors.
for dep in 'torch<' 'torch~=2.6' 'torch==2.*' 'torch<2.6,' 'pkg:pypi/torch@1.0<2' 'pkg:pypi/torch<not-a-version'; do
	expect_rc 2 "$VOUCH" query -p "$PUB" --dep "$dep" m
done
expect_rc 2 "$VOUCH" query -p "$PUB" --cve CVE-2025-32434 m
expect_out 'needs --osv'
ok "malformed OSV ranges, duplicate keys, incomparable versions, bad --dep: clear errors"
