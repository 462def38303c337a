#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-metrics-http: `vouch metrics --listen` against bad clients.  Garbage,
# a request line too long, headers past 8 KiB, methods other than GET/HEAD,
# HTTP/2 and unknown paths get their 4xx/5xx and a closed connection; a
# client that connects and sends nothing holds the server at most its 5 s
# deadline, after which GET /metrics answers; the server is alive and
# answering at the end.  Also: a bad --listen is a usage error, and a socket
# in metrics_dir that nobody answers on is reported down (exit 1).
. "$VOUCH_SRC/tests/lib.sh"

MDIR=$TMPDIR/metrics
mkdir -p "$MDIR"
expect_rc 2 "$VOUCH" metrics --dir "$MDIR" --listen "localhost:9464"
expect_rc 2 "$VOUCH" metrics --dir "$MDIR" --listen "127.0.0.1:x"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$VOUCH" metrics --dir "$MDIR" --listen "$PORT" 2>"$TMPDIR/listen.err" &
LPID=$!
trap 'kill $LPID 2>/dev/null' EXIT
"$PY" - "$PORT" "$LPID" <<'PYEOF' || fail "HTTP bad-input checks"
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def ask(raw, timeout=8):
    for _ in range(50):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            break
        except ConnectionRefusedError:
            time.sleep(0.1)
    try:
        s.sendall(raw)
    except OSError:
        pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out
def status(out):
    return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.0 ") else None
cases = [
    (b"\x00\xff\x13garbage\r\n\r\n", 400),
    (b"GET /metrics HTTP/1.1\r\n" + b"X-A: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n", 414),
    (b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405),
    (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
    (b"GET /other HTTP/1.1\r\n\r\n", 404),
    (b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    (b"GET http://x/metrics HTTP/1.1\r\n\r\n", 400),
]
for raw, want in cases:
    got = status(ask(raw))
    if got != want:
        sys.exit("request %r: status %s, wanted %d" % (raw[:40], got, want))
out = ask(b"HEAD /metrics HTTP/1.0\r\n\r\n")
if status(out) != 200 or not out.endswith(b"\r\n\r\n"):
    sys.exit("HEAD: %r" % out[:200])
# A silent client: the next scrape waits at most the 5 s deadline.
idle = socket.create_connection(("127.0.0.1", port))
t = time.time()
out = ask(b"GET /metrics?x HTTP/1.1\r\nHost: a\r\n\r\n", timeout=10)
dt = time.time() - t
if status(out) != 200 or dt > 7 or b"# TYPE vouch_metrics_source_up gauge" not in out:
    sys.exit("after a silent client: %s in %.1f s" % (status(out), dt))
idle.close()
# A client that sends one byte a second never holds it longer either.
drip = socket.create_connection(("127.0.0.1", port))
t = time.time()
for c in b"GET /metr":
    drip.send(bytes([c]))
    time.sleep(0.8)
    try:
        drip.send(b"")
    except OSError:
        break
drip.close()
out = ask(b"GET /metrics HTTP/1.1\r\n\r\n")
if status(out) != 200:
    sys.exit("after a slow client: %r" % out[:100])
os.kill(pid, 0)
print("ok: %d bad requests refused with their status; a silent client held the server %.1f s" % (len(cases), dt))
PYEOF
kill -0 "$LPID" || fail "the server died"
ok "vouch metrics --listen survives bad and slow clients"

# A socket nobody answers on (its daemon died): reported down, exit 1.
"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$MDIR/vouchfs@dead.sock"
expect_rc 1 "$VOUCH" metrics --dir "$MDIR"
expect_out '^vouch_metrics_source_up\{instance="vouchfs@dead"\} 0$'
# --textfile: written whole, atomically, 0644; nothing left beside it.
expect_rc 1 "$VOUCH" metrics --dir "$MDIR" --textfile "$TMPDIR/vouch.prom"
grep -q '^vouch_metrics_source_up{instance="vouchfs@dead"} 0$' "$TMPDIR/vouch.prom" || fail "textfile content"
[ "$(stat -c %a "$TMPDIR/vouch.prom")" = 644 ] || fail "textfile mode"
[ "$(ls "$TMPDIR" | grep -c '^vouch.prom')" = 1 ] || fail "temporary file left beside the textfile"
ok "a dead socket is reported down; --textfile written atomically"
