#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-roles (issue 22, part 4): sign-off by role through every front end
# that decides itself: the CLI (vouch verify, vouch inspect --verify), a
# live vouchfs mount and the preload shim.  Keys get their roles from
# `vouch trust add --roles` (KEYID.ini), the config asks
# `require = data-science:1, compliance:1`:
#   - data science alone -> denied, threshold, the detail names compliance;
#   - data science + compliance (a cosignature) -> allowed; inspect --verify
#     shows which role each signature fills;
#   - one key holding both roles -> denied (one person is one signer),
#     allowed with roles_may_overlap = yes;
#   - the compliance key revoked -> denied, naming compliance;
#   - [require] GLOB = compliance:1 applies under its glob only;
#   - a role nobody holds (a typo) -> a configuration error naming it.
# Every check runs (a miss is a FAIL line; the case fails at the end).
. "$VOUCH_SRC/tests/lib.sh"
FAILS=0
miss() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

newkey ds
newkey co
newkey both
T=$TMPDIR/trust
mkdir -p "$T" && chmod 755 "$T" "$TMPDIR"
expect_rc 0 "$VOUCH" trust add --trust "$T" --roles data-science "$TMPDIR/ds.pub"
expect_rc 0 "$VOUCH" trust add --trust "$T" --roles compliance "$TMPDIR/co.pub"
expect_rc 0 "$VOUCH" trust add --trust "$T" --roles "data-science, compliance" "$TMPDIR/both.pub"
expect_rc 2 "$VOUCH" trust add --trust "$T" --roles "data science" "$TMPDIR/ds.pub"
expect_out "role names"
expect_rc 0 "$VOUCH" trust list --trust "$T"
expect_out "roles data-science, compliance"
ok "trust add --roles writes the roles (a bad role name refused), trust list shows them"

# The models: S/NAME, signed by the first key, cosigned by the rest.
S=$TMPDIR/srv
signed() { # NAME KEY [COSIGNER...]
	n=$1 k=$2; shift 2
	mkmodel "$S/$n"
	"$VOUCH" sign -k "$TMPDIR/$k.key" --name "$n" "$S/$n" >/dev/null 2>&1 || fail "sign $n"
	for c in "$@"; do
		"$VOUCH" cosign -k "$TMPDIR/$c.key" "$S/$n/model.sig" >/dev/null 2>&1 || fail "cosign $n"
	done
}
signed dsonly ds
signed pair ds co
signed both both
signed twice both both            # the same key as primary and cosigner
mkdir -p "$S/prod" "$S/lab"
signed prod/m ds
signed lab/m ds
chmod -R go-w "$S"

