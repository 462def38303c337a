#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Issue 6 through the CLI: the 13 OMS interoperability vectors made by the
# reference tool model_signing ($VOUCH_DATA/oms-vectors, README there)
# verify with `vouch verify`, and in a temporary copy of each every mutation
# that applies to its method is rejected with exit 1 and its cause:
#   a byte of a signed file flipped      -> NAME: hash-mismatch
#   a signed file removed                -> NAME: missing
#   an unsigned file added               -> NAME: not-in-manifest (0 with
#                                           --ignore-unsigned-files)
#   a resource digest edited in the payload, not re-signed:
#     root digest left stale             -> model.sig: malformed (the parser
#                                           finds the manifest inconsistent)
#     root digest recomputed             -> model.sig: bad-signature (key
#                                           mode before v1.1: untrusted-key,
#                                           see below)
#     v0.2.0 (no root digest)            -> model.sig: bad-signature
#   a signature bit flipped              -> model.sig: bad-signature, or
#                                           untrusted-key in key mode before
#                                           v1.1 (no publicKey.hint: a bad
#                                           signature and a key that is not
#                                           trusted look the same)
#   a wrong key / a look-alike CA (self-signed CN=root-ca) / the
#   intermediate alone as CA / the wrong Sigstore identity or issuer
#                                        -> model.sig: untrusted-key
#   a Rekor field edited (integratedTime, a byte of canonicalizedBody,
#   logIndex, an inclusion-proof hash, the checkpoint size) or the RFC 3161
#   token (v1.1.0)                       -> model.sig: bad-signature
# Also: v1.0.1-* need --ignore-paths ignore-me (given relative to the model
# or with the model path in front), v1.1.0-* pass with or without it; a
# Sigstore vector without --sigstore-root fails naming the options; and
# `vouch sign --method files` with the reference EC key makes the exact
# bundle model_signing 1.1 makes (docs/format.md, "What vouch writes",
# "Public key and the key hint", "Root digest"), checked with Python
# and an independent `openssl dgst` over the DSSE PAE.
# The vectors are read-only test data: every mutation is made in a copy.
# Known CLI defects are printed as BUG lines and fail the case at the end
# (after every other check ran): --ignore-paths given cwd-relative/absolute
# or with a trailing '/', and incomplete keyless options (--identity/--issuer
# without --sigstore-root, --sigstore-root without them).
. "$VOUCH_SRC/tests/lib.sh"

VEC=$VOUCH_DATA/oms-vectors
[ -d "$VEC" ] || fail "no OMS vectors at $VEC (they are part of the repository: tests/data)"
command -v openssl >/dev/null 2>&1 || skip "no openssl"
PUB=$VEC/keys/signing-key-pub.pem
CA=$VEC/keys/ca-cert.pem
INTCA=$VEC/keys/int-ca-cert.pem
TR=$VEC/sigstore-trusted-root.json
ID=stefanb@us.ibm.com
ISS=https://sigstore.verify.ibm.com/oauth2
VECTORS="v0.2.0-certificate v0.3.1-certificate v1.0.0-certificate v1.0.1-certificate
v1.1.0-certificate v0.3.1-elliptic-key v1.0.0-elliptic-key v1.0.1-elliptic-key
v1.1.0-elliptic-key v0.3.1-sigstore v1.0.0-sigstore v1.0.1-sigstore v1.1.0-sigstore"

# expect_cause RC NAME CAUSE CMD...: exit RC and a line "vouch: NAME: CAUSE".
# bug MSG: a defect that should fail the case, checked after the rest ran.
# has TEXT: $OUT contains TEXT (no grep: this case runs ~250 commands).
BUGS=0
bug() { echo "BUG: $*" >&2; BUGS=$((BUGS + 1)); }
has_q() { case $OUT in *"$1"*) return 0 ;; esac; return 1; }
has() { has_q "$1" || { printf '%s\n' "$OUT" >&2; fail "output lacks '$1'"; }; }
expect_cause() {
	rc=$1 name=$2 cause=$3; shift 3
	expect_rc "$rc" "$@"
	has_q "vouch: $name: $cause" ||
		{ printf '%s\n' "$OUT" >&2; fail "no 'vouch: $name: $cause' line from: $*"; }
}

