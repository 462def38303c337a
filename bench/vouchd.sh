#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/vouchd.sh - issue 18: what vouchd costs, as ratios measured side by
# side in one run.  Models live on a private tmpfs (vouchd refuses the
# filesystem holding /); the config and keys stay on /tmp.
#
#   first-1g     first open of a 1 GiB protected file through a freshly
#                started vouchd (the open waits for the hash) vs `vouch
#                verify` of it (vouchd stopped).  Target: <= 1.15x.
#   verified     open+close of a protected file already verified, N_HIT
#                times: us per open with vouchd vs with no vouchd.  Goal:
#                <= 10 us extra (one event round trip).
#   unprotected  open+close of a file outside the protected root on the
#                marked filesystem, N_FREE times: us with vouchd vs bare.
#   exec         N_EXEC execs of a binary (a copy of /bin/true) that lives on
#                the marked filesystem: us per exec with vouchd vs bare.
#   prefork      16 processes first-opening one BIG_GIB (default 4) GiB model
#                through the shim with vouchd_socket (started together),
#                wall time to the last vs one `vouch verify`.  Target: <= 1.2x.
# Each measurement runs REPS times, interleaved; medians are reported.
#
# Environment: REPS (default 3), N_HIT (default 20000), N_FREE (default
# 20000), N_EXEC (default 500), BIG_GIB (default 4), BUILD (default build).
# Needs root.  Exit status: 0 all targets met, 1 a target missed, 2 setup error.
set -eu
LC_ALL=C; export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
VOUCH=$BUILD/bin/vouch
VOUCHD=$BUILD/bin/vouchd
PRELOAD=$BUILD/lib/libvouch-preload.so
PB=$BUILD/tests/preload-bench
REPS=${REPS:-3}
N_HIT=${N_HIT:-20000}
N_FREE=${N_FREE:-20000}
N_EXEC=${N_EXEC:-500}
BIG_GIB=${BIG_GIB:-4}

die() { echo "bench/vouchd.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/vouchd.sh: skipped: needs root (fanotify, mount)"; exit 0; }
for f in "$VOUCH" "$VOUCHD" "$PRELOAD" "$PB"; do [ -e "$f" ] || die "$f missing: run make"; done

