#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/not-a-file: something other than the signed regular file where a
# model file should be, and files whose size is the attack:
#   fifo       a FIFO at model.bin, fed the attacker's bytes by a writer loop
#   socket     a bound Unix socket at model.bin
#   device     (root only: mknod) a block device node at model.bin whose
#              loop device holds the attacker's bytes
#   directory  a directory at model.bin (with the attacker's file inside)
#   huge       a signed sparse file of AT_HUGE_GIB (5) GiB, and a copy with
#              the attacker's bytes past 4 GiB: offsets beyond 32 bits (the
#              signed one is read through vouchfs only: each first open
#              hashes it all, and the suite has a time budget)
#   grow, shrink  a signed 1 GiB sparse file extended or cut (truncate(2),
#              which opens nothing, so vouchd cannot refuse the writer) while
#              its first open is being hashed
# Proves: vouchfs, the shim and the CLI refuse the special files (symlink:
# "not a regular file"; the kernel's own errors where it refuses the open
# first: ENXIO for a socket; a directory gives EISDIR on read, no byte),
# logged at alert; the huge tampered file is hash-mismatch and the huge
# signed one is served (its last MiB read back); a file that changes size
# while hashed is refused (io-error "changed while it was being verified",
# or size-mismatch) and never remembered: the next open decides again.
# vouchd: fanotify reports opens of regular files and directories only, so
# a FIFO or device node is never decided by it: asserted as found (the
# attacker's bytes ARE read through vouchd: a hole, see docs/security.md).
# Control: read directly, each planted thing gives the attacker's bytes.
# Fails, as found (issue 19): vouchd serves the FIFO's and the device's bytes;
# `vouch verify` reports a file extended while it hashes it as verified.
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 1g
# No prefetch: a clean stop would evict gigabytes of the mount's page cache
# (longer than fs_stop waits); the reads here are windows anyway.
AT_FS_ARGS="-o prefetch=0"
HUGE=${AT_HUGE_GIB:-5}

at_model "$ROOT/m"; cp "$ROOT/m/model.bin" "$TMPDIR/m.ref"
for sp in nf ns nd dm; do at_model "$ROOT/$sp"; rm "$ROOT/$sp/model.bin"; done
mkfifo "$ROOT/nf/model.bin"
"$PY" -c 'import socket, sys, time, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)' "$ROOT/ns/model.bin" "$TMPDIR/sock.ready" "$TMPDIR/stop" &
SOCK=$!
at_evil "$TMPDIR/evil.img" 1048576
LOOP=$(losetup -f --show "$TMPDIR/evil.img") || fail "losetup"
VD_LOOPS="$VD_LOOPS $LOOP"
mknod "$ROOT/nd/model.bin" b "$(stat -c %t "$LOOP" | xargs printf '%d')" "$(stat -c %T "$LOOP" | xargs printf '%d')" ||
	fail "mknod"
mkdir "$ROOT/dm/model.bin"; at_evil "$ROOT/dm/model.bin/x"
# The FIFO's writer: feeds the attacker's bytes to any reader, never blocks.
"$PY" - "$ROOT/nf/model.bin" "$TMPDIR/stop" <<'PYEOF' &
import errno, os, sys, time
fifo, stop = sys.argv[1:]
data = b"ATTACKER-BYTES" * 300
while not os.path.exists(stop):
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        time.sleep(0.001)
        continue
    try:
        os.set_blocking(fd, True)
        os.write(fd, data)
    except OSError:
        pass
    os.close(fd)
PYEOF
WRITER=$!
AT_HOOK='touch "$TMPDIR/stop"; kill $WRITER $SOCK'
for _ in $(seq 100); do [ -e "$TMPDIR/sock.ready" ] && break; sleep 0.05; done

