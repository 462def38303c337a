#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-limits: the shim's honest limits, shown, not just listed.  Each
# bypass below reads the tampered model although the same process's ordinary
# open() of it is refused; and each is named in docs/preload.md and the man
# page, which send the reader to vouchfs as the enforcement boundary.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
syslog_start
pl_setup
BAD=$PROT/t/model.bin
DOC=$VOUCH_SRC/docs/preload.md
MAN=$VOUCH_SRC/man/libvouch-preload.8
[ -r "$DOC" ] && [ -r "$MAN" ] || fail "docs/preload.md or man/libvouch-preload.8 missing"
documented() { # KEYWORD-REGEX: named in both documents
	grep -Eqi -- "$1" "$DOC" || fail "docs/preload.md does not document /$1/"
	grep -Eqi -- "$1" "$MAN" || fail "libvouch-preload.8 does not document /$1/"
}
documented 'vouchfs.*(the )?(enforcement )?boundary|boundary.*vouchfs'

# The baseline for every line below: the ordinary open is refused.
try_denied open "$BAD"

# 1. A static binary has no dynamic loader to preload anything.
printf '#include <fcntl.h>\n#include <unistd.h>\nint main(int c,char**v){char b[4096];int fd=open(v[1],O_RDONLY);if(fd<0)return 1;while(read(fd,b,sizeof b)>0);return 0;}\n' >"$TMPDIR/st.c"
cc -static -o "$TMPDIR/static-cat" "$TMPDIR/st.c" || fail "cc -static (libc6-dev)"
expect_rc 0 shim "$TMPDIR/static-cat" "$BAD"
documented 'static'
ok "bypass: static binary"

# 2. A raw syscall(SYS_openat) never calls a libc open.
expect_rc 0 shim "$PY" -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(257, -100, b'$BAD', os.O_RDONLY)      # SYS_openat, AT_FDCWD
assert fd >= 0, ctypes.get_errno()
os.read(fd, 100); print('raw syscall read')"
expect_out 'raw syscall read'
documented 'syscall'
ok "bypass: raw syscall"

# 3. io_uring's IORING_OP_OPENAT.
expect_rc 0 shim "$VOUCH_BUILD/tests/uring-open" "$BAD"
expect_out 'uring read 300000 bytes'
documented 'io_uring'
ok "bypass: io_uring"

# 4. dlopen: libc opens the library internally.
printf 'int answer(void) { return 42; }\n' >"$TMPDIR/lib.c"
mkdir -p "$PROT/so"
cc -shared -fPIC -o "$PROT/so/model.so" "$TMPDIR/lib.c" || fail "cc -shared"
pl_sign "$PROT/so"
printf 'int answer(void) { return 666; }\n' >"$TMPDIR/lib.c"
cc -shared -fPIC -o "$TMPDIR/evil.so" "$TMPDIR/lib.c" || fail "cc -shared"
cp "$TMPDIR/evil.so" "$PROT/so/model.so"                 # same inode, new bytes
try_denied open "$PROT/so/model.so"
expect_rc 0 shim "$PY" -c "import ctypes; print('answer', ctypes.CDLL('$PROT/so/model.so').answer())"
expect_out 'answer 666'
documented 'dlopen'
ok "bypass: dlopen of a model .so"

# 5. A program that clears LD_PRELOAD for its children.
expect_rc 0 shim env -u LD_PRELOAD cat "$BAD"
documented 'LD_PRELOAD'
ok "bypass: LD_PRELOAD cleared"

# 6. An fd opened by another process: inherited, or sent over SCM_RIGHTS.
expect_rc 0 sh -c "LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$CONF cat >/dev/null" <"$BAD"
expect_rc 0 "$PY" - "$BAD" "$PRELOAD" "$CONF" <<'PYEOF'
import os, socket, subprocess, sys
bad, preload, conf = sys.argv[1:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
env = dict(os.environ, LD_PRELOAD=preload, VOUCH_CONFIG=conf)
child = subprocess.Popen(["/usr/bin/python3", "-c", """
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[1]))
try:
    open(sys.argv[2], 'rb')
    sys.exit('the shim let the child open it')
except PermissionError:
    pass
msg, fds, flags, addr = socket.recv_fds(s, 16, 1)
print('received fd read', len(os.read(fds[0], 1 << 20)))
""", str(b.fileno()), bad], env=env, pass_fds=[b.fileno()])
fd = os.open(bad, os.O_RDONLY)        # this process has no shim
socket.send_fds(a, [b"fd"], [fd])
sys.exit(child.wait())
PYEOF
expect_out 'received fd read 300000'
documented 'SCM_RIGHTS|passed from another process|inherit'
ok "bypass: fds from another process"

# 7. posix_spawn file actions: glibc opens in the child with internal calls.
expect_rc 0 shim "$PY" -c "
import os
pid = os.posix_spawn('/bin/cat', ['cat'], os.environ,
    file_actions=[(os.POSIX_SPAWN_OPEN, 0, '$BAD', os.O_RDONLY, 0),
                  (os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0)])
_, st = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(st) == 0
print('spawned cat read it')"
expect_out 'spawned cat read it'
documented 'posix_spawn'
ok "bypass: posix_spawn file actions"

# 8. A long-lived fd, reused after the file changed in place (what nginx's
#    open_file_cache does): verified once, at open.
expect_rc 0 shim "$PY" - "$PROT/m/model.bin" <<'PYEOF'
import os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDONLY)               # verified here
with open(p, "r+b") as f:                  # a writer changes it in place
    f.write(b"EVIL")
assert os.pread(fd, 4, 0) == b"EVIL"       # the old fd reads the new bytes
try:
    os.open(p, os.O_RDONLY)
    sys.exit("a new open of the changed file was allowed")
except PermissionError:
    print("old fd reads tampered bytes; new open refused")
PYEOF
expect_out 'old fd reads tampered bytes; new open refused'
documented 'open_file_cache'
ok "bypass: long-lived fd after an in-place change"
