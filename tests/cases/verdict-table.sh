#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# verdict-table: one tree of cases, three front ends, one verdict.  Every row
# of the table below is opened through `vouch verify` (its per-file report),
# a live vouchfs mount (the syslog record) and the LD_PRELOAD shim (the
# syslog record), first with the default symlink rule (allow_symlinks = no),
# then with allow_symlinks = yes (CLI: --allow-symlinks --symlink-root ROOT,
# the config's default symlink root).  All three must give the verdict and
# the cause of the table.  For every deny the reader must get no byte (the
# attacker's files all contain PAYLOAD; a reader that sees it fails the row,
# whatever the verdict).  An allow must serve exactly the bytes the name
# leads to on disk.  The decision is made on the name opened, so a record
# naming another path (a link's target) does not count.
#
# Verdicts: allow:CAUSE, deny:CAUSE, sig (served as a signature file: open
# succeeds, no audit record).  CLI column: dir (`vouch verify ROOT/<first
# path component>`, the line for the rest of the path; allow = the whole
# directory verifies), file (`vouch verify ROOT/<path>`, a single file and its
# sidecar), dir=NAME (the line the CLI writes for NAME: a directory on the
# path that is a link is reported as that directory), or "-" where the CLI
# has no verdict for the file (a signature file: the CLI verifies models, not
# signatures).  An expected "-": the row is not run in that mode (a directory
# link with allow_symlinks = yes: the spec does not say how signing treats one).
#
# Records are matched by exact path and only after the open (the sink may
# also receive records from unrelated processes on the host).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
[ -r "$PRELOAD" ] || fail "missing $PRELOAD (make)"
fs_syslog_start

# name            path opened under ROOT       cli   allow_symlinks=no      allow_symlinks=yes
TABLE='
good              good/model.pt                dir   allow:ok               allow:ok
good-B            mB/model.pt                  dir   allow:ok               allow:ok
cosignature       good/model.sig.d/copy.sig    -     sig                    sig
tampered          tampered/model.pt            dir   deny:hash-mismatch     deny:hash-mismatch
unsigned-extra    extra/added.bin              dir   deny:not-in-manifest   deny:not-in-manifest
stray-sig         straysig/x.sig               dir   deny:not-in-manifest   deny:not-in-manifest
stray-sigd-file   straysigd/x.sig.d/f          dir   deny:not-in-manifest   deny:not-in-manifest
stray-sigd-sig    straysigd/y.sig.d/k.sig      dir   deny:not-in-manifest   deny:not-in-manifest
loose-sig         loose/x.sig                  -     deny:malformed         deny:malformed
loose-sigd-file   loose/x.sig.d/f              file  deny:not-signed        deny:not-signed
link-to-sig       linksig/model.pt             dir   deny:symlink           deny:size-mismatch
link-into-sigd    linksigd/model.pt            dir   deny:symlink           deny:size-mismatch
link-other-model  mA/model.pt                  dir   deny:symlink           deny:hash-mismatch
link-out-of-root  linkout/model.pt             dir   deny:symlink           deny:symlink
link-in-root      inlink/model.pt              dir   deny:symlink           allow:ok
link-dir-on-path  dirswap/sub/w.bin            dir=sub deny:symlink         -
hard-link         hard/alias.pt                dir   deny:not-in-manifest   deny:not-in-manifest
sidecar-good      pair/c                       file  allow:ok               allow:ok
renamed-pair      pair/b                       file  deny:name-mismatch     deny:name-mismatch
'

ROOT=$TMPDIR/root; MNT=$TMPDIR/mnt; OUTSIDE=$TMPDIR/outside
mkdir -p "$ROOT" "$MNT" "$OUTSIDE" "$TMPDIR/trust" "$TMPDIR/state"
newkey k
cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
sign() { "$VOUCH" sign -k "$TMPDIR/k.key" "$@" >/dev/null 2>&1 || fail "vouch sign $*"; }
# mk DIR [SIGN-ARGS...]: a signed model directory, model.pt of 4096 bytes.
mk() {
	d=$ROOT/$1; shift
	mkdir -p "$d"
	head -c 4096 /dev/urandom >"$d/model.pt"
	printf '{"hidden": 16}\n' >"$d/config.json"
	sign "$@" "$d"
}

