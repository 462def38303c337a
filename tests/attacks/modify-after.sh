#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/modify-after: a verified file is modified afterwards.  Each
# modification, by root in the source tree, not through any front end:
#   write     the attacker's bytes written over part of the file (same size)
#   truncate  truncate(2) to half its size (no open: vouchd cannot refuse it)
#   extend    the attacker's bytes appended
#   punch     fallocate(PUNCH_HOLE | KEEP_SIZE) over 64 KiB (same size, zeros)
#   mmap      the attacker's bytes stored through a MAP_SHARED writable
#             mapping, which is kept (descriptor closed) while the reader opens
# A. verified, modified, then a new open: every front end refuses the new
#    open (hash-mismatch, size-mismatch; vouchfs: io-error "open for writing"
#    while the mapping lives; the CLI: the same causes), logged at alert; no
#    attacker byte is read.  Under vouchd the attacker's write opens are
#    refused themselves (EPERM, io-error, logged) and the file stays intact;
#    only truncate(2), which opens nothing, gets through to the file, and the
#    next open is refused.
# B. opened (verified) and kept open while the file is modified, then read
#    through that descriptor:
#    - vouchfs (mounted -o prefetch=0, so the reads reach it): never a
#      changed byte: reads after the change fail (EIO: the identity moved);
#    - the shim decides at open and reads come from the file: a documented
#      limit (docs/preload.md, "long-lived fds reused after the file changed
#      in place"): the attacker's bytes ARE read; asserted as that limit;
#    - vouchd: writes are refused (the writer's open); a truncation, which
#      opens nothing, shows to the reader as a short file (no foreign byte:
#      docs/vouchd.md "A reader that already holds an open file");
#    - the CLI serves nothing: n/a.
# Control: each modification leaves the attacker's bytes (or a changed
# file) in the raw file.
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 256m
AT_FS_ARGS="-o prefetch=0"      # reads of a held descriptor reach vouchfs
ACTIONS="write truncate extend punch mmap"
M=$ROOT/w
mkdir -p "$M"
for a in $ACTIONS; do head -c 300000 /dev/urandom >"$M/$a.bin"; done
printf '{"arch": "x"}\n' >"$M/config.json"
at_sign "$M"
for a in $ACTIONS; do cp "$M/$a.bin" "$TMPDIR/$a.ref"; done
sleep 1.1       # older than the racy-clean second: verdicts are cached

# mod ACTION FILE [RELEASE]: the attacker.  Prints "applied" or "refused E".
# mmap: the mapping is kept until RELEASE exists (run it in the background).
cat >"$TMPDIR/mod.py" <<'PYEOF'
import errno, mmap, os, subprocess, sys, time
act, path = sys.argv[1], sys.argv[2]
rel = sys.argv[3] if len(sys.argv) > 3 else None
M = b"ATTACKER-BYTES" * 64
def out(s):
    print(s, flush=True)
try:
    if act == "write":
        with open(path, "r+b") as f:
            f.seek(1000); f.write(M)
    elif act == "truncate":
        os.truncate(path, os.stat(path).st_size // 2)
    elif act == "extend":
        with open(path, "ab") as f:
            f.write(M)
    elif act == "punch":
        fd = os.open(path, os.O_RDWR)
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            # FALLOC_FL_KEEP_SIZE 1 | FALLOC_FL_PUNCH_HOLE 2
            if libc.fallocate(fd, 3, ctypes.c_long(8192), ctypes.c_long(65536)) != 0:
                raise OSError(ctypes.get_errno(), "fallocate")
        finally:
            os.close(fd)
    elif act == "mmap":
        fd = os.open(path, os.O_RDWR)
        m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)
        m[8192:8192 + len(M)] = M      # write-faults a clean page: mtime moves
        out("applied")
        while rel and not os.path.exists(rel):
            time.sleep(0.01)
        m.close()
        sys.exit(0)
    out("applied")
except OSError as e:
    out("refused " + errno.errorcode.get(e.errno, str(e.errno)))
PYEOF
mod() { "$PY" "$TMPDIR/mod.py" "$@"; }
cause_of() { # FE ACTION: the cause a new open must be refused with
	case $2 in
	write|punch) echo hash-mismatch ;;
	truncate|extend) echo size-mismatch ;;
	mmap) [ "$1" = fs ] || [ "$1" = vouchd ] && echo io-error || echo hash-mismatch ;;
	esac
}
restore() { cmp -s "$M/$1.bin" "$TMPDIR/$1.ref" || at_mv "$TMPDIR/$1.ref" "$M/$1.bin"; }

# Control: the modifications really change the file (no front end).
for a in write extend mmap; do
	rm -f "$TMPDIR/rel"; touch "$TMPDIR/rel"
	[ "$(mod "$a" "$M/$a.bin" "$TMPDIR/rel")" = applied ] || fail "control: $a"
	at_control "w/$a.bin"
	restore "$a"
done
for a in truncate punch; do
	mod "$a" "$M/$a.bin" >/dev/null
	cmp -s "$M/$a.bin" "$TMPDIR/$a.ref" && fail "control: $a did not change the file"
	restore "$a"
done
ok "control: every modification changes the raw file (write, extend, mmap: the attacker's bytes)"

