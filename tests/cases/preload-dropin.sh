#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-dropin: systemd/vouch-preload.conf is a valid drop-in: systemd
# parses it for a service (offline, systemd-analyze verify), a broken copy is
# rejected (so the drop-in really is read), and the path it preloads is where
# `make install` puts the library.
. "$VOUCH_SRC/tests/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (systemd)"
DROPIN=$VOUCH_SRC/systemd/vouch-preload.conf
[ -r "$DROPIN" ] || fail "missing $DROPIN"
U=$TMPDIR/units
mkdir -p "$U/demo.service.d"
printf '[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\n' >"$U/demo.service"
cp "$DROPIN" "$U/demo.service.d/vouch-preload.conf"
expect_rc 0 env SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$U/demo.service"
printf '%s\n' "$OUT" | grep -qi 'vouch-preload' && fail "systemd complained: $OUT"
sed 's/^Environment=LD_PRELOAD=/EnvironmentTypo=LD_PRELOAD=/' "$DROPIN" >"$U/demo.service.d/vouch-preload.conf"
OUT=$(systemd-analyze verify --man=no "$U/demo.service" 2>&1)
printf '%s\n' "$OUT" | grep -q 'vouch-preload.conf.*EnvironmentTypo' ||
	fail "a broken drop-in went unnoticed, so the drop-in is not being read: $OUT"
grep -q '^Environment=LD_PRELOAD=/usr/local/lib/libvouch-preload.so$' "$DROPIN" ||
	fail "the drop-in does not preload \$(LIBDIR)/libvouch-preload.so"
ok "drop-in parses; installed path matches make install"
