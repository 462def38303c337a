#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian package: `make deb` builds it (dpkg-buildpackage, in a copy:
# the source tree is left as it was), lintian finds no error, its contents
# and bash completion are checked here, and then it is installed with dpkg
# into a clean VM image under a real systemd (tests/vm/): postinst makes
# /etc/vouch/trust and /var/lib/vouch and starts nothing,
# `systemctl enable --now vouchfs@srv-models.service` mounts /srv/models, a
# signed model reads and a tampered one gets EACCES with the alert in the
# journal; a reinstall keeps the edited conffile and the running mount;
# dpkg -r stops the unit and unmounts; purge removes the config and state.
# The checks in the VM: tests/vm/guest-deb.sh.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, qemu virtfs)"
for t in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null 2>&1 || fail "missing $t: run 'make deps'"
done
t0=$(date +%s)

# --- make deb ------------------------------------------------------------------
B=$TMPDIR/b
before=$(cd "$VOUCH_SRC" && git status --porcelain --ignored -- debian 2>/dev/null)
make -s -C "$VOUCH_SRC" BUILD="$B" deb >"$TMPDIR/deb.log" 2>&1 || { cat "$TMPDIR/deb.log"; fail "make deb"; }
deb=$(tail -n 1 "$TMPDIR/deb.log")
[ -f "$deb" ] || { cat "$TMPDIR/deb.log"; fail "make deb printed no package"; }
ver=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
[ "$(basename "$deb")" = "vouch_${ver}_$arch.deb" ] || fail "package named $(basename "$deb"), version $ver"
dpkg --validate-version "$ver" || fail "not a valid Debian version: $ver"
after=$(cd "$VOUCH_SRC" && git status --porcelain --ignored -- debian 2>/dev/null)
[ "$before" = "$after" ] || fail "make deb left files in the tree: $after"
t1=$(date +%s)
ok "make deb: $(basename "$deb") in $((t1 - t0))s; nothing left in debian/"

# --- lintian ---------------------------------------------------------------------
lintian --pedantic --display-info "$B"/deb/vouch_*.changes >"$TMPDIR/lintian.txt" 2>&1
grep -v '^running with root' "$TMPDIR/lintian.txt"
grep -q '^E:' "$TMPDIR/lintian.txt" && fail "lintian reports errors"
ok "lintian: no error ($(grep -c '^W:' "$TMPDIR/lintian.txt") warnings, $(grep -c '^I:' "$TMPDIR/lintian.txt") infos)"

# --- contents --------------------------------------------------------------------
X=$TMPDIR/x
dpkg-deb -x "$deb" "$X"
dpkg-deb -e "$deb" "$X/DEBIAN"
grep -qx /etc/vouch/vouch.conf "$X/DEBIAN/conffiles" || fail "vouch.conf is not a conffile"
dpkg-deb -f "$deb" Depends | grep -q 'fuse3' || fail "Depends lacks fuse3"
for f in usr/bin/vouch usr/bin/vouchfs usr/bin/vouchd usr/lib/vouch/libvouch-preload.so \
	lib/systemd/system/vouchfs@.service lib/systemd/system/vouchd.service \
	lib/systemd/system/vouchd.socket lib/systemd/system/vouch-metrics.service \
	usr/share/man/man1/vouch.1.gz usr/share/man/man1/vouchfs.1.gz usr/share/man/man5/vouch.conf.5.gz \
	usr/share/man/man8/vouchd.8.gz usr/share/man/man8/libvouch-preload.8.gz \
	usr/share/bash-completion/completions/vouch usr/share/bash-completion/completions/vouchfs \
	usr/share/doc/vouch/copyright etc/vouch/vouch.conf; do
	[ -e "$X/$f" ] || fail "not in the package: $f"
