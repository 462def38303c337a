#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Which key signed, and why a straggler fails (issue 26, items 4 and 5):
#  - a 2-of-2 model: `vouch verify` and `inspect --verify` name BOTH signers
#    by key id and trust file, and the audit record's signers= field too;
#  - a straggler signed by a retired key plus a current cosigner, under
#    threshold 2: denied `threshold`, and the record still carries the model
#    name and version the signature claims and, in signers=, the retired
#    key's hint marked untrusted-key and the cosigner marked counted;
#  - under threshold 1 the same straggler is untrusted-key, same signers=;
#  - the same signer twice (a copied cosignature) counts once, shown as
#    same-signer;
#  - a hostile model name in an untrusted signature is escaped in the
#    record (it is only a claim).
. "$VOUCH_SRC/tests/lib.sh"
newkey OLD
newkey NEW
newkey CO
mkdir -p "$TMPDIR/trust"
cp "$TMPDIR/NEW.pub" "$TMPDIR/trust/new.pem"
cp "$TMPDIR/CO.pub" "$TMPDIR/trust/co.pem"
# The last decision record (the log also holds messages).
lastrec() { grep '"decision"' "$TMPDIR/audit.jsonl" | tail -n 1; }
conf() { # THRESHOLD
	cat >"$TMPDIR/v.conf" <<CONF
[vouch]
trust = $TMPDIR/trust
threshold = $1
audit_log = $TMPDIR/audit.jsonl
CONF
	chmod 0644 "$TMPDIR/v.conf"
}

# ---- 2 of 2: both signers named -----------------------------------------
m=$TMPDIR/good; mkmodel "$m"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/NEW.key" --name good --version 3 "$m"
expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/CO.key" -p "$TMPDIR/NEW.pub" "$m/model.sig"
conf 2
out=$("$VOUCH" verify -c "$TMPDIR/v.conf" "$m" 2>&1) || { echo "$out"; fail "2-of-2 model refused"; }
echo "$out"
echo "$out" | grep -q 'signers: model.sig=[0-9a-f]\{64\}(new.pem):counted, model.sig.d/[0-9a-f]*.sig=[0-9a-f]\{64\}(co.pem):counted' ||
	fail "vouch verify does not name both signers with their trust files"
out=$("$VOUCH" inspect --verify -c "$TMPDIR/v.conf" "$m/model.sig")
echo "$out" | grep -q '^signers: .*(new.pem):counted, .*(co.pem):counted' ||
	fail "inspect --verify does not name both signers"
"$VOUCH" inspect --verify --json -c "$TMPDIR/v.conf" "$m/model.sig" |
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); s=d["signers"]; assert "(new.pem):counted" in s and "(co.pem):counted" in s, s' ||
	fail "inspect --json has no signers with both"
lastrec | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["decision"] == "allow", r
assert "(new.pem):counted" in r["signers"] and "(co.pem):counted" in r["signers"], r
' || fail "the allow record does not name both signers"
ok "2 of 2: verify, inspect --verify (text and JSON) and the record name both signers and their trust files"

# ---- a straggler: signed by a retired key, cosigned by a current one -----
s=$TMPDIR/strag; mkmodel "$s"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/OLD.key" --name straggler --version 7 "$s"
expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/CO.key" -p "$TMPDIR/OLD.pub" "$s/model.sig"
conf 2
expect_rc 1 "$VOUCH" verify -c "$TMPDIR/v.conf" "$s"
rec=$(lastrec)
echo "$rec"
echo "$rec" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["decision"] == "deny" and r["cause"] == "threshold", r
assert r["model"] == "straggler" and r["version"] == 7, ("name and version missing", r)
s = r["signers"]
assert "model.sig=hint:" in s and ":untrusted-key" in s, ("retired key not shown", s)
assert "(co.pem):counted" in s, ("cosigner not shown as counted", s)
' || fail "a threshold denial does not say who signed and why each did not count"
conf 1
expect_rc 0 "$VOUCH" verify -c "$TMPDIR/v.conf" "$s"
lastrec | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
# with threshold 1 the cosigner alone suffices: that is the point of
# showing every signer: the record must still flag the retired primary
assert r["decision"] == "allow", r
assert "model.sig=hint:" in r["signers"] and ":untrusted-key" in r["signers"], r
' || fail "threshold 1: the retired primary is not flagged in signers="
rm -r "$s/model.sig.d"
expect_rc 1 "$VOUCH" verify -c "$TMPDIR/v.conf" "$s"
lastrec | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["cause"] == "untrusted-key" and r["model"] == "straggler" and r["version"] == 7, r
assert r["signers"].startswith("model.sig=hint:") and r["signers"].endswith(":untrusted-key"), r
' || fail "an untrusted-key denial lacks the model, version or signers"
ok "stragglers: threshold and untrusted-key denials carry model, version and every signer with why"

# ---- the same signer twice counts once, and says so ----------------------
d=$TMPDIR/dup; mkmodel "$d"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/NEW.key" "$d"
expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/NEW.key" -p "$TMPDIR/NEW.pub" "$d/model.sig" 2>/dev/null ||
	{ mkdir -p "$d/model.sig.d"; cp "$d/model.sig" "$d/model.sig.d/again.sig"; }
conf 2
expect_rc 1 "$VOUCH" verify -c "$TMPDIR/v.conf" "$d"
lastrec | grep -q 'same-signer' || fail "a repeated signer is not shown as same-signer"
ok "the same signer twice: threshold, shown as same-signer"

# ---- a hostile claimed name is escaped -----------------------------------
h=$TMPDIR/hostile; mkmodel "$h"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/OLD.key" --name "$(printf 'evil\ndecision=allow')" "$h"
conf 1
"$VOUCH" verify -c "$TMPDIR/v.conf" "$h" 2>"$TMPDIR/err" && fail "untrusted signature verified"
grep -c '' "$TMPDIR/err" | grep -qx 2 || { cat "$TMPDIR/err"; fail "a claimed name broke a line"; }
lastrec | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["model"] == "evil\\x0adecision=allow" and r["decision"] == "deny", r
' || fail "the claimed name is not carried as one JSON string"
ok "a claimed (unverified) model name is carried escaped, never as a field of its own"
