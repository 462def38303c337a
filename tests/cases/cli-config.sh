#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouch.conf errors (vouch.conf(5); vouch(1), EXIT STATUS): every mistake is
# an operational error (exit 3) whose message names the file, and the line
# where there is one: unknown key, unknown section, bad values, relative
# paths, a file or trust directory others can write, a threshold above the
# number of keys, an empty trust directory.  A typo must never silently
# weaken policy.
. "$VOUCH_SRC/tests/lib.sh"

BUGS=0
bug() { echo "BUG: $*" >&2; BUGS=$((BUGS + 1)); }

newkey k
newkey k2
mkmodel model
expect_rc 0 "$VOUCH" sign -k k.key model
mkdir trust; cp k.pub trust/k.pem
mkdir empty-trust
chmod 755 trust empty-trust

# conf TEXT: write vouch.conf (root-owned, 0644) from printf-style TEXT.
conf() { printf "$1" >vouch.conf; chown root:root vouch.conf; chmod 0644 vouch.conf; }
# bad LINE PATTERN: verify -c vouch.conf exits 3 naming vouch.conf:LINE and
# matching PATTERN (grep -E).
bad() {
	expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
	expect_out "vouch: $TMPDIR/vouch\\.conf:$1: "
	expect_out "$2"
}

# A good config first: the errors below are the lines changed.
conf "[vouch]\nmode = enforce\ntrust = $TMPDIR/trust\n"
expect_rc 0 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
ok "a good config verifies"

conf "[vouch]\ntrust = $TMPDIR/trust\nfoo = 1\n"
bad 3 'foo.*unknown key'
conf "# comment\n\n[vouch]\ntrust = $TMPDIR/trust\nmode=enforce\nthreshhold = 1\n"
bad 6 'threshhold.*unknown key'
conf "[vouch]\ntrust = $TMPDIR/trust\n[bogus]\nx = 1\n"
bad 4 'bogus.*unknown section'
conf "mode = enforce\n[vouch]\ntrust = $TMPDIR/trust\n"
bad 1 'mode.*(unknown section|no section|outside)'
ok "unknown key and unknown section name file and line"

conf "[vouch]\ntrust = $TMPDIR/trust\nmode = permissive\n"
bad 3 'mode = "permissive" \(mode must be enforce or audit\)'
conf "[vouch]\ntrust = $TMPDIR/trust\nmode = Enforce\n"
bad 3 'mode = "Enforce"'
conf "[vouch]\ntrust = $TMPDIR/trust\nthreshold = 65\n"
bad 3 'threshold = "65" \(threshold must be an integer from 1 to 64\)'
conf "[vouch]\ntrust = $TMPDIR/trust\nmode = enforce\033[8m\n"
bad 3 'mode = "enforce\\+x1b\[8m"'
ok "a bad value is shown as typed (escaped): the typo a user cannot see"
conf "[vouch]\ntrust = $TMPDIR/trust\nmode =\n"
bad 3 'mode'
conf "[vouch]\ntrust = $TMPDIR/trust\nthreshold = many\n"
bad 3 'threshold'
conf "[vouch]\ntrust = $TMPDIR/trust\nthreshold = 0\n"
bad 3 'threshold'
conf "[vouch]\ntrust = $TMPDIR/trust\nrequire_binding = maybe\n"
bad 3 'require_binding'
conf "[vouch]\ntrust = $TMPDIR/trust\nclock_skew = -5\n"
bad 3 'clock_skew'
ok "bad values name file and line"

conf "[vouch]\ntrust = $TMPDIR/trust\nprotect = srv/models\n"
bad 3 'protect.*absolute'
conf "[vouch]\ntrust = $TMPDIR/trust\nprotect = /srv/models:relative/dir\n"
bad 3 'protect.*absolute'
conf "[vouch]\ntrust = $TMPDIR/trust\nprotect = /srv/../etc\n"
bad 3 'protect'
conf "[vouch]\ntrust = trust\n"
bad 2 'trust.*absolute'
conf "[vouch]\ntrust = $TMPDIR/trust\naudit_log = audit.jsonl\n"
bad 3 'audit_log.*absolute'
conf "[vouch]\ntrust = $TMPDIR/trust\nstate_dir = var/lib/vouch\n"
bad 3 'state_dir.*absolute'
conf "[vouch]\ntrust = $TMPDIR/trust\n[models]\nrelative/* = resnet\n"
bad 4 'models|absolute'
ok "relative paths name file and line"

