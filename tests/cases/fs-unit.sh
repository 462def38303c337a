#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-unit: systemd/vouchfs@.service passes `systemd-analyze verify`, has no
# option that would give the service its own mount namespace (the host would
# then read the raw files under an invisible mount), explains every
# hardening line, keeps the exposure score at "OK" or better, and only uses
# vouchfs options that --help documents.  (The unit runs for real under
# systemd in the VM harness, tests/vm/.)
. "$VOUCH_SRC/tests/lib.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
UNIT=$VOUCH_SRC/systemd/vouchfs@.service
[ -f "$UNIT" ] || fail "no $UNIT"

# Directives only (comments may name the forbidden options to explain them).
directives=$(grep -Ev '^[[:space:]]*(#|$)' "$UNIT")
for o in ProtectSystem ProtectHome PrivateTmp PrivateDevices PrivateIPC ProtectKernelTunables \
	ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectProc ProcSubset \
	ReadOnlyPaths ReadWritePaths InaccessiblePaths ExecPaths NoExecPaths BindPaths \
	BindReadOnlyPaths TemporaryFileSystem RootDirectory RootImage MountAPIVFS \
	MountFlags DynamicUser LogNamespace; do
	printf '%s\n' "$directives" | grep -q "^$o=" && fail "$o= gives the service a mount namespace"
done
printf '%s\n' "$directives" | grep -q '^PrivateMounts=yes' && fail "PrivateMounts=yes"
# systemd answers openat2() with ENOSYS under RestrictSUIDSGID (DynamicUser implies it).
printf '%s\n' "$directives" | grep -Eq '^(RestrictSUIDSGID=yes|DynamicUser=yes)' \
	&& fail "RestrictSUIDSGID blocks openat2, which every lookup needs"
printf '%s\n' "$directives" | grep -q '^Type=notify$' || fail "not Type=notify"
printf '%s\n' "$directives" | grep -q '^ExecReload=.*-HUP' || fail "ExecReload is not SIGHUP"
printf '%s\n' "$directives" | grep -q '^Restart=on-failure$' || fail "no Restart=on-failure"
printf '%s\n' "$directives" | grep -q '^ExecStopPost=.*SERVICE_RESULT.*--unmount' || fail "no clean-stop unmount"
ok "no mount-namespace option, openat2 not blocked; Type=notify, SIGHUP reload, restart on failure, clean-stop unmount"

# Every hardening directive is in a group of lines that a comment explains.
awk '/^# --- hardening/ { h = 1 } /^\[Install\]/ { h = 0 }
	h && /^[A-Z]/ && prev !~ /^(#|[A-Z])/ { print; bad = 1 } { prev = $0 } END { exit bad }' "$UNIT" \
	|| fail "a hardening line without a why"

# The unit's vouchfs invocations only use documented options.
"$VOUCHFS" --help >"$TMPDIR/help" || fail "--help"
for o in $(printf '%s\n' "$directives" | grep -o ' \-\-*[a-z][a-z-]*' | sort -u); do
	case "$o" in -HUP) continue ;; esac
	grep -q -- "$o" "$TMPDIR/help" || fail "unit uses $o, which --help does not document"
done

# systemd-analyze, offline, on an instance, with the binaries where the unit
# expects them replaced by the build's (verify checks they exist).
D=$TMPDIR/unit; mkdir -p "$D"
sed "s|/usr/local/bin/vouchfs|$VOUCHFS|g" "$UNIT" >"$D/vouchfs@.service"
cp "$D/vouchfs@.service" "$D/vouchfs@srv-models.service"
( cd "$D" && systemd-analyze verify --man=no ./vouchfs@srv-models.service ) >"$TMPDIR/verify.out" 2>&1 \
	|| { cat "$TMPDIR/verify.out" >&2; fail "systemd-analyze verify"; }
[ -s "$TMPDIR/verify.out" ] && { cat "$TMPDIR/verify.out" >&2; fail "systemd-analyze verify warns"; }
( cd "$D" && systemd-analyze security --offline=yes ./vouchfs@srv-models.service ) >"$TMPDIR/sec.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$TMPDIR/sec.out")
[ -n "$score" ] || { cat "$TMPDIR/sec.out" >&2; fail "no exposure score"; }
"$PY" -c "import sys; sys.exit(float(sys.argv[1]) > 4.0)" "$score" || fail "exposure $score above 4.0"
ok "systemd-analyze verify passes; exposure $score"
