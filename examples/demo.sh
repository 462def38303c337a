#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make demo: the main job end to end, on the bundled sample model.
#   1. make a key, sign the model directory, verify it, inspect the signature;
#   2. tamper a copy, watch verification fail and the alert reach syslog;
#   3. (examples/demo-fs.sh) mount it with vouchfs, load it with torch,
#      tamper the source, watch the open fail with EACCES and the alert.
# Everything happens in a temporary directory; the sample is never modified.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
VOUCH=$SRC/build/bin/vouch
WORK=$(mktemp -d /tmp/vouch-demo.XXXXXX)
LOG=$WORK/syslog.txt
SINK=""
cleanup() { [ -n "$SINK" ] && kill "$SINK" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Nothing listens on /dev/log on this machine (PID 1 is not systemd): start
# the tests' syslog receiver so the alert has somewhere real to go.
if [ ! -S /dev/log ] || ! /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.connect("/dev/log")' 2>/dev/null; then
	/usr/bin/python3 "$SRC/tests/syslog-sink.py" "$LOG" & SINK=$!
	sleep 0.3
fi

cd "$WORK"
cp -r "$SRC/examples/sample-model" resnet-demo

step "1. A signing key (Ed25519; the secret key is 0600)"
run "$VOUCH" keygen --no-passphrase -o demo 2>/dev/null

step "2. Sign the model directory: every file, configs and tokenizer included"
run "$VOUCH" sign -k demo.key --name resnet-demo --version 3 resnet-demo
run "$VOUCH" inspect resnet-demo/model.sig

step "3. Verify it"
run "$VOUCH" verify -p demo.pub resnet-demo

step "4. Tamper a copy (one byte of the weights) and verify again"
cp -r resnet-demo tampered
/usr/bin/python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(200); b=f.read(1); f.seek(200); f.write(bytes([b[0]^1]))' tampered/model.pth
printf 'unsigned' > tampered/notes.txt
rc=0
run "$VOUCH" verify -p demo.pub tampered || rc=$?
if [ "$rc" -ne 1 ]; then
	echo "demo: expected exit status 1 for the tampered model, got $rc" >&2
	exit 1
fi
echo "(exit status $rc: verification failed)"
if [ -n "$SINK" ]; then
	sleep 0.2
	step "5. The alert in syslog (facility authpriv, severity alert: <81>)"
	grep 'decision=deny' "$LOG" | tail -n 1
fi

if [ -x "$SRC/examples/demo-fs.sh" ] && [ -x "$SRC/build/bin/vouchfs" ]; then
	SINK_LOG=$LOG sh "$SRC/examples/demo-fs.sh" "$WORK"
fi
printf '\ndemo: done\n'