conf "[vouch]\ntrust = $TMPDIR/trust\nnot a key value line\n"
bad 3 'syntax|error'
conf "[vouch\ntrust = $TMPDIR/trust\n"
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
printf '%s\n' "$OUT" | grep -Eq "vouch\.conf:1: .*(syntax|error)" ||
	bug "a broken section header on line 1 is reported as: $OUT"
ok "syntax errors name file and line"

# Writable by others, or not root's: refused (exit 3), the message says why.
conf "[vouch]\ntrust = $TMPDIR/trust\n"
for mode in 0664 0646 0666 0620; do
	chmod $mode vouch.conf
	expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
	expect_out "vouch: $TMPDIR/vouch\\.conf: .*writable"
done
chmod 0644 vouch.conf
chown nobody vouch.conf
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out "vouch\\.conf: .*(owned|owner|root)"
chown root vouch.conf
ln -s vouch.conf link.conf
expect_rc 0 "$VOUCH" verify -c "$TMPDIR/link.conf" model     # root's link to root's file (a ConfigMap)
chown -h nobody link.conf
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/link.conf" model
expect_out 'link\.conf: symlink .*/link\.conf is owned by uid 65534, not root'
mkfifo fifo.conf
expect_rc 3 timeout 20 "$VOUCH" verify -c "$TMPDIR/fifo.conf" model
expect_out 'fifo\.conf'
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/nonexistent.conf" model
expect_out 'nonexistent\.conf'
ok "group/world-writable, foreign-owned, a symlink not root's, FIFO or missing config refused"

# The trust directory: writable by others, or holding a writable key.
chmod 775 trust
conf "[vouch]\ntrust = $TMPDIR/trust\n"
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'trust.*writable'
chmod 755 trust; chmod 666 trust/k.pem
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'k\.pem.*writable'
chmod 644 trust/k.pem
printf 'not a key\n' >trust/junk.pem
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'junk\.pem'
rm trust/junk.pem
expect_rc 0 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
ok "writable trust directory or key, bad key file refused"

# Threshold above the number of trusted keys, and an empty trust directory:
# refused (never "verified by 0 of 0"); the message says what is wrong, and
# names the config file it came from.
conf "[vouch]\ntrust = $TMPDIR/trust\nthreshold = 2\n"
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'threshold 2'
printf '%s\n' "$OUT" | grep -q 'vouch\.conf' || bug "threshold > keys does not name the config file: $OUT"
cp k2.pub trust/k2.pem
expect_rc 0 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model --threshold 1
expect_rc 1 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model        # 2 keys, 1 signature
expect_out 'threshold'
rm trust/k2.pem
conf "[vouch]\ntrust = $TMPDIR/empty-trust\n"
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'empty-trust'
expect_out '(no|empty).*(trusted )?key|key.*(no|empty)'
printf '%s\n' "$OUT" | grep -q 'vouch\.conf' || bug "an empty trust directory does not name the config file: $OUT"
conf "[vouch]\ntrust = $TMPDIR/no-such-dir\n"
expect_rc 3 "$VOUCH" verify -c "$TMPDIR/vouch.conf" model
expect_out 'no-such-dir'
# The same from the command line.
expect_rc 3 "$VOUCH" verify --trust "$TMPDIR/empty-trust" model
expect_out 'empty-trust'
expect_rc 3 "$VOUCH" verify -p k.pub --threshold 2 model
expect_out 'threshold'
ok "threshold above the number of keys, empty trust directory refused"

[ "$BUGS" -eq 0 ] || fail "$BUGS bug(s) reported above"
