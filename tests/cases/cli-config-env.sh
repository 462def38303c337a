#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-config-env: VOUCH_CONFIG names the configuration for every program, as
# it does for the preload shim, so the CLI checks the policy the shim
# enforces on the same host.
#  - vouch verify, inspect --verify, trust list, state show, cosign and
#    publish read it when no -c (or key) is given; -c still wins;
#  - vouchfs reads it when no -c is given (and it must exist);
#  - a setuid copy (AT_SECURE) ignores it and reads the default;
#  - a state_dir whose parent does not exist is created, parents included.
. "$VOUCH_SRC/tests/lib.sh"
newkey k
newkey other
mkdir -p "$TMPDIR/trust" "$TMPDIR/otrust"
cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
cp "$TMPDIR/other.pub" "$TMPDIR/otrust/other.pub"
M=$TMPDIR/models/m
mkdir -p "$TMPDIR/models"
mkmodel "$M"
"$VOUCH" sign -k "$TMPDIR/k.key" --name m --version 4 "$M" >/dev/null 2>&1 || fail "sign"
CONF=$TMPDIR/vouch.conf
printf '[vouch]\nprotect = %s\ntrust = %s\nstate_dir = %s\n' "$TMPDIR/models" "$TMPDIR/trust" \
	"$TMPDIR/var/lib/vouch/marks" >"$CONF"
OCONF=$TMPDIR/other.conf
printf '[vouch]\ntrust = %s\n' "$TMPDIR/otrust" >"$OCONF"
chmod 0644 "$CONF" "$OCONF"
export VOUCH_CONFIG="$CONF"

expect_rc 0 "$VOUCH" verify "$M"
expect_rc 0 "$VOUCH" verify --record "$M"
[ -d "$TMPDIR/var/lib/vouch/marks" ] || fail "state_dir (and its parents) not created"
expect_rc 0 "$VOUCH" state show
expect_out "^m +version 4"
expect_rc 0 "$VOUCH" trust list
expect_out "k.pub"
expect_rc 0 "$VOUCH" inspect --verify "$M/model.sig"
expect_out "VERIFIED"
expect_rc 1 "$VOUCH" verify -c "$OCONF" "$M"
expect_out "untrusted-key"
ok "VOUCH_CONFIG: verify, verify --record (state_dir parents made), state, trust, inspect; -c wins"

VOUCH_CONFIG=$OCONF expect_rc 1 "$VOUCH" cosign -k "$TMPDIR/other.key" "$M/model.sig"
expect_out "untrusted-key"
VOUCH_CONFIG=$TMPDIR/absent.conf expect_rc 2 "$VOUCH" verify "$M"
expect_out "absent.conf \(VOUCH_CONFIG\)"
cp -a "$M" "$TMPDIR/stage-m"
"$VOUCH" sign -k "$TMPDIR/k.key" --name m --version 3 "$TMPDIR/stage-m" >/dev/null 2>&1 || fail "sign v3"
mkdir -p "$TMPDIR/models/.vouch-publish.0123456789ab/m"     # left by a killed publish
expect_rc 1 "$VOUCH" publish "$TMPDIR/stage-m" "$M"
expect_out "rollback"
expect_out "removing .*/.vouch-publish.0123456789ab, left by an interrupted publish"
[ -e "$TMPDIR/models/.vouch-publish.0123456789ab" ] && fail "a stale staging directory was left"
ok "VOUCH_CONFIG: cosign and publish; a missing one is named"

# A setuid copy must not let its caller choose the policy.
PUB=$(mktemp -d /tmp/vouch-suid.XXXXXX)
trap 'rm -rf "$PUB"' EXIT
cp "$VOUCH" "$PUB/vouch"
chmod 0755 "$PUB"
chmod 4755 "$PUB/vouch"
OUT=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env VOUCH_CONFIG="$CONF" "$PUB/vouch" trust list 2>&1)
printf '%s\n' "$OUT" | grep -q "k.pub" && fail "a setuid vouch read VOUCH_CONFIG: $OUT"
printf '%s\n' "$OUT" | grep -q "/etc/vouch/vouch.conf" || fail "a setuid vouch did not fall back to the default: $OUT"
ok "AT_SECURE: VOUCH_CONFIG ignored"

# vouchfs reads it too (root and FUSE only).
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ] && [ -x "$VOUCHFS" ]; then
	mkdir -p "$TMPDIR/mnt"
	"$VOUCHFS" -f "$TMPDIR/models" "$TMPDIR/mnt" 2>"$TMPDIR/vouchfs.err" &
	VPID=$!
	for _ in $(seq 100); do grep -q "serving" "$TMPDIR/vouchfs.err" && break; sleep 0.05; done
	grep -q "serving $TMPDIR/models at $TMPDIR/mnt ($CONF;" "$TMPDIR/vouchfs.err" ||
		{ cat "$TMPDIR/vouchfs.err" >&2; kill "$VPID"; fail "vouchfs did not read VOUCH_CONFIG"; }
	cmp -s "$TMPDIR/mnt/m/model.bin" "$M/model.bin" || { kill "$VPID"; fail "vouchfs with VOUCH_CONFIG"; }
	kill -TERM "$VPID"; wait "$VPID"
	VOUCH_CONFIG=$TMPDIR/absent.conf expect_rc 3 "$VOUCHFS" -f "$TMPDIR/models" "$TMPDIR/mnt"
	expect_out "absent.conf"
	ok "vouchfs reads VOUCH_CONFIG (and a missing one is an error)"
fi
