#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rsyslog-forward: the SIEM recipe of docs/recipes.md, run as written (its
# rsyslog block is read from the page).  A
# real rsyslogd (Debian's), started here with its own config, pid file,
# work directory and socket, takes vouch's records and forwards those of
# program `vouch` over TCP (omfwd, RFC 5424 framing, a disk-assisted queue)
# to a local listener (python, also started here).  A tampered open through
# vouchfs arrives there as the alert (severity alert, facility authpriv:
# PRI 81) with its fields (decision=deny cause=hash-mismatch path=...), an
# allowed one as the info record (PRI 86, decision=allow cause=ok); a record
# of another program is not forwarded.
#
# vouch writes to /dev/log.  The host's /dev/log is not taken over: when it
# exists (whoever serves it), vouchfs and the readers run in a private mount
# namespace where rsyslogd's own socket is bind-mounted on /dev/log; when it
# does not, /dev/log is a link to that socket for the case's lifetime.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "vouchfs mounts as root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || fail "rsyslogd missing: apt-get install rsyslog (make deps)"
command -v unshare >/dev/null 2>&1 || fail "unshare missing (util-linux)"

RS=$TMPDIR/rsyslog
mkdir -p "$RS/work"
SOCK=$RS/log.sock
GOT=$TMPDIR/siem.txt
PIDS=""
LINKED=no
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -f "$RS/rsyslogd.pid" ] && kill "$(cat "$RS/rsyslogd.pid")" 2>/dev/null
	[ "$LINKED" = yes ] && [ -L /dev/log ] && [ "$(readlink /dev/log)" = "$SOCK" ] && rm -f /dev/log
}
trap cleanup EXIT

# --- the SIEM: a TCP listener on loopback, one received line per line ------------
"$PY" - "$GOT" "$TMPDIR/siem.port" <<'PYEOF' &
import socket, sys, threading
out, portfile = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os; os.rename(portfile + ".tmp", portfile)
lock = threading.Lock()
def serve(c):
    buf = b""
    with c, open(out, "ab", buffering=0) as f:
        while True:
            d = c.recv(65536)
            if not d:
                break
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                with lock:
                    f.write(line + b"\n")
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -s "$TMPDIR/siem.port" ] && break; sleep 0.05; done
PORT=$(cat "$TMPDIR/siem.port" 2>/dev/null) || fail "the listener did not start"
: >"$GOT"