# huge: sparse, random MiBs at the start and the end; the tampered copy differs past 4 GiB.
mkdir -p "$ROOT/hg"
truncate -s "${HUGE}G" "$ROOT/hg/model.bin"
head -c 1048576 /dev/urandom | dd of="$ROOT/hg/model.bin" bs=1M seek=0 conv=notrunc status=none
head -c 1048576 /dev/urandom | dd of="$ROOT/hg/model.bin" bs=1M seek=$((HUGE * 1024 - 1)) conv=notrunc status=none
t0=$(date +%s%N)
at_sign "$ROOT/hg"
echo "signing ${HUGE} GiB: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
mkdir -p "$ROOT/hb"
cp --sparse=always "$ROOT/hg/model.bin" "$ROOT/hg/model.sig" "$ROOT/hb/"
at_taint "$ROOT/hb/model.bin" $(( (HUGE - 1) * 1073741824 + 12345 ))
tail -c 1048576 "$ROOT/hg/model.bin" >"$TMPDIR/hg.tail"
# grow / shrink: 1 GiB of hole (a cut and re-extended file is the same again).
mkdir -p "$ROOT/gs"
truncate -s 1G "$ROOT/gs/model.bin"
at_sign "$ROOT/gs"
GS=$((1 << 30))
# truncate(2): no open, so neither vouchd nor a lease refuses it (it waits
# for a lease to be given back).
trunc() { "$PY" -c 'import os, sys; os.truncate(sys.argv[1], int(sys.argv[2]))' "$@"; }
sleep 1.1       # older than the racy-clean second

# Controls.
AT_READ_TIMEOUT=5 at_control nf/model.bin
at_control nd/model.bin
at_control dm/model.bin/x
at_control hb/model.bin
fe_parse "$("$AREAD" -r "$(( (HUGE - 1) * 1073741824 )):1048576" -x "$MARKER" "$ROOT/hb/model.bin")"
[ "$AT_M" = 1 ] || fail "control: the huge tampered file's window"
ok "controls: the FIFO, the device and the huge copy give the attacker's bytes"

note_row() { # FE NAME: after fe_expect_deny returned $1
	if [ "$1" = 0 ]; then at_note "$fe" "not a file: $2" "denied ($AT_CAUSE)"
	elif [ "$AT_M" = 1 ]; then at_note "$fe" "not a file: $2" "HOLE: the attacker's bytes are served"
	else at_note "$fe" "not a file: $2" "FAILED: $AT_GOT"; fi
}
special() { # FE NAME REL CAUSE|ERRNO:E
	fe=$1
	case $4 in
	LIMIT:*)
		AT_READ_TIMEOUT=10 fe_read "$fe" "$3"
		[ "$AT_M" = 1 ] || at_bad "$(fe_name "$fe") $2: the documented limit did not show: $AT_GOT"
		at_note "$fe" "not a file: $2" "limit: ${4#LIMIT:}" ;;
	ERRNO:*)
		AT_READ_TIMEOUT=10 fe_read "$fe" "$3"
		# (a directory opens; its first read fails: EISDIR, no byte)
		case $AT_GOT in *"size=0 marker=0 rderr=${4#ERRNO:}") AT_V=deny AT_ERR=${4#ERRNO:} ;; esac
		if [ "$AT_M" = 0 ] && [ "$AT_V" = deny ] && [ "$AT_ERR" = "${4#ERRNO:}" ]; then
			at_note "$fe" "not a file: $2" "no bytes: the kernel's ${4#ERRNO:}"
		else
			at_bad "$(fe_name "$fe") $2: wanted ${4#ERRNO:}, got $AT_GOT"
			note_row 1 "$2"
		fi ;;
	*)	AT_READ_TIMEOUT=10 fe_expect_deny "$fe" "$3" "$4"; note_row $? "$2" "$4" ;;
	esac
}
# hashing_pid FE: the process whose reads are the hash of a first open.
hashing_pid() {
	case $1 in
	fs) echo "$FS_PID" ;;
	vouchd) vd_worker ;;
	shim) pgrep -n -x attack-read ;;
	cli) pgrep -n -f "bin/vouch verify" ;;
	esac
}
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }
# midhash FE WHAT: start the first open of gs/model.bin, change its size when
# 128 MiB of it were hashed, expect a refusal, restore.
midhash() {
	fe=$1 what=$2
	at_marks
	if [ "$fe" = cli ]; then
		"$VOUCH" verify -c "$AT_CONF" "$ROOT/gs" >"$TMPDIR/mid.out" 2>&1 &
		AT_BG=$!
	else
		fe_read_bg "$fe" gs/model.bin "$TMPDIR/mid.out"
	fi
	p="" base=0 hashed=""
	for _ in $(seq 1000); do
		kill -0 "$AT_BG" 2>/dev/null || break
		[ -n "$p" ] || { p=$(hashing_pid "$fe"); [ -n "$p" ] && base=$(rchar "$p"); }
		[ -n "$p" ] && [ $(( $(rchar "$p") - base )) -ge $((128 << 20)) ] && { hashed=1; break; }
		sleep 0.005
	done
	if [ -z "$hashed" ]; then
		wait "$AT_BG"
		at_bad "$(fe_name "$fe") $what: the hash ended (or never began) before the change: $(cat "$TMPDIR/mid.out")"
		return
	fi
	if [ "$what" = grow ]; then trunc "$ROOT/gs/model.bin" $((GS + 1048576))
	else trunc "$ROOT/gs/model.bin" $((GS / 2)); fi
	wait "$AT_BG"
	trunc "$ROOT/gs/model.bin" "$GS"
	if [ "$fe" = cli ]; then
		grep -Eq 'model.bin: (io-error|size-mismatch)' "$TMPDIR/mid.out" ||
			{ at_bad "CLI $what while hashed: $(cat "$TMPDIR/mid.out")"; at_note cli "not a file: $what while hashed" "FAILED"; return; }
		r=$(at_rec deny 'io-error|size-mismatch' "$ROOT/gs")
	else
		fe_parse "$(cat "$TMPDIR/mid.out")"
		case $fe in vouchd) want=EPERM ;; *) want=EACCES ;; esac
		[ "$AT_V" = deny ] && [ "$AT_ERR" = "$want" ] ||
			{ at_bad "$(fe_name "$fe") $what while hashed: $AT_GOT"; at_note "$fe" "not a file: $what while hashed" "FAILED: $AT_GOT"; return; }
		r=$(at_rec deny 'io-error|size-mismatch' "$ROOT/gs/model.bin")
	fi
	[ "${r%% *}" = ok ] || { at_bad "$(fe_name "$fe") $what while hashed: $r"; return; }
	at_note "$fe" "not a file: $what while hashed" "denied (${r#ok }$(tail -n +"$((AT_JM + 1))" "$AT_AUDIT" |
		grep -F '"path":"'"$ROOT/gs" | grep -q 'changed while' && echo ', "changed while it was being verified"'))"
}

