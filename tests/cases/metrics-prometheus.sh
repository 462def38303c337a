#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# metrics-prometheus: a real Prometheus (Debian's) scrapes `vouch metrics
# --listen` in front of a running vouchfs.  After one allowed and one denied
# (tampered: hash-mismatch) open, the PromQL sum of
# vouch_decisions_total{cause="hash-mismatch"} is exactly 1 through
# Prometheus's HTTP API, the allow is counted once more on a reopen (a cache
# hit, never recorded), the bytes hashed are the two files' sizes exactly,
# reloads and refused reloads are counted, the exposition passes promtool
# check metrics, and the socket is the instance's own, mode 0600.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
command -v prometheus >/dev/null || skip "prometheus is not installed (Debian package prometheus, in DEB_TEST)"
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt; MDIR=$TMPDIR/run/metrics
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
cp -r "$SRC/m" "$SRC/t"
flip_byte "$SRC/t/model.bin" 1000
# A file changed less than a second before its hash is allowed but not
# remembered (verify.c, racy_clean): let the reopen below be a cache hit.
sleep 1.2
CONF=$TMPDIR/vouch.conf
cat >"$CONF" <<CONFEOF
[vouch]
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
metrics_dir = $MDIR
CONFEOF
fs_mount "$SRC" "$MNT" -c "$CONF"
VFS_PID=$FS_PID
INST="vouchfs@$(systemd-escape --path "$MNT" 2>/dev/null || echo "$MNT" | sed 's|^/||; s|/|-|g')"
SOCK=$MDIR/$INST.sock
# The instance as a label value is escaped (a '-' in the path is \x2d in the
# name, \\x2d in the exposition): IL matches it in a grep pattern, IQ is it
# in a PromQL string.
IL=$(printf '%s' "$INST" | sed 's/\\/\\\\\\\\/g')
IQ=$(printf '%s' "$INST" | sed 's/\\/\\\\/g')
[ -S "$SOCK" ] || { ls -la "$MDIR" >&2; cat "$TMPDIR/vouchfs.err" >&2; fail "no metrics socket $SOCK"; }
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "metrics socket mode $(stat -c %a "$SOCK"), wanted 600"
[ "$(stat -c %a "$MDIR")" = 750 ] || fail "metrics_dir mode $(stat -c %a "$MDIR"), wanted 750"
ok "vouchfs serves its metrics on $INST.sock (0600, in a 0750 metrics_dir)"

