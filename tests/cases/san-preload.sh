#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# san-preload: the preload shim under AddressSanitizer, LeakSanitizer and
# UBSan (issue 19 item 3).  The ASan+UBSan shim ($VOUCH_SAN_BUILD, default
# build/san) is preloaded behind the ASan runtime (LD_PRELOAD="libasan.so
# shim": ASan must come first) into programs that are not instrumented: the
# regular build's preload-try, through every libc entry point the shim
# wraps, on a verified, a tampered, an unlisted and an unprotected file; a
# signature file; O_PATH and write-only opens; Python threads opening at once
# and forked children deciding; a config that fails to load (fail closed).
# What it proves: every verdict is right, and no sanitizer reports anything,
# in any of these processes, at any time up to and including their exit
# (LeakSanitizer; off only for Python, whose interpreter keeps what it
# allocated at exit).  Each report goes to a file of its own ($TMPDIR/san.PID).
. "$VOUCH_SRC/tests/lib.sh"
SAN=${VOUCH_SAN_BUILD:-$VOUCH_SRC/build/san}
[ -r "$SAN/lib/libvouch-preload.so" ] || skip "no ASan build at $SAN (make BUILD=build/san SAN=1 all)"
PRELOAD=$SAN/lib/libvouch-preload.so
ASAN_RT=$(gcc -print-file-name=libasan.so)
[ -e "$ASAN_RT" ] || fail "no ASan runtime ($ASAN_RT)"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
head -c 5000 /dev/urandom >"$TMPDIR/plain.bin"
printf 'added\n' >"$PROT/m/added.bin"
LEAKS=1
# shim CMD...: preload-lib's shim(), with the ASan runtime ahead of the shim.
shim() {
	ASAN_OPTIONS="detect_leaks=$LEAKS:abort_on_error=0:halt_on_error=1:log_path=$TMPDIR/san" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$TMPDIR/san" \
	LD_PRELOAD="$ASAN_RT $PRELOAD" VOUCH_CONFIG=$CONF "$@"
}
san_clean() {
	for f in "$TMPDIR"/san.*; do
		[ -e "$f" ] || continue
		head -n 40 "$f" >&2
		fail "a sanitizer report: $f ($1)"
	done
}
# The runtime really is loaded, and the shim really decides.
OUT=$(shim "$TRY" open "$PROT/t/model.bin" 2>&1)
san_clean "one denied open"
[ "$OUT" = "open errno=13" ] || fail "the ASan shim did not deny: $OUT"
ASAN_OPTIONS=help=1 LD_PRELOAD="$ASAN_RT $PRELOAD" VOUCH_CONFIG=$CONF "$TRY" open "$TMPDIR/plain.bin" 2>&1 |
	grep -q 'Available flags for AddressSanitizer' || fail "the ASan runtime is not in the process"

CALLS="open open64 __open __open64 __open_2 __open64_2 openat openat64 __openat_2
__openat64_2 fopen fopen64 freopen freopen64 freopen-null open_by_handle_at rdwr reopen direct"
# preload-lib's try_ok/try_denied, a sanitizer report named before a verdict
# (a process stopped by one prints no verdict).
try_ok() {
	OUT=$(shim "$TRY" "$1" "$2" 2>&1); san_clean "$1 $2"
	[ "$OUT" = "$1 ok off=0" ] || fail "$1 $2: wanted ok off=0, got: $OUT"
}
try_denied() {
	OUT=$(shim "$TRY" "$1" "$2" 2>&1); san_clean "$1 $2"
	[ "$OUT" = "$1 errno=13" ] || fail "$1 $2: wanted errno=13 (EACCES), got: $OUT"
}
for c in $CALLS; do
	try_ok "$c" "$PROT/m/model.bin"
	try_ok "$c" "$TMPDIR/plain.bin"
	try_denied "$c" "$PROT/t/model.bin"
	try_denied "$c" "$PROT/m/added.bin"
done
for c in opath wronly; do try_ok "$c" "$PROT/t/model.bin"; done
try_ok open "$PROT/m/model.sig"
san_clean "every entry point"
ok "every wrapped entry point: right verdicts, no ASan, LSan or UBSan report"

# Threads deciding at once, and forked children (Python: leak checking off).
LEAKS=0
expect_rc 0 shim timeout 120 "$PY" - "$PROT" <<'PYEOF'
import errno, os, sys, threading
prot = sys.argv[1]
bad = []
def worker(n):
    for i in range(40):
        for path, want in ((prot + "/m/model.bin", None), (prot + "/t/model.bin", errno.EACCES),
                           (prot + "/m/config.json", None)):
            try:
                with open(path, "rb") as f:
                    f.read()
                got = None
            except OSError as e:
                got = e.errno
            if got != want:
                bad.append((path, got))
ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in ts: t.start()
for i in range(10):
    pid = os.fork()
    if pid == 0:
        try:
            open(prot + "/t/model.bin", "rb"); os._exit(4)
        except PermissionError:
            pass
        open(prot + "/m/model.bin", "rb").read()
        os._exit(0)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        bad.append(("child", os.waitstatus_to_exitcode(st)))
for t in ts: t.join()
print("bad:", bad[:5])
sys.exit(1 if bad else 0)
PYEOF
LEAKS=1
san_clean "threads and forks"
ok "8 threads x 120 opens and 10 forked children: right verdicts, no report"

# A config that fails to load: the shim fails closed on the roots it names.
printf '[vouch]\nprotect: %s\ntrust = %s\nthreshold: lots\n' "$PROT" "$TMPDIR/trust" >"$CONF"
OUT=$(shim "$TRY" open "$PROT/t/model.bin" open "$PROT/m/model.bin" open "$TMPDIR/plain.bin" 2>&1)
[ "$OUT" = "open errno=13
open errno=13
open ok off=0" ] || fail "a broken config: $OUT"
san_clean "a broken config"
ok "a config that fails to load: fail closed, no report"
