#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Bad input gets a clear error and no crash.  Every case checks the exit code
# (1 = verification failed, 3 = operational error; an ASan/UBSan abort is
# neither) and the cause named in "vouch: NAME: CAUSE":
#   signature files: truncated, empty, non-JSON, oversized, bundle fields
#     missing or mistyped, wrong key, signature bit flipped, digest edited;
#   manifests (re-signed, so the parser and not the signature rejects them):
#     names with "..", "/", NUL, control bytes, invalid UTF-8, duplicates,
#     mistyped or missing fields;
#   the model on disk: a file modified, truncated, extended, removed, an
#     extra file, a symlink / FIFO / directory where a file should be, an
#     unreadable file, 0-byte files signed and unsigned;
#   a malformed KEY.ini under a long trust-dir path (no over-read);
#   names that carry terminal escapes and newlines (from a bundle, a
#     cosignature file, a file on disk): printed escaped, never forging a line.
. "$VOUCH_SRC/tests/lib.sh"

RESIGN="$VOUCH_SRC/tests/resign.py"
META='"https://vouch.dev/metadata/v1"'

# An OpenSSL-made Ed25519 key: vouch signs with it (-k PEM) and trusts its
# public half (-p), and the helper re-signs edited payloads with it.
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null || fail "openssl genpkey ed25519"
openssl pkey -in ed.pem -pubout -out ed.pub || fail "openssl pkey -pubout"
newkey other

# bug MSG: a defect that fails the case, reported after the rest has run.
BUGS=0
bug() { echo "BUG: $*" >&2; BUGS=$((BUGS + 1)); }

# Failures name the edit being tested.
WHAT=""
fail() { echo "FAIL: ${WHAT:+[$WHAT] }$*" >&2; exit 1; }

# expect_cause RC NAME CAUSE CMD...: exit RC and a line "vouch: NAME: CAUSE".
# A sanitizer report (leak, overflow, UB) is a bug: noted, and the case
# goes on so that one finding does not hide the others.
expect_cause() {
	rc=$1 name=$2 cause=$3; shift 3
	OUT=$("$@" 2>&1); got=$?
	if printf '%s\n' "$OUT" | grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:'; then
		bug "sanitizer report${WHAT:+ [$WHAT]} from $*: $(printf '%s\n' "$OUT" |
			grep -m1 -E 'ERROR: |runtime error:') at $(printf '%s\n' "$OUT" |
			grep -m1 -E '#[0-9]+ .* src/' | sed 's/.* in //')"
		return 0
	fi
	[ "$got" -eq "$rc" ] || { printf '%s\n' "$OUT" >&2; fail "exit $got, wanted $rc: $*"; }
	printf '%s\n' "$OUT" | grep -Fq -- "vouch: $name: $cause" ||
		{ printf '%s\n' "$OUT" >&2; fail "no 'vouch: $name: $cause' line from: $*"; }
}

# A sharded model (the default) and a files-serialized one.
mkmodel m
expect_rc 0 "$VOUCH" sign -k ed.pem m
cp m/model.sig m.sig.orig
mkmodel f
expect_rc 0 "$VOUCH" sign -k ed.pem --method files f
cp f/model.sig f.sig.orig
expect_rc 0 "$VOUCH" verify -p ed.pub m
expect_rc 0 "$VOUCH" verify -p ed.pub f

# stmt DIR CODE CAUSE [noroot]: queue an edit of DIR's statement (CODE,
# Python, see tests/resign.py), re-signed with ed.pem; run_stmts makes them
# all in one Python process and requires verify (and, for m, inspect) to
# refuse each one with CAUSE.
mkdir edits; : >edits/jobs; TAB=$(printf '\t')
stmt() {
	n=$(( $(wc -l <edits/jobs) + 1 ))
	printf '%s\t%s\t%s\t%s\t%s\n' "$1.sig.orig" "edits/$n.sig" ed.pem "${4:-}" "$2" >>edits/jobs
	printf '%s\t%s\t%s\t%s\n' "$n" "$1" "$3" "$2" >>edits/expect
}
run_stmts() {
	"$PY" "$RESIGN" --batch edits/jobs || fail "resign.py --batch"
	while IFS=$TAB read -r n dir cause WHAT; do
		expect_cause 1 "edits/$n.sig" "$cause" "$VOUCH" verify -p ed.pub -s "edits/$n.sig" "$dir"
		# inspect parses the same way: once per edit is enough.
		[ "$dir" = m ] && expect_cause 1 "edits/$n.sig" "$cause" "$VOUCH" inspect "edits/$n.sig"
	done <edits/expect
	: >edits/jobs; : >edits/expect; WHAT=""
}