done
[ ! -e "$X/etc/systemd" ] || fail "the package ships files in /etc/systemd (the admin's)"
zcat "$X/usr/share/man/man8/libvouch-preload.8.gz" | grep -q '/usr/lib/vouch/libvouch-preload.so' ||
	fail "libvouch-preload(8) does not name the installed shim"
grep -q '^Environment=LD_PRELOAD=/usr/lib/vouch/libvouch-preload.so' "$X/usr/share/vouch/vouch-preload.conf" ||
	fail "the drop-in does not name the installed shim"
grep -E 'deb-systemd-invoke (start|restart|try-restart)|systemctl (start|restart|try-restart)' \
	"$X/DEBIAN/postinst" && fail "postinst starts a unit"
ok "contents: programs, units in /lib/systemd/system, conffile, man pages, completions"

# Bash completion, with the package's own programs (bash-completion on the host).
if [ -f /usr/share/bash-completion/bash_completion ]; then
	cat >"$TMPDIR/comp.bash" <<EOF
. /usr/share/bash-completion/bash_completion
. "$X/usr/share/bash-completion/completions/vouch"
. "$X/usr/share/bash-completion/completions/vouchfs"
PATH="$X/usr/bin:\$PATH"
c() { COMP_LINE=\$1; COMP_POINT=\${#1}; read -ra COMP_WORDS <<<"\$1"; [[ \$1 == *" " ]] && COMP_WORDS+=("");
	COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); \$2; echo "\$1|\${COMPREPLY[*]}"; }
c "vouch tr" _vouch
c "vouch trust " _vouch
c "vouch sign --ha" _vouch
c "vouch sign --hash b" _vouch
c "vouch state -c x " _vouch
c "vouchfs --mo" _vouchfs
c "vouchfs -o allow_other,verify=s" _vouchfs
EOF
	bash "$TMPDIR/comp.bash" >"$TMPDIR/comp.out" 2>&1
	cat "$TMPDIR/comp.out"
	for want in "vouch tr|trust" "vouch trust |add list remove revoke" "vouch sign --ha|--hash" \
		"vouch sign --hash b|blake2b blake3" "vouch state -c x |reset show" "vouchfs --mo|--mode" \
		"vouchfs -o allow_other,verify=s|allow_other,verify=stream"; do
		grep -qxF "$want" "$TMPDIR/comp.out" || fail "bash completion: wanted '$want'"
	done
	ok "bash completion of vouch and vouchfs"
else
	echo "note: bash-completion not installed on the host: completion not exercised (make deps)"
fi

# --- the VM --------------------------------------------------------------------------
share=$TMPDIR/share
mkdir -p "$share/models"
cp "$deb" "$share/vouch.deb"
echo "$ver" >"$share/version"
cp "$VOUCH_SRC/tests/vm/guest-deb.sh" "$share/run.sh"
newkey K
cp "$TMPDIR/K.pub" "$share/"
m=$share/models
mkdir -p "$m/demo"
head -c 1048576 /dev/urandom >"$m/demo/model.bin"
printf '{"hidden": 16}\n' >"$m/demo/config.json"
cp -a "$m/demo" "$m/bad"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/demo"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/bad"
flip_byte "$m/bad/model.bin" 4096
chmod -R a+rX "$share"

t2=$(date +%s)
sh "$VOUCH_SRC/tests/vm/run.sh" "$share" 600 >"$TMPDIR/vm.out" 2>&1
rc=$?
t3=$(date +%s)
cat "$TMPDIR/vm.out"
echo "times: make deb $((t1 - t0))s, lintian and checks $((t2 - t1))s, VM $((t3 - t2))s"
if [ "$rc" -ne 0 ]; then
	echo "--- failed checks ---"
	grep '^FAIL:' "$share/output.txt" 2>/dev/null
	fail "VM run exited $rc (guest: number of failed checks; 124 timeout, 125 no report)"
fi
ok "the package installs into a clean image, enables vouchfs@srv-models.service, serves the signed model, refuses the tampered one, upgrades, removes and purges cleanly"
