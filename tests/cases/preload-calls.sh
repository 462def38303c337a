#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-calls: every libc entry point the shim wraps decides on the fd it
# returns.  A good model opens (offset untouched: hashing uses pread only), a
# tampered one fails with EACCES and a LOG_ALERT record, unprotected files and
# non-reads (O_PATH, write-only) pass, a later open of /proc/self/fd/N is an
# open like any other, and C++ std::ifstream and Python's open() are covered.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
head -c 5000 /dev/urandom >"$TMPDIR/plain.bin"

CALLS="open open64 __open __open64 __open_2 __open64_2 openat openat64 __openat_2
__openat64_2 fopen fopen64 freopen freopen64 freopen-null open_by_handle_at rdwr reopen direct"

# Control: without the shim the tampered file is just a file.
expect_rc 0 "$TRY" open "$PROT/t/model.bin"

for c in $CALLS; do
	try_ok "$c" "$PROT/m/model.bin"
	try_ok "$c" "$TMPDIR/plain.bin"
	try_denied "$c" "$PROT/t/model.bin"
done
ok "every wrapped entry point: good opens, tampered EACCES, unprotected opens"

# Not reads: O_PATH and write-only opens of the tampered file pass.
for c in opath wronly; do try_ok "$c" "$PROT/t/model.bin"; done
# Signatures are always readable; a file the signature does not list is not.
try_ok open "$PROT/t/model.sig"
printf 'new' >"$PROT/m/added.bin"
try_denied open "$PROT/m/added.bin"
ok "O_PATH, write-only, signature files; an unsigned file is denied"

# One LOG_ALERT (authpriv: <81>) record per denial, fields as vouchfs writes them.
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$PROT/t/model.bin .*comm=preload-try"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=not-in-manifest .*path=$PROT/m/added.bin"
ok "LOG_ALERT records"

# C++ std::ifstream (libstdc++ opens with fopen64).
command -v g++ >/dev/null || fail "g++ missing (build-essential)"
cat >"$TMPDIR/ifs.cc" <<'CCEOF'
#include <fstream>
#include <iostream>
int main(int, char **argv)
{
	std::ifstream f(argv[1], std::ios::binary);
	if (!f.is_open()) { std::cout << "closed\n"; return 1; }
	char c; f.read(&c, 1);
	std::cout << (f ? "read\n" : "noread\n");
	return 0;
}
CCEOF
g++ -O1 -o "$TMPDIR/ifs" "$TMPDIR/ifs.cc" || fail "g++"
expect_rc 0 shim "$TMPDIR/ifs" "$PROT/m/model.bin"; expect_out '^read$'
expect_rc 1 shim "$TMPDIR/ifs" "$PROT/t/model.bin"; expect_out '^closed$'
expect_rc 0 "$TMPDIR/ifs" "$PROT/t/model.bin"
ok "std::ifstream"

# Python's open() (open64/openat64 in python3.11).
expect_rc 0 shim "$PY" -c "open('$PROT/m/model.bin','rb').read(); open('$TMPDIR/plain.bin','rb').read()"
expect_rc 0 shim "$PY" -c "
import errno
try:
    open('$PROT/t/model.bin', 'rb')
except PermissionError as e:
    assert e.errno == errno.EACCES, e
    print('denied')
else:
    raise SystemExit('tampered file opened')"
expect_out '^denied$'
ok "python open()"

# A program that closes every fd (a daemon starting up) takes the shim's
# pinned root fds; the numbers then come back as other directories.  The
# shim must notice and pin its roots again, not look up signatures in
# whatever directory now has that number.
expect_rc 0 shim "$PY" - "$PROT" "$TMPDIR" <<'PYEOF'
import os, sys
prot, tmp = sys.argv[1:]
open(prot + "/m/model.bin", "rb").read()           # the shim is set up, roots pinned
os.closerange(3, 4096)
squat = [os.open(tmp, os.O_RDONLY | os.O_DIRECTORY) for _ in range(8)]
open(prot + "/m/model.bin", "rb").read()
try:
    open(prot + "/t/model.bin", "rb")
    sys.exit("tampered file opened after close_range")
except PermissionError:
    print("re-pinned")
PYEOF
expect_out 're-pinned'
ok "roots re-pinned after the program closed every fd"
