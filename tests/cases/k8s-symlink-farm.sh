#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# k8s-symlink-farm: vouch.conf from a ConfigMap volume and the trust keys from
# a Secret volume load through kubelet's symlink farms.
#
# The volumes are built as a node builds them: tests/atomic_writer.py is
# kubelet's AtomicWriter (vouch.conf -> ..data/vouch.conf, ..data ->
# ..2026_12_02_15_04_05.NNN, the files in that 0755 directory); the ConfigMap
# volume root is a 0777 directory (emptyDir's mode), the Secret's a tmpfs
# (mode 1777); each is then bind-mounted read-only where the pod sees it, as
# kubelet and the runtime mount them.  `vouch verify -c` and vouchfs -c load
# config and keys through the links; an update of the Secret (a new key,
# ..data swapped atomically) is taken by SIGHUP.  Refused: a link to a key
# file not owned by root, a link not owned by root, links out of the trust
# directory (absolute, ".."), a writable (not read-only) world-writable trust
# directory, a config link to a file not owned by root.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
AW="$PY $VOUCH_SRC/tests/atomic_writer.py"

NODE=$TMPDIR/kubelet; POD=$TMPDIR/pod
CMV=$NODE/volumes/kubernetes.io~configmap/config
SECV=$NODE/volumes/kubernetes.io~secret/trust
mkdir -p "$CMV" "$SECV" "$POD/config" "$POD/trust"
chmod 0777 "$CMV"
BINDS=""
mount -t tmpfs -o size=1m tmpfs "$SECV" || fail "tmpfs for the Secret volume"
BINDS="$SECV"
FS_HOOK='for b in $BINDS; do umount -l "$b"; done'
[ "$(stat -c %a "$SECV")" = 1777 ] || fail "tmpfs root is not 1777: $(stat -c %a "$SECV")"

# The model, its tampered twin, the keys.
SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
mkdir "$SRC/t"; cp -r "$SRC/m/." "$SRC/t/"; flip_byte "$SRC/t/model.bin" 1000
newkey k2
mkmodel "$SRC/m2"
"$VOUCH" sign -k "$TMPDIR/k2.key" "$SRC/m2" >/dev/null 2>&1 || fail "sign m2"

cat >"$TMPDIR/vouch.conf" <<EOF
[vouch]
mode = enforce
protect = $MNT
trust = $POD/trust
threshold = 1
state_dir = $TMPDIR/state
metrics_dir = $TMPDIR/run/metrics
EOF
mkdir -p "$TMPDIR/state"; chmod 0700 "$TMPDIR/state"
# The DaemonSet's /run/vouch: an emptyDir of medium Memory (a 1777 tmpfs),
# read-only in the vouch-metrics container.
mkdir -p "$TMPDIR/run" "$TMPDIR/run-ro"
mount -t tmpfs -o size=1m tmpfs "$TMPDIR/run" || fail "tmpfs for /run/vouch"
BINDS="$TMPDIR/run $BINDS"
# Secret: defaultMode 0444 (deploy/kubernetes/daemonset.yaml); ConfigMap: 0444.
$AW "$SECV" 0444 k.pub="$TMPDIR/k.pub" || fail "AtomicWriter (Secret)"
$AW "$CMV" 0444 vouch.conf="$TMPDIR/vouch.conf" || fail "AtomicWriter (ConfigMap)"
for v in "$CMV:$POD/config" "$SECV:$POD/trust"; do
	mount --bind "${v%%:*}" "${v#*:}" && mount -o remount,bind,ro "${v#*:}" || fail "read-only bind $v"
	BINDS="${v#*:} $BINDS"
done
[ -L "$POD/trust/k.pub" ] && [ -L "$POD/trust/..data" ] && [ -L "$POD/config/vouch.conf" ] ||
	fail "not a symlink farm"
echo "the Secret volume as the pod sees it:"; ls -la "$POD/trust" | sed 's/^/  /'
CONF=$POD/config/vouch.conf

# --- loads through the farms -------------------------------------------
expect_rc 0 "$VOUCH" verify -c "$CONF" "$SRC/m"
expect_rc 1 "$VOUCH" verify -c "$CONF" "$SRC/t"
expect_rc 0 "$VOUCH" trust list -c "$CONF"
expect_out "$(sed -n 2p "$TMPDIR/k.pub" | cut -c1-10)|k\.pub"
ok "vouch verify and trust list: config and key through ..data links, read-only 1777/0777 roots"

fs_mount "$SRC" "$MNT" -c "$CONF"
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "good model refused through the farm config"
[ "$(fs_errno "$MNT/t/model.bin")" = EACCES ] || fail "tampered model served"
[ "$(fs_errno "$MNT/m2/model.bin")" = EACCES ] || fail "model of an untrusted key served"
VOUCH_CONFIG=$CONF "$VOUCH" status >"$TMPDIR/status.out" 2>&1 ||
	{ cat "$TMPDIR/status.out"; fail "vouch status (the liveness probe) exits non-zero"; }