MAPPER=""
AT_HOOK='touch "$TMPDIR/rel"; [ -n "$MAPPER" ] && kill $MAPPER'
for fe in $AT_FES; do
	at_start "$fe"
	# ---- A: verified, modified, opened anew -----------------------------
	for a in $ACTIONS; do
		rel=w/$a.bin
		fe_expect_allow "$fe" "$rel" "$TMPDIR/$a.ref" || continue
		rm -f "$TMPDIR/rel"
		at_marks
		if [ "$a" = mmap ]; then
			mod mmap "$M/$a.bin" "$TMPDIR/rel" >"$TMPDIR/mod.out" 2>&1 &
			MAPPER=$!
			for _ in $(seq 200); do [ -s "$TMPDIR/mod.out" ] && break; sleep 0.01; done
			r=$(head -n 1 "$TMPDIR/mod.out")
		else
			r=$(mod "$a" "$M/$a.bin")
		fi
		case $r in
		applied)
			[ "$fe" = vouchd ] && [ "$a" != truncate ] &&
				at_bad "vouchd $a: the attacker's write open under the root was allowed"
			if fe_expect_deny "$fe" "$rel" "$(cause_of "$fe" "$a")"; then
				at_note "$fe" "modified after verification: $a" "denied at the next open ($(cause_of "$fe" "$a"))"
			else
				at_note "$fe" "modified after verification: $a" "FAILED: $AT_GOT"
			fi ;;
		"refused EPERM")
			[ "$fe" = vouchd ] || at_bad "$(fe_name "$fe") $a: the attacker was refused ($r) without vouchd"
			rr=$(at_rec deny io-error "$M/$a.bin")
			[ "${rr%% *}" = ok ] || at_bad "vouchd $a: the refused write open: $rr"
			fe_expect_allow "$fe" "$rel" "$TMPDIR/$a.ref" &&
				at_note "$fe" "modified after verification: $a" "denied: the writer's open (EPERM, io-error); the file stays intact"
			;;
		*)	at_bad "$(fe_name "$fe") $a: the attacker: $r" ;;
		esac
		touch "$TMPDIR/rel"
		[ -n "$MAPPER" ] && { wait "$MAPPER"; MAPPER=""; }
		restore "$a"
	done
	# ---- B: held open across the modification ---------------------------
	if [ "$fe" = cli ]; then
		at_note cli "modified while a reader holds it open" "n/a: the CLI serves no descriptor"
		at_stop "$fe"; continue
	fi
	for a in write truncate extend punch; do
		rel=w/$a.bin
		restore "$a"
		rm -f "$TMPDIR/ready" "$TMPDIR/go"
		AT_READ_ARGS="-w $TMPDIR/ready $TMPDIR/go"
		fe_read_bg "$fe" "$rel" "$TMPDIR/held.out"
		AT_READ_ARGS=""
		for _ in $(seq 300); do [ -e "$TMPDIR/ready" ] && break; kill -0 $AT_BG 2>/dev/null || break; sleep 0.01; done
		[ -e "$TMPDIR/ready" ] || { at_bad "$(fe_name "$fe") held $a: the open was not allowed: $(cat "$TMPDIR/held.out")"; wait $AT_BG; continue; }
		r=$(mod "$a" "$M/$a.bin")
		touch "$TMPDIR/go"
		wait $AT_BG
		fe_parse "$(tail -n 1 "$TMPDIR/held.out")"
		ref=$(sha256sum <"$TMPDIR/$a.ref" | cut -d' ' -f1)
		desc="$r; read: $(printf '%s\n' "$AT_GOT" | sed 's/sha256=[0-9a-f]* //')"
		case $fe in
		fs)
			[ "$AT_M" = 0 ] || at_bad "vouchfs held $a: THE ATTACKER'S BYTES WERE READ ($desc)"
			case $AT_GOT in *rderr=EIO*) ;; *"sha256=$ref "*) ;;
			*) at_bad "vouchfs held $a: neither the signed bytes nor EIO: $desc" ;; esac
			at_note fs "held open, then $a" "no changed byte: $(case $AT_GOT in *rderr=EIO*) echo "EIO after the change" ;; *) echo "the verified bytes" ;; esac)" ;;
		shim)
			case $a in
			write|extend)
				[ "$AT_M" = 1 ] || at_bad "shim held $a: the documented limit did not show (the test is stale?): $desc"
				at_note shim "held open, then $a" "limit: the attacker's bytes are read through the fd (preload.md)" ;;
			*)	[ "$AT_SHA" != "$ref" ] || at_bad "shim held $a: the change did not show: $desc"
				at_note shim "held open, then $a" "limit: the changed file is read through the fd (preload.md)" ;;
			esac ;;
		vouchd)
			[ "$AT_M" = 0 ] || at_bad "vouchd held $a: THE ATTACKER'S BYTES WERE READ ($desc)"
			case $a:$r in
			truncate:applied)
				at_note vouchd "held open, then $a" "limit: the reader sees the file cut short, no foreign byte (vouchd.md)" ;;
			*:"refused EPERM")
				[ "$AT_SHA" = "$ref" ] || at_bad "vouchd held $a: other bytes: $desc"
				at_note vouchd "held open, then $a" "denied: the writer's open (EPERM, io-error)" ;;
			*)	at_bad "vouchd held $a: $desc" ;;
			esac ;;
		esac
		echo "  $(fe_name "$fe") held open, then $a: $desc"
		restore "$a"
	done
	at_stop "$fe"
done
at_done "modifications after verification: refused at the next open by every front end; held descriptors as documented"
