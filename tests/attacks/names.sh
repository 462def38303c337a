#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# attack/names: reaching a model file by another name.  Where
# tests/cases/verdict-table.sh already runs a row through the CLI, vouchfs
# and the shim (links to signature files, into *.sig.d/, to another model,
# out of the root, inside the root, a directory link on the path, hard links,
# renamed pairs), this case runs it through vouchd only; every other row runs
# through every front end it applies to.  The attacker's files hold the
# marker; a read that returns it fails the row, whatever the verdict.
#   link-into-sigd, link-in-root, link-dir-on-path, hard-link-in-root
#                    (verdict-table's rows, vouchd)     symlink / not-in-manifest
#   link-out-samefs  model.pt -> a file outside the root, same filesystem
#   link-out-otherfs model.pt -> a file on another filesystem; vouchd: a
#                    documented limit (the open through the link is on a
#                    filesystem it does not mark: read), the rest of the
#                    model is refused (symlink)
#   link-loop, link-dangling  the kernel refuses the open (ELOOP, ENOENT)
#                    where it resolves links; vouchfs and the CLI say symlink
#   dotdot           m/evil/../model.bin, evil -> a directory outside the
#                    root holding the attacker's model.bin
#   hard-link-out    a hard link outside the root to a tampered protected file
#   handle           open_by_handle_at of a tampered file
#   procfd           O_PATH, then open("/proc/self/fd/N")
#   dir-link-out-samefs  a signed subdirectory moved out of the root (same
#                    filesystem), the attacker's bytes in it, linked back
#   odd-name         a file whose name carries a newline and a forged
#                    "decision=allow" field (malformed: vouch refuses such
#                    names; vouchfs at lookup, EINVAL), one named "model.sig "
#                    (a signature's name plus a space: not-in-manifest); the
#                    records escaped on one line
#   bind-outside     a bind mount of a tampered model outside the root
#   bind-over        (root only) a directory of the attacker's bind-mounted
#                    over a signed model directory inside the root
#   overlay          an overlay whose lower layer is a signed model and whose
#                    upper layer replaces model.bin: mounted elsewhere
#                    (unprotected: a documented limit), then protected
#                    (vouchd, with the overlay's layers on a filesystem it also
#                    marks: the open must come back at all; it hung)
#   btrfs            a signed and a tampered model in a btrfs subvolume under
#                    a protected root (own device numbers)
# vouchfs reaches only names under its mount: rows outside it are n/a there
# (docs/vouchfs.md: anything that does not go through the mount).
# Fails, as found (issue 19): vouchd serves the attacker's bytes for
# dir-link-out-samefs and dotdot (a link to a directory outside the root on
# the marked filesystem taints only its target), and hangs on a protected
# overlay whose layers are on a filesystem it also marks.
. "$VOUCH_SRC/tests/attacks/lib.sh"
at_setup 256m
OROOT=$ROOT

# ---- the tree ----------------------------------------------------------------
at_model "$ROOT/m"; cp "$ROOT/m/model.bin" "$TMPDIR/m.ref"
at_model "$ROOT/t"; at_taint "$ROOT/t/model.bin" 5000        # tampered
# verdict-table's rows, for vouchd
at_model "$ROOT/ls"; (cd "$ROOT/ls" && mv model.bin model.bin.orig && mkdir model.sig.d &&
	at_evil model.sig.d/evil.sig && ln -s model.sig.d/evil.sig model.bin) || fail "ls"
