#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-config-fail: the shim's config never fails open (issue 15, defect 6).
#  - a Kubernetes ConfigMap mount is a normal config: vouch.conf ->
#    ..data/vouch.conf, ..data -> ..2026_12_02_..., all root's, the volume a
#    0777 directory mounted read-only: the shim enforces (tampered file
#    EACCES, good file opens) and `vouch verify -c` reads it too;
#  - a chain with a link that is not root's, or a link in a directory others
#    may write: refused; the shim fails closed on the roots the file names,
#    with one alert naming the link or directory and the reason;
#  - `protect: /x` (inih's other separator) is enforced, and is found when
#    the config fails full parsing (fail closed, not inert);
#  - a config named by VOUCH_CONFIG that the program cannot read (0600, run
#    as nobody): the program is stopped before it runs (exit 126, a message
#    on stderr, one LOG_ALERT), whoever it is;
#  - `vouch` warns about a config that other users cannot read.
# The host-wide default config that a process cannot read (inert, one
# alert): preload-baseline.sh, which can put one at /etc/vouch/vouch.conf.
if [ -z "${PRELOAD_CFGFAIL_NS:-}" ]; then
	PRELOAD_CFGFAIL_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
pl_public           # nobody runs the shim and preload-try: not from the checkout
chmod 755 "$TMPDIR"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# alerts PATTERN: how many syslog records match (grep -E).
alerts() { grep -Ec -- "$1" "$SYSLOG"; }

# A ConfigMap volume as the kubelet writes it, and /etc/vouch/vouch.conf as a
# link into it from elsewhere (absolute), as an image may ship it.
CM=$TMPDIR/cm
TS=..2026_12_02_10_00_00.123456789
mkdir -p "$CM/$TS" "$TMPDIR/etc-vouch"
cp "$CONF" "$CM/$TS/vouch.conf"
chmod 0644 "$CM/$TS/vouch.conf"
ln -s "$TS" "$CM/..data"
ln -s ..data/vouch.conf "$CM/vouch.conf"
ln -s "$CM/vouch.conf" "$TMPDIR/etc-vouch/vouch.conf"
PLAIN=$CONF

# Enforced through the chain, relative and absolute links alike.
: >"$SYSLOG"
for CONF in "$CM/vouch.conf" "$TMPDIR/etc-vouch/vouch.conf"; do
	try_denied open "$PROT/t/model.bin"
	try_ok open "$PROT/m/model.bin"
	try_ok fopen "$PROT/m/config.json"
	expect_rc 0 "$VOUCH" verify -c "$CONF" "$PROT/m"
	expect_rc 1 "$VOUCH" verify -c "$CONF" "$PROT/t"
done
syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/t/model.bin "
[ "$(alerts 'preload: ')" -eq 0 ] || { cat "$SYSLOG" >&2; fail "a good ConfigMap chain raised an alert"; }
# The real volume: a 0777 directory, mounted read-only (nobody can replace
# a link in it).
chmod 0777 "$CM"
mount --bind -o ro "$CM" "$CM" || fail "read-only bind of $CM"
CONF=$CM/vouch.conf
try_denied open "$PROT/t/model.bin"
try_ok open "$PROT/m/model.bin"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$PROT/m"
umount "$CM" || fail "umount $CM"
ok "ConfigMap-style symlinked config (root's chain, read-only 0777 volume): enforced"