# --- rsyslogd: its own config, socket, pid file, queue directory ---------------------
# The forwarding block is docs/recipes.md's, as written there (the first
# plain ``` block under "### rsyslog"), with the SIEM's address replaced by
# the local listener's.
awk '/^### rsyslog/ { sec = 1; next } sec && /^### / { exit }
	sec && /^```$/ { if (on) exit; on = 1; next } on { print }' \
	"$VOUCH_SRC/docs/recipes.md" >"$RS/recipe.conf"
grep -q 'target="siem.example.com" port="514"' "$RS/recipe.conf" ||
	{ cat "$RS/recipe.conf"; fail "docs/recipes.md: no rsyslog block forwarding to siem.example.com:514"; }
cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$SOCK" CreatePath="on")
# --- docs/recipes.md ---
$(sed "s/target=\"siem.example.com\" port=\"514\"/target=\"127.0.0.1\" port=\"$PORT\"/" "$RS/recipe.conf")
# --- end ---
*.* action(type="omfile" file="$RS/other.log")
EOF
"$RSYSLOGD" -N1 -f "$RS/rsyslog.conf" >"$RS/check.txt" 2>&1 || { cat "$RS/check.txt"; fail "rsyslogd -N1 refuses the config"; }
"$RSYSLOGD" -n -f "$RS/rsyslog.conf" -i "$RS/rsyslogd.pid" >"$RS/rsyslogd.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { cat "$RS/rsyslogd.out"; fail "rsyslogd did not create $SOCK"; }
ok "rsyslogd $("$RSYSLOGD" -v | sed -n '1s/^rsyslogd *\([^ ,]*\).*/\1/p') on $SOCK, forwarding to 127.0.0.1:$PORT"

# --- the model, vouchfs, the opens ------------------------------------------------
newkey k
mkdir -p "$TMPDIR/trust" "$TMPDIR/src" "$TMPDIR/mnt"
cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
mkmodel "$TMPDIR/src/good"
cp -r "$TMPDIR/src/good" "$TMPDIR/src/bad"
"$VOUCH" sign -k "$TMPDIR/k.key" "$TMPDIR/src/good" >/dev/null 2>&1 || fail "sign good"
"$VOUCH" sign -k "$TMPDIR/k.key" "$TMPDIR/src/bad" >/dev/null 2>&1 || fail "sign bad"
flip_byte "$TMPDIR/src/bad/model.bin" 1000

cat >"$TMPDIR/inner.sh" <<'EOF'
# In the namespace: /dev/log is rsyslogd's socket here.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
if [ "$BIND" = yes ]; then
	mount --bind "$SOCK" /dev/log || fail "cannot bind $SOCK on /dev/log in the namespace"
fi
fs_mount "$TMPDIR/src" "$TMPDIR/mnt" --trust "$TMPDIR/trust"
echo "good: $(fs_errno "$TMPDIR/mnt/good/model.bin")"
echo "bad: $(fs_errno "$TMPDIR/mnt/bad/model.bin")"
logger -u /dev/log -t not-vouch "a record of another program"
sleep 0.5
fs_stop "$FS_PID" "$TMPDIR/mnt"
EOF
if [ -e /dev/log ] || [ -L /dev/log ]; then
	BIND=yes
	how="private mount namespace, $SOCK bind-mounted on /dev/log"
else
	ln -s "$SOCK" /dev/log && LINKED=yes
	BIND=no
	how="/dev/log -> $SOCK for the case's lifetime"
fi
export SOCK BIND
if [ "$BIND" = yes ]; then
	unshare --mount --propagation private sh "$TMPDIR/inner.sh" >"$TMPDIR/inner.out" 2>&1
else
	sh "$TMPDIR/inner.sh" >"$TMPDIR/inner.out" 2>&1
fi
rc=$?
cat "$TMPDIR/inner.out"
[ "$rc" -eq 0 ] || fail "the opens through vouchfs failed (exit $rc)"
grep -qx "good: OK" "$TMPDIR/inner.out" || fail "the signed model was not served"
grep -qx "bad: EACCES" "$TMPDIR/inner.out" || fail "the tampered model was not refused with EACCES"
ok "vouchfs ($how): signed model served, tampered one EACCES"

# --- what the SIEM received --------------------------------------------------------------
# The record names the file by its source path (vouchfs serves SOURCE at
# MOUNTPOINT; mounted in place, as vouchfs@.service does, they are one).
G=$TMPDIR/src/good/model.bin
B=$TMPDIR/src/bad/model.bin
for _ in $(seq 100); do
	grep -qF "path=$B " "$GOT" && grep -qF "path=$G " "$GOT" && break
	sleep 0.1
done
echo "--- received by the listener ---"
cat "$GOT"
echo "---"
# RFC 5424: <PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID SD MSG
deny=$(grep -F "path=$B " "$GOT" | head -n 1)
allow=$(grep -F "path=$G " "$GOT" | head -n 1)
[ -n "$deny" ] || fail "no record of the tampered open reached the listener"
[ -n "$allow" ] || fail "no record of the allowed open reached the listener"
printf '%s\n' "$deny" | grep -Eq '^<81>1 [0-9T:.+-]+Z? [^ ]+ vouch [0-9]+ ' ||
	fail "the deny is not <81> (authpriv.alert) from app vouch: $deny"
for f in decision=deny cause=hash-mismatch "path=$B "; do
	printf '%s\n' "$deny" | grep -qF -- "$f" || fail "the deny lacks $f: $deny"
done
printf '%s\n' "$allow" | grep -Eq '^<86>1 [^ ]+ [^ ]+ vouch [0-9]+ ' ||
	fail "the allow is not <86> (authpriv.info) from app vouch: $allow"
for f in decision=allow cause=ok "path=$G "; do
	printf '%s\n' "$allow" | grep -qF -- "$f" || fail "the allow lacks $f: $allow"
done
grep -q "not-vouch" "$GOT" && fail "a record of another program was forwarded"
grep -q "not-vouch" "$RS/other.log" || fail "the other program's record did not reach rsyslogd at all (socket?)"
ok "forwarded over TCP: deny <81> cause=hash-mismatch path=$B, allow <86> cause=ok; other programs not forwarded"
