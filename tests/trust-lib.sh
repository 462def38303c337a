# SPDX-License-Identifier: Apache-2.0
# Signing pieces for the signer-counting cases (cli-trust-count.sh,
# fs-trust-count.sh; issue 25), made fresh in $TMPDIR/pki.  Source after
# lib.sh.  Nothing is written to $VOUCH_DATA: the vectors are read only.
#
# Certificates are issued with `openssl ca` by the vectors' test
# intermediate (keys/int-ca-cert.pem + keys/int-ca-priv.pem, the reference
# project's throwaway test PKI, README there), so they chain to the same
# root keys/ca-cert.pem the certificate vectors chain to.  Each leaf has a
# fresh P-256 key and re-signs the payload of v1.1.0-certificate (the DSSE
# PAE, `openssl dgst -sha256 -sign`), so the bundle differs from the vector
# only in who signed it:
#   pki/NAME.sig   a bundle signed by leaf NAME (leaf + the intermediate)
#   pki/NAME.pem   the leaf; pki/NAME.key its key; pki/NAME.fp its SHA-256
#                  fingerprint (lowercase hex, as `revoked` takes it)
# Leaves (subject, usage, validity):
#   alice1, alice2  CN=alice, code signing, valid now: one subject, 2 keys
#   ALICE           CN=ALICE (the same name in other case)
#   bob             CN=bob, code signing
#   expired         CN=alice, code signing, valid 2025-06-01..2025-07-01
#   server          CN=alice, keyUsage digitalSignature + EKU serverAuth
#   mallory         CN=mallory, code signing
#   sanbob          CN=mallory + SAN email bob@example.com
#   sanevil         CN=alice + SAN email bob@example.com.evil.net
# Sigstore bundles edited from the vectors (no re-signing needed):
#   pki/unlogged.sig    v1.1.0-sigstore relabelled media type
#                       ...bundle+json;version=0.1, inclusionPromise (SET) and
#                       inclusionProof deleted: only the RFC 3161 time left
#   pki/v01-noset.sig   the same label, SET deleted, proof kept
#   pki/v02-noproof.sig label version=0.2, proof deleted, SET kept
#   pki/v09.sig         label version=0.9 (no such bundle version)
#   pki/noset.sig       v1.1.0-sigstore as it is (v0.3) without its SET:
#                       proof + checkpoint + TSA time, a legitimate bundle
#   pki/legacy.sig      v1.0.0-sigstore in the older form: its certificate
#                       moved to x509CertificateChain, label version=0.2
#   pki/alice1-key.sig  alice1's signature as a bare-key bundle (publicKey
#                       hint), pki/alice1.pub its key: one key reached as a
#                       trusted key and through a certificate
# EC key copies (P-256 key pki/ec.key signs pki/ecmodel):
#   pki/ec.pub, pki/ec-explicit.pub (openssl ec -param_enc explicit),
#   pki/ec-compressed.pub (-conv_form compressed); pki/ecmodel/model.sig.d/
#   copy.sig is the primary signature again, its hint naming the explicit
#   copy (so a verifier that trusts both tries that one first).
command -v openssl >/dev/null 2>&1 || skip "no openssl"
VEC=$VOUCH_DATA/oms-vectors
[ -d "$VEC" ] || fail "no OMS vectors at $VEC (they are part of the repository: tests/data)"
CA=$VEC/keys/ca-cert.pem
SS_ROOT=$VEC/sigstore-trusted-root.json
SS_ID=stefanb@us.ibm.com
SS_ISS=https://sigstore.verify.ibm.com/oauth2
PKI=$TMPDIR/pki