mkdir "$ROOT/il"; head -c 4096 /dev/urandom >"$ROOT/il/weights.bin"
ln -s weights.bin "$ROOT/il/model.bin"; at_sign "$ROOT/il" --allow-symlinks
mkdir -p "$ROOT/ds/sub"; head -c 4096 /dev/urandom >"$ROOT/ds/sub/w.bin"
at_sign "$ROOT/ds"; mv "$ROOT/ds/sub" "$ROOT/ds/sub.orig"; ln -s sub.orig "$ROOT/ds/sub"
at_model "$ROOT/hl"; ln "$ROOT/hl/model.bin" "$ROOT/hl/alias.bin"
# links out, loops, dangling, ..
at_evil "$STASH/evil.bin"; at_evil "$OUTSIDE/evil.bin"
at_model "$ROOT/lo"; rm "$ROOT/lo/model.bin"; ln -s "$STASH/evil.bin" "$ROOT/lo/model.bin"
at_model "$ROOT/lx"; rm "$ROOT/lx/model.bin"; ln -s "$OUTSIDE/evil.bin" "$ROOT/lx/model.bin"
at_model "$ROOT/lp"; rm "$ROOT/lp/model.bin"; ln -s model.bin "$ROOT/lp/model.bin"
at_model "$ROOT/ld"; rm "$ROOT/ld/model.bin"; ln -s nowhere.bin "$ROOT/ld/model.bin"
mkdir -p "$STASH/d/x"; at_evil "$STASH/d/model.bin"
at_model "$ROOT/dd"; ln -s "$STASH/d/x" "$ROOT/dd/evil"     # dd/evil/../model.bin
# hard link outside the root
ln "$ROOT/t/model.bin" "$STASH/hard.bin"
# odd names
at_model "$ROOT/on"; at_model "$ROOT/on2"
NL=$(printf 'evil\ndecision=allow cause=ok path=forged x')
at_evil "$ROOT/on/$NL"
at_evil "$ROOT/on2/model.sig "
# a signed subdirectory moved out of the root (same filesystem) and linked back
at_model "$ROOT/do"; mv "$ROOT/do/sub" "$STASH/dsub"; at_evil "$STASH/dsub/extra.txt"
ln -s "$STASH/dsub" "$ROOT/do/sub"
# bind mounts
mkdir -p "$OUTSIDE/bind" "$OUTSIDE/over"
mount --bind "$ROOT/t" "$OUTSIDE/bind" || fail "bind"
at_model "$ROOT/bo"; cp "$ROOT/bo/model.sig" "$OUTSIDE/over/"
at_evil "$OUTSIDE/over/model.bin" 300000
cp "$ROOT/bo/config.json" "$ROOT/bo/tokenizer.json" "$ROOT/bo/__init__.py" "$OUTSIDE/over/"
cp -r "$ROOT/bo/sub" "$OUTSIDE/over/"
at_conf

# The attacks are real: read directly, the attacker's bytes come back.
for r in ls/model.bin lo/model.bin lx/model.bin dd/evil/../model.bin do/sub/extra.txt t/model.bin "on/$NL" "on2/model.sig "; do
	at_control "$r"
done
fe_parse "$("$AREAD" -x "$MARKER" "$STASH/hard.bin")"; [ "$AT_M" = 1 ] || fail "control: hard link"
fe_parse "$("$AREAD" -x "$MARKER" "$OUTSIDE/bind/model.bin")"; [ "$AT_M" = 1 ] || fail "control: bind"
ok "controls: every planted name reads the attacker's bytes without a front end"

row() { # FE NAME REL CAUSE (CAUSE "-": n/a; "ERRNO:E": the kernel refuses)
	fe=$1 name=$2 rel=$3 cause=$4
	case $cause in
	-)	return 0 ;;
	ERRNO:*)
		fe_read "$fe" "$rel"
		if [ "$AT_M" = 1 ] || [ "$AT_V" != deny ] || [ "$AT_ERR" != "${cause#ERRNO:}" ]; then
			at_bad "$(fe_name "$fe") $name: wanted ${cause#ERRNO:} and no byte, got $AT_GOT"
			at_note "$fe" "names: $name" "FAILED: $AT_GOT"
		else
			at_note "$fe" "names: $name" "no bytes: the kernel's ${cause#ERRNO:} (nothing to decide)"
		fi ;;
	LIMIT:*)
		fe_read "$fe" "$rel"
		[ "$AT_M" = 1 ] || at_bad "$(fe_name "$fe") $name: the documented limit did not show: $AT_GOT"
		at_note "$fe" "names: $name" "limit: ${cause#LIMIT:}" ;;
	*)
		if fe_expect_deny "$fe" "$rel" "$cause"; then
			at_note "$fe" "names: $name" "denied ($AT_CAUSE)"
		elif [ "$AT_M" = 1 ]; then
			at_note "$fe" "names: $name" "HOLE: the attacker's bytes are served"
		else
			at_note "$fe" "names: $name" "FAILED: $AT_GOT"
		fi ;;
	esac
}