mk good
cp "$ROOT/good/model.sig" "$TMPDIR/copy.sig"          # a cosignature that adds nothing
mkdir "$ROOT/good/model.sig.d"; mv "$TMPDIR/copy.sig" "$ROOT/good/model.sig.d/copy.sig"
mk tampered; flip_byte "$ROOT/tampered/model.pt" 100
mk extra; echo PAYLOAD >"$ROOT/extra/added.bin"
mk straysig; echo PAYLOAD >"$ROOT/straysig/x.sig"
mk straysigd; mkdir "$ROOT/straysigd/x.sig.d" "$ROOT/straysigd/y.sig.d"
echo PAYLOAD >"$ROOT/straysigd/x.sig.d/f"; echo PAYLOAD >"$ROOT/straysigd/y.sig.d/k.sig"
mkdir -p "$ROOT/loose/x.sig.d"                         # no model.sig anywhere above
# not a bundle: a file at a signature's name is served only if it is one
echo 'a loose sidecar, not a model' >"$ROOT/loose/x.sig"; echo PAYLOAD >"$ROOT/loose/x.sig.d/f"
# The attacks of issue 15, each on its own signed model directory.
mk linksig; (cd "$ROOT/linksig" && mv model.pt model.pt.orig && echo PAYLOAD >evil.sig &&
	ln -s evil.sig model.pt) || fail "linksig"
mk linksigd; (cd "$ROOT/linksigd" && mv model.pt model.pt.orig && mkdir model.sig.d &&
	echo PAYLOAD >model.sig.d/evil.sig && ln -s model.sig.d/evil.sig model.pt) || fail "linksigd"
mk mA --name mA; mk mB --name mB                       # same size, other bytes: hash-mismatch
(cd "$ROOT/mA" && mv model.pt model.pt.orig && ln -s ../mB/model.pt model.pt) || fail "mA"
mk linkout; mv "$ROOT/linkout/model.pt" "$OUTSIDE/model.pt"   # the signed bytes, out of the root
ln -s "$OUTSIDE/model.pt" "$ROOT/linkout/model.pt"
mkdir "$ROOT/inlink"; head -c 4096 /dev/urandom >"$ROOT/inlink/weights.bin"
ln -s weights.bin "$ROOT/inlink/model.pt"; sign --allow-symlinks "$ROOT/inlink"
mk hard; ln "$ROOT/hard/model.pt" "$ROOT/hard/alias.pt"
mkdir -p "$ROOT/dirswap/sub"; head -c 4096 /dev/urandom >"$ROOT/dirswap/sub/w.bin"
sign "$ROOT/dirswap"; mv "$ROOT/dirswap/sub" "$ROOT/dirswap/sub.orig"
ln -s sub.orig "$ROOT/dirswap/sub"                     # same bytes, reached through a link
mkdir "$ROOT/pair"
printf 'weights a\n' >"$ROOT/pair/a"; sign --name pm "$ROOT/pair/a"
printf 'weights c\n' >"$ROOT/pair/c"; sign --name pm "$ROOT/pair/c"
mv "$ROOT/pair/a" "$ROOT/pair/b"; mv "$ROOT/pair/a.sig" "$ROOT/pair/b.sig"