# A wrong P-384 key and a look-alike root: self-signed, same name CN=root-ca.
openssl ecparam -genkey -name secp384r1 2>/dev/null | openssl pkey -pubout -out wrong.pub ||
	fail "openssl: wrong key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout lookalike.key -subj /CN=root-ca \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	-days 3650 -out lookalike.pem >/dev/null 2>&1 || fail "openssl: look-alike CA"

# Every mutated file, made up front in one Python run (its start-up is the
# slow part): mut/V/OP.sig is V's model.sig edited by OP, still valid JSON;
# mut/V/signme-1 is V's signme-1 with one bit of its first byte flipped.
cat >mutate.py <<'EOF'
import base64, hashlib, json, os, sys
vec, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]

def flip_hex(h):
    return ("1" if h[0] != "1" else "2") + h[1:]

def flip_b64(s, at):
    r = bytearray(base64.b64decode(s))
    r[at % len(r)] ^= 0x01
    return base64.b64encode(bytes(r)).decode()

def mutate(b, op):
    env, vm = b["dsseEnvelope"], b["verificationMaterial"]
    tl = (vm.get("tlogEntries") or [None])[0]
    if op in ("digest", "digest-root"):
        st = json.loads(base64.b64decode(env["payload"]))
        pr = st["predicate"]
        if "resources" in pr:            # v1.0 predicate
            pr["resources"][0]["digest"] = flip_hex(pr["resources"][0]["digest"])
            if op == "digest-root":
                st["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"".join(
                    bytes.fromhex(r["digest"]) for r in pr["resources"])).hexdigest()
        else:                            # v0.2 Digests/v0.1: one subject per file
            d = st["subject"][0]["digest"]
            d["sha256"] = flip_hex(d["sha256"])
        env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
    elif op == "sigbit":
        sig = env["signatures"][0]
        sig["sig"] = flip_b64(sig["sig"], len(base64.b64decode(sig["sig"])) // 2)
    elif op == "rekor-time":
        tl["integratedTime"] = str(int(tl["integratedTime"]) + 1)
    elif op == "rekor-body":
        body = json.loads(base64.b64decode(tl["canonicalizedBody"]))
        h = body["spec"]["envelopeHash"]
        h["value"] = flip_hex(h["value"])
        tl["canonicalizedBody"] = base64.b64encode(
            json.dumps(body, separators=(",", ":")).encode()).decode()
    elif op == "rekor-index":
        tl["logIndex"] = str(int(tl["logIndex"]) + 1)
    elif op == "rekor-proof":
        p = tl["inclusionProof"]
        p["hashes"][0] = flip_b64(p["hashes"][0], 0)
    elif op == "rekor-checkpoint":
        cp = tl["inclusionProof"]["checkpoint"]
        lines = cp["envelope"].split("\n")
        lines[1] = str(int(lines[1]) + 1)
        cp["envelope"] = "\n".join(lines)
    elif op == "tsa":
        ts = vm["timestampVerificationData"]["rfc3161Timestamps"][0]
        ts["signedTimestamp"] = flip_b64(ts["signedTimestamp"], -20)
    else:
        sys.exit("mutate: unknown op " + op)

for v in names:
    os.makedirs(os.path.join(out, v))
    with open(os.path.join(vec, v, "signme-1"), "rb") as f:
        data = bytearray(f.read())
    data[0] ^= 0x01
    with open(os.path.join(out, v, "signme-1"), "wb") as f:
        f.write(data)
    ops = ["digest", "digest-root", "sigbit"]
    if v.endswith("-sigstore"):
        ops += ["rekor-time", "rekor-body", "rekor-index", "rekor-proof", "rekor-checkpoint"]
        if v.startswith("v1.1"):
            ops += ["tsa"]
    for op in ops:
        with open(os.path.join(vec, v, "model.sig")) as f:
            b = json.load(f)
        mutate(b, op)
        with open(os.path.join(out, v, op + ".sig"), "w") as f:
            json.dump(b, f, indent=2)
EOF
"$PY" mutate.py "$VEC" mut $VECTORS || fail "making the mutated files"

# setup V: a writable copy of vector V at ./V; sets M (the model argument),
# SIGOPT, FNAME (how a failure on signme-1 is named) and SIGNAME.
# restore F: put V's file F back after a mutation (one process, not a copy
# of the whole vector: under load, process start-up is what costs).
setup() {
	rm -rf "$1"; cp -R "$VEC/$1" "$1" && chmod -R u+w "$1" || fail "copy $1"
	case $1 in
	v0.3.1-elliptic-key|v1.0.0-elliptic-key)
		M=$1/signme-1 SIGOPT="-s $1/model.sig" FNAME=$1/signme-1 ;;
	*)	M=$1 SIGOPT="" FNAME=signme-1 ;;
	esac
	SIGNAME=$1/model.sig
}
restore() { cp "$VEC/$v/$1" "$v/$1" || fail "restore $v/$1"; }
# vfy ARGS...: vouch verify ARGS [-s SIG] MODEL (trust and ignores in ARGS).
vfy() { "$VOUCH" verify "$@" $SIGOPT "$M"; }