# model DIR VECTOR BUNDLE [COSIG...]: a copy of VECTOR's signed files
# (signme-1, signme-2) signed by BUNDLE, each COSIG in DIR/model.sig.d/.
model() {
	d=$1 v=$2 b=$3; shift 3
	mkdir -p "$d" && cp "$VEC/$v/signme-1" "$VEC/$v/signme-2" "$d/" &&
		cp "$b" "$d/model.sig" || fail "model $d"
	for c in "$@"; do
		mkdir -p "$d/model.sig.d" && cp "$c" "$d/model.sig.d/$(basename "$c")" || fail "cosig $c"
	done
}

# pki_issue NAME CN EXTENSIONS [START END]: a leaf of the vectors'
# intermediate CA (ca.cnf's extension sections), $PKI/NAME.{key,pem,fp}.
pki_issue() {
	dates="-days 30"
	[ -n "${4:-}" ] && dates="-startdate $4 -enddate $5"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null &&
	openssl req -new -key "$PKI/$1.key" -subj "/CN=$2" -out "$PKI/$1.csr" 2>/dev/null &&
	openssl ca -batch -config "$PKI/ca.cnf" -cert "$VEC/keys/int-ca-cert.pem" \
		-keyfile "$VEC/keys/int-ca-priv.pem" -extensions "$3" $dates -notext \
		-in "$PKI/$1.csr" -out "$PKI/$1.pem" >/dev/null 2>&1 &&
	openssl x509 -in "$PKI/$1.pem" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' >"$PKI/$1.fp" || fail "issuing leaf $1"
}

# pki_bundle NAME: $PKI/NAME.sig, the v1.1.0-certificate payload signed by
# the leaf NAME (after pki_make, which makes the shared pae.bin).
pki_bundle() {
	"$PY" - "$VEC" "$PKI" "$1" <<'EOF' || fail "bundle for leaf $1"
import base64, json, os, subprocess, sys
vec, pki, name = sys.argv[1:4]
with open(os.path.join(vec, "v1.1.0-certificate", "model.sig")) as f:
    b = json.load(f)
der = subprocess.run(["openssl", "x509", "-in", os.path.join(pki, name + ".pem"), "-outform", "DER"],
                     check=True, capture_output=True).stdout
b["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] = \
    base64.b64encode(der).decode()
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(pki, name + ".key"),
                      os.path.join(pki, "pae.bin")], check=True, capture_output=True).stdout
b["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(sig).decode()
with open(os.path.join(pki, name + ".sig"), "w") as f:
    json.dump(b, f, indent=2)
EOF
}

pki_make() {
	mkdir -p "$PKI/new" && : >"$PKI/index.txt" && echo 1000 >"$PKI/serial" || fail "pki dir"
	cat >"$PKI/ca.cnf" <<EOF
[ca]
default_ca = int
[int]
database = $PKI/index.txt
new_certs_dir = $PKI/new
serial = $PKI/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = optional
[code]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[sanbob]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = email:bob@example.com
authorityKeyIdentifier = keyid
[sanevil]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = email:bob@example.com.evil.net
authorityKeyIdentifier = keyid
EOF
	# NAME CN EXTENSIONS [START END]
	while read -r name cn ext start end; do
		pki_issue "$name" "$cn" "$ext" $start $end
	done <<EOF
alice1 alice code
alice2 alice code
ALICE ALICE code
bob bob code
expired alice code 20250601000000Z 20250701000000Z
server alice server
mallory mallory code
sanbob mallory sanbob
sanevil alice sanevil
EOF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ec.key" 2>/dev/null &&
	openssl pkey -in "$PKI/ec.key" -pubout -out "$PKI/ec.pub" &&
	openssl ec -pubin -in "$PKI/ec.pub" -param_enc explicit -pubout -out "$PKI/ec-explicit.pub" 2>/dev/null &&
	openssl ec -pubin -in "$PKI/ec.pub" -conv_form compressed -pubout -out "$PKI/ec-compressed.pub" 2>/dev/null ||
		fail "EC key copies"
	mkdir "$PKI/ecmodel" && head -c 4096 /dev/urandom >"$PKI/ecmodel/w.bin" &&
		"$VOUCH" sign -k "$PKI/ec.key" --name ecmodel --version 1 "$PKI/ecmodel" >/dev/null 2>&1 ||
		fail "signing with the EC key"
	"$PY" - "$VEC" "$PKI" <<'EOF' || fail "making the bundles"
import base64, copy, hashlib, json, os, subprocess, sys
vec, pki = sys.argv[1], sys.argv[2]

def load(p):
    with open(p) as f:
        return json.load(f)

def save(b, p):
    with open(p, "w") as f:
        json.dump(b, f, indent=2)

def der(pem):
    return subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"],
                          check=True, capture_output=True).stdout