conf() { # FILE TRUSTDIR [LINE...]
	f=$1 t=$2; shift 2
	{
		printf '[vouch]\nprotect = %s\ntrust = %s\n' "$S" "$t"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$f"
	chmod 0644 "$f"
}
C=$TMPDIR/roles.conf
conf "$C" "$T" "require = data-science:1, compliance:1"
cp -a "$T" "$TMPDIR/trust-rev"
"$VOUCH" trust revoke --trust "$TMPDIR/trust-rev" "$TMPDIR/co.pub" >/dev/null || fail "revoke"
conf "$TMPDIR/rev.conf" "$TMPDIR/trust-rev" "require = data-science:1, compliance:1"
conf "$TMPDIR/overlap.conf" "$T" "require = data-science:1, compliance:1" "roles_may_overlap = yes"
conf "$TMPDIR/glob.conf" "$T" "[require]" "$S/prod* = compliance:1"

# cli CONF NAME RC [PATTERN]: vouch verify; PATTERN in its output.
cli() {
	OUT=$("$VOUCH" verify -c "$1" "$S/$2" 2>&1); rc=$?
	[ "$rc" -eq "$3" ] || { miss "verify -c ${1##*/} $2: exit $rc, wanted $3: $OUT"; return; }
	[ -z "${4:-}" ] || printf '%s\n' "$OUT" | grep -Eq -- "$4" ||
		miss "verify -c ${1##*/} $2: output lacks /$4/: $OUT"
}
cli "$C" dsonly 1 "threshold.*role compliance: 0 of 1"
printf '%s\n' "$OUT" | grep -q "role data-science" && miss "dsonly: data-science named as missing: $OUT"
cli "$C" pair 0
cli "$C" both 1 "threshold.*: 0 of 1 \\(1 signer holding it fills another role"
cli "$C" twice 1 "threshold"
cli "$TMPDIR/overlap.conf" both 0
cli "$TMPDIR/overlap.conf" dsonly 1 "role compliance: 0 of 1"
cli "$TMPDIR/rev.conf" pair 1 "threshold.*role compliance: 0 of 1"
cli "$TMPDIR/glob.conf" prod/m 1 "threshold.*role compliance: 0 of 1"
cli "$TMPDIR/glob.conf" lab/m 0
cli "$TMPDIR/glob.conf" dsonly 0
ok "vouch verify: two people, one person with two roles, overlap, revocation, [require] scope"

OUT=$("$VOUCH" inspect --verify -c "$C" "$S/pair/model.sig" 2>&1) || miss "inspect --verify pair: $OUT"
printf '%s\n' "$OUT" | grep -Eq "^signers: +model\.sig=[0-9a-f]{64}\([0-9a-f]{64}\.pem\):counted:role=data-science, model\.sig\.d/[0-9a-f]{64}\.sig=[0-9a-f]{64}\([0-9a-f]{64}\.pem\):counted:role=compliance$" ||
	miss "inspect --verify does not show the role each signature fills: $OUT"
OUT=$("$VOUCH" inspect --verify --json -c "$TMPDIR/overlap.conf" "$S/both/model.sig" 2>&1) ||
	miss "inspect --verify --json both (overlap): $OUT"
printf '%s\n' "$OUT" | grep -q 'counted:role=data-science+compliance"' ||
	miss "inspect --json with overlap does not show both roles: $OUT"
ok "inspect --verify shows the role each signature fills"

conf "$TMPDIR/typo.conf" "$T" "require = data-science:1, complaince:1"
OUT=$("$VOUCH" verify -c "$TMPDIR/typo.conf" "$S/pair" 2>&1) && miss "a role nobody holds: verified"
printf '%s\n' "$OUT" | grep -q "role complaince needs 1 signer, but 0 trusted keys hold it" ||
	miss "a role nobody holds: $OUT"
conf "$TMPDIR/bad.conf" "$T" "require = data-science"
OUT=$("$VOUCH" verify -c "$TMPDIR/bad.conf" "$S/pair" 2>&1) && miss "require without :n accepted"
printf '%s\n' "$OUT" | grep -q 'bad.conf:4: \[vouch\] require = "data-science" (require must be role:n' ||
	miss "require without :n: $OUT"
conf "$TMPDIR/out.conf" "$T" "[require]" "/elsewhere/* = compliance:1"
OUT=$("$VOUCH" verify -c "$TMPDIR/out.conf" "$S/pair" 2>&1) && miss "[require] outside the roots accepted"
printf '%s\n' "$OUT" | grep -q "outside every protected root" || miss "[require] outside: $OUT"
ok "configuration errors: a role nobody holds, role without :n, a glob outside the roots"

# ---- a live vouchfs mount ------------------------------------------------
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && [ -x "$VOUCHFS" ]; then
	. "$VOUCH_SRC/tests/fs-lib.sh"
	fs_syslog_start
	M=$TMPDIR/mnt
	mkdir -p "$M"
	FC=$TMPDIR/fs.conf
	cp "$C" "$FC"
	fs_mount "$S" "$M" -c "$FC"
	# opens NAME WANT [DETAIL]: OK, or EACCES with a deny record whose
	# detail holds DETAIL.
	opens() {
		got=$(fs_errno "$M/$1/model.bin")
		[ "$got" = "$2" ] || { miss "vouchfs $1: $got, wanted $2"; return; }
		[ -n "${3:-}" ] || return 0
		for _ in $(seq 60); do
			grep -Eq "decision=deny cause=threshold .*path=$S/$1/model.bin .*detail=\"$3" \
				"$SYSLOG" && return 0
			sleep 0.05
		done
		miss "vouchfs $1: no deny record (threshold, $3): $(grep -F "path=$S/$1/" "$SYSLOG")"
	}
	opens dsonly EACCES "role compliance: 0 of 1"
	opens pair OK
	opens both EACCES "role [a-z-]+: 0 of 1"
	cp "$TMPDIR/overlap.conf" "$FC"
	fs_hup "$FS_PID" "$M"
	opens both OK
	opens dsonly EACCES "role compliance: 0 of 1"
	cp "$TMPDIR/glob.conf" "$FC"
	fs_hup "$FS_PID" "$M"
	opens prod/m EACCES "role compliance: 0 of 1"
	opens lab/m OK
	# Revocation by reload: the compliance key revoked in the mounted trust.
	cp "$C" "$FC"
	"$VOUCH" trust revoke --trust "$T" "$TMPDIR/co.pub" >/dev/null || fail "revoke co"
	fs_hup "$FS_PID" "$M"
	opens pair EACCES "role compliance: 0 of 1"
	fs_stop "$FS_PID" "$M"
	FS_MOUNTS=""
	# Put the trust back as it was for the shim (a fresh copy, unrevoked).
	rm -rf "$T"
	cp -a "$TMPDIR/trust-rev" "$T"
	: >"$T/revoked"
	ok "vouchfs: the same decisions through a live mount, deny records name the role"
else
	echo "vouchfs part skipped (needs root, /dev/fuse and vouchfs)"
fi

# ---- the preload shim ------------------------------------------------------
case "$VOUCH_BUILD" in
*/san)	# An ASan-built shim cannot be preloaded into a program (the ASan runtime
	# must come first): the normal build's run of this case covers the shim.
	echo "note: shim part not run against the ASan build"
	[ "$FAILS" -eq 0 ] || fail "$FAILS check(s) failed"
	exit 0 ;;
