#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# hub-cache: a Hugging Face hub cache, protected end to end and offline.
# hub/models--org--name holds blobs/<sha256>, two signed revisions whose
# snapshots/<rev>/{config.json, model.pt, tokenizer.json} link to
# ../../blobs/<sha> (tokenizer.json shared), refs/main and refs/v1.  Each
# snapshot is signed with `vouch sign --allow-symlinks --symlink-root REPO`;
# the policy is protect = HUB, allow_symlinks = yes.  A minimal resolver
# (huggingface_hub's offline lookup: refs/<rev>, .no_exist/, snapshots/) does
# json.load of config.json and torch.load of model.pt through a vouchfs mount
# of the hub and under the shim: both revisions load, with the same bytes as
# the raw cache.  Then a tampered blob, a snapshot link retargeted to another
# blob, refs/main naming an unsigned, a missing or a malformed revision, a
# blob opened directly and a .no_exist entry are each refused (EACCES) with a
# deny record on the snapshot/ref name, by vouchfs and by the shim, and
# `vouch verify` with the signing flags agrees.  Writes (.locks/) answer EROFS.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
[ -r "$PRELOAD" ] || fail "missing $PRELOAD (make)"
"$PY" -c 'import torch' 2>/dev/null || fail "python3-torch missing (make deps)"
fs_syslog_start

HUB=$TMPDIR/hub; MNT=$TMPDIR/hub-mnt; REPO=$HUB/models--org--name
MREPO=$MNT/models--org--name
mkdir -p "$REPO/refs" "$REPO/blobs" "$MNT" "$TMPDIR/trust" "$TMPDIR/state"
newkey k
cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"

# The cache as `huggingface-cli download` leaves it (no network here: made
# by hand, same layout).  Prints shell assignments of the revisions and blobs.
eval "$("$PY" - "$REPO" <<'PYEOF'
import hashlib, io, json, os, sys, torch
repo = sys.argv[1]
def blob(data):
    sha = hashlib.sha256(data).hexdigest()
    with open(os.path.join(repo, "blobs", sha), "wb") as f:
        f.write(data)
    return sha
def sd_bytes(seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    data = buf.getvalue()
    # where the first weight's bytes are, to flip one inside tensor data later
    raw = net.state_dict()["0.weight"].numpy().tobytes()
    return data, data.find(raw[:64]) + 100
tok = blob(json.dumps({"version": "1.0", "model": {"vocab": {"a": 0, "b": 1}}}).encode())
out = {"TOK": tok}
for i in (1, 2):
    rev = hashlib.sha1(b"revision %d" % i).hexdigest()
    cfg = blob(json.dumps({"model_type": "toy", "revision": i}).encode())   # same size
    model, off = sd_bytes(i)
    m = blob(model)
    snap = os.path.join(repo, "snapshots", rev)
    os.makedirs(snap)
    for name, sha in (("config.json", cfg), ("model.pt", m), ("tokenizer.json", tok)):
        os.symlink("../../blobs/" + sha, os.path.join(snap, name))
    out.update({"REV%d" % i: rev, "CFG%d" % i: cfg, "MODEL%d" % i: m, "OFF%d" % i: off})
for k, v in out.items():
    print("%s=%s" % (k, v))
PYEOF
)" || fail "building the hub cache"
[ -n "${REV2:-}" ] && [ "$OFF2" -gt 100 ] || fail "hub cache layout"
printf '%s' "$REV2" >"$REPO/refs/main"     # huggingface_hub writes refs without a newline
printf '%s' "$REV1" >"$REPO/refs/v1"
# what a download also leaves: a "does not exist at this revision" marker, locks
mkdir -p "$REPO/.no_exist/$REV2" "$REPO/.locks/models--org--name"
: >"$REPO/.no_exist/$REV2/generation_config.json"
SIGN_FLAGS="--allow-symlinks --symlink-root $REPO"
for r in "$REV1" "$REV2"; do
	expect_rc 0 "$VOUCH" sign $SIGN_FLAGS -k "$TMPDIR/k.key" "$REPO/snapshots/$r"
	[ -f "$REPO/snapshots/$r/model.sig" ] || fail "no snapshots/$r/model.sig"
done

