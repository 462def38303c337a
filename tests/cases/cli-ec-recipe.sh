#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-ec-recipe: the recipe of docs/keys.md "Signing for the reference verifier"
# (its sh block) run as written, paths moved under $TMPDIR: an EC P-256 key
# made with openssl signs a model with --method files, vouch verifies it,
# and the bundle has the shape model_signing's verifier takes (files, an EC
# key hint, no shards).  (model_signing itself is not on this machine.)
. "$VOUCH_SRC/tests/lib.sh"
command -v openssl >/dev/null || skip "no openssl"
mkdir -p "$TMPDIR/srv/incoming" "$TMPDIR/bin"
ln -s "$VOUCH" "$TMPDIR/bin/vouch"
mkmodel "$TMPDIR/srv/incoming/resnet-8"
awk '/^## Signing for the reference verifier/ { on = 1; next } on && /^## / { exit }
	on && /^```sh$/ { b = 1; next } on && /^```/ { b = 0; next } b' \
	"$VOUCH_SRC/docs/keys.md" | sed "s|/srv/|$TMPDIR/srv/|g" >"$TMPDIR/recipe.sh"
[ -s "$TMPDIR/recipe.sh" ] || fail "docs/keys.md has no recipe block"
OUT=$(cd "$TMPDIR" && PATH="$TMPDIR/bin:$PATH" sh -eu "$TMPDIR/recipe.sh" 2>&1) ||
	{ printf '%s\n' "$OUT" >&2; fail "the recipe failed"; }
expect_out "verified \(model resnet, version 8"
[ "$(stat -c %a "$TMPDIR/release-ec.pem")" = 600 ] || fail "the private key is not 0600"
"$PY" - "$TMPDIR/srv/incoming/resnet-8/model.sig" <<'PYEOF' || fail "the bundle is not what model_signing verifies"
import base64, json, sys
b = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
ser = st["predicate"]["serialization"]
assert ser["method"] == "files", ser
assert all(":" not in r["name"] for r in st["predicate"]["resources"]), "sharded names"
assert b["verificationMaterial"]["publicKey"]["hint"], "no key hint"
assert "model.sig.d" in ser.get("ignore_paths", []), ser
PYEOF
ok "the EC/--method files recipe of docs/keys.md works as written"