# conf FILE ALLOW_SYMLINKS: the policy all three front ends read.
conf() {
	cat >"$1" <<EOF
[vouch]
mode = enforce
protect = $ROOT
trust = $TMPDIR/trust
state_dir = $TMPDIR/state
allow_symlinks = $2

[models]
$ROOT/mA = mA
$ROOT/mB = mB
$ROOT/pair/* = pm
EOF
	chmod 0644 "$1"
}

# The reader: open, read all; "OK <sha256> payload|clean" or "ERR <errno>".
READER=$TMPDIR/reader.py
cat >"$READER" <<'PYEOF'
import errno, hashlib, sys
try:
    with open(sys.argv[1], "rb") as f:
        data = f.read()
except OSError as e:
    print("ERR", errno.errorcode.get(e.errno, str(e.errno)))
else:
    print("OK", hashlib.sha256(data).hexdigest(), "payload" if b"PAYLOAD" in data else "clean")
PYEOF

# record_after N PATH: "decision:cause" of the first record after line N of
# the syslog whose path is exactly PATH (empty if none).
record_after() {
	awk -v n="$1" -v p=" path=$2 " 'NR > n && index($0, p) {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^decision=/) d = substr($i, 10)
			if ($i ~ /^cause=/) c = substr($i, 7)
		}
		if (d == "deny" && substr($0, 1, 4) != "<81>") c = c "(not-LOG_ALERT:" substr($0, 1, 4) ")"
		print d ":" c; exit }' "$SYSLOG"
}
# other_record N: the path of the first decision record after line N (the
# record a front end wrote for some other name, to explain a mismatch).
# A late record for the previous row's name (another front end's, delivered
# after this row began on a loaded machine) explains nothing: skipped.
PREV_PATH=""
other_record() {
	awk -v n="$1" -v t="path=$TMPDIR/" -v prev="path=$PREV_PATH" 'NR > n && / decision=/ {
		for (i = 1; i <= NF; i++) if (index($i, t) == 1 && $i != prev) { print substr($i, 6); exit } }' "$SYSLOG"
}
# wait_record N PATH SECONDS: poll for that record; prints it (or nothing).
wait_record() {
	t=$(echo "$3" | awk '{ print int($1 * 20) }')
	while [ $t -gt 0 ]; do
		r=$(record_after "$1" "$2")
		[ -n "$r" ] && { echo "$r"; return; }
		sleep 0.05; t=$((t - 1))
	done
}

# enforcer FRONT PATH: open PATH (under $MNT for fs, $ROOT for shim); the
# verdict as the table writes it in $GOT, the reader's line in $READ.
enforcer() {
	n0=$(wc -l <"$SYSLOG")
	enforcer_run "$@"
	PREV_PATH=$ROOT/$2
}
enforcer_run() {
	if [ "$1" = fs ]; then
		READ=$("$PY" "$READER" "$MNT/$2" 2>&1)
	else
		READ=$(LD_PRELOAD=$PRELOAD VOUCH_CONFIG=$CONF "$PY" "$READER" "$ROOT/$2" 2>&1)
	fi
	case $READ in
	"OK "*)
		r=$(wait_record "$n0" "$ROOT/$2" 0.5)
		o=$(other_record "$n0")
		case $r in
		"") if [ -n "$o" ]; then GOT="allow(record-names:$o)"; else GOT=sig; fi ;;
		allow:*) GOT=$r ;;
		*) GOT="allow(record:$r)" ;;
		esac ;;
	"ERR EACCES")
		r=$(wait_record "$n0" "$ROOT/$2" 3)
		case $r in
		deny:*) GOT=$r ;;
		"") GOT="deny(no-record;first-names:$(other_record "$n0"))" ;;
		*) GOT="deny(record:$r)" ;;
		esac ;;
	"ERR ENOTDIR")
		# vouchfs shows every link as a regular file, a directory link too,
		# so a path through one cannot even be looked up (the kernel says
		# ENOTDIR, nothing reaches vouchfs): the verdict is the one on the
		# link, opened by its own name, as `vouch verify` reports it.
		l=$(link_on_path "$2")
		if [ "$1" = fs ] && [ -n "$l" ] && [ "$l" != "$2" ]; then
			enforcer fs "$l"
		else
			GOT="error($READ)"
		fi ;;
	*)	GOT="error($READ)" ;;
	esac
}
# link_on_path PATH: the first prefix of PATH (under $ROOT) that is a symlink.
link_on_path() {
	p=""
	for c in $(echo "$1" | tr '/' ' '); do
		p=${p:+$p/}$c
		[ -L "$ROOT/$p" ] && { echo "$p"; return; }
	done
}

# cli KIND PATH: the verdict of `vouch verify` for PATH, in $GOT.
cli() {
	if [ "${1%%=*}" = dir ]; then
		top=${2%%/*}; rel=${2#*/}
		case $1 in dir=*) rel=${1#dir=} ;; esac
		OUT=$("$VOUCH" verify -c "$CONF" $CLI_FLAGS "$ROOT/$top" 2>&1)
	else
		rel=""
		OUT=$("$VOUCH" verify -c "$CONF" $CLI_FLAGS "$ROOT/$2" 2>&1)
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		GOT=allow:ok
	elif [ $rc -eq 1 ]; then
		if [ -n "$rel" ]; then      # the line that names the file
			c=$(printf '%s\n' "$OUT" | awk -v p="vouch: $rel: " \
				'index($0, p) == 1 { s = substr($0, length(p) + 1); split(s, a, " "); print a[1]; exit }')
		else                        # one file: its one line
			c=$(printf '%s\n' "$OUT" | sed -n 's/^vouch: .*: \([a-z-]*\)\( (.*)\)\{0,1\}$/\1/p' | tail -n 1)
		fi
		GOT="deny:${c:-(no-line-for-$2)}"
	else
		GOT="exit-$rc($(printf '%s' "$OUT" | tr '\n' ' ' | cut -c1-100))"
	fi
}

