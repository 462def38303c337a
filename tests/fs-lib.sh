# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the fs-*.sh cases (vouchfs).  Source after lib.sh:
#   . "$VOUCH_SRC/tests/lib.sh"; . "$VOUCH_SRC/tests/fs-lib.sh"
# Every mount made through fs_mount is removed on exit, whatever happened
# (vouchfs --unmount removes stacked dead layers and the source pin too).
[ "$(id -u)" = 0 ] || skip "vouchfs cases call mount(2) and mount as root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$VOUCHFS" ] || fail "$VOUCHFS is not built"

# What reading a file whose content differs from its signature ends with:
# EACCES at the open (verify = open), or EIO at the first read of the bad
# shard (verify = stream; a whole-file signature is still refused at open).
if [ "${VOUCHFS_VERIFY:-open}" = stream ]; then FS_TAMPERED=EIO; else FS_TAMPERED=EACCES; fi

FS_MOUNTS=""
FS_PIDS=""
FS_HOOK=":"             # extra cleanup (nginx, readers), set by a case
fs_cleanup() {
	eval "$FS_HOOK" >/dev/null 2>&1
	for m in $FS_MOUNTS; do
		"$VOUCHFS" --unmount "$m" >/dev/null 2>&1 || umount -l "$m" 2>/dev/null
	done
	for p in $FS_PIDS; do kill -9 "$p" 2>/dev/null; done
	syslog_stop
}
trap fs_cleanup EXIT
# lib.sh's syslog_start sets its own EXIT trap: put ours back.
fs_syslog_start() { syslog_start; trap fs_cleanup EXIT; }

# fs_layers MNT: how many fuse.vouchfs mounts are stacked on MNT.
fs_layers() {
	awk -v m="$1" '$5 == m { split($0, a, " - "); split(a[2], b, " ");
		if (b[1] == "fuse.vouchfs") n++ } END { print n + 0 }' /proc/self/mountinfo
}

# fs_mount SRC MNT [VOUCHFS ARGS...]: start vouchfs in the foreground (in
# the background of this shell), wait until a new layer answers on MNT, and
# leave its pid in $FS_PID.
# With VOUCHFS_VERIFY=stream|open in the environment (fs-stream-cases.sh),
# every mount is made with -o verify=$VOUCHFS_VERIFY.
fs_mount() {
	src=$1; mnt=$2; shift 2
	before=$(fs_layers "$mnt")
	if [ -n "${VOUCHFS_VERIFY:-}" ]; then set -- -o "verify=$VOUCHFS_VERIFY" "$@"; fi
	"$VOUCHFS" -f "$@" "$src" "$mnt" 2>>"$TMPDIR/vouchfs.err" &
	FS_PID=$!
	FS_PIDS="$FS_PIDS $FS_PID"
	case " $FS_MOUNTS " in *" $mnt "*) ;; *) FS_MOUNTS="$FS_MOUNTS $mnt" ;; esac
	for _ in $(seq 200); do
		if [ "$(fs_layers "$mnt")" -gt "$before" ] && ls "$mnt" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$FS_PID" 2>/dev/null || { cat "$TMPDIR/vouchfs.err" >&2; fail "vouchfs exited"; }
		sleep 0.05
	done
	cat "$TMPDIR/vouchfs.err" >&2
	fail "vouchfs did not mount $mnt"
}

# fs_stop PID MNT: SIGTERM, wait for the exit; a clean stop removes every layer.
fs_stop() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$1" 2>/dev/null && fail "vouchfs $1 did not stop on SIGTERM"
	[ "$(fs_layers "$2")" -eq 0 ] || fail "layers left on $2 after a clean stop"
}

# fs_model DIR: a signed model directory (mkmodel + a sign with key "k"),
# and a trust dir $TMPDIR/trust with k.pub.
fs_model() {
	[ -e "$TMPDIR/k.pub" ] || newkey k
	mkdir -p "$TMPDIR/trust"
	cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
	mkmodel "$1"
	"$VOUCH" sign -k "$TMPDIR/k.key" "$1" >/dev/null 2>&1 || fail "sign $1"
}

# fs_errno PATH: open PATH and read it all; print OK or the errno name.
fs_errno() {
	"$PY" - "$1" <<'PYEOF'
import errno, sys
try:
    with open(sys.argv[1], "rb") as f:
        while f.read(1 << 20):
            pass
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PYEOF
}

# fs_hup PID MNT: SIGHUP vouchfs, wait until it reports the reload (done or
# refused) on stderr; the daemon and its one layer on MNT must survive.
fs_hup() {
	c=$(grep -c "reload" "$TMPDIR/vouchfs.err")
	kill -HUP "$1"
	for _ in $(seq 100); do
		[ "$(grep -c "reload" "$TMPDIR/vouchfs.err")" -gt "$c" ] && break
		sleep 0.05
	done
	[ "$(grep -c "reload" "$TMPDIR/vouchfs.err")" -gt "$c" ] || fail "no reload reported after SIGHUP"
	kill -0 "$1" 2>/dev/null || fail "vouchfs died on SIGHUP"
	[ "$(fs_layers "$2")" -eq 1 ] || fail "SIGHUP changed the mount on $2"
}