n=0
for v in $VECTORS; do
	[ -f "$VEC/$v/model.sig" ] || fail "vector $v missing"
	case $v in
	*-elliptic-key) TRUST="-p $PUB" SIGCAUSE=untrusted-key ;;
	*-certificate)  TRUST="--ca $CA" SIGCAUSE=bad-signature ;;
	*-sigstore)     TRUST="--sigstore-root $TR --identity $ID --issuer $ISS" SIGCAUSE=bad-signature ;;
	esac
	# A v1.1 key bundle names its key (publicKey.hint): a bad signature
	# under the named, trusted key is a bad signature.
	[ "$v" = v1.1.0-elliptic-key ] && SIGCAUSE=bad-signature
	IGN=""; case $v in v1.0.1-*) IGN="--ignore-paths ignore-me" ;; esac

	# The pristine vector verifies, as its README says.
	setup "$v"
	expect_rc 0 vfy $TRUST $IGN
	has "vouch: $M: verified"

	# Ignore paths: v1.0.1 needs them, v1.1.0 records them.
	case $v in
	v1.0.1-*)
		expect_cause 1 ignore-me not-in-manifest vfy $TRUST
		expect_rc 0 vfy $TRUST --ignore-paths "$v/ignore-me"
		expect_rc 0 "$VOUCH" verify $TRUST --ignore-paths "$TMPDIR/$v/ignore-me" "$TMPDIR/$v"
		expect_rc 0 "$VOUCH" verify $TRUST --ignore-paths "$TMPDIR/$v/ignore-me" "$TMPDIR/$v/"
		# model_signing resolves --ignore-paths against the cwd (pathlib,
		# so "./m/x", "/abs/m/x" and "dir/" all work), and the comment
		# above model_relative() in src/cli/cmd_verify.c says vouch takes
		# the cwd-relative form too.  Checked once (one method suffices).
		if [ -z "${IGN_CHECKED:-}" ]; then
			IGN_CHECKED=1
			mkdir "$v/cache"; printf 'c' >"$v/cache/blob"
			expect_rc 0 vfy $TRUST $IGN --ignore-paths cache
			for p in "./$v/ignore-me" "$TMPDIR/$v/ignore-me"; do
				OUT=$("$VOUCH" verify $TRUST --ignore-paths "$p" --ignore-paths cache "$v" 2>&1) ||
					bug "--ignore-paths $p with the model given as $v is not honoured: $OUT"
			done
			OUT=$(vfy $TRUST $IGN --ignore-paths cache/ 2>&1) ||
				bug "--ignore-paths cache/ (trailing slash) does not ignore cache/blob: $OUT"
			rm -r "$v/cache"
		fi
		;;
	v1.1.0-*)
		expect_rc 0 vfy $TRUST --ignore-paths ignore-me
		expect_rc 0 vfy $TRUST --ignore-paths "$v/ignore-me"
		;;
	esac

	# A byte of a signed file flipped.
	cp "mut/$v/signme-1" "$v/signme-1"
	expect_cause 1 "$FNAME" hash-mismatch vfy $TRUST $IGN

	# A signed file removed.
	rm "$v/signme-1"
	expect_cause 1 "$FNAME" missing vfy $TRUST $IGN
	restore signme-1

	# An unsigned file added (a directory model only).
	if [ -z "$SIGOPT" ]; then
		printf 'unsigned' >"$v/extra.bin"
		expect_cause 1 extra.bin not-in-manifest vfy $TRUST $IGN
		expect_rc 0 vfy $TRUST $IGN --ignore-unsigned-files
		has "vouch: $M: verified"
		rm "$v/extra.bin"
	fi

	# The wrong trust: another key, a look-alike root (every method).
	expect_cause 1 "$SIGNAME" untrusted-key vfy -p wrong.pub $IGN
	expect_cause 1 "$SIGNAME" untrusted-key vfy --ca lookalike.pem $IGN
	case $v in
	*-certificate)
		has 'certificate chain'
		# The intermediate alone is no trust anchor (no partial chains).
		expect_cause 1 "$SIGNAME" untrusted-key vfy --ca "$INTCA" $IGN
		;;
	*-sigstore)
		expect_cause 1 "$SIGNAME" untrusted-key vfy --sigstore-root "$TR" \
			--identity someone@example.com --issuer "$ISS" $IGN
		has 'identity'
		expect_cause 1 "$SIGNAME" untrusted-key vfy --sigstore-root "$TR" \
			--identity "$ID" --issuer https://accounts.google.com $IGN
		has 'issuer'
		# No --sigstore-root: the error names the options to give.
		expect_cause 1 "$SIGNAME" untrusted-key vfy -p "$PUB" $IGN
		has '--sigstore-root'; has '--identity'; has '--issuer'
		# The keyless options given incompletely: a usage error (exit 2)
		# that names the missing option.  Checked once.
		if [ -z "${SS_CHECKED:-}" ]; then
			SS_CHECKED=1
			if [ ! -e /etc/vouch/vouch.conf ]; then
				OUT=$(vfy --identity "$ID" --issuer "$ISS" $IGN 2>&1); rc=$?
				[ $rc -eq 2 ] && has_q '--sigstore-root' ||
					bug "--identity/--issuer without --sigstore-root: exit $rc, message does not name --sigstore-root: $OUT"
			fi
			OUT=$(vfy --sigstore-root "$TR" $IGN 2>&1); rc=$?
			[ $rc -eq 2 ] && has_q '--identity' && has_q '--issuer' ||
				bug "--sigstore-root without --identity/--issuer: exit $rc (want 2, usage), message: $OUT"
		fi
		;;
	esac

	# A resource digest edited in the payload, not re-signed.
	cp "mut/$v/digest.sig" "$SIGNAME"
	if [ "$v" = v0.2.0-certificate ]; then
		expect_cause 1 "$SIGNAME" bad-signature vfy $TRUST $IGN
	else
		expect_cause 1 "$SIGNAME" malformed vfy $TRUST $IGN
		has 'manifest inconsistent'
		cp "mut/$v/digest-root.sig" "$SIGNAME"
		expect_cause 1 "$SIGNAME" "$SIGCAUSE" vfy $TRUST $IGN
	fi

	# A signature bit flipped.
	cp "mut/$v/sigbit.sig" "$SIGNAME"
	expect_cause 1 "$SIGNAME" "$SIGCAUSE" vfy $TRUST $IGN

	# Rekor entry fields and the RFC 3161 token (Sigstore only).
	case $v in
	*-sigstore)
		ops="rekor-time rekor-body rekor-index rekor-proof rekor-checkpoint"
		[ "$v" = v1.1.0-sigstore ] && ops="$ops tsa"
		for op in $ops; do
			cp "mut/$v/$op.sig" "$SIGNAME"
			expect_cause 1 "$SIGNAME" bad-signature vfy $TRUST $IGN
		done
		;;
	esac

	# Everything put back: verifies again.
	restore model.sig
	expect_rc 0 vfy $TRUST $IGN
	rm -rf "$v"
	n=$((n + 1))
	ok "$v: verifies; every mutation rejected with its cause"
