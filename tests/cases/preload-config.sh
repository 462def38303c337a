#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-config: the shim's configuration in someone else's process.
#  - no config file: inert and silent (a tampered file opens, nothing logged);
#  - a config naming roots that cannot be fully loaded (bad value, unreadable
#    trusted key): every read under those roots fails with EACCES, other
#    files open, and exactly one alert says why;
#  - audit mode: the tampered file opens and the same LOG_ALERT record is sent;
#  - the JSON audit log is written only where the process may append to it:
#    as nobody, a root-only log is left alone and one syslog line says so.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
pl_public           # nobody runs the shim and preload-try: not from the checkout
chmod 755 "$TMPDIR"
head -c 5000 /dev/urandom >"$TMPDIR/plain.bin"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# No config file at all.
# (/dev/log is shared with anything else running: look only at our pid.)
OUT=$(LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$TMPDIR/absent.conf sh -c 'echo $$; exec "$0" open "$1"' \
	"$TRY" "$PROT/t/model.bin" 2>&1)
pid=${OUT%%[!0-9]*}
[ "${OUT#*
}" = "open ok off=0" ] || fail "no config: $OUT"
sleep 0.3
! grep "vouch\[$pid\]" "$SYSLOG" || fail "no config: the shim logged something"
ok "no config: inert and silent"

# A bad value: fail closed on the roots it names, one alert.
pl_conf enforce "$PROT" "threshold = lots"
OUT=$(shim "$TRY" open "$PROT/m/model.bin" open "$PROT/m/config.json" fopen "$PROT/t/model.bin" \
	open "$TMPDIR/plain.bin" 2>&1)
[ "$OUT" = "open errno=13
open errno=13
fopen errno=13
open ok off=0" ] || fail "bad config: $OUT"
syslog_wait "^<81>vouch\[[0-9]+\]: preload: $CONF: .*threshold.*failing closed: every read under $PROT is denied"
[ "$(grep -c "$CONF" "$SYSLOG")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
ok "bad value: fail closed, one alert"

# A trusted key this process cannot read (nobody vs a 0600 root key).
: >"$SYSLOG"
pl_conf enforce "$PROT"
chmod 0600 "$TMPDIR/trust/k.pub"
OUT=$(as_nobody env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$TRY" open "$PROT/m/model.bin" \
	open "$PROT/m/tokenizer.json" open "$TMPDIR/plain.bin" 2>&1)
[ "$OUT" = "open errno=13
open errno=13
open ok off=0" ] || fail "unreadable key: $OUT"
syslog_wait "^<81>vouch\[[0-9]+\]: preload: .*failing closed"
[ "$(grep -c "$CONF: .*failing closed" "$SYSLOG")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
chmod 0644 "$TMPDIR/trust/k.pub"
try_ok open "$PROT/m/model.bin"
ok "unreadable key: fail closed, one alert"

# Audit mode: allow, same record.
: >"$SYSLOG"
pl_conf audit "$PROT"
try_ok open "$PROT/t/model.bin"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=allow-audit cause=hash-mismatch mode=audit path=$PROT/t/model.bin "
ok "audit mode"

# The JSON audit log: root may append; nobody may not, and is told once.
: >"$SYSLOG"
: >"$TMPDIR/audit.json"
chmod 0600 "$TMPDIR/audit.json"
pl_conf enforce "$PROT" "audit_log = $TMPDIR/audit.json"
try_denied open "$PROT/t/model.bin"
grep -q '"decision":"deny"' "$TMPDIR/audit.json" || fail "root: no JSON record"
cp "$TMPDIR/audit.json" "$TMPDIR/audit.before"
OUT=$(as_nobody env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$TRY" open "$PROT/t/model.bin" \
	open "$PROT/m/model.bin" 2>&1)
[ "$OUT" = "open errno=13
open ok off=0" ] || fail "nobody with a root-only audit log: $OUT"
cmp -s "$TMPDIR/audit.json" "$TMPDIR/audit.before" || fail "nobody wrote the root-only audit log"
[ "$(stat -c %U "$TMPDIR/audit.json")" = root ] || fail "audit log owner changed"
syslog_wait "audit_log $TMPDIR/audit.json not writable by this process"
syslog_wait "decision=deny cause=hash-mismatch .*uid=65534 "
[ "$(grep -c "audit_log $TMPDIR/audit.json not writable" "$SYSLOG")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted one 'not writable' line"; }
ok "audit log only where the process may append"

# Anti-rollback: the shim reads the marks and never advances them.
: >"$SYSLOG"
mkdir -m 0700 "$TMPDIR/state"
pl_conf enforce "$PROT" "state_dir = $TMPDIR/state"
mkmodel "$PROT/r"
"$VOUCH" sign -k "$TMPDIR/k.key" --version 5 "$PROT/r" >/dev/null 2>&1 || fail "sign v5"
expect_rc 0 "$VOUCH" verify -c "$CONF" --record "$PROT/r"          # the mark is now 5
marks() { (cd "$TMPDIR/state" && ls -la --time-style=+%s.%N . && cat ./*) 2>&1; }
before=$(marks)
resign() { rm -f "$PROT/r/model.sig"; "$VOUCH" sign -k "$TMPDIR/k.key" --version "$1" "$PROT/r" >/dev/null 2>&1 || fail "sign v$1"; }
resign 7
try_ok open "$PROT/r/model.bin"                                     # 7 >= 5: allowed ...
[ "$(marks)" = "$before" ] || fail "the shim advanced the anti-rollback mark"   # ... not recorded
resign 3
try_denied open "$PROT/r/model.bin"
syslog_wait "decision=deny cause=rollback .*path=$PROT/r/model.bin "
[ "$(marks)" = "$before" ] || fail "the shim wrote the state dir"
ok "anti-rollback marks read, never written"