# sigfile DIR CAUSE: the current DIR/model.sig is refused by verify and by
# inspect --verify; plain inspect (which authenticates nothing) refuses what
# does not parse.
sigfile() {
	expect_cause 1 "$1/model.sig" "$2" "$VOUCH" verify -p ed.pub "$1"
	expect_cause 1 "$1/model.sig" "$2" timeout 20 "$VOUCH" inspect --verify -p ed.pub "$1/model.sig"
	if [ "$2" = malformed ]; then
		expect_cause 1 "$1/model.sig" "$2" timeout 20 "$VOUCH" inspect "$1/model.sig"
	fi
	cp "$1.sig.orig" "$1/model.sig"
}

# The helper itself: re-signing an unchanged statement still verifies.
"$PY" "$RESIGN" m.sig.orig m/model.sig ed.pem 'pass' || fail "resign"
expect_rc 0 "$VOUCH" verify -p ed.pub m
cp m.sig.orig m/model.sig

# ---- the signature file ----
head -c 200 m.sig.orig >m/model.sig;  sigfile m malformed           # truncated JSON
head -c "$(($(wc -c <m.sig.orig) - 2))" m.sig.orig >m/model.sig; sigfile m malformed
: >m/model.sig;                       sigfile m malformed           # empty
printf 'hello, world\n' >m/model.sig; sigfile m malformed           # not JSON
printf '\000\001\002\377' >m/model.sig; sigfile m malformed         # binary
printf '[]' >m/model.sig;             sigfile m malformed           # JSON, not an object
printf '{}' >m/model.sig;             sigfile m malformed
printf '"model"' >m/model.sig;        sigfile m malformed
"$PY" -c 'import sys; sys.stdout.write("[" * 200000 + "]" * 200000)' >m/model.sig
sigfile m malformed                                                 # deep nesting
{ cat m.sig.orig; printf '{}'; } >m/model.sig; sigfile m malformed  # trailing garbage
# Oversized: one byte over VOUCH_SIG_MAX (16 MiB), the valid bundle padded.
"$PY" - m.sig.orig m/model.sig <<'EOF'
import sys
b = open(sys.argv[1], "rb").read().rstrip()
open(sys.argv[2], "wb").write(b[:-1] + b" " * ((16 << 20) + 1 - len(b)) + b"}")
EOF
[ "$(stat -c %s m/model.sig)" -eq $(((16 << 20) + 1)) ] || fail "oversized file has the wrong size"
sigfile m malformed
ok "truncated, empty, non-JSON, oversized signature files"

# Bundle JSON valid, fields missing or mistyped (no re-signing needed: the
# parser refuses before any signature check).  bundle CODE CAUSE queues an
# edit of the bundle `b` (its envelope is `env`); run_bundles checks them.
: >edits/bundles
bundle() {
	printf '%s\t%s\n' "$2" "$1" >>edits/bundles
}
run_bundles() {
	"$PY" - m.sig.orig edits/bundles <<'EOF' || fail "bundle edits"
import json, sys
for n, line in enumerate(open(sys.argv[2]), 1):
    cause, code = line.rstrip("\n").split("\t", 1)
    b = json.load(open(sys.argv[1])); env = b["dsseEnvelope"]
    exec(code)
    json.dump(b, open("edits/b%d.sig" % n, "w"))
EOF
	n=0
	while IFS=$TAB read -r cause WHAT; do
		n=$((n + 1))
		expect_cause 1 "edits/b$n.sig" "$cause" "$VOUCH" verify -p ed.pub -s "edits/b$n.sig" m
		if [ "$cause" = malformed ]; then
			expect_cause 1 "edits/b$n.sig" "$cause" "$VOUCH" inspect "edits/b$n.sig"
		fi
	done <edits/bundles
	WHAT=""
}
bundle 'del b["dsseEnvelope"]'                                 malformed
bundle 'del b["mediaType"]'                                    malformed
bundle 'b["mediaType"] = "application/json"'                   malformed
bundle 'b["mediaType"] = 3'                                    malformed
bundle 'del b["verificationMaterial"]'                         malformed
bundle 'b["verificationMaterial"] = {}'                        malformed
bundle 'b["verificationMaterial"] = []'                        malformed
bundle 'del env["payload"]'                                    malformed
bundle 'env["payload"] = 12345'                                malformed
bundle 'env["payload"] = "not base64 !!!"'                     malformed
bundle 'env["payload"] = ""'                                   malformed
bundle 'del env["payloadType"]'                                malformed
bundle 'env["payloadType"] = "text/plain"'                     malformed
bundle 'env["payloadType"] = None'                             malformed
bundle 'del env["signatures"]'                                 malformed
bundle 'env["signatures"] = []'                                malformed
bundle 'env["signatures"] = {}'                                malformed
bundle 'env["signatures"] = [env["signatures"][0]] * 2'        malformed
bundle 'env["signatures"] = ["sig"]'                           malformed
bundle 'del env["signatures"][0]["sig"]'                       malformed
bundle 'env["signatures"][0]["sig"] = 7'                       malformed
bundle 'env["signatures"][0]["sig"] = "@@@@"'                  malformed
bundle 'env["signatures"][0]["sig"] = ""'                      bad-signature
bundle 'b["dsseEnvelope"] = "x"'                               malformed
run_bundles
ok "bundle fields missing or mistyped"

