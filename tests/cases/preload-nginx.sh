#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-nginx: nginx with the shim (no mount), master as root, workers as
# www-data, on 127.0.0.1 only, private prefix and config in TMPDIR, stopped
# in a trap.  Signed files are served (200), a tampered one is refused by the
# worker's open (403) with an alert naming nginx and uid 33, files outside
# the protected root are served.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
command -v nginx >/dev/null || fail "nginx missing (make deps)"
id www-data >/dev/null 2>&1 || fail "no www-data user"
syslog_start
pl_setup
chmod 755 "$TMPDIR"
mkdir -p "$TMPDIR/www" "$TMPDIR/ngx/logs"
head -c 5000 /dev/urandom >"$TMPDIR/www/plain.bin"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMPDIR/ngx/nginx.conf" <<NGXEOF
user www-data;
worker_processes 2;
daemon on;
pid $TMPDIR/ngx/nginx.pid;
error_log $TMPDIR/ngx/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $TMPDIR/ngx/logs/access.log;
    client_body_temp_path $TMPDIR/ngx/body;
    proxy_temp_path $TMPDIR/ngx/proxy;
    fastcgi_temp_path $TMPDIR/ngx/fcgi;
    uwsgi_temp_path $TMPDIR/ngx/uwsgi;
    scgi_temp_path $TMPDIR/ngx/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location /models/ { alias $PROT/; }
        location /www/ { alias $TMPDIR/www/; }
    }
}
NGXEOF
stop_nginx() {
	[ -s "$TMPDIR/ngx/nginx.pid" ] && kill "$(cat "$TMPDIR/ngx/nginx.pid")" 2>/dev/null
	syslog_stop
}
trap stop_nginx EXIT
shim nginx -p "$TMPDIR/ngx" -c "$TMPDIR/ngx/nginx.conf" || fail "nginx did not start"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/www/plain.bin" && break; sleep 0.1; done
# The workers really are www-data and really carry the shim.
for w in $(pgrep -P "$(cat "$TMPDIR/ngx/nginx.pid")"); do
	[ "$(stat -c %U /proc/$w)" = www-data ] || fail "worker $w is not www-data"
	grep -q libvouch-preload /proc/$w/maps || fail "worker $w has no shim"
done

code() { curl -s -o "$TMPDIR/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
[ "$(code /models/m/model.bin)" = 200 ] || fail "signed model: $(code /models/m/model.bin)"
cmp -s "$TMPDIR/body" "$PROT/m/model.bin" || fail "signed model: wrong body"
[ "$(code /models/m/config.json)" = 200 ] || fail "signed config"
[ "$(code /www/plain.bin)" = 200 ] || fail "unprotected file"
[ "$(code /models/t/model.bin)" = 403 ] || fail "tampered model: $(code /models/t/model.bin)"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$PROT/t/model.bin .*uid=33 comm=nginx "
ok "nginx: 200 signed, 403 tampered, 200 unprotected"

# Tamper with the good one while nginx runs: the next request is refused.
flip_byte "$PROT/m/model.bin" 5
[ "$(code /models/m/model.bin)" = 403 ] || fail "model tampered at run time still served"
ok "nginx: tampering at run time"
