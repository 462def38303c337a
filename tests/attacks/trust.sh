#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/trust: signatures that are genuine but must not count.  Each model
# is opened through every front end (the CLI: `vouch verify` of the model):
#   revoked         signed by a trusted key listed in trust/revoked
#                                                          revoked-key
#   expired         --expires in the past                  expired
#   future          signed_at in the future (SOURCE_DATE_EPOCH 2030)
#                                                          expired
#   key-window-past signed by a key whose KEY.ini not_after has passed
#                                                          expired
#   key-window-future  ... whose not_before is still to come   expired
#   hash-md5        a statement re-signed by a trusted key with hash_type
#                   md5 (a hash vouch does not accept)     unsupported|malformed
#   material-kind   a bundle whose verificationMaterial is a kind vouch
#                   does not know                          unsupported|malformed
#   threshold       threshold = 2, one signer              threshold
#   duplicate       threshold = 2, the primary copied into model.sig.d/
#                   (one signer counted twice?)            threshold
#   (a model cosigned by a second trusted key is served: the control)
#   rollback        the mark is at version 2, version 1 is opened
#                                                          rollback
#   v1/v2 race      the first open of version 1 (2 GiB, hashing) while the
#                   mark is raised to 2 by `vouch verify --record` of v2
#                   (another process): refused (rollback), and so is the
#                   next open (never a cached allow)
# Proves: each refused with that cause at alert, no byte read.  The CLI
# checks the mark before hashing; what it says when the mark rises during
# its own hash is asserted as found (see the table).
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 1g
for kk in k2 kr kw kb; do newkey "$kk"; cp "$TMPDIR/$kk.pub" "$TMPDIR/trust/"; done
openssl genpkey -algorithm ed25519 -out "$TMPDIR/ed.pem" 2>/dev/null &&
	openssl pkey -in "$TMPDIR/ed.pem" -pubout -out "$TMPDIR/trust/ed.pub" || fail "openssl ed25519"
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
keyid "$TMPDIR/kr.pub" >"$TMPDIR/trust/revoked"
printf 'not_after = 2026-06-01T00:00:00Z\n' >"$TMPDIR/trust/kw.ini"
printf 'not_before = 2030-01-01T00:00:00Z\n' >"$TMPDIR/trust/kb.ini"
chmod 0644 "$TMPDIR"/trust/*

signwith() { # KEY DIR [ARGS...]
	kf=$1 dir=$2; shift 2
	mkmodel "$dir"
	"$VOUCH" sign -k "$kf" "$@" "$dir" >"$TMPDIR/sign.out" 2>&1 || { cat "$TMPDIR/sign.out" >&2; fail "sign $dir"; }
}
signwith "$TMPDIR/kr.key" "$ROOT/rv"
signwith "$TMPDIR/k.key" "$ROOT/ex" --expires 2026-06-01T00:00:00Z
SOURCE_DATE_EPOCH=1893456000 signwith "$TMPDIR/k.key" "$ROOT/fu"        # 2030-01-01
signwith "$TMPDIR/kw.key" "$ROOT/kw"
signwith "$TMPDIR/kb.key" "$ROOT/kb"
signwith "$TMPDIR/ed.pem" "$ROOT/md"
"$PY" "$VOUCH_SRC/tests/resign.py" "$ROOT/md/model.sig" "$TMPDIR/md.sig" "$TMPDIR/ed.pem" '
st["predicate"]["serialization"]["hash_type"] = "md5"
for r in st["predicate"]["resources"]:
    r["algorithm"] = r["algorithm"].replace("sha256", "md5")' >/dev/null || fail "resign md5"
cp "$TMPDIR/md.sig" "$ROOT/md/model.sig"
signwith "$TMPDIR/k.key" "$ROOT/vm"
"$PY" - "$ROOT/vm/model.sig" <<'PYEOF' || fail "material kind"
import json, sys
b = json.load(open(sys.argv[1]))
b["verificationMaterial"] = {"pgpPublicKey": {"armored": "-----BEGIN PGP PUBLIC KEY BLOCK-----"}, "tlogEntries": []}
json.dump(b, open(sys.argv[1], "w"))
PYEOF
signwith "$TMPDIR/k.key" "$ROOT/th"
signwith "$TMPDIR/k.key" "$ROOT/du"
mkdir "$ROOT/du/model.sig.d"; cp "$ROOT/du/model.sig" "$ROOT/du/model.sig.d/dup.sig"
signwith "$TMPDIR/k.key" "$ROOT/ok2"
"$VOUCH" cosign -k "$TMPDIR/k2.key" -p "$TMPDIR/k.pub" "$ROOT/ok2/model.sig" >/dev/null 2>&1 || fail "cosign ok2"
cp "$ROOT/ok2/model.bin" "$TMPDIR/ok2.ref"
# rollback: version 1 (a 2 GiB hole: its hash takes a while) and version 2
mkdir -p "$ROOT/rb1" "$ROOT/rb2"
truncate -s 2G "$ROOT/rb1/big.bin"; printf 'v1\n' >"$ROOT/rb1/config.json"
at_sign "$ROOT/rb1" --name rb --version 1
head -c 4096 /dev/urandom >"$ROOT/rb2/big.bin"; printf 'v2\n' >"$ROOT/rb2/config.json"
at_sign "$ROOT/rb2" --name rb --version 2
sleep 1.1

note() { # RC FE NAME CAUSE
	if [ "$1" = 0 ]; then at_note "$2" "trust: $3" "denied ($AT_CAUSE)"
	elif [ "$AT_M" = 1 ]; then at_note "$2" "trust: $3" "HOLE: the bytes are served"
	else at_note "$2" "trust: $3" "FAILED: $(printf '%s' "$AT_GOT" | head -n 1)"; fi
}
ROWS="
revoked           rv/model.bin   revoked-key
expired           ex/model.bin   expired
future            fu/model.bin   expired
key-window-past   kw/model.bin   expired
key-window-future kb/model.bin   expired
hash-md5          md/model.bin   unsupported|malformed
material-kind     vm/model.bin   unsupported|malformed
"
hashing_pid() {
	case $1 in
	fs) echo "$FS_PID" ;;
	vouchd) vd_worker ;;
	shim) pgrep -n -x attack-read ;;
	cli) pgrep -n -f "bin/vouch verify -c $AT_CONF $ROOT/rb1" ;;
	esac
}
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }

for fe in $AT_FES; do
	at_conf
	at_start "$fe"
	while read -r name rel cause; do
		[ -n "$name" ] || continue
		fe_expect_deny "$fe" "$rel" "$cause"; note $? "$fe" "$name" "$cause"
	done <<EOF
$ROWS
EOF
	# ---- the v1/v2 race, then plain rollback -------------------------------
	"$VOUCH" state --state-dir "$STATE" reset rb >/dev/null 2>&1
	at_marks
	if [ "$fe" = cli ]; then
		"$VOUCH" verify -c "$AT_CONF" "$ROOT/rb1" >"$TMPDIR/v1.out" 2>&1 &
		AT_BG=$!
	else
		fe_read_bg "$fe" rb1/big.bin "$TMPDIR/v1.out"
	fi
	p="" base=0 hashed=""
	for _ in $(seq 1000); do
		kill -0 "$AT_BG" 2>/dev/null || break
		[ -n "$p" ] || { p=$(hashing_pid "$fe"); [ -n "$p" ] && base=$(rchar "$p"); }
		[ -n "$p" ] && [ $(( $(rchar "$p") - base )) -ge $((128 << 20)) ] && { hashed=1; break; }
		sleep 0.005
	done
	if [ -n "$hashed" ]; then
		"$VOUCH" verify --record -c "$AT_CONF" "$ROOT/rb2" >"$TMPDIR/v2.out" 2>&1 ||
			at_bad "$(fe_name "$fe"): vouch verify --record of v2: $(cat "$TMPDIR/v2.out")"
		kill -0 "$AT_BG" 2>/dev/null || at_bad "$(fe_name "$fe"): the v1 open ended before the mark rose: race not exercised"
		wait "$AT_BG"
		if [ "$fe" = cli ]; then
			c=$(sed -n 's/^vouch: .*: \(rollback\|verified\).*/\1/p' "$TMPDIR/v1.out" | head -n 1)
			case $c in
			rollback) at_note cli "trust: v1/v2 race" "denied (rollback)" ;;
			verified) at_note cli "trust: v1/v2 race" "limit: the mark is checked before hashing; a mark raised during the hash is not seen (point in time)" ;;
			*) at_bad "CLI v1/v2 race: $(cat "$TMPDIR/v1.out")" ;;
			esac
		else
			fe_parse "$(cat "$TMPDIR/v1.out")"
			if [ "$AT_V" = deny ]; then
				r=$(at_rec deny rollback "$ROOT/rb1/big.bin")
				[ "${r%% *}" = ok ] || at_bad "$(fe_name "$fe") v1/v2 race: $r"
				at_note "$fe" "trust: v1/v2 race" "denied (rollback)"
			else
				at_bad "$(fe_name "$fe") v1/v2 race: the v1 open whose hash ended after the mark rose to 2: $AT_GOT"
				at_note "$fe" "trust: v1/v2 race" "FAILED: v1 served after the mark rose ($AT_GOT)"
			fi
		fi
	else
		wait "$AT_BG"
		at_bad "$(fe_name "$fe") v1/v2 race: the hash ended before the mark could rise: $(cat "$TMPDIR/v1.out")"
	fi
	"$VOUCH" state --state-dir "$STATE" show rb | grep -q "version 2 " || at_bad "the mark is not at 2"
	fe_expect_deny "$fe" rb1/big.bin rollback; note $? "$fe" "rollback (after the race: not cached)" rollback
	fe_expect_deny "$fe" rb1/config.json rollback; note $? "$fe" rollback rollback
	at_stop "$fe"
	# ---- threshold 2 ----------------------------------------------------------
	at_conf "threshold = 2"
	at_start "$fe"
	fe_expect_allow "$fe" ok2/model.bin "$TMPDIR/ok2.ref"
	fe_expect_deny "$fe" th/model.bin threshold; note $? "$fe" "threshold not met" threshold
	fe_expect_deny "$fe" du/model.bin threshold; note $? "$fe" "duplicate signer" threshold
	at_stop "$fe"
done
at_done "trust: every signature that must not count is refused with its cause"