done
[ "$n" -eq 13 ] || fail "$n vectors checked, not 13"

# ---- vouch sign --method files with the reference EC key ----
mkdir signed
cp "$VEC/v1.1.0-elliptic-key/signme-1" "$VEC/v1.1.0-elliptic-key/signme-2" signed/
chmod u+w signed/*
expect_rc 0 "$VOUCH" sign -k "$VEC/keys/signing-key.pem" --method files signed
[ -f signed/model.sig ] || fail "no signed/model.sig"
"$PY" - signed <<'EOF' || fail "the signed bundle is not what model_signing makes"
import base64, hashlib, json, os, sys
d = sys.argv[1]
b = json.load(open(os.path.join(d, "model.sig")))
def keys(o, want, where):
    assert isinstance(o, dict) and set(o) == set(want), (where, sorted(o) if isinstance(o, dict) else o)
keys(b, ["mediaType", "verificationMaterial", "dsseEnvelope"], "bundle")
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", b["mediaType"]
vm = b["verificationMaterial"]
keys(vm, ["publicKey", "tlogEntries"], "verificationMaterial")
keys(vm["publicKey"], ["hint"], "publicKey")
assert vm["publicKey"]["hint"] == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e", vm["publicKey"]
assert vm["tlogEntries"] == [], vm["tlogEntries"]
env = b["dsseEnvelope"]
keys(env, ["payload", "payloadType", "signatures"], "dsseEnvelope")
assert env["payloadType"] == "application/vnd.in-toto+json"
assert isinstance(env["signatures"], list) and len(env["signatures"]) == 1
keys(env["signatures"][0], ["sig", "keyid"], "signature")
assert env["signatures"][0]["keyid"] == ""
P = base64.b64decode(env["payload"], validate=True)
st = json.loads(P)
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["predicateType"] == "https://model_signing/signature/v1.0"
ser = st["predicate"]["serialization"]
assert ser["method"] == "files" and ser["hash_type"] == "sha256" and ser["allow_symlinks"] is False, ser
res = st["predicate"]["resources"]
assert [r["name"] for r in res] == ["signme-1", "signme-2"], res
for r in res:
    assert r["algorithm"] == "sha256", r
    assert r["digest"] == hashlib.sha256(open(os.path.join(d, r["name"]), "rb").read()).hexdigest(), r
root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
assert len(st["subject"]) == 1 and st["subject"][0]["digest"]["sha256"] == root, (st["subject"], root)
assert root.startswith("92745110") and root.endswith("dec4"), root   # the v1.1.0-elliptic-key vector's own root
T = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(T), T, len(P), P)
open("pae.bin", "wb").write(pae)
open("sig.der", "wb").write(base64.b64decode(env["signatures"][0]["sig"], validate=True))
EOF
expect_rc 0 openssl dgst -sha384 -verify "$PUB" -signature sig.der pae.bin
has 'Verified OK'
expect_rc 0 "$VOUCH" verify -p "$PUB" signed
has 'vouch: signed: verified'
ok "vouch sign --method files: model_signing's bundle, verified by openssl over the PAE"

[ "$BUGS" -eq 0 ] || fail "$BUGS bug(s) reported above"