esac
TRY=$VOUCH_BUILD/tests/preload-try
[ -r "$PRELOAD" ] && [ -x "$TRY" ] || fail "missing $PRELOAD or $TRY (make)"
[ -n "${SYSLOG_PID:-}" ] || syslog_start
# shim CONF NAME WANT [DETAIL]: one open(2) of NAME/model.bin through the shim.
shim() {
	got=$(LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$1 "$TRY" open "$S/$2/model.bin" 2>&1)
	case "$3" in
	OK) [ "$got" = "open ok off=0" ] || miss "shim ${1##*/} $2: $got, wanted ok" ;;
	*) [ "$got" = "open errno=13" ] || { miss "shim ${1##*/} $2: $got, wanted EACCES"; return; }
	   [ -n "${4:-}" ] || return 0
	   for _ in $(seq 60); do
		grep -Eq "decision=deny cause=threshold .*path=$S/$2/model.bin .*detail=\"$4" \
			"$SYSLOG" && return 0
		sleep 0.05
	   done
	   miss "shim $2: no deny record (threshold, $4)" ;;
	esac
}
: >"$SYSLOG"
shim "$C" dsonly EACCES "role compliance: 0 of 1"
shim "$C" pair OK
shim "$C" both EACCES
shim "$TMPDIR/overlap.conf" both OK
shim "$TMPDIR/rev.conf" pair EACCES "role compliance: 0 of 1"
shim "$TMPDIR/glob.conf" prod/m EACCES "role compliance: 0 of 1"
shim "$TMPDIR/glob.conf" lab/m OK
ok "the shim: the same decisions, deny records name the role"

[ "$FAILS" -eq 0 ] || fail "$FAILS check(s) failed"
