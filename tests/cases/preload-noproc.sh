#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-noproc: a process without /proc (one that chrooted itself, a bare
# container) cannot read where its fds live.  The shim must not break it:
# unrelated files on the protected root's filesystem still open, a model
# asked for by its name under the root is still verified (good opens,
# tampered is EACCES), and one warning says the shim is half blind.
if [ -z "${PRELOAD_NOPROC_NS:-}" ]; then
	PRELOAD_NOPROC_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
head -c 5000 /dev/urandom >"$TMPDIR/plain.bin"
umount -l /proc || fail "umount /proc"
[ ! -e /proc/self/mountinfo ] || fail "/proc still there"
OUT=$(shim "$TRY" open "$TMPDIR/plain.bin" open "$PROT/m/model.bin" fopen "$PROT/m/config.json" \
	open "$PROT/t/model.bin" 2>&1)
[ "$OUT" = "open ok off=0
open ok off=0
fopen ok off=0
open errno=13" ] || fail "without /proc: $OUT"
syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/t/model.bin "
syslog_wait "preload: /proc is not available in this process"
ok "no /proc: unrelated files open, models by name still verified, one warning"
