# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the vouchd-*.sh cases.  Source after lib.sh:
#   . "$VOUCH_SRC/tests/lib.sh"; . "$VOUCH_SRC/tests/vouchd-lib.sh"
# vouchd marks whole filesystems with fanotify permission events: every case
# puts its models on a filesystem of its own (a tmpfs, or a loop-mounted
# ext4, under $TMPDIR) while the config, keys and trust stay on the
# filesystem that holds $TMPDIR.  A daemon left running would keep a mark
# whose opens wait for it, so every exit path (a failure, a signal, the
# runner's timeout) kills every daemon this case started (broker and
# workers, -9), then unmounts every filesystem it mounted.
#
# Gives:
#   vd_fs DIR [SIZE]        mount a private tmpfs on DIR (made if missing)
#   vd_loopfs DIR SIZE_MB   mount a private loop ext4 on DIR
#   vd_conf ROOTS [LINE...] write $VD_CONF (root-owned 0644) protecting ROOTS
#   vd_start [ARGS...]      start vouchd -f on $VD_CONF; wait for "enforcing";
#                           $VD_PID is the broker
#   vd_worker               print the current worker's pid
#   vd_stop                 SIGTERM the broker, wait for it and its worker
#   vd_open PATH            open + read PATH from python3: OK or the errno name
#   vd_rec PATH             the first JSON record naming exactly PATH since
#                           vd_mark, waited for (3 s)
#   vd_field REC KEY        a field of a JSON record
#   vd_norec PATH           no record since vd_mark names PATH
[ "$(id -u)" = 0 ] || skip "vouchd needs root (fanotify permission events, mount)"
VOUCHD=$VOUCH_BUILD/bin/vouchd
[ -x "$VOUCHD" ] || fail "$VOUCHD is not built"
grep -qw tmpfs /proc/filesystems || fail "no tmpfs"

VD_CONF=$TMPDIR/vouchd.conf
VD_ERR=$TMPDIR/vouchd.err
VD_AUDIT=$TMPDIR/audit.jsonl
VD_CTL=$TMPDIR/vouchd.ctl
VD_PIDS=""              # every broker started, for the cleanup
VD_MOUNTS=""            # every mount made, innermost last
VD_LOOPS=""
VD_HOOK=":"             # extra cleanup set by a case (readers, nginx), run first
VD_MARK=0
: >"$VD_ERR"
: >"$VD_AUDIT"

# All processes below PID (its workers and theirs), deepest first.
vd_tree() {
	for c in $(pgrep -P "$1" 2>/dev/null); do vd_tree "$c"; echo "$c"; done
}
vd_kill_all() {
	for p in $VD_PIDS; do
		kids=$(vd_tree "$p")
		# The broker first: its group closes and every waiting open is
		# answered; then its workers, which exit with it anyway.
		kill -9 "$p" 2>/dev/null
		for k in $kids; do kill -9 "$k" 2>/dev/null; done
	done
	for p in $VD_PIDS; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
	done
}
vd_cleanup() {
	trap - EXIT INT TERM HUP
	vd_kill_all
	eval "$VD_HOOK" >/dev/null 2>&1
	vd_kill_all                             # a hook may have started none, but be sure
	for m in $VD_MOUNTS; do echo "$m"; done | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for l in $VD_LOOPS; do losetup -d "$l" 2>/dev/null; done
	syslog_stop
}
trap vd_cleanup EXIT
trap 'exit 1' INT TERM HUP
# lib.sh's syslog_start sets its own EXIT trap: put ours back.
vd_syslog_start() { syslog_start; trap vd_cleanup EXIT; }

# vd_fs DIR [SIZE]: a private tmpfs on DIR.
vd_fs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-256m},mode=0755" vouchd-test "$1" || fail "mount tmpfs on $1"
	VD_MOUNTS="$VD_MOUNTS $1"
}
# vd_loopfs DIR SIZE_MB: a private ext4 on a loop device.
vd_loopfs() {
	mkdir -p "$1"
	truncate -s "${2}M" "$1.img" || fail "image $1.img"
	mkfs.ext4 -q -F "$1.img" >/dev/null 2>&1 || fail "mkfs.ext4 $1.img"
	l=$(losetup -f --show "$1.img") || fail "losetup $1.img"
	VD_LOOPS="$VD_LOOPS $l"
	mount "$l" "$1" || fail "mount $l on $1"
	VD_MOUNTS="$VD_MOUNTS $1"
}