grep -q 'trust: .*1 key' "$TMPDIR/status.out" || { cat "$TMPDIR/status.out"; fail "status trust line"; }
ok "vouchfs -c through the ConfigMap farm serves the good model, EACCES the tampered one; vouch status exits 0"

mount --bind "$TMPDIR/run" "$TMPDIR/run-ro" && mount -o remount,bind,ro "$TMPDIR/run-ro" || fail "ro bind of /run/vouch"
BINDS="$TMPDIR/run-ro $BINDS"
expect_rc 0 "$VOUCH" metrics --dir "$TMPDIR/run-ro/metrics"
expect_out '^vouch_decisions_total\{.*cause="hash-mismatch".*\} 1$'
ok "metrics socket in a 1777 tmpfs, read by vouch metrics through a read-only bind (the sidecar's view)"

# A Secret update (rotation: k2 added), exactly as kubelet does it, then SIGHUP.
old=$(readlink "$SECV/..data")
$AW "$SECV" 0444 k.pub="$TMPDIR/k.pub" k2.pub="$TMPDIR/k2.pub" || fail "AtomicWriter update"
[ "$(readlink "$SECV/..data")" != "$old" ] && [ ! -e "$SECV/$old" ] || fail "..data was not swapped"
fs_hup "$FS_PID" "$MNT"
grep -q 'reload refused' "$TMPDIR/vouchfs.err" && { cat "$TMPDIR/vouchfs.err"; fail "reload refused"; }
[ "$(fs_errno "$MNT/m2/model.bin")" = OK ] || { tail -5 "$TMPDIR/vouchfs.err"; fail "k2's model refused after the Secret update"; }
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "k's model refused after the update"
ok "Secret updated by the AtomicWriter (..data swapped, old directory gone): SIGHUP trusts the new key"

# --- refused ----------------------------------------------------------------
TS=$SECV/$(readlink "$SECV/..data")
# (each change made on the node side; the pod's read-only view shows it)
refuse() { # WHAT PATTERN: verify must fail to load the trust with PATTERN
	expect_rc 3 "$VOUCH" verify -c "$CONF" "$SRC/m"
	expect_out "$2"
	ok "refused: $1"
}
cp "$TMPDIR/k2.pub" "$TS/evil.pub"; chown 65534:65534 "$TS/evil.pub"
ln -s ..data/evil.pub "$SECV/evil.pub"
refuse "a link to a key file owned by uid 65534" "evil\.pub: evil\.pub \(reached through a symlink\) is owned by uid 65534, not root"
rm -f "$SECV/evil.pub" "$TS/evil.pub"

ln -s ..data/k2.pub "$SECV/k3.pub"; chown -h 65534:65534 "$SECV/k3.pub"
refuse "a link owned by uid 65534" "k3\.pub: symlink k3\.pub is owned by uid 65534, not root"
rm -f "$SECV/k3.pub"

cp "$TMPDIR/k2.pub" "$NODE/outside.pub"
ln -s "$NODE/outside.pub" "$SECV/abs.pub"
refuse "an absolute link out of the directory" "abs\.pub: symlink abs\.pub leads out of the directory \(absolute target\)"
rm -f "$SECV/abs.pub"
ln -s ../outside.pub "$SECV/up.pub"
refuse "a relative link out of the directory" "up\.pub: a symlink leads out of the directory"
rm -f "$SECV/up.pub"
mkdir "$SECV/..sub"; chmod 0755 "$SECV/..sub"; ln -s ../../outside.pub "$SECV/..sub/o.pub"
ln -s ..sub/o.pub "$SECV/sub.pub"
refuse "a chain of links that climbs out" "sub\.pub: a symlink leads out of the directory"
rm -rf "$SECV/sub.pub" "$SECV/..sub"

# A dangling link is an error, not "no such file": a revoked list or a
# KEY.ini that is missing would otherwise trust more than meant.
ln -s ..data/revoked "$SECV/revoked"
refuse "a dangling revoked link (fails closed)" "revoked: symlink target revoked: No such file or directory"
rm -f "$SECV/revoked"
ln -s ..data/k.ini "$SECV/k.ini"
refuse "a dangling KEY.ini link (fails closed)" "k\.ini: symlink target k\.ini: No such file or directory"
rm -f "$SECV/k.ini"

# The node's own (writable) view of the Secret: 1777 and not read-only.
expect_rc 3 "$VOUCH" verify --trust "$SECV" "$SRC/m"
expect_out "trust directory is group- or world-writable"
ok "refused: the world-writable trust directory when it is not a read-only mount"

# Config: a link to a vouch.conf owned by someone else (config.c's walk).
CTS=$CMV/$(readlink "$CMV/..data")
chown 65534 "$CTS/vouch.conf"
expect_rc 3 "$VOUCH" verify -c "$CONF" "$SRC/m"
expect_out "owned by uid 65534, not root"
chown 0 "$CTS/vouch.conf"
expect_rc 0 "$VOUCH" verify -c "$CONF" "$SRC/m"
ok "refused: a ConfigMap link to a config owned by uid 65534 (and loads again once root's)"