for fe in $AT_FES; do
	at_start "$fe"
	fe_expect_allow "$fe" m/model.bin "$TMPDIR/m.ref"
	case $fe in
	cli)	special cli fifo nf/model.bin symlink
		special cli socket ns/model.bin symlink
		special cli device nd/model.bin symlink
		special cli directory dm/model.bin 'symlink|missing|not-in-manifest' ;;
	fs)	special fs fifo nf/model.bin symlink
		special fs socket ns/model.bin ERRNO:ENXIO
		special fs device nd/model.bin symlink
		special fs directory dm/model.bin ERRNO:EISDIR ;;
	shim)	special shim fifo nf/model.bin symlink
		special shim socket ns/model.bin ERRNO:ENXIO
		special shim device nd/model.bin symlink
		special shim directory dm/model.bin ERRNO:EISDIR ;;
	vouchd)	special vouchd fifo nf/model.bin "LIMIT:fanotify reports no open of a FIFO; a writer at a model's name is served unchecked (vouchd.md)"
		special vouchd socket ns/model.bin ERRNO:ENXIO
		special vouchd device nd/model.bin "LIMIT:fanotify reports no open of a device node (mount the model filesystem nodev; vouchd.md)"
		special vouchd directory dm/model.bin ERRNO:EISDIR ;;
	esac
	# The directory's content is not a model file either.
	[ "$fe" = cli ] || { fe_expect_deny "$fe" dm/model.bin/x not-in-manifest; note_row $? "directory's content" not-in-manifest; }
	# huge
	t0=$(date +%s%N)
	if [ "$fe" = fs ]; then
		AT_READ_ARGS="-r $(( HUGE * 1073741824 - 1048576 )):1048576"
		fe_expect_allow fs hg/model.bin "$TMPDIR/hg.tail" &&
			at_note fs "not a file: huge (${HUGE} GiB sparse)" "served (its last MiB checked)"
		AT_READ_ARGS=""
	fi
	fe_expect_deny "$fe" hb/model.bin hash-mismatch; note_row $? "huge, tampered past 4 GiB" hash-mismatch
	echo "  huge, ${HUGE} GiB, first opens through $(fe_name "$fe"): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	midhash "$fe" grow
	midhash "$fe" shrink
	# Never remembered: the file, back as signed, verifies again.
	sleep 1.1
	[ "$fe" = cli ] || { AT_READ_ARGS="-r 0:4096"; fe_read "$fe" gs/model.bin; AT_READ_ARGS=""
		[ "$AT_V" = allow ] || at_bad "$(fe_name "$fe"): gs/model.bin restored: $AT_GOT"; }
	at_stop "$fe"
done
at_done "not a file: special files refused, huge files hashed whole, size changes while hashed refused"
