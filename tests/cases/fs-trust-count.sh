#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-trust-count (issue 25): the signer-counting rules of cli-trust-count.sh
# through a live vouchfs mount (vouch_verify_fd, the path the shim takes
# too), with the pieces tests/trust-lib.sh makes from the vectors' test PKI.
# Phase 1, threshold 2 (a trusted EC key, the vectors' CA, a Sigstore
# identity):
#   [2] two certificates of CN=alice count once -> EACCES, threshold; CN=alice
#       and CN=bob count twice -> opens
#   [3] the v0.3 and the older form of one Sigstore signature -> EACCES,
#       threshold
#   [4] the explicit-parameter copy of the trusted EC key added to the trust
#       dir: SIGHUP is refused (old trust stays), so the model its copied
#       signature would complete stays EACCES
# Phase 2 (SIGHUP), threshold 1, a leaf revoked by fingerprint:
#   [1] v0.1 relabel without SET or proof -> EACCES, malformed
#   [5] expired leaf -> expired; serverAuth leaf -> untrusted-key
#   [2] the revoked leaf -> revoked-key
# Phase 3 (SIGHUP), ca_identity = alice, *@example.com:
#   [5] a leaf outside ca_identity -> untrusted-key; the pinned alice opens
# Phase 4: a leaf valid for 6 more seconds:
#   [6] opens now; EACCES, expired once it has expired (the cached verdict
#       lapses at the leaf's notAfter)
# Every check runs (a miss is a FAIL line; the case fails at the end).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
. "$VOUCH_SRC/tests/trust-lib.sh"
pki_make
fs_syslog_start

S=$TMPDIR/srv
mkdir -p "$S" "$TMPDIR/trust" "$TMPDIR/mnt"
chmod 755 "$TMPDIR/trust"
cp "$PKI/ec.pub" "$TMPDIR/trust/"
C=v1.1.0-certificate
model "$S/aa" $C "$PKI/alice1.sig" "$PKI/alice2.sig"
model "$S/ab" $C "$PKI/alice1.sig" "$PKI/bob.sig"
model "$S/lg" v1.0.0-sigstore "$VEC/v1.0.0-sigstore/model.sig" "$PKI/legacy.sig"
cp -r "$PKI/ecmodel" "$S/ec"
model "$S/un" v1.1.0-sigstore "$PKI/unlogged.sig"
model "$S/ex" $C "$PKI/expired.sig"
model "$S/sv" $C "$PKI/server.sig"
model "$S/ma" $C "$PKI/mallory.sig"
model "$S/a1" $C "$PKI/alice1.sig"
model "$S/a2" $C "$PKI/alice2.sig"
conf() { # THRESHOLD [EXTRA LINE]
	cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
threshold = $1
trust = $TMPDIR/trust
ca = $CA
sigstore_root = $SS_ROOT
sigstore_identity = $SS_ID
sigstore_issuer = $SS_ISS
${2:-}
CONF
	chmod 644 "$TMPDIR/vouch.conf"
}
# opens PATH WANT [CAUSE]: OK, or EACCES with a deny record of CAUSE; a
# miss is a FAIL line, and the case goes on (it fails at the end), so one
# run shows every defect.
FAILS=0
opens() {
	got=$(fs_errno "$TMPDIR/mnt/$1")
	if [ "$got" != "$2" ]; then
		echo "FAIL: $1 through vouchfs: $got, wanted $2" >&2
		FAILS=$((FAILS + 1))
		return
	fi
	[ -n "${3:-}" ] || return 0
	for _ in $(seq 60); do
		grep -Eq "decision=deny cause=$3 .*path=$S/$1 " "$SYSLOG" && return 0
		sleep 0.05
	done
	echo "FAIL: $1: no deny record with cause $3:" >&2
	grep -F "path=$S/$1 " "$SYSLOG" >&2
	FAILS=$((FAILS + 1))
}

conf 2
fs_mount "$S" "$TMPDIR/mnt" -c "$TMPDIR/vouch.conf"
PID=$FS_PID
opens aa/signme-1 EACCES threshold
opens ab/signme-1 OK
ok "[2] threshold 2: CN=alice twice counts once (EACCES), CN=alice + CN=bob opens"
opens lg/signme-1 EACCES threshold
ok "[3] one Sigstore identity in the v0.3 and the older form counts once"
opens ec/w.bin EACCES threshold
cp "$PKI/ec-explicit.pub" "$TMPDIR/trust/"
fs_hup "$PID" "$TMPDIR/mnt"
grep -q "explicit curve parameters" "$TMPDIR/vouchfs.err" ||
	{ echo "FAIL: reload with an explicit-parameter key not refused" >&2; FAILS=$((FAILS + 1)); }
opens ec/w.bin EACCES
ok "[4] an explicit-parameter copy of the trusted key: reload refused, the copied signature still counts once"
rm "$TMPDIR/trust/ec-explicit.pub"

cp "$PKI/alice2.fp" "$TMPDIR/trust/revoked"
conf 1
fs_hup "$PID" "$TMPDIR/mnt"
opens un/signme-1 EACCES malformed
ok "[1] a v0.1 relabel without SET or inclusion proof: EACCES, malformed"
opens ex/signme-1 EACCES expired
opens sv/signme-1 EACCES untrusted-key
ok "[5] expired leaf (no timestamp), serverAuth leaf: EACCES"
opens a2/signme-1 EACCES revoked-key
ok "[2] a CA-issued leaf revoked by its fingerprint: EACCES, revoked-key"

conf 1 "ca_identity = alice, *@example.com"
fs_hup "$PID" "$TMPDIR/mnt"
tail -n 1 "$TMPDIR/vouchfs.err" | grep -q "reloaded" ||
	{ tail -n 1 "$TMPDIR/vouchfs.err" >&2; echo "FAIL: reload with ca_identity" >&2; FAILS=$((FAILS + 1)); }
opens ma/signme-1 EACCES untrusted-key
opens a1/signme-1 OK
ok "[5] ca_identity: a leaf outside it denied, the pinned alice opens"

# [6] A chain judged now (no timestamp) stops verifying when its leaf
# expires: the verdict on an open, cached file lapses then, not at the next
# reload (the leaf's notAfter is the verdict's horizon).
end=$(($(date +%s) + 6))
pki_issue soon alice code "$(date -u -d @$((end - 3600)) +%Y%m%d%H%M%SZ)" \
	"$(date -u -d @$end +%Y%m%d%H%M%SZ)"
pki_bundle soon
model "$S/so" $C "$PKI/soon.sig"
opens so/signme-1 OK
exec 7<"$TMPDIR/mnt/so/signme-1" || fail "holding so/signme-1 open"
opens so/signme-1 OK
while [ "$(date +%s)" -le $((end + 1)) ]; do sleep 0.2; done
opens so/signme-1 EACCES expired
exec 7<&-
ok "[6] a leaf that expires while its model is cached: EACCES, expired, from its notAfter on"
[ "$FAILS" -eq 0 ] || fail "$FAILS check(s) failed"