for fe in $AT_FES; do
	at_start "$fe"
	fe_expect_allow "$fe" m/model.bin "$TMPDIR/m.ref"
	# verdict-table's rows, through vouchd (the others: tests/cases/verdict-table.sh)
	if [ "$fe" = vouchd ]; then
		AT_RECPATHS="$ROOT/ls/model.sig.d/evil.sig" row vouchd link-into-sigd ls/model.bin symlink
		AT_RECPATHS="$ROOT/il/weights.bin" row vouchd link-in-root il/model.bin symlink
		AT_RECPATHS="$ROOT/ds/sub.orig/w.bin" row vouchd link-dir-on-path ds/sub/w.bin symlink
		row vouchd hard-link-in-root hl/alias.bin not-in-manifest
	fi
	case $fe in
	cli)    c_otherfs=symlink c_loop=symlink c_dang=symlink c_dd=symlink c_nl=malformed c_do=symlink ;;
	fs)     c_otherfs=symlink c_loop=symlink c_dang=symlink c_dd=ERRNO:ENOTDIR c_nl=ERRNO:EINVAL
		c_do=ERRNO:ENOTDIR ;;
	shim)   c_otherfs=symlink c_loop=ERRNO:ELOOP c_dang=ERRNO:ENOENT c_dd=unlocated c_nl=malformed
		c_do=symlink ;;
	vouchd) c_otherfs="LIMIT:the open through a link to an unmarked filesystem passes (vouchd.md); the model's other files are denied (symlink)"
		c_loop=ERRNO:ELOOP c_dang=ERRNO:ENOENT c_nl=malformed
		c_dd="LIMIT:a path through a link to a directory outside the roots opens a file that lives outside them: vouchd decides by where the file lives (vouchd.md)"
		c_do="LIMIT:a directory link leading out of the root on the same filesystem: the file lives outside every root (vouchd.md)" ;;
	esac
	AT_RECPATHS="$STASH/evil.bin" row "$fe" link-out-samefs lo/model.bin symlink
	row "$fe" link-out-otherfs lx/model.bin "$c_otherfs"
	[ "$fe" = vouchd ] && row vouchd link-out-otherfs-rest lx/config.json symlink
	row "$fe" link-loop lp/model.bin "$c_loop"
	row "$fe" link-dangling ld/model.bin "$c_dang"
	[ "$fe" = cli ] && AT_CLI_TARGET=dd
	AT_RECPATHS="$ROOT/dd/model.bin $STASH/d/model.bin" row "$fe" dotdot dd/evil/../model.bin "$c_dd"
	[ "$fe" = cli ] && AT_CLI_TARGET=do
	AT_RECPATHS="$ROOT/do/sub/extra.txt $STASH/dsub/extra.txt" row "$fe" dir-link-out-samefs do/sub/extra.txt "$c_do"
	AT_CLI_TARGET=""
	if [ "$fe" = shim ] || [ "$fe" = vouchd ]; then
		AT_RECPATHS="$ROOT/t/model.bin" row "$fe" hard-link-out "$STASH/hard.bin" hash-mismatch
		AT_RECPATHS="$ROOT/t/model.bin" row "$fe" bind-outside "$OUTSIDE/bind/model.bin" hash-mismatch
	fi
	if [ "$fe" != cli ]; then
		if [ "$fe" = fs ]; then
			# A handle of a FUSE node: refused by the kernel or decided.
			at_marks
			fe_read fs t/model.bin handle
			r=$(AT_REC_WAIT=1 at_rec deny hash-mismatch "$ROOT/t/model.bin")
			if [ "$AT_V" = deny ] && [ "$AT_M" = 0 ] && [ "${r%% *}" = ok ]; then
				at_note fs "names: handle" "denied (hash-mismatch)"
			elif [ "$AT_V" = deny ] && [ "$AT_M" = 0 ]; then
				at_note fs "names: handle" "no bytes: $AT_ERR, no decision (the mount gives no usable handle)"
			else
				at_bad "vouchfs handle: $AT_GOT"
			fi
		else
			fe_expect_deny "$fe" t/model.bin 'hash-mismatch|unlocated' handle &&
				at_note "$fe" "names: handle" "denied ($(tail -n 1 "$AT_AUDIT" | sed -n 's/.*"cause":"\([a-z-]*\)".*/\1/p'))"
		fi
		fe_expect_deny "$fe" t/model.bin hash-mismatch procfd &&
			at_note "$fe" "names: procfd" "denied (hash-mismatch)"
	fi
	[ "$fe" = cli ] && AT_CLI_TARGET=on
	row "$fe" odd-name-newline "on/$NL" "$c_nl"
	[ "$fe" = cli ] && AT_CLI_TARGET=on2
	row "$fe" odd-name-sig-space "on2/model.sig " not-in-manifest
	AT_CLI_TARGET=""
	at_stop "$fe"
