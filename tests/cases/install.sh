#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make install: into a DESTDIR with another PREFIX and SYSCONFDIR, every
# program, the library, the man pages, the config (never overwritten) and
# the unit files land, and the units name the installed paths, not
# /usr/local or /etc.
. "$VOUCH_SRC/tests/lib.sh"
D=$TMPDIR/root
run_install() {
	make -s -C "$VOUCH_SRC" BUILD="$VOUCH_BUILD" PREFIX=/opt/vouch SYSCONFDIR=/opt/etc \
		DESTDIR="$D" install >"$TMPDIR/install.log" 2>&1 || { cat "$TMPDIR/install.log" >&2; fail "make install"; }
}
run_install
for f in opt/vouch/bin/vouch opt/vouch/bin/vouchfs opt/vouch/lib/libvouch-preload.so \
	opt/vouch/lib/libvouch.a opt/vouch/share/man/man1/vouch.1 opt/vouch/share/man/man1/vouchfs.1 \
	opt/vouch/share/man/man5/vouch.conf.5 opt/vouch/share/man/man8/libvouch-preload.8 \
	opt/etc/vouch/vouch.conf etc/systemd/system/vouchfs@.service opt/vouch/share/vouch/vouch-preload.conf \
	opt/vouch/bin/vouchd opt/vouch/share/man/man8/vouchd.8 etc/systemd/system/vouchd.service \
	etc/systemd/system/vouchd.socket; do
	[ -e "$D/$f" ] || fail "not installed: $f"
done
expect_rc 0 "$D/opt/vouch/bin/vouch" --help
u=$D/etc/systemd/system/vouchfs@.service
grep -q '^ExecStart=/opt/vouch/bin/vouchfs -f -c /opt/etc/vouch/vouch.conf ' "$u" || fail "ExecStart not rewritten"
grep -q 'exec /opt/vouch/bin/vouchfs --unmount' "$u" || fail "ExecStopPost not rewritten"
grep -q '^Environment=LD_PRELOAD=/opt/vouch/lib/libvouch-preload.so' "$D/opt/vouch/share/vouch/vouch-preload.conf" ||
	fail "drop-in LD_PRELOAD not rewritten"
grep -q '^ExecStart=/opt/vouch/bin/vouchd -f -c /opt/etc/vouch/vouch.conf$' "$D/etc/systemd/system/vouchd.service" ||
	fail "vouchd.service ExecStart not rewritten"
grep -q '/usr/local/\|=/etc/vouch' "$u" "$D/opt/vouch/share/vouch/vouch-preload.conf" \
	"$D/etc/systemd/system/vouchd.service" && fail "a default path is left"
[ "$(stat -c %a "$u")" = 644 ] || fail "unit mode"
ok "installed under PREFIX=/opt/vouch SYSCONFDIR=/opt/etc; the units name those paths"
echo "# edited" >>"$D/opt/etc/vouch/vouch.conf"
run_install
grep -q '^# edited' "$D/opt/etc/vouch/vouch.conf" || fail "make install overwrote an existing config"
ok "a second make install keeps the admin's vouch.conf"