[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "good file refused"
[ "$(fs_errno "$MNT/t/model.bin")" = EACCES ] || fail "tampered file served"

# promtool: names, types, HELP, units, as Prometheus's own linter sees them.
"$VOUCH" metrics -c "$CONF" >"$TMPDIR/m1.txt" || fail "vouch metrics failed: $(cat "$TMPDIR/m1.txt")"
promtool check metrics <"$TMPDIR/m1.txt" >"$TMPDIR/promtool.out" 2>&1 \
	|| { cat "$TMPDIR/promtool.out" >&2; fail "promtool check metrics"; }
ok "promtool check metrics: no problem in $(grep -c '^# TYPE' "$TMPDIR/m1.txt") families"
# One sample per (cause, mode), instance added by `vouch metrics`; no path as a label.
grep -q "^vouch_decisions_total{instance=\"$IL\",cause=\"hash-mismatch\",mode=\"enforce\"} 1\$" \
	"$TMPDIR/m1.txt" || { cat "$TMPDIR/m1.txt" >&2; fail "hash-mismatch not counted once"; }
grep -q "$SRC" "$TMPDIR/m1.txt" && fail "a file path leaked into the metrics"
# Exactly what was hashed: the good and the tampered model.bin, once each.
want=$(( $(stat -c %s "$SRC/m/model.bin") + $(stat -c %s "$SRC/t/model.bin") ))
grep -q "^vouch_hash_bytes_total{instance=\"$IL\"} $want\$" "$TMPDIR/m1.txt" \
	|| { grep hash_bytes "$TMPDIR/m1.txt" >&2; fail "hash bytes are not $want"; }
grep -q "^vouch_hash_jobs_in_flight{instance=\"$IL\"} 0\$" "$TMPDIR/m1.txt" || fail "a hash job left in flight"
grep -q "^vouch_audit_records_dropped_total{instance=\"$IL\"} 0\$" "$TMPDIR/m1.txt" || fail "audit records dropped"
ok "decisions by cause and mode, hash bytes exact ($want), nothing in flight"

# A reopen of the good file is a cache hit: no record is written, but it is a decision.
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "good file refused on reopen"
"$VOUCH" metrics -c "$CONF" >"$TMPDIR/m2.txt"
grep -q "^vouch_decisions_total{instance=\"$IL\",cause=\"ok\",mode=\"enforce\"} 2\$" "$TMPDIR/m2.txt" \
	|| { grep 'cause="ok"' "$TMPDIR/m2.txt" >&2; fail "allow cache hit not counted as a decision"; }
grep -q "^vouch_cache_hits_total{instance=\"$IL\"} 1\$" "$TMPDIR/m2.txt" || fail "cache hit not counted"
grep -q "^vouch_open_duration_seconds_count{instance=\"$IL\"} 3\$" "$TMPDIR/m2.txt" \
	|| fail "open latency histogram does not hold the 3 opens"
grep -q "^vouch_hash_bytes_total{instance=\"$IL\"} $want\$" "$TMPDIR/m2.txt" || fail "a cache hit hashed"
ok "a cache hit: one more decision, one hit, no hash"

# Reloads: one that works, one refused (the config no longer parses).
fs_hup "$VFS_PID" "$MNT"
cp "$CONF" "$TMPDIR/conf.good"
printf 'bogus_key = 1\n' >>"$CONF"
fs_hup "$VFS_PID" "$MNT"
cp "$TMPDIR/conf.good" "$CONF"
"$VOUCH" metrics -c "$CONF" >"$TMPDIR/m3.txt"
grep -q "^vouch_config_reloads_total{instance=\"$IL\"} 2\$" "$TMPDIR/m3.txt" || \
	{ grep reload "$TMPDIR/m3.txt" >&2; fail "reloads not counted"; }
grep -q "^vouch_config_reload_failures_total{instance=\"$IL\"} 1\$" "$TMPDIR/m3.txt" || \
	fail "the refused reload not counted"
ok "reloads and refused reloads counted"

# A real Prometheus scraping `vouch metrics --listen`, every second.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
VPORT=$(free_port); PPORT=$(free_port)
"$VOUCH" metrics -c "$CONF" --listen "127.0.0.1:$VPORT" 2>"$TMPDIR/listen.err" &
LPID=$!
mkdir -p "$TMPDIR/prom"
cat >"$TMPDIR/prom.yml" <<PROMEOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vouch
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$VPORT']
PROMEOF
promtool check config "$TMPDIR/prom.yml" >/dev/null 2>&1 || fail "promtool check config"
prometheus --config.file="$TMPDIR/prom.yml" --storage.tsdb.path="$TMPDIR/prom" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMPDIR/prom.log" 2>&1 &
PPID_=$!
FS_HOOK="kill $LPID $PPID_"
query() {
	"$PY" - "$PPORT" "$1" <<'PYEOF'
import json, sys, urllib.parse, urllib.request
port, q = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q})), timeout=2) as r:
        d = json.load(r)
    res = d["data"]["result"]
    print(res[0]["value"][1] if res else "none")
except Exception as e:
    print("error:", e)
PYEOF
}
got=""
for _ in $(seq 60); do
	got=$(query 'sum(vouch_decisions_total{cause="hash-mismatch"})')
	[ "$got" = 1 ] && break
	kill -0 "$PPID_" 2>/dev/null || { cat "$TMPDIR/prom.log" >&2; fail "prometheus exited"; }
	kill -0 "$LPID" 2>/dev/null || { cat "$TMPDIR/listen.err" >&2; fail "vouch metrics --listen exited"; }
	sleep 1
done
[ "$got" = 1 ] || { tail -20 "$TMPDIR/prom.log" >&2; fail "PromQL sum(vouch_decisions_total{cause=\"hash-mismatch\"}) = $got, wanted 1"; }
ok "Prometheus: sum(vouch_decisions_total{cause=\"hash-mismatch\"}) = 1"
got=$(query "sum(vouch_decisions_total{cause=\"ok\",instance=\"$IQ\"})")
[ "$got" = 2 ] || fail "Prometheus sees $got allows for instance $INST, wanted 2"
got=$(query 'up{job="vouch"}')
[ "$got" = 1 ] || fail "the scrape target is not up ($got)"
ok "Prometheus keeps the instance label (honor_labels) and the target is up"
kill "$LPID" "$PPID_" 2>/dev/null
wait "$PPID_" 2>/dev/null

fs_stop "$VFS_PID" "$MNT"
[ -e "$SOCK" ] && fail "the metrics socket outlived a clean stop"
ok "a clean stop removes the socket"