CONF=$TMPDIR/vouch.conf
cat >"$CONF" <<EOF
[vouch]
mode = enforce
protect = $HUB
trust = $TMPDIR/trust
state_dir = $TMPDIR/state
allow_symlinks = yes
EOF
chmod 0644 "$CONF"

LOADER=$TMPDIR/hub-load.py
cat >"$LOADER" <<'PYEOF'
#!/usr/bin/python3
"""A minimal offline Hugging Face hub-cache loader for the tests (huggingface_hub
and transformers are not in Debian 12).  It resolves a file the way
huggingface_hub's try_to_load_from_cache() does offline (HF_HUB_OFFLINE=1):
read refs/<revision> if that file exists (its content is the commit), answer
"cached as absent" if .no_exist/<commit>/<file> exists, else return
snapshots/<commit>/<file> if it is a file.  Then it loads what it found:
json.load() for *.json, torch.load() for *.pt, anything else read raw.

Usage: hub-load.py CACHE_DIR REPO_ID REVISION:FILE[,FILE...] ...
One line per file, stable across runs of the same bytes:
  REV FILE json|torch|raw SHA256   loaded (digest of what the loader got)
  REV ref EACCES                   refs/REV could not be opened (PermissionError)
  REV FILE EACCES                  the file could not be opened
  REV FILE no-exist | not-cached | error TYPE
"""
import errno
import hashlib
import json
import os
import sys

cache, repo_id = sys.argv[1], sys.argv[2]
repo = os.path.join(cache, "models--" + repo_id.replace("/", "--"))


def resolve(revision, filename):
    refs = os.path.join(repo, "refs")
    if os.path.isdir(refs):
        ref = os.path.join(refs, revision)
        if os.path.isfile(ref):
            with open(ref) as f:          # PermissionError goes to the caller
                revision = f.read()
    if os.path.isfile(os.path.join(repo, ".no_exist", revision, filename)):
        return "no-exist"
    snaps = os.path.join(repo, "snapshots")
    if not os.path.exists(snaps) or revision not in os.listdir(snaps):
        return None
    path = os.path.join(snaps, revision, filename)
    return path if os.path.isfile(path) else None


def load(path):
    if path.endswith(".json"):
        with open(path) as f:
            obj = json.load(f)
        return "json", hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()
    if path.endswith(".pt"):
        import torch
        sd = torch.load(path)
        h = hashlib.sha256()
        for k in sorted(sd):
            h.update(k.encode())
            h.update(sd[k].numpy().tobytes())
        return "torch", h.hexdigest()
    with open(path, "rb") as f:
        return "raw", hashlib.sha256(f.read()).hexdigest()


for spec in sys.argv[3:]:
    rev, files = spec.split(":", 1)
    for name in files.split(","):
        try:
            p = resolve(rev, name)
        except PermissionError as e:
            print(rev, "ref", errno.errorcode[e.errno])
            break
        if p is None:
            print(rev, name, "not-cached")
            continue
        if p == "no-exist":
            print(rev, name, "no-exist")
            continue
        try:
            kind, digest = load(p)
            print(rev, name, kind, digest)
        except PermissionError as e:
            print(rev, name, errno.errorcode[e.errno])
        except Exception as e:            # a loader choking on bytes it was given
            print(rev, name, "error", type(e).__name__)
sys.stdout.flush()
PYEOF

