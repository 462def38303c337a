#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-service-user: the shim in a server that runs as www-data, with the
# anti-rollback marks configured (state_dir), as docs/preload.md recommends.
#  - the marks vouch writes (vouch verify --record here; vouchfs writes them
#    with the same code) are readable by the service user: state_dir 0755,
#    each mark 0644, and still so after a mark is raised (rewritten);
#  - www-data opens a good model, is refused a tampered one, and is refused
#    an older version (cause=rollback: the marks are really read);
#  - an older tree (state_dir 0700, marks 0600) is widened by the next
#    writer; a state_dir made unreadable by hand denies, and the alert says
#    what to fix (which path, which user, the chmod).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
id www-data >/dev/null 2>&1 || skip "no www-data user"
syslog_start
pl_setup
pl_public
chmod 755 "$TMPDIR"
STATE=$TMPDIR/state
pl_conf enforce "$PROT" "state_dir = $STATE"
as_www() { setpriv --reuid=www-data --regid=www-data --clear-groups "$@"; }
www_try() { as_www env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$TRY" open "$1" 2>&1; }

# Root records the mark of m (version 1), as vouchfs does at a first open.
expect_rc 0 "$VOUCH" verify --record -c "$CONF" "$PROT/m"
[ "$(stat -c %a "$STATE")" = 755 ] || fail "state_dir created $(stat -c %a "$STATE"), wanted 755"
for f in "$STATE"/*.json; do
	[ "$(stat -c %a "$f")" = 644 ] || fail "mark $f written $(stat -c %a "$f"), wanted 644"
done
ok "state_dir 0755, marks 0644"

OUT=$(www_try "$PROT/m/model.bin")
[ "$OUT" = "open ok off=0" ] || { cat "$SYSLOG" >&2; fail "www-data, good model: $OUT"; }
OUT=$(www_try "$PROT/t/model.bin")
[ "$OUT" = "open errno=13" ] || fail "www-data, tampered model: $OUT"
syslog_wait "cause=hash-mismatch .*path=$PROT/t/model.bin"
ok "www-data reads a good model and is refused a tampered one"

# Raise the mark (a rewrite): it must stay readable.
"$VOUCH" sign -k "$TMPDIR/k.key" --version 3 "$PROT/m" >/dev/null 2>&1 || fail "sign v3"
expect_rc 0 "$VOUCH" verify --record -c "$CONF" "$PROT/m"
for f in "$STATE"/*.json; do
	[ "$(stat -c %a "$f")" = 644 ] || fail "mark $f rewritten $(stat -c %a "$f"), wanted 644"
done
OUT=$(www_try "$PROT/m/model.bin")
[ "$OUT" = "open ok off=0" ] || fail "www-data after the mark was raised: $OUT"
# An older signed version is refused because the mark was read.
"$VOUCH" sign -k "$TMPDIR/k.key" --version 2 "$PROT/m" >/dev/null 2>&1 || fail "sign v2"
OUT=$(www_try "$PROT/m/model.bin")
[ "$OUT" = "open errno=13" ] || fail "www-data, version 2 below mark 3: $OUT"
syslog_wait "cause=rollback .*path=$PROT/m/model.bin"
"$VOUCH" sign -k "$TMPDIR/k.key" --version 3 "$PROT/m" >/dev/null 2>&1 || fail "sign v3 again"
ok "a raised mark stays 0644 and www-data enforces it (rollback)"

# A tree left by an older vouch: the next writer widens it.
chmod 0700 "$STATE"
chmod 0600 "$STATE"/*.json
expect_rc 0 "$VOUCH" verify --record -c "$CONF" "$PROT/m"
[ "$(stat -c %a "$STATE")" = 755 ] || fail "old 0700 state_dir left $(stat -c %a "$STATE")"
for f in "$STATE"/*.json; do
	[ "$(stat -c %a "$f")" = 644 ] || fail "old 0600 mark $f left $(stat -c %a "$f")"
done
OUT=$(www_try "$PROT/m/model.bin")
[ "$OUT" = "open ok off=0" ] || fail "www-data after the widening: $OUT"
ok "an older 0700/0600 tree is made readable by the next writer"

# Made unreadable by hand: denied, and the alert says how to fix it.
chmod 0700 "$STATE"
OUT=$(www_try "$PROT/m/model.bin")
[ "$OUT" = "open errno=13" ] || fail "www-data with a 0700 state_dir: $OUT"
syslog_wait "cause=io-error .*Permission denied"
syslog_wait "preload: .*uid 33.*$STATE.*chmod"
chmod 0755 "$STATE"
ok "a permission problem is denied and the alert names the fix"