done
# A forged field never starts a record of its own.
grep -q '^decision=allow cause=ok path=forged' "$SYSLOG" && at_bad "a file name forged a syslog line"
grep -q '"path":"forged' "$AT_AUDIT" && at_bad "a file name forged a JSON record"

# ---- bind-over (root only): a mount onto a directory inside the root --------
mount --bind "$OUTSIDE/over" "$ROOT/bo" || fail "bind over"
for fe in $AT_FES; do
	at_start "$fe"
	case $fe in
	cli|shim) row "$fe" bind-over bo/model.bin hash-mismatch ;;
	fs)	# the mount is not crossed (RESOLVE_NO_XDEV): nothing is served
		fe_read fs bo/model.bin
		if [ "$AT_M" = 0 ] && [ "$AT_V" != allow ]; then
			at_note fs "names: bind-over (root)" "no bytes: the mount under the source is not crossed ($AT_ERR)"
		else
			at_bad "vouchfs bind-over: $AT_GOT"
		fi ;;
	vouchd)
		row vouchd bind-over bo/model.bin "LIMIT:root only: a filesystem mounted inside a root after the start is not marked (vouchd.md: filesystems it does not mark)" ;;
	esac
	at_stop "$fe"
done
umount "$ROOT/bo"

# ---- overlay and btrfs ---------------------------------------------------------
OVL=$TMPDIR/ovl; BTR=$TMPDIR/btr
mkdir -p "$STASH/lower" "$STASH/upper/m" "$STASH/work" "$OVL" "$BTR"
at_model "$STASH/lower/m"; cp "$STASH/lower/m/model.bin" "$TMPDIR/ovl.ref"
at_evil "$STASH/upper/m/model.bin" 300000
mount -t overlay overlay -o "lowerdir=$STASH/lower,upperdir=$STASH/upper,workdir=$STASH/work" "$OVL" ||
	fail "mount overlay"
fe_parse "$("$AREAD" -x "$MARKER" "$OVL/m/model.bin")"; [ "$AT_M" = 1 ] || fail "control: overlay"
# Mounted elsewhere, unprotected: the shim and vouchd do not look there.
for fe in $AT_FES; do
	case $fe in cli|fs) continue ;; esac
	at_start "$fe"
	row "$fe" overlay-unprotected "$OVL/m/model.bin" "LIMIT:an overlay mounted elsewhere with a protected directory as a layer is not protected (preload.md: protect its mount point)"
	at_stop "$fe"
