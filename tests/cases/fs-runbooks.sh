#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-runbooks: the runbooks of docs/policy.md ("## Runbooks" to the end),
# run as written, end to end, on the example host they describe: an
# in-place vouchfs mount of /srv/models, threshold = 2 (release key +
# security key), models resnet and bert.
#  - every `sh` block is run in order, verbatim except for: paths moved
#    under $TMPDIR, `vouch keygen` without a passphrase, the line's
#    "# without systemd:" alternative instead of systemctl (with this
#    test's vouchfs pid for $(pidof vouchfs)), OLDKEYID (the old release
#    key's id, which the runbook tells the reader to look up), and
#    logrotate's state file kept private;
#  - after each block, what the runbook promises is checked through the
#    mount: publishing (2 of 2 with re-cosigning), key rotation (the stale
#    cosignature removed, the straggler found, then denied), revocation,
#    log rotation with the writer still appending;
#  - the rsyslog snippet is checked by rsyslogd -N1.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start
DOC=$VOUCH_SRC/docs/policy.md
T=$TMPDIR/host
mkdir -p "$T/bin" "$T/srv/models" "$T/srv/incoming" "$T/etc/vouch" "$T/secure" "$T/var/log/vouch" \
	"$T/etc/logrotate.d"
ln -s "$VOUCH" "$T/bin/vouch"
ln -s "$VOUCHFS" "$T/bin/vouchfs"
export PATH="$T/bin:$PATH"
export VOUCH_CONFIG="$T/etc/vouch/vouch.conf"     # the host's /etc/vouch/vouch.conf
MNT=$T/srv/models

