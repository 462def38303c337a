#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The audit trail of `vouch verify` (vouch(1), AUDIT): one syslog record per
# decision (facility authpriv, ident vouch; deny = LOG_ALERT, allow =
# LOG_INFO) with key=value fields, the same fields as JSON lines in the
# config's audit_log, and no way for a hostile file name to forge a field.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to serve /dev/log"

# Other tests on this machine may bind /dev/log while this one runs (and
# unlinking /dev/log on the host would detach a mount on top of it).  When
# we can, run in a private mount namespace with a private /dev: a tmpfs
# holding links to the real device nodes, and /dev/log leading to our own
# receiver, which nothing outside can take.  Otherwise use syslog_start.
if [ -z "${VOUCH_AUDIT_NS:-}" ] && unshare -m --propagation private true 2>/dev/null; then
	VOUCH_AUDIT_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
if [ -n "${VOUCH_AUDIT_NS:-}" ]; then
	mkdir hostdev
	mount --rbind /dev "$TMPDIR/hostdev" || fail "cannot bind /dev"
	mount -t tmpfs -o mode=0755 vouch-test-dev /dev || fail "cannot mount a private /dev"
	for f in "$TMPDIR"/hostdev/* "$TMPDIR"/hostdev/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		[ "${f##*/}" = log ] || ln -s "$f" "/dev/${f##*/}"
	done
	: >"$SYSLOG"
	"$PY" "$VOUCH_SRC/tests/syslog-sink.py" "$SYSLOG" "$TMPDIR/log.sock" &
	SYSLOG_PID=$!
	trap 'syslog_stop' EXIT
	for _ in $(seq 200); do [ -S "$TMPDIR/log.sock" ] && break; sleep 0.05; done
	[ -S "$TMPDIR/log.sock" ] || fail "the syslog receiver did not start"
	ln -s "$TMPDIR/log.sock" /dev/log
	claim_log() { :; }
else
	syslog_start
	[ -S /dev/log ] || fail "the syslog receiver did not bind /dev/log"
	# claim_log: if another test has bound /dev/log meanwhile, take it back
	# (appending to the same $SYSLOG) before the next decision.
	LOGINO=$(stat -c %i /dev/log)
	claim_log() {
		[ "$(stat -c %i /dev/log 2>/dev/null)" = "$LOGINO" ] && return 0
		syslog_stop
		"$PY" "$VOUCH_SRC/tests/syslog-sink.py" "$SYSLOG" &
		SYSLOG_PID=$!
		for _ in $(seq 50); do
			[ -S /dev/log ] && [ "$(stat -c %i /dev/log)" != "$LOGINO" ] && break; sleep 0.05
		done
		LOGINO=$(stat -c %i /dev/log)
	}
fi

# bug MSG: a defect that fails the case, reported after the rest has run.
BUGS=0
bug() { echo "BUG: $*" >&2; BUGS=$((BUGS + 1)); }

FIELDS="decision cause mode path dev ino size pid uid comm model version keyid elapsed_ms"
newkey k
KEYID=$(openssl pkey -pubin -in k.pub -outform DER | sha256sum | cut -d' ' -f1)

# records PATTERN: the syslog records (other tests may share the receiver)
# that contain PATTERN, fixed string.
records() { grep -F -- "$1" "$SYSLOG" || :; }

# check_kv FILE PRI DECISION CAUSE: every record line in FILE is one
# well-formed RFC 3164 message "<PRI>vouch[PID]: k=v ..." whose fields,
# parsed outside quotes, are exactly FIELDS (+ optional signers after keyid,
# and detail), once each.
check_kv() {
	"$PY" - "$@" "$FIELDS" <<'EOF'
import re, sys
path, pri, decision, cause, fields = sys.argv[1:6]
lines = [l.rstrip("\n") for l in open(path, encoding="utf-8", errors="surrogateescape") if l.strip()]
assert lines, "no record"
for line in lines:
    m = re.match(r"<(\d+)>vouch\[(\d+)\]: (.*)$", line)
    assert m, "not an RFC 3164 vouch record: %r" % line
    assert m.group(1) == pri, "PRI %s, wanted %s: %r" % (m.group(1), pri, line)
    msg, kv, i = m.group(3), [], 0
    while i < len(msg):
        k = re.match(r"([a-z_]+)=", msg[i:])
        assert k, "no key at %d: %r" % (i, msg[i:])
        i += k.end()
        if msg[i:i + 1] == '"':
            j = i + 1
            while msg[j] != '"':
                j += 2 if msg[j] == "\\" else 1
            v = msg[i + 1:j]; i = j + 1
        else:
            j = msg.find(" ", i); j = len(msg) if j < 0 else j
            v = msg[i:j]; i = j
            assert '"' not in v and "=" not in v, "bare value with a quote or '=': %r" % v
        kv.append((k.group(1), v))
        if i < len(msg):
            assert msg[i] == " ", "junk after a value at %d: %r" % (i, msg)
            i += 1
    keys = [k for k, _ in kv]
    assert len(keys) == len(set(keys)), "a field appears twice: %r" % keys
    want = fields.split()
    # signers: present whenever a signature was read (issue 26: who signed)
    assert [k for k in keys if k not in ("detail", "signers")] == want, "fields %r, wanted %r" % (keys, want)
    if "signers" in keys:
        assert keys.index("signers") == keys.index("keyid") + 1, "signers not after keyid: %r" % keys
    d = dict(kv)
    assert d["decision"] == decision and d["cause"] == cause, d
    for n in ("dev", "ino", "size", "pid", "uid", "version"):
        assert d[n].isdigit(), (n, d[n])
    float(d["elapsed_ms"])
print("ok")
EOF
}

# ---- a failing verify: LOG_ALERT, decision=deny cause=hash-mismatch ----
mkmodel model
expect_rc 0 "$VOUCH" sign -k k.key --name resnet --version 7 model
flip_byte model/model.bin 1000
claim_log
expect_rc 1 "$VOUCH" verify -p k.pub model
syslog_wait "vouch\\[[0-9]+\\]: decision=deny cause=hash-mismatch .*path=$TMPDIR/model "
records "path=$TMPDIR/model " >deny.txt
[ "$(wc -l <deny.txt)" -eq 1 ] || { cat deny.txt >&2; fail "wanted exactly one record for one verify"; }
grep -q '^<81>vouch\[' deny.txt || fail "deny record is not <81> (authpriv.alert): $(cat deny.txt)"
check_kv deny.txt 81 deny hash-mismatch || fail "bad deny record: $(cat deny.txt)"
grep -q " model=resnet version=7 keyid=$KEYID " deny.txt || fail "deny record lacks model/version/keyid: $(cat deny.txt)"
grep -q " mode=enforce " deny.txt || fail "deny record lacks mode=enforce"
grep -q " uid=0 comm=vouch " deny.txt || fail "deny record lacks uid/comm"
grep -q 'detail=".*model\.bin' deny.txt || fail "deny record does not name the file: $(cat deny.txt)"
ok "failing verify: <81> alert record, decision=deny cause=hash-mismatch, all fields"

# ---- a successful verify: LOG_INFO, decision=allow ----
flip_byte model/model.bin 1000
claim_log
expect_rc 0 "$VOUCH" verify -p k.pub model
syslog_wait "decision=allow cause=ok .*path=$TMPDIR/model "
records "path=$TMPDIR/model " | grep 'decision=allow' >allow.txt
grep -q '^<86>vouch\[' allow.txt || fail "allow record is not <86> (authpriv.info): $(cat allow.txt)"
check_kv allow.txt 86 allow ok || fail "bad allow record: $(cat allow.txt)"
ok "successful verify: <86> info record, decision=allow"

# Other causes are audited as well (alert), e.g. an untrusted key.
newkey other
claim_log
expect_rc 1 "$VOUCH" verify -p other.pub model
syslog_wait "^<81>vouch\\[[0-9]+\\]: decision=deny cause=untrusted-key .*keyid=\"\" .*detail=\"model/model.sig: "
# The path is the absolute one, as for the other records: an alert naming
# "model" relative to an unknown cwd does not say which model was refused.
grep -q "decision=deny cause=untrusted-key .*path=$TMPDIR/model " "$SYSLOG" ||
	bug "a record for a signature that fails authentication carries the relative path: $(grep 'cause=untrusted-key.*model/model.sig' "$SYSLOG" | tail -n 1)"

# ---- JSON lines from a config's audit_log ----
mkdir trust; cp k.pub trust/k.pem
cat >vouch.conf <<EOF
[vouch]
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
EOF
chown root:root vouch.conf; chmod 0644 vouch.conf
expect_rc 0 "$VOUCH" verify -c vouch.conf model
flip_byte model/config.json 0
claim_log
expect_rc 1 "$VOUCH" verify -c vouch.conf model
expect_out 'vouch: config\.json: hash-mismatch'
flip_byte model/config.json 0
[ -f audit.jsonl ] || fail "no audit.jsonl written"
"$PY" - audit.jsonl "$FIELDS" "$TMPDIR/model" "$KEYID" <<'EOF' || fail "audit.jsonl is not as expected: $(cat audit.jsonl)"
import json, sys
path, fields, model, keyid = sys.argv[1:5]
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate keys %r" % keys
    return dict(pairs)
recs = [json.loads(l, object_pairs_hook=no_dups) for l in open(path)]
recs = [r for r in recs if r.get("path") == model]
assert [r["decision"] for r in recs] == ["allow", "deny"], recs
allow, deny = recs
for r in recs:
    assert set(fields.split()) <= set(r), set(fields.split()) - set(r)
    for n in ("dev", "ino", "size", "pid", "uid", "version"):
        assert isinstance(r[n], int), (n, r[n])
    assert isinstance(r["elapsed_ms"], (int, float))
    assert r["model"] == "resnet" and r["version"] == 7 and r["keyid"] == keyid, r
    assert r["mode"] == "enforce" and r["uid"] == 0, r
assert allow["cause"] == "ok" and allow["severity"] == "info", allow
assert deny["cause"] == "hash-mismatch" and deny["severity"] == "alert", deny
print("ok")
EOF
# The syslog record of the same decision carries the same values.
syslog_wait "^<81>vouch\\[[0-9]+\\]: decision=deny cause=hash-mismatch .*path=$TMPDIR/model .*detail=\"config\\.json"
ok "audit_log JSON lines parse and carry the same fields"

# ---- a hostile name cannot forge a field ----
# The model directory's name holds a space, a quote, a newline and
# "cause=ok"; it is the path= field, the signed subject and model= name.
evil=$(printf 'evil "x\ncause=ok decision=allow')
mkdir "$evil"
printf 'weights' >"$evil/w.bin"
# ... and a file inside with a space, a quote and "cause=ok" (control bytes
# are refused in file names inside a model).
printf 'w2' >"$evil/a b\"c cause=ok.bin"
expect_rc 0 "$VOUCH" sign -k k.key "$evil"
claim_log
expect_rc 0 "$VOUCH" verify -p k.pub "$evil"
flip_byte "$evil/a b\"c cause=ok.bin" 0
claim_log
expect_rc 1 "$VOUCH" verify -p k.pub "$evil"
expect_out 'hash-mismatch'
syslog_wait 'decision=deny cause=hash-mismatch .*evil'
records 'evil' >evil.txt
[ "$(wc -l <evil.txt)" -eq 2 ] || { cat evil.txt >&2; fail "wanted 2 records (allow, deny) for the evil model, each on one line"; }
grep '^<81>vouch\[[0-9]*\]: decision=deny ' evil.txt >evil-deny.txt
grep '^<86>vouch\[[0-9]*\]: decision=allow ' evil.txt >evil-allow.txt
check_kv evil-deny.txt 81 deny hash-mismatch || fail "a hostile name forged a field: $(cat evil-deny.txt)"
check_kv evil-allow.txt 86 allow ok || fail "a hostile name broke the allow record: $(cat evil-allow.txt)"
# Exactly one cause= outside quotes (check_kv parsed it; count it plainly too).
n=$("$PY" -c '
import sys
line = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read()
q = False; out = []; i = 0
while i < len(line):
    c = line[i]
    if q and c == "\\": i += 2; continue
    if c == "\"": q = not q
    elif not q: out.append(c)
    i += 1
print("".join(out).count("cause="))' evil-deny.txt)
[ "$n" -eq 1 ] || fail "$n cause= fields outside quotes: $(cat evil-deny.txt)"
ok "a hostile file name cannot forge a field"

[ "$BUGS" -eq 0 ] || fail "$BUGS bug(s) reported above"
