#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-mmap: issue 15, defect 10 through vouchfs (stores through a shared
# writable mmap of the SOURCE after verification).  vouchfs caches verdicts
# per stat identity and keeps each node's pages (keep_cache); the kernel
# moves mtime/ctime when a store write-faults a clean page of a shared
# mapping, not for stores into an already dirty page, not at msync.
#
# A writer (root, not through the mount, which is read-only) maps a source
# file MAP_SHARED|PROT_WRITE; after each step a reader opens the file through
# the mount, reads it, drops the mount's cached pages of it
# (POSIX_FADV_DONTNEED) and reads again (those reads reach vouchfs):
#   A (a.bin)  1. store of the byte already there (page dirty, bytes
#                 unchanged: the open re-verifies and allows);
#              2. store of a changed byte into that already dirty page;
#              3. msync(MS_SYNC);
#              4. store of a changed byte into the page, clean again.
#   B (b.bin)  1. store of a changed byte into a clean page;
#              2. store of another changed byte into that dirty page;
#              3. msync(MS_SYNC).
# Asserts what vouch promises: while the source file is open for writing
# (the writer's mapping counts), libvouch's read lease cannot be taken and
# every open through the mount is EACCES with an io-error record ("open for
# writing"): no step serves anything, so no store into an already dirty page
# (which moves neither mtime nor ctime) can be served from the verdict cache.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/mm" "$MNT" "$TMPDIR/trust"
newkey k
cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
head -c 300000 /dev/urandom >"$SRC/mm/a.bin"
head -c 300000 /dev/urandom >"$SRC/mm/b.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/mm"
cp "$SRC/mm/a.bin" "$TMPDIR/a.signed"
cp "$SRC/mm/b.bin" "$TMPDIR/b.signed"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust"

OUT=$("$PY" - "$SRC/mm" "$MNT/mm" "$TMPDIR" 2>&1 <<'PYEOF'
import mmap, os, sys
srcd, mntd, refs = sys.argv[1:]

def scenario(tag, name, steps):
    src = os.path.join(srcd, name)
    mnt = os.path.join(mntd, name)
    signed = open(os.path.join(refs, name[0] + ".signed"), "rb").read()

    def ident():
        s = os.stat(src)
        return (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)

    def desc(data):
        return "signed bytes" if data == signed else "CHANGED bytes"

    def try_open():
        """open through the mount; read (page cache), drop the cached pages,
        read again (reaches vouchfs)"""
        try:
            fd = os.open(mnt, os.O_RDONLY)
        except PermissionError:
            return "EACCES", None, None
        try:
            a = os.pread(fd, len(signed) + 1, 0)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            try:
                b = os.pread(fd, len(signed) + 1, 0)
            except OSError as e:
                b = "error %s" % e.strerror
            return "allowed", a, b
        finally:
            os.close(fd)

    r, a, b = try_open()
    assert r == "allowed" and a == signed and b == signed, "first open of %s: %s" % (name, r)
    fd = os.open(src, os.O_RDWR)
    m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    verified = ident()
    last = verified
    for i, (what, act) in enumerate(steps, 1):
        act(m)
        now = ident()
        moved = now != verified
        changed = m[:] != signed
        r, a, b = try_open()
        served = "-"
        if r == "allowed":
            served = "read: %s; after dropping the cached pages: %s" % (
                desc(a), b if isinstance(b, str) else desc(b))
        print("step %s%d %s (%s): identity moved by this step: %s; since the last allowed open: %s; "
              "source differs from signed: %s; open: %s (%s)"
              % (tag, i, what, name, now != last, moved, changed, r, served))
        if r == "allowed":
            if moved and (a != signed or b != signed):
                print("BAD %s%d: the identity moved and the open served changed bytes" % (tag, i))
            if not moved and (a != signed or b != signed):
                print("WINDOW %s%d %s: %s" % (tag, i, what, served))
            verified = now
        elif changed and moved:
            print("REFUSED %s%d" % (tag, i))
        last = now
    m.close()
    os.close(fd)

def store(off, delta):
    def act(m):
        m[off] = m[off] ^ delta
    return act

scenario("A", "a.bin", [
    ("store of the same byte into a clean page", store(5000, 0)),
    ("store of a changed byte into the already dirty page", store(5001, 1)),
    ("msync(MS_SYNC)", lambda m: m.flush()),
    ("store of a changed byte into the page, clean again after msync", store(5002, 1)),
])
scenario("B", "b.bin", [
    ("store of a changed byte into a clean page", store(5000, 1)),
    ("store of another changed byte into the already dirty page", store(5001, 1)),
    ("msync(MS_SYNC)", lambda m: m.flush()),
])
print("done")
PYEOF
)
printf '%s\n' "$OUT"
printf '%s\n' "$OUT" | grep -q '^done$' || fail "the probe did not finish: $(printf '%s\n' "$OUT" | tail -n 1)"
printf '%s\n' "$OUT" | grep -q '^BAD' && fail "a change visible in the stat identity was served through the mount"
for st in A4 B1 B2 B3; do
	printf '%s\n' "$OUT" | grep -q "^REFUSED $st\$" ||
		fail "step $st: the source differs from the signed file and its identity moved, yet the next open through the mount was not EACCES"
done
for f in a.bin b.bin; do
	syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=io-error mode=enforce path=$SRC/mm/$f .*open for writing"
done
printf '%s\n' "$OUT" | grep -q '^WINDOW' &&
	fail "vouchfs served bytes while the source file was open for writing (read leases: none may be)"
ok "while the source has a writable shared mapping, every open through the mount is EACCES (io-error, open for writing): no window"
