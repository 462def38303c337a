#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-status: `vouch status` against a running vouchfs (exit 0: the root is
# protected, by vouchfs, with the daemon's pid and the source; the last
# denial and the counters shown), a configured root with no mount (exit 1),
# a vouchfs killed with -9 (its mount is dead: exit 1, and `vouch metrics`
# reports its socket down), a restart stacked on the dead mount (exit 0,
# the new pid) and a clean stop (exit 1); --json says the same.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

ROOT=$TMPDIR/models; MDIR=$TMPDIR/metrics
mkdir -p "$ROOT"
fs_model "$ROOT/m"
cp -r "$ROOT/m" "$ROOT/t"
flip_byte "$ROOT/t/model.bin" 1000
CONF=$TMPDIR/vouch.conf
cat >"$CONF" <<CONFEOF
[vouch]
protect = $ROOT
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
metrics_dir = $MDIR
CONFEOF
jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# Nothing mounted yet: the configured root is not protected.
expect_rc 1 "$VOUCH" status -c "$CONF"
expect_out "$ROOT +unprotected +nothing protects it"

fs_mount "$ROOT" "$ROOT" -c "$CONF"
P1=$FS_PID
[ "$(fs_errno "$ROOT/t/model.bin")" = EACCES ] || fail "tampered file served"
[ "$(fs_errno "$ROOT/m/model.bin")" = OK ] || fail "good file refused"
expect_rc 0 "$VOUCH" status -c "$CONF"
expect_out "$ROOT +protected +vouchfs pid $P1 source $ROOT"
expect_out "^  $ROOT <- $ROOT: serving, pid $P1"
expect_out "trust: $TMPDIR/trust: 1 key\(s\) \(0 revoked"
expect_out "vouchfs@.*: 2 decisions \(1 refused\)"
expect_out "deny hash-mismatch $ROOT/t/model.bin pid [0-9]+ \(python3\)"
J=$("$VOUCH" status -c "$CONF" --json) || fail "status --json exit $?"
[ "$(printf "%s\n" "$J" | jget 'd["all_protected"], d["roots"][0]["pid"], d["roots"][0]["by"]')" = "(True, $P1, 'vouchfs')" ] \
	|| { printf "%s\n" "$J" >&2; fail "--json does not say vouchfs pid $P1 protects the root"; }
[ "$(printf "%s\n" "$J" | jget 'd["denials"][0]["cause"]')" = hash-mismatch ] || fail "--json: last denial"
ok "running vouchfs: exit 0, pid $P1, source, trust, counters and the last denial"

# A second root in the config that nothing mounts.
sed "s|^protect = .*|protect = $ROOT:$TMPDIR/elsewhere|" "$CONF" >"$TMPDIR/two.conf"
mkdir -p "$TMPDIR/elsewhere"
expect_rc 1 "$VOUCH" status -c "$TMPDIR/two.conf"
expect_out "$TMPDIR/elsewhere +unprotected +nothing protects it"
expect_out "$ROOT +protected"
ok "a configured root without its mount: exit 1, named"

# kill -9: the mount stays (fails closed) but protects nothing new: exit 1.
kill -9 "$P1"
for _ in $(seq 50); do kill -0 "$P1" 2>/dev/null || break; sleep 0.05; done
expect_rc 1 "$VOUCH" status -c "$CONF"
expect_out "$ROOT +dead +vouchfs"
expect_out "Transport endpoint is not connected"
expect_rc 1 "$VOUCH" metrics -c "$CONF"
expect_out "vouch_metrics_source_up\{instance=\"vouchfs@[^\"]+\"\} 0"
ok "vouchfs killed: status exit 1 (dead mount), metrics report its socket down"

# A restart stacks on the dead mount and takes the stale socket over.
fs_mount "$ROOT" "$ROOT" -c "$CONF"
P2=$FS_PID
expect_rc 0 "$VOUCH" status -c "$CONF"
expect_out "$ROOT +protected +vouchfs pid $P2 "
ok "restarted over the dead mount: exit 0, new pid $P2"

# A second instance on another mount point: a socket of its own, both up.
mkdir -p "$TMPDIR/two"
fs_model "$TMPDIR/two/m"
fs_mount "$TMPDIR/two" "$TMPDIR/two" -c "$CONF"
P3=$FS_PID
expect_rc 0 "$VOUCH" metrics -c "$CONF"
[ "$(printf '%s\n' "$OUT" | grep -c '^vouch_metrics_source_up{instance="vouchfs@.*"} 1$')" = 2 ] \
	|| { printf '%s\n' "$OUT" | grep source_up >&2; fail "two instances are not two sources"; }
expect_out "^vouch_build_info\{instance=\"vouchfs@[^\"]*two\""
fs_stop "$P3" "$TMPDIR/two"
ok "two instances: two sockets, both answering"

SOCKS=$(ls "$MDIR" | wc -l)
fs_stop "$P2" "$ROOT"
expect_rc 1 "$VOUCH" status -c "$CONF"
expect_out "$ROOT +unprotected"
[ "$(ls "$MDIR" | wc -l)" -lt "$SOCKS" ] || fail "socket left after a clean stop"
ok "clean stop: exit 1, socket removed"