W=$(mktemp -d /tmp/vouch-bench-vouchd.XXXXXX)
MFS=$W/mfs
VD_PID=""
cleanup() {
	[ -n "$VD_PID" ] && { kill -9 $(pgrep -P "$VD_PID") "$VD_PID" 2>/dev/null || :; }
	sleep 0.1
	umount "$MFS" 2>/dev/null || umount -l "$MFS" 2>/dev/null || :
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP
mkdir -p "$MFS"
mount -t tmpfs -o size=$((BIG_GIB + 2))g vouch-bench "$MFS" || die "mount tmpfs"

echo "generating the models on tmpfs (1 GiB and $BIG_GIB GiB, incompressible) ..."
"$VOUCH" keygen --no-passphrase -o "$W/k" >/dev/null 2>&1
mkdir -p "$W/trust" "$MFS/models/m" "$MFS/models/g1" "$MFS/models/gbig" "$MFS/other"
cp "$W/k.pub" "$W/trust/"
gen() { openssl enc -aes-128-ctr -pass pass:"vouchd-$2" -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c "$2" >"$1"; }
gen "$MFS/models/g1/model.bin" 1073741824
gen "$MFS/models/gbig/model.bin" $((BIG_GIB * 1073741824))
head -c 4096 /dev/urandom >"$MFS/models/m/model.bin"
head -c 4096 /dev/urandom >"$MFS/other/free.bin"
cp /bin/true "$MFS/other/true"
for m in m g1 gbig; do "$VOUCH" sign -k "$W/k.key" "$MFS/models/$m" >/dev/null || die "sign $m"; done
SOCK=$W/vouchd.sock
printf '[vouch]\nmode = enforce\nprotect = %s\ntrust = %s\nvouchd_socket = %s\n' \
	"$MFS/models" "$W/trust" "$SOCK" >"$W/vouch.conf"
chmod 644 "$W/vouch.conf"

vd_start() {
	: >"$W/vouchd.err"
	"$VOUCHD" -f -c "$W/vouch.conf" --control "$W/ctl" 2>>"$W/vouchd.err" &
	VD_PID=$!
	for _ in $(seq 500); do grep -q enforcing "$W/vouchd.err" && return 0; sleep 0.01; done
	cat "$W/vouchd.err" >&2; die "vouchd did not start"
}
vd_stop() {
	kill -TERM "$VD_PID"; wait "$VD_PID" || :
	VD_PID=""
}
val() { sed -n 's/^[a-z_]*=//p'; }
us_now() { echo $(( $(date +%s%N) / 1000 )); }
exec_loop() { # N: us per exec of the binary on the marked fs
	t0=$(us_now); i=0
	while [ $i -lt "$1" ]; do "$MFS/other/true"; i=$((i + 1)); done
	echo $(( ($(us_now) - t0) / $1 ))
}
herd() { # N PATH: wall us until N shim processes have first-opened PATH
	t0=$(us_now); pids=""
	for _ in $(seq "$1"); do
		LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$W/vouch.conf "$PB" 1 "$2" >/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || die "a shim process failed to open $2"; done
	echo $(( $(us_now) - t0 ))
}

# Sanity: vouchd really decides.
cp -r "$MFS/models/m" "$MFS/models/t"
printf 'X' | dd of="$MFS/models/t/model.bin" bs=1 seek=7 conv=notrunc 2>/dev/null
vd_start
if "$PB" 1 "$MFS/models/t/model.bin" >/dev/null 2>&1; then die "vouchd let a tampered file open"; fi
vd_stop

echo "vouchd benchmark: $REPS repetitions, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$W/res"
r=0
while [ $r -lt "$REPS" ]; do
	# bare (no vouchd): vouch verify of both big files, the open loops, exec
	t0=$(us_now); "$VOUCH" verify -p "$W/k.pub" "$MFS/models/g1" >/dev/null 2>&1 || die "verify g1"
	echo "g1 verify $(( $(us_now) - t0 ))" >>"$W/res"
	t0=$(us_now); "$VOUCH" verify -p "$W/k.pub" "$MFS/models/gbig" >/dev/null 2>&1 || die "verify gbig"
	echo "gbig verify $(( $(us_now) - t0 ))" >>"$W/res"
	echo "hit bare $("$PB" "$N_HIT" "$MFS/models/m/model.bin" | val)" >>"$W/res"
	echo "free bare $("$PB" "$N_FREE" "$MFS/other/free.bin" | val)" >>"$W/res"
	echo "exec bare $(exec_loop "$N_EXEC")" >>"$W/res"
	# a fresh vouchd: nothing verified yet
	vd_start
	ms=$("$PB" 1 "$MFS/models/g1/model.bin" | val) || die "first open of g1 through vouchd"
	echo "g1 vouchd $(awk -v m="$ms" 'BEGIN { printf "%d", m * 1000 }')" >>"$W/res"
	echo "hit vouchd $("$PB" "$N_HIT" "$MFS/models/m/model.bin" | val)" >>"$W/res"
	echo "free vouchd $("$PB" "$N_FREE" "$MFS/other/free.bin" | val)" >>"$W/res"
	echo "exec vouchd $(exec_loop "$N_EXEC")" >>"$W/res"
	echo "gbig herd $(herd 16 "$MFS/models/gbig/model.bin")" >>"$W/res"
	vd_stop
	r=$((r + 1))
done

awk -v n_hit="$N_HIT" -v n_free="$N_FREE" -v n_exec="$N_EXEC" -v gib="$BIG_GIB" '
function median(k,   n, i, j, t, a) {
	n = cnt[k]; for (i = 1; i <= n; i++) a[i] = v[k, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1 " " $2; v[k, ++cnt[k]] = $3 }
END {
	gv = median("g1 verify") / 1000; gd = median("g1 vouchd") / 1000
	hb = median("hit bare"); hd = median("hit vouchd")
	fb = median("free bare"); fd = median("free vouchd")
	eb = median("exec bare"); ed = median("exec vouchd")
	bv = median("gbig verify") / 1000; bh = median("gbig herd") / 1000
	printf "\n| measurement | without vouchd | with vouchd | ratio | target |\n|---|---:|---:|---:|---:|\n"
	printf "| first open of a 1 GiB protected file, ms (without: vouch verify) | %.1f | %.1f | %.2f | <= 1.15 |\n", gv, gd, gd / gv
	printf "| open+close, protected file already verified (x%d), us | %.3f | %.3f | %.2f | +%.2f us (goal <= 10) |\n", n_hit, hb, hd, hd / hb, hd - hb
	printf "| open+close, unprotected file on the marked fs (x%d), us | %.3f | %.3f | %.2f | - |\n", n_free, fb, fd, fd / fb
	printf "| exec of a binary on the marked fs (x%d), us | %d | %d | %.2f | - |\n", n_exec, eb, ed, ed / eb
	printf "| 16 shim processes first-opening %d GiB, ms (without: one vouch verify) | %.1f | %.1f | %.2f | <= 1.20 |\n", gib, bv, bh, bh / bv
	fails = 0
	ok = gd / gv <= 1.15; printf "%s: first 1 GiB open through vouchd / vouch verify %.2f (<= 1.15)\n", ok ? "PASS" : "FAIL", gd / gv; fails += !ok
	ok = hd - hb <= 10;   printf "%s: verified open+close, +%.2f us with vouchd (<= 10)\n", ok ? "PASS" : "FAIL", hd - hb; fails += !ok
	ok = bh / bv <= 1.2;  printf "%s: 16 first opens of %d GiB via shim+vouchd / one vouch verify %.2f (<= 1.2)\n", ok ? "PASS" : "FAIL", gib, bh / bv; fails += !ok
	exit fails ? 1 : 0
}' "$W/res"