# load FRONT SPEC...: run the loader on the raw cache (raw), through the
# mount (fs) or under the shim (shim); its lines in $OUT.  MARK is the
# syslog line count before it, for rec.
load() {
	front=$1; shift
	MARK=$(wc -l <"$SYSLOG")
	case $front in
	raw)  OUT=$(HF_HUB_OFFLINE=1 "$PY" "$LOADER" "$HUB" org/name "$@" 2>&1) ;;
	fs)   OUT=$(HF_HUB_OFFLINE=1 "$PY" "$LOADER" "$MNT" org/name "$@" 2>&1) ;;
	shim) OUT=$(HF_HUB_OFFLINE=1 LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$CONF \
			"$PY" "$LOADER" "$HUB" org/name "$@" 2>&1) ;;
	esac
}
# rec PATH: "decision:cause" of the first record since MARK naming exactly
# PATH (a deny that is not LOG_ALERT, <81>, says so).
rec() {
	awk -v n="$MARK" -v p=" path=$1 " 'NR > n && index($0, p) {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^decision=/) d = substr($i, 10)
			if ($i ~ /^cause=/) c = substr($i, 7)
		}
		if (d == "deny" && substr($0, 1, 4) != "<81>") c = c "(not-LOG_ALERT:" substr($0, 1, 4) ")"
		print d ":" c; exit }' "$SYSLOG"
}
# expect_rec FRONT PATH DECISION:CAUSE: wait (3 s) for that record.
expect_rec() {
	for _ in $(seq 60); do
		[ "$(rec "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	echo "--- records since the $1 run:" >&2
	tail -n +"$((MARK + 1))" "$SYSLOG" | grep 'decision=' >&2
	fail "$1: no record '$3' for path=$2 (first for that path: '$(rec "$2")')"
}
# want_out FRONT LINE: the loader's output must have LINE exactly.
want_out() {
	printf '%s\n' "$OUT" | grep -qxF -- "$2" ||
		{ printf '%s\n' "$OUT" >&2; fail "$1: loader output lacks '$2'"; }
}
# cli_verify RC CAUSE TARGET: `vouch verify` with the signing flags.
cli_verify() {
	expect_rc "$1" "$VOUCH" verify -c "$CONF" $SIGN_FLAGS "$3"
	[ -z "$2" ] || expect_out "$2"
}

ALL="config.json,model.pt,tokenizer.json"
load raw "main:$ALL" "v1:$ALL" "$REV1:$ALL"
REF=$OUT
[ "$(printf '%s\n' "$REF" | grep -cE ' (json|torch) [0-9a-f]{64}$')" -eq 9 ] ||
	{ printf '%s\n' "$REF" >&2; fail "the raw cache does not load"; }
fs_mount "$HUB" "$MNT" -c "$CONF"

# 1. Both revisions load, by ref and by commit, through both front ends.
for front in fs shim; do
	load $front "main:$ALL" "v1:$ALL" "$REV1:$ALL"
	[ "$OUT" = "$REF" ] || { printf 'got:\n%s\nwanted:\n%s\n' "$OUT" "$REF" >&2;
		fail "$front: the hub cache does not load as the raw cache does"; }
	for r in "$REV1" "$REV2"; do
		for f in config.json model.pt tokenizer.json; do
			expect_rec $front "$REPO/snapshots/$r/$f" allow:ok
		done
	done
	expect_rec $front "$REPO/refs/main" allow:ok
	expect_rec $front "$REPO/refs/v1" allow:ok
done
[ "$(stat -c %F "$MREPO/snapshots/$REV2/model.pt")" = "regular file" ] &&
	[ "$(stat -c %s "$MREPO/snapshots/$REV2/model.pt")" = "$(stat -c %s "$REPO/blobs/$MODEL2")" ] ||
	fail "vouchfs shows a snapshot link as $(stat -c %F "$MREPO/snapshots/$REV2/model.pt")"
cli_verify 0 "verified" "$REPO/snapshots/$REV1"
cli_verify 0 "verified" "$REPO/snapshots/$REV2"
ok "two revisions (shared tokenizer blob) load by ref and by commit: json.load, torch.load; records name the snapshot paths; vouch verify agrees"

# 2. A tampered blob: the revision using it is refused, the other loads.
B2=$REPO/blobs/$MODEL2
cp "$B2" "$TMPDIR/model2.orig"
flip_byte "$B2" "$OFF2"
for front in fs shim; do
	load $front "main:model.pt,config.json" "v1:model.pt"
	want_out $front "main model.pt EACCES"
	want_out $front "$(printf '%s\n' "$REF" | grep -m1 '^main config.json ')"
	want_out $front "$(printf '%s\n' "$REF" | grep -m1 '^v1 model.pt ')"
	expect_rec $front "$REPO/snapshots/$REV2/model.pt" deny:hash-mismatch
done
cli_verify 1 "^vouch: model.pt: hash-mismatch" "$REPO/snapshots/$REV2"
cli_verify 0 "verified" "$REPO/snapshots/$REV1"
cp "$TMPDIR/model2.orig" "$B2"
ok "a tampered blob: torch.load gets PermissionError 13 (EACCES), deny hash-mismatch on snapshots/<rev>/model.pt; vouch verify agrees"

# 3. A snapshot link retargeted to another (signed, same-size) blob.
ln -sfn "../../blobs/$CFG1" "$REPO/snapshots/$REV2/config.json"
for front in fs shim; do
	load $front "main:config.json,tokenizer.json"
	want_out $front "main config.json EACCES"
	want_out $front "$(printf '%s\n' "$REF" | grep -m1 '^main tokenizer.json ')"
	expect_rec $front "$REPO/snapshots/$REV2/config.json" deny:hash-mismatch
done
cli_verify 1 "^vouch: config.json: hash-mismatch" "$REPO/snapshots/$REV2"
ln -sfn "../../blobs/$CFG2" "$REPO/snapshots/$REV2/config.json"
ok "a snapshot link retargeted to another blob: EACCES, deny hash-mismatch; vouch verify agrees"

# 4. refs/main naming an unsigned revision, a missing one, or not a revision.
REV3=$(printf 'revision 3' | sha1sum | cut -d' ' -f1)
mkdir "$REPO/snapshots/$REV3"
for f in config.json model.pt tokenizer.json; do
	ln -s "$(readlink "$REPO/snapshots/$REV2/$f")" "$REPO/snapshots/$REV3/$f"
done
for target in "$REV3" 0000000000000000000000000000000000000000 "../snapshots/$REV2"; do
	printf '%s' "$target" >"$REPO/refs/main"
	for front in fs shim; do
		load $front "main:config.json"
		want_out $front "main ref EACCES"
		expect_rec $front "$REPO/refs/main" deny:not-signed
	done
done
cli_verify 1 "not-signed" "$REPO/snapshots/$REV3"
cli_verify 3 "io-error" "$REPO/snapshots/0000000000000000000000000000000000000000"
# the unsigned snapshot's own names are refused too
for front in fs shim; do
	load $front "$REV3:config.json"
	want_out $front "$REV3 config.json EACCES"
	expect_rec $front "$REPO/snapshots/$REV3/config.json" deny:not-signed
done
printf '%s' "$REV2" >"$REPO/refs/main"
for front in fs shim; do
	load $front "main:config.json"
	want_out $front "$(printf '%s\n' "$REF" | grep -m1 '^main config.json ')"
	expect_rec $front "$REPO/refs/main" allow:ok
done
ok "refs/main naming an unsigned, a missing or a malformed revision: the ref read is denied (not-signed); restored, it loads"

# 5. Blobs opened directly, .no_exist/ entries (made before the mount, as a
#    download leaves them: the kernel caches negative lookups), .locks/.
# opened FRONT PATH-IN-REPO: open and read it through the mount or under the shim.
opened() {
	if [ "$1" = fs ]; then fs_errno "$MREPO/$2"; else
		(export LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF"; fs_errno "$REPO/$2"); fi
}
for front in fs shim; do
	MARK=$(wc -l <"$SYSLOG"); r=$(opened $front "blobs/$MODEL1")
	[ "$r" = EACCES ] || fail "$front: blobs/<sha> opened directly: $r"
	expect_rec $front "$REPO/blobs/$MODEL1" deny:not-signed
	MARK=$(wc -l <"$SYSLOG"); r=$(opened $front ".no_exist/$REV2/generation_config.json")
	[ "$r" = EACCES ] || fail "$front: a .no_exist entry opened: $r"
	expect_rec $front "$REPO/.no_exist/$REV2/generation_config.json" deny:not-signed
	# the loader only stats it: the file is reported absent, as huggingface_hub does
	load $front "main:generation_config.json,config.json"
	want_out $front "main generation_config.json no-exist"
	want_out $front "$(printf '%s\n' "$REF" | grep -m1 '^main config.json ')"
done
cli_verify 1 "not-signed" "$REPO/blobs/$MODEL1"
expect_rc 1 touch "$MREPO/.locks/models--org--name/$MODEL2.lock"
expect_out "Read-only file system"
expect_rc 1 mkdir "$MREPO/.no_exist/$REV1"
expect_out "Read-only file system"
ok "blobs/<sha> and .no_exist/ entries opened directly: not-signed; .locks/ and .no_exist/ writes through the mount: EROFS"