# --- the example host, as the runbooks' introduction describes it ---------
"$VOUCH" keygen --no-passphrase -o "$T/secure/release" >/dev/null 2>&1 || fail "keygen release"
"$VOUCH" keygen --no-passphrase -o "$T/secure/security" >/dev/null 2>&1 || fail "keygen security"
cat >"$VOUCH_CONFIG" <<EOF
[vouch]
protect = $T/srv/models
trust = $T/etc/vouch/trust
threshold = 2
state_dir = $T/var/lib/vouch
audit_log = $T/var/log/vouch/audit.jsonl
[models]
$T/srv/models/resnet = resnet
$T/srv/models/bert = bert
EOF
chmod 0644 "$VOUCH_CONFIG"
"$VOUCH" trust add "$T/secure/release.pub" >/dev/null || fail "trust add release"
"$VOUCH" trust add "$T/secure/security.pub" >/dev/null || fail "trust add security"
OLDKEYID=$(openssl pkey -pubin -in "$T/secure/release.pub" -outform DER 2>/dev/null | sha256sum | cut -c1-64)
"$VOUCH" trust list | grep -q "^$OLDKEYID " || fail "cannot find the old release key's id"
for m in resnet:7 bert:3; do
	n=${m%%:*} v=${m#*:}
	mkmodel "$MNT/$n"
	"$VOUCH" sign -k "$T/secure/release.key" --name "$n" --version "$v" "$MNT/$n" >/dev/null 2>&1 || fail "sign $n"
	"$VOUCH" cosign -k "$T/secure/security.key" -c "$VOUCH_CONFIG" "$MNT/$n/model.sig" >/dev/null 2>&1 ||
		fail "cosign $n"
done
mkmodel "$T/srv/incoming/resnet-8"          # what training wrote: new weights, unsigned
fs_mount "$MNT" "$MNT"
VPID=$FS_PID
for n in resnet bert; do
	[ "$(fs_errno "$MNT/$n/model.bin")" = OK ] || fail "$n does not load before the runbooks"
done

# --- the blocks, as written ------------------------------------------------
awk '/^## Runbooks/ { on = 1 } on' "$DOC" >"$TMPDIR/runbooks.md"
[ -s "$TMPDIR/runbooks.md" ] || fail "docs/policy.md has no '## Runbooks' section"
# block N (sh) to $TMPDIR/block.N.sh; the plain ``` block (rsyslog) to rsyslog.conf
awk -v d="$TMPDIR" '
	/^```sh$/ { n++; f = d "/block." n ".sh"; on = 1; next }
	/^```$/ && !on && !rs { rs = 1; f = d "/rsyslog.conf"; on = 1; next }
	/^```/ { on = 0; next }
	on { print > f }
' "$TMPDIR/runbooks.md"
rewrite() {
	sed -e "s|^\(.*\)# without systemd: \(.*\)$|\2|" \
	    -e "s|\$(pidof vouchfs)|$VPID|g" \
	    -e "s|vouch keygen -o|vouch keygen --no-passphrase -o|" \
	    -e "s|OLDKEYID|$OLDKEYID|g" \
	    -e "s|logrotate -f|logrotate -s $T/logrotate.status -f|" \
	    -e "s|/srv/|$T/srv/|g" -e "s|/etc/vouch|$T/etc/vouch|g" -e "s|/secure/|$T/secure/|g" \
	    -e "s|/var/lib/vouch|$T/var/lib/vouch|g" -e "s|/var/log/vouch|$T/var/log/vouch|g" \
	    -e "s|/etc/logrotate.d/|$T/etc/logrotate.d/|g" "$1"
}
BLOCK=0
# run_block FIRST-LINE-PATTERN: the next block must start with it (the
# runbook's order is what is tested); its output in $OUT.
run_block() {
	BLOCK=$((BLOCK + 1))
	f=$TMPDIR/block.$BLOCK.sh
	[ -s "$f" ] || fail "docs/policy.md runbooks: no block $BLOCK (wanted: $1)"
	head -n 1 "$f" | grep -Eq -- "$1" || fail "runbook block $BLOCK starts '$(head -n 1 "$f")', wanted /$1/"
	rewrite "$f" >"$f.run"
	c=$(grep -c "reload" "$TMPDIR/vouchfs.err")
	OUT=$(sh -eu "$f.run" 2>&1) || { printf '%s\n' "$OUT" >&2; cat "$f.run" >&2; fail "runbook block $BLOCK failed"; }
	if grep -q "kill -HUP" "$f.run"; then
		for _ in $(seq 100); do [ "$(grep -c "reload" "$TMPDIR/vouchfs.err")" -gt "$c" ] && break; sleep 0.05; done
		[ "$(grep -c "reloaded" "$TMPDIR/vouchfs.err")" -gt 0 ] || fail "block $BLOCK: vouchfs did not reload"
	fi
	printf '%s\n' "$OUT"
}
served() { cmp -s "$MNT/$1/model.bin" "$2/model.bin" || fail "$MNT/$1 does not serve $2"; }

# Publishing a new version.
run_block "^# 1\. the release signer"
expect_out "published resnet version 8 at $MNT/resnet \(was resnet version 7\)"
served resnet "$T/srv/incoming/resnet-8"
ok "runbook: publish 2 of 2 (sign, cosign -c with threshold 2, publish)"

# Key rotation.
run_block "^# 1\. the new release key"
"$VOUCH" trust list | grep -q "release-2027\|$(openssl pkey -pubin -in "$T/secure/release-2027.pub" -outform DER 2>/dev/null | sha256sum | cut -c1-64)" ||
	fail "the new key is not trusted"
run_block "^# 3\. the files as they are served"
expect_out "removed .*/resnet-9/model.sig.d/[0-9a-f]{64}\.sig: it cosigned the previous signature"
expect_out "published resnet version 9 at $MNT/resnet \(was resnet version 8\)"
[ "$(fs_errno "$MNT/resnet/model.bin")" = OK ] || fail "resnet v9 does not load"
served resnet "$T/srv/incoming/resnet-9"
run_block "^# 4\. stragglers"
expect_out "straggler: $MNT/bert/"
printf '%s\n' "$OUT" | grep -q "straggler: $MNT/resnet" && fail "resnet reported as a straggler"
run_block "^# 5\. the old key goes"
"$VOUCH" trust list | grep -q "^$OLDKEYID " && fail "the old key is still trusted"
[ -e "$T/etc/vouch/trust.next" ] && fail "the scratch trust dir is left"
[ "$(fs_errno "$MNT/resnet/model.bin")" = OK ] || fail "resnet (new key) does not load after the rotation"
[ "$(fs_errno "$MNT/bert/model.bin")" = EACCES ] || fail "the straggler still loads after the old key went"
syslog_wait "decision=deny cause=threshold .*path=$MNT/bert/model.bin"
run_block "^# 6\. only if the old key was compromised"
"$VOUCH" trust list | grep -q "^$OLDKEYID .*REVOKED" || fail "the old key id is not listed as revoked"
ok "runbook: key rotation 2 of 2 (re-cosigned, straggler found then denied, revoked)"

# Forwarding alerts: rsyslog snippet and log rotation.
if [ -s "$TMPDIR/rsyslog.conf" ]; then
	rsyslogd -N1 -f "$TMPDIR/rsyslog.conf" >"$TMPDIR/rsyslog.check" 2>&1 ||
		{ cat "$TMPDIR/rsyslog.check" >&2; fail "rsyslogd rejects the runbook's snippet"; }
else
	fail "the SIEM runbook has no rsyslog snippet"
fi
lines=$(wc -l <"$T/var/log/vouch/audit.jsonl")
[ "$lines" -gt 0 ] || fail "nothing in the JSON audit log"
run_block "^cat >/etc/logrotate.d/vouch"
[ -s "$T/var/log/vouch/audit.jsonl.1" ] || fail "logrotate did not rotate the audit log"
[ "$(fs_errno "$MNT/bert/model.bin")" = EACCES ] || fail "bert loads"
for _ in $(seq 40); do [ -s "$T/var/log/vouch/audit.jsonl" ] && break; sleep 0.05; done
grep -q '"cause": *"threshold"' "$T/var/log/vouch/audit.jsonl" ||
	{ cat "$T/var/log/vouch/audit.jsonl" >&2; fail "vouchfs did not keep appending after copytruncate"; }
[ -e "$TMPDIR/block.$((BLOCK + 1)).sh" ] && fail "a runbook block this test does not run: block $((BLOCK + 1))"
fs_stop "$VPID" "$MNT"
ok "runbook: SIEM forwarding (rsyslog snippet valid, audit_log rotated, writer keeps appending)"