done
at_note cli "names: overlay-unprotected" "n/a: the CLI verifies what it is given"
at_note fs "names: overlay-unprotected" "n/a: not through the mount"
command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems && HAVE_BTRFS=1 || HAVE_BTRFS=""
if [ -n "$HAVE_BTRFS" ]; then
	truncate -s 160M "$TMPDIR/btr.img"
	mkfs.btrfs -q "$TMPDIR/btr.img" >/dev/null 2>&1 || fail "mkfs.btrfs"
	mount -o loop "$TMPDIR/btr.img" "$BTR" || fail "mount btrfs"
	btrfs -q subvolume create "$BTR/vol" >/dev/null || fail "btrfs subvolume create"
	at_model "$BTR/vol/b"; cp "$BTR/vol/b/model.bin" "$TMPDIR/btr.ref"
	at_model "$BTR/vol/t"; at_taint "$BTR/vol/t/model.bin" 7
	[ "$(stat -c %d "$BTR/vol/b/model.bin")" != "$(stat -c %d "$BTR")" ] || fail "btrfs: one device number"
fi
# Protected: the overlay's mount point, then the btrfs root, as ROOT.
for which in overlay btrfs; do
	if [ $which = btrfs ] && [ -z "$HAVE_BTRFS" ]; then
		for fe in $AT_FES; do at_note "$fe" "names: btrfs subvolume" "not run: no btrfs here"; done
		continue
	fi
	ROOT=$OVL good=m/model.bin bad=""; ref=$TMPDIR/ovl.ref
	[ $which = btrfs ] && { ROOT=$BTR good=vol/b/model.bin bad=vol/t/model.bin ref=$TMPDIR/btr.ref; }
	AT_PROTECT=$OROOT
	at_conf
	for fe in $AT_FES; do
		[ "$fe" = cli ] && [ $which = btrfs ] && AT_CLI_TARGET=vol/b
		[ $which = overlay ] && [ "$fe" = vouchd ] || at_start "$fe"
		if [ $which = overlay ] && [ "$fe" = vouchd ]; then
			# An overlayfs root is refused at start: an open through it
			# opens its layers' files beneath vouchd's own event (the
			# broker would wait for itself).
			vd_kill_all
			out=$(timeout 20 "$VOUCHD" -f -c "$AT_CONF" 2>&1); rc=$?
			if [ $rc -eq 3 ] && printf '%s' "$out" | grep -q "overlayfs"; then
				at_note vouchd "names: overlay-protected" "refused at start (exit 3): an overlayfs root would deadlock the broker"
			else
				at_bad "vouchd overlay-protected: wanted a refusal at start (exit 3, overlayfs), got $rc: $out"
				at_note vouchd "names: overlay-protected" "FAILED: $rc"
			fi
			continue
		fi
		if [ $which = overlay ] && [ "$fe" = vouchd ]; then
			AT_READ_TIMEOUT=5 fe_read vouchd m/model.bin
			if [ "$AT_V" = error ]; then     # killed, not answered
				at_bad "vouchd overlay-protected: the open HUNG (killed after 5 s: $AT_GOT); broker $VD_PID: state $(cut -d' ' -f3 "/proc/$VD_PID/stat"), in $(cat "/proc/$VD_PID/wchan")"
				at_note vouchd "names: overlay-protected" "HOLE (hang): the open never returns; every open on the overlay and on its layers' filesystem waits (the broker is stuck in fanotify_read)"
				vd_kill_all
				continue
			fi
			fe_parse "$AT_GOT"      # answered: judge it as any row
			row vouchd overlay-protected m/model.bin hash-mismatch
		elif [ $which = overlay ]; then
			row "$fe" overlay-protected m/model.bin hash-mismatch
		else
			fe_expect_allow "$fe" "$good" "$ref"
			[ "$fe" = cli ] && AT_CLI_TARGET=vol/t
			row "$fe" btrfs-subvolume "$bad" hash-mismatch
		fi
		AT_CLI_TARGET=""
		at_stop "$fe"
	done
done
ROOT=$OROOT AT_PROTECT=""
umount "$OVL"
[ -n "$HAVE_BTRFS" ] && umount "$BTR"
at_done "names: every other name of a model file is refused, or is a documented limit"