# vd_sign DIR [SIGN-FLAGS...]: sign with the case's key "k" (made on first use),
# trust in $TMPDIR/trust.
vd_sign() {
	[ -e "$TMPDIR/k.key" ] || { newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"; }
	d=$1; shift
	"$VOUCH" sign "$@" -k "$TMPDIR/k.key" "$d" >"$TMPDIR/sign.out" 2>&1 ||
		{ cat "$TMPDIR/sign.out" >&2; fail "vouch sign $d"; }
}

# vd_conf ROOTS [LINE...]: the config (ROOTS: comma-separated, as protect =).
vd_conf() {
	roots=$1; shift
	{
		printf '[vouch]\nmode = enforce\nprotect = %s\ntrust = %s\n' "$roots" "$TMPDIR/trust"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$VD_CONF"
	chmod 0644 "$VD_CONF"
}

# vd_start [ARGS...]: vouchd in the foreground (in our background), ready
# when it says "enforcing" on stderr.  Fails if it exits first.
vd_start() {
	c=$(grep -c "enforcing" "$VD_ERR")
	"$VOUCHD" -f -c "$VD_CONF" --audit-log "$VD_AUDIT" --control "$VD_CTL" "$@" 2>>"$VD_ERR" &
	VD_PID=$!
	VD_PIDS="$VD_PIDS $VD_PID"
	for _ in $(seq 300); do
		[ "$(grep -c "enforcing" "$VD_ERR")" -gt "$c" ] && return 0
		kill -0 "$VD_PID" 2>/dev/null || { cat "$VD_ERR" >&2; fail "vouchd exited before enforcing"; }
		sleep 0.02
	done
	cat "$VD_ERR" >&2
	fail "vouchd did not say 'enforcing' within 6 s"
}
vd_worker() { pgrep -P "$VD_PID" | head -n 1; }
# vd_wait_worker OLD: wait (5 s) for a worker other than OLD; print it.
vd_wait_worker() {
	for _ in $(seq 250); do
		w=$(vd_worker)
		[ -n "$w" ] && [ "$w" != "$1" ] && { echo "$w"; return 0; }
		sleep 0.02
	done
	return 1
}
vd_stop() {
	kids=$(vd_tree "$VD_PID")
	kill -TERM "$VD_PID" 2>/dev/null
	for _ in $(seq 250); do kill -0 "$VD_PID" 2>/dev/null || break; sleep 0.02; done
	kill -0 "$VD_PID" 2>/dev/null && { kill -9 "$VD_PID"; fail "vouchd $VD_PID ignored SIGTERM"; }
	wait "$VD_PID" 2>/dev/null
	for _ in $(seq 100); do
		alive=""
		for k in $kids; do kill -0 "$k" 2>/dev/null && alive="$alive $k"; done
		[ -z "$alive" ] && break
		sleep 0.02
	done
	[ -z "$alive" ] || { kill -9 $alive; fail "vouchd's worker(s)$alive outlived the broker"; }
}

# vd_open PATH: open and read PATH all (python3): OK or the errno name.
vd_open() {
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

# Records.  vd_mark: only records after this point count.
vd_mark() { VD_MARK=$(wc -l <"$VD_AUDIT"); }
vd_recs() { # PATH: every decision record since the mark naming exactly PATH
	tail -n +"$((VD_MARK + 1))" "$VD_AUDIT" | grep -F "\"path\":\"$1\","
}
vd_rec() {
	for _ in $(seq 150); do
		r=$(vd_recs "$1" | head -n 1)
		[ -n "$r" ] && { printf '%s\n' "$r"; return 0; }
		sleep 0.02
	done
	echo "--- audit records since the mark:" >&2
	tail -n +"$((VD_MARK + 1))" "$VD_AUDIT" >&2
	fail "no audit record for path $1"
}
vd_field() {
	"$PY" -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2], ""); print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}
# vd_expect PATH DECISION CAUSE [PID [COMM [UID]]]: the first record for PATH
# since the mark; it is left in $VD_REC.
vd_expect() {
	r=$(vd_rec "$1")
	got="$(vd_field "$r" decision):$(vd_field "$r" cause)"
	[ "$got" = "$2:$3" ] || { printf '%s\n' "$r" >&2; fail "record for $1: $got, wanted $2:$3"; }
	if [ "$2" != allow ]; then
		[ "$(vd_field "$r" severity)" = alert ] || { printf '%s\n' "$r" >&2; fail "$2 record for $1 not at LOG_ALERT"; }
	fi
	[ -z "${4:-}" ] || [ "$(vd_field "$r" pid)" = "$4" ] || { printf '%s\n' "$r" >&2; fail "record for $1: pid $(vd_field "$r" pid), wanted $4"; }
	[ -z "${5:-}" ] || [ "$(vd_field "$r" comm)" = "$5" ] || { printf '%s\n' "$r" >&2; fail "record for $1: comm $(vd_field "$r" comm), wanted $5"; }
	[ -z "${6:-}" ] || [ "$(vd_field "$r" uid)" = "$6" ] || { printf '%s\n' "$r" >&2; fail "record for $1: uid $(vd_field "$r" uid), wanted $6"; }
	VD_REC=$r
}
vd_norec() {
	sleep 0.2      # records are delivered by a sender thread
	r=$(vd_recs "$1")
	[ -z "$r" ] || { printf '%s\n' "$r" >&2; fail "unexpected record for $1"; }
}

# vd_bg_rc CMD...: run CMD in the background, wait; its pid in $BG_PID, exit
# code in $BG_RC, stderr in $TMPDIR/bg.err (so a record's pid can be checked).
vd_bg_rc() {
	"$@" >"$TMPDIR/bg.out" 2>"$TMPDIR/bg.err" &
	BG_PID=$!
	wait "$BG_PID"
	BG_RC=$?
}

# vd_static_reader OUT: a statically linked reader: open(argv[1]) and read it
# all; prints "read N" or "errno E" and exits 0 / 1.
vd_static_reader() {
	cat >"$TMPDIR/static-read.c" <<'CEOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static char b[1 << 16];
	long long n = 0;
	ssize_t r;
	int fd;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("errno %d\n", errno);
		return 1;
	}
	while ((r = read(fd, b, sizeof(b))) > 0)
		n += r;
	printf("read %lld\n", n);
	return r < 0;
}
CEOF
	cc -static -O2 -o "$1" "$TMPDIR/static-read.c" || fail "cc -static (libc6-dev)"
	file -L "$1" 2>/dev/null | grep -q "dynamically linked" && fail "$1 is not static"
	[ -z "$(readelf -l "$1" 2>/dev/null | grep INTERP)" ] || fail "$1 has an ELF interpreter"
}
