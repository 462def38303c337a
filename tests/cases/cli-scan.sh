#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-scan (issue 23, part 4): `vouch scan` over one protected root holding
#   good      a model that verifies                      -> info verified
#   tampered  a model with one byte flipped              -> critical integrity
#   stray     a file no signature governs                -> high unsigned
#   soon      a model whose signature expires in 10 days -> medium signature-expiring
#   aging     a model by a key 5 days from not_after     -> medium key-expiring
#   gone      a model by a revoked key                   -> high authenticity + high key-revoked
# each finding reported exactly once with its severity and controls, in the
# table and in --json lines (and with --journal priority prefixes); exit 0/1/3
# by --fail-on; --no-hash still finds every finding but the flipped byte
# (the size is the same); the anti-rollback marks are read, never raised;
# vouch-scan.service and .timer pass `systemd-analyze verify`.
. "$VOUCH_SRC/tests/lib.sh"

now=$(date +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
unset SOURCE_DATE_EPOCH          # signed_at = now: the windows below are relative to it

newkey main; newkey aging; newkey gone
T=$TMPDIR/trust; mkdir -p "$T"
for k in main aging gone; do
	"$VOUCH" trust add --trust "$T" "$TMPDIR/$k.pub" >/dev/null || fail "trust add $k"
done
AGING_ID=$(ls "$T" | while read -r f; do cmp -s "$T/$f" "$TMPDIR/aging.pub" && echo "${f%.pem}"; done)
GONE_ID=$(ls "$T" | while read -r f; do cmp -s "$T/$f" "$TMPDIR/gone.pub" && echo "${f%.pem}"; done)
[ -n "$AGING_ID" ] && [ -n "$GONE_ID" ] || fail "key ids not found in $T"
printf 'not_after = %s\n' "$(iso $((now + 5 * 86400)))" >"$T/$AGING_ID.ini"

R=$TMPDIR/root; mkdir -p "$R"
for m in good tampered soon aging gone; do mkmodel "$R/$m"; done
"$VOUCH" sign -k "$TMPDIR/main.key" --name good --version 3 "$R/good" >/dev/null 2>&1 || fail "sign good"
"$VOUCH" sign -k "$TMPDIR/main.key" --name tampered "$R/tampered" >/dev/null 2>&1 || fail "sign tampered"
"$VOUCH" sign -k "$TMPDIR/main.key" --name soon --expires "$(iso $((now + 10 * 86400)))" "$R/soon" \
	>/dev/null 2>&1 || fail "sign soon"
"$VOUCH" sign -k "$TMPDIR/aging.key" --name aging "$R/aging" >/dev/null 2>&1 || fail "sign aging"
"$VOUCH" sign -k "$TMPDIR/gone.key" --name gone "$R/gone" >/dev/null 2>&1 || fail "sign gone"
"$VOUCH" trust revoke --trust "$T" "$GONE_ID" >/dev/null || fail "revoke"
flip_byte "$R/tampered/model.bin" 1000
printf 'not signed\n' >"$R/stray.txt"

S=$TMPDIR/state; mkdir -p "$S"
AUD=$TMPDIR/audit.json
cat >"$TMPDIR/vouch.conf" <<EOF
[vouch]
protect = $R
trust = $T
state_dir = $S
audit_log = $AUD
EOF
chmod 0644 "$TMPDIR/vouch.conf"
# The good model was loaded before, at version 3: its mark must stay 3.
"$VOUCH" verify --record -c "$TMPDIR/vouch.conf" "$R/good" >/dev/null 2>&1 || fail "verify --record good"
marks_before=$(cd "$S" && cat ./* | sha256sum)

# ---- the table ----
expect_rc 1 "$VOUCH" scan -c "$TMPDIR/vouch.conf"
TABLE=$OUT
once() {   # once FORM REGEX LABEL: exactly one line of FORM's output matches
	n=$(printf '%s\n' "$1" | grep -Ec -- "$2")
	[ "$n" -eq 1 ] || { printf '%s\n' "$1" >&2; fail "$3: $n lines match /$2/, wanted 1"; }
	ok "$3"
}
C_INT='SI-7,SI-7\(1\),SI-7\(6\),CA-7'
once "$TABLE" "^info +verified +$R/good: .*version 3 \(at its anti-rollback mark\).*\[SI-7,SI-7\(1\),SI-7\(6\),SI-7\(15\),CM-14,CA-7\]" \
	"table: good model verified (info), at its mark"
once "$TABLE" "^critical +integrity +$R/tampered/model.bin: hash-mismatch.*\[$C_INT\]" \
	"table: tampered file critical, SI-7 family"
once "$TABLE" "^high +unsigned +$R/stray.txt: not-signed.*\[CM-14,SI-7\(15\),CA-7\]" \
	"table: unsigned file high, CM-14"
once "$TABLE" "^medium +signature-expiring +$R/soon: .*in (9|10) days.*\[SI-7\(15\),CM-14,CA-7\]" \
	"table: signature expiring in 10 days medium"
once "$TABLE" "^medium +key-expiring +key:$AGING_ID: .*in (4|5) days.*\[SI-7\(15\),CM-14,CA-7\]" \
	"table: key 5 days from not_after medium"
once "$TABLE" "^high +authenticity +$R/gone/model.sig: revoked-key.*\[SI-7\(15\),SI-7\(6\),CM-14,CA-7\]" \
	"table: model by a revoked key high"
once "$TABLE" "^high +key-revoked +key:$GONE_ID: revoked-key" "table: revoked signing key high"
for m in soon aging; do
	once "$TABLE" "^info +verified +$R/$m:" "table: $m verifies today"
done
for m in tampered stray.txt gone soon aging good; do   # no model's finding twice
	n=$(printf '%s\n' "$TABLE" | grep -Ec -- "^[a-z]+ +[a-z-]+ +$R/$m[:/]")
	want=1; case $m in soon) want=2 ;; esac
	[ "$n" -eq "$want" ] || { printf '%s\n' "$TABLE" >&2; fail "$m named $n times, wanted $want"; }
done
once "$TABLE" "^info +audit .*$AUD.*\[AU-2,AU-12,CA-7\]" "table: audit record evidenced (AU-2/AU-12)"
once "$TABLE" "^10 findings: 1 critical, 3 high, 2 medium, 0 low, 4 info$" "table: summary line"

# ---- JSON lines ----
expect_rc 1 "$VOUCH" scan --json -c "$TMPDIR/vouch.conf"
printf '%s\n' "$OUT" >"$TMPDIR/scan.json"
cat >"$TMPDIR/check.py" <<'PYEOF'
import json, sys
R, aging, gone = sys.argv[1:4]
lines = [json.loads(l) for l in sys.stdin.read().splitlines()]
def one(**kv):
    hits = [l for l in lines if all(l.get(k) == v for k, v in kv.items())]
    assert len(hits) == 1, (kv, hits)
    return hits[0]
f = one(check="verified", subject=R + "/good"); assert f["severity"] == "info" and f["version"] == 3
assert f["controls"] == ["SI-7", "SI-7(1)", "SI-7(6)", "SI-7(15)", "CM-14", "CA-7"]
f = one(check="integrity", subject=R + "/tampered/model.bin")
assert f["severity"] == "critical" and f["cause"] == "hash-mismatch" and "SI-7(1)" in f["controls"]
assert f["model"] == "tampered"
f = one(check="unsigned", subject=R + "/stray.txt"); assert f["severity"] == "high" and "CM-14" in f["controls"]
f = one(check="signature-expiring", subject=R + "/soon"); assert f["severity"] == "medium"
f = one(check="key-expiring", subject="key:" + aging); assert f["severity"] == "medium"
f = one(check="authenticity", subject=R + "/gone/model.sig")
assert f["severity"] == "high" and f["cause"] == "revoked-key"
f = one(check="key-revoked", subject="key:" + gone); assert f["severity"] == "high"
assert all(l["root"] == R for l in lines if l["subject"].startswith(R))
assert len(lines) == 10, len(lines)
print("json ok")
PYEOF
"$PY" "$TMPDIR/check.py" "$R" "$AGING_ID" "$GONE_ID" <"$TMPDIR/scan.json" || fail "json lines"
ok "json: every finding once, with severity and controls"

# ---- journal priorities, --fail-on, --min ----
expect_rc 1 "$VOUCH" scan --journal --json -c "$TMPDIR/vouch.conf"
printf '%s\n' "$OUT" | grep -q '^<2>{"severity":"critical","check":"integrity"' || fail "no <2> critical line"
printf '%s\n' "$OUT" | grep -q '^<3>{"severity":"high","check":"unsigned"' || fail "no <3> high line"
printf '%s\n' "$OUT" | grep -q '^<4>{"severity":"medium"' || fail "no <4> medium line"
printf '%s\n' "$OUT" | grep -q '^<6>{"severity":"info"' || fail "no <6> info line"
ok "journal: priorities <2> critical, <3> high, <4> medium, <6> info"
expect_rc 1 "$VOUCH" scan --fail-on critical -c "$TMPDIR/vouch.conf"
expect_rc 0 "$VOUCH" scan --min medium -c "$TMPDIR/vouch.conf" "$R/good" "$R/aging"
expect_out "key-expiring"
printf '%s\n' "$OUT" | grep -q "verified" && fail "--min medium printed an info finding"
ok "--fail-on and --min"
expect_rc 0 "$VOUCH" scan -c "$TMPDIR/vouch.conf" "$R/good"
expect_rc 3 "$VOUCH" scan -c "$TMPDIR/vouch.conf" "$TMPDIR/nonexistent"
expect_out "error +$TMPDIR/nonexistent: io-error"
expect_rc 2 "$VOUCH" scan --fail-on severe -c "$TMPDIR/vouch.conf"
ok "exit 0 clean, 3 on an unreadable root, 2 on a bad severity"

# ---- --no-hash: everything but the flipped byte ----
expect_rc 1 "$VOUCH" scan --no-hash -c "$TMPDIR/vouch.conf"
printf '%s\n' "$OUT" | grep -q "hash-mismatch" && fail "--no-hash hashed"
once "$OUT" "^info +verified +$R/tampered: .*content not hashed" "--no-hash: same-size tamper not seen (by design)"
once "$OUT" "^high +unsigned +$R/stray.txt" "--no-hash: unsigned file still found"
head -c 10 /dev/zero >>"$R/soon/config.json"
expect_rc 1 "$VOUCH" scan --no-hash -c "$TMPDIR/vouch.conf" "$R/soon"
once "$OUT" "^critical +integrity +$R/soon/config.json: size-mismatch" "--no-hash: a size change is found"

# ---- read only: marks unchanged, a newer version not recorded ----
"$VOUCH" sign -k "$TMPDIR/main.key" --name good --version 4 "$R/good" >/dev/null 2>&1 || fail "re-sign good"
expect_rc 0 "$VOUCH" scan -c "$TMPDIR/vouch.conf" "$R/good"
expect_out "version 4 is above the anti-rollback mark 3"
[ "$(cd "$S" && cat ./* | sha256sum)" = "$marks_before" ] || fail "scan changed an anti-rollback mark"
ok "marks read, never raised"

# ---- the units ----
if command -v systemd-analyze >/dev/null; then
	D=$TMPDIR/unit; mkdir -p "$D"
	sed "s|/usr/local/bin/vouch|$VOUCH|g" "$VOUCH_SRC/systemd/vouch-scan.service" >"$D/vouch-scan.service"
	cp "$VOUCH_SRC/systemd/vouch-scan.timer" "$D/"
	( cd "$D" && systemd-analyze verify --man=no ./vouch-scan.timer ./vouch-scan.service ) \
		>"$TMPDIR/verify.out" 2>&1 || { cat "$TMPDIR/verify.out" >&2; fail "systemd-analyze verify"; }
	[ -s "$TMPDIR/verify.out" ] && { cat "$TMPDIR/verify.out" >&2; fail "systemd-analyze verify warns"; }
	ok "vouch-scan.service and .timer pass systemd-analyze verify"
else
	fail "systemd-analyze missing (Debian systemd package)"
fi
exit 0