# Leaf bundles: v1.1.0-certificate's payload, signed again by each leaf.
cert = load(os.path.join(vec, "v1.1.0-certificate", "model.sig"))
payload = base64.b64decode(cert["dsseEnvelope"]["payload"])
t = cert["dsseEnvelope"]["payloadType"].encode()
pae = b"DSSEv1 %d %s %d " % (len(t), t, len(payload)) + payload
with open(os.path.join(pki, "pae.bin"), "wb") as f:
    f.write(pae)
for name in ["alice1", "alice2", "ALICE", "bob", "expired", "server", "mallory", "sanbob", "sanevil"]:
    b = copy.deepcopy(cert)
    chain = b["verificationMaterial"]["x509CertificateChain"]["certificates"]
    chain[0]["rawBytes"] = base64.b64encode(der(os.path.join(pki, name + ".pem"))).decode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(pki, name + ".key"),
                          os.path.join(pki, "pae.bin")], check=True, capture_output=True).stdout
    b["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(sig).decode()
    save(b, os.path.join(pki, name + ".sig"))

# alice1's signature again, as a bare-key bundle.
pub = subprocess.run(["openssl", "pkey", "-in", os.path.join(pki, "alice1.key"), "-pubout"],
                     check=True, capture_output=True).stdout
with open(os.path.join(pki, "alice1.pub"), "wb") as f:
    f.write(pub)
b = load(os.path.join(pki, "alice1.sig"))
b["verificationMaterial"] = {"publicKey": {"hint": hashlib.sha256(pub).hexdigest()}, "tlogEntries": []}
save(b, os.path.join(pki, "alice1-key.sig"))

# Sigstore relabels.
V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
ss = load(os.path.join(vec, "v1.1.0-sigstore", "model.sig"))
def edit(label, drop):
    b = copy.deepcopy(ss)
    if label:
        b["mediaType"] = label
    for k in drop:
        del b["verificationMaterial"]["tlogEntries"][0][k]
    return b
save(edit(V01, ["inclusionPromise", "inclusionProof"]), os.path.join(pki, "unlogged.sig"))
save(edit(V01, ["inclusionPromise"]), os.path.join(pki, "v01-noset.sig"))
save(edit(V02, ["inclusionProof"]), os.path.join(pki, "v02-noproof.sig"))
save(edit("application/vnd.dev.sigstore.bundle+json;version=0.9", []), os.path.join(pki, "v09.sig"))
save(edit(None, ["inclusionPromise"]), os.path.join(pki, "noset.sig"))
lg = load(os.path.join(vec, "v1.0.0-sigstore", "model.sig"))
vm = lg["verificationMaterial"]
vm["x509CertificateChain"] = {"certificates": [vm.pop("certificate")]}
lg["mediaType"] = V02
save(lg, os.path.join(pki, "legacy.sig"))

# The EC model's cosignature: the same signature, hinting the explicit copy.
def pem_hint(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
b = load(os.path.join(pki, "ecmodel", "model.sig"))
b["verificationMaterial"]["publicKey"]["hint"] = pem_hint(os.path.join(pki, "ec-explicit.pub"))
os.makedirs(os.path.join(pki, "ecmodel", "model.sig.d"))
save(b, os.path.join(pki, "ecmodel", "model.sig.d", "copy.sig"))
EOF
}