BAD=""
NROWS=$(printf '%s\n' "$TABLE" | grep -c .)
run_pass() { # LABEL ALLOW_SYMLINKS COLUMN(a|b)
	label=$1 col=$3
	CONF=$TMPDIR/vouch-$label.conf
	conf "$CONF" "$2"
	if [ "$2" = yes ]; then CLI_FLAGS="--allow-symlinks --symlink-root $ROOT"; else CLI_FLAGS=""; fi
	fs_mount "$ROOT" "$MNT" -c "$CONF"
	rows=0 failed=0 t0=$(date +%s)
	while read -r name path kind a b; do
		[ -n "$name" ] || continue
		rows=$((rows + 1))
		if [ "$col" = a ]; then want=$a; else want=$b; fi
		[ "$want" = - ] && { echo "  $label $name: not run in this mode"; continue; }
		bad=""
		for front in fs shim; do
			enforcer $front "$path"
			[ "$GOT" = "$want" ] || bad="$bad $front=$GOT"
			case $READ in *payload*) bad="$bad $front:READ-THE-ATTACKER'S-BYTES" ;; esac
			case $GOT in allow:*|sig)
				[ "${READ#OK }" = "$(sha256sum <"$ROOT/$path" | cut -d' ' -f1) clean" ] ||
					bad="$bad $front:served-other-bytes" ;;
			esac
			# a link under the source is shown as a regular file ("regular
			# empty file" for a denied one is fine: its size is not specified)
			if [ $front = fs ] && [ -L "$ROOT/$path" ]; then
				case $(stat -c %F "$MNT/$path") in "regular file"|"regular empty file") ;;
				*) bad="$bad fs:link-shown-as-$(stat -c %F "$MNT/$path" | tr ' ' -)" ;; esac
			fi
		done
		if [ "$kind" != - ]; then
			cli "$kind" "$path"
			[ "$GOT" = "$want" ] || bad="$bad cli=$GOT"
		fi
		if [ -n "$bad" ]; then
			failed=$((failed + 1))
			echo "  MISMATCH $label $name ($path): want $want;$bad"
		else
			echo "  $label $name: $want (cli: $([ "$kind" = - ] && echo 'no verdict' || echo same), vouchfs, shim)"
		fi
	done <<EOF
$TABLE
EOF
	[ "$rows" -eq "$NROWS" ] || fail "$label: only $rows of $NROWS rows ran"
	echo "  ($label: $rows rows in $(( $(date +%s) - t0 )) s)"
	fs_stop "$FS_PID" "$MNT"
	[ "$failed" -eq 0 ] || BAD="$BAD $label:$failed"
}

run_pass no-symlinks no a
run_pass allow-symlinks yes b
if [ -n "$BAD" ]; then
	echo "--- syslog records" >&2
	grep -E 'decision=' "$SYSLOG" | tail -n 80 >&2
	fail "rows where a front end disagrees with the table (MISMATCH above):$BAD"
fi
ok "$NROWS rows x 2 symlink modes: the CLI, vouchfs and the shim agree with the table"