# ---- authentication ----
expect_cause 1 m/model.sig untrusted-key "$VOUCH" verify -p other.pub m
# A bit flipped in the signature, the hint still naming the trusted key.
for bit in 0 100 511; do
	"$PY" - m.sig.orig m/model.sig "$bit" <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1])); s = b["dsseEnvelope"]["signatures"][0]
sig = bytearray(base64.b64decode(s["sig"])); n = int(sys.argv[3])
sig[n // 8] ^= 1 << (n % 8)
s["sig"] = base64.b64encode(bytes(sig)).decode()
json.dump(b, open(sys.argv[2], "w"))
EOF
	sigfile m bad-signature
done
# The payload edited where it still parses (version 1 -> 9, the signed
# name), the signature left alone.
"$PY" "$RESIGN" m.sig.orig m/model.sig - 'raw = dump(st).replace(b"\"version\":1", b"\"version\":9", 1)'
sigfile m bad-signature
"$PY" "$RESIGN" m.sig.orig m/model.sig - 'st["predicate"]['"$META"']["name"] = "n"'
sigfile m bad-signature
# A digest edited in the payload: without re-signing the signature breaks;
# re-signed (root recomputed) the parser accepts it and the file mismatches;
# re-signed with the old root the manifest is inconsistent.
EDIT='r = [r for r in st["predicate"]["resources"] if r["name"].startswith("config.json:")][0]; r["digest"] = "00" * 32'
"$PY" "$RESIGN" m.sig.orig m/model.sig - "$EDIT"
sigfile m bad-signature
"$PY" "$RESIGN" m.sig.orig m/model.sig ed.pem "$EDIT"
expect_cause 1 config.json hash-mismatch "$VOUCH" verify -p ed.pub m
cp m.sig.orig m/model.sig
stmt m "$EDIT" malformed noroot
run_stmts
ok "wrong key, signature bit flipped, payload and digest edited"

# ---- malformed manifests, properly re-signed ----
R0='st["predicate"]["resources"][0]'
for dir in m f; do
	if [ $dir = m ]; then sfx=':0:3'; else sfx=''; fi
	stmt $dir "$R0[\"name\"] = \"../escape$sfx\""               malformed
	stmt $dir "$R0[\"name\"] = \"sub/../../escape$sfx\""        malformed
	stmt $dir "$R0[\"name\"] = \"..$sfx\""                      malformed
	stmt $dir "$R0[\"name\"] = \"/etc/passwd$sfx\""             malformed
	stmt $dir "$R0[\"name\"] = \"/$sfx\""                       malformed
	stmt $dir "$R0[\"name\"] = \"sub//x$sfx\""                  malformed
	stmt $dir "$R0[\"name\"] = \"sub/$sfx\""                    malformed
	stmt $dir "$R0[\"name\"] = \"./config.json$sfx\""           malformed
	stmt $dir "$R0[\"name\"] = \"$sfx\""                        malformed
	stmt $dir "$R0[\"name\"] = \"con\\u0000fig.json$sfx\""      malformed   # NUL
	stmt $dir "$R0[\"name\"] = \"con\\u0001fig.json$sfx\""      malformed   # control byte
	stmt $dir "$R0[\"name\"] = \"con\\nfig.json$sfx\""          malformed
	stmt $dir "$R0[\"name\"] = \"con\\u007ffig.json$sfx\""      malformed
	# Invalid UTF-8 in the raw payload: a stray byte, an overlong "/", a
	# truncated sequence, an escaped lone surrogate.
	for bad in '\xff' '\xc0\xaf' '\xe2\x82' '\\ud800' '\xed\xa0\x80'; do
		stmt $dir "raw = dump(st).replace(b'config.json', b'conf${bad}ig.json', 1)" malformed
	done
	# Duplicates: the same resource twice; the same JSON key twice.
	stmt $dir 'rs = st["predicate"]["resources"]; rs.append(dict(rs[0]))' malformed
	stmt $dir 'rs = st["predicate"]["resources"]; rs.insert(1, dict(rs[0]))' malformed
	stmt $dir "raw = dump(st).replace(b'{\"_type\"', b'{\"_type\":\"x\",\"_type\"', 1)" malformed
	stmt $dir "raw = dump(st).replace(b'\"resources\":', b'\"resources\":[],\"resources\":', 1)" malformed
	# Names in vouch's signed metadata obey the same rules.
	stmt $dir "st['predicate'][$META]['files']['../evil'] = 1"   malformed
	stmt $dir "st['predicate'][$META]['files']['/abs'] = 1"      malformed
done
# A shard name must split into exactly path:start:end with sane numbers.
stmt m "$R0[\"name\"] = \"config.json:0\""                    malformed
stmt m "$R0[\"name\"] = \"config.json:0:3:4\""                malformed
stmt m "$R0[\"name\"] = \"config.json:3:0\""                  malformed
stmt m "$R0[\"name\"] = \"config.json:-1:3\""                 malformed
stmt m "$R0[\"name\"] = \"config.json:00:3\""                 malformed
stmt m "$R0[\"name\"] = \"config.json:0:99999999999999999999999\"" malformed
run_stmts
ok "names with .., /, NUL, control bytes, invalid UTF-8, duplicates"

# Mistyped or missing fields in the statement.
P='st["predicate"]'
stmt m "$P[\"resources\"] = {}"                               malformed
stmt m "$P[\"resources\"] = \"all\""                          malformed
stmt m "del $P[\"resources\"]"                                malformed
stmt m "$P[\"resources\"] = [1, 2]"                           malformed
stmt m "$R0[\"digest\"] = 5"                                  malformed
stmt m "$R0[\"digest\"] = $R0[\"digest\"].upper()"            malformed
stmt m "$R0[\"digest\"] = $R0[\"digest\"][:-2]"               malformed
stmt m "$R0[\"name\"] = 42"                                   malformed
stmt m "del $R0[\"name\"]"                                    malformed
stmt m "del $R0[\"algorithm\"]"                               malformed
stmt m "$R0[\"algorithm\"] = \"md5\""                         malformed
stmt m "$P[\"serialization\"][\"method\"] = \"zip\""          malformed
stmt m "$P[\"serialization\"][\"method\"] = 1"                malformed
stmt m "$P[\"serialization\"][\"shard_size\"] = \"4096\""     malformed
stmt m "$P[\"serialization\"][\"shard_size\"] = 0"            malformed
stmt m "$P[\"serialization\"][\"shard_size\"] = -1"           malformed
stmt m "$P[\"serialization\"][\"shard_size\"] = 1.5"          malformed
stmt m "$P[\"serialization\"][\"ignore_paths\"] = \"model.sig\"" malformed
stmt m "$P[\"serialization\"][\"ignore_paths\"] = [1]"        malformed
stmt m "del $P[\"serialization\"]"                            malformed
stmt m "$P[\"serialization\"] = []"                           malformed
stmt m "st[\"predicate\"] = []"                               malformed
stmt m "del st[\"predicate\"]"                                malformed
stmt m "del st[\"subject\"]"                                  malformed
stmt m "st[\"subject\"] = {}"                                 malformed
stmt m "st[\"subject\"] = st[\"subject\"] * 2"                malformed
stmt m "st[\"subject\"][0][\"digest\"] = {\"sha512\": \"00\"}" malformed noroot
stmt m "st[\"_type\"] = \"https://in-toto.io/Statement/v0.1\"" malformed
stmt m "del st[\"_type\"]"                                    malformed
stmt m "st[\"predicateType\"] = \"https://example.com/other\"" unsupported
stmt m "$P[\"serialization\"][\"hash_type\"] = \"md5\""       unsupported
stmt m "del $P[\"serialization\"][\"hash_type\"]"             malformed
stmt m "$P[$META] = []"                                       malformed
stmt m "$P[$META][\"version\"] = \"7\""                       malformed
stmt m "$P[$META][\"version\"] = -1"                          malformed
stmt m "$P[$META][\"version\"] = 2 ** 53"                     malformed
stmt m "$P[$META][\"version\"] = 1.5"                         malformed
stmt m "del $P[$META][\"version\"]"                           malformed
stmt m "$P[$META][\"name\"] = 7"                              malformed
stmt m "$P[$META][\"name\"] = \"\""                           malformed
stmt m "del $P[$META][\"name\"]"                              malformed
stmt m "$P[$META][\"signed_at\"] = \"yesterday\""             malformed
stmt m "$P[$META][\"signed_at\"] = 1767225600"                malformed
stmt m "$P[$META][\"expires\"] = \"2099-13-45T00:00:00Z\""    malformed
stmt m "$P[$META][\"expires\"] = 4102444800"                  malformed
stmt m "$P[$META][\"files\"] = []"                            malformed
stmt m "$P[$META][\"files\"][\"model.bin\"] = \"300000\""     malformed
stmt m "$P[$META][\"files\"][\"model.bin\"] = -1"             malformed
stmt m "$P[$META][\"files\"][\"zz/../evil\"] = 1"            malformed   # sorts last
stmt m "raw = b'not json at all'"                             malformed
stmt m "raw = b''"                                            malformed
stmt m "raw = b'[]'"                                          malformed
stmt m "raw = dump(st) + b' {}'"                              malformed
run_stmts
ok "mistyped and missing statement fields"

# ---- the model on disk ----
cp m/model.bin model.bin.orig
flip_byte m/model.bin 150000
expect_cause 1 model.bin hash-mismatch "$VOUCH" verify -p ed.pub m
flip_byte f/model.bin 0
expect_cause 1 model.bin hash-mismatch "$VOUCH" verify -p ed.pub f
cp model.bin.orig m/model.bin; cp model.bin.orig f/model.bin 2>/dev/null
"$VOUCH" sign -k ed.pem --method files f >/dev/null 2>&1 && cp f/model.sig f.sig.orig
truncate -s 299999 m/model.bin
expect_cause 1 model.bin size-mismatch "$VOUCH" verify -p ed.pub m
truncate -s 0 m/model.bin
expect_cause 1 model.bin size-mismatch "$VOUCH" verify -p ed.pub m
cp model.bin.orig m/model.bin; printf 'X' >>m/model.bin
expect_cause 1 model.bin size-mismatch "$VOUCH" verify -p ed.pub m
cp f/model.bin f.model.bin.orig; printf 'X' >>f/model.bin
expect_rc 1 "$VOUCH" verify -p ed.pub f
expect_out 'vouch: model\.bin: (size|hash)-mismatch'
cp f.model.bin.orig f/model.bin
cp model.bin.orig m/model.bin
rm m/tokenizer.json
expect_cause 1 tokenizer.json missing "$VOUCH" verify -p ed.pub m
printf '{"vocab": ["a", "b"]}\n' >m/tokenizer.json
rm f/sub/extra.txt
expect_cause 1 sub/extra.txt missing "$VOUCH" verify -p ed.pub f
printf 'x' >f/sub/extra.txt
printf 'new' >m/sub/planted.py
expect_cause 1 sub/planted.py not-in-manifest "$VOUCH" verify -p ed.pub m
expect_rc 0 "$VOUCH" verify -p ed.pub --ignore-unsigned-files m
rm m/sub/planted.py
mkdir m/newdir; printf 'x' >m/newdir/x.bin
expect_cause 1 newdir/x.bin not-in-manifest "$VOUCH" verify -p ed.pub m
rm -r m/newdir
expect_rc 0 "$VOUCH" verify -p ed.pub m
expect_rc 0 "$VOUCH" verify -p ed.pub f
# Deciding needs no hashing when the manifest already says no
# (docs/policy.md, "The order of checks": a known size must match before
# any hashing): a planted 16 GiB (sparse) file, or a signed file extended
# to 16 GiB, is refused at once, not after reading 16 GiB of zeros.
truncate -s 16G m/planted.bin
OUT=$(timeout 5 "$VOUCH" verify -p ed.pub m 2>&1); rc=$?
[ $rc -eq 124 ] && bug "vouch verify hashes an unsigned 16 GiB file before refusing it (> 5 s)"
[ $rc -eq 124 ] || printf '%s\n' "$OUT" | grep -q 'vouch: planted\.bin: not-in-manifest' ||
	fail "planted 16 GiB file: $OUT"
rm m/planted.bin
truncate -s 16G m/config.json
OUT=$(timeout 5 "$VOUCH" verify -p ed.pub m 2>&1); rc=$?
[ $rc -eq 124 ] && bug "vouch verify hashes a 16 GiB file whose signed size is 15 bytes (> 5 s)"
[ $rc -eq 124 ] || printf '%s\n' "$OUT" | grep -q 'vouch: config\.json: size-mismatch' ||
	fail "config.json extended to 16 GiB: $OUT"
printf '{"hidden": 16}\n' >m/config.json
expect_rc 0 "$VOUCH" verify -p ed.pub m
ok "file modified, truncated, extended, removed, extra"

# 0-byte files: signed ones verify (shards list none, files lists them),
# a new one is not in the manifest, and a signed one may not grow.
[ ! -s m/__init__.py ] && [ ! -s f/__init__.py ] || fail "mkmodel made no empty file"
: >m/empty2.py; : >f/empty2.py
expect_cause 1 empty2.py not-in-manifest "$VOUCH" verify -p ed.pub m
expect_cause 1 empty2.py not-in-manifest "$VOUCH" verify -p ed.pub f
rm m/empty2.py f/empty2.py
rm m/__init__.py
expect_cause 1 __init__.py missing "$VOUCH" verify -p ed.pub m
: >m/__init__.py
expect_rc 0 "$VOUCH" verify -p ed.pub m
# A 0-byte single file, signed with shards (its manifest lists no resource)
# and with files.
: >lone.bin
expect_rc 0 "$VOUCH" sign -k ed.pem lone.bin
OUT=$("$VOUCH" verify -p ed.pub lone.bin 2>&1) ||
	bug "a 0-byte file signed with shards does not verify: $OUT"
expect_rc 0 "$VOUCH" sign -k ed.pem --method files -o lone.files.sig lone.bin
expect_rc 0 "$VOUCH" verify -p ed.pub -s lone.files.sig lone.bin
printf 'x' >lone.bin
expect_rc 1 "$VOUCH" verify -p ed.pub lone.bin
expect_rc 1 "$VOUCH" verify -p ed.pub -s lone.files.sig lone.bin
expect_out 'vouch: [^ ]+: (size|hash)-mismatch'
ok "0-byte files"

# A symlink, FIFO or directory where a signed file should be.
mv m/config.json config.json.orig
ln -s ../config.json.orig m/config.json                # same content, via a link
expect_cause 1 config.json symlink "$VOUCH" verify -p ed.pub m
rm m/config.json; mkfifo m/config.json
expect_cause 1 config.json symlink timeout 20 "$VOUCH" verify -p ed.pub m
rm m/config.json; mkdir m/config.json
expect_rc 1 "$VOUCH" verify -p ed.pub m
expect_out 'vouch: config\.json: (missing|symlink)'
rmdir m/config.json; mv config.json.orig m/config.json
ln -s model.bin m/alias.bin                            # an extra link
expect_cause 1 alias.bin symlink "$VOUCH" verify -p ed.pub m
rm m/alias.bin
# ... and where the signature should be.
mv m/model.sig m.sig.real; ln -s ../m.sig.real m/model.sig
expect_cause 1 m/model.sig symlink "$VOUCH" verify -p ed.pub m
expect_rc 1 "$VOUCH" inspect m/model.sig
rm m/model.sig; mkfifo m/model.sig
expect_cause 1 m/model.sig symlink timeout 20 "$VOUCH" verify -p ed.pub m
expect_rc 1 timeout 20 "$VOUCH" inspect m/model.sig
rm m/model.sig; mkdir m/model.sig
expect_rc 1 "$VOUCH" verify -p ed.pub m
expect_out 'vouch: m/model\.sig: '
rmdir m/model.sig; mv m.sig.real m/model.sig
cp lone.bin.sig lone.sig.real; rm lone.bin.sig; ln -s lone.sig.real lone.bin.sig
expect_cause 1 lone.bin.sig symlink "$VOUCH" verify -p ed.pub lone.bin
expect_rc 0 "$VOUCH" verify -p ed.pub m
ok "symlink, FIFO, directory where a file or signature should be"

# An unreadable file: vouch verify as user nobody on a root-owned 0600 file
# is an operational error (exit 3, io-error), not a verdict about the model.
chmod 755 "$TMPDIR"; chmod -R a+rX m ed.pub
as_nobody() {
	if command -v setpriv >/dev/null; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		runuser -u nobody -- "$@"
	fi
}
as_nobody "$VOUCH" verify -p ed.pub m >/dev/null 2>&1 || fail "nobody cannot verify a readable model"
chmod 600 m/model.bin
expect_cause 3 model.bin io-error as_nobody "$VOUCH" verify -p ed.pub m
chmod 644 m/model.bin; chmod 700 m/sub
expect_cause 3 sub io-error as_nobody "$VOUCH" verify -p ed.pub m
chmod 755 m/sub; chmod 600 m/model.sig
expect_cause 3 m/model.sig io-error as_nobody "$VOUCH" verify -p ed.pub m
chmod 644 m/model.sig
expect_rc 0 "$VOUCH" verify -p ed.pub m
ok "unreadable file: exit 3, io-error"

# ---- a KEY.ini error under a long trust-dir path (issue 15, 9a) ----
# The error names DIR/KEY.ini and the cause; a path longer than the message
# buffer (512 bytes in the CLI) once made load_key_ini read past its end
# looking for the cause behind the cut path (ASan: stack-buffer-overflow).
# longdir LEN: make and print a directory whose absolute path is LEN bytes.
longdir() {
	d=$TMPDIR/long$1
	while [ ${#d} -lt $(($1 - 101)) ]; do d=$d/$(printf '%0100d' 0); done
	d=$d/$(printf '%0*d' $(($1 - ${#d} - 1)) 0)
	mkdir -p "$d" && [ ${#d} -eq "$1" ] || fail "longdir $1 made ${#d} bytes"
	echo "$d"
}
# ini_error RC CMD...: exit RC, no sanitizer report; the message in $OUT.
ini_error() {
	rc=$1; shift
	OUT=$("$@" 2>&1); got=$?
	if printf '%s\n' "$OUT" | grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:'; then
		bug "sanitizer report [$WHAT]: $(printf '%s\n' "$OUT" | grep -m1 -E 'ERROR: |runtime error:')"
		return 0
	fi
	[ "$got" -eq "$rc" ] || { printf '%s\n' "$OUT" >&2; fail "exit $got, wanted $rc: $*"; }
}
for len in 300 505 520 540 1000 4000; do
	d=$(longdir $len)
	cp ed.pub "$d/k.pub"
	for ini in 'bogus = 1' 'not_before = yesterday' "models = ,," 'no equals sign' \
		   "$(printf '[other]\nnot_after = 2027-01-01T00:00:00Z')"; do
		WHAT="trust dir of $len bytes, k.ini: $(printf %s "$ini" | tr "\n" " ")"
		printf '%s\n' "$ini" >"$d/k.ini"
		ini_error 3 "$VOUCH" verify --trust "$d" m
		if [ "$len" -lt 400 ]; then
			printf '%s\n' "$OUT" | grep -Fq "vouch: $d/k.ini:" ||
				fail "the error does not name $d/k.ini: $OUT"
			case "$ini" in
			bogus*)   expect_out 'k\.ini:1: bogus: unknown key' ;;
			not_*)    expect_out 'k\.ini:1: not_before: not an RFC 3339 time' ;;
			models*)  expect_out 'k\.ini:1: models: models must be' ;;
			no*)      expect_out 'k\.ini:1: syntax error' ;;
			\[*)      expect_out 'k\.ini:2: not_after: unknown section' ;;
			esac
		fi
		ini_error 3 "$VOUCH" trust list --trust "$d"
	done
done
WHAT=""
ok "a malformed KEY.ini under a trust dir of 300 to 4000 bytes: a clean error"

# ---- unverified strings are escaped (issue 15, 9b) ----
# A bundle whose names carry terminal escapes, newlines, C1 controls and a
# bidi override must not forge a line ("VERIFIED", "vouch: m: verified") nor
# reach the terminal raw, in any command's output.
# clean WHAT: $OUT holds printable ASCII only, line by line.
clean() {
	if printf '%s\n' "$OUT" | LC_ALL=C grep -q '[^ -~]'; then
		printf '%s\n' "$OUT" | cat -A >&2
		bug "$1: raw control or non-ASCII bytes in the output"
	fi
}
cp -r m em
"$PY" "$RESIGN" m.sig.orig em/model.sig ed.pem '
E = "\x1b[2J\x1b[H\x1b[32m\nVERIFIED:      em, signed by key 00\r\x1b[0m\x9b31m\u202e"
st["subject"][0]["name"] = "em" + E
st["predicate"]["https://vouch.dev/metadata/v1"]["name"] = "good" + E
st["predicate"]["serialization"]["ignore_paths"].append("ign" + E)
' || fail "resign with escapes"
E_ESC='\\x1b\[2J\\x1b\[H\\x1b\[32m\\x0aVERIFIED:      em, signed by key 00\\x0d\\x1b\[0m\\xc2\\x9b31m\\xe2\\x80\\xae'
expect_rc 0 "$VOUCH" inspect em/model.sig
clean "inspect"
printf '%s\n' "$OUT" | grep -q '^VERIFIED' && bug "inspect of an unverified bundle prints a VERIFIED line"
expect_out "^subject: +em$E_ESC\$"
expect_out "^model: +good$E_ESC\$"
expect_out "^ignored: +ign$E_ESC\$"
expect_rc 0 "$VOUCH" inspect --verify -p ed.pub em/model.sig
clean "inspect --verify"
[ "$(printf '%s\n' "$OUT" | grep -c '^VERIFIED')" -eq 1 ] || bug "inspect --verify: not one VERIFIED line: $OUT"
expect_rc 0 "$VOUCH" inspect --json em/model.sig
clean "inspect --json"
printf '%s\n' "$OUT" >em.json
"$PY" - em.json <<'EOF' || fail "inspect --json does not carry the names exactly"
import json, sys
j = json.load(open(sys.argv[1]))
E = "\x1b[2J\x1b[H\x1b[32m\nVERIFIED:      em, signed by key 00\r\x1b[0m\x9b31m\u202e"
assert j["subject"] == "em" + E and j["model"] == "good" + E, j
EOF
# verify: the signed name is printed escaped, on the one line of the verdict.
expect_rc 0 "$VOUCH" verify -p ed.pub em
clean "verify"
# (plus the one "signers:" line every verify prints: who signed, escaped too)
[ "$(printf '%s\n' "$OUT" | grep -vc '^vouch: em: signers: model\.sig=[0-9a-f]*(ed\.pub):counted$')" -eq 1 ] ||
	bug "verify printed more than one line: $OUT"
expect_out "^vouch: em: verified \\(model good$E_ESC, version 1,"
# Cosignature files are named by whoever can write SIG.d/.
expect_rc 0 "$VOUCH" cosign -k other.key em/model.sig
mv em/model.sig.d/*.sig "em/model.sig.d/$(printf 'x\033[32m\nVERIFIED: y.sig')"
printf 'junk' >"em/model.sig.d/$(printf 'j\033[31m\nvouch: em: verified.sig')"
expect_rc 0 "$VOUCH" inspect em/model.sig
clean "inspect with crafted cosignature names"
expect_out '^signer 2: .*, in em/model\.sig\.d/x\\x1b\[32m\\x0aVERIFIED: y\.sig$'
expect_out '^vouch: cosignature em/model\.sig\.d/j\\x1b\[31m\\x0avouch: em: verified\.sig ignored: '
printf '%s\n' "$OUT" | grep -q '^VERIFIED\|^vouch: em: verified' && bug "a cosignature name forged a line: $OUT"
rm -r em/model.sig.d
# File names on disk, in verify's per-file lines.
cp m.sig.orig em/model.sig
for name in "$(printf 'evil\033[32m\nvouch: em: verified')" "$(printf 'e\033]0;title\007.bin')" \
	    "$(printf 'bidi\342\200\256nib.txt')" "$(printf 'c1\302\233m.bin')" 'back\x1bslash'; do
	printf 'x' >"em/$name"
	expect_rc 1 "$VOUCH" verify -p ed.pub em
	clean "verify with a file named $(printf '%s' "$name" | od -An -c | tr -s ' ')"
	printf '%s\n' "$OUT" | grep -q '^vouch: em: verified' && bug "a file name forged a verdict: $OUT"
	[ "$(printf '%s\n' "$OUT" | grep -vc '^vouch: em: signers: model\.sig=[0-9a-f]*(ed\.pub):counted$')" -eq 1 ] ||
		bug "one bad file name, more than one line: $OUT"
	rm "em/$name"
done
expect_rc 0 "$VOUCH" verify -p ed.pub em
# trust list prints KEY.ini's models.
mkdir tdir; cp ed.pub tdir/k.pub
printf 'models = a\033[2Jb, c\302\233d\n' >tdir/k.ini
expect_rc 0 "$VOUCH" trust list --trust tdir
clean "trust list"
expect_out 'models a\\x1b\[2Jb, c\\xc2\\x9bd$'
ok "names from a bundle, cosignature and file names are escaped in every output"

[ "$BUGS" -eq 0 ] || fail "$BUGS bug(s) reported above"
