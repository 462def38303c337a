#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-nginx: nginx (workers as www-data, 127.0.0.1 only, private prefix)
# serves a model directory from a vouchfs mount made with allow_other from
# the config file: 200 with the exact bytes for a verified file, 403 for a
# tampered one with an alert that names the nginx worker's pid, and a 0600
# root-owned file stays unreadable to www-data through the mount
# (default_permissions) although its signature verifies.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
command -v nginx >/dev/null || fail "nginx missing (make deps)"
command -v curl >/dev/null || fail "curl missing"
id www-data >/dev/null 2>&1 || fail "no www-data user"
fs_syslog_start

chmod 755 "$TMPDIR"             # www-data must reach the mount point
SRC=$TMPDIR/src; MNT=$TMPDIR/mnt; NG=$TMPDIR/nginx
mkdir -p "$SRC" "$MNT" "$NG"
fs_model "$SRC/m"
printf 'root only\n' >"$SRC/m/secret.bin"; chmod 600 "$SRC/m/secret.bin"
mkdir "$SRC/t"; cp -r "$SRC/m/." "$SRC/t/"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/m"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/t"
flip_byte "$SRC/t/model.bin" 77
cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = enforce
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
allow_other = yes
CONF
chmod 644 "$TMPDIR/vouch.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"
grep " $MNT " /proc/self/mountinfo | grep -q "allow_other" || fail "no allow_other on the mount"
grep " $MNT " /proc/self/mountinfo | grep -q "default_permissions" || fail "no default_permissions"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$NG/nginx.conf" <<CONF
user www-data;
worker_processes 1;
daemon on;
pid $NG/nginx.pid;
error_log $NG/error.log info;
events { worker_connections 64; }
http {
	access_log $NG/access.log;
	client_body_temp_path $NG/body;
	proxy_temp_path $NG/proxy;
	fastcgi_temp_path $NG/fastcgi;
	uwsgi_temp_path $NG/uwsgi;
	scgi_temp_path $NG/scgi;
	sendfile on;
	server {
		listen 127.0.0.1:$PORT;
		root $MNT;
		location / { }
	}
}
CONF
FS_HOOK='kill $(cat "$NG/nginx.pid")'
expect_rc 0 nginx -p "$NG" -c "$NG/nginx.conf"
for _ in $(seq 100); do [ -s "$NG/nginx.pid" ] && break; sleep 0.05; done
master=$(cat "$NG/nginx.pid")
worker=$(pgrep -P "$master" nginx | head -n 1)
[ -n "$worker" ] || fail "no nginx worker"
[ "$(stat -c %U /proc/$worker)" = www-data ] || fail "worker does not run as www-data"

get() { curl -s -o "$2" -w '%{http_code}' "http://127.0.0.1:$PORT/$1"; }
[ "$(get m/model.bin "$TMPDIR/got.bin")" = 200 ] || { cat "$NG/error.log" >&2; fail "verified file: not 200"; }
cmp "$TMPDIR/got.bin" "$SRC/m/model.bin" || fail "served bytes differ"
[ "$(get m/config.json "$TMPDIR/got.json")" = 200 ] && cmp "$TMPDIR/got.json" "$SRC/m/config.json" \
	|| fail "config.json"
ok "200 with the exact bytes for verified files (worker $worker as www-data)"

[ "$(get t/model.bin "$TMPDIR/got2.bin")" = 403 ] || fail "tampered file: not 403"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$SRC/t/model.bin .* pid=$worker uid=33 comm=nginx"
grep "\"path\":\"$SRC/t/model.bin\"" "$TMPDIR/audit.jsonl" | grep -q "\"pid\":$worker,\"uid\":33,\"comm\":\"nginx\"" \
	|| fail "JSON record does not name the nginx worker"
ok "tampered file: 403, alert names nginx worker pid $worker"

[ "$(get m/secret.bin "$TMPDIR/got3.bin")" = 403 ] || fail "0600 root file served to www-data"
cmp "$MNT/m/secret.bin" "$SRC/m/secret.bin" || fail "root cannot read its own verified file"
grep -q "\"path\":\"$SRC/m/secret.bin\".*\"uid\":33" "$TMPDIR/audit.jsonl" \
	&& fail "the kernel should refuse www-data before vouchfs is asked"
ok "0600 root-owned file: 403 for www-data (file modes hold), readable by root"