# A 0777 directory that is writable: a link in it could be replaced.
: >"$SYSLOG"
OUT=$(shim "$TRY" open "$PROT/t/model.bin" open "$PROT/m/model.bin" open "$TMPDIR/k.pub" 2>&1)
[ "$OUT" = "open errno=13
open errno=13
open ok off=0" ] || fail "link in a world-writable directory: $OUT"
syslog_wait "^<81>vouch\[[0-9]+\]: preload: $CONF: $CONF: directory $CM is group- or world-writable \(mode 777\).*failing closed: every read under $PROT is denied"
[ "$(alerts "preload: $CONF")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
expect_rc 3 "$VOUCH" verify -c "$CONF" "$PROT/m"
expect_out "vouch: $CONF: directory $CM is group- or world-writable"
chmod 1777 "$CM"          # sticky (as /tmp): others cannot replace root's links
try_denied open "$PROT/t/model.bin"
try_ok open "$PROT/m/model.bin"
chmod 0755 "$CM"
ok "link in a world-writable directory: refused, fail closed, one alert (sticky is fine)"

# A link in the chain that is not root's: refused, fail closed, one alert.
: >"$SYSLOG"
chown -h nobody "$CM/..data"
for CONF in "$CM/vouch.conf" "$TMPDIR/etc-vouch/vouch.conf"; do
	OUT=$(shim "$TRY" open "$PROT/t/model.bin" open "$PROT/m/model.bin" open "$TMPDIR/k.pub" 2>&1)
	[ "$OUT" = "open errno=13
open errno=13
open ok off=0" ] || fail "nobody's link in the chain ($CONF): $OUT"
	syslog_wait "^<81>vouch\[[0-9]+\]: preload: $CONF: $CONF: symlink $CM/..data is owned by uid 65534, not root; failing closed: every read under $PROT is denied"
	[ "$(alerts "preload: $CONF:")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
	expect_rc 3 "$VOUCH" verify -c "$CONF" "$PROT/m"
	expect_out "vouch: $CONF: symlink $CM/..data is owned by uid 65534, not root"
done
chown -h root "$CM/..data"
ok "a link that is not root's in the chain: refused, fail closed, one alert"

# protect: with ':' as inih allows it.  A good config enforces; one that
# fails full parsing still fails closed on what it names.
: >"$SYSLOG"
CONF=$PLAIN
printf '[vouch]\nmode: enforce\nprotect: %s\ntrust: %s\n' "$PROT" "$TMPDIR/trust" >"$CONF"
try_denied open "$PROT/t/model.bin"
try_ok open "$PROT/m/model.bin"
printf '[vouch]\nprotect: /nonexistent/a : %s\ntrust = %s\nthreshold: lots\n' "$PROT" "$TMPDIR/trust" >"$CONF"
OUT=$(shim "$TRY" open "$PROT/t/model.bin" open "$PROT/m/model.bin" open "$TMPDIR/k.pub" 2>&1)
[ "$OUT" = "open errno=13
open errno=13
open ok off=0" ] || fail "protect: in a broken config: $OUT"
syslog_wait "^<81>vouch\[[0-9]+\]: preload: $CONF: $CONF:4: .*threshold.*failing closed: every read under /nonexistent/a:$PROT is denied"
[ "$(alerts "preload: $CONF:")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
ok "protect: /x enforced; found in a config that fails to load (fail closed)"

# VOUCH_CONFIG names a config this program cannot read: stopped at start.
: >"$SYSLOG"
pl_conf enforce "$PROT"
chmod 0600 "$CONF"
try_denied open "$PROT/t/model.bin"                     # root reads it: enforced
OUT=$(as_nobody env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$TRY" open "$PROT/t/model.bin" 2>"$TMPDIR/err")
rc=$?
[ "$rc" -eq 126 ] && [ -z "$OUT" ] || fail "0600 VOUCH_CONFIG as nobody: exit $rc, output: $OUT $(cat "$TMPDIR/err")"
grep -q "^vouch: preload: $CONF (VOUCH_CONFIG): cannot read it as uid 65534: Permission denied; stopping preload-try (pid [0-9]*) before it starts" "$TMPDIR/err" ||
	fail "no message on stderr: $(cat "$TMPDIR/err")"
syslog_wait "^<81>vouch\[[0-9]+\]: preload: $CONF \(VOUCH_CONFIG\): cannot read it as uid 65534: Permission denied; stopping preload-try "
[ "$(alerts 'cannot read it')" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted exactly one alert"; }
# The same through the ConfigMap chain with an unsearchable directory, and
# for a program that would not even open a model (a shell).
: >"$SYSLOG"
chmod 0644 "$CONF"
chmod 0700 "$CM/$TS"
expect_rc 126 as_nobody env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CM/vouch.conf" /bin/sh -c 'echo ran'
expect_out "vouch: preload: $CM/vouch.conf \(VOUCH_CONFIG\): cannot read it as uid 65534: Permission denied; stopping sh "
printf '%s\n' "$OUT" | grep -q '^ran$' && fail "the program ran"
chmod 0755 "$CM/$TS"
expect_rc 0 as_nobody env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CM/vouch.conf" /bin/sh -c 'echo ran'
expect_out '^ran$'
ok "VOUCH_CONFIG unreadable by the program (0600, or a 0700 directory): stopped at start (126), stderr + one alert"

# vouch warns about a config that other users cannot read; not about 0644.
chmod 0600 "$CONF"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$PROT/m"
expect_out "vouch: warning: $CONF is not readable by other users \(mode 600\)"
chmod 0644 "$CONF"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$PROT/m"
printf '%s\n' "$OUT" | grep -q warning && fail "warning for a 0644 config: $OUT"
ok "vouch warns about a config other users cannot read"
