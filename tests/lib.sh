# SPDX-License-Identifier: Apache-2.0
# Shared shell helpers for tests/cases/*.sh.  The runner exports VOUCH_SRC,
# VOUCH_BUILD (build dir, absolute), VOUCH_DATA and TMPDIR (a fresh dir
# that is also the cwd).  Source it: . "$VOUCH_SRC/tests/lib.sh"
set -u
VOUCH=$VOUCH_BUILD/bin/vouch
VOUCHFS=$VOUCH_BUILD/bin/vouchfs
VOUCHD=$VOUCH_BUILD/bin/vouchd
PRELOAD=$VOUCH_BUILD/lib/libvouch-preload.so
PY=/usr/bin/python3
KEYS=$VOUCH_SRC/tests/keys
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}   # 2026-01-01T00:00:00Z

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
ok()   { echo "ok: $*"; }

# expect_rc RC CMD... : run CMD, require exit code RC; output in $OUT.
expect_rc() {
	want=$1; shift
	OUT=$("$@" 2>&1); got=$?
	[ "$got" -eq "$want" ] || { printf '%s\n' "$OUT" >&2; fail "exit $got, wanted $want: $*"; }
}
# expect_out PATTERN : $OUT must contain PATTERN (grep -E).
expect_out() {
	printf '%s\n' "$OUT" | grep -Eq -- "$1" || { printf '%s\n' "$OUT" >&2; fail "output lacks /$1/"; }
}

# Start a real syslog receiver on /dev/log writing to $SYSLOG; stopped on exit.
SYSLOG=$TMPDIR/syslog.txt
syslog_start() {
	: >"$SYSLOG"
	"$PY" "$VOUCH_SRC/tests/syslog-sink.py" "$SYSLOG" &
	SYSLOG_PID=$!
	for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.05; done
	trap 'syslog_stop' EXIT
}
syslog_stop() { [ -n "${SYSLOG_PID:-}" ] && kill "$SYSLOG_PID" 2>/dev/null; SYSLOG_PID=""; }
# syslog_wait PATTERN [SECONDS]: wait until a record matches.
syslog_wait() {
	n=$(( ${2:-5} * 20 ))
	while [ $n -gt 0 ]; do grep -Eq -- "$1" "$SYSLOG" && return 0; sleep 0.05; n=$((n - 1)); done
	cat "$SYSLOG" >&2; fail "no syslog record matches /$1/"
}

# A throwaway key pair for this test (unencrypted, fast).
newkey() { "$VOUCH" keygen --no-passphrase -o "$TMPDIR/$1" >/dev/null 2>&1 || fail "keygen $1"; }

# A small model directory: weights, config, tokenizer, an empty file, a subdir.
mkmodel() {
	d=$1; mkdir -p "$d/sub"
	head -c 300000 /dev/urandom >"$d/model.bin"
	printf '{"hidden": 16}\n' >"$d/config.json"
	printf '{"vocab": ["a", "b"]}\n' >"$d/tokenizer.json"
	: >"$d/__init__.py"
	printf 'x' >"$d/sub/extra.txt"
}

# Flip one byte at OFFSET of FILE, in place.
flip_byte() {
	"$PY" - "$1" "${2:-0}" <<'PYEOF'
import sys
p, off = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 1]))
PYEOF
}
