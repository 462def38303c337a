#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo-fs.sh: the vouchfs part of `make demo`.  Mount the signed sample model
# with vouchfs, load it with torch through the mount, tamper one byte of the
# source, and watch the next load fail with EACCES (PermissionError) and the
# LOG_ALERT record appear.
#   demo-fs.sh WORK   use WORK/resnet-demo (signed) and WORK/demo.pub, as
#                     left by examples/demo.sh; SINK_LOG names its syslog file
#   demo-fs.sh        standalone: make a key, sign a copy of the sample
# Needs root (vouchfs mounts with mount(2)); everything happens under WORK.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
VOUCH=$SRC/build/bin/vouch
VOUCHFS=$SRC/build/bin/vouchfs
PY=/usr/bin/python3
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [ "$(id -u)" != 0 ]; then
	echo "demo-fs: vouchfs mounts with mount(2): run as root (skipped)" >&2
	exit 0
fi
OWN=""; SINK=""; MNT=""
if [ $# -ge 1 ]; then
	WORK=$1
else
	WORK=$(mktemp -d /tmp/vouch-demo-fs.XXXXXX); OWN=$WORK
	cp -r "$SRC/examples/sample-model" "$WORK/resnet-demo"
	"$VOUCH" keygen --no-passphrase -o "$WORK/demo" >/dev/null 2>&1
	"$VOUCH" sign -k "$WORK/demo.key" --name resnet-demo --version 3 "$WORK/resnet-demo" >/dev/null
fi
LOG=${SINK_LOG:-$WORK/syslog.txt}
cleanup() {
	[ -n "$MNT" ] && "$VOUCHFS" --unmount "$MNT" 2>/dev/null
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null
	[ -n "$OWN" ] && rm -rf "$OWN"
	return 0
}
trap cleanup EXIT
if [ -z "${SINK_LOG:-}" ]; then
	# Nothing may listen on /dev/log here: the tests' receiver stands in.
	"$PY" "$SRC/tests/syslog-sink.py" "$LOG" & SINK=$!
	sleep 0.3
fi

# The served tree lives in its own directory, mounted in place: the host
# path /…/models is the mount, as with vouchfs@.service.
M=$WORK/models
mkdir -p "$M" "$WORK/trust"
cp -r "$WORK/resnet-demo" "$M/resnet-demo"
cp "$WORK/demo.pub" "$WORK/trust/"
ln "$M/resnet-demo/model.pth" "$WORK/backdoor-link"   # how the demo tampers later

step "6. Mount the model root with vouchfs, in place (the source is pinned first)"
run "$VOUCHFS" --trust "$WORK/trust" --audit-log "$WORK/audit.jsonl" "$M" "$M"
MNT=$M
grep " $M " /proc/self/mountinfo | sed 's/^/  mountinfo: /'
run ls -l "$M/resnet-demo"

LOAD='
import sys, torch
try:
    sd = torch.load(sys.argv[1])
except PermissionError as e:
    print("torch.load:", type(e).__name__, e); sys.exit(1)
print("torch.load: ok,", {k: tuple(v.shape) for k, v in sd.items()})
'
step "7. A real client loads it through the mount: torch.load()"
run "$PY" -c "$LOAD" "$M/resnet-demo/model.pth"

step "8. Tamper the source: flip one byte of the weights (via a hard link outside the mount)"
"$PY" -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(1000); b=f.read(1); f.seek(1000); f.write(bytes([b[0]^1]))' "$WORK/backdoor-link"
echo "(byte 1000 of model.pth flipped)"

step "9. The next load fails: the open answers EACCES"
rc=0
run "$PY" -c "$LOAD" "$M/resnet-demo/model.pth" || rc=$?
if [ "$rc" -eq 0 ]; then
	echo "demo-fs: the tampered model loaded" >&2
	exit 1
fi

step "10. The alert: syslog (authpriv.alert, <81>) and the JSON audit log"
sleep 0.2
grep "decision=deny" "$LOG" | grep "resnet-demo/model.pth" | tail -n 1
grep '"decision":"deny"' "$WORK/audit.jsonl" | tail -n 1

step "11. Stop vouchfs (a clean stop unmounts; a crash would leave ENOTCONN)"
run "$VOUCHFS" --unmount "$M"
MNT=""
