#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/scan.sh - issue 23: how long `vouch scan` takes.
#   models1k  1,000 signed models (a 64 KiB weight file, a config, a tokenizer
#             each), scanned with --no-hash (signatures, policy, presence and
#             sizes: what the daily timer costs when content is left to the
#             front ends) and in full
#   big       GIB GiB (default 4) in 4 models of GIB/4 GiB, full scan (hashing)
#             beside `vouch verify` of the same models and `sha256sum`: the
#             scan should cost what verification costs
# Warm page cache; REPS runs each (default 3), median wall time reported.
# Environment: BENCH_DIR (default /var/tmp/vouch-bench), REPS, GIB, VOUCH.
# Exit status: 0, or 2 on a setup error (no target: figures for the note).
set -eu
LC_ALL=C; export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOUCH=${VOUCH:-$ROOT/build/bin/vouch}
BENCH_DIR=${BENCH_DIR:-/var/tmp/vouch-bench}
REPS=${REPS:-3}
GIB=${GIB:-4}
D=$BENCH_DIR/scan-v1
[ -x "$VOUCH" ] || { echo "no $VOUCH (make first)" >&2; exit 2; }
mkdir -p "$D"
if [ ! -f "$D/key.key" ]; then
	"$VOUCH" keygen --no-passphrase -o "$D/key" >/dev/null || exit 2
fi
mkdir -p "$D/trust"
"$VOUCH" trust add --trust "$D/trust" "$D/key.pub" >/dev/null 2>&1 || true
if [ ! -f "$D/models1k/m0999/model.sig" ]; then
	echo "making 1,000 signed models under $D/models1k ..."
	for i in $(seq -w 0 999); do
		m=$D/models1k/m$i; mkdir -p "$m"
		head -c 65536 /dev/urandom >"$m/weights.bin"
		printf '{"hidden": %s}\n' "$i" >"$m/config.json"
		printf '{"vocab": ["a"]}\n' >"$m/tokenizer.json"
		"$VOUCH" sign -k "$D/key.key" --name "m$i" "$m" >/dev/null 2>&1 || exit 2
	done
fi
per=$((GIB * 256))         # MiB per model, 4 models
if [ ! -f "$D/big/m3/model.sig" ] || [ "$(cat "$D/big/size" 2>/dev/null)" != "$GIB" ]; then
	echo "making $GIB GiB in 4 models under $D/big ..."
	rm -rf "$D/big"
	for i in 0 1 2 3; do
		mkdir -p "$D/big/m$i"
		head -c $((per << 20)) /dev/urandom >"$D/big/m$i/weights.bin"
		"$VOUCH" sign -k "$D/key.key" --name "big$i" "$D/big/m$i" >/dev/null 2>&1 || exit 2
	done
	echo "$GIB" >"$D/big/size"
fi
cat >"$D/vouch.conf" <<EOC
[vouch]
trust = $D/trust
EOC
chmod 0644 "$D/vouch.conf"

# median of REPS wall times (seconds) of a command
med() {
	for _ in $(seq "$REPS"); do
		s=$(date +%s.%N); "$@" >/dev/null 2>&1 || [ $? -eq 1 ]; e=$(date +%s.%N)
		echo "$e - $s" | bc
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
cat "$D/models1k"/*/* "$D/big"/*/* >/dev/null      # warm the page cache
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t1=$(med "$VOUCH" scan --no-hash -c "$D/vouch.conf" "$D/models1k")
t2=$(med "$VOUCH" scan -c "$D/vouch.conf" "$D/models1k")
t3=$(med "$VOUCH" scan -c "$D/vouch.conf" "$D/big")
t4=$(med sh -c "for m in $D/big/m*; do '$VOUCH' verify -c '$D/vouch.conf' \$m || exit 1; done")
t5=$(med sh -c "cat $D/big/m*/weights.bin | sha256sum")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %12s\n' "what" "median s" "rate"
printf '%-44s %10.3f %9.0f models/s\n' "scan --no-hash, 1,000 models" "$t1" "$(echo "1000 / $t1" | bc -l)"
printf '%-44s %10.3f %9.0f models/s\n' "scan (full), 1,000 models of 64 KiB" "$t2" "$(echo "1000 / $t2" | bc -l)"
printf '%-44s %10.3f %9.2f GiB/s\n' "scan (full), $GIB GiB in 4 models" "$t3" "$(echo "$GIB / $t3" | bc -l)"
printf '%-44s %10.3f %9.2f GiB/s\n' "vouch verify of the same 4 models" "$t4" "$(echo "$GIB / $t4" | bc -l)"
printf '%-44s %10.3f %9.2f GiB/s\n' "sha256sum of the same bytes" "$t5" "$(echo "$GIB / $t5" | bc -l)"
