#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd-nginx: nginx (master root, workers www-data, 127.0.0.1 only,
# private prefix) serves a model root on a private tmpfs, with vouchd alone
# (no mount, no preload; sendfile on).  A signed file: 200 with the exact
# bytes.  A tampered one: 500, and an alert naming the nginx worker (its pid,
# uid 33, comm nginx).
#
# Why 500 and not 403: a fanotify permission event can only fail the open
# with EPERM (FAN_DENY_ERRNO takes EPERM or EIO, not EACCES), and nginx maps
# only EACCES to 403 Forbidden (ngx_http_static_module: NGX_EACCES → 403,
# ENOENT/ENOTDIR/ENAMETOOLONG → 404, anything else → 500 with an error-log
# line "open() ... failed (1: Operation not permitted)").  vouchfs and the
# shim answer EACCES, hence their 403.
#
# Also: a file tampered while nginx runs is refused at the next request; a
# file outside the protected root on the same filesystem is served.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
command -v nginx >/dev/null || fail "nginx missing (make deps)"
command -v curl >/dev/null || fail "curl missing"
id www-data >/dev/null 2>&1 || fail "no www-data user"
vd_syslog_start

chmod 755 "$TMPDIR"             # www-data must reach the model fs
MFS=$TMPDIR/mfs; ROOT=$MFS/models; NG=$TMPDIR/nginx
vd_fs "$MFS"
mkdir -p "$ROOT" "$MFS/www" "$NG"
mkmodel "$ROOT/m"; vd_sign "$ROOT/m"
mkmodel "$ROOT/t"; vd_sign "$ROOT/t"
flip_byte "$ROOT/t/model.bin" 77
head -c 5000 /dev/urandom >"$MFS/www/plain.bin"
chmod -R a+rX "$MFS"
vd_conf "$ROOT"
vd_start

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
		location /models/ { alias $ROOT/; }
		location /www/ { alias $MFS/www/; }
	}
}
CONF
VD_HOOK='[ -s "$NG/nginx.pid" ] && kill "$(cat "$NG/nginx.pid")"'
expect_rc 0 nginx -p "$NG" -c "$NG/nginx.conf"
for _ in $(seq 100); do [ -s "$NG/nginx.pid" ] && break; sleep 0.05; done
master=$(cat "$NG/nginx.pid")
worker=$(pgrep -P "$master" nginx | head -n 1)
[ -n "$worker" ] || fail "no nginx worker"
[ "$(stat -c %U /proc/$worker)" = www-data ] || fail "worker does not run as www-data"
grep -q libvouch-preload "/proc/$worker/maps" && fail "the nginx worker carries the shim: this case is vouchd alone"

get() { curl -s -o "$2" -w '%{http_code}' "http://127.0.0.1:$PORT/$1"; }
vd_mark
c=$(get models/m/model.bin "$TMPDIR/got.bin")
[ "$c" = 200 ] || { cat "$NG/error.log" >&2; fail "verified file: $c, not 200"; }
cmp "$TMPDIR/got.bin" "$ROOT/m/model.bin" || fail "served bytes differ"
vd_expect "$ROOT/m/model.bin" allow ok "$worker" nginx 33
[ "$(get www/plain.bin "$TMPDIR/got.plain")" = 200 ] && cmp -s "$TMPDIR/got.plain" "$MFS/www/plain.bin" ||
	fail "a file outside the protected root on the model fs"
ok "200 with the exact bytes for a verified file (worker $worker as www-data); unprotected file served"

vd_mark
c=$(get models/t/model.bin "$TMPDIR/got2.bin")
[ "$c" = 500 ] || { cat "$NG/error.log" >&2; fail "tampered file: $c, wanted 500 (EPERM)"; }
cmp -s "$TMPDIR/got2.bin" "$ROOT/t/model.bin" && fail "the tampered bytes were served"
grep -q "open() \"$ROOT/t/model.bin\" failed (1: Operation not permitted)" "$NG/error.log" ||
	{ cat "$NG/error.log" >&2; fail "nginx's error log lacks the EPERM open failure"; }
vd_expect "$ROOT/t/model.bin" deny hash-mismatch "$worker" nginx 33
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$ROOT/t/model.bin .* pid=$worker uid=33 comm=nginx"
ok "tampered file: 500 (nginx: EPERM is not EACCES), alert names nginx worker pid $worker uid 33"

# Tampered while nginx runs (and after nginx served it once).
vd_mark
# (in place a write open is refused; a tampered copy renamed over it)
flip_byte "$ROOT/m/model.bin" 5 2>/dev/null && fail "a write open of a served model was allowed"
cp "$ROOT/m/model.bin" "$MFS/m.new"; flip_byte "$MFS/m.new" 5; mv "$MFS/m.new" "$ROOT/m/model.bin"
vd_mark
c=$(get models/m/model.bin "$TMPDIR/got3.bin")
[ "$c" = 500 ] || fail "a model tampered at run time: $c"
vd_expect "$ROOT/m/model.bin" deny hash-mismatch "$worker" nginx 33
ok "tampered at run time: the next request is refused (500) and logged"
