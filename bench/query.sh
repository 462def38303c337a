#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/query.sh - issue 22: `vouch query` over 1,000 signed models, each
# with an SBOM made by `vouch sbom --python /usr/bin/python3` (this host's
# Python distributions: ~90 components, ~16 KiB) and an SLSA provenance
# statement; 100 of them carry an SPDX SBOM with a fixed torch instead.
# Every signature is authenticated and every document hashed and parsed
# (weights are not hashed: that is --hash).  Timed: --dep 'torch<2.6',
# --cve CVE-2025-32434 against the OSV record in tests/data, --json.
# Target: under 2 s each.  Warm page cache; REPS runs (default 3), median.
# Environment: BENCH_DIR (default /var/tmp/vouch-bench), REPS, VOUCH, PYTHON.
# Exit status: 0 targets met, 1 a target missed, 2 setup error.
set -eu
LC_ALL=C; export LC_ALL
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOUCH=${VOUCH:-$ROOT/build/bin/vouch}
PYTHON=${PYTHON:-/usr/bin/python3}
BENCH_DIR=${BENCH_DIR:-/var/tmp/vouch-bench}
REPS=${REPS:-3}
DATA=$ROOT/tests/data/provenance
D=$BENCH_DIR/query-v1
[ -x "$VOUCH" ] || { echo "no $VOUCH (make first)" >&2; exit 2; }
mkdir -p "$D"
[ -f "$D/key.key" ] || "$VOUCH" keygen --no-passphrase -o "$D/key" >/dev/null 2>&1 || exit 2
if [ ! -f "$D/models/m999/model.sig" ]; then
	echo "making 1,000 signed models with SBOMs under $D/models ..."
	rm -rf "$D/models" "$D/src" && mkdir -p "$D/src"
	head -c 65536 /dev/urandom >"$D/src/weights.bin"
	"$VOUCH" sbom --python "$PYTHON" -o "$D/sbom.cdx.json" "$D/src" || exit 2
	for i in $(seq -w 0 999); do
		m=$D/models/m$i; mkdir -p "$m"
		[ -f "$m/weights.bin" ] || head -c 65536 /dev/urandom >"$m/weights.bin"
		printf '{"hidden": %s}\n' "$i" >"$m/config.json"
		sbom=$D/sbom.cdx.json
		case $i in *0) sbom=$DATA/sbom.spdx.json ;; esac
		"$VOUCH" sign -k "$D/key.key" --name "m$i" --sbom "$sbom" \
			--provenance "$DATA/provenance.intoto.json" "$m" >/dev/null 2>&1 || exit 2
	done
fi

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
run() { # LABEL ARGS...
	label=$1; shift
	ts=""
	for _ in $(seq "$REPS"); do
		t0=$(date +%s.%N)
		"$VOUCH" query -p "$D/key.pub" "$@" "$D/models" >"$D/out" 2>"$D/err" || [ $? -eq 1 ] ||
			{ cat "$D/err" >&2; exit 2; }
		t1=$(date +%s.%N)
		ts="$ts $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
	done
	m=$(echo $ts | tr ' ' '\n' | median)
	n=$(grep -c '^verified\|"status":"match"' "$D/out" || true)
	ok=$(awk -v m="$m" 'BEGIN {print (m < 2) ? "met" : "MISSED"}')
	printf '| %-40s | %6s s | %5s | %s |\n' "$label" "$m" "$n" "$ok"
	[ "$ok" = met ] || miss=1
}
miss=0
echo "vouch query, 1,000 signed models with SBOM + provenance, median of $REPS (load $(cut -d' ' -f1 /proc/loadavg))"
printf '| %-40s | %8s | %5s | %s |\n' "query" "time" "rows" "< 2 s"
run "--dep 'torch<2.6'" --dep 'torch<2.6'
run "--cve CVE-2025-32434 --osv tests/data" --cve CVE-2025-32434 --osv "$DATA/osv"
run "--json --dep pkg:pypi/numpy" --json --dep pkg:pypi/numpy
run "(no filter)"
exit $miss
