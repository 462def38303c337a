# SPDX-License-Identifier: Apache-2.0
# Shared set-up for the preload shim's cases (tests/cases/preload-*.sh).
# Source after tests/lib.sh.  Gives:
#   $PROT       a protected root holding m/ (a signed model) and t/ (signed,
#               then one byte of t/model.bin flipped)
#   $CONF       a config protecting $PROT (pl_conf rewrites it)
#   $TRY        build/tests/preload-try (one open per libc entry point)
#   shim CMD..  run CMD with the shim preloaded and $CONF as its config
TRY=$VOUCH_BUILD/tests/preload-try
PROT=$TMPDIR/prot
CONF=$TMPDIR/vouch.conf
[ -r "$PRELOAD" ] || fail "missing $PRELOAD (make)"
[ -x "$TRY" ] || fail "missing $TRY (make)"

# pl_conf MODE ROOTS [EXTRA-LINE...]: a root-owned 0644 config, as vouch wants.
pl_conf() {
	mode=$1 roots=$2; shift 2
	{
		printf '[vouch]\nmode = %s\nprotect = %s\ntrust = %s\n' "$mode" "$roots" "$TMPDIR/trust"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$CONF"
	chmod 0644 "$CONF"
}

# pl_sign DIR: sign a model directory with the test key.
pl_sign() { "$VOUCH" sign -k "$TMPDIR/k.key" "$1" >/dev/null 2>&1 || fail "vouch sign $1"; }

pl_setup() {
	newkey k
	mkdir -p "$TMPDIR/trust" "$PROT"
	cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
	mkmodel "$PROT/m"
	pl_sign "$PROT/m"
	mkmodel "$PROT/t"
	pl_sign "$PROT/t"
	flip_byte "$PROT/t/model.bin" 1000
	pl_conf enforce "$PROT"
}

shim() { LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$CONF "$@"; }

# try_ok CALL PATH / try_denied CALL PATH: one open through the shim.
try_ok() {
	OUT=$(shim "$TRY" "$1" "$2" 2>&1)
	[ "$OUT" = "$1 ok off=0" ] || fail "$1 $2: wanted ok off=0, got: $OUT"
}
try_denied() {
	OUT=$(shim "$TRY" "$1" "$2" 2>&1)
	[ "$OUT" = "$1 errno=13" ] || fail "$1 $2: wanted errno=13 (EACCES), got: $OUT"
}

# pl_public: cases that run programs as another user (nobody) copy what that
# user loads and runs (the shim, preload-try) to a fresh world-readable
# directory under /tmp and point $PRELOAD and $TRY there: the checkout may
# sit under a 0700 directory (root's home) that nobody cannot enter.  (The
# model trees, keys and configs are under $TMPDIR, which such cases make
# 0755; the runner makes it under /tmp.)  Call it after syslog_start: it
# takes over the EXIT trap, to remove the copies too.
pl_public() {
	PL_PUB=$(mktemp -d /tmp/vouch-pub.XXXXXX) || fail "mktemp -d /tmp/vouch-pub.XXXXXX"
	trap 'syslog_stop; rm -rf "$PL_PUB"' EXIT
	cp "$PRELOAD" "$TRY" "$PL_PUB/" || fail "copy the shim and preload-try to $PL_PUB"
	PRELOAD=$PL_PUB/${PRELOAD##*/}
	TRY=$PL_PUB/${TRY##*/}
	chmod 0755 "$PL_PUB" "$PRELOAD" "$TRY"
}
